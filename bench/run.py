"""LHN Desktop benchmarks: each prints this program's time as a ratio over a baseline measured in the same run.

Usage: ``python bench/run.py [--reps N] [--patients N] [--only NAME ...] [--frozen]``

startup: ``lhn-desktop --smoke`` on the demo center (open the database, sign in, build the main
window, visit every page, exit) against a bare PySide6 window process started the same way. The
two are run interleaved, several times each; the medians are compared.

first-page: see ``bench/startup.py``: the time to the Huddle page filled and ready for keys (as a person feels
start-up) on the 2,000-patient demo center, against a bare window and the stack floor (a bare window that also
imports SQLAlchemy's ORM and opens the same database), in the same run.

analysis and render: see ``bench/charts.py``; huddle: see ``bench/huddle.py``; search: see
``bench/commons.py``; sync: see ``bench/sync.py``; visit: see ``bench/visit.py``; ehr: see ``bench/ehr.py``;
encryption: see ``bench/encryption.py``; measures: see ``bench/measures.py``; network: see ``bench/network.py``;
delta: see ``bench/delta.py``; lists (the Patient lists and the Sync page): see ``bench/lists.py``; memory (of a
full bundle's export and import): see ``bench/memory.py``; storage (bytes per patient): see ``bench/storage.py``
(each runnable on its own). ``--only`` picks some of
them (repeat it for several); without it all run.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _time(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    result = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{result.stderr}")
    return elapsed


def _demo_env(home: Path, patients: int) -> tuple[dict[str, str], Path]:
    """An environment whose data lives in ``home``, and a demo center of ``patients`` built there."""
    env = {
        **os.environ,
        "LHN_DESKTOP_HOME": str(home),
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
    }
    db = home / "demo.sqlite3"
    subprocess.run(
        [sys.executable, "-m", "lhn_desktop", "demo", "--patients", str(patients), "--db", str(db), "--json"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return env, db


def _interleaved_medians(first: list[str], second: list[str], env: dict[str, str], reps: int) -> tuple[float, float]:
    """Median wall times of two commands run alternately, after one untimed warm-up run each."""
    _time(first, env)  # warm the page cache and take the day's first backup out of the measurement
    _time(second, env)
    first_times, second_times = [], []
    for _ in range(reps):
        first_times.append(_time(first, env))
        second_times.append(_time(second, env))
    return statistics.median(first_times), statistics.median(second_times)


def bench_startup(reps: int, patients: int) -> float:
    # An installed program runs from compiled bytecode; compile ours so that a PYTHONDONTWRITEBYTECODE
    # environment does not charge every start with recompiling the package.
    compileall.compile_dir(ROOT / "lhn_desktop", quiet=1)
    with tempfile.TemporaryDirectory() as home:
        env, db = _demo_env(Path(home), patients)
        app_cmd = [sys.executable, "-m", "lhn_desktop", "--db", str(db), "--smoke"]
        bare_cmd = [sys.executable, str(ROOT / "bench" / "bare_window.py")]
        app_median, bare_median = _interleaved_medians(app_cmd, bare_cmd, env, reps)
    ratio = app_median / bare_median
    print(f"startup: lhn-desktop --smoke on a {patients}-patient demo center, median of {reps}: {app_median:.3f} s")
    print(f"startup: bare PySide6 window, median of {reps}: {bare_median:.3f} s")
    print(f"startup ratio (lhn-desktop / bare window): {ratio:.2f}  (goal: at most 2.0, aim 1.5)")
    return ratio


def bench_frozen(reps: int, patients: int) -> None:
    """Build the one-folder program, then report build time, size, archive size and frozen start-up."""
    import tarfile

    with tempfile.TemporaryDirectory() as work:
        work_path = Path(work)
        start = time.perf_counter()
        subprocess.run(
            [
                sys.executable,
                "-m",
                "PyInstaller",
                "--noconfirm",
                "--clean",
                "--log-level",
                "ERROR",
                "--distpath",
                str(work_path / "dist"),
                "--workpath",
                str(work_path / "build"),
                str(ROOT / "installer.spec"),
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
            timeout=1800,
        )
        build_s = time.perf_counter() - start
        folder = work_path / "dist" / "lhn-desktop"
        size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
        archive = work_path / "lhn-desktop.tar.gz"
        with tarfile.open(archive, "w:gz") as tar:
            tar.add(folder, arcname="lhn-desktop")
        archive_mb = archive.stat().st_size / 1e6
        home = work_path / "home"
        home.mkdir()
        env, db = _demo_env(home, patients)
        compileall.compile_dir(ROOT / "lhn_desktop", quiet=1)
        frozen_cmd = [str(folder / "lhn-desktop"), "--db", str(db), "--smoke"]
        source_cmd = [sys.executable, "-m", "lhn_desktop", "--db", str(db), "--smoke"]
        frozen_median, source_median = _interleaved_medians(frozen_cmd, source_cmd, env, reps)
    print(
        f"frozen: build {build_s:.1f} s; folder {size / 1e6:.0f} MB (at most 250, aim 200); "
        f"tar.gz {archive_mb:.0f} MB (aim 85)"
    )
    print(f"frozen: --smoke median of {reps}: {frozen_median:.3f} s; from source: {source_median:.3f} s")
    print(f"frozen start-up ratio (frozen / source): {frozen_median / source_median:.2f}  (aim 1.0 or better)")


BENCHMARKS = (
    "startup", "first-page", "analysis", "render", "huddle", "search", "sync", "visit", "ehr", "encryption",
    "measures", "network", "delta", "lists", "memory", "storage",
)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=9, help="repetitions of each measurement (default 9)")
    parser.add_argument(
        "--patients", type=int, help="demo center size for startup (default 300) and first-page (default 2000)"
    )
    parser.add_argument("--only", action="append", choices=BENCHMARKS, help="run only this benchmark (repeatable)")
    parser.add_argument("--frozen", action="store_true", help="also build the installer folder and measure it")
    args = parser.parse_args()
    chosen = set(args.only or BENCHMARKS)
    if "startup" in chosen:
        bench_startup(args.reps, args.patients or 300)
    from startup import bench_first_page  # bench/startup.py, beside this file

    if "first-page" in chosen:
        bench_first_page(args.reps, args.patients or 2000)
    from charts import bench_analysis, bench_render  # bench/charts.py, beside this file

    if "analysis" in chosen:
        bench_analysis(args.reps)
    if "render" in chosen:
        bench_render(args.reps)
    from huddle import bench_huddle  # bench/huddle.py: builds a 2,000-patient center (about 40 s)

    if "huddle" in chosen:
        bench_huddle(args.reps)
    from commons import bench_search  # bench/commons.py

    if "search" in chosen:
        bench_search(args.reps)
    from sync import bench_sync  # bench/sync.py: builds a 2,000-patient center, exports and imports it

    if "sync" in chosen:
        bench_sync(args.reps)
    from visit import bench_visit  # bench/visit.py: builds a 1,000-patient center, records a visit in copies

    if "visit" in chosen:
        bench_visit(args.reps)
    from ehr import bench_ehr  # bench/ehr.py: a 2,000-patient center's FHIR export into a new center (minutes)

    if "ehr" in chosen:
        bench_ehr(1)
    from encryption import bench_encryption  # bench/encryption.py: the huddle, a visit, an import, plain and encrypted

    if "encryption" in chosen:
        bench_encryption(args.reps)
    from measures import bench_measures  # bench/measures.py: every measure, 36 months, against raw SQL

    if "measures" in chosen:
        bench_measures(args.reps)
    from network import bench_network  # bench/network.py: a coordinating center and its centers' bundles

    if "network" in chosen:
        bench_network(60, 10)  # a small hub; bench/network.py alone runs 300 centers
    from delta import bench_delta  # bench/delta.py: a clinic day as a delta bundle against the full bundle

    if "delta" in chosen:
        bench_delta(args.reps, args.patients or 2000)
    from lists import bench_lists  # bench/lists.py: the Patient lists and the Sync page at 300 and 2,000 patients

    if "lists" in chosen:
        bench_lists(args.reps)
    from memory import bench_memory  # bench/memory.py: peak memory of a full bundle's export and import

    if "memory" in chosen:
        bench_memory(args.patients or 2000)
    from storage import bench_storage  # bench/storage.py: bytes per patient, the versions against the displayed data

    if "storage" in chosen:
        bench_storage([300, args.patients or 2000])
    if args.frozen:
        bench_frozen(args.reps, args.patients or 300)
    return 0


if __name__ == "__main__":
    sys.exit(main())
