"""Improvement: the center's 90-day goals and the PDSA cycles testing their change ideas."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QSplitter, QTreeWidget, QTreeWidgetItem

from lhn_desktop.gui.pages.base import Page
from lhn_desktop.gui.widgets import detail_pane

DECISIONS = {"adopt": "Adopt", "adapt": "Adapt", "abandon": "Abandon"}


class ImprovementPage(Page):
    title = "Improvement"
    explanation = (
        "The center's 90-day goals with their PDSA cycles, as recorded. Writing and editing goals, the key driver "
        "diagram, the full PDSA worksheet with predictions beside results, ramps, method hints and progress "
        "scoring are added with the improvement work."
    )

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        splitter = QSplitter(self)
        self.tree = QTreeWidget(splitter)
        self.tree.setHeaderLabels(["Goal or PDSA cycle", "Dates or scale", "Status", "Decision", "Progress score"])
        self.tree.setAlternatingRowColors(True)
        self.detail = detail_pane(splitter)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        self.layout_.addWidget(splitter, 1)
        self.tree.currentItemChanged.connect(lambda cur, _p: self._show(cur))

    def refresh(self) -> None:
        self.tree.clear()
        goals = self.ctx.overview.improvement()
        for g in goals:
            item = QTreeWidgetItem(
                [g.title, f"{g.start_date} to {g.end_date}", g.status.replace("_", " "), "", g.progress_score or ""]
            )
            item.setData(0, 256, g)
            for c in g.cycles:
                QTreeWidgetItem(
                    item,
                    [
                        f"Cycle {c.seq}: {c.title}",
                        c.scale,
                        c.status.replace("_", " "),
                        DECISIONS.get(c.act_decision or "", ""),
                    ],
                )
            self.tree.addTopLevelItem(item)
            item.setExpanded(True)
        for col in range(self.tree.columnCount()):
            self.tree.resizeColumnToContents(col)
        if goals:
            self.tree.setCurrentItem(self.tree.topLevelItem(0))
        else:
            self.detail.setText("No 90-day goals have been recorded for this center yet.")

    def _show(self, item: QTreeWidgetItem | None) -> None:
        while item is not None and item.parent() is not None:
            item = item.parent()
        goal = item.data(0, 256) if item is not None else None
        if goal is not None:
            cycles = (
                f"{len(goal.cycles)} PDSA cycle{'s' if len(goal.cycles) != 1 else ''}"
                if goal.cycles
                else "no PDSA cycles yet"
            )
            score = f"<br><b>Progress score</b>: {goal.progress_score}" if goal.progress_score else ""
            self.detail.setText(
                f"<b>{escape(goal.title)}</b><br><br><b>Aim</b><br>{escape(goal.aim)}<br><br>"
                f"<b>Dates</b>: {goal.start_date} to {goal.end_date}<br><b>Tests of change</b>: {cycles}{score}"
            )
