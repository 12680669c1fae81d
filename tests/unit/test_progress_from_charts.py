"""The suggested IHI progress score read from the measure's chart, as the team reads it: every level of the
0.5-5.0 scale reached from real chart analyses (runs and sigma signals after a frozen baseline, the level
reached, months sustained at the target), and a signal in the wrong direction never counted."""

from __future__ import annotations

from datetime import date

import pytest

from lhn_desktop.services.improvement_rules import ProgressEvidence, level_of, read_chart, suggest_progress
from lhn_desktop.spc import SpcInput, SpcOptions, analyze

BASELINE = [49.0, 51.0, 50.0, 48.0, 52.0, 50.0, 49.0, 51.0, 50.0, 48.0, 52.0, 50.0]  # a stable year around 50
GOAL_START = date(2026, 1, 1)  # the thirteenth month: the goal starts when the baseline ends
TESTED = dict(aim_set=True, team_set=True, drivers=5, cycles_planned=3, cycles_tested=2, measures_charted=1)


def points(after: list[float], chart: str = "run", baseline: list[float] = BASELINE):
    values = baseline + after
    months = tuple(date(2025 + k // 12, k % 12 + 1, 1) for k in range(len(values)))
    return analyze(SpcInput(chart=chart, y=tuple(values), x=months, options=SpcOptions(freeze=len(baseline)))).points


def suggestion(after: list[float], *, target: float | None = 80.0, up: bool = True, chart: str = "run", **evidence):
    reading = read_chart(points(after, chart), up=up, target=target, since=GOAL_START)
    e = ProgressEvidence(**(TESTED | evidence), improvement_signal=reading.signal,
                         fraction_of_target=reading.fraction_of_target, months_at_target=reading.months_at_target,
                         has_target=reading.has_target)  # fmt: skip
    return suggest_progress(e), reading


@pytest.mark.parametrize(
    ("evidence", "score"),
    [
        (dict(aim_set=False, team_set=False, drivers=0, cycles_planned=0, cycles_tested=0, measures_charted=0), 0.5),
        (dict(team_set=False, drivers=0, cycles_planned=0, cycles_tested=0, measures_charted=0), 1.0),
        (dict(drivers=0, cycles_planned=0, cycles_tested=0, measures_charted=0), 1.0),
        (dict(cycles_tested=0, measures_charted=0), 1.5),
        (dict(measures_charted=0), 2.0),
    ],
)
def test_the_levels_before_any_data_come_from_the_work_done(evidence, score):
    (suggested, reasons), _ = suggestion([50.0] * 12, **evidence)
    assert suggested == score and reasons[-1].endswith(".")


def test_a_stable_chart_is_activity_without_change():
    (score, reasons), reading = suggestion([49.0, 51.0, 50.0, 48.0, 52.0, 50.0, 51.0, 49.0])
    assert (score, reading.signal) == (2.5, False)
    assert reasons[-1] == "No signal of improvement on the charts yet."


def test_a_shift_in_the_worse_direction_is_no_improvement():
    (score, _), reading = suggestion([44.0] * 10)  # ten months below the baseline: a signal, the wrong way
    assert points([44.0] * 10)[-1].runs_signal
    assert (score, reading.signal) == (2.5, False)
    (score, _), reading = suggestion([44.0] * 10, up=False)  # the same chart when lower is better
    assert reading.signal and score >= 3.0


@pytest.mark.parametrize(
    ("after", "score", "words"),
    [
        ([53.0] * 10, 3.0, "Modest improvement"),  # (53 - 50) / 30: 10 % of the way
        ([61.0] * 10, 3.5, "Improvement: 37% of the way"),
        ([71.0] * 10, 4.0, "Significant improvement: 70% of the way"),
        ([71.0] * 8 + [82.0] * 2, 4.0, "Target reached; not yet sustained"),
        ([71.0] * 6 + [82.0] * 4, 4.5, "Target sustained for 4 months"),
        ([71.0] * 3 + [82.0, 85.0, 80.0, 81.0, 83.0, 84.0, 82.0], 5.0, "Outstanding: target sustained for 7 months"),
    ],
)
def test_each_level_from_signal_to_sustained_results(after, score, words):
    (suggested, reasons), reading = suggestion(after)
    assert reading.signal
    assert suggested == score
    assert words in reasons[-1]


def test_a_point_beyond_the_better_limit_is_a_signal_without_a_shift():
    after = [50.0, 49.0, 51.0, 70.0, 50.0, 49.0]
    analysed = points(after, chart="i")
    assert any(p.sigma_signal for p in analysed) and not any(p.runs_signal for p in analysed)
    _, reading = suggestion(after, chart="i")
    assert reading.signal
    _, reading = suggestion([50.0, 49.0, 51.0, 30.0, 50.0, 49.0], chart="i")  # beyond the lower limit
    assert not reading.signal


def test_without_a_target_the_suggestion_asks_for_one():
    (score, reasons), reading = suggestion([61.0] * 10, target=None)
    assert reading.signal and not reading.has_target and reading.fraction_of_target is None
    assert score == 3.0 and "set one" in reasons[-1]


def test_the_goals_own_baseline_and_target_come_first():
    # the chart moved from 50 to 61; the goal was written "from 60% to 70%": 10 % of its way
    reading = read_chart(points([61.0] * 10), up=True, target=level_of("70%"), since=GOAL_START,
                         before=level_of("60 %"))  # fmt: skip
    assert reading.fraction_of_target == pytest.approx(0.1)
    assert (level_of("about 62.5 percent"), level_of(""), level_of(None)) == (62.5, None, None)


def test_a_level_already_at_the_target_before_the_goal_counts_as_reached_while_it_holds():
    reading = read_chart(points([85.0, 86.0, 84.0], baseline=[85.0, 84.0, 86.0] * 4), up=True, target=80.0,
                         since=GOAL_START)  # fmt: skip
    assert (reading.fraction_of_target, reading.months_at_target) == (1.0, 3)
