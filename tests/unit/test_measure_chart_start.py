"""A chart starts at the first month with data; exported charts carry title, center and date; the page of all charts.

A center that began counting mid-year has months with no denominator before its first real month: they are left off
the chart, so the default baseline is frozen on the first 12 months *with data*. Exports (PNG, SVG, PDF) say what
they are, whose they are and when they were made, in the picture and in the file's own properties.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path

import pytest

from lhn_desktop.access import Actor
from lhn_desktop.charts import spc_chart
from lhn_desktop.errors import Cancelled, NotFound, ValidationError
from lhn_desktop.localization import stored_month
from lhn_desktop.progress import CancelToken
from lhn_desktop.services.measure_library import load_library
from lhn_desktop.services.measures import PAGE_TITLE, MeasureService
from lhn_desktop.spc import SpcInput, analyze
from lhn_desktop.store.database import Database
from tests.conftest import DEMO_TODAY

CODE = "remission_pga"  # a p chart without a reporting minimum
TITLE = "Patients in remission (PGA quiescent)"
CENTER = "Riverside Children's IBD Center"  # the name tests/conftest.py gives the center
EMPTY = ["2024-08", "2024-09", "2024-10", "2024-11", "2024-12"]  # before the center started counting
WITH_DATA = [f"2025-{m:02d}" for m in range(1, 13)] + ["2026-01", "2026-02"]  # 14 months


@pytest.fixture
def service(db: Database, admin: Actor) -> MeasureService:
    """The empty test center with the measure library installed and no monthly values yet."""
    service = MeasureService(db, today=lambda: DEMO_TODAY)
    service.install_library(admin)
    return service


def _enter(service: MeasureService, admin: Actor, empty: list[str], with_data: list[str]) -> None:
    for month in empty:
        service.enter_value(admin, CODE, month, 0, 0)  # nobody in the denominator yet
    for k, month in enumerate(with_data):
        service.enter_value(admin, CODE, month, 30 + k % 7, 50)


@pytest.fixture
def started_late(service: MeasureService, admin: Actor) -> MeasureService:
    """Five months with no denominator, then 14 months with data."""
    _enter(service, admin, EMPTY, WITH_DATA)
    return service


# -- where the chart starts ----------------------------------------------------------------------------------------


def test_the_chart_starts_at_the_first_month_with_data(started_late: MeasureService):
    assert [v.month for v in started_late.values(CODE)] == EMPTY + WITH_DATA  # all 19 months are stored
    chart = started_late.chart(CODE)
    assert chart.months == WITH_DATA and chart.months[0] == "2025-01"  # the 6th stored month
    assert chart.months_before_data == 5
    assert len(chart.result.points) == 14 and chart.request.x[0] == date(2025, 1, 1)
    assert chart.result.points[0].n == 50


def test_the_default_baseline_is_the_first_twelve_months_with_data(started_late: MeasureService):
    chart = started_late.chart(CODE)
    assert chart.freeze == 12 and not chart.baseline_chosen
    assert chart.request.options.freeze == 12
    baseline = [v.month for v, p in zip(chart.values, chart.result.points, strict=True) if p.baseline]
    assert baseline == WITH_DATA[:12]  # 2025-01 to 2025-12, none of the empty months


def test_twelve_months_with_data_after_empty_ones_are_not_frozen_yet(service: MeasureService, admin: Actor):
    _enter(service, admin, EMPTY, WITH_DATA[:12])  # 17 months stored, only 12 with data
    chart = service.chart(CODE)
    assert len(chart.values) == 12 and chart.months_before_data == 5
    assert chart.freeze is None and chart.request.options.freeze is None


def test_a_measure_with_data_from_its_first_month_leaves_nothing_off(service: MeasureService, admin: Actor):
    _enter(service, admin, [], WITH_DATA)
    chart = service.chart(CODE)
    assert chart.months_before_data == 0 and chart.months == WITH_DATA and chart.freeze == 12


def test_the_chart_csv_lists_only_the_charted_months(started_late: MeasureService):
    lines = started_late.chart_csv(CODE).splitlines()
    assert len(lines) == 1 + len(WITH_DATA)
    assert lines[1].startswith("2025-01,") and not any(line.startswith(EMPTY[0]) for line in lines)


def test_no_month_with_data_is_not_found_and_says_so(service: MeasureService, admin: Actor):
    _enter(service, admin, EMPTY, [])
    with pytest.raises(NotFound) as caught:
        service.chart(CODE)
    message = str(caught.value)
    assert message.startswith(TITLE)
    assert "no month with data" in message
    assert "Aug 2024" in message and "Dec 2024" in message  # the months it looked at, as people say them
    assert "enter a month by hand" in message  # and what to do
    assert "patients with a completed visit" in message  # what was missing: the denominator, in words
    with pytest.raises(NotFound, match="no month with data"):
        service.chart_csv(CODE)


def test_no_values_at_all_is_not_found_and_says_what_to_do(service: MeasureService):
    with pytest.raises(NotFound) as caught:
        service.chart(CODE)
    message = str(caught.value)
    assert TITLE in message and "Compute the measures or enter a month by hand" in message


# -- baseline and phases cannot start before the data --------------------------------------------------------------


def test_the_baseline_cannot_end_in_a_month_before_the_data(started_late: MeasureService, admin: Actor):
    for month in (EMPTY[0], EMPTY[-1]):
        with pytest.raises(ValidationError, match=f"^{stored_month(month)} has no value on this chart"):
            started_late.set_baseline(admin, CODE, month)
    assert started_late.chart(CODE).baseline_chosen is False
    started_late.set_baseline(admin, CODE, "2025-06")
    chart = started_late.chart(CODE)
    assert chart.baseline_chosen and chart.freeze == 6  # counted from the first month with data


def test_a_phase_cannot_start_before_or_at_the_first_month_with_data(started_late: MeasureService, admin: Actor):
    reason = "Nurse checklist adopted for every clinic"
    for month in (EMPTY[0], EMPTY[-1], WITH_DATA[0]):
        with pytest.raises(ValidationError, match="after the first one on the chart") as caught:
            started_late.add_phase(admin, CODE, month, reason)
        assert "Jan 2025 to Feb 2026" in str(caught.value)
    assert started_late.annotations(CODE) == []
    started_late.add_phase(admin, CODE, "2025-07", reason)
    chart = started_late.chart(CODE)
    assert chart.request.options.part == (6,)  # six charted months before July 2025, none of the empty ones
    assert chart.freeze is None and {p.part for p in chart.result.points} == {1, 2}


# -- exports: title, center and date ------------------------------------------------------------------------------


def test_the_exported_figure_shows_the_title_and_the_center_and_date(started_late: MeasureService):
    assert started_late.export_source() == f"{CENTER} · made 2 Mar 2026"
    fig = started_late.chart_figure(CODE)
    assert fig.axes[0].get_title(loc="left") == TITLE
    assert started_late.export_source() in [t.get_text() for t in fig.texts]


def test_a_png_carries_title_center_and_date(started_late: MeasureService, tmp_path: Path):
    from PIL import Image

    out = started_late.render(CODE, tmp_path / "chart.png")
    assert out == tmp_path / "chart.png" and not list(tmp_path.glob("*.part"))
    with Image.open(out) as picture:
        text = dict(picture.text)
    assert text["Title"] == TITLE
    assert text["Author"] == CENTER
    assert text["Creation Time"] == "2026-03-02"


def test_an_svg_carries_title_center_and_date(started_late: MeasureService, tmp_path: Path):
    out = started_late.render(CODE, tmp_path / "chart.svg")
    ns = {"dc": "http://purl.org/dc/elements/1.1/", "cc": "http://creativecommons.org/ns#"}
    work = ET.parse(out).getroot().find(".//cc:Work", ns)
    assert work is not None
    assert work.findtext("dc:title", namespaces=ns) == TITLE
    assert work.findtext("dc:creator/cc:Agent/dc:title", namespaces=ns) == CENTER
    assert work.findtext("dc:date", namespaces=ns) == "2026-03-02"


def test_a_pdf_carries_title_center_and_date(started_late: MeasureService, tmp_path: Path):
    import pypdfium2

    out = started_late.render(CODE, tmp_path / "chart.pdf")
    document = pypdfium2.PdfDocument(str(out))
    try:
        info = document.get_metadata_dict()
    finally:
        document.close()
    assert info["Title"] == TITLE
    assert info["Author"] == CENTER
    assert info["CreationDate"].startswith("D:20260302")


def test_the_page_of_all_charts_carries_its_title_in_the_file(started_late: MeasureService, tmp_path: Path):
    from PIL import Image

    out = started_late.render_page(tmp_path / "all.png")
    with Image.open(out) as picture:
        assert (picture.text["Title"], picture.text["Author"]) == (PAGE_TITLE, CENTER)


def test_render_refuses_other_formats_and_writes_nothing(started_late: MeasureService, tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(ValidationError, match=r"\.png, \.svg or \.pdf"):
        started_late.render(CODE, out / "chart.gif")
    assert list(out.iterdir()) == []


# -- the page of all measures: progress and cancelling -------------------------------------------------------------


def test_page_charts_reports_progress_to_the_end_and_skips_measures_without_data(started_late: MeasureService):
    calls: list[tuple[int, int | None, str]] = []
    charts = started_late.page_charts(progress=lambda done, total, text: calls.append((done, total, text)))
    measures = len(started_late.list_measures())
    assert measures == len(load_library().measures)
    assert [c.measure.code for c in charts] == [CODE]  # the others have no values yet
    assert {total for _, total, _ in calls} == {measures}
    done = [d for d, _, _ in calls]
    assert done == sorted(done) and done[0] == 0
    assert calls[-1][:2] == (measures, measures)
    assert any(TITLE in text for _, _, text in calls)
    page = started_late.page_figure(charts)
    assert page.get_suptitle() == PAGE_TITLE and len(page.axes) == 1


def test_page_charts_stops_when_cancelled(started_late: MeasureService):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        started_late.page_charts(cancel=token)

    later = CancelToken()
    seen: list[int] = []

    def progress(done: int, total: int | None, text: str) -> None:
        seen.append(done)
        if done == 2:
            later.cancel()

    with pytest.raises(Cancelled):
        started_late.page_charts(progress=progress, cancel=later)
    assert seen == [0, 1, 2]  # checked between measures: it stopped before the fourth


def test_page_charts_without_any_month_with_data_is_not_found(service: MeasureService, admin: Actor):
    _enter(service, admin, EMPTY, [])
    with pytest.raises(NotFound, match="No measure has a month with data yet"):
        service.page_charts()


# -- small multiples -----------------------------------------------------------------------------------------------


def _chart(values: tuple[float, ...], *, percent: bool, title: str) -> tuple:
    result = analyze(SpcInput("run", values))
    marks = spc_chart.ChartMarks(
        title, "percent" if percent else "value", [f"M{k}" for k in range(len(values))], percent=percent
    )
    return result, marks


def test_small_multiples_share_one_scale_for_percentages_and_keep_counts_apart():
    high = _chart((92, 95, 94, 97, 96, 93, 98, 95), percent=True, title="High percent")
    low = _chart((12, 15, 20, 18, 25, 22, 19, 24), percent=True, title="Low percent")
    count = _chart((480, 520, 610, 550, 700, 640, 590, 660), percent=False, title="Visits")
    alone = spc_chart.small_multiples([high]).axes[0].get_ylim()
    assert alone[0] > 50  # on its own the high percentages get a zoomed axis...

    fig = spc_chart.small_multiples([high, low, count], title="All measures", source="Riverside · made 2 Mar 2026")
    by_title = {ax.get_title(loc="left"): ax for ax in fig.axes}
    assert by_title["High percent"].get_ylim() == by_title["Low percent"].get_ylim() == (0.0, 101.0)  # ...not here
    visits = by_title["Visits"].get_ylim()
    assert visits != (0.0, 101.0) and visits[0] < 480 and visits[1] > 700
    assert visits == spc_chart.small_multiples([count]).axes[0].get_ylim()  # a count keeps its own scale
    assert fig.get_suptitle() == "All measures"
    assert fig.get_supxlabel() == "Riverside · made 2 Mar 2026"


def test_small_multiples_share_the_count_scale_between_counts():
    small = _chart((3, 5, 4, 6, 5, 4), percent=False, title="Few")
    large = _chart((300, 350, 320, 310, 330, 340), percent=False, title="Many")
    fig = spc_chart.small_multiples([small, large])
    assert fig.axes[0].get_ylim() == fig.axes[1].get_ylim()
    assert fig.axes[0].get_ylim()[0] < 3 and fig.axes[0].get_ylim()[1] > 350


def test_a_chart_source_is_drawn_under_the_chart_only_when_given():
    result, marks = _chart((1, 2, 3, 4), percent=False, title="A count")
    without = spc_chart.figure(result, marks)
    assert all("made" not in t.get_text() for t in without.texts)
    marks.source = "Riverside · made 2 Mar 2026"
    fig = spc_chart.figure(result, marks)
    source = next(t for t in fig.texts if t.get_text() == marks.source)
    assert source.get_position()[1] < fig.axes[0].get_position().y0  # below the plot
    assert fig.get_figheight() > without.get_figheight()  # a line of its own
