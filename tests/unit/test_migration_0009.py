"""Migration 0009 (what the coordinating center sends back) upgrades a 0008 center in place."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lhn_desktop.app import AppContext
from tests.conftest import DEMO_TODAY
from tests.unit.test_migration_0003 import downgrade_file


def test_a_0008_center_is_not_named_in_the_network_until_it_chooses(demo_path: Path) -> None:
    downgrade_file(demo_path, "0008")
    with sqlite3.connect(demo_path) as raw:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        sites = raw.execute("SELECT code, name FROM site ORDER BY code").fetchall()
    assert "network_value" not in tables and "center_code" not in tables
    ctx = AppContext.open(str(demo_path), full_check=False, today=lambda: DEMO_TODAY)
    try:
        assert ctx.center().named_in_network is False
        assert ctx.set_named_in_network(True).named_in_network is True
        with sqlite3.connect(demo_path) as raw:
            assert raw.execute("SELECT code, name FROM site ORDER BY code").fetchall() == sites
            assert raw.execute("SELECT count(*) FROM network_value").fetchone() == (0,)
    finally:
        ctx.close()
