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
import uuid
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from typing import TYPE_CHECKING, Annotated, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lhn_desktop.errors import LhnError

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
    """A completed visit in the ``days`` ending on the last day of the month."""

    kind: Literal["seen_within"]
    days: int = Field(gt=0, le=3650)


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
    | RecordedBeforeMedication
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


class MeasureSpec(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,58}$")
    version: int = Field(ge=1)
    title: str = Field(min_length=3, max_length=200)
    chart: Literal["run", "p", "pp", "i", "c", "u", "up"]
    direction: Literal["up", "down"]
    target: float | None = Field(default=None, ge=0, le=100)
    lookback_days: int | None = Field(default=None, gt=0)
    #: months with a smaller denominator are not reported (collaboRATE: 25)
    min_denominator: int | None = Field(default=None, ge=1)
    population: Population
    numerator: Numerator
    numerator_text: str = Field(min_length=3)
    denominator_text: str = Field(min_length=3)
    exclusions: tuple[Exclusion, ...] = ()
    #: where the definition comes from, and whether a threshold is the network's own or this library's choice
    source: str | None = None

    @model_validator(mode="after")
    def _numerator_fits_population(self) -> MeasureSpec:
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

    path = content_dir() / LIBRARY_FILE
    return parse_library(path.read_text(encoding="utf-8"), str(path))


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
        return _seen_in(p, last - timedelta(days=criterion.days), last)
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


def count_month(spec: MeasureSpec, data: ClinicalData, first: date, last: date) -> tuple[int, int]:
    """(numerator, denominator) of one measure for the month ``first``..``last``."""
    if isinstance(spec.population, CollaborateResponsesInMonth):
        complete = [
            items for on, items in data.collaborate if first <= on <= last and all(v is not None for v in items)
        ]
        return sum(1 for items in complete if all(v == 9 for v in items)), len(complete)
    if isinstance(spec.population, VisitsInMonth):
        criterion = spec.numerator
        numerator = denominator = 0
        for visit in data.visits_between(first, last):
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
    code = getattr(criterion, "code", None)
    return {code} if isinstance(code, str) else set()


def needed_observation_codes(specs: Iterable[MeasureSpec]) -> set[str]:
    """The observation codes these measures read (the loader reads only those)."""
    codes: set[str] = set()
    for spec in specs:
        codes |= _codes_of(spec.numerator)
        for exclusion in spec.exclusions:
            codes |= _codes_of(exclusion.criterion)
    return codes
