"""The same PDFs under en_US and en_GB: Letter or A4 paper, and dates with the month named in the locale's order."""

from __future__ import annotations

import re
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from lhn_desktop import localization
from lhn_desktop.reports.pdf import Document
from lhn_desktop.services.goals import GoalService
from lhn_desktop.services.overview import OverviewService
from lhn_desktop.services.planning import PlanningService
from lhn_desktop.store.database import Database
from tests.conftest import DEMO_TODAY

MM = 72 / 25.4
#: Page sizes in points, as the PDF's MediaBox has them.
PAPER = {"en_US": (8.5 * 72, 11 * 72), "en_GB": (210 * MM, 297 * MM)}
#: How the demo's today (Monday 2 March 2026) reads in each locale.
TODAY = {
    "en_US": ("Monday, March 2, 2026", "Mar 2, 2026"),
    "en_GB": ("Monday 2 March 2026", "2 Mar 2026"),
}


def read(pdf: Path) -> tuple[list[tuple[float, float]], str]:
    """The size of every page and the text of the whole document."""
    document = pdfium.PdfDocument(str(pdf))
    try:
        sizes = [document[i].get_size() for i in range(len(document))]
        text = "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()
    return sizes, text


def media_boxes(pdf: Path) -> set[tuple[float, float]]:
    """The MediaBox of the pages as written in the file (fpdf2 writes one per page)."""
    found = re.findall(rb"/MediaBox\s*\[\s*0\.?0*\s+0\.?0*\s+([\d.]+)\s+([\d.]+)\s*\]", pdf.read_bytes())
    return {(round(float(w), 1), round(float(h), 1)) for w, h in found}


@pytest.fixture(params=["en_US", "en_GB"])
def locale(request: pytest.FixtureRequest) -> str:
    localization.set_locale(request.param)
    return request.param


def _on(paper: tuple[float, float], sizes: list[tuple[float, float]]) -> bool:
    return all(abs(w - paper[0]) < 0.5 and abs(h - paper[1]) < 0.5 for w, h in sizes)


def test_the_huddle_sheet_is_on_the_locales_paper_with_its_dates(demo_db: Database, admin, tmp_path, locale) -> None:
    days = OverviewService(demo_db, today=lambda: DEMO_TODAY).clinic_days(limit=60)
    day = max(days, key=lambda d: d.scheduled).day
    sheet = PlanningService(demo_db, today=lambda: DEMO_TODAY).huddle_sheet(admin, day, tmp_path / "huddle.pdf")
    sizes, text = read(sheet)
    assert len(sizes) >= 2 and _on(PAPER[locale], sizes), sizes
    assert media_boxes(sheet) == {tuple(round(x, 1) for x in PAPER[locale])}
    assert f"Huddle {localization.format_date(day, weekday=True, full=True)}" in text
    assert day.isoformat() not in text
    if locale == "en_US":
        assert f"{day:%A}, {day:%B} {day.day}, {day.year}" in text
    else:
        assert f"{day:%A} {day.day} {day:%B} {day.year}" in text
    pga = re.findall(r"Disease activity: PGA \w+ on (.+?) \(", text)
    assert pga, "the latest PGA with its date"
    for when in pga:
        parsed = localization.parse_date(when.strip())
        assert localization.format_date(parsed) == when.strip()


def test_the_visit_summary_is_on_the_locales_paper_with_its_dates(demo_db: Database, admin, tmp_path, locale) -> None:
    pid = _first_patient(demo_db)
    goals = GoalService(demo_db, today=lambda: DEMO_TODAY)
    goals.add_task(admin, pid, "Keep a stool diary", "family", "", DEMO_TODAY.replace(day=20))
    summary = goals.visit_summary(admin, pid, tmp_path / "summary.pdf")
    sizes, text = read(summary)
    assert _on(PAPER[locale], sizes), sizes
    full, _short = TODAY[locale]
    assert f"Your visit on {full}" in text
    due = "Mar 20, 2026" if locale == "en_US" else "20 Mar 2026"
    assert f"by {due}" in text
    assert "2026-03" not in text


def _first_patient(db: Database) -> str:
    from sqlalchemy import select

    from lhn_desktop.models.patients import Patient

    with db.read() as s:
        return s.scalars(select(Patient.id).order_by(Patient.mrn)).first()


def test_a_document_follows_the_locale_in_use_when_it_is_made(tmp_path) -> None:
    for name, paper in PAPER.items():
        localization.set_locale(name)
        doc = Document("A title", "A footer")
        doc.add_page()
        sizes, _text = read(doc.save(tmp_path / f"{name}.pdf"))
        assert _on(paper, sizes), (name, sizes)
