"""Recording a visit: what was assessed, measured, started or stopped, and a missed visit.

A visit form gives the physician global assessment, the disease-activity index of the diagnosis
(computed here from its items, or a total from an outside source with that source named), growth,
laboratory values in any common unit (converted, the original kept), medication starts, dose changes
and stops, immunizations and screenings. :meth:`VisitService.check` reads all of it without saving and
returns what the form shows: the values as they will be stored, the index total and category, BMI and
growth z-scores, and the warnings (a height lower than last time, a weight that moved by more than a
fifth, a value that looks like another unit). Warnings never block: :meth:`VisitService.record` saves
once they have been shown (``accept_warnings``). The scheduled visit that day is completed (or an
unscheduled one is added), so the huddle, checklists, lists and measures follow at once.

A value already recorded for the visit is not overwritten here: it is corrected from the patient page,
with a reason (:mod:`lhn_desktop.services.corrections`). Patient and parent partners are refused.
Messages never repeat typed values; warnings (data returned to the form) may.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, overload

from sqlalchemy import select

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.clinical import observations as catalog
from lhn_desktop.errors import NeedsConfirmation, NotFound, ValidationError
from lhn_desktop.localization import format_date
from lhn_desktop.models.base import new_id
from lhn_desktop.models.patients import ClinicalEvent, Medication, Observation, Patient, Visit
from lhn_desktop.services.schedule import booked_visit
from lhn_desktop.services.words import record as record_words
from lhn_desktop.store.database import Database

EVENT_KINDS = {"immunization": "Immunization", "screening": "Screening"}
DOSE_CHANGED = "dose changed"
UNSCHEDULED = "Unscheduled"


# -- what a form gives --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ValueInput:
    """One observation as typed: ``text`` may carry its unit ("71 lb"), or ``unit`` gives it."""

    code: str
    text: str
    unit: str | None = None


@dataclass(frozen=True, slots=True)
class IndexInput:
    """The disease-activity index: the level of each item (0 = the first level), or a total from elsewhere."""

    code: str
    levels: dict[str, int] = field(default_factory=dict)
    outside_total: str | None = None
    outside_source: str | None = None


@dataclass(frozen=True, slots=True)
class MedicationStart:
    drug: str
    dose: str | None = None
    start: date | None = None  # default: the visit date
    drug_class: str | None = None  # needed only for a medicine the disease pack does not list


@dataclass(frozen=True, slots=True)
class DoseChange:
    medication_id: str
    dose: str
    on: date | None = None


@dataclass(frozen=True, slots=True)
class MedicationStop:
    medication_id: str
    reason: str
    on: date | None = None


@dataclass(frozen=True, slots=True)
class EventInput:
    kind: str  # immunization or screening
    code: str
    result: str | None = None
    on: date | None = None


@dataclass(frozen=True, slots=True)
class VisitInput:
    patient_id: str
    day: date
    #: the scheduled visit to complete; None: the patient's visit that day, or a new unscheduled one
    visit_id: str | None = None
    clinician: str | None = None
    visit_type: str | None = None
    values: tuple[ValueInput, ...] = ()
    index: IndexInput | None = None
    starts: tuple[MedicationStart, ...] = ()
    dose_changes: tuple[DoseChange, ...] = ()
    stops: tuple[MedicationStop, ...] = ()
    events: tuple[EventInput, ...] = ()


# -- what the form shows ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexResult:
    code: str
    short: str
    total: str
    category: str
    outside_source: str | None = None


@dataclass(frozen=True, slots=True)
class GrowthResult:
    bmi: str | None
    #: measure ("weight", "height", "bmi") -> (z-score text, percentile text)
    scores: dict[str, tuple[str, str]]
    note: str | None = None


@dataclass(frozen=True, slots=True)
class CurrentMedication:
    id: str
    drug: str
    drug_class: str
    dose: str | None
    start_date: date


@dataclass(frozen=True, slots=True)
class VisitForm:
    """What the visit form needs for one patient and day: the pack's form, due items, current medicines."""

    patient_id: str
    patient_name: str
    mrn: str
    diagnosis: str | None
    sex: str
    birth_date: date
    day: date
    visit_id: str | None
    visit_status: str | None
    clinician: str | None
    visit_type: str | None
    pga: bool
    index_code: str | None
    observations: tuple[str, ...]
    immunizations: tuple[str, ...]
    screenings: tuple[str, ...]
    #: (drug, class, dose hint) from the disease pack
    drugs: tuple[tuple[str, str, str], ...]
    current_medications: tuple[CurrentMedication, ...]
    #: (status, title, reason) of the pre-visit checklist items that need doing
    due: tuple[tuple[str, str, str], ...]
    #: codes already recorded for this visit (corrected from the patient page, not here)
    recorded: tuple[str, ...]
    #: code -> (date, value with unit) of the latest earlier value, for the form's hints
    previous: dict[str, tuple[date, str]]


