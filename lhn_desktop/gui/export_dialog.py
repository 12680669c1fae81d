"""Export the center's own data (CSV files and an XLSX workbook), after confirming that it holds patient data."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
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

from lhn_desktop.errors import ValidationError
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.widgets import note


class ExportDialog(QDialog):
    """Choose a folder; the export goes into a new subfolder there, so nothing is overwritten."""

    def __init__(self, ctx, runner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.runner = ctx, runner
        self.exported = None  # what the export wrote (QDialog.result() stays the dialog's own)
        self.setWindowTitle("Export the center's data")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.addWidget(
            note(
                "Patients, visits, results, growth, medicines, screenings and vaccines, and corrections, as CSV files "
                "(and one XLSX workbook) for the center's own analysis. The files hold patient data: keep them on the "
                "center's protected storage. The export is recorded in the audit log.",
                self,
            )
        )
        row = QHBoxLayout()
        label = QLabel("&Folder:", self)
        self.folder = QLineEdit(str(Path.home()), self)
        label.setBuddy(self.folder)
        choose = QPushButton("C&hoose…", self)
        choose.clicked.connect(self._choose)
        row.addWidget(label)
        row.addWidget(self.folder, 1)
        row.addWidget(choose)
        layout.addLayout(row)
        self.xlsx = QCheckBox("Also one &XLSX workbook (a sheet per table)", self)
        self.xlsx.setChecked(True)
        layout.addWidget(self.xlsx)
        self.confirm = QCheckBox("I &will keep these files as protected health information", self)
        layout.addWidget(self.confirm)
        self.status = QLabel("", self)
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Close, self
        )
        self.export_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.export_button.setText("&Export")
        self.export_button.setAutoDefault(False)
        self.buttons.accepted.connect(self.export)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.folder.setFocus()

    def _choose(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, "Export into this folder", self.folder.text())
        if chosen:
            self.folder.setText(chosen)

    def export(self) -> None:
        if not self.confirm.isChecked():
            show_error(
                self,
                ValidationError(
                    "Tick that you will keep the files as protected health information; "
                    "they hold names, MRNs, birth dates and results.",
                    field="confirm",
                ),
            )
            self.confirm.setFocus()
            return
        folder = Path(self.folder.text().strip()).expanduser()
        xlsx = self.xlsx.isChecked()  # read here: the export runs on a worker thread
        self.export_button.setEnabled(False)

        def done(result) -> None:
            self.exported = result
            self.export_button.setEnabled(True)
            rows = ", ".join(f"{n} {table}" for table, n in result.rows.items())
            self.status.setText(f"Exported to {result.folder}: {rows}.")

        def failed(exc: BaseException) -> None:
            self.export_button.setEnabled(True)
            show_error(self, exc)

        self.runner.submit(
            lambda progress, cancel: self.ctx.center_export.export(
                self.ctx.actor,
                folder,
                xlsx=xlsx,
                confirm_patient_data=True,
                progress=progress,
                cancel=cancel,
            ),
            on_success=done,
            on_error=failed,
            label="Exporting the center's data…",
            cancellable=True,
        )
