"""Compare centers: one measure's funnel plot and table of centers (and, at the coordinating center, every center's
chart and the center-by-month table), for a month or a period chosen at the top."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.errors import LhnError
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.models import Column
from lhn_desktop.gui.widgets import RecordsView
from lhn_desktop.localization import stored_month


def _canvas(figure):
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

    return FigureCanvasQTAgg(figure)


class NetworkDialog(QDialog):
    """One measure across the network's centers; no league table: the funnel says who differs by more than chance."""

    def __init__(self, ctx, measure, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.measure = ctx, measure
        self.comparison = None
        self.setWindowTitle(f"Compare centers: {measure.title}")
        self.resize(1000, 760)
        layout = QVBoxLayout(self)
        self.intro = QLabel(self)
        self.intro.setWordWrap(True)
        layout.addWidget(self.intro)
        row = QHBoxLayout()
        self.first = QComboBox(self)
        self.last = QComboBox(self)
        for text, box in (("&From:", self.first), ("&To:", self.last)):
            label = QLabel(text, self)
            label.setBuddy(box)
            row.addWidget(label)
            row.addWidget(box)
        row.addStretch(1)
        layout.addLayout(row)
        self.tabs = QTabWidget(self)
        layout.addWidget(self.tabs, 1)
        self.funnel_page = QWidget(self)
        self.funnel_layout = QVBoxLayout(self.funnel_page)
        self.tabs.addTab(self.funnel_page, "&Funnel plot")
        self.table = RecordsView(
            [
                Column("Center", lambda r: r[0]),
                Column("Numerator", lambda r: r[1], True),
                Column("Denominator", lambda r: r[2], True),
                Column("Rate", lambda r: r[3], True),
                Column("", lambda r: r[4]),
            ],
            self,
        )
        self.tabs.addTab(self.table, "Centers' &numbers")
        self.charts_page: QWidget | None = None
        self.months_table: RecordsView | None = None
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=self)
        self.export_button = QPushButton("&Export funnel…", self)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.export_button.clicked.connect(self.export)
        layout.addWidget(buttons)
        self._fill_months()
        self.first.currentIndexChanged.connect(lambda _i: self.show_period())
        self.last.currentIndexChanged.connect(lambda _i: self.show_period())
        self.show_period()

    @property
    def at_coordinator(self) -> bool:
        return self.ctx.network.at_coordinator

    def _fill_months(self) -> None:
        months = self.ctx.network.months(self.measure.code)
        for box in (self.first, self.last):
            box.blockSignals(True)
            for month in months:
                box.addItem(stored_month(month), month)
            box.setCurrentIndex(len(months) - 1)
            box.setEnabled(bool(months))  # nothing to choose until the network's figures arrive (said below them)
            box.blockSignals(False)
        where = (
            "every center's values as they arrived"
            if self.at_coordinator
            else "your center's own values beside what the coordinating center sent back (other centers under a "
            "code unless they chose to be named; counts from 1 to 10 hidden)"
        )
        self.intro.setText(
            f"<b>{self.measure.title}</b>: {where}. Each dot is a center, placed by how many it counted; a dot "
            "outside the dashed lines differs from the network by more than chance (99.8% limits). Measures that "
            "count visits or responses add up the months of a period; measures that count patients use its last month."
        )

    def show_period(self) -> None:
        first, last = self.first.currentData(), self.last.currentData()
        self._clear_funnel()
        try:
            if first is None:
                raise LhnError(self.ctx.network.nothing_yet(self.measure.code))
            self.comparison = self.ctx.network.compare(self.measure.code, first, last)
        except LhnError as exc:
            self.comparison = None
            self.message.setText(str(exc))
            self.funnel_layout.addWidget(self.message)
            self.message.show()
            self.table.rows_model.set_rows([])
            self.export_button.setEnabled(False)
            return
        self.table.rows_model.set_rows(self.comparison.table_rows())
        if self.comparison.continuous:
            self.message.setText("A median or mean is compared in the table: a funnel plot compares proportions.")
            self.funnel_layout.addWidget(self.message)
            self.message.show()
            self.export_button.setEnabled(False)
        else:
            canvas = _canvas(self.ctx.network.funnel_figure(self.comparison))
            canvas.setObjectName("funnel")
            self.funnel_layout.addWidget(canvas)
            self.export_button.setEnabled(True)
        if self.at_coordinator:
            self._coordinator_tabs()

    def _clear_funnel(self) -> None:
        while self.funnel_layout.count():
            item = self.funnel_layout.takeAt(0)
            widget = item.widget()
            if widget is not None and widget is not self.message:
                widget.deleteLater()
        self.message.hide()

    def _coordinator_tabs(self) -> None:
        """Every center's chart and the center-by-month table: at the coordinating center, which holds them."""
        if self.charts_page is None:
            self.charts_page = _canvas(self.ctx.network.center_charts(self.measure.code).figure())
            self.tabs.addTab(self.charts_page, "Every center's &chart")
        table = self.ctx.network.center_months(self.measure.code)
        columns = [Column("Center", lambda r: r[0])]
        for k, month in enumerate(table.months):
            columns.append(Column(stored_month(month), lambda r, k=k: r[k + 1], True))
        rows = [(site, *(_cell(by_month.get(m), table.measure) for m in table.months))
                for site, by_month in table.rows.items()]  # fmt: skip
        if self.months_table is None:
            self.months_table = RecordsView(columns, self)
            self.tabs.addTab(self.months_table, "By &month")
        self.months_table.rows_model.columns = columns
        self.months_table.rows_model.set_rows(rows)

    def export(self) -> None:
        from lhn_desktop.gui.files import ask_chart_path

        if self.comparison is None:
            return
        path = ask_chart_path(self, f"{self.measure.title} funnel", self.ctx.today(), csv=False)
        if path:
            try:
                self.ctx.network.render_funnel(self.comparison, path)
            except LhnError as exc:
                show_error(self, exc)


def _cell(value, measure) -> str:
    if value is None:
        return ""
    numerator, denominator, reading = value
    if measure.continuous:
        return "" if reading is None else f"{reading:g}"
    return f"{numerator}/{denominator}" if denominator else "–"
