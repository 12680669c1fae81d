"""Which column of a CSV report holds what: chosen once per source, with the first rows shown as they will be read."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.errors import LhnError, ValidationError
from lhn_desktop.gui.clinical_widgets import chain
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.widgets import note

NOT_THERE = "– not in this report"
SHOWN_ROWS = 8


class CsvMappingDialog(QDialog):
    """Pick the kind of report and each field's column; the table below shows the first rows as mapped."""

    def __init__(self, ctx, path: Path, parent: QWidget | None = None, kind: str | None = None) -> None:
        """``kind``: what the report is expected to hold (the huddle's schedule import: appointments)."""
        from lhn_desktop.services import ehr_csv

        super().__init__(parent)
        self.ctx, self.path, self.kinds = ctx, Path(path), ehr_csv.KINDS
        self.mapping = None
        self.setWindowTitle(f"Columns of {self.path.name}")
        self.resize(900, 620)
        self.table, start = ctx.ehr.read_csv(ctx.actor, self.path, None, kind or "patients")
        match = ctx.ehr.find_mapping(self.table.header, kind)
        start = match or start
        layout = QVBoxLayout(self)
        layout.addWidget(note(f"{self.path.name}: {self.table.describe()}. Say which column holds each field; the "
                              "mapping is saved under the source's name and used again for its next report.",
                              self))  # fmt: skip
        top = QFormLayout()
        self.source = QLineEdit(start.source if match else "", self)
        self.source.setPlaceholderText("e.g. Epic clinic list")
        top.addRow("&Source:", self.source)
        self.kind = QComboBox(self)
        for name, label in ehr_csv.KIND_NAMES.items():
            self.kind.addItem(label, name)
        self.kind.setCurrentIndex(self.kind.findData(start.kind))
        top.addRow("&Report of:", self.kind)
        self.date_order = QComboBox(self)
        self.date_order.addItem("Worked out from the dates", None)
        for order in ehr_csv.DATE_ORDERS:
            self.date_order.addItem(order.replace("/", " / "), order)
        self.date_order.setCurrentIndex(max(0, self.date_order.findData(start.date_order)))
        top.addRow("&Dates with slashes:", self.date_order)
        layout.addLayout(top)
        self.fields_box = QFormLayout()
        holder = QWidget(self)
        holder.setLayout(self.fields_box)
        row = QHBoxLayout()
        row.addWidget(holder, 1)
        layout.addLayout(row)
        self.pickers: dict[str, QComboBox] = {}
        self.preview = QTableWidget(self)
        self.preview.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        layout.addWidget(QLabel("The first rows, as they will be read:", self))
        layout.addWidget(self.preview, 1)
        self.problem = QLabel("", self)
        self.problem.setObjectName("formProblem")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Use these columns")
        buttons.accepted.connect(self.use)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.kind.currentIndexChanged.connect(lambda _i: self._build_fields(None))
        self._build_fields(start.columns)
        self.source.setFocus()

    def _build_fields(self, columns: dict[str, str] | None) -> None:
        from lhn_desktop.services import ehr_csv

        while self.fields_box.rowCount():
            self.fields_box.removeRow(0)
        self.pickers = {}
        kind = self.kind.currentData()
        chosen = columns if columns is not None else ehr_csv.guess_columns(kind, self.table.header)
        for f in self.kinds[kind]:
            picker = QComboBox(self)
            picker.addItem(NOT_THERE, None)
            for column in self.table.header:
                picker.addItem(column, column)
            picker.setCurrentIndex(max(0, picker.findData(chosen.get(f.name))))
            picker.currentIndexChanged.connect(lambda _i: self.refresh())
            self.fields_box.addRow(f"{f.label}{' (needed)' if f.required else ''}:", picker)
            self.pickers[f.name] = picker
        chain([self.date_order, *self.pickers.values()])  # Tab reaches new pickers before the buttons, in order
        self.refresh()

    def current(self):
        from lhn_desktop.services.ehr_csv import CsvMapping

        columns = {name: p.currentData() for name, p in self.pickers.items() if p.currentData()}
        source = " ".join(self.source.text().split()) or self.path.stem
        return CsvMapping(source, self.kind.currentData(), columns, self.date_order.currentData())

    def refresh(self) -> None:
        mapping = self.current()
        fields = [f for f in self.kinds[mapping.kind] if f.name in mapping.columns]
        self.preview.clear()
        self.preview.setColumnCount(len(fields))
        self.preview.setHorizontalHeaderLabels([f.label for f in fields])
        rows = self.table.rows[:SHOWN_ROWS]
        self.preview.setRowCount(len(rows))
        for r, (_line, cells) in enumerate(rows):
            for c, f in enumerate(fields):
                i = self.table.header.index(mapping.columns[f.name])
                self.preview.setItem(r, c, QTableWidgetItem(cells[i] if i < len(cells) else ""))
        self.preview.resizeColumnsToContents()
        try:
            mapping.check(self.table.header)
            self.problem.setText("")
        except ValidationError as exc:
            self.problem.setText(exc.message)
        self.problem.setVisible(bool(self.problem.text()))

    def use(self) -> None:
        mapping = self.current()
        try:
            mapping.check(self.table.header)
        except LhnError as exc:
            show_error(self, exc)
            return
        self.mapping = mapping
        self.accept()
