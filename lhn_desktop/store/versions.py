"""The stored field versions of every synced record (SYNC.md 1.2): the one module that knows how they are laid out.

Change capture, the merge, bundle export, the Sync page's review and the overviews read and write the versions
through these functions only, a record at a time or a few hundred records at a time (decision 55); an import-linter
contract keeps every other module away from the tables.

The layout (decision 56, migration 0013): ``sync_record`` holds one row per record, keyed by entity and record id
(a ``WITHOUT ROWID`` table on SQLite), with the record's owning center, whether any ``_deleted`` version says true,
how many versions it holds, and the versions packed with MessagePack into one value (:func:`pack`). Workstation ids
and field names are numbered in ``sync_name`` on this workstation: a version costs a few bytes around its value,
where a row per version cost about 130. A record written by one workstation only also says which and its newest dot
(decision 58, migration 0014), so that a delta bundle's query passes over the records its receiver has seen.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import bindparam, case, delete, func, insert, literal, or_, select, text, update
from sqlalchemy.orm import Session

from lhn_desktop.models.versions import SyncName, SyncRecord
from lhn_desktop.sync.merge import canonical_json

DELETED_FIELD = "_deleted"
_IN_CHUNK = 500
_IN_SQL = 400  # a delta's start is looked at in the query up to this many workstations (two parameters each)
_FIELDS_A_VERSION = 6  # field, workstation, dot, clock, version vector, value (see ``pack``)


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
    ``before`` is what :func:`read` gave for the record in the same transaction (``None``: nothing stored): the
    record's row is written again from it."""

    record_id: str
    owner: str
    before: Stored | None
    removed: list[tuple[str, str, int]] = field(default_factory=list)
    added: list[Version] = field(default_factory=list)

    def current(self, name: str | None = None) -> list[Version]:
        """The record's versions as the change leaves them (``name``: of that field only): those read before, less
        those removed, and those added."""
        gone = set(self.removed)
        held = [] if self.before is None else [
            v for f, sibs in self.before.fields.items() if name in (None, f) for v in sibs
            if (v.field, v.node, v.dot) not in gone
        ]  # fmt: skip
        return held + [v for v in self.added if name in (None, v.field)]


def stored_vv(node: str, dot: int, vv: Mapping[str, int]) -> str | None:
    """A version vector as it is stored: ``None`` when it names only the version itself (most do: a field's first
    write, or a rewrite of a field only this workstation wrote), else its canonical JSON (decision 51)."""
    return None if len(vv) == 1 and vv.get(node) == dot else canonical_json(dict(vv))


def vv_text(node: str, dot: int, stored: str | None) -> str:
    """The canonical JSON of a stored version vector (see :func:`stored_vv`)."""
    return stored if stored is not None else canonical_json({node: dot})


# -- the numbered names ---------------------------------------------------------------------------------------------


class _Names:
    """``sync_name`` as one transaction sees it: read once per transaction, numbers added as names are first
    stored. A name numbered by another writer meanwhile (a server's readers see each statement's commits) is found
    by reading the table again."""

    def __init__(self, conn) -> None:
        self.number: dict[str, int] = {}
        self.name: dict[int, str] = {}
        self.reload(conn)

    def reload(self, conn) -> None:
        for number, name in conn.execute(select(SyncName.number, SyncName.name)):
            self.number[name] = number
            self.name[number] = name

    def numbered(self, conn, names: Iterable[str]) -> None:
        """Number every one of ``names`` not numbered yet, in the caller's write transaction."""
        missing = {n for n in names if n not in self.number}
        if not missing:
            return
        if conn.dialect.name == "postgresql":  # one writer numbers at a time (SQLite's write lock does this)
            conn.execute(text("LOCK TABLE sync_name IN SHARE ROW EXCLUSIVE MODE"))
        self.reload(conn)
        new = sorted(n for n in missing if n not in self.number)
        if not new:
            return
        start = (conn.scalar(select(func.max(SyncName.number))) or 0) + 1
        numbered = [(start + i, name) for i, name in enumerate(new)]
        conn.execute(insert(SyncName), [{"number": number, "name": name} for number, name in numbered])
        for number, name in numbered:
            self.number[name] = number
            self.name[number] = name


def _connection(conn):
    return conn.connection() if isinstance(conn, Session) else conn


