"""Start-up as a person feels it: from process start to the Huddle page shown with its list filled and the keyboard
ready, on a demo center, against two baselines measured in the same run.

- **lhn-desktop**: ``python -m lhn_desktop --db DEMO --first-page-ready`` signs in as ``--smoke`` does (the first
  clinical team member; a person would pick their name and type their PIN), shows the main window, and once the
  first page is filled and the event loop has nothing left to do, paints the window and prints the moment.
- **stack floor** (``bench/stack_floor.py``): a bare window process that also imports SQLAlchemy's ORM, opens
  the same database file the same way (SQLCipher and its key) and reads a row.
- **bare window** (``bench/bare_window.py``): a bare PySide6 window, shown and painted.
- **floor, imports unwatched**: the stack floor with its imports run as the program runs its own, without the cyclic
  garbage collector (lhn_desktop/startup.py); printed for context, so that the part of the ratio that change earns is
  plain. The aim is measured against the plain stack floor.

Each time is the moment the process says it is ready minus the moment the benchmark started it (the time to close
and exit is not counted, for any of the three). The three are run interleaved, after one untimed warm-up each;
the medians and their ratios are printed. ``--memory`` also measures the peak memory (maximum resident set) of
``lhn-desktop --smoke`` (every page visited) and of the first-page start.

Usage: ``python bench/startup.py [--patients 2000] [--reps 9] [--memory] [--db FILE --home DIR]``
(``--db``/``--home``: an existing demo center and its data folder, instead of building one).
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
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

#: the aim of issue 21: the first window at most this many times the stack floor
AIM_OVER_FLOOR = 1.5


def _ready_seconds(cmd: list[str], env: dict[str, str], word: str) -> float:
    """Seconds from starting ``cmd`` to the ``<word> ... t=<epoch>`` line it prints when ready."""
    start = time.time()
    result = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        raise SystemExit(f"benchmark command failed: {' '.join(cmd)}\n{result.stderr}")
    line = next((ln for ln in result.stdout.splitlines() if ln.startswith(word)), None)
    if line is None:
        raise SystemExit(f"{' '.join(cmd)} never said {word!r}:\n{result.stdout}\n{result.stderr}")
    fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
    if word.startswith("FIRST PAGE") and (fields.get("page") != "Huddle" or fields.get("rows") in (None, "0", "-1")):
        raise SystemExit(f"the first page was not the filled Huddle: {line}")
    return float(fields["t"]) - start


def first_page_commands(db: Path) -> dict[str, tuple[list[str], str]]:
    python = sys.executable
    return {
        "lhn-desktop": ([python, "-m", "lhn_desktop", "--db", str(db), "--first-page-ready"], "FIRST PAGE READY"),
        "stack floor": ([python, str(BENCH / "stack_floor.py"), str(db)], "FLOOR OK"),
        "floor, imports unwatched": (
            [python, str(BENCH / "stack_floor.py"), str(db), "--imports-unwatched"],
            "FLOOR OK",
        ),
        "bare window": ([python, str(BENCH / "bare_window.py")], "BARE OK"),
    }


def peak_memory_mb(cmd: list[str], env: dict[str, str]) -> float:
    """The maximum resident set of ``cmd``, in MB, measured by a wrapper process of its own (getrusage of its
    one child)."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "code = subprocess.run(sys.argv[1:], capture_output=True).returncode\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)\n"
    )
    result = subprocess.run([sys.executable, "-c", wrapper, *cmd], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=600, check=True)  # fmt: skip
    kilobytes, code = result.stdout.split()
    if code != "0":
        raise SystemExit(f"{' '.join(cmd)} failed with exit code {code}")
    return int(kilobytes) / 1024


def measure(db: Path, env: dict[str, str], reps: int) -> dict[str, float]:
    """Median seconds to ready of each command, run interleaved (the order turned each round)."""
    commands = first_page_commands(db)
    names = list(commands)
    for name in names:  # warm the page cache; the day's first backup and log files out of the measurement
        _ready_seconds(commands[name][0], env, commands[name][1])
    times: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(reps):
        order = names[rep % len(names) :] + names[: rep % len(names)]
        for name in order:
            cmd, word = commands[name]
            times[name].append(_ready_seconds(cmd, env, word))
    return {name: statistics.median(values) for name, values in times.items()}


def demo_env(home: Path) -> dict[str, str]:
    return {
        **os.environ,
        "LHN_DESKTOP_HOME": str(home),
        "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
    }


def build_demo(home: Path, patients: int) -> Path:
    db = home / "demo.sqlite3"
    subprocess.run(
        [sys.executable, "-m", "lhn_desktop", "demo", "--patients", str(patients), "--db", str(db), "--json"],
        env=demo_env(home), cwd=ROOT, check=True, capture_output=True, timeout=3600,
    )  # fmt: skip
    return db


def report(medians: dict[str, float], center: str, reps: int) -> float:
    app, floor, bare = medians["lhn-desktop"], medians["stack floor"], medians["bare window"]
    print(f"first page: {center}, median of {reps}, seconds from process start to ready:")
    print(f"  lhn-desktop (Huddle filled, keys ready): {app:.3f} s")
    print(f"  stack floor (window + SQLAlchemy ORM + the database opened, a row read): {floor:.3f} s")
    print(f"  bare PySide6 window: {bare:.3f} s")
    unwatched = medians["floor, imports unwatched"]
    print(f"  stack floor, its imports unwatched by the garbage collector as the program's are: {unwatched:.3f} s")
    print(f"first page ratio over the stack floor: {app / floor:.2f}  (aim at most {AIM_OVER_FLOOR})")
    print(
        f"first page ratio over a bare window: {app / bare:.2f}  (stack floor over a bare window: {floor / bare:.2f})"
    )
    print(f"first page ratio over the floor with its imports unwatched too: {app / unwatched:.2f}")
    return app / floor


def bench_first_page(reps: int, patients: int, memory: bool = False, db: Path | None = None,
                     home: Path | None = None) -> float:  # fmt: skip
    # An installed program runs from compiled bytecode; compile ours so that a PYTHONDONTWRITEBYTECODE
    # environment does not charge every start with recompiling the package.
    compileall.compile_dir(ROOT / "lhn_desktop", quiet=1)
    with tempfile.TemporaryDirectory() as work:
        center = f"{patients}-patient demo center" if db is None else f"the center {db.name}"
        if db is None:
            home = Path(work)
            db = build_demo(home, patients)
        assert home is not None
        env = demo_env(home)
        ratio = report(measure(db, env, reps), center, reps)
        if memory:
            python = sys.executable
            smoke = peak_memory_mb([python, "-m", "lhn_desktop", "--db", str(db), "--smoke"], env)
            first = peak_memory_mb([python, "-m", "lhn_desktop", "--db", str(db), "--first-page-ready"], env)
            print(f"peak memory: --smoke {smoke:.0f} MB; first page {first:.0f} MB ({center})")
    return ratio


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=2000, help="demo center size (default 2000)")
    parser.add_argument("--reps", type=int, default=9, help="runs of each process (default 9)")
    parser.add_argument("--memory", action="store_true", help="also the peak memory of --smoke and the first page")
    parser.add_argument("--db", type=Path, help="an existing demo center (with --home) instead of building one")
    parser.add_argument("--home", type=Path, help="the LHN_DESKTOP_HOME of --db (where its key is kept)")
    args = parser.parse_args()
    if (args.db is None) != (args.home is None):
        parser.error("--db and --home go together")
    bench_first_page(args.reps, args.patients, args.memory, args.db, args.home)
    return 0


if __name__ == "__main__":
    sys.exit(main())
