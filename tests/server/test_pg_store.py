"""The coordinating center's database on a real PostgreSQL server (decision 48): the same migrations as SQLite,
the schema the models describe, and what a file has and a server does not, said in words."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from lhn_desktop.access import Actor
from lhn_desktop.errors import DatabaseError, ValidationError
from lhn_desktop.services.center import init_center_database
from lhn_desktop.store.database import Database
from lhn_desktop.store.migrate import SCHEMA_HEAD, current_revision

ADMIN = Actor.workstation()


def test_the_migrations_run_on_postgresql_and_match_the_models(pg_url: str, tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from lhn_desktop.models import Base
    from lhn_desktop.store.migrate import include_name

    db = Database.open(pg_url, tmp_path / "backups", create=True)
    try:
        assert db.on_server and db.engine.dialect.name == "postgresql"
        assert current_revision(db.engine) == SCHEMA_HEAD
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": include_name})
            diff = compare_metadata(context, Base.metadata)
            # the commons' full-text index is PostgreSQL's own there: GIN indexes, no FTS5 table and no triggers
            assert "ix_resource_search" in {i["name"] for i in inspect(conn).get_indexes("resource")}
            assert [c["name"] for c in inspect(conn).get_columns("resource_fts")] == ["resource_id", "attachment"]
            assert conn.execute(text("SELECT count(*) FROM pg_trigger WHERE NOT tgisinternal")).scalar() == 0
        assert diff == []
    finally:
        db.close()


def test_only_the_coordinating_center_runs_on_a_server(pg_url: str, tmp_path: Path) -> None:
    backups = tmp_path / "backups"
    with pytest.raises(ValidationError, match="Only the network coordinating center runs on a PostgreSQL server"):
        init_center_database(pg_url, backups, "ctr-042", "Riverside", network="ICN", actor=ADMIN, encrypt=False)
    with pytest.raises(ValidationError, match="Create it with --plain"):
        init_center_database(pg_url, backups, "ncc", "ImproveCareNow", network="ICN", actor=ADMIN,
                             network_center=True)  # fmt: skip
    info = init_center_database(pg_url, backups, "ncc", "ImproveCareNow", network="ICN", actor=ADMIN,
                                network_center=True, encrypt=False)  # fmt: skip
    assert (info.site_code, info.encrypted, info.db_path) == ("ncc", False, pg_url)
    with pytest.raises(ValidationError, match="already holds a center"):
        init_center_database(pg_url, backups, "ncc", "Again", network="ICN", actor=ADMIN, network_center=True,
                             encrypt=False)  # fmt: skip
    db = Database.open(pg_url, backups)
    try:  # opened again: nothing to migrate, the same center; no SQLite file was made anywhere
        assert db.local_node().site_code == "ncc" and not db.path.exists()
        assert not list(tmp_path.rglob("*.sqlite3"))
    finally:
        db.close()


def test_a_server_database_that_is_not_ours_or_not_there_is_refused_in_words(
    pg_url: str, tmp_path: Path, pg_server
) -> None:
    backups = tmp_path / "backups"
    with pytest.raises(DatabaseError, match="is empty. Create the coordinating center in it"):
        Database.open(pg_url, backups)
    with pytest.raises(DatabaseError, match="could not be reached or refused the connection") as info:
        Database.open(pg_server.url("no_such_database").replace("postgres@", "postgres:secret@"), backups)
    assert "secret" not in str(info.value)
    with pytest.raises(DatabaseError, match=r"postgresql\+psycopg://USER:PASSWORD@HOST:PORT/DATABASE"):
        Database.open("postgresql://somewhere/ncc", backups)
    from sqlalchemy import create_engine

    engine = create_engine(pg_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE payroll (id integer)"))
    engine.dispose()
    with pytest.raises(DatabaseError, match="not an LHN Desktop database"):
        Database.open(pg_url, backups, create=True)
