"""The measure library: definitions shipped as data (``content/measures.json``) and how they count.

A definition names a *population* (the denominator: who or which visits count this month) and a
*numerator* criterion, each from a small vocabulary below, with its parameters. Adding a measure
means adding data, not code, as long as it uses that vocabulary. The library is validated with
pydantic when it is loaded; a broken file stops with a message that names the measure and field.

Counting works on plain tuples (:class:`ClinicalData`) loaded once, so a month of every measure is
a pass over memory, not a query per patient.
"""

from __future__ import annotations

import contextlib
import json
import statistics
import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lhn_desktop.errors import LhnError
from lhn_desktop.services.words import listed

if TYPE_CHECKING:
    from lhn_desktop.services.facts import PatientFacts

#: uuid5 namespace of measure records: ``measure/<code>`` names a definition, ``<site>/<code>/<YYYY-MM>``
#: a monthly value, so two workstations computing the same thing make one record.
MEASURE_NS = uuid.UUID("6f1c3f3e-3b8e-4b0a-9d55-0c3f2a1d7e10")
LIBRARY_FILE = "measures.json"


def definition_id(code: str) -> str:
    return str(uuid.uuid5(MEASURE_NS, f"measure/{code}"))


def value_id(site: str, code: str, month: str) -> str:
    return str(uuid.uuid5(MEASURE_NS, f"{site}/{code}/{month}"))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Who(_Strict):
    """Narrowing a patient population: by diagnosis, by age on the last day of the month (whole years, both ends
    included), and to patients who had started a medication of these classes by then."""

    diagnoses: tuple[str, ...] = ()
    min_age: int | None = Field(default=None, ge=0, le=120)
    max_age: int | None = Field(default=None, ge=0, le=120)
    took: tuple[str, ...] = ()


class PatientsSeen(_Who):
    """Patients with a completed visit in the look-back window ending on the last day of the month."""

    kind: Literal["patients_seen"]
    lookback_days: int = Field(gt=0, le=3650)


class ActivePatients(_Who):
    """Active patients diagnosed on or before the last day of the month."""

    kind: Literal["active_patients"]


class VisitsInMonth(_Strict):
    """Completed visits during the month."""

    kind: Literal["visits_in_month"]


class CollaborateResponsesInMonth(_Strict):
    """Complete collaboRATE responses (all three items answered) given during the month."""

    kind: Literal["collaborate_responses_in_month"]


class LatestObservationIs(_Strict):
    """The patient's most recent observation ``code`` in the look-back window has one of ``values``."""

    kind: Literal["latest_observation_is"]
    code: str = Field(min_length=1)
    values: tuple[str, ...] = Field(min_length=1)


class NotOnMedication(_Strict):
    """No medication of these classes is being taken on the last day of the month."""

    kind: Literal["not_on_medication"]
    drug_classes: tuple[str, ...] = Field(min_length=1)


class SeenWithin(_Strict):
    """At least ``times`` completed visits (one by default) in the ``days`` ending on the last day of the month."""

    kind: Literal["seen_within"]
    days: int = Field(gt=0, le=3650)
    times: int = Field(default=1, ge=1, le=50)


class RecordedWithin(_Strict):
    """One of ``codes`` (an observation, or a screening, immunization or procedure) recorded on at least ``times``
    different days in the ``days`` ending on the last day of the month: four respiratory cultures a year, a yearly
    OGTT, a PHQ-9 recorded as a score or as a screening done."""

    kind: Literal["recorded_within"]
    codes: tuple[str, ...] = Field(min_length=1)
    days: int = Field(gt=0, le=3650)
    times: int = Field(default=1, ge=1, le=50)


class OnMedication(_Strict):
    """A medication of these classes is being taken on the last day of the month (for exclusions: on insulin)."""

    kind: Literal["on_medication"]
    drug_classes: tuple[str, ...] = Field(min_length=1)


