"""What the Measures and Improvement pages offer depends on what is chosen; what they show is in words people read.

Actions that work on a chosen measure, goal, box or cycle are disabled until one is chosen (the current row alone,
after the selection was cleared, does not count). The Improvement tree says "Active" and "Planning", not codes, and
names linked measures by title; the phase, note and baseline dialogs name the measure and its months.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from lhn_desktop.app import AppContext
from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.pages.improvement import COLUMNS, NEEDS_GOAL, STATUS_LABELS, ImprovementPage
from lhn_desktop.gui.pages.measures import NEEDS_CHART, MeasuresPage
from tests.conftest import DEMO_TODAY
from tests.gui.conftest import make_window, when_dialog_opens

ROLE = Qt.ItemDataRole.UserRole
CHOOSE = "Choose a measure in the list to see its chart."
STATUS = COLUMNS.index("Status")
DATES = COLUMNS.index("Dates")
DECISION = COLUMNS.index("Decision")
#: what a goal, a box or a cycle enables besides NEEDS_GOAL
BY_CHOICE = ("add_box", "edit_box", "remove_box", "next_cycle", "cycle_pdf", "share")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")  # fmt: skip


# -- the Measures page ---------------------------------------------------------------------------------------------


@pytest.fixture
def measures(window: MainWindow) -> MeasuresPage:
    page = window.go_to(MeasuresPage)
    assert isinstance(page, MeasuresPage)
    return page


def _select_measure(page: MeasuresPage, code: str) -> None:
    row = next(k for k, m in enumerate(page.model.rows) if m.code == code)
    page.table.selectRow(row)


def _message(page: MeasuresPage) -> str:
    return " ".join(t.get_text() for t in page.chart_view.figure.texts)


def _enabled(page, names) -> dict[str, bool]:
    return {name: page.actions_[name].isEnabled() for name in names}


def test_measure_actions_wait_for_a_chosen_measure(measures: MeasuresPage) -> None:
    assert measures.current_measure() is not None  # the first measure is chosen on arrival
    assert all(_enabled(measures, NEEDS_CHART).values())

    measures.table.clearSelection()
    assert measures.table.currentIndex().isValid()  # a current row remains, but it is not a choice
    assert measures.current_measure() is None and measures.current_code() is None
    assert _enabled(measures, NEEDS_CHART) == dict.fromkeys(NEEDS_CHART, False)
    assert not measures.actions_["enter"].isEnabled()
    assert measures.actions_["all"].isEnabled()  # the page of all measures needs no choice
    assert measures.chart is None and measures.months_model.rows == []
    assert _message(measures) == CHOOSE
    assert measures.reading.text() == ""

    _select_measure(measures, "visit_200d")
    assert measures.current_code() == "visit_200d"
    assert measures.chart is not None and measures.chart.measure.code == "visit_200d"
    assert _enabled(measures, NEEDS_CHART) == dict.fromkeys(NEEDS_CHART, True)
    assert measures.actions_["enter"].isEnabled()
    assert CHOOSE not in _message(measures)
    assert len(measures.months_model.rows) == len(measures.chart.values)


def test_actions_without_a_chosen_measure_open_nothing(measures: MeasuresPage, monkeypatch) -> None:
    opened: list = []
    monkeypatch.setattr(measures, "_run", opened.append)
    measures.table.clearSelection()
    for act in (measures.new_phase, measures.add_note, measures.choose_baseline, measures.enter_month):
        act()
    assert opened == []
    _select_measure(measures, "visit_200d")
    for act in (measures.new_phase, measures.add_note, measures.choose_baseline, measures.enter_month):
        act()
    assert [type(d).__name__ for d in opened] == ["PhaseDialog", "NoteDialog", "BaselineDialog", "EnterMonthDialog"]


def _month_names(combo) -> list[tuple[str, object]]:
    return [(combo.itemText(i), combo.itemData(i)) for i in range(combo.count())]


def test_phase_note_and_baseline_dialogs_name_the_measure_and_its_months(measures: MeasuresPage, qtbot) -> None:
    _select_measure(measures, "model_care")
    chart = measures.chart
    before = measures.ctx.measures.annotations("model_care")
    title = chart.measure.title
    assert title == "Model care at the visit" and chart.months[0] == "2024-03" and chart.months[-1] == "2026-02"
    found: dict[str, tuple[str, list]] = {}

    def look(name: str, combo: str | None):
        def act(dialog: QDialog) -> None:
            found[name] = (dialog.windowTitle(), _month_names(getattr(dialog, combo)) if combo else [])
            dialog.reject()

        return act

    for name, combo in (("phase", "month"), ("note", None), ("baseline", "last")):
        seen = when_dialog_opens(look(name, combo))
        measures.actions_[name].trigger()
        assert seen, name

    for name, (window_title, _items) in found.items():
        assert title in window_title, name
        assert "model_care" not in window_title, name

    phase = found["phase"][1]
    assert [data for _text, data in phase] == chart.months[1:]  # a phase cannot start at the first month
    assert phase[0] == ("April 2024", "2024-04") and phase[-1] == ("February 2026", "2026-02")
    baseline = found["baseline"][1]
    assert baseline[0][1] is None and "first 12 months" in baseline[0][0]
    assert baseline[1] == ("March 2024", "2024-03") and baseline[-1] == ("February 2026", "2026-02")
    for text, data in phase + baseline[1:]:
        assert re.fullmatch(r"[A-Z][a-z]+ \d{4}", text), text  # "March 2026", never "2026-03"
        assert text == f"{MONTHS[int(data[5:]) - 1]} {data[:4]}"
    assert measures.ctx.measures.annotations("model_care") == before  # cancelled: nothing saved


@pytest.fixture
def late_ctx(center_path: Path) -> Iterator[AppContext]:
    """The empty test center, signed in as its physician, with one measure counted only from January 2025."""
    context = AppContext.open(str(center_path), exclusive=True, today=lambda: DEMO_TODAY)
    physician = next(m for m in context.team.list_members() if m.role == "physician")
    context.sign_in(physician.id, "tester")
    context.measures.install_library(context.actor)
    for month in ("2024-10", "2024-11", "2024-12"):
        context.measures.enter_value(context.actor, "remission_pga", month, 0, 0)
    for k in range(1, 13):
        context.measures.enter_value(context.actor, "remission_pga", f"2025-{k:02d}", 20 + k, 40)
    for month in ("2025-01", "2025-02"):
        context.measures.enter_value(context.actor, "no_prednisone", month, 0, 0)  # nothing with data yet
    yield context
    context.close()


def test_a_chart_that_starts_late_says_so_and_one_without_data_disables_its_actions(qtbot, late_ctx) -> None:
    window = make_window(qtbot, late_ctx)
    page = window.go_to(MeasuresPage)
    assert isinstance(page, MeasuresPage)

    _select_measure(page, "remission_pga")
    assert page.chart is not None and page.chart.months[0] == "2025-01" and page.chart.months_before_data == 3
    reading = page.reading.text()
    assert re.search(r"starts in (2025-01|Jan(uary)? 2025), the first month with data", reading), reading
    assert "3 months before it had none are left off" in reading
    assert [v.month for v in page.months_model.rows] == [f"2025-{k:02d}" for k in range(1, 13)]
    assert all(_enabled(page, NEEDS_CHART).values())

    seen: list[list] = []
    when_dialog_opens(lambda d: (seen.append(_month_names(d.month)), d.reject()))
    page.actions_["phase"].trigger()
    assert seen and seen[0][0] == ("February 2025", "2025-02")  # no month before the data is offered

    _select_measure(page, "no_prednisone")
    assert page.current_code() == "no_prednisone" and page.chart is None
    assert _enabled(page, NEEDS_CHART) == dict.fromkeys(NEEDS_CHART, False)
    assert page.actions_["enter"].isEnabled()  # a month can still be entered by hand
    assert "Patients not on prednisone has no month with data yet" in _message(page)


# -- the Improvement page ------------------------------------------------------------------------------------------


@pytest.fixture
def improvement(window: MainWindow) -> ImprovementPage:
    page = window.go_to(ImprovementPage)
    assert isinstance(page, ImprovementPage)
    return page


def _goal_id(page: ImprovementPage, title: str) -> str:
    return next(g.id for g in page.goals.values() if g.title == title)


def _choose(page: ImprovementPage, key: tuple[str, str]) -> None:
    item = page._find(key)
    assert item is not None, key
    page.tree.setCurrentItem(item)
    assert item.isSelected()


def _all_rows(page: ImprovementPage):
    stack = [page.tree.topLevelItem(i) for i in range(page.tree.topLevelItemCount())]
    while stack:
        item = stack.pop()
        yield item
        stack += [item.child(i) for i in range(item.childCount())]


def test_improvement_actions_follow_what_is_chosen(improvement: ImprovementPage) -> None:
    page = improvement
    model_care = page.goals[_goal_id(page, "Model care at every visit")]
    aim = next(d for d in model_care.drivers if d.kind == "aim")
    idea = next(d for d in model_care.drivers if d.kind == "change_idea")
    cycle = model_care.cycles[0]

    page.tree.clearSelection()
    assert page.tree.currentItem() is not None  # still current, no longer chosen
    assert _enabled(page, NEEDS_GOAL) == dict.fromkeys(NEEDS_GOAL, False)
    assert _enabled(page, BY_CHOICE) == dict.fromkeys(BY_CHOICE, False)
    assert page.actions_["new_goal"].isEnabled()
    assert "Choose a goal" in page.detail.text()

    _choose(page, ("goal", model_care.id))  # a goal that already has its aim
    assert _enabled(page, NEEDS_GOAL) == dict.fromkeys(NEEDS_GOAL, True)
    assert _enabled(page, BY_CHOICE) == dict.fromkeys(BY_CHOICE, False)

    _choose(page, ("box", aim.id))
    assert all(_enabled(page, NEEDS_GOAL).values())
    assert _enabled(page, BY_CHOICE) == {"add_box": True, "edit_box": True, "remove_box": True,
                                         "next_cycle": False, "cycle_pdf": False, "share": False}  # fmt: skip

    _choose(page, ("box", idea.id))  # the last level: cycles go under it, not boxes; it can be shared
    assert _enabled(page, BY_CHOICE) == {"add_box": False, "edit_box": True, "remove_box": True,
                                         "next_cycle": False, "cycle_pdf": False, "share": True}  # fmt: skip

    _choose(page, ("cycle", cycle.id))
    assert all(_enabled(page, NEEDS_GOAL).values())
    assert _enabled(page, BY_CHOICE) == {"add_box": False, "edit_box": False, "remove_box": False,
                                         "next_cycle": True, "cycle_pdf": True, "share": True}  # fmt: skip

    page.tree.clearSelection()
    assert not any(_enabled(page, (*NEEDS_GOAL, *BY_CHOICE)).values())


def test_a_goal_without_an_aim_offers_to_add_its_first_box(improvement: ImprovementPage) -> None:
    ctx = improvement.ctx
    goal_id = ctx.improvement.save_goal(ctx.actor, None, title="Fewer steroids", aim="Cut prednisone use by June")
    improvement.refresh(("goal", goal_id))
    assert improvement._selected_key() == ("goal", goal_id)
    assert improvement.actions_["add_box"].isEnabled()
    assert not any(_enabled(improvement, ("edit_box", "remove_box", "next_cycle", "cycle_pdf", "share")).values())


def test_the_tree_shows_status_words_and_dates_and_the_detail_names_measures_by_title(
    improvement: ImprovementPage,
) -> None:
    page = improvement
    ctx = page.ctx
    visits_id = _goal_id(page, "Every patient seen within 200 days")
    model_care = page.goals[_goal_id(page, "Model care at every visit")]
    planned = ctx.improvement.next_cycle(ctx.actor, model_care.cycles[-1].id)  # a new cycle is being planned
    page.refresh()

    goal_row = page._find(("goal", visits_id))
    assert goal_row.text(STATUS) == "Active"
    assert goal_row.text(DATES) == "10 Feb 2026 to 11 May 2026"
    rows = {c.seq: page._find(("cycle", c.id)) for c in model_care.cycles}
    assert [rows[s].text(STATUS) for s in (1, 2, 3)] == ["Done", "Done", "Doing"]
    assert [rows[s].text(DECISION) for s in (1, 2, 3)] == ["Adapt", "Adopt", ""]
    assert rows[2].text(DATES) == "24 Jan 2026 to 31 Jan 2026"
    assert rows[2].text(COLUMNS.index("Scale")) == "5 patients"
    assert page._find(("cycle", planned)).text(STATUS) == "Planning"
    statuses = {item.text(STATUS) for item in _all_rows(page)} - {""}
    assert statuses == {"Active", "Done", "Doing", "Planning"}
    assert not statuses & set(STATUS_LABELS)  # never the stored codes
    for item in _all_rows(page):
        assert not re.search(r"\d{4}-\d{2}-\d{2}", item.text(DATES)), item.text(DATES)

    _choose(page, ("goal", visits_id))
    assert "<b>Measures</b>: Patients seen within 200 days" in page.detail.text()
    assert "visit_200d" not in page.detail.text()
    ctx.improvement.link_measure(ctx.actor, visits_id, "no_prednisone")
    page.refresh(("goal", visits_id))
    detail = page.detail.text()
    assert "Patients seen within 200 days" in detail and "Patients not on prednisone" in detail
    assert "no_prednisone" not in detail and "visit_200d" not in detail
