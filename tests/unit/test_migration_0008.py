"""Migration 0008 (continuous measures, a center's own thresholds) upgrades a 0007 center in place, losing nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lhn_desktop.app import AppContext
from tests.conftest import DEMO_TODAY
from tests.unit.test_migration_0003 import downgrade_file


def test_a_0007_center_keeps_its_monthly_values_and_gains_continuous_measures(demo_path: Path) -> None:
    downgrade_file(demo_path, "0007")
    with sqlite3.connect(demo_path) as raw:
        columns = {r[1] for r in raw.execute("PRAGMA table_info(measure_value)")}
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        before = raw.execute("SELECT id, numerator, denominator, source FROM measure_value ORDER BY id").fetchall()
    assert "value" not in columns and "measure_setting" not in tables and len(before) > 100
    ctx = AppContext.open(str(demo_path), full_check=False, today=lambda: DEMO_TODAY)
    try:
        with sqlite3.connect(demo_path) as raw:
            after = raw.execute("SELECT id, numerator, denominator, source FROM measure_value ORDER BY id").fetchall()
            values = raw.execute("SELECT count(*) FROM measure_value WHERE value IS NOT NULL").fetchone()[0]
        assert after == before and values == 0  # the counts stay as they were; no measure had a value before
        ctx.measures.install_library(ctx.actor)
        assert ctx.measures.get("cf_fev1_median").unit == "FEV1 % predicted"
        ctx.measures.set_threshold(ctx.actor, "satisfactory_growth", "height_z", -1.5, "the network's rule")
        assert ctx.measures.thresholds("satisfactory_growth")[0].value == -1.5
    finally:
        ctx.close()
