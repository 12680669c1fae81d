"""SQLite engines with the settings every connection must have (SYNC.md 3.5).

Each connection runs in WAL mode with ``synchronous=FULL`` (a reported save survives a power cut),
foreign keys on and a busy timeout, and reads them back. pysqlite's own transaction handling is
switched off so that SQLAlchemy's ``begin`` emits the real ``BEGIN`` (``BEGIN IMMEDIATE`` for
writers, so two writers queue instead of deadlocking).
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import URL, Engine, create_engine, event
from sqlalchemy.pool import QueuePool

from lhn_desktop.errors import DatabaseError

logger = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000
REQUIRED_PRAGMAS = {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1, "busy_timeout": BUSY_TIMEOUT_MS}
IMMEDIATE = "begin_immediate"
POOL_SIZE = 4  # connections kept open: the window thread, the writer and two readers
POOL_OVERFLOW = 8  # more, opened for a moment when more threads read at once


def _set_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # we emit BEGIN ourselves (see _begin)
    cur = dbapi_conn.cursor()
    try:
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        actual = {name: cur.execute(f"PRAGMA {name}").fetchone()[0] for name in REQUIRED_PRAGMAS}
    finally:
        cur.close()
    if actual != REQUIRED_PRAGMAS:
        raise DatabaseError(
            "The database could not be opened safely (its journal settings could not be applied). "
            "Make sure the file is on this computer's own disk and not read-only.",
            detail=f"pragmas read back: {actual}",
        )


def _temp_in_memory(dbapi_conn, _record) -> None:
    """Temporary tables, indices and sorts of an encrypted database stay in memory: never a plain temporary file."""
    dbapi_conn.execute("PRAGMA temp_store = MEMORY")


def _begin(conn) -> None:
    if conn.get_execution_options().get(IMMEDIATE):
        conn.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        conn.exec_driver_sql("BEGIN")


def create_db_engine(path: Path) -> Engine:
    """An engine on a database file. Callers check the path first (:func:`check_database_path`)."""
    # A pool of connections kept open (a few threads at most use it: the window's, the writer's and the
    # readers'): each connection keeps its page cache between transactions, which SQLite keeps valid in WAL
    # mode, so the pages a save or a list reads are not read and decrypted afresh each time. On an encrypted
    # database that is most of encryption's cost for small work: a visit record 1.33x plain with a
    # connection per transaction, 1.12x pooled (docs/performance.md). A connection is used by one thread at
    # a time, whichever checked it out (hence check_same_thread off). ``Database`` holds one idle
    # connection besides, so that the log is not checkpointed whenever the pool happens to be empty.
    # hide_parameters: error messages and logs must never carry patient data from bound values.
    from lhn_desktop.store import cipher

    key = cipher.key_for(path)
    if key is None:
        url: str | URL = f"sqlite:///{path}"
    else:  # SQLCipher's dialect sets the raw key (no key derivation) on every connection before anything else
        cipher.check_key(path)  # a wrong key in words, once, rather than "file is not a database" later
        url = URL.create("sqlite+pysqlcipher", password=f"x'{key.hex()}'", database=str(path))
    engine = create_engine(url, poolclass=QueuePool, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW,
                           connect_args={"check_same_thread": False}, hide_parameters=True)  # fmt: skip
    event.listen(engine, "connect", _set_pragmas)
    if key is not None:
        event.listen(engine, "connect", _temp_in_memory)
    event.listen(engine, "begin", _begin)
    return engine


def read_pragmas(engine: Engine) -> dict[str, object]:
    """The connection settings as SQLite reports them (used by ``db check`` and the tests)."""
    with engine.connect() as conn:
        return {name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in REQUIRED_PRAGMAS}


# -- the coordinating center on a PostgreSQL server (decision 48) ----------------------------------------------------

#: the one driver a server URL may name: psycopg 3 (``pip install "lhn-desktop[postgresql]"``)
SERVER_DRIVER = "postgresql+psycopg"
#: the key of the transaction-level advisory lock every write transaction on a server takes first: writers queue
#: as they do under SQLite's ``BEGIN IMMEDIATE`` (change capture numbers the workstation's dots one by one)
WRITER_LOCK_KEY = 0x4C484E  # "LHN"


def is_server_url(raw: object) -> bool:
    """True when ``--db`` names a PostgreSQL server rather than a file."""
    return isinstance(raw, str) and raw.strip().lower().startswith("postgresql")


def server_url(raw: str) -> URL:
    """The parsed server URL; refuses another driver or a URL without a database, saying how to write it."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(raw.strip())
    except ArgumentError:
        url = None
    if url is None or url.drivername != SERVER_DRIVER or not url.database or not url.host:
        raise DatabaseError(
            "A coordinating center's server database is given as "
            "--db postgresql+psycopg://USER:PASSWORD@HOST:PORT/DATABASE (psycopg 3). Check the --db URL."
        )
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise DatabaseError(
            "The PostgreSQL driver (psycopg 3) is not installed. Install it with "
            'pip install "lhn-desktop[postgresql]", then open the database again.'
        ) from None
    return url


def describe_server(url: URL) -> str:
    """The server database in words for messages and the center's details: never its password."""
    return url.render_as_string(hide_password=True)


def _begin_server(conn) -> None:
    if conn.get_execution_options().get(IMMEDIATE):
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITER_LOCK_KEY})")


def create_server_engine(url: URL) -> Engine:
    """An engine on a PostgreSQL database (callers check the URL first with :func:`server_url`).

    Write transactions queue behind one advisory lock, as SQLite writers do behind ``BEGIN IMMEDIATE``; they run at
    READ COMMITTED, so once a writer holds the lock it reads every earlier writer's work. The pool checks a
    connection before handing it out (a server restarts; a file does not).
    """
    engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=POOL_OVERFLOW, pool_pre_ping=True,
                           hide_parameters=True)  # fmt: skip
    event.listen(engine, "begin", _begin_server)
    return engine
