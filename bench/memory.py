"""Memory of a center bundle's export and import, against the memory of the program doing nothing.

A demo center of ``--patients`` patients and an empty second workstation of it are built as ``bench/sync.py``
builds them. Each measurement runs in a new process, so its peak resident memory is its own:

- floor (the baseline): open the workstation's database and read its node, with the sync service loaded;
- export: ``SyncService.export_center`` of the whole center (a full bundle, every field version, sealed);
- import: ``SyncService.import_bundle`` of that bundle into a fresh copy of the empty workstation.

Printed: each peak in MB, the bundle's size, and the peak as a ratio over the floor; also each one's seconds, for
the record (``bench/sync.py`` times export and import against a baseline). A program that holds a whole bundle
in memory grows with the center; one that streams it holds one part (``PART_BYTES``) and the merge's working set.
``--limit-mb`` runs every process under that address-space limit (``ulimit -v``), to
show that the work fits. Usage: ``python bench/memory.py [--patients N ...] [--limit-mb MB]`` (default 300 and
2000, no limit). ``--keep DIR`` builds the centers there once and reuses them.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync import _home, _remove, build  # noqa: E402  (bench/sync.py, beside this file)

CHILD = """
import resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from lhn_desktop.access import Actor
from lhn_desktop.services.sync import SyncService
from lhn_desktop.store.database import Database

mode, path, other = sys.argv[2], Path(sys.argv[3]), sys.argv[4]
key = bytes(range(32))
db = Database.open(path, path.parent / "backups")
start = time.perf_counter()
try:
    sync, actor = SyncService(db), Actor.workstation()
    if mode == "floor":
        db.local_node()
    elif mode == "export":
        print(sync.export_center(actor, Path(other), key, full=True), file=sys.stderr)
    else:
        sync.import_bundle(actor, other, key)
finally:
    db.close()
print(time.perf_counter() - start, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_mb(mode: str, database: Path, other: str, limit_mb: int | None = None) -> tuple[float, float]:
    """The peak resident memory of one measurement in its own process, in MB (under ``limit_mb`` of address
    space, when given: a process that needs more fails, and so does the benchmark), and its seconds."""

    def limited() -> None:
        if limit_mb:
            resource.setrlimit(resource.RLIMIT_AS, (limit_mb * 1024 * 1024, limit_mb * 1024 * 1024))

    done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), mode, str(database), other], check=False,
                          capture_output=True, text=True, preexec_fn=limited)  # fmt: skip
    if done.returncode:
        raise SystemExit(f"the {mode} process failed{f' under {limit_mb} MB' if limit_mb else ''}:\n{done.stderr}")
    seconds, peak = done.stdout.split()[-2:]
    return int(peak) / 1024, float(seconds)  # ru_maxrss is in kB on Linux


def built(folder: Path, patients: int) -> tuple[Path, Path]:
    """The demo center and its empty second workstation in ``folder``, built in a process of their own (a child
    process starts with its parent's memory counted in its peak, so the parent stays small), or reused."""
    center, empty = folder / "center.sqlite3", folder / "empty-workstation.sqlite3"
    if not (center.exists() and empty.exists()):
        subprocess.run([sys.executable, __file__, "--build-into", str(folder), "--patients", str(patients)],
                       check=True)  # fmt: skip
    return center, empty


def bench_memory(patients: int, limit_mb: int | None = None, keep: Path | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp, _home(Path(tmp) / "home"):
        folder = keep / str(patients) if keep else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        center, empty = built(folder, patients)
        for old in (folder / "out").glob("*"):
            old.unlink()
        out = folder / "out"
        out.mkdir(exist_ok=True)
        floor, _ = peak_mb("floor", center, "", limit_mb)
        export = peak_mb("export", center, str(out), limit_mb)
        bundle = next(out.glob("*.lhnsync"))
        replica = folder / "replica.sqlite3"
        _remove(replica)  # with its log files: a kept folder holds the last run's
        shutil.copyfile(empty, replica)
        imported = peak_mb("import", replica, str(bundle), limit_mb)
        size = bundle.stat().st_size / 1e6
        for label, (peak, seconds) in (("export", export), ("import", imported)):
            print(f"memory ({patients} patients, a {size:.1f} MB bundle): {label} ({seconds:.0f} s) peak {peak:.0f} MB "
                  f"vs floor {floor:.0f} MB -> {peak / floor:.2f}x ({peak - floor:.0f} MB above it)"
                  + (f", under a {limit_mb} MB address-space limit" if limit_mb else ""), flush=True)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[300, 2000], help="demo center sizes")
    parser.add_argument("--limit-mb", type=int, help="run every process under this address-space limit (ulimit -v)")
    parser.add_argument("--keep", type=Path, help="build the centers in this folder and reuse them on later runs")
    parser.add_argument("--build-into", type=Path, help=argparse.SUPPRESS)  # the build's own process
    args = parser.parse_args()
    if args.build_into:
        build(args.build_into, args.patients[0])
        return 0
    for patients in args.patients:
        bench_memory(patients, args.limit_mb, args.keep)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
