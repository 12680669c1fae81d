"""CDC 2000 growth charts (2-20 years): the shipped LMS files, z-scores, percentiles, interpolation, errors."""

from __future__ import annotations

import csv
import hashlib
import math
from collections.abc import Iterator
from datetime import date
from itertools import pairwise
from pathlib import Path
from statistics import NormalDist

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lhn_desktop.clinical import growth
from lhn_desktop.clinical.growth import (
    AGE_MAX_MONTHS,
    AGE_MIN_MONTHS,
    GrowthScore,
    age_in_months,
    bmi,
    growth_scores,
    lms_at,
    lms_value,
    lms_z,
    percentile,
    zscore,
)
from lhn_desktop.errors import LhnError
from lhn_desktop.paths import content_dir

GROWTH_DIR = content_dir() / "growth"
FILES = {"height": "statage.csv", "weight": "wtage.csv", "bmi": "bmiagerev.csv"}
MEASURES = tuple(FILES)
SEXES = {1: "male", 2: "female"}  # CDC's codes

# -- what CDC published, restated here so that a change in a data file must be deliberate ----------------------

HEADERS = {
    "height": "Sex,Agemos,L,M,S,P3,P5,P10,P25,P50,P75,P90,P95,P97",
    "weight": "Sex,Agemos,L,M,S,P3,P5,P10,P25,P50,P75,P90,P95,P97",
    "bmi": "Sex,Agemos,L,M,S,P3,P5,P10,P25,P50,P75,P85,P90,P95,P97",
}
# Each sex: 24 months, then the half-month midpoints 24.5 ... 239.5, then 240. bmiagerev.csv also has a
# 240.5-month row per sex (and repeats the header before the girls' rows), as CDC published it.
CHART_AGES = [24.0] + [24.5 + k for k in range(216)] + [240.0]
AGES = {"height": CHART_AGES, "weight": CHART_AGES, "bmi": [*CHART_AGES, 240.5]}
# SHA-256 of each file with line endings normalised to LF (so a Windows checkout with autocrlf still passes);
# the same values are in content/growth/SOURCE.md.
SHA256_LF = {
    "height": "64168c76a52b533a79a509197e292a3ec41a4a16ddb54dc321921b2bebf4c879",
    "weight": "66e45ffd89d0e537180c71bbf61477c278be08c114ea9abde3a78ff3c2decfae",
    "bmi": "fcf2ddd1aa7b902620f6ddd6a10971b533f8f1c1653951d4a8bf18c8945df297",
}


def _read(measure: str) -> tuple[list[str], list[dict[str, float]]]:
    """The file's header and data rows, read here without the module's loader."""
    with (GROWTH_DIR / FILES[measure]).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    data = [dict(zip(header, map(float, row), strict=True)) for row in rows[1:] if row and row[0] != "Sex"]
    return header, data


def _row(measure: str, sex: str, age: float) -> dict[str, float]:
    code = {v: k for k, v in SEXES.items()}[sex]
    (row,) = [r for r in _read(measure)[1] if r["Sex"] == code and r["Agemos"] == age]
    return row


def _percentile_columns(header: list[str]) -> list[str]:
    return [name for name in header if name.startswith("P")]


def _quantile(column: str) -> float:
    return NormalDist().inv_cdf(float(column[1:]) / 100)


@pytest.fixture
def fresh_tables() -> Iterator[None]:
    """Forget the tables loaded so far, before and after the test."""
    growth._load_table.cache_clear()
    yield
    growth._load_table.cache_clear()


# -- integrity of the shipped files (the check SOURCE.md describes) -----------------------------------------------


