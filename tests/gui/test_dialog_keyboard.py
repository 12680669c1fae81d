"""Every form starts in its first field, Tabs in reading order to its buttons last, and Escape asks before
discarding what was typed (the shared behaviour of gui/keyboard.py, installed once on the application).

Every dialog of the program where a person types or chooses values is listed in ``_forms``. Those left out,
and why:

- CollaborateDialog: handed to the family, a row of large answer buttons chosen by digit, not a form of fields;
  Escape is refused on purpose so the family cannot close it by accident.
- HistoryDialog, AllChartsDialog, DiagramDialog: viewers (a read-only table, a chart page, a diagram).
- HelpWindow, AboutDialog, ShortcutsDialog: help and lists to read; they opt out of the question.
- EhrImportDialog: a file path and buttons that preview a report, not a form of fields (keyboard.py names such a
  dialog as one that opts out of the discard question).
- _ProgressDialog (tasks.py): the progress of a running task, not a form.
- The missed-visit and cancel-visit questions of the huddle are message boxes, not the program's forms.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QRadioButton,
    QTextEdit,
    QWidget,
)

from lhn_desktop.gui.keyboard import DISCARD_QUESTION, buttons_of, fields_in_reading_order

TYPED = "Typed before clinic"


def _patient_id(ctx) -> str:
    return ctx.patients.search(ctx.actor, "")[0].id


def _crohn_patient(ctx):
    return next(p for p in ctx.patients.search(ctx.actor) if p.diagnosis == "Crohn disease" and p.status == "active")


def _huddle_row(ctx):
    """The first booked visit of the next clinic day (the demo's clinic days start the day after 'today')."""
    for days in range(1, 15):
        rows = ctx.planning.huddle(ctx.actor, ctx.today() + timedelta(days=days)).rows
        if rows:
            return rows[0], ctx.today() + timedelta(days=days)
    raise AssertionError("the demo has booked visits")


def _record(ctx, what: str, keep: Callable[[object], bool]):
    """A row of a patient's record (as the patient page lists it) for which ``keep`` is true."""
    for p in ctx.patients.search(ctx.actor):
        for row in getattr(ctx.patients.get(ctx.actor, p.id), what):
            if keep(row):
                return row
    raise AssertionError(f"the demo has {what}")


def _csv_report(folder: Path) -> Path:
    path = folder / "labs.csv"
    path.write_text("Chart No,Collected,Component,Result,Units\nDEMO-000011,2026-02-26,CRP,0.35,mg/dL\n",
                    encoding="utf-8")  # fmt: skip
    return path


def _forms(ctx, tmp_path: Path) -> dict[str, Callable[[], QDialog]]:
    from lhn_desktop.gui.correction_dialogs import (
        EventCorrectionDialog,
        MedicationCorrectionDialog,
        ObservationCorrectionDialog,
        RemoveVisitDialog,
    )
    from lhn_desktop.gui.csv_mapping_dialog import CsvMappingDialog
    from lhn_desktop.gui.dialogs import CenterDialog, FirstRunDialog, SignInDialog, TeamDialog
    from lhn_desktop.gui.export_dialog import ExportDialog
    from lhn_desktop.gui.goal_dialogs import FollowUpDialog, TaskDialog
    from lhn_desktop.gui.goal_dialogs import GoalDialog as PatientGoalDialog
    from lhn_desktop.gui.key_dialogs import UnlockDialog
    from lhn_desktop.gui.lock import LockDialog
    from lhn_desktop.gui.measure_dialogs import BaselineDialog, EnterMonthDialog, NoteDialog, PhaseDialog
    from lhn_desktop.gui.pages.commons import AdaptDialog, ResourceDialog
    from lhn_desktop.gui.pages.improvement import BoxDialog, CloseOutDialog, GoalDialog, ProgressDialog
    from lhn_desktop.gui.pages.sync_keys import AddKeyDialog
    from lhn_desktop.gui.patient_dialog import PatientDialog
    from lhn_desktop.gui.pdsa_dialog import PdsaDialog
    from lhn_desktop.gui.planning_dialogs import AddVisitDialog, AgendaItemDialog, MoveVisitDialog, PlanNotesDialog
    from lhn_desktop.gui.visit_dialog import VisitDialog
    from lhn_desktop.services.improvement_rules import Cycle
    from tests.gui.inline_runner import InlineTaskRunner

    pid = _patient_id(ctx)
    goal = ctx.improvement.save_goal(ctx.actor, None, title="Checklist", aim="Raise model care to 85% by June 2026")
    measure = ctx.measures.list_measures()[0]
    chart = ctx.measures.chart(measure.code)
    booked, clinic_day = _huddle_row(ctx)
    crohn = _crohn_patient(ctx)
    patient_goal = next(g for p in ctx.patients.search(ctx.actor) for g in ctx.goals.care(ctx.actor, p.id).goals)
    value = _record(ctx, "observations", lambda o: o.code == "CRP" and not o.entered_in_error)
    index = _record(ctx, "observations", lambda o: o.levels and not o.entered_in_error)
    medicine = _record(ctx, "medications", lambda m: not m.entered_in_error)
    event = _record(ctx, "events", lambda e: not e.entered_in_error)
    seen = _record(ctx, "visits", lambda v: v.status == "completed" and ctx.corrections.visit_values(ctx.actor, v.id))
    resource = ctx.commons.get(ctx.commons.search("")[0].id)
    return {
        "new patient": lambda: PatientDialog(ctx),
        "patient's record": lambda: PatientDialog(ctx, patient_id=pid),
        "patient's goal": lambda: PatientGoalDialog(ctx, pid, []),
        "goal follow-up": lambda: FollowUpDialog(ctx, patient_goal),
        "task": lambda: TaskDialog(ctx, pid),
        "record a visit": lambda: VisitDialog(ctx, crohn.id, ctx.today()),
        "record a booked visit": lambda: VisitDialog(ctx, booked.patient_id, clinic_day, visit_id=booked.visit_id),
        "correct a value": lambda: ObservationCorrectionDialog(ctx, value),
        "correct an index": lambda: ObservationCorrectionDialog(ctx, index),
        "correct a medicine": lambda: MedicationCorrectionDialog(ctx, medicine),
        "correct a vaccine or screening": lambda: EventCorrectionDialog(ctx, event),
        "remove a visit": lambda: RemoveVisitDialog(ctx, seen, ctx.corrections.visit_values(ctx.actor, seen.id)),
        "book a visit": lambda: AddVisitDialog(ctx, ctx.today()),
        "move a visit": lambda: MoveVisitDialog(ctx, booked, clinic_day),
        "agenda item": lambda: AgendaItemDialog(ctx, booked),
        "pre-visit plan": lambda: PlanNotesDialog(ctx, booked),
        "new phase": lambda: PhaseDialog(ctx, measure, chart.months),
        "chart note": lambda: NoteDialog(ctx, measure, ctx.today()),
        "baseline": lambda: BaselineDialog(ctx, measure, chart.months, chart.freeze, chart.baseline_chosen),
        "month by hand": lambda: EnterMonthDialog(ctx, measure, "2026-02"),
        "improvement goal": lambda: GoalDialog(ctx),
        "driver diagram box": lambda: BoxDialog(ctx, goal, None, "aim"),
        "progress score": lambda: ProgressDialog(ctx, goal),
        "close out a goal": lambda: CloseOutDialog(ctx, goal),
        "PDSA worksheet": lambda: PdsaDialog(ctx, Cycle(id=None, seq=1, title="", goal_id=goal)),
        "commons resource": lambda: ResourceDialog(ctx),
        "adapt a resource": lambda: AdaptDialog(ctx, resource),
        "trusted key": lambda: AddKeyDialog(ctx, ctx.trust.my_card()),
        "center details": lambda: CenterDialog(ctx),
        "team": lambda: TeamDialog(ctx),
        "sign in": lambda: SignInDialog(ctx, os_user="tester"),
        "first start": lambda: FirstRunDialog(),
        "export": lambda: ExportDialog(ctx, InlineTaskRunner(None)),
        "CSV columns": lambda: CsvMappingDialog(ctx, _csv_report(tmp_path)),
        "lock": lambda: LockDialog(ctx, None, "Locked after 10 quiet minutes.", lambda: False),
        "unlock the data": lambda: UnlockDialog(str(ctx.db.path), lambda _path, **_secret: "the key file"),
    }


FORMS = ["new patient", "patient's record", "patient's goal", "goal follow-up", "task", "record a visit",
         "record a booked visit", "correct a value", "correct an index", "correct a medicine",
         "correct a vaccine or screening", "remove a visit", "book a visit", "move a visit", "agenda item",
         "pre-visit plan", "new phase", "chart note", "baseline", "month by hand", "improvement goal",
         "driver diagram box", "progress score", "close out a goal", "PDSA worksheet", "commons resource",
         "adapt a resource", "trusted key", "center details", "team", "sign in", "first start", "export",
         "CSV columns", "lock", "unlock the data"]  # fmt: skip
#: the lock dialog is left only by a PIN or by signing in as someone else: Escape keeps the window locked (test_lock)
CLOSED_BY_ESCAPE = [name for name in FORMS if name != "lock"]
#: the visit form starts at the first value to record, below its date, clinician and visit type, which come filled
#: in from the schedule (test_clinical_forms); still a field, never a button, and Tab still walks it from the top
STARTS_AT = {"record a visit": "pga", "record a booked visit": "pga"}


def _open(qtbot, make) -> QDialog:
    dialog = make()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def _questions(monkeypatch, button: QMessageBox.StandardButton) -> list[str]:
    """Answer every QMessageBox.question with ``button``; returns what was asked, in order."""
    asked: list[str] = []

    def question(_parent, _title, text, *_args, **_kwargs):
        asked.append(text)
        return button

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


@pytest.fixture(autouse=True)
def _no_question_left_open(monkeypatch) -> None:
    """A question no test here waits for (as a form is closed at the end) is answered, not left open for a person."""
    _questions(monkeypatch, QMessageBox.StandardButton.Discard)


def _rejected(dialog: QDialog) -> bool:
    """Closed by Cancel or Escape (QDialog's own result(): two forms name their result field ``result``)."""
    return not dialog.isVisible() and QDialog.result(dialog) == QDialog.DialogCode.Rejected


def _text(field: QWidget) -> str:
    return field.text() if isinstance(field, QLineEdit) else field.toPlainText()


def _text_field(dialog: QDialog) -> QWidget | None:
    return next((f for f in fields_in_reading_order(dialog)
                 if isinstance(f, QLineEdit | QPlainTextEdit | QTextEdit) and not f.isReadOnly()), None)  # fmt: skip


def _make_an_edit(qtbot, dialog: QDialog) -> tuple[QWidget, Callable[[], bool]]:
    """Type into the form's first field that takes text, or with none, choose another item of its first field, as a
    person does; returns that field and whether the edit is still there."""
    first = fields_in_reading_order(dialog)[0]
    if _text_field(dialog) is None and isinstance(first, QRadioButton):
        qtbot.keyClick(first, Qt.Key.Key_Down)  # the next choice (the first start's new center: its fields open)
    typed = _text_field(dialog)
    if typed is not None:
        typed.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.keyClicks(typed, TYPED)
        return typed, lambda: TYPED in _text(typed)
    if isinstance(first, QComboBox):
        before = first.currentIndex()
        qtbot.keyClick(first, Qt.Key.Key_Up if before == first.count() - 1 else Qt.Key.Key_Down)
        after = first.currentIndex()
        assert after != before
        return first, lambda: first.currentIndex() == after
    raise AssertionError(f"no field to edit in {dialog.windowTitle()}")


@pytest.mark.parametrize("name", FORMS)
def test_a_form_starts_in_its_first_field_and_tabs_in_reading_order_to_its_buttons(qtbot, ctx, tmp_path, name) -> None:
    dialog = _open(qtbot, _forms(ctx, tmp_path)[name])
    # a field Tab does not stop at (a value's unit, chosen by mouse or Alt+Down) is still a field, never first
    fields = [f for f in fields_in_reading_order(dialog) if f.focusPolicy() & Qt.FocusPolicy.TabFocus]
    assert fields, "a form has fields"
    top = {w: w.mapTo(dialog, w.rect().topLeft()).y() for w in fields}  # before Tab scrolls a long form
    start = getattr(dialog, STARTS_AT[name]) if name in STARTS_AT else fields[0]
    assert QApplication.focusWidget() is start, f"{name}: focus on {QApplication.focusWidget()!r}"
    assert start in fields and start not in buttons_of(dialog), f"{name}: starts on a button"
    if start is not fields[0]:
        fields[0].setFocus(Qt.FocusReason.BacktabFocusReason)  # as Shift+Tab up to the top of the form
    visited = [QApplication.focusWidget()]
    for _ in range(len(fields) + len(buttons_of(dialog)) - 1):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        visited.append(QApplication.focusWidget())
    tops = [top[w] for w in visited[: len(fields)] if w in top]
    assert tops == sorted(tops), f"{name}: Tab goes back up the form"
    assert visited[: len(fields)] == fields, f"{name}: Tab visits {visited}"
    assert visited[len(fields) :] == buttons_of(dialog), f"{name}: the buttons come last, in order"


@pytest.mark.parametrize("name", CLOSED_BY_ESCAPE)
def test_escape_closes_an_untouched_form_at_once(qtbot, ctx, tmp_path, monkeypatch, name) -> None:
    dialog = _open(qtbot, _forms(ctx, tmp_path)[name])
    asked = _questions(monkeypatch, QMessageBox.StandardButton.Cancel)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert asked == [], f"{name}: asked {asked}"
    assert _rejected(dialog)


@pytest.mark.parametrize("name", CLOSED_BY_ESCAPE)
def test_escape_on_a_form_with_edits_asks_first(qtbot, ctx, tmp_path, monkeypatch, name) -> None:
    dialog = _open(qtbot, _forms(ctx, tmp_path)[name])
    field, kept = _make_an_edit(qtbot, dialog)

    asked = _questions(monkeypatch, QMessageBox.StandardButton.Cancel)
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert asked == [DISCARD_QUESTION], f"{name}: asked {asked}"
    assert dialog.isVisible() and kept(), f"{name}: kept open, with the edit"

    asked = _questions(monkeypatch, QMessageBox.StandardButton.Discard)
    qtbot.keyClick(field, Qt.Key.Key_Escape)
    assert asked == [DISCARD_QUESTION], f"{name}: asked once, not {asked}"
    assert _rejected(dialog)


def test_the_columns_of_another_kind_of_report_are_tabbed_in_reading_order_too(qtbot, ctx, tmp_path) -> None:
    dialog = _open(qtbot, _forms(ctx, tmp_path)["CSV columns"])
    dialog.kind.setFocus()
    qtbot.keyClick(dialog.kind, Qt.Key.Key_Down)  # another kind of report: its own column pickers
    qtbot.waitUntil(lambda: all(p.isVisible() for p in dialog.pickers.values()))  # shown on the loop's next turn
    fields = fields_in_reading_order(dialog)
    assert set(dialog.pickers.values()) <= set(fields)
    dialog.source.setFocus(Qt.FocusReason.BacktabFocusReason)
    visited = [QApplication.focusWidget()]
    for _ in range(len(fields) + len(buttons_of(dialog)) - 1):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        visited.append(QApplication.focusWidget())
    assert visited[: len(fields)] == fields
    assert visited[len(fields) :] == buttons_of(dialog)


#: forms with more than one required field: Enter after typing only the first must keep the form, and what was typed
NEEDS_MORE = ["new patient", "improvement goal", "commons resource", "trusted key"]


@pytest.mark.parametrize("name", NEEDS_MORE)
def test_enter_in_a_one_line_field_with_required_fields_left_keeps_the_form(qtbot, ctx, tmp_path, presented, name):
    dialog = _open(qtbot, _forms(ctx, tmp_path)[name])
    typed = next(f for f in fields_in_reading_order(dialog) if isinstance(f, QLineEdit) and not f.isReadOnly())
    typed.setFocus(Qt.FocusReason.TabFocusReason)
    qtbot.keyClicks(typed, TYPED)
    qtbot.keyClick(typed, Qt.Key.Key_Return)
    assert dialog.isVisible() and QDialog.result(dialog) != QDialog.DialogCode.Accepted, f"{name}: closed"
    assert presented, f"{name}: said nothing about what is missing"
    assert TYPED in typed.text(), f"{name}: lost what was typed"
