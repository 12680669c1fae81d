"""CSV reports from the EHR: encodings and delimiters, column mappings saved per source, rows into records."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from lhn_desktop.ehr.csv_files import read_table
from lhn_desktop.errors import PermissionDenied, ValidationError
from lhn_desktop.models.patients import Medication, Observation, Patient, Visit
from lhn_desktop.services.ehr import EhrService
from lhn_desktop.services.ehr_csv import CsvMapping, guess_columns, load_mappings
from lhn_desktop.store.database import Database
from tests.conftest import DEMO_TODAY

PATIENTS = (
    "Medical Record Number;First Name;Last Name;DOB;Gender;Primary Diagnosis;Dx Date\n"
    "000123;Zoé;Testwood;06/01/2012;F;K50.011;09/14/2023\n"
    "000124;Ben;Fictor;2011-02-03;M;Ulcerative colitis;\n"
)


@pytest.fixture
def ehr(db: Database, tmp_path: Path) -> EhrService:
    return EhrService(db, today=lambda: DEMO_TODAY, mappings_file=tmp_path / "config" / "csv_mappings.json")


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run(ehr, admin, path: Path, kind: str | None = None, source: str = "Clinic EHR", apply: bool = True, **changes):
    _table, mapping = ehr.read_csv(admin, path, source, kind)
    if changes:
        mapping = CsvMapping(mapping.source, mapping.kind, {**mapping.columns, **changes.get("columns", {})},
                             changes.get("date_order", mapping.date_order))  # fmt: skip
    return ehr.import_csv(admin, path, mapping, apply=apply)


@pytest.fixture
def registered(ehr, admin, tmp_path) -> None:
    report = run(ehr, admin, write(tmp_path, "patients.csv", PATIENTS), "patients", "Clinic patients")
    assert report.applied, report.problems


# -- reading the file ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "prefix", "delimiter", "expected"),
    [
        ("utf-8", b"", ",", "UTF-8"),
        ("utf-8", b"\xef\xbb\xbf", ";", "UTF-8"),
        ("utf-16", b"", "\t", "UTF-16"),
        ("cp1252", b"", ";", "Windows-1252"),
    ],
)
def test_encodings_and_delimiters_are_worked_out(tmp_path, encoding, prefix, delimiter, expected) -> None:
    text = PATIENTS.replace(";", delimiter)
    path = tmp_path / "p.csv"
    path.write_bytes(prefix + text.encode(encoding))
    table = read_table(path)
    assert (table.encoding, table.delimiter) == (expected, delimiter)
    assert table.header[0] == "Medical Record Number" and table.rows[0] == (
        2,
        tuple(PATIENTS.splitlines()[1].split(";")),
    )
    assert table.rows[0][1][1] == "Zoé"


def test_files_that_are_not_csv_are_refused_by_name(tmp_path) -> None:
    with pytest.raises(ValidationError, match=r"^empty\.csv is empty"):
        read_table(write(tmp_path, "empty.csv", "  \n"))
    with pytest.raises(ValidationError, match=r"^pic\.csv is not a text file"):
        read_table(write(tmp_path, "pic.csv", "PNG\x00\x00\x00", "latin-1"))
    huge = write(tmp_path, "schedule.csv", "date,mrn,clinician\n2026-05-01,000123," + "x" * 140_000 + "\n")
    with pytest.raises(ValidationError, match=r"^schedule\.csv line 2: a cell is longer than 131,072 characters"):
        read_table(huge)


def test_columns_are_guessed_from_common_names() -> None:
    header = ("Appt Date", "Appt Time", "MRN", "Provider", "Appointment Type", "Appt Status")
    assert guess_columns("appointments", header) == {
        "mrn": "MRN", "date": "Appt Date", "time": "Appt Time", "clinician": "Provider",
        "visit_type": "Appointment Type", "status": "Appt Status"}  # fmt: skip


# -- importing -----------------------------------------------------------------------------------------------------


def test_patients_with_month_first_dates_and_an_icd_code(ehr, admin, registered, db, tmp_path) -> None:
    with db.read() as s:
        rows = {p.mrn: (p.given_name, p.birth_date, p.sex, p.diagnosis, p.diagnosis_date)
                for p in s.scalars(select(Patient))}  # fmt: skip
    assert rows == {"000123": ("Zoé", date(2012, 6, 1), "female", "Crohn disease", date(2023, 9, 14)),
                    "000124": ("Ben", date(2011, 2, 3), "male", "Ulcerative colitis", None)}  # fmt: skip
    again = run(ehr, admin, tmp_path / "patients.csv", source="Clinic patients")
    assert again.changes == 0 and again.counts["patients"].unchanged == 2


def test_the_mapping_is_saved_under_its_source_and_reused(ehr, admin, registered, tmp_path) -> None:
    saved = load_mappings(tmp_path / "config" / "csv_mappings.json")
    assert saved["Clinic patients"].kind == "patients" and saved["Clinic patients"].columns["birth_date"] == "DOB"
    _table, mapping = ehr.read_csv(admin, tmp_path / "patients.csv", "Clinic patients")  # no kind needed now
    assert mapping == saved["Clinic patients"]
    with pytest.raises(ValidationError, match="Say what the report holds") as caught:
        ehr.read_csv(admin, tmp_path / "patients.csv", "Another source")
    assert caught.value.field == "kind"


def test_appointments_with_their_statuses(ehr, admin, registered, db, tmp_path) -> None:
    text = ("Appt Date,Appt Time,MRN,Provider,Appt Status\n"
            "2026-03-03,8:30 AM,000123,Dr. Robin Sample,Scheduled\n"
            "2026-03-04,09:00,000124,Dr. Robin Sample,Canceled\n"
            "2026-02-24,10:00,000124,Dr. Robin Sample,No Show\n"
            "2026-03-03,11:00,999999,Dr. Robin Sample,Arrived\n"
            "2026-03-05,11:00,000123,Dr. Robin Sample,Bumped\n")  # fmt: skip
    report = run(ehr, admin, write(tmp_path, "schedule.csv", text), "appointments")
    assert report.applied and report.counts["visits"].new == 3
    assert report.skipped["visits", "its patient is neither in LHN Desktop (by MRN) nor in this import"] == (
        1, ["schedule.csv line 5"])  # fmt: skip
    assert report.skipped["visits", "an appointment status the import does not know"][0] == 1
    with db.read() as s:
        visits = sorted((v.visit_date, v.visit_time, v.status) for v in s.scalars(select(Visit)))
    assert visits == [(date(2026, 2, 24), "10:00", "no_show"), (date(2026, 3, 3), "08:30", "scheduled"),
                      (date(2026, 3, 4), "09:00", "cancelled")]  # fmt: skip
    assert run(ehr, admin, tmp_path / "schedule.csv", "appointments").changes == 0


def test_results_converted_with_the_original_kept_and_unknown_tests_counted(ehr, admin, registered, db, tmp_path):
    text = ("MRN\tCollected\tComponent\tResult\tUnits\n"
            "000123\t2026-02-26\tCRP\t0.35\tmg/dL\n"
            "000123\t2026-02-26\t1751-7\t3.9\tg/dL\n"
            "000123\t2026-02-26\tFecal calprotectin\t50\tug/g\n"
            "000124\t2026-02-26\tLipase\t30\tU/L\n")  # fmt: skip
    report = run(ehr, admin, write(tmp_path, "labs.tsv", text), "results")
    assert report.applied and report.counts["observations"].new == 3 and report.counts["observations"].skipped == 1
    with db.read() as s:
        values = {o.code: (o.value, o.unit, o.original_value, o.original_unit) for o in s.scalars(select(Observation))}
    assert values == {"CRP": ("3.5", "mg/L", "0.35", "mg/dL"), "ALB": ("39", "g/L", "3.9", "g/dL"),
                      "FCP": ("50", "µg/g", None, None)}  # fmt: skip
    newer = write(tmp_path, "labs.tsv", text.replace("0.35", "0.5"))
    changed = run(ehr, admin, newer, "results")
    assert (changed.counts["observations"].changed, changed.counts["observations"].new) == (1, 0)


def test_medicines_by_the_packs_names(ehr, admin, registered, db, tmp_path) -> None:
    text = "MRN,Medication,Start Date,End Date,Sig\n000123,Azathioprine,2026-01-10,,75 mg daily\n"
    report = run(ehr, admin, write(tmp_path, "meds.csv", text), "medications")
    assert report.applied and report.counts["medications"].new == 1
    with db.read() as s:
        med = s.scalar(select(Medication))
    assert (med.drug, med.drug_class, med.dose, med.start_date) == ("azathioprine", "thiopurine", "75 mg daily",
                                                                    date(2026, 1, 10))  # fmt: skip


# -- bad input ---------------------------------------------------------------------------------------------------


def test_a_cell_that_cannot_be_read_is_named_by_line_and_field_and_nothing_is_written(ehr, admin, db, tmp_path):
    text = PATIENTS + "000125;Cleo;Mockwood;2012-02-30;F;;\n;Dana;Placebury;2013-01-01;F;;\n"
    report = run(ehr, admin, write(tmp_path, "p.csv", text), "patients")
    assert not report.applied
    assert report.problems == [("p.csv line 4", "Birth date: not a date (YYYY-MM-DD, month/day/year or DD.MM.YYYY)"),
                               ("p.csv line 5", "no MRN")]  # fmt: skip
    with db.read() as s:
        assert s.scalar(select(Patient.id)) is None


def test_a_mapping_must_name_real_columns_and_every_required_field(ehr, admin, tmp_path) -> None:
    path = write(tmp_path, "p.csv", PATIENTS)
    with pytest.raises(ValidationError, match="no column 'Birthday'"):
        run(ehr, admin, path, "patients", columns={"birth_date": "Birthday"})
    with pytest.raises(ValidationError, match="Say which column holds: Given name, Family name, Birth date, Sex"):
        ehr.import_csv(admin, path, CsvMapping("x", "patients", {"mrn": "Medical Record Number"}))


def test_partners_are_refused(ehr, tmp_path) -> None:
    from lhn_desktop.access import Actor
    from lhn_desktop.models.team import Role

    partner = Actor(member_id=None, name="Sky Placebury", role=Role.PATIENT_PARTNER)
    with pytest.raises(PermissionDenied):
        ehr.read_csv(partner, write(tmp_path, "p.csv", PATIENTS), "x", "patients")
