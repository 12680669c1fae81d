"""Small fields of the clinical forms: a typed date, a level chosen by its number, a value with its unit."""

from __future__ import annotations

import itertools
import re
from datetime import date

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QDateEdit, QHBoxLayout, QLabel, QLineEdit, QWidget

from lhn_desktop.errors import ValidationError

NOT_RECORDED = "– not recorded"
_COMPACT_DATE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")


class DateField(QLineEdit):
    """A date typed as YYYY-MM-DD (or YYYYMMDD); empty when ``optional``. Refused text names the field."""

    def __init__(self, field: str, what: str, parent: QWidget | None = None, *, optional: bool = False) -> None:
        super().__init__(parent)
        self.field, self.what, self.optional = field, what, optional
        self.setPlaceholderText("YYYY-MM-DD" + (" (optional)" if optional else ""))
        self.setMaxLength(10)
        self.setFixedWidth(self.fontMetrics().horizontalAdvance("0000-00-00 (optional)") + 24)
        self.editingFinished.connect(self._tidy)

    def _tidy(self) -> None:
        match = _COMPACT_DATE.match(self.text().strip())
        if match:
            self.setText("-".join(match.groups()))

    def value(self) -> date | None:
        text = self.text().strip()
        if not text:
            if self.optional:
                return None
            raise ValidationError(f"Enter the {self.what} as YYYY-MM-DD.", field=self.field)
        match = _COMPACT_DATE.match(text)
        if match:
            text = "-".join(match.groups())
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise ValidationError(
                f"Write the {self.what} as YYYY-MM-DD, for example 2014-06-01.", field=self.field
            ) from None

    def set_value(self, day: date | None) -> None:
        self.setText(day.isoformat() if day else "")


class DayEdit(QDateEdit):
    """A date shown as "Thu 26 Feb 2026" whose keyboard works on the day: Up and Down step a day at a time and
    typed digits set the day, then Right moves to the month and the year.

    A plain QDateEdit starts on the weekday name, which the arrow keys cannot step, so a keyboard user got stuck.
    """

    def __init__(self, day: date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("ddd d MMM yyyy")
        if day is not None:
            self.set_day(day)

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        self.setCurrentSectionIndex(1)  # the day of the month

    def focusNextPrevChild(self, next_: bool) -> bool:
        # Tab leaves the field, as in every other field of a form (a plain date edit walks its own parts with Tab;
        # here Right and Left do that).
        return QWidget.focusNextPrevChild(self, next_)

    def stepBy(self, steps: int) -> None:
        # On the weekday or the day, a step is a calendar day, across the end of a month (Qt's own stepping
        # stops at the 1st and the 31st).
        if self.currentSectionIndex() in (0, 1):
            self.setDate(self.date().addDays(steps))
            self.setCurrentSectionIndex(1)
            return
        super().stepBy(steps)

    def stepEnabled(self):
        if self.currentSectionIndex() in (0, 1):
            return QAbstractSpinBox.StepEnabledFlag.StepUpEnabled | QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return super().stepEnabled()

    def day(self) -> date:
        return self.date().toPython()

    def set_day(self, day: date) -> None:
        self.setDate(QDate(day.year, day.month, day.day))


class LevelPicker(QComboBox):
    """Levels of an item ("0 · none", "1 · mild", ...) chosen by their number key; Delete clears the choice."""

    def __init__(self, levels: list[str], parent: QWidget | None = None, *, first_number: int = 0) -> None:
        super().__init__(parent)
        self.first_number = first_number
        self.addItem(NOT_RECORDED, None)
        for n, text in enumerate(levels):
            self.addItem(f"{n + first_number} · {text}", n)
        self.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(18)
        self.currentTextChanged.connect(self.setToolTip)  # the whole level when the box is too narrow

    def keyPressEvent(self, event) -> None:
        text = event.text()
        if text.isdigit():
            level = int(text) - self.first_number
            if 0 <= level < self.count() - 1:
                self.setCurrentIndex(level + 1)
            return
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.setCurrentIndex(0)
            return
        super().keyPressEvent(event)

    def level(self) -> int | None:
        return self.currentData()

    def set_level(self, level: int | None) -> None:
        self.setCurrentIndex(0 if level is None else level + 1)


class ValueField(QWidget):
    """A value with its unit: the stored unit first, the others a laboratory may report in (converted on save)."""

    changed = Signal()

    def __init__(self, code: str, units: tuple[str, ...], parent: QWidget | None = None, *, width: int = 9) -> None:
        super().__init__(parent)
        self.code = code
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.edit = QLineEdit(self)
        self.edit.setFixedWidth(self.fontMetrics().horizontalAdvance("0" * width) + 16)
        layout.addWidget(self.edit)
        self.unit: QComboBox | None = None
        if units:
            self.unit = QComboBox(self)
            self.unit.addItems(list(units))
            self.unit.setFocusPolicy(
                Qt.FocusPolicy.ClickFocus
            )  # Tab goes value to value; the unit by mouse or Alt+Down
            layout.addWidget(self.unit)
        self.hint = QLabel("", self)
        self.hint.setObjectName("fieldHint")
        layout.addWidget(self.hint, 1)
        self.setFocusProxy(self.edit)
        self.edit.textChanged.connect(lambda _t: self.changed.emit())
        if self.unit is not None:
            self.unit.currentIndexChanged.connect(lambda _i: self.changed.emit())

    def keyPressEvent(self, event) -> None:
        if (
            self.unit is not None
            and event.key() == Qt.Key.Key_Down
            and event.modifiers() & Qt.KeyboardModifier.AltModifier
        ):
            self.unit.showPopup()
            return
        super().keyPressEvent(event)

    def text(self) -> str:
        return self.edit.text().strip()

    def unit_text(self) -> str | None:
        return self.unit.currentText() if self.unit is not None else None

    def set_hint(self, text: str) -> None:
        self.hint.setText(text)


def chain(widgets) -> None:
    """Tab walks these widgets in this order (reading order), whatever order they were made in."""
    widgets = [w for w in widgets if w is not None]
    for first, second in itertools.pairwise(widgets):
        QWidget.setTabOrder(first, second)


def mark_problem(widget: QWidget | None, problem: bool) -> None:
    """Show a field as the one at fault (a red frame from the style sheet), or not."""
    if widget is None:
        return
    target = widget.edit if isinstance(widget, ValueField) else widget
    target.setProperty("problem", problem)
    target.style().unpolish(target)
    target.style().polish(target)
