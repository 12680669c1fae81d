"""Plain, frozen values that services return. ORM objects never leave a service."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class CenterInfo:
    site_code: str
    site_name: str
    network: str | None
    node_id: str
    key_id: str
    fingerprint: str
    db_path: str


@dataclass(frozen=True, slots=True)
class MemberInfo:
    id: str
    display_name: str
    role: str
    role_label: str
    active: bool
    profile: str | None
    sees_patient_data: bool


@dataclass(frozen=True, slots=True)
class PatientSummary:
    id: str
    mrn: str
    name: str
    birth_date: date
    sex: str
    diagnosis: str | None
    last_visit: date | None
    next_visit: date | None


@dataclass(frozen=True, slots=True)
class ObservationRow:
    observed_on: date
    code: str
    label: str
    value: str
    unit: str | None


@dataclass(frozen=True, slots=True)
class MedicationRow:
    drug: str
    drug_class: str
    dose: str | None
    start_date: date
    stop_date: date | None


@dataclass(frozen=True, slots=True)
class EventRow:
    event_date: date
    kind: str
    code: str
    result: str | None


@dataclass(frozen=True, slots=True)
class VisitRow:
    id: str
    visit_date: date
    visit_time: str | None
    clinician: str | None
    visit_type: str
    status: str


@dataclass(frozen=True, slots=True)
class ResultsRow:
    """Everything observed on one date, by observation code (for a per-visit results grid)."""

    observed_on: date
    values: dict[str, str]


@dataclass(frozen=True, slots=True)
class PatientDetail:
    summary: PatientSummary
    diagnosis_date: date | None
    disease_classification: str | None
    age_years: int
    visits: tuple[VisitRow, ...]
    observations: tuple[ObservationRow, ...]
    #: The same observations, one row per date, newest first.
    results: tuple[ResultsRow, ...]
    medications: tuple[MedicationRow, ...]
    events: tuple[EventRow, ...]