def _names(conn) -> _Names:
    """The names of the transaction ``conn`` is in (read once per transaction)."""
    connection = _connection(conn)
    transaction = connection.get_transaction()
    held = connection.info.get("lhn_sync_names")
    if held is None or held[0] is not transaction:
        held = (transaction, _Names(connection))
        connection.info["lhn_sync_names"] = held
    return held[1]


# -- packing --------------------------------------------------------------------------------------------------------


def _clock(hlc: str) -> int | str:
    """``WALL-COUNTER`` as one integer (``wall << 16 | counter``), or the text itself if it is not in that form."""
    wall, sep, counter = hlc.partition("-")
    if sep and len(wall) == 13 and len(counter) == 5 and wall.isdigit() and counter.isdigit():
        return (int(wall) << 16) | int(counter)
    return hlc


def pack(conn, versions: list[Version]) -> bytes:
    """One record's versions as one value, a MessagePack array: the first version's dot and clock, then six items a
    version, in the order of the bundle's lines (field, workstation, dot): the field's and workstation's numbers,
    the dot less the first's, the clock (as one integer, ``wall << 16 | counter``) less the first's, the version
    vector as numbers and dots (``nil`` when it names only the version) and the value's canonical JSON. A record's
    versions are mostly written together, so most differences are 0 and take a byte; a clock not in the
    ``WALL-COUNTER`` form is kept as its text."""
    import msgpack  # here, not when the program starts: its first page reads no versions

    names = _names(conn)
    names.numbered(conn, {v.field for v in versions} | {v.node for v in versions})
    ordered = sorted(versions, key=lambda v: (v.field, v.node, v.dot))
    clocks = [_clock(v.hlc) for v in ordered]
    base_dot = ordered[0].dot if ordered else 0
    base_clock = next((c for c in clocks if isinstance(c, int)), 0)
    flat: list[Any] = [base_dot, base_clock]
    for v, clock in zip(ordered, clocks, strict=True):
        vv: list[Any] | None = None
        if v.vv_json is not None:
            vv = []
            vector = json.loads(v.vv_json)
            names.numbered(conn, vector)
            for node, dot in sorted(vector.items()):
                vv += (names.number[node], dot)
        relative = clock if isinstance(clock, str) else clock - base_clock
        flat += (names.number[v.field], names.number[v.node], v.dot - base_dot, relative, vv, v.value_json)
    return msgpack.packb(flat, use_bin_type=True)


def unpack(conn, packed: bytes) -> list[Version]:
    """The versions :func:`pack` packed, in its order."""
    import msgpack

    names = _names(conn)
    flat = msgpack.unpackb(packed, raw=False, use_list=False)
    try:
        return _versions(flat, names.name)
    except KeyError:  # a name another writer numbered since this transaction read them
        names.reload(_connection(conn))
        return _versions(flat, names.name)


def _versions(flat: tuple, name: Mapping[int, str]) -> list[Version]:
    base_dot, base_clock = flat[0], flat[1]
    out: list[Version] = []
    for i in range(2, len(flat), _FIELDS_A_VERSION):
        number, node, dot, clock, vv, value_json = flat[i : i + _FIELDS_A_VERSION]
        vv_json = None if vv is None else canonical_json({name[vv[j]]: vv[j + 1] for j in range(0, len(vv), 2)})
        if not isinstance(clock, str):
            clock += base_clock
            clock = f"{clock >> 16:013d}-{clock & 0xFFFF:05d}"
        out.append(Version(name[number], name[node], dot + base_dot, clock, vv_json, value_json))
    return out


def _deletes(versions: Iterable[Version]) -> int | None:
    marks = [v.value_json for v in versions if v.field == DELETED_FIELD]
    return None if not marks else int("true" in marks)


# -- reading --------------------------------------------------------------------------------------------------------


def _chunks(ids: Iterable[str]) -> Iterator[list[str]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _IN_CHUNK):
        yield ordered[start : start + _IN_CHUNK]


def read(conn, entity: str, ids: Iterable[str], *, only: str | None = None) -> dict[str, Stored]:
    """The stored versions of these records of one entity, by record (a record with none stored is left out).
    ``only``: just that field's versions. ``conn``: a connection or a session, in the caller's transaction."""
    out: dict[str, Stored] = {}
    query = select(SyncRecord.record_id, SyncRecord.owner, SyncRecord.packed).where(SyncRecord.entity == entity)
    for chunk in _chunks(ids):
        for record_id, owner, packed in conn.execute(query.where(SyncRecord.record_id.in_(chunk))):
            fields: dict[str, list[Version]] = {}
            for v in unpack(conn, packed):
                if only is None or v.field == only:
                    fields.setdefault(v.field, []).append(v)
            if fields or only is None:
                out[record_id] = Stored(owner, fields)
    return out


