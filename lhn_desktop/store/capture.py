"""Automatic change capture for sync (SYNC.md 0.9, 1.2-1.4).

Feature code uses the ORM normally. When a session flushes, this hook records - in the same
transaction - a field version for every column written on a syncable record: its node, a dot, a
hybrid-logical-clock timestamp and a version vector that collapses the siblings the writer saw.
Creating a record writes every field plus ``_deleted=false``; deleting writes ``_deleted=true``
(a tombstone, kept). The node clock is persisted in the same transaction, and one audit row per
record says who changed what.

A session that writes syncable records must carry a :class:`CaptureContext` in
``session.info["capture"]``; without one the flush is refused, so no feature can forget.
"""

from __future__ import annotations

import enum
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, event, insert, inspect, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from lhn_desktop.errors import PermissionDenied, ValidationError
from lhn_desktop.models.base import UNCAPTURED_COLUMNS, Syncable
from lhn_desktop.models.sync import AuditEvent, SyncNode, SyncWriter
from lhn_desktop.store import versions
from lhn_desktop.store.limits import MAX_TEXT, too_long
from lhn_desktop.store.versions import DELETED_FIELD, Change, Version
from lhn_desktop.sync.hlc import Hlc, tick
from lhn_desktop.sync.merge import canonical_json, pointwise_max

GENESIS_HASH = "0" * 64


#: Records of one flush stamped between two readings of the wall clock. Each takes a tick of the clock's
#: counter; reading the wall clock again every so often lets a flush of any size be stamped (the counter
#: holds 65,535 ticks a millisecond, and a thousand records take far longer than a millisecond to write).
WALL_EVERY = 1000


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(slots=True)
class CaptureContext:
    """Who is writing, from which node, by which clock."""

    node_id: str
    site_code: str
    actor_id: str | None
    actor_name: str
    now_ms: Callable[[], int] = wall_clock_ms
    #: Counts of captured operations, for callers that report what changed.
    counts: dict[str, int] = field(default_factory=dict)


def encode_value(value: Any) -> Any:
    """A column value as a JSON-safe sync value. Binary floats are refused (SYNC.md 1.2)."""
    if value is None or isinstance(value, bool | int | str):
        return value.value if isinstance(value, enum.Enum) else value
    if isinstance(value, datetime):
        return value.isoformat(timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, float):
        raise TypeError("binary floats are not allowed in synced fields; store decimal text")
    raise TypeError(f"cannot capture a value of type {type(value).__name__}")


def _column_keys(obj: Syncable) -> list[str]:
    return [a.key for a in inspect(obj).mapper.column_attrs if a.key not in UNCAPTURED_COLUMNS]


def _before_flush(session: Session, _flush_context, _instances) -> None:
    if session.info.get("read_only") and (session.new or session.dirty or session.deleted):
        raise RuntimeError("a read session cannot write; use Database.write()")
    ctx: CaptureContext | None = session.info.get("capture")
    for obj in session.new:
        if isinstance(obj, Syncable):
            if ctx is None:
                raise RuntimeError("a syncable record was written outside a capturing session")
            if obj.owner_site_id is None:
                obj.owner_site_id = ctx.site_code
            elif obj.owner_site_id != ctx.site_code:
                raise PermissionDenied(_foreign_message(obj))
    for obj in session.dirty:
        if isinstance(obj, Syncable) and session.is_modified(obj, include_collections=False):
            if ctx is None:
                raise RuntimeError("a syncable record was changed outside a capturing session")
            history = inspect(obj).attrs.owner_site_id.history
            if history.deleted and history.deleted[0] is not None:
                raise ValidationError("The owning center of a record cannot be changed.")
            if obj.owner_site_id != ctx.site_code:
                raise PermissionDenied(_foreign_message(obj))
    for obj in session.deleted:
        if isinstance(obj, Syncable):
            if ctx is None:
                raise RuntimeError("a syncable record was deleted outside a capturing session")
            if obj.owner_site_id != ctx.site_code:
                raise PermissionDenied(_foreign_message(obj))


