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


def test_a_long_checklist_line_wraps_under_its_text_not_under_the_bullet(tmp_path):
    """The sheet's bullets hang: a wrapped line starts where the text after the bullet started."""
    import pypdfium2

    from lhn_desktop.reports.pdf import Document

    doc = Document("Huddle sheet", "Contains patient information.")
    doc.add_page()
    doc.bullet("Psychosocial screening (depression and anxiety) in the last year: " * 4, "Overdue", size=8.5)
    doc.bullet("A short line after it", "Due", size=8.5)
    path = doc.save(tmp_path / "bullets.pdf")
    page = pypdfium2.PdfDocument(str(path))[0]
    text = page.get_textpage()
    chars = [(text.get_text_range(k, 1), text.get_charbox(k, loose=True)) for k in range(text.count_chars())]
    bullets = [box for ch, box in chars if ch == "•"]
    assert len(bullets) == 2
    after_bullet = next(box for ch, box in chars if ch == "O")[0]  # "Overdue", just after the first bullet
    top_of_first, bottom_of_second = bullets[0][3], bullets[1][1]  # the running title and footer left out
    lines: dict[int, float] = {}
    for ch, (left, bottom, _right, top) in chars:
        if ch.strip() and bottom >= bottom_of_second - 1 and top <= top_of_first + 1:
            lines[round(bottom)] = min(lines.get(round(bottom), left), left)
    starts = [left for _bottom, left in sorted(lines.items(), reverse=True)]  # top line first
    first_line, *wrapped = starts[: len(starts) - 1]  # the last line is the second bullet's
    assert wrapped and first_line < after_bullet - 1  # the first line starts at the bullet
    assert all(abs(left - after_bullet) < 1 for left in wrapped), (after_bullet, wrapped)
    assert abs(starts[-1] - bullets[1][0]) < 1  # the next bullet starts at the margin again
