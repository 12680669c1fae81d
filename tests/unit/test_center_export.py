"""The center's own data export: CSV files and the workbook, formula injection, confirmation, partners, audit."""

from __future__ import annotations

import csv
import tempfile
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from lhn_desktop.access import Actor
from lhn_desktop.errors import Cancelled, LhnError, NeedsConfirmation, NotFound, PermissionDenied, ValidationError
from lhn_desktop.models.patients import ClinicalEvent, Correction, Medication, Observation, Patient, Visit
from lhn_desktop.models.sync import AuditEvent
from lhn_desktop.models.team import Role
from lhn_desktop.progress import CancelToken
from lhn_desktop.services import center_export
from lhn_desktop.services.center_export import LABEL, TABLES, WORKBOOK, CenterExportService, safe_cell
from lhn_desktop.services.corrections import CorrectionService
from lhn_desktop.services.registry import PatientInput, RegistryService
from lhn_desktop.services.visits import MedicationStart, ValueInput, VisitInput, VisitService
from lhn_desktop.store.database import Database

TODAY = date(2026, 3, 10)
NOW = datetime(2026, 3, 10, 14, 30, 5, 123456)
NAMES = [name for name, _ in TABLES]
ADA = PatientInput(
    mrn="0012345", given_name="Ada", family_name="Testwood", birth_date=date(2012, 6, 1), sex="female",
    diagnosis="Crohn disease", diagnosis_date=date(2023, 9, 14), paris_location="L3", paris_behaviour="B1",
    paris_growth="G0",
)  # fmt: skip
INJECTED = PatientInput(
    mrn="CF-7", given_name="+1+1", family_name='=HYPERLINK("http://x","y")', birth_date=date(2014, 4, 2),
    sex="male", diagnosis="Cystic fibrosis", phone="+1 555 0101", preferred_language="@SUM(A1)",
)  # fmt: skip


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty folder to export into (``tmp_path`` also holds the test's LHN_DESKTOP_HOME)."""
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def service(db: Database) -> CenterExportService:
    return CenterExportService(db, today=lambda: TODAY, now=lambda: NOW)


def register(db: Database, admin: Actor, patient: PatientInput, *values: ValueInput, starts=(), clinician=None) -> str:
    pid = RegistryService(db, today=lambda: TODAY).add(admin, patient).patient_id
    if values or starts:
        entry = VisitInput(pid, TODAY, clinician=clinician, values=values, starts=starts)
        VisitService(db, today=lambda: TODAY).record(admin, entry)
    return pid


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f))


def count(db: Database, model, *where) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def sheet_rows(path: Path, name: str) -> list[dict[str, object]]:
    """A workbook sheet as dicts of header -> cell (the cell itself, to see its type)."""
    ws = load_workbook(path)[name]
    rows = list(ws.iter_rows())
    headers = [c.value for c in rows[0]]
    return [dict(zip(headers, row, strict=False)) for row in rows[1:]]


def audits(db: Database) -> list[tuple[str, str]]:
    with db.read() as s:
        return [(a.actor_name, a.fields) for a in s.scalars(
            select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.entity == "center_data"))]  # fmt: skip


# -- safe_cell ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("=1+2", "'=1+2"),
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("+1+1", "'+1+1"),
        ("-2 colonies", "'-2 colonies"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("-", "'-"),
        ("-1.", "'-1."),
        ("-1e5", "'-1e5"),
        ("-1.23\n", "'-1.23\n"),  # not a plain number: "$" must not let a trailing newline through
        ("-١٢", "'-١٢"),  # digits of another script are not a plain number
        ("-1.23", "-1.23"),  # a z-score stays a number
        ("+0.50", "+0.50"),
        ("-12", "-12"),
        ("12", "12"),
        ("0012345", "0012345"),
        ("<5", "<5"),
        ("a=b", "a=b"),
        ("Crohn disease", "Crohn disease"),
        ("", ""),
    ],
)
def test_safe_cell_quotes_what_a_spreadsheet_would_run(text, expected):
    assert safe_cell(text) == expected


# -- the demo center ---------------------------------------------------------------------------------------------


