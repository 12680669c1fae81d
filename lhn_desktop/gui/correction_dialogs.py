"""Correcting a recorded value (or marking it entered in error), its history, and removing a visit."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.clinical.observations import get_spec, split_value_unit
from lhn_desktop.errors import LhnError, NeedsConfirmation, ValidationError
from lhn_desktop.gui.clinical_widgets import DateField, LevelPicker, ValueField, mark_problem
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.models import Column
from lhn_desktop.gui.operations import Changed, announce
from lhn_desktop.gui.widgets import RecordsView, heading, note
from lhn_desktop.localization import format_date


class _CorrectionForm(QDialog):
    """Common shape: what is recorded now, the new values, the reason, "entered in error"; Ctrl+Enter saves."""

    def __init__(self, title: str, now: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        layout.addWidget(
            note(
                "Nothing is overwritten silently: the value before, who changed it, when and why stay in "
                "its history, and the change travels to the center's other workstations.",
                self,
            )
        )
        current = QLabel(now, self)
        current.setObjectName("formSummary")
        current.setWordWrap(True)
        layout.addWidget(current)
        self.form = QFormLayout()
        layout.addLayout(self.form)
        self.fields: dict[str, QWidget] = {}
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText("e.g. typed in the wrong unit; belongs to another patient")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        for button in self.buttons.buttons():
            button.setAutoDefault(False)
        self.buttons.accepted.connect(self._save)
        self.buttons.rejected.connect(self.reject)
        self._tail = layout
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, activated=self._save)

    def add(self, text: str, name: str, widget: QWidget) -> QWidget:
        label = QLabel(text, self)
        label.setBuddy(widget)
        self.form.addRow(label, widget)
        self.fields[name] = widget
        return widget

    def finish(self, in_error: bool) -> None:
        """The entered-in-error choice (ticked for an entry marked so now), the reason and the buttons."""
        text = ("&Count it again (it is marked entered in error now)" if in_error
                else "&Entered in error: keep it in the record but leave it out of everything")  # fmt: skip
        self.error = QCheckBox(text, self)
        self.form.addRow(self.error)
        self.add("&Why:", "reason", self.reason)
        self._tail.addWidget(self.buttons)
        self.error.toggled.connect(self._error_toggled)
        self.error.setChecked(in_error)

    def _error_toggled(self, on: bool) -> None:
        for name, widget in self.fields.items():
            if name != "reason":
                widget.setEnabled(not on)
        self.reason.setFocus()

    def save(self) -> None:
        raise NotImplementedError

    def _save(self) -> None:
        for widget in self.fields.values():
            mark_problem(widget, False)
        try:
            self.save()
        except ValidationError as exc:
            show_error(self, exc)
            widget = self.fields.get(exc.field or "")
            if widget is not None:
                mark_problem(widget, True)
                widget.setFocus()
            return
        except LhnError as exc:
            show_error(self, exc)
            return
        self.accept()
        announce(self, Changed.VISITS)


class ObservationCorrectionDialog(_CorrectionForm):
    """A new value (or, for an index, new item levels) for an observation; or entered in error, or counted again."""

    def __init__(self, ctx, row, parent: QWidget | None = None) -> None:
        unit = f" {row.unit}" if row.unit else ""
        state = " · <b>entered in error</b>" if row.entered_in_error else ""
        detail = f"<br>{html.escape(row.detail)}" if row.detail else ""
        on = format_date(row.observed_on)
        super().__init__(
            f"Correct: {row.label}",
            f"{html.escape(row.label)} on {on}: <b>{html.escape(row.value + unit)}</b>{state}{detail}",
            parent,
        )
        self.ctx, self.row = ctx, row
        spec = get_spec(row.code)
        self.index = None
        self.pickers: dict[str, LevelPicker] = {}
        self.value: ValueField | None = None
        if spec.kind == "index":
            from lhn_desktop.clinical.indices import get_index

            self.index = get_index(row.code)
            levels = row.levels or {}
            for item in self.index.items:
                picker = LevelPicker([f"{lv.label} ({format(lv.points.normalize(), 'f')})" for lv in item.levels], self)
                picker.set_level(levels.get(item.key))
                self.pickers[item.key] = self.add(f"{item.label}:", item.key, picker)
            self.fields[row.code] = next(iter(self.pickers.values()))
        else:
            self.value = self.add("New &value:", row.code, ValueField(row.code, spec.unit_choices(), self))
            self.value.edit.setText(row.value)
        if self.index is None:  # an index is corrected by its items; its date stays that of its visit
            self.on = self.add("&Date:", "observed_on", DateField("observed_on", "date", self))
            self.on.set_value(row.observed_on)
        self.finish(row.entered_in_error)
        first = next(iter(self.pickers.values()), None) or self.value
        (self.reason if row.entered_in_error else first).setFocus()

    def save(self) -> None:
        c, actor, row = self.ctx.corrections, self.ctx.actor, self.row
        reason = self.reason.text()
        if self.error.isChecked():
            if row.entered_in_error:
                c.restore(actor, "observation", row.id, reason)
            else:
                c.mark_entered_in_error(actor, "observation", row.id, reason)
            return
        if self.index is not None:
            levels = {k: p.level() for k, p in self.pickers.items() if p.level() is not None}
            c.correct_index(actor, row.id, reason, levels=levels)
            return
        day = self.on.value()
        text = self.value.text()
        unit = None if split_value_unit(text)[1] else self.value.unit_text()
        try:
            c.correct_observation(actor, row.id, text, reason, unit=unit, observed_on=day)
        except NeedsConfirmation:
            _, warnings = c.check_observation(actor, row.id, text, unit)
            answer = QMessageBox.question(
                self,
                "Keep this value?",
                "\n".join(warnings) + "\n\nKeep it as it is?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Save:
                raise ValidationError("Not saved: check the value.", field=row.code) from None
            c.correct_observation(actor, row.id, text, reason, unit=unit, observed_on=day, accept_warnings=True)


class MedicationCorrectionDialog(_CorrectionForm):
    def __init__(self, ctx, row, parent: QWidget | None = None) -> None:
        why = row.stop_reason or "no reason given"
        stopped = f", stopped {format_date(row.stop_date)} ({why})" if row.stop_date else ""
        super().__init__(
            f"Correct: {row.drug}",
            f"<b>{html.escape(row.drug)} {html.escape(row.dose or '')}</b>, "
            f"started {format_date(row.start_date)}{html.escape(stopped)}",
            parent,
        )
        self.ctx, self.row = ctx, row
        self.dose = self.add("D&ose:", "dose", QLineEdit(row.dose or "", self))
        self.start = self.add("&Started:", "start_date", DateField("start_date", "start date", self))
        self.start.set_value(row.start_date)
        self.stop = self.add("S&topped:", "stop_date", DateField("stop_date", "stop date", self, optional=True))
        self.stop.set_value(row.stop_date)
        self.stop_reason = self.add("Reason &stopped:", "stop_reason", QLineEdit(row.stop_reason or "", self))
        self.finish(row.entered_in_error)
        self.dose.setFocus()

    def save(self) -> None:
        c, actor, row = self.ctx.corrections, self.ctx.actor, self.row
        reason = self.reason.text()
        if self.error.isChecked():
            (c.restore if row.entered_in_error else c.mark_entered_in_error)(actor, "medication", row.id, reason)
            return
        stop = self.stop.value()
        c.correct_medication(
            actor,
            row.id,
            reason,
            dose=self.dose.text(),
            start_date=self.start.value(),
            stop_date=stop,
            clear_stop=stop is None and row.stop_date is not None,
            stop_reason=self.stop_reason.text() or None,
        )


class EventCorrectionDialog(_CorrectionForm):
    def __init__(self, ctx, row, parent: QWidget | None = None) -> None:
        super().__init__(
            f"Correct: {row.code}",
            f"<b>{html.escape(row.code)}</b> on {format_date(row.event_date)}"
            + (f": {html.escape(row.result)}" if row.result else ""),
            parent,
        )
        self.ctx, self.row = ctx, row
        self.on = self.add("&Date:", "event_date", DateField("event_date", "date", self))
        self.on.set_value(row.event_date)
        self.result = self.add("&Result:", "result", QLineEdit(row.result or "", self))
        self.finish(row.entered_in_error)
        self.on.setFocus()

    def save(self) -> None:
        c, actor, row = self.ctx.corrections, self.ctx.actor, self.row
        reason = self.reason.text()
        if self.error.isChecked():
            (c.restore if row.entered_in_error else c.mark_entered_in_error)(actor, "clinical_event", row.id, reason)
            return
        c.correct_event(actor, row.id, reason, on=self.on.value(), result=self.result.text())


class RemoveVisitDialog(_CorrectionForm):
    """Remove a visit recorded by mistake, saying what happens to the values recorded at it."""

    def __init__(self, ctx, row, values: int, parent: QWidget | None = None) -> None:
        super().__init__(
            "Remove the visit",
            f"<b>{format_date(row.visit_date)}</b> {html.escape(row.visit_time or '')} · "
            f"{html.escape(row.visit_type)} · {html.escape(row.status.replace('_', ' '))} · "
            f"{values} value{'s' if values != 1 else ''} recorded at it",
            parent,
        )
        self.ctx, self.row = ctx, row
        self.keep: QRadioButton | None = None
        if values:  # only then is there something to decide
            self.keep = QRadioButton("&Keep its values, on their dates (no longer tied to a visit)", self)
            self.in_error = QRadioButton("&Mark its values entered in error too", self)
            self.form.addRow(self.keep)
            self.form.addRow(self.in_error)
            self.keep.setChecked(True)
        self.reason.setPlaceholderText("e.g. booked for the wrong child; entered twice")
        self.add("&Why:", "reason", self.reason)
        self._tail.addWidget(self.buttons)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("&Remove the visit")
        (self.keep or self.reason).setFocus()  # the first field: what happens to its values, when it has any

    def save(self) -> None:
        values = None if self.keep is None else ("keep" if self.keep.isChecked() else "entered_in_error")
        self.ctx.corrections.delete_visit(self.ctx.actor, self.row.id, self.reason.text(), values=values)


class HistoryDialog(QDialog):
    """A record's (or a patient's) corrections, newest first: when, who, what, before, after, why."""

    def __init__(self, ctx, patient_id: str, record_id: str | None, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"History: {title}")
        layout = QVBoxLayout(self)
        entries = ctx.corrections.history(ctx.actor, patient_id, record_id)
        conflict = any(e.in_conflict for e in entries)
        text = (
            "Every change to this value, newest first."
            if record_id
            else "Every correction in this patient's record, newest first."
        )
        if conflict:
            text += (
                " Two workstations corrected it differently: the Sync page lists both values for the team to "
                "choose one."
            )
        layout.addWidget(heading(title, self))
        layout.addWidget(note(text, self))
        self.table = RecordsView(
            [
                Column("When", lambda e: e.at),
                Column("Who", lambda e: e.by),
                Column("What", lambda e: e.what),
                Column("Field", lambda e: e.field),
                Column("Before", lambda e: e.old_value or "–"),
                Column("After", lambda e: e.new_value or "–"),
                Column("Why", lambda e: e.reason),
            ],
            self,
        )
        self.table.rows_model.set_rows(entries)
        self.table.sortByColumn(0, Qt.SortOrder.DescendingOrder)
        layout.addWidget(self.table, 1)
        if not entries:
            layout.addWidget(note("No corrections: this is the value as it was first recorded.", self))
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        close.rejected.connect(self.reject)
        layout.addWidget(close)
        self.resize(900, 360)
        self.table.setFocus()
        self.table.select_first()
