"""The EHR's data in and the center's data out as FHIR R4: patients, visits, results, medicines and events.

Export (:meth:`EhrService.export_fhir`) writes a Bulk Data-style folder (manifest and one NDJSON file per
resource type) of the center's own record, for a registry or another tool; it holds patient data, so it
is confirmed, audited and refused to partners like the center's CSV export.

Import (:meth:`EhrService.import_files`) reads FHIR files and folders (:mod:`lhn_desktop.ehr.fhir_files`),
validates each resource against the FHIR R4B models, maps codes through the code map and writes the
record in one transaction through the registry's and the visit form's own rules. Without ``apply`` it
is a preview: the same work is done and rolled back, so the preview is exactly what applying would do.

- Patients are matched by MRN, never by name. A resource's record keeps a name-based id made from its
  resource type and id, so importing the same export again finds every record and changes nothing, and
  a newer export updates what changed. Values already in the record (typed at a visit) are recognised
  and not added twice.
- A file or resource that cannot be read (invalid JSON on a line, a resource that is not valid FHIR, an
  unknown resource type, a patient without an MRN, one MRN with two birth dates) is a problem named
  by file and line: applying is refused and nothing is written. What is only left out (a code the map
  does not know, an encounter that is not finished) is counted by reason with where it was found.
- Messages and the report name files, lines and resource ids, never a value from a file.
"""

from __future__ import annotations

import logging
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import select

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.clinical import observations as catalog
from lhn_desktop.clinical.codes import CodeMap, load_code_map
from lhn_desktop.ehr import fhir_files, fhir_map
from lhn_desktop.ehr.background import BackgroundValidation
from lhn_desktop.ehr.csv_files import read_table
from lhn_desktop.errors import Cancelled, LhnError, NeedsConfirmation, NotFound, ValidationError
from lhn_desktop.models.patients import ClinicalEvent, Correction, Medication, Observation, Patient, Visit
from lhn_desktop.progress import CancelToken, ProgressSink, no_progress
from lhn_desktop.services import ehr_csv
from lhn_desktop.services.center_export import new_export_folder
from lhn_desktop.services.registry import (
    INPUT_FIELDS,
    PatientInput,
    apply_patient,
    clean_patient,
    input_of,
    new_patient,
)
from lhn_desktop.services.visits import drug_class_for
from lhn_desktop.services.words import ehr as words
from lhn_desktop.store.capture import record_audit
from lhn_desktop.store.database import Database

logger = logging.getLogger(__name__)

#: ids of imported records: uuid5(this namespace, "ResourceType/id")
IMPORT_NS = uuid.UUID("6f1c0d2e-5b1a-4c44-9d0e-2f3a7b8c9d10")
IMPORTED_SOURCE = "ehr"
KINDS = ("patients", "visits", "observations", "medications", "events")
CONFIRM = (
    "The FHIR export holds this center's patient data: names, MRNs, birth dates and every recorded value. "
    "Keep it on this computer or an encrypted drive, and delete it when it has served its purpose."
)
#: the reason a record whose patient is unknown is left out
#: how many places to name for each reason a resource was left out
EXAMPLES = 5
#: resources between two progress reports (and checks for Cancel)
STEP = 500
#: ids in one ``IN (...)`` list
IN_CHUNK = 500


@dataclass
class KindCounts:
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0


@dataclass
class ImportReport:
    """What an import did (or, previewed, would do)."""

    applied: bool
    resources: int = 0
    counts: dict[str, KindCounts] = field(default_factory=lambda: {k: KindCounts() for k in KINDS})
    #: (kind, reason) -> how many, and the first few places
    skipped: dict[tuple[str, str], tuple[int, list[str]]] = field(default_factory=dict)
    #: places and what is wrong; any problem means nothing is written
    problems: list[tuple[str, str]] = field(default_factory=list)
    #: resource types seen, with their counts
    types: Counter = field(default_factory=Counter)
    #: what ``resources`` counts: FHIR resources, or the rows of a CSV report
    what: str = "resources"
    #: (kind, where, what): records corrected by hand that the export says otherwise; the correction was kept
    clashes: list[tuple[str, str, str]] = field(default_factory=list)

    def skip(self, kind: str, reason: str, where: str) -> None:
        count, places = self.skipped.get((kind, reason), (0, []))
        if len(places) < EXAMPLES:
            places.append(where)
        self.skipped[kind, reason] = (count + 1, places)
        self.counts[kind].skipped += 1

    @property
    def changes(self) -> int:
        return sum(c.new + c.changed for c in self.counts.values())

    @property
    def advice(self) -> str | None:
        """What to do next when records were left out for want of their patient (a schedule before its patients)."""
        unknown = sum(n for (_kind, reason), (n, _places) in self.skipped.items() if reason == words.UNKNOWN_PATIENT)
        if not unknown:
            return None
        return words.import_patients_first(unknown)


