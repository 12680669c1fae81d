"""CSV reports from the EHR: which column holds what, remembered per source, and rows made into records.

A report that is not FHIR (patients, appointments, results or medications) is mapped once: each field
this program needs is given the report's column that holds it. The mapping is guessed from common
column names, can be changed, and is saved under the source's name ("Epic clinic list") in the
workstation's settings folder, so the next report from that source needs nothing. The rows then become
the same records a FHIR import makes and go through the same matching and writing
(:mod:`lhn_desktop.services.ehr`): patients by MRN, a visit by patient and day, a result by patient,
test and day, a medicine by patient, drug and start date. Importing the same report again changes
nothing.

A cell that cannot be read (a date that is not a date, a missing MRN) is a problem at its file and
line, named by the field and never by its content.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path

from lhn_desktop.clinical import observations as catalog
from lhn_desktop.clinical.codes import SYSTEMS, CodeMap
from lhn_desktop.ehr import fhir_map
from lhn_desktop.ehr.csv_files import Table
from lhn_desktop.errors import LhnError, ValidationError
from lhn_desktop.services.schedule import column_key, date_order_of, parse_date, parse_time
from lhn_desktop.services.words import ehr as ehr_words

MAPPINGS_FILE = "csv_mappings.json"
#: file names read as CSV reports (anything else is read as FHIR)
CSV_SUFFIXES = (".csv", ".tsv", ".txt")


def is_csv_report(path: Path) -> bool:
    return path.suffix.lower() in CSV_SUFFIXES


@dataclass(frozen=True)
class CsvField:
    name: str
    label: str
    required: bool
    aliases: tuple[str, ...]


def _f(name: str, label: str, required: bool, *aliases: str) -> CsvField:
    return CsvField(name, label, required, (name.replace("_", " "), label.lower(), *aliases))


MRN = _f("mrn", "MRN", True, "medical record number", "patient mrn", "patient id", "record number", "mrn number")
KINDS: dict[str, tuple[CsvField, ...]] = {
    "patients": (
        MRN,
        _f("given_name", "Given name", True, "first name", "given", "firstname", "patient first name"),
        _f("family_name", "Family name", True, "last name", "surname", "family", "lastname", "patient last name"),
        _f("birth_date", "Birth date", True, "date of birth", "dob", "birthdate", "birth"),
        _f("sex", "Sex", True, "gender", "legal sex", "sex at birth"),
        _f("diagnosis", "Diagnosis", False, "primary diagnosis", "dx", "condition"),
        _f("diagnosis_date", "Diagnosis date", False, "date of diagnosis", "dx date", "onset date"),
        _f("phone", "Phone", False, "phone number", "home phone", "mobile", "telephone"),
        _f("email", "E-mail", False, "email address", "e mail"),
        _f("preferred_language", "Preferred language", False, "language"),
    ),
    "appointments": (
        MRN,
        _f("date", "Date", True, "visit date", "appointment date", "appt date", "clinic date"),
        _f("time", "Time", False, "visit time", "appointment time", "appt time", "start time"),
        _f("clinician", "Clinician", False, "provider", "physician", "doctor", "attending"),
        _f("visit_type", "Visit type", False, "type", "appointment type", "appt type", "visit"),
        _f("status", "Status", False, "appointment status", "appt status", "visit status"),
    ),
    "results": (
        MRN,
        _f("date", "Date", True, "result date", "collection date", "collected", "specimen date", "date collected"),
        _f("test", "Test", True, "test name", "component", "lab", "loinc", "result name", "analyte"),
        _f("value", "Value", True, "result", "result value", "value numeric"),
        _f("unit", "Unit", False, "units", "result unit", "uom"),
    ),
    "medications": (
        MRN,
        _f("drug", "Medicine", True, "medication", "drug name", "medication name", "rxnorm", "rxcui"),
        _f("start", "Start date", True, "start", "start date", "ordered", "order date", "begin date"),
        _f("stop", "Stop date", False, "end date", "stop", "discontinued", "end"),
        _f("dose", "Dose", False, "sig", "dosage", "instructions"),
        _f("stop_reason", "Reason stopped", False, "discontinue reason", "stop reason", "reason"),
    ),
}
KIND_NAMES = {"patients": "Patients", "appointments": "Appointments (the clinic schedule)", "results": "Results",
              "medications": "Medicines"}  # fmt: skip
DATE_ORDERS = ("month/day/year", "day/month/year")
APPOINTMENT_STATUSES = {
    "scheduled": "scheduled", "booked": "scheduled", "confirmed": "scheduled", "pending": "scheduled",
    "arrived": "scheduled", "checked in": "scheduled", "in room": "scheduled",
    "completed": "completed", "seen": "completed", "checked out": "completed", "fulfilled": "completed",
    "closed": "completed", "cancelled": "cancelled", "canceled": "cancelled", "no show": "no_show",
    "noshow": "no_show", "did not attend": "no_show", "dna": "no_show", "left without being seen": "no_show",
}  # fmt: skip
SEXES = {"f": "female", "female": "female", "girl": "female", "m": "male", "male": "male", "boy": "male",
         "o": "other", "other": "other", "x": "other", "u": "other", "unknown": "other"}  # fmt: skip


@dataclass
class CsvMapping:
    """Which column of a source's report holds each field (by its header text), and how its dates are written."""

    source: str
    kind: str
    columns: dict[str, str] = field(default_factory=dict)
    #: for dates written with slashes: "month/day/year" or "day/month/year"; None works it out from the file
    date_order: str | None = None

    def check(self, header: tuple[str, ...]) -> None:
        """Refuse a mapping that names a column the report does not have, or leaves a required field out."""
        if self.kind not in KINDS:
            raise ValidationError(f"The kind of report is one of: {', '.join(KINDS)}.", field="kind")
        known = {f.name: f for f in KINDS[self.kind]}
        for name, column in self.columns.items():
            if name not in known:
                raise ValidationError(f"{KIND_NAMES[self.kind]} have no field {name!r}; fields: "
                                      f"{', '.join(known)}.", field="map")  # fmt: skip
            if column not in header:
                raise ValidationError(f"The report has no column {column!r} (for {known[name].label}); its columns: "
                                      f"{', '.join(header)}.", field="map")  # fmt: skip
        missing = [f.label for f in KINDS[self.kind] if f.required and not self.columns.get(f.name)]
        if missing:
            raise ValidationError(f"Say which column holds: {', '.join(missing)}.", field="map")
        if self.date_order is not None and self.date_order not in DATE_ORDERS:
            raise ValidationError("The date order is month/day/year or day/month/year.", field="date_order")


