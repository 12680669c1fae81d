"""CDC 2000 growth-chart z-scores and percentiles for ages 2 to 20 years (24 to 240 months).

The charts are CDC's LMS tables, shipped unchanged in ``content/growth/`` (see ``SOURCE.md`` there):
stature-for-age (``statage.csv``), weight-for-age (``wtage.csv``) and BMI-for-age
(``bmiagerev.csv``). For a measurement X at an age with parameters L (Box-Cox power), M (median)
and S (coefficient of variation), the z-score is

    Z = ((X / M) ** L - 1) / (L * S)      when L != 0
    Z = ln(X / M) / S                     when L == 0

and the percentile is the standard normal distribution function of Z. This is the method of
Kuczmarski RJ et al. 2000 CDC growth charts for the United States: methods and development. Vital
Health Stat 11(246). 2002, and of CDC's SAS program.

Everything here is a pure function of its arguments; only the table loader reads files. Ages
outside the charts are not extrapolated: :func:`zscore` returns None there, so the program can say
"outside the CDC 2-20 year charts" instead of showing a number the charts do not support.
"""

from __future__ import annotations

import csv
import math
from bisect import bisect_left
from dataclasses import dataclass
from datetime import date
from functools import cache
from itertools import pairwise
from pathlib import Path

from lhn_desktop.errors import LhnError
from lhn_desktop.paths import content_dir

#: The ages the CDC 2-20 year charts cover, in months (both ends included).
AGE_MIN_MONTHS = 24.0
AGE_MAX_MONTHS = 240.0

#: CDC's average month length in days, from its SAS program: age in months = days / 30.4375.
DAYS_PER_MONTH = 30.4375

#: The folder in ``content/`` that holds the CDC files, and the file of each measure.
GROWTH_FOLDER = "growth"
MEASURE_FILES = {"height": "statage.csv", "weight": "wtage.csv", "bmi": "bmiagerev.csv"}

#: The program's words for sex, mapped to CDC's codes (Sex 1 = male, 2 = female).
SEX_CODES = {"male": "1", "female": "2"}

_HEADER = ["Sex", "Agemos", "L", "M", "S"]

# Below this |L| the Box-Cox formulas divide by (nearly) zero; use their limit, the log-normal form.
_L_ZERO = 1e-12


def age_in_months(birth: date, on: date) -> float:
    """Age on a date, in months as CDC counts them: the days between the dates divided by 30.4375.

    Args:
        birth: the date of birth.
        on: the date of the measurement.

    Returns:
        The age in (fractional) months.

    Raises:
        ValueError: when ``on`` is before ``birth``.
    """
    days = (on - birth).days
    if days < 0:
        raise ValueError(f"the measurement date {on.isoformat()} is before the birth date {birth.isoformat()}")
    return days / DAYS_PER_MONTH


def bmi(weight_kg: float, height_cm: float) -> float:
    """Body-mass index: weight in kilograms divided by the square of height in metres.

    Raises:
        ValueError: when the weight or the height is not a positive number.
    """
    _require_positive("weight", weight_kg)
    _require_positive("height", height_cm)
    metres = height_cm / 100.0
    return weight_kg / (metres * metres)


def lms_z(x: float, l: float, m: float, s: float) -> float:  # noqa: E741 - L, M, S are the method's names
    """The z-score of measurement ``x`` under the LMS parameters ``l``, ``m``, ``s``.

    ``((x/m)**l - 1) / (l*s)``, or ``ln(x/m) / s`` when ``l`` is 0.

    Raises:
        ValueError: when ``x``, ``m`` or ``s`` is not a positive number.
    """
    _require_positive("measurement", x)
    _require_positive("M", m)
    _require_positive("S", s)
    log_ratio = math.log(x / m)
    if abs(l) < _L_ZERO:
        return log_ratio / s
    # expm1(l*ln(x/m)) is (x/m)**l - 1 without the cancellation the subtraction has when l is small.
    return math.expm1(l * log_ratio) / (l * s)


