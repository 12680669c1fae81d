"""Migration 0003 adds the export log to a 0002 database, keeping its data."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, func, select

from lhn_desktop.models.sync import SyncExportLog
from lhn_desktop.store import versions as stored
from lhn_desktop.store.database import Database
from lhn_desktop.store.migrate import _config


def downgrade_file(path: Path, revision: str) -> None:
    """Take a center database back to an older schema revision with the migrations' own downgrades."""
    _migrate_file(path, revision, down=True)


def upgrade_file(path: Path, revision: str) -> None:
    """Take a center database up to a schema revision short of the head with the migrations."""
    _migrate_file(path, revision, down=False)


def _migrate_file(path: Path, revision: str, *, down: bool) -> None:
    migrate_url(f"sqlite:///{path}", revision, down=down)


def migrate_url(url: str, revision: str, *, down: bool) -> None:
    """Take the database at ``url`` (a file or a server) down or up to a schema revision with the migrations."""
    from alembic import command

    engine = create_engine(url)
    try:
        (command.downgrade if down else command.upgrade)(_config(engine), revision)
    finally:
        engine.dispose()


def test_a_0002_database_gets_the_export_log(center_path: Path, tmp_path: Path):
    downgrade_file(center_path, "0002")
    import sqlite3

    with sqlite3.connect(center_path) as raw:
        versions = raw.execute("SELECT count(*) FROM sync_value").fetchone()[0]
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "sync_export_log" not in tables
    db = Database.open(center_path, tmp_path / "backups")
    try:
        with db.read() as s:
            assert s.scalar(select(func.count()).select_from(SyncExportLog)) == 0
            assert stored.count(s) == versions > 0
    finally:
        db.close()
