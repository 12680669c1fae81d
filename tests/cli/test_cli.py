"""The command-line contract of DESIGN.md section 5: output, ``--json`` and exit codes."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from lhn_desktop import __version__
from lhn_desktop.cli import main
from lhn_desktop.store import cipher
from tests.unit.test_huddle_sheet import pages


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.strip() == f"lhn-desktop {__version__}"


def test_version_from_the_installed_command() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lhn_desktop", "--version"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"lhn-desktop {__version__}"


def test_init_then_team_then_check(capsys, lhn_home: Path) -> None:
    code, out, _ = run(capsys, "init", "--site", "ctr-042", "--name", "Riverside IBD", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["site_code"] == "ctr-042"
    assert Path(info["db_path"]) == lhn_home / "data" / "center.sqlite3"
    assert len(info["key_id"]) == 16

    code, out, _ = run(capsys, "team", "add", "--name", "Dr. Robin Sample", "--role", "physician")
    assert code == 0
    assert "Added Dr. Robin Sample (Physician)" in out
    code, out, _ = run(capsys, "team", "list", "--json")
    assert [m["display_name"] for m in json.loads(out)] == ["Dr. Robin Sample"]

    code, out, _ = run(capsys, "db", "check", "--json")
    assert code == 0
    report = json.loads(out)
    assert report["ok"] is True
    assert report["settings"] == {"busy_timeout": 5000, "foreign_keys": 1, "journal_mode": "wal", "synchronous": 2}

    code, out, _ = run(capsys, "db", "check")
    assert "Integrity: ok" in out


def test_init_refuses_bad_input_and_existing_database(capsys, lhn_home: Path) -> None:
    code, _, err = run(capsys, "init", "--site", "Bad Code!", "--name", "X")
    assert code == 2
    assert "cannot be used" in err
    assert not (lhn_home / "data" / "center.sqlite3").exists()
    assert run(capsys, "init", "--site", "ctr-042", "--name", "X")[0] == 0
    code, _, err = run(capsys, "init", "--site", "ctr-043", "--name", "Y")
    assert code == 2
    assert "already exists" in err


def test_missing_arguments_exit_2(capsys) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["init", "--site", "ctr-042"])
    assert exit_info.value.code == 2


def test_wrong_db_path_says_what_is_wrong(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "db", "check", "--db", str(tmp_path / "nope.sqlite3"))
    assert code == 2
    assert "There is no center database at" in err
    code, _, err = run(capsys, "db", "check", "--db", str(tmp_path / "missing-folder" / "c.sqlite3"))
    assert code == 2
    assert "does not exist" in err
    code, _, err = run(capsys, "team", "list", "--db", "//server/share/center.sqlite3")
    assert code == 2
    assert "network share" in err
    code, _, err = run(capsys, "db", "check", "--db", str(tmp_path))
    assert code == 2
    assert "is a folder" in err


def test_db_backup_and_restore(capsys, center_path: Path, lhn_home: Path, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "db", "backup", "--json")
    assert code == 0
    first = json.loads(out)
    assert Path(first["path"]).parent == lhn_home / "data" / "backups"
    target = tmp_path / "usb" / "copy.sqlite3"
    code, out, _ = run(capsys, "db", "backup", "--out", str(target))
    assert code == 0
    assert target.exists()
    code, _, err = run(capsys, "db", "backup", "--out", str(target))
    assert code == 2
    assert "never overwrites" in err

    # damage the database: check fails (exit 1) and names the latest backup; restore keeps the damaged file
    data = bytearray(center_path.read_bytes())
    data[0:16] = b"not a database!!"
    center_path.write_bytes(bytes(data))
    code, out, _ = run(capsys, "db", "check")
    assert code == 1
    assert "Latest backup" in out
    code, out, err = run(capsys, "team", "list")
    assert code == 1
    assert "damaged" in err
    assert "lhn-desktop db restore" in err
    code, out, _ = run(capsys, "db", "restore", "--json")
    assert code == 0
    result = json.loads(out)
    assert Path(result["damaged_kept_as"]).read_bytes()[:16] == b"not a database!!"
    assert run(capsys, "db", "check")[0] == 0


def test_db_upgrade_is_a_no_op_at_head_and_refuses_newer(capsys, center_path: Path) -> None:
    code, out, _ = run(capsys, "db", "upgrade", "--json")
    assert code == 0
    assert json.loads(out)["changed"] is False
    conn = sqlite3.connect(center_path)
    conn.execute("UPDATE alembic_version SET version_num = 'ffff'")
    conn.commit()
    conn.close()
    code, _, err = run(capsys, "db", "upgrade")
    assert code == 1
    assert "Update the program" in err


def test_demo_builds_and_refuses_to_replace_a_real_center(capsys, lhn_home: Path, tmp_path: Path) -> None:
    target = tmp_path / "demo.sqlite3"
    code, out, _ = run(
        capsys, "demo", "--patients", "6", "--seed", "3", "--today", "2026-03-02", "--db", str(target), "--json"
    )
    assert code == 0
    summary = json.loads(out)["summary"]
    assert summary["patients"] == 6
    code, _, err = run(capsys, "demo", "--patients", "6", "--db", str(target))
    assert code == 2
    assert "--replace" in err
    assert run(capsys, "demo", "--patients", "6", "--db", str(target), "--replace")[0] == 0

    real = tmp_path / "real.sqlite3"
    assert run(capsys, "init", "--site", "ctr-042", "--name", "Real", "--db", str(real))[0] == 0
    code, _, err = run(capsys, "demo", "--patients", "6", "--db", str(real), "--replace")
    assert code == 2
    assert "real center" in err
    code, _, err = run(capsys, "demo", "--patients", "0")
    assert code == 2
    code, _, err = run(capsys, "demo", "--today", "yesterday")
    assert code == 2
    assert "YYYY-MM-DD" in err


def test_demo_default_location_and_determinism(capsys, lhn_home: Path) -> None:
    args = ("demo", "--patients", "5", "--seed", "11", "--today", "2026-03-02", "--json")
    code, out, _ = run(capsys, *args)
    assert code == 0
    path = Path(json.loads(out)["path"])
    assert path == lhn_home / "data" / "demo-center.sqlite3"
    assert cipher.is_encrypted(path)  # as a real center's database is
    conn = cipher.connect(path)  # its key, kept on this workstation
    first = conn.execute("SELECT id, mrn, given_name, birth_date FROM patient ORDER BY id").fetchall()
    conn.close()
    assert run(capsys, *args, "--replace")[0] == 0  # rebuilt under the same key
    conn = cipher.connect(path)
    second = conn.execute("SELECT id, mrn, given_name, birth_date FROM patient ORDER BY id").fetchall()
    conn.close()
    assert first == second


def test_unwritable_data_folder(capsys, lhn_home: Path) -> None:
    lhn_home.mkdir(parents=True, exist_ok=True)
    (lhn_home / "data").write_text("a file where the data folder should be")
    code, _, err = run(capsys, "team", "list")
    assert code == 1
    assert "cannot write its database" in err


def test_json_errors_are_json_too(capsys, tmp_path: Path) -> None:
    code, out, err = run(capsys, "db", "check", "--db", str(tmp_path / "nope.sqlite3"), "--json")
    assert code == 2
    assert json.loads(out) == {"error": err.strip().removeprefix("lhn-desktop: "), "exit_code": 2}


def test_upgrade_of_a_file_that_is_not_a_database(capsys, tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database at all")
    code, _, err = run(capsys, "db", "upgrade", "--db", str(junk))
    assert code == 1
    assert "damaged" in err
    assert "Traceback" not in err


def test_unexpected_errors_point_to_the_log(capsys, monkeypatch, center_path: Path) -> None:
    import lhn_desktop.services.maintenance as maintenance

    def boom(*_a, **_k):
        raise RuntimeError("internal detail")

    monkeypatch.setattr(maintenance, "check_database", boom)
    code, _, err = run(capsys, "db", "check")
    assert code == 1
    assert "log file" in err
    assert "internal detail" not in err


def test_db_check_on_a_backup_changes_nothing(capsys, center_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "b.sqlite3"
    assert run(capsys, "db", "backup", "--out", str(target))[0] == 0
    before = target.read_bytes()
    code, out, _ = run(capsys, "db", "check", "--db", str(target))
    assert code == 0
    assert "a backup copy; it was not changed" in out
    assert target.read_bytes() == before


def test_huddle_text_and_json(capsys, demo_path: Path) -> None:
    from tests.conftest import DEMO_TODAY

    day = None
    for offset in range(1, 8):
        candidate = DEMO_TODAY.toordinal() + offset
        code, out, _ = run(capsys, "huddle", "--date", date_from(candidate), "--db", str(demo_path), "--json")
        assert code == 0
        data = json.loads(out)
        if data["patients"]:
            day = data
            break
    assert day is not None
    first = day["patients"][0]
    assert {"time", "patient_name", "mrn", "flags", "checklist", "agenda", "plan_status"} <= set(first)
    assert all({"code", "title", "status", "reason", "due_on"} == set(i) for i in first["checklist"])
    code, out, _ = run(capsys, "huddle", "--date", day["date"], "--db", str(demo_path))
    assert code == 0 and out.startswith("Huddle ") and first["patient_name"] in out
    code, _, err = run(capsys, "huddle", "--date", "03/03/2026", "--db", str(demo_path))
    assert code == 2 and "YYYY-MM-DD" in err
    today = date.today()
    code, out, _ = run(capsys, "huddle", "--db", str(demo_path), "--json")  # no date: today's clinic
    assert code == 0 and json.loads(out)["date"] in (today.isoformat(), date.today().isoformat())


def date_from(ordinal: int) -> str:
    from datetime import date

    return date.fromordinal(ordinal).isoformat()


def test_huddle_pdf_has_a_summary_page_and_one_page_per_patient(capsys, demo_path: Path, tmp_path: Path) -> None:
    from tests.conftest import DEMO_TODAY

    for offset in range(1, 8):
        day = date_from(DEMO_TODAY.toordinal() + offset)
        code, out, _ = run(capsys, "huddle", "--date", day, "--db", str(demo_path), "--json")
        patients = len(json.loads(out)["patients"])
        if patients:
            break
    sheet = tmp_path / "huddle.pdf"
    code, out, _ = run(capsys, "huddle", "--date", day, "--db", str(demo_path), "--pdf", str(sheet))
    said = f"{patients} patient" + ("s" if patients != 1 else "")
    assert code == 0 and f"Wrote the huddle sheet for {said} to " in out
    from fpdf.fpdf import FPDF  # noqa: F401 (the writer is installed)

    assert sheet.read_bytes()[:4] == b"%PDF"
    assert 2 <= pages(sheet) <= 1 + math.ceil(patients / 2)  # a summary page, then about two patients a page
    code, _, err = run(capsys, "huddle", "--date", day, "--db", str(demo_path), "--pdf", str(tmp_path / "x.doc"))
    assert code == 2 and ".pdf" in err