class LatestValueInRange(_Strict):
    """The patient's most recent numeric observation ``code`` in the look-back window is at least ``at_least``
    and below ``below`` (either may be left out): an index in remission, a z-score, a lung function."""

    kind: Literal["latest_value_in_range"]
    code: str = Field(min_length=1)
    at_least: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _a_bound(self) -> LatestValueInRange:
        if self.at_least is None and self.below is None:
            raise ValueError("give 'at_least', 'below' or both")
        if self.at_least is not None and self.below is not None and self.at_least >= self.below:
            raise ValueError("'at_least' must be below 'below'")
        return self


class LatestGrowthAtLeast(_Strict):
    """The z-score of the patient's most recent height (or BMI, from a height and a weight on the same day) in the
    look-back window on the CDC 2000 charts is at least ``at_least``; ages 2 to 20 only."""

    kind: Literal["latest_growth_at_least"]
    chart: Literal["height", "bmi"]
    at_least: float = Field(ge=-5, le=5)


class SustainedAtVisits(_Strict):
    """At every completed visit in the ``months`` ending on the last day of the month, ``code`` was recorded with
    one of ``values``; and there were at least ``min_visits`` such visits."""

    kind: Literal["sustained_at_visits"]
    code: str = Field(min_length=1)
    values: tuple[str, ...] = Field(min_length=1)
    months: int = Field(default=12, ge=1, le=60)
    min_visits: int = Field(default=3, ge=1, le=50)


class RecordedBeforeMedication(_Strict):
    """``code`` was recorded on or before the first day the patient took a medication of these classes."""

    kind: Literal["recorded_before_medication"]
    code: str = Field(min_length=1)
    drug_classes: tuple[str, ...] = Field(min_length=1)


#: the criteria a patient meets or not on the last day of the month
_PatientCriterion = (
    LatestObservationIs | NotOnMedication | SeenWithin | LatestValueInRange | LatestGrowthAtLeast | SustainedAtVisits
    | RecordedBeforeMedication | RecordedWithin | OnMedication
)  # fmt: skip
_Simple = Annotated[_PatientCriterion, Field(discriminator="kind")]


class AllOf(_Strict):
    """Every one of ``criteria`` holds (steroid-free remission: in remission and not on a corticosteroid)."""

    kind: Literal["all_of"]
    criteria: tuple[_Simple, ...] = Field(min_length=2)


class Exclusion(_Strict):
    """Patients who meet ``criterion`` leave the population (numerator and denominator), for ``reason``."""

    reason: str = Field(min_length=3)
    criterion: _Simple


class VisitRecorded(_Strict):
    """At the visit, every observation code was recorded and the patient record has every field."""

    kind: Literal["visit_recorded"]
    observations: tuple[str, ...] = ()
    patient_fields: tuple[Literal["disease_classification", "diagnosis", "diagnosis_date"], ...] = ()


class CollaborateTopBox(_Strict):
    """All three collaboRATE answers at 9."""

    kind: Literal["collaborate_top_box"]


class VisitPlanned(_Strict):
    """The visit's pre-visit plan was marked done."""

    kind: Literal["visit_planned"]


Population = Annotated[
    PatientsSeen | ActivePatients | VisitsInMonth | CollaborateResponsesInMonth, Field(discriminator="kind")
]
Numerator = Annotated[
    _PatientCriterion | AllOf | VisitRecorded | VisitPlanned | CollaborateTopBox, Field(discriminator="kind")
]
_PATIENT_CRITERIA = (*get_args(_PatientCriterion), AllOf)


class ValueOf(_Strict):
    """A continuous measure's number per patient: the latest, highest or lowest numeric ``code`` recorded in the
    measure's look-back window (FEV1 % predicted: the best of the year). Patients with none have no value."""

    kind: Literal["value_of"]
    code: str = Field(min_length=1)
    pick: Literal["latest", "highest", "lowest"] = "latest"


