"""Commands open the database without the whole-file check (it grows with the center; the window runs it in the
background, `db check` on demand); a damaged page a command meets is still reported as a damaged database, with
the backup to restore, never as an unexpected error."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lhn_desktop.store import database as database_module
from tests.cli.test_cli import run


def test_a_command_does_not_check_the_whole_file(capsys, demo_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(database_module, "integrity_problems", lambda *a, **k: pytest.fail("whole-file check run"))
    code, out, _ = run(capsys, "patient", "list", "--db", str(demo_path), "--json")
    assert code == 0 and out.startswith("[")


def test_a_damaged_page_met_by_a_command_is_reported_as_a_damaged_database(capsys, demo_path: Path) -> None:
    with sqlite3.connect(demo_path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'patient'").fetchone()[0]
    with open(demo_path, "r+b") as handle:  # the patient table's first page, overwritten with noise
        handle.seek((root - 1) * page_size)
        handle.write(bytes((n * 37 + 11) % 256 for n in range(page_size)))
    code, _, err = run(capsys, "patient", "list", "--db", str(demo_path))
    assert code == 1
    assert "is damaged and cannot be opened safely" in err and "unexpected error" not in err
