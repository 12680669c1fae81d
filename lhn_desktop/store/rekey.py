"""Turning encryption on for a plain database, and changing an encrypted database's key (issue 20; decision 37).

Both work the same way, on a database no window holds:

1. the database is copied under the new key with SQLCipher's ``sqlcipher_export`` into a private ``.part`` file
   beside it, and the copy is checked (``quick_check``) and compared with the original table by table (the row
   count and a digest of every row); any difference stops here and nothing has changed;
2. the new key is kept on this workstation (the old key's wraps still open the old file, so a stop here loses
   nothing: the recovery key opens it);
3. the copy takes the database's place, and the old file (plain, or under the old key) is overwritten with zeros
   and removed, with any write-ahead log it left;
4. new wraps are written under a new recovery key (returned, to be shown once) and the center passphrase;
5. the attached files are sealed under the new key (the old bytes overwritten), and every backup of the
   database in the backups folder goes through 1 and 3 too, so no plain copy, and no copy under a retired key,
   is left behind.

Overwriting a file's bytes removes them from a magnetic disk; a solid-state disk may keep copies of old blocks
that only full-disk encryption protects (docs/decisions.md 37 says so to the person).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lhn_desktop.errors import DatabaseError, KeyNotFound, ValidationError
from lhn_desktop.store import cipher, custody
from lhn_desktop.store.attachments import AttachmentStore
from lhn_desktop.store.backup import integrity_problems, list_backups
from lhn_desktop.store.location import check_database_path, create_private_file
from lhn_desktop.store.lock import DatabaseLock

OLD_SUFFIX = ".replaced"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class KeyChange:
    path: str
    tables: int  # compared one by one between the old file and the new
    rows: int
    backups: int  # backups brought under the new key
    attachments: int  # attached files sealed under the new key
    recovery_key: str  # new: shown once
    kept_in: str
    passphrase: bool  # the new key is wrapped under the center passphrase too


def table_digests(conn: Any) -> dict[str, tuple[int, str]]:
    """Each stored table's row count and a digest of its rows that does not depend on their order."""
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND coalesce(sql, '') NOT LIKE 'CREATE VIRTUAL%' ORDER BY name"
        )
    ]
    found = {}
    for name in names:
        total = count = 0
        quoted = '"' + name.replace('"', '""') + '"'
        for row in conn.execute(f"SELECT * FROM {quoted}"):
            digest = hashlib.blake2b(repr(tuple(row)).encode("utf-8"), digest_size=16).digest()
            total = (total + int.from_bytes(digest, "big")) % (1 << 128)
            count += 1
        found[name] = (count, f"{total:032x}")
    return found


