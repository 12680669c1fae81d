"""Online backups with SQLite's backup API, and integrity checks.

A backup is taken page by page from a live database (never a file copy, which can catch a
half-written transaction), then checked with ``PRAGMA integrity_check`` before it counts.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from lhn_desktop.errors import DatabaseError
from lhn_desktop.store import cipher, custody
from lhn_desktop.store.location import create_private_file

logger = logging.getLogger(__name__)

BACKUP_SUFFIX = ".sqlite3"
SQLITE_HEADER = b"SQLite format 3\x00"


def _prefix(db_path: Path) -> str:
    """Backups of one database file: its name plus a short tag of its folder, so that ``ibd`` and
    ``ibd-test``, or two ``center.sqlite3`` files in different folders, never share backups."""
    folder_tag = hashlib.sha256(str(db_path.absolute().resolve().parent).encode("utf-8")).hexdigest()[:6]
    return f"{db_path.stem}-{folder_tag}-"


def backup_name(db_path: Path, when: datetime | None = None) -> str:
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{_prefix(db_path)}{stamp}{BACKUP_SUFFIX}"


def header_problems(path: Path) -> list[str]:
    """A cheap first look: is this file readable and an SQLite database at all?"""
    try:
        with open(path, "rb") as fh:
            header = fh.read(len(SQLITE_HEADER))
    except OSError as exc:
        return [f"the file cannot be read: {exc.strerror or exc}"]
    if header != SQLITE_HEADER and not cipher.has_key(path):
        return [
            "the file is not an SQLite database (its header is damaged, it is another kind of file, or it is "
            "encrypted and its key was not found)"
        ]
    return []


def integrity_problems(path: Path, *, quick: bool = False) -> list[str]:
    """Problems SQLite finds in a database file (empty when it is healthy).

    Runs ``integrity_check`` (or ``quick_check``) and ``foreign_key_check``; a file that is not a
    database at all is reported as one problem rather than raised.
    """
    problems = header_problems(path)
    if problems:
        return problems
    try:
        conn = cipher.connect(path, read_only=True)
    except cipher.errors(DatabaseError) as exc:
        return [f"the file cannot be opened: {exc}"]
    try:
        check = "quick_check" if quick else "integrity_check"
        rows = [r[0] for r in conn.execute(f"PRAGMA {check}")]
        problems = [] if rows == ["ok"] else rows[:20]
        for table, rowid, parent, _fkid in conn.execute("PRAGMA foreign_key_check"):
            problems.append(f"table {table} row {rowid} refers to a missing {parent} record")
            if len(problems) > 40:
                break
        return problems
    except cipher.errors() as exc:
        return [f"SQLite reports: {exc}"]
    finally:
        conn.close()


def online_backup(
    db_path: Path, target: Path, *, progress: Callable[[int, int], None] | None = None, pages_per_step: int = 256
) -> Path:
    """Copy a live database to ``target`` (written as ``.part``, checked, then renamed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    try:
        create_private_file(part)  # a backup holds the same patient data: owner-only
        key = cipher.key_for(db_path)  # a backup of an encrypted database is encrypted under the same key
        src = cipher.connect(db_path, read_only=True)
        try:
            dst = cipher.connect(part, key=key)
            try:

                def _progress(_status: int, remaining: int, total: int) -> None:
                    if progress:
                        progress(total - remaining, total)

                src.backup(dst, pages=pages_per_step, progress=_progress)
                dst.execute("PRAGMA journal_mode=DELETE")
            finally:
                dst.close()
        finally:
            src.close()
    except BaseException as exc:
        part.unlink(missing_ok=True)
        if not isinstance(exc, cipher.errors(OSError)):
            raise  # cancelled or interrupted: nothing is left behind
        raise DatabaseError(
            f"The backup could not be written to {target.parent}: {exc}. Check that the folder exists, that you "
            "can write to it and that the disk is not full; the database itself is unchanged.",
        ) from exc
    cipher.remember(part, key)
    problems = integrity_problems(part)
    if problems:
        part.unlink(missing_ok=True)
        raise DatabaseError(
            "The backup copy failed its integrity check, so it was not kept. Run 'lhn-desktop db check' on the "
            "database.",
            detail="; ".join(problems),
        )
    with open(part, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(part, target)
    cipher.remember(part, None)
    cipher.remember(target, key)
    if key is not None:
        custody.copy_wraps(db_path, target)  # the recovery key opens the backup too, on any workstation
    logger.info("Backup written: %s", target.name)
    return target


def read_site_code(path: Path) -> str | None:
    """The site code of an LHN Desktop center database, or ``None`` if the file is not one (or unreadable)."""
    try:
        conn = cipher.connect(path, read_only=True)
        try:
            row = conn.execute("SELECT site_code FROM local_node").fetchone()
        finally:
            conn.close()
    except cipher.errors(DatabaseError):
        return None
    return row[0] if row else None


def list_backups(folder: Path, db_path: Path) -> list[Path]:
    """Backups of the database ``db_path`` in ``folder``, newest first (exact name match only)."""
    if not folder.is_dir():
        return []
    pattern = re.compile(re.escape(_prefix(db_path)) + r"\d{8}T\d{12}Z" + re.escape(BACKUP_SUFFIX))
    found = [p for p in folder.iterdir() if pattern.fullmatch(p.name) and p.is_file()]
    return sorted(found, key=lambda p: p.name, reverse=True)


def prune_backups(folder: Path, db_path: Path, keep: int) -> list[Path]:
    """Delete all but the ``keep`` newest backups (at least one is always kept)."""
    removed = []
    for old in list_backups(folder, db_path)[max(1, keep) :]:
        old.unlink(missing_ok=True)
        custody.wraps_file(old).unlink(missing_ok=True)
        removed.append(old)
    return removed
