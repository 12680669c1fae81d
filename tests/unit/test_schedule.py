"""The clinic schedule: its report imported through the EHR import (line-numbered problems, statuses, idempotent),
visits by hand, and the dates and times clinics write."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lhn_desktop.errors import NotFound, PermissionDenied, ValidationError
from lhn_desktop.models.patients import Patient, Visit
from lhn_desktop.services.ehr import EhrService
from lhn_desktop.services.schedule import ScheduleService, parse_date, parse_time
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


# -- on the demo center ---------------------------------------------------------------------------------------------


@pytest.fixture
def schedule(demo_db: Database) -> ScheduleService:
    return ScheduleService(demo_db, today=lambda: DEMO_TODAY)


@pytest.fixture
def ehr(demo_db: Database, tmp_path: Path) -> EhrService:
    return EhrService(demo_db, today=lambda: DEMO_TODAY, mappings_file=tmp_path / "config" / "csv_mappings.json")


def _mrns(db: Database, n: int) -> list[tuple[str, str]]:
    with db.read() as s:
        return [(p.id, p.mrn) for p in s.scalars(select(Patient).order_by(Patient.mrn).limit(n))]


def _visits(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(Visit))


def _import(ehr: EhrService, admin, tmp_path: Path, text: str, *, apply: bool = True, encoding: str = "utf-8"):
    """A schedule report as the huddle imports it: columns found by their names (or as saved), kind appointments."""
    path = tmp_path / "clinic-schedule.csv"
    path.write_bytes(text.encode(encoding))
    _table, mapping = ehr.read_csv(admin, path, None, "appointments")
    return ehr.import_csv(admin, path, mapping, apply=apply)


def _day_visits(db: Database, pid: str, day: date) -> list[tuple]:
    with db.read() as s:
        query = select(Visit).where(Visit.patient_id == pid, Visit.visit_date == day).order_by(Visit.status)
        return [(v.visit_time, v.status, v.clinician, v.visit_type) for v in s.scalars(query)]


def test_a_schedule_report_with_a_bom_semicolons_ehr_names_and_day_first_dates(ehr, demo_db, admin, tmp_path):
    ((pid, mrn),) = _mrns(demo_db, 1)
    text = (
        f"\ufeffAppt Date;Appt Time;Medical Record Number;Provider;Appointment Type\n25/05/2026;9:00;{mrn};Dr A;New\n"
    )
    report = _import(ehr, admin, tmp_path, text)
    assert report.applied and report.counts["visits"].new == 1
    assert _day_visits(demo_db, pid, date(2026, 5, 25)) == [("09:00", "scheduled", "Dr A", "New")]


def test_line_numbered_problems_mean_nothing_is_written(ehr, demo_db, admin, tmp_path):
    (_, a), (_, b) = _mrns(demo_db, 2)
    before = _visits(demo_db)
    text = f"date,time,mrn\n2026-02-30,08:00,{a}\n\n2026-05-11,25:00,{b}\n2026-05-11,,\n2026-05-12,09:00,{a}\n"
    report = _import(ehr, admin, tmp_path, text)
    assert not report.applied
    assert report.problems == [("clinic-schedule.csv line 2", "Date: not a date (YYYY-MM-DD, month/day/year or "
                                                                "DD.MM.YYYY)"),
                               ("clinic-schedule.csv line 4", "Time: not a time of day (08:30 or 8:30 AM)"),
                               ("clinic-schedule.csv line 5", "no MRN")]  # fmt: skip
    assert _visits(demo_db) == before


def test_the_same_report_twice_changes_nothing_and_unknown_mrns_are_left_out_by_line(ehr, demo_db, admin, tmp_path):
    (_, a), (pid_b, b) = _mrns(demo_db, 2)
    text = f"date,time,mrn,clinician,visit type\n05/04/2026,8:00 AM,{a},Dr A,Follow-up\n" \
           f"05/04/2026,8:30 AM,{b},Dr A,Follow-up\n05/04/2026,9:00 AM,ZZ-404,Dr A,New patient\n" \
           f"05/04/2026,9:30 AM,{a},Dr B,Follow-up\n"  # fmt: skip
    first = _import(ehr, admin, tmp_path, text)
    assert first.applied and (first.counts["visits"].new, first.counts["visits"].changed) == (2, 0)
    unknown = "its patient is neither in LHN Desktop (by MRN) nor in this import"
    assert first.skipped["visits", unknown] == (1, ["clinic-schedule.csv line 4"])
    assert first.skipped["visits", "the same resource twice in the files"] == (1, ["clinic-schedule.csv line 5"])
    after_first = _visits(demo_db)
    second = _import(ehr, admin, tmp_path, text)
    assert second.changes == 0 and second.counts["visits"].unchanged == 2
    assert _visits(demo_db) == after_first
    moved = _import(ehr, admin, tmp_path, text.replace("8:30 AM", "10:30 AM"))
    assert moved.counts["visits"].changed == 1
    assert _day_visits(demo_db, pid_b, date(2026, 5, 4)) == [("10:30", "scheduled", "Dr A", "Follow-up")]


def test_a_cancelled_or_no_show_row_is_the_visit_booked_by_hand_that_day(schedule, ehr, demo_db, admin, tmp_path):
    (pid_a, a), (pid_b, b) = _mrns(demo_db, 2)
    schedule.add_visit(admin, pid_a, date(2026, 5, 6), "9:15", "Dr A", "Follow-up")
    schedule.add_visit(admin, pid_b, date(2026, 5, 6), "9:45", "Dr A", "Follow-up")
    text = f"Date,Time,MRN,Status\n2026-05-06,09:15,{a},Canceled\n2026-05-06,09:45,{b},No Show\n"
    report = _import(ehr, admin, tmp_path, text)
    assert report.applied and (report.counts["visits"].new, report.counts["visits"].changed) == (0, 2)
    assert _day_visits(demo_db, pid_a, date(2026, 5, 6)) == [("09:15", "cancelled", "Dr A", "Follow-up")]
    assert _day_visits(demo_db, pid_b, date(2026, 5, 6)) == [("09:45", "no_show", "Dr A", "Follow-up")]
    assert _import(ehr, admin, tmp_path, text).changes == 0  # the cancelled visit is still the one that day
    rebooked = _import(ehr, admin, tmp_path, text.replace("Canceled", "Scheduled"))
    assert rebooked.counts["visits"].changed == 1
    assert _day_visits(demo_db, pid_a, date(2026, 5, 6)) == [("09:15", "scheduled", "Dr A", "Follow-up")]


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
    ((pid, _),) = _mrns(demo_db, 1)
    with pytest.raises(PermissionDenied):
        schedule.add_visit(partner, pid, date(2026, 5, 4), "9:15", None, "Follow-up")