def owner(conn, entity: str, record_id: str) -> str | None:
    """The center that owns a stored record, or ``None`` when nothing of it is stored."""
    return conn.scalar(select(SyncRecord.owner).where(SyncRecord.entity == entity, SyncRecord.record_id == record_id))


def scan(
    session,
    entities: Iterable[str] | None = None,
    *,
    owners: Mapping[str, Iterable[str]] | None = None,
    base: Mapping[str, int] | None = None,
    batch: int = 5000,
) -> Iterator[tuple[str, str, str, str, str, int, str, str | None, str]]:
    """Every stored version as ``(entity, record_id, owner, field, node, dot, hlc, vv_json, value_json)`` (a
    :class:`Version`'s parts after the record's, flat: a full bundle has millions), in the order of the bundle's
    lines (entity, record, field, workstation, dot: the stored order, so nothing is sorted), the records read
    ``batch`` at a time in the session's transaction.

    ``entities`` limits the entities; ``owners`` an entity's records to those of these owners (both in the query);
    ``base`` leaves out, per workstation, the versions up to its dot (a delta bundle's start)."""
    query = select(SyncRecord.entity, SyncRecord.record_id, SyncRecord.owner, SyncRecord.packed)
    if entities is not None:
        query = query.where(SyncRecord.entity.in_(sorted(set(entities))))
    for entity, allowed in (owners or {}).items():
        query = query.where(or_(SyncRecord.entity != entity, SyncRecord.owner.in_(sorted(set(allowed)))))
    start = dict(base or {})
    names = _names(session)
    start_of = {names.number[node]: dot for node, dot in start.items() if node in names.number}
    if start and len(start_of) <= _IN_SQL:
        query = query.where(_maybe_beyond(start_of))
    query = query.order_by(SyncRecord.entity, SyncRecord.record_id)
    for entity, record_id, record_owner, packed in session.execute(query.execution_options(yield_per=batch)):
        if start and not _beyond(packed, start_of):
            continue  # a delta's records are a few of the center's: the rest are passed over without being unpacked
        for v in unpack(session, packed):
            if start and v.dot <= start.get(v.node, 0):
                continue
            yield entity, record_id, record_owner, v.field, v.node, v.dot, v.hlc, v.vv_json, v.value_json


def _maybe_beyond(start_of: Mapping[int, int]):
    """The records that may hold a version beyond ``start_of``, as the query can tell: those written by more than one
    workstation (looked into by :func:`_beyond`), by one it does not name (everything of it is beyond), or by one it
    names past its dot. One ``CASE`` over the workstations, not a condition each: a coordinating center's start names
    hundreds, and SQLite refuses an expression nested a thousand deep."""
    sole = SyncRecord.sole_writer
    start_dot = case(dict(sorted(start_of.items())), value=sole, else_=-1) if start_of else literal(-1)
    return or_(sole.is_(None), SyncRecord.sole_dot > start_dot)


def _beyond(packed: bytes, start_of: Mapping[int, int]) -> bool:
    """Whether a packed record holds a version beyond ``start_of`` (workstation number -> dot; a workstation not in
    it: every version of it is beyond), read from the numbers alone."""
    import msgpack

    flat = msgpack.unpackb(packed, raw=False, use_list=False)
    base_dot = flat[0]
    return any(flat[i + 2] + base_dot > start_of.get(flat[i + 1], 0) for i in range(2, len(flat), _FIELDS_A_VERSION))


def newest_clock(session) -> str | None:
    """The newest clock value of any stored version (a pass over every record: for checks, not for a screen)."""
    return max((row[6] for row in scan(session)), default=None)


def count(session, entities: Iterable[str] | None = None) -> int:
    """How many versions are stored (of these entities)."""
    query = select(func.sum(SyncRecord.versions))
    if entities is not None:
        query = query.where(SyncRecord.entity.in_(sorted(set(entities))))
    return int(session.scalar(query) or 0)


def record_counts(session) -> dict[str, int]:
    """How many records are stored, by entity: those with a ``_deleted`` version (every record's creation, delete
    and restore write one; a record whose creation has not arrived yet is not counted)."""
    query = select(SyncRecord.entity, func.count()).where(SyncRecord.deletes.is_not(None))
    return {entity: n for entity, n in session.execute(query.group_by(SyncRecord.entity))}


