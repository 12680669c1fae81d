"""The same screens under en_US and en_GB: dates shown with the month named in the locale's order, typed in the
locale's numeric form or ISO, picked from a calendar."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtCore import QDate, QLocale, Qt
from PySide6.QtWidgets import QApplication

from lhn_desktop import localization
from lhn_desktop.gui.clinical_widgets import DateField, DayEdit
from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.models import display_text
from lhn_desktop.gui.pages.huddle import HuddlePage
from lhn_desktop.gui.pages.patients import PatientsPage
from lhn_desktop.gui.patient_dialog import PatientDialog
from tests.conftest import DEMO_TODAY
from tests.gui.conftest import make_window, screenshot

#: A date whose day and month cannot be swapped (there is no month 15), and one where they can.
IDES = date(2026, 3, 15)
SHOWN = {
    "en_US": {"day": "Sun Mar 15, 2026", "date": "Mar 15, 2026", "typed": "03/15/2026", "forms": "MM/DD/YYYY"},
    "en_GB": {"day": "Sun 15 Mar 2026", "date": "15 Mar 2026", "typed": "15/03/2026", "forms": "DD/MM/YYYY"},
}


@pytest.fixture(params=["en_US", "en_GB"])
def locale(request: pytest.FixtureRequest) -> str:
    localization.set_locale(request.param)  # as the window does at start from QLocale.system()
    return request.param


@pytest.fixture
def window(qtbot, ctx, locale) -> MainWindow:
    return make_window(qtbot, ctx)


def test_the_system_locale_is_what_the_window_uses(monkeypatch) -> None:
    from lhn_desktop.gui.clinical_widgets import use_system_locale

    for name, month_first, paper in (("en_US", True, "Letter"), ("en_GB", False, "A4")):
        monkeypatch.setattr(QLocale, "system", staticmethod(lambda name=name: QLocale(name)))
        use_system_locale()
        assert (localization.current().month_first, localization.paper_size()) == (month_first, paper)


def test_tables_and_the_patient_page_show_dates_the_locales_way(window: MainWindow, locale: str) -> None:
    assert display_text(IDES) == SHOWN[locale]["date"]
    page = window.go_to(PatientsPage)
    assert isinstance(page, PatientsPage)
    model = page.model
    born = next(c for c in range(model.columnCount()) if model.headerData(c, Qt.Orientation.Horizontal) == "Born")
    proxy = page.table.model()
    first = proxy.index(0, 0).data(Qt.ItemDataRole.UserRole + 2)  # the row shown first
    assert proxy.index(0, born).data() == localization.format_date(first.birth_date)
    detail = page.detail
    assert detail.patient_id == first.id
    assert detail.fields["born"].text().startswith(localization.format_date(first.birth_date) + " (age ")
    assert first.birth_date.isoformat() not in detail.fields["born"].text()
    visits = detail.fields["visits"].text()
    if first.last_visit:
        assert localization.format_date(first.last_visit) in visits
    screenshot(window, f"locale-{locale}-patients")


def test_the_huddle_shows_the_day_and_takes_it_typed(window: MainWindow, qtbot, locale: str) -> None:
    page = window.go_to(HuddlePage)
    assert isinstance(page, HuddlePage)
    page.date.set_day(IDES)
    assert page.date.text() == SHOWN[locale]["day"]
    assert page.date.calendarPopup()
    first_day = page.days.itemData(0)
    assert page.days.itemText(0).startswith(localization.format_date(first_day, weekday=True))
    assert localization.format_date(IDES, weekday=True, full=True) in page.summary.text()
    screenshot(window, f"locale-{locale}-huddle")

    page.date.setFocus()
    qtbot.waitUntil(page.date.hasFocus)
    qtbot.keyClicks(page.date, SHOWN[locale]["typed"].replace("15", "10"))  # 03/10/2026 or 10/03/2026
    qtbot.keyClick(page.date, Qt.Key.Key_Return)
    assert page.selected_day() == date(2026, 3, 10)
    qtbot.keyClicks(page.date, "2026-03-04")  # ISO, in either locale
    qtbot.keyClick(page.date, Qt.Key.Key_Return)
    assert page.selected_day() == date(2026, 3, 4)
    qtbot.keyClick(page.date, Qt.Key.Key_Down)  # still a day at a time
    assert page.selected_day() == date(2026, 3, 3)


def test_a_typed_day_that_does_not_exist_is_refused_and_the_date_kept(qtbot, locale: str, monkeypatch) -> None:
    said: list[str] = []
    monkeypatch.setattr("lhn_desktop.gui.clinical_widgets.QToolTip.showText", lambda _at, text, *_a: said.append(text))
    edit = DayEdit(DEMO_TODAY)
    qtbot.addWidget(edit)
    edit.show()
    qtbot.waitExposed(edit)
    edit.activateWindow()
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    qtbot.keyClicks(edit, "2026-02-30")
    qtbot.keyClick(edit, Qt.Key.Key_Return)
    assert said == [f"February 2026 has no day 30. Type the date as {SHOWN[locale]['forms']} or YYYY-MM-DD."]
    assert edit.lineEdit().text() == "2026-02-30"  # kept to be put right
    qtbot.keyClick(edit, Qt.Key.Key_Escape)
    assert edit.day() == DEMO_TODAY and edit.text() == localization.format_date(DEMO_TODAY, weekday=True)


def test_date_fields_take_the_locales_forms_and_a_calendar(qtbot, ctx, locale: str) -> None:
    dialog = PatientDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    field = dialog.birth
    assert isinstance(field, DateField)
    assert field.placeholderText() == f"{SHOWN[locale]['forms']} or YYYY-MM-DD"
    qtbot.keyClicks(field, "04/05/2014")
    field.editingFinished.emit()
    assert field.value() == (date(2014, 4, 5) if locale == "en_US" else date(2014, 5, 4))
    assert field.text() == localization.format_date(field.value())  # shown back with the month named
    field.setText("2014-06-01")
    assert field.value() == date(2014, 6, 1)

    field.setText("")
    field.setFocus()
    qtbot.keyClick(field, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    calendar = field.calendar
    assert calendar is not None and calendar.isVisible()
    first_day = Qt.DayOfWeek.Sunday if locale == "en_US" else Qt.DayOfWeek.Monday
    assert calendar.firstDayOfWeek() == first_day
    screenshot(calendar, f"locale-{locale}-calendar")
    calendar.setSelectedDate(QDate(2014, 6, 1))
    calendar.activated.emit(calendar.selectedDate())  # Enter on the day
    assert not calendar.isVisible()
    assert field.value() == date(2014, 6, 1) and field.text() == localization.format_date(date(2014, 6, 1))
    screenshot(dialog, f"locale-{locale}-patient-dialog")


def test_the_day_edit_opens_its_calendar_from_the_keyboard(qtbot, locale: str) -> None:
    edit = DayEdit(IDES)
    qtbot.addWidget(edit)
    edit.show()
    qtbot.waitExposed(edit)
    edit.setFocus()
    qtbot.keyClick(edit, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    calendar = edit.calendarWidget()
    qtbot.waitUntil(calendar.isVisible)
    assert calendar.selectedDate() == QDate(2026, 3, 15)
    calendar.window().close()
    QApplication.processEvents()
