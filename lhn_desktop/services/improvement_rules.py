"""Method checks, PDSA ramps and the suggested progress score, as pure functions (DOMAIN.md 3.1-3.3).

The checks are gentle hints, never blocks: a question without a prediction, a study without results,
a goal without a measure, a ramp that jumps from one to everyone, a cycle without a follow-up, an aim
that names no measure, number or date. The progress score is *suggested* from the evidence and a
person confirms or changes it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from statistics import median
from typing import Protocol

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


def level_of(text: str | None) -> float | None:
    """The number in a goal's baseline or target as the team wrote it ("62%", "62 %", "about 62"), or None."""
    found = re.search(r"-?\d+(?:\.\d+)?", text or "")
    return float(found.group()) if found else None


class ChartPoint(Protocol):
    """What reading a chart needs of one plotted month (an ``spc.SpcPoint`` has it)."""

    @property
    def x(self) -> object: ...
    @property
    def y(self) -> float | None: ...
    @property
    def cl(self) -> float | None: ...
    @property
    def lcl(self) -> float | None: ...
    @property
    def ucl(self) -> float | None: ...
    @property
    def baseline(self) -> bool: ...
    @property
    def runs_signal(self) -> bool: ...
    @property
    def sigma_signal(self) -> bool: ...


@dataclass(frozen=True)
class ChartReading:
    """What one measure's chart shows of a goal: a signal in the better direction, how far the latest months
    have come from the baseline toward the target, and for how many months at the end the target was met."""

    signal: bool = False
    fraction_of_target: float | None = None
    months_at_target: int = 0
    has_target: bool = False

    def rank(self) -> tuple[bool, float, int]:
        return self.signal, self.fraction_of_target or 0.0, self.months_at_target


#: how many of the latest months give the current level (their median)
CURRENT_MONTHS = 3


def _month(x: object) -> str:
    return str(x)[:7]


def _longest_run_side(points: list[ChartPoint]) -> int:
    """+1 or -1: the side of the centre line (above or below) of the longest run of points; 0 without runs."""
    best_side, best, side, length = 0, 0, 0, 0
    for p in points:
        if p.y is None or p.cl is None or p.y == p.cl:
            continue  # a point on the centre line neither breaks nor extends a run
        here = 1 if p.y > p.cl else -1
        length = length + 1 if here == side else 1
        side = here
        if length > best:
            best_side, best = side, length
    return best_side


def read_chart(
    points: Sequence[ChartPoint], *, up: bool, target: float | None, since: date, before: float | None = None
) -> ChartReading:
    """Read a goal's measure the way the team reads its chart at the meeting.

    The months that count are those after the chart's baseline (or, with no baseline, those since the goal
    started). A *signal* is a runs signal (a shift or too few crossings) whose longest run lies on the better
    side of the centre line, or a point beyond the control limit on the better side. The *level before* is the
    goal's own baseline when given (``before``), else the chart baseline's centre line (or the median before
    the goal started); the *current level* is the median of the latest three months. ``fraction_of_target`` is
    how far the current level has moved from the level before toward the target (1.0: reached);
    ``months_at_target`` counts the latest months in a row at or beyond it.
    """
    plotted = [p for p in points if p.y is not None]
    baseline = [p for p in plotted if p.baseline]
    start = f"{since:%Y-%m}"
    period = [p for p in plotted if not p.baseline] if baseline else [p for p in plotted if _month(p.x) >= start]
    if not period:
        return ChartReading(has_target=target is not None)
    sign = 1 if up else -1

    def better(value: float, than: float) -> bool:
        return (value - than) * sign > 0

    runs = any(p.runs_signal for p in period) and _longest_run_side(period) == sign
    beyond = any(
        p.sigma_signal and p.y is not None and (limit := p.ucl if up else p.lcl) is not None and better(p.y, limit)
        for p in period
    )
    before_points = baseline or [p for p in plotted if _month(p.x) < start]
    if before is not None:
        pass  # the goal's own baseline, as the team wrote it
    elif baseline and baseline[-1].cl is not None:
        before = baseline[-1].cl
    elif before_points:
        before = median(p.y for p in before_points if p.y is not None)
    else:
        before = period[0].cl
    values = [p.y for p in period if p.y is not None]
    current = median(values[-CURRENT_MONTHS:])
    fraction = None
    at_target = 0
    if target is not None:
        for value in reversed(values):
            if better(value, target) or value == target:
                at_target += 1
            else:
                break
        if before is not None and better(target, before):
            fraction = (current - before) / (target - before)
        elif before is not None:  # the level before already met the target: reached if it still does
            fraction = 1.0 if at_target else 0.0
    return ChartReading(runs or beyond, fraction, at_target, target is not None)


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
    #: consecutive months at or beyond the target, up to the latest
    months_at_target: int = 0
    #: a linked measure has a target to measure progress against
    has_target: bool = True
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
    if fraction is None:
        return 3.0, [*why, words.NO_TARGET if not e.has_target else words.MODEST]
    if fraction < 0.2:
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
