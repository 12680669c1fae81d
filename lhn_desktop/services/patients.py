"""Patients: the searchable list and the patient page. Every call checks the actor's role."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.errors import NotFound
from lhn_desktop.models.patients import Patient, Visit
from lhn_desktop.services.dto import (
    EventRow,
    MedicationRow,
    ObservationRow,
    PatientDetail,
    PatientSummary,
    ResultsRow,
    VisitRow,
)
from lhn_desktop.store.database import Database

#: Codes shown as columns of the results grid, in this order, with their column titles.
RESULT_COLUMNS = (
    ("PGA", "PGA"),
    ("PCDAI", "PCDAI"),
    ("PUCAI", "PUCAI"),
    ("CRP", "CRP mg/L"),
    ("ESR", "ESR mm/h"),
    ("ALB", "Albumin g/L"),
    ("HGB", "Hb g/L"),
    ("WEIGHT", "Weight kg"),
    ("HEIGHT", "Height cm"),
    ("TPMT", "TPMT"),
)

OBSERVATION_LABELS = {
    "PGA": "Physician global assessment",
    "PCDAI": "PCDAI",
    "PUCAI": "PUCAI",
    "WEIGHT": "Weight",
    "HEIGHT": "Height",
    "BMI": "BMI",
    "CRP": "CRP",
    "ESR": "ESR",
    "ALB": "Albumin",
    "HGB": "Hemoglobin",
    "TPMT": "TPMT activity",
}


def results_by_date(observations: tuple[ObservationRow, ...] | list[ObservationRow]) -> tuple[ResultsRow, ...]:
    """Pivot observations into one row per date (newest first); a later entry of a code on a date wins."""
    by_date: dict[date, dict[str, str]] = {}
    for o in sorted(observations, key=lambda o: o.observed_on):
        by_date.setdefault(o.observed_on, {})[o.code] = o.value
    return tuple(ResultsRow(d, values) for d, values in sorted(by_date.items(), reverse=True))


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
            observations = tuple(
                ObservationRow(o.observed_on, o.code, OBSERVATION_LABELS.get(o.code, o.code), o.value, o.unit)
                for o in sorted(p.observations, key=lambda o: (o.observed_on, o.code), reverse=True)
            )
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
                    MedicationRow(m.drug, m.drug_class, m.dose, m.start_date, m.stop_date)
                    for m in sorted(p.medications, key=lambda m: m.start_date, reverse=True)
                ),
                events=tuple(
                    EventRow(e.event_date, e.kind, e.code, e.result)
                    for e in sorted(p.events, key=lambda e: e.event_date, reverse=True)
                ),
            )


def _summary(p: Patient, last: date | None, nxt: date | None) -> PatientSummary:
    return PatientSummary(p.id, p.mrn, f"{p.family_name}, {p.given_name}", p.birth_date, p.sex, p.diagnosis, last, nxt)
