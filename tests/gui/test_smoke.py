"""``lhn-desktop --smoke``: the real program opens, visits every page and exits 0."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _run(args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LHN_DESKTOP_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [sys.executable, "-m", "lhn_desktop", *args], capture_output=True, text=True, env=env, timeout=120
    )


def test_smoke_run_on_the_demo_center(demo_path: Path, lhn_home: Path, tmp_path: Path) -> None:
    result = _run(["--db", str(demo_path), "--smoke", "--screenshots", str(tmp_path / "shots")], lhn_home)
    assert result.returncode == 0, result.stderr
    assert "SMOKE OK pages=7" in result.stdout
    assert "Traceback" not in result.stderr
    assert len(list((tmp_path / "shots").glob("*.png"))) == 7
    _assert_log_holds_no_patient_data(demo_path, lhn_home)


def _assert_log_holds_no_patient_data(db_path: Path, home: Path) -> None:
    import sqlite3

    log = (home / "logs" / "lhn-desktop.log").read_text(encoding="utf-8")
    conn = sqlite3.connect(db_path)
    try:
        patients = conn.execute(
            "SELECT mrn, given_name || ' ' || family_name, family_name, phone FROM patient"
        ).fetchall()
    finally:
        conn.close()
    for mrn, full_name, family, phone in patients:
        assert mrn not in log
        assert full_name not in log
        assert family not in log
        assert phone not in log


def test_smoke_without_a_database_explains_and_fails(lhn_home: Path) -> None:
    result = _run(["--smoke"], lhn_home)
    assert result.returncode == 1
    assert "lhn-desktop demo" in result.stderr


def test_second_window_is_refused_with_a_message(demo_path: Path, lhn_home: Path) -> None:
    from lhn_desktop.store.lock import DatabaseLock

    with DatabaseLock(demo_path):
        result = _run(["--db", str(demo_path), "--smoke"], lhn_home)
    assert result.returncode == 1
    assert "already open in another LHN Desktop window" in result.stderr


def test_newer_database_is_refused_in_the_window(demo_path: Path, lhn_home: Path) -> None:
    import sqlite3

    conn = sqlite3.connect(demo_path)
    conn.execute("UPDATE alembic_version SET version_num = 'zzzz'")
    conn.commit()
    conn.close()
    result = _run(["--db", str(demo_path), "--smoke"], lhn_home)
    assert result.returncode == 1
    assert "Update the program" in result.stderr