@dataclass(frozen=True, slots=True)
class VisitCheck:
    readings: tuple[catalog.Reading, ...]
    index: IndexResult | None
    growth: GrowthResult | None
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class VisitSaved:
    visit_id: str
    created_visit: bool
    observations: int
    medications_started: int
    dose_changes: int
    medications_stopped: int
    events: int
    warnings: tuple[str, ...]


# -- pure parts ---------------------------------------------------------------------------------------------


def form_spec(diagnosis: str | None):
    """The disease pack's visit form for a diagnosis (None without a pack)."""
    from lhn_desktop.services.checklist import pack_for

    pack = pack_for(diagnosis)
    return pack


def index_code_for(diagnosis: str | None) -> str | None:
    pack = form_spec(diagnosis)
    return pack.visit_form.indices.get(diagnosis) if pack is not None and diagnosis else None


def drug_class_for(drug: str, diagnosis: str | None) -> str | None:
    """The class of a medicine from the packs' lists (the patient's own pack first), or None."""
    from lhn_desktop.services.checklist import load_packs

    own = form_spec(diagnosis)
    packs = ([own] if own is not None else []) + [p for p in load_packs() if p is not own]
    key = drug.strip().lower()
    for pack in packs:
        for d in pack.drugs:
            if d.name.lower() == key:
                return d.drug_class
    return None


def score_index(entry: IndexInput, diagnosis: str | None, readings: dict[str, catalog.Reading]) -> IndexResult:
    """The index total and category from its items (ESR and albumin items from this visit's labs when not given)."""
    from lhn_desktop.clinical import indices

    expected = index_code_for(diagnosis)
    if expected is None:
        raise ValidationError("This diagnosis has no disease-activity index in its pack.", field=entry.code)
    if entry.code != expected:
        wanted = indices.get_index(expected).short
        raise ValidationError(f"For {diagnosis} the program records the {wanted}; record that index instead.",
                              field=entry.code)  # fmt: skip
    index = indices.get_index(entry.code)
    if entry.outside_total is not None:
        source = " ".join((entry.outside_source or "").split())
        if not source:
            raise ValidationError(f"Say where the {index.short} total comes from (for example the referring "
                                  "hospital's letter).", field=entry.code)  # fmt: skip
        if entry.levels:
            raise ValidationError(f"Give either the {index.short} items or a total from elsewhere, not both.",
                                  field=entry.code)  # fmt: skip
        reading = catalog.read_value(entry.code, entry.outside_total)
        assert reading.number is not None  # an index total is a number in the catalog
        return IndexResult(index.code, index.short, reading.value, index.category(reading.number), source)
    levels = dict(entry.levels)
    for item in index.items:
        if item.key in levels or item.from_observation is None:
            continue
        lab = readings.get(item.from_observation.code)
        if lab is None or lab.number is None:
            raise ValidationError(f"The {index.short} item '{item.label}' comes from the "
                                  f"{catalog.short_label(item.from_observation.code)}: enter it, or choose the item's "
                                  "level.", field=entry.code)  # fmt: skip
        levels[item.key] = item.level_for_value(lab.number)
    try:
        result = indices.score(index, levels)
    except ValueError as exc:
        raise ValidationError(f"{index.short}: {exc}", field=entry.code) from None
    return IndexResult(index.code, index.short, result.total_text, result.category)


