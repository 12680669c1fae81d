"""Goals with GAS follow-ups, tasks and collaboRATE for one patient; partners are refused."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from lhn_desktop.errors import NotFound, PermissionDenied, ValidationError
from lhn_desktop.models.patients import Patient
from lhn_desktop.services.goals import GoalService, collaborate_form
from lhn_desktop.services.team import TeamService
from lhn_desktop.store.database import Database
from tests.conftest import DEMO_TODAY


@pytest.fixture
def goals(demo_db: Database) -> GoalService:
    return GoalService(demo_db, today=lambda: DEMO_TODAY)


@pytest.fixture
def patient_id(demo_db: Database) -> str:
    with demo_db.read() as s:
        return s.scalars(select(Patient.id).order_by(Patient.mrn)).first()


def test_goals_at_three_levels_with_follow_ups_and_t_scores(goals, patient_id, admin):
    before = goals.care(admin, patient_id)
    life = goals.add_goal(admin, patient_id, level="fundamental", text="Be a good big sister", owner="patient")
    camp = goals.add_goal(
        admin,
        patient_id,
        level="functional",
        text="Go to  summer camp",
        owner="patient",
        target_date=date(2026, 7, 1),
        review_date=date(2026, 5, 1),
        serves_goal_id=life,
        weight=2,
    )
    goals.add_follow_up(admin, camp, DEMO_TODAY, 1, True, "Packed the bag")
    goals.add_follow_up(admin, life, DEMO_TODAY - timedelta(days=1), -0.5, False)
    care = goals.care(admin, patient_id)
    assert len(care.goals) == len(before.goals) + 2
    mine = {g.id: g for g in care.goals}
    assert mine[camp].text == "Go to summer camp" and mine[camp].serves_goal_id == life
    assert mine[camp].latest_score == 1 and mine[life].latest_score == -1  # partial progress reported as -1
    assert care.t_score is not None and care.t_score_weighted is not None


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"level": "spiritual"}, "level"),
        ({"owner": "doctor"}, "belongs"),
        ({"text": "   "}, "own words"),
        ({"baseline": 0}, "baseline"),
        ({"weight": 11}, "weight"),
        ({"target_date": date(2026, 5, 1), "review_date": date(2026, 6, 1)}, "on or before"),
    ],
)
def test_goal_refusals(goals, patient_id, admin, changes, words):
    fields = {"level": "disease", "text": "Fewer stools", "owner": "patient"} | changes
    with pytest.raises(ValidationError, match=words):
        goals.add_goal(admin, patient_id, **fields)


def test_follow_up_refusals(goals, patient_id, admin):
    goal = goals.add_goal(admin, patient_id, level="disease", text="No tummy pain at school", owner="patient")
    with pytest.raises(ValidationError):
        goals.add_follow_up(admin, goal, DEMO_TODAY, 3, None)
    with pytest.raises(ValidationError, match="future"):
        goals.add_follow_up(admin, goal, DEMO_TODAY + timedelta(days=1), 0, None)
    with pytest.raises(NotFound):
        goals.add_follow_up(admin, "gone", DEMO_TODAY, 0, None)
    goals.set_goal_status(admin, goal, "achieved")
    assert next(g for g in goals.care(admin, patient_id).goals if g.id == goal).status == "achieved"


def test_tasks_and_overdue(goals, patient_id, admin):
    task = goals.add_task(admin, patient_id, "Book the DXA scan", "family", "Mum", DEMO_TODAY - timedelta(days=2))
    item = next(t for t in goals.care(admin, patient_id).tasks if t.id == task)
    assert item.overdue(DEMO_TODAY)
    goals.complete_task(admin, task)
    item = next(t for t in goals.care(admin, patient_id).tasks if t.id == task)
    assert item.done_on == DEMO_TODAY and not item.overdue(DEMO_TODAY)
    with pytest.raises(ValidationError):
        goals.add_task(admin, patient_id, "x", "neighbour", None, None)


def test_collaborate_responses_and_monthly_counts(goals, patient_id, admin):
    form = collaborate_form()
    assert form["scale"] == {"min": 0, "max": 9, "low": "No effort was made", "high": "Every effort was made"}
    assert form["forms"]["patient"]["items"][0] == "How much effort was made to help you understand your health issues?"
    assert "BY-NC-ND" in form["attribution"]
    month = f"{DEMO_TODAY:%Y-%m}"
    before = goals.collaborate_by_month([month])[month]
    goals.record_collaborate(admin, patient_id, "parent", (9, 9, 9))
    goals.record_collaborate(admin, patient_id, "patient", (9, None, 7))
    after = goals.collaborate_by_month([month])[month]
    assert (after.responses, after.complete, after.top_box) == (
        before.responses + 2,
        before.complete + 1,
        before.top_box + 1,
    )
    for items in ((10, 9, 9), (9, 9), (None, None, None)):
        with pytest.raises(ValidationError):
            goals.record_collaborate(admin, patient_id, "patient", items)
    with pytest.raises(ValidationError):
        goals.record_collaborate(admin, patient_id, "nurse", (9, 9, 9))


def test_partners_cannot_reach_goals_tasks_or_responses(goals, demo_db, patient_id):
    team = TeamService(demo_db)
    partners = [team.actor_for(m.id) for m in team.list_members() if not m.sees_patient_data]
    assert partners
    for partner in partners:
        with pytest.raises(PermissionDenied):
            goals.care(partner, patient_id)
        with pytest.raises(PermissionDenied):
            goals.add_goal(partner, patient_id, level="disease", text="x", owner="patient")
        with pytest.raises(PermissionDenied):
            goals.add_task(partner, patient_id, "x", "team", None, None)
        with pytest.raises(PermissionDenied):
            goals.record_collaborate(partner, patient_id, "patient", (9, 9, 9))


def test_visit_summary_holds_only_this_patient(goals, demo_db, patient_id, admin, tmp_path, monkeypatch):
    import lhn_desktop.reports.visit_summary as report

    goals.add_goal(admin, patient_id, level="functional", text="Finish the school year", owner="patient")
    seen = {}
    real = report.write_visit_summary

    def spy(detail, care, agenda, center, on, path, **options):
        seen.update(detail=detail, care=care, agenda=agenda)
        return real(detail, care, agenda, center, on, path, **options)

    monkeypatch.setattr(report, "write_visit_summary", spy)
    target = goals.visit_summary(admin, patient_id, tmp_path / "summary.pdf")
    data = target.read_bytes()
    assert data[:4] == b"%PDF" and b"/Count 1" in data
    # everything handed to the report is this patient's: their record, their goals and tasks, their agenda
    assert seen["detail"].summary.id == patient_id
    assert seen["care"] == goals.care(admin, patient_id)
    from lhn_desktop.services.planning import PlanningService

    theirs = {a.id for a in PlanningService(demo_db, today=lambda: DEMO_TODAY).agenda(admin, patient_id)}
    assert {a.id for a in seen["agenda"]} <= theirs
    with pytest.raises(ValidationError):
        goals.visit_summary(admin, patient_id, tmp_path / "summary.docx")


def test_the_visit_summary_names_the_visit_after_today(goals, demo_db, patient_id, admin, tmp_path, monkeypatch):
    """Printed at today's visit, the summary's next visit is the following one, not the one in progress."""
    from datetime import timedelta

    from lhn_desktop.services.schedule import ScheduleService

    schedule = ScheduleService(demo_db, today=lambda: DEMO_TODAY)
    booked = {v.visit_date for v in goals_detail_visits(demo_db, admin, patient_id) if v.status == "scheduled"}
    for day in (DEMO_TODAY, DEMO_TODAY + timedelta(days=13)):
        if day not in booked:
            schedule.add_visit(admin, patient_id, day, "09:30", "Dr. Robin Sample", "Follow-up")
    lines = summary_lines(goals, admin, patient_id, tmp_path, monkeypatch)
    upcoming = sorted(d for d in booked | {DEMO_TODAY + timedelta(days=13)} if d > DEMO_TODAY)
    (next_visit,) = [line for line in lines if line.startswith("Next visit:")]
    assert next_visit == f"Next visit: {upcoming[0]:%A} {upcoming[0].day} {upcoming[0]:%B %Y}."  # en_GB: day first


def goals_detail_visits(db, admin, patient_id):
    from lhn_desktop.services.patients import PatientService

    return PatientService(db, today=lambda: DEMO_TODAY).get(admin, patient_id).visits


def summary_lines(goals_service, admin, patient_id: str, tmp_path, monkeypatch) -> list[str]:
    """The visit summary's paragraphs as written, each with its bold lead-in."""
    from lhn_desktop.reports.pdf import Document

    lines: list[str] = []
    real = Document.paragraph

    def spy(self, text, *args, **kwargs):
        lines.append(f"{kwargs.get('bold_prefix') or ''} {text}".strip())
        return real(self, text, *args, **kwargs)

    monkeypatch.setattr(Document, "paragraph", spy)
    goals_service.visit_summary(admin, patient_id, tmp_path / "summary.pdf")
    return lines
