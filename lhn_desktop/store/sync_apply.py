"""Reading field versions out for a bundle, and applying a verified bundle (SYNC.md 2.2 step 9).

Applying works below the ORM, so change capture does not record the incoming values as local
edits: inside one ``BEGIN IMMEDIATE`` transaction every incoming sibling is merged into the stored
versions (``store.versions``, sync.merge), then the displayed row of each touched record is recomputed from its
siblings (the winner by ``(hlc, node)``; ``_deleted`` hides the row; more than one distinct value
marks ``has_conflict``). Foreign keys are deferred, so records may arrive in any order; they are
checked at the end, and any failure rolls everything back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Integer,
    LargeBinary,
    bindparam,
    delete,
    exists,
    func,
    insert,
    select,
    text,
    update,
)

from lhn_desktop.access import Actor
from lhn_desktop.errors import SyncIntegrityError
from lhn_desktop.models.base import UNCAPTURED_COLUMNS, Base, Syncable
from lhn_desktop.models.sync import SyncImportLog, SyncNode, SyncWriter
from lhn_desktop.store import knowledge, versions
from lhn_desktop.store.capture import record_audit, write_versions
from lhn_desktop.store.database import Database
from lhn_desktop.store.versions import DELETED_FIELD, Change, Version, stored_vv, vv_text
from lhn_desktop.sync.bundle import RawJSON
from lhn_desktop.sync.hlc import Hlc, receive
from lhn_desktop.sync.merge import Sibling, canonical_json, merge
from lhn_desktop.sync.scope import NCC_ONLY

_IN_CHUNK = 500


class WriteRefused(SyncIntegrityError):
    """A bundle's field version that the sender may not write: a record of another center under a new owner, or a
    workstation already known to belong to another center. ``what`` says which, in words without bundle values."""

    def __init__(self, what: str) -> None:
        super().__init__(f"The bundle {what}. Nothing was changed.")
        self.what = what


@dataclass(frozen=True)
class Sender:
    """What an import notes of the workstation that signed the bundle (docs/sync.md, delta bundles)."""

    node: str
    scope: str
    base: Mapping[str, int] | None  # None: a full bundle
    known: tuple[tuple[str, str, int], ...]  # (workstation, its center, dot)


def syncable_tables() -> dict[str, Any]:
    """Entity name -> Table of every syncable model."""
    out = {}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if issubclass(cls, Syncable) and getattr(cls, "__sync_entity__", None):
            out[cls.__sync_entity__] = cls.__table__
    return out


def export_rows(
    db: Database,
    entities: Iterable[str] | None = None,
    *,
    raw: bool = False,
    owners: Mapping[str, Iterable[str]] | None = None,
    base: Mapping[str, int] | None = None,
) -> dict[str, list[dict]]:
    """Every stored field version, grouped by entity, as bundle rows (:func:`stream_rows`, held in memory)."""
    out: dict[str, list[dict]] = {}
    for entity, rows in stream_rows(db, entities, raw=raw, owners=owners, base=base):
        out.setdefault(entity, []).extend(rows)
    return out


def stream_rows(
    db: Database,
    entities: Iterable[str] | None = None,
    *,
    raw: bool = False,
    owners: Mapping[str, Iterable[str]] | None = None,
    base: Mapping[str, int] | None = None,
    batch: int = 5000,
    session: Any = None,
) -> Iterator[tuple[str, list[dict]]]:
    """Every stored field version as bundle rows, ``(entity, rows)`` of about ``batch`` rows at a time: whole
    records, entity by entity, in the order of the bundle's lines (the primary key's, so the database does not
    sort), from one read transaction (a consistent snapshot) that stays open until the last.

    ``entities`` limits the entities read; ``owners`` limits an entity's records to those of these owners (a
    coordinating center relays only its own monthly values, not every center's). Both are applied in the query.
    ``base`` leaves out, per workstation, the versions up to its dot (a delta bundle's start); in the query too
    while it names few workstations. With ``raw``, the value and version vector stay the stored canonical JSON
    text (:class:`RawJSON`), for writing straight into a bundle; otherwise they are decoded. ``session``: read in
    that read transaction instead (several reads of one snapshot).
    """
    loads = RawJSON if raw else json.loads
    with db.read() if session is None else nullcontext(session) as s:
        rows: list[dict] = []
        current = ""  # the entity of ``rows``
        for entity, record_id, owner, name, node, dot, hlc, vv_json, value_json in versions.scan(
            s, entities, owners=owners, base=base, batch=batch
        ):
            if rows and (entity != current or (len(rows) >= batch and record_id != rows[-1]["id"])):
                yield current, rows
                rows = []
            current = entity
            rows.append({"id": record_id, "field": name, "node": node, "dot": dot, "hlc": hlc,
                         "vv": loads(vv_text(node, dot, vv_json)), "owner": owner, "v": loads(value_json)})  # fmt: skip
        if rows:
            yield current, rows


def hlc_max(db: Database) -> str:
    with db.read() as s:
        return versions.newest_clock(s) or "0000000000000-00000"


_INT64 = range(-(2**63), 2**63)


def value_problem(column, value: Any) -> str | None:
    """What is wrong with a synced value for a column, or ``None`` when it is what this program writes there.

    Nothing is coerced: ``"maybe"`` is not true, ``"12"`` is not a number. The words never repeat the value
    (it may be a patient's name).
    """
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, Boolean):
        return None if type(value) is bool else "a yes/no field holds something other than true or false"
    if isinstance(kind, Integer):
        if type(value) is not int or value not in _INT64:
            return "a whole-number field holds something other than a whole number"
        return None
    if isinstance(kind, DateTime | Date):
        if not isinstance(value, str) or len(value) > 40:
            return "a date field holds something other than a date"
        try:
            parsed = datetime.fromisoformat(value) if isinstance(kind, DateTime) else date.fromisoformat(value)
        except ValueError:
            return "a date field holds something other than a date"
        if isinstance(kind, Date) and parsed.isoformat() != value:
            return "a date field holds something other than a date"
        return None
    if isinstance(kind, LargeBinary):
        return "a bundle may not carry binary data for a field"
    if not isinstance(value, str):  # every other synced column is text
        return "a text field holds something other than text"
    return None


_TABLES: dict[str, Any] = {}


def row_problem(entity: str, row) -> str | None:
    """What is wrong with an incoming field version's value (``None`` when nothing is); for the reader's
    ``check_row``. Fields and kinds of record this version does not know are kept unread, unchecked."""
    if row.field == DELETED_FIELD:
        return None if type(row.v) is bool else "whether the record is deleted is neither true nor false"
    if not _TABLES:
        _TABLES.update(syncable_tables())
    table = _TABLES.get(entity)
    if table is None or row.field not in table.c:
        return None
    problem = value_problem(table.c[row.field], row.v)
    return None if problem is None else f"{problem} ({entity.replace('_', ' ')}, {row.field})"


def _decode(column, value: Any) -> Any:
    problem = value_problem(column, value)
    if problem is not None:  # checked on the way in; a value stored before that check is refused here
        raise SyncIntegrityError(f"A stored field version cannot be shown: {problem}. Nothing was changed.",
                                 detail=f"{column.table.name}.{column.name}")  # fmt: skip
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    return value


def apply_rows(
    db: Database, actor: Actor, rows: Mapping[str, list] | Iterable[tuple[str, list]], *, bundle_id: str, sha256: str,
    signer_key_id: str, site_id: str, created_at: datetime, hlc_max_text: str, now_ms: int,
    progress: Callable[[int, int], None] | None = None, sender: Sender | None = None, total: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Merge verified rows in one transaction; returns counts (siblings added, records changed, conflicts, and
    ``complete``: whether a delta started from what this workstation holds).

    ``rows`` are by entity, or batches ``(entity, rows)`` as a bundle's parts are read (each batch holding whole
    records; ``total`` is then their number of rows, for ``progress``): the batches are read inside the
    transaction, so a batch that turns out to be refused rolls back every one merged before it.

    Work is batched per entity and per chunk of records: the current siblings are read once, merged in
    memory, written with ``executemany``, and the displayed rows of the touched records are recomputed
    from the merged siblings already in memory. ``sender`` (the signing workstation, the bundle's scope, start
    and knowledge) is noted in the same transaction (:mod:`lhn_desktop.store.knowledge`).
    """
    tables = syncable_tables()
    counts: dict[str, Any] = {
        "added": 0,
        "records": 0,
        "conflicts": 0,
        "unknown_entities": 0,
        "kinds": {},
        "complete": True,
    }
    if isinstance(rows, Mapping):
        total = sum(len(r) for r in rows.values()) if total is None else total
        batches: Iterable[tuple[str, list]] = rows.items()
    else:
        batches = rows
    done = 0
    seen: str | None = None  # the newest clock value among the rows merged
    node = db.local_node()
    with db.write(actor) as s:
        conn = s.connection()
        # under the write lock: a second window or command that verified the same bundle while this one merged
        # it finds it imported here, and changes nothing
        before = conn.execute(select(SyncImportLog.sha256).where(SyncImportLog.bundle_id == bundle_id)).scalar()
        if before is not None:
            return {**counts, "imported_before": before}
        shown: set[str] = set()  # kinds of record with a record displayed by this import that was not before
        touched = _Touched()  # the displayed rows written and removed: where a parent can be missing
        writers: dict[str, str] = {node.node_id: node.site_code}  # workstation -> its site, once checked
        for entity, entity_rows in batches:
            by_record: dict[str, list] = {}
            for r in entity_rows:
                by_record.setdefault(r.id, []).append(r)
                if seen is None or r.hlc > seen:
                    seen = r.hlc
            ids = sorted(by_record)
            table = tables.get(entity)
            if table is None:
                counts["unknown_entities"] += 1  # its versions kept, relayed, not displayed
            for start in range(0, len(ids), _IN_CHUNK):
                chunk = ids[start : start + _IN_CHUNK]
                _apply_chunk(conn, entity, table, chunk, by_record, counts, shown, writers, touched)
                done += sum(len(by_record[i]) for i in chunk)
                if progress:
                    progress(done, max(total or 0, done))
        if shown:
            _show_waiting(conn, tables, touched)
        counts["hidden"] = _hide_orphans(conn, tables, touched)
        clock = conn.execute(select(SyncNode).where(SyncNode.node_id == db.local_node().node_id)).first()
        if clock is not None:
            # the clock follows the values that passed the checks, not the manifest's claim
            incoming = Hlc.parse(min(seen, hlc_max_text)) if seen else Hlc(0, 0)
            merged = receive(Hlc(clock.hlc_wall_ms, clock.hlc_counter), incoming, now_ms)
            conn.execute(update(SyncNode).where(SyncNode.node_id == clock.node_id)
                         .values(hlc_wall_ms=merged.wall_ms, hlc_counter=merged.counter))  # fmt: skip
        knowledge.forget_misplaced(conn, writers)
        if sender is not None:
            counts["complete"] = knowledge.note_bundle(
                conn, local_site=node.site_code, local_node=node.node_id, sender_node=sender.node,
                sender_site=site_id, scope=sender.scope, start=sender.base, known=sender.known)  # fmt: skip
        conn.execute(insert(SyncImportLog).values(
            bundle_id=bundle_id, sha256=sha256, signer_key_id=signer_key_id, site_id=site_id,
            created_at=created_at.replace(tzinfo=None), result="imported", counts_json=json.dumps(counts)))  # fmt: skip
        record_audit(s, "import", "bundle", None, f"{bundle_id} from {site_id}: {json.dumps(counts)}")
    return counts


def _check_writers(conn, writers: dict[str, str]) -> None:
    """Every workstation writes for one site only: a workstation that brings new versions for one site may not
    have brought or written versions for another here. The site each workstation writes for is noted once, when
    its first versions are stored (``sync_writer``, decision 53); the workstations first seen now are noted."""
    nodes = sorted(writers)
    noted: dict[str, str] = {}
    for start in range(0, len(nodes), _IN_CHUNK):
        query = select(SyncWriter.node_id, SyncWriter.site).where(
            SyncWriter.node_id.in_(nodes[start : start + _IN_CHUNK])
        )
        noted.update((node, site) for node, site in conn.execute(query))
    if any(noted[node] != site for node, site in writers.items() if node in noted):
        raise WriteRefused("holds field versions from a workstation that belongs to another center")
    new = [{"node_id": node, "site": writers[node]} for node in nodes if node not in noted]
    if new:
        conn.execute(insert(SyncWriter), new)


def _apply_chunk(conn, entity: str, table, chunk: list[str], by_record: dict[str, list], counts: dict[str, Any],
                 shown: set[str], writers: dict[str, str], changes: _Touched) -> None:  # fmt: skip
    """Merge the incoming rows of some records of one entity, then rebuild those records' displayed rows.

    The stored versions are read as text and decoded only where needed: an incoming version this workstation
    already holds (the same node and dot) is recognised by comparing canonical JSON text, which is most of a
    full-state bundle between workstations that exchange often.
    """
    stored = versions.read(conn, entity, chunk)
    owner_of = {record_id: held.owner for record_id, held in stored.items()}  # who owns each (it never changes)
    if table is not None:
        for record_id, owner in conn.execute(select(table.c.id, table.c.owner_site_id).where(table.c.id.in_(chunk))):
            owner_of.setdefault(record_id, owner)
    kind = entity.replace("_", " ")
    current: dict[str, dict[str, list[Sibling]]] = {}

    def siblings(record_id: str, name: str) -> list[Sibling]:
        fields = current.setdefault(record_id, {})
        if name not in fields:
            held = stored.get(record_id)
            fields[name] = [Sibling(v.node, v.dot, v.hlc, v.vv(), v.value())
                            for v in (held.fields.get(name, ()) if held is not None else ())]  # fmt: skip
        return fields[name]

    edits: list[Change] = []
    fresh: dict[str, str] = {}  # workstation -> the site of the new versions it brings in this chunk
    touched: list[str] = []
    owners: dict[str, str] = {}
    for record_id in chunk:
        held = stored.get(record_id)
        on_file = held.fields if held is not None else {}
        change: Change | None = None
        for r in by_record[record_id]:
            if owner_of.setdefault(record_id, r.owner) != r.owner and not (
                entity in NCC_ONLY and "ncc" in (r.owner, owner_of[record_id])
            ):  # the network's versions of its own definitions are welcome
                raise WriteRefused(f"would give a {kind} record held here another owning center (the center that "
                                   "owns a record never changes, and only it may write the record)")  # fmt: skip
            owners[record_id] = r.owner
            if r.field not in current.get(record_id, ()):
                same = next((v for v in on_file.get(r.field, ()) if v.node == r.node and v.dot == r.dot), None)
                if same is not None:
                    if vv_text(r.node, r.dot, same.vv_json) != canonical_json(dict(r.vv)) or (
                        same.value_json != canonical_json(r.v)
                    ):
                        raise SyncIntegrityError(
                            "Two versions of a field carry the same identity but different content; the data is "
                            "corrupt or forged. Nothing was changed.", detail=f"{entity} dot={r.dot}")  # fmt: skip
                    continue  # already held
            before = siblings(record_id, r.field)
            after = merge(before, Sibling(r.node, r.dot, r.hlc, dict(r.vv), r.v))
            kept = {x.key for x in after}
            if kept == {x.key for x in before}:
                continue
            if change is None:
                change = Change(record_id, r.owner, held)
                edits.append(change)
            if len(after) <= len(before):  # some were superseded (the new one alone adds one)
                superseded = {x.key for x in before if x.key not in kept}
                # a version this bundle adds and a later one of it supersedes is not stored either
                change.added = [v for v in change.added if v.field != r.field or (v.node, v.dot) not in superseded]
                change.removed.extend((r.field, node, dot) for node, dot in sorted(superseded))
            change.added.append(Version(r.field, r.node, r.dot, r.hlc, stored_vv(r.node, r.dot, dict(r.vv)),
                                        canonical_json(r.v)))  # fmt: skip
            if fresh.setdefault(r.node, r.owner) != r.owner or writers.get(r.node, r.owner) != r.owner:
                raise WriteRefused("holds field versions from a workstation that belongs to another center")
            current[record_id][r.field] = after
        if change is not None:
            touched.append(record_id)
            for name in on_file:  # the displayed row is rebuilt from every field
                siblings(record_id, name)
    counts["added"] += versions.write(conn, entity, edits)
    unchecked = {n: site for n, site in fresh.items() if n not in writers}
    if unchecked:  # before any displayed row is written from them
        _check_writers(conn, unchecked)
        writers.update(unchecked)
    if table is None or not touched:
        return
    existing = {row[0] for row in conn.execute(select(table.c.id).where(table.c.id.in_(touched)))}
    new_rows: list[dict[str, Any]] = []
    updates: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    gone: list[str] = []
    columns = [c for c in table.columns if c.name not in UNCAPTURED_COLUMNS]  # id and owner never change
    for record_id in touched:
        fields = current[record_id]
        winners = {name: max(sibs, key=lambda x: (x.hlc, x.node)).value for name, sibs in fields.items()}
        conflict = any(len({canonical_json(x.value) for x in sibs}) > 1 for sibs in fields.values())
        counts["conflicts"] += int(conflict)
        counts["records"] += 1
        counts["kinds"][entity] = counts["kinds"].get(entity, 0) + 1
        if winners.get(DELETED_FIELD) is True:
            if record_id in existing:
                gone.append(record_id)
            continue
        if record_id not in existing and not _arrived(table, winners):
            continue  # a delta made for others brought later edits of a record whose creation has not come yet
        values = {c.name: _decode(c, winners[c.name]) for c in columns if c.name in winners}
        values["has_conflict"] = conflict
        if record_id in existing:
            values["_id"] = record_id
            updates.setdefault(tuple(sorted(values)), []).append(values)
        else:
            new_rows.append({"id": record_id, "owner_site_id": owners[record_id], **values})
            shown.add(entity)  # the kind, not the id: a set of ids would grow with the center
    changes.removed(table.name, gone)
    changes.wrote(table.name, [row["id"] for row in new_rows])
    changes.wrote(table.name, [values["_id"] for batch in updates.values() for values in batch])
    if gone:
        conn.execute(delete(table).where(table.c.id.in_(gone)))
    for batch in updates.values():  # SET takes the column names of each parameter set
        conn.execute(update(table).where(table.c.id == bindparam("_id")), batch)
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in new_rows:
        by_columns.setdefault(tuple(sorted(row)), []).append(row)
    for batch in by_columns.values():
        conn.execute(insert(table), batch)


def _rebuild(conn, table, entity: str, record_id: str, owner: str) -> tuple[int, bool]:
    """Recompute a record's displayed row from its siblings.

    Returns (1 when a field is in conflict else 0, whether the row was newly shown).
    """
    held = versions.read(conn, entity, [record_id]).get(record_id)
    fields = {name: [(v.hlc, v.node, v.value()) for v in sibs] for name, sibs in (held.fields if held else {}).items()}
    winners = {name: max(sibs, key=lambda x: (x[0], x[1]))[2] for name, sibs in fields.items()}
    conflict = any(len({canonical_json(x[2]) for x in sibs}) > 1 for sibs in fields.values())
    exists = conn.execute(select(table.c.id).where(table.c.id == record_id)).first() is not None
    if winners.get(DELETED_FIELD) is True:
        if exists:
            conn.execute(delete(table).where(table.c.id == record_id))
        return int(conflict), False
    if not exists and not _arrived(table, winners):
        return int(conflict), False
    values = {c.name: _decode(c, winners[c.name]) for c in table.columns
              if c.name in winners and c.name not in UNCAPTURED_COLUMNS}  # fmt: skip
    values["has_conflict"] = conflict
    if exists:
        conn.execute(update(table).where(table.c.id == record_id).values(**values))
    else:
        conn.execute(insert(table).values(id=record_id, owner_site_id=owner, **values))
    return int(conflict), not exists


def _arrived(table, winners: Mapping[str, Any]) -> bool:
    """Whether a record not displayed yet can be: its creation (or a delete or restore) has arrived, which writes
    ``_deleted``, and every column the table requires has a value. A delta bundle made for the other workstations
    of a center can reach one that lacks a record's creation and bring only later edits of it; those versions are
    kept, and the record is shown once the rest arrives (its next import touches it)."""
    if DELETED_FIELD not in winners:
        return False
    return all(c.name in winners for c in _required_columns(table))


def _required_columns(table) -> list:
    """The captured columns of a displayed table that take no value unless one is given."""
    return [c for c in table.columns if not c.nullable and c.default is None and c.server_default is None
            and c.name not in UNCAPTURED_COLUMNS]  # fmt: skip


def _show_waiting(conn, tables: dict[str, Any], touched: _Touched | None = None) -> None:
    """Show the records that were hidden only because a record they belong to was not displayed (deleted, or not
    arrived yet) once something new is displayed: every stored record not displayed whose delete did not win is
    rebuilt, and :func:`_hide_orphans` hides again those whose parent is still missing. A delta bundle can bring a
    record before the one it belongs to, so the parent's arrival, not only its restore, shows the child."""
    waiting: dict[str, list[str]] = {}
    for entity, record_id in hidden_records(conn):
        if entity in tables:
            waiting.setdefault(entity, []).append(record_id)
    for entity, ids in waiting.items():
        table = tables[entity]
        for start in range(0, len(ids), _IN_CHUNK):
            marks = versions.read(conn, entity, ids[start : start + _IN_CHUNK], only=DELETED_FIELD)
            for record_id, held in sorted(marks.items()):
                winner = max(held.fields[DELETED_FIELD], key=lambda v: (v.hlc, v.node))
                if winner.value_json != "true":
                    _rebuild(conn, table, entity, record_id, held.owner)
                    if touched is not None:
                        touched.wrote(table.name, [record_id])


#: beyond this many displayed rows written or removed by one merge, the whole tables are checked for rows whose
#: parent is missing (one pass of SQLite's foreign-key check) instead of those rows: memory stays bounded
_MOST_TOUCHED = 20_000


class _Touched:
    """The displayed rows one merge wrote and removed, by table: the only rows whose foreign keys the merge can have
    broken (a written row's own keys; the rows that refer to a removed one). Past ``_MOST_TOUCHED`` ids it keeps
    none and says ``whole``: the whole tables are checked then, as a full bundle into a new workstation needs."""

    def __init__(self) -> None:
        self.written_ids: dict[str, set[Any]] = {}
        self.removed_ids: dict[str, set[Any]] = {}
        self.whole = False
        self._count = 0

    def wrote(self, table: str, ids: Iterable[Any]) -> None:
        self._note(self.written_ids, table, ids)

    def removed(self, table: str, ids: Iterable[Any]) -> None:
        self._note(self.removed_ids, table, ids)

    def _note(self, kind: dict[str, set[Any]], table: str, ids: Iterable[Any]) -> None:
        if self.whole:
            return
        noted = kind.setdefault(table, set())
        before = len(noted)
        noted.update(ids)
        self._count += len(noted) - before
        if self._count > _MOST_TOUCHED:
            self.whole, self.written_ids, self.removed_ids = True, {}, {}


def _hide_orphans(conn, tables: dict[str, Any], touched: _Touched | None = None) -> int:
    """Hide displayed records whose parent record is deleted or has not arrived yet (their field versions
    stay stored and travel on); returns how many were hidden. The displayed tables stay consistent.

    With ``touched`` (what a merge wrote and removed) only those rows and the rows referring to them are looked at,
    then the rows referring to those hidden, and so on; otherwise, or past its bound, every table is checked. A row
    missed would fail the commit (the foreign keys are checked there), never pass it."""
    names = {t.name: t for t in tables.values()}
    whole = touched is None or touched.whole
    by_rowid = whole and conn.dialect.name == "sqlite"  # SQLite's own check names a row by its rowid
    written = {} if touched is None or whole else touched.written_ids
    removed = {} if touched is None or whole else touched.removed_ids
    hidden: set[tuple[str, Any]] = set()
    for _ in range(32):
        if by_rowid:
            problems = [(t, rowid) for t, rowid, _parent, _fk in conn.execute(text("PRAGMA foreign_key_check"))]
        elif whole:
            problems = _missing_parents(conn)
        else:
            problems = _orphans(conn, written, removed)
        if not problems:
            return len(hidden)
        written, removed = {}, {}
        for table_name, key in problems:
            if table_name not in names:
                raise SyncIntegrityError(
                    "The records on this workstation refer to missing records; nothing was changed.",
                    detail=f"foreign-key problem in {table_name}",
                )
            if by_rowid:
                conn.execute(text(f'DELETE FROM "{table_name}" WHERE rowid = :r'), {"r": key})
            else:
                conn.execute(delete(names[table_name]).where(names[table_name].c.id == key))
            removed.setdefault(table_name, set()).add(key)  # the rows referring to it are looked at next
            hidden.add((table_name, key))
    raise SyncIntegrityError("The records could not be made consistent; nothing was changed.")


def _parent_checks() -> Iterator[tuple[Any, Any, Any, list, Any]]:
    """For every foreign key: its table, the table's key column, the key, its (child, parent) column pairs and the
    query for the rows of the table whose parent is not there."""
    for table in Base.metadata.sorted_tables:
        key = next(iter(table.primary_key.columns))
        for fk in table.foreign_key_constraints:
            parent = fk.referred_table.alias("parent")
            pairs = [(element.parent, parent.c[element.column.name]) for element in fk.elements]
            there = exists().where(*(parent_col == col for col, parent_col in pairs))
            yield table, key, fk, pairs, select(key).where(*(col.is_not(None) for col, _ in pairs), ~there)


def _orphans(conn, written: Mapping[str, set[Any]], removed: Mapping[str, set[Any]]) -> list[tuple[str, Any]]:
    """(table, key) of the rows whose parent is missing among the ``written`` rows and the rows that refer to a
    ``removed`` one (a foreign key to another column than the parent's key is checked over its whole table)."""
    found: set[tuple[str, Any]] = set()
    for table, key, fk, pairs, query in _parent_checks():
        batches = [query.where(key.in_(chunk)) for chunk in _id_chunks(written.get(table.name, ()))]
        gone = removed.get(fk.referred_table.name, ())
        if gone and len(pairs) == 1 and pairs[0][1].name == "id":
            batches += [query.where(pairs[0][0].in_(chunk)) for chunk in _id_chunks(gone)]
        elif gone:
            batches.append(query)
        for batch in batches:
            found.update((table.name, row) for row in conn.execute(batch).scalars())
    return sorted(found, key=lambda item: (item[0], str(item[1])))


def _id_chunks(ids: Iterable[Any]) -> list[list[Any]]:
    ordered = sorted(ids, key=str)
    return [ordered[start : start + _IN_CHUNK] for start in range(0, len(ordered), _IN_CHUNK)]


def _missing_parents(conn) -> list[tuple[str, Any]]:
    """What SQLite's ``foreign_key_check`` reports, on a server: (table, key) of every row whose foreign key names a
    row that is not there. Keys are deferred to the commit there too, so this runs before it."""
    return [(table.name, row) for table, _key, _fk, _pairs, query in _parent_checks()
            for row in conn.execute(query).scalars()]  # fmt: skip


@dataclass(frozen=True)
class StoredVersion:
    field: str
    node: str
    hlc: str
    value: Any


def record_versions(session, entity: str, record_id: str) -> list[StoredVersion]:
    """Every stored field version (all siblings) of one record."""
    return records_versions(session, entity, [record_id]).get(record_id, [])


def records_versions(session, entity: str, record_ids: Iterable[str]) -> dict[str, list[StoredVersion]]:
    """Every stored field version (all siblings) of each of these records of one entity, by record."""
    return {record_id: [StoredVersion(v.field, v.node, v.hlc, v.value()) for sibs in held.fields.values()
                        for v in sibs]
            for record_id, held in versions.read(session, entity, record_ids).items()}  # fmt: skip


def stored_values(session, entity: str, record_ids: Iterable[str], field: str) -> dict[str, list[Any]]:
    """The stored values (every sibling) of one field of each of these records, displayed or not (a deleted
    record's versions stay stored: whose a deleted observation was is still known)."""
    return {record_id: [v.value() for v in held.fields[field]]
            for record_id, held in versions.read(session, entity, record_ids, only=field).items()}  # fmt: skip


def hidden_records(session) -> list[tuple[str, str]]:
    """``(entity, record_id)`` of every stored record that is not displayed: deleted, hidden until the record it
    belongs to arrives or is restored, or of a kind this version does not display.

    Every record has a ``_deleted`` field version (most have exactly one), and every displayed record is stored,
    so an entity with no more ``_deleted`` versions than displayed rows hides nothing; only the others are looked
    into. Both questions are asked of the ``_deleted`` versions alone (``field = '_deleted'``: the partial index
    on them), never of every field version.
    """
    tables = syncable_tables()
    out: list[tuple[str, str]] = []
    for entity, count in versions.record_counts(session).items():
        table = tables.get(entity)
        if table is not None and count <= (session.scalar(select(func.count()).select_from(table)) or 0):
            continue
        out.extend((entity, record_id) for record_id in versions.records_not_in(session, entity, table))
    return out


def _flagged_records(session) -> list[tuple[str, str]]:
    """``(entity, record_id)`` of the displayed records the merge (or a local edit) flagged ``has_conflict``."""
    out: list[tuple[str, str]] = []
    for entity, table in syncable_tables().items():
        out.extend((entity, i) for i in session.scalars(select(table.c.id).where(table.c.has_conflict.is_(True))))
    return out


def conflicted_fields(session, hidden: list[tuple[str, str]] | None = None) -> list[tuple[str, str, str]]:
    """``(entity, record_id, field)`` of every field whose siblings hold more than one distinct value.

    A conflict can be only where the merge flagged one (``has_conflict`` on the displayed row, kept up to date
    by every merge and local edit) or in a record not displayed (:func:`hidden_records`); only those records'
    versions are grouped. ``hidden``: :func:`hidden_records`, when the caller has them already.
    """
    candidates: dict[str, set[str]] = {}
    hidden = hidden_records(session) if hidden is None else hidden
    for entity, record_id in [*_flagged_records(session), *hidden]:
        candidates.setdefault(entity, set()).add(record_id)
    out = [(entity, record_id, name) for entity, found in candidates.items()
           for record_id, name in versions.conflicts(session, entity, found)]  # fmt: skip
    return sorted(out)


def deleted_records(session, hidden: list[tuple[str, str]] | None = None) -> list[tuple[str, str]]:
    """``(entity, record_id)`` of records not displayed that have a stored delete (a record whose delete won is
    never displayed; one restored since is displayed again and is not listed). ``hidden``: :func:`hidden_records`,
    when the caller has them already."""
    by_entity: dict[str, list[str]] = {}
    for entity, record_id in hidden_records(session) if hidden is None else hidden:
        by_entity.setdefault(entity, []).append(record_id)
    return sorted((entity, record_id) for entity, ids in by_entity.items()
                  for record_id in versions.deleted(session, entity, ids))  # fmt: skip


def write_and_rebuild(session, entity: str, record_id: str, values: dict[str, Any], action: str) -> None:
    """A local write of some fields of a record (collapsing their siblings), then its displayed row rebuilt.

    Used where the ORM cannot express the write: choosing a value equal to the displayed one, restoring
    a deleted record, or confirming a delete of a record that is no longer displayed.
    """
    tables = syncable_tables()
    owner = versions.owner(session, entity, record_id)
    if entity not in tables or owner is None:
        raise SyncIntegrityError("That record is not stored on this workstation.")
    write_versions(session, [(action, entity, record_id, owner, values)])
    conn = session.connection()
    if _rebuild(conn, tables[entity], entity, record_id, owner)[1]:
        _show_waiting(conn, tables)
    _hide_orphans(conn, tables)


def record_owner(session, entity: str, record_id: str) -> str | None:
    return versions.owner(session, entity, record_id)
