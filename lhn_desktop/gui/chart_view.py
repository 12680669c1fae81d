"""ChartView: a matplotlib chart in the window (FigureCanvasQTAgg), with the point under the mouse reported."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget


class ChartView(QWidget):
    """Shows a chart specification from the services; ``point_chosen`` gives the index of a hovered or clicked point."""

    point_chosen = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumHeight(160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._canvas = None
        self._count = 0
        self._axes = None

    @property
    def canvas(self):
        """The matplotlib canvas, made on first use: matplotlib is not imported until a chart is shown."""
        if self._canvas is None:
            from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
            from matplotlib.figure import Figure

            # fixed margins: a layout engine would double the drawing time of every chart
            self._canvas = FigureCanvasQTAgg(Figure(figsize=(8, 4.5)))
            self._canvas.figure.subplots_adjust(left=0.08, right=0.9, top=0.86, bottom=0.1)
            self._canvas.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            self._layout.addWidget(self._canvas)
            self._canvas.mpl_connect("motion_notify_event", self._on_mouse)
            self._canvas.mpl_connect("button_press_event", self._on_mouse)
        return self._canvas

    @property
    def figure(self):
        return self.canvas.figure

    def show_chart(self, spec) -> None:
        """Show a run or control chart from its specification (a service's ``ChartData.spec``); its points are
        reported as the mouse moves over them."""
        self._axes = spec.draw(self.figure)
        self._count = spec.points
        self.canvas.draw_idle()

    def show_figure(self, spec) -> None:
        """Show a picture with its own layout from its specification (a driver diagram, a patient's activity);
        points are not reported for it."""
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        figure = spec.figure()
        old = self.canvas
        self._canvas = FigureCanvasQTAgg(figure)
        self._layout.replaceWidget(old, self._canvas)
        old.deleteLater()
        self._axes = None
        self._count = 0
        if self._canvas.isVisible():
            self._canvas.draw_idle()
        # else drawn when first shown, at its real size (its first resize draws it): a picture laid out while its
        # tab is hidden would be laid out at a few pixels' width, and matplotlib warns that its axes collapsed

    def show_message(self, text: str) -> None:
        self.figure.clear()
        self._axes = None
        self._count = 0
        self.figure.text(0.5, 0.5, text, ha="center", va="center", fontsize=11, color="#555555", wrap=True)
        self.canvas.draw_idle()

    def index_at(self, xdata: float | None) -> int | None:
        if xdata is None or self._count == 0:
            return None
        index = round(xdata)
        return index if 0 <= index < self._count else None

    def _on_mouse(self, event) -> None:
        if self._axes is None or event.inaxes is not self._axes:
            return
        index = self.index_at(event.xdata)
        if index is not None:
            self.point_chosen.emit(index)
