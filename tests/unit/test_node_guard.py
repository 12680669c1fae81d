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


def identity(path: Path) -> tuple[str, str, str | None]:
    ctx = AppContext.open(str(path), full_check=False)
    try:
        node = ctx.db.local_node()
        return node.node_id, node.key_id, node.machine
    finally:
        ctx.close()


def test_a_database_copied_to_another_computer_gets_a_new_id_and_key(center_path, lhn_home, tmp_path, monkeypatch):
    from lhn_desktop.services import node_guard

    this_computer = node_guard.machine_digest

    node, key, machine = identity(center_path)  # first opened here: it belongs to this computer
    assert machine is not None and len(machine) == 64
    assert identity(center_path) == (node, key, machine)
    copy = tmp_path / "usb" / "center.sqlite3"  # carried to another computer (its own user settings, too)
    copy.parent.mkdir()
    shutil.copy(center_path, copy)
    monkeypatch.setenv("LHN_DESKTOP_HOME", str(tmp_path / "other-home"))
    monkeypatch.setattr(node_guard, "machine_digest", lambda _config: "b" * 64)
    ctx = AppContext.open(str(copy), full_check=False)
    try:
        renewed = ctx.db.local_node()
        assert (renewed.node_id, renewed.machine) != (node, machine) and renewed.machine == "b" * 64
        assert renewed.key_id != key
        assert ctx.identity_notice and "copy of another computer" in ctx.identity_notice
        with ctx.db.write(ADMIN) as s:  # what is written there is written by the copy's own workstation id
            s.add(ImprovementGoal(title="Copy", aim="Aim", start_date=date(2026, 3, 1), end_date=date(2026, 5, 30)))
    finally:
        ctx.close()
    assert identity(copy)[:2] == (renewed.node_id, renewed.key_id)  # reopened there: stays as it is now
    monkeypatch.setenv("LHN_DESKTOP_HOME", str(lhn_home))  # back on the first computer
    monkeypatch.setattr(node_guard, "machine_digest", this_computer)
    assert identity(center_path) == (node, key, machine)  # the original is untouched


def test_a_database_from_before_the_check_belongs_to_the_computer_that_opens_it(center_path: Path):
    import sqlite3

    with sqlite3.connect(center_path) as conn:
        conn.execute("UPDATE local_node SET machine = NULL")
        before = conn.execute("SELECT node_id, key_id FROM local_node").fetchone()
    conn.close()
    node, key, machine = identity(center_path)
    assert (node, key) == before and machine is not None


def test_a_copy_on_this_computer_gets_a_new_key_and_a_put_back_file_keeps_its_key(center_path: Path, tmp_path):
    node, key, _ = identity(center_path)
    copy = tmp_path / "elsewhere" / "center.sqlite3"
    copy.parent.mkdir()
    shutil.copy(center_path, copy)
    assert identity(copy)[1] != key
    assert identity(center_path)[:2] == (node, key)


def test_the_computer_digest_is_stable_and_never_the_raw_id(tmp_path, monkeypatch):
    from lhn_desktop.store import machine

    first = machine.machine_digest(tmp_path / "config")
    assert first == machine.machine_digest(tmp_path / "another-user")  # the system's id: the same for every user
    raw = machine._system_id()
    assert raw is None or raw not in first
    monkeypatch.setattr(machine, "_system_id", lambda: None)  # a system that keeps no id: this user's own
    own = machine.machine_digest(tmp_path / "config")
    assert own == machine.machine_digest(tmp_path / "config") != first
    assert (tmp_path / "config" / "machine-id").stat().st_mode & 0o077 == 0
    assert machine.machine_digest(tmp_path / "another-user") != own
