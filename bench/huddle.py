"""Huddle benchmark: the clinic day's board against a raw query for the same data, measured in one run.

A 2,000-patient demo center gets a clinic day of 40 patients (imported as a schedule report, as a clinic
would). ``PlanningService.huddle`` (visits, every patient's record, the disease-pack checklist,
tasks, agenda, goals and plans) is timed against one raw ``sqlite3`` query that fetches the same
visits with each patient's latest observations. Goal: at most 5x.
"""

from __future__ import annotations

import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RAW = """
WITH day AS (
  SELECT v.id, v.patient_id, v.visit_time FROM visit v
  WHERE v.visit_date = :day AND v.status IN ('scheduled', 'completed')
), latest AS (
  SELECT o.patient_id, o.code, o.value, o.observed_on,
         row_number() OVER (PARTITION BY o.patient_id, o.code ORDER BY o.observed_on DESC) AS n
  FROM observation o WHERE o.patient_id IN (SELECT patient_id FROM day)
)
SELECT d.id, d.visit_time, p.family_name, p.given_name, p.mrn, l.code, l.value, l.observed_on
FROM day d
JOIN patient p ON p.id = d.patient_id
LEFT JOIN latest l ON l.patient_id = d.patient_id AND l.n = 1
ORDER BY d.visit_time
"""


def build_center(folder: Path, patients: int) -> Path:
    db = folder / "center.sqlite3"
    env = {**os.environ, "LHN_DESKTOP_HOME": str(folder)}
    # plain: the baseline reads the same file with the standard library's sqlite3
    command = [sys.executable, "-m", "lhn_desktop", "demo", "--plain", "--patients", str(patients), "--db", str(db)]
    subprocess.run(command, env=env, cwd=ROOT, check=True, capture_output=True, timeout=1800)
    return db


def schedule_day(db_path: Path, day: date, count: int) -> None:
    from lhn_desktop.access import Actor
    from lhn_desktop.services.ehr import EhrService
    from lhn_desktop.services.ehr_csv import CsvMapping
    from lhn_desktop.store.database import Database

    with sqlite3.connect(db_path) as raw:
        mrns = [m for (m,) in raw.execute("SELECT mrn FROM patient WHERE active ORDER BY mrn LIMIT ?", (count,))]
    rows = [f"{day},{8 + k // 4:02d}:{(k % 4) * 15:02d},{mrn},Dr. Bench,Follow-up" for k, mrn in enumerate(mrns)]
    report = db_path.parent / "schedule.csv"
    report.write_text("date,time,mrn,clinician,visit type\n" + "\n".join(rows) + "\n", encoding="utf-8")
    columns = {"date": "date", "time": "time", "mrn": "mrn", "clinician": "clinician", "visit_type": "visit type"}
    db = Database.open(str(db_path), str(db_path.parent / "backups"))
    try:
        result = EhrService(db).import_csv(Actor.workstation(), report, CsvMapping("bench", "appointments", columns),
                                           apply=True)  # fmt: skip
        assert result.applied, result.problems
    finally:
        db.close()


def bench_huddle(reps: int, patients: int = 2000, day_size: int = 40) -> float:
    from lhn_desktop.access import Actor
    from lhn_desktop.services.planning import PlanningService
    from lhn_desktop.store.database import Database

    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        start = time.perf_counter()
        db_path = build_center(folder, patients)
        built = time.perf_counter() - start
        day = date.today() + timedelta(days=60)
        schedule_day(db_path, day, day_size)
        db = Database.open(str(db_path), str(folder / "backups"))
        planning = PlanningService(db)
        actor = Actor.workstation()
        raw = sqlite3.connect(db_path)
        board = planning.huddle(actor, day)  # warm caches (packs loaded, pages in memory)
        rows = raw.execute(RAW, {"day": day.isoformat()}).fetchall()
        assert len(board.rows) == day_size, len(board.rows)
        ours, theirs = [], []
        for _ in range(reps):
            t = time.perf_counter()
            planning.huddle(actor, day)
            ours.append(time.perf_counter() - t)
            t = time.perf_counter()
            rows = raw.execute(RAW, {"day": day.isoformat()}).fetchall()
            theirs.append(time.perf_counter() - t)
        raw.close()
        db.close()
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"huddle: {patients}-patient demo center built in {built:.0f} s; a clinic day of {day_size} patients")
    print(f"huddle: board with checklists, median of {reps}: {a * 1000:.0f} ms; raw sqlite3 query "
          f"(visits with latest observations, {len(rows)} rows): {b * 1000:.0f} ms")  # fmt: skip
    print(f"huddle ratio (board / raw query): {a / b:.1f}  (aim: at most 5)")
    return a / b


if __name__ == "__main__":
    bench_huddle(int(sys.argv[1]) if len(sys.argv) > 1 else 9)
