"""Dates and text the demo's records share: clinic days, complete months, ages and tenths."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from lhn_desktop.services.demo.content import CLINIC_WEEKDAYS, MONTHS


def add_years(d: date, years: int) -> date:
    """``d`` moved by whole years; 29 February becomes 28 February in other years."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def tenths(value: int) -> str:
    """An amount in tenths as exact decimal text: 345 -> "34.5"."""
    return f"{value // 10}.{value % 10}"


def slot_time(slot: int) -> str:
    """Clinic slot 0..15 as "HH:MM", 08:00 to 15:30."""
    return f"{8 + slot // 2:02d}:{(slot % 2) * 30:02d}"


def long_date(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def next_clinic_day(d: date, weekdays: tuple[int, ...] = CLINIC_WEEKDAYS) -> date:
    """``d`` if a clinic runs that day (by default the IBD clinic's Tuesdays and Thursdays), else the next."""
    while d.weekday() not in weekdays:
        d += timedelta(days=1)
    return d


def clinic_days(today: date, count: int = 8) -> tuple[date, ...]:
    """The next ``count`` clinic days, starting with ``today`` if it is one."""
    days = [next_clinic_day(today)]
    while len(days) < count:
        days.append(next_clinic_day(days[-1] + timedelta(days=1)))
    return tuple(days)


def last_months(today: date, count: int = 24) -> list[tuple[str, date, date]]:
    """The ``count`` complete months before ``today``'s month as (YYYY-MM, first day, last day), oldest first."""
    out = []
    y, m = today.year, today.month
    for _ in range(count):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        out.append((f"{y:04d}-{m:02d}", date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])))
    return out[::-1]
