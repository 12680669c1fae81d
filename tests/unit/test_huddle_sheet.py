"""The printed huddle sheet fits the day: one summary page, then the patients about two to a page, none split."""

from __future__ import annotations

import math
import re
from pathlib import Path

from lhn_desktop.services.overview import OverviewService
from lhn_desktop.services.planning import PlanningService
from lhn_desktop.store.database import Database
from tests.conftest import DEMO_TODAY


def pages(pdf: Path) -> int:
    counts = [int(n) for n in re.findall(rb"/Count (\d+)", pdf.read_bytes())]
    assert counts, "a page tree"
    return max(counts)


def test_the_busiest_day_prints_on_a_summary_page_and_a_page_per_two_patients(demo_db: Database, admin, tmp_path):
    days = OverviewService(demo_db, today=lambda: DEMO_TODAY).clinic_days(limit=60)
    busiest = max(days, key=lambda d: d.scheduled)
    planning = PlanningService(demo_db, today=lambda: DEMO_TODAY)
    board = planning.huddle(admin, busiest.day)
    assert len(board.rows) >= 6, "a day busy enough to tell"
    sheet = planning.huddle_sheet(admin, busiest.day, tmp_path / "huddle.pdf")
    assert pages(sheet) <= 1 + math.ceil(len(board.rows) / 2), (pages(sheet), len(board.rows))
    text = sheet.read_bytes()
    assert text.startswith(b"%PDF") and not list(tmp_path.glob("*.part"))


def test_a_quiet_day_prints_its_patients_after_the_summary(demo_db: Database, admin, tmp_path):
    days = OverviewService(demo_db, today=lambda: DEMO_TODAY).clinic_days(limit=60)
    quiet = min(days, key=lambda d: d.scheduled)
    planning = PlanningService(demo_db, today=lambda: DEMO_TODAY)
    sheet = planning.huddle_sheet(admin, quiet.day, tmp_path / "quiet.pdf")
    assert 2 <= pages(sheet) <= 1 + math.ceil(quiet.scheduled / 2)
