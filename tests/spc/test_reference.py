"""Every point and summary of 260 reference charts matches qicharts2 0.8.1 to a relative 1e-9."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lhn_desktop.spc import analyze
from lhn_desktop.spc.contract import parse_request, result_to_json

CASES = [json.loads(line) for line in (Path(__file__).parent / "data" / "spc_reference.jsonl").open()]


def _same(mine, theirs) -> bool:
    if mine is None or theirs is None:
        return mine is None and theirs is None
    if isinstance(mine, bool) or isinstance(theirs, bool):
        return bool(mine) == bool(theirs)
    return mine == theirs or abs(mine - theirs) <= 1e-9 * max(abs(mine), abs(theirs))


def _label(case: dict) -> str:
    request = case["request"]
    options = ",".join(sorted(request.get("options") or {}))
    return f"{request['chart']}-{len(request['y'])}-{options or 'defaults'}"


def test_the_reference_covers_every_chart_and_option():
    charts = {case["request"]["chart"] for case in CASES}
    options = {key for case in CASES for key in (case["request"].get("options") or {})}
    assert charts == {"run", "i", "mr", "xbar", "s", "t", "p", "pp", "c", "u", "up", "g", "ip"}
    assert options >= {"freeze", "part", "exclude", "multiply", "y_neg", "agg_fun", "cl", "screened_mr"}


@pytest.mark.parametrize("case", CASES, ids=[f"{i}-{_label(c)}" for i, c in enumerate(CASES)])
def test_matches_qicharts2(case):
    result = result_to_json(analyze(parse_request(case["request"])))
    expected = case["expected"]
    assert len(result["points"]) == len(expected["points"])
    problems = [
        f"point {want['xx']} {key}: {got[key]!r} != {value!r}"
        for got, want in zip(result["points"], expected["points"], strict=True)
        for key, value in want.items()
        if not _same(got[key], value)
    ]
    problems += [
        f"part {want['part']} {key}: {got[key]!r} != {value!r}"
        for got, want in zip(result["summary"], expected["summary"], strict=True)
        for key, value in want.items()
        if not _same(got[key], value)
    ]
    assert not problems, problems[:10]
