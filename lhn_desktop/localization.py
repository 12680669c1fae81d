"""Dates and paper in the user's locale, one way everywhere (Qt-free).

The program speaks English; what changes with the locale is the order of day and month and the paper.
Dates are shown with the month's name, so they cannot be misread at a clinic: "Mar 15, 2027" in the United
States and the other month-first places, "15 Mar 2027" elsewhere. Numbers are only for what people type:
03/15/2027 month first, 15/03/2027 elsewhere, and ISO 2027-03-15 always. PDFs are on Letter where Letter
is the usual paper (CLDR's list), on A4 elsewhere.

The locale comes from the system: the window passes Qt's ``QLocale.system().name()`` to :func:`set_locale`
at start; the command line reads ``LC_ALL``, ``LC_TIME`` (``LC_PAPER`` for paper) and ``LANG``, as POSIX
programs do. Tests call :func:`set_locale` with the locale they check.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

__all__ = [
    "DateFormatError",
    "Locale",
    "current",
    "format_date",
    "format_datetime",
    "format_month",
    "paper_size",
    "parse_date",
    "set_locale",
    "stored_month",
    "typed_date",
    "typed_forms",
]

#: Territories whose people write the month before the day (CLDR: the United States, its territories, the
#: Philippines, the states in free association with the US, and English Canada, whose long dates are
#: month first).
MONTH_FIRST = frozenset({"US", "AS", "GU", "MP", "PR", "UM", "VI", "PH", "FM", "MH", "PW"})
MONTH_FIRST_LOCALES = frozenset({"en_CA"})
#: Territories on US Letter paper (CLDR supplemental data, paperSize "US-Letter"); A4 everywhere else.
LETTER = frozenset({"BZ", "CA", "CL", "CO", "CR", "GT", "MX", "NI", "PA", "PH", "PR", "SV", "US", "VE"})

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
               "November", "December")  # fmt: skip
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class DateFormatError(ValueError):
    """Typed text that is not a date; the message says which forms are accepted (never the text itself)."""


@dataclass(frozen=True, slots=True)
class Locale:
    """What the program takes from a locale: its name (``en_US``), day or month first, and the paper."""

    name: str
    month_first: bool
    paper: str  # "Letter" or "A4"

    @classmethod
    def parse(cls, name: str | None, paper_name: str | None = None) -> Locale:
        """``en_US``, ``en-GB``, ``en_GB.UTF-8``, ``de_DE@euro``; ``C``, ``POSIX`` or nothing: day first, A4."""
        tag = _tag(name)
        paper_tag = _tag(paper_name) if paper_name else tag
        return cls(
            name=tag or "C",
            month_first=_territory(tag) in MONTH_FIRST or tag in MONTH_FIRST_LOCALES,
            paper="Letter" if _territory(paper_tag) in LETTER else "A4",
        )


def _tag(name: str | None) -> str:
    if not name:
        return ""
    tag = name.split(".")[0].split("@")[0].replace("-", "_").strip()
    return "" if tag in ("C", "POSIX") else tag


def _territory(tag: str) -> str:
    parts = tag.split("_")
    # en_US, sr_Latn_RS: the territory is the last part when it is two letters or three digits
    return parts[-1].upper() if len(parts) > 1 and (len(parts[-1]) == 2 or parts[-1].isdigit()) else ""


_current: Locale | None = None


def locale_from_environment(env: Mapping[str, str] | None = None) -> Locale:
    """The locale of the command line: the first of LC_ALL, LC_TIME, LANG set (LC_PAPER for the paper)."""
    env = os.environ if env is None else env

    def first(*keys: str) -> str | None:
        return next((env[k] for k in keys if env.get(k)), None)

    return Locale.parse(first("LC_ALL", "LC_TIME", "LANG"), first("LC_ALL", "LC_PAPER", "LANG"))


def set_locale(name: str | Locale | None) -> Locale:
    """Use this locale from now on (a name such as ``en_GB``; None: from the environment again)."""
    global _current
    _current = name if isinstance(name, Locale) else (Locale.parse(name) if name else None)
    return current()


def current() -> Locale:
    """The locale in use: the one set, else the environment's."""
    return _current if _current is not None else locale_from_environment()


def format_date(day: date | None, *, weekday: bool = False, full: bool = False, empty: str = "") -> str:
    """A date as people read it here: "Mar 15, 2027" or "15 Mar 2027"; ``weekday`` adds "Mon"; ``full`` spells
    the names out ("Monday, March 15, 2027" or "Monday 15 March 2027", for PDFs' headings)."""
    if day is None:
        return empty
    if isinstance(day, datetime):
        day = day.date()
    month = (MONTH_NAMES if full else MONTHS)[day.month - 1]
    wd = (WEEKDAY_NAMES if full else WEEKDAYS)[day.weekday()]
    if current().month_first:
        text = f"{month} {day.day}, {day.year}"
        return f"{wd}{',' if full else ''} {text}" if weekday else text
    text = f"{day.day} {month} {day.year}"
    return f"{wd} {text}" if weekday else text


