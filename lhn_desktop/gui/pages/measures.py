"""Measures: the measure library with the monthly values recorded for this center."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter

from lhn_desktop.gui.models import Column
from lhn_desktop.gui.pages.base import Page
from lhn_desktop.gui.widgets import RecordsView


def percent(num: int, den: int | None) -> str:
    return f"{100 * num / den:.0f}%" if den else ""


def _latest(m):
    return m.months[-1] if m.months else None


class MeasuresPage(Page):
    title = "Measures"
    explanation = (
        "The measures this center tracks, with the monthly numerators and denominators recorded. Choose a measure "
        "to see its months. Run and control charts with their rules, baselines, phases and PDSA annotations, and "
        "monthly values computed or entered here, are added with the measures work."
    )

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        splitter = QSplitter(self)
        self.table = RecordsView(
            [
                Column("Measure", lambda m: m.title),
                Column("Better when", lambda m: "higher" if m.direction == "up" else "lower"),
                Column("Target", lambda m: f"{m.target}%" if m.target else ""),
                Column("Latest month", lambda m: _latest(m)[0] if m.months else ""),
                Column("Latest", lambda m: percent(_latest(m)[1], _latest(m)[2]) if m.months else "", True),
                Column("Months", lambda m: len(m.months), True),
            ],
            splitter,
        )
        self.model = self.table.rows_model
        self.months = RecordsView(
            [
                Column("Month", lambda r: r[0]),
                Column("Numerator", lambda r: r[1], True),
                Column("Denominator", lambda r: r[2], True),
                Column("Percent", lambda r: percent(r[1], r[2]), True),
            ],
            splitter,
        )
        self.months_model = self.months.rows_model
        splitter.addWidget(self.table)
        splitter.addWidget(self.months)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([560, 460])
        self.layout_.addWidget(splitter, 1)
        self.table.selectionModel().currentRowChanged.connect(lambda _c, _p: self._show_months())

    def refresh(self) -> None:
        self.model.set_rows(self.ctx.overview.measures())
        self.table.select_first()
        self._show_months()

    def _show_months(self) -> None:
        m = self.table.current_row()
        self.months_model.set_rows(list(m.months) if m else [])
        self.months.sortByColumn(0, Qt.SortOrder.DescendingOrder)
