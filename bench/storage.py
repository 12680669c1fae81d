"""Database bytes per patient, and the stored field versions against the displayed data they describe (issue 21,
item 3: sync metadata at most the size of the data), on demo centers of several sizes.

Each center is built as ``lhn-desktop demo --plain`` builds it (not encrypted, so SQLite's ``dbstat`` can size
every table and index) and compacted, as a center is after an upgrade. The baseline is measured in the same file:
the displayed data (every table a person sees through the program, without the sync and audit bookkeeping), alone
and with its indexes. Printed: the file and each part per patient, and the ratios of the stored versions (and of
the audit trail, for comparison) over the displayed data.

Usage: ``python bench/storage.py [--patients 300 2000] [--db CENTER]`` (``--db``: an existing plain center, copied).
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync import _home  # noqa: E402  (bench/sync.py, beside this file: a data folder of the run's own)

#: tables that are not displayed data: the sync and audit bookkeeping, SQLite's own, the schema revision, the
#: full-text index
NOT_DATA = ("sync_", "audit_", "sqlite_", "alembic", "resource_fts")
VERSIONS = ("sync_record", "sync_name", "sync_value")  # sync_value: a file from before migration 0013


def sizes(path: Path) -> dict[str, int]:
    """Bytes of every table and index of a compacted copy of the file."""
    with tempfile.TemporaryDirectory() as work:
        copy = Path(work) / "copy.sqlite3"
        shutil.copyfile(path, copy)
        conn = sqlite3.connect(copy)
        try:
            conn.execute("VACUUM")
            by_name = dict(conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name"))
            owner = dict(conn.execute("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')"))
            patients = conn.execute("SELECT count(*) FROM patient").fetchone()[0]
            packed, values = _packed_and_values(conn)
        finally:
            conn.close()
    parts = {"file": sum(by_name.values()), "patients": patients, "data": 0, "data indexes": 0, "versions": 0,
             "audit": 0, "packed": packed, "values": values}  # fmt: skip
    for name, size in by_name.items():
        table = owner.get(name, name)
        if table in VERSIONS:
            parts["versions"] += size
        elif table.startswith("audit_"):
            parts["audit"] += size
        elif not table.startswith(NOT_DATA):
            parts["data" if name == table else "data indexes"] += size
    return parts


def _packed_and_values(conn: sqlite3.Connection) -> tuple[int, int]:
    """Bytes of every record's packed versions, and of the values' canonical JSON inside them (the sixth item of each
    version, as lhn_desktop/store/versions.py ``pack`` lays them out, with MessagePack's few bytes of length)."""
    import msgpack

    from lhn_desktop.store.versions import _FIELDS_A_VERSION

    if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sync_record'").fetchone() is None:
        return 0, 0  # a file from before migration 0013
    packed = values = 0
    for (blob,) in conn.execute("SELECT packed FROM sync_record"):
        packed += len(blob)
        flat = msgpack.unpackb(blob, raw=True, use_list=False)
        first_value = 2 + _FIELDS_A_VERSION - 1  # after the first dot and clock, the sixth item of the first version
        values += sum(len(msgpack.packb(flat[i])) for i in range(first_value, len(flat), _FIELDS_A_VERSION))
    return packed, values


def report(label: str, parts: dict[str, int]) -> None:
    each = max(parts["patients"], 1)
    data, with_indexes = parts["data"], parts["data"] + parts["data indexes"]
    print(f"storage ({label}): file {parts['file'] / 1e6:.1f} MB, {parts['file'] / each / 1e3:.0f} kB a patient; "
          f"displayed data {data / 1e6:.1f} MB ({with_indexes / 1e6:.1f} MB with its indexes)", flush=True)  # fmt: skip
    for what in ("versions", "audit"):
        size = parts[what]
        print(f"storage ({label}): {what} {size / 1e6:.1f} MB, {size / each / 1e3:.1f} kB a patient; ratio over the "
              f"displayed data {size / data:.2f} ({size / with_indexes:.2f} with its indexes)", flush=True)  # fmt: skip
    if parts["packed"]:
        # the versions' bytes split in proportion to what their packed values hold: each version keeps a copy of its
        # value (the one the screens show, for the latest), and the rest is the sync metadata proper (who wrote it,
        # when, what it had seen; the record's keys and owner; the table's pages and its index)
        share = parts["values"] / parts["packed"]
        values, metadata = parts["versions"] * share, parts["versions"] * (1 - share)
        print(f"storage ({label}): versions = values' copies {values / 1e6:.1f} MB ({share:.0%}) + metadata "
              f"{metadata / 1e6:.1f} MB, {metadata / each / 1e3:.1f} kB a patient; metadata over the displayed data "
              f"{metadata / data:.2f} ({metadata / with_indexes:.2f} with its indexes)", flush=True)  # fmt: skip


def bench_storage(patients: list[int]) -> None:
    from lhn_desktop.services.demo_center import create_demo_database

    for n in patients:
        with tempfile.TemporaryDirectory() as work, _home(Path(work) / "home"):
            path = Path(work) / "center.sqlite3"
            create_demo_database(path, Path(work) / "backups", patients=n, encrypt=False)
            report(f"{n}-patient demo center", sizes(path))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, nargs="+", default=[300, 2000], help="demo center sizes")
    parser.add_argument("--db", type=Path, help="an existing plain center database instead (it is copied)")
    args = parser.parse_args()
    if args.db:
        report(args.db.name, sizes(args.db))
    else:
        bench_storage(args.patients)
    return 0


if __name__ == "__main__":
    sys.exit(main())