def test_the_demo_center_exports_every_table_as_csv_and_workbook(demo_db, admin, out):
    progress: list[tuple[int, int | None, str]] = []
    result = service(demo_db).export(admin, out, xlsx=True, confirm_patient_data=True,
                                     progress=lambda *a: progress.append(a))  # fmt: skip
    site = demo_db.local_node().site_code
    assert result.folder == out / f"lhn-export-{site}-20260310-143005"
    assert sorted(p.name for p in result.folder.iterdir()) == sorted([f"{n}.csv" for n in NAMES] + [WORKBOOK])
    assert result.files == (*(result.folder / f"{n}.csv" for n in NAMES), result.folder / WORKBOOK)
    assert progress == [(i, 8, LABEL) for i in range(1, 9)]

    with demo_db.read() as s:
        growth_dates = s.execute(
            select(Observation.patient_id, Observation.observed_on)
            .where(Observation.code.in_(("WEIGHT", "HEIGHT")), Observation.entered_in_error.is_(False))
            .distinct()
        ).all()
    expected = {"patients": count(demo_db, Patient), "visits": count(demo_db, Visit),
                "observations": count(demo_db, Observation), "growth": len(growth_dates),
                "medications": count(demo_db, Medication), "events": count(demo_db, ClinicalEvent),
                "corrections": count(demo_db, Correction)}  # fmt: skip
    assert expected["patients"] == 30 and min(expected[n] for n in NAMES if n != "corrections") > 0
    assert result.rows == expected

    book = load_workbook(result.folder / WORKBOOK)
    assert book.sheetnames == ["about", *NAMES]
    for name, headers in TABLES:
        path = result.folder / f"{name}.csv"
        assert path.read_bytes().startswith(b"\xef\xbb\xbf" + ",".join(headers).encode() + b"\n")
        rows = read_csv(path)
        assert len(rows) == expected[name], name
        ws = book[name]
        assert [c.value for c in ws[1]] == list(headers)
        assert ws.max_row - 1 == expected[name], name
        assert ws.freeze_panes == "A2" and ws["A1"].font.b
        keys = [(r["mrn"], r.get("observed_on") or r.get("visit_date") or r.get("event_date") or "") for r in rows]
        assert keys == sorted(keys), name
    about = [[c for c in row if c is not None] for row in book["about"].iter_rows(values_only=True)]
    assert [site] in [r[1:] for r in about] and ["exported by", admin.name] in about
    assert ["patients", 30] in about
    assert any("protected health information" in str(r[0]) for r in about if r)

    observations = sheet_rows(result.folder / WORKBOOK, "observations")
    crp = next(r for r in observations if r["code"].value == "CRP")
    assert crp["value"].data_type == "n" and isinstance(crp["value"].value, int | float)
    assert crp["mrn"].data_type == "s" and crp["mrn"].value.startswith("DEMO-")
    assert isinstance(crp["observed_on"].value, datetime) and crp["entered_in_error"].value is False
    growth = sheet_rows(result.folder / WORKBOOK, "growth")
    assert any(r["weight_z"].data_type == "n" for r in growth)


def test_the_export_is_the_same_each_time(demo_db, admin, out):
    first = service(demo_db).export(admin, out, confirm_patient_data=True)
    second = service(demo_db).export(admin, out, confirm_patient_data=True)
    assert first.folder != second.folder
    for a, b in zip(first.files, second.files, strict=True):
        assert a.name == b.name and a.read_bytes() == b.read_bytes()


def test_the_mrn_keeps_its_leading_zeros_and_measures_are_numbers(db, admin, out):
    register(db, admin, ADA, ValueInput("WEIGHT", "34.5"), ValueInput("HEIGHT", "140"))
    result = service(db).export(admin, out, xlsx=True, confirm_patient_data=True)
    assert [r["mrn"] for r in read_csv(result.folder / "patients.csv")] == ["0012345"]
    (patient,) = sheet_rows(result.folder / WORKBOOK, "patients")
    assert (patient["mrn"].value, patient["mrn"].data_type) == ("0012345", "s")
    assert isinstance(patient["birth_date"].value, datetime) and patient["paris_perianal"].value is False
    weight = next(r for r in sheet_rows(result.folder / WORKBOOK, "observations") if r["code"].value == "WEIGHT")
    assert (weight["value"].value, weight["value"].data_type, weight["unit"].value) == (34.5, "n", "kg")
    assert weight["visit_date"].value == datetime(2026, 3, 10)
    (growth,) = sheet_rows(result.folder / WORKBOOK, "growth")
    assert (growth["weight_kg"].value, growth["height_cm"].value) == (34.5, 140)
    assert growth["bmi"].data_type == "n" and growth["bmi_z"].data_type == "n"
    (row,) = read_csv(result.folder / "growth.csv")
    assert (row["weight_kg"], row["height_cm"], row["bmi"]) == ("34.5", "140", "17.6")


# -- formula injection -------------------------------------------------------------------------------------------


