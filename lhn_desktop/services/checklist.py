"""Disease packs: pre-visit checklist rules shipped as data (``content/packs/*.json``), and their evaluation.

A pack is validated with pydantic when it is loaded; a broken pack names the rule and the field.
Each rule has an optional ``applies_if`` (diagnosis, age, medication) and a ``check`` from a small
vocabulary (a patient field, something recorded at every visit, something repeated every N days,
something done before a medication started, a dose check, a safety check, visit cadence). A rule
gives one of the statuses clinics know from their EHR's health maintenance, with the reason in words.

Evaluation is a pure function of a patient's facts (:class:`lhn_desktop.services.facts.PatientFacts`) and a
date, so it is tested at its boundary dates without a database.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from lhn_desktop.errors import LhnError
from lhn_desktop.services.words import checklist as words

if TYPE_CHECKING:
    from lhn_desktop.services.facts import PatientFacts


class Status(StrEnum):
    NOT_DUE = "Not due"
    DUE_SOON = "Due soon"
    DUE = "Due"
    OVERDUE = "Overdue"
    COMPLETED = "Completed"
    NOT_APPLICABLE = "Not applicable"

    @property
    def needs_action(self) -> bool:
        return self in (Status.DUE, Status.OVERDUE)


# -- the pack format --------------------------------------------------------------------------------------------


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class AppliesIf(_Strict):
    diagnosis_in: tuple[str, ...] = ()
    min_age_years: int | None = Field(default=None, ge=0, le=120)
    max_age_years: int | None = Field(default=None, ge=0, le=120)
    #: taking one of these now
    on_drug_classes: tuple[str, ...] = ()
    #: ever prescribed one of these (started, planned or stopped)
    ever_drug_classes: tuple[str, ...] = ()


class PatientField(_Strict):
    kind: Literal["patient_field"]
    field: Literal["disease_classification", "diagnosis", "diagnosis_date"]
    overdue_after_days: int = Field(default=90, ge=0)


class EachVisit(_Strict):
    """Recorded at every visit: each of ``observations``, and one of ``any_of`` (either index of a pair)."""

    kind: Literal["each_visit"]
    observations: tuple[str, ...] = ()
    any_of: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _has_codes(self):
        if not self.observations and not self.any_of:
            raise ValueError("give the observation codes recorded at each visit")
        return self


class _Sources(_Strict):
    observations: tuple[str, ...] = ()
    events: tuple[str, ...] = ()
    what: str = Field(min_length=2)

    @model_validator(mode="after")
    def _has_a_source(self):
        if not self.observations and not self.events:
            raise ValueError("give the observation codes or event codes that satisfy the rule")
        return self


class Recurring(_Sources):
    kind: Literal["recurring"]
    interval_days: int = Field(gt=0, le=3650)
    due_soon_days: int = Field(default=30, ge=0)


class BeforeMedication(_Sources):
    kind: Literal["before_medication"]
    drug_classes: tuple[str, ...] = Field(min_length=1)


class NoEventWhileOn(_Strict):
    kind: Literal["no_event_while_on"]
    events: tuple[str, ...] = Field(min_length=1)
    drug_classes: tuple[str, ...] = Field(min_length=1)
    what: str = Field(min_length=2)


class ThiopurineDose(_Strict):
    kind: Literal["thiopurine_dose"]
    tpmt_observation: str
    weight_observation: str
    #: drug -> TPMT status -> the highest daily dose in mg/kg (0: avoid the drug)
    max_mg_per_kg: dict[str, dict[str, float]]


class VisitWithin(_Strict):
    kind: Literal["visit_within"]
    days: int = Field(gt=0, le=3650)
    due_soon_days: int = Field(default=30, ge=0)


class VisitCount(_Strict):
    kind: Literal["visit_count"]
    count: int = Field(gt=0, le=52)
    window_days: int = Field(gt=0, le=3650)


AnyCheck = (
    PatientField | EachVisit | Recurring | BeforeMedication | NoEventWhileOn | ThiopurineDose | VisitWithin | VisitCount
)
Check = Annotated[AnyCheck, Field(discriminator="kind")]


class Rule(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,58}$")
    title: str = Field(min_length=3, max_length=200)
    applies_if: AppliesIf = AppliesIf()
    check: Check


class Drug(_Strict):
    """A medicine the visit form offers: its name, its class (what the rules and measures look at), a dose hint."""

    name: str = Field(min_length=2, max_length=80)
    drug_class: str = Field(alias="class", min_length=2, max_length=40)
    dose_hint: str = ""


class VisitForm(_Strict):
    """What the visit form of a pack asks for, in this order after the physician's global assessment."""

    #: whether the form asks for the physician global assessment (PGA)
    pga: bool = False
    #: diagnosis -> the disease-activity index computed from its items (content/indices.json)
    indices: dict[str, str] = Field(default_factory=dict)
    #: observation codes (content/observations.json) in the order the form shows them
    observations: tuple[str, ...] = ()
    immunizations: tuple[str, ...] = ()
    screenings: tuple[str, ...] = ()


