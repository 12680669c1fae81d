"""Schema migrations with Alembic, shipped inside the package.

Start-up stays fast: the schema revision is read with one query and compared with
``SCHEMA_HEAD``; Alembic is imported only when the database must be created or upgraded (a test
checks that ``SCHEMA_HEAD`` is Alembic's head).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text

from lhn_desktop.errors import NewerDatabase
from lhn_desktop.paths import migrations_dir

if TYPE_CHECKING:
    from alembic.runtime.environment import NameFilterParentNames, NameFilterType

logger = logging.getLogger(__name__)

SCHEMA_HEAD = "0014"
#: Tables Alembic's autogenerate must leave alone: the full-text index and SQLite's shadow tables for it.
LOCAL_INDEX_TABLES = ("resource_fts",)


def include_name(name: str | None, type_: NameFilterType, parent_names: NameFilterParentNames) -> bool:
    """Alembic ``include_name`` hook: skip the full-text index (FTS5, or PostgreSQL's), which the models do not
    describe."""
    from lhn_desktop.store.search import PG_SEARCH_INDEXES

    if type_ == "index" and name in PG_SEARCH_INDEXES:
        return False
    return not (type_ == "table" and name is not None and name.startswith(LOCAL_INDEX_TABLES))


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.attributes["engine"] = engine
    return cfg


def known_revisions() -> set[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(migrations_dir()))
    return {rev.revision for rev in script.walk_revisions()}


def script_head() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(migrations_dir())).get_current_head()


def needs_upgrade(engine: Engine) -> bool:
    """True when the database is behind this program; raises if it is ahead of it."""
    revision = current_revision(engine)
    if revision == SCHEMA_HEAD:
        return False
    if revision is not None and revision not in known_revisions():
        raise NewerDatabase(
            "This center database was saved by a newer version of LHN Desktop. Update the program on this "
            "workstation to open it; the database has not been changed.",
            detail=f"database schema revision {revision!r}; this program knows up to {SCHEMA_HEAD!r}",
        )
    return True


#: upgrading across this revision rewrites the stored field versions (0011 and 0013 do); the file is compacted
#: afterwards (SQLite)
COMPACT_AFTER = "0013"


def upgrade_to_head(engine: Engine) -> None:
    from alembic import command

    before = current_revision(engine)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    command.upgrade(_config(engine), "head")
    logger.info("Database schema upgraded to %s", SCHEMA_HEAD)
    if engine.dialect.name == "sqlite" and before is not None and before < COMPACT_AFTER:
        raw = engine.raw_connection()  # VACUUM runs outside a transaction, on the driver's own connection
        try:
            raw.driver_connection.execute("VACUUM")  # type: ignore[union-attr]
        finally:
            raw.close()
        logger.info("Database file compacted after the upgrade")
