"""Scores from DOMAIN.md 3.7-3.8: Goal Attainment Scaling T-scores and collaboRATE, as pure functions.

GAS: each goal is scored -2 (much less than expected) to +2 (much better than expected); a partial
step (-0.5) is reported as -1. The combined T-score (Kiresuk and Sherman, as used by Turner-Stokes
2009) is ``T = 50 + 10 * sum(w*x) / sqrt((1 - rho) * sum(w^2) + rho * (sum w)^2)`` with rho = 0.3;
with every weight 1 this is ``50 + 10 * sum(x) / sqrt(0.7 n + 0.3 n^2)``.

collaboRATE: a response is complete when all three items are answered (0-9). The top-box score is
the share of complete responses with all three items at 9; the mean score is the mean over
responses of each response's item mean. A group with fewer than 25 complete responses is not
reported.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TypeGuard

from lhn_desktop.services.words import measures as words

RHO = 0.3
GAS_VALUES = (-2, -1, 0, 1, 2)
COLLABORATE_MIN_REPORTED = 25
COLLABORATE_TOP = 9


def gas_reported(score: float) -> int:
    """A follow-up score as reported: -0.5 (partial progress from the baseline) counts as -1."""
    if score == -0.5:
        return -1
    if score not in GAS_VALUES:
        raise ValueError(f"A GAS score is -2, -1, 0, +1 or +2 (or -0.5 for partial progress), not {score!r}.")
    return int(score)


def gas_t_score(scores: Sequence[float], weights: Sequence[float] | None = None, rho: float = RHO) -> float:
    """The combined GAS T-score of a set of goals (50 = every goal met as expected)."""
    if not scores:
        raise ValueError("A T-score needs at least one scored goal.")
    x = [gas_reported(s) for s in scores]
    w = [1.0] * len(x) if weights is None else [float(v) for v in weights]
    if len(w) != len(x):
        raise ValueError("Give one weight per goal.")
    if any(v <= 0 for v in w):
        raise ValueError("Goal weights are positive numbers.")
    numerator = math.fsum(wi * xi for wi, xi in zip(w, x, strict=True))
    denominator = math.sqrt((1 - rho) * math.fsum(v * v for v in w) + rho * math.fsum(w) ** 2)
    return 50 + 10 * numerator / denominator


@dataclass(frozen=True)
class CollaborateSummary:
    responses: int
    complete: int
    top_box: int
    #: percentage of complete responses with all three items at 9; None when fewer than 25 are complete
    top_box_percent: float | None
    mean: float | None

    @property
    def reported(self) -> bool:
        return self.complete >= COLLABORATE_MIN_REPORTED

    @property
    def text(self) -> str:
        return words.collaborate(self.complete, COLLABORATE_MIN_REPORTED, self.top_box_percent, self.mean)


def is_complete(items: Sequence[int | None]) -> TypeGuard[Sequence[int]]:
    return len(items) == 3 and all(v is not None for v in items)


def check_item(value: int | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= COLLABORATE_TOP:
        raise ValueError(f"A collaboRATE answer is a whole number from 0 to 9, not {value!r}.")
    return value


def summarize_collaborate(responses: Iterable[Sequence[int | None]]) -> CollaborateSummary:
    """Top-box and mean over complete responses; both withheld below 25 complete responses."""
    all_responses = [tuple(r) for r in responses]
    complete = [r for r in all_responses if is_complete(r)]
    top = sum(1 for r in complete if all(v == COLLABORATE_TOP for v in r))
    if len(complete) < COLLABORATE_MIN_REPORTED:
        return CollaborateSummary(len(all_responses), len(complete), top, None, None)
    mean = math.fsum(math.fsum(r) / 3 for r in complete) / len(complete)
    return CollaborateSummary(len(all_responses), len(complete), top, 100 * top / len(complete), mean)
