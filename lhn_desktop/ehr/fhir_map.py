"""FHIR R4 resources to and from what this program records (pure functions; the services do the storing).

Out: :func:`patient`, :func:`condition`, :func:`encounter`, :func:`appointment`, :func:`observation`,
:func:`medication_statement`, :func:`immunization` and :func:`procedure` build resources from plain
values. Every code carries this program's own coding (``urn:lhn-desktop:code/<kind>``) beside the
standard one the code map gives, and what FHIR has no element for (the Paris classification, a value
as the laboratory reported it, an index's items, a patient's status with its date) goes in
extensions under :data:`EXT`, so that an export read back gives the same record.

In: :func:`parse` reads one resource (already validated against the FHIR R4B model by
:func:`validate`) into an ``In*`` record, or a :class:`Skip` that says why it is left out. Codes are
matched on system and code through the code map, never on display text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from lhn_desktop.clinical.codes import LHN_SYSTEM, SYSTEMS, CodeMap

EXT = "urn:lhn-desktop:extension:"
MR_SYSTEM = "http://terminology.hl7.org/CodeSystem/v2-0203"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
CLINICAL_STATUS = "http://terminology.hl7.org/CodeSystem/condition-clinical"
#: the resource types read; anything else valid FHIR is counted as not imported
IMPORTED = ("Patient", "Condition", "Encounter", "Appointment", "Observation", "MedicationStatement",
            "MedicationRequest", "Medication", "Immunization", "Procedure")  # fmt: skip
PARIS_FIELDS = ("paris_location", "paris_upper_gi", "paris_behaviour", "paris_perianal", "paris_growth", "uc_extent",
                "uc_severity")  # fmt: skip
PATIENT_STATUSES = ("active", "transferred", "adult_care", "deceased", "inactive")
APPOINTMENT_STATUS = {"booked": "scheduled", "pending": "scheduled", "arrived": "scheduled", "checked-in": "scheduled",
                      "fulfilled": "completed", "noshow": "no_show", "cancelled": "cancelled"}  # fmt: skip
VISIT_TO_APPOINTMENT = {"scheduled": "booked", "no_show": "noshow", "cancelled": "cancelled"}


# -- out ------------------------------------------------------------------------------------------------------


def _coding(codes: CodeMap, kind: str, means: str, text: str | None = None) -> dict[str, Any]:
    codings = []
    standard = codes.standard(kind, means)  # type: ignore[arg-type]
    if standard is not None:
        codings.append({"system": SYSTEMS[standard.system], "code": standard.code, "display": standard.display})
    codings.append({"system": f"{LHN_SYSTEM}/{kind}", "code": means})
    return {"coding": codings, "text": text or means}


def _ext(name: str, **value: Any) -> dict[str, Any] | None:
    ((key, v),) = value.items()
    return None if v is None else {"url": EXT + name, key: v}


def _exts(*items: dict[str, Any] | None) -> list[dict[str, Any]] | None:
    kept = [i for i in items if i is not None]
    return kept or None


def local_instant(day: date, hhmm: str | None) -> str:
    """A clinic day and time as a FHIR instant in this computer's time zone (the day alone without a time)."""
    if not hhmm:
        return day.isoformat()
    moment = datetime.combine(day, time.fromisoformat(hhmm)).astimezone()
    return moment.isoformat(timespec="seconds")


def patient(p: Any) -> dict[str, Any]:
    telecom = [t for t in ({"system": "phone", "value": p.phone} if p.phone else None,
                           {"system": "email", "value": p.email} if p.email else None) if t]  # fmt: skip
    return {
        "resourceType": "Patient",
        "id": p.id,
        "identifier": [{"type": {"coding": [{"system": MR_SYSTEM, "code": "MR"}]}, "value": p.mrn}],
        "active": p.status == "active",
        "name": [{"family": p.family_name, "given": [p.given_name]}],
        "gender": p.sex if p.sex in ("female", "male", "other") else "unknown",
        "birthDate": p.birth_date.isoformat(),
        "telecom": telecom or None,
        "deceasedDateTime": p.status_date.isoformat() if p.status == "deceased" and p.status_date else None,
        "deceasedBoolean": True if p.status == "deceased" and not p.status_date else None,
        "communication": [{"language": {"text": p.preferred_language}}] if p.preferred_language else None,
        "extension": _exts(_ext("status", valueCode=p.status),
                           _ext("status-date", valueDate=p.status_date.isoformat() if p.status_date else None)),
    }  # fmt: skip


