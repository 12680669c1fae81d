"""Patient lists and the Sync page: the time a person waits for them, against a raw read of the same patients.

The pages themselves are timed, offscreen, with their work run at once on the calling thread (the window runs
it off the window thread, but a person still waits that long for the rows): every list of the Patient lists
page chosen in turn with nothing kept (the first time after a start, a merge or another day), then again once the
overdue list's lines are kept, the overdue list after one reading is recorded, one keystroke in its "Narrow to"
box, and the Sync page shown (its counts, conflicts and records deleted while edited). The centers are changed
by the benchmark (a weight recorded per repetition): give it copies. The baseline, measured in the same run, is
one raw ``sqlite3`` query that reads every active patient's name, MRN, phone, diagnosis and last and next visit:
the rows a list shows, without the checklist. Each time is printed as a ratio over that baseline.

A center is built with ``lhn-desktop demo --plain`` (or given with ``--db``, to reuse one; 10,000 patients take
long to build; an older file is upgraded when it is opened, as the program does).

Usage: ``python bench/lists.py [--reps N] [--patients N ...] [--db FILE ...]``
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RAW = """
SELECT p.id, p.family_name, p.given_name, p.mrn, p.phone, p.diagnosis,
       (SELECT max(v.visit_date) FROM visit v WHERE v.patient_id = p.id AND v.status = 'completed'),
       (SELECT min(v.visit_date) FROM visit v WHERE v.patient_id = p.id AND v.status = 'scheduled'
        AND v.visit_date >= date('now'))
