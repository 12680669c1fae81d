"""The improvement coach's words: hints on PDSA worksheets, ramps and 90-day aims, and the reasons for a
suggested IHI progress score (DOMAIN.md 3.1-3.3).

``services/improvement_rules.py`` decides which hint or reason applies; this module writes it. Hints are
gentle: each says what is missing and what to do.
"""

from __future__ import annotations

from datetime import date

from lhn_desktop.services.words import counted, day

# -- hints on a cycle, a ramp and an aim ------------------------------------------------------------------------


def no_prediction(question: int) -> str:
    return (
        f"Question {question} has no prediction: write what you expect to happen before the test, "
        "so the study can compare."
    )


def no_result(question: int) -> str:
    return f"The study has no result for question {question}: put what happened beside the prediction."


NO_RESULTS = "The study has no results: summarise what the data showed."


def no_follow_up(cycle: int, decision: str) -> str:
    return f"Cycle {cycle} decided to {decision} but has no next step or next cycle: plan what comes next."


def no_decision(cycle: int, ended: date) -> str:
    return (
        f"Cycle {cycle} ended on {day(ended)} with no decision: study the results and decide to adopt, adapt "
        "or abandon."
    )


def ramp_jump(cycle: int, before: int, after: int, unit: str) -> str:
    return f"Cycle {cycle} jumps from {before} to {after} {unit}: test with a few more first (for example 3 to 5)."


AIM_NO_MEASURE = (
    "The aim names no measure: say what will be counted, for example 'the share of visits with model care'."
)
AIM_NO_NUMBER = "The aim has no number: say how much, for example 'from 62% to 80%'."
AIM_NO_DATE = "The aim has no date: say by when, for example 'by 30 June'."
NO_MEASURE_LINKED = "No measure is linked: link one so the run chart shows whether the changes are improvements."
NO_END_DATE = "The goal has no end date: a 90-day goal ends 90 days after it starts."

# -- why the suggested progress score ---------------------------------------------------------------------------

NO_AIM = "No aim yet: intent to take part."
AIM_SET = "Aim set."
NO_TEAM = "No team or owner named yet."
TEAM_NAMED = "Team named."
NO_PLAN = "No driver diagram or PDSA cycle yet."
NOTHING_CHARTED = "No measure charted yet: activity, but no data to show change."
NO_SIGNAL = "No signal of improvement on the charts yet."
SIGNAL = "The chart signals improvement."
MODEST = "Modest improvement (under 20% of the way to the target)."
NO_TARGET = "No target is set on the measure, so how far the improvement has come cannot be said: set one."
REACHED_NOT_SUSTAINED = "Target reached; not yet sustained for three months."


def planning_begun(drivers: int, cycles_planned: int) -> str:
    return f"Planning begun ({drivers} drivers, {cycles_planned} cycles planned)."


def cycles_tested(n: int) -> str:
    return f"{counted(n, 'PDSA cycle')} tested."


def measures_charted(n: int) -> str:
    return f"{counted(n, 'measure')} charted."


def improvement(fraction: float, significant: bool) -> str:
    return f"{'Significant improvement' if significant else 'Improvement'}: {fraction:.0%} of the way to the target."


def sustained(months: int, outstanding: bool) -> str:
    return f"{'Outstanding: target' if outstanding else 'Target'} sustained for {months} months."


def progress_evidence(reasons: list[str], team_note: str | None) -> str:
    """The evidence recorded with a progress score: the reasons, then the team's own note."""
    note = (team_note or "").strip()
    return " ".join(reasons) + (f" Team: {note}" if note else "")
