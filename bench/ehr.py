"""EHR import benchmark: the demo center's FHIR export imported into a new center, against raw inserts.

A demo center (``--patients``, default 2,000) is built and exported with ``EhrService.export_fhir``. A
new center is made as ``lhn-desktop init`` makes it. Timed, ``--reps`` times each, interleaved:

- import: ``EhrService.import_files(..., apply=True)`` of the export folder into a fresh copy of the new
  center (read every line, validate it with fhir.resources, map codes, check values, match, write
  every record with its field versions and audit entries, one transaction);
- baseline: raw ``sqlite3`` ``executemany`` of exactly the rows that import left different from the
  new center (found by comparing every table), per table, in one transaction, into another fresh
  copy opened with the program's pragmas;
- parsing: ``fhir.resources`` ``model_validate`` of every line of the same NDJSON files, bare (no
  mapping, no database): how fast the FHIR library alone reads them.

Usage: ``python bench/ehr.py [--patients N] [--reps N]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync import _copy, _remove  # noqa: E402  (bench/sync.py, beside this file)
from visit import time_raw, written_rows  # noqa: E402  (bench/visit.py: raw inserts of the rows a save wrote)

SEED = 20240501
TODAY = date(2026, 11, 23)


def build(folder: Path, patients: int) -> tuple[Path, Path]:
    """The export folder of a demo center, and a new empty center."""
    from lhn_desktop.access import Actor
    from lhn_desktop.services.center import init_center_database
    from lhn_desktop.services.demo_center import create_demo_database
    from lhn_desktop.services.ehr import EhrService
    from lhn_desktop.store.database import Database

    actor = Actor.workstation()
    # plain, both: the baseline reads them with the standard library's sqlite3
    demo = create_demo_database(folder / "demo.sqlite3", folder / "backups", patients=patients, seed=SEED, today=TODAY,
                                encrypt=False)  # fmt: skip
    db = Database.open(demo.path, folder / "backups")
    try:
        (folder / "out").mkdir()
        export = EhrService(db, today=lambda: TODAY).export_fhir(actor, folder / "out", confirm_patient_data=True)
    finally:
        db.close()
    empty = folder / "new.sqlite3"
    init_center_database(empty, folder / "backups", "ctr-7", "Lakeside IBD", network="ImproveCareNow", actor=actor,
                         encrypt=False)  # fmt: skip
    return export.folder, empty


def time_import(base: Path, replica: Path, export: Path, before: Path | None = None):
    from lhn_desktop.access import Actor
    from lhn_desktop.services.ehr import EhrService
    from lhn_desktop.store.database import Database

    _copy(base, replica)
    if before is not None:
        _copy(base, before)
    db = Database.open(replica, replica.parent / "backups")
    try:
        start = time.perf_counter()
        report = EhrService(db, today=lambda: TODAY).import_files(Actor.workstation(), [export], apply=True)
        elapsed = time.perf_counter() - start
    finally:
        db.close()
    assert report.applied, report.problems[:3]
    return elapsed, report


def time_parsing(export: Path) -> tuple[float, int]:
    """Seconds for fhir.resources to validate every line of the export's NDJSON files, and how many."""
    from fhir.resources.R4B import get_fhir_model_class

    count = 0
    start = time.perf_counter()
    for path in sorted(export.glob("*.ndjson")):
        with path.open(encoding="utf-8") as f:
            for line in f:
                resource = json.loads(line, parse_float=Decimal)
                get_fhir_model_class(resource["resourceType"]).model_validate(resource)
                count += 1
    return time.perf_counter() - start, count


def bench_ehr(reps: int, patients: int = 2000) -> float:
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        start = time.perf_counter()
        export, empty = build(folder, patients)
        built = time.perf_counter() - start
        probe, before = folder / "probe.sqlite3", folder / "before.sqlite3"
        _seconds, report = time_import(empty, probe, export, before)  # untimed: warms imports and the page cache
        rows = written_rows(before, probe)
        for path in (probe, before):
            _remove(path)
        imports, baselines, parsing = [], [], []
        count = 0
        for k in range(reps):
            replica = folder / f"replica-{k}.sqlite3"
            imports.append(time_import(empty, replica, export)[0])
            _remove(replica)
            baselines.append(time_raw(empty, replica, rows))
            _remove(replica)
            seconds, count = time_parsing(export)
            parsing.append(seconds)
    i, b, p = statistics.median(imports), statistics.median(baselines), statistics.median(parsing)
    total_rows = sum(len(v) for _, v in rows.values())
    print(f"ehr: {patients}-patient demo center built and exported in {built:.0f} s; {report.resources:,} resources; "
          f"the import writes {total_rows:,} rows")  # fmt: skip
    print(f"ehr: median of {reps}: import {i:.1f} s ({report.resources / i:,.0f} resources/s); raw executemany of "
          f"the same rows {b:.2f} s; fhir.resources parsing alone {p:.1f} s "
          f"({count / p:,.0f} resources/s)")  # fmt: skip
    print(f"ehr ratio (import / raw executemany of the same rows): {i / b:.1f}  (aim at most 5)")
    print(f"ehr ratio (import / bare fhir.resources parsing): {i / p:.2f}")
    return i / b


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=2000, help="demo center size (default 2,000)")
    parser.add_argument("--reps", type=int, default=1, help="repetitions (default 1: each takes minutes)")
    args = parser.parse_args()
    bench_ehr(args.reps, args.patients)
    return 0


if __name__ == "__main__":
    sys.exit(main())
