"""The words of getting data in from the EHR: why a record was left out, what to do next, progress, and the
audit trail's lines for an import or an export (DOMAIN.md section 5).

``services/ehr.py`` matches and writes; this module writes the report a data manager reads afterwards.
The reasons are phrases ("the same resource twice in the files"): the report puts them after a place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from lhn_desktop.services.words import counted, day

UNKNOWN_PATIENT = "its patient is neither in LHN Desktop (by MRN) nor in this import"
MEDICATION_NOT_IN_FILES = "a medicine given by reference to a Medication that is not in the files"
DUPLICATE_RESOURCE = "the same resource twice in the files"
SAME_RESOURCE_ID = "two patients with the same resource id; their records cannot be told apart"
MRN_OTHER_BIRTH_DATE = "this MRN belongs to a patient with another birth date in LHN Desktop; check the MRN"
MEDICINE_WITHOUT_CLASS = "a medicine without a class (not on the disease pack's list)"


def place(file: str, line: int) -> str:
    """Where in an imported file: "patients.csv line 12"."""
    return f"{file} line {line}"


def same_mrn(first_place: str) -> str:
    return f"the same MRN as {first_place} with another birth date"


def cannot_register(why: object) -> str:
    return f"the patient cannot be registered: {why}"


def cannot_record_value(why: object) -> str:
    return f"a value that cannot be recorded: {why}"


def removed_by_hand(on: date, by: str) -> str:
    return f"removed by hand on {day(on)} by {by}; not added again"


def corrected_by_hand(on: date, by: str, fields: Iterable[str]) -> str:
    what = ", ".join(name.replace("_", " ") for name in fields)
    return f"corrected by hand on {day(on)} by {by}; the export differs ({what}); the correction was kept"


def import_patients_first(records: int) -> str:
    """The advice when records were left out for want of their patient (a schedule before its patients)."""
    return (
        f"{counted(records, 'record')} {'names' if records == 1 else 'name'} a patient who is not in LHN Desktop: "
        "import the patients first (their CSV report or the FHIR export), then import this again. Patients are never "
        "made from a schedule or a result alone."
    )


def reading_export(resources: int) -> str:
    return f"Reading the export: {resources:,} resources"


def matching(done: int, total: int) -> str:
    return f"Matching and writing: {done:,} of {total:,}"


def import_audit(files: Iterable[str], counts: Mapping[str, tuple[int, int]]) -> str:
    """The audit trail's line for an import: the files, then (new, changed) by kind of record."""
    changes = "; ".join(f"{kind}: {new} new, {changed} changed" for kind, (new, changed) in counts.items())
    return f"{', '.join(files)}: {changes}"


def export_audit(counts: Mapping[str, int], folder: str) -> str:
    return f"{', '.join(f'{kind} {n}' for kind, n in counts.items())}; to {folder}"