def growth_result(sex: str, birth: date, day: date, readings: dict[str, catalog.Reading]) -> GrowthResult | None:
    """BMI and CDC z-scores and percentiles from this visit's weight and height (ages 2-20)."""
    from lhn_desktop.clinical import growth

    weight = readings.get("WEIGHT")
    height = readings.get("HEIGHT")
    kg = float(weight.number) if weight is not None and weight.number is not None else None
    cm = float(height.number) if height is not None and height.number is not None else None
    if kg is None and cm is None:
        return None
    bmi = f"{growth.bmi(kg, cm):.1f}" if kg is not None and cm is not None else None
    if sex not in ("female", "male"):
        return GrowthResult(bmi, {}, "Growth percentiles need the sex the CDC charts use (female or male).")
    scores = growth.growth_scores(sex, birth, day, kg, cm)
    note = None if scores else "Outside the CDC 2-20 year charts: no percentiles."
    return GrowthResult(bmi, {m: (s.z_text, s.percentile_text) for m, s in scores.items()}, note)


def read_values(values: tuple[ValueInput, ...], allowed: tuple[str, ...]) -> dict[str, catalog.Reading]:
    readings: dict[str, catalog.Reading] = {}
    for v in values:
        if v.code not in allowed:
            if v.code in ("WPCDAI", "PUCAI"):
                raise ValidationError(f"Give the {v.code} by its items (or as a total from elsewhere with its "
                                      "source).", field=v.code)  # fmt: skip
            spec = catalog.load_catalog().get(v.code)
            what = spec.label if spec else repr(v.code)
            raise ValidationError(f"{what} is not on this patient's visit form. Form: {', '.join(allowed)}.",
                                  field=v.code)  # fmt: skip
        if v.code in readings:
            raise ValidationError(f"{catalog.label(v.code)} is given twice; give it once.", field=v.code)
        if not (v.text or "").strip():
            continue
        readings[v.code] = catalog.read_value(v.code, v.text, v.unit)
    return readings


@overload
def _clean_text(text: str | None, limit: int, what: str, name: str, *, required: Literal[True]) -> str: ...
@overload
def _clean_text(text: str | None, limit: int, what: str, name: str, *, required: bool = False) -> str | None: ...
def _clean_text(text: str | None, limit: int, what: str, name: str, *, required: bool = False) -> str | None:
    cleaned = " ".join((text or "").split()) or None
    if cleaned is None and required:
        raise ValidationError(f"Give the {what}.", field=name)
    if cleaned is not None and len(cleaned) > limit:
        raise ValidationError(f"Keep the {what} under {limit} characters.", field=name)
    return cleaned


# -- the service --------------------------------------------------------------------------------------------