def records_not_in(session, entity: str, table: Any | None) -> list[str]:
    """The stored records of one entity (those :func:`record_counts` counts) whose id is not in ``table``'s ``id``
    column (``None``: every stored record of the entity), sorted."""
    query = select(SyncRecord.record_id).where(SyncRecord.entity == entity, SyncRecord.deletes.is_not(None))
    if table is not None:
        query = query.where(SyncRecord.record_id.not_in(select(table.c.id)))
    return list(session.scalars(query.order_by(SyncRecord.record_id)))


def deleted(session, entity: str, ids: Iterable[str]) -> set[str]:
    """Those of these records with a stored delete (a ``_deleted`` version that says true; not necessarily the
    winning one)."""
    out: set[str] = set()
    for chunk in _chunks(ids):
        query = select(SyncRecord.record_id).where(SyncRecord.entity == entity, SyncRecord.record_id.in_(chunk),
                                                   SyncRecord.deletes == 1)  # fmt: skip
        out.update(session.scalars(query))
    return out


def conflicts(session, entity: str, ids: Iterable[str]) -> list[tuple[str, str]]:
    """``(record_id, field)`` of the fields of these records whose versions hold more than one distinct value."""
    return sorted((record_id, name) for record_id, held in read(session, entity, ids).items()
                  for name, sibs in held.fields.items() if len({v.value_json for v in sibs}) > 1)  # fmt: skip


# -- writing --------------------------------------------------------------------------------------------------------

_INSERT = (
    "INSERT INTO sync_record (entity, record_id, owner, deletes, versions, packed, sole_writer, sole_dot) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_UPDATE = (
    "UPDATE sync_record SET deletes = ?, versions = ?, packed = ?, sole_writer = ?, sole_dot = ? "
    "WHERE entity = ? AND record_id = ?"
)
_DELETE = "DELETE FROM sync_record WHERE entity = ? AND record_id = ?"
_COLUMNS = ("entity", "record_id", "owner", "deletes", "versions", "packed", "sole_writer", "sole_dot")


def _sole_writer(conn, versions: list[Version]) -> tuple[int | None, int | None]:
    """The number of the one workstation that wrote every version and its newest dot, or ``(None, None)``."""
    writers = {v.node for v in versions}
    if len(writers) != 1:
        return None, None
    return _names(conn).number[writers.pop()], max(v.dot for v in versions)


def write(conn, entity: str, changes: Iterable[Change]) -> int:
    """Apply the changes of some records of one entity in the caller's transaction (each record's row written again
    from what was read before it, less what is removed, with what is added); returns the versions added."""
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    deletes: list[tuple[str, str]] = []
    added = 0
    for change in changes:
        after = change.current()
        added += len(change.added)
        if not after:
            if change.before is not None:
                deletes.append((entity, change.record_id))
            continue
        packed = pack(conn, after)  # numbers every name first
        writer, dot = _sole_writer(conn, after)
        if change.before is None:
            inserts.append((entity, change.record_id, change.owner, _deletes(after), len(after), packed, writer, dot))
        else:
            updates.append((_deletes(after), len(after), packed, writer, dot, entity, change.record_id))
    if conn.dialect.paramstyle == "qmark":  # straight to the driver: a large import writes a great many
        for sql, rows in ((_DELETE, deletes), (_UPDATE, updates), (_INSERT, inserts)):
            if rows:
                conn.exec_driver_sql(sql, rows)
        return added
    where = (SyncRecord.entity == bindparam("e"), SyncRecord.record_id == bindparam("r"))
    if deletes:
        conn.execute(delete(SyncRecord).where(*where), [{"e": e, "r": r} for e, r in deletes])
    if updates:
        statement = update(SyncRecord).where(*where).values(
            deletes=bindparam("d"), versions=bindparam("n"), packed=bindparam("p"), sole_writer=bindparam("w"),
            sole_dot=bindparam("t"),
        )  # fmt: skip
        conn.execute(statement, [{"d": d, "n": n, "p": p, "w": w, "t": t, "e": e, "r": r}
                                 for d, n, p, w, t, e, r in updates])  # fmt: skip
    if inserts:
        conn.execute(insert(SyncRecord), [dict(zip(_COLUMNS, row, strict=True)) for row in inserts])
    return added
