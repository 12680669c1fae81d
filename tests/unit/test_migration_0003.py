"""Migration 0003 adds the export log to a 0002 database, keeping its data."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import func, select

from lhn_desktop.models.sync import SyncExportLog, SyncValue
from lhn_desktop.store.database import Database


def test_a_0002_database_gets_the_export_log(center_path: Path, tmp_path: Path):
    with sqlite3.connect(center_path) as raw:
        versions = raw.execute("SELECT count(*) FROM sync_value").fetchone()[0]
        raw.execute("DROP TABLE sync_export_log")
        raw.execute("UPDATE alembic_version SET version_num = '0002'")
    db = Database.open(center_path, tmp_path / "backups")
    try:
        with db.read() as s:
            assert s.scalar(select(func.count()).select_from(SyncExportLog)) == 0
            assert s.scalar(select(func.count()).select_from(SyncValue)) == versions > 0
    finally:
        db.close()
