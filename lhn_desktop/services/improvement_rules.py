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

from lhn_desktop.services.words import improvement as words

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
            hints.append(Hint("no_prediction", words.no_prediction(k)))
    studied = cycle.status in ("studying", "done") or cycle.act_decision is not None
    if studied:
        for k, q in enumerate(cycle.questions, start=1):
            if q.text.strip() and not q.result.strip():
                hints.append(Hint("no_result", words.no_result(k)))
        if not cycle.questions and not (cycle.study_summary or "").strip():
            hints.append(Hint("no_result", words.NO_RESULTS))
    if cycle.act_decision in ("adopt", "adapt") and not has_follow_up and not (cycle.act_next_step or "").strip():
        hints.append(Hint("no_follow_up", words.no_follow_up(cycle.seq, cycle.act_decision)))
    if (
        cycle.act_decision is None
        and cycle.end_date is not None
        and today > cycle.end_date + timedelta(days=DECISION_GRACE_DAYS)
    ):
        hints.append(Hint("no_follow_up", words.no_decision(cycle.seq, cycle.end_date)))
    return hints


def ramp_hints(cycles: list[Cycle]) -> list[Hint]:
    """Hints about a ramp (the cycles testing one change idea, in order)."""
    hints = []
    ordered = sorted(cycles, key=lambda c: c.seq)
    for before, after in itertools.pairwise(ordered):
        if before.scale_n and after.scale_n and before.scale_n <= 2 and after.scale_n >= RAMP_JUMP * before.scale_n:
            unit = after.scale_unit or "people"
            hints.append(Hint("ramp_jump", words.ramp_jump(after.seq, before.scale_n, after.scale_n, unit)))
    return hints


def goal_hints(
    aim: str, *, measures_linked: int, end_date: date | None, measure_titles: tuple[str, ...] = ()
) -> list[Hint]:
    """The gentle SMART check of a 90-day aim (a measure, a number, a date), and a goal without a measure."""
    hints = []
    text = aim or ""
    title_words = {w for title in measure_titles for w in re.findall(r"[a-z]{5,}", title.lower())}
    names_measure = re.search(r"%|percent|\brate\b|number of|share of|proportion", text, re.IGNORECASE) or any(
        w in text.lower() for w in title_words
    )
    if not names_measure:
        hints.append(Hint("aim_measure", words.AIM_NO_MEASURE))
    if not re.search(r"\d", text):
        hints.append(Hint("aim_number", words.AIM_NO_NUMBER))
    has_date = re.search(r"\b(by|before|until|end of)\b|\d{4}-\d{2}-\d{2}|\b(19|20)\d{2}\b", text, re.IGNORECASE)
    months = r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
    if not has_date and not re.search(months, text, re.IGNORECASE):
        hints.append(Hint("aim_date", words.AIM_NO_DATE))
    if measures_linked == 0:
        hints.append(Hint("no_measure", words.NO_MEASURE_LINKED))
    if end_date is None:
        hints.append(Hint("aim_date", words.NO_END_DATE))
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
        return 0.5, [words.NO_AIM]
    why.append(words.AIM_SET)
    if not e.team_set:
        return 1.0, [*why, words.NO_TEAM]
    why.append(words.TEAM_NAMED)
    if not (e.drivers or e.cycles_planned or e.cycles_tested):
        return 1.0, [*why, words.NO_PLAN]
    if not e.cycles_tested:
        return 1.5, [*why, words.planning_begun(e.drivers, e.cycles_planned)]
    why.append(words.cycles_tested(e.cycles_tested))
    if not e.measures_charted:
        return 2.0, [*why, words.NOTHING_CHARTED]
    why.append(words.measures_charted(e.measures_charted))
    if not e.improvement_signal:
        return 2.5, [*why, words.NO_SIGNAL]
    why.append(words.SIGNAL)
    fraction = e.fraction_of_target
    if fraction is None or fraction < 0.2:
        return 3.0, [*why, words.MODEST]
    if fraction < 0.5:
        return 3.5, [*why, words.improvement(fraction, significant=False)]
    if fraction < 1.0:
        return 4.0, [*why, words.improvement(fraction, significant=True)]
    if e.months_at_target < 3:
        return 4.0, [*why, words.REACHED_NOT_SUSTAINED]
    if e.months_at_target < 6:
        return 4.5, [*why, words.sustained(e.months_at_target, outstanding=False)]
    return 5.0, [*why, words.sustained(e.months_at_target, outstanding=True)]