def _foreign_message(obj: Syncable) -> str:
    return (
        f"This {obj.__sync_entity__.replace('_', ' ')} belongs to center {obj.owner_site_id} and is read-only here. "
        "Use 'adapt for my center' to make a local copy you can change."
    )


def _after_flush(session: Session, _flush_context) -> None:
    ops: list[tuple[str, str, str, str, dict[str, Any]]] = []
    conflicted: list[Syncable] = []
    for obj in session.new:
        if isinstance(obj, Syncable):
            values = {k: getattr(obj, k) for k in _column_keys(obj)}
            values[DELETED_FIELD] = False
            ops.append(("create", obj.__sync_entity__, obj.id, obj.owner_site_id, values))
    for obj in session.dirty:
        if isinstance(obj, Syncable) and session.is_modified(obj, include_collections=False):
            state = inspect(obj)
            changed = {k: getattr(obj, k) for k in _column_keys(obj) if state.attrs[k].history.has_changes()}
            if changed:
                ops.append(("update", obj.__sync_entity__, obj.id, obj.owner_site_id, changed))
                if obj.has_conflict:
                    conflicted.append(obj)
    for obj in session.deleted:
        if isinstance(obj, Syncable):
            ops.append(("delete", obj.__sync_entity__, obj.id, obj.owner_site_id, {DELETED_FIELD: True}))
    if not ops:
        return
    write_versions(session, ops)
    conn = session.connection()
    for obj in conflicted:  # a local edit collapses the siblings it saw; the record may be out of conflict now
        if not field_conflicts(conn, obj.__sync_entity__, obj.id):
            table = cast(Table, obj.__table__)  # typed as any FromClause; a syncable model maps one Table
            conn.execute(update(table).where(table.c.id == obj.id).values(has_conflict=False))
            set_committed_value(obj, "has_conflict", False)


def field_conflicts(conn, entity: str, record_id: str) -> list[str]:
    """The fields of a record whose siblings hold more than one distinct value."""
    stored = versions.read(conn, entity, [record_id]).get(record_id)
    if stored is None:
        return []
    return sorted(name for name, sibs in stored.fields.items() if len({v.value_json for v in sibs}) > 1)


def write_versions(session: Session, ops: list[tuple[str, str, str, str, dict[str, Any]]]) -> None:
    """Record local writes as field versions: ``(action, entity, record_id, owner, {field: value})`` each.

    Each operation takes the next dot and a clock tick; each field's version vector covers every
    sibling it replaces, so a local write collapses them (SYNC.md 1.4 ``local_write``).
    """
    ctx: CaptureContext = session.info["capture"]
    conn = session.connection()

    node = conn.execute(select(SyncNode).where(SyncNode.node_id == ctx.node_id)).first()
    if node is None:
        conn.execute(insert(SyncNode).values(node_id=ctx.node_id, next_dot=1, hlc_wall_ms=0, hlc_counter=0))
        next_dot, clock = 1, Hlc(0, 0)
    else:
        next_dot, clock = node.next_dot, Hlc(node.hlc_wall_ms, node.hlc_counter)

    stored = _stored(conn, ops)
    changes: dict[tuple[str, str], Change] = {}  # one per record the flush writes, in the order first written
    audit: list[tuple[str, str, str, str]] = []
    now = ctx.now_ms()
    for n, (action, entity, record_id, owner, values) in enumerate(ops):
        if n and n % WALL_EVERY == 0:  # a large flush reads the wall clock again: its ticks never run out
            now = ctx.now_ms()
        dot = next_dot
        next_dot += 1
        clock = tick(clock, now)
        stamp = str(clock)
        before = stored.get((entity, record_id))
        change = changes.get((entity, record_id))
        if change is None:
            change = changes[entity, record_id] = Change(record_id, owner, before)
        for name, value in values.items():
            vv_json = None  # a field with no earlier sibling, or only this workstation's: this version alone
            seen = change.current(name)
            if seen:
                vv = pointwise_max([v.vv() for v in seen])
                vv[ctx.node_id] = dot
                vv_json = versions.stored_vv(ctx.node_id, dot, vv)
                change.removed.extend((name, v.node, v.dot) for v in seen if v not in change.added)
                change.added = [v for v in change.added if v.field != name]
            if type(value) is str and len(value) > MAX_TEXT:  # no bundle reader would take it
                raise ValidationError(too_long(entity, name, len(value)), field=name)
            change.added.append(Version(name, ctx.node_id, dot, stamp, vv_json, canonical_json(encode_value(value))))
        audit.append((action, entity, record_id, ",".join(sorted(values))))
        ctx.counts[action] = ctx.counts.get(action, 0) + 1

    by_entity: dict[str, list[Change]] = {}
    for (entity, _record_id), change in changes.items():
        by_entity.setdefault(entity, []).append(change)
    for entity, entity_changes in by_entity.items():
        versions.write(conn, entity, entity_changes)
    if conn.execute(select(SyncWriter.site).where(SyncWriter.node_id == ctx.node_id)).first() is None:
        conn.execute(insert(SyncWriter).values(node_id=ctx.node_id, site=ctx.site_code))  # its first versions here
    conn.execute(
        update(SyncNode)
        .where(SyncNode.node_id == ctx.node_id)
        .values(next_dot=next_dot, hlc_wall_ms=clock.wall_ms, hlc_counter=clock.counter)
    )
    _write_audit(conn, ctx, audit)