class VisitService:
    def __init__(self, db: Database, *, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    # -- the form ---------------------------------------------------------------------------------------------
    def form(self, actor: Actor, patient_id: str, day: date, visit_id: str | None = None) -> VisitForm:
        """What the visit form shows for a patient on a day: the pack's fields, due items and current medicines."""
        from lhn_desktop.services import facts as facts_of
        from lhn_desktop.services.planning import _checklist

        require_patient_access(actor)
        with self.db.read() as s:
            patient = s.get(Patient, patient_id)
            if patient is None:
                raise NotFound("That patient is not in this center's database (it may have been removed).")
            visit = self._visit_for(s, patient_id, day, visit_id)
            pack = form_spec(patient.diagnosis)
            vf = pack.visit_form if pack is not None else None
            facts = facts_of.load(s, [patient_id])[patient_id]
            _, items = _checklist(facts, day, visit.id if visit else None)
            due = tuple((i.status, i.title, i.reason) for i in items if i.status in ("Overdue", "Due", "Due soon"))
            meds = s.scalars(
                select(Medication).where(Medication.patient_id == patient_id, Medication.entered_in_error.is_(False))
            ).all()
            current = tuple(
                CurrentMedication(m.id, m.drug, m.drug_class, m.dose, m.start_date)
                for m in sorted(meds, key=lambda m: (m.start_date, m.drug))
                if m.start_date <= day and (m.stop_date is None or m.stop_date > day)
            )
            recorded: tuple[str, ...] = ()
            if visit is not None:
                recorded = tuple(sorted(set(s.scalars(select(Observation.code).where(
                    Observation.visit_id == visit.id, Observation.entered_in_error.is_(False))))))  # fmt: skip
            previous: dict[str, tuple[date, str]] = {}
            rows = s.execute(
                select(Observation.code, Observation.observed_on, Observation.value, Observation.unit)
                .where(Observation.patient_id == patient_id, Observation.observed_on < day,
                       Observation.entered_in_error.is_(False))
                .order_by(Observation.observed_on)
            )  # fmt: skip
            for code, on, value, unit in rows:
                previous[code] = (on, f"{value} {unit}" if unit else value)
            return VisitForm(
                patient_id=patient_id, patient_name=f"{patient.family_name}, {patient.given_name}", mrn=patient.mrn,
                diagnosis=patient.diagnosis, sex=patient.sex, birth_date=patient.birth_date, day=day,
                visit_id=visit.id if visit else None, visit_status=visit.status if visit else None,
                clinician=visit.clinician if visit else None, visit_type=visit.visit_type if visit else None,
                pga=bool(vf and vf.pga), index_code=index_code_for(patient.diagnosis),
                observations=vf.observations if vf else ("WEIGHT", "HEIGHT"),
                immunizations=vf.immunizations if vf else (), screenings=vf.screenings if vf else (),
                drugs=tuple((d.name, d.drug_class, d.dose_hint) for d in pack.drugs) if pack else (),
                current_medications=current, due=due, recorded=recorded, previous=previous,
            )  # fmt: skip

    @staticmethod
    def _visit_for(s, patient_id: str, day: date, visit_id: str | None) -> Visit | None:
        if visit_id is not None:
            visit = s.get(Visit, visit_id)
            if visit is None or visit.patient_id != patient_id:
                raise NotFound("That visit is no longer on the schedule.")
            return visit
        visits = s.scalars(
            select(Visit).where(Visit.patient_id == patient_id, Visit.visit_date == day, Visit.status != "cancelled")
        ).all()
        return min(visits, key=lambda v: v.visit_time or "", default=None)

    # -- checking ---------------------------------------------------------------------------------------------
    def check(self, actor: Actor, entry: VisitInput) -> VisitCheck:
        """Read the whole form without saving: refused input raises; what the form shows comes back."""
        require_patient_access(actor)
        with self.db.read() as s:
            return self._check(s, entry)

    def _check(self, s, entry: VisitInput) -> VisitCheck:
        patient = s.get(Patient, entry.patient_id)
        if patient is None:
            raise NotFound("That patient is not in this center's database (it may have been removed).")
        if entry.day > self.today():
            raise ValidationError("A visit is recorded on or after its day; this date is in the future.", field="day")
        if entry.day < patient.birth_date:
            raise ValidationError("The visit date is before the patient's birth date.", field="day")
        pack = form_spec(patient.diagnosis)
        vf = pack.visit_form if pack is not None else None
        allowed = (("PGA",) if vf and vf.pga else ()) + (vf.observations if vf else ("WEIGHT", "HEIGHT"))
        readings = read_values(entry.values, allowed)
        index = score_index(entry.index, patient.diagnosis, readings) if entry.index is not None else None
        warnings = [w for r in readings.values() for w in r.warnings]
        compared = [code for code, r in readings.items() if r.number is not None and not r.comparator]
        last: dict[str, tuple[date, str]] = {}
        if compared:  # each value's last one before this visit, in one query
            for code, day, value in s.execute(
                select(Observation.code, Observation.observed_on, Observation.value)
                .where(Observation.patient_id == patient.id, Observation.code.in_(compared),
                       Observation.observed_on < entry.day, Observation.entered_in_error.is_(False))
                .order_by(Observation.observed_on.desc())
            ):  # fmt: skip
                last.setdefault(code, (day, value))
        for code in compared:
            reading = readings[code]
            assert reading.number is not None  # compared holds the numbers only
            moved = catalog.change_warning(code, reading.number, last.get(code), reading.unit)
            if moved:
                warnings.append(moved)
        growth = growth_result(patient.sex, patient.birth_date, entry.day, readings)
        self._check_medications(s, patient, entry)
        self._check_events(entry)
        return VisitCheck(tuple(readings.values()), index, growth, tuple(warnings))

    def _check_medications(self, s, patient: Patient, entry: VisitInput) -> None:
        for start in entry.starts:
            drug = _clean_text(start.drug, 80, "medicine's name", "drug", required=True)
            _clean_text(start.dose, 80, "dose", "dose")
            known = drug_class_for(drug, patient.diagnosis)
            if known is None and not (start.drug_class or "").strip():
                raise ValidationError(
                    "That medicine is not on the disease pack's list; give its class too (for example thiopurine, "
                    "anti-TNF, corticosteroid) so the checklists and measures can use it.",
                    field="drug_class",
                )
            if start.start is not None and start.start < patient.birth_date:
                raise ValidationError("A medicine cannot start before the birth date.", field="start")
        seen: set[str] = set()
        changes: tuple[DoseChange | MedicationStop, ...] = (*entry.dose_changes, *entry.stops)
        for change in changes:
            if change.medication_id in seen:
                raise ValidationError("Change a medicine's dose or stop it, not both at once.", field="medication")
            seen.add(change.medication_id)
            med = s.get(Medication, change.medication_id)
            if med is None or med.patient_id != patient.id or med.entered_in_error:
                raise NotFound("That medicine is no longer on this patient's list.")
            on = change.on or entry.day
            if med.stop_date is not None and med.stop_date <= on:
                stopped = format_date(med.stop_date)
                raise ValidationError(f"{med.drug} had already stopped on {stopped}.", field="medication")
            if on < med.start_date:
                started = format_date(med.start_date)
                raise ValidationError(f"{med.drug} started on {started}; the change must be on or after that.",
                                      field="medication")  # fmt: skip
        for change in entry.dose_changes:
            _clean_text(change.dose, 80, "new dose", "dose", required=True)
        for stop in entry.stops:
            _clean_text(stop.reason, 200, "reason for stopping", "stop_reason", required=True)

    @staticmethod
    def _check_events(entry: VisitInput) -> None:
        for e in entry.events:
            if e.kind not in EVENT_KINDS:
                raise ValidationError("An event is an immunization or a screening.", field="event")
            _clean_text(e.code, 60, record_words.event_name(e.kind), "event", required=True)
            _clean_text(e.result, 200, "result", "event")
            if e.on is not None and e.on > entry.day:
                raise ValidationError("An immunization or screening recorded at a visit is dated on or before it.",
                                      field="event")  # fmt: skip

    # -- recording --------------------------------------------------------------------------------------------
    def record(self, actor: Actor, entry: VisitInput, *, accept_warnings: bool = False) -> VisitSaved:
        """Save the visit: complete the scheduled visit (or add an unscheduled one) and write what was recorded.

        Raises:
            NeedsConfirmation: some value deserves a second look and ``accept_warnings`` was not given; call
                :meth:`check` to get the warnings, show them, and record again.
            ValidationError: something cannot be accepted (``field`` names it); nothing was written.
        """
        require_patient_access(actor)
        with self.db.write(actor) as s:
            checked = self._check(s, entry)
            if checked.warnings and not accept_warnings:
                raise NeedsConfirmation(
                    "1 value deserves a second look. Check it, then save again to keep it."
                    if len(checked.warnings) == 1
                    else f"{len(checked.warnings)} values deserve a second look. Check them, then save again to keep "
                    "them.",
                    field=checked.readings[0].code if checked.readings else None,
                )
            patient = s.get(Patient, entry.patient_id)
            assert patient is not None  # _check found it in this transaction
            visit = self._visit_for(s, patient.id, entry.day, entry.visit_id)
            created = visit is None
            if visit is None:
                visit = Visit(id=new_id(), patient_id=patient.id, visit_date=entry.day,
                              visit_type=_clean_text(entry.visit_type, 60, "visit type", "visit_type") or UNSCHEDULED,
                              status="completed")  # fmt: skip
                s.add(visit)
            else:
                if visit.status == "cancelled":
                    raise ValidationError("That visit was cancelled; record the visit as a new one.", field="day")
                if visit.visit_date != entry.day:
                    raise ValidationError(f"That visit is on {format_date(visit.visit_date)}; record it on its day, or "
                                          "move it first.", field="day")  # fmt: skip
                visit.status = "completed"
                visit_type = _clean_text(entry.visit_type, 60, "visit type", "visit_type")
                if visit_type:  # a blank type (spaces only) keeps the visit's own, as an empty one does
                    visit.visit_type = visit_type
            if entry.clinician:
                visit.clinician = _clean_text(entry.clinician, 200, "clinician", "clinician")
            with s.no_autoflush:  # one flush at the end: the visit's rows and their field versions written once
                already = set() if created else set(s.scalars(select(Observation.code).where(
                    Observation.visit_id == visit.id, Observation.entered_in_error.is_(False))))  # fmt: skip
            records = self._observations(patient, visit, entry, checked)
            for o in records:
                if o.code in already:
                    raise ValidationError(f"{catalog.label(o.code)} is already recorded for this visit. Correct it "
                                          "from the patient page, with a reason.", field=o.code)  # fmt: skip
            s.add_all(records)
            started, changed, stopped = self._medications(s, patient, visit, entry)
            events = [
                ClinicalEvent(patient_id=patient.id, visit_id=visit.id, kind=e.kind, code=" ".join(e.code.split()),
                              event_date=e.on or entry.day, result=_clean_text(e.result, 200, "result", "event"))
                for e in entry.events
            ]  # fmt: skip
            s.add_all(events)
            s.flush()
            return VisitSaved(visit.id, created, len(records), started, changed, stopped, len(events),
                              checked.warnings)  # fmt: skip

    @staticmethod
    def _observations(patient: Patient, visit: Visit, entry: VisitInput, checked: VisitCheck) -> list[Observation]:
        records = [
            Observation(patient_id=patient.id, visit_id=visit.id, code=r.code, value=r.value, unit=r.unit,
                        observed_on=entry.day, source="entered", original_value=r.original_value,
                        original_unit=r.original_unit)
            for r in checked.readings
        ]  # fmt: skip
        if checked.index is not None and entry.index is not None:
            from lhn_desktop.clinical.indices import get_index, score_text

            ix = checked.index
            if ix.outside_source is not None:
                detail, source = ix.outside_source, "outside"
            else:
                index = get_index(ix.code)
                levels = dict(entry.index.levels)
                for item in index.items:  # the derived items as they were derived
                    if item.key not in levels and item.from_observation is not None:
                        lab = next(r for r in checked.readings if r.code == item.from_observation.code)
                        assert lab.number is not None  # _check refused the visit otherwise
                        levels[item.key] = item.level_for_value(lab.number)
                detail, source = score_text(levels), "entered"
            records.append(Observation(patient_id=patient.id, visit_id=visit.id, code=ix.code, value=ix.total,
                                       unit=None, observed_on=entry.day, source=source, detail=detail))  # fmt: skip
        return records

    @staticmethod
    def _medications(s, patient: Patient, visit: Visit, entry: VisitInput) -> tuple[int, int, int]:
        for start in entry.starts:
            drug = " ".join(start.drug.split())
            drug_class = drug_class_for(drug, patient.diagnosis) or " ".join((start.drug_class or "").split())
            dose = _clean_text(start.dose, 80, "dose", "dose")
            s.add(Medication(patient_id=patient.id, visit_id=visit.id, drug=drug, drug_class=drug_class, dose=dose,
                             start_date=start.start or entry.day))  # fmt: skip
        for change in entry.dose_changes:
            old = s.get(Medication, change.medication_id)
            on = change.on or entry.day
            old.stop_date, old.stop_reason = on, DOSE_CHANGED
            s.add(Medication(patient_id=patient.id, visit_id=visit.id, drug=old.drug, drug_class=old.drug_class,
                             dose=" ".join(change.dose.split()), start_date=on, changed_from_id=old.id))  # fmt: skip
        for stop in entry.stops:
            med = s.get(Medication, stop.medication_id)
            med.stop_date = stop.on or entry.day
            med.stop_reason = " ".join(stop.reason.split())
        return len(entry.starts), len(entry.dose_changes), len(entry.stops)

    def mark_missed(self, actor: Actor, visit_id: str) -> None:
        """Record that the family did not come (a no-show); it can be undone by recording the visit."""
        require_patient_access(actor)
        with self.db.write(actor) as s:
            visit = booked_visit(s, visit_id, "That visit was recorded as seen; correct it from the patient page "
                                 "instead.")  # fmt: skip
            if visit.visit_date > self.today():
                raise ValidationError("A visit can be recorded as missed on its day or after, not before.")
            visit.status = "no_show"

    def latest(self, actor: Actor, patient_id: str, code: str) -> tuple[date, str] | None:
        """The latest value of a code (not entered in error), as (date, stored value)."""
        require_patient_access(actor)
        with self.db.read() as s:
            row = s.execute(
                select(Observation.observed_on, Observation.value)
                .where(Observation.patient_id == patient_id, Observation.code == code,
                       Observation.entered_in_error.is_(False))
                .order_by(Observation.observed_on.desc()).limit(1)
            ).first()  # fmt: skip
        return (row.observed_on, row.value) if row else None


def number_or_none(text: str | None) -> Decimal | None:
    return catalog.numeric(text)
