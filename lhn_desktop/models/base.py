"""Declarative base, naming convention and the mixins shared by every table."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, ClassVar

from sqlalchemy import ForeignKey, FromClause, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Named constraints make SQLite batch migrations reliable (Alembic recreates tables by name).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_id() -> str:
    return str(uuid.uuid4())


#: Namespace of natural-key ids (SYNC.md 0.2): two workstations that make "the same" record make one id.
NATURAL_NS = uuid.UUID("0b7c5e1e-2f51-4d7e-a3a4-1f6c1f0d9a52")


def natural_id(key: str) -> str:
    """The id of a record identified by what it is (``site/ctr-042``, ``plan/<visit id>``), the same everywhere."""
    return str(uuid.uuid5(NATURAL_NS, key))


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def fk(target: str, **kw) -> ForeignKey:
    """A foreign key checked at commit, so a sync apply may insert related records in any order."""
    return ForeignKey(target, deferrable=True, initially="DEFERRED", **kw)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Syncable:
    """A record that travels in sync bundles.

    It has a UUID key, an immutable owning site, and a local ``has_conflict`` flag; the flush hook in
    :mod:`lhn_desktop.store.capture` records a field version for every other column it writes.
    Columns must hold JSON-safe values: text, integers, booleans, dates; measured values with decimals
    are stored as decimal text, never as binary floats (SYNC.md 1.2).
    """

    __sync_entity__: str  # the entity name used in the stored versions and bundles; set by each model
    if TYPE_CHECKING:  # for the type checker only: declarative must not see it on the mixin
        __table__: ClassVar[FromClause]  # the table of the mapped class (Base) that this is mixed into

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    owner_site_id: Mapped[str] = mapped_column(String(40), index=True)
    has_conflict: Mapped[bool] = mapped_column(default=False)


#: Columns of a syncable record that are not captured as field versions.
UNCAPTURED_COLUMNS = frozenset({"id", "owner_site_id", "has_conflict"})
