"""A new center's first morning, by keyboard only: register a patient, schedule, huddle, record the visit, measures.

Every key goes to the widget that has the focus, as a person's keyboard would; nothing is clicked and no
widget is filled in by the test code. ``tab_to`` presses Tab until the named field has the focus, so the
test also proves that every field is reachable in the form's reading order.
"""

from __future__ import annotations

import time
from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from lhn_desktop.access import Actor
from lhn_desktop.app import AppContext
from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.pages.huddle import HuddlePage
from lhn_desktop.gui.pages.measures import MeasuresPage
from lhn_desktop.gui.pages.patients import PatientsPage
from lhn_desktop.services.center import init_center_database
from lhn_desktop.services.team import TeamService
from tests.gui.conftest import make_window, screenshot, when_dialog_opens

TODAY = date(2026, 3, 2)  # a Monday
VISIT_DAY = date(2026, 2, 26)  # the Thursday before: in February, a complete month for the measures
CTRL, SHIFT, ALT = (
    Qt.KeyboardModifier.ControlModifier,
    Qt.KeyboardModifier.ShiftModifier,
    Qt.KeyboardModifier.AltModifier,
)


@pytest.fixture
def empty_ctx(lhn_home: Path):
    """A center as 'lhn-desktop init' leaves it, with one physician signed in."""
    path = lhn_home / "data" / "center.sqlite3"
    init_center_database(path, lhn_home / "data" / "backups", "ctr-042", "Riverside IBD", network="ImproveCareNow",
                         actor=Actor.workstation())  # fmt: skip
    ctx = AppContext.open(str(path), exclusive=True, today=lambda: TODAY)
    member = TeamService(ctx.db).add_member(ctx.actor, "Dr. Robin Sample", "physician")
    ctx.sign_in(member.id, "tester")
    yield ctx
    ctx.close()


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    assert widget is not None, "nothing has the keyboard focus"
    return widget


def target() -> QWidget:
    """Where a key goes: the focused widget, else the window on top (as on a real screen)."""
    widget = QApplication.focusWidget() or QApplication.activeModalWidget() or QApplication.activeWindow()
    if widget is None:
        widget = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
    return widget


def press(qtbot, key, modifier=Qt.KeyboardModifier.NoModifier, times: int = 1) -> None:
    for _ in range(times):
        qtbot.keyClick(target(), key, modifier)


def typed(qtbot, text: str) -> None:
    qtbot.keyClicks(target(), text)


FAILURES: list[BaseException] = []


def driven(act):
    """``when_dialog_opens`` with a safety net: a failed step closes the dialog (so the test cannot hang) and is
    raised by :func:`opened` afterwards."""

    def safe(dialog) -> None:
        try:
            deadline = time.monotonic() + 5
            while not dialog.isActiveWindow() and time.monotonic() < deadline:  # the window takes the keyboard
                QApplication.processEvents()
            act(dialog)
        except BaseException as exc:
            FAILURES.append(exc)
            for widget in QApplication.topLevelWidgets():
                if widget.isModal() and widget.isVisible():
                    widget.close()
            dialog.reject()

    return when_dialog_opens(safe)


def opened(seen: list, qtbot) -> object:
    """The dialog that was driven; the main window takes the keyboard back, as the window manager does."""
    if FAILURES:
        raise FAILURES.pop()
    assert seen, "the dialog did not open"
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible())
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return seen[0]


def tab_to(qtbot, widget: QWidget, *, limit: int = 40) -> None:
    """Press Tab until ``widget`` (or the field it stands for) has the focus."""
    targets = {widget, widget.focusProxy()} - {None}
    for _ in range(limit):
        if focused() in targets:
            return
        press(qtbot, Qt.Key.Key_Tab)
    raise AssertionError(f"{type(widget).__name__} {widget.objectName()!r} was not reached with Tab")