@dataclass(frozen=True, slots=True)
class FhirExportResult:
    folder: Path
    counts: dict[str, int]


class _Revalidate(Exception):
    """Some resource failed validation in the second process (or it failed): import again, validating here."""


class _Preview(Exception):
    """Raised inside the write transaction to roll a preview back."""


def _chunks(values: list) -> Iterator[list]:
    """``values`` in slices small enough for one ``IN (...)`` list."""
    for i in range(0, len(values), IN_CHUNK):
        yield values[i : i + IN_CHUNK]


def record_id(resource_type: str, source_id: str) -> str:
    return str(uuid.uuid5(IMPORT_NS, f"{resource_type}/{source_id}"))


_KIND_OF = {"Patient": "patients", "Condition": "patients", "Encounter": "visits", "Appointment": "visits",
            "Observation": "observations", "MedicationStatement": "medications", "MedicationRequest": "medications",
            "Immunization": "events", "Procedure": "events"}  # fmt: skip


class EhrService:
    def __init__(
        self,
        db: Database,
        *,
        today: Callable[[], date] = date.today,
        now: Callable[[], datetime] = datetime.now,
        mappings_file: Path | None = None,
    ) -> None:
        self.db = db
        self.today = today
        self.now = now
        #: where the CSV column mappings are kept (the workstation's settings folder); None: not kept
        self.mappings_file = mappings_file

    # -- export ------------------------------------------------------------------------------------------------
    def export_fhir(self, actor: Actor, out_dir: Path, *, confirm_patient_data: bool = False) -> FhirExportResult:
        """The center's record as a Bulk Data-style FHIR folder, made new inside ``out_dir``."""
        require_patient_access(actor)
        if not confirm_patient_data:
            raise NeedsConfirmation(CONFIRM, field="confirm")
        base = Path(out_dir).expanduser()
        if not base.is_dir():
            raise NotFound(f"There is no folder {base}. Choose an existing folder for the FHIR export.")
        codes = load_code_map()
        site = self.db.local_node().site_code
        with self.db.read() as s:
            resources = _export_resources(s, codes)
        when = self.now().astimezone().replace(microsecond=0)
        folder: Path | None = None
        try:
            folder = new_export_folder(base, f"lhn-fhir-{site}-{when:%Y%m%d-%H%M%S}")
            fhir_files.write_export(folder, resources, when)
            counts = {kind: len(items) for kind, items in resources.items()}
            with self.db.write(actor) as s:
                record_audit(s, "export", "fhir", None, words.export_audit(counts, folder.name))
        except BaseException as exc:
            if folder is not None:
                shutil.rmtree(folder, ignore_errors=True)
            if isinstance(exc, OSError):
                raise LhnError(f"The FHIR export could not be written to {base} ({exc.strerror or 'refused'}); "
                               "nothing was left there. Check the folder and the free space, then export again.",
                               detail=f"{type(exc).__name__}") from exc  # fmt: skip
            raise
        logger.info("FHIR export written to %s", folder)
        return FhirExportResult(folder, counts)

    # -- import ------------------------------------------------------------------------------------------------
    def import_files(
        self,
        actor: Actor,
        paths: list[Path],
        *,
        apply: bool = False,
        code_map: Path | None = None,
        progress: ProgressSink = no_progress,
        cancel: CancelToken | None = None,
        mrn_system: str | None = None,
    ) -> ImportReport:
        """Preview (or with ``apply``, import) FHIR files and folders; see the module docstring.

        ``mrn_system``: the identifier system that holds the hospital's MRN, when its identifiers are not typed
        ``MR`` (the usual way).

        The report's ``applied`` says whether anything was written: never when nothing would change, nor when
        ``problems`` lists a file or resource that could not be read (each by file and line), so a person fixes
        those first.
        """
        require_patient_access(actor)
        cancel = cancel or CancelToken()
        codes = load_code_map(code_map)
        background = BackgroundValidation.start(paths)  # a large export: validated beside the import
        if background is not None:
            try:
                report = ImportReport(applied=False)
                parsed = _read_all(paths, codes, report, progress, cancel, mrn_system, validate=False)
                self._write(actor, parsed, report, codes, apply, progress, cancel, paths, background)
                return report
            except _Revalidate:
                pass  # some resource is not valid FHIR: the plain way below names each, as it always has
            except (Cancelled, LhnError):
                raise
            except Exception:
                if background.invalid(cancel) == 0:
                    raise  # not the doing of a resource that is not valid
                # read without validation, a resource that is not valid broke the mapping: the plain way names it
            finally:
                background.stop()
        report = ImportReport(applied=False)
        parsed = _read_all(paths, codes, report, progress, cancel, mrn_system)
        self._write(actor, parsed, report, codes, apply, progress, cancel, paths)
        return report

    # -- CSV reports ---------------------------------------------------------------------------------------------
    def read_csv(self, actor: Actor, path: Path, source: str | None = None, kind: str | None = None):
        """A report's table, and the mapping to start from: the one saved for ``source`` (with no source, a saved
        mapping whose columns the report has), else a guess for ``kind``."""
        require_patient_access(actor)
        table = read_table(Path(path))
        saved = self.saved_mappings().get(source) if source else self.find_mapping(table.header, kind)
        if saved is not None and (kind is None or saved.kind == kind):
            return table, saved
        if kind not in ehr_csv.KINDS:
            raise ValidationError(f"Say what the report holds: {', '.join(ehr_csv.KINDS)}.", field="kind")
        name = source or Path(table.name).stem
        return table, ehr_csv.CsvMapping(name, kind, ehr_csv.guess_columns(kind, table.header))

    def saved_mappings(self) -> dict:
        return ehr_csv.load_mappings(self.mappings_file) if self.mappings_file else {}

    def find_mapping(self, header: tuple[str, ...], kind: str | None = None):
        """The first saved mapping (of ``kind``, if given) whose columns are all in ``header``, or None."""
        columns = set(header)
        saved = self.saved_mappings().values()
        return next((m for m in saved if kind in (None, m.kind) and set(m.columns.values()) <= columns), None)

    def import_csv(
        self,
        actor: Actor,
        path: Path,
        mapping,
        *,
        apply: bool = False,
        progress: ProgressSink = no_progress,
        cancel: CancelToken | None = None,
    ) -> ImportReport:
        """Preview (or with ``apply``, import) a CSV report through its column mapping, saved under its source."""
        require_patient_access(actor)
        cancel = cancel or CancelToken()
        codes = load_code_map()
        table = read_table(Path(path))
        report = ImportReport(applied=False, what="rows")
        parsed = ehr_csv.table_records(table, mapping, codes, report)
        report.resources = len(table.rows)
        report.types[ehr_csv.KIND_NAMES[mapping.kind]] = len(table.rows)
        if self.mappings_file is not None:
            ehr_csv.save_mapping(self.mappings_file, mapping)
        self._write(actor, parsed, report, codes, apply, progress, cancel, [Path(path)])
        return report

    def _write(self, actor, parsed, report, codes, apply, progress, cancel, paths, background=None) -> None:
        try:
            with self.db.write(actor) as s:  # cancelled half-way: rolled back, nothing written
                _Importer(s, codes, report, self.today(), progress, cancel).run(parsed)
                if background is not None:
                    progress(report.resources, report.resources, "Checking the last resources against FHIR R4…")
                    if background.invalid(cancel) != 0:
                        raise _Revalidate
                if not apply or report.problems or not report.changes:
                    raise _Preview  # nothing written, nothing audited
                record_audit(s, "import", "ehr", None, _audit_text(report, paths))
                report.applied = True
        except _Preview:
            pass


