"""Schedule import (preview, line-numbered problems, idempotent) and visits by hand."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from lhn_desktop.errors import NotFound, PermissionDenied, ValidationError
from lhn_desktop.models.patients import Patient, Visit
from lhn_desktop.services.schedule import ScheduleService, parse_date, parse_schedule, parse_time
from lhn_desktop.services.team import TeamService
from lhn_desktop.store.database import Database
from tests.conftest import DEMO_TODAY


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2026-03-03", date(2026, 3, 3)), ("2026/3/3", date(2026, 3, 3)), ("3/4/2026", date(2026, 3, 4)),
     ("03/04/26", date(2026, 3, 4)), ("04.03.2026", date(2026, 3, 4))],
)  # fmt: skip
def test_dates_in_the_common_formats(text, expected):
    assert parse_date(text, "month/day/year") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("08:30", "08:30"), ("8:30", "08:30"), ("8:30 AM", "08:30"), ("12:15 pm", "12:15"), ("1:05 PM", "13:05"),
     ("0830", "08:30"), ("830", "08:30"), ("", None)],
)  # fmt: skip
def test_times_in_the_common_formats(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["25:00", "8:61", "13:00 PM", "noon"])
def test_impossible_times_are_refused(text):
    with pytest.raises(ValidationError):
        parse_time(text)


def test_bom_semicolons_and_ehr_column_names():
    text = "\ufeffAppt Date;Appt Time;Medical Record Number;Provider;Appointment Type\n25/03/2026;9:00;M1;Dr A;New\n"
    preview = parse_schedule(text)
    assert preview.delimiter == ";" and preview.date_order == "day/month/year"
    row = preview.rows[0]
    assert (row.day, row.time, row.mrn, row.clinician, row.visit_type) == (
        date(2026, 3, 25),
        "09:00",
        "M1",
        "Dr A",
        "New",
    )


def test_file_problems_have_line_numbers():
    text = (
        "date,time,mrn\n2026-02-30,08:00,A\n\n2026-03-11,25:00,B\n2026-03-11,,\n"
        "2026-03-12,09:00,C\n2026-03-12,10:00,C\n"
    )
    preview = parse_schedule(text)
    assert [(p.line, p.reason) for p in preview.problems] == [
        (2, "'2026-02-30' is not a real date."),
        (4, "'25:00' is not a time of day."),
        (5, "no MRN."),
        (7, "the same MRN on the same day as line 6."),
    ]
    assert [r.mrn for r in preview.rows] == ["C"]


def test_header_and_date_order_problems_refuse_the_file():
    with pytest.raises(ValidationError, match="no MRN column"):
        parse_schedule("date,time,patient\n2026-03-03,08:00,A\n")
    with pytest.raises(ValidationError, match="mix month/day and day/month"):
        parse_schedule("date,mrn\n3/25/2026,A\n25/3/2026,B\n")
    with pytest.raises(ValidationError, match="empty"):
        parse_schedule("")


# -- on the demo center ---------------------------------------------------------------------------------------------


@pytest.fixture
def schedule(demo_db: Database) -> ScheduleService:
    return ScheduleService(demo_db, today=lambda: DEMO_TODAY)


def _mrns(db: Database, n: int) -> list[tuple[str, str]]:
    with db.read() as s:
        return [(p.id, p.mrn) for p in s.scalars(select(Patient).order_by(Patient.mrn).limit(n))]


def _visits(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Visit))


def test_bad_rows_mean_nothing_is_written(schedule, demo_db, admin):
    ((_, mrn),) = _mrns(demo_db, 1)
    before = _visits(demo_db)
    text = f"date,time,mrn\n2026-04-01,08:00,{mrn}\n2026-04-31,08:30,{mrn}\n"
    with pytest.raises(ValidationError, match="Nothing was imported.*line 3"):
        schedule.import_schedule(admin, text)
    assert _visits(demo_db) == before


def test_the_same_file_twice_changes_nothing_and_unknown_mrns_are_listed(schedule, demo_db, admin):
    (_, a), (_, b) = _mrns(demo_db, 2)
    text = f"date,time,mrn,clinician,visit type\n04/01/2026,8:00 AM,{a},Dr A,Follow-up\n" \
           f"04/01/2026,8:30 AM,{b},Dr A,Follow-up\n04/01/2026,9:00 AM,ZZ-404,Dr A,New patient\n"  # fmt: skip
    first = schedule.import_schedule(admin, text)
    assert (first.added, first.updated, first.unknown) == (2, 0, 1)
    after_first = _visits(demo_db)
    second = schedule.import_schedule(admin, text)
    assert (second.added, second.updated, second.unchanged) == (0, 0, 2)
    assert _visits(demo_db) == after_first
    preview = schedule.preview(admin, text)
    assert [r.mrn for r in preview.unknown] == ["ZZ-404"] and not preview.can_import
    moved = text.replace("8:30 AM", "10:30 AM")
    assert schedule.import_schedule(admin, moved).updated == 1


def test_visits_by_hand(schedule, demo_db, admin):
    ((pid, _),) = _mrns(demo_db, 1)
    visit_id = schedule.add_visit(admin, pid, date(2026, 5, 4), "9:15", "Dr A", "Follow-up")
    with pytest.raises(ValidationError, match="already has a visit"):
        schedule.add_visit(admin, pid, date(2026, 5, 4), "10:00", None, "Follow-up")
    schedule.move_visit(admin, visit_id, date(2026, 5, 11), "10:00")
    with demo_db.read() as s:
        v = s.get(Visit, visit_id)
        assert (v.visit_date, v.visit_time, v.status) == (date(2026, 5, 11), "10:00", "scheduled")
    schedule.cancel_visit(admin, visit_id)
    with pytest.raises(NotFound):
        schedule.cancel_visit(admin, visit_id)
    with pytest.raises(ValidationError):
        schedule.add_visit(admin, pid, date(2026, 5, 4), "7 o'clock", None, "Follow-up")


def test_partners_cannot_see_or_change_the_schedule(schedule, demo_db):
    team = TeamService(demo_db)
    partner = team.actor_for(next(m for m in team.list_members() if not m.sees_patient_data).id)
    with pytest.raises(PermissionDenied):
        schedule.preview(partner, "date,mrn\n2026-04-01,A\n")
