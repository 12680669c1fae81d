"""Chart specifications: the services describe each picture, ``charts/`` draws it (issue 22, item 3)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import event, select

from lhn_desktop.access import Actor
from lhn_desktop.charts.activity_chart import ActivitySpec
from lhn_desktop.charts.driver_diagram import DiagramSpec
from lhn_desktop.charts.spc_chart import SpcChartSpec
from lhn_desktop.models.improvement import ImprovementGoal
from lhn_desktop.services.improvement import ImprovementService, driver_diagram
from lhn_desktop.services.measures import MeasureService, chart_marks
from lhn_desktop.services.patients import PatientService, activity_chart
from lhn_desktop.store.database import Database
from tests.conftest import DEMO_TODAY


@pytest.fixture
def measures(demo_db: Database) -> MeasureService:
    return MeasureService(demo_db, today=lambda: DEMO_TODAY)


def test_a_measure_chart_is_read_in_one_transaction(measures: MeasureService, demo_db: Database):
    measures.set_baseline(Actor.workstation(), "remission_pga", "2024-09")  # every kind of read has something
    measures.add_note(Actor.workstation(), "remission_pga", date(2025, 3, 4), "New huddle checklist")
    begun: list[object] = []

    def count(conn) -> None:
        begun.append(conn)

    event.listen(demo_db.engine, "begin", count)
    try:
        chart = measures.chart("remission_pga")
    finally:
        event.remove(demo_db.engine, "begin", count)
    assert len(begun) == 1
    assert chart.baseline_chosen and any(n.text == "New huddle checklist" for n in chart.notes)


def test_the_chart_spec_carries_the_analysis_and_its_marks_and_draws_itself(measures: MeasureService):
    from matplotlib.figure import Figure

    chart = measures.chart("remission_pga")
    spec = chart.spec
    assert isinstance(spec, SpcChartSpec) and spec.result is chart.result
    assert spec.marks == chart_marks(chart) and spec.points == len(chart.values) == 24
    shown = Figure()
    axes = spec.draw(shown)
    assert shown.axes == [axes] and axes.get_title(loc="left") == chart.measure.title  # one axes, titled
    assert any(len(line.get_xdata()) == 24 for line in axes.lines)  # the data line, one point a month
    saved = spec.figure()
    assert saved is not shown and saved.get_size_inches()[0] == pytest.approx(9.0)
    again = measures.chart_figure("remission_pga")  # the export: the same chart, signed with center and date
    assert any("made" in t.get_text() for t in again.texts)


def test_the_driver_diagram_spec_is_the_one_mapping_for_window_and_export(demo_db: Database, tmp_path):
    improvement = ImprovementService(demo_db, today=lambda: DEMO_TODAY)
    with demo_db.read() as s:
        goal_id = s.scalar(select(ImprovementGoal.id).order_by(ImprovementGoal.start_date))
    goal = improvement.goal(goal_id)
    spec = driver_diagram(goal)
    assert isinstance(spec, DiagramSpec) and spec.title == goal.title
    assert spec.nodes == tuple((d.id, d.parent_id, d.kind, d.text) for d in goal.drivers) and spec.nodes
    texts = {t.get_text() for ax in spec.figure().axes for t in ax.texts}
    assert any(goal.drivers[0].text[:20] in t.replace("\n", " ") for t in texts)
    out = improvement.export_diagram(goal.id, tmp_path / "diagram.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_activity_spec_is_made_from_the_patient_record(demo_db: Database):
    patients = PatientService(demo_db, today=lambda: DEMO_TODAY)
    actor = Actor.workstation()
    detail = next(d for d in (patients.get(actor, s.id) for s in patients.search(actor, "")[:30]) if d.medications)
    spec = activity_chart(detail, DEMO_TODAY)
    assert isinstance(spec, ActivitySpec) and spec.today == DEMO_TODAY
    assert len(spec.observations) == len(detail.observations) and len(spec.medications) == len(detail.medications)
    assert len(spec.figure().axes) >= 2  # activity above, medicine bars beneath
