"""What a patient's record says, as the pre-visit checklist and the network measures read it.

One :class:`PatientFacts` per patient serves both readers: the checklist asks what was recorded and when
(observations with their visits, medications, screenings and immunizations, completed visits, age), the
measures ask who was followed and seen in a month and what their latest reading was. :func:`fill` builds
the facts from plain rows (the database's, or the demo's records before they are written) and
:func:`load` reads them from the database in a fixed number of queries, whatever the number of patients.
Entries marked "entered in error" stay in the record (and its history) but count for nothing.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from lhn_desktop.models.patients import ClinicalEvent, Medication, Observation, Patient, Visit


@dataclass
class MedicationFact:
    drug: str
    drug_class: str
    dose: str | None
    start: date
    stop: date | None

    def taken_on(self, day: date) -> bool:
        """Taken that day: started on or before it and not stopped by it (a stop date is the first day off)."""
        return self.start <= day and (self.stop is None or self.stop > day)


@dataclass
class PatientFacts:
    id: str
    birth_date: date
    diagnosis: str | None = None
    diagnosis_date: date | None = None
    disease_classification: str | None = None
    #: the first day the patient is no longer followed here (transferred, adult care, ...); None while active
    inactive_from: date | None = None
    #: observation code -> [(date, value, visit id or None)], ascending by date
    observations: dict[str, list[tuple[date, str, str | None]]] = field(default_factory=dict)
    #: ascending by start date
    medications: list[MedicationFact] = field(default_factory=list)
    #: screenings, immunizations and procedures as (code, date, result), ascending by date
    events: list[tuple[str, date, str | None]] = field(default_factory=list)
    #: completed visits as (date, visit id), ascending by date
    visits: list[tuple[date, str]] = field(default_factory=list)
    #: "female" or "male" (the growth charts'), None when not known
    sex: str | None = None


def inactive_from(status: str | None, status_date: date | None) -> date | None:
    """The first day a patient no longer counts (None while active); a status with no date counts from always."""
    if status in (None, "active"):
        return None
    return status_date or date.min


def fill(
    patients: Iterable[PatientFacts],
    *,
    visits: Iterable[tuple[str, str, date]] = (),
    observations: Iterable[tuple[str, str | None, str, str, date]] = (),
    medications: Iterable[tuple[str, str, str, str | None, date, date | None]] = (),
    events: Iterable[tuple[str, str, date, str | None]] = (),
) -> dict[str, PatientFacts]:
    """The patients by id, with these rows added and sorted; rows of other patients are left out.

    Rows: completed visits (visit id, patient id, date); observations (patient id, visit id, code, value, date);
    medications (patient id, drug, drug class, dose, start, stop); events (patient id, code, date, result).
    """
    facts = {p.id: p for p in patients}
    for vid, pid, on in visits:
        if pid in facts:
            facts[pid].visits.append((on, vid))
    for pid, visit_id, code, value, on in observations:
        if pid in facts:
            facts[pid].observations.setdefault(code, []).append((on, value, visit_id))
    for pid, drug, drug_class, dose, start, stop in medications:
        if pid in facts:
            facts[pid].medications.append(MedicationFact(drug, drug_class, dose, start, stop))
    for pid, code, on, result in events:
        if pid in facts:
            facts[pid].events.append((code, on, result))
    for p in facts.values():
        p.visits.sort()
        for entries in p.observations.values():
            entries.sort(key=lambda e: e[0])
        p.medications.sort(key=lambda m: m.start)
        p.events.sort(key=lambda e: e[1])
    return facts


def load(
    session: Session | Connection,
    patient_ids: Collection[str] | None = None,
    *,
    followed_only: bool = True,
    observation_codes: Collection[str] | None = None,
) -> dict[str, PatientFacts]:
    """The facts of these patients (None: every patient, or with ``followed_only`` every one still followed
    here), in five queries. ``observation_codes`` limits the observations read to those codes. Given the session's
    connection rather than the session, the rows come without the ORM's handling of them (quicker, the same rows)."""

    def only(column, query):
        return query.where(column.in_(patient_ids)) if patient_ids is not None else query

    people = select(
        Patient.id, Patient.birth_date, Patient.diagnosis, Patient.diagnosis_date, Patient.disease_classification,
        Patient.status, Patient.status_date, Patient.sex,
    )  # fmt: skip
    if patient_ids is None and followed_only:
        people = people.where(Patient.active.is_(True))
    patients = [
        PatientFacts(pid, born, dx, diagnosed, cls, inactive_from(status, status_date), sex=sex)
        for pid, born, dx, diagnosed, cls, status, status_date, sex in session.execute(only(Patient.id, people))
    ]
    observations = select(
        Observation.patient_id, Observation.visit_id, Observation.code, Observation.value, Observation.observed_on
    ).where(Observation.entered_in_error.is_(False))
    if observation_codes is not None:
        observations = observations.where(Observation.code.in_(observation_codes))
    medications = select(
        Medication.patient_id, Medication.drug, Medication.drug_class, Medication.dose, Medication.start_date,
        Medication.stop_date,
    ).where(Medication.entered_in_error.is_(False))  # fmt: skip
    events = select(ClinicalEvent.patient_id, ClinicalEvent.code, ClinicalEvent.event_date, ClinicalEvent.result).where(
        ClinicalEvent.entered_in_error.is_(False)
    )
    visits = select(Visit.id, Visit.patient_id, Visit.visit_date).where(Visit.status == "completed")
    return fill(
        patients,
        visits=session.execute(only(Visit.patient_id, visits)),
        observations=session.execute(only(Observation.patient_id, observations)),
        medications=session.execute(only(Medication.patient_id, medications)),
        events=session.execute(only(ClinicalEvent.patient_id, events)),
    )
