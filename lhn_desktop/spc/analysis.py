"""The chart analysis pipeline of qicharts2 0.8.1's ``qic()`` (SPC.md sections 1-4), plus IHI and WE rules.

:func:`analyze` checks its input, aggregates repeated x, splits the subgroups into parts, computes
centre lines and limits per part, runs the signal rules and returns an :class:`SpcResult`. It is a
pure function: no database, no Qt, no files.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from lhn_desktop.spc import rmath
from lhn_desktop.spc.limits import CHART_FUNCTIONS, PartFrame
from lhn_desktop.spc.model import (
    AGG_FUNCTIONS,
    CHART_TYPES,
    CHARTS_NEEDING_N,
    COUNT_CHARTS,
    IhiResult,
    Label,
    PartSummary,
    SpcInput,
    SpcInputError,
    SpcPoint,
    SpcResult,
    WesternElectricResult,
)
from lhn_desktop.spc.rules import anhoej, ihi, western_electric

NAN = math.nan

_AGGREGATORS = {
    "mean": rmath.mean,
    "median": rmath.median,
    "sum": rmath.total,
    "sd": rmath.sd,
}


def category_key(label: str) -> tuple:
    """Sort key close to R's locale collation (ICU, en_US) of category labels.

    Punctuation and spaces before digits before letters; letters compared without case first,
    then lower case before upper case; digits compare as characters ("10" before "2"), as in R.
    """
    primary = tuple((0 if not ch.isalnum() else 1 if ch.isdigit() else 2, ch.casefold()) for ch in label)
    return primary, tuple(ch.isupper() for ch in label)


def _label_key(label: Label) -> tuple:
    if isinstance(label, str):
        return (2, category_key(label), label)
    if isinstance(label, dt.datetime):
        moment = label if label.tzinfo else label.replace(tzinfo=dt.UTC)
        return (1, moment.timestamp())
    if isinstance(label, dt.date):
        return (1, dt.datetime(label.year, label.month, label.day, tzinfo=dt.UTC).timestamp())
    return (0, float(label))


def _position(index: int) -> str:
    return f"position {index + 1}"


def _as_float(value: float | None) -> float:
    return NAN if value is None else float(value)


@dataclass
class _Group:
    label: Label
    y: float
    y_sum: float
    y_length: int
    y_mean: float
    y_sd: float
    n: float


def _check(spc: SpcInput) -> None:
    """Refuse what cannot be analysed, naming the position (1-based) and the problem."""
    if spc.chart not in CHART_TYPES:
        raise SpcInputError(f"Unknown chart type {spc.chart!r}. Use one of: {', '.join(CHART_TYPES)}.")
    count = len(spc.y)
    if count == 0:
        raise SpcInputError("There are no values to chart: y is empty.")
    if spc.x is not None and len(spc.x) != count:
        raise SpcInputError(f"x has {len(spc.x)} labels but y has {count} values; give one label per value.")
    if spc.n is not None and len(spc.n) != count:
        raise SpcInputError(f"n has {len(spc.n)} denominators but y has {count} values; give one per value.")
    if spc.chart in CHARTS_NEEDING_N and spc.n is None:
        raise SpcInputError(f"A {spc.chart} chart needs denominators: give n (for example, patients seen per month).")
    opts = spc.options
    if opts.agg_fun not in AGG_FUNCTIONS:
        raise SpcInputError(f"Unknown agg_fun {opts.agg_fun!r}. Use one of: {', '.join(AGG_FUNCTIONS)}.")
    if not (math.isfinite(opts.multiply) and opts.multiply > 0):
        raise SpcInputError(f"multiply must be a positive number (100 for percent), not {opts.multiply!r}.")
    if opts.cl is not None and not math.isfinite(opts.cl):
        raise SpcInputError("The fixed centre line (cl) must be a finite number.")
    for index, value in enumerate(spc.y):
        if value is not None and not math.isfinite(value):
            raise SpcInputError(f"y at {_position(index)} is {value}; give a finite number or null for missing.")
        if value is not None and spc.chart in COUNT_CHARTS and value < 0:
            raise SpcInputError(
                f"y at {_position(index)} is {value:g}; a {spc.chart} chart counts events, never below 0."
            )
        if value is not None and spc.chart == "t" and value <= 0:
            raise SpcInputError(
                f"y at {_position(index)} is {value:g}; a t chart needs times between events greater than 0."
            )
    if spc.n is not None:
        for index, (value, denominator) in enumerate(zip(spc.y, spc.n, strict=True)):
            if denominator is None:
                continue
            if not math.isfinite(denominator) or denominator < 0:
                raise SpcInputError(f"n at {_position(index)} is {denominator}; a denominator is a count, 0 or more.")
            if value is not None and value != 0 and denominator == 0:
                raise SpcInputError(
                    f"At {_position(index)} the count {value:g} is over a denominator of 0; "
                    "correct the denominator or leave the count empty."
                )
            if value is not None and spc.chart in ("p", "pp") and value > denominator:
                raise SpcInputError(
                    f"At {_position(index)} the count {value:g} is larger than its denominator {denominator:g}; "
                    "a proportion cannot exceed 1."
                )
    if spc.x is not None:
        kinds = {_label_kind(label) for label in spc.x if label is not None}
        if len(kinds) > 1:
            first = _label_kind(next(label for label in spc.x if label is not None))
            for index, label in enumerate(spc.x):
                if label is not None and _label_kind(label) != first:
                    raise SpcInputError(
                        f"x at {_position(index)} is a {_label_kind(label)} but the first label is a {first}; "
                        "use one kind of label (numbers, dates or categories) for the whole chart."
                    )
        if not kinds:
            raise SpcInputError("Every x label is missing; give labels or leave x out (null) to number the points.")


def _label_kind(label: Label) -> str:
    if isinstance(label, str):
        return "category"
    if isinstance(label, dt.date):
        return "date"
    return "number"


def _check_positions(spc: SpcInput, count: int, notes: list[str]) -> None:
    """Positions are whole numbers; positions past the last point are ignored (as in qicharts2) with a note."""
    opts = spc.options

    def check(name: str, value: int, low: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            raise SpcInputError(f"{name} must hold whole positions (1 to {count}), not {value!r}.")
        if value < low:
            raise SpcInputError(f"{name} position {value} is before the first point; positions start at {low}.")

    if opts.freeze is not None and not opts.part:  # with part, freeze is ignored (noted in the result)
        check("freeze", opts.freeze, 1)
        if opts.freeze > count:
            notes.append(f"freeze {opts.freeze} is past the last point ({count}): every point is in the baseline.")
    for value in opts.part or ():
        check("part", value, 0)
    beyond = [v for v in opts.part or () if v >= count]
    if beyond:
        notes.append(f"part {beyond} ignored: a new phase must start before the last point ({count}).")
    for value in opts.exclude or ():
        check("exclude", value, 1)
    beyond = [v for v in opts.exclude or () if v > count]
    if beyond:
        notes.append(f"exclude {beyond} ignored: the chart has {count} points.")


def _aggregate(spc: SpcInput) -> tuple[list[_Group], bool]:
    got_n = spc.n is not None
    labels: list[Label | None] = list(spc.x) if spc.x is not None else list(range(1, len(spc.y) + 1))
    ys = [_as_float(v) for v in spc.y]
    ns = [_as_float(v) for v in spc.n] if spc.n is not None else [NAN] * len(ys)
    if got_n:  # a missing numerator or denominator makes both missing
        for index in range(len(ys)):
            if ys[index] != ys[index] or ns[index] != ns[index]:
                ys[index] = ns[index] = NAN
    buckets: dict[tuple, tuple[Label, list[float], list[float]]] = {}
    for label, value, denominator in zip(labels, ys, ns, strict=True):
        if label is None:
            continue
        key = _label_key(label)
        bucket = buckets.setdefault(key, (label, [], []))
        bucket[1].append(value)
        bucket[2].append(denominator)
    aggregate = _AGGREGATORS[spc.options.agg_fun]
    groups = []
    for key in sorted(buckets):
        label, values, denominators = buckets[key]
        present = rmath.finite(values)
        n = rmath.total(denominators) if got_n else NAN
        groups.append(
            _Group(
                label=label,
                y=rmath.div(rmath.total(values), n) if got_n else aggregate(values),
                y_sum=values[0] if len(values) == 1 else rmath.total(values),
                y_length=len(present),
                y_mean=rmath.mean(values),
                y_sd=rmath.sd(values),
                n=n,
            )
        )
    dots_only = spc.x is not None and any(isinstance(label, str) for label in spc.x)
    return groups, dots_only


def _part_numbers(cuts: tuple[int, ...] | None, count: int) -> list[int]:
    points = sorted({0, *(c for c in (cuts or ()) if 0 <= c < count)})
    numbers: list[int] = []
    for k, start in enumerate(points):
        end = points[k + 1] if k + 1 < len(points) else count
        numbers.extend([k + 1] * (end - start))
    return numbers


def _finite_or_none(v: float) -> float | None:
    """Missing, undefined and infinite values are ``None`` (``null`` in JSON, NA in qicharts2)."""
    return v if math.isfinite(v) else None


def analyze(spc: SpcInput) -> SpcResult:
    """Analyse one chart exactly as qicharts2 0.8.1 would (see SPC.md), plus IHI and optional WE rules."""
    _check(spc)
    opts = spc.options
    groups, dots_only = _aggregate(spc)
    count = len(groups)
    if spc.chart == "t":
        for k, group in enumerate(groups):
            if group.y <= 0:
                raise SpcInputError(
                    f"Point {k + 1} (x = {group.label}) is {group.y:g} after combining its repeated values with "
                    f"{spc.options.agg_fun}; a t chart needs times between events greater than 0."
                )
    notes: list[str] = []
    _check_positions(spc, count, notes)
    freeze = opts.freeze
    if opts.part and freeze is not None:
        notes.append("freeze is ignored because part is given (as qicharts2 does).")
        freeze = None
    parts = _part_numbers(opts.part, count)
    excluded = set(opts.exclude or ())
    include = [(k + 1) not in excluded for k in range(count)]
    baseline = [freeze is None or (k + 1) <= freeze for k in range(count)]
    multiply = opts.multiply
    runs_forced_off = dots_only or spc.chart == "mr"

    points: list[SpcPoint] = []
    summary: list[PartSummary] = []
    ihi_results: list[IhiResult] = []
    we_results: list[WesternElectricResult] = []
    chart_function = CHART_FUNCTIONS[spc.chart]
    for part in sorted(set(parts)):
        idx = [k for k in range(count) if parts[k] == part]
        members = [groups[k] for k in idx]
        frame = PartFrame(
            y=[g.y for g in members],
            y_sum=[g.y_sum for g in members],
            y_length=[g.y_length for g in members],
            y_mean=[g.y_mean for g in members],
            y_sd=[g.y_sd for g in members],
            n=[g.n for g in members],
            base=[baseline[k] and include[k] for k in idx],
            got_n=spc.n is not None,
            dots_only=dots_only,
            screened_mr=opts.screened_mr,
            user_cl=opts.cl,
        )
        chart_function(frame)
        included = [j for j, k in enumerate(idx) if include[k]]
        runs = anhoej([frame.y[j] for j in included], frame.cl)
        runs_signal = runs.signal and not runs_forced_off
        rules = ihi([idx[j] + 1 for j in included], [frame.y[j] for j in included], frame.cl)

        cl = frame.cl * multiply
        part_points = []
        for j, k in enumerate(idx):
            y = frame.y[j] * multiply
            ucl, lcl = _finite_or_none(frame.ucl[j] * multiply), _finite_or_none(frame.lcl[j] * multiply)
            sigma_signal = (ucl is not None and y > ucl) or (lcl is not None and y < lcl)
            part_points.append(
                SpcPoint(
                    xx=k + 1,
                    x=groups[k].label,
                    part=part,
                    baseline=baseline[k],
                    include=include[k],
                    y=_finite_or_none(y),
                    n=_finite_or_none(frame.n[j]),
                    cl=_finite_or_none(cl),
                    lcl=lcl,
                    ucl=ucl,
                    lcl_95=_finite_or_none(frame.lcl_95[j] * multiply),
                    ucl_95=_finite_or_none(frame.ucl_95[j] * multiply),
                    runs_signal=runs_signal,
                    sigma_signal=bool(sigma_signal),
                    numerator=_finite_or_none(groups[k].y_sum) if spc.n is not None else None,
                )
            )
        points.extend(part_points)
        summary.append(
            PartSummary(
                part=part,
                n_obs=runs.n_obs,
                n_useful=runs.n_useful,
                longest_run=runs.longest_run,
                longest_run_max=runs.longest_run_max,
                n_crossings=runs.n_crossings,
                n_crossings_min=runs.n_crossings_min,
                runs_signal=runs_signal,
                sigma_signal=sum(p.sigma_signal for p in part_points),
            )
        )
        ihi_results.append(
            IhiResult(
                part=part,
                n_runs=rules.n_runs,
                shift=bool(rules.shift_points) and not runs_forced_off,
                shift_points=[] if runs_forced_off else rules.shift_points,
                trend=bool(rules.trend_points) and not runs_forced_off,
                trend_points=[] if runs_forced_off else rules.trend_points,
            )
        )
        if opts.western_electric and spc.chart != "run":
            we = western_electric(
                [idx[j] + 1 for j in included],
                [frame.y[j] * multiply for j in included],
                cl,
                [frame.sigma[j] * multiply for j in included],
            )
            we_results.append(WesternElectricResult(part, we.rule_1, we.rule_2, we.rule_3, we.rule_4))

    if not opts.y_neg:
        plotted = [p.y for p in points if p.y is not None]
        if not plotted or min(plotted) >= 0:
            for p in points:
                if p.lcl is not None and p.lcl < 0:
                    p.lcl = 0.0
                if p.lcl_95 is not None and p.lcl_95 < 0:
                    p.lcl_95 = 0.0
    if opts.western_electric and spc.chart == "run":
        notes.append("Western Electric rules apply to control charts only; a run chart has no limits.")
    return SpcResult(
        chart=spc.chart,
        points=points,
        summary=summary,
        ihi=ihi_results,
        dots_only=dots_only,
        western_electric=we_results if opts.western_electric else None,
        notes=notes,
    )
