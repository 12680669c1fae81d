"""The JSON contract of ``lhn-desktop chart analyze`` (SPC.md section 9): request in, result out.

The request is read strictly: unknown keys, wrong types, ``NaN`` and mixed label kinds are refused
with a message that names the field and position, never guessed.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, TypeVar

from lhn_desktop.spc.model import Label, SpcInput, SpcInputError, SpcOptions, SpcResult

_Default = TypeVar("_Default", float, None)

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_TOP_KEYS = {"chart", "x", "y", "n", "options"}
_OPTION_KEYS = set(SpcOptions.__dataclass_fields__)


def _refuse_constant(name: str) -> Any:
    raise SpcInputError(f"The JSON holds {name}, which strict JSON does not allow; use null for a missing value.")


_MAX_DIGITS = 300  # a whole number beyond a float's range (about 1.8e308) is no measurement, count or position
_MAX_DEPTH = 32  # a request is an object with lists and an options object: a few levels


def _whole_number(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_DIGITS:
        raise SpcInputError(
            f"The chart request holds a whole number with {len(text.lstrip('-')):,} digits; no measurement, count "
            "or position is that large. Correct the number."
        )
    return int(text)


def _check_depth(value: Any) -> None:
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth > _MAX_DEPTH:
            raise SpcInputError(
                f"The chart request is nested more than {_MAX_DEPTH} levels deep; a request is an object holding "
                "lists of numbers (see SPC.md section 9)."
            )
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)


def loads(text: str) -> Any:
    try:
        value = json.loads(text, parse_constant=_refuse_constant, parse_int=_whole_number)
    except json.JSONDecodeError as exc:
        raise SpcInputError(
            f"The chart request is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})."
        ) from None
    except RecursionError:
        raise SpcInputError(
            "The chart request is nested too deeply to read; a request is an object holding lists of numbers "
            "(see SPC.md section 9)."
        ) from None
    _check_depth(value)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numbers(name: str, values: Any) -> tuple[float | None, ...]:
    if not isinstance(values, list):
        raise SpcInputError(f"{name} must be a list of numbers (null for missing), not {type(values).__name__}.")
    for index, value in enumerate(values):
        if value is not None and not _is_number(value):
            raise SpcInputError(
                f"{name} at position {index + 1} is {json.dumps(value)}; give a number, or null for missing."
            )
    return tuple(None if v is None else float(v) for v in values)


def _labels(values: Any) -> tuple[Label | None, ...] | None:
    if values is None:
        return None
    if not isinstance(values, list):
        raise SpcInputError("x must be a list of labels (numbers, ISO dates or categories), or null.")
    for index, value in enumerate(values):
        if value is not None and not (_is_number(value) or isinstance(value, str)):
            raise SpcInputError(
                f"x at position {index + 1} is {json.dumps(value)}; labels are numbers, ISO dates or text."
            )
    strings = [v for v in values if isinstance(v, str)]
    if strings and all(_ISO_DATE.match(v) for v in strings):
        return tuple(_date(v, index) if isinstance(v, str) else v for index, v in enumerate(values))
    return tuple(values)


def _date(text: str, index: int) -> dt.date | dt.datetime:
    try:
        if len(text) == 10:
            return dt.date.fromisoformat(text)
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise SpcInputError(
            f"x at position {index + 1} is {text!r}, which is not a real date; correct it (YYYY-MM-DD)."
        ) from None


def _positions(name: str, value: Any) -> tuple[int, ...] | None:
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not _is_number(item) or float(item) != int(item):
            raise SpcInputError(f"{name} must hold whole positions such as 12, not {json.dumps(item)}.")
    return tuple(int(item) for item in items)


def _options(raw: Any) -> SpcOptions:
    if raw is None:
        return SpcOptions()
    if not isinstance(raw, dict):
        raise SpcInputError('options must be an object such as {"freeze": 12}.')
    unknown = sorted(set(raw) - _OPTION_KEYS)
    if unknown:
        raise SpcInputError(f"Unknown option {unknown[0]!r}. Known options: {', '.join(sorted(_OPTION_KEYS))}.")
    freeze = _positions("freeze", raw.get("freeze"))
    if freeze is not None and len(freeze) != 1:
        raise SpcInputError("freeze is one position: the last point of the baseline.")

    def flag(name: str, default: bool) -> bool:
        value = raw.get(name, default)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise SpcInputError(f"{name} must be true or false, not {json.dumps(value)}.")
        return value

    def number(name: str, default: _Default) -> float | _Default:
        value = raw.get(name, default)
        if value is None:
            return default
        if not _is_number(value):
            raise SpcInputError(f"{name} must be a number, not {json.dumps(value)}.")
        return float(value)

    agg_fun = raw.get("agg_fun") or "mean"
    if not isinstance(agg_fun, str):
        raise SpcInputError(f'agg_fun must be "mean" or "median", not {json.dumps(agg_fun)}.')
    return SpcOptions(
        freeze=freeze[0] if freeze else None,
        part=_positions("part", raw.get("part")),
        exclude=_positions("exclude", raw.get("exclude")),
        multiply=number("multiply", 1.0),
        y_neg=flag("y_neg", True),
        agg_fun=agg_fun,
        cl=number("cl", None),
        screened_mr=flag("screened_mr", True),
        western_electric=flag("western_electric", False),
    )


def parse_request(raw: Any) -> SpcInput:
    """A parsed JSON request (dict) to an :class:`SpcInput`, refusing anything ambiguous."""
    if not isinstance(raw, dict):
        raise SpcInputError('The chart request must be a JSON object with at least "chart" and "y".')
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise SpcInputError(f"Unknown field {unknown[0]!r}. The request has: chart, x, y, n, options.")
    if "chart" not in raw or "y" not in raw:
        missing = "chart" if "chart" not in raw else "y"
        raise SpcInputError(f"The chart request needs {missing!r}.")
    chart = raw["chart"]
    if not isinstance(chart, str):
        raise SpcInputError(f'chart must be a chart type such as "run", not {json.dumps(chart)}.')
    n = raw.get("n")
    return SpcInput(
        chart=chart,
        y=_numbers("y", raw["y"]),
        x=_labels(raw.get("x")),
        n=None if n is None else _numbers("n", n),
        options=_options(raw.get("options")),
    )


def _label_out(label: Label) -> Any:
    if isinstance(label, dt.datetime | dt.date):
        return label.isoformat()
    if isinstance(label, float) and label.is_integer() and abs(label) < 2**53:
        return int(label)
    return label


def result_to_json(result: SpcResult) -> dict[str, Any]:
    """The result as the JSON object of SPC.md section 9 (``western_electric`` only when asked for)."""
    out: dict[str, Any] = {
        "points": [
            {
                "xx": p.xx,
                "x": _label_out(p.x),
                "part": p.part,
                "baseline": p.baseline,
                "include": p.include,
                "y": p.y,
                "n": p.n,
                "cl": p.cl,
                "lcl": p.lcl,
                "ucl": p.ucl,
                "lcl_95": p.lcl_95,
                "ucl_95": p.ucl_95,
                "runs_signal": p.runs_signal,
                "sigma_signal": p.sigma_signal,
            }
            for p in result.points
        ],
        "summary": [
            {
                "part": s.part,
                "n_obs": s.n_obs,
                "n_useful": s.n_useful,
                "longest_run": s.longest_run,
                "longest_run_max": s.longest_run_max,
                "n_crossings": s.n_crossings,
                "n_crossings_min": s.n_crossings_min,
                "runs_signal": s.runs_signal,
                "sigma_signal": s.sigma_signal,
            }
            for s in result.summary
        ],
        "ihi": [
            {
                "part": r.part,
                "n_runs": r.n_runs,
                "shift": r.shift,
                "shift_points": r.shift_points,
                "trend": r.trend,
                "trend_points": r.trend_points,
            }
            for r in result.ihi
        ],
    }
    if result.western_electric is not None:
        out["western_electric"] = [
            {
                "part": w.part,
                "signal": w.signal,
                "rule_1": w.rule_1,
                "rule_2": w.rule_2,
                "rule_3": w.rule_3,
                "rule_4": w.rule_4,
            }
            for w in result.western_electric
        ]
    return out


def dumps(result: SpcResult) -> str:
    return json.dumps(result_to_json(result), allow_nan=False, indent=1)