class Pack(_Strict):
    pack: str = Field(pattern=r"^[a-z][a-z0-9_-]{1,30}$")
    title: str
    version: int = Field(ge=1)
    diagnoses: tuple[str, ...] = Field(min_length=1)
    note: str = ""
    rules: tuple[Rule, ...] = Field(min_length=1)
    visit_form: VisitForm = VisitForm()
    drugs: tuple[Drug, ...] = ()

    @model_validator(mode="after")
    def _form_fits(self) -> Pack:
        unknown = sorted(set(self.visit_form.indices) - set(self.diagnoses))
        if unknown:
            raise ValueError(f"visit_form.indices names diagnoses outside this pack: {', '.join(unknown)}")
        names = [d.name.lower() for d in self.drugs]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"drug names must be unique; repeated: {', '.join(repeated)}")
        return self

    @model_validator(mode="after")
    def _unique_codes(self) -> Pack:
        codes = [r.code for r in self.rules]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"rule codes must be unique; repeated: {', '.join(repeated)}")
        return self


def parse_pack(text: str, source: str) -> Pack:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LhnError(f"The disease pack {source} is not valid JSON (line {exc.lineno}): {exc.msg}.") from None
    try:
        return Pack.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = list(first["loc"])
        if len(where) >= 2 and where[0] == "rules" and isinstance(where[1], int):
            with contextlib.suppress(IndexError, AttributeError, KeyError, TypeError):
                where[1] = data["rules"][where[1]].get("code", where[1])
        raise LhnError(
            f"The disease pack {source} has a mistake at {' > '.join(str(w) for w in where)}: {first['msg']}. "
            "Reinstall LHN Desktop or correct the pack."
        ) from None


@cache
def load_packs() -> tuple[Pack, ...]:
    """The packs shipped with the program, validated once per process."""
    from lhn_desktop.paths import content_dir

    folder = content_dir() / "packs"
    packs = tuple(parse_pack(p.read_text(encoding="utf-8"), p.name) for p in sorted(folder.glob("*.json")))
    seen: dict[str, str] = {}
    for pack in packs:
        for diagnosis in pack.diagnoses:
            if diagnosis in seen:
                raise LhnError(
                    f"The diagnosis {diagnosis!r} is in two disease packs ({seen[diagnosis]} and {pack.pack})."
                )
            seen[diagnosis] = pack.pack
    return packs


def pack_for(diagnosis: str | None) -> Pack | None:
    return next((p for p in load_packs() if diagnosis in p.diagnoses), None)


# -- the facts a rule looks at ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleResult:
    code: str
    title: str
    status: Status
    reason: str
    due_on: date | None = None


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _birthday(birth: date, years: int) -> date:
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # 29 February
        return birth.replace(year=birth.year + years, day=28)


def _applies(rule: Rule, p: PatientFacts, day: date) -> Callable[[], str] | None:
    """None when the rule applies, else the reason it does not (in words when called)."""
    cond = rule.applies_if
    if cond.diagnosis_in and p.diagnosis not in cond.diagnosis_in:
        return lambda: words.applies_for_diagnoses(cond.diagnosis_in)
    age = age_on(p.birth_date, day)
    low, high = cond.min_age_years, cond.max_age_years
    if low is not None and age < low:
        return lambda: words.applies_from_age(low, age)
    if high is not None and age > high:
        return lambda: words.applies_up_to_age(high, age)
    if cond.on_drug_classes and not any(
        m.drug_class in cond.on_drug_classes and m.taken_on(day) for m in p.medications
    ):
        return lambda: words.applies_while_taking(cond.on_drug_classes)
    if cond.ever_drug_classes and not any(m.drug_class in cond.ever_drug_classes for m in p.medications):
        return lambda: words.applies_if_ever_taken(cond.ever_drug_classes)
    return None


def _done_dates(check: _Sources, p: PatientFacts, until: date, labels: bool = True) -> list[tuple[date, str]]:
    """(date, label) of everything that satisfies ``check`` on or before ``until``, oldest first. Without
    ``labels`` a reading is labelled by its code alone (the dates, and the order of the dates, are the same)."""
    out = [
        (on, words.reading(code, value) if labels else code)
        for code in check.observations
        for on, value, _ in p.observations.get(code, [])
    ]
    out += [(on, code) for code, on, _ in p.events if code in check.events]
    return sorted(x for x in out if x[0] <= until)


