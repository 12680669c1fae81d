"""Migration 0010 (delta bundles) upgrades a 0009 center in place: it knows nothing of other workstations yet, so its
first bundle carries everything, and the Sync page finds stored deletes through the new index."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lhn_desktop.app import AppContext
from lhn_desktop.store import versions as stored
from tests.conftest import DEMO_TODAY
from tests.unit.test_migration_0003 import downgrade_file


def test_a_0009_center_starts_with_no_knowledge_and_sends_everything_first(demo_path: Path) -> None:
    downgrade_file(demo_path, "0009")
    with sqlite3.connect(demo_path) as raw:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        versions = raw.execute("SELECT count(*) FROM sync_value").fetchone()
    assert "sync_known" not in tables and "sync_peer" not in tables
    ctx = AppContext.open(str(demo_path), full_check=False, today=lambda: DEMO_TODAY)
    try:
        preview = ctx.sync.preview(ctx.actor, "network")
        assert not preview.delta  # nobody heard from: everything
        with ctx.db.read() as s:
            assert (stored.count(s),) == versions
        with sqlite3.connect(demo_path) as raw:
            assert raw.execute("SELECT count(*) FROM sync_known").fetchone() == (0,)
            assert raw.execute("SELECT count(*) FROM sync_peer").fetchone() == (0,)
    finally:
        ctx.close()
