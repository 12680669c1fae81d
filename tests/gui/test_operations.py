"""One shape for work started from the window (gui/operations.py): a failure goes to the one error presenter; a
change is announced, and every page on screen that shows that data reloads itself, without the caller asking."""

from __future__ import annotations

from datetime import date

import pytest
from PySide6.QtWidgets import QMessageBox

from lhn_desktop.errors import ValidationError
from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.operations import Changed, bus_of, run_op, run_query
from lhn_desktop.gui.pages.huddle import HuddlePage
from lhn_desktop.gui.pages.lists import ListsPage
from lhn_desktop.gui.pages.patients import PatientsPage
from lhn_desktop.gui.tasks import TaskRunner
from lhn_desktop.services.registry import PatientInput
from tests.gui.conftest import make_window

GIVEN = {"1": "Noor", "2": "Ines", "3": "Tove", "4": "Aiko"}


def _new_patient(mrn: str) -> PatientInput:
    return PatientInput(mrn=mrn, given_name=GIVEN[mrn[-1]], family_name="Operationsby", birth_date=date(2013, 4, 9),
                        sex="female", diagnosis="Crohn disease", diagnosis_date=date(2024, 1, 10))  # fmt: skip


def test_an_operation_that_fails_goes_to_the_error_presenter_and_changes_nothing(window: MainWindow, presented):
    page = window.go_to(HuddlePage)
    rows = list(page.model.rows)
    announced: list[Changed] = []
    bus_of(page).changed.connect(announced.append)
    after: list[object] = []

    def refused() -> None:
        raise ValidationError("That visit was already cancelled on another workstation.")

    run_op(page, refused, changes=Changed.VISITS, done=after.append, failed=after.append)
    assert presented == ["That visit was already cancelled on another workstation."]
    assert announced == [] and page.model.rows == rows  # nothing announced, nothing reloaded
    assert len(after) == 1 and isinstance(after[0], ValidationError)  # ``failed`` runs after the presenter


def test_a_page_action_that_is_refused_is_presented_too(window: MainWindow, presented, monkeypatch):
    page = window.go_to(HuddlePage)
    row = page.current()
    window.ctx.schedule.cancel_visit(window.ctx.actor, row.visit_id)  # cancelled elsewhere, the board not reloaded
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.mark_missed()
    assert presented == ["That visit is no longer on the schedule."]


def test_a_change_to_the_patients_reloads_the_huddle_and_the_lists_without_the_caller_asking(window, presented):
    ctx = window.ctx
    huddle = window.go_to(HuddlePage)
    day = huddle.selected_day()
    before = len(huddle.model.rows)

    def book(mrn: str) -> str:
        patient = ctx.registry.add(ctx.actor, _new_patient(mrn)).patient_id
        return ctx.schedule.add_visit(ctx.actor, patient, day, f"16:{mrn[-1]}0", "Dr. Robin Sample", "Follow-up")

    # from outside the pages, as an import or another window's form would: nobody asks a page to reload
    run_op(window, lambda: book("OP-0001"), changes=Changed.PATIENTS | Changed.VISITS)
    assert presented == []
    assert len(huddle.model.rows) == before + 1
    assert any(r.mrn == "OP-0001" for r in huddle.model.rows)

    lists = window.go_to(ListsPage)
    lists.kind.setCurrentIndex(lists.kind.findData("overdue"))  # a new patient is overdue for everything
    shown = len(lists.model.rows)
    run_op(window, lambda: book("OP-0002"), changes=Changed.PATIENTS | Changed.VISITS)
    assert presented == []
    assert len(lists.model.rows) == shown + 1 and any(r.mrn == "OP-0002" for r in lists.model.rows)

    patients = window.go_to(PatientsPage)
    patients.show_patient(next(r.id for r in patients.model.rows if r.mrn == "OP-0001"))
    patients.detail.tabs.setCurrentIndex(2)
    run_op(window, lambda: book("OP-0003"), changes=Changed.PATIENTS | Changed.VISITS)
    assert any(r.mrn == "OP-0003" for r in patients.model.rows)
    assert patients.detail.fields["mrn"].text() == "OP-0001" and patients.detail.tabs.currentIndex() == 2  # kept


def test_a_page_that_does_not_show_the_data_or_is_hidden_is_not_reloaded(window, monkeypatch, presented):
    huddle = window.go_to(HuddlePage)
    reloads: list[str] = []
    for cls in (HuddlePage, ListsPage, PatientsPage):
        page = window.page(cls)
        monkeypatch.setattr(page, "data_changed", lambda _changes, name=cls.__name__: reloads.append(name))
    run_op(huddle, lambda: None, changes=Changed.COMMONS)  # the huddle does not show the commons
    assert reloads == []
    run_op(huddle, lambda: None, changes=Changed.PLANS)
    assert reloads == ["HuddlePage"]  # the others are hidden: they reload when they are shown


def test_through_the_real_thread_pool(qtbot, ctx, presented):
    window = make_window(qtbot, ctx)
    window.runner = TaskRunner(window, on_error=None)
    lists = window.go_to(ListsPage)
    lists.kind.setCurrentIndex(lists.kind.findData("overdue"))
    # the list is made off the window thread too: it shows when it is ready
    qtbot.waitUntil(lambda: lists.loaded is not None and lists.loaded[0] == "overdue", timeout=10_000)
    shown = len(lists.model.rows)
    run_op(lists, lambda: ctx.registry.add(ctx.actor, _new_patient("OP-0004")), changes=Changed.PATIENTS)
    qtbot.waitUntil(lambda: len(lists.model.rows) == shown + 1, timeout=10_000)
    got: list[int] = []
    run_query(lists, lambda: ctx.patients.count(ctx.actor), done=got.append)
    qtbot.waitUntil(lambda: bool(got), timeout=10_000)
    assert got[0] >= shown + 1

    def refused() -> None:
        raise ValidationError("Refused on the worker thread.")

    run_op(lists, refused, changes=Changed.PATIENTS)
    qtbot.waitUntil(lambda: bool(presented), timeout=10_000)
    assert presented == ["Refused on the worker thread."]
    window.runner.shutdown()


def test_run_op_takes_work_or_a_job_not_both(window: MainWindow):
    with pytest.raises(TypeError):
        run_op(window, lambda: None, job=lambda _p, _c: None)
    with pytest.raises(TypeError):
        run_query(window, done=lambda _r: None)
