"""Migration 0004 (the clinical record) upgrades a 0003 database in place, keeping every record."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import select

from lhn_desktop.models.patients import Correction, Medication, Observation, Patient
from lhn_desktop.store.database import Database
from tests.unit.test_migration_0003 import downgrade_file


def test_a_0003_demo_center_keeps_its_patients_and_inactive_ones_stay_out(demo_path: Path, tmp_path: Path):
    downgrade_file(demo_path, "0003")
    with sqlite3.connect(demo_path) as raw:
        columns = {r[1] for r in raw.execute("PRAGMA table_info(patient)")}
        tables = ("patient", "observation", "medication", "sync_value")
        counts = {t: raw.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        inactive = raw.execute("SELECT count(*) FROM patient WHERE active = 0").fetchone()[0]
    assert "status" not in columns and inactive > 0
    db = Database.open(demo_path, tmp_path / "backups")
    try:
        with db.read() as s:
            patients = list(s.scalars(select(Patient)))
            assert len(patients) == counts["patient"]
            assert {p.status for p in patients if not p.active} == {"inactive"}
            assert {p.status for p in patients if p.active} == {"active"}
            assert all(p.status_date is None for p in patients)
            observations = list(s.scalars(select(Observation)))
            assert len(observations) == counts["observation"]
            assert not any(o.entered_in_error for o in observations)
            medications = list(s.scalars(select(Medication)))
            assert len(medications) == counts["medication"]
            assert all(m.visit_id is None and not m.entered_in_error for m in medications)
            assert s.scalars(select(Correction)).first() is None
    finally:
        db.close()