class Adjustable(_Strict):
    """A threshold of the definition a center may set for itself, where the network's own is not public.

    ``path`` names the number in the definition, for example ``numerator.at_least``; its value there is the library's
    default, and a center's own value must lie between ``lowest`` and ``highest``."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{1,40}$")
    label: str = Field(min_length=3, max_length=120)
    path: str = Field(pattern=r"^[a-z_]+(\.[a-z_0-9]+)+$")
    lowest: float
    highest: float
    whole: bool = False


class MeasureSpec(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,58}$")
    version: int = Field(ge=1)
    title: str = Field(min_length=3, max_length=200)
    #: the disease pack whose patients the measure counts (None: every patient, such as collaboRATE)
    pack: str | None = None
    #: a proportion counts patients or visits; a continuous measure summarises a number per patient
    kind: Literal["proportion", "continuous"] = "proportion"
    chart: Literal["run", "p", "pp", "i", "c", "u", "up"]
    direction: Literal["up", "down"]
    target: float | None = Field(default=None, ge=0, le=100)
    lookback_days: int | None = Field(default=None, gt=0)
    #: months with a smaller denominator are not reported (collaboRATE: 25)
    min_denominator: int | None = Field(default=None, ge=1)
    population: Population
    numerator: Numerator | None = None
    #: continuous measures: the number per patient, how the month sums them up, and what the axis shows
    value: ValueOf | None = None
    statistic: Literal["median", "mean"] | None = None
    unit: str | None = Field(default=None, min_length=1, max_length=60)
    #: continuous measures: months with fewer patients with a value are shown as too few, not charted
    min_values: int | None = Field(default=None, ge=1)
    numerator_text: str = Field(min_length=3)
    denominator_text: str = Field(min_length=3)
    exclusions: tuple[Exclusion, ...] = ()
    #: where the definition comes from, and whether a threshold is the network's own or this library's choice
    source: str | None = None
    adjustable: tuple[Adjustable, ...] = ()

    @model_validator(mode="after")
    def _continuous_or_proportion(self) -> MeasureSpec:
        parts = {"value": self.value, "statistic": self.statistic, "unit": self.unit}
        if self.kind == "continuous":
            missing = [name for name, given in parts.items() if given is None]
            if missing:
                raise ValueError(f"a continuous measure needs {listed(repr(m) for m in missing)}")
            if self.numerator is not None or self.min_denominator is not None:
                raise ValueError("a continuous measure has a 'value', not a 'numerator' or 'min_denominator'")
            if self.chart not in ("i", "run"):
                raise ValueError("a continuous measure is charted as 'i' or 'run'")
            if not isinstance(self.population, PatientsSeen | ActivePatients):
                raise ValueError("a continuous measure summarises patients: use 'patients_seen' or 'active_patients'")
            return self
        given = [name for name, value in parts.items() if value is not None]
        if self.min_values is not None:
            given.append("min_values")
        if given:
            raise ValueError(f"{listed(repr(g) for g in given)} belong to continuous measures only")
        if self.numerator is None:
            raise ValueError("a proportion needs a 'numerator'")
        return self

    @model_validator(mode="after")
    def _adjustables_name_numbers(self) -> MeasureSpec:
        data = self.model_dump(mode="json")
        for item in self.adjustable:
            default = _at_path(data, item.path)
            if isinstance(default, bool) or not isinstance(default, int | float):
                raise ValueError(f"adjustable {item.name!r}: {item.path!r} does not name a number of this definition")
            if not item.lowest <= default <= item.highest:
                raise ValueError(f"adjustable {item.name!r}: the default {default:g} is outside its range")
        names = [a.name for a in self.adjustable]
        if len(set(names)) != len(names):
            raise ValueError("adjustable names must be unique within a measure")
        return self

    def default_of(self, name: str) -> float:
        item = next(a for a in self.adjustable if a.name == name)
        value = _at_path(self.model_dump(mode="json"), item.path)
        assert isinstance(value, int | float)  # checked when the library was read
        return float(value)

    @model_validator(mode="after")
    def _numerator_fits_population(self) -> MeasureSpec:
        if self.numerator is None:
            return self  # a continuous measure (checked above)
        surveys = isinstance(self.population, CollaborateResponsesInMonth)
        if surveys != isinstance(self.numerator, CollaborateTopBox):
            raise ValueError("'collaborate_top_box' and 'collaborate_responses_in_month' go together")
        if surveys:
            return self
        per_visit = isinstance(self.population, VisitsInMonth)
        if per_visit and isinstance(self.numerator, _PATIENT_CRITERIA):
            raise ValueError(f"numerator {self.numerator.kind!r} counts patients but the population counts visits")
        if not per_visit and isinstance(self.numerator, VisitRecorded | VisitPlanned):
            raise ValueError(f"numerator {self.numerator.kind!r} counts visits; use the population 'visits_in_month'")
        if per_visit and self.exclusions:
            raise ValueError("exclusions remove patients; the population 'visits_in_month' counts visits")
        return self


def _at_path(data: object, path: str) -> object:
    for step in path.split("."):
        if isinstance(data, dict):
            data = data.get(step)
        elif isinstance(data, list) and step.isdigit() and int(step) < len(data):
            data = data[int(step)]
        else:
            return None
    return data


def with_settings(spec: MeasureSpec, settings: Mapping[str, float]) -> MeasureSpec:
    """The definition with a center's own thresholds (by adjustable name) in place of the library's defaults."""
    if not settings:
        return spec
    data = spec.model_dump(mode="json")
    for item in spec.adjustable:
        if item.name in settings:
            *parents, last = item.path.split(".")
            holder = data
            for step in parents:
                holder = holder[int(step)] if isinstance(holder, list) else holder[step]
            value = settings[item.name]
            holder[last] = int(value) if item.whole else float(value)
    return MeasureSpec.model_validate(data)


class MeasureLibrary(_Strict):
    library: str
    version: int = Field(ge=1)
    measures: tuple[MeasureSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_codes(self) -> MeasureLibrary:
        codes = [m.code for m in self.measures]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"measure codes must be unique; repeated: {', '.join(repeated)}")
        return self

    def get(self, code: str) -> MeasureSpec | None:
        return next((m for m in self.measures if m.code == code), None)


def _describe(error: ValidationError, data: object) -> str:
    first = error.errors()[0]
    where = list(first["loc"])
    if len(where) >= 2 and where[0] == "measures" and isinstance(where[1], int) and isinstance(data, dict):
        with contextlib.suppress(IndexError, AttributeError, KeyError, TypeError):
            where[1] = data["measures"][where[1]].get("code", where[1])
    return f"{' > '.join(str(w) for w in where) or 'the file'}: {first['msg']}"


def parse_library(text: str, source: str = LIBRARY_FILE) -> MeasureLibrary:
    """Validate a library file's text; errors name the measure (by code) and the field."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LhnError(f"The measure library {source} is not valid JSON (line {exc.lineno}): {exc.msg}.") from None
    try:
        return MeasureLibrary.model_validate(data)
    except ValidationError as exc:
        raise LhnError(
            f"The measure library {source} has a mistake at {_describe(exc, data)}. "
            "Reinstall LHN Desktop or correct the file."
        ) from None


