"""Migration 0011 (lean sync storage) upgrades a 0010 center in place: every field version reads the same, the
primary key is the table, trivial version vectors are not stored, and the file is compacted."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy.orm import Session

from lhn_desktop.app import AppContext
from lhn_desktop.store import versions
from lhn_desktop.store.engine import create_db_engine
from lhn_desktop.store.versions import vv_text
from tests.conftest import DEMO_TODAY
from tests.unit.test_migration_0003 import downgrade_file, upgrade_file


def _versions(path: Path) -> list[tuple]:
    """Every version as the table of a 0010 center holds it, the version vector in full."""
    with sqlite3.connect(path) as raw:
        rows = raw.execute(
            "SELECT entity, record_id, field, node, dot, hlc, vv_json, value_json, owner FROM sync_value"
        )
        return sorted((e, r, f, n, d, h, vv_text(n, d, vv), v, o) for e, r, f, n, d, h, vv, v, o in rows)


def _stored(path: Path) -> list[tuple]:
    """Every version as the store reads it now (``versions.scan``), in the shape of :func:`_versions`, and the
    version vector as stored."""
    engine = create_db_engine(path)
    try:
        with Session(engine) as s:
            rows = list(versions.scan(s))
    finally:
        engine.dispose()
    return sorted((e, r, f, n, d, h, vv_text(n, d, vv), v, o, vv) for e, r, o, f, n, d, h, vv, v in rows)


def _pages(path: Path) -> int:
    """The pages the database uses (its size as SQLite counts it, whatever is still in the write-ahead log)."""
    with sqlite3.connect(path) as raw:
        return raw.execute("PRAGMA page_count").fetchone()[0] - raw.execute("PRAGMA freelist_count").fetchone()[0]


def test_a_0010_center_keeps_every_version_in_less_space(demo_path: Path) -> None:
    downgrade_file(demo_path, "0010")
    with sqlite3.connect(demo_path) as raw:
        raw.execute("VACUUM")
        assert raw.execute("SELECT count(*) FROM sync_value WHERE vv_json IS NULL").fetchone() == (0,)
    before, size = _versions(demo_path), _pages(demo_path)
    upgrade_file(demo_path, "0011")  # the layout this revision made (0013 packs the versions one row a record)
    with sqlite3.connect(demo_path) as raw:
        table = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'sync_value'").fetchone()[0]
        indexes = [r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE tbl_name = 'sync_value' AND "
                                             "type = 'index'")]  # fmt: skip
        trivial = raw.execute("SELECT count(*) FROM sync_value WHERE vv_json IS NULL").fetchone()[0]
    assert "WITHOUT ROWID" in table
    assert indexes == ["ix_sync_value_deleted"]  # no second copy of the key
    assert trivial > 0.9 * len(before)  # the demo's versions are nearly all first writes
    ctx = AppContext.open(str(demo_path), full_check=False, today=lambda: DEMO_TODAY)
    try:
        assert ctx.sync.preview(ctx.actor, "network").counts  # the store reads as before
    finally:
        ctx.close()
    after = _stored(demo_path)
    assert [version[:-1] for version in after] == before
    nulls, total = sum(version[-1] is None for version in after), len(after)
    assert nulls == trivial and total == len(before)
    assert _pages(demo_path) < 0.75 * size