def _timed(due: date, day: date, due_soon_days: int) -> Status:
    if day < due - timedelta(days=due_soon_days):
        return Status.NOT_DUE
    if day < due:
        return Status.DUE_SOON
    if day == due:
        return Status.DUE
    return Status.OVERDUE


def _first_due(rule: Rule, p: PatientFacts) -> date | None:
    """When a never-done recurring item first became due: the later of diagnosis and the age threshold."""
    anchors = [p.diagnosis_date] if p.diagnosis_date else []
    if rule.applies_if.min_age_years is not None:
        anchors.append(_birthday(p.birth_date, rule.applies_if.min_age_years))
    return max(anchors) if anchors else None


_DAILY_MG = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*mg\s+(daily|once daily|a day|per day)\b", re.IGNORECASE)


def evaluate_rule(
    rule: Rule, p: PatientFacts, day: date, visit_id: str | None = None, *, reasons: bool = True
) -> RuleResult:
    """The status of one rule for a patient on ``day`` (the visit date for a pre-visit plan). Without
    ``reasons`` the reason is left empty: a list that needs only the statuses does not spend its time on words."""

    def result(status: Status, reason: Callable[[], str], due: date | None = None) -> RuleResult:
        return RuleResult(rule.code, rule.title, status, reason() if reasons else "", due)

    not_applicable = _applies(rule, p, day)
    if not_applicable is not None:
        return result(Status.NOT_APPLICABLE, not_applicable)
    check = rule.check

    if isinstance(check, PatientField):
        value = getattr(p, check.field)
        if value:
            return result(Status.COMPLETED, lambda: words.field_recorded(value))
        field = check.field

        def not_recorded() -> str:
            return words.field_missing(field, p.diagnosis_date)

        if p.diagnosis_date is not None:
            due = p.diagnosis_date + timedelta(days=check.overdue_after_days)
            return result(Status.OVERDUE if day > due else Status.DUE, not_recorded, due)
        return result(Status.DUE, not_recorded)

    if isinstance(check, EachVisit):

        def at_visit(code: str) -> bool:
            return any((visit_id and e[2] == visit_id) or e[0] == day for e in p.observations.get(code, []))

        def last_of(codes: tuple[str, ...]) -> str:
            before = sorted((e[0], code, e[1]) for code in codes for e in p.observations.get(code, []) if e[0] < day)
            if not before:
                return words.none_yet(codes)
            on, code, value = before[-1]
            return words.last_reading(code, value, on)

        missing_codes = [code for code in check.observations if not at_visit(code)]
        found_any = [code for code in check.any_of if at_visit(code)]
        any_missing = bool(check.any_of) and not found_any
        if not missing_codes and not any_missing:
            recorded = (*check.observations, *found_any[:1])
            return result(Status.COMPLETED, lambda: words.recorded_at_visit(recorded))
        any_of = check.any_of

        def to_record() -> str:
            missing = [words.observation_name(code) for code in missing_codes]
            lasts = [last_of((code,)) for code in missing_codes]
            if any_missing:
                missing.append(words.one_of(any_of))
                lasts.append(last_of(any_of))
            return words.record_at_visit(missing, lasts)

        return result(Status.DUE, to_record, day)

    if isinstance(check, Recurring):
        done = _done_dates(check, p, day, reasons)
        if done:
            last_on, label = done[-1]
            if last_on == day:
                return result(Status.COMPLETED, lambda: words.done_today(label, last_on))
            due = last_on + timedelta(days=check.interval_days)
            status = _timed(due, day, check.due_soon_days)
            what = None if check.observations and not check.events else check.what
            return result(status, lambda: words.last_done(what, label, last_on, due, status is Status.OVERDUE), due)
        first = _first_due(rule, p)
        if first is None or first >= day:
            return result(Status.DUE, lambda: words.never_done(check.what, None), first)
        return result(Status.OVERDUE, lambda: words.never_done(check.what, first), first)

    if isinstance(check, BeforeMedication):
        meds = sorted((m for m in p.medications if m.drug_class in check.drug_classes), key=lambda m: m.start)
        first_med = meds[0]
        done = _done_dates(check, p, date.max, reasons)
        drug, start = first_med.drug, first_med.start
        if not done:
            status = Status.DUE if start > day else Status.OVERDUE
            return result(status, lambda: words.missing_before_medication(check.what, drug, start, day), start)
        done_before = [d for d in done if d[0] <= start]
        if done_before:
            on, label = done_before[-1]
            return result(Status.COMPLETED, lambda: words.done_before_medication(label, on, drug, start))
        return result(Status.COMPLETED, lambda: words.done_after_medication(check.what, done[0][0], drug, start, day))

    if isinstance(check, NoEventWhileOn):
        meds = [m for m in p.medications if m.drug_class in check.drug_classes]
        given: tuple[str, date, str] | None = None
        for code, on, _ in p.events:
            if code in check.events:
                during = next((m for m in meds if m.start <= on and (m.stop is None or m.stop > on)), None)
                if during is not None:
                    given = (code, on, during.drug)
                    break
        if given is not None:
            event, on, drug = given
            return result(Status.OVERDUE, lambda: words.given_while_taking(event, check.what, on, drug))
        current = sorted({m.drug for m in meds if m.taken_on(day)})
        return result(Status.COMPLETED, lambda: words.none_while_taking(check.what, current))

    if isinstance(check, ThiopurineDose):
        thiopurines = [m for m in p.medications if m.drug_class == "thiopurine" and m.taken_on(day)]
        med = thiopurines[-1]
        limits = check.max_mg_per_kg.get(med.drug.lower())
        tpmt = [e for e in p.observations.get(check.tpmt_observation, []) if e[0] <= day]
        weight = [e for e in p.observations.get(check.weight_observation, []) if e[0] <= day]
        match = _DAILY_MG.match(med.dose or "")
        if limits is None:
            return result(Status.DUE, lambda: words.no_dose_limits(med.drug))
        if not tpmt:
            return result(Status.DUE, lambda: words.no_tpmt(med.drug, med.dose))
        status_text = tpmt[-1][1].strip().lower()
        if status_text not in limits:
            return result(Status.DUE, lambda: words.unknown_tpmt(tpmt[-1][1], limits))
        if not weight or match is None:
            return result(Status.DUE, lambda: words.dose_unreadable(med.drug, med.dose, bool(weight)))
        kg = float(weight[-1][1])
        per_kg = float(match.group(1)) / kg if kg > 0 else float("inf")
        limit = limits[status_text]
        dose = (med.drug, med.dose, per_kg, kg, status_text)
        if limit == 0:
            return result(Status.OVERDUE, lambda: words.advised_against(*dose))
        if per_kg > limit + 1e-9:
            return result(Status.OVERDUE, lambda: words.dose_above(*dose, limit))
        return result(Status.COMPLETED, lambda: words.dose_within(*dose, limit))

    if isinstance(check, VisitWithin):
        before = [v for v, _ in p.visits if v < day]
        if not before:
            return result(Status.DUE, lambda: words.no_visit_before(), day)
        due = before[-1] + timedelta(days=check.days)
        status = _timed(due, day, check.due_soon_days)
        return result(status, lambda: words.last_visit(before[-1], (day - before[-1]).days, due), due)

    if isinstance(check, VisitCount):
        since = day - timedelta(days=check.window_days)
        count = sum(1 for v, _ in p.visits if since < v <= day)
        if count >= check.count:
            return result(Status.COMPLETED, lambda: words.visits_in_window(count, None, check.window_days))
        return result(Status.DUE, lambda: words.visits_in_window(count, check.count, check.window_days))

    raise AssertionError(check)


