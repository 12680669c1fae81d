"""Migration 0012 (the center each workstation writes for) upgrades a 0011 center in place: every workstation with
stored versions is noted with the center of its versions, and a later write or import keeps the notes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lhn_desktop.app import AppContext
from lhn_desktop.services.registry import PatientInput
from tests.conftest import DEMO_TODAY
from tests.unit.test_migration_0003 import downgrade_file


def _writers(path: Path) -> dict[str, str]:
    with sqlite3.connect(path) as raw:
        return dict(raw.execute("SELECT node_id, site FROM sync_writer").fetchall())


def test_a_0011_center_notes_each_workstation_and_its_center(demo_path: Path) -> None:
    downgrade_file(demo_path, "0011")
    with sqlite3.connect(demo_path) as raw:
        assert raw.execute("SELECT count(*) FROM sqlite_master WHERE name = 'sync_writer'").fetchone() == (0,)
        stored = dict(raw.execute("SELECT node, MIN(owner) FROM sync_value GROUP BY node").fetchall())
        site = raw.execute("SELECT site_code FROM local_node").fetchone()[0]
    assert stored and set(stored.values()) == {site}
    ctx = AppContext.open(str(demo_path), full_check=False, today=lambda: DEMO_TODAY)
    try:
        assert _writers(demo_path) == stored
        born = DEMO_TODAY.replace(year=2014)
        ctx.registry.add(ctx.actor, PatientInput("MRN-0012-1", "Ada", "Okafor", born, "female"))
    finally:
        ctx.close()
    assert _writers(demo_path) == stored  # the same workstation wrote again: one note, unchanged