def format_datetime(moment: datetime | None, *, empty: str = "") -> str:
    """A moment to the minute in the computer's clock: "Mar 15, 2027 09:30" or "15 Mar 2027 09:30"."""
    if moment is None:
        return empty
    return f"{format_date(moment.date())} {moment:%H:%M}"


def counted(n: int, one: str, many: str | None = None) -> str:
    """A count with its noun: "1 patient", "3 patients" (``many`` when the plural is not ``one`` + "s"). Here, with
    the dates, so that every layer that writes for people (charts and reports too) says counts the same way."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def format_month(day: date, *, full: bool = False) -> str:
    """A month: "Mar 2027", or "March 2027" with ``full`` (the same everywhere, in the program's English)."""
    return f"{(MONTH_NAMES if full else MONTHS)[day.month - 1]} {day.year}"


def stored_month(text: str, *, full: bool = False) -> str:
    """A month as it is stored ("2027-03") as people read it: "Mar 2027", or "March 2027" with ``full``."""
    year, month = text.split("-")
    return format_month(date(int(year), int(month), 1), full=full)


def typed_date(day: date | None) -> str:
    """A date as it is typed here: 03/15/2027 or 15/03/2027 (for an editable field)."""
    if day is None:
        return ""
    if current().month_first:
        return f"{day.month:02d}/{day.day:02d}/{day.year:04d}"
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def typed_forms() -> str:
    """The forms a date may be typed in here, for placeholders and messages: "MM/DD/YYYY or YYYY-MM-DD"."""
    return ("MM/DD/YYYY" if current().month_first else "DD/MM/YYYY") + " or YYYY-MM-DD"


def example() -> str:
    """A typed example of each accepted form: "03/15/2027 or 2027-03-15"."""
    return f"{typed_date(date(2027, 3, 15))} or 2027-03-15"


_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_WORDS = re.compile(r"[A-Za-z]+|\d+")
_MONTH_WORDS = {name.lower(): n for names in (MONTHS, MONTH_NAMES) for n, name in enumerate(names, 1)} | {"sept": 9}
_WEEKDAY_WORDS = frozenset(w.lower() for w in WEEKDAYS + WEEKDAY_NAMES)


def parse_date(text: str, *, what: str = "date") -> date:
    """A typed date: ISO YYYY-MM-DD (or YYYYMMDD) always; MM/DD/YYYY month first, DD/MM/YYYY elsewhere (``/``,
    ``.`` or ``-`` between); or the way dates are shown, with the month's name ("15 Mar 2027", "Mar 15, 2027",
    a weekday before them or not). ``what`` names the date in messages ("birth date").

    Raises:
        DateFormatError: not a date in these forms, or a day that does not exist (31/04/2027).
    """
    text = text.strip()
    parts = _split(text)
    if parts is None:
        raise DateFormatError(f"Type the {what} as {typed_forms()}, for example {example()}.")
    year, month, day = parts
    try:
        return date(year, month, day)
    except ValueError:
        if 1 <= month <= 12 and year >= 1:
            raise DateFormatError(
                f"{MONTH_NAMES[month - 1]} {year} has no day {day}. Type the {what} as {typed_forms()}."
            ) from None
        raise DateFormatError(f"There is no month {month}. Type the {what} as {typed_forms()}, "
                              f"for example {example()}.") from None  # fmt: skip


def _split(text: str) -> tuple[int, int, int] | None:
    for pattern in (_ISO, _COMPACT):
        match = pattern.match(text)
        if match:
            y, m, d = (int(g) for g in match.groups())
            return y, m, d
    match = _NUMERIC.match(text)
    if match:
        a, b, y = (int(g) for g in match.groups())
        return (y, a, b) if current().month_first else (y, b, a)
    return _split_words(text)


def _split_words(text: str) -> tuple[int, int, int] | None:
    """ "15 Mar 2027", "Mar 15, 2027", "Mon 15 March 2027": one month name, a day and a four-digit year."""
    if re.search(r"[^A-Za-z0-9 ,.]", text):
        return None
    words = [w.lower() for w in _WORDS.findall(text)]
    if words and words[0] in _WEEKDAY_WORDS:
        words = words[1:]
    if len(words) != 3:
        return None
    months = [n for n, w in enumerate(words) if w in _MONTH_WORDS]
    if len(months) != 1 or months[0] == 2 or not (words[2].isdigit() and len(words[2]) == 4):
        return None
    day = words[1 - months[0]]
    if not day.isdigit() or len(day) > 2:
        return None
    return int(words[2]), _MONTH_WORDS[words[months[0]]], int(day)


def paper_size() -> str:
    """The paper PDFs are laid out on: "Letter" or "A4"."""
    return current().paper