def condition(p: Any, codes: CodeMap) -> dict[str, Any]:
    paris = []
    for name in PARIS_FIELDS:
        value = getattr(p, name)
        if value is None or value == "":
            continue
        key = "valueBoolean" if isinstance(value, bool) else "valueString"
        paris.append({"url": EXT + name.replace("_", "-"), key: value})
    return {
        "resourceType": "Condition",
        "id": f"{p.id}-dx",
        "clinicalStatus": {"coding": [{"system": CLINICAL_STATUS, "code": "active"}]},
        "code": _coding(codes, "diagnosis", p.diagnosis),
        "subject": {"reference": f"Patient/{p.id}"},
        "onsetDateTime": p.diagnosis_date.isoformat() if p.diagnosis_date else None,
        "stage": [{"summary": {"text": p.disease_classification}}] if p.disease_classification else None,
        "extension": paris or None,
    }


def encounter(v: Any) -> dict[str, Any]:
    return {
        "resourceType": "Encounter",
        "id": v.id,
        "status": "finished",
        "class": {"system": ACT_CODE, "code": "AMB", "display": "ambulatory"},
        "type": [{"text": v.visit_type}] if v.visit_type else None,
        "subject": {"reference": f"Patient/{v.patient_id}"},
        "participant": [{"individual": {"display": v.clinician}}] if v.clinician else None,
        "period": {"start": local_instant(v.visit_date, v.visit_time)},
    }


def appointment(v: Any) -> dict[str, Any]:
    actors = [{"actor": {"reference": f"Patient/{v.patient_id}"}, "status": "accepted"}]
    if v.clinician:
        actors.append({"actor": {"display": v.clinician}, "status": "accepted"})
    start = local_instant(v.visit_date, v.visit_time or "00:00")
    return {
        "resourceType": "Appointment",
        "id": v.id,
        "status": VISIT_TO_APPOINTMENT[v.status],
        "appointmentType": {"text": v.visit_type} if v.visit_type else None,
        "start": start,
        "participant": actors,
        "extension": _exts(_ext("no-time", valueBoolean=True if not v.visit_time else None)),
    }


def _quantity(value: str, unit: str | None, codes: CodeMap) -> dict[str, Any] | None:
    text = value.strip()
    comparator = next((c for c in ("<=", ">=", "<", ">") if text.startswith(c)), None)
    number_text = text[len(comparator) :] if comparator else text
    try:
        number = Decimal(number_text)
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    quantity: dict[str, Any] = {"value": number, "comparator": comparator}
    if unit:
        quantity.update(unit=unit, system=SYSTEMS["ucum"], code=codes.ucum(unit))
    return quantity


def observation(o: Any, encounter_id: str | None, label: str, codes: CodeMap) -> dict[str, Any]:
    quantity = _quantity(o.value, o.unit, codes)
    return {
        "resourceType": "Observation",
        "id": o.id,
        "status": "entered-in-error" if o.entered_in_error else "final",
        "code": _coding(codes, "observation", o.code, label),
        "subject": {"reference": f"Patient/{o.patient_id}"},
        "encounter": {"reference": f"Encounter/{encounter_id}"} if encounter_id else None,
        "effectiveDateTime": o.observed_on.isoformat(),
        "valueQuantity": quantity,
        "valueString": None if quantity else o.value,
        "extension": _exts(_ext("original-value", valueString=o.original_value),
                           _ext("original-unit", valueString=o.original_unit),
                           _ext("index-items", valueString=o.detail)),
    }  # fmt: skip


def medication_statement(m: Any, encounter_id: str | None, codes: CodeMap) -> dict[str, Any]:
    status = "entered-in-error" if m.entered_in_error else "completed" if m.stop_date else "active"
    return {
        "resourceType": "MedicationStatement",
        "id": m.id,
        "status": status,
        "statusReason": [{"text": m.stop_reason}] if m.stop_reason else None,
        "medicationCodeableConcept": _coding(codes, "medication", m.drug),
        "subject": {"reference": f"Patient/{m.patient_id}"},
        "context": {"reference": f"Encounter/{encounter_id}"} if encounter_id else None,
        "partOf": [{"reference": f"MedicationStatement/{m.changed_from_id}"}] if m.changed_from_id else None,
        "effectivePeriod": {"start": m.start_date.isoformat(), "end": m.stop_date.isoformat() if m.stop_date else None},
        "dosage": [{"text": m.dose}] if m.dose else None,
        "extension": _exts(_ext("drug-class", valueString=m.drug_class)),
    }


