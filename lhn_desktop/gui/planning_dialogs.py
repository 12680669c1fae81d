"""Dialogs of the huddle: the family's agenda item as the team heard it, and the plan's notes and status."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QWidget

from lhn_desktop.gui.measure_dialogs import _FormDialog
from lhn_desktop.services.planning import AGENDA_KINDS, AGENDA_SOURCES, PLAN_STATUSES


class AgendaItemDialog(_FormDialog):
    def __init__(self, ctx, row, parent: QWidget | None = None) -> None:
        super().__init__(
            f"Agenda item: {row.patient_name}",
            "What the family wants to talk about at the visit, in their words, as the team heard it.",
            parent,
        )
        self.ctx, self.huddle_row = ctx, row
        self.kind = self.row("&Kind:", QComboBox(self))
        for key, label in AGENDA_KINDS.items():
            self.kind.addItem(label, key)
        self.text = self.row("&Their words:", QLineEdit(self))
        self.text.setMaxLength(500)
        self.text.setPlaceholderText("e.g. Going to summer camp in July")
        self.source = self.row("&Heard by:", QComboBox(self))
        for source in AGENDA_SOURCES:
            self.source.addItem(source, source)

    def save(self) -> None:
        row = self.huddle_row
        self.ctx.planning.add_agenda_item(self.ctx.actor, row.patient_id, self.kind.currentData(), self.text.text(),
                                          self.source.currentData(), row.visit_id)  # fmt: skip


class PlanNotesDialog(_FormDialog):
    def __init__(self, ctx, row, parent: QWidget | None = None) -> None:
        super().__init__(
            f"Pre-visit plan: {row.patient_name}",
            "Free notes for the visit (labs to order, who joins, an interpreter) and where the plan stands.",
            parent,
        )
        self.ctx, self.huddle_row = ctx, row
        self.status = self.row("&Plan:", QComboBox(self))
        for key, label in PLAN_STATUSES.items():
            self.status.addItem(label, key)
        self.status.setCurrentIndex(self.status.findData(row.plan_status))
        self.notes = self.row("&Notes:", QPlainTextEdit(row.plan_notes or "", self))
        self.notes.setTabChangesFocus(True)
        self.notes.setFixedHeight(110)

    def save(self) -> None:
        self.ctx.planning.set_plan_status(self.ctx.actor, self.huddle_row.visit_id, self.status.currentData(),
                                          notes=self.notes.toPlainText())  # fmt: skip