def _stored(conn, ops) -> dict[tuple[str, str], versions.Stored]:
    """The stored versions of every record the flush touches."""
    by_entity: dict[str, list[str]] = {}
    for _action, entity, record_id, _owner, _values in ops:
        by_entity.setdefault(entity, []).append(record_id)
    found: dict[tuple[str, str], versions.Stored] = {}
    for entity, ids in by_entity.items():
        found.update(((entity, record_id), stored) for record_id, stored in versions.read(conn, entity, ids).items())
    return found


def audit_hash(
    prev_hash: str,
    at: str,
    actor_id: str | None,
    actor_name: str,
    action: str,
    entity: str,
    record_id: str | None,
    fields: str,
) -> str:
    payload = canonical_json([at, actor_id, actor_name, action, entity, record_id, fields])
    return hashlib.sha256((prev_hash + payload).encode("utf-8")).hexdigest()


def _write_audit(conn, ctx: CaptureContext, entries: Sequence[tuple[str, str, str | None, str]]) -> None:
    prev = conn.execute(select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)).scalar() or GENESIS_HASH
    at = datetime.fromtimestamp(ctx.now_ms() / 1000, UTC).replace(microsecond=0, tzinfo=None)
    at_text = at.isoformat()
    rows = []
    for action, entity, record_id, fields in entries:
        digest = audit_hash(prev, at_text, ctx.actor_id, ctx.actor_name, action, entity, record_id, fields)
        rows.append(
            {
                "at": at,
                "actor_id": ctx.actor_id,
                "actor_name": ctx.actor_name,
                "action": action,
                "entity": entity,
                "record_id": record_id,
                "fields": fields,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    conn.execute(insert(AuditEvent), rows)


def record_audit(session: Session, action: str, entity: str, record_id: str | None = None, detail: str = "") -> None:
    """Add a named audit entry (an export, a backup, a sign-in) in the session's transaction."""
    ctx: CaptureContext = session.info["capture"]
    _write_audit(session.connection(), ctx, [(action, entity, record_id, detail)])


def _on_orm_execute(state) -> None:
    """Refuse ORM-level bulk writes of syncable records: they would bypass the flush hook."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    if state.session.info.get("read_only"):
        raise RuntimeError("a read session cannot write; use Database.write()")
    if any(issubclass(m.class_, Syncable) for m in state.all_mappers):
        raise RuntimeError(
            "bulk INSERT/UPDATE/DELETE of syncable records bypasses change capture; "
            "load the records and change them through the ORM"
        )


def install(target) -> None:
    """Attach the capture hooks to a ``sessionmaker`` (or Session class)."""
    event.listen(target, "before_flush", _before_flush)
    event.listen(target, "after_flush", _after_flush)
    event.listen(target, "do_orm_execute", _on_orm_execute)
