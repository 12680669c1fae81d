"""The Patient lists page: a list is made off the window thread, and "Narrow to" filters the rows it made."""

from __future__ import annotations

from lhn_desktop.gui.pages.lists import ListsPage
from lhn_desktop.gui.tasks import TaskRunner
from lhn_desktop.progress import CancelToken


def test_narrowing_filters_the_loaded_list_without_reading_again(window, qtbot, monkeypatch):
    page = window.go_to(ListsPage)
    page.kind.setCurrentIndex(page.kind.findData("not_in_remission"))
    planning = page.ctx.planning
    whole = planning.population(page.ctx.actor, "not_in_remission")
    assert [r.patient_id for r in page.model.rows] == [r.patient_id for r in whole]
    asked: list[str] = []
    real = planning.population

    def counted(actor, kind, text=""):
        asked.append(kind)
        return real(actor, kind, text)

    monkeypatch.setattr(planning, "population", counted)
    first = whole[0]
    for typed in (first.mrn[:3], first.mrn, first.mrn.lower(), "zz-nobody", ""):
        page.filter.setText(typed)
        expected = real(page.ctx.actor, "not_in_remission", typed)
        assert [r.patient_id for r in page.model.rows] == [r.patient_id for r in expected], typed
        assert page.count.text().startswith(f"{len(expected)} patient")
    assert len(asked) == 0  # keystrokes read nothing
    page.kind.setCurrentIndex(page.kind.findData("overdue"))
    assert asked == ["overdue"]  # a list chosen is read (the narrowing stays and applies to it)


class HeldRunner(TaskRunner):
    """Keeps every job until the test lets it run, to show results arriving out of order."""

    def __init__(self) -> None:
        super().__init__(None)
        self.held: list = []

    def submit(self, fn, *, on_success=None, on_error=None, on_cancelled=None, label=None, cancellable=False,
               writes=True):  # fmt: skip
        self.held.append((fn, on_success, label))
        return CancelToken()


def test_a_list_chosen_since_is_not_overwritten_by_a_slower_one(window):
    page = window.go_to(ListsPage)
    held = HeldRunner()
    window.runner = held
    page.kind.setCurrentIndex(page.kind.findData("overdue"))
    page.kind.setCurrentIndex(page.kind.findData("on_steroids"))
    (first, first_done, label), (second, second_done, _) = held.held
    assert label  # a progress dialog appears if it takes a while
    second_done(second(lambda *_: None, CancelToken()))
    steroids = [r.patient_id for r in page.model.rows]
    first_done(first(lambda *_: None, CancelToken()))  # the overdue list, arriving late
    assert [r.patient_id for r in page.model.rows] == steroids and page.loaded[0] == "on_steroids"
    assert all(r.steroid for r in page.model.rows)
