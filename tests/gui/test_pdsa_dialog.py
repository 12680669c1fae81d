"""The whole PDSA worksheet filled by keyboard, saved, and reopened unchanged."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Qt

from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.pdsa_dialog import PdsaDialog
from lhn_desktop.services.improvement_rules import Cycle, Question


def _new_worksheet(window: MainWindow, qtbot, title: str = "") -> PdsaDialog:
    """The worksheet of a first cycle of a new goal, shown and active (keys and focus go to it)."""
    ctx = window.ctx
    goal = ctx.improvement.save_goal(ctx.actor, None, title="Checklist", aim="Raise model care to 85% by June 2026")
    dialog = PdsaDialog(ctx, Cycle(id=None, seq=1, title=title, goal_id=goal), window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=5_000)
    return dialog


def test_fill_a_whole_worksheet_by_keyboard_and_reopen_it_unchanged(window: MainWindow, qtbot) -> None:
    ctx = window.ctx
    dialog = _new_worksheet(window, qtbot)

    def typed(widget, text):
        widget.setFocus()
        qtbot.keyClicks(widget, text)

    typed(dialog.title, "Nurse checklist the day before")
    dialog.purpose.setFocus()
    qtbot.keyClick(dialog.purpose, Qt.Key.Key_Down)  # develop a change
    qtbot.keyClick(dialog.purpose, Qt.Key.Key_Down)  # test a change
    dialog.scale_n.setFocus()
    qtbot.keyClick(dialog.scale_n, Qt.Key.Key_Up)  # from "not set" to 1
    typed(dialog.start, "2026-02-02")
    typed(dialog.end, "2026-02-06")
    dialog.status.setFocus()
    for _ in range(3):
        qtbot.keyClick(dialog.status, Qt.Key.Key_Down)  # done
    typed(dialog.objective, "Find out whether the checklist fits a nurse's afternoon")
    answers = [("Under 10 minutes?", "Yes, about 8", "No, 14 minutes"), ("Will the doctor use it?", "Yes", "Yes")]
    for cells, values in zip(dialog.questions, answers, strict=False):
        for cell, value in zip(cells, values, strict=True):
            typed(cell, value)
    typed(dialog.plan_who, "Casey with Dr. Sample")
    typed(dialog.plan_what, "Complete the checklist for one patient")
    typed(dialog.plan_when, "Monday afternoon")
    typed(dialog.plan_where, "Clinic B")
    typed(dialog.plan_tasks, "Print the checklist")
    typed(dialog.data_plan, "Minutes taken; items found missing")
    dialog.as_planned.setFocus()
    qtbot.keyClick(dialog.as_planned, Qt.Key.Key_Down)  # yes
    typed(dialog.observations, "Finding the last PGA took longest")
    typed(dialog.problems, "Printer jammed")
    typed(dialog.study, "Slower than predicted; pre-filling would help")
    dialog.decision.setFocus()
    qtbot.keyClick(dialog.decision, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.decision, Qt.Key.Key_Down)  # adapt
    typed(dialog.next_step, "Pre-fill PGA and growth; test with 5 patients")
    entered = dialog.current()
    dialog.save_button.setFocus()
    qtbot.keyClick(dialog.save_button, Qt.Key.Key_Space)
    assert dialog.saved_id is not None

    stored = ctx.improvement.cycle(dialog.saved_id)
    assert stored == replace(entered, id=dialog.saved_id)
    assert stored.questions == tuple(Question(*a) for a in answers)
    assert (stored.purpose, stored.status, stored.act_decision, stored.do_as_planned, stored.scale_n) == (
        "test a change",
        "done",
        "adapt",
        True,
        1,
    )
    again = PdsaDialog(ctx, stored, window)
    qtbot.addWidget(again)
    assert again.current() == stored  # reopened unchanged


def test_hints_show_but_never_block(window: MainWindow, qtbot) -> None:
    ctx = window.ctx
    goal = ctx.improvement.save_goal(ctx.actor, None, title="t", aim="Raise X from 1 to 2 by June")
    dialog = PdsaDialog(ctx, Cycle(id=None, seq=1, title="t", goal_id=goal,
                                   questions=(Question("No prediction here?"),)), window)  # fmt: skip
    qtbot.addWidget(dialog)
    assert "no prediction" in dialog.hints.text()
    dialog.save()
    assert dialog.saved_id is not None


def test_stored_values_outside_the_lists_are_kept(window: MainWindow, qtbot) -> None:
    stored = Cycle(id="c", seq=1, title="t", purpose="Test a change", scale_unit="wards")
    dialog = PdsaDialog(window.ctx, stored, window)
    qtbot.addWidget(dialog)
    assert dialog.current().purpose == "test a change"  # the same purpose, matched without case
    assert dialog.current().scale_unit == "wards"  # an unknown unit stays as it was


def test_dates_are_typed_and_shown_as_in_every_other_form(window: MainWindow, qtbot, presented) -> None:
    """The worksheet's dates take what the other forms take (the computer's order, ISO, a calendar) and show the
    month's name; a date that does not exist is refused in words that name it, and nothing is saved."""
    from datetime import date

    from lhn_desktop.localization import format_date, typed_forms

    ctx = window.ctx
    dialog = _new_worksheet(window, qtbot, "Pre-filled checklist")
    assert dialog.start.placeholderText().startswith(typed_forms())
    dialog.start.setFocus()
    qtbot.keyClicks(dialog.start, "2026-02-31")
    qtbot.keyClick(dialog.start, Qt.Key.Key_Tab)
    dialog.save()
    assert dialog.saved_id is None and presented and "start date" in presented[-1]
    dialog.start.clear()
    dialog.start.setFocus()
    qtbot.keyClicks(dialog.start, "2026-02-02")
    qtbot.keyClick(dialog.start, Qt.Key.Key_Tab)
    assert dialog.start.text() == format_date(date(2026, 2, 2))  # shown with the month's name once typed
    dialog.save()
    assert dialog.saved_id is not None and ctx.improvement.cycle(dialog.saved_id).start_date == date(2026, 2, 2)
    again = PdsaDialog(ctx, ctx.improvement.cycle(dialog.saved_id), window)
    qtbot.addWidget(again)
    assert again.start.text() == format_date(date(2026, 2, 2)) and again.end.text() == ""
