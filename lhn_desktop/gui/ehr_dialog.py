"""Import from the EHR: choose FHIR files or an export folder, read the preview, then import.

The preview runs off the window thread and writes nothing; it lists, per kind of record, what would be
new, changed, unchanged or left out, the reasons things are left out (with where: file and line), and
the files' problems. Import is offered only when there are no problems; it does the same work again and
writes it in one transaction, then the report says what was done.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.errors import LhnError
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.keyboard import NO_DISCARD_QUESTION
from lhn_desktop.gui.models import Column
from lhn_desktop.gui.widgets import RecordsView, heading, note
from lhn_desktop.localization import counted
from lhn_desktop.services.ehr_csv import is_csv_report

KIND_NAMES = {"patients": "Patients", "visits": "Visits", "observations": "Results and measurements",
              "medications": "Medicines", "events": "Immunizations and screenings"}  # fmt: skip


SCHEDULE_NOTE = (
    "Choose the clinic schedule the EHR exported: a CSV report (you say once which column holds the date, time, "
    "MRN, clinician, visit type and status; the columns are kept for the next day's report) or FHIR Appointments. "
    "The preview writes nothing. Patients are matched by MRN: import the patients first if they are not in LHN "
    "Desktop yet. A cancelled or no-show row cancels or marks that day's visit; the same report again changes "
    "nothing."
)
EHR_NOTE = (
    "Choose the EHR's FHIR export (a Bulk Data folder, its zip, or Bundle and NDJSON files) or a CSV report (you "
    "say once which column holds what). The preview writes nothing; patients are matched by MRN, and importing the "
    "same export again changes nothing."
)


class EhrImportDialog(QDialog):
    """``kind="appointments"`` makes it the huddle's schedule import: a CSV is taken as a schedule report."""

    def __init__(self, ctx, runner, parent: QWidget | None = None, kind: str | None = None) -> None:
        super().__init__(parent)
        self.setProperty(NO_DISCARD_QUESTION, True)  # a chosen file and a preview: nothing typed to lose
        self.ctx, self.runner, self.kind = ctx, runner, kind
        self.report = None
        self.imported = False
        self.csv: tuple[Path, object] | None = None  # a CSV report and its column mapping
        schedule = kind == "appointments"
        self.setWindowTitle("Import the clinic schedule" if schedule else "Import from the EHR")
        self.resize(860, 600)
        layout = QVBoxLayout(self)
        layout.addWidget(note(SCHEDULE_NOTE if schedule else EHR_NOTE, self))
        row = QHBoxLayout()
        label = QLabel("&Schedule:" if schedule else "&Export:", self)
        self.paths = QLineEdit(self)
        self.paths.setPlaceholderText("a folder, a .zip, or .ndjson / .json files (separate several with ;)")
        label.setBuddy(self.paths)
        folder = QPushButton("F&older…", self)
        folder.clicked.connect(self._choose_folder)
        files = QPushButton("Fi&les…", self)
        files.clicked.connect(self._choose_files)
        self.columns_button = QPushButton("&Columns…", self)
        self.columns_button.setToolTip("For a CSV report: which column holds what")
        self.columns_button.clicked.connect(self._columns)
        self.preview_button = QPushButton("&Preview", self)
        self.preview_button.clicked.connect(self.preview)
        for w in (label, self.paths):
            row.addWidget(w, 1 if w is self.paths else 0)
        for w in (folder, files, self.columns_button, self.preview_button):
            row.addWidget(w)
        layout.addLayout(row)
        self.title = heading("", self)
        layout.addWidget(self.title)
        self.counts = RecordsView(
            [
                Column("What", lambda r: KIND_NAMES.get(r[0], r[0])),
                Column("New", lambda r: r[1].new, align_right=True),
                Column("Changed", lambda r: r[1].changed, align_right=True),
                Column("Unchanged", lambda r: r[1].unchanged, align_right=True),
                Column("Left out", lambda r: r[1].skipped, align_right=True),
            ],
            self,
        )
        self.counts.setMaximumHeight(self.counts.verticalHeader().defaultSectionSize() * 6 + 8)
        layout.addWidget(self.counts)
        layout.addWidget(QLabel("Left out, hand corrections kept, and problems in the files:", self))
        self.details = RecordsView(
            [
                Column("", lambda r: r[0], colour=lambda r: "#b00020" if r[0] == "Problem" else None),
                Column("Count", lambda r: r[1], align_right=True),
                Column("Where (the first)", lambda r: r[3]),
                Column("Why", lambda r: r[2]),
            ],
            self,
        )
        layout.addWidget(self.details, 1)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.import_button = self.buttons.addButton("&Import", QDialogButtonBox.ButtonRole.AcceptRole)
        self.import_button.setEnabled(False)
        self.import_button.setAutoDefault(False)
        self.import_button.clicked.connect(self.apply)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.preview_button.setDefault(True)  # Enter previews; importing always takes its own button (Alt+I)
        self.paths.setFocus()

    def _choose_folder(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "The EHR's export folder", str(Path.home()))
        if chosen:
            self.paths.setText(chosen)
            self.preview()

    def _choose_files(self) -> None:
        kinds = "EHR exports (*.ndjson *.json *.jsonl *.zip *.csv *.tsv *.txt);;All files (*)"
        chosen, _ = QFileDialog.getOpenFileNames(self, "FHIR files from the EHR", str(Path.home()), kinds)
        if chosen:
            self.paths.setText("; ".join(chosen))
            self.preview()

    def _columns(self) -> None:
        paths = self.chosen_paths()
        if len(paths) == 1 and is_csv_report(paths[0]):
            if self.choose_columns(paths[0]):
                self.preview()
        else:
            self.status.setText("Columns are chosen for a CSV report; FHIR files name their own.")

    def chosen_paths(self) -> list[Path]:
        return [Path(p.strip()).expanduser() for p in self.paths.text().split(";") if p.strip()]

    def preview(self) -> None:
        self._run(apply=False)

    def apply(self) -> None:
        self._run(apply=True)

    def choose_columns(self, path: Path) -> bool:
        """Ask which column holds what (once per report, or again with Columns…); False when cancelled."""
        from lhn_desktop.gui.csv_mapping_dialog import CsvMappingDialog

        try:
            dialog = CsvMappingDialog(self.ctx, path, self, self.kind)
        except LhnError as exc:
            show_error(self, exc)
            return False
        if not dialog.exec():
            return False
        self.csv = (path, dialog.mapping)
        return True

    def _columns_for(self, path: Path) -> bool:
        """The columns saved for a report like this one (the same header), else asked; False when cancelled."""
        try:
            table, _guess = self.ctx.ehr.read_csv(self.ctx.actor, path, None, self.kind or "patients")
        except LhnError as exc:
            show_error(self, exc)
            return False
        saved = self.ctx.ehr.find_mapping(table.header, self.kind)
        if saved is None:
            return self.choose_columns(path)
        self.csv = (path, saved)
        return True

    def _run(self, *, apply: bool) -> None:
        paths = self.chosen_paths()
        if not paths:
            self.status.setText("Choose the export first (a folder, a zip or files).")
            self.paths.setFocus()
            return
        csv_report = len(paths) == 1 and is_csv_report(paths[0])
        if csv_report and (self.csv is None or self.csv[0] != paths[0]) and not self._columns_for(paths[0]):
            return
        self.import_button.setEnabled(False)
        self.preview_button.setEnabled(False)

        def done(report) -> None:
            self.preview_button.setEnabled(True)
            self.show_report(report)
            if report.applied:
                self.imported = True

        def failed(exc: BaseException) -> None:
            self.preview_button.setEnabled(True)
            show_error(self, exc)

        def cancelled() -> None:
            self.preview_button.setEnabled(True)
            self.status.setText("Stopped; nothing was written.")

        def job(progress, cancel):
            if csv_report:
                return self.ctx.ehr.import_csv(self.ctx.actor, paths[0], self.csv[1], apply=apply, progress=progress,
                                               cancel=cancel)  # fmt: skip
            return self.ctx.ehr.import_files(self.ctx.actor, paths, apply=apply, progress=progress, cancel=cancel)

        self.runner.submit(
            job,
            on_success=done,
            on_error=failed,
            on_cancelled=cancelled,
            label="Importing from the EHR…" if apply else "Reading the EHR's export…",
            cancellable=True,
            writes=apply,
        )  # fmt: skip

    def show_report(self, report) -> None:
        self.report = report
        columns = (f" · the columns of {self.csv[1].source!r} (Columns… changes them)"
                   if self.csv and report.what == "rows" else "")  # fmt: skip
        self.title.setText(f"{'Imported' if report.applied else 'Preview'}: {report.resources} {report.what} read"
                           f"{columns}")  # fmt: skip
        touched = [(k, c) for k, c in report.counts.items() if c.new or c.changed or c.unchanged or c.skipped]
        self.counts.rows_model.set_rows(touched or list(report.counts.items()))  # a schedule: its visits alone
        rows = [("Problem", 1, what, where) for where, what in report.problems]
        rows += [("Kept", 1, f"{KIND_NAMES.get(kind, kind)}: {what}", where) for kind, where, what in report.clashes]
        rows += [("Left out", n, f"{KIND_NAMES.get(kind, kind)}: {reason}", places[0])
                 for (kind, reason), (n, places) in report.skipped.items()]  # fmt: skip
        self.details.rows_model.set_rows(rows)
        if report.problems:
            self.status.setText(f"{counted(len(report.problems), 'problem')} in the files: fix or remove those "
                                "files, then preview again. Nothing can be imported until then.")  # fmt: skip
        elif report.applied:
            self.status.setText(f"Imported: {report.changes} records new or changed. Importing the same export "
                                "again changes nothing.")  # fmt: skip
        elif report.changes == 0:
            self.status.setText("Everything in these files is already in LHN Desktop.")
        else:
            self.status.setText(f"{report.changes} records would be new or changed. Import (Alt+I) writes them.")
        if report.advice and not report.problems:
            self.status.setText(f"{self.status.text()} {report.advice}")
        self.import_button.setEnabled(not report.applied and not report.problems and report.changes > 0)
        self.counts.setFocus()