def guess_columns(kind: str, header: tuple[str, ...]) -> dict[str, str]:
    """Each field's column from common header names ("DOB", "Appt Date", "Provider"), where one matches."""
    found: dict[str, str] = {}
    taken: set[str] = set()
    for f in KINDS[kind]:
        for column in header:
            if column not in taken and column_key(column) in {column_key(a) for a in f.aliases}:
                found[f.name] = column
                taken.add(column)
                break
    return found


# -- the saved mappings -------------------------------------------------------------------------------------


def load_mappings(path: Path) -> dict[str, CsvMapping]:
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return {name: CsvMapping(**value) for name, value in raw.items()}
    except (OSError, ValueError, TypeError) as exc:
        raise LhnError(f"The saved column mappings in {path} cannot be read; move the file away to start "
                       "again.", detail=type(exc).__name__) from None  # fmt: skip


def save_mapping(path: Path, mapping: CsvMapping) -> None:
    mappings = load_mappings(path)
    mappings[mapping.source] = mapping
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_suffix(".json.part")
    part.write_text(json.dumps({k: asdict(v) for k, v in sorted(mappings.items())}, indent=2), encoding="utf-8")
    part.replace(path)


# -- rows into records ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RowPlace:
    """Where a CSV row is, shaped like a FHIR resource's place (the importer reads both the same way)."""

    resource: dict
    file: str
    line: int

    @property
    def where(self) -> str:
        return ehr_words.place(self.file, self.line)


@cache
def _test_names() -> dict[str, str]:
    """Each catalog code by its code, label and short name, lower case."""
    specs = catalog.load_catalog()
    return {**{c.lower(): c for c in specs}, **{s.label.lower(): c for c, s in specs.items()},
            **{s.short.lower(): c for c, s in specs.items() if s.short}}  # fmt: skip


@cache
def _drug_names() -> dict[str, str]:
    from lhn_desktop.services.checklist import load_packs

    return {d.name.lower(): d.name for pack in load_packs() for d in pack.drugs}


@cache
def _diagnosis_names() -> dict[str, str]:
    from lhn_desktop.services.registry import diagnoses

    return {d.lower(): d for d in diagnoses()}


def _test_code(text: str, codes: CodeMap) -> str | None:
    """A result's test as this program's code: its own code, the catalog's name, or a LOINC code in the map."""
    value = text.strip()
    if not value:
        return None
    return _test_names().get(value.lower()) or codes.meaning(SYSTEMS["loinc"], value, "observation")


def _drug(text: str, codes: CodeMap) -> str | None:
    value = " ".join(text.split())
    return _drug_names().get(value.lower()) or codes.meaning(SYSTEMS["rxnorm"], value, "medication")


def _diagnosis(text: str, codes: CodeMap) -> str | None:
    value = text.strip()
    return (_diagnosis_names().get(value.lower()) or codes.meaning(SYSTEMS["icd10cm"], value, "diagnosis")
            or codes.meaning(SYSTEMS["snomed"], value, "diagnosis"))  # fmt: skip


