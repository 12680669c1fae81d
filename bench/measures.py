"""Measures benchmark: every measure of a 2,000-patient demo center for 36 months, against raw SQL, in one run.

``MeasureService.compute(months=36)`` (read the facts once, count every measure and month in memory, write the
monthly values) is timed against a baseline of one raw ``sqlite3`` query per measure that counts the same
numerators and denominators (and the same continuous values) for all 36 months. The CDC growth z-scores cannot be
written in SQL: the baseline calls the program's own z-score function from SQL (a user-defined function), which is
what a hand-written report would do too. Both must agree: the benchmark compares every count and stops on a
difference, so it also checks the engine against a second, independent reading of each definition.

Usage: ``python bench/measures.py [--reps N] [--patients N]``
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MONTHS = 36

#: who is counted at the end of a month: still followed here, and of the measure's pack
FOLLOWED = "(p.status IS NULL OR p.status = 'active' OR (p.status_date IS NOT NULL AND p.status_date > m.last))"
IBD = "p.diagnosis IN ('Crohn disease', 'Ulcerative colitis', 'IBD unclassified')"


def _seen(days_column: str) -> str:
    return (
        "EXISTS (SELECT 1 FROM visit v WHERE v.patient_id = p.id AND v.status = 'completed' "
        f"AND v.visit_date > m.{days_column} AND v.visit_date <= m.last)"
    )


def _latest(code: str, start: str = "start395") -> str:
    """The value of the latest ``code`` on or before the month's end, if it falls in the look-back window."""
    return (
        f"(SELECT CASE WHEN o.observed_on > m.{start} THEN o.value END FROM observation o "
        f"WHERE o.patient_id = p.id AND o.code = '{code}' AND o.entered_in_error = 0 AND o.observed_on <= m.last "
        "ORDER BY o.observed_on DESC, o.rowid DESC LIMIT 1)"
    )


ON_STEROIDS = (
    "EXISTS (SELECT 1 FROM medication d WHERE d.patient_id = p.id AND d.entered_in_error = 0 "
    "AND d.drug_class = 'corticosteroid' AND d.start_date <= m.last AND (d.stop_date IS NULL OR d.stop_date > m.last))"
)
AGE = (
    "(CAST(strftime('%Y', m.last) AS INTEGER) - CAST(strftime('%Y', p.birth_date) AS INTEGER) "
    "- (strftime('%m-%d', m.last) < strftime('%m-%d', p.birth_date)))"
)
HEIGHT_Z = (
    "(SELECT growth_z('height', p.sex, p.birth_date, o.observed_on, o.value, NULL) FROM observation o "
    "WHERE o.patient_id = p.id AND o.code = 'HEIGHT' AND o.entered_in_error = 0 AND o.observed_on > m.start395 "
    "AND o.observed_on <= m.last AND CAST(o.value AS REAL) > 0 ORDER BY o.observed_on DESC, o.rowid DESC LIMIT 1)"
)
BMI_Z = (
    "(SELECT growth_z('bmi', p.sex, p.birth_date, h.observed_on, h.value, w.value) FROM observation h "
    "JOIN observation w ON w.patient_id = h.patient_id AND w.code = 'WEIGHT' AND w.entered_in_error = 0 "
    "AND w.observed_on = h.observed_on AND CAST(w.value AS REAL) > 0 "
    "WHERE h.patient_id = p.id AND h.code = 'HEIGHT' AND h.entered_in_error = 0 AND h.observed_on > m.start395 "
    "AND h.observed_on <= m.last AND CAST(h.value AS REAL) > 0 "
    "ORDER BY h.observed_on DESC, h.rowid DESC, w.rowid DESC LIMIT 1)"
)
SUSTAINED = (
    "(SELECT count(*) FROM visit v WHERE v.patient_id = p.id AND v.status = 'completed' "
    "AND v.visit_date > m.year_before AND v.visit_date <= m.last) >= 3 "
    "AND NOT EXISTS (SELECT 1 FROM visit v WHERE v.patient_id = p.id "
    "AND v.status = 'completed' AND v.visit_date > m.year_before AND v.visit_date <= m.last "
    "AND (SELECT o.value FROM observation o WHERE o.patient_id = p.id AND o.code = 'PGA' AND o.entered_in_error = 0 "
    "AND (o.visit_id = v.id OR (o.visit_id IS NULL AND o.observed_on = v.visit_date)) "
    "ORDER BY o.observed_on DESC, o.rowid DESC LIMIT 1) IS NOT 'quiescent')"
)
THIOPURINE_START = (
    "(SELECT min(d.start_date) FROM medication d WHERE d.patient_id = p.id AND d.entered_in_error = 0 "
    "AND d.drug_class = 'thiopurine' AND d.start_date <= m.last)"
)


