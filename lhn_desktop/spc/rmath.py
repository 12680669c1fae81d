"""Arithmetic with R's semantics, in plain Python floats.

qicharts2 runs on R, where dividing by zero gives ±Inf or NaN, the square root or non-integer power
of a negative number gives NaN, and ``mean(x, na.rm = TRUE)`` accumulates in long double. Signals
depend on exact equality with the centre line (SPC.md section 8), so these helpers reproduce those
results instead of raising or rounding differently:

- :func:`mean` returns the correctly rounded mean (R's long-double sum plus correction pass gives
  the same double in practice; ``mean(rep(0.1, 10))`` is exactly 0.1);
- :func:`total` is the correctly rounded sum (``math.fsum``), as R's long-double ``sum``;
- :func:`div`, :func:`sqrt` and :func:`power` never raise.

``NaN`` stands for both of R's NA and NaN; every helper that R calls with ``na.rm = TRUE`` drops it.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction

NAN = math.nan
INF = math.inf


def isnan(v: float) -> bool:
    return v != v


def finite(values: Iterable[float]) -> list[float]:
    """The values that are not NaN (R's ``na.rm = TRUE``; infinities are kept, as in R)."""
    return [v for v in values if v == v]


def div(a: float, b: float) -> float:
    """``a / b`` with IEEE results: k/0 is ±Inf, 0/0 and NaN operands give NaN."""
    try:
        return a / b
    except ZeroDivisionError:
        if a != a or a == 0:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


def sqrt(v: float) -> float:
    """``sqrt`` that gives NaN for negative numbers and NaN (R gives NaN with a warning)."""
    if v != v or v < 0:
        return NAN
    return math.sqrt(v)


def power(base: float, exponent: float) -> float:
    """``base ** exponent`` as R's ``^``: a negative base with a non-integer exponent gives NaN."""
    if base != base:
        return NAN
    try:
        return math.pow(base, exponent)
    except ValueError:
        return NAN
    except OverflowError:
        return INF


def total(values: Iterable[float]) -> float:
    """R's ``sum(x, na.rm = TRUE)``: correctly rounded, 0 for no values."""
    kept = finite(values)
    if any(math.isinf(v) for v in kept):
        return sum(kept)  # inf + -inf = nan, as in R
    return math.fsum(kept)


def mean(values: Iterable[float]) -> float:
    """R's ``mean(x, na.rm = TRUE)``: NaN when nothing is left."""
    kept = finite(values)
    if not kept:
        return NAN
    if any(math.isinf(v) for v in kept):
        return sum(kept) / len(kept)
    return float(sum(map(Fraction, kept), Fraction(0)) / len(kept))


def median(values: Iterable[float]) -> float:
    """R's ``median(x, na.rm = TRUE)``: NaN (R's NA) when nothing is left; even counts average the middle two."""
    kept = sorted(finite(values))
    count = len(kept)
    if count == 0:
        return NAN
    half = count // 2
    if count % 2:
        return kept[half]
    return mean(kept[half - 1 : half + 1])


def sd(values: Iterable[float]) -> float:
    """R's ``sd(x, na.rm = TRUE)``: sample standard deviation (divisor n - 1), NaN below two values."""
    kept = finite(values)
    if len(kept) < 2 or any(math.isinf(v) for v in kept):
        return NAN
    exact = [Fraction(v) for v in kept]
    centre = sum(exact, Fraction(0)) / len(exact)
    variance = sum(((v - centre) ** 2 for v in exact), Fraction(0)) / (len(exact) - 1)
    return math.sqrt(float(variance))


def sd_strict(values: Sequence[float]) -> float:
    """R's ``sd(x)`` without ``na.rm``: any missing value makes the result NaN."""
    if any(v != v for v in values):
        return NAN
    return sd(values)


def qbinom_05_half(size: int) -> int:
    """R's ``qbinom(0.05, size, 0.5)``: the smallest k with P(X <= k) >= 0.05, computed exactly.

    0.05 * 2**size is never an integer, so there is no boundary case for R's fuzz to decide.
    """
    if size <= 0:
        return 0
    threshold = 2**size  # P(X <= k) >= 1/20  <=>  20 * sum C(size, i) >= 2**size
    cumulative = 0
    coefficient = 1
    for k in range(size + 1):
        cumulative += coefficient
        if 20 * cumulative >= threshold:
            return k
        coefficient = coefficient * (size - k) // (k + 1)
    return size


def c4(n: float) -> float:
    """The bias-correction constant c4(n); NaN for n <= 1 (as qicharts2)."""
    if n != n or n <= 1:
        return NAN
    return math.sqrt(2 / (n - 1)) * math.exp(math.lgamma(n / 2) - math.lgamma((n - 1) / 2))


def c5(n: float) -> float:
    value = c4(n)
    return sqrt(1 - value**2) if value == value else NAN


def a3(n: float, sigma: float) -> float:
    """A3(n) for ``sigma`` limits (3, or 2 for the 95% limits)."""
    value = c4(n)
    return sigma / (value * math.sqrt(n)) if value == value else NAN


def b3(n: float, sigma: float) -> float:
    value = c4(n)
    if value != value:
        return NAN
    lower = 1 - sigma * c5(n) / value
    return lower if lower > 0 else 0.0


def b4(n: float, sigma: float) -> float:
    value = c4(n)
    return 1 + sigma * c5(n) / value if value == value else NAN
