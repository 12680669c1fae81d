"""The values that go into and come out of a chart analysis (SPC.md section 9), as plain dataclasses."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

CHART_TYPES: tuple[str, ...] = ("run", "i", "mr", "xbar", "s", "t", "p", "pp", "c", "u", "up", "g", "ip")
AGG_FUNCTIONS: tuple[str, ...] = ("mean", "median", "sum", "sd")
# Charts whose y is a count over a denominator: they need n.
CHARTS_NEEDING_N: frozenset[str] = frozenset({"p", "pp", "u", "up"})
# Charts whose y is a count: negative values are refused.
COUNT_CHARTS: frozenset[str] = frozenset({"p", "pp", "c", "u", "up", "g"})
CHART_NAMES: dict[str, str] = {
    "run": "run chart",
    "i": "I chart (individual values)",
    "mr": "MR chart (moving ranges)",
    "xbar": "X-bar chart (subgroup means)",
    "s": "S chart (subgroup standard deviations)",
    "t": "T chart (time between rare events)",
    "p": "P chart (proportions)",
    "pp": "P′ chart (Laney proportions)",
    "c": "C chart (counts)",
    "u": "U chart (rates)",
    "up": "U′ chart (Laney rates)",
    "g": "G chart (cases between events)",
    "ip": "I′ chart (individual ratios)",
}

Label = float | int | str | dt.date | dt.datetime


class SpcInputError(ValueError):
    """A chart request that cannot be analysed; the message names the field, the position and the fix.

    ``spc`` imports nothing else of LHN Desktop, so callers turn this into their own error kind.
    """


@dataclass(frozen=True)
class SpcOptions:
    """Analysis options; the defaults are those of SPC.md section 9."""

    freeze: int | None = None
    part: tuple[int, ...] | None = None
    exclude: tuple[int, ...] | None = None
    multiply: float = 1.0
    y_neg: bool = True
    agg_fun: str = "mean"
    cl: float | None = None
    screened_mr: bool = True
    # Not part of qicharts2: also test the Western Electric rules (control charts only).
    western_electric: bool = False


@dataclass(frozen=True)
class SpcInput:
    """One chart to analyse. ``x`` labels are numbers, dates or category strings (None = 1..len(y))."""

    chart: str
    y: tuple[float | None, ...]
    x: tuple[Label | None, ...] | None = None
    n: tuple[float | None, ...] | None = None
    options: SpcOptions = field(default_factory=SpcOptions)


@dataclass
class SpcPoint:
    """One plotted subgroup. ``None`` means missing or undefined."""

    xx: int
    x: Label
    part: int
    baseline: bool
    include: bool
    y: float | None
    n: float | None
    cl: float | None
    lcl: float | None
    ucl: float | None
    lcl_95: float | None
    ucl_95: float | None
    runs_signal: bool
    sigma_signal: bool
    # Not in the JSON contract: the numerator (sum of y in the subgroup) for "12 of 40" labels.
    numerator: float | None = None


@dataclass
class PartSummary:
    part: int
    n_obs: int
    n_useful: int
    longest_run: int | None
    longest_run_max: int | None
    n_crossings: int | None
    n_crossings_min: int | None
    runs_signal: bool
    sigma_signal: int


@dataclass
class IhiResult:
    """IHI run chart rules (SPC.md section 6) for one part."""

    part: int
    n_runs: int
    shift: bool
    shift_points: list[int]
    trend: bool
    trend_points: list[int]


@dataclass
class WesternElectricResult:
    """Western Electric rules (SPC.md section 7) for one part: the positions (xx) each rule flags."""

    part: int
    rule_1: list[int]
    rule_2: list[int]
    rule_3: list[int]
    rule_4: list[int]

    @property
    def signal(self) -> bool:
        return bool(self.rule_1 or self.rule_2 or self.rule_3 or self.rule_4)


@dataclass
class SpcResult:
    chart: str
    points: list[SpcPoint]
    summary: list[PartSummary]
    ihi: list[IhiResult]
    # True when x is categorical: points are not joined and no runs signal is raised.
    dots_only: bool
    western_electric: list[WesternElectricResult] | None = None
    notes: list[str] = field(default_factory=list)
