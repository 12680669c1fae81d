"""The stored field versions of every synced record (SYNC.md 1.2): one row per record, its versions packed.

Only :mod:`lhn_desktop.store.versions` reads or writes these tables (an import-linter contract in pyproject.toml):
the layout is known there and in the migrations alone (decisions 55 and 56).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Integer, LargeBinary, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from lhn_desktop.models.base import Base


class SyncRecord(Base):
    """Every stored version of one record's fields, packed into ``packed`` (``store.versions.pack``): each
    version's field and workstation as numbers of ``sync_name``, its dot, its clock as one integer, its version
    vector when it names more than itself, and its value's canonical JSON. The other columns answer, without
    unpacking, what the Sync page and the overviews ask of every record."""

    __tablename__ = "sync_record"

    entity: Mapped[str] = mapped_column(String(40), primary_key=True)
    record_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    owner: Mapped[str] = mapped_column(String(40))
    #: NULL: no ``_deleted`` version is stored (the record's creation has not arrived); 0: every one says false;
    #: 1: at least one says true (a stored delete, winning or not)
    deletes: Mapped[int | None] = mapped_column(SmallInteger)
    versions: Mapped[int] = mapped_column(Integer)  # how many versions ``packed`` holds
    packed: Mapped[bytes] = mapped_column(LargeBinary)
    #: when one workstation wrote every version: its number in ``sync_name`` and its newest dot (NULL both when
    #: more than one did), so that a delta bundle finds the records beyond its receiver's vector in the query
    sole_writer: Mapped[int | None] = mapped_column(Integer)
    sole_dot: Mapped[int | None] = mapped_column(BigInteger)

    # the primary key is the table (no second copy of entity and record in an index)
    __table_args__ = ({"sqlite_with_rowid": False},)


class SyncName(Base):
    """The workstation ids and field names that packed versions refer to by number (numbered on this workstation
    as they are first stored; never renumbered, never reused)."""

    __tablename__ = "sync_name"

    number: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(64), unique=True)
