"""Visit benchmark: recording one complete visit through ``VisitService`` against raw inserts of the same rows.

A demo center (``--patients``, default 1,000) is built once. In it two patients with Crohn disease are
registered, each given a first visit three months earlier (so every value has a previous one to be
compared with) and booked for today. That state is the base; each repetition opens a fresh copy of it
and records the first patient's visit (the first save of a session, reported on its own), then the
second's, which is the one compared.

Timed, interleaved, ``--reps`` times each:

- service: ``VisitService.record`` of the whole visit, as the visit form saves it: PGA, the wPCDAI from
  its items, weight and height, CRP (typed in mg/dL), ESR, albumin, TPMT, an azathioprine start and an
  influenza vaccination, warnings accepted. It validates, converts, scores, checks the values against the
  last ones, completes the booked visit, and writes the rows with their field versions
  and audit entries, in one transaction;
- all rows: raw ``sqlite3`` ``INSERT OR REPLACE`` of exactly the rows that the service's save left
  different from the base (found by comparing every table with the base), per table with
  ``executemany``, in one transaction, in a fresh copy of the base opened with the program's own
  pragmas (WAL, ``synchronous=FULL``, foreign keys);
- domain rows: the same, for the clinical tables only (visit, observations, medication, event), as a
  hand-written program without field versions or an audit log would write them.

Medians are compared. Usage: ``python bench/visit.py [--patients N] [--reps N]``.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync import _copy, _remove  # noqa: E402  (bench/sync.py, beside this file: a consistent copy, and removal)

SEED = 20240501
TODAY = date(2026, 11, 23)
#: the tables a program without sync or an audit log would write for a visit
DOMAIN_TABLES = ("visit", "observation", "medication", "clinical_event")
QUIET = {"abdominal_pain": 0, "well_being": 0, "stools_per_day": 0, "weight": 0, "perianal_disease": 0,
         "extraintestinal": 0}  # fmt: skip


def _open(path: Path):
    from lhn_desktop.app import AppContext

    ctx = AppContext.open(str(path), today=lambda: TODAY)
    ctx.sign_in(next(m.id for m in ctx.team.list_members() if m.role == "physician"), "benchmark")
    return ctx


def _entry(patient_id: str, visit_id: str | None, day: date, weight: str, height: str):
    from lhn_desktop.services.visits import EventInput, IndexInput, MedicationStart, ValueInput, VisitInput

    values = (ValueInput("PGA", "quiescent"), ValueInput("WEIGHT", weight), ValueInput("HEIGHT", height),
              ValueInput("CRP", "0.3 mg/dL"), ValueInput("ESR", "12"), ValueInput("ALB", "41"),
              ValueInput("TPMT", "normal"))  # fmt: skip
    return VisitInput(
        patient_id=patient_id,
        day=day,
        visit_id=visit_id,
        clinician="Dr. Robin Sample",
        values=values,
        index=IndexInput("WPCDAI", QUIET),
        starts=(MedicationStart("azathioprine", "75 mg daily"),),
        events=(EventInput("immunization", "Inactivated influenza vaccine"),),
    )


def build(folder: Path, patients: int):
    """The base center with two booked patients; returns its path and the two visits to record."""
    from lhn_desktop.services.demo_center import create_demo_database
    from lhn_desktop.services.registry import PatientInput

    # plain: the baseline reads it with the standard library's sqlite3 (bench/encryption.py compares encrypted)
    result = create_demo_database(folder / "base.sqlite3", folder / "backups", patients=patients, seed=SEED,
                                  today=TODAY, encrypt=False)  # fmt: skip
    ctx = _open(result.path)
    entries = []
    try:
        for n, given in enumerate(("Ada", "Ben"), start=1):
            patient = PatientInput(mrn=f"B-000{n}", given_name=given, family_name="Benchwood",
                                   birth_date=date(2012, 6, n), sex="female", diagnosis="Crohn disease",
                                   diagnosis_date=date(2023, 9, 14), paris_location="L3", paris_behaviour="B1",
                                   paris_growth="G0")  # fmt: skip
            pid = ctx.registry.add(ctx.actor, patient).patient_id
            earlier = TODAY - timedelta(days=91)
            first = _entry(pid, None, earlier, "39.0", "149.5")
            ctx.visits.record(ctx.actor, replace(first, clinician=None, starts=(), events=()), accept_warnings=True)
            vid = ctx.schedule.add_visit(ctx.actor, pid, TODAY, f"09:{n}0", "Dr. Robin Sample", "Follow-up")
            entries.append(_entry(pid, vid, TODAY, "40.1", "150.6"))
    finally:
        ctx.close()
    return result.path, entries[0], entries[1]


def time_service(base: Path, replica: Path, first, entry, before: Path | None = None) -> tuple[float, float]:
    """Seconds ``VisitService.record`` takes for the first visit recorded after the program opens a fresh copy
    of the base, and for the next one (opening is not timed).

    The first save of a session also prepares its SQL statements (SQLAlchemy caches them per open
    database); the next ones, as through a clinic morning, reuse them.

    ``before``: where to keep a copy of the replica as it is just before the second visit is recorded.
    """
    _copy(base, replica)
    ctx = _open(replica)
    try:
        start = time.perf_counter()
        ctx.visits.record(ctx.actor, first, accept_warnings=True)
        cold = time.perf_counter() - start
        if before is not None:
            _copy(replica, before)
        start = time.perf_counter()
        saved = ctx.visits.record(ctx.actor, entry, accept_warnings=True)
        warm = time.perf_counter() - start
    finally:
        ctx.close()
    assert (saved.observations, saved.medications_started, saved.events) == (8, 1, 1), saved
    return cold, warm


def written_rows(base: Path, after: Path) -> dict[str, tuple[list[str], list[tuple]]]:
    """Per table, its columns and every row of ``after`` that the base does not hold as it is."""
    raw = sqlite3.connect(after)
    try:
        raw.execute("ATTACH DATABASE ? AS base", (str(base),))
        tables = [t for (t,) in raw.execute("SELECT name FROM main.sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]  # fmt: skip
        rows = {}
        for table in tables:
            columns = [c[1] for c in raw.execute(f'PRAGMA main.table_info("{table}")')]
            changed = raw.execute(f'SELECT * FROM main."{table}" EXCEPT SELECT * FROM base."{table}"').fetchall()
            if changed:
                rows[table] = (columns, changed)
        return rows
    finally:
        raw.close()


def time_raw(base: Path, replica: Path, rows: dict[str, tuple[list[str], list[tuple]]]) -> float:
    """Seconds to write ``rows`` with ``INSERT OR REPLACE`` into a fresh copy of the base, in one transaction."""
    _copy(base, replica)
    raw = sqlite3.connect(replica, isolation_level=None)
    try:
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA synchronous=FULL")
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("SELECT count(*) FROM patient").fetchone()  # the schema read before the clock starts
        start = time.perf_counter()
        raw.execute("BEGIN IMMEDIATE")
        for table, (columns, values) in rows.items():
            names = ", ".join(f'"{c}"' for c in columns)
            marks = ", ".join("?" * len(columns))
            raw.executemany(f'INSERT OR REPLACE INTO "{table}" ({names}) VALUES ({marks})', values)
        raw.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        raw.close()


def bench_visit(reps: int, patients: int = 1000) -> float:
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        start = time.perf_counter()
        base, first, entry = build(folder, patients)
        built = time.perf_counter() - start
        probe, before = folder / "probe.sqlite3", folder / "before.sqlite3"
        time_service(base, probe, first, entry, before)  # untimed: warms the page cache, and yields the rows
        rows = written_rows(before, probe)
        for path in (probe, before):
            _remove(path)
        domain = {t: rows[t] for t in DOMAIN_TABLES if t in rows}
        cold, service, all_rows, domain_rows = [], [], [], []
        for k in range(reps):
            replica = folder / f"replica-{k}.sqlite3"
            times = time_service(base, replica, first, entry)
            cold.append(times[0])
            service.append(times[1])
            _remove(replica)
            all_rows.append(time_raw(base, replica, rows))
            _remove(replica)
            domain_rows.append(time_raw(base, replica, domain))
            _remove(replica)
    c, s = statistics.median(cold), statistics.median(service)
    a, d = statistics.median(all_rows), statistics.median(domain_rows)
    count = sum(len(v) for _, v in rows.values())
    print(f"visit: {patients}-patient demo center built in {built:.0f} s; one complete visit writes {count} rows: "
          + ", ".join(f"{t} {len(v)}" for t, (_, v) in rows.items()))  # fmt: skip
    print(f"visit: median of {reps}: service {s * 1000:.1f} ms (the first visit after opening {c * 1000:.1f} ms); "
          f"raw inserts of all its rows {a * 1000:.1f} ms; of the clinical rows only {d * 1000:.1f} ms")  # fmt: skip
    print(f"visit ratio (service / raw inserts of the same rows): {s / a:.2f}  (aim at most 5)")
    print(f"visit ratio (service / raw inserts of the clinical rows only): {s / d:.2f}")
    print(f"visit ratio (first visit after opening / raw inserts of the same rows): {c / a:.2f}")
    return s / a


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=1000, help="demo center size (default 1,000)")
    parser.add_argument("--reps", type=int, default=9, help="repetitions of each measurement (default 9)")
    args = parser.parse_args()
    bench_visit(args.reps, args.patients)
    return 0


if __name__ == "__main__":
    sys.exit(main())