def immunization(e: Any, encounter_id: str | None, codes: CodeMap) -> dict[str, Any]:
    return {
        "resourceType": "Immunization",
        "id": e.id,
        "status": "entered-in-error" if e.entered_in_error else "completed",
        "vaccineCode": _coding(codes, "event", e.code),
        "patient": {"reference": f"Patient/{e.patient_id}"},
        "encounter": {"reference": f"Encounter/{encounter_id}"} if encounter_id else None,
        "occurrenceDateTime": e.event_date.isoformat(),
        "note": [{"text": e.result}] if e.result else None,
    }


def procedure(e: Any, encounter_id: str | None, codes: CodeMap) -> dict[str, Any]:
    return {
        "resourceType": "Procedure",
        "id": e.id,
        "status": "entered-in-error" if e.entered_in_error else "completed",
        "code": _coding(codes, "event", e.code),
        "subject": {"reference": f"Patient/{e.patient_id}"},
        "encounter": {"reference": f"Encounter/{encounter_id}"} if encounter_id else None,
        "performedDateTime": e.event_date.isoformat(),
        "outcome": {"text": e.result} if e.result else None,
    }


# -- in -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Skip:
    """A resource left out, and why (a short reason that is counted; never a value from the resource)."""

    reason: str


@dataclass(frozen=True, slots=True)
class InPatient:
    source_id: str
    mrn: str
    given_name: str
    family_name: str
    birth_date: date
    sex: str
    phone: str | None = None
    email: str | None = None
    preferred_language: str | None = None
    status: str = "active"
    status_date: date | None = None


@dataclass(frozen=True, slots=True)
class InCondition:
    source_id: str
    patient_ref: str
    diagnosis: str
    onset: date | None
    paris: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class InVisit:
    source_id: str
    patient_ref: str
    day: date
    time: str | None
    status: str  # completed, scheduled, no_show, cancelled
    visit_type: str | None
    clinician: str | None
    #: a row of a clinic-schedule report, which has one row per patient and day: whatever its status (a
    #: cancellation too) it is the visit already recorded that day. A FHIR Appointment is its own resource:
    #: a cancelled one never stands for the visit booked in its place.
    schedule_row: bool = False


@dataclass(frozen=True, slots=True)
class InObservation:
    source_id: str
    patient_ref: str
    visit_ref: str | None
    code: str
    value: str
    unit: str | None
    day: date
    in_error: bool
    original_value: str | None = None
    original_unit: str | None = None
    detail: str | None = None


@dataclass(frozen=True, slots=True)
class InMedication:
    source_id: str
    patient_ref: str
    visit_ref: str | None
    drug: str
    drug_class: str | None
    dose: str | None
    start: date
    stop: date | None
    stop_reason: str | None
    changed_from_ref: str | None
    in_error: bool


@dataclass(frozen=True, slots=True)
class InEvent:
    source_id: str
    patient_ref: str
    visit_ref: str | None
    kind: str  # immunization or screening
    code: str
    day: date
    result: str | None
    in_error: bool


Parsed = InPatient | InCondition | InVisit | InObservation | InMedication | InEvent | Skip


def unknown_type(resource: dict[str, Any]) -> str | None:
    """ "not a FHIR resource type" when FHIR R4 has no resource of that type, else None."""
    from fhir.resources.R4B import fhirtypes

    kind = resource.get("resourceType")
    if not isinstance(kind, str) or not kind.isalpha() or not hasattr(fhirtypes, kind + "Type"):
        return "not a FHIR resource type"
    return None


def validate(resource: dict[str, Any]) -> str | None:
    """None when the resource is valid FHIR R4 (the R4B models), else what is wrong, without its values."""
    from fhir.resources.R4B import get_fhir_model_class
    from pydantic import ValidationError as PydanticError

    unknown = unknown_type(resource)
    if unknown is not None:
        return unknown
    kind = resource["resourceType"]
    if kind not in IMPORTED:
        return None  # a FHIR type this program does not read: counted as not imported, not checked
    model = get_fhir_model_class(kind)
    try:
        model.model_validate(resource)
    except PydanticError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "the resource"
        message = first["msg"].split(". [")[0]
        return f"not valid FHIR: {where}: {message}"
    except (TypeError, ValueError, RecursionError):
        return "not valid FHIR"
    return None