def table_records(table: Table, mapping: CsvMapping, codes: CodeMap, report) -> list[tuple[RowPlace, object]]:
    """The rows as importer records; cells that cannot be read go into ``report.problems``, rows left out into
    ``report.skip``."""
    mapping.check(table.header)
    index = {name: table.header.index(column) for name, column in mapping.columns.items() if column}
    fields = {f.name: f for f in KINDS[mapping.kind]}
    date_fields = [n for n in index if n in ("birth_date", "diagnosis_date", "date", "start", "stop")]
    try:
        order = mapping.date_order or date_order_of([row[index[n]] for _, row in table.rows for n in date_fields
                                                   if index[n] < len(row)])  # fmt: skip
    except ValidationError:
        raise ValidationError(f"{table.name}: the dates mix month/day and day/month; say which order the report "
                              "uses.", field="date_order") from None  # fmt: skip
    rtype = {"patients": "Patient", "appointments": "Appointment", "results": "Observation",
             "medications": "MedicationStatement"}[mapping.kind]  # fmt: skip
    out: list[tuple[RowPlace, object]] = []
    for line, cells in table.rows:
        place = RowPlace({"resourceType": rtype}, table.name, line)
        row = _Row(cells, index, fields, order)
        try:
            missing = [f.label for f in KINDS[mapping.kind] if f.required and f.name in index and not row.cell(f.name)]
            if missing:
                raise _CellProblem(f"no {', '.join(missing)}")
            record = _record(mapping.kind, row.cell("mrn"), row, codes)
        except _CellProblem as problem:
            report.problems.append((place.where, str(problem)))
            continue
        if isinstance(record, fhir_map.Skip):
            report.skip(_KIND_OF[mapping.kind], record.reason, place.where)
            continue
        out.extend((place, r) for r in record)
    return out


@dataclass(frozen=True)
class _Row:
    cells: tuple[str, ...]
    index: dict[str, int]
    fields: dict[str, CsvField]
    order: str

    def cell(self, name: str) -> str:
        i = self.index.get(name)
        return self.cells[i].strip() if i is not None and i < len(self.cells) else ""

    def day(self, name: str):
        text = self.cell(name)
        if not text:
            return None
        try:
            return parse_date(text, self.order)
        except ValidationError:
            label = self.fields[name].label
            raise _CellProblem(f"{label}: not a date (YYYY-MM-DD, {self.order} or DD.MM.YYYY)") from None

    def time(self, name: str) -> str | None:
        try:
            return parse_time(self.cell(name))
        except ValidationError:
            raise _CellProblem(f"{self.fields[name].label}: not a time of day (08:30 or 8:30 AM)") from None


_KIND_OF = {"patients": "patients", "appointments": "visits", "results": "observations", "medications": "medications"}


class _CellProblem(Exception):
    pass


def _record(kind: str, mrn: str, row: _Row, codes: CodeMap):
    ref = f"mrn:{mrn}"
    if kind == "patients":
        sex = SEXES.get(row.cell("sex").lower())
        if sex is None:
            raise _CellProblem("Sex: not female, male or other (F, M, O and their words are read)")
        birth = row.day("birth_date")
        patient = fhir_map.InPatient(ref, mrn, row.cell("given_name"), row.cell("family_name"), birth, sex,
                                     row.cell("phone") or None, row.cell("email") or None,
                                     row.cell("preferred_language") or None)  # fmt: skip
        dx_text = row.cell("diagnosis")
        if not dx_text:
            return [patient]
        diagnosis = _diagnosis(dx_text, codes)
        if diagnosis is None:
            return fhir_map.Skip(
                "a diagnosis that is neither a disease pack's nor an ICD-10-CM or SNOMED CT code in the map"
            )
        return [patient, fhir_map.InCondition(ref, ref, diagnosis, row.day("diagnosis_date"))]
    if kind == "appointments":
        status_text = column_key(row.cell("status")) if row.cell("status") else "scheduled"
        status = APPOINTMENT_STATUSES.get(status_text)
        if status is None:
            return fhir_map.Skip("an appointment status the import does not know")
        when = row.time("time")
        on = row.day("date")
        return [fhir_map.InVisit(f"csv/{mrn}/{on}", ref, on, when, status, row.cell("visit_type") or None,
                                 row.cell("clinician") or None, schedule_row=True)]  # fmt: skip
    if kind == "results":
        code = _test_code(row.cell("test"), codes)
        if code is None:
            return fhir_map.Skip("a test this program does not record (not its code or name, nor a LOINC code in the "
                                 "map)")  # fmt: skip
        on = row.day("date")
        value, unit = row.cell("value"), row.cell("unit") or None
        return [fhir_map.InObservation(f"csv/{mrn}/{code}/{on}", ref, None, code, value, unit, on, False)]
    drug = _drug(row.cell("drug"), codes)
    if drug is None:
        return fhir_map.Skip("a medicine that is on no disease pack's list (nor an RxNorm code in the map)")
    start = row.day("start")
    return [fhir_map.InMedication(f"csv/{mrn}/{drug}/{start}", ref, None, drug, None, row.cell("dose") or None, start,
                                  row.day("stop"), row.cell("stop_reason") or None, None, False)]  # fmt: skip
