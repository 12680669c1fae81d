"""Import the clinic schedule: choose the CSV, see exactly what will change, then import."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.errors import LhnError
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.models import Column
from lhn_desktop.gui.widgets import RecordsView, note

ACTIONS = {"new": "New visit", "updated": "Changed", "unchanged": "Already on the schedule", "unknown": "MRN not found"}


class ScheduleImportDialog(QDialog):
    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.text: str | None = None
        self.preview = None
        self.setWindowTitle("Import the clinic schedule")
        self.resize(860, 560)
        layout = QVBoxLayout(self)
        layout.addWidget(
            note(
                "Export the schedule from the EHR as CSV with the columns date, time, MRN, clinician and visit "
                "type. Nothing is imported until every row can be read; patients are matched by MRN and never "
                "created here. Importing the same file again changes nothing.",
                self,
            )
        )
        row = QHBoxLayout()
        label = QLabel("&File:", self)
        self.path = QLineEdit(self)
        self.path.setReadOnly(True)
        label.setBuddy(self.path)
        self.choose = QPushButton("&Choose…", self)
        self.choose.clicked.connect(self.choose_file)
        row.addWidget(label)
        row.addWidget(self.path, 1)
        row.addWidget(self.choose)
        layout.addLayout(row)
        self.summary = QLabel("Choose the schedule file.", self)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.problems = QListWidget(self)
        self.problems.setMaximumHeight(120)
        self.problems.hide()
        layout.addWidget(self.problems)
        self.rows = RecordsView(
            [
                Column("Line", lambda r: r.line, True),
                Column("Date", lambda r: r.day),
                Column("Time", lambda r: r.time),
                Column("Patient", lambda r: r.patient_name or ""),
                Column("MRN", lambda r: r.mrn),
                Column("Clinician", lambda r: r.clinician),
                Column("Visit type", lambda r: r.visit_type),
                Column("What happens", lambda r: ACTIONS.get(r.action, r.action)),
            ],
            self,
        )
        layout.addWidget(self.rows, 1)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, parent=self)
        self.import_button = self.buttons.addButton("&Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(False)
        self.buttons.accepted.connect(self.do_import)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Schedule file", "", "CSV files (*.csv *.txt);;All files (*)")
        if path:
            self.load(path)

    def load(self, path: str) -> None:
        from lhn_desktop.services.schedule import read_schedule_text

        self.path.setText(path)
        try:
            self.text = read_schedule_text(path)
            self.preview = self.ctx.schedule.preview(self.ctx.actor, self.text, path)
        except LhnError as exc:
            self.text = self.preview = None
            self.summary.setText(f"<b>This file cannot be imported.</b> {exc}")
            self.rows.rows_model.set_rows([])
            self.problems.hide()
            self.import_button.setEnabled(False)
            return
        p = self.preview
        order = f" Dates read as {p.date_order}." if p.date_order != "year-month-day" else ""
        self.summary.setText(f"<b>{p.summary}</b>{order}")
        self.problems.clear()
        for problem in p.problems:
            self.problems.addItem(f"Line {problem.line}: {problem.reason}")
        for row in p.unknown:
            self.problems.addItem(f"Line {row.line}: MRN {row.mrn} is not in LHN Desktop (add the patient first)")
        self.problems.setVisible(self.problems.count() > 0)
        self.rows.rows_model.set_rows(p.rows)
        self.import_button.setEnabled(p.can_import)

    def do_import(self) -> None:
        if self.text is None or self.preview is None or not self.preview.can_import:
            return
        try:
            result = self.ctx.schedule.import_schedule(self.ctx.actor, self.text, self.path.text())
        except LhnError as exc:
            show_error(self, exc)
            return
        self.result = result
        self.accept()