def _audit_text(report: ImportReport, paths: list[Path]) -> str:
    return words.import_audit([p.name for p in paths], {k: (c.new, c.changed) for k, c in report.counts.items()})


def _read_all(
    paths: list[Path],
    codes: CodeMap,
    report: ImportReport,
    progress: ProgressSink,
    cancel: CancelToken,
    mrn_system: str | None = None,
    validate: bool = True,
) -> list[tuple[fhir_files.Located, object]]:
    """The resources as records; ``validate=False`` when a second process validates them."""
    parsed: list = []
    births: dict[str, tuple[date, str]] = {}
    medicines: dict[str, dict | None] = {}
    by_reference: list = []
    for n, item in enumerate(fhir_files.read_sources(paths)):
        if n % STEP == 0:
            cancel.raise_if_cancelled()
            progress(n, None, words.reading_export(n))
        if isinstance(item, fhir_files.FileProblem):
            report.problems.append((item.where, item.message))
            continue
        report.resources += 1
        kind = item.resource["resourceType"]
        report.types[kind] += 1
        problem = fhir_map.validate(item.resource) if validate else fhir_map.unknown_type(item.resource)
        if problem is not None:
            what = "an unknown resource type" if problem == "not a FHIR resource type" else problem
            report.problems.append((item.where, what))
            continue
        if kind == "Medication":  # what a medicine order names by reference: read with the orders below
            if isinstance(item.resource.get("id"), str):
                medicines[item.resource["id"]] = item.resource.get("code")
            continue
        if kind in ("MedicationRequest", "MedicationStatement") and "medicationReference" in item.resource:
            by_reference.append(item)
            continue
        _take(item, fhir_map.parse(item.resource, codes, mrn_system), report, parsed, births)
    for item in by_reference:
        ref = fhir_map.reference_id(item.resource["medicationReference"], "Medication")
        if ref is None or medicines.get(ref) is None:
            report.skip("medications", words.MEDICATION_NOT_IN_FILES, item.where)
            continue
        resource = {k: v for k, v in item.resource.items() if k != "medicationReference"}
        resource["medicationCodeableConcept"] = medicines[ref]
        _take(item, fhir_map.parse(resource, codes, mrn_system), report, parsed, births)
    return parsed


