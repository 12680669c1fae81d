"""PDSA ramps, each method check and the suggested progress score."""

from __future__ import annotations

from datetime import date

import pytest

from lhn_desktop.services.improvement_rules import (
    Cycle,
    ProgressEvidence,
    Question,
    cycle_hints,
    goal_hints,
    next_cycle,
    ramp_hints,
    suggest_progress,
)

TODAY = date(2026, 3, 2)
FIRST = Cycle(
    id="c1", seq=1, title="Nurse checklist", purpose="test a change", objective="Does the checklist fit?",
    questions=(Question("Will the nurse finish it by 5 pm?", "Yes, in 10 minutes", "Yes, in 15 minutes"),),
    plan_who="Casey", plan_what="Checklist the day before", plan_when="Tuesday", plan_where="Clinic B",
    plan_tasks="Print the list", data_plan="Count completed checklists", do_as_planned=True,
    do_observations="Took longer", do_problems="Printer jammed", study_summary="Worked, slower than predicted",
    act_decision="adapt", act_next_step="Try with 5 patients", scale_n=1, scale_unit="patients",
    start_date=date(2026, 1, 5), end_date=date(2026, 1, 9), status="done", goal_id="g1", change_idea_id="i1",
)  # fmt: skip


def test_next_cycle_copies_the_plan_and_leaves_the_rest_empty():
    second = next_cycle(FIRST)
    assert (second.id, second.seq, second.parent_cycle_id, second.status) == (None, 2, "c1", "planning")
    for name in ("title", "purpose", "objective", "plan_who", "plan_what", "plan_when", "plan_where", "plan_tasks",
                 "data_plan", "scale_n", "scale_unit", "goal_id", "change_idea_id"):  # fmt: skip
        assert getattr(second, name) == getattr(FIRST, name), name
    for name in ("do_as_planned", "do_observations", "do_problems", "study_summary", "act_decision",
                 "act_next_step", "start_date", "end_date"):  # fmt: skip
        assert getattr(second, name) is None, name
    assert second.questions == (Question("Will the nurse finish it by 5 pm?", "Yes, in 10 minutes", ""),)


def test_question_without_a_prediction():
    cycle = Cycle(id="c", seq=1, title="t", questions=(Question("Q1", "P1"), Question("Q2", "  ")))
    assert [(h.code, h.text[:10]) for h in cycle_hints(cycle, has_follow_up=False, today=TODAY)] == [
        ("no_prediction", "Question 2")
    ]


def test_study_without_results():
    studying = Cycle(id="c", seq=1, title="t", status="studying", questions=(Question("Q1", "P1", ""),))
    assert [h.code for h in cycle_hints(studying, has_follow_up=False, today=TODAY)] == ["no_result"]
    planning = Cycle(id="c", seq=1, title="t", questions=(Question("Q1", "P1", ""),))
    assert cycle_hints(planning, has_follow_up=False, today=TODAY) == []
    empty = Cycle(id="c", seq=1, title="t", status="done", act_decision="abandon")
    assert [h.code for h in cycle_hints(empty, has_follow_up=False, today=TODAY)] == ["no_result"]


def test_cycle_without_a_follow_up():
    adapt = Cycle(id="c", seq=3, title="t", act_decision="adapt", status="done", study_summary="ok")
    assert [h.code for h in cycle_hints(adapt, has_follow_up=False, today=TODAY)] == ["no_follow_up"]
    assert cycle_hints(adapt, has_follow_up=True, today=TODAY) == []
    assert cycle_hints(FIRST, has_follow_up=False, today=TODAY) == []  # it has a next step written
    undecided = Cycle(id="c", seq=2, title="t", end_date=date(2026, 2, 1))
    assert [h.code for h in cycle_hints(undecided, has_follow_up=False, today=date(2026, 2, 15))] == []
    assert [h.code for h in cycle_hints(undecided, has_follow_up=False, today=date(2026, 2, 16))] == ["no_follow_up"]


@pytest.mark.parametrize(
    ("scales", "jumps"),
    [((1, 5, 20), []), ((1, 10), ["Cycle 2 jumps from 1 to 10"]), ((2, 40), ["Cycle 2 jumps from 2 to 40"]),
     ((1, 9), []), ((3, 300), []), ((1, None, 50), [])],
)  # fmt: skip
def test_a_ramp_that_jumps_from_one_to_everyone(scales, jumps):
    cycles = [Cycle(id=f"c{k}", seq=k + 1, title="t", scale_n=n, scale_unit="patients") for k, n in enumerate(scales)]
    assert [h.text[: len(j)] for h, j in zip(ramp_hints(cycles), jumps, strict=True)] == jumps
    assert len(ramp_hints(cycles)) == len(jumps)


def test_smart_aim_and_no_measure():
    good = goal_hints("Raise model care from 62% to 80% by 30 June 2026", measures_linked=1, end_date=TODAY)
    assert good == []
    vague = goal_hints("Improve things", measures_linked=0, end_date=None)
    assert {h.code for h in vague} == {"aim_measure", "aim_number", "aim_date", "no_measure"}
    named = goal_hints("Improve model care to 85 by June", measures_linked=1, end_date=TODAY,
                       measure_titles=("Model care at the visit",))  # fmt: skip
    assert "aim_measure" not in {h.code for h in named}
    assert "aim_number" not in {h.code for h in goal_hints("Reach 90% in June", measures_linked=1, end_date=TODAY)}


@pytest.mark.parametrize(
    ("evidence", "score"),
    [
        (ProgressEvidence(), 0.5),
        (ProgressEvidence(aim_set=True), 1.0),
        (ProgressEvidence(aim_set=True, team_set=True), 1.0),
        (ProgressEvidence(aim_set=True, team_set=True, drivers=4, cycles_planned=1), 1.5),
        (ProgressEvidence(aim_set=True, team_set=True, cycles_planned=2, cycles_tested=1), 2.0),
        (ProgressEvidence(aim_set=True, team_set=True, cycles_tested=1, measures_charted=1), 2.5),
        (ProgressEvidence(aim_set=True, team_set=True, cycles_tested=2, measures_charted=1, improvement_signal=True,
                          fraction_of_target=0.1), 3.0),
        (ProgressEvidence(aim_set=True, team_set=True, cycles_tested=2, measures_charted=1, improvement_signal=True,
                          fraction_of_target=0.3), 3.5),
        (ProgressEvidence(aim_set=True, team_set=True, cycles_tested=2, measures_charted=1, improvement_signal=True,
                          fraction_of_target=0.6), 4.0),
        (ProgressEvidence(aim_set=True, team_set=True, cycles_tested=2, measures_charted=1, improvement_signal=True,
                          fraction_of_target=1.1, months_at_target=4), 4.5),
        (ProgressEvidence(aim_set=True, team_set=True, cycles_tested=2, measures_charted=1, improvement_signal=True,
                          fraction_of_target=1.0, months_at_target=6), 5.0),
    ],
)  # fmt: skip
def test_progress_suggestion_follows_the_ihi_scale(evidence, score):
    suggested, reasons = suggest_progress(evidence)
    assert suggested == score
    assert reasons and all(r.endswith(".") for r in reasons)
