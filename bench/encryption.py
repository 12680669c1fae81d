"""Encryption at rest benchmark: the same work on an encrypted database over a plain one, measured in one run.

Each center is built plain as the other benchmarks build it, then copied twice: under a random key with
``sqlcipher_export`` (``lhn_desktop.store.rekey.copy_under_key``, as ``lhn-desktop db encrypt`` does) and plain
with ``VACUUM INTO``. Both copies hold exactly the same rows in the same packed layout: an export writes every
b-tree page full, so the first inserts into a copy split more pages than they would in the file it was made
from (a visit writes about 170 pages into a copy, 110 into the original), and comparing a copy with its
original measured that layout instead of encryption (1.5x then, 1.2x with both copied).

Timed, interleaved, ``--reps`` times each, on the plain and the encrypted copy:

- huddle: ``PlanningService.huddle`` for a clinic day of 40 patients (bench/huddle.py's center and day);
- visit: ``VisitService.record`` of one complete visit, in a fresh copy each time (bench/visit.py's visit);
- import: ``SyncService.import_bundle`` of a whole center's bundle into a fresh copy of an empty second
  workstation (bench/sync.py's bundle).

Medians are compared; issue 20 asks for at most 1.3x. Usage: ``python bench/encryption.py [--patients N]
[--reps N]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import huddle  # noqa: E402  (bench/huddle.py)
import sync  # noqa: E402  (bench/sync.py)
import visit  # noqa: E402  (bench/visit.py)


def encrypted_copy(plain: Path, target: Path) -> Path:
    from lhn_desktop.store import cipher
    from lhn_desktop.store.rekey import copy_under_key

    key = os.urandom(32)
    copy_under_key(plain, None, target, key)
    cipher.remember(target, key)
    return target


def copies(plain: Path, folder: Path, name: str) -> tuple[Path, Path]:
    """A plain and an encrypted copy of ``plain`` in ``folder``, with the same rows and the same packed layout."""
    import sqlite3

    packed = folder / f"{name}-plain.sqlite3"
    conn = sqlite3.connect(plain)
    try:
        conn.execute("VACUUM INTO ?", (str(packed),))
    finally:
        conn.close()
    return packed, encrypted_copy(plain, folder / f"{name}-encrypted.sqlite3")


def _interleaved(plain, encrypted, reps: int) -> tuple[float, float]:
    plain()  # warm: pages in the cache, statements prepared
    encrypted()
    a, b = [], []
    for _ in range(reps):
        a.append(plain())
        b.append(encrypted())
    return statistics.median(a), statistics.median(b)


def bench_huddle(folder: Path, patients: int, reps: int) -> float:
    from lhn_desktop.access import Actor
    from lhn_desktop.services.planning import PlanningService
    from lhn_desktop.store.database import Database

    base = folder / "huddle"
    base.mkdir()
    built = huddle.build_center(base, patients)
    day = date.today() + timedelta(days=60)
    huddle.schedule_day(built, day, 40)
    plain, encrypted = copies(built, base, "huddle")
    actor = Actor.workstation()
    opened = [Database.open(str(path), str(base / "backups")) for path in (plain, encrypted)]
    try:
        services = [PlanningService(db) for db in opened]

        def timer(service):
            def run() -> float:
                start = time.perf_counter()
                board = service.huddle(actor, day)
                elapsed = time.perf_counter() - start
                assert len(board.rows) == 40
                return elapsed

            return run

        a, b = _interleaved(timer(services[0]), timer(services[1]), reps)
    finally:
        for db in opened:
            db.close()
    print(f"encryption: huddle of 40 patients on a {patients}-patient center, median of {reps}: plain "
          f"{a * 1000:.0f} ms, encrypted {b * 1000:.0f} ms")  # fmt: skip
    print(f"encryption ratio, huddle (encrypted / plain): {b / a:.2f}  (at most 1.3)")
    return b / a


def bench_visit(folder: Path, patients: int, reps: int) -> float:
    base_folder = folder / "visit"
    base_folder.mkdir()
    built, first, entry = visit.build(base_folder, patients)
    plain, encrypted = copies(Path(built), base_folder, "visit")
    counter = iter(range(10_000))

    def timer(base: Path):
        def run() -> float:
            replica = base_folder / f"replica-{next(counter)}.sqlite3"
            _cold, warm = visit.time_service(base, replica, first, entry)
            sync._remove(replica)
            return warm

        return run

    a, b = _interleaved(timer(plain), timer(encrypted), reps)
    print(f"encryption: one complete visit recorded on a {patients}-patient center, median of {reps}: plain "
          f"{a * 1000:.1f} ms, encrypted {b * 1000:.1f} ms")  # fmt: skip
    print(f"encryption ratio, visit record (encrypted / plain): {b / a:.2f}  (at most 1.3)")
    return b / a


def bench_import(folder: Path, patients: int, reps: int) -> float:
    base_folder = folder / "sync"
    base_folder.mkdir()
    with sync._home(base_folder):
        center, empty = sync.build(base_folder, patients)
        _, bundle = sync.time_export(center, base_folder / "out")
        plain_empty, encrypted_empty = copies(empty, base_folder, "empty")
        counter = iter(range(10_000))

        def timer(base: Path):
            def run() -> float:
                replica = base_folder / f"replica-{next(counter)}.sqlite3"  # a file copy: the same key
                elapsed, report = sync.time_import(base, replica, bundle)
                assert report.added > 0, report
                sync._remove(replica)
                return elapsed

            return run

        a, b = _interleaved(timer(plain_empty), timer(encrypted_empty), reps)
    print(f"encryption: a {patients}-patient center's bundle imported into an empty workstation, median of {reps}: "
          f"plain {a:.2f} s, encrypted {b:.2f} s")  # fmt: skip
    print(f"encryption ratio, bundle import (encrypted / plain): {b / a:.2f}  (at most 1.3)")
    return b / a


def bench_encryption(reps: int, patients: int = 500) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        with sync._home(folder):
            return {
                "huddle": bench_huddle(folder, patients, reps),
                "visit": bench_visit(folder, patients, reps),
                "import": bench_import(folder, patients, max(3, reps // 3)),
            }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=500, help="demo center size (default 500)")
    parser.add_argument("--reps", type=int, default=9, help="repetitions of each measurement (default 9)")
    args = parser.parse_args()
    bench_encryption(args.reps, args.patients)
    return 0


if __name__ == "__main__":
    sys.exit(main())
