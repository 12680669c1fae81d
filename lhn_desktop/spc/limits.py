"""Centre lines and limits for each chart type, one part at a time (SPC.md section 3).

Each function receives a :class:`PartFrame` (the aggregated subgroups of one part) and fills in its
``cl``, ``lcl``, ``ucl``, ``lcl_95``, ``ucl_95`` and ``sigma`` (one sigma per point before any
clipping, used by the Western Electric zones). Some charts replace ``y`` (mr, s, c, t) or ``n`` (ip).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from lhn_desktop.spc import rmath
from lhn_desktop.spc.rmath import NAN, div, mean, median, sqrt, total

D2 = 1.128
D4 = 3.267
IP_SCREEN = 3.2665
T_POWER = 3.6
G_MEDIAN_FACTOR = 0.693


@dataclass
class PartFrame:
    y: list[float]
    y_sum: list[float]
    y_length: list[int]
    y_mean: list[float]
    y_sd: list[float]
    n: list[float]
    base: list[bool]
    got_n: bool
    dots_only: bool
    screened_mr: bool
    user_cl: float | None
    cl: float = NAN
    lcl: list[float] = field(default_factory=list)
    ucl: list[float] = field(default_factory=list)
    lcl_95: list[float] = field(default_factory=list)
    ucl_95: list[float] = field(default_factory=list)
    sigma: list[float] = field(default_factory=list)

    def base_values(self, values: list[float]) -> list[float]:
        return [v for v, b in zip(values, self.base, strict=True) if b]

    def set_limits(self, sigmas: list[float], *, clip_lower: bool = False, clip_upper: bool = False) -> None:
        """cl ± 3σ and ± 2σ per point; optionally clip finite limits into [0, 1] as the p and c charts do."""
        cl = self.cl
        self.sigma = list(sigmas)
        self.ucl = [cl + 3 * s for s in sigmas]
        self.ucl_95 = [cl + 2 * s for s in sigmas]
        self.lcl = [cl - 3 * s for s in sigmas]
        self.lcl_95 = [cl - 2 * s for s in sigmas]
        if clip_upper:
            self.ucl = [_clip_above(v, 1.0) for v in self.ucl]
            self.ucl_95 = [_clip_above(v, 1.0) for v in self.ucl_95]
        if clip_lower:
            self.lcl = [_clip_below_zero(v) for v in self.lcl]
            self.lcl_95 = [_clip_below_zero(v) for v in self.lcl_95]

    def no_limits(self) -> None:
        self.lcl = self.ucl = self.lcl_95 = self.ucl_95 = self.sigma = [NAN] * len(self.y)


def _clip_above(v: float, top: float) -> float:
    return top if math.isfinite(v) and v > top else v


def _clip_below_zero(v: float) -> float:
    return 0.0 if math.isfinite(v) and v < 0 else v


def _centre(frame: PartFrame, compute: Callable[[], float]) -> float:
    return frame.user_cl if frame.user_cl is not None else compute()


def screened_average(ranges: list[float], screened: bool, limit_factor: float = D4) -> float:
    """Average moving range, optionally dropping ranges at or above ``limit_factor`` × the first average."""
    average = mean(ranges)
    if screened:
        upper = limit_factor * average
        average = mean([r for r in ranges if r != r or r < upper])
    return average


def moving_ranges(values: list[float]) -> list[float]:
    """|diff(values)|, NaN where either neighbour is missing."""
    return [abs(b - a) for a, b in itertools.pairwise(values)]


def chart_run(frame: PartFrame) -> None:
    frame.cl = _centre(frame, lambda: median(frame.base_values(frame.y)))
    frame.no_limits()


def chart_i(frame: PartFrame) -> None:
    frame.cl = _centre(frame, lambda: mean(frame.base_values(frame.y)))
    deviations = [v - frame.cl for v in frame.base_values(frame.y)]
    sigma = screened_average(moving_ranges(deviations), frame.screened_mr) / D2
    frame.set_limits([sigma] * len(frame.y))


def chart_mr(frame: PartFrame) -> None:
    frame.y = [NAN, *moving_ranges(frame.y)][: len(frame.y)]
    frame.cl = _centre(frame, lambda: mean(frame.base_values(frame.y)))
    count = len(frame.y)
    frame.lcl = [0.0] * count
    frame.lcl_95 = [0.0] * count
    frame.ucl = [D4 * frame.cl] * count
    frame.ucl_95 = [(D4 / 3) * 2 * frame.cl] * count
    frame.sigma = [(u - frame.cl) / 3 for u in frame.ucl]


def chart_t(frame: PartFrame) -> None:
    frame.y = [rmath.power(v, 1 / T_POWER) for v in frame.y]
    chart_i(frame)  # a user cl is used as given, in the transformed scale, as qicharts2 does
    back = T_POWER
    frame.y = [rmath.power(v, back) for v in frame.y]
    frame.cl = rmath.power(frame.cl, back)
    frame.ucl = [rmath.power(v, back) for v in frame.ucl]
    frame.ucl_95 = [rmath.power(v, back) for v in frame.ucl_95]
    frame.lcl = [rmath.power(v, back) for v in frame.lcl]
    frame.lcl_95 = [rmath.power(v, back) for v in frame.lcl_95]
    frame.lcl = [0.0 if (v != v or v < 0) else v for v in frame.lcl]
    frame.sigma = [(u - frame.cl) / 3 for u in frame.ucl]


def _variable_sizes(frame: PartFrame) -> bool:
    return len(set(frame.y_length)) > 1


def _pooled_sd(frame: PartFrame) -> float:
    lengths = frame.base_values([float(v) for v in frame.y_length])
    sds = frame.base_values(frame.y_sd)
    numerator = total([(n - 1) * s**2 for n, s in zip(lengths, sds, strict=True)])
    return sqrt(div(numerator, total([n - 1 for n in lengths])))


def _subgroup_sd(frame: PartFrame) -> float:
    return _pooled_sd(frame) if _variable_sizes(frame) else mean(frame.base_values(frame.y_sd))


def chart_xbar(frame: PartFrame) -> None:
    def weighted_mean() -> float:
        lengths = frame.base_values([float(v) for v in frame.y_length])
        means = frame.base_values(frame.y_mean)
        return div(total([n * m for n, m in zip(lengths, means, strict=True)]), total(lengths))

    frame.cl = _centre(frame, weighted_mean)
    stdev = _subgroup_sd(frame)
    cl = frame.cl
    frame.ucl = [cl + rmath.a3(n, 3) * stdev for n in frame.y_length]
    frame.ucl_95 = [cl + rmath.a3(n, 2) * stdev for n in frame.y_length]
    frame.lcl = [cl - rmath.a3(n, 3) * stdev for n in frame.y_length]
    frame.lcl_95 = [cl - rmath.a3(n, 2) * stdev for n in frame.y_length]
    frame.sigma = [(u - cl) / 3 for u in frame.ucl]


def chart_s(frame: PartFrame) -> None:
    frame.y = list(frame.y_sd)
    frame.cl = _centre(frame, lambda: _subgroup_sd(frame))
    cl = frame.cl
    frame.ucl = [rmath.b4(n, 3) * cl for n in frame.y_length]
    frame.ucl_95 = [rmath.b4(n, 2) * cl for n in frame.y_length]
    frame.lcl = [rmath.b3(n, 3) * cl for n in frame.y_length]
    frame.lcl_95 = [rmath.b3(n, 2) * cl for n in frame.y_length]
    frame.sigma = [(u - cl) / 3 for u in frame.ucl]


def _pooled_proportion(frame: PartFrame) -> float:
    return div(total(frame.base_values(frame.y_sum)), total(frame.base_values(frame.n)))


def _binomial_sigmas(frame: PartFrame) -> list[float]:
    cl = frame.cl
    return [sqrt(div(cl * (1 - cl), n)) for n in frame.n]


def _poisson_sigmas(frame: PartFrame) -> list[float]:
    return [sqrt(div(frame.cl, n)) for n in frame.n]


def _laney_sigma_z(frame: PartFrame, sigmas: list[float]) -> float:
    """Laney's between-subgroup factor: the spread of the base points' z-scores."""
    z = [div(y - frame.cl, s) for y, s, b in zip(frame.y, sigmas, frame.base, strict=True) if b]
    if frame.dots_only:
        return rmath.sd_strict(z)
    return screened_average(moving_ranges(z), frame.screened_mr) / D2


def chart_p(frame: PartFrame) -> None:
    frame.cl = _centre(frame, lambda: _pooled_proportion(frame))
    frame.set_limits(_binomial_sigmas(frame), clip_lower=True, clip_upper=True)


def chart_pp(frame: PartFrame) -> None:
    frame.cl = _centre(frame, lambda: _pooled_proportion(frame))
    sigmas = _binomial_sigmas(frame)
    factor = _laney_sigma_z(frame, sigmas)
    frame.set_limits([s * factor for s in sigmas], clip_lower=True, clip_upper=True)


def chart_c(frame: PartFrame) -> None:
    frame.y = list(frame.y_sum)
    frame.cl = _centre(frame, lambda: mean(frame.base_values(frame.y)))
    frame.set_limits([sqrt(frame.cl)] * len(frame.y), clip_lower=True)


def chart_u(frame: PartFrame) -> None:
    frame.cl = _centre(frame, lambda: _pooled_proportion(frame))
    frame.set_limits(_poisson_sigmas(frame), clip_lower=True)


def chart_up(frame: PartFrame) -> None:
    frame.cl = _centre(frame, lambda: _pooled_proportion(frame))
    sigmas = _poisson_sigmas(frame)
    factor = _laney_sigma_z(frame, sigmas)
    frame.set_limits([s * factor for s in sigmas], clip_lower=True)


def chart_g(frame: PartFrame) -> None:
    centre = _centre(frame, lambda: mean(frame.base_values(frame.y)))
    frame.cl = centre
    frame.set_limits([sqrt(centre * (centre + 1))] * len(frame.y))
    # qicharts2 clips every negative lower limit here, infinite ones included.
    frame.lcl = [0.0 if v < 0 else v for v in frame.lcl]
    frame.lcl_95 = [0.0 if v < 0 else v for v in frame.lcl_95]
    # The plotted centre line is the median (or 0.693 × a given cl); the limits stay around the mean.
    frame.cl = median(frame.base_values(frame.y)) if frame.user_cl is None else G_MEDIAN_FACTOR * centre
    frame.sigma = [(u - frame.cl) / 3 for u in frame.ucl]


def chart_ip(frame: PartFrame) -> None:
    if not frame.got_n:
        frame.n = [float(v) for v in frame.y_length]

    def weighted_mean() -> float:
        base_y = frame.base_values(frame.y)
        base_n = frame.base_values(frame.n)
        return div(total([y * n for y, n in zip(base_y, base_n, strict=True)]), total(base_n))

    frame.cl = _centre(frame, weighted_mean)
    factor = math.sqrt(math.pi / 2)
    ranges = moving_ranges(frame.y)
    spreads = [
        div(factor * d, sqrt(div(1, n0) + div(1, n1))) for d, n0, n1 in zip(ranges, frame.n, frame.n[1:], strict=False)
    ]
    average = screened_average(spreads, frame.screened_mr, IP_SCREEN)
    frame.set_limits([average * sqrt(div(1, n)) for n in frame.n])


CHART_FUNCTIONS: dict[str, Callable[[PartFrame], None]] = {
    "run": chart_run,
    "i": chart_i,
    "mr": chart_mr,
    "xbar": chart_xbar,
    "s": chart_s,
    "t": chart_t,
    "p": chart_p,
    "pp": chart_pp,
    "c": chart_c,
    "u": chart_u,
    "up": chart_up,
    "g": chart_g,
    "ip": chart_ip,
}
