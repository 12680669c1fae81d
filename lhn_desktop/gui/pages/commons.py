"""Commons: tools and lessons shared in the network."""

from __future__ import annotations

from html import escape

from PySide6.QtWidgets import QSplitter

from lhn_desktop.gui.models import Column
from lhn_desktop.gui.pages.base import Page
from lhn_desktop.gui.widgets import RecordsView, detail_pane

KINDS = {
    "tool": "Tool or form",
    "pdsa_writeup": "PDSA write-up",
    "change_idea": "Change idea",
    "slide_deck": "Slide deck",
    "newsletter": "Newsletter",
    "story": "Story",
    "video_link": "Video link",
}


class CommonsPage(Page):
    title = "Commons"
    explanation = (
        "Tools and lessons recorded in this center's commons. Full-text search, adopting and adapting with "
        "provenance, attachments and sharing with other centers through the network are added with the "
        "knowledge-commons work."
    )

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        splitter = QSplitter(self)
        self.table = RecordsView(
            [
                Column("Title", lambda r: r.title),
                Column("Kind", lambda r: KINDS.get(r.kind, r.kind)),
                Column("Contributor", lambda r: r.contributor_role),
                Column("Center", lambda r: r.contributing_site),
                Column("Published", lambda r: r.published_on),
                Column("Adopted", lambda r: r.adoptions, True),
            ],
            splitter,
        )
        self.model = self.table.rows_model
        self.summary = detail_pane(splitter)
        splitter.addWidget(self.table)
        splitter.addWidget(self.summary)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        self.layout_.addWidget(splitter, 1)
        self.table.selectionModel().currentRowChanged.connect(lambda _c, _p: self._show())

    def refresh(self) -> None:
        rows = self.ctx.overview.resources()
        self.model.set_rows(rows)
        self.table.select_first()
        if not rows:
            self.summary.setText("No resources have been added to this center's commons yet.")

    def _show(self) -> None:
        r = self.table.current_row()
        if r is not None:
            self.summary.setText(f"<b>{escape(r.title)}</b><br><br>{escape(r.summary)}")