def _take(item, result, report: ImportReport, parsed: list, births: dict) -> None:
    """Keep a parsed resource, or count it as left out (a patient that cannot be matched is a problem)."""
    kind = item.resource["resourceType"]
    if isinstance(result, fhir_map.Skip):
        if kind == "Patient":  # a patient that cannot be matched: the rest of their record would be lost
            report.problems.append((item.where, result.reason))
        else:
            report.skip(_KIND_OF.get(kind, "patients"), result.reason, item.where)
        return
    if isinstance(result, fhir_map.InPatient):
        seen = births.setdefault(result.mrn, (result.birth_date, item.where))
        if seen[0] != result.birth_date:
            report.problems.append((item.where, words.same_mrn(seen[1])))
            return
    parsed.append((item, result))


class _Importer:
    """One import inside one write transaction."""

    def __init__(
        self, s, codes: CodeMap, report: ImportReport, today: date, progress: ProgressSink, cancel: CancelToken
    ) -> None:
        self.s, self.codes, self.report, self.today = s, codes, report, today
        self.progress, self.cancel = progress, cancel
        self.done = 0
        self.total = 0
        self.patients: dict[str, Patient] = {}  # source patient id -> record
        self.visits: dict[str, str] = {}  # "Encounter/id" or "Appointment/id" -> visit id
        self.medications: dict[str, str] = {}
        self.by_day: dict[tuple[str, date], Visit] = {}
        self.cancelled_by_day: dict[tuple[str, date], Visit] = {}
        self.added: set[str] = set()
        self.corrected: dict[str, tuple | None] = {}
        self.loaded: dict[str, Visit | Observation | Medication | ClinicalEvent] = {}  # by id, for this import
        self.known_values: set[tuple] = set()
        self.known_events: set[tuple] = set()

    def run(self, parsed: list) -> None:
        with self.s.no_autoflush:  # rows are written once per stage, not once per lookup
            self._run(parsed)

    def _fresh(self, kind: str, rid: str, located) -> bool:
        """False (and counted as left out) when the same resource came earlier in this import."""
        if rid in self.added:
            self.report.skip(kind, words.DUPLICATE_RESOURCE, located.where)
            return False
        self.added.add(rid)
        return True

    def _patients_by_mrn(self, parsed: list) -> None:
        """Patients a CSV report names by MRN (``mrn:`` references) who are already in LHN Desktop."""
        wanted = {r.patient_ref[4:] for _, r in parsed if getattr(r, "patient_ref", "").startswith("mrn:")
                  and r.patient_ref not in self.patients}  # fmt: skip
        for mrns in _chunks(sorted(wanted)):
            for patient in self.s.scalars(select(Patient).where(Patient.mrn.in_(mrns))):
                self.patients[f"mrn:{patient.mrn}"] = patient

    def _step(self) -> None:
        self.done += 1
        if self.done % STEP == 0:
            self.cancel.raise_if_cancelled()
            self.progress(self.done, self.total, words.matching(self.done, self.total))

    def _run(self, parsed: list) -> None:
        self.total = len(parsed)
        by_type: dict[type, list] = {}
        for located, record in parsed:
            by_type.setdefault(type(record), []).append((located, record))
        conditions = {c.patient_ref: c for _, c in by_type.get(fhir_map.InCondition, [])}
        for located, p in by_type.get(fhir_map.InPatient, []):
            self.patient(located, p, conditions.get(p.source_id))
        self.s.flush()
        self._patients_by_mrn(parsed)
        visits = by_type.get(fhir_map.InVisit, [])
        self._preload(Visit, [record_id(loc.resource["resourceType"], v.source_id) for loc, v in visits])
        for ids in _chunks([p.id for p in self.patients.values()]):  # one visit a day is the same visit
            for visit in self.s.scalars(select(Visit).where(Visit.patient_id.in_(ids))):
                day = (visit.patient_id, visit.visit_date)
                if visit.status != "cancelled":
                    self.by_day.setdefault(day, visit)
                else:
                    self.cancelled_by_day.setdefault(day, visit)
        for located, v in visits:
            self.visit(located, v)
        self.s.flush()
        observations = by_type.get(fhir_map.InObservation, [])
        self._preload(Observation, [record_id("Observation", o.source_id) for _, o in observations])
        values = select(Observation.patient_id, Observation.code, Observation.observed_on, Observation.value,
                        Observation.entered_in_error)  # fmt: skip
        self.known_values = self._natural(values, Observation)
        for located, o in observations:
            self.observation(located, o)
        medications = sorted(by_type.get(fhir_map.InMedication, []), key=lambda item: item[1].start)
        self._preload(Medication, [record_id(loc.resource["resourceType"], m.source_id) for loc, m in medications])
        for located, m in medications:
            self.medication(located, m)
        events = by_type.get(fhir_map.InEvent, [])
        self._preload(ClinicalEvent, [record_id(loc.resource["resourceType"], e.source_id) for loc, e in events])
        self.known_events = self._natural(select(ClinicalEvent.patient_id, ClinicalEvent.kind, ClinicalEvent.code,
                                                 ClinicalEvent.event_date, ClinicalEvent.entered_in_error),
                                          ClinicalEvent)  # fmt: skip
        for located, e in events:
            self.event(located, e)
        self.s.flush()

    def _update(self, kind: str, located, record, fields: dict) -> None:
        """Bring a record in line with the export, unless a person corrected it by hand: then keep it, and say so."""
        counts = self.report.counts[kind]
        differs = [k for k, v in fields.items() if getattr(record, k) != v]
        if not differs:
            counts.unchanged += 1
            return
        if self._clash(kind, located, record.id, differs):
            counts.unchanged += 1
            return
        for k in differs:
            setattr(record, k, fields[k])
        counts.changed += 1

    def _clash(self, kind: str, located, record_id: str, differs: list[str]) -> bool:
        """True (and listed) when the record was corrected by hand: the export does not overwrite a correction."""
        if record_id not in self.corrected:
            self.corrected.update(self._corrections([record_id]))
        hand = self.corrected.get(record_id)
        if hand is None:
            return False
        on, by = hand
        if differs == ["removed"]:
            text = words.removed_by_hand(on, by)
        else:
            text = words.corrected_by_hand(on, by, differs)
        self.report.clashes.append((kind, located.where, text))
        return True

    def _corrections(self, ids: list[str]) -> dict[str, tuple | None]:
        """The latest hand correction of each of these records: (when, by whom), or nothing for those without."""
        found: dict[str, tuple | None] = {i: None for i in ids}
        for chunk in _chunks(ids):
            rows = self.s.execute(select(Correction.record_id, Correction.corrected_at, Correction.corrected_by)
                                  .where(Correction.record_id.in_(chunk))
                                  .order_by(Correction.corrected_at))  # fmt: skip
            for record_id, at, by in rows:
                found[record_id] = (at, by)
        return found

    def _preload(self, model, ids: list[str]) -> None:
        """Load the records these ids name, in a few queries, so each lookup finds them without one of its own."""
        for chunk in _chunks(ids):
            for record in self.s.scalars(select(model).where(model.id.in_(chunk))):
                self.loaded[record.id] = record
        self.corrected.update(self._corrections(ids))  # also those no longer there: removed by hand

    def _natural(self, query, model) -> set[tuple]:
        """What these patients' records already say (to recognise a value typed at the visit), in a few queries."""
        found: set[tuple] = set()
        for ids in _chunks([p.id for p in self.patients.values()]):
            found.update(tuple(row) for row in self.s.execute(query.where(model.patient_id.in_(ids))))
        return found

    # -- patients ------------------------------------------------------------------------------------------
    def patient(self, located, p: fhir_map.InPatient, dx: fhir_map.InCondition | None) -> None:
        self._step()
        counts = self.report.counts["patients"]
        if p.source_id in self.patients:
            self.report.problems.append((located.where, words.SAME_RESOURCE_ID))
            return
        if not self._fresh("patients", f"mrn:{p.mrn}", located):
            return
        existing = self.s.scalar(select(Patient).where(Patient.mrn == p.mrn))
        paris = {k: v for k, v in (dx.paris if dx else {}).items()}
        if "paris_perianal" in paris and not isinstance(paris["paris_perianal"], bool):
            paris.pop("paris_perianal")
        entry = PatientInput(
            mrn=p.mrn, given_name=p.given_name, family_name=p.family_name, birth_date=p.birth_date, sex=p.sex,
            diagnosis=dx.diagnosis if dx else (existing.diagnosis if existing else None),
            diagnosis_date=dx.onset if dx else (existing.diagnosis_date if existing else None),
            phone=p.phone, email=p.email, preferred_language=p.preferred_language, status=p.status,
            status_date=p.status_date, **({k: v for k, v in paris.items()} if dx else _paris_of(existing)),
        )  # fmt: skip
        try:
            clean = clean_patient(entry, self.today)
        except ValidationError as exc:
            self.report.problems.append((located.where, words.cannot_register(exc)))
            return
        if existing is None:
            record = new_patient(clean, id=record_id("Patient", f"mrn:{p.mrn}"))  # one MRN, one id
            self.s.add(record)
            counts.new += 1
        else:
            record = existing
            if existing.birth_date != clean.birth_date:
                self.report.problems.append((located.where, words.MRN_OTHER_BIRTH_DATE))
                return
            current = input_of(existing)
            differs = [name for name in INPUT_FIELDS if getattr(current, name) != getattr(clean, name)]
            if differs and not self._clash("patients", located, existing.id, differs):
                apply_patient(existing, clean)
                counts.changed += 1
            else:
                counts.unchanged += 1
        self.patients[p.source_id] = record

    # -- visits --------------------------------------------------------------------------------------------
    def _patient_of(self, kind: str, ref: str, located) -> Patient | None:
        patient = self.patients.get(ref)
        if patient is None:
            self.report.skip(kind, words.UNKNOWN_PATIENT, located.where)
        return patient

    def visit(self, located, v: fhir_map.InVisit) -> None:
        self._step()
        patient = self._patient_of("visits", v.patient_ref, located)
        if patient is None:
            return
        counts = self.report.counts["visits"]
        rtype = located.resource["resourceType"]
        vid = record_id(rtype, v.source_id)
        if not self._fresh("visits", vid, located):
            return
        loaded = self.loaded.get(vid)
        visit = loaded if isinstance(loaded, Visit) else None  # a visit's id names a visit
        if visit is None and self._clash("visits", located, vid, ["removed"]):
            counts.unchanged += 1  # removed by hand since an earlier import: not brought back
            return
        if visit is None and v.schedule_row:
            visit = self.by_day.get((patient.id, v.day)) or self.cancelled_by_day.get((patient.id, v.day))
        elif visit is None and v.status != "cancelled":
            visit = self.by_day.get((patient.id, v.day))
        key = f"{rtype}/{v.source_id}"
        if visit is None:
            visit = Visit(id=vid, patient_id=patient.id, visit_date=v.day, visit_time=v.time, status=v.status,
                          clinician=v.clinician, visit_type=v.visit_type or "Follow-up")  # fmt: skip
            self.s.add(visit)
            if v.status != "cancelled":
                self.by_day.setdefault((patient.id, v.day), visit)
            counts.new += 1
            self.visits[key] = vid
            return
        self.visits[key] = visit.id
        wanted = {"visit_date": v.day, "visit_time": v.time or visit.visit_time, "status": v.status,
                  "clinician": v.clinician or visit.clinician,
                  "visit_type": v.visit_type or visit.visit_type}  # fmt: skip
        if visit.status == "completed" and v.status != "completed":
            wanted["status"] = "completed"  # seen here already: an older appointment status does not undo it
        if all(getattr(visit, k) == value for k, value in wanted.items()):
            counts.unchanged += 1
            return
        for k, value in wanted.items():
            setattr(visit, k, value)
        counts.changed += 1

    # -- observations --------------------------------------------------------------------------------------
    def observation(self, located, o: fhir_map.InObservation) -> None:
        self._step()
        patient = self._patient_of("observations", o.patient_ref, located)
        if patient is None:
            return
        counts = self.report.counts["observations"]
        try:
            spec = catalog.get_spec(o.code)
            if spec.kind == "index":
                value, unit = _index_value(o.value), None
                original_value = original_unit = None
            else:
                reading = catalog.read_value(o.code, o.value, o.unit)
                value, unit = reading.value, reading.unit
                original_value, original_unit = reading.original_value, reading.original_unit
        except (ValidationError, LhnError) as exc:
            self.report.skip("observations", words.cannot_record_value(exc), located.where)
            return
        if original_value is None and o.original_value:
            original_value, original_unit = o.original_value, o.original_unit
        visit_id = self.visits.get(f"Encounter/{o.visit_ref}") if o.visit_ref else None
        fields = {"patient_id": patient.id, "visit_id": visit_id, "code": o.code, "value": value, "unit": unit,
                  "observed_on": o.day, "original_value": original_value, "original_unit": original_unit,
                  "detail": o.detail, "entered_in_error": o.in_error}  # fmt: skip
        oid = record_id("Observation", o.source_id)
        if not self._fresh("observations", oid, located):
            return
        record = self.loaded.get(oid)
        if record is None:
            key = (patient.id, o.code, o.day, value, o.in_error)
            if key in self.known_values:
                counts.unchanged += 1  # already in the record (typed at the visit, or imported from elsewhere)
                return
            self.known_values.add(key)
            self.s.add(Observation(id=oid, source=IMPORTED_SOURCE, **fields))
            counts.new += 1
            return
        self._update("observations", located, record, fields)

    # -- medications ---------------------------------------------------------------------------------------
    def medication(self, located, m: fhir_map.InMedication) -> None:
        self._step()
        patient = self._patient_of("medications", m.patient_ref, located)
        if patient is None:
            return
        counts = self.report.counts["medications"]
        drug_class = drug_class_for(m.drug, patient.diagnosis) or m.drug_class
        if not drug_class:
            self.report.skip("medications", words.MEDICINE_WITHOUT_CLASS, located.where)
            return
        mid = record_id(located.resource["resourceType"], m.source_id)
        if not self._fresh("medications", mid, located):
            return
        fields = {"patient_id": patient.id, "drug": m.drug, "drug_class": drug_class, "dose": m.dose,
                  "start_date": m.start, "stop_date": m.stop, "stop_reason": m.stop_reason,
                  "visit_id": self.visits.get(f"Encounter/{m.visit_ref}") if m.visit_ref else None,
                  "changed_from_id": self.medications.get(m.changed_from_ref) if m.changed_from_ref else None,
                  "entered_in_error": m.in_error}  # fmt: skip
        self.medications[m.source_id] = mid
        record = self.loaded.get(mid)
        if record is None:
            same = self.s.scalar(select(Medication.id).where(
                Medication.patient_id == patient.id, Medication.drug == m.drug, Medication.start_date == m.start,
                Medication.entered_in_error.is_(False)).limit(1))  # fmt: skip
            if same is not None and not m.in_error:
                self.medications[m.source_id] = same
                counts.unchanged += 1
                return
            self.s.add(Medication(id=mid, **fields))  # added by start date: a dose change after what it changes
            counts.new += 1
            return
        self._update("medications", located, record, fields)

    # -- events --------------------------------------------------------------------------------------------
    def event(self, located, e: fhir_map.InEvent) -> None:
        self._step()
        patient = self._patient_of("events", e.patient_ref, located)
        if patient is None:
            return
        counts = self.report.counts["events"]
        fields = {"patient_id": patient.id, "kind": e.kind, "code": e.code, "event_date": e.day, "result": e.result,
                  "visit_id": self.visits.get(f"Encounter/{e.visit_ref}") if e.visit_ref else None,
                  "entered_in_error": e.in_error}  # fmt: skip
        eid = record_id(located.resource["resourceType"], e.source_id)
        if not self._fresh("events", eid, located):
            return
        record = self.loaded.get(eid)
        if record is None:
            key = (patient.id, e.kind, e.code, e.day, e.in_error)
            if key in self.known_events:
                counts.unchanged += 1
                return
            self.known_events.add(key)
            self.s.add(ClinicalEvent(id=eid, **fields))
            counts.new += 1
            return
        self._update("events", located, record, fields)