def lms_value(z: float, l: float, m: float, s: float) -> float:  # noqa: E741 - L, M, S are the method's names
    """The measurement at z-score ``z`` under the LMS parameters: the inverse of :func:`lms_z`.

    ``m * (1 + l*s*z)**(1/l)``, or ``m * exp(s*z)`` when ``l`` is 0.

    Raises:
        ValueError: when ``m`` or ``s`` is not positive, or when no measurement has this z-score
            (``1 + l*s*z <= 0``, far out in a tail).
    """
    _require_positive("M", m)
    _require_positive("S", s)
    if abs(l) < _L_ZERO:
        return m * math.exp(s * z)
    base = l * s * z
    if base <= -1.0:
        raise ValueError(f"no measurement has z-score {z} under L={l}, S={s}")
    # log1p keeps (1 + l*s*z)**(1/l) accurate when l*s*z is small.
    return m * math.exp(math.log1p(base) / l)


def percentile(z: float) -> float:
    """The percentile (0-100) of a z-score: the standard normal distribution function times 100."""
    return 50.0 * (1.0 + math.erf(z / math.sqrt(2.0)))


@dataclass(frozen=True, slots=True)
class GrowthScore:
    """A measurement placed on a CDC chart: its z-score and percentile."""

    measure: str
    z: float
    percentile: float

    @property
    def z_text(self) -> str:
        """The z-score with two decimals and its sign: "-1.23", "+0.50", and "0.00" for zero."""
        text = f"{self.z:+.2f}"
        # A z that rounds to zero has no direction; "-0.00" would suggest one.
        return "0.00" if text in ("+0.00", "-0.00") else text

    @property
    def percentile_text(self) -> str:
        """The percentile with one decimal, "<0.1" or ">99.9" where one decimal would say 0 or 100."""
        text = f"{self.percentile:.1f}"
        if text == "0.0":
            return "<0.1"
        if text == "100.0":
            return ">99.9"
        return text


@dataclass(frozen=True, slots=True)
class _Table:
    """One sex's rows of one chart: ages in months, strictly increasing, and their (L, M, S)."""

    ages: tuple[float, ...]
    lms: tuple[tuple[float, float, float], ...]


def lms_at(measure: str, sex: str, age_months: float) -> tuple[float, float, float]:
    """The chart's L, M and S at an age, interpolated linearly between the two rows around it.

    An age equal to a table age gives that row exactly.

    Args:
        measure: "height", "weight" or "bmi".
        sex: "female" or "male".
        age_months: the age in months, 24 to 240.

    Returns:
        ``(L, M, S)``.

    Raises:
        ValueError: for an unknown measure or sex, or an age outside 24 to 240 months.
        LhnError: when the shipped chart file is missing or damaged.
    """
    _check_measure_and_sex(measure, sex)
    if not AGE_MIN_MONTHS <= age_months <= AGE_MAX_MONTHS:  # also refuses NaN
        raise ValueError(
            f"age {age_months} months is outside the CDC 2-20 year charts "
            f"({AGE_MIN_MONTHS:g} to {AGE_MAX_MONTHS:g} months)"
        )
    table = _load_table(measure)[sex]
    i = bisect_left(table.ages, age_months)
    if table.ages[i] == age_months:
        return table.lms[i]
    # The loader checked that the table starts at or before 24 months, so i >= 1 here.
    age0, age1 = table.ages[i - 1], table.ages[i]
    frac = (age_months - age0) / (age1 - age0)
    low, high = table.lms[i - 1], table.lms[i]
    l, m, s = (a + (b - a) * frac for a, b in zip(low, high, strict=True))  # noqa: E741
    return l, m, s


def zscore(measure: str, sex: str, age_months: float, value: float) -> GrowthScore | None:
    """A measurement's z-score and percentile on the CDC chart for its age and sex.

    Args:
        measure: "height" (cm), "weight" (kg) or "bmi" (kg/m²).
        sex: "female" or "male".
        age_months: the age in months (see :func:`age_in_months`).
        value: the measurement, in the unit of the measure.

    Returns:
        The score, or None when the age is outside the charts (24 to 240 months).

    Raises:
        ValueError: for an unknown measure or sex, or a value that is not a positive number.
        LhnError: when the shipped chart file is missing or damaged.
    """
    _check_measure_and_sex(measure, sex)
    _require_positive(measure, value)
    if not AGE_MIN_MONTHS <= age_months <= AGE_MAX_MONTHS:
        return None
    l, m, s = lms_at(measure, sex, age_months)  # noqa: E741
    z = lms_z(value, l, m, s)
    return GrowthScore(measure=measure, z=z, percentile=percentile(z))