def reference_id(value: Any, kind: str) -> str | None:
    """The id in a reference to a resource of ``kind`` ("Patient/p1" -> "p1"), or None."""
    return _ref(value, kind)


def _ref(value: Any, kind: str) -> str | None:
    ref = value.get("reference") if isinstance(value, dict) else None
    if not isinstance(ref, str) or "/" not in ref:
        return None
    prefix, _, rid = ref.rstrip("/").rpartition("/")
    return rid if prefix.rsplit("/", 1)[-1] == kind else None


def _day(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) < 10:
        return None
    if len(value) > 10:  # a dateTime with a time and zone: the day it is here
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone().date()
        except ValueError:
            return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _clock(value: Any) -> str | None:
    if not isinstance(value, str) or len(value) <= 10:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone().strftime("%H:%M")
    except ValueError:
        return None


def _extension(resource: dict[str, Any], name: str) -> Any:
    for e in resource.get("extension") or []:
        if isinstance(e, dict) and e.get("url") == EXT + name:
            return next((v for k, v in e.items() if k.startswith("value")), None)
    return None


def _meaning(concept: Any, kind: str, codes: CodeMap) -> tuple[str | None, str]:
    """What a CodeableConcept means here, or (None, the first coding's system|code for the unmapped count)."""
    codings = concept.get("coding") if isinstance(concept, dict) else None
    first = "no code"
    for c in codings or []:
        if not isinstance(c, dict):
            continue
        means = codes.meaning(c.get("system"), c.get("code"), kind)  # type: ignore[arg-type]
        if means is not None:
            return means, ""
        if first == "no code":
            first = f"{c.get('system') or 'no system'}|{c.get('code') or ''}"
    return None, first


def _text(value: Any) -> str | None:
    return " ".join(value.split()) or None if isinstance(value, str) else None


def parse(resource: dict[str, Any], codes: CodeMap, mrn_system: str | None = None) -> Parsed:
    kind = resource["resourceType"]
    handler = _PARSERS.get(kind)
    if handler is None:
        return Skip(f"{kind} resources are not imported")
    return handler(resource, codes, mrn_system)


def _patient(r: dict[str, Any], codes: CodeMap, mrn_system: str | None) -> Parsed:
    mrn = None
    for ident in r.get("identifier") or []:
        codings = ((ident.get("type") or {}).get("coding")) or []
        is_mr = any(c.get("system") == MR_SYSTEM and c.get("code") == "MR" for c in codings)
        if (mrn_system and ident.get("system") == mrn_system) or (not mrn_system and is_mr):
            mrn = _text(ident.get("value"))
            break
    if not mrn:
        return Skip("a patient without an MRN (no identifier of type MR)")
    birth = _day(r.get("birthDate"))
    if birth is None:
        return Skip("a patient without a full birth date")
    names = r.get("name") or []
    name = next((n for n in names if n.get("use") in ("official", "usual")), names[0] if names else {})
    given = " ".join(name.get("given") or []) or None
    family = _text(name.get("family"))
    if not given or not family:
        return Skip("a patient without a given and a family name")
    phone = next((t.get("value") for t in r.get("telecom") or [] if t.get("system") == "phone"), None)
    email = next((t.get("value") for t in r.get("telecom") or [] if t.get("system") == "email"), None)
    language = next(((c.get("language") or {}).get("text") for c in r.get("communication") or []), None)
    status = _extension(r, "status")
    status_date = _day(_extension(r, "status-date"))
    if status not in PATIENT_STATUSES:
        deceased = r.get("deceasedBoolean") or r.get("deceasedDateTime")
        status = "deceased" if deceased else "active" if r.get("active", True) else "inactive"
        status_date = _day(r.get("deceasedDateTime")) if status == "deceased" else None
    gender = r.get("gender")
    sex = gender if gender in ("female", "male", "other") else "other"
    return InPatient(r.get("id", ""), mrn, given, family, birth, sex, _text(phone), _text(email), _text(language),
                     status, status_date)  # fmt: skip


