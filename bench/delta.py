"""Delta bundle benchmark: a day of clinic changes sent as a delta, against the full-state bundle of the same state.

Two workstations of one demo center that have exchanged once each way (so each knows what the other holds):
workstation A records a clinic day (``--visits`` visits, each with seven results, the disease-activity index, a
medicine started and an immunization, through the visit service as the window does), then

- writes a delta center bundle (what B lacks) and a full one (everything A holds), timed;
- B imports the delta, and a copy of B as it was imports the full bundle instead, timed;
- both copies of B then hold the same field versions (checked).

The delta's size and import time are printed against the full bundle's (the ratio is the point); the issue's goal
at 2,000 patients is a day in under 1 MB and 2 s. Usage:
``python bench/delta.py [--patients N] [--visits N] [--reps N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync import KEY, _copy, _home, _remove  # noqa: E402  (bench/sync.py, beside this file)
from visit import QUIET, SEED, TODAY, _open  # noqa: E402  (bench/visit.py: a quiet activity index, a signed-in window)


def _sync(path: Path):
    from lhn_desktop.services.sync import SyncService
    from lhn_desktop.store.database import Database

    db = Database.open(path, path.parent / "backups")
    return db, SyncService(db)


def build(folder: Path, patients: int) -> tuple[Path, Path, float]:
    """Workstations A (the demo center) and B (a copy with its own id) after one exchange each way; and the
    seconds the exchange took (a full bundle each way, as on the first day)."""
    from lhn_desktop.access import Actor
    from lhn_desktop.services.demo_center import create_demo_database
    from lhn_desktop.services.maintenance import _rotate_node

    made = create_demo_database(folder / "a.sqlite3", folder / "backups", patients=patients, seed=SEED, today=TODAY,
                                encrypt=False)  # fmt: skip
    a, b = Path(made.path), folder / "b.sqlite3"
    _copy(a, b)
    _rotate_node(b)
    actor = Actor.workstation()
    start = time.perf_counter()
    for src, dst in ((a, b), (b, a)):
        out = folder / f"first-{src.stem}"
        out.mkdir()
        db, sync = _sync(src)
        try:
            bundle = sync.export_center(actor, out, KEY)
        finally:
            db.close()
        db, sync = _sync(dst)
        try:
            sync.import_bundle(actor, bundle, KEY)
        finally:
            db.close()
    return a, b, time.perf_counter() - start


def clinic_day(path: Path, visits: int) -> int:
    """Record ``visits`` visits on today's date for the first patients of the center; returns how many were saved."""
    from lhn_desktop.services.visits import EventInput, IndexInput, MedicationStart, ValueInput, VisitInput

    ctx = _open(path)
    try:
        crohn = [p.id for p in ctx.patients.search(ctx.actor, "") if p.diagnosis == "Crohn disease"]
        patients = crohn[:visits]  # the index recorded (weighted PCDAI) is the one for Crohn disease
        for n, pid in enumerate(patients):
            values = (ValueInput("PGA", "quiescent"), ValueInput("WEIGHT", f"{40 + n % 20}.5"),
                      ValueInput("HEIGHT", f"{140 + n % 30}.0"), ValueInput("CRP", "0.3 mg/dL"),
                      ValueInput("ESR", "12"), ValueInput("ALB", "41"), ValueInput("TPMT", "normal"))  # fmt: skip
            entry = VisitInput(patient_id=pid, day=TODAY, clinician="Dr. Robin Sample", values=values,
                               index=IndexInput("WPCDAI", QUIET),
                               starts=(MedicationStart("azathioprine", "75 mg daily"),),
                               events=(EventInput("immunization", "Inactivated influenza vaccine"),))  # fmt: skip
            ctx.visits.record(ctx.actor, entry, accept_warnings=True)
        return len(patients)
    finally:
        ctx.close()


def _timed(path: Path, act):
    from lhn_desktop.access import Actor

    db, sync = _sync(path)
    try:
        start = time.perf_counter()
        result = act(sync, Actor.workstation())
        return time.perf_counter() - start, result
    finally:
        db.close()


def _versions(path: Path) -> list[tuple]:
    from lhn_desktop.store import versions

    db, _sync_service = _sync(path)
    try:
        with db.read() as s:
            return sorted((row[0], row[1], row[3], row[4], row[5], row[8]) for row in versions.scan(s))
    finally:
        db.close()


def bench_delta(reps: int, patients: int = 2000, visits: int = 25) -> tuple[float, float]:
    from lhn_desktop.sync.bundle import peek_manifest

    with tempfile.TemporaryDirectory() as work, _home(Path(work) / "home"):
        folder = Path(work)
        start = time.perf_counter()
        a, b, first = build(folder, patients)
        built = time.perf_counter() - start
        day = clinic_day(a, visits)
        runs: dict[str, list[float]] = {"delta export": [], "full export": [], "delta import": [], "full import": []}
        sizes: dict[str, int] = {}
        for k in range(reps):
            out = folder / f"out-{k}"
            out.mkdir()
            seconds, delta = _timed(a, lambda sync, actor, out=out: sync.export_center(actor, out, KEY))
            runs["delta export"].append(seconds)
            seconds, full = _timed(a, lambda sync, actor, out=out: sync.export_center(actor, out, KEY, full=True))
            runs["full export"].append(seconds)
            assert peek_manifest(delta)["kind"] == "delta"
            assert peek_manifest(full)["kind"] == "full"
            sizes = {"delta": delta.stat().st_size, "full": full.stat().st_size}
            results = {}
            for kind, bundle in (("delta", delta), ("full", full)):
                replica = folder / f"b-{kind}-{k}.sqlite3"
                _copy(b, replica)

                def receive(sync, actor, bundle=bundle):
                    return sync.import_bundle(actor, bundle, KEY)

                seconds, report = _timed(replica, receive)
                runs[f"{kind} import"].append(seconds)
                assert report.complete, report
                assert report.added > 0, report
                results[kind] = replica
            assert _versions(results["delta"]) == _versions(results["full"])  # the delta brought all the full one did
            for replica in results.values():
                _remove(replica)
            for path in (delta, full):
                path.unlink()
        med = {name: statistics.median(values) for name, values in runs.items()}
        print(f"delta: {patients}-patient demo center built in {built:.0f} s; first exchange (a full bundle each way) "
              f"{first:.0f} s; a clinic day of {day} visits recorded on one workstation")  # fmt: skip
        print("delta: each repetition (s): " + "; ".join(f"{name} " + ", ".join(f"{x:.2f}" for x in values)
                                                         for name, values in runs.items()))  # fmt: skip
        print(f"delta: the day as a delta bundle {sizes['delta'] / 1e6:.3f} MB, written in "
              f"{med['delta export']:.2f} s, imported in {med['delta import']:.2f} s; the full bundle "
              f"{sizes['full'] / 1e6:.1f} MB, written in {med['full export']:.2f} s, imported in "
              f"{med['full import']:.2f} s (medians of {reps})")  # fmt: skip
        size_ratio = sizes["delta"] / sizes["full"]
        import_ratio = med["delta import"] / med["full import"]
        print(f"delta ratios: size delta / full {size_ratio:.4f}; import delta / full {import_ratio:.3f}; "
              f"export delta / full {med['delta export'] / med['full export']:.3f}")  # fmt: skip
    return size_ratio, import_ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=2000, help="demo center size (default 2000)")
    parser.add_argument("--visits", type=int, default=25, help="visits in the clinic day (default 25)")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each measurement (default 3)")
    args = parser.parse_args()
    bench_delta(args.reps, args.patients, args.visits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
