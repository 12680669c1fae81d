"""The store: connection settings, safe opening, locks, backups, migrations."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from lhn_desktop.access import Actor
from lhn_desktop.errors import (
    CorruptDatabase,
    DatabaseError,
    DatabaseLocked,
    NetworkShareRefused,
    NewerDatabase,
    NotFound,
)
from lhn_desktop.services.maintenance import backup_database, check_database, restore_backup, upgrade_database
from lhn_desktop.store.backup import integrity_problems, list_backups
from lhn_desktop.store.database import Database
from lhn_desktop.store.engine import REQUIRED_PRAGMAS, read_pragmas
from lhn_desktop.store.location import check_database_path, check_not_network_share, filesystem_type
from lhn_desktop.store.lock import DatabaseLock
from lhn_desktop.store.migrate import SCHEMA_HEAD, script_head


def test_every_connection_reads_back_the_required_settings(db: Database) -> None:
    assert read_pragmas(db.engine) == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": 5000}
    # also on a connection used by a write session
    with db.write(Actor.workstation()) as s:
        conn = s.connection()
        for name, expected in REQUIRED_PRAGMAS.items():
            assert conn.execute(text(f"PRAGMA {name}")).scalar() == expected


def test_foreign_keys_are_enforced_at_commit(db: Database, admin) -> None:
    from lhn_desktop.models.patients import Visit

    with pytest.raises(Exception, match="FOREIGN KEY"), db.write(admin) as s:
        from datetime import date

        s.add(Visit(patient_id="no-such-patient", visit_date=date(2026, 1, 5)))


def test_schema_head_constant_matches_alembic() -> None:
    assert script_head() == SCHEMA_HEAD


def test_migrations_match_the_models(db: Database) -> None:
    """Autogenerate finds no difference between the migrated schema and the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from lhn_desktop.models import Base

    with db.engine.connect() as conn:
        from lhn_desktop.store.migrate import include_name

        context = MigrationContext.configure(conn, opts={"render_as_batch": True, "include_name": include_name})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_second_window_gets_a_clear_lock_message(center_path: Path) -> None:
    first = DatabaseLock(center_path)
    first.acquire()
    try:
        with pytest.raises(DatabaseLocked, match="already open in another LHN Desktop window"):
            DatabaseLock(center_path).acquire()
    finally:
        first.release()
    second = DatabaseLock(center_path)
    second.acquire()  # free again once the first window closed
    second.release()


@pytest.mark.parametrize("raw", ["//fileserver/clinic/center.sqlite3", "\\\\fileserver\\clinic\\center.sqlite3"])
def test_unc_paths_are_refused(raw: str) -> None:
    with pytest.raises(NetworkShareRefused, match="network share") as info:
        check_database_path(raw, must_exist=False)
    assert "this computer's own disk" in info.value.message


@pytest.mark.parametrize("fstype", ["nfs4", "cifs", "smb3", "fuse.sshfs"])
def test_network_filesystems_are_refused(fstype: str) -> None:
    mounts = [("/", "ext4"), ("/mnt/share", fstype), ("/mnt/share2", "ext4")]
    assert filesystem_type(Path("/mnt/share/qi/center.sqlite3"), mounts) == fstype
    with pytest.raises(NetworkShareRefused, match=fstype):
        check_not_network_share(Path("/mnt/share/qi/center.sqlite3"), mounts=mounts)
    check_not_network_share(Path("/mnt/share2/center.sqlite3"), mounts=mounts)  # a local disk is fine
    check_not_network_share(Path("/home/nurse/center.sqlite3"), mounts=mounts)


def test_wrong_db_paths_say_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="There is no center database at"):
        check_database_path(tmp_path / "missing.sqlite3", must_exist=True)
    with pytest.raises(NotFound, match="does not exist"):
        check_database_path(tmp_path / "no-folder" / "x.sqlite3", must_exist=True)
    with pytest.raises(Exception, match="is a folder, not a database file"):
        check_database_path(tmp_path, must_exist=True)
    not_db = tmp_path / "notes.sqlite3"
    not_db.write_text("shopping list")
    with pytest.raises(CorruptDatabase, match="damaged"):
        Database.open(not_db, tmp_path / "backups")


@pytest.mark.skipif(os.geteuid() == 0 if hasattr(os, "geteuid") else True, reason="root can write anywhere")
def test_unwritable_folder_gets_a_clear_message(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(DatabaseError, match="cannot write in the folder"):
            check_database_path(folder / "center.sqlite3", must_exist=False)
    finally:
        folder.chmod(0o700)


def test_unwritable_data_folder_message_without_root(tmp_path: Path, monkeypatch) -> None:
    """The same check, independent of the user running the tests: access() says no."""
    monkeypatch.setattr(os, "access", lambda *_a, **_k: False)
    with pytest.raises(DatabaseError, match="cannot write in the folder"):
        check_database_path(tmp_path / "center.sqlite3", must_exist=False)


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for offset in range(4096, min(len(data), 4096 * 6)):
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))