def test_nothing_in_the_export_can_run_as_a_formula(db, admin, out):
    register(db, admin, INJECTED, ValueInput("RESP_CULTURE", "-2 colonies"), clinician="#N/A")
    result = service(db).export(admin, out, xlsx=True, confirm_patient_data=True)
    (patient,) = read_csv(result.folder / "patients.csv")
    assert patient["family_name"] == '\'=HYPERLINK("http://x","y")'
    assert (patient["given_name"], patient["preferred_language"], patient["phone"]) == ("'+1+1", "'@SUM(A1)",
                                                                                         "'+1 555 0101")  # fmt: skip
    (culture,) = read_csv(result.folder / "observations.csv")
    assert (culture["code"], culture["value"]) == ("RESP_CULTURE", "'-2 colonies")

    (cells,) = sheet_rows(result.folder / WORKBOOK, "patients")
    for name in ("family_name", "given_name", "preferred_language", "phone"):
        assert cells[name].data_type == "s" and cells[name].value.startswith("'"), name
    (obs,) = sheet_rows(result.folder / WORKBOOK, "observations")
    assert (obs["value"].data_type, obs["value"].value) == ("s", "'-2 colonies")
    (visit,) = sheet_rows(result.folder / WORKBOOK, "visits")
    assert (visit["clinician"].data_type, visit["clinician"].value) == ("s", "#N/A")  # text, not an error code
    book = load_workbook(result.folder / WORKBOOK)
    assert [c.coordinate for ws in book for row in ws.iter_rows() for c in row if c.data_type in ("f", "e")] == []
    with zipfile.ZipFile(result.folder / WORKBOOK) as zf:
        sheets = [n for n in zf.namelist() if n.startswith("xl/worksheets/")]
        assert len(sheets) == 8 and not any(b"<f>" in zf.read(n) or b"<f " in zf.read(n) for n in sheets)
    assert safe_cell("-1.23") == "-1.23"


def test_workbook_text_is_never_a_formula_even_without_the_quote(db, admin, out, monkeypatch):
    """The second safeguard on its own: text cells are forced to the string type."""
    register(db, admin, INJECTED, ValueInput("RESP_CULTURE", "-2 colonies"))
    monkeypatch.setattr(center_export, "safe_cell", lambda text: text)
    result = service(db).export(admin, out, xlsx=True, confirm_patient_data=True)
    (cells,) = sheet_rows(result.folder / WORKBOOK, "patients")
    assert (cells["family_name"].data_type, cells["family_name"].value) == ("s", '=HYPERLINK("http://x","y")')
    with zipfile.ZipFile(result.folder / WORKBOOK) as zf:
        assert not any(b"<f" in zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))


# -- refused, confirmed, audited ---------------------------------------------------------------------------------


def test_without_confirmation_nothing_is_written(demo_db, admin, out):
    with pytest.raises(NeedsConfirmation, match="protected health information") as caught:
        service(demo_db).export(admin, out, xlsx=True)
    assert caught.value.field == "confirm"
    assert list(out.iterdir()) == [] and audits(demo_db) == []


@pytest.mark.parametrize("role", [Role.PARENT_PARTNER, Role.PATIENT_PARTNER])
def test_partners_are_refused(demo_db, out, role):
    partner = Actor(member_id=None, name="Jordan Mockridge", role=role)
    with pytest.raises(PermissionDenied):
        service(demo_db).export(partner, out, xlsx=True, confirm_patient_data=True)
    assert list(out.iterdir()) == [] and audits(demo_db) == []


def test_the_export_is_audited_without_patient_data(demo_db, admin, out):
    result = service(demo_db).export(admin, out, xlsx=True, confirm_patient_data=True)
    ((by, detail),) = audits(demo_db)
    assert by == admin.name
    assert "patients 30, visits " in detail and f"; to {result.folder.name}; xlsx: yes" in detail
    with demo_db.read() as s:
        identifiers = [x for p in s.scalars(select(Patient)) for x in (p.mrn, p.given_name, p.family_name)]
    assert len(identifiers) == 90
    assert [x for x in identifiers if x in detail] == []


# -- where it goes -----------------------------------------------------------------------------------------------


def test_two_exports_in_the_same_second_go_to_their_own_folders(db, admin, out):
    register(db, admin, ADA)
    first = service(db).export(admin, out, confirm_patient_data=True)
    before = {p.name: p.read_bytes() for p in first.folder.iterdir()}
    second = service(db).export(admin, out, xlsx=True, confirm_patient_data=True)
    assert second.folder.name == first.folder.name + "-2"
    assert {p.name: p.read_bytes() for p in first.folder.iterdir()} == before
    assert (second.folder / WORKBOOK).is_file() and not (first.folder / WORKBOOK).exists()
    assert len(audits(db)) == 2


