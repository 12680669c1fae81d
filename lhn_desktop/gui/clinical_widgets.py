"""Small fields of the clinical forms: a typed date, a level chosen by its number, a value with its unit."""

from __future__ import annotations

import itertools
from datetime import date

from PySide6.QtCore import QDate, QEvent, QLocale, QPoint, QPointF, QRect, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QMouseEvent, QPainter, QPixmap
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QCalendarWidget,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolTip,
    QWidget,
)

from lhn_desktop.errors import ValidationError
from lhn_desktop.localization import DateFormatError, current, format_date, parse_date, set_locale, typed_forms

NOT_RECORDED = "– not recorded"
#: What may be typed into a date besides digits: the separators of the typed forms, and the month's name.
_DATE_SEPARATORS = "/-."


def use_system_locale() -> None:
    """Dates and paper as the system's locale has them (Qt reads the user's regional settings on Windows and
    macOS, LC_ALL/LC_TIME/LANG on Linux). Called once at start, before any window is made."""
    set_locale(QLocale.system().name())


def date_locale() -> QLocale:
    """Qt's locale for dates and calendars: English (the program's language) in the territory of the locale in
    use, so a calendar starts the week on the territory's first day and names the months as the program does."""
    return QLocale(QLocale.Language.English, QLocale(current().name).territory())


def calendar_icon() -> QIcon:
    """A small calendar drawn in the palette's text colour (no icon theme on Windows or macOS has one for sure)."""
    ink = QApplication.palette().text().color()
    pixmap = QPixmap(16, 16)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setPen(ink)
    painter.drawRect(QRect(1, 2, 13, 12))
    painter.fillRect(QRect(1, 2, 14, 4), ink)
    dots = QColor(ink)
    for row, col in itertools.product(range(2), range(4)):
        painter.fillRect(QRect(3 + col * 3, 8 + row * 3, 2, 2), dots)
    painter.end()
    return QIcon(pixmap)


class _CalendarPopup(QCalendarWidget):
    """A month calendar shown under a date field: Enter or a click picks the day, Escape closes it."""

    def __init__(self, field: QWidget, day: date, on_pick) -> None:
        super().__init__(field)
        self.setWindowFlags(Qt.WindowType.Popup)
        self.setLocale(date_locale())
        self.setFirstDayOfWeek(date_locale().firstDayOfWeek())
        self.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        self.setSelectedDate(QDate(day.year, day.month, day.day))
        self.activated.connect(lambda d: self._pick(on_pick, d))
        self.clicked.connect(lambda d: self._pick(on_pick, d))

    def _pick(self, on_pick, day: QDate) -> None:
        self.close()
        on_pick(day.toPython())

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.close()
            return
        super().keyPressEvent(event)


class DateField(QLineEdit):
    """A date typed as people type dates here (03/15/2027 month first, 15/03/2027 elsewhere) or as ISO 2027-03-15,
    or picked from a calendar (the button at the end, or Alt+Down); empty when ``optional``. Once typed it is shown
    with the month's name ("15 Mar 2027"), so a misread order shows at once. Refused text names the field."""

    def __init__(self, field: str, what: str, parent: QWidget | None = None, *, optional: bool = False) -> None:
        super().__init__(parent)
        self.field, self.what, self.optional = field, what, optional
        forms = typed_forms()
        self.setPlaceholderText(forms + (" (optional)" if optional else ""))
        self.setMaxLength(40)  # room for a date pasted with the names spelt out
        self.setToolTip(f"Type the {what} as {forms}, or pick it from the calendar (Alt+Down).")
        self.calendar_action = self.addAction(calendar_icon(), QLineEdit.ActionPosition.TrailingPosition)
        self.calendar_action.setToolTip(f"Pick the {what} from a calendar (Alt+Down)")
        self.calendar_action.triggered.connect(self.show_calendar)
        self.setFixedWidth(self.fontMetrics().horizontalAdvance(forms + " (optional)") + 48)
        self.editingFinished.connect(self._tidy)
        self.calendar: _CalendarPopup | None = None

    def setReadOnly(self, read_only: bool) -> None:
        super().setReadOnly(read_only)
        self.calendar_action.setVisible(not read_only)

    def _tidy(self) -> None:
        try:
            day = parse_date(self.text())
        except DateFormatError:
            return  # said when the form is saved, beside the field
        self.setText(format_date(day))

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key.Key_Down and event.modifiers() & Qt.KeyboardModifier.AltModifier:
            if not self.isReadOnly():
                self.show_calendar()
            return
        super().keyPressEvent(event)

    def show_calendar(self) -> None:
        """The month of the date typed (or of today) as a calendar under the field."""
        try:
            day = parse_date(self.text())
        except DateFormatError:
            day = date.today()
        self.calendar = _CalendarPopup(self, day, self._picked)
        self.calendar.move(self.mapToGlobal(QPoint(0, self.height())))
        self.calendar.show()
        self.calendar.setFocus()

    def _picked(self, day: date) -> None:
        self.setText(format_date(day))
        self.textEdited.emit(self.text())  # as if typed: the form knows it was changed
        self.setFocus()

    def value(self) -> date | None:
        text = self.text().strip()
        if not text:
            if self.optional:
                return None
            raise ValidationError(f"Enter the {self.what} as {typed_forms()}.", field=self.field)
        try:
            return parse_date(text, what=self.what)
        except DateFormatError as exc:
            raise ValidationError(str(exc), field=self.field) from None

    def set_value(self, day: date | None) -> None:
        self.setText(format_date(day))


