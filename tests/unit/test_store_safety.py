"""Safety of backups, restores, locks and change capture around the edges."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from lhn_desktop.access import Actor
from lhn_desktop.errors import Cancelled, DatabaseLocked, ValidationError
from lhn_desktop.models.patients import Patient
from lhn_desktop.models.team import TeamMember
from lhn_desktop.progress import CancelToken
from lhn_desktop.services.center import init_center_database
from lhn_desktop.services.maintenance import backup_database, restore_backup
from lhn_desktop.store.backup import backup_name, list_backups, prune_backups
from lhn_desktop.store.database import Database
from lhn_desktop.store.lock import DatabaseLock


def _patient(mrn: str, family: str) -> Patient:
    return Patient(mrn=mrn, given_name="Sentinel", family_name=family, birth_date=date(2012, 5, 1), sex="female")


def test_database_errors_never_carry_patient_values(db: Database, admin: Actor) -> None:
    with db.write(admin) as s:
        s.add(_patient("MRN-777", "Realname"))
    with pytest.raises(IntegrityError) as info, db.write(admin) as s:
        s.add(_patient("MRN-777", "Realname"))
    text = str(info.value)
    assert "UNIQUE" in text
    assert "MRN-777" not in text
    assert "Realname" not in text


def test_cancelled_backup_leaves_no_part_file(db: Database) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        backup_database(db, cancel=token)
    assert list(db.backups_dir.glob("*.part")) == []
    assert list_backups(db.backups_dir, db.path) == []


def test_backups_belong_to_exactly_one_database(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    ibd, ibd_test, other = tmp_path / "ibd.sqlite3", tmp_path / "ibd-test.sqlite3", tmp_path / "x" / "ibd.sqlite3"
    for db_path in (ibd, ibd_test, other, ibd, ibd_test, ibd):
        (folder / backup_name(db_path)).write_bytes(b"")
    assert len(list_backups(folder, ibd)) == 3
    assert len(list_backups(folder, ibd_test)) == 2
    assert len(list_backups(folder, other)) == 1
    prune_backups(folder, ibd, 1)
    assert len(list_backups(folder, ibd)) == 1
    assert len(list_backups(folder, ibd_test)) == 2
    prune_backups(folder, ibd, 0)  # at least one backup is always kept
    assert len(list_backups(folder, ibd)) == 1


def test_demo_site_code_is_reserved(tmp_path: Path, admin: Actor) -> None:
    with pytest.raises(ValidationError, match="reserved for the demo center"):
        init_center_database(
            tmp_path / "c.sqlite3", tmp_path / "b", "demo-ibd", "Real center", network=None, actor=admin
        )


def test_lock_holds_through_a_link(center_path: Path, tmp_path: Path) -> None:
    link = tmp_path / "link.sqlite3"
    os.symlink(center_path, link)
    with DatabaseLock(center_path), pytest.raises(DatabaseLocked):
        DatabaseLock(link).acquire()


def test_restore_refuses_while_a_window_has_the_database(db: Database, center_path: Path) -> None:
    backup_database(db)
    with DatabaseLock(center_path), pytest.raises(DatabaseLocked):
        restore_backup(center_path, db.backups_dir, force=True)


def test_restore_checks_everything_before_moving_anything(
    db: Database, center_path: Path, tmp_path: Path, admin: Actor
) -> None:
    backups = db.backups_dir
    backup = Path(backup_database(db).path)
    db.close()
    before = center_path.read_bytes()

    with pytest.raises(ValidationError, match="not damaged"):
        restore_backup(center_path, backups)
    with pytest.raises(ValidationError, match="database itself"):
        restore_backup(center_path, backups, source=center_path, force=True)
    foreign = tmp_path / "foreign.sqlite3"
    import sqlite3

    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    with pytest.raises(ValidationError, match="not a backup of an LHN Desktop center"):
        restore_backup(center_path, backups, source=foreign, force=True)
    other = tmp_path / "other" / "c.sqlite3"
    init_center_database(other, tmp_path / "ob", "ctr-999", "Other center", network=None, actor=admin)
    with pytest.raises(ValidationError, match="belongs to center ctr-999"):
        restore_backup(center_path, backups, source=other, force=True)
    assert center_path.read_bytes() == before  # nothing moved
    assert sorted(p.name for p in center_path.parent.iterdir() if "center.sqlite3." in p.name) == [
        "center.sqlite3.lock"
    ]

    first = restore_backup(center_path, backups, source=backup, force=True)
    second = restore_backup(center_path, backups, source=backup, force=True)
    assert first.damaged_kept_as != second.damaged_kept_as  # two restores in a row never overwrite each other
    assert Path(first.damaged_kept_as).read_bytes() == before
    assert ".before-restore-" in first.damaged_kept_as
    reopened = Database.open(center_path, backups)
    try:
        assert reopened.local_node().node_id == second.new_node_id
    finally:
        reopened.close()


def test_bulk_orm_writes_of_syncable_records_are_refused(db: Database, admin: Actor) -> None:
    with db.write(admin) as s:
        s.add(TeamMember(display_name="Bulk Test", role="nurse"))
    with pytest.raises(RuntimeError, match="bypasses change capture"), db.write(admin) as s:
        s.execute(update(TeamMember).values(active=False))
    with pytest.raises(RuntimeError, match="read session cannot write"), db.read() as s:
        s.execute(update(TeamMember).values(active=False))
    with db.read() as s:
        assert all(m.active for m in s.query(TeamMember))
