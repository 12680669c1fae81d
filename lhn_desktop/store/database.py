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

from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
from sqlalchemy.orm import Session, sessionmaker

from lhn_desktop.access import Actor
from lhn_desktop.errors import CorruptDatabase, DatabaseError, KeyNotFound
from lhn_desktop.models.team import LocalNode
from lhn_desktop.store import capture, cipher, custody
from lhn_desktop.store.backup import backup_name, header_problems, integrity_problems, list_backups, online_backup
from lhn_desktop.store.engine import IMMEDIATE, create_db_engine
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
    """An open center database."""

    def __init__(
        self, path: Path, engine: Engine, backups_dir: Path, now_ms: Callable[[], int] = capture.wall_clock_ms
    ) -> None:
        self.path = path
        self.engine = engine
        self.backups_dir = backups_dir
        self.now_ms = now_ms
        self._writer = sessionmaker(bind=engine.execution_options(**{IMMEDIATE: True}), expire_on_commit=False)
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        capture.install(self._writer)
        capture.install(self._reader)
        self._node: LocalNode | None = None
        self._keeper = _idle_connection(path)

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

    def close(self) -> None:
        self.engine.dispose()
        self._keeper.close()  # the last connection: SQLite checkpoints the log into the file and removes it

    # -- identity --------------------------------------------------------------------------------
    def local_node(self) -> LocalNode:
        if self._node is None:
            with self._reader() as s:
                node = s.scalars(select(LocalNode)).first()
                if node is None:
                    raise DatabaseError(
                        f"{self.path} has no center set up yet. Create the center with "
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
