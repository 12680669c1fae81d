"""The stored field versions of every synced record (SYNC.md 1.2): the one module that knows how they are laid out.

Change capture, the merge, bundle export, the Sync page's review and the overviews read and write the versions
through these functions only, a record at a time or a few hundred records at a time, so the layout can change here
and in a migration alone (issue 21, lean storage: one row per record, its versions packed; measured by
``bench/layout_probe.py``). A test keeps every other module away from the table.

Today's layout is ``sync_value``: one row per field version, keyed by entity, record, field, workstation and dot
(a ``WITHOUT ROWID`` table on SQLite), with a partial index on each record's ``_deleted`` versions.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import case, func, insert, literal_column, or_, select

from lhn_desktop.models.versions import SyncValue
from lhn_desktop.sync.merge import canonical_json

DELETED_FIELD = "_deleted"
#: ``field = '_deleted'`` with the name written into the statement: SQLite uses a partial index on these versions
#: only for a condition it can read when the statement is prepared, not one that waits for a bound value
_DELETED_MARKER = SyncValue.field == literal_column(f"'{DELETED_FIELD}'")
_IN_CHUNK = 500
_BASE_IN_QUERY = 200  # a delta's start naming more workstations is applied as the rows stream instead
_COLUMNS = ("entity", "record_id", "field", "node", "dot", "hlc", "vv_json", "value_json", "owner")
_INSERT = f"INSERT INTO sync_value ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
_DELETE = "DELETE FROM sync_value WHERE entity = ? AND record_id = ? AND field = ? AND node = ? AND dot = ?"


class Version(NamedTuple):
    """One stored version (sibling) of one field: the field, who wrote it (workstation and dot), when (the hybrid
    clock), the version vector as stored (``None``: it names only this version, see :func:`stored_vv`) and the
    value's canonical JSON."""

    field: str
    node: str
    dot: int
    hlc: str
    vv_json: str | None
    value_json: str

    def vv(self) -> dict[str, int]:
        return json.loads(vv_text(self.node, self.dot, self.vv_json))

    def value(self) -> Any:
        return json.loads(self.value_json)


@dataclass(slots=True)
class Stored:
    """One record's stored versions: the center that owns it and every version of every field, by field."""

    owner: str
    fields: dict[str, list[Version]] = field(default_factory=dict)


@dataclass(slots=True)
class Change:
    """What one write does to one record's versions: removes some (by field, workstation and dot) and adds others.
    ``before`` is what :func:`read` gave for the record in the same transaction (``None``: nothing stored)."""

    record_id: str
    owner: str
    before: Stored | None
    removed: list[tuple[str, str, int]] = field(default_factory=list)
    added: list[Version] = field(default_factory=list)


def stored_vv(node: str, dot: int, vv: Mapping[str, int]) -> str | None:
    """A version vector as it is stored: ``None`` when it names only the version itself (most do: a field's first
    write, or a rewrite of a field only this workstation wrote), else its canonical JSON (decision 51)."""
    return None if len(vv) == 1 and vv.get(node) == dot else canonical_json(dict(vv))


def vv_text(node: str, dot: int, stored: str | None) -> str:
    """The canonical JSON of a stored version vector (see :func:`stored_vv`)."""
    return stored if stored is not None else canonical_json({node: dot})


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _IN_CHUNK):
        yield ordered[start : start + _IN_CHUNK]


def read(conn, entity: str, ids: Iterable[str], *, only: str | None = None) -> dict[str, Stored]:
    """The stored versions of these records of one entity, by record (a record with none stored is left out).
    ``only``: just that field's versions. ``conn``: a connection or a session, in the caller's transaction."""
    out: dict[str, Stored] = {}
    query = select(SyncValue.record_id, SyncValue.owner, SyncValue.field, SyncValue.node, SyncValue.dot,
                   SyncValue.hlc, SyncValue.vv_json, SyncValue.value_json)  # fmt: skip
    query = query.where(SyncValue.entity == entity)
    if only is not None:
        query = query.where(SyncValue.field == only)
    for chunk in _chunks(ids):
        for row in conn.execute(query.where(SyncValue.record_id.in_(chunk))):
            stored = out.get(row[0])
            if stored is None:
                stored = out[row[0]] = Stored(row[1])
            stored.fields.setdefault(row[2], []).append(Version(row[2], row[3], row[4], row[5], row[6], row[7]))
    return out


def owner(conn, entity: str, record_id: str) -> str | None:
    """The center that owns a stored record, or ``None`` when nothing of it is stored."""
    query = select(SyncValue.owner).where(SyncValue.entity == entity, SyncValue.record_id == record_id).limit(1)
    return conn.scalar(query)