def test_a_missing_folder_or_a_file_is_refused(db, admin, out):
    with pytest.raises(NotFound, match="no folder"):
        service(db).export(admin, out / "missing", confirm_patient_data=True)
    file = out / "a-file.csv"
    file.write_text("x")
    with pytest.raises(ValidationError, match="not a folder") as caught:
        service(db).export(admin, file, confirm_patient_data=True)
    assert caught.value.field == "folder"
    assert [p.name for p in out.iterdir()] == ["a-file.csv"] and file.read_text() == "x"
    assert audits(db) == []


def test_cancelling_removes_what_was_written(demo_db, admin, out):
    token = CancelToken()
    seen: list[int] = []

    def progress(done, total, label):
        seen.append(done)
        token.cancel()

    scratch = set(Path(tempfile.gettempdir()).glob("openpyxl.*"))  # where openpyxl streams unsaved sheets
    with pytest.raises(Cancelled):
        service(demo_db).export(admin, out, xlsx=True, confirm_patient_data=True, progress=progress,
                                cancel=token)  # fmt: skip
    assert seen == [1]
    assert list(out.iterdir()) == [] and audits(demo_db) == []
    assert set(Path(tempfile.gettempdir()).glob("openpyxl.*")) <= scratch


def test_a_write_error_removes_what_was_written(db, admin, out, monkeypatch):
    register(db, admin, ADA)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(center_export.csv, "writer", disk_full)
    with pytest.raises(LhnError, match="could not be written to .*No space left on device") as caught:
        service(db).export(admin, out, confirm_patient_data=True)
    assert not isinstance(caught.value, NotFound | ValidationError)
    assert "Testwood" not in str(caught.value) and "0012345" not in str(caught.value)
    assert list(out.iterdir()) == [] and audits(db) == []


def test_a_failed_rename_removes_the_workbook_too(db, admin, out, monkeypatch):
    register(db, admin, ADA)
    monkeypatch.setattr(Path, "replace", lambda self, target: (_ for _ in ()).throw(PermissionError(13, "denied")))
    with pytest.raises(LhnError, match="could not be written"):
        service(db).export(admin, out, xlsx=True, confirm_patient_data=True)
    assert list(out.iterdir()) == [] and audits(db) == []


# -- entered in error ------------------------------------------------------------------------------------------------


def test_entries_in_error_are_exported_marked_and_their_corrections_listed(db, admin, out):
    pid = register(db, admin, ADA, ValueInput("WEIGHT", "34.5"), ValueInput("HEIGHT", "140"),
                   starts=(MedicationStart("azathioprine", "50 mg daily"),))  # fmt: skip
    with db.read() as s:
        weight = s.scalar(select(Observation.id).where(Observation.patient_id == pid, Observation.code == "WEIGHT"))
        medicine = s.scalar(select(Medication.id).where(Medication.patient_id == pid))
    corrections = CorrectionService(db, today=lambda: TODAY)
    corrections.mark_entered_in_error(admin, "observation", weight, "typed in the wrong chart")
    corrections.mark_entered_in_error(admin, "medication", medicine, "never started")

    result = service(db).export(admin, out, xlsx=True, confirm_patient_data=True)
    observations = {r["code"]: r for r in read_csv(result.folder / "observations.csv")}
    assert observations["WEIGHT"]["entered_in_error"] == "TRUE"
    assert observations["HEIGHT"]["entered_in_error"] == "FALSE"
    (medication,) = read_csv(result.folder / "medications.csv")
    assert (medication["drug"], medication["entered_in_error"]) == ("azathioprine", "TRUE")
    (growth,) = read_csv(result.folder / "growth.csv")
    assert (growth["weight_kg"], growth["height_cm"], growth["bmi"]) == ("", "140", "")
    listed = {(r["mrn"], r["record"], r["field"], r["action"], r["old_value"], r["new_value"], r["reason"])
              for r in read_csv(result.folder / "corrections.csv")}  # fmt: skip
    assert listed == {
        ("0012345", "observation", "entered_in_error", "entered_in_error", "no", "yes", "typed in the wrong chart"),
        ("0012345", "medication", "entered_in_error", "entered_in_error", "no", "yes", "never started"),
    }
    (medicine_cells,) = sheet_rows(result.folder / WORKBOOK, "medications")
    assert medicine_cells["entered_in_error"].value is True
    assert result.rows["corrections"] == 2
