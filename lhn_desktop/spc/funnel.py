"""Funnel plot limits for proportions (Spiegelhalter 2005), the fair way to compare units of different sizes.

Each unit's proportion is plotted against its denominator; the limits around the target (the pooled network
rate) narrow as the denominator grows. They are exact binomial limits with the interpolation of Spiegelhalter's
appendix A.1.1, so that a small unit's limits are neither too wide nor jagged:

- ``r_p``: the smallest count ``r`` with ``P(R <= r) >= p``, where ``R ~ Binomial(n, target)``;
- ``alpha = (P(R <= r_p) - p) / (P(R <= r_p) - P(R <= r_p - 1))``;
- the limit is ``(r_p - alpha) / n``, kept between 0 and 1.

The 95 % limits use p = 0.025 and 0.975, the 99.8 % limits p = 0.001 and 0.999 (about 2 and 3 standard errors).

Spiegelhalter DJ. Funnel plots for comparing institutional performance. Stat Med 2005;24:1185-1202.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: the two pairs of limits drawn, by the share of a unit's results they hold when it is like the network
LEVELS = {"95": (0.025, 0.975), "99.8": (0.001, 0.999)}


def _log_pmf(r: int, n: int, p: float) -> float:
    return math.lgamma(n + 1) - math.lgamma(r + 1) - math.lgamma(n - r + 1) + r * math.log(p) + (n - r) * math.log1p(-p)


def _cdf_table(n: int, p: float) -> list[float]:
    """P(R <= r) for r = 0..n."""
    if p <= 0.0:
        return [1.0] * (n + 1)
    if p >= 1.0:
        return [0.0] * n + [1.0]
    total = 0.0
    out = []
    for r in range(n + 1):
        total += math.exp(_log_pmf(r, n, p))
        out.append(min(total, 1.0))
    out[-1] = 1.0
    return out


def binomial_limit(n: int, target: float, p: float, cdf: list[float] | None = None) -> float:
    """The interpolated ``p`` quantile of Binomial(n, target) as a proportion (Spiegelhalter 2005, A.1.1)."""
    if n < 1:
        raise ValueError("a funnel limit needs a denominator of at least 1")
    if not 0.0 <= target <= 1.0 or not 0.0 < p < 1.0:
        raise ValueError("the target is a proportion and p a probability strictly between 0 and 1")
    if target in (0.0, 1.0):
        return target  # every unit is expected at the same end: the limits close on it
    table = cdf if cdf is not None else _cdf_table(n, target)
    r = next(k for k, value in enumerate(table) if value >= p)
    below = table[r - 1] if r > 0 else 0.0
    step = table[r] - below
    alpha = (table[r] - p) / step if step > 0 else 0.0
    return min(1.0, max(0.0, (r - alpha) / n))


@dataclass(frozen=True)
class FunnelLimits:
    """A unit's limits for its denominator: {"95": (low, high), "99.8": (low, high)}, as proportions."""

    n: int
    limits: dict[str, tuple[float, float]]

    def outside(self, rate: float, level: str = "99.8") -> str | None:
        """ "above" or "below" the limits of ``level``, or None inside them."""
        low, high = self.limits[level]
        return "above" if rate > high else "below" if rate < low else None


def limits(n: int, target: float) -> FunnelLimits:
    """The 95 % and 99.8 % limits around ``target`` for a unit with denominator ``n``."""
    table = _cdf_table(n, target)
    return FunnelLimits(
        n, {name: (binomial_limit(n, target, lo, table), binomial_limit(n, target, hi, table))
            for name, (lo, hi) in LEVELS.items()}
    )  # fmt: skip


def curve(target: float, largest: int, points: int = 120) -> list[FunnelLimits]:
    """Limits at denominators from 1 to ``largest`` (spaced evenly on a log scale), to draw the funnel."""
    if largest < 1:
        return []
    sizes = sorted({max(1, round(math.exp(math.log(largest) * k / (points - 1)))) for k in range(points)})
    return [limits(n, target) for n in sizes]