def write(conn, entity: str, changes: Iterable[Change]) -> int:
    """Apply the changes of some records of one entity in the caller's transaction; returns the versions added."""
    removed: list[tuple[str, str, str, str, int]] = []
    added: list[tuple[Any, ...]] = []
    for change in changes:
        removed.extend((entity, change.record_id, name, node, dot) for name, node, dot in change.removed)
        added.extend((entity, change.record_id, *version, change.owner) for version in change.added)
    # straight to the driver (SQLAlchemy's per-row parameter handling costs more than SQLite): a large import
    # writes millions; psycopg takes ``%s`` where SQLite takes ``?`` (the statements hold neither otherwise)
    qmark = conn.dialect.paramstyle == "qmark"
    if removed:
        conn.exec_driver_sql(_DELETE if qmark else _DELETE.replace("?", "%s"), removed)
    if added:
        if qmark:
            conn.exec_driver_sql(_INSERT, added)
        else:
            conn.execute(insert(SyncValue), [dict(zip(_COLUMNS, row, strict=True)) for row in added])
    return len(added)


def scan(
    session,
    entities: Iterable[str] | None = None,
    *,
    owners: Mapping[str, Iterable[str]] | None = None,
    base: Mapping[str, int] | None = None,
    batch: int = 5000,
) -> Iterator[tuple[str, str, str, str, str, int, str, str | None, str]]:
    """Every stored version as ``(entity, record_id, owner, field, node, dot, hlc, vv_json, value_json)`` (a
    :class:`Version`'s parts after the record's, flat: a full bundle has millions), in the order of the bundle's lines
    (entity, record, field, workstation, dot: the stored order, so the database does not sort), read ``batch`` at
    a time in the session's transaction.

    ``entities`` limits the entities; ``owners`` an entity's records to those of these owners; ``base`` leaves out,
    per workstation, the versions up to its dot (a delta bundle's start), in the query while it names few."""
    query = select(SyncValue.entity, SyncValue.record_id, SyncValue.owner, SyncValue.field, SyncValue.node,
                   SyncValue.dot, SyncValue.hlc, SyncValue.vv_json, SyncValue.value_json)  # fmt: skip
    if entities is not None:
        query = query.where(SyncValue.entity.in_(sorted(set(entities))))
    for entity, allowed in (owners or {}).items():
        query = query.where(or_(SyncValue.entity != entity, SyncValue.owner.in_(sorted(set(allowed)))))
    start = dict(base or {})
    if start and len(start) <= _BASE_IN_QUERY:
        query = query.where(SyncValue.dot > case(start, value=SyncValue.node, else_=0))
    query = query.order_by(SyncValue.entity, SyncValue.record_id, SyncValue.field, SyncValue.node, SyncValue.dot)
    for row in session.execute(query.execution_options(yield_per=batch)):
        if start and row[5] <= start.get(row[4], 0):
            continue
        yield row


def newest_clock(session) -> str | None:
    """The newest clock value of any stored version."""
    return session.scalar(select(SyncValue.hlc).order_by(SyncValue.hlc.desc()).limit(1))


def count(session, entities: Iterable[str] | None = None) -> int:
    """How many versions are stored (of these entities)."""
    query = select(func.count()).select_from(SyncValue)
    if entities is not None:
        query = query.where(SyncValue.entity.in_(sorted(set(entities))))
    return session.scalar(query) or 0


def record_counts(session) -> dict[str, int]:
    """How many records are stored, by entity: those with a ``_deleted`` version (every record's creation, delete
    and restore write one; a record whose creation has not arrived yet is not counted), counted in the order of
    the partial index on those versions."""
    query = select(SyncValue.entity, func.count(func.distinct(SyncValue.record_id))).where(_DELETED_MARKER)
    return {entity: n for entity, n in session.execute(query.group_by(SyncValue.entity))}


def records_not_in(session, entity: str, table: Any | None) -> list[str]:
    """The stored records of one entity (those :func:`record_counts` counts) whose id is not in ``table``'s ``id``
    column (``None``: every stored record of the entity), sorted."""
    # ``entity || ''``: the entity is a filter on the partial index's rows, not a range of the primary key's
    query = select(SyncValue.record_id).where(_DELETED_MARKER, (SyncValue.entity + "") == entity)
    if table is not None:
        query = query.where(SyncValue.record_id.not_in(select(table.c.id)))
    return sorted(set(session.scalars(query)))


def deleted(session, entity: str, ids: Iterable[str]) -> set[str]:
    """Those of these records with a stored delete (a ``_deleted`` version that says true; not necessarily the
    winning one)."""
    out: set[str] = set()
    for chunk in _chunks(ids):
        query = select(SyncValue.record_id).where(SyncValue.entity == entity, SyncValue.record_id.in_(chunk),
                                                  _DELETED_MARKER, SyncValue.value_json == "true")  # fmt: skip
        out.update(session.scalars(query))
    return out


def conflicts(session, entity: str, ids: Iterable[str]) -> list[tuple[str, str]]:
    """``(record_id, field)`` of the fields of these records whose versions hold more than one distinct value."""
    out: list[tuple[str, str]] = []
    for chunk in _chunks(ids):
        query = (
            select(SyncValue.record_id, SyncValue.field)
            .where(SyncValue.entity == entity, SyncValue.record_id.in_(chunk))
            .group_by(SyncValue.record_id, SyncValue.field)
            .having(func.count(func.distinct(SyncValue.value_json)) > 1)
        )
        out.extend((record_id, name) for record_id, name in session.execute(query))
    return sorted(out)
