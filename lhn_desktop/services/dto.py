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
    clinic_phone: str | None = None  # printed on the visit summary
    encrypted: bool = False  # the database is encrypted at rest (SQLCipher)
    key_kept_in: str | None = None  # where this workstation keeps an encrypted database's key, in words
    recovery_key: str | None = None  # only when the database was just made: shown once, kept nowhere
    named_in_network: bool = False  # the other centers see this center's name in comparisons, not "Center 17"


@dataclass(frozen=True, slots=True)
class MemberInfo:
    id: str
    display_name: str
    role: str
    role_label: str
    active: bool
    profile: str | None
    sees_patient_data: bool
    has_secret: bool = False  # a sign-in PIN or passphrase is set


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
    status: str = "active"


@dataclass(frozen=True, slots=True)
class ObservationRow:
    observed_on: date
    code: str
    label: str
    value: str
    unit: str | None
    id: str = ""
    #: "entered" at a visit, "outside" (a total from elsewhere), "demo", ...
    source: str = "entered"
    #: the value and unit as typed when the program converted them ("1.2 mg/dL")
    original: str | None = None
    #: for an index, its items in words; for a total from elsewhere, where it came from
    detail: str | None = None
    entered_in_error: bool = False
    #: it has a history of corrections
    corrected: bool = False
    in_conflict: bool = False
    #: for an index computed from its items: item key -> level number
    levels: dict[str, int] | None = None


@dataclass(frozen=True, slots=True)
class MedicationRow:
    drug: str
    drug_class: str
    dose: str | None
    start_date: date
    stop_date: date | None
    id: str = ""
    stop_reason: str | None = None
    entered_in_error: bool = False
    corrected: bool = False


@dataclass(frozen=True, slots=True)
class EventRow:
    event_date: date
    kind: str
    code: str
    result: str | None
    id: str = ""
    entered_in_error: bool = False
    corrected: bool = False


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
class GrowthRow:
    """Weight and height on one date with BMI and CDC z-scores and percentiles (computed, never stored)."""

    observed_on: date
    weight: str | None
    height: str | None
    bmi: str | None
    #: measure ("weight", "height", "bmi") -> (z-score text, percentile text)
    scores: dict[str, tuple[str, str]]


@dataclass(frozen=True, slots=True)
class PatientDetail:
    summary: PatientSummary
    diagnosis_date: date | None
    disease_classification: str | None
    age_years: int
    visits: tuple[VisitRow, ...]
    #: every observation, those entered in error included (marked)
    observations: tuple[ObservationRow, ...]
    #: The observations that count, one row per date, newest first.
    results: tuple[ResultsRow, ...]
    medications: tuple[MedicationRow, ...]
    events: tuple[EventRow, ...]
    status: str = "active"
    status_date: date | None = None
    preferred_language: str | None = None
    phone: str | None = None
    growth: tuple[GrowthRow, ...] = ()