def test_a_read_only_database_is_refused_at_open_not_at_the_first_save(center_path: Path, monkeypatch) -> None:
    """A file SQLite could open only read-only (permissions, a read-only drive): said when opening."""
    from lhn_desktop.app import AppContext

    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **k: False if Path(p) == center_path else real(p, mode, **k))
    before = center_path.read_bytes()
    with pytest.raises(DatabaseError, match="is read-only .* Copy it to a folder you can write to"):
        AppContext.open(str(center_path))
    assert center_path.read_bytes() == before


def test_corrupt_database_offers_latest_backup_and_overwrites_nothing(
    db: Database, center_path: Path, lhn_home: Path
) -> None:
    backup = backup_database(db)
    db.close()
    _corrupt(center_path)
    damaged = center_path.read_bytes()
    with pytest.raises(CorruptDatabase) as info:
        Database.open(center_path, lhn_home / "data" / "backups")
    assert info.value.latest_backup == backup.path
    assert Path(backup.path).name in info.value.message
    assert center_path.read_bytes() == damaged  # opening changed nothing
    report = check_database(center_path, lhn_home / "data" / "backups")
    assert not report.ok and report.problems and report.latest_backup == backup.path

    result = restore_backup(center_path, lhn_home / "data" / "backups")
    assert Path(result.damaged_kept_as).read_bytes() == damaged  # the damaged file is kept, renamed
    assert integrity_problems(center_path) == []
    reopened = Database.open(center_path, lhn_home / "data" / "backups")
    try:
        assert reopened.local_node().node_id == result.new_node_id  # restore rotates the node id
    finally:
        reopened.close()


def test_corrupt_database_without_backup_says_so(center_path: Path, lhn_home: Path) -> None:
    _corrupt(center_path)
    with pytest.raises(CorruptDatabase, match="No backup of it was found") as info:
        Database.open(center_path, lhn_home / "data" / "backups")
    assert info.value.latest_backup is None


def test_newer_database_is_refused_and_left_unchanged(center_path: Path, lhn_home: Path) -> None:
    conn = sqlite3.connect(center_path)
    conn.execute("UPDATE alembic_version SET version_num = '9999_future'")
    conn.commit()
    conn.close()
    before = center_path.read_bytes()
    with pytest.raises(NewerDatabase, match="newer version of LHN Desktop. Update the program"):
        Database.open(center_path, lhn_home / "data" / "backups")
    with pytest.raises(NewerDatabase):
        upgrade_database(center_path, lhn_home / "data" / "backups")
    assert center_path.read_bytes() == before
    assert list_backups(lhn_home / "data" / "backups", center_path) == []


def test_older_database_is_backed_up_then_upgraded(center_path: Path, lhn_home: Path) -> None:
    """A database at no revision (as before the first migration) is backed up online first."""
    from lhn_desktop.store.engine import create_db_engine
    from lhn_desktop.store.migrate import upgrade_to_head

    fresh = center_path.with_name("old.sqlite3")
    engine = create_db_engine(fresh)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
    engine.dispose()
    # an empty alembic_version (revision None) with the table present: upgrade creates the schema
    result = upgrade_database(fresh, lhn_home / "data" / "backups")
    assert result.changed and result.to_revision == SCHEMA_HEAD
    assert len(list_backups(lhn_home / "data" / "backups", fresh)) == 1
    engine = create_db_engine(fresh)
    upgrade_to_head(engine)  # idempotent
    engine.dispose()


def test_backup_is_online_checked_and_pruned(db: Database, lhn_home: Path, admin) -> None:
    from lhn_desktop.services.team import TeamService

    results = [backup_database(db, keep=3) for _ in range(5)]
    kept = list_backups(db.backups_dir, db.path)
    assert len(kept) == 3 and str(kept[0]) == results[-1].path
    TeamService(db).add_member(admin, "After the backup", "nurse")
    for path in kept:
        assert integrity_problems(path) == []
        conn = sqlite3.connect(path)
        names = {r[0] for r in conn.execute("SELECT display_name FROM team_member")}
        conn.close()
        assert "After the backup" not in names  # a snapshot of the moment it was taken
        assert "Dr. Robin Sample" in names
    out = backup_database(db, out=lhn_home / "usb" / "copy.sqlite3")
    assert Path(out.path).exists()
    with pytest.raises(Exception, match="never overwrites"):
        backup_database(db, out=Path(out.path))


def test_db_check_reports_settings_and_schema(db: Database, lhn_home: Path) -> None:
    report = check_database(db.path, db.backups_dir)
    assert report.ok, report.problems
    assert report.settings["journal_mode"] == "wal" and report.settings["synchronous"] == 2
    assert report.schema_revision == SCHEMA_HEAD