def _patients(population: str, numerator: str) -> str:
    return (
        f"SELECT m.month, coalesce(sum({numerator}), 0), count(*) FROM months m JOIN patient p "
        f"WHERE {FOLLOWED} AND {population} GROUP BY m.month"
    )


SEEN_IBD = f"{IBD} AND {_seen('start395')}"
GROWTH_AGES = f"{SEEN_IBD} AND {AGE} BETWEEN 2 AND 19"
#: one query per measure: (month, numerator, denominator) for every month
QUERIES = {
    "remission_pga": _patients(SEEN_IBD, f"{_latest('PGA')} IS 'quiescent'"),
    "no_prednisone": _patients(SEEN_IBD, f"NOT {ON_STEROIDS}"),
    "visit_200d": _patients(
        f"{IBD} AND p.diagnosis_date IS NOT NULL AND p.diagnosis_date <= m.last", _seen("start200")
    ),
    "model_care": (
        "SELECT m.month, coalesce(sum(p.disease_classification IS NOT NULL AND p.disease_classification != '' AND "
        "(SELECT count(DISTINCT o.code) FROM observation o WHERE o.visit_id = v.id AND o.entered_in_error = 0 "
        "AND o.code IN ('PGA', 'WEIGHT', 'HEIGHT')) = 3), 0), count(*) FROM months m "
        "JOIN visit v ON v.status = 'completed' AND v.visit_date BETWEEN m.first AND m.last "
        f"JOIN patient p ON p.id = v.patient_id WHERE {IBD} GROUP BY m.month"
    ),
    "previsit_planned": (
        "SELECT m.month, coalesce(sum(EXISTS (SELECT 1 FROM previsit_plan pp WHERE pp.visit_id = v.id "
        "AND pp.status = 'done')), 0), count(*) FROM months m JOIN visit v ON v.status = 'completed' "
        "AND v.visit_date BETWEEN m.first AND m.last GROUP BY m.month"
    ),
    "collaborate_top_box": (
        "SELECT m.month, coalesce(sum(c.item1 = 9 AND c.item2 = 9 AND c.item3 = 9), 0), count(*) FROM months m "
        "JOIN collaborate_response c ON c.answered_on BETWEEN m.first AND m.last AND c.item1 IS NOT NULL "
        "AND c.item2 IS NOT NULL AND c.item3 IS NOT NULL GROUP BY m.month"
    ),
    "remission_wpcdai": _patients(
        f"p.diagnosis = 'Crohn disease' AND {_seen('start395')}", f"CAST({_latest('WPCDAI')} AS REAL) < 12.5"
    ),
    "remission_pucai": _patients(
        f"p.diagnosis IN ('Ulcerative colitis', 'IBD unclassified') AND {_seen('start395')}",
        f"CAST({_latest('PUCAI')} AS REAL) < 10",
    ),
    "steroid_free_remission": _patients(SEEN_IBD, f"{_latest('PGA')} IS 'quiescent' AND NOT {ON_STEROIDS}"),
    "sustained_remission": _patients(SEEN_IBD, SUSTAINED),
    "satisfactory_growth": _patients(GROWTH_AGES, f"{HEIGHT_Z} >= -1.0"),
    "satisfactory_nutrition": _patients(GROWTH_AGES, f"{BMI_Z} >= -1.0"),
    "tpmt_before_thiopurine": _patients(
        f"{SEEN_IBD} AND {THIOPURINE_START} IS NOT NULL",
        "EXISTS (SELECT 1 FROM observation o WHERE o.patient_id = p.id AND o.code = 'TPMT' AND o.entered_in_error = 0 "
        f"AND o.observed_on <= {THIOPURINE_START})",
    ),
}


