"""Method checks, PDSA ramps and the suggested progress score, as pure functions (DOMAIN.md 3.1-3.3).

The checks are gentle hints, never blocks: a question without a prediction, a study without results,
a goal without a measure, a ramp that jumps from one to everyone, a cycle without a follow-up, an aim
that names no measure, number or date. The progress score is *suggested* from the evidence and a
person confirms or changes it.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

DECISIONS = ("adopt", "adapt", "abandon")
SCALE_UNITS = ("patients", "clinicians", "days", "clinics", "families")
RAMP_JUMP = 10  # from one or two to ten times as many at once is a leap, not a ramp
DECISION_GRACE_DAYS = 14


@dataclass(frozen=True)
class Question:
    text: str
    prediction: str = ""
    result: str = ""


@dataclass(frozen=True)
class Cycle:
    """The worksheet of one PDSA cycle (the fields of DOMAIN.md 3.1)."""

    id: str | None
    seq: int
    title: str
    purpose: str | None = None
    objective: str | None = None
    questions: tuple[Question, ...] = ()
    plan_who: str | None = None
    plan_what: str | None = None
    plan_when: str | None = None
    plan_where: str | None = None
    plan_tasks: str | None = None
    data_plan: str | None = None
    do_as_planned: bool | None = None
    do_observations: str | None = None
    do_problems: str | None = None
    study_summary: str | None = None
    act_decision: str | None = None
    act_next_step: str | None = None
    scale_n: int | None = None
    scale_unit: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    status: str = "planning"
    goal_id: str | None = None
    change_idea_id: str | None = None
    parent_cycle_id: str | None = None


@dataclass(frozen=True)
class Hint:
    code: str
    text: str


def next_cycle(cycle: Cycle) -> Cycle:
    """'Next cycle from this one': the plan copied forward; what happened, the study and the decision left empty.

    Questions and their predictions are copied as a starting point (the team revises the predictions
    for the new scale); results are not. The scale is copied for the team to grow it.
    """
    return replace(
        cycle,
        id=None,
        seq=cycle.seq + 1,
        questions=tuple(Question(q.text, q.prediction, "") for q in cycle.questions),
        do_as_planned=None,
        do_observations=None,
        do_problems=None,
        study_summary=None,
        act_decision=None,
        act_next_step=None,
        start_date=None,
        end_date=None,
        status="planning",
        parent_cycle_id=cycle.id,
    )


def cycle_hints(cycle: Cycle, *, has_follow_up: bool, today: date) -> list[Hint]:
    """Hints about one cycle's worksheet."""
    hints = []
    for k, q in enumerate(cycle.questions, start=1):
        if q.text.strip() and not q.prediction.strip():
            hints.append(Hint("no_prediction", f"Question {k} has no prediction: write what you expect to happen "
                                               "before the test, so the study can compare."))  # fmt: skip
    studied = cycle.status in ("studying", "done") or cycle.act_decision is not None
    if studied:
        for k, q in enumerate(cycle.questions, start=1):
            if q.text.strip() and not q.result.strip():
                hints.append(Hint("no_result", f"The study has no result for question {k}: put what happened "
                                               "beside the prediction."))  # fmt: skip
        if not cycle.questions and not (cycle.study_summary or "").strip():
            hints.append(Hint("no_result", "The study has no results: summarise what the data showed."))
    if cycle.act_decision in ("adopt", "adapt") and not has_follow_up and not (cycle.act_next_step or "").strip():
        hints.append(Hint("no_follow_up", f"Cycle {cycle.seq} decided to {cycle.act_decision} but has no next step "
                                          "or next cycle: plan what comes next."))  # fmt: skip
    if (
        cycle.act_decision is None
        and cycle.end_date is not None
        and today > cycle.end_date + timedelta(days=DECISION_GRACE_DAYS)
    ):
        hints.append(Hint("no_follow_up", f"Cycle {cycle.seq} ended on {cycle.end_date} with no decision: study "
                                          "the results and decide to adopt, adapt or abandon."))  # fmt: skip
    return hints


