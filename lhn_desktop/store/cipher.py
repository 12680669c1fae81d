"""The center database encrypted at rest with SQLCipher (issue 20; docs/decisions.md 36).

An encrypted database, its write-ahead log and its backups are AES-256 pages: nothing in them can be read
without the database key, a random 256-bit key given to SQLCipher raw (``x'…'``), so no slow key
derivation runs per connection. The key is kept apart from the data (:mod:`lhn_desktop.store.custody`: a
named key file, the operating system's credential store, or an owner-only key file in the config folder), and
wrapped beside the database under its recovery key and the center passphrase.

Every connection to a center database goes through :func:`connect` (or the engine's ``pysqlcipher`` dialect
with the same key), so the engine, the backups, the checks and the workstation guard read an encrypted file
the same way. A plain database (created before encryption, or with ``--plain``) opens as before. Every SQLCipher
connection keeps its temporary tables and sorts in memory (``temp_store = MEMORY``), so no plain temporary file
is ever written beside it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from lhn_desktop.errors import DatabaseError, KeyNotFound
from lhn_desktop.store import custody

KEY_ENV = custody.KEY_ENV
#: the first 16 bytes of every plain SQLite file; an encrypted file starts with random bytes instead
PLAIN_HEADER = b"SQLite format 3\x00"


_known: dict[str, bytes] = {}  # database path -> key, for the databases opened in this process


def is_encrypted(path: str | Path) -> bool:
    """True when ``path`` is a non-empty file that is not a plain SQLite database (an encrypted one, or junk)."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(len(PLAIN_HEADER))
    except OSError:
        return False
    return len(head) == len(PLAIN_HEADER) and head != PLAIN_HEADER


def remember(path: str | Path, key: bytes | None) -> None:
    """The key to use for ``path`` in this process (None: the database is plain)."""
    name = str(Path(path).resolve())
    if key is None:
        _known.pop(name, None)
    else:
        _known[name] = key


def key_for(path: str | Path) -> bytes | None:
    """The key of the database at ``path``: None for a plain file; for an encrypted one the key given to this
    process, else its key file. An encrypted database without a key is refused with what to do."""
    name = str(Path(path).resolve())
    if name in _known:
        return _known[name]
    if not is_encrypted(path):
        return None
    for known in dict.fromkeys(_known.values()):  # a backup or copy of a database opened in this process
        if _opens_with(path, known):
            _known[name] = known
            return known
    key = custody.kept_key(path)
    if key is None:
        raise KeyNotFound(missing_key_message(path))
    _known[name] = key
    return key


def missing_key_message(path: str | Path) -> str:
    return (
        f"{path} is encrypted, and this workstation does not keep its key (it looked in "
        f"{custody.where_kept(path)}). Unlock it with its recovery key or the center passphrase: "
        f"'lhn-desktop db unlock --db {path}' (or the window's Unlock dialog); or give its key file with --key-file."
    )


def has_key(path: str | Path) -> bool:
    """True when ``path`` is encrypted and its key is at hand (given to this process or in its key file)."""
    try:
        return key_for(path) is not None
    except DatabaseError:
        return False


def _opens_with(path: str | Path, key: bytes) -> bool:
    from sqlcipher3 import dbapi2 as sqlcipher

    _quiet()
    try:
        conn = sqlcipher.connect(f"file:{Path(path)}?mode=ro", uri=True)
    except sqlcipher.Error:
        return False
    try:
        conn.execute(key_pragma(key))
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlcipher.Error:
        return False
    finally:
        conn.close()


_quiet_done = False


def _quiet() -> None:
    """SQLCipher writes a wrong key's errors to standard error itself; the program says it in its own words."""
    global _quiet_done
    if not _quiet_done:
        from sqlcipher3 import dbapi2 as sqlcipher

        conn = sqlcipher.connect(":memory:")
        conn.execute("PRAGMA cipher_log_level = NONE")  # a process-wide setting of SQLCipher
        conn.close()
        _quiet_done = True


def check_key(path: str | Path) -> None:
    """Open an encrypted database once with its key: a missing or wrong key is refused here, in words."""
    if not is_encrypted(path):
        return
    key = key_for(path)
    if key is not None:
        connect(path, read_only=True, key=key).close()


def key_pragma(key: bytes) -> str:
    return f"PRAGMA key = \"x'{key.hex()}'\""


def connect(path: str | Path, *, read_only: bool = False, key: bytes | None = None, **options: Any) -> Any:
    """A DB-API connection to the database at ``path``, decrypted with its key when it has one.

    ``read_only`` opens it read-only (``mode=ro``). A wrong key is refused with a clear message. The
    connection's errors are ``sqlite3.Error`` or SQLCipher's; catch :func:`errors` for both.
    """
    key = key if key is not None else key_for(path)
    target = f"file:{Path(path)}?mode=ro" if read_only else str(path)
    if key is None:
        return sqlite3.connect(target, uri=read_only, **options)
    from sqlcipher3 import dbapi2 as sqlcipher

    _quiet()
    conn = sqlcipher.connect(target, uri=read_only, **options)
    try:
        conn.execute(key_pragma(key))
        conn.execute("PRAGMA temp_store = MEMORY")  # no plain temporary file beside an encrypted database
        if Path(path).exists() and Path(path).stat().st_size > 0:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a wrong key fails here
    except sqlcipher.DatabaseError:
        conn.close()
        _known.pop(str(Path(path).resolve()), None)  # not this database's key: look again next time
        raise DatabaseError(
            f"{path} could not be opened with its key: the key file does not belong to this database, or the file "
            "is damaged. Check --key-file."
        ) from None
    return conn


def errors(*more: type[Exception]) -> tuple[type[Exception], ...]:
    """The DB-API errors of plain and encrypted connections (and ``more``), for ``except errors()``."""
    from sqlcipher3 import dbapi2 as sqlcipher

    return (sqlite3.Error, sqlcipher.Error, *more)
