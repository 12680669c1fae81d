"""Signal rules: Anhøj runs analysis (qicharts2), IHI run chart rules and Western Electric rules.

All three take the points of one part in plotting order and never look across parts.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from lhn_desktop.spc.rmath import qbinom_05_half

IHI_SHIFT = 6
IHI_TREND = 5


@dataclass(frozen=True)
class RunsAnalysis:
    n_obs: int
    n_useful: int
    longest_run: int | None
    longest_run_max: int | None
    n_crossings: int | None
    n_crossings_min: int | None
    signal: bool


def _sign(v: float) -> int:
    return (v > 0) - (v < 0)


def _blocks(signs: Sequence[int]) -> list[int]:
    """Lengths of the maximal blocks of equal values."""
    lengths: list[int] = []
    previous = None
    for s in signs:
        if s == previous:
            lengths[-1] += 1
        else:
            lengths.append(1)
            previous = s
    return lengths


def useful_signs(values: Sequence[float], cl: float) -> list[tuple[int, int]]:
    """(index, sign) of the points that are neither missing nor on the centre line."""
    result = []
    for index, v in enumerate(values):
        difference = v - cl
        if difference != difference or difference == 0:
            continue
        result.append((index, _sign(difference)))
    return result


def longest_run_limit(n_useful: int) -> int:
    """Schilling: a run longer than round(log2(n)) + 3 is a signal."""
    return round(math.log2(n_useful)) + 3


def crossings_limit(n_useful: int) -> int:
    """Chen: fewer crossings than qbinom(0.05, n - 1, 0.5) is a signal."""
    return qbinom_05_half(n_useful - 1)


def anhoej(values: Sequence[float], cl: float) -> RunsAnalysis:
    """Anhøj's rules over the included points of one part (SPC.md section 2)."""
    signs = [s for _, s in useful_signs(values, cl)]
    n_useful = len(signs)
    if n_useful == 0:
        return RunsAnalysis(len(values), 0, None, None, None, None, False)
    runs = _blocks(signs)
    longest, crossings = max(runs), len(runs) - 1
    longest_max, crossings_min = longest_run_limit(n_useful), crossings_limit(n_useful)
    signal = longest > longest_max or crossings < crossings_min
    return RunsAnalysis(len(values), n_useful, longest, longest_max, crossings, crossings_min, signal)


@dataclass(frozen=True)
class IhiAnalysis:
    n_runs: int
    shift_points: list[int]
    trend_points: list[int]


def ihi(positions: Sequence[int], values: Sequence[float], cl: float) -> IhiAnalysis:
    """IHI shift, trend and run count over the included, non-missing points of one part.

    Shift: six or more useful points in a row on one side of the centre line (points on the line
    are skipped). Trend: five or more points in a row all going up or all going down, counting a
    repeated value once. ``positions`` are the points' xx, returned for the flagged points.
    """
    useful = useful_signs(values, cl)
    runs_of_signs = _blocks([s for _, s in useful])
    shift_points: list[int] = []
    start = 0
    for length in runs_of_signs:
        if length >= IHI_SHIFT:
            shift_points.extend(positions[useful[k][0]] for k in range(start, start + length))
        start += length

    present = [(p, v) for p, v in zip(positions, values, strict=True) if v == v]
    groups: list[tuple[float, list[int]]] = []  # equal neighbours count once
    for p, v in present:
        if groups and groups[-1][0] == v:
            groups[-1][1].append(p)
        else:
            groups.append((v, [p]))
    steps = [_sign(b[0] - a[0]) for a, b in itertools.pairwise(groups)]
    trend_groups: set[int] = set()
    start = 0
    for length in _blocks(steps):
        if length + 1 >= IHI_TREND:
            trend_groups.update(range(start, start + length + 1))
        start += length
    trend_points = sorted(p for g in trend_groups for p in groups[g][1])
    return IhiAnalysis(len(runs_of_signs), shift_points, trend_points)


@dataclass(frozen=True)
class WesternElectricAnalysis:
    rule_1: list[int]
    rule_2: list[int]
    rule_3: list[int]
    rule_4: list[int]


def western_electric(
    positions: Sequence[int], values: Sequence[float], cl: float, sigmas: Sequence[float]
) -> WesternElectricAnalysis:
    """Western Electric rules with each point's own sigma; points without limits are skipped.

    1: one point beyond 3σ. 2: two of three in a row beyond 2σ on the same side. 3: four of five
    in a row beyond 1σ on the same side. 4: eight in a row on the same side of the centre line.
    Each rule lists the points that make it (for rules 2 and 3, the points beyond the zone).
    """
    pts = [
        (p, (v - cl) / s)
        for p, v, s in zip(positions, values, sigmas, strict=True)
        if v == v and math.isfinite(s) and s > 0 and math.isfinite(cl)
    ]
    rule_1 = [p for p, z in pts if abs(z) > 3]
    rule_2: set[int] = set()
    rule_3: set[int] = set()
    for window, needed, zone, flagged in ((3, 2, 2, rule_2), (5, 4, 1, rule_3)):
        for start in range(len(pts) - window + 1):
            chunk = pts[start : start + window]
            for side in (1, -1):
                beyond = [p for p, z in chunk if z * side > zone]
                if len(beyond) >= needed:
                    flagged.update(beyond)
    rule_4: set[int] = set()
    for start in range(len(pts) - 7):
        chunk = pts[start : start + 8]
        if all(z > 0 for _, z in chunk) or all(z < 0 for _, z in chunk):
            rule_4.update(p for p, _ in chunk)
    return WesternElectricAnalysis(rule_1, sorted(rule_2), sorted(rule_3), sorted(rule_4))