def test_first_patient_from_registration_to_the_measures_by_keyboard(qtbot, empty_ctx: AppContext) -> None:
    window: MainWindow = make_window(qtbot, empty_ctx)
    qtbot.waitUntil(window.isActiveWindow)
    press(qtbot, Qt.Key.Key_2, CTRL)
    patients = window.stack.currentWidget()
    assert isinstance(patients, PatientsPage) and patients.model.rows == []

    # -- register ---------------------------------------------------------------------------------------------
    def register(dialog) -> None:
        assert focused() is dialog.mrn, "the form opens with the cursor in its first field"
        typed(qtbot, "0042-17")
        for widget, text in ((dialog.given, "Ada"), (dialog.family, "Testwood"), (dialog.birth, "2012-06-01"),
                             (dialog.sex, "Fe"), (dialog.diagnosis, "Cr"), (dialog.dx_date, "2023-09-14"),
                             (dialog.location, "L3"), (dialog.behaviour, "B1"), (dialog.growth, "G0"),
                             (dialog.phone, "555-0101")):  # fmt: skip
            tab_to(qtbot, widget)
            typed(qtbot, text)
        screenshot(dialog, "journey-registration")
        press(qtbot, Qt.Key.Key_Return, CTRL)

    seen = driven(register)
    press(qtbot, Qt.Key.Key_N, CTRL | SHIFT)
    assert opened(seen, qtbot).result() == 1
    (row,) = patients.model.rows
    assert (row.mrn, row.name, row.diagnosis) == ("0042-17", "Testwood, Ada", "Crohn disease")
    assert patients.detail.fields["classification"].text() == "A1b L3 B1 G0"

    # -- schedule ---------------------------------------------------------------------------------------------
    def schedule(dialog) -> None:
        assert dialog.mrn.text() == "0042-17" and focused() is dialog.day
        press(qtbot, Qt.Key.Key_Down, times=(TODAY - VISIT_DAY).days)  # the date section steps back a day at a time
        tab_to(qtbot, dialog.time)
        typed(qtbot, "09:30")
        press(qtbot, Qt.Key.Key_Return)

    seen = driven(schedule)
    press(qtbot, Qt.Key.Key_V, CTRL | SHIFT)
    assert opened(seen, qtbot).result() == 1

    # -- the huddle -------------------------------------------------------------------------------------------
    press(qtbot, Qt.Key.Key_1, CTRL)
    huddle = window.stack.currentWidget()
    assert isinstance(huddle, HuddlePage)
    press(qtbot, Qt.Key.Key_D, ALT)  # Clinic date
    assert focused() is huddle.date
    press(qtbot, Qt.Key.Key_Down, times=(TODAY - VISIT_DAY).days)
    assert huddle.selected_day() == VISIT_DAY
    tab_to(qtbot, huddle.table)
    (visit,) = huddle.model.rows
    due = {i.code: i.status for i in visit.items}
    assert due["pga"] == due["pcdai"] == due["growth"] == "Due"
    assert "Record PGA at this visit" in huddle.plan.toPlainText()

    # -- record the visit -------------------------------------------------------------------------------------
    def record(dialog) -> None:
        assert focused() is dialog.pga, "the visit form opens on the physician's global assessment"
        typed(qtbot, "0")  # quiescent
        for key in ("abdominal_pain", "well_being", "stools_per_day", "weight", "perianal_disease", "extraintestinal"):
            tab_to(qtbot, dialog.index_items[key])
            typed(qtbot, "0")
        for code, text in (("WEIGHT", "41.3"), ("HEIGHT", "152.4"), ("CRP", "0.2 mg/dL"), ("ESR", "8"),
                           ("ALB", "4.1 g/dL"), ("TPMT", "n")):  # fmt: skip
            tab_to(qtbot, dialog.values[code])
            typed(qtbot, text)
        tab_to(qtbot, dialog.starts[0].drug)
        typed(qtbot, "azathioprine")
        tab_to(qtbot, dialog.starts[0].dose)
        typed(qtbot, "100 mg daily")
        # the panel beside the form follows a moment after typing stops
        qtbot.waitUntil(lambda: "wPCDAI 0" in dialog.summary.text() and "BMI 17.8" in dialog.summary.text())
        assert "remission" in dialog.summary.text()
        screenshot(dialog, "journey-visit")
        press(qtbot, Qt.Key.Key_Return, CTRL)

    seen = driven(record)
    press(qtbot, Qt.Key.Key_R, CTRL)
    dialog = opened(seen, qtbot)
    assert dialog.result() == 1, dialog.problem.text()
    (visit,) = huddle.model.rows
    done = {i.code: i.status for i in visit.items}
    assert done["pga"] == done["pcdai"] == done["growth"] == done["tpmt_before_thiopurine"] == "Completed"
    assert visit.visit_status == "completed" and visit.in_remission is True
    assert "azathioprine 100 mg daily" in visit.medications

    # -- the measures -----------------------------------------------------------------------------------------
    press(qtbot, Qt.Key.Key_5, CTRL)
    measures = window.stack.currentWidget()
    assert isinstance(measures, MeasuresPage)
    assert measures.isAncestorOf(focused())
    press(qtbot, Qt.Key.Key_F5)  # Compute now
    remission = {v.month: v for v in empty_ctx.measures.values("remission_pga")}["2026-02"]
    assert (remission.numerator, remission.denominator) == (1, 1)
    tab_to(qtbot, measures.table)
    press(qtbot, Qt.Key.Key_Home, CTRL)
    for _ in measures.model.rows:  # arrow down to the remission measure
        if measures.table.current_row().code == "remission_pga":
            break
        press(qtbot, Qt.Key.Key_Down)
    assert measures.table.current_row().code == "remission_pga"
    assert any(r.month == "2026-02" and (r.numerator, r.denominator) == (1, 1) for r in measures.months_model.rows)