@cache
def load_library() -> MeasureLibrary:
    """The measure library shipped with the program (validated once per process)."""
    from lhn_desktop.paths import content_dir
    from lhn_desktop.services.checklist import load_packs

    path = content_dir() / LIBRARY_FILE
    library = parse_library(path.read_text(encoding="utf-8"), str(path))
    known = {p.pack for p in load_packs()}
    for spec in library.measures:
        if spec.pack is not None and spec.pack not in known:
            raise LhnError(
                f"The measure library {path} has a mistake at {spec.code} > pack: there is no disease pack "
                f"{spec.pack!r} (packs: {', '.join(sorted(known))}). Reinstall LHN Desktop or correct the file."
            )
    return library


@cache
def pack_diagnoses(pack: str) -> frozenset[str]:
    """The diagnoses of a disease pack: the patients a measure of that pack counts."""
    from lhn_desktop.services.checklist import load_packs

    return frozenset(d for p in load_packs() if p.pack == pack for d in p.diagnoses)


def _of_pack(spec: MeasureSpec, p: PatientFacts | None) -> bool:
    return spec.pack is None or (p is not None and p.diagnosis in pack_diagnoses(spec.pack))


# -- counting ---------------------------------------------------------------------------------------------------


@dataclass
class VisitFacts:
    patient_id: str
    on: date
    observation_codes: frozenset[str]
    planned: bool = False


