"""ChartView: a matplotlib chart in the window (FigureCanvasQTAgg), with the point under the mouse reported."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QSizePolicy, QVBoxLayout, QWidget


@cache
def _canvas_class():
    """matplotlib's Qt canvas, drawing only when it can be seen (made on first use: matplotlib is not imported until
    a chart is shown). A chart in a hidden tab is still resized with its tab, often to a few pixels; drawn then, a
    picture with its own layout is laid out at that size for nothing, and matplotlib warns that its axes collapsed.
    So while hidden a drawing waits, and it is made when the canvas is shown, at the size it is shown at."""
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

    class Canvas(FigureCanvasQTAgg):
        _draw_when_shown = False

        def draw_idle(self) -> None:
            if self.isVisible():
                super().draw_idle()
            else:
                self._draw_when_shown = True

        def showEvent(self, event) -> None:
            super().showEvent(event)
            if self._draw_when_shown:
                self._draw_when_shown = False
                super().draw_idle()

    return Canvas


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
            from matplotlib.figure import Figure

            # fixed margins: a layout engine would double the drawing time of every chart
            self._canvas = _canvas_class()(Figure(figsize=(8, 4.5)))
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
        figure = spec.figure()
        old = self.canvas
        self._canvas = _canvas_class()(figure)
        self._layout.replaceWidget(old, self._canvas)
        old.deleteLater()
        self._axes = None
        self._count = 0
        self._canvas.draw_idle()

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
