"""Commons: find, adopt and adapt the network's tools and lessons; who is who; how the commons is used."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QTabWidget,
    QWidget,
)

from lhn_desktop.gui.chart_view import ChartView
from lhn_desktop.gui.forms import FormDialog
from lhn_desktop.gui.models import Column
from lhn_desktop.gui.operations import Changed, reported, run_op, run_query
from lhn_desktop.gui.pages.base import Page
from lhn_desktop.gui.widgets import FirstColumnRoom, RecordsView, detail_pane, page_actions
from lhn_desktop.services.commons import CONTRIBUTOR_ROLES, KINDS, LEVEL_NAMES, LEVELS
from lhn_desktop.services.team import ROLE_CHOICES

#: the team's roles as people name them ("QI lead", "Parent partner")
TEAM_ROLES = dict(ROLE_CHOICES)
ROLE_NAMES = {"clinician": "Clinician", "improver": "Improver", "parent": "Parent", "patient": "Patient"}


class ResourceDialog(FormDialog):
    changes = Changed.COMMONS

    def __init__(self, ctx, parent=None) -> None:
        super().__init__("New resource", "A tool, lesson or story for the commons. No patient information.", parent)
        self.ctx = ctx
        self.title_ = self.row("&Title:", QLineEdit(self))
        self.kind = self.row("&Kind:", QComboBox(self))
        for key, label in KINDS.items():
            self.kind.addItem(label, key)
        self.summary = self.row("&Summary:", QPlainTextEdit(self))
        self.summary.setTabChangesFocus(True)
        self.summary.setFixedHeight(60)
        self.tags = self.row("T&ags:", QLineEdit(self))
        self.tags.setPlaceholderText("key drivers or measures, separated by commas")
        self.role = self.row("&Contributed by a:", QComboBox(self))
        for key in CONTRIBUTOR_ROLES:
            self.role.addItem(ROLE_NAMES[key], key)
        self.licence = self.row("&Licence or permission:", QLineEdit(self))
        self.attachment = self.row("Attac&hment:", QLineEdit(self))
        self.attachment.setPlaceholderText("a file path (optional, at most 20 MB)")
        self.resource_id: str | None = None

    def save(self) -> None:
        self.resource_id = self.ctx.commons.add_resource(
            self.ctx.actor, title=self.title_.text(), kind=self.kind.currentData(),
            summary=self.summary.toPlainText(), tags=self.tags.text(), contributor_role=self.role.currentData(),
            licence=self.licence.text(), attachment=self.attachment.text().strip() or None,
        )  # fmt: skip


class AdaptDialog(FormDialog):
    changes = Changed.COMMONS

    def __init__(self, ctx, detail, parent=None) -> None:
        super().__init__("Adapt for this center", "A local copy that keeps the link to the original.", parent)
        self.ctx, self.detail = ctx, detail
        self.title_ = self.row("&Title:", QLineEdit(f"{detail.row.title} (adapted)", self))
        self.changed = self.row("&What you changed:", QPlainTextEdit(self))
        self.changed.setTabChangesFocus(True)
        self.resource_id: str | None = None

    def save(self) -> None:
        self.resource_id = self.ctx.commons.adapt(self.ctx.actor, self.detail.row.id, title=self.title_.text(),
                                                  what_changed=self.changed.toPlainText())  # fmt: skip


#: how long a resource stays shown before it counts as looked at
LOOKED_AT_MS = 3000


class CommonsPage(Page):
    title = "Commons"
    explanation = (
        "Tools and lessons from this center and the network. Type to search titles, summaries, tags and text "
        "attachments; Adopt records that your center uses a resource; Adapt makes a local copy that keeps its "
        "origin and says what changed. Resources from other centers are read-only."
    )
    shows = Changed.COMMONS | Changed.IMPROVEMENT | Changed.TEAM

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        self.actions_, tools = page_actions(self, (
            ("new", "New resource…", "Ctrl+Shift+N", self.new_resource),
            ("adopt", "Adopt", "Ctrl+Shift+O", self.adopt),
            ("adapt", "Adapt…", "Ctrl+Shift+A", self.adapt),
            ("open", "Save attachment…", None, self.save_attachment),
        ))  # fmt: skip
        bar = QHBoxLayout()
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search the commons (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.kind = QComboBox(self)
        self.kind.addItem("All kinds", None)
        for key, label in KINDS.items():
            self.kind.addItem(label, key)
        self.local = QCheckBox("&Only this center's", self)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.kind)
        bar.addWidget(self.local)
        bar.addWidget(tools)
        self.layout_.addLayout(bar)
        self.tabs = QTabWidget(self)
        split = QSplitter(self.tabs)
        self.table = RecordsView(
            [
                Column("Title", lambda r: r.title),
                Column("Kind", lambda r: KINDS.get(r.kind, r.kind)),
                Column("By", lambda r: ROLE_NAMES.get(r.contributor_role or "", r.contributor_role or "")),
                Column("Center", lambda r: r.contributing_site),
                Column("Published", lambda r: r.published_on),
                Column("Adopted", lambda r: r.adoptions, True),
            ],
            split,
        )
        self.model = self.table.rows_model
        # the other columns keep their contents' width, always in view (Adopted was past the list's right edge)
        self.columns_room = FirstColumnRoom(self.table, self.table.horizontalHeader())
        self.detail = detail_pane(split)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.tabs.addTab(split, "&Resources")
        people = QWidget(self.tabs)
        people_split = QSplitter(people)
        self.cards = RecordsView(
            [
                Column("Who", lambda c: c.name),
                Column("Role", lambda c: TEAM_ROLES.get(c.role, c.role)),
                Column("About", lambda c: c.profile or ""),
                Column("Shared", lambda c: c.produced, True),
                Column("Adopted", lambda c: c.adopted, True),
            ],
            people_split,
        )
        engagement = QSplitter(Qt.Orientation.Vertical, people_split)
        self.engagement = RecordsView(
            [
                Column("Month", lambda m: m.month),
                *(Column(LEVEL_NAMES[level], lambda m, level=level: m.count(level), True) for level in LEVELS),
                Column("By role", lambda m: "; ".join(f"{r.replace('_', ' ')} {n}" for r, n in
                                                      sorted(m.by_role().items()))),
            ],
            engagement,
        )  # fmt: skip
        self.engagement.setToolTip(
            "Each person counts once a month, at the highest level they reached: aware (looked at a resource), "
            "taking part (adopted one, or worked on a 90-day goal), contributing (adapted or improved a resource, "
            "worked a step of a PDSA ramp), owning (created a resource, started a ramp, led a goal)."
        )
        self.engagement_chart = ChartView(engagement)
        engagement.addWidget(self.engagement)
        engagement.addWidget(self.engagement_chart)
        engagement.setStretchFactor(0, 2)
        engagement.setStretchFactor(1, 3)
        layout = QHBoxLayout(people)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(people_split)
        self.tabs.addTab(people, "&Who's who and engagement")
        self.layout_.addWidget(self.tabs, 1)
        # a resource shown for a few seconds has been looked at: noted once a day (the awareness of engagement)
        self._looked = QTimer(self)
        self._looked.setSingleShot(True)
        self._looked.setInterval(LOOKED_AT_MS)
        self._looked.timeout.connect(self._note_view)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(120)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.kind.currentIndexChanged.connect(lambda _i: self.refresh())
        self.local.toggled.connect(lambda _b: self.refresh())
        self.table.selectionModel().currentRowChanged.connect(lambda _c, _p: self._show())
        self._choose(None)
        find = QShortcut(QKeySequence.StandardKey.Find, self)
        find.activated.connect(self.search.setFocus)
        find.setWhatsThis("Search the commons")

    def data_changed(self, changes: Changed) -> None:
        self.refresh(keep=self.current.row.id if self.current is not None else None)  # the same resource chosen

    def refresh(self, keep: str | None = None) -> None:
        rows = self.ctx.commons.search(self.search.text(), kind=self.kind.currentData(),
                                       local_only=self.local.isChecked())  # fmt: skip
        self.model.set_rows(rows)
        index = next((k for k, r in enumerate(rows) if r.id == keep), 0)
        if rows:
            self.table.selectRow(index)
        else:
            self._choose(None)
            self.detail.setText("Nothing matches. Try fewer words." if self.search.text().strip()
                                else "The commons is empty. New resource adds the first one.")  # fmt: skip
        self.cards.rows_model.set_rows(self.ctx.commons.profile_cards())
        today = self.ctx.today()
        months = []
        y, m = today.year, today.month
        for _ in range(12):
            months.append(f"{y:04d}-{m:02d}")
            y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        commons = self.ctx.commons

        def read():
            rows = commons.engagement(months)
            return rows, commons.engagement_chart(rows)

        def show(found) -> None:
            rows, chart = found
            self.engagement.rows_model.set_rows(rows)
            self.engagement_chart.show_figure(chart)

        run_query(self, read, done=show)

    def _note_view(self) -> None:
        if self.current is not None and self.isVisible() and self.tabs.currentIndex() == 0:
            resource_id = self.current.row.id
            run_op(self, lambda: self.ctx.commons.record_view(self.ctx.actor, resource_id))

    def _show(self) -> None:
        row = self.table.current_row()
        if row is None:
            return
        d = self.ctx.commons.get(row.id)
        self._choose(d)
        self._looked.start()
        r = d.row
        parts = [f"<b>{escape(r.title)}</b> · {escape(KINDS.get(r.kind, r.kind))} · version {d.version}",
                 escape(r.summary).replace("\n", "<br>")]  # fmt: skip
        meta = [f"from {escape(r.contributing_site or 'this center')}"]
        if r.contributor_role:
            meta.append(f"shared by a {escape(ROLE_NAMES.get(r.contributor_role, r.contributor_role).lower())}")
        if r.tags:
            meta.append("tags: " + escape(", ".join(t.strip() for t in r.tags.split(",") if t.strip())))
        if d.licence:
            meta.append(f"licence: {escape(d.licence)}")
        parts.append(" · ".join(meta))
        if d.adapted_from:
            origin = d.adapted_from
            changed = f": {escape(d.what_changed)}" if d.what_changed else ""
            parts.append(
                f"<b>Adapted from</b> {escape(origin.title)} ({escape(origin.contributing_site or '')}){changed}"
            )
        if d.adaptations:
            parts.append("<b>Adapted as</b> " + "; ".join(escape(a.title) for a in d.adaptations))
        if d.attachment_name:
            parts.append(f"<b>Attachment</b>: {escape(d.attachment_name)} ({(d.attachment_bytes or 0) / 1024:.0f} KB)")
        parts.append(
            ("Not adopted yet." if not r.adoptions else f"Adopted {r.adoptions} time{'s' if r.adoptions != 1 else ''}.")
            + ("" if r.local else " Read-only here: it belongs to another center.")
        )
        if d.body:
            parts.append(escape(d.body).replace("\n", "<br>"))
        self.detail.setText("<br><br>".join(parts))

    def _choose(self, d) -> None:
        """The resource shown (None: none), and the actions that need one enabled only with one."""
        self.current = d
        self.actions_["adopt"].setEnabled(d is not None)
        self.actions_["adapt"].setEnabled(d is not None)
        self.actions_["open"].setEnabled(d is not None and bool(d.attachment_name))

    def new_resource(self) -> None:
        dialog = ResourceDialog(self.ctx, self)
        if dialog.exec():
            self.refresh(keep=dialog.resource_id)

    def adopt(self) -> None:
        if self.current is None:
            return
        resource = self.current.row.id
        run_op(self, lambda: self.ctx.commons.adopt(self.ctx.actor, resource), changes=Changed.COMMONS)

    def adapt(self) -> None:
        if self.current is None:
            return
        dialog = AdaptDialog(self.ctx, self.current, self)
        if dialog.exec():
            self.refresh(keep=dialog.resource_id)

    def save_attachment(self) -> None:
        if self.current is None or not self.current.attachment_name:
            return
        with reported(self) as step:
            self.ctx.commons.attachment(self.current.row.id)  # not here yet, or damaged: said before asking where
        if not step.ok:
            return
        from lhn_desktop.gui.files import remember_folder, start_folder

        offered = start_folder("attachments") / self.current.attachment_name
        path, _ = QFileDialog.getSaveFileName(self, "Save the attachment", str(offered))
        if path:
            remember_folder("attachments", path)
            resource = self.current.row.id
            run_query(self, lambda: self.ctx.commons.save_attachment(resource, path),
                      done=lambda saved: self.say(f"Saved to {saved}."))  # fmt: skip
