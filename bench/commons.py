"""Commons search benchmark: the FTS5 search of 5,000 resources against a plain LIKE query on the same data.

Both run in the same process on the same database, interleaved; medians are compared. A person
notices a delay from about 100 ms; the search should stay well under that.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = [
    "checklist",
    "huddle",
    "growth",
    "height",
    "weight",
    "remission",
    "steroid",
    "infusion",
    "transition",
    "school",
    "anxiety",
    "family",
    "agenda",
    "goal",
    "nurse",
    "physician",
    "dietitian",
    "psychologist",
    "registry",
    "measure",
    "chart",
    "baseline",
    "phase",
    "ramp",
    "pdsa",
    "calendar",
    "reminder",
    "portal",
    "letter",
    "camp",
    "vaccine",
    "influenza",
    "clinic",
    "survey",
    "collaborate",
]
#: rarer words, as real titles have: each is in about 1 in 200 resources
RARE = [
    f"{a}{b}"
    for a in ("stadio", "calpro", "budeso", "ustekin", "vedoli", "entero", "fistul", "perian")
    for b in ("meter", "tectin", "nide", "umab", "zumab", "scopy", "otomy", "alyse")
]

LIKE = """
SELECT id, title FROM resource
WHERE title LIKE :p OR summary LIKE :p OR tags LIKE :p OR body LIKE :p
ORDER BY published_on DESC, title
"""


def build(folder: Path, count: int) -> Path:
    from lhn_desktop.access import Actor
    from lhn_desktop.models.commons import Resource
    from lhn_desktop.store.database import Database

    db_path = folder / "center.sqlite3"
    subprocess.run([sys.executable, "-m", "lhn_desktop", "init", "--site", "ctr-900", "--name", "Bench Center",
                    "--db", str(db_path)], cwd=ROOT, check=True, capture_output=True,
                   env={"LHN_DESKTOP_HOME": str(folder), "PATH": "/usr/bin:/bin"})  # fmt: skip
    rng = random.Random(5000)
    db = Database.open(db_path, folder / "backups")
    try:
        with db.write(Actor.workstation()) as s:
            for k in range(count):
                words = rng.sample(WORDS, 12)
                rare = rng.choice(RARE)
                s.add(Resource(title=" ".join([*words[:3], rare]).capitalize(), kind="tool",
                               summary=" ".join(words[4:9]),
                               tags=", ".join(words[9:]), body=" ".join(rng.choices(WORDS, k=60)),
                               contributing_site="ctr-900", published_on=date(2026, 1, 1 + k % 28)))  # fmt: skip
    finally:
        db.close()
    return db_path


def bench_search(reps: int, count: int = 5000) -> float:
    from lhn_desktop.services.commons import CommonsService, attachments_folder, fts_query
    from lhn_desktop.store.database import Database

    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        start = time.perf_counter()
        db_path = build(folder, count)
        built = time.perf_counter() - start
        db = Database.open(db_path, folder / "backups")
        commons = CommonsService(db, attachments_folder(db_path))
        raw = sqlite3.connect(db_path)
        terms = ["stadiometer", "vedolizumab", "budesonide transition", "fistulotomy"]  # about 1 in 64 each
        fts = (
            "SELECT r.id, r.title FROM resource_fts f JOIN resource r ON r.id = f.resource_id "
            "WHERE resource_fts MATCH :q ORDER BY bm25(resource_fts)"
        )
        ours, theirs, raw_fts, hits = [], [], [], 0
        for _ in range(reps):
            for term in terms:
                t = time.perf_counter()
                found = commons.search(term, limit=200)
                ours.append(time.perf_counter() - t)
                t = time.perf_counter()
                raw.execute(fts, {"q": fts_query(term)}).fetchall()
                raw_fts.append(time.perf_counter() - t)
                t = time.perf_counter()
                raw.execute(LIKE, {"p": f"%{term.split()[0]}%"}).fetchall()
                theirs.append(time.perf_counter() - t)
                hits += len(found)
        raw.close()
        db.close()
    a, b, f = statistics.median(ours), statistics.median(theirs), statistics.median(raw_fts)
    print(f"commons: {count:,} resources built in {built:.0f} s; {len(terms)} searches x {reps}, "
          f"{hits / (len(terms) * reps):.0f} hits each on average")  # fmt: skip
    print(f"commons: FTS5 query {f * 1000:.2f} ms; plain LIKE query on the same data {b * 1000:.2f} ms; "
          f"the whole search through the service (ranked, with adoption counts) {a * 1000:.1f} ms")  # fmt: skip
    print(f"commons search ratio (FTS5 / LIKE): {f / b:.2f}; service search {a * 1000:.1f} ms "
          "(a person notices from about 100 ms)")  # fmt: skip
    return f / b


if __name__ == "__main__":
    bench_search(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
