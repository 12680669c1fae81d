"""Migration 0014 (each record says its sole writer and that writer's newest dot) works out from the packed versions
exactly what the program writes, on SQLite and on PostgreSQL; going back to 0013 leaves the table as 0013 made it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import create_engine, text

from lhn_desktop.access import Actor
from lhn_desktop.models.improvement import ImprovementGoal
from lhn_desktop.services.center import init_center_database
from lhn_desktop.store import versions
from lhn_desktop.store.database import Database
from tests.unit.test_migration_0003 import migrate_url

ADMIN = Actor.workstation()
_MARKS = "SELECT entity, record_id, sole_writer, sole_dot FROM sync_record ORDER BY entity, record_id"


def _edit_twice_and_elsewhere(url_or_path: str | Path, backups: Path) -> tuple[str, str]:
    """One improvement goal's aim edited again here (one workstation, two dots); another's title also written by
    another workstation (two write it). Their ids."""
    from datetime import date

    db = Database.open(url_or_path, backups)
    try:
        with db.write(ADMIN) as s:
            goals = s.query(ImprovementGoal).order_by(ImprovementGoal.id).limit(2).all()
            while len(goals) < 2:
                goals.append(ImprovementGoal(title="Model care", aim="Raise model care to 85% by June",
                                             start_date=date(2026, 3, 1), end_date=date(2026, 5, 30)))  # fmt: skip
                s.add(goals[-1])
            s.flush()
            again, shared = goals[0].id, goals[1].id
        with db.write(ADMIN) as s:
            s.get(ImprovementGoal, again).aim = "Raise model care to 90% by June"
        with db.write(ADMIN) as s:
            conn = s.connection()
            held = versions.read(conn, "improvement_goal", [shared])[shared]
            mine = held.fields["title"][0]
            vv_json = versions.stored_vv("ws-elsewhere", 7, {mine.node: mine.dot, "ws-elsewhere": 7})
            other = versions.Version("title", "ws-elsewhere", 7, "1790000000000-00003", vv_json, '"Fewer missed labs"')
            versions.write(conn, "improvement_goal", [versions.Change(shared, held.owner, held, added=[other])])
        with db.read() as s:
            dots = {
                v.dot for sibs in versions.read(s, "improvement_goal", [again])[again].fields.values() for v in sibs
            }
        assert len(dots) == 2  # the control: one writer, two dots
        return again, shared
    finally:
        db.close()


def _marks(url: str) -> list[tuple]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(_MARKS))]
    finally:
        engine.dispose()


def _check_round_trip(url: str, goals: tuple[str, str]) -> None:
    written = _marks(url)  # as the program wrote them
    again, shared = goals
    assert ("improvement_goal", shared, None, None) in written  # two workstations wrote it
    (_, _, _, newest), *_ = [row for row in written if row[1] == again]
    assert newest is not None
    assert sum(writer is not None for _, _, writer, _ in written) >= len(written) - 1
    migrate_url(url, "0013", down=True)
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            columns = list(conn.execute(text("SELECT * FROM sync_record LIMIT 1")).keys())
    finally:
        engine.dispose()
    assert "sole_writer" not in columns and "sole_dot" not in columns
    migrate_url(url, "head", down=False)
    assert _marks(url) == written  # worked out by the migration from the packed numbers


def test_the_marks_the_migration_works_out_are_those_the_program_writes(demo_path: Path) -> None:
    goals = _edit_twice_and_elsewhere(demo_path, demo_path.parent / "backups")
    _check_round_trip(f"sqlite:///{demo_path}", goals)
    with sqlite3.connect(demo_path) as raw:  # still keyed by its primary key alone, as 0013 made it
        (sql,) = raw.execute("SELECT sql FROM sqlite_master WHERE name = 'sync_record'").fetchone()
    assert "WITHOUT ROWID" in sql.upper()


def test_the_round_trip_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    init_center_database(pg_url, tmp_path / "backups", "ncc", "ImproveCareNow", network="ICN", actor=ADMIN,
                         encrypt=False, network_center=True)  # fmt: skip
    _check_round_trip(pg_url, _edit_twice_and_elsewhere(pg_url, tmp_path / "backups"))