def shred(path: Path) -> None:
    """Overwrite a file's bytes with zeros, flush them to the disk, and remove it."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return
    with open(path, "r+b") as handle:
        zeros = bytes(_CHUNK)
        left = size
        while left > 0:
            step = min(left, _CHUNK)
            handle.write(zeros[:step])
            left -= step
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()


def _shred_database(path: Path) -> None:
    for suffix in ("-wal", "-shm", "-journal", ""):
        shred(path.with_name(path.name + suffix))


def _quoted_path(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def copy_under_key(source: Path, source_key: bytes | None, target: Path, key: bytes) -> tuple[int, int]:
    """Copy the database ``source`` (plain, or under ``source_key``) to the new file ``target`` under ``key``, and
    check the copy row by row; returns (tables, rows) compared. A difference removes the copy and is refused."""
    from sqlcipher3 import dbapi2 as sqlcipher

    target.unlink(missing_ok=True)
    create_private_file(target)
    try:
        conn = cipher.connect(source, key=source_key) if source_key else sqlcipher.connect(str(source))
        try:
            before = table_digests(conn)
            versions = [conn.execute(f"PRAGMA {name}").fetchone()[0] for name in ("user_version", "application_id")]
            conn.execute(f"ATTACH DATABASE {_quoted_path(target)} AS fresh KEY \"x'{key.hex()}'\"")
            conn.execute("SELECT sqlcipher_export('fresh')")
            conn.execute(f"PRAGMA fresh.user_version = {int(versions[0])}")
            conn.execute(f"PRAGMA fresh.application_id = {int(versions[1])}")
            conn.execute("DETACH DATABASE fresh")
        finally:
            conn.close()
        cipher.remember(target, key)
        problems = integrity_problems(target, quick=True)
        if problems:
            raise DatabaseError("The new copy failed its integrity check; nothing was changed.",
                                detail="; ".join(problems))  # fmt: skip
        check = cipher.connect(target, read_only=True, key=key)
        try:
            after = table_digests(check)
        finally:
            check.close()
        if after != before:
            differ = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
            raise DatabaseError(
                "The new copy does not hold the same rows as the database, so nothing was changed. Run "
                "'lhn-desktop db check', and keep the file as it is.",
                detail=f"tables that differ: {', '.join(differ)}",
            )
        with open(target, "rb") as handle:
            os.fsync(handle.fileno())
        return len(before), sum(count for count, _ in before.values())
    except BaseException as exc:
        cipher.remember(target, None)
        _shred_database(target)  # a partial copy holds patient data too
        if isinstance(exc, cipher.errors(OSError)) and not isinstance(exc, DatabaseError):
            raise DatabaseError(
                f"The database could not be copied under the new key ({type(exc).__name__}). Check that the disk "
                "is not full; nothing was changed."
            ) from None
        raise


def _swap(path: Path, fresh: Path, key: bytes) -> None:
    """Put ``fresh`` in the place of ``path`` and overwrite the old file."""
    old = path.with_name(path.name + OLD_SUFFIX)
    for suffix in ("-wal", "-shm"):  # a cleanly closed database has none; if one is left, it belongs to the old
        leftover = path.with_name(path.name + suffix)
        if leftover.exists():
            os.replace(leftover, old.with_name(old.name + suffix))
    os.replace(path, old)
    os.replace(fresh, path)
    cipher.remember(fresh, None)
    cipher.remember(old, None)
    cipher.remember(path, key)
    _shred_database(old)


def change_key(
    raw_path: str | Path,
    backups_dir: Path,
    *,
    passphrase: str | None = None,
    require_plain: bool | None = None,
    progress: Callable[[str], None] | None = None,
) -> KeyChange:
    """Put the database at ``raw_path`` (and its backups) under a new random key.

    ``require_plain`` True: only a plain database is accepted (turning encryption on); False: only an encrypted
    one (a new key). The center ``passphrase``, when given, wraps the new key too.
    """
    say = progress or (lambda _text: None)
    path = check_database_path(raw_path, must_exist=True)
    encrypted = cipher.is_encrypted(path)
    if require_plain is True and encrypted:
        raise ValidationError(f"{path} is already encrypted. To change its key, use 'lhn-desktop db rekey'.")
    if require_plain is False and not encrypted:
        raise ValidationError(f"{path} is not encrypted. Turn encryption on with 'lhn-desktop db encrypt'.")
    lock = DatabaseLock(path)
    lock.acquire()
    try:
        old_key = cipher.key_for(path)  # a missing key is refused here, in words
        problems = integrity_problems(path, quick=True)
        if problems:
            raise DatabaseError("The database failed its integrity check, so its key was not changed. Run "
                                "'lhn-desktop db check'.", detail="; ".join(problems))  # fmt: skip
        key = os.urandom(custody.KEY_BYTES)
        fresh = path.with_name(path.name + ".part")
        say("Copying the database under the new key and comparing every table…")
        tables, rows = copy_under_key(path, old_key, fresh, key)
        db_id = custody.database_id(path)
        kept_in = custody.keep(path, key, replace=True, account=db_id)
        _swap(path, fresh, key)
        recovery = custody.rewrap(path, key, passphrase=passphrase, db_id=db_id)
        say("Sealing the attached files under the new key…")
        files = AttachmentStore(path).reseal(old_key, key, shred)
        converted = 0
        for backup in list_backups(backups_dir, path):
            say(f"Bringing the backup {backup.name} under the new key…")
            try:
                backup_key = cipher.key_for(backup)
            except KeyNotFound:
                backup_key = old_key  # a backup made under the database's old key
            if backup_key == key:
                continue
            part = backup.with_name(backup.name + ".part")
            copy_under_key(backup, backup_key, part, key)
            _swap(backup, part, key)
            custody.copy_wraps(path, backup)
            converted += 1
        return KeyChange(str(path), tables, rows, converted, files, recovery, kept_in, bool(passphrase))
    finally:
        lock.release()


def unlock(raw_path: str | Path, *, recovery_key: str | None = None, passphrase: str | None = None) -> str:
    """Open a database whose key this workstation lost (a new workstation, a lost credential store) with its
    recovery key or the center passphrase, and keep the key here again; returns where, in words."""
    path = check_database_path(raw_path, must_exist=True)
    if not cipher.is_encrypted(path):
        raise ValidationError(f"{path} is not encrypted; it needs no unlocking.")
    key = custody.recover(path, recovery_key=recovery_key, passphrase=passphrase)
    cipher.connect(path, read_only=True, key=key).close()  # the wraps belong to this file: it opens
    kept_in = custody.keep(path, key, replace=True)
    cipher.remember(path, key)
    return kept_in


def set_passphrase(raw_path: str | Path, passphrase: str | None) -> None:
    """Wrap the database key under the center passphrase (``None`` or empty removes that wrap)."""
    path = check_database_path(raw_path, must_exist=True)
    if not cipher.is_encrypted(path):
        raise ValidationError(f"{path} is not encrypted. Turn encryption on with 'lhn-desktop db encrypt' first.")
    key = cipher.key_for(path)
    assert key is not None  # an encrypted file: key_for returns its key or raises
    custody.set_passphrase(path, key, passphrase)