@pytest.mark.parametrize("measure", MEASURES)
def test_shipped_file_is_the_recorded_one(measure: str) -> None:
    data = (GROWTH_DIR / FILES[measure]).read_bytes().replace(b"\r\n", b"\n")
    digest = hashlib.sha256(data).hexdigest()
    assert digest == SHA256_LF[measure]
    assert digest in (GROWTH_DIR / "SOURCE.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("measure", MEASURES)
def test_shipped_file_structure(measure: str) -> None:
    lines = [line for line in (GROWTH_DIR / FILES[measure]).read_text(encoding="utf-8").splitlines() if line]
    assert lines[0] == HEADERS[measure]
    # The only lines that are not data are copies of the header.
    assert all(line == HEADERS[measure] for line in lines if line.startswith("Sex"))
    _, rows = _read(measure)
    for code in SEXES:
        ages = [row["Agemos"] for row in rows if row["Sex"] == code]
        assert len(ages) == len(AGES[measure])
        assert all(b > a for a, b in pairwise(ages))
        assert ages == AGES[measure]
    assert {row["Sex"] for row in rows} == {1.0, 2.0}


@pytest.mark.parametrize("measure", MEASURES)
def test_shipped_percentiles_agree_with_their_lms(measure: str) -> None:
    """Every published percentile is CDC's own LMS formula at the normal quantile: a copying error shows here."""
    header, rows = _read(measure)
    columns = _percentile_columns(header)
    assert len(columns) == (10 if measure == "bmi" else 9)
    bad = []
    for row in rows:
        if row["P50"] != pytest.approx(row["M"], rel=1e-6):
            bad.append((row["Sex"], row["Agemos"], "P50 != M"))
        for column in columns:
            expected = lms_value(_quantile(column), row["L"], row["M"], row["S"])
            if row[column] != pytest.approx(expected, rel=1e-4):
                bad.append((row["Sex"], row["Agemos"], column))
    assert bad == []


# -- CDC's published values --------------------------------------------------------------------------------------


@pytest.mark.parametrize("measure", MEASURES)
def test_published_percentiles_give_their_z_scores(measure: str) -> None:
    """At each row's exact age, the P-column value scores at that percentile (every row of every table)."""
    header, rows = _read(measure)
    columns = _percentile_columns(header)
    checked, bad = 0, []
    for row in rows:
        if row["Agemos"] > AGE_MAX_MONTHS:
            continue  # bmiagerev's 240.5-month row lies past the end of the charts
        sex = SEXES[int(row["Sex"])]
        for column in columns:
            score = zscore(measure, sex, row["Agemos"], row[column])
            assert score is not None
            if round(score.z, 2) != round(_quantile(column), 2) or round(score.percentile, 1) != float(column[1:]):
                bad.append((sex, row["Agemos"], column, score.z, score.percentile))
            checked += 1
    assert bad == []
    assert checked == 2 * len(CHART_AGES) * len(columns)


def test_normal_quantiles_are_the_ones_cdc_tabulates() -> None:
    quantiles = {c: round(_quantile(c), 4) for c in ("P3", "P5", "P10", "P25", "P50", "P75", "P85", "P90", "P95")}
    assert quantiles == {
        "P3": -1.8808,
        "P5": -1.6449,
        "P10": -1.2816,
        "P25": -0.6745,
        "P50": 0.0,
        "P75": 0.6745,
        "P85": 1.0364,
        "P90": 1.2816,
        "P95": 1.6449,
    }


def test_worked_example_boy_bmi_at_ten() -> None:
    # bmiagerev.csv, Sex 1, Agemos 120.5: L, M, S as published.
    l, m, s = -2.765648008, 16.64613844, 0.120112464  # noqa: E741
    assert lms_at("bmi", "male", 120.5) == (l, m, s)
    x = 20.0
    z = ((x / m) ** l - 1) / (l * s)
    assert round(z, 4) == 1.1984
    score = zscore("bmi", "male", 120.5, x)
    assert score is not None
    assert score.z == pytest.approx(z, rel=1e-12)
    assert score.percentile == pytest.approx(100 * NormalDist().cdf(z), rel=1e-12)
    assert (score.z_text, score.percentile_text) == ("+1.20", "88.5")


def test_worked_example_girl_height_at_eight() -> None:
    # statage.csv, Sex 2, Agemos 96.5: L, M, S as published.
    l, m, s = -0.079283065, 127.8262759, 0.045968169  # noqa: E741
    assert lms_at("height", "female", 96.5) == (l, m, s)
    x = 120.0
    z = ((x / m) ** l - 1) / (l * s)
    assert round(z, 4) == -1.3779
    score = zscore("height", "female", 96.5, x)
    assert score is not None
    assert score.z == pytest.approx(z, rel=1e-12)
    assert (score.z_text, score.percentile_text) == ("-1.38", "8.4")


# -- interpolation between table rows -----------------------------------------------------------------------------


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("sex", ["female", "male"])
@pytest.mark.parametrize(("age0", "age1"), [(24.0, 24.5), (99.5, 100.5), (239.5, 240.0)])
def test_halfway_between_rows_is_the_mean(measure: str, sex: str, age0: float, age1: float) -> None:
    r0, r1 = _row(measure, sex, age0), _row(measure, sex, age1)
    got = lms_at(measure, sex, (age0 + age1) / 2)
    assert got == pytest.approx(tuple((r0[k] + r1[k]) / 2 for k in "LMS"), rel=1e-12)


@pytest.mark.parametrize("measure", MEASURES)
def test_quarter_of_the_way_is_weighted(measure: str) -> None:
    r0, r1 = _row(measure, "male", 150.5), _row(measure, "male", 151.5)
    got = lms_at(measure, "male", 150.75)
    assert got == pytest.approx(tuple(0.75 * r0[k] + 0.25 * r1[k] for k in "LMS"), rel=1e-12)


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("sex", ["female", "male"])
def test_table_ages_and_bounds_use_the_row_exactly(measure: str, sex: str) -> None:
    for age in (AGE_MIN_MONTHS, 120.5, AGE_MAX_MONTHS):
        row = _row(measure, sex, age)
        assert lms_at(measure, sex, age) == (row["L"], row["M"], row["S"])


# -- outside the charts -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("measure", MEASURES)
@pytest.mark.parametrize("age", [23.9, 240.1, 0.0, 300.0])
def test_outside_the_charts(measure: str, age: float) -> None:
    value = {"height": 100.0, "weight": 20.0, "bmi": 17.0}[measure]
    assert zscore(measure, "female", age, value) is None
    with pytest.raises(ValueError, match="outside the CDC 2-20 year charts"):
        lms_at(measure, "female", age)


def test_the_chart_ends_are_inside() -> None:
    assert zscore("height", "male", 24.0, 86.0) is not None
    assert zscore("height", "male", 240.0, 177.0) is not None


def test_growth_scores_outside_two_to_twenty_years() -> None:
    assert growth_scores("male", date(2025, 1, 10), date(2026, 1, 10), 10.0, 76.0) == {}
    assert growth_scores("female", date(2004, 1, 10), date(2026, 1, 10), 60.0, 165.0) == {}


def test_growth_scores_gives_what_it_can() -> None:
    birth, on = date(2016, 3, 1), date(2026, 3, 1)
    age = age_in_months(birth, on)
    both = growth_scores("female", birth, on, 32.5, 140.0)
    assert set(both) == {"weight", "height", "bmi"}
    assert both["weight"] == zscore("weight", "female", age, 32.5)
    assert both["height"] == zscore("height", "female", age, 140.0)
    assert both["bmi"] == zscore("bmi", "female", age, bmi(32.5, 140.0))
    assert set(growth_scores("female", birth, on, 32.5, None)) == {"weight"}
    assert set(growth_scores("female", birth, on, None, 140.0)) == {"height"}
    assert growth_scores("female", birth, on, None, None) == {}


# -- the LMS formulas ---------------------------------------------------------------------------------------------

PLAUSIBLE = {"height": (60.0, 210.0), "weight": (7.0, 160.0), "bmi": (10.0, 50.0)}


@st.composite
def _chart_points(draw: st.DrawFn) -> tuple[str, str, float, float]:
    measure = draw(st.sampled_from(MEASURES))
    low, high = PLAUSIBLE[measure]
    return (
        measure,
        draw(st.sampled_from(["female", "male"])),
        draw(st.floats(AGE_MIN_MONTHS, AGE_MAX_MONTHS)),
        draw(st.floats(low, high)),
    )


@given(_chart_points())
def test_round_trip_on_the_charts(point: tuple[str, str, float, float]) -> None:
    measure, sex, age, x = point
    l, m, s = lms_at(measure, sex, age)  # noqa: E741
    z = lms_z(x, l, m, s)
    assert lms_value(z, l, m, s) == pytest.approx(x, rel=1e-9)


@given(
    x=st.floats(1.0, 250.0),
    l=st.one_of(st.just(0.0), st.floats(-1e-6, 1e-6), st.floats(-4.0, 3.0)),
    m=st.floats(5.0, 200.0),
    s=st.floats(0.02, 0.25),
)
def test_round_trip_any_lms_including_l_near_zero(x: float, l: float, m: float, s: float) -> None:  # noqa: E741
    assume(0.2 <= x / m <= 5.0)  # plausible: within a factor of five of the median
    assert lms_value(lms_z(x, l, m, s), l, m, s) == pytest.approx(x, rel=1e-9)


def test_l_zero_is_the_log_normal_form() -> None:
    x, m, s = 18.0, 16.0, 0.1
    assert lms_z(x, 0.0, m, s) == math.log(x / m) / s
    assert lms_value(1.5, 0.0, m, s) == m * math.exp(s * 1.5)
    # The Box-Cox form tends to the log-normal one as L goes to 0, with no jump at the switch.
    assert lms_z(x, 1e-9, m, s) == pytest.approx(lms_z(x, 0.0, m, s), rel=1e-8)
    assert lms_value(1.5, -1e-9, m, s) == pytest.approx(lms_value(1.5, 0.0, m, s), rel=1e-8)


def test_lms_formulas_by_hand() -> None:
    assert lms_z(20.0, 2.0, 16.0, 0.1) == pytest.approx(((20 / 16) ** 2 - 1) / (2 * 0.1))
    assert lms_value(1.0, -1.5, 16.0, 0.1) == pytest.approx(16.0 * (1 + -1.5 * 0.1 * 1.0) ** (1 / -1.5))


def test_lms_value_refuses_a_z_with_no_measurement() -> None:
    with pytest.raises(ValueError, match="no measurement"):
        lms_value(6.0, -2.0, 16.0, 0.1)  # 1 + L*S*Z = -0.2


@pytest.mark.parametrize(("z", "expected"), [(0.0, 50.0), (1.0, 84.1345), (-1.96, 2.4998), (3.0, 99.8650)])
def test_percentile(z: float, expected: float) -> None:
    assert percentile(z) == pytest.approx(expected, abs=1e-4)


@pytest.mark.parametrize(
    ("z", "text"), [(-1.234, "-1.23"), (0.5, "+0.50"), (0.0, "0.00"), (-0.004, "0.00"), (0.004, "0.00"), (2.0, "+2.00")]
)
def test_z_text(z: float, text: str) -> None:
    assert GrowthScore("bmi", z, percentile(z)).z_text == text


@pytest.mark.parametrize(
    ("p", "text"), [(0.04, "<0.1"), (0.06, "0.1"), (12.345, "12.3"), (50.0, "50.0"), (99.94, "99.9"), (99.96, ">99.9")]
)
def test_percentile_text(p: float, text: str) -> None:
    assert GrowthScore("bmi", 0.0, p).percentile_text == text


# -- ages, BMI and bad input --------------------------------------------------------------------------------------


def test_age_in_months() -> None:
    # 2015-01-01 to 2025-01-01 is 3653 days (three leap days); CDC divides by 30.4375.
    assert age_in_months(date(2015, 1, 1), date(2025, 1, 1)) == 3653 / 30.4375
    assert round(age_in_months(date(2015, 1, 1), date(2025, 1, 1)), 2) == 120.02
    assert age_in_months(date(2020, 5, 5), date(2020, 5, 5)) == 0.0
    with pytest.raises(ValueError, match="before the birth date"):
        age_in_months(date(2020, 5, 5), date(2020, 5, 4))


def test_bmi() -> None:
    assert round(bmi(32.5, 140.0), 2) == 16.58


@pytest.mark.parametrize(("weight", "height"), [(0.0, 140.0), (-1.0, 140.0), (30.0, 0.0), (math.nan, 140.0)])
def test_bmi_refuses_non_positive_input(weight: float, height: float) -> None:
    with pytest.raises(ValueError, match="positive number"):
        bmi(weight, height)


@pytest.mark.parametrize("value", [0.0, -3.0, math.nan, math.inf])
def test_zscore_refuses_a_bad_value(value: float) -> None:
    with pytest.raises(ValueError, match="positive number"):
        zscore("weight", "male", 60.0, value)
    with pytest.raises(ValueError, match="positive number"):
        lms_z(value, 1.0, 16.0, 0.1)


@pytest.mark.parametrize(("measure", "sex"), [("head", "male"), ("Height", "male"), ("bmi", "F"), ("bmi", "1")])
def test_unknown_measure_or_sex(measure: str, sex: str) -> None:
    with pytest.raises(ValueError, match="unknown"):
        lms_at(measure, sex, 60.0)
    with pytest.raises(ValueError, match="unknown"):
        zscore(measure, sex, 10.0, 20.0)  # refused even at an age outside the charts


# -- the loader ---------------------------------------------------------------------------------------------------

GOOD_HEADER = HEADERS["height"]


def _lines(*rows: str) -> str:
    return "\n".join([GOOD_HEADER, *rows]) + "\n"


BROKEN = {
    "missing": None,
    "empty": "",
    "wrong header": "Sex,Age,L,M,S\n1,24,1,86,0.04\n",
    "not a number": _lines("1,24,0.9,abc,0.04"),
    "bad sex": _lines("3,24,0.9,86,0.04", "3,240,0.9,176,0.04"),
    "negative M": _lines("1,24,0.9,-86,0.04", "1,240,0.9,176,0.04", "2,24,0.9,86,0.04", "2,240,0.9,176,0.04"),
    "short row": _lines("1,24,0.9"),
    "ages not increasing": _lines("1,24,0.9,86,0.04", "1,240,1,176,0.04", "1,100,1,130,0.04", "2,24,1,85,0.04"),
    "does not cover 240": _lines("1,24,0.9,86,0.04", "1,239.5,1,176,0.04", "2,24,1,85,0.04", "2,240,1,163,0.04"),
    "girls missing": _lines("1,24,0.9,86,0.04", "1,240,1,176,0.04"),
}


@pytest.mark.usefixtures("fresh_tables")
@pytest.mark.parametrize("name", list(BROKEN))
def test_broken_file_asks_to_reinstall(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    content = BROKEN[name]
    if content is not None:
        (tmp_path / "statage.csv").write_text(content, encoding="utf-8")
    monkeypatch.setattr(growth, "_growth_dir", lambda: tmp_path)
    with pytest.raises(LhnError, match="Reinstall LHN Desktop") as info:
        lms_at("height", "male", 30.0)
    assert "statage.csv" in info.value.message
    assert str(tmp_path) in info.value.detail


@pytest.mark.usefixtures("fresh_tables")
def test_minimal_valid_file_loads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The broken cases above fail for their stated reason: a small well-formed file does load."""
    (tmp_path / "statage.csv").write_text(
        _lines("1,24,1,86,0.04", "1,240,1,176,0.04", GOOD_HEADER, "2,24,1,85,0.04", "2,240,1,163,0.04"),
        encoding="utf-8",
    )
    monkeypatch.setattr(growth, "_growth_dir", lambda: tmp_path)
    assert lms_at("height", "male", 132.0) == pytest.approx((1.0, 131.0, 0.04))


@pytest.mark.usefixtures("fresh_tables")
def test_tables_are_read_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = lms_at("weight", "female", 100.0)
    monkeypatch.setattr(growth, "_growth_dir", lambda: tmp_path)  # an empty folder: a new read would fail
    assert lms_at("weight", "female", 100.0) == first