def _paris_of(p: Patient | None) -> dict:
    if p is None:
        return {}
    return {name: getattr(p, name) for name in fhir_map.PARIS_FIELDS}


def _index_value(text: str) -> str:
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError("an index total must be a number") from None
    if not number.is_finite() or not 0 <= number <= 125:
        raise ValidationError("an index total is between 0 and 125")
    return text


def _export_resources(s, codes: CodeMap) -> dict[str, list[dict]]:
    patients = s.scalars(select(Patient).order_by(Patient.mrn)).all()
    visits = s.scalars(select(Visit).order_by(Visit.visit_date, Visit.id)).all()
    completed = {v.id for v in visits if v.status == "completed"}
    out: dict[str, list[dict]] = {k: [] for k in ("Patient", "Condition", "Encounter", "Appointment", "Observation",
                                                  "MedicationStatement", "Immunization", "Procedure")}  # fmt: skip
    for p in patients:
        out["Patient"].append(fhir_map.patient(p))
        if p.diagnosis:
            out["Condition"].append(fhir_map.condition(p, codes))
    for v in visits:
        if v.status == "completed":
            out["Encounter"].append(fhir_map.encounter(v))
        elif v.status in fhir_map.VISIT_TO_APPOINTMENT:
            out["Appointment"].append(fhir_map.appointment(v))

    def seen_at(visit_id: str | None) -> str | None:
        return visit_id if visit_id in completed else None

    for o in s.scalars(select(Observation).order_by(Observation.observed_on, Observation.id)):
        out["Observation"].append(fhir_map.observation(o, seen_at(o.visit_id), catalog.label(o.code), codes))
    for m in s.scalars(select(Medication).order_by(Medication.start_date, Medication.id)):
        out["MedicationStatement"].append(fhir_map.medication_statement(m, seen_at(m.visit_id), codes))
    for e in s.scalars(select(ClinicalEvent).order_by(ClinicalEvent.event_date, ClinicalEvent.id)):
        build = fhir_map.immunization if e.kind == "immunization" else fhir_map.procedure
        out["Immunization" if e.kind == "immunization" else "Procedure"].append(build(e, seen_at(e.visit_id), codes))
    return out
