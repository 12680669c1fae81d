"""the stored field versions kept one row per record, packed, instead of one row per version

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 01:00:00

``sync_value`` held one row per field version (about 130 bytes around a 13-byte value: the record's id, the
workstation's id and the clock as text, in every row); at 2,000 patients 296 MB, twelve times the displayed data.
``sync_record`` holds one row per record with its versions packed by MessagePack, field names and workstation ids
numbered in ``sync_name`` (decision 56). The packing is written out here, not imported, so that this revision
always writes the layout it describes. The file shrinks after the compaction (``VACUUM``) the upgrade runs on
SQLite once it has committed. The downgrade unpacks the records into ``sync_value`` again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import msgpack
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_DELETED = sa.text("field = '_deleted'")
_BATCH = 2000  # records written at a time
_VALUE_COLUMNS = "entity, record_id, field, node, dot, hlc, vv_json, value_json, owner"


def _canonical(value: Any) -> str:  # as lhn_desktop.sync.merge.canonical_json
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def _clock(hlc: str) -> int | str:
    wall, sep, counter = hlc.partition("-")
    if sep and len(wall) == 13 and len(counter) == 5 and wall.isdigit() and counter.isdigit():
        return (int(wall) << 16) | int(counter)
    return hlc


def _hlc(clock: int | str) -> str:
    return clock if isinstance(clock, str) else f"{clock >> 16:013d}-{clock & 0xFFFF:05d}"


class _Numbers(dict):
    def __missing__(self, name: str) -> int:
        self[name] = len(self) + 1
        return self[name]


def _pack(numbers: _Numbers, versions: list[tuple]) -> bytes:
    """``(field, node, dot, hlc, vv_json, value_json)`` each, in the order of the bundle's lines: the first's dot and
    clock, then six items a version (numbers for names, dot and clock less the first's; as ``store.versions.pack``)."""
    clocks = [_clock(v[3]) for v in versions]
    base_dot = versions[0][2]
    base_clock = next((c for c in clocks if isinstance(c, int)), 0)
    flat: list[Any] = [base_dot, base_clock]
    for (name, node, dot, _hlc_text, vv_json, value_json), clock in zip(versions, clocks, strict=True):
        vv: list[Any] | None = None
        if vv_json is not None:
            vv = []
            for other, other_dot in sorted(json.loads(vv_json).items()):
                vv += (numbers[other], other_dot)
        relative = clock if isinstance(clock, str) else clock - base_clock
        flat += (numbers[name], numbers[node], dot - base_dot, relative, vv, value_json)
    return msgpack.packb(flat, use_bin_type=True)


def _records(conn) -> Iterator[tuple[str, str, str, list[tuple]]]:
    """``(entity, record_id, owner, versions)`` of every record in ``sync_value``, in key order."""
    query = sa.text(f"SELECT {_VALUE_COLUMNS} FROM sync_value ORDER BY entity, record_id, field, node, dot")
    rows = conn.execute(query.execution_options(yield_per=20_000))  # on the statement: not the connection's others
    current: tuple[str, str, str] | None = None
    versions: list[tuple] = []
    for entity, record_id, name, node, dot, hlc, vv_json, value_json, owner in rows:
        if current is not None and (entity, record_id) != current[:2]:
            yield (*current, versions)
            versions = []
        current = (entity, record_id, owner)
        versions.append((name, node, dot, hlc, vv_json, value_json))
    if current is not None:
        yield (*current, versions)


def upgrade() -> None:
    op.create_table(
        "sync_name",
        sa.Column("number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("number", name=op.f("pk_sync_name")),
        sa.UniqueConstraint("name", name=op.f("uq_sync_name_name")),
    )
    op.create_table(
        "sync_record",
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.Column("deletes", sa.SmallInteger(), nullable=True),
        sa.Column("versions", sa.Integer(), nullable=False),
        sa.Column("packed", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("entity", "record_id", name=op.f("pk_sync_record")),
        sqlite_with_rowid=False,
    )
    conn = op.get_bind()
    numbers = _Numbers()
    insert = sa.text("INSERT INTO sync_record (entity, record_id, owner, deletes, versions, packed) "
                     "VALUES (:entity, :record_id, :owner, :deletes, :versions, :packed)")  # fmt: skip
    batch: list[dict[str, Any]] = []
    for entity, record_id, owner, versions in _records(conn):
        marks = [v[5] for v in versions if v[0] == "_deleted"]
        deletes = None if not marks else int("true" in marks)
        batch.append({"entity": entity, "record_id": record_id, "owner": owner, "deletes": deletes,
                      "versions": len(versions), "packed": _pack(numbers, versions)})  # fmt: skip
        if len(batch) >= _BATCH:
            conn.execute(insert, batch)
            batch = []
    if batch:
        conn.execute(insert, batch)
    names = [{"number": number, "name": name} for name, number in numbers.items()]
    if names:
        conn.execute(sa.text("INSERT INTO sync_name (number, name) VALUES (:number, :name)"), names)
    op.drop_index("ix_sync_value_deleted", table_name="sync_value", sqlite_where=_DELETED, postgresql_where=_DELETED)
    op.drop_table("sync_value")


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    op.create_table(
        "sync_value",
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("record_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("node", sa.String(length=36), nullable=False),
        sa.Column("dot", sa.BigInteger(), nullable=False),
        sa.Column("hlc", sa.String(length=19), nullable=False),
        sa.Column("vv_json", sa.Text(), nullable=True),
        sa.Column("value_json", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("entity", "record_id", "field", "node", "dot", name=op.f("pk_sync_value")),
        **({"sqlite_with_rowid": False} if sqlite else {}),
    )
    conn = op.get_bind()
    numbered = conn.execute(sa.text("SELECT number, name FROM sync_name"))
    names: dict[int, str] = {number: name for number, name in numbered}
    insert = sa.text(f"INSERT INTO sync_value ({_VALUE_COLUMNS}) VALUES (:entity, :record_id, :field, :node, :dot, "
                     ":hlc, :vv_json, :value_json, :owner)")  # fmt: skip
    rows: list[dict[str, Any]] = []
    records = conn.execute(sa.text("SELECT entity, record_id, owner, packed FROM sync_record").execution_options(
        yield_per=_BATCH))  # fmt: skip
    for entity, record_id, owner, packed in records:
        flat = msgpack.unpackb(packed, raw=False, use_list=False)
        base_dot, base_clock = flat[0], flat[1]
        for i in range(2, len(flat), 6):
            number, node, dot, clock, vv, value_json = flat[i : i + 6]
            vv_json = None if vv is None else _canonical({names[vv[j]]: vv[j + 1] for j in range(0, len(vv), 2)})
            hlc = clock if isinstance(clock, str) else _hlc(clock + base_clock)
            rows.append({"entity": entity, "record_id": record_id, "field": names[number], "node": names[node],
                         "dot": dot + base_dot, "hlc": hlc, "vv_json": vv_json, "value_json": value_json,
                         "owner": owner})  # fmt: skip
        if len(rows) >= 20_000:
            conn.execute(insert, rows)
            rows = []
    if rows:
        conn.execute(insert, rows)
    op.create_index("ix_sync_value_deleted", "sync_value", ["entity", "record_id"], unique=False,
                    sqlite_where=_DELETED, postgresql_where=_DELETED)  # fmt: skip
    op.drop_table("sync_record")
    op.drop_table("sync_name")