def _condition(r: dict[str, Any], codes: CodeMap, _mrn: str | None) -> Parsed:
    diagnosis, unmapped = _meaning(r.get("code"), "diagnosis", codes)
    if diagnosis is None:
        return Skip(f"a condition whose code is not in the map ({unmapped})")
    patient_ref = _ref(r.get("subject"), "Patient")
    if patient_ref is None:
        return Skip("a condition without its patient")
    paris = {}
    for name in PARIS_FIELDS:
        value = _extension(r, name.replace("_", "-"))
        if value is not None:
            paris[name] = value
    onset = _day(r.get("onsetDateTime")) or _day((r.get("onsetPeriod") or {}).get("start"))
    return InCondition(r.get("id", ""), patient_ref, diagnosis, onset, paris)


def _encounter(r: dict[str, Any], codes: CodeMap, _mrn: str | None) -> Parsed:
    if r.get("status") != "finished":
        return Skip(f"an encounter that is {r.get('status') or 'without a status'}, not finished")
    klass = r.get("class") or {}
    if klass.get("code") not in ("AMB", "VR", None):
        return Skip("an encounter that is not an outpatient visit")
    start = (r.get("period") or {}).get("start")
    day = _day(start)
    patient_ref = _ref(r.get("subject"), "Patient")
    if day is None or patient_ref is None:
        return Skip("an encounter without its patient or its date")
    visit_type = next((_text(t.get("text")) for t in r.get("type") or [] if t.get("text")), None)
    clinician = next((_text((p.get("individual") or {}).get("display")) for p in r.get("participant") or []
                      if (p.get("individual") or {}).get("display")), None)  # fmt: skip
    return InVisit(r.get("id", ""), patient_ref, day, _clock(start), "completed", visit_type, clinician)


def _appointment(r: dict[str, Any], codes: CodeMap, _mrn: str | None) -> Parsed:
    status = APPOINTMENT_STATUS.get(r.get("status") or "")
    if status is None:
        return Skip(f"an appointment that is {r.get('status') or 'without a status'}")
    patient_ref = next((ref for p in r.get("participant") or [] if (ref := _ref(p.get("actor"), "Patient"))), None)
    day = _day(r.get("start"))
    if patient_ref is None or day is None:
        return Skip("an appointment without its patient or its date")
    when = None if _extension(r, "no-time") else _clock(r.get("start"))
    clinician = next((_text((p.get("actor") or {}).get("display")) for p in r.get("participant") or []
                      if (p.get("actor") or {}).get("display")), None)  # fmt: skip
    visit_type = _text((r.get("appointmentType") or {}).get("text"))
    return InVisit(r.get("id", ""), patient_ref, day, when, status, visit_type, clinician)


def _observation(r: dict[str, Any], codes: CodeMap, _mrn: str | None) -> Parsed:
    status = r.get("status")
    if status not in ("final", "amended", "corrected", "entered-in-error", "preliminary"):
        return Skip(f"an observation that is {status or 'without a status'}")
    code, unmapped = _meaning(r.get("code"), "observation", codes)
    if code is None:
        return Skip(f"an observation whose code is not in the map ({unmapped})")
    patient_ref = _ref(r.get("subject"), "Patient")
    day = _day(r.get("effectiveDateTime")) or _day((r.get("effectivePeriod") or {}).get("start"))
    if patient_ref is None or day is None:
        return Skip("an observation without its patient or its date")
    unit = None
    if isinstance(r.get("valueQuantity"), dict):
        q = r["valueQuantity"]
        if not isinstance(q.get("value"), Decimal | int):
            return Skip("an observation whose quantity has no value")
        value = (q.get("comparator") or "") + format(Decimal(q["value"]), "f")
        ucum = q.get("code") if q.get("system") == SYSTEMS["ucum"] else None
        unit = codes.unit(ucum) if ucum else _text(q.get("unit"))
    elif isinstance(r.get("valueString"), str):
        value = r["valueString"]
    elif isinstance(r.get("valueInteger"), int):
        value = str(r["valueInteger"])
    elif isinstance(r.get("valueCodeableConcept"), dict):
        value = _text(r["valueCodeableConcept"].get("text")) or ""
    else:
        return Skip("an observation without a value")
    return InObservation(r.get("id", ""), patient_ref, _ref(r.get("encounter"), "Encounter"), code, value, unit, day,
                         status == "entered-in-error", _extension(r, "original-value"),
                         _extension(r, "original-unit"), _extension(r, "index-items"))  # fmt: skip