def growth_scores(
    sex: str, birth: date, on: date, weight_kg: float | None, height_cm: float | None
) -> dict[str, GrowthScore]:
    """The scores that can be computed from one visit's measurements.

    Args:
        sex: "female" or "male".
        birth: the date of birth.
        on: the date of the measurements.
        weight_kg: the weight, or None when not measured.
        height_cm: the height, or None when not measured.

    Returns:
        ``"weight"``, ``"height"`` and ``"bmi"`` (only when both are given) mapped to their scores;
        empty when the age is outside 2 to 20 years.

    Raises:
        ValueError: for an unknown sex, a measurement date before birth, or a non-positive value.
        LhnError: when a shipped chart file is missing or damaged.
    """
    age = age_in_months(birth, on)
    scores: dict[str, GrowthScore] = {}
    for measure, value in (("weight", weight_kg), ("height", height_cm)):
        if value is not None:
            score = zscore(measure, sex, age, value)
            if score is not None:
                scores[measure] = score
    if weight_kg is not None and height_cm is not None:
        score = zscore("bmi", sex, age, bmi(weight_kg, height_cm))
        if score is not None:
            scores["bmi"] = score
    return scores


def _growth_dir() -> Path:
    """The folder of the CDC files (a function, so that tests can point the loader elsewhere)."""
    return content_dir() / GROWTH_FOLDER


@cache
def _load_table(measure: str) -> dict[str, _Table]:
    """Read one CDC file once per process, keyed by the program's word for sex.

    Raises:
        LhnError: when the file is missing, unreadable or not the CDC table it should be.
    """
    path = _growth_dir() / MEASURE_FILES[measure]
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        return _parse_table(rows)
    except (OSError, UnicodeDecodeError, csv.Error, ValueError) as exc:
        raise LhnError(
            f"The CDC growth chart file {path.name} is missing or damaged, so {measure} z-scores cannot be "
            "computed. Reinstall LHN Desktop to restore it.",
            detail=f"{path}: {exc}",
        ) from exc


def _parse_table(rows: list[list[str]]) -> dict[str, _Table]:
    """Check and index the rows of a CDC LMS file.

    CDC's files start with a header ``Sex,Agemos,L,M,S,P3,...``; bmiagerev.csv repeats it before the
    girls' rows and has a 240.5-month row, both kept as published. Only L, M and S are used: the
    percentile columns are derived from them (the tests check that they agree).

    Raises:
        ValueError: naming the first problem found.
    """
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if not rows or [cell.strip() for cell in rows[0][:5]] != _HEADER:
        raise ValueError(f"the file does not start with the header {','.join(_HEADER)}")
    by_sex: dict[str, list[tuple[float, tuple[float, float, float]]]] = {"male": [], "female": []}
    codes = {code: word for word, code in SEX_CODES.items()}
    for number, row in enumerate(rows[1:], start=2):
        if row[0].strip() == _HEADER[0]:
            continue  # a repeated header
        if len(row) < 5 or row[0].strip() not in codes:
            raise ValueError(f"row {number} is not Sex (1 or 2), Agemos, L, M, S")
        age, l, m, s = (float(cell) for cell in row[1:5])  # noqa: E741
        if not all(math.isfinite(v) for v in (age, l, m, s)) or m <= 0 or s <= 0:
            raise ValueError(f"row {number} has a value out of range (M and S must be positive)")
        by_sex[codes[row[0].strip()]].append((age, (l, m, s)))
    tables: dict[str, _Table] = {}
    for sex, entries in by_sex.items():
        ages = tuple(age for age, _ in entries)
        if not ages or ages[0] > AGE_MIN_MONTHS or ages[-1] < AGE_MAX_MONTHS:
            raise ValueError(f"the {sex} rows do not cover {AGE_MIN_MONTHS:g} to {AGE_MAX_MONTHS:g} months")
        if any(b <= a for a, b in pairwise(ages)):
            raise ValueError(f"the {sex} ages are not strictly increasing")
        tables[sex] = _Table(ages=ages, lms=tuple(lms for _, lms in entries))
    return tables


def _check_measure_and_sex(measure: str, sex: str) -> None:
    if measure not in MEASURE_FILES:
        raise ValueError(f"unknown measure {measure!r}; expected one of {', '.join(MEASURE_FILES)}")
    if sex not in SEX_CODES:
        raise ValueError(f"unknown sex {sex!r}; expected 'female' or 'male'")


def _require_positive(name: str, value: float) -> None:
    # Written as "not (... > 0)" so that NaN, which compares false both ways, is refused too.
    if isinstance(value, bool) or not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, not {value!r}")