FROM patient p WHERE p.active ORDER BY p.family_name, p.given_name
"""


def _median(fn: Callable[[], object], reps: int) -> float:
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _inline_runner():
    """A runner that runs each job at once, on the calling thread, with the same callbacks."""
    from lhn_desktop.gui.tasks import TaskRunner
    from lhn_desktop.progress import CancelToken

    class Inline(TaskRunner):
        def submit(self, fn, *, on_success=None, on_error=None, on_cancelled=None, label=None, cancellable=False,
                   writes=True):  # fmt: skip
            result = fn(lambda *_: None, CancelToken())
            if on_success:
                on_success(result)
            return CancelToken()

    return Inline(None)


def bench_center(db_path: Path, reps: int) -> dict[str, float]:
    from PySide6.QtWidgets import QApplication

    from lhn_desktop.app import AppContext
    from lhn_desktop.gui.pages.lists import ListsPage
    from lhn_desktop.gui.pages.sync import SyncPage

    app = QApplication.instance() or QApplication([])
    ctx = AppContext.open(str(db_path), full_check=False)
    raw = sqlite3.connect(db_path)
    results: dict[str, float] = {}
    try:
        rows = raw.execute(RAW).fetchall()  # warm the page cache, as the program's first read does
        baseline = _median(lambda: raw.execute(RAW).fetchall(), reps)
        results["baseline"] = baseline
        lists = ListsPage(ctx)
        lists._own_runner = _inline_runner()  # type: ignore[attr-defined]
        lists.resize(1200, 800)
        lists.show()
        lists.refresh()  # packs loaded, caches warm

        def forget() -> None:
            ctx.planning._kept = None  # as after a start or a merge: nothing kept (no-op before it existed)

        def choose(index: int) -> None:
            lists.kind.blockSignals(True)  # away from the list without loading anything, then back to it
            lists.kind.setCurrentIndex(-1)
            lists.kind.blockSignals(False)
            lists.kind.setCurrentIndex(index)

        for index in range(lists.kind.count()):
            kind = lists.kind.itemData(index)
            results[f"cold {kind}"] = _median(lambda index=index: (forget(), choose(index)), reps)
            results[f"rows {kind}"] = len(lists.model.rows)
        overdue = lists.kind.findData("overdue")
        choose(overdue)  # the overdue list made: every list is now made from its kept lines
        for index in range(lists.kind.count()):
            results[f"kept {lists.kind.itemData(index)}"] = _median(lambda index=index: choose(index), reps)
        after = []
        for _ in range(reps):
            _record_one_reading(ctx)
            start = time.perf_counter()
            choose(overdue)
            after.append(time.perf_counter() - start)
        results["after a change"] = statistics.median(after)
        choose(overdue)

        def keystroke() -> None:
            lists.filter.setText("a")
            lists.filter.clear()

        results["keystroke"] = _median(keystroke, reps) / 2
        lists.close()
        sync = SyncPage(ctx)
        sync._own_runner = _inline_runner()  # type: ignore[attr-defined]
        sync.resize(1200, 800)
        sync.show()
        sync.refresh()
        results["sync page"] = _median(sync.refresh, reps)
        results["conflicts"] = len(sync.conflicts.rows)
        results["deleted"] = len(sync.deleted.rows)
        sync.close()
        app.processEvents()
        results["patients"] = len(rows)
    finally:
        raw.close()
        ctx.close()
    return results


def _record_one_reading(ctx) -> None:
    """One weight recorded for the first patient, as a visit form saves it (what the lists must then catch up with)."""
    from datetime import date

    from sqlalchemy import select

    from lhn_desktop.models.patients import Observation, Patient

    with ctx.db.write(ctx.actor) as s:
        patient = s.scalars(select(Patient).where(Patient.active.is_(True)).order_by(Patient.mrn).limit(1)).one()
        s.add(Observation(patient_id=patient.id, code="WEIGHT", value="41.5", unit="kg", observed_on=date.today(),
                          source="entered", owner_site_id=patient.owner_site_id))  # fmt: skip


def build_center(folder: Path, patients: int) -> Path:
    from bench.huddle import build_center as build

    return build(folder, patients)


def report(label: str, r: dict[str, float]) -> None:
    base = r["baseline"]

    def line(what: str, seconds: float) -> None:
        print(f"lists: {label}: {what}: {seconds * 1000:.0f} ms, ratio {seconds / base:.1f}")

    print(f"lists: {label}: baseline, raw read of {int(r['patients'])} active patients' rows: {base * 1000:.1f} ms")
    for key in sorted(k for k in r if k.startswith("cold ")):
        kind = key[5:]
        line(f"list {kind} ({int(r['rows ' + kind])} rows), nothing kept", r[key])
    for key in sorted(k for k in r if k.startswith("kept ")):
        line(f"list {key[5:]}, from the kept lines", r[key])
    line("the overdue list after one reading recorded", r["after a change"])
    line("one keystroke in 'Narrow to'", r["keystroke"])
    line(f"Sync page shown ({int(r['conflicts'])} conflicts, {int(r['deleted'])} deleted while edited)",
         r["sync page"])  # fmt: skip
    worst = max(r[k] for k in r if k.startswith(("cold ", "kept ")) or k in ("keystroke", "after a change"))
    print(f"lists: {label}: slowest list or keystroke {worst * 1000:.0f} ms (goal under 500 ms at 2,000 patients)")


def bench_lists(reps: int, sizes: tuple[int, ...] = (300, 2000), dbs: tuple[str, ...] = ()) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = os.environ.get("LHN_DESKTOP_HOME")
    with tempfile.TemporaryDirectory() as work:
        os.environ["LHN_DESKTOP_HOME"] = home or work  # the node guard's and settings' files, not the user's own
        centers = [(Path(db), Path(db).name) for db in dbs]
        for n in sizes:
            folder = Path(work) / f"c{n}"
            folder.mkdir()
            start = time.perf_counter()
            centers.append((build_center(folder, n), f"{n} patients"))
            print(f"lists: built a {n}-patient demo center in {time.perf_counter() - start:.0f} s")
        try:
            for path, label in centers:
                report(label, bench_center(path, reps))
        finally:
            if home is None:
                del os.environ["LHN_DESKTOP_HOME"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--patients", type=int, action="append", help="build a demo center of N (repeatable)")
    parser.add_argument("--db", action="append", default=[], help="an existing center (plain) to measure")
    args = parser.parse_args()
    sizes = tuple(args.patients or (() if args.db else (300, 2000)))
    bench_lists(args.reps, sizes, tuple(args.db))
    return 0


if __name__ == "__main__":
    sys.exit(main())
