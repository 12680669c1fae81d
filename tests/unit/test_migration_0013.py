"""Migration 0013 (the stored field versions one row per record, packed) keeps every version exactly: a center taken
back to 0012 holds in ``sync_value`` what the packed rows held, and upgrading again packs the same versions, on
SQLite and on PostgreSQL; the file is compacted after the upgrade."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, text

from lhn_desktop.access import Actor
from lhn_desktop.models.improvement import ImprovementGoal
from lhn_desktop.models.planning import AgendaItem
from lhn_desktop.services.center import init_center_database
from lhn_desktop.store import versions
from lhn_desktop.store.database import Database
from tests.unit.test_migration_0003 import migrate_url

ADMIN = Actor.workstation()
_COLUMNS = "entity, record_id, owner, field, node, dot, hlc, vv_json, value_json"


def _packed(url_or_path: str | Path) -> list[tuple]:
    db = Database.open(url_or_path, Path(str(url_or_path)).parent / "backups")
    try:
        with db.read() as s:
            return sorted(tuple(row) for row in versions.scan(s))
    finally:
        db.close()


def _migrate(url: str, revision: str) -> list[tuple]:
    """Take the database to ``revision`` with the migrations (down or up); at 0012, return ``sync_value``."""
    migrate_url(url, revision, down=revision == "0012")
    if revision != "0012":
        return []
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return sorted(tuple(r) for r in conn.execute(text(f"SELECT {_COLUMNS} FROM sync_value")))
    finally:
        engine.dispose()


def test_a_center_goes_back_to_one_row_per_version_and_up_again_unchanged(demo_path: Path) -> None:
    db = Database.open(demo_path, demo_path.parent / "backups")
    try:  # a concurrent edit from another workstation: siblings, and a version vector naming two workstations
        with db.write(ADMIN) as s:
            goal = s.query(ImprovementGoal).first()
            assert goal is not None
            conn = s.connection()
            held = versions.read(conn, "improvement_goal", [goal.id])[goal.id]
            mine = held.fields["title"][0]
            vv_json = versions.stored_vv("ws-elsewhere", 7, {mine.node: mine.dot, "ws-elsewhere": 7})
            other = versions.Version("title", "ws-elsewhere", 7, "1790000000000-00003", vv_json, '"Fewer missed labs"')
            versions.write(conn, "improvement_goal", [versions.Change(goal.id, held.owner, held, added=[other])])
    finally:
        db.close()
    packed = _packed(demo_path)
    assert len(packed) > 10_000 and any(row[7] is not None for row in packed)
    as_rows = _migrate(f"sqlite:///{demo_path}", "0012")
    assert as_rows == packed
    with sqlite3.connect(demo_path) as raw:
        tables = {name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"sync_record", "sync_name"}.isdisjoint(tables) and "sync_value" in tables
        before = raw.execute("PRAGMA page_count").fetchone()[0]
    assert _packed(demo_path) == packed  # opening upgrades (and compacts) the file
    with sqlite3.connect(demo_path) as raw:
        tables = {name for (name,) in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert "sync_value" not in tables
        assert raw.execute("PRAGMA freelist_count").fetchone()[0] == 0
        assert raw.execute("PRAGMA page_count").fetchone()[0] < before / 2
        counted = raw.execute("SELECT sum(versions), count(*) FROM sync_record").fetchone()
    assert counted == (len(packed), len({(row[0], row[1]) for row in packed}))


def test_the_deleted_marks_survive_the_round_trip(demo_path: Path) -> None:
    """The record-level mark the Sync page reads (a stored delete) is made from the versions by the migration."""
    db = Database.open(demo_path, demo_path.parent / "backups")
    try:
        with db.write(ADMIN) as s:
            item = s.query(AgendaItem).first()  # nothing refers to an agenda item
            assert item is not None
            gone = item.id
            s.delete(item)
        with db.read() as s:
            marked = versions.deleted(s, "agenda_item", [gone])
            counts = versions.record_counts(s)
    finally:
        db.close()
    assert marked == {gone}
    _migrate(f"sqlite:///{demo_path}", "0012")
    db = Database.open(demo_path, demo_path.parent / "backups")
    try:
        with db.read() as s:
            assert versions.deleted(s, "agenda_item", [gone]) == {gone}
            assert versions.record_counts(s) == counts
    finally:
        db.close()


def test_the_round_trip_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    init_center_database(pg_url, tmp_path / "backups", "ncc", "ImproveCareNow", network="ICN", actor=ADMIN,
                         encrypt=False, network_center=True)  # fmt: skip
    db = Database.open(pg_url, tmp_path / "backups")
    try:
        with db.write(ADMIN) as s:
            goal = s.query(ImprovementGoal).first()
            if goal is None:
                from datetime import date

                s.add(ImprovementGoal(title="Model care", aim="Raise model care to 85% by June",
                                      start_date=date(2026, 3, 1), end_date=date(2026, 5, 30)))  # fmt: skip
        with db.read() as s:
            packed = sorted(tuple(row) for row in versions.scan(s))
    finally:
        db.close()
    assert packed
    assert _migrate(pg_url, "0012") == packed
    _migrate(pg_url, "head")
    db = Database.open(pg_url, tmp_path / "backups")
    try:
        with db.read() as s:
            assert sorted(tuple(row) for row in versions.scan(s)) == packed
    finally:
        db.close()
