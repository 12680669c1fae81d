"""Memory of a center bundle's export and import, against the memory of the program doing nothing.

A demo center of ``--patients`` patients and an empty second workstation of it are built as ``bench/sync.py``
builds them. Each measurement runs in a new process, so its peak resident memory is its own:

- floor (the baseline): open the workstation's database and read its node, with the sync service loaded;
- export: ``SyncService.export_center`` of the whole center (a full bundle, every field version, sealed);
- import: ``SyncService.import_bundle`` of that bundle into a fresh copy of the empty workstation.

Printed: each peak in MB, the bundle's size, and the peak above the floor as a ratio over the floor. A program
that holds a whole bundle in memory grows with the center; one that streams it holds one part (``PART_BYTES``)
and the merge's working set. Usage: ``python bench/memory.py [--patients N ...]`` (default 300 and 2000).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sync import _home, build  # noqa: E402  (bench/sync.py, beside this file)

CHILD = """
import resource, sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from lhn_desktop.access import Actor
from lhn_desktop.services.sync import SyncService
from lhn_desktop.store.database import Database

mode, path, other = sys.argv[2], Path(sys.argv[3]), sys.argv[4]
key = bytes(range(32))
db = Database.open(path, path.parent / "backups")
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
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def peak_mb(mode: str, database: Path, other: str) -> float:
    """The peak resident memory of one measurement in its own process, in MB."""
    done = subprocess.run([sys.executable, "-c", CHILD, str(ROOT), mode, str(database), other], check=True,
                          capture_output=True, text=True)  # fmt: skip
    return int(done.stdout.split()[-1]) / 1024  # ru_maxrss is in kB on Linux


def bench_memory(patients: int) -> None:
    with tempfile.TemporaryDirectory() as tmp, _home(Path(tmp) / "home"):
        folder = Path(tmp)
        center, empty = build(folder, patients)
        out = folder / "out"
        out.mkdir()
        floor = peak_mb("floor", center, "")
        export = peak_mb("export", center, str(out))
        bundle = next(out.glob("*.lhnsync"))
        replica = folder / "replica.sqlite3"
        shutil.copyfile(empty, replica)
        imported = peak_mb("import", replica, str(bundle))
        size = bundle.stat().st_size / 1e6
        for label, peak in (("export", export), ("import", imported)):
            print(f"memory ({patients} patients, a {size:.1f} MB bundle): {label} peak {peak:.0f} MB vs floor "
                  f"{floor:.0f} MB -> {peak / floor:.2f}x ({peak - floor:.0f} MB above it)", flush=True)  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, nargs="+", default=[300, 2000], help="demo center sizes")
    args = parser.parse_args()
    for patients in args.patients:
        bench_memory(patients)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
