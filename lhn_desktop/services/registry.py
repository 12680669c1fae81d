"""The patient registry: registering a patient, editing their record, and their status over time.

The center's own patients come in here (the demo builds its patients with the same functions, so the
two cannot drift). A patient is identified by the MRN as the hospital writes it, unique in the center;
a second patient with the same name and birth date is allowed after a warning (twins share a birth
date, and some families share names). The Paris classification is recorded as structured choices; its
text ("A1b L3 L4a B2p G0") is written from them, with the age group worked out from the birth and
diagnosis dates. A patient who is no longer followed keeps their record: their status (transferred,
moved to adult care, deceased, inactive) and its date take them out of the lists and of the measures'
denominators from that date.

Everything here is patient-level: partners are refused by every call. Messages never repeat a
value that was typed (it may be patient data); ``ValidationError.field`` names the input at fault.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from typing import Literal, overload

from sqlalchemy import func, select

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.errors import NeedsConfirmation, NotFound, ValidationError
from lhn_desktop.models.patients import Correction, Patient
from lhn_desktop.services.words import record as words
from lhn_desktop.store.database import Database

SEXES = {"female": "Female", "male": "Male", "other": "Other"}
STATUSES = {
    "active": "Active",
    "transferred": "Transferred to another center",
    "adult_care": "Moved to adult care",
    "deceased": "Deceased",
    "inactive": "Inactive (no longer followed here)",
}
CROHN = "Crohn disease"
UC_LIKE = ("Ulcerative colitis", "IBD unclassified")

# Paris classification (Levine A, et al. Inflamm Bowel Dis 2011;17:1314-21).
PARIS_LOCATION = {
    "L1": "L1: distal 1/3 ileum ± limited cecal disease",
    "L2": "L2: colonic",
    "L3": "L3: ileocolonic",
}
PARIS_UPPER_GI = {
    "": "No upper disease",
    "L4a": "L4a: upper disease proximal to the ligament of Treitz",
    "L4b": "L4b: upper disease distal to the ligament of Treitz and proximal to the distal 1/3 ileum",
    "L4a L4b": "L4a and L4b",
}
PARIS_BEHAVIOUR = {
    "B1": "B1: nonstricturing nonpenetrating",
    "B2": "B2: stricturing",
    "B3": "B3: penetrating",
    "B2B3": "B2B3: both stricturing and penetrating",
}
PARIS_GROWTH = {"G0": "G0: no evidence of growth delay", "G1": "G1: growth delay"}
UC_EXTENT = {
    "E1": "E1: ulcerative proctitis",
    "E2": "E2: left-sided (distal to the splenic flexure)",
    "E3": "E3: extensive (hepatic flexure distally)",
    "E4": "E4: pancolitis (proximal to the hepatic flexure)",
}
UC_SEVERITY = {"S0": "S0: never severe", "S1": "S1: ever severe (PUCAI 65 or more)"}

FIELD_LABELS = {
    "mrn": "MRN", "given_name": "given name", "family_name": "family name", "birth_date": "birth date",
    "sex": "sex", "diagnosis": "diagnosis", "diagnosis_date": "diagnosis date",
    "paris_location": "Paris location", "paris_upper_gi": "upper GI disease", "paris_behaviour": "behaviour",
    "paris_perianal": "perianal disease", "paris_growth": "growth", "uc_extent": "extent", "uc_severity": "severity",
    "phone": "phone", "email": "e-mail", "preferred_language": "preferred language", "status": "status",
    "status_date": "status date",
}  # fmt: skip

_MRN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-/._]{0,39}$")
_PHONE = re.compile(r"^[0-9+()\-. /]{3,30}(?:\s*(?:x|ext\.?)\s*\d{1,6})?$", re.IGNORECASE)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True, slots=True)
class PatientInput:
    """What the registration form and ``patient add|edit`` give. Optional fields may be None."""

    mrn: str
    given_name: str
    family_name: str
    birth_date: date
    sex: str
    diagnosis: str | None = None
    diagnosis_date: date | None = None
    paris_location: str | None = None
    paris_upper_gi: str | None = None
    paris_behaviour: str | None = None
    paris_perianal: bool | None = None
    paris_growth: str | None = None
    uc_extent: str | None = None
    uc_severity: str | None = None
    phone: str | None = None
    email: str | None = None
    preferred_language: str | None = None
    status: str = "active"
    status_date: date | None = None


INPUT_FIELDS = tuple(f.name for f in fields(PatientInput))


@dataclass(frozen=True, slots=True)
class SimilarPatient:
    id: str
    mrn: str
    name: str
    birth_date: date


@dataclass(frozen=True, slots=True)
class RegistryCheck:
    """A form checked before saving: the cleaned input, and what deserves a second look (shown to the user)."""

    clean: PatientInput
    warnings: tuple[str, ...]
    similar: tuple[SimilarPatient, ...]


@dataclass(frozen=True, slots=True)
class Saved:
    patient_id: str
    #: the fields that changed, as the history names them
    changed: tuple[str, ...] = ()


def diagnoses() -> tuple[str, ...]:
    """The diagnoses the disease packs know, in pack order."""
    from lhn_desktop.services.checklist import load_packs

    return tuple(d for pack in load_packs() for d in pack.diagnoses)


def paris_age(birth: date, diagnosed: date | None) -> str | None:
    """A1a (under 10), A1b (10 to under 17), A2 (17 to 40) or A3 (over 40) at diagnosis."""
    if diagnosed is None:
        return None
    years = diagnosed.year - birth.year - ((diagnosed.month, diagnosed.day) < (birth.month, birth.day))
    return "A1a" if years < 10 else "A1b" if years < 17 else "A2" if years <= 40 else "A3"


def classification_text(p: PatientInput) -> str | None:
    """The classification as text once it is complete ("A1b L3 L4a B2p G0", "E4 S1"), else None."""
    if p.diagnosis == CROHN:
        if not (p.paris_location and p.paris_behaviour and p.paris_growth):
            return None
        parts = [paris_age(p.birth_date, p.diagnosis_date), p.paris_location, p.paris_upper_gi]
        parts.append(p.paris_behaviour + ("p" if p.paris_perianal else ""))
        parts.append(p.paris_growth)
        return " ".join(x for x in parts if x)
    if p.diagnosis in UC_LIKE:
        return f"{p.uc_extent} {p.uc_severity}" if p.uc_extent and p.uc_severity else None
    return None


@overload
def _text(value: str | None, limit: int, what: str, name: str, *, required: Literal[True]) -> str: ...
@overload
def _text(value: str | None, limit: int, what: str, name: str, *, required: bool = False) -> str | None: ...
def _text(value: str | None, limit: int, what: str, name: str, *, required: bool = False) -> str | None:
    cleaned = " ".join((value or "").split()) or None
    if cleaned is None and required:
        raise ValidationError(f"Enter the patient's {what}.", field=name)
    if cleaned is not None and len(cleaned) > limit:
        raise ValidationError(f"The {what} is longer than {limit} characters; shorten it.", field=name)
    return cleaned


def _choice(value: str | None, choices: dict[str, str], what: str, name: str) -> str | None:
    if value in (None, ""):
        return None
    match = next((k for k in choices if k.lower() == str(value).strip().lower()), None)
    if match is None:
        raise ValidationError(f"The {what} is one of: {', '.join(k for k in choices if k)}.", field=name)
    return match or None


def clean_patient(data: PatientInput, today: date) -> PatientInput:
    """The input checked and put in the stored form; ValidationError names the first field at fault."""
    mrn = (data.mrn or "").strip()
    if not mrn:
        raise ValidationError("Enter the MRN, as the hospital writes it.", field="mrn")
    if not _MRN.match(mrn):
        raise ValidationError(
            "An MRN has 1 to 40 letters or digits (it may also have - / . or _, but no spaces); type it as the "
            "hospital writes it, leading zeros included.",
            field="mrn",
        )
    given = _text(data.given_name, 100, "given name", "given_name", required=True)
    family = _text(data.family_name, 100, "family name", "family_name", required=True)
    if data.birth_date is None:
        raise ValidationError("Enter the birth date.", field="birth_date")
    if data.birth_date > today:
        raise ValidationError("The birth date cannot be in the future.", field="birth_date")
    if data.birth_date.year < today.year - 120:
        raise ValidationError("The birth date is more than 120 years ago; check the year.", field="birth_date")
    sex = _choice(data.sex, SEXES, "sex", "sex")
    if sex is None:
        raise ValidationError("Choose the patient's sex: female, male or other.", field="sex")
    diagnosis = None
    if data.diagnosis not in (None, ""):
        known = diagnoses()
        diagnosis = next((d for d in known if d.lower() == data.diagnosis.strip().lower()), None)
        if diagnosis is None:
            raise ValidationError(f"The diagnosis is one of: {', '.join(known)}.", field="diagnosis")
    if data.diagnosis_date is not None:
        if diagnosis is None:
            raise ValidationError("Give the diagnosis with its date.", field="diagnosis")
        if data.diagnosis_date < data.birth_date:
            raise ValidationError("The diagnosis date is before the birth date; check both.", field="diagnosis_date")
        if data.diagnosis_date > today:
            raise ValidationError("The diagnosis date cannot be in the future.", field="diagnosis_date")
    crohn = diagnosis == CROHN
    uc = diagnosis in UC_LIKE
    paris = {
        "paris_location": _choice(data.paris_location, PARIS_LOCATION, "Paris location", "paris_location"),
        "paris_upper_gi": _choice(data.paris_upper_gi, PARIS_UPPER_GI, "upper GI disease", "paris_upper_gi"),
        "paris_behaviour": _choice(data.paris_behaviour, PARIS_BEHAVIOUR, "behaviour", "paris_behaviour"),
        "paris_growth": _choice(data.paris_growth, PARIS_GROWTH, "growth", "paris_growth"),
    }
    ucx = {
        "uc_extent": _choice(data.uc_extent, UC_EXTENT, "extent", "uc_extent"),
        "uc_severity": _choice(data.uc_severity, UC_SEVERITY, "severity", "uc_severity"),
    }
    for name, value in paris.items():
        if value and not crohn:
            raise ValidationError(f"The {FIELD_LABELS[name]} is part of the Crohn disease classification; clear it "
                                  "for this diagnosis.", field=name)  # fmt: skip
    if data.paris_perianal and not crohn:
        raise ValidationError("Perianal disease is part of the Crohn disease classification.", field="paris_perianal")
    for name, value in ucx.items():
        if value and not uc:
            raise ValidationError(f"The {FIELD_LABELS[name]} is part of the ulcerative colitis classification; "
                                  "clear it for this diagnosis.", field=name)  # fmt: skip
    phone = _text(data.phone, 40, "phone number", "phone")
    if phone and not _PHONE.match(phone):
        raise ValidationError("A phone number has digits, spaces, + ( ) - and an optional extension.", field="phone")
    email = _text(data.email, 120, "e-mail address", "email")
    if email and not _EMAIL.match(email):
        raise ValidationError("An e-mail address looks like name@example.org.", field="email")
    language = _text(data.preferred_language, 40, "preferred language", "preferred_language")
    if (data.status or "active") not in STATUSES:
        named = {k: v.split(" (")[0].lower() for k, v in STATUSES.items()}
        choices = ", ".join(f"{k} ({name})" if name != k else k for k, name in named.items())
        raise ValidationError(f"The status is one of: {choices}.", field="status")
    status = data.status or "active"
    status_date = data.status_date
    if status != "active" and status_date is None:
        raise ValidationError("Give the date the status took effect.", field="status_date")
    if status_date is not None:
        if status_date > today:
            raise ValidationError("The status date cannot be in the future; change the status on the day.",
                                  field="status_date")  # fmt: skip
        if status_date < data.birth_date:
            raise ValidationError("The status date is before the birth date.", field="status_date")
    return PatientInput(
        mrn=mrn, given_name=given, family_name=family, birth_date=data.birth_date, sex=sex, diagnosis=diagnosis,
        diagnosis_date=data.diagnosis_date, **paris, paris_perianal=bool(data.paris_perianal) if crohn else None,
        **ucx, phone=phone, email=email, preferred_language=language, status=status, status_date=status_date,
    )  # fmt: skip


def apply_patient(patient: Patient, clean: PatientInput) -> None:
    """Write a cleaned input onto a patient record (new or existing), the classification text included."""
    for name in INPUT_FIELDS:
        setattr(patient, name, getattr(clean, name))
    patient.disease_classification = classification_text(clean)
    patient.active = clean.status == "active"


def new_patient(clean: PatientInput, *, id: str | None = None) -> Patient:
    """A new patient record from a cleaned input (the demo passes its own deterministic ids)."""
    patient = Patient(id=id) if id is not None else Patient()
    apply_patient(patient, clean)
    return patient


def input_of(p: Patient) -> PatientInput:
    """A patient record as the registration form shows it."""
    return PatientInput(**{name: getattr(p, name) for name in INPUT_FIELDS})


def shown(value: object) -> str | None:
    """A field value as the history shows it."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class RegistryService:
    def __init__(self, db: Database, *, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    def check(self, actor: Actor, data: PatientInput, patient_id: str | None = None) -> RegistryCheck:
        """Check a registration or an edit without saving: refused input raises, doubtful input is listed."""
        require_patient_access(actor)
        clean = clean_patient(data, self.today())
        with self.db.read() as s:
            return self._check(s, clean, patient_id)

    def _check(self, s, clean: PatientInput, patient_id: str | None) -> RegistryCheck:
        same_mrn = s.scalar(select(Patient.id).where(Patient.mrn == clean.mrn, Patient.id != (patient_id or "")))
        if same_mrn is not None:
            raise ValidationError(
                "Another patient already has this MRN. Check the number, or open that patient from the Patients page.",
                field="mrn",
            )
        others = s.scalars(
            select(Patient).where(
                func.lower(Patient.given_name) == clean.given_name.lower(),
                func.lower(Patient.family_name) == clean.family_name.lower(),
                Patient.birth_date == clean.birth_date,
                Patient.id != (patient_id or ""),
            )
        ).all()
        similar = tuple(
            SimilarPatient(p.id, p.mrn, words.patient_name(p.family_name, p.given_name), p.birth_date)
            for p in sorted(others, key=lambda p: p.mrn)
        )
        warnings = tuple(words.same_name_and_birth(p.name, p.mrn, p.birth_date) for p in similar)
        return RegistryCheck(clean, warnings, similar)

    def add(self, actor: Actor, data: PatientInput, *, accept_warnings: bool = False) -> Saved:
        """Register a patient. A same-name, same-birth-date patient needs ``accept_warnings`` (after showing it)."""
        require_patient_access(actor)
        clean = clean_patient(data, self.today())
        with self.db.write(actor) as s:
            check = self._check(s, clean, None)
            if check.warnings and not accept_warnings:
                raise NeedsConfirmation(
                    "A patient with the same name and birth date is already registered. Look at them first; "
                    "save again to register this patient as well.",
                    field="family_name",
                )
            patient = new_patient(clean)
            s.add(patient)
            s.flush()
            return Saved(patient.id)

    def edit(
        self,
        actor: Actor,
        patient_id: str,
        data: PatientInput,
        *,
        reason: str | None = None,
        accept_warnings: bool = False,
    ) -> Saved:
        """Change a patient's record; each changed field goes into the history with who, when and why."""
        require_patient_access(actor)
        clean = clean_patient(data, self.today())
        why = " ".join((reason or "").split()) or "Edited in the patient registry"
        if len(why) > 500:
            raise ValidationError("Keep the reason under 500 characters.", field="reason")
        with self.db.write(actor) as s:
            patient = s.get(Patient, patient_id)
            if patient is None:
                raise NotFound("That patient is not in this center's database (it may have been removed).")
            check = self._check(s, clean, patient_id)
            if check.warnings and not accept_warnings:
                raise NeedsConfirmation(
                    "Another patient has the same name and birth date. Look at them first; save again to keep "
                    "this change.",
                    field="family_name",
                )
            before = input_of(patient)
            changed = [name for name in INPUT_FIELDS if getattr(before, name) != getattr(clean, name)]
            if not changed:
                return Saved(patient_id)
            apply_patient(patient, clean)
            at = datetime.now().replace(microsecond=0)
            for name in changed:
                s.add(Correction(patient_id=patient_id, entity="patient", record_id=patient_id, field=name,
                                 action="edited", old_value=shown(getattr(before, name)),
                                 new_value=shown(getattr(clean, name)), reason=why, corrected_at=at,
                                 corrected_by=actor.name, corrected_by_member_id=actor.member_id))  # fmt: skip
            return Saved(patient_id, tuple(FIELD_LABELS[n] for n in changed))

    def form(self, actor: Actor, patient_id: str) -> PatientInput:
        """The patient's record as the edit form shows it."""
        require_patient_access(actor)
        with self.db.read() as s:
            patient = s.get(Patient, patient_id)
            if patient is None:
                raise NotFound("That patient is not in this center's database (it may have been removed).")
            return input_of(patient)

    def find_mrn(self, actor: Actor, mrn: str) -> str:
        """The id of the patient with this MRN (as the hospital writes it)."""
        require_patient_access(actor)
        with self.db.read() as s:
            found = s.scalar(select(Patient.id).where(Patient.mrn == (mrn or "").strip()))
        if found is None:
            raise NotFound(
                "No patient in this center has that MRN. Check the number, or register the patient.",
            )
        return found


def with_changes(data: PatientInput, **changes) -> PatientInput:
    """A copy of an input with some fields changed (the command line's ``patient edit``)."""
    return replace(data, **changes)
