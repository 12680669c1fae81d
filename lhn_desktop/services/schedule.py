"""The clinic schedule: import a CSV exported from the EHR (preview first), and visits by hand.

The CSV has a header row naming the columns date, time, MRN, clinician and visit type (common
EHR names are understood too: "Appt Date", "Provider", "Medical Record Number", ...). It may start
with a byte-order mark and use ``,`` or ``;``. Dates may be 2026-03-03, 3/3/2026 (month first, as
US systems export; a file whose dates only make sense day first is read day first), 03.03.2026
(day first) or 2026/03/03; times 08:30, 8:30 AM or 0830.

Nothing is written until the preview has no errors. A patient is matched by MRN and never created
here: unknown MRNs are listed. One visit per patient per day: importing the same file again finds
every row unchanged and writes nothing; a row with a new time or clinician updates that visit.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.errors import NotFound, ValidationError
from lhn_desktop.models.patients import Patient, Visit
from lhn_desktop.store.database import Database

MAX_BYTES = 5_000_000
COLUMNS: dict[str, tuple[str, ...]] = {
    "date": ("date", "visit date", "appointment date", "appt date", "clinic date"),
    "time": ("time", "visit time", "appointment time", "appt time", "start time"),
    "mrn": ("mrn", "medical record number", "patient mrn", "patient id", "record number"),
    "clinician": ("clinician", "provider", "physician", "doctor", "attending"),
    "visit_type": ("visit type", "type", "appointment type", "appt type", "visit"),
}
REQUIRED = ("date", "mrn")
DEFAULT_TYPE = "Follow-up"
#: the visit types the forms offer (any other may be typed)
VISIT_TYPES = ("Follow-up", "New patient", "Unscheduled", "Infusion review", "Transition visit", "Telehealth")
_ISO = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
_SLASH = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_DOT = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$")
_TIME = re.compile(r"^(\d{1,2})(?::?(\d{2}))?\s*([AaPp][Mm])?$")


@dataclass(frozen=True)
class ScheduleRow:
    line: int
    day: date
    time: str | None
    mrn: str
    clinician: str | None
    visit_type: str
    patient_id: str | None = None
    patient_name: str | None = None
    #: new, unchanged, updated (time, clinician or type changed), or unknown (no such MRN)
    action: str = "new"


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str


@dataclass
class SchedulePreview:
    source: str
    delimiter: str
    date_order: str  # "year-month-day", "month/day/year" or "day/month/year"
    rows: list[ScheduleRow] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def can_import(self) -> bool:
        return not self.problems and any(r.action in ("new", "updated") for r in self.rows)

    @property
    def unknown(self) -> list[ScheduleRow]:
        return [r for r in self.rows if r.action == "unknown"]

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    @property
    def summary(self) -> str:
        if self.problems:
            return f"{len(self.problems)} row(s) cannot be read; nothing will be imported until the file is corrected."
        parts = [f"{self.count('new')} new", f"{self.count('updated')} changed", f"{self.count('unchanged')} unchanged"]
        if self.unknown:
            parts.append(f"{len(self.unknown)} with an MRN not in LHN Desktop (not imported; add those patients first)")
        return ", ".join(parts) + "."


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int
    unknown: int


def column_key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        key = column_key(name)
        for column, aliases in COLUMNS.items():
            if key in aliases and column not in found:
                found[column] = index
    missing = [c for c in REQUIRED if c not in found]
    if missing:
        names = " and ".join(m.upper() if m == "mrn" else m for m in missing)
        raise ValidationError(
            f"The first row must name the columns; no {names} column was found (columns: {', '.join(header)}). "
            "Expected: date, time, MRN, clinician, visit type."
        )
    return found


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


def read_schedule_text(path: str | Path) -> str:
    source = Path(path)
    if not source.is_file():
        raise NotFound(f"There is no schedule file at {source}; check the name and folder.")
    raw = source.read_bytes()
    if len(raw) > MAX_BYTES:
        raise ValidationError(f"{source.name} is larger than 5 MB; export one clinic week or month at a time.")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(f"{source.name} is not a text file; export the schedule as CSV.")


def parse_schedule(text: str, source: str = "the file") -> SchedulePreview:
    """Read the CSV text into rows and row problems (line numbers are the file's, header = line 1)."""
    text = text.lstrip("\ufeff")
    first_line = text.splitlines()[0] if text.strip() else ""
    if not first_line:
        raise ValidationError(f"{source} is empty; export the schedule with its header row.")
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    records = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    columns = _columns(records[0])
    body = [(n, r) for n, r in enumerate(records[1:], start=2) if any(cell.strip() for cell in r)]
    order = date_order_of([r[columns["date"]] for _, r in body if len(r) > columns["date"]])
    preview = SchedulePreview(source, delimiter, "year-month-day", [], [])
    if any(_SLASH.match(r[columns["date"]].strip()) for _, r in body if len(r) > columns["date"]):
        preview.date_order = order
    seen: dict[tuple[str, date], int] = {}

    def cell(record: list[str], name: str) -> str:
        index = columns.get(name)
        return record[index].strip() if index is not None and index < len(record) else ""

    for line, record in body:
        try:
            if len(record) < len(records[0]):
                raise ValidationError(f"{len(record)} fields where the header has {len(records[0])}")
            mrn = cell(record, "mrn")
            if not mrn:
                raise ValidationError("no MRN")
            day = parse_date(cell(record, "date"), order)
            time = parse_time(cell(record, "time"))
        except ValidationError as exc:
            preview.problems.append(RowProblem(line, str(exc).rstrip(".") + "."))
            continue
        if (mrn, day) in seen:
            preview.problems.append(RowProblem(line, f"the same MRN on the same day as line {seen[mrn, day]}."))
            continue
        seen[mrn, day] = line
        preview.rows.append(ScheduleRow(line, day, time, mrn, cell(record, "clinician") or None,
                                        cell(record, "visit_type") or DEFAULT_TYPE))  # fmt: skip
    return preview


class ScheduleService:
    def __init__(self, db: Database, *, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    def preview(self, actor: Actor, text: str, source: str = "the file") -> SchedulePreview:
        """Parse and match against the database; writes nothing."""
        require_patient_access(actor)
        preview = parse_schedule(text, source)
        with self.db.read() as s:
            mrns = sorted({r.mrn for r in preview.rows})
            patients = {p.mrn: p for p in s.scalars(select(Patient).where(Patient.mrn.in_(mrns)))}
            ids = [p.id for p in patients.values()]
            days = sorted({r.day for r in preview.rows})
            visits = {
                (v.patient_id, v.visit_date): v
                for v in s.scalars(
                    select(Visit).where(
                        Visit.patient_id.in_(ids), Visit.visit_date.in_(days), Visit.status != "cancelled"
                    )
                )
            }
            matched = []
            for r in preview.rows:
                p = patients.get(r.mrn)
                if p is None:
                    matched.append(_with(r, action="unknown"))
                    continue
                v = visits.get((p.id, r.day))
                if v is None:
                    action = "new"
                elif (v.visit_time, v.clinician, v.visit_type) == (r.time, r.clinician, r.visit_type):
                    action = "unchanged"
                else:
                    action = "updated"
                matched.append(
                    _with(r, patient_id=p.id, patient_name=f"{p.family_name}, {p.given_name}", action=action)
                )
        preview.rows = matched
        return preview

    def import_schedule(self, actor: Actor, text: str, source: str = "the file") -> ImportResult:
        """Write a previewed schedule: new visits added, changed ones updated; refused if any row has a problem."""
        preview = self.preview(actor, text, source)
        if preview.problems:
            lines = "; ".join(f"line {p.line}: {p.reason}" for p in preview.problems[:5])
            more = f" (and {len(preview.problems) - 5} more)" if len(preview.problems) > 5 else ""
            raise ValidationError(f"Nothing was imported. Correct the file and import it again: {lines}{more}")
        added = updated = 0
        with self.db.write(actor) as s:
            for r in preview.rows:
                if r.action == "new":
                    s.add(Visit(patient_id=r.patient_id, visit_date=r.day, visit_time=r.time, clinician=r.clinician,
                                visit_type=r.visit_type, status="scheduled"))  # fmt: skip
                    added += 1
                elif r.action == "updated":
                    v = s.scalar(
                        select(Visit).where(Visit.patient_id == r.patient_id, Visit.visit_date == r.day,
                                            Visit.status != "cancelled")
                    )  # fmt: skip
                    v.visit_time, v.clinician, v.visit_type = r.time, r.clinician, r.visit_type
                    updated += 1
        return ImportResult(added, updated, preview.count("unchanged"), len(preview.unknown))

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
                raise ValidationError(f"This patient already has a visit on {day}; move that visit instead.")
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
                raise ValidationError(f"This patient already has a visit on {day}.")
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


def _with(row: ScheduleRow, **changes) -> ScheduleRow:
    from dataclasses import replace

    return replace(row, **changes)