def _medication(r: dict[str, Any], codes: CodeMap, _mrn: str | None) -> Parsed:
    status = r.get("status")
    if status in ("draft", "unknown", "not-taken", "intended", "on-hold", None):
        return Skip(f"a medicine that is {status or 'without a status'}")
    drug, unmapped = _meaning(r.get("medicationCodeableConcept"), "medication", codes)
    if drug is None:
        return Skip(f"a medicine whose code is not in the map ({unmapped})")
    patient_ref = _ref(r.get("subject"), "Patient")
    if r["resourceType"] == "MedicationRequest":
        period = ((r.get("dispenseRequest") or {}).get("validityPeriod")) or {}
        start = _day(period.get("start")) or _day(r.get("authoredOn"))
        stop = _day(period.get("end")) if status in ("completed", "stopped") else None
        dose = next((_text(d.get("text")) for d in r.get("dosageInstruction") or [] if d.get("text")), None)
        visit_ref = _ref(r.get("encounter"), "Encounter")
    else:
        period = r.get("effectivePeriod") or {}
        start = _day(period.get("start")) or _day(r.get("effectiveDateTime"))
        stop = _day(period.get("end"))
        dose = next((_text(d.get("text")) for d in r.get("dosage") or [] if d.get("text")), None)
        visit_ref = _ref(r.get("context"), "Encounter")
    if patient_ref is None or start is None:
        return Skip("a medicine without its patient or its start date")
    reason = next((_text(s.get("text")) for s in r.get("statusReason") or [] if isinstance(s, dict)), None)
    if isinstance(r.get("statusReason"), dict):  # MedicationRequest.statusReason is one concept
        reason = _text(r["statusReason"].get("text"))
    changed_from = next((ref for p in r.get("partOf") or [] if (ref := _ref(p, r["resourceType"]))), None)
    return InMedication(r.get("id", ""), patient_ref, visit_ref, drug, _extension(r, "drug-class"), dose, start, stop,
                        reason, changed_from, status == "entered-in-error")  # fmt: skip


def _immunization(r: dict[str, Any], codes: CodeMap, _mrn: str | None) -> Parsed:
    status = r.get("status")
    if status == "not-done":
        return Skip("an immunization that was not done")
    name, unmapped = _meaning(r.get("vaccineCode"), "event", codes)
    if name is None:
        return Skip(f"an immunization whose vaccine code is not in the map ({unmapped})")
    patient_ref = _ref(r.get("patient"), "Patient")
    day = _day(r.get("occurrenceDateTime"))
    if patient_ref is None or day is None:
        return Skip("an immunization without its patient or its date")
    result = next((_text(n.get("text")) for n in r.get("note") or [] if n.get("text")), None)
    return InEvent(r.get("id", ""), patient_ref, _ref(r.get("encounter"), "Encounter"), "immunization", name, day,
                   result, status == "entered-in-error")  # fmt: skip


def _procedure(r: dict[str, Any], codes: CodeMap, _mrn: str | None) -> Parsed:
    status = r.get("status")
    if status not in ("completed", "entered-in-error"):
        return Skip(f"a procedure that is {status or 'without a status'}")
    name, unmapped = _meaning(r.get("code"), "event", codes)
    if name is None:
        return Skip(f"a procedure whose code is not in the map ({unmapped})")
    patient_ref = _ref(r.get("subject"), "Patient")
    day = _day(r.get("performedDateTime")) or _day((r.get("performedPeriod") or {}).get("start"))
    if patient_ref is None or day is None:
        return Skip("a procedure without its patient or its date")
    result = _text((r.get("outcome") or {}).get("text"))
    return InEvent(r.get("id", ""), patient_ref, _ref(r.get("encounter"), "Encounter"), "screening", name, day,
                   result, status == "entered-in-error")  # fmt: skip


_PARSERS = {
    "Patient": _patient,
    "Condition": _condition,
    "Encounter": _encounter,
    "Appointment": _appointment,
    "Observation": _observation,
    "MedicationStatement": _medication,
    "MedicationRequest": _medication,
    "Immunization": _immunization,
    "Procedure": _procedure,
}
