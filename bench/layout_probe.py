"""Lean storage, the next step measured before it is built: how large would the sync metadata be stored one row per
record, its field versions packed into one value, instead of one row per field version (issue 21, item 3)?

On a copy of a center (``--db``, a plain file such as ``lhn-desktop demo --plain`` makes), the stored versions are
rewritten into a probe table: one ``WITHOUT ROWID`` row per record (entity, record id, owning center) whose value
packs each field's versions as a field number, a workstation number, the dot, the clock as one integer, the
version vector when it is more than the version itself, and the value's canonical JSON. ``sync_value`` is then
dropped, the copy compacted, and both layouts are printed against the displayed data they describe (the displayed
tables, with and without their indexes). Nothing of the program reads the probe table: it is a measurement.

Usage: ``python bench/layout_probe.py --db CENTER`` (the center is copied; the copy is removed afterwards).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import struct
import sys
import tempfile
from pathlib import Path

#: tables that are not displayed data: the sync and audit bookkeeping, SQLite's own, the schema revision, the
#: full-text index
NOT_DATA = ("sync_", "audit_", "sqlite_", "alembic", "resource_fts", "probe_")


def varint(n: int) -> bytes:
    out = bytearray()
    while True:
        low, n = n & 0x7F, n >> 7
        out.append(low | (0x80 if n else 0))
        if not n:
            return bytes(out)


def clock(hlc: str) -> int:
    """``WALL-COUNTER`` text as one integer that sorts the same way."""
    wall, counter = hlc.split("-")
    return (int(wall) << 16) | int(counter)


def pack(conn: sqlite3.Connection) -> None:
    """Rewrite ``sync_value`` into ``probe_record``, one row per record."""
    nodes = {node: n for n, (node,) in enumerate(conn.execute("SELECT DISTINCT node FROM sync_value"))}
    field_numbers: dict[str, dict[str, int]] = {}
    conn.execute("CREATE TABLE probe_record (entity TEXT, record_id TEXT, owner TEXT, versions BLOB, "
                 "PRIMARY KEY (entity, record_id)) WITHOUT ROWID")  # fmt: skip
    batch: list[tuple[str, str, str, bytes]] = []
    current: tuple[str, str, str] | None = None
    packed = bytearray()
    query = ("SELECT entity, record_id, field, node, dot, hlc, vv_json, value_json, owner FROM sync_value "
             "ORDER BY entity, record_id, field")  # fmt: skip
    for entity, record_id, field, node, dot, hlc, vv_json, value_json, owner in conn.execute(query):
        if current is None or (entity, record_id) != current[:2]:
            if current is not None:
                batch.append((*current, bytes(packed)))
            current, packed = (entity, record_id, owner), bytearray()
        numbers = field_numbers.setdefault(entity, {})
        vv = b"" if vv_json is None else vv_json.encode()
        value = value_json.encode()
        packed += varint(numbers.setdefault(field, len(numbers))) + varint(nodes[node]) + varint(dot)
        packed += struct.pack(">Q", clock(hlc)) + varint(len(vv)) + vv + varint(len(value)) + value
        if len(batch) >= 5000:
            conn.executemany("INSERT INTO probe_record VALUES (?, ?, ?, ?)", batch)
            batch.clear()
    if current is not None:
        batch.append((*current, bytes(packed)))
    conn.executemany("INSERT INTO probe_record VALUES (?, ?, ?, ?)", batch)
    conn.commit()


def sizes(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))


def displayed(conn: sqlite3.Connection, by_name: dict[str, int]) -> tuple[int, int]:
    """Bytes of the displayed tables, and of the tables with their indexes."""
    tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
              if not name.startswith(NOT_DATA)]  # fmt: skip
    alone = sum(by_name.get(t, 0) for t in tables)
    query = "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
    indexes = sum(by_name.get(index, 0) for t in tables for (index,) in conn.execute(query, (t,)))
    return alone, alone + indexes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", type=Path, required=True, help="a plain center database (it is copied)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        copy = Path(work) / "probe.sqlite3"
        shutil.copy(args.db, copy)
        conn = sqlite3.connect(copy)
        try:
            before = sizes(conn)
            versions = before["sync_value"] + before.get("ix_sync_value_deleted", 0)
            data, with_indexes = displayed(conn, before)
            patients = conn.execute("SELECT count(*) FROM patient").fetchone()[0]
            pack(conn)
            conn.execute("DROP TABLE sync_value")
            conn.commit()
            conn.execute("VACUUM")
            probe = sizes(conn)["probe_record"]
        finally:
            conn.close()
    each = max(patients, 1)
    print(f"layout: {patients} patients; displayed data {data / 1e6:.1f} MB ({with_indexes / 1e6:.1f} MB with indexes)")
    for what, size in (("one row per field version (now)", versions), ("one row per record, versions packed", probe)):
        print(f"layout: {what}: {size / 1e6:.1f} MB, {size / each / 1e3:.0f} kB a patient; ratio over the displayed "
              f"data {size / data:.2f} ({size / with_indexes:.2f} with its indexes)")  # fmt: skip
    print(f"layout: packed over now {probe / versions:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
