"""The Sync page's Conflicts and "Deleted while edited" tabs: what sync leaves for the team to decide."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.gui.models import Column
from lhn_desktop.gui.operations import Changed, run_op
from lhn_desktop.gui.pages.sync_send import GREEN
from lhn_desktop.gui.widgets import RecordsView, note

if TYPE_CHECKING:
    from lhn_desktop.gui.pages.sync import SyncPage
    from lhn_desktop.services.sync_review import Conflict, DeletedWhileEdited

#: Values beyond this many get no number key (Alt+number and 1-9 cover the usual two or three).
KEYED_VALUES = 9
NOTHING_DELETED = "Nothing waiting: no record was deleted while someone edited it."


def _short(text: str, limit: int = 60) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class ValueColumn(QGroupBox):
    """One of the values of a conflicting field: the text, where and when it was written, and a button to keep it."""

    def __init__(self, number: int, value, read_only: bool, parent: QWidget) -> None:
        title = f"Value {number}" + (": shown now" if value.shown_now else "")
        super().__init__(title, parent)
        layout = QVBoxLayout(self)
        self.text = QPlainTextEdit(value.text, self)
        self.text.setReadOnly(True)
        self.text.setTabChangesFocus(True)
        layout.addWidget(self.text, 1)
        self.origin = QLabel(f"Written on {value.workstation}, {value.when}", self)
        self.origin.setWordWrap(True)
        layout.addWidget(self.origin)
        keyed = number <= KEYED_VALUES
        self.keep = QPushButton(f"Keep value &{number}" if keyed else "Keep this value", self)
        if keyed:
            self.keep.setToolTip(f"Keep this value (key {number}, or Alt+{number})")
        self.keep.setEnabled(not read_only)
        layout.addWidget(self.keep)
        self.setMinimumWidth(220)


class ConflictsTab(QWidget):
    """Fields that two workstations changed at the same time: the values side by side, one to keep."""

    def __init__(self, page: SyncPage) -> None:
        super().__init__(page)
        self.page = page
        self.rows: list[Conflict] = []
        self.current: Conflict | None = None
        self._row = 0
        self.columns: list[ValueColumn] = []
        layout = QVBoxLayout(self)
        layout.addWidget(
            note(
                "When two workstations change the same field before they exchange bundles, both values are kept "
                "and one is shown, the same on every workstation. Choose the value to keep: your choice goes to "
                "the other workstations with the next bundle. Keys 1, 2, 3 keep the value in that column.",
                self,
            )
        )
        split = QSplitter(Qt.Orientation.Vertical, self)
        self.list = RecordsView(
            [
                Column("Kind", lambda c: c.kind),
                Column("Record", lambda c: c.record),
                Column("Field", lambda c: c.field_label),
                Column("Values", lambda c: len(c.values), True),
                Column("Shown now", lambda c: _short(next((v.text for v in c.values if v.shown_now), ""))),
                Column("Who decides", lambda c: "another center" if c.read_only else "this center"),
            ],
            split,
        )
        chooser = QWidget(split)
        chooser_layout = QVBoxLayout(chooser)
        chooser_layout.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel("", chooser)
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.RichText)
        chooser_layout.addWidget(self.heading)
        self.scroll = QScrollArea(chooser)
        self.scroll.setWidgetResizable(True)
        self.values_area = QWidget(self.scroll)
        self.values_layout = QHBoxLayout(self.values_area)
        self.values_layout.setContentsMargins(0, 0, 0, 0)
        self.scroll.setWidget(self.values_area)
        chooser_layout.addWidget(self.scroll, 1)
        split.addWidget(self.list)
        split.addWidget(chooser)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 2)
        layout.addWidget(split, 1)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.list.selectionModel().currentRowChanged.connect(lambda _c, _p: self._show())
        for n in range(1, KEYED_VALUES + 1):
            shortcut = QShortcut(QKeySequence(str(n)), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda n=n: self.keep(n - 1))

    def refresh(self) -> None:
        self.show_rows(self.page.review.conflicts(self.page.ctx.actor))

    def show_rows(self, rows: list[Conflict]) -> None:
        """Show these conflicts (read off the window thread by the page), keeping the one chosen if still open."""
        keep = (self.current.entity, self.current.record_id, self.current.field) if self.current else None
        self.rows = rows
        self.list.rows_model.set_rows(self.rows)
        # the same conflict again, or the one that took the place of a conflict just resolved
        index = next((i for i, c in enumerate(self.rows) if (c.entity, c.record_id, c.field) == keep), self._row)
        self.current = None
        if self.rows:
            self.list.selectRow(min(max(index, 0), len(self.rows) - 1))  # shows it
        if self.current is None:
            self._show()

    def _show(self) -> None:
        self.current = self.list.current_row() if self.rows else None
        if self.current is not None:
            self._row = self.list.currentIndex().row()
        for column in self.columns:
            self.values_layout.removeWidget(column)
            column.hide()
            column.deleteLater()
        self.columns = []
        c = self.current
        if c is None:
            self.heading.setText(
                "<b>No conflicts.</b> When two workstations change the same field before exchanging bundles, the "
                "field is listed here for you to choose."
            )
            return
        text = f"<b>{escape(c.kind)} “{escape(c.record)}”: {escape(c.field_label)}</b>, {len(c.values)} values."
        if c.read_only:
            text += (
                " This record belongs to another center: only that center can choose. The value shown now stays "
                "until their choice arrives in a bundle."
            )
        else:
            text += " Keep one; the others are set aside on every workstation."
        self.heading.setText(text)
        for number, value in enumerate(c.values, start=1):
            column = ValueColumn(number, value, c.read_only, self.values_area)
            column.keep.clicked.connect(lambda _checked=False, i=number - 1: self.keep(i))
            self.values_layout.addWidget(column, 1)
            column.show()  # at once, so that its Alt+number works straight away
            self.columns.append(column)

    def keep(self, index: int) -> None:
        c = self.current
        if c is None or c.read_only or not 0 <= index < len(c.values):
            return
        value = c.values[index]

        def kept(_result: object) -> None:
            self.status.setText(
                f"<span style='color:{GREEN}'>Kept</span> “{escape(_short(value.text))}” for {escape(c.kind)} "
                f"“{escape(c.record)}” ({escape(c.field_label)}). The other workstations get this choice with the "
                "next bundle."
            )
            self.list.setFocus()

        # a kept value changes a record anywhere in the program: every page that shows one reloads
        run_op(self, lambda: self.page.review.resolve(self.page.ctx.actor, c.entity, c.record_id, c.field, value.value),
               changes=Changed.EVERYTHING, done=kept, failed=lambda _exc: self.refresh())  # fmt: skip


class DeletedTab(QWidget):
    """Records deleted on one workstation while someone edited them on another: restore or keep deleted."""

    def __init__(self, page: SyncPage) -> None:
        super().__init__(page)
        self.page = page
        self.rows: list = []
        layout = QVBoxLayout(self)
        layout.addWidget(
            note(
                "A record deleted on one workstation while someone edited it on another stays hidden, with the "
                "edits kept. Restore it with the edits, or keep it deleted; the choice goes to the other "
                "workstations with the next bundle.",
                self,
            )
        )
        self.list = RecordsView(
            [
                Column("Kind", lambda d: d.kind),
                Column("Record", lambda d: d.record),
                Column("Deleted on", lambda d: d.deleted_by),
                Column("Deleted at", lambda d: d.deleted_when),
                Column("Edited afterwards", lambda d: ", ".join(d.edited_fields)),
                Column("Edited on", lambda d: d.edited_by),
                Column("Edited at", lambda d: d.edited_when),
            ],
            self,
        )
        layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.restore_button = QPushButton("Restore with the &edits", self)
        self.restore_button.clicked.connect(self.restore)
        self.delete_button = QPushButton("Keep de&leted", self)
        self.delete_button.clicked.connect(self.keep_deleted)
        row.addWidget(self.restore_button)
        row.addWidget(self.delete_button)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        row.addWidget(self.status, 1)
        layout.addLayout(row)

    def refresh(self) -> None:
        self.show_rows(self.page.review.deleted_while_edited(self.page.ctx.actor))

    def show_rows(self, rows: list[DeletedWhileEdited]) -> None:
        """Show these records (read off the window thread by the page)."""
        self.rows = rows
        self.list.rows_model.set_rows(self.rows)
        self.list.select_first()
        for button in (self.restore_button, self.delete_button):
            button.setEnabled(bool(self.rows))
        if not self.rows and not self.status.text():
            self.status.setText(NOTHING_DELETED)
        elif self.rows and self.status.text() == NOTHING_DELETED:
            self.status.clear()

    def _decide(self, restore: bool) -> None:
        d = self.list.current_row()
        if d is None:
            return
        actor, review = self.page.ctx.actor, self.page.review
        decide = review.restore if restore else review.confirm_delete
        what = "restored with the edits" if restore else "kept deleted"

        def decided(_result: object) -> None:
            self.status.setText(f"{d.kind} “{d.record}” {what}.")
            self.list.setFocus()

        run_op(self, lambda: decide(actor, d.entity, d.record_id), changes=Changed.EVERYTHING, done=decided,
               failed=lambda _exc: self.refresh())  # fmt: skip

    def restore(self) -> None:
        self._decide(True)

    def keep_deleted(self) -> None:
        self._decide(False)
