"""What the Patients page does with its keys: register, edit, schedule, record a visit, correct, history."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from lhn_desktop.gui.operations import reported

#: (key, text, shortcut, method name) of the Patients page's tool bar.
PATIENT_ACTIONS = (
    ("new", "New patient…", "Ctrl+Shift+N", "new_patient"),
    ("edit", "Edit patient…", "Ctrl+Shift+I", "edit_patient"),
    ("schedule", "Schedule visit…", "Ctrl+Shift+V", "schedule_visit"),
    ("visit", "Record visit…", "Ctrl+R", "record_visit"),
    ("correct", "Correct…", "Ctrl+Shift+C", "correct"),
    ("history", "History…", "Ctrl+Shift+H", "history"),
)


class PatientActions:
    """Mixed into the Patients page: each action opens its form; a saved form announces what it changed, and the
    page shows the patient again (``PatientsPage.data_changed``)."""

    def _patient_id(self) -> str | None:
        pid = self.detail.patient_id
        if pid is None:
            QMessageBox.information(self, "Choose a patient", "Choose a patient in the list first.")
        return pid

    def _reload(self, patient_id: str) -> None:
        tab = self.detail.tabs.currentIndex()
        self.refresh()
        self.show_patient(patient_id)
        self.detail.tabs.setCurrentIndex(tab)

    def new_patient(self) -> None:
        from lhn_desktop.gui.patient_dialog import PatientDialog

        dialog = PatientDialog(self.ctx, self)
        if dialog.exec() and dialog.saved_id:
            self._reload(dialog.saved_id)  # the new patient shown (the list already has them)
            self.table.setFocus()

    def edit_patient(self) -> None:
        from lhn_desktop.gui.patient_dialog import PatientDialog

        pid = self._patient_id()
        if pid is None:
            return
        PatientDialog(self.ctx, self, patient_id=pid).exec()  # saved, it announces the change: this page reloads

    def schedule_visit(self) -> None:
        from lhn_desktop.gui.planning_dialogs import AddVisitDialog

        pid = self._patient_id()
        if pid is None:
            return
        dialog = AddVisitDialog(self.ctx, self.ctx.today(), self)
        dialog.mrn.setText(self.detail.fields["mrn"].text())
        dialog.day.setFocus()
        dialog.exec()

    def record_visit(self) -> None:
        from lhn_desktop.gui.visit_dialog import VisitDialog

        pid = self._patient_id()
        if pid is None:
            return
        with reported(self) as step:
            dialog = VisitDialog(self.ctx, pid, self.ctx.today(), self)
        if step.ok:
            dialog.exec()

    def _selected(self):
        """(kind, row) of the entry chosen on the current tab, or (None, None)."""
        d = self.detail
        for view, kind in ((d.observations, "observation"), (d.medications, "medication"), (d.events, "event"),
                           (d.visits, "visit")):  # fmt: skip
            if d.tabs.currentWidget() is view:
                return kind, view.current_row()
        return None, None

    def correct(self) -> None:
        from lhn_desktop.gui import correction_dialogs as dialogs

        pid = self._patient_id()
        if pid is None:
            return
        kind, row = self._selected()
        if row is None:
            QMessageBox.information(
                self, "Choose what to correct",
                "Open All observations, Medications, Screening and vaccines or Visits (Alt and the underlined "
                "letter), choose the entry with the arrow keys, then press Ctrl+Shift+C.",
            )  # fmt: skip
            return
        dialog = None
        with reported(self):
            if kind == "observation":
                dialog = dialogs.ObservationCorrectionDialog(self.ctx, row, self)
            elif kind == "medication":
                dialog = dialogs.MedicationCorrectionDialog(self.ctx, row, self)
            elif kind == "event":
                dialog = dialogs.EventCorrectionDialog(self.ctx, row, self)
            else:
                values = self.ctx.corrections.visit_values(self.ctx.actor, row.id)
                dialog = dialogs.RemoveVisitDialog(self.ctx, row, values, self)
        if dialog is not None:
            dialog.exec()

    def history(self) -> None:
        from lhn_desktop.gui.correction_dialogs import HistoryDialog

        pid = self._patient_id()
        if pid is None:
            return
        kind, row = self._selected()
        record_id = getattr(row, "id", None) if kind in ("observation", "medication", "event") else None
        title = self.detail.name.text()
        if record_id is not None:
            title = f"{getattr(row, 'label', None) or getattr(row, 'drug', None) or getattr(row, 'code', '')}, {title}"
        HistoryDialog(self.ctx, pid, record_id, title, self).exec()
