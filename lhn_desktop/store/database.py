"""The center database: opening it safely, and the sessions services write through.

``Database.open`` checks the path (local disk, writable folder), the file (an SQLite database that
passes ``quick_check``) and the schema (not from a newer program; older ones are backed up online
and then migrated). ``write()`` sessions begin with ``BEGIN IMMEDIATE`` and carry the change-capture
context; ``read()`` sessions refuse to write syncable records.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import URL, Engine, inspect, select
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
from sqlalchemy.orm import Session, sessionmaker

from lhn_desktop.access import Actor
from lhn_desktop.errors import CorruptDatabase, DatabaseError, KeyNotFound
from lhn_desktop.models.team import LocalNode
from lhn_desktop.store import capture, cipher, custody
from lhn_desktop.store.backup import backup_name, header_problems, integrity_problems, list_backups, online_backup
from lhn_desktop.store.engine import (
    IMMEDIATE,
    create_db_engine,
    create_server_engine,
    describe_server,
    is_server_url,
    server_url,
)
from lhn_desktop.store.location import check_database_path, create_private_file
from lhn_desktop.store.migrate import needs_upgrade, upgrade_to_head

logger = logging.getLogger(__name__)


def corrupt_message(path: Path, backups_dir: Path) -> CorruptDatabase:
    backups = list_backups(backups_dir, path)
    latest = str(backups[0]) if backups else None
    if latest:
        advice = (
            f"The latest backup is {backups[0].name} in {backups_dir}. Restore it (in the program, or with "
            "'lhn-desktop db restore'); the damaged file is kept beside it, renamed, and nothing is overwritten."
        )
    else:
        advice = "No backup of it was found. Keep the file as it is and contact your IT or data team."
    return CorruptDatabase(
        f"The center database {path} is damaged and cannot be opened safely. {advice}", latest_backup=latest
    )


class Database:
    """An open center database: an SQLite file, or the coordinating center's database on a PostgreSQL server.

    On a server (``server`` is its URL) ``path`` is not the database but a name for it on this workstation, in
    the data folder (:func:`server_anchor`): what is kept beside a database file (the attachments, the
    workstation-id registry's entry) is kept beside that name.
    """

    def __init__(
        self, path: Path, engine: Engine, backups_dir: Path, now_ms: Callable[[], int] = capture.wall_clock_ms,
        *, server: URL | None = None,
    ) -> None:  # fmt: skip
        self.path = path
        self.engine = engine
        self.backups_dir = backups_dir
        self.now_ms = now_ms
        self.server = server
        self._writer = sessionmaker(bind=engine.execution_options(**{IMMEDIATE: True}), expire_on_commit=False)
        # a read sees one snapshot of the database, as an SQLite read transaction does
        reader = engine if server is None else engine.execution_options(isolation_level="REPEATABLE READ")
        self._reader = sessionmaker(bind=reader, expire_on_commit=False)
        capture.install(self._writer)
        capture.install(self._reader)
        self._node: LocalNode | None = None
        self._keeper = _idle_connection(path) if server is None else None

    @property
    def on_server(self) -> bool:
        """True for a database on a PostgreSQL server (the coordinating center's, decision 48)."""
        return self.server is not None

    @property
    def location(self) -> str:
        """Where the database is, in words: the file's path, or the server URL without its password."""
        return str(self.path) if self.server is None else describe_server(self.server)

    # -- opening ---------------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        raw_path: str | Path,
        backups_dir: Path,
        *,
        create: bool = False,
        now_ms: Callable[[], int] = capture.wall_clock_ms,
        full_check: bool = True,
        key: bytes | None = None,
    ) -> Database:
        """Open (or with ``create``, create) a database file, migrating it if it is older.

        With ``full_check`` the whole file is checked first (``quick_check``, which grows with the
        database); without it only the header and the schema are read, and the caller runs
        :func:`lhn_desktop.store.backup.integrity_problems` soon after (the window does it in the
        background once it is shown).

        With ``create`` and a ``key`` (made by :func:`lhn_desktop.store.custody.create_key`) a new database is
        encrypted under it; an existing file is opened as it is, plain or encrypted (an encrypted one without its
        key is refused with what to do).
        """
        if is_server_url(raw_path):
            return cls._open_server(str(raw_path), backups_dir, create=create, now_ms=now_ms)
        path = check_database_path(raw_path, must_exist=not create)
        existed = path.exists() and path.stat().st_size > 0
        if not existed and create and key is not None:
            cipher.remember(path, key)
        elif existed and cipher.is_encrypted(path):
            try:
                cipher.check_key(path)  # a key file that is not this database's is named, not taken for damage
            except KeyNotFound:
                if custody.wraps_file(path).exists():  # surely an encrypted center database: no talk of damage
                    raise
                err = corrupt_message(path, backups_dir)
                err.message = (
                    f"{cipher.missing_key_message(path)} If it is not an encrypted center database, it is damaged: "
                    f"{err.message}"
                )
                raise err from None
        if existed:
            problems = integrity_problems(path, quick=True) if full_check else header_problems(path)
            if problems:
                err = corrupt_message(path, backups_dir)
                err.detail = "; ".join(problems)
                raise err
        elif not create:
            raise DatabaseError(f"The file {path} is empty; it is not a center database.")
        else:
            create_private_file(path)  # owner-only from the start: it will hold patient data
        engine = create_db_engine(path)
        try:
            try:
                lhn_schema = not existed or _has_lhn_schema(engine)
            except SQLAlchemyDatabaseError as exc:  # a damaged schema page: "database disk image is malformed"
                err = corrupt_message(path, backups_dir)
                err.detail = str(exc.orig)
                raise err from exc
            if not lhn_schema:
                raise DatabaseError(
                    f"{path} is an SQLite database but not an LHN Desktop center database. Check the --db path."
                )
            if needs_upgrade(engine):
                if existed:
                    online_backup(path, backups_dir / backup_name(path))
                upgrade_to_head(engine)
        except Exception:
            engine.dispose()
            raise
        return cls(path, engine, backups_dir, now_ms)

    @classmethod
    def _open_server(cls, raw_url: str, backups_dir: Path, *, create: bool, now_ms: Callable[[], int]) -> Database:
        """Open the coordinating center's database on a PostgreSQL server, migrating it if it is older.

        What a file needs is left out or done the server's way: no file checks, lock, encryption or online backup
        (the server's own backups and pg_dump keep it); ``quick_check`` has no counterpart, the server checks its
        pages itself. The migration runs in one transaction (PostgreSQL's DDL is transactional), so a failed
        upgrade leaves the database as it was.
        """
        url = server_url(raw_url)
        where = describe_server(url)
        engine = create_server_engine(url)
        try:
            try:
                with engine.connect() as conn:
                    tables = set(inspect(conn).get_table_names())
            except SQLAlchemyDatabaseError as exc:
                raise DatabaseError(
                    f"The database server could not be reached or refused the connection ({where}). Check that the "
                    "server is running and that the --db URL's user, password, host, port and database are right.",
                    detail=type(exc.orig).__name__,
                ) from None
            if tables and "alembic_version" not in tables:
                raise DatabaseError(
                    f"The database {where} holds other tables and is not an LHN Desktop database. Give --db an "
                    "empty database of its own."
                )
            if not tables and not create:
                raise DatabaseError(
                    f"The database {where} is empty. Create the coordinating center in it with "
                    "'lhn-desktop init --network-center --name NAME --plain --db URL'."
                )
            if needs_upgrade(engine):
                if tables:
                    logger.info("Upgrading the server database's schema (the server's own backups keep it)")
                upgrade_to_head(engine)
        except Exception:
            engine.dispose()
            raise
        return cls(server_anchor(url, backups_dir), engine, backups_dir, now_ms, server=url)

    def close(self) -> None:
        self.engine.dispose()
        if self._keeper is not None:
            self._keeper.close()  # the last connection: SQLite checkpoints the log into the file and removes it

    # -- identity --------------------------------------------------------------------------------
    def local_node(self) -> LocalNode:
        if self._node is None:
            with self._reader() as s:
                node = s.scalars(select(LocalNode)).first()
                if node is None:
                    raise DatabaseError(
                        f"{self.location} has no center set up yet. Create the center with "
                        "'lhn-desktop init --site CODE --name NAME --db PATH'."
                    )
                s.expunge(node)
                self._node = node
        return self._node

    def forget_node(self) -> None:
        self._node = None

    # -- sessions --------------------------------------------------------------------------------
    @contextmanager
    def write(self, actor: Actor) -> Iterator[Session]:
        """A write transaction (``BEGIN IMMEDIATE``) whose changes are captured for sync and audited."""
        node = self.local_node()
        ctx = capture.CaptureContext(node.node_id, node.site_code, actor.member_id, actor.name, self.now_ms)
        with self._writer() as session:
            session.info["capture"] = ctx
            with session.begin():
                yield session

    @contextmanager
    def bootstrap(self, actor: Actor, node_id: str, site_code: str) -> Iterator[Session]:
        """The write transaction that creates the center itself (before a local node exists)."""
        ctx = capture.CaptureContext(node_id, site_code, actor.member_id, actor.name, self.now_ms)
        with self._writer() as session:
            session.info["capture"] = ctx
            with session.begin():
                yield session

    @contextmanager
    def read(self) -> Iterator[Session]:
        with self._reader() as session, session.begin():
            session.info["read_only"] = True
            yield session


def server_anchor(url: URL, backups_dir: Path) -> Path:
    """The name a server database has on this workstation: in the data folder (where the backups folder is), after
    the server, port and database, so its attachments (``<name>-attachments``) are kept beside it."""
    label = "-".join(str(part) for part in (url.host, url.port or 5432, url.database))
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in label)
    return backups_dir.parent / "servers" / f"{safe}.pg"


def _idle_connection(path: Path) -> sqlite3.Connection:
    """A connection held open, idle, while the database is open.

    When the last connection to a WAL database closes, SQLite copies the whole log into the file and
    syncs it; the engine's pool keeps its connections open, but this idle one makes sure that never
    happens in the middle of the work (a pool emptied by an error, a test's engine). SQLite then
    checkpoints as it normally does, once the log reaches 1,000 pages, and at :meth:`Database.close`. It holds no lock
    and no snapshot between statements, so it never blocks a writer, a checkpoint or a backup.
    """
    conn = cipher.connect(path, check_same_thread=False, isolation_level=None)
    conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # joins the log's shared index
    return conn


def _has_lhn_schema(engine: Engine) -> bool:
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
    return not tables or "alembic_version" in tables
