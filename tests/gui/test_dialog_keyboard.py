"""Every form starts in its first field, Tabs in reading order to its buttons last, and Escape asks before
discarding what was typed (the shared behaviour of gui/keyboard.py, installed once on the application)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QDialog, QMessageBox

from lhn_desktop.gui.keyboard import DISCARD_QUESTION, buttons_of, fields_in_reading_order
from tests.gui.conftest import when_dialog_opens


def _patient_id(ctx) -> str:
    return ctx.patients.search(ctx.actor, "")[0].id


def _forms(ctx) -> dict:
    from lhn_desktop.gui.goal_dialogs import GoalDialog as PatientGoalDialog
    from lhn_desktop.gui.goal_dialogs import TaskDialog
    from lhn_desktop.gui.pages.commons import ResourceDialog
    from lhn_desktop.gui.pages.improvement import GoalDialog
    from lhn_desktop.gui.patient_dialog import PatientDialog
    from lhn_desktop.gui.pdsa_dialog import PdsaDialog
    from lhn_desktop.gui.planning_dialogs import AddVisitDialog
    from lhn_desktop.services.improvement_rules import Cycle

    pid = _patient_id(ctx)
    goal = ctx.improvement.save_goal(ctx.actor, None, title="Checklist", aim="Raise model care to 85% by June 2026")
    return {
        "new patient": lambda: PatientDialog(ctx),
        "patient's goal": lambda: PatientGoalDialog(ctx, pid, []),
        "task": lambda: TaskDialog(ctx, pid),
        "book a visit": lambda: AddVisitDialog(ctx, ctx.today()),
        "commons resource": lambda: ResourceDialog(ctx),
        "improvement goal": lambda: GoalDialog(ctx),
        "PDSA worksheet": lambda: PdsaDialog(ctx, Cycle(id=None, seq=1, title="", goal_id=goal)),
    }


#: collaboRATE, handed to the family, is a row of large answer buttons chosen by digit, not a form of fields
FORMS = ["new patient", "patient's goal", "task", "book a visit", "commons resource", "improvement goal",
         "PDSA worksheet"]  # fmt: skip


def _open(qtbot, make) -> QDialog:
    dialog = make()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


@pytest.mark.parametrize("name", FORMS)
def test_a_form_starts_in_its_first_field_and_tabs_in_reading_order_to_its_buttons(qtbot, ctx, name) -> None:
    dialog = _open(qtbot, _forms(ctx)[name])
    fields = fields_in_reading_order(dialog)
    assert fields, "a form has fields"
    assert QApplication.focusWidget() is fields[0], f"{name}: focus on {QApplication.focusWidget()!r}"
    assert not isinstance(QApplication.focusWidget(), QAbstractButton)
    visited = [QApplication.focusWidget()]
    for _ in range(len(fields) + len(buttons_of(dialog)) - 1):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        visited.append(QApplication.focusWidget())
    tops = [w.mapTo(dialog, w.rect().topLeft()).y() for w in visited[: len(fields)]]
    assert tops == sorted(tops), f"{name}: Tab goes back up the form"
    assert visited[: len(fields)] == fields
    assert all(isinstance(w, QAbstractButton) for w in visited[len(fields) :]), f"{name}: buttons come last"


def test_escape_closes_an_untouched_form_at_once(qtbot, ctx) -> None:
    dialog = _open(qtbot, _forms(ctx)["task"])
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected


@pytest.mark.parametrize("name", ["new patient", "PDSA worksheet"])
def test_escape_on_a_form_with_edits_asks_first(qtbot, ctx, name) -> None:
    dialog = _open(qtbot, _forms(ctx)[name])
    first = QApplication.focusWidget()
    qtbot.keyClicks(first, "Typed before clinic")
    asked: list[str] = []

    def keep_editing(box) -> None:
        asked.append(box.text())
        box.button(QMessageBox.StandardButton.Cancel).click()

    when_dialog_opens(keep_editing)
    qtbot.keyClick(first, Qt.Key.Key_Escape)
    assert asked == [DISCARD_QUESTION] and dialog.isVisible()  # kept, with what was typed
    assert "Typed before clinic" in (first.text() if hasattr(first, "text") else first.toPlainText())

    when_dialog_opens(lambda box: box.button(QMessageBox.StandardButton.Discard).click())
    qtbot.keyClick(first, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and dialog.result() == QDialog.DialogCode.Rejected