def ramp_hints(cycles: list[Cycle]) -> list[Hint]:
    """Hints about a ramp (the cycles testing one change idea, in order)."""
    hints = []
    ordered = sorted(cycles, key=lambda c: c.seq)
    for before, after in itertools.pairwise(ordered):
        if before.scale_n and after.scale_n and before.scale_n <= 2 and after.scale_n >= RAMP_JUMP * before.scale_n:
            unit = after.scale_unit or "people"
            hints.append(Hint("ramp_jump", f"Cycle {after.seq} jumps from {before.scale_n} to {after.scale_n} {unit}: "
                                           "test with a few more first (for example 3 to 5)."))  # fmt: skip
    return hints


def goal_hints(
    aim: str, *, measures_linked: int, end_date: date | None, measure_titles: tuple[str, ...] = ()
) -> list[Hint]:
    """The gentle SMART check of a 90-day aim (a measure, a number, a date), and a goal without a measure."""
    hints = []
    text = aim or ""
    words = {w for title in measure_titles for w in re.findall(r"[a-z]{5,}", title.lower())}
    names_measure = re.search(r"%|percent|\brate\b|number of|share of|proportion", text, re.IGNORECASE) or any(
        w in text.lower() for w in words
    )
    if not names_measure:
        hints.append(Hint("aim_measure", "The aim names no measure: say what will be counted, for example "
                                         "'the share of visits with model care'."))  # fmt: skip
    if not re.search(r"\d", text):
        hints.append(Hint("aim_number", "The aim has no number: say how much, for example 'from 62% to 80%'."))
    has_date = re.search(r"\b(by|before|until|end of)\b|\d{4}-\d{2}-\d{2}|\b(19|20)\d{2}\b", text, re.IGNORECASE)
    months = r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    if not has_date and not re.search(months, text, re.IGNORECASE):
        hints.append(Hint("aim_date", "The aim has no date: say by when, for example 'by 30 June'."))
    if measures_linked == 0:
        hints.append(Hint("no_measure", "No measure is linked: link one so the run chart shows whether the changes "
                                        "are improvements."))  # fmt: skip
    if end_date is None:
        hints.append(Hint("aim_date", "The goal has no end date: a 90-day goal ends 90 days after it starts."))
    return hints


@dataclass(frozen=True)
class ProgressEvidence:
    aim_set: bool = False
    team_set: bool = False
    drivers: int = 0
    cycles_planned: int = 0
    cycles_tested: int = 0
    measures_linked: int = 0
    measures_charted: int = 0
    improvement_signal: bool = False
    #: how far the latest centre line has moved from the baseline toward the target (1.0 = target reached)
    fraction_of_target: float | None = None
    #: consecutive months at or beyond the target
    months_at_target: int = 0
    reasons: tuple[str, ...] = field(default=())


def suggest_progress(e: ProgressEvidence) -> tuple[float, list[str]]:
    """The IHI 0.5-5.0 score the evidence supports, and why (DOMAIN.md 3.3)."""
    why: list[str] = []
    if not e.aim_set:
        return 0.5, ["No aim yet: intent to take part."]
    why.append("Aim set.")
    if not e.team_set:
        return 1.0, [*why, "No team or owner named yet."]
    why.append("Team named.")
    if not (e.drivers or e.cycles_planned or e.cycles_tested):
        return 1.0, [*why, "No driver diagram or PDSA cycle yet."]
    if not e.cycles_tested:
        return 1.5, [*why, f"Planning begun ({e.drivers} drivers, {e.cycles_planned} cycles planned)."]
    why.append(f"{e.cycles_tested} PDSA cycle(s) tested.")
    if not e.measures_charted:
        return 2.0, [*why, "No measure charted yet: activity, but no data to show change."]
    why.append(f"{e.measures_charted} measure(s) charted.")
    if not e.improvement_signal:
        return 2.5, [*why, "No signal of improvement on the charts yet."]
    why.append("The chart signals improvement.")
    fraction = e.fraction_of_target
    if fraction is None or fraction < 0.2:
        return 3.0, [*why, "Modest improvement (under 20% of the way to the target)."]
    if fraction < 0.5:
        return 3.5, [*why, f"Improvement: {fraction:.0%} of the way to the target."]
    if fraction < 1.0:
        return 4.0, [*why, f"Significant improvement: {fraction:.0%} of the way to the target."]
    if e.months_at_target < 3:
        return 4.0, [*why, "Target reached; not yet sustained for three months."]
    if e.months_at_target < 6:
        return 4.5, [*why, f"Target sustained for {e.months_at_target} months."]
    return 5.0, [*why, f"Outstanding: target sustained for {e.months_at_target} months."]
