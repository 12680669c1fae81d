"""Sync bundle benchmark: export and import of a full center bundle against a raw ``executemany`` of its rows.

A demo center of 2,000 patients is built once, the same way ``lhn-desktop demo`` builds it, except
that a copy of the database is taken after the center is set up and before the demo data is
written. That copy, with its own node id (as a restored backup gets), is a second workstation of
the same center that holds none of the data: each import goes into a fresh copy of it.

Timed, interleaved, ``--reps`` times each:

- export: ``SyncService.export_center`` of the whole center (every field version, sealed);
- import: ``SyncService.import_bundle`` of that bundle into the empty workstation (verify, merge
  into the stored versions, rebuild every displayed row, check foreign keys, one transaction);
- import again: another bundle of the same state (the previous repetition's, with its own id) into the
  workstation that has just imported everything: nothing is new, as in a daily exchange between two
  workstations where little changed (bundles are full-state, SYNC.md decision 7);
- baseline: raw ``sqlite3`` ``executemany`` of the same rows (entity, record_id, field, node, dot,
  hlc, vv_json, value_json, owner) into a new file database, into a table keyed as the rows are (entity,
  record, field, workstation, dot; ``BASELINE_TABLE``, the layout the center kept before migration 0013), in one
  transaction, WAL and ``synchronous=FULL``.

Medians are compared. Usage: ``python bench/sync.py [--patients N] [--reps N] [--profile]``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEY = bytes(range(32))  # the center key: 32 fixed bytes
SEED = 20240501
TODAY = date(2026, 11, 23)


def build(folder: Path, patients: int) -> tuple[Path, Path]:
    """The demo center, and an empty second workstation of it; returns their paths."""
    from lhn_desktop.access import Actor
    from lhn_desktop.services.center import DEMO_SITE, create_center
    from lhn_desktop.services.demo import generate_demo
    from lhn_desktop.services.demo_center import DEMO_NAME, DEMO_NETWORK
    from lhn_desktop.services.maintenance import _rotate_node
    from lhn_desktop.store.database import Database

    actor = Actor.workstation()
    center = folder / "center.sqlite3"
    empty = folder / "empty-workstation.sqlite3"
    db = Database.open(center, folder / "backups", create=True)
    try:
        create_center(db, DEMO_SITE, DEMO_NAME, network=DEMO_NETWORK, actor=actor, demo=True)
    finally:
        db.close()
    _copy(center, empty)
    _rotate_node(empty)
    db = Database.open(center, folder / "backups")
    try:
        generate_demo(db, actor, patients=patients, seed=SEED, today=TODAY)
    finally:
        db.close()
    return center, empty


@contextmanager
def _home(folder: Path) -> Iterator[None]:
    """Per-user files (the workstation-id registry an export updates) kept in ``folder``, not in a real profile."""
    previous = os.environ.get("LHN_DESKTOP_HOME")
    os.environ["LHN_DESKTOP_HOME"] = str(folder)
    try:
        yield
    finally:
        if previous is None:
            del os.environ["LHN_DESKTOP_HOME"]
        else:
            os.environ["LHN_DESKTOP_HOME"] = previous


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of a database file (the online backup API: nothing is left in a WAL file), plain or
    encrypted under the source's key."""
    from lhn_desktop.store import cipher

    key = cipher.key_for(source)
    src, dst = cipher.connect(source), cipher.connect(target, key=key)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()
    cipher.remember(target, key)


#: the baseline's table: the bundle's rows as they come, one per version, keyed as they are (without a rowid)
BASELINE_TABLE = (
    "CREATE TABLE bundle_row (entity VARCHAR(40) NOT NULL, record_id VARCHAR(36) NOT NULL, field VARCHAR(60) NOT NULL, "
    "node VARCHAR(36) NOT NULL, dot BIGINT NOT NULL, hlc VARCHAR(19) NOT NULL, vv_json TEXT, value_json TEXT NOT NULL, "
    "owner VARCHAR(40) NOT NULL, PRIMARY KEY (entity, record_id, field, node, dot)) WITHOUT ROWID"
)


def baseline_rows(center: Path) -> tuple[str, list[str], list[tuple]]:
    """The baseline's table DDL, its index DDL (none), and every bundle row as a tuple of its columns."""
    from lhn_desktop.store import sync_apply
    from lhn_desktop.store.database import Database
    from lhn_desktop.sync.merge import canonical_json

    table, indexes = BASELINE_TABLE, []
    db = Database.open(center, center.parent / "backups")
    try:
        rows = sync_apply.export_rows(db)
    finally:
        db.close()
    tuples = [
        (
            entity,
            r["id"],
            r["field"],
            r["node"],
            r["dot"],
            r["hlc"],
            canonical_json(r["vv"]),
            canonical_json(r["v"]),
            r["owner"],
        )
        for entity, entity_rows in rows.items()
        for r in entity_rows
    ]
    return table, indexes, tuples


def stored_versions(path: Path) -> int:
    """How many field versions a workstation's database holds (as the Sync page's overview counts them)."""
    from lhn_desktop.services.overview import OverviewService
    from lhn_desktop.store.database import Database

    db = Database.open(path, path.parent / "backups")
    try:
        return OverviewService(db).sync().field_versions
    finally:
        db.close()


