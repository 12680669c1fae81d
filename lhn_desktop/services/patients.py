"""Patients: the searchable list and the patient page. Every call checks the actor's role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.errors import NotFound
from lhn_desktop.models.patients import Correction, Patient, Visit
from lhn_desktop.services.dto import (
    EventRow,
    GrowthRow,
    MedicationRow,
    ObservationRow,
    PatientDetail,
    PatientSummary,
    ResultsRow,
    VisitRow,
)
from lhn_desktop.store.database import Database

if TYPE_CHECKING:
    from lhn_desktop.charts.activity_chart import ActivitySpec

#: Codes shown as columns of the results grid, in this order, with their column titles.
RESULT_COLUMNS = (
    ("PGA", "PGA"),
    ("WPCDAI", "wPCDAI"),
    ("PCDAI", "PCDAI"),
    ("PUCAI", "PUCAI"),
    ("CRP", "CRP mg/L"),
    ("ESR", "ESR mm/h"),
    ("ALB", "Albumin g/L"),
    ("HGB", "Hb g/L"),
    ("FCP", "Calprotectin µg/g"),
    ("WEIGHT", "Weight kg"),
    ("HEIGHT", "Height cm"),
    ("TPMT", "TPMT"),
    ("FEV1", "FEV1 %"),
)


def observation_label(code: str) -> str:
    from lhn_desktop.clinical.observations import label

    return label(code)


def results_by_date(observations: tuple[ObservationRow, ...] | list[ObservationRow]) -> tuple[ResultsRow, ...]:
    """Pivot observations into one row per date (newest first); a later entry of a code on a date wins.

    Entries marked "entered in error" are left out.
    """
    by_date: dict[date, dict[str, str]] = {}
    for o in sorted(observations, key=lambda o: o.observed_on):
        if not o.entered_in_error:
            by_date.setdefault(o.observed_on, {})[o.code] = o.value
    return tuple(ResultsRow(d, values) for d, values in sorted(by_date.items(), reverse=True))


def growth_rows(sex: str, birth: date, observations) -> tuple[GrowthRow, ...]:
    """Weight and height by date with BMI and CDC z-scores (ages 2-20), newest first; in-error entries left out."""
    from lhn_desktop.clinical import growth
    from lhn_desktop.clinical.observations import numeric

    by_date: dict[date, dict[str, str]] = {}
    for o in sorted(observations, key=lambda o: o.observed_on):
        if o.code in ("WEIGHT", "HEIGHT") and not o.entered_in_error:
            by_date.setdefault(o.observed_on, {})[o.code] = o.value
    rows = []
    for on, values in sorted(by_date.items(), reverse=True):
        kg, cm = numeric(values.get("WEIGHT")), numeric(values.get("HEIGHT"))
        kg_f = float(kg) if kg is not None and kg > 0 else None
        cm_f = float(cm) if cm is not None and cm > 0 else None
        bmi = f"{growth.bmi(kg_f, cm_f):.1f}" if kg_f and cm_f else None
        scores = growth.growth_scores(sex, birth, on, kg_f, cm_f) if sex in ("female", "male") else {}
        rows.append(GrowthRow(on, values.get("WEIGHT"), values.get("HEIGHT"), bmi,
                              {m: (g.z_text, g.percentile_text) for m, g in scores.items()}))  # fmt: skip
    return tuple(rows)


def _original(o) -> str | None:
    """The value as typed before conversion, shown only while it still converts to the value shown (a correction
    merged from another workstation may have replaced the value but not the original)."""
    from lhn_desktop.clinical.observations import read_value
    from lhn_desktop.errors import ValidationError

    if not o.original_value:
        return None
    try:
        again = read_value(o.code, o.original_value, o.original_unit)
    except ValidationError:
        return None
    return f"{o.original_value} {o.original_unit}" if (again.value, again.unit) == (o.value, o.unit) else None


def _levels(o) -> dict[str, int] | None:
    """The item levels an index was computed from (None for other observations or a total from elsewhere)."""
    from lhn_desktop.clinical.indices import parse_score_text

    if o.source == "outside" or not o.detail or not o.detail.startswith("{"):
        return None
    try:
        return parse_score_text(o.detail)
    except ValueError:
        return None


def _detail_text(o) -> str | None:
    from lhn_desktop.services.corrections import _detail_text as text

    return text(o) if o.detail else None


def activity_chart(detail: PatientDetail, today: date) -> ActivitySpec:
    """The patient's disease activity over time with their medicines beneath, as a picture to show."""
    from lhn_desktop.charts.activity_chart import ActivitySpec

    return ActivitySpec(
        tuple((o.observed_on, o.code, o.value) for o in detail.observations),
        tuple((m.drug, m.start_date, m.stop_date) for m in detail.medications),
        today,
    )


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


