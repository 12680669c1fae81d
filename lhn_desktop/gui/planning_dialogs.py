"""Dialogs of the huddle: the family's agenda item as the team heard it, and the plan's notes and status."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QWidget

from lhn_desktop.gui.forms import FormDialog
from lhn_desktop.gui.operations import Changed
from lhn_desktop.services.planning import AGENDA_KINDS, AGENDA_SOURCES, PLAN_STATUSES
from lhn_desktop.services.schedule import VISIT_TYPES


class AgendaItemDialog(FormDialog):
    changes = Changed.PLANS

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


class PlanNotesDialog(FormDialog):
    changes = Changed.PLANS

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


def _date_edit(parent: QWidget, day):
    from lhn_desktop.gui.clinical_widgets import DayEdit

    return DayEdit(day, parent)


class AddVisitDialog(FormDialog):
    """A visit added by hand: the patient by MRN, the date, time, clinician and visit type."""

    changes = Changed.VISITS

    def __init__(self, ctx, day, parent: QWidget | None = None) -> None:
        super().__init__("Add a visit", "Schedule a patient by hand (the EHR export can still be imported later).",
                         parent)  # fmt: skip
        self.ctx = ctx
        self.mrn = self.row("&MRN:", QLineEdit(self))
        self.mrn.setPlaceholderText("the patient's MRN, exactly")
        self.day = self.row("&Date:", _date_edit(self, day))
        self.time = self.row("&Time:", QLineEdit(self))
        self.time.setPlaceholderText("e.g. 09:30 or 2:15 PM")
        self.clinician = self.row("&Clinician:", QLineEdit(self))
        self.visit_type = self.row("Visit &type:", QComboBox(self))
        self.visit_type.setEditable(True)
        self.visit_type.addItems([t for t in VISIT_TYPES if t != "Unscheduled"])  # booked ahead: not unscheduled
        self.visit_id: str | None = None

    def save(self) -> None:
        patient_id = self.ctx.registry.find_mrn(self.ctx.actor, self.mrn.text())  # the message never repeats it
        self.visit_id = self.ctx.schedule.add_visit(self.ctx.actor, patient_id, self.day.day(),
                                                    self.time.text(), self.clinician.text(),
                                                    self.visit_type.currentText())  # fmt: skip


class MoveVisitDialog(FormDialog):
    changes = Changed.VISITS

    def __init__(self, ctx, row, day, parent: QWidget | None = None) -> None:
        super().__init__(f"Move the visit: {row.patient_name}", "Choose the new date and time.", parent)
        self.ctx, self.huddle_row = ctx, row
        self.day = self.row("&Date:", _date_edit(self, day))
        self.time = self.row("&Time:", QLineEdit(row.time or "", self))

    def save(self) -> None:
        self.ctx.schedule.move_visit(self.ctx.actor, self.huddle_row.visit_id, self.day.day(),
                                     self.time.text())  # fmt: skip
