"""Reading field versions out for a bundle, and applying a verified bundle (SYNC.md 2.2 step 9).

Applying works below the ORM, so change capture does not record the incoming values as local
edits: inside one ``BEGIN IMMEDIATE`` transaction every incoming sibling is merged into
``sync_value`` (sync.merge), then the displayed row of each touched record is recomputed from its
siblings (the winner by ``(hlc, node)``; ``_deleted`` hides the row; more than one distinct value
marks ``has_conflict``). Foreign keys are deferred, so records may arrive in any order; they are
checked at the end, and any failure rolls everything back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, DateTime, Integer, LargeBinary, and_, delete, insert, select, text, update

from lhn_desktop.access import Actor
from lhn_desktop.errors import SyncIntegrityError
from lhn_desktop.models.base import Base, Syncable
from lhn_desktop.models.sync import SyncImportLog, SyncNode, SyncValue
from lhn_desktop.store.capture import DELETED_FIELD, record_audit
from lhn_desktop.store.database import Database
from lhn_desktop.sync.hlc import Hlc, receive
from lhn_desktop.sync.merge import Sibling, canonical_json, merge

_IN_CHUNK = 500


def syncable_tables() -> dict[str, Any]:
    """Entity name -> Table of every syncable model."""
    out = {}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if issubclass(cls, Syncable) and getattr(cls, "__sync_entity__", None):
            out[cls.__sync_entity__] = cls.__table__
    return out


def export_rows(db: Database, entities: Iterable[str] | None = None) -> dict[str, list[dict]]:
    """Every stored field version, grouped by entity, as bundle rows."""
    wanted = set(entities) if entities is not None else None
    out: dict[str, list[dict]] = {}
    with db.read() as s:
        for v in s.scalars(select(SyncValue)):
            if wanted is not None and v.entity not in wanted:
                continue
            out.setdefault(v.entity, []).append(
                {
                    "id": v.record_id,
                    "field": v.field,
                    "node": v.node,
                    "dot": v.dot,
                    "hlc": v.hlc,
                    "vv": json.loads(v.vv_json),
                    "owner": v.owner,
                    "v": json.loads(v.value_json),
                }
            )
    return out


def hlc_max(db: Database) -> str:
    with db.read() as s:
        return s.scalar(select(SyncValue.hlc).order_by(SyncValue.hlc.desc()).limit(1)) or "0000000000000-00000"


def _decode(column, value: Any) -> Any:
    if value is None:
        return None
    kind = column.type
    if isinstance(kind, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(kind, Date):
        return date.fromisoformat(value)
    if isinstance(kind, Boolean):
        return bool(value)
    if isinstance(kind, Integer):
        return int(value)
    if isinstance(kind, LargeBinary):
        raise SyncIntegrityError("A bundle carried binary data for a synced field; it was refused.")
    return value


def apply_rows(
    db: Database, actor: Actor, rows: dict[str, list], *, bundle_id: str, sha256: str, signer_key_id: str,
    site_id: str, created_at: datetime, hlc_max_text: str, now_ms: int,
) -> dict[str, int]:  # fmt: skip
    """Merge verified rows in one transaction; returns counts (siblings added, records changed, conflicts)."""
    tables = syncable_tables()
    counts = {"added": 0, "records": 0, "conflicts": 0, "unknown_entities": 0}
    with db.write(actor) as s:
        conn = s.connection()
        touched: dict[str, set[str]] = {}
        for entity, entity_rows in rows.items():
            ids = sorted({r.id for r in entity_rows})
            current: dict[tuple[str, str], list[Sibling]] = {}
            for start in range(0, len(ids), _IN_CHUNK):
                for v in conn.execute(
                    select(SyncValue).where(SyncValue.entity == entity,
                                            SyncValue.record_id.in_(ids[start : start + _IN_CHUNK]))
                ):  # fmt: skip
                    current.setdefault((v.record_id, v.field), []).append(
                        Sibling(v.node, v.dot, v.hlc, json.loads(v.vv_json), json.loads(v.value_json))
                    )
            owners = {r.id: r.owner for r in entity_rows}
            for r in entity_rows:
                key = (r.id, r.field)
                before = current.get(key, [])
                after = merge(before, Sibling(r.node, r.dot, r.hlc, dict(r.vv), r.v))
                if after is before or {x.key for x in after} == {x.key for x in before}:
                    continue
                dropped = [x for x in before if x.key not in {y.key for y in after}]
                for x in dropped:
                    conn.execute(delete(SyncValue).where(and_(
                        SyncValue.entity == entity, SyncValue.record_id == r.id, SyncValue.field == r.field,
                        SyncValue.node == x.node, SyncValue.dot == x.dot)))  # fmt: skip
                conn.execute(insert(SyncValue).values(
                    entity=entity, record_id=r.id, field=r.field, node=r.node, dot=r.dot, hlc=r.hlc,
                    vv_json=canonical_json(dict(r.vv)), value_json=canonical_json(r.v), owner=r.owner))  # fmt: skip
                current[key] = after
                counts["added"] += 1
                touched.setdefault(entity, set()).add(r.id)
            if entity not in tables:
                counts["unknown_entities"] += 1  # kept in sync_value, relayed, not displayed
                continue
            for record_id in sorted(touched.get(entity, ())):
                counts["conflicts"] += _rebuild(conn, tables[entity], entity, record_id, owners[record_id])
                counts["records"] += 1
        clock = conn.execute(select(SyncNode).where(SyncNode.node_id == db.local_node().node_id)).first()
        if clock is not None:
            merged = receive(Hlc(clock.hlc_wall_ms, clock.hlc_counter), Hlc.parse(hlc_max_text), now_ms)
            conn.execute(update(SyncNode).where(SyncNode.node_id == clock.node_id)
                         .values(hlc_wall_ms=merged.wall_ms, hlc_counter=merged.counter))  # fmt: skip
        problems = conn.execute(text("PRAGMA foreign_key_check")).fetchall()
        if problems:
            raise SyncIntegrityError(
                "The bundle refers to records this workstation does not have; it was not applied.",
                detail=f"{len(problems)} foreign-key problems, first in {problems[0][0]}",
            )
        conn.execute(insert(SyncImportLog).values(
            bundle_id=bundle_id, sha256=sha256, signer_key_id=signer_key_id, site_id=site_id,
            created_at=created_at.replace(tzinfo=None), result="imported", counts_json=json.dumps(counts)))  # fmt: skip
        record_audit(s, "import", "bundle", None, f"{bundle_id} from {site_id}: {json.dumps(counts)}")
    return counts


def _rebuild(conn, table, entity: str, record_id: str, owner: str) -> int:
    """Recompute a record's displayed row from its siblings; returns 1 when a field is in conflict."""
    fields: dict[str, list[tuple[str, str, Any]]] = {}
    for v in conn.execute(select(SyncValue).where(SyncValue.entity == entity, SyncValue.record_id == record_id)):
        fields.setdefault(v.field, []).append((v.hlc, v.node, json.loads(v.value_json)))
    winners = {name: max(sibs, key=lambda x: (x[0], x[1]))[2] for name, sibs in fields.items()}
    conflict = any(len({canonical_json(x[2]) for x in sibs}) > 1 for sibs in fields.values())
    exists = conn.execute(select(table.c.id).where(table.c.id == record_id)).first() is not None
    if winners.get(DELETED_FIELD) is True:
        if exists:
            conn.execute(delete(table).where(table.c.id == record_id))
        return int(conflict)
    values = {c.name: _decode(c, winners[c.name]) for c in table.columns if c.name in winners}
    values["has_conflict"] = conflict
    if exists:
        conn.execute(update(table).where(table.c.id == record_id).values(**values))
    else:
        conn.execute(insert(table).values(id=record_id, owner_site_id=owner, **values))
    return int(conflict)