class PatientService:
    def __init__(self, db: Database, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    def search(self, actor: Actor, text: str = "", *, limit: int = 500) -> list[PatientSummary]:
        """Patients whose name or MRN contains ``text`` (all words), by family name."""
        require_patient_access(actor)
        today = self.today()
        last_visit = (
            select(Visit.patient_id, func.max(Visit.visit_date).label("d"))
            .where(Visit.status == "completed")
            .group_by(Visit.patient_id)
            .subquery()
        )
        next_visit = (
            select(Visit.patient_id, func.min(Visit.visit_date).label("d"))
            .where(Visit.status == "scheduled", Visit.visit_date >= today)
            .group_by(Visit.patient_id)
            .subquery()
        )
        q = (
            select(Patient, last_visit.c.d, next_visit.c.d)
            .outerjoin(last_visit, last_visit.c.patient_id == Patient.id)
            .outerjoin(next_visit, next_visit.c.patient_id == Patient.id)
            .order_by(Patient.family_name, Patient.given_name, Patient.mrn)
            .limit(limit)
        )
        for word in text.split():
            like = f"%{word}%"
            q = q.where(or_(Patient.given_name.ilike(like), Patient.family_name.ilike(like), Patient.mrn.ilike(like)))
        with self.db.read() as s:
            return [_summary(p, last, nxt) for p, last, nxt in s.execute(q)]

    def count(self, actor: Actor) -> int:
        require_patient_access(actor)
        with self.db.read() as s:
            return s.scalar(select(func.count()).select_from(Patient)) or 0

    def get(self, actor: Actor, patient_id: str) -> PatientDetail:
        require_patient_access(actor)
        with self.db.read() as s:
            p = s.get(
                Patient,
                patient_id,
                options=[
                    selectinload(Patient.visits),
                    selectinload(Patient.observations),
                    selectinload(Patient.medications),
                    selectinload(Patient.events),
                ],
            )
            if p is None:
                raise NotFound("That patient is not in this center's database (it may have been removed).")
            today = self.today()
            visits = sorted(p.visits, key=lambda v: (v.visit_date, v.visit_time or ""), reverse=True)
            done = [v.visit_date for v in visits if v.status == "completed"]
            upcoming = [v.visit_date for v in visits if v.status == "scheduled" and v.visit_date >= today]
            corrected = set(s.scalars(select(Correction.record_id).where(Correction.patient_id == p.id)))
            observations = tuple(
                ObservationRow(
                    o.observed_on, o.code, observation_label(o.code), o.value, o.unit, o.id, o.source,
                    _original(o), _detail_text(o),
                    o.entered_in_error, o.id in corrected, o.has_conflict, _levels(o),
                )
                for o in sorted(p.observations, key=lambda o: (o.observed_on, o.code), reverse=True)
            )  # fmt: skip
            return PatientDetail(
                summary=_summary(p, max(done, default=None), min(upcoming, default=None)),
                diagnosis_date=p.diagnosis_date,
                disease_classification=p.disease_classification,
                age_years=age_on(p.birth_date, today),
                visits=tuple(
                    VisitRow(v.id, v.visit_date, v.visit_time, v.clinician, v.visit_type, v.status) for v in visits
                ),
                observations=observations,
                results=results_by_date(observations),
                medications=tuple(
                    MedicationRow(
                        m.drug,
                        m.drug_class,
                        m.dose,
                        m.start_date,
                        m.stop_date,
                        m.id,
                        m.stop_reason,
                        m.entered_in_error,
                        m.id in corrected,
                    )
                    for m in sorted(p.medications, key=lambda m: (m.start_date, m.drug), reverse=True)
                ),
                events=tuple(
                    EventRow(e.event_date, e.kind, e.code, e.result, e.id, e.entered_in_error, e.id in corrected)
                    for e in sorted(p.events, key=lambda e: e.event_date, reverse=True)
                ),
                status=p.status,
                status_date=p.status_date,
                preferred_language=p.preferred_language,
                phone=p.phone,
                growth=growth_rows(p.sex, p.birth_date, observations),
            )


def _summary(p: Patient, last: date | None, nxt: date | None) -> PatientSummary:
    return PatientSummary(p.id, p.mrn, f"{p.family_name}, {p.given_name}", p.birth_date, p.sex, p.diagnosis, last, nxt,
                          p.status)  # fmt: skip
