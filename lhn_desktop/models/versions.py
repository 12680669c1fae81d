"""The stored field versions of every synced record (SYNC.md 1.2), as today's layout keeps them.

Only :mod:`lhn_desktop.store.versions` reads or writes this table (an import-linter contract in pyproject.toml): the
layout can change there and in a migration alone.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from lhn_desktop.models.base import Base

#: every record's delete marker (one row a record): the Sync page finds the records not displayed through it
DELETED_MARKERS = text("field = '_deleted'")


class SyncValue(Base):
    """One version (sibling) of one field of one record (SYNC.md 1.2).

    Normally one row per field; more rows mean concurrent siblings that a person may resolve.
    """

    __tablename__ = "sync_value"

    entity: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    field: Mapped[str] = mapped_column(String(60), primary_key=True)
    node: Mapped[str] = mapped_column(String(36), primary_key=True)
    dot: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    hlc: Mapped[str] = mapped_column(String(19))
    vv_json: Mapped[str | None] = mapped_column(Text)  # NULL: only this version itself (store.versions.stored_vv)
    value_json: Mapped[str] = mapped_column(Text)
    owner: Mapped[str] = mapped_column(String(40))

    __table_args__ = (
        Index(
            "ix_sync_value_deleted",
            "entity",
            "record_id",
            sqlite_where=DELETED_MARKERS,
            postgresql_where=DELETED_MARKERS,
        ),
        # the primary key is the table (no second copy of entity, record, field, workstation and dot in an index)
        {"sqlite_with_rowid": False},
    )
