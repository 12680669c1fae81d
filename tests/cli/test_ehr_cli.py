"""``lhn-desktop ehr export --fhir`` and ``ehr import``: the demo center out, into a new center, and bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lhn_desktop.services.center import init_center_database
from lhn_desktop.store.database import Database
from tests.cli.test_cli import run


@pytest.fixture
def demo(capsys, lhn_home: Path) -> Path:
    path = lhn_home / "demo.sqlite3"
    code, _, err = run(capsys, "demo", "--patients", "12", "--db", str(path), "--json")
    assert code == 0, err
    return path


@pytest.fixture
def new_center(lhn_home: Path) -> Path:
    from lhn_desktop.access import Actor

    path = lhn_home / "new.sqlite3"
    init_center_database(path, lhn_home / "backups", "ctr-7", "Lakeside IBD", network="ImproveCareNow",
                         actor=Actor.workstation())  # fmt: skip
    return path


def export(capsys, db: Path, out: Path) -> Path:
    out.mkdir(exist_ok=True)
    code, stdout, err = run(capsys, "ehr", "export", "--fhir", str(out), "--yes", "--db", str(db), "--json")
    assert code == 0, err
    return Path(json.loads(stdout)["folder"])


def test_export_preview_then_import(capsys, demo, new_center, tmp_path):
    folder = export(capsys, demo, tmp_path / "out")
    code, out, _ = run(capsys, "ehr", "import", str(folder), "--db", str(new_center), "--json")
    preview = json.loads(out)
    assert code == 0 and not preview["applied"] and preview["counts"]["patients"]["new"] == 12
    code, out, _ = run(capsys, "ehr", "import", str(folder), "--db", str(new_center))
    assert "Preview (nothing written)" in out and "--apply" in out
    code, out, _ = run(capsys, "ehr", "import", str(folder), "--apply", "--db", str(new_center), "--json")
    applied = json.loads(out)
    assert code == 0 and applied["applied"] and applied["counts"] == preview["counts"]
    code, out, _ = run(capsys, "patient", "list", "--db", str(new_center), "--json")
    assert len(json.loads(out)) == 12
    code, out, _ = run(capsys, "ehr", "import", str(folder), "--apply", "--db", str(new_center), "--json")
    again = json.loads(out)
    assert all(c["new"] == c["changed"] == 0 for c in again["counts"].values())


def test_a_bad_file_exits_2_naming_file_and_line(capsys, new_center, tmp_path):
    bad = tmp_path / "labs.ndjson"
    bad.write_text('{"resourceType": "Basic", "id": "b1", "code": {"text": "x"}}\n{"resourceType": "Obs\n')
    code, out, err = run(capsys, "ehr", "import", str(bad), "--apply", "--db", str(new_center))
    assert code == 2
    assert "lhn-desktop: labs.ndjson line 2: not valid JSON" in err and "Nothing was written" in out


def test_the_export_needs_yes_off_a_terminal(capsys, demo, tmp_path):
    (tmp_path / "out").mkdir()
    code, _, err = run(capsys, "ehr", "export", "--fhir", str(tmp_path / "out"), "--db", str(demo))
    assert code == 2 and "--yes" in err
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.slow
def test_the_300_patient_demo_center_round_trips(capsys, lhn_home, new_center, tmp_path):
    """The acceptance round trip: every patient, visit, observation, medicine and event, compared by content."""
    from tests.unit.test_ehr import content

    demo = lhn_home / "demo300.sqlite3"
    code, _, err = run(capsys, "demo", "--patients", "300", "--db", str(demo), "--json")
    assert code == 0, err
    folder = export(capsys, demo, tmp_path / "out")
    code, out, err = run(capsys, "ehr", "import", str(folder), "--apply", "--db", str(new_center), "--json")
    assert code == 0, err
    source, target = (Database.open(p, lhn_home / "b") for p in (demo, new_center))
    try:
        assert content(target) == content(source)
    finally:
        source.close()
        target.close()
    code, out, _ = run(capsys, "ehr", "import", str(folder), "--apply", "--db", str(new_center), "--json")
    assert all(c["new"] == c["changed"] == 0 for c in json.loads(out)["counts"].values())


def test_a_csv_report_with_its_columns_named_once(capsys, new_center, tmp_path):
    report = tmp_path / "patients.csv"
    report.write_text("Chart No,Given,Surname,Born,Sex\n000123,Ada,Testwood,2012-06-01,F\n", encoding="utf-8")
    argv = ["ehr", "import", str(report), "--db", str(new_center), "--apply"]
    code, _, err = run(capsys, *argv, "--kind", "patients", "--source", "Clinic list")
    assert code == 2 and "--map: Say which column holds: MRN, Birth date." in err  # "Chart No", "Born": not guessed
    code, out, _ = run(capsys, *argv, "--kind", "patients", "--source", "Clinic list", "--map", "mrn=Chart No",
                       "--map", "birth_date=Born")  # fmt: skip
    assert code == 0 and "Imported: 1 rows read" in out and "mrn = 'Chart No'" in out
    code, out, _ = run(capsys, *argv, "--source", "Clinic list", "--json")  # the saved mapping: nothing to say again
    assert code == 0 and json.loads(out)["counts"]["patients"]["unchanged"] == 1
    code, _, err = run(capsys, *argv, "--source", "Clinic list", "--map", "mrn")
    assert code == 2 and "--map: Write --map as FIELD=COLUMN" in err


def test_a_schedule_of_unknown_patients_is_not_called_already_imported(capsys, new_center, tmp_path):
    schedule = tmp_path / "clinic.csv"
    schedule.write_text("Date,Time,MRN,Provider\n2026-03-03,08:30,000123,Dr. Robin Sample\n", encoding="utf-8")
    code, out, _ = run(capsys, "schedule", "import", str(schedule), "--apply", "--db", str(new_center))
    assert code == 0 and "already on the schedule" not in out
    assert "1 record names a patient who is not in LHN Desktop: import the patients first" in out
    assert "Imported: 1 rows read" not in out and "Nothing to import" not in out  # not "already there": unknown
    assert "  visits: 0 new, 0 changed, 0 unchanged, 1 left out" in out and "observations:" not in out


def test_a_schedule_with_terminal_escapes_never_prints_them_raw(capsys, new_center, tmp_path):
    schedule = tmp_path / "clinic.csv"
    schedule.write_text("Date,Time,MRN,Provider\x1b[2J,Status\n"
                        "2026-03-03,08:30,000123,\x1b]0;owned\x07Dr. Sample,Arrived\x1b[31m\n"
                        "2026-03-04,25:00,000124\x1b[1m,Dr. Sample,Booked\n", encoding="utf-8")  # fmt: skip
    code, out, err = run(capsys, "schedule", "import", str(schedule), "--map", "clinician=Provider\x1b[2J", "--db",
                         str(new_center))  # fmt: skip
    assert code == 2 and "clinic.csv line 3: Time: not a time of day" in err
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "'Provider\\x1b[2J'" in out  # the column's name shown escaped
