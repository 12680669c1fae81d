"""Database care: check, backup, restore, upgrade. Works on paths, since a damaged file cannot be opened."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.errors import CorruptDatabase, DatabaseError, NotFound, ValidationError
from lhn_desktop.progress import CancelToken, ProgressSink, no_progress
from lhn_desktop.services.words import center as words
from lhn_desktop.store import cipher, custody
from lhn_desktop.store.backup import (
    backup_name,
    integrity_problems,
    list_backups,
    online_backup,
    prune_backups,
    read_site_code,
)
from lhn_desktop.store.custody import PASSPHRASE_MIN, check_passphrase  # noqa: F401  (for the front ends)
from lhn_desktop.store.database import Database, corrupt_message
from lhn_desktop.store.engine import read_pragmas
from lhn_desktop.store.location import check_database_path
from lhn_desktop.store.lock import DatabaseLock
from lhn_desktop.store.migrate import SCHEMA_HEAD, current_revision

# Encryption at rest, for the command line and the window: turning it on, a new key, unlocking with the recovery
# key or the center passphrase, and setting that passphrase (lhn_desktop/store/rekey.py says how each works).
from lhn_desktop.store.rekey import KeyChange, change_key, set_passphrase, unlock  # noqa: F401

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Protection:
    """How the open database is protected at rest, in the words the window shows."""

    encrypted: bool
    kept_in: str | None  # where this workstation keeps its key ("the key file ...", a credential store's name)
    recovery_key: bool  # a recovery key, shown once at set-up or at the last new key, can unlock it
    passphrase: bool  # the center passphrase can unlock it


@dataclass(frozen=True, slots=True)
class CheckReport:
    path: str
    ok: bool
    problems: tuple[str, ...]
    size_bytes: int
    schema_revision: str | None
    schema_expected: str
    settings: dict[str, object]
    latest_backup: str | None


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: str
    size_bytes: int
    seconds: float
    pruned: int


@dataclass(frozen=True, slots=True)
class RestoreResult:
    restored_from: str
    damaged_kept_as: str | None
    new_node_id: str


def check_database(raw_path: str | Path, backups_dir: Path) -> CheckReport:
    """Full integrity and foreign-key check, plus the connection settings and schema revision."""
    path = check_database_path(raw_path, must_exist=True)
    problems = integrity_problems(path)
    backups = list_backups(backups_dir, path)
    settings: dict[str, object] = {}
    revision = None
    if not problems:
        journal_mode = _journal_mode(path)
        if journal_mode == "wal":
            # a live center database: open it as the program does and read the settings back
            from lhn_desktop.store.engine import create_db_engine

            engine = create_db_engine(path)
            try:
                settings = read_pragmas(engine)
                revision = current_revision(engine)
            finally:
                engine.dispose()
        else:
            # a backup copy (or a database never opened by the program): look, change nothing
            settings = {"journal_mode": journal_mode}
            revision = _revision_read_only(path)
        if revision != SCHEMA_HEAD:
            problems.append(words.schema_mismatch(revision, SCHEMA_HEAD))
    return CheckReport(
        path=str(path),
        ok=not problems,
        problems=tuple(problems),
        size_bytes=path.stat().st_size,
        schema_revision=revision,
        schema_expected=SCHEMA_HEAD,
        settings=settings,
        latest_backup=str(backups[0]) if backups else None,
    )


def backup_database(
    db: Database,
    *,
    out: Path | None = None,
    keep: int = 10,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
) -> BackupResult:
    """An online backup to ``out`` or to the backups folder (where old automatic ones are pruned)."""
    if db.on_server:
        raise ValidationError(SERVER_BACKUP)
    start = time.perf_counter()
    if out is not None:
        out = Path(out).expanduser().absolute()
        if out.is_dir():
            out = out / backup_name(db.path)
        if out.exists():
            raise ValidationError(f"{out} already exists. Choose a new file name; a backup never overwrites a file.")
        if out.resolve() == db.path.resolve():
            raise ValidationError("The backup cannot be written over the database itself. Choose another file.")
        target = out
    else:
        target = db.backups_dir / backup_name(db.path)

    def _pages(done: int, total: int) -> None:
        if cancel is not None:
            cancel.raise_if_cancelled()
        progress(done, total, "Backing up the center database")

    online_backup(db.path, target, progress=_pages)
    pruned = prune_backups(db.backups_dir, db.path, keep) if out is None else []
    return BackupResult(str(target), target.stat().st_size, time.perf_counter() - start, len(pruned))


def newest_backup_age_hours(db_path: Path, backups_dir: Path) -> float | None:
    backups = list_backups(backups_dir, db_path)
    if not backups:
        return None
    return (time.time() - backups[0].stat().st_mtime) / 3600


def restore_backup(
    raw_path: str | Path, backups_dir: Path, *, source: Path | None = None, force: bool = False
) -> RestoreResult:
    """Put a backup in place of a damaged (or missing) database, overwriting nothing.

    Everything is checked before anything moves: no window has the database open, the backup is a
    healthy LHN Desktop center database of the same center, and it is not the database itself. The
    backup is copied beside the database and given a new sync node id (SYNC.md 1.1: writes made
    after the backup may already have travelled under the old id, and reusing its dots would
    collide); only then is the old file renamed aside (``.damaged-<time>``, or
    ``.before-restore-<time>`` for a healthy one replaced with ``force``) and the copy moved in.
    """
    path = check_database_path(raw_path, must_exist=False)
    with DatabaseLock(path):
        if source is None:
            backups = list_backups(backups_dir, path)
            if not backups:
                raise NotFound(f"No backup of {path.name} was found in {backups_dir}. Give one with --from FILE.")
            source = backups[0]
        source = Path(source).expanduser().absolute()
        if not source.is_file():
            raise NotFound(f"The backup file {source} does not exist.")
        if path.exists() and source.resolve() == path.resolve():
            raise ValidationError("That file is the database itself, not a backup of it. Choose a backup file.")
        if path.exists():
            cipher.has_key(path)  # an encrypted database's key, which its backups share, at hand to read them
        problems = integrity_problems(source)
        if problems:
            raise DatabaseError(
                f"The backup {source.name} is itself damaged; choose an older one with --from FILE.",
                detail="; ".join(problems),
            )
        backup_site = read_site_code(source)
        if backup_site is None:
            raise ValidationError(f"{source.name} is not a backup of an LHN Desktop center database.")
        damaged = True
        if path.exists():
            damaged = bool(integrity_problems(path))
            if not damaged and not force:
                raise ValidationError(
                    f"The database {path.name} is not damaged, so it was left as it is. To replace it with the "
                    "backup anyway, add --force (the current file is kept beside it, renamed)."
                )
            current_site = read_site_code(path)
            if current_site is not None and current_site != backup_site:
                raise ValidationError(
                    f"The backup belongs to center {backup_site}, but this database is center {current_site}. "
                    "Choose a backup of this center."
                )
        staging = path.with_name(path.name + ".restoring")
        staging.unlink(missing_ok=True)
        online_backup(source, staging)
        try:
            new_node = _rotate_node(staging)
        except BaseException:
            staging.unlink(missing_ok=True)
            raise
        kept_as = None
        label = "damaged" if damaged else "before-restore"
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
        if path.exists():
            kept = _free_name(path.with_name(f"{path.name}.{label}-{stamp}"))
            os.replace(path, kept)
            kept_as = str(kept)
        for suffix in ("-wal", "-shm", "-journal"):
            side = path.with_name(path.name + suffix)
            if side.exists():
                os.replace(side, _free_name(path.with_name(f"{path.name}.{label}-{stamp}{suffix}")))
        os.replace(staging, path)
    logger.info("Database restored from backup %s", source.name)
    return RestoreResult(str(source), kept_as, new_node)


def _journal_mode(path: Path) -> str:
    conn = cipher.connect(path, read_only=True)
    try:
        return str(conn.execute("PRAGMA journal_mode").fetchone()[0])
    finally:
        conn.close()


def _revision_read_only(path: Path) -> str | None:
    conn = cipher.connect(path, read_only=True)
    try:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    except cipher.errors(TypeError):
        return None
    finally:
        conn.close()


def _free_name(candidate: Path) -> Path:
    """``candidate``, or with a counter added, so that renaming never replaces an existing file."""
    n = 1
    free = candidate
    while free.exists():
        free = candidate.with_name(f"{candidate.name}.{n}")
        n += 1
    return free


def _rotate_node(path: Path) -> str:
    new_node = str(uuid.uuid4())
    conn = cipher.connect(path)
    try:
        with conn:
            row = conn.execute("SELECT node_id FROM local_node").fetchone()
            if row is None:
                return ""
            conn.execute("UPDATE local_node SET node_id = ?", (new_node,))
            conn.execute(
                "INSERT INTO sync_node (node_id, next_dot, hlc_wall_ms, hlc_counter) "
                "SELECT ?, 1, hlc_wall_ms, hlc_counter FROM sync_node WHERE node_id = ?",
                (new_node, row[0]),
            )
    finally:
        conn.close()
    return new_node


@dataclass(frozen=True, slots=True)
class UpgradeResult:
    path: str
    from_revision: str | None
    to_revision: str
    changed: bool


def upgrade_database(raw_path: str | Path, backups_dir: Path) -> UpgradeResult:
    """Migrate a database to this program's schema, after an online backup (refuses newer databases)."""
    from lhn_desktop.store.engine import create_db_engine

    path = check_database_path(raw_path, must_exist=True)
    with DatabaseLock(path):
        problems = integrity_problems(path, quick=True)
        if problems:
            err = corrupt_message(path, backups_dir)
            err.detail = "; ".join(problems)
            raise err
        engine = create_db_engine(path)
        try:
            before = current_revision(engine)
        finally:
            engine.dispose()
        Database.open(path, backups_dir).close()
    return UpgradeResult(str(path), before, SCHEMA_HEAD, before != SCHEMA_HEAD)


