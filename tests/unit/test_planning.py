"""The huddle and pre-visit plans on the demo center, and who may see them."""

from __future__ import annotations

from datetime import date

import pytest

from lhn_desktop.access import Actor
from lhn_desktop.errors import NotFound, PermissionDenied, ValidationError
from lhn_desktop.services.overview import OverviewService
from lhn_desktop.services.planning import PlanningService
from lhn_desktop.services.team import TeamService
from lhn_desktop.store.database import Database
from tests.conftest import DEMO_TODAY


@pytest.fixture
def planning(demo_db: Database) -> PlanningService:
    return PlanningService(demo_db, today=lambda: DEMO_TODAY)


def _first_clinic_day(demo_db: Database) -> date:
    return OverviewService(demo_db).clinic_days(start=DEMO_TODAY)[0].day


def test_the_huddle_lists_the_day_in_time_order_with_checklists(planning, demo_db, admin):
    day = _first_clinic_day(demo_db)
    board = planning.huddle(admin, day)
    assert board.rows and board.summary.startswith(f"{len(board.rows)} patient")
    times = [r.time or "" for r in board.rows]
    assert times == sorted(times)
    for row in board.rows:
        assert row.pack == "ibd"
        codes = [i.code for i in row.items]
        assert codes[0] == "classification" and "visit_200_days" in codes
        assert all(i.reason.endswith(".") for i in row.items)
        statuses = {i.status for i in row.items}
        assert statuses <= {"Not due", "Due soon", "Due", "Overdue", "Completed", "Not applicable"}
        assert next(i for i in row.items if i.code == "pga").status == "Due"  # scheduled: not yet recorded
    assert any(r.agenda for r in board.rows)
    assert any("agenda item" in " ".join(r.flags) for r in board.rows)


def test_an_empty_day_says_so(planning, admin):
    assert planning.huddle(admin, date(2030, 1, 1)).summary == "No patients scheduled."


def test_plan_status_records_who_and_when(planning, demo_db, admin):
    team = TeamService(demo_db)
    nurse = team.actor_for(next(m for m in team.list_members() if m.role == "nurse").id)
    day = _first_clinic_day(demo_db)
    row = planning.huddle(admin, day).rows[0]
    assert row.plan_status == "not_started"
    planning.set_plan_status(nurse, row.visit_id, "done", notes="Labs ordered")
    again = next(r for r in planning.huddle(admin, day).rows if r.visit_id == row.visit_id)
    assert again.plan_status == "done" and again.plan_done_by == nurse.name and again.plan_done_at is not None
    planning.set_plan_status(nurse, row.visit_id, "in_progress")
    again = next(r for r in planning.huddle(admin, day).rows if r.visit_id == row.visit_id)
    assert again.plan_status == "in_progress" and again.plan_done_by is None
    with pytest.raises(ValidationError):
        planning.set_plan_status(nurse, row.visit_id, "finished")
    with pytest.raises(NotFound):
        planning.set_plan_status(nurse, "no-such-visit", "done")


def test_checklist_of_one_visit_matches_the_huddle(planning, demo_db, admin):
    row = planning.huddle(admin, _first_clinic_day(demo_db)).rows[0]
    pack, items = planning.checklist(admin, row.visit_id)
    assert pack == "ibd" and items == row.items


def test_partners_cannot_open_any_of_it(planning, demo_db, admin):
    team = TeamService(demo_db)
    day = _first_clinic_day(demo_db)
    visit_id = planning.huddle(admin, day).rows[0].visit_id
    for member in team.list_members():
        if member.sees_patient_data:
            continue
        partner = team.actor_for(member.id)
        with pytest.raises(PermissionDenied):
            planning.huddle(partner, day)
        with pytest.raises(PermissionDenied):
            planning.checklist(partner, visit_id)
        with pytest.raises(PermissionDenied):
            planning.set_plan_status(partner, visit_id, "done")


def test_workstation_actor_is_the_command_line(admin: Actor):
    assert admin.role is None and admin.sees_patient_data


def test_population_lists(planning, demo_db, admin):
    from lhn_desktop.services.planning import POPULATIONS

    sizes = {kind: len(planning.population(admin, kind)) for kind in POPULATIONS}
    assert all(size >= 0 for size in sizes.values()) and sizes["overdue"] > 0
    for row in planning.population(admin, "no_visit_200"):
        assert row.last_visit is None or (DEMO_TODAY - row.last_visit).days > 200
    for row in planning.population(admin, "on_steroids"):
        assert row.steroid
    first = planning.population(admin, "overdue")[0]
    assert [r.mrn for r in planning.population(admin, "overdue", first.mrn.lower())] == [first.mrn]
    csv_text = planning.population_csv(admin, "overdue")
    assert csv_text.splitlines()[0] == "patient,mrn,phone,diagnosis,last_visit,next_visit,latest_pga,steroid,overdue"
    assert all(row.phone for row in planning.population(admin, "overdue"))  # every demo patient has one, to call
    assert len(csv_text.splitlines()) == sizes["overdue"] + 1
    with pytest.raises(ValidationError):
        planning.population(admin, "everyone")
    team = TeamService(demo_db)
    partner = team.actor_for(next(m for m in team.list_members() if not m.sees_patient_data).id)
    with pytest.raises(PermissionDenied):
        planning.population(partner, "overdue")


def test_agenda_items_are_checked_and_marked_addressed(planning, demo_db, admin):
    day = _first_clinic_day(demo_db)
    row = planning.huddle(admin, day).rows[0]
    item = planning.add_agenda_item(admin, row.patient_id, "concern", "  Tummy   pain at night ", "phone call")
    found = next(a for a in planning.huddle(admin, day).rows[0].agenda if a.id == item)
    assert found.text == "Tummy pain at night" and not found.addressed
    planning.set_agenda_addressed(admin, item)
    assert all(a.id != item for a in planning.huddle(admin, day).rows[0].agenda)  # addressed elsewhere: off the list
    for kind, text, source in (("wish", "x", "phone call"), ("concern", "  ", "phone call"),
                               ("concern", "x", "carrier pigeon"), ("concern", "x" * 501, "team")):  # fmt: skip
        with pytest.raises(ValidationError):
            planning.add_agenda_item(admin, row.patient_id, kind, text, source)
    with pytest.raises(NotFound):
        planning.set_agenda_addressed(admin, "no-such-item")


def test_list_csv_cells_are_never_formulas(planning, demo_db, admin):
    """A name typed as a formula is written so that no spreadsheet runs it (the OWASP advice against CSV injection)."""
    import csv
    import io

    from lhn_desktop.services.registry import PatientInput, RegistryService

    RegistryService(demo_db, today=lambda: DEMO_TODAY).add(admin, PatientInput(
        mrn="F-1", given_name="@SUM(1+1)", family_name='=HYPERLINK("http://example.org")', birth_date=date(2012, 6, 1),
        sex="female", diagnosis="Crohn disease", diagnosis_date=date(2023, 9, 14)))  # fmt: skip
    rows = list(csv.reader(io.StringIO(planning.population_csv(admin, "no_visit_200"))))
    (row,) = [r for r in rows if r[1] == "F-1"]
    assert row[2] == ""  # registered without a phone
    assert row[0] == '\'=HYPERLINK("http://example.org"), @SUM(1+1)'
    assert all(not cell.startswith(("=", "+", "-", "@")) for r in rows[1:] for cell in r)