def time_baseline(path: Path, table: str, indexes: list[str], rows: list[tuple]) -> float:
    """Seconds to insert ``rows`` with one ``executemany`` in one transaction into a new file database."""
    raw = sqlite3.connect(path, isolation_level=None)
    try:
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute(table)
        for sql in indexes:
            raw.execute(sql)
        start = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        raw.executemany("INSERT INTO bundle_row VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
        raw.execute("COMMIT")
        elapsed = time.perf_counter() - start
        assert raw.execute("SELECT count(*) FROM bundle_row").fetchone()[0] == len(rows)
    finally:
        raw.close()
    return elapsed


def _timed(path: Path, act):
    """Open the workstation database at ``path``; seconds that ``act(service, actor)`` takes, and its result."""
    from lhn_desktop.access import Actor
    from lhn_desktop.services.sync import SyncService
    from lhn_desktop.store.database import Database

    db = Database.open(path, path.parent / "backups")
    try:
        start = time.perf_counter()
        result = act(SyncService(db), Actor.workstation())
        return time.perf_counter() - start, result
    finally:
        db.close()


def time_export(center: Path, out: Path) -> tuple[float, Path]:
    out.mkdir()
    return _timed(center, lambda sync, actor: sync.export_center(actor, out, KEY))


def time_import(base: Path, replica: Path, bundle: Path):
    """Seconds to import ``bundle`` into ``replica``, a fresh copy of the workstation ``base``, and the report."""
    shutil.copyfile(base, replica)
    return _timed(replica, lambda sync, actor: sync.import_bundle(actor, bundle, KEY))


def _profile(label: str, call) -> None:
    """Print the top of a cProfile of ``call``: own time, cumulative time, and what the sync code calls."""
    profiler = cProfile.Profile()
    profiler.enable()
    call()
    profiler.disable()
    for order in ("tottime", "cumulative"):
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats(order).print_stats(25)
        print(f"--- {label}, by {order} ---\n{text.getvalue()}")
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text).sort_stats("cumulative")
    stats.print_callees(r"sync_apply.py.*\((apply_rows|_rebuild)\)|sync.py.*\((_export|import_bundle|verify)\)")
    print(f"--- {label}, what the sync code calls ---\n{text.getvalue()}")


def bench_sync(reps: int, patients: int = 2000, profile: bool = False) -> tuple[float, float]:
    from lhn_desktop.sync.bundle import MAX_BUNDLE

    with tempfile.TemporaryDirectory() as work, _home(Path(work) / "home"):
        folder = Path(work)
        start = time.perf_counter()
        center, empty = build(folder, patients)
        built = time.perf_counter() - start
        table, indexes, rows = baseline_rows(center)
        _seconds, previous = time_export(center, folder / "warm")  # warms the page cache and imports, untimed
        exports, imports, again, baselines = [], [], [], []
        report = bundle = None
        for k in range(reps):
            seconds, bundle = time_export(center, folder / f"out-{k}")
            exports.append(seconds)
            replica = folder / f"replica-{k}.sqlite3"
            seconds, report = time_import(empty, replica, bundle)
            imports.append(seconds)
            stored = stored_versions(replica)
            assert stored >= len(rows), (stored, len(rows))  # the workstation now holds every field version
            seconds, repeat = time_import(replica, folder / f"again-{k}.sqlite3", previous)
            assert not repeat.already_imported  # another bundle (its own id) of the same state
            assert not repeat.added
            again.append(seconds)
            _remove(replica)
            _remove(folder / f"again-{k}.sqlite3")
            shutil.rmtree(previous.parent)  # two bundles at a time on disk (about 21 MB each at 2,000 patients)
            previous = bundle
            baseline = folder / f"baseline-{k}.sqlite3"
            baselines.append(time_baseline(baseline, table, indexes, rows))
            _remove(baseline)
        size = bundle.stat().st_size
        e, i, b = statistics.median(exports), statistics.median(imports), statistics.median(baselines)
        a = statistics.median(again)
        print(
            f"sync: {patients}-patient demo center built in {built:.0f} s; center bundle of {len(rows):,} rows "
            f"(field versions), {size / 1e6:.1f} MB ({size / MAX_BUNDLE:.0%} of the largest bundle a workstation "
            f"reads, {MAX_BUNDLE / 1e6:.1f} MB); import added {report.added:,} versions to {report.records:,} "
            "records"
        )
        each = {"export": exports, "import": imports, "import again": again, "executemany": baselines}
        print(
            "sync: each repetition (s): "
            + "; ".join(f"{k} " + ", ".join(f"{x:.2f}" for x in v) for k, v in each.items())
        )
        print(
            f"sync: export {e:.2f} s, import into an empty workstation {i:.2f} s, import of another bundle of the "
            f"same state into a workstation that has it all (nothing new) {a:.2f} s, raw sqlite3 executemany of the "
            f"same rows {b:.2f} s (medians of {reps})"
        )
        print(
            f"sync ratios: export / executemany {e / b:.1f}; import / executemany {i / b:.1f}; "
            f"import with nothing new / executemany {a / b:.1f}"
        )
        if profile:
            _profile("export", lambda: time_export(center, folder / "out-profile"))
            _profile("import", lambda: time_import(empty, folder / "replica-profile.sqlite3", bundle))
    return e / b, i / b


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=2000, help="demo center size (default 2000)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each measurement (default 3)")
    parser.add_argument("--profile", action="store_true", help="also profile one export and one import (cProfile)")
    args = parser.parse_args()
    bench_sync(args.reps, args.patients, args.profile)
    return 0


if __name__ == "__main__":
    sys.exit(main())
