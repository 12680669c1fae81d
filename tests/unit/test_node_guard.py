"""A database copy gets its own workstation id, so two databases never hand out the same dot."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

from lhn_desktop.access import Actor
from lhn_desktop.app import AppContext
from lhn_desktop.models.improvement import ImprovementGoal
from lhn_desktop.services.node_guard import note_sent

ADMIN = Actor.workstation()


def node_of(path: Path) -> str:
    ctx = AppContext.open(str(path), full_check=False)
    try:
        return ctx.db.local_node().node_id
    finally:
        ctx.close()


def test_reopening_keeps_the_id_and_a_copy_gets_a_new_one(center_path: Path, tmp_path: Path):
    first = node_of(center_path)
    assert node_of(center_path) == first
    copy = tmp_path / "elsewhere" / "center.sqlite3"
    copy.parent.mkdir()
    shutil.copy(center_path, copy)
    second = node_of(copy)
    assert second != first
    assert node_of(copy) == second and node_of(center_path) == first


def test_a_file_put_back_from_before_a_sent_bundle_gets_a_new_id(center_path: Path, tmp_path: Path):
    first = node_of(center_path)
    old = tmp_path / "old.sqlite3"
    shutil.copy(center_path, old)
    ctx = AppContext.open(str(center_path), full_check=False)
    try:
        with ctx.db.write(ADMIN) as s:
            aim = "Raise model care to 85% by June"
            s.add(ImprovementGoal(title="Model care", aim=aim, start_date=date(2026, 3, 1), end_date=date(2026, 5, 30)))
        note_sent(ctx.db, ctx.dirs.config)  # those dots have left in a bundle
    finally:
        ctx.close()
    shutil.copy(old, center_path)
    for suffix in ("-wal", "-shm"):
        Path(str(center_path) + suffix).unlink(missing_ok=True)
    assert node_of(center_path) != first