def _growth_z(chart: str, sex: str | None, born: str, on: str, first: str, second: str | None) -> float | None:
    from lhn_desktop.clinical import growth

    if sex not in ("female", "male"):
        return None
    try:
        height = float(first)
        value = growth.bmi(float(second or 0), height) if chart == "bmi" else height
    except ValueError:
        return None
    score = growth.zscore(chart, sex, growth.age_in_months(date.fromisoformat(born), date.fromisoformat(on)), value)
    return None if score is None else score.z


def _months_table(raw: sqlite3.Connection, today: date) -> list[str]:
    from lhn_desktop.services.measure_library import _months_before
    from lhn_desktop.services.measures import complete_months

    periods = complete_months(today, MONTHS)
    raw.execute(
        "CREATE TEMP TABLE months (month TEXT, first TEXT, last TEXT, start395 TEXT, start200 TEXT, year_before TEXT)"
    )
    raw.executemany(
        "INSERT INTO months VALUES (?, ?, ?, ?, ?, ?)",
        [(month, str(first), str(last), str(last - timedelta(days=395)), str(last - timedelta(days=200)),
          str(_months_before(last, 12))) for month, first, last in periods],
    )  # fmt: skip
    return [month for month, _, _ in periods]


def raw_counts(db_path: Path, today: date) -> tuple[float, dict[tuple[str, str], tuple[int, int]]]:
    """One raw query per measure; returns (seconds, counts by (code, month)), months without rows as (0, 0)."""
    raw = sqlite3.connect(db_path)
    try:
        raw.create_function("growth_z", 6, _growth_z, deterministic=True)
        months = _months_table(raw, today)
        start = time.perf_counter()
        counts = {}
        for code, query in QUERIES.items():
            found = {month: (num, den) for month, num, den in raw.execute(query)}
            for month in months:
                counts[code, month] = found.get(month, (0, 0))
        return time.perf_counter() - start, counts
    finally:
        raw.close()


def bench_measures(reps: int, patients: int = 2000) -> float:
    from bench.huddle import build_center
    from lhn_desktop.access import Actor
    from lhn_desktop.services.measures import MeasureService
    from lhn_desktop.store.database import Database

    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        start = time.perf_counter()
        db_path = build_center(folder, patients)
        print(f"measures: built a {patients}-patient demo center in {time.perf_counter() - start:.0f} s")
        db = Database.open(str(db_path), str(folder / "backups"))
        service = MeasureService(db)
        actor = Actor.workstation()
        try:
            ours, baseline = [], []
            for _ in range(reps):
                start = time.perf_counter()
                report = service.compute(actor, months=MONTHS)
                ours.append(time.perf_counter() - start)
                seconds, counts = raw_counts(db_path, service.today())
                baseline.append(seconds)
            engine = {
                (code, v.month): (v.numerator, v.denominator or 0)
                for code in QUERIES
                for v in service.values(code)
                if (code, v.month) in counts
            }
        finally:
            db.close()
    differ = sorted(key for key in counts if engine.get(key) != counts[key])
    if differ:
        shown = ", ".join(f"{code} {month}: engine {engine.get((code, month))}, SQL {counts[code, month]}"
                          for code, month in differ[:10])  # fmt: skip
        raise SystemExit(f"measures: the engine and the raw queries disagree on {len(differ)} counts: {shown}")
    ratio = statistics.median(ours) / statistics.median(baseline)
    print(
        f"measures: compute {report.measures} measures x {MONTHS} months at {patients} patients "
        f"{statistics.median(ours):.2f} s (median of {reps}) vs one raw query per measure "
        f"{statistics.median(baseline):.2f} s -> {ratio:.2f}x; {len(counts)} counts agree"
    )
    return ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--patients", type=int, default=2000)
    args = parser.parse_args()
    bench_measures(args.reps, args.patients)


if __name__ == "__main__":
    main()
