"""The clinic schedule by hand (book, move, cancel a visit), and how clinics write dates and times.

The schedule the EHR exports is imported through the EHR import (``services.ehr``): a CSV report whose
columns are mapped once (``services.ehr_csv``, kind "appointments"), or FHIR Appointments. The readers of
dates and times below serve it: dates as 2026-03-03, 3/3/2026 (month first, as US systems export; a file
whose dates only make sense day first is read day first), 03.03.2026 (day first) or 2026/03/03; times as
08:30, 8:30 AM or 0830.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from sqlalchemy import select

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.errors import NotFound, ValidationError
from lhn_desktop.localization import format_date
from lhn_desktop.models.patients import Patient, Visit
from lhn_desktop.store.database import Database

DEFAULT_TYPE = "Follow-up"
#: the visit types the forms offer (any other may be typed)
VISIT_TYPES = ("Follow-up", "New patient", "Unscheduled", "Infusion review", "Transition visit", "Telehealth")
_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_DOT = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_TIME = re.compile(r"^(\d{1,2})(?::?(\d{2}))?\s*([AaPp][Mm])?$")


def column_key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def date_order_of(values: list[str]) -> str:
    """Month first unless a slash date only makes sense day first; both at once is an error."""
    day_first = month_first = False
    for v in values:
        m = _SLASH.match(v.strip())
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            day_first |= a > 12
            month_first |= b > 12
    if day_first and month_first:
        raise ValidationError(
            "The dates mix month/day and day/month (for example 3/25 and 25/3); export them as YYYY-MM-DD."
        )
    return "day/month/year" if day_first else "month/day/year"


def parse_date(text: str, order: str) -> date:
    value = text.strip()
    try:
        if m := _ISO.match(value):
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if m := _SLASH.match(value):
            a, b, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
            year += 2000 if year < 100 else 0
            month, day = (b, a) if order == "day/month/year" else (a, b)
            return date(year, month, day)
        if m := _DOT.match(value):
            return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    except ValueError:
        raise ValidationError(f"{value!r} is not a real date") from None
    raise ValidationError(f"{value!r} is not a date (use YYYY-MM-DD, MM/DD/YYYY or DD.MM.YYYY)")


def parse_time(text: str) -> str | None:
    value = text.strip()
    if not value:
        return None
    m = _TIME.match(value)
    if not m:
        raise ValidationError(f"{value!r} is not a time (use 08:30 or 8:30 AM)")
    digits, minute, half = m.group(1), m.group(2), m.group(3)
    if minute is None and len(digits) >= 3:  # 0830
        digits, minute = digits[:-2], digits[-2:]
    hour, minute_n = int(digits), int(minute or 0)
    if half:
        if not 1 <= hour <= 12:
            raise ValidationError(f"{value!r} is not a time: the hour of an AM/PM time is 1 to 12")
        hour = hour % 12 + (12 if half.lower() == "pm" else 0)
    if hour > 23 or minute_n > 59:
        raise ValidationError(f"{value!r} is not a time of day")
    return f"{hour:02d}:{minute_n:02d}"


class ScheduleService:
    def __init__(self, db: Database, *, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    # -- by hand -------------------------------------------------------------------------------------------------

    def add_visit(
        self, actor: Actor, patient_id: str, day: date, time: str | None, clinician: str | None, visit_type: str
    ) -> str:
        require_patient_access(actor)
        time = parse_time(time or "")
        with self.db.write(actor) as s:
            if s.get(Patient, patient_id) is None:
                raise NotFound("That patient is no longer in LHN Desktop.")
            clash = s.scalar(
                select(Visit).where(
                    Visit.patient_id == patient_id, Visit.visit_date == day, Visit.status != "cancelled"
                )
            )
            if clash is not None:
                on = format_date(day)
                raise ValidationError(f"This patient already has a visit on {on}; move that visit instead.")
            visit = Visit(patient_id=patient_id, visit_date=day, visit_time=time, clinician=(clinician or "").strip()
                          or None, visit_type=(visit_type or DEFAULT_TYPE).strip(), status="scheduled")  # fmt: skip
            s.add(visit)
            s.flush()
            return visit.id

    def move_visit(self, actor: Actor, visit_id: str, day: date, time: str | None) -> None:
        require_patient_access(actor)
        time = parse_time(time or "")
        with self.db.write(actor) as s:
            visit = booked_visit(s, visit_id, "A completed visit cannot be moved.")
            clash = s.scalar(
                select(Visit).where(Visit.patient_id == visit.patient_id, Visit.visit_date == day,
                                    Visit.status != "cancelled", Visit.id != visit_id)
            )  # fmt: skip
            if clash is not None:
                raise ValidationError(f"This patient already has a visit on {format_date(day)}.")
            visit.visit_date, visit.visit_time = day, time

    def cancel_visit(self, actor: Actor, visit_id: str) -> None:
        require_patient_access(actor)
        with self.db.write(actor) as s:
            booked_visit(s, visit_id, "A completed visit cannot be cancelled.").status = "cancelled"


def booked_visit(s, visit_id: str, if_completed: str) -> Visit:
    """The visit, still on the schedule and not yet seen; ``if_completed`` is the message when it was seen."""
    visit = s.get(Visit, visit_id)
    if visit is None or visit.status == "cancelled":
        raise NotFound("That visit is no longer on the schedule.")
    if visit.status == "completed":
        raise ValidationError(if_completed)
    return visit
