"""Migration 0005 (the computer a database belongs to) upgrades a 0004 database in place, keeping its identity."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lhn_desktop.app import AppContext
from tests.unit.test_migration_0003 import downgrade_file


def test_a_0004_center_keeps_its_workstation_id_and_key_and_belongs_to_the_computer_that_opens_it(
    center_path: Path,
) -> None:
    downgrade_file(center_path, "0004")
    with sqlite3.connect(center_path) as raw:
        columns = {r[1] for r in raw.execute("PRAGMA table_info(local_node)")}
        before = raw.execute("SELECT node_id, key_id, public_key FROM local_node").fetchone()
    assert "machine" not in columns
    ctx = AppContext.open(str(center_path), full_check=False)
    try:
        node = ctx.db.local_node()
        assert (node.node_id, node.key_id, node.public_key) == before
        assert node.machine is not None and ctx.identity_notice is None
    finally:
        ctx.close()
