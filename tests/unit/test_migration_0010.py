"""Migration 0010 (delta bundles) upgrades a 0009 center in place: it knows nothing of other workstations yet, so its
first bundle carries everything, and the Sync page finds stored deletes through the new index."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import event

from lhn_desktop.app import AppContext
from lhn_desktop.store import versions as stored
from lhn_desktop.store.database import Database
from tests.conftest import DEMO_TODAY
from tests.unit.test_migration_0003 import downgrade_file


def deletes_plans(db: Database) -> list[str]:
    """SQLite's plan for each statement by which the store finds the records it holds from their stored deletes
    (``versions.record_counts``: what the overview counts), as the program runs it."""
    statements: list[tuple[str, object]] = []

    def seen(_conn, _cursor, statement: str, parameters, *_args) -> None:
        statements.append((statement, parameters))

    with db.read() as s:
        conn = s.connection()
        event.listen(conn, "before_cursor_execute", seen)
        try:
            stored.record_counts(s)
        finally:
            event.remove(conn, "before_cursor_execute", seen)
        plans = [
            conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
            for statement, parameters in statements
        ]
    return [" ".join(str(step) for step in plan) for plan in plans]


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
        plans = deletes_plans(ctx.db)
        assert plans and all("USING INDEX" in p or "USING COVERING INDEX" in p for p in plans), plans
    finally:
        ctx.close()