def evaluate(
    pack: Pack, p: PatientFacts, day: date, visit_id: str | None = None, *, reasons: bool = True
) -> list[RuleResult]:
    return [evaluate_rule(rule, p, day, visit_id, reasons=reasons) for rule in pack.rules]


def can_be_overdue(rule: Rule) -> bool:
    """Whether the rule can ever say "Overdue": a reading at each visit, or a number of visits, is at most "Due"."""
    return not isinstance(rule.check, EachVisit | VisitCount)


def overdue_rules(pack: Pack) -> tuple[Rule, ...]:
    """The pack's rules that can say "Overdue", in the pack's order: all a list of overdue items needs."""
    return tuple(rule for rule in pack.rules if can_be_overdue(rule))


@cache
def observation_codes(overdue_only: bool = False) -> frozenset[str]:
    """Every observation code a rule of a shipped pack looks at (with ``overdue_only``, a rule that can say
    "Overdue"): the facts a checklist needs, and no more."""
    codes: set[str] = set()
    for pack in load_packs():
        for rule in overdue_rules(pack) if overdue_only else pack.rules:
            check = rule.check
            if isinstance(check, EachVisit):
                codes.update(check.observations, check.any_of)
            elif isinstance(check, Recurring | BeforeMedication):
                codes.update(check.observations)
            elif isinstance(check, ThiopurineDose):
                codes.update((check.tpmt_observation, check.weight_observation))
    return frozenset(codes)