#: what a file's backup and whole-file check become on a PostgreSQL server (decision 48)
SERVER_BACKUP = (
    "The coordinating center's database is on a PostgreSQL server, which LHN Desktop does not back up: the server's "
    "administrator backs it up with pg_dump or the server's own backups. Ask them, or run "
    "pg_dump --format=custom on the server."
)


def damage_report(db: Database) -> CorruptDatabase | None:
    """Run the whole-file check on an open database; the error to show if it found damage. A database on a server
    has no file to check: the server checks its own pages (data checksums) and reports damage itself."""
    if db.on_server:
        return None
    problems = integrity_problems(db.path, quick=True)
    if not problems:
        return None
    err = corrupt_message(db.path, db.backups_dir)
    err.detail = "; ".join(problems)
    return err


class MaintenanceService:
    """Backups and the whole-file check of the open database, for the window and the command line
    (``ctx.maintenance``); opening, upgrading and restoring a file work on a path and stay functions."""

    def __init__(self, db: Database, keep: Callable[[], int]) -> None:
        self.db = db
        self._keep = keep  # how many automatic backups the settings keep, read at each backup

    def backup(self, *, out: Path | None = None, progress: ProgressSink = no_progress,
               cancel: CancelToken | None = None) -> BackupResult:  # fmt: skip
        return backup_database(self.db, out=out, keep=self._keep(), progress=progress, cancel=cancel)

    def newest_backup_age_hours(self) -> float | None:
        if self.db.on_server:  # the server's backups are not in the backups folder
            return None
        return newest_backup_age_hours(self.db.path, self.db.backups_dir)

    def damage(self) -> CorruptDatabase | None:
        return damage_report(self.db)

    def protection(self) -> Protection:
        if not cipher.is_encrypted(self.db.path):
            return Protection(encrypted=False, kept_in=None, recovery_key=False, passphrase=False)
        under = custody.wrapped_under(self.db.path)
        return Protection(encrypted=True, kept_in=custody.where_kept(self.db.path), recovery_key="recovery" in under,
                          passphrase="passphrase" in under)  # fmt: skip

    def set_passphrase(self, actor: Actor, passphrase: str | None) -> Protection:
        """Set, change or (with ``None``) remove the center passphrase that can unlock this database. Only a team
        member who may see the patients may: the passphrase opens every record to whoever holds a copy."""
        require_patient_access(actor)
        set_passphrase(self.db.path, passphrase)
        logger.info("center passphrase %s", "set" if passphrase else "removed")
        return self.protection()