@dataclass
class ClinicalData:
    """What the library's vocabulary needs, loaded once from the database (see services.measures)."""

    patients: dict[str, PatientFacts]
    #: completed visits sorted by date
    visits: list[VisitFacts]
    #: (date answered, (item1, item2, item3))
    collaborate: list[tuple[date, tuple]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.visits.sort(key=lambda v: v.on)
        self._visit_dates = [v.on for v in self.visits]

    def visits_between(self, first: date, last: date) -> list[VisitFacts]:
        return self.visits[bisect_left(self._visit_dates, first) : bisect_right(self._visit_dates, last)]


def _visit_date(visit: tuple[date, str]) -> date:
    return visit[0]


def _seen_in(p: PatientFacts, start_exclusive: date, last: date) -> bool:
    return bisect_right(p.visits, last, key=_visit_date) > bisect_right(p.visits, start_exclusive, key=_visit_date)


def _latest_value(p: PatientFacts, code: str, start_exclusive: date, last: date) -> str | None:
    values = p.observations.get(code, [])
    for on, value, _ in reversed(values):
        if on <= last:
            return value if on > start_exclusive else None
    return None


def _lookback_start(spec: MeasureSpec, last: date) -> date:
    """The day before a patient criterion's look-back window (the measure's, else its population's, else a year)."""
    population_days = spec.population.lookback_days if isinstance(spec.population, PatientsSeen) else 365
    return last - timedelta(days=spec.lookback_days or population_days)


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def _months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it has fewer days)."""
    import calendar

    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    return date(y, m + 1, min(day.day, calendar.monthrange(y, m + 1)[1]))


def _latest_growth_z(p: PatientFacts, chart: str, start_exclusive: date, last: date) -> float | None:
    """The CDC z-score of the latest height (or BMI: height and weight of the same day) in the window."""
    from lhn_desktop.clinical import growth

    if p.sex not in ("female", "male"):
        return None
    heights = {on: _number(v) for on, v, _ in p.observations.get("HEIGHT", []) if start_exclusive < on <= last}
    if chart == "bmi":
        weights = {on: _number(v) for on, v, _ in p.observations.get("WEIGHT", []) if on in heights}
        days = sorted(on for on, w in weights.items() if w and w > 0 and (heights[on] or 0) > 0)
    else:
        days = sorted(on for on, h in heights.items() if h and h > 0)
    if not days:
        return None
    on = days[-1]
    height = heights[on]
    assert height is not None  # only days with a height are kept
    value = growth.bmi(weights[on] or 0.0, height) if chart == "bmi" else height
    score = growth.zscore(chart, p.sex, growth.age_in_months(p.birth_date, on), value)
    return None if score is None else score.z


def _holds(criterion: object, spec: MeasureSpec, p: PatientFacts, last: date) -> bool:
    """Whether a patient criterion holds for ``p`` on the last day of the month."""
    if isinstance(criterion, AllOf):
        return all(_holds(c, spec, p, last) for c in criterion.criteria)
    if isinstance(criterion, LatestObservationIs):
        return _latest_value(p, criterion.code, _lookback_start(spec, last), last) in criterion.values
    if isinstance(criterion, NotOnMedication):
        return not any(m.drug_class in criterion.drug_classes and m.taken_on(last) for m in p.medications)
    if isinstance(criterion, SeenWithin):
        start = last - timedelta(days=criterion.days)
        return bisect_right(p.visits, last, key=_visit_date) - bisect_right(p.visits, start, key=_visit_date) >= (
            criterion.times
        )
    if isinstance(criterion, RecordedWithin):
        start = last - timedelta(days=criterion.days)
        days = {on for code in criterion.codes for on, _, _ in p.observations.get(code, []) if start < on <= last}
        days |= {on for code, on, _ in p.events if code in criterion.codes and start < on <= last}
        return len(days) >= criterion.times
    if isinstance(criterion, OnMedication):
        return any(m.drug_class in criterion.drug_classes and m.taken_on(last) for m in p.medications)
    if isinstance(criterion, LatestValueInRange):
        value = _number(_latest_value(p, criterion.code, _lookback_start(spec, last), last))
        return (
            value is not None
            and (criterion.at_least is None or value >= criterion.at_least)
            and (criterion.below is None or value < criterion.below)
        )
    if isinstance(criterion, LatestGrowthAtLeast):
        z = _latest_growth_z(p, criterion.chart, _lookback_start(spec, last), last)
        return z is not None and z >= criterion.at_least
    if isinstance(criterion, SustainedAtVisits):
        start = _months_before(last, criterion.months)
        visits = [(on, vid) for on, vid in p.visits if start < on <= last]
        entries = p.observations.get(criterion.code, [])

        def at(on: date, vid: str) -> str | None:
            return next((v for day, v, visit in reversed(entries) if visit == vid or (visit is None and day == on)),
                        None)  # fmt: skip

        return len(visits) >= criterion.min_visits and all(at(on, vid) in criterion.values for on, vid in visits)
    if isinstance(criterion, RecordedBeforeMedication):
        starts = [m.start for m in p.medications if m.drug_class in criterion.drug_classes and m.start <= last]
        if not starts:
            return False
        first = min(starts)
        return any(on <= first for on, _, _ in p.observations.get(criterion.code, []))
    raise AssertionError(criterion)  # the library validator keeps visit criteria off patient populations


def _patient_hit(spec: MeasureSpec, p: PatientFacts, last: date) -> bool:
    return _holds(spec.numerator, spec, p, last)


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _in_population(spec: MeasureSpec, p: PatientFacts, last: date) -> bool:
    if p.inactive_from is not None and p.inactive_from <= last:
        return False  # no longer followed here by the end of the month
    if not _of_pack(spec, p):
        return False
    population = spec.population
    assert isinstance(population, PatientsSeen | ActivePatients)  # the callers count patients
    if population.diagnoses and p.diagnosis not in population.diagnoses:
        return False
    if population.min_age is not None or population.max_age is not None:
        age = _age_on(p.birth_date, last)
        if (population.min_age is not None and age < population.min_age) or (
            population.max_age is not None and age > population.max_age
        ):
            return False
    if population.took and not any(m.drug_class in population.took and m.start <= last for m in p.medications):
        return False
    if isinstance(population, PatientsSeen):
        counted = _seen_in(p, last - timedelta(days=population.lookback_days), last)
    else:
        counted = p.diagnosis_date is not None and p.diagnosis_date <= last
    return counted and not any(_holds(x.criterion, spec, p, last) for x in spec.exclusions)


def _patient_value(spec: MeasureSpec, p: PatientFacts, last: date) -> float | None:
    assert spec.value is not None  # a continuous measure
    start = _lookback_start(spec, last)
    entries = [_number(v) for on, v, _ in p.observations.get(spec.value.code, []) if start < on <= last]
    numbers = [v for v in entries if v is not None]
    if not numbers:
        return None
    pick = spec.value.pick
    return numbers[-1] if pick == "latest" else max(numbers) if pick == "highest" else min(numbers)


def measure_month(spec: MeasureSpec, data: ClinicalData, first: date, last: date) -> tuple[int, int, float | None]:
    """One measure for the month ``first``..``last``: (numerator, denominator, value).

    Proportions: the counts, and no value. Continuous measures: how many patients of the population had a value,
    how many were in the population, and the median or mean of their values (None when nobody had one).
    """
    if spec.kind == "proportion":
        return (*count_month(spec, data, first, last), None)
    values = []
    denominator = 0
    for patient in data.patients.values():
        if _in_population(spec, patient, last):
            denominator += 1
            value = _patient_value(spec, patient, last)
            if value is not None:
                values.append(value)
    if not values:
        return 0, denominator, None
    summary = statistics.median(values) if spec.statistic == "median" else statistics.fmean(values)
    return len(values), denominator, summary


def count_month(spec: MeasureSpec, data: ClinicalData, first: date, last: date) -> tuple[int, int]:
    """(numerator, denominator) of one proportion for the month ``first``..``last``."""
    if spec.kind != "proportion":
        raise ValueError(f"{spec.code} is a continuous measure; use measure_month")
    if isinstance(spec.population, CollaborateResponsesInMonth):
        complete = [
            items for on, items in data.collaborate if first <= on <= last and all(v is not None for v in items)
        ]
        return sum(1 for items in complete if all(v == 9 for v in items)), len(complete)
    if isinstance(spec.population, VisitsInMonth):
        criterion = spec.numerator
        numerator = denominator = 0
        for visit in data.visits_between(first, last):
            if not _of_pack(spec, data.patients.get(visit.patient_id)):
                continue
            denominator += 1
            if isinstance(criterion, VisitPlanned):
                numerator += visit.planned
                continue
            assert isinstance(criterion, VisitRecorded)
            patient = data.patients.get(visit.patient_id)
            recorded = set(criterion.observations) <= visit.observation_codes
            filled = patient is not None and all(getattr(patient, f) for f in criterion.patient_fields)
            numerator += recorded and filled
        return numerator, denominator
    numerator = denominator = 0
    for patient in data.patients.values():
        if _in_population(spec, patient, last):
            denominator += 1
            numerator += _patient_hit(spec, patient, last)
    return numerator, denominator


def build_clinical_data(
    patients: Mapping[str, PatientFacts],
    planned_visits: Iterable[str] = (),
    collaborate: Iterable[tuple[date, tuple]] = (),
) -> ClinicalData:
    """The measures' view of these patients' facts (see services.facts), the ids of the visits with a pre-visit plan
    done, and the collaboRATE responses as (date answered, (item1, item2, item3))."""
    planned = set(planned_visits)
    visit_codes: dict[str, set[str]] = {}
    for p in patients.values():
        for code, entries in p.observations.items():
            for _, _, visit_id in entries:
                if visit_id:
                    visit_codes.setdefault(visit_id, set()).add(code)
    visit_facts = [
        VisitFacts(p.id, on, frozenset(visit_codes.get(vid, ())), vid in planned)
        for p in patients.values()
        for on, vid in p.visits
    ]
    return ClinicalData(dict(patients), visit_facts, list(collaborate))


def _codes_of(criterion: object) -> set[str]:
    if isinstance(criterion, AllOf):
        return set().union(*(_codes_of(c) for c in criterion.criteria))
    if isinstance(criterion, LatestGrowthAtLeast):
        return {"HEIGHT", "WEIGHT"}
    if isinstance(criterion, VisitRecorded):
        return set(criterion.observations)
    if isinstance(criterion, RecordedWithin):
        return set(criterion.codes)
    code = getattr(criterion, "code", None)
    return {code} if isinstance(code, str) else set()


def needed_observation_codes(specs: Iterable[MeasureSpec]) -> set[str]:
    """The observation codes these measures read (the loader reads only those)."""
    codes: set[str] = set()
    for spec in specs:
        codes |= _codes_of(spec.numerator) | _codes_of(spec.value)
        for exclusion in spec.exclusions:
            codes |= _codes_of(exclusion.criterion)
    return codes