class DayEdit(QDateEdit):
    """A date shown as "Thu 26 Feb 2026" (or "Thu Feb 26, 2026" where the month comes first) whose keyboard works
    on the day: Up and Down step a day at a time and typed digits set the day, then Right and Left move between
    the month and the year. A whole date may be typed too, in the forms people type here or as ISO: digits and
    a separator (15/03/2027, 2027-03-15) turn the field into plain text until Enter, Tab or leaving the field
    reads it. The calendar opens with Alt+Down or the arrow.

    A plain QDateEdit starts on the weekday name, which the arrow keys cannot step, so a keyboard user got stuck.
    """

    def __init__(self, day: date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._typed = ""  # digits typed in a row on the day
        self._free: str | None = None  # a whole date being typed, shown as it is typed
        self._before = QDate()  # the date before digits were typed, put back when they turn out to start a date
        month_first = current().month_first
        self._day_section = 2 if month_first else 1  # weekday, then day or month
        self.setLocale(date_locale())
        self.setCalendarPopup(True)
        self.setDisplayFormat("ddd MMM d, yyyy" if month_first else "ddd d MMM yyyy")
        self.setToolTip(f"Up and Down step a day; type a date as {typed_forms()}; Alt+Down opens the calendar.")
        if day is not None:
            self.set_day(day)

    def focusInEvent(self, event) -> None:
        super().focusInEvent(event)
        self._typed = ""
        self._select_day()

    def _select_day(self) -> None:
        self.setCurrentSectionIndex(self._day_section)
        # the day's digits selected, so typed digits replace the day rather than add to it
        text = self.lineEdit().text()
        words = text.split(" ")
        start = sum(len(w) + 1 for w in words[: self._day_section])
        self.lineEdit().setSelection(start, len(words[self._day_section].rstrip(",")))

    def focusOutEvent(self, event) -> None:
        if self._free is not None:
            self._read_typed(keep_on_error=False)
        super().focusOutEvent(event)

    def focusNextPrevChild(self, next_: bool) -> bool:
        # Tab leaves the field, as in every other field of a form (a plain date edit walks its own parts with Tab;
        # here Right and Left do that).
        return QWidget.focusNextPrevChild(self, next_)

    def keyPressEvent(self, event) -> None:
        key, text = event.key(), event.text()
        if self._free is not None:
            self._key_while_typing(event)
            return
        if text and text in _DATE_SEPARATORS and self._typed:
            if self.date() != self._before:
                self.setDate(self._before)  # the digits were not the day after all
            self._show_typed(self._typed + text)
            return
        if text.isdigit() and not self._typed:
            self._before = self.date()
        self._typed = self._typed + text if text.isdigit() else ""
        if key == Qt.Key.Key_Down and event.modifiers() & Qt.KeyboardModifier.AltModifier:
            self.show_calendar()
            return
        super().keyPressEvent(event)

    def _key_while_typing(self, event) -> None:
        key, text = event.key(), event.text()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self._read_typed(keep_on_error=True):
                super().keyPressEvent(event)  # Enter still accepts the dialog
            return
        if key in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab):
            self._read_typed(keep_on_error=False)
            super().keyPressEvent(event)
            return
        if key == Qt.Key.Key_Escape:
            self._leave_typing()
            return
        if key == Qt.Key.Key_Backspace:
            self._show_typed(self._free[:-1])
        elif text and (text.isalnum() or text in _DATE_SEPARATORS + " ,"):
            self._show_typed(self._free + text)

    def _show_typed(self, text: str) -> None:
        # The text is ours while it is typed: the date edit's own parser would refuse it, so it is kept away.
        self._free = text
        edit = self.lineEdit()
        edit.blockSignals(True)
        edit.setText(text)
        edit.blockSignals(False)

    def _leave_typing(self) -> None:
        self._free, self._typed = None, ""
        self._show_typed(self.textFromDateTime(self.dateTime()))
        self._free = None
        self._select_day()

    def _read_typed(self, *, keep_on_error: bool) -> bool:
        """The typed date becomes the field's date; a date that is not one is said beside the field."""
        try:
            day = parse_date(self._free or "")
        except DateFormatError as exc:
            QApplication.beep()
            QToolTip.showText(self.mapToGlobal(QPoint(0, self.height())), str(exc), self)
            if not keep_on_error:
                self._leave_typing()
            return False
        self._leave_typing()
        self.set_day(day)
        self._select_day()
        return True

    def show_calendar(self) -> None:
        """Open the calendar as a click on the arrow does (Qt opens it from the mouse only)."""
        self.calendarWidget().setSelectedDate(self.date())
        arrow = QPointF(self.width() - 6, self.height() / 2)
        press = QMouseEvent(QEvent.Type.MouseButtonPress, arrow, self.mapToGlobal(arrow), Qt.MouseButton.LeftButton,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
        QApplication.sendEvent(self, press)

    def stepBy(self, steps: int) -> None:
        # On the weekday or the day, a step is a calendar day, across the end of a month (Qt's own stepping
        # stops at the 1st and the 31st).
        if self.currentSectionIndex() in (0, self._day_section):
            self.setDate(self.date().addDays(steps))
            self._select_day()
            return
        super().stepBy(steps)

    def stepEnabled(self):
        if self.currentSectionIndex() in (0, self._day_section):
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
