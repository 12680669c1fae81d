"""Alembic environment: runs on the engine the program passes in; never configures logging."""

from __future__ import annotations

from alembic import context

from lhn_desktop.models import Base
from lhn_desktop.store.migrate import include_name

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    engine = config.attributes["engine"]
    with engine.connect() as connection:
        context.configure(
            connection=connection, target_metadata=target_metadata, render_as_batch=True, include_name=include_name
        )
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
