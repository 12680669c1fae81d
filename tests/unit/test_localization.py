"""Dates and paper by locale: shown with the month's name, typed in the locale's numeric form or ISO."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from lhn_desktop import localization as loc
from lhn_desktop.localization import DateFormatError, Locale

IDES = date(2027, 3, 15)  # a Monday


@pytest.fixture
def us():
    loc.set_locale("en_US")
    yield
    loc.set_locale(None)


@pytest.fixture
def gb():
    loc.set_locale("en_GB")
    yield
    loc.set_locale(None)


@pytest.mark.usefixtures("us")
def test_us_dates_are_month_first_with_the_month_named() -> None:
    assert loc.format_date(IDES) == "Mar 15, 2027"
    assert loc.format_date(IDES, weekday=True) == "Mon Mar 15, 2027"
    assert loc.format_date(IDES, weekday=True, full=True) == "Monday, March 15, 2027"
    assert loc.format_datetime(datetime(2027, 3, 15, 9, 5)) == "Mar 15, 2027 09:05"
    assert loc.format_month(IDES) == "Mar 2027"
    assert loc.typed_date(IDES) == "03/15/2027"
    assert loc.typed_forms() == "MM/DD/YYYY or YYYY-MM-DD"
    assert loc.paper_size() == "Letter"


@pytest.mark.usefixtures("gb")
def test_elsewhere_dates_are_day_first() -> None:
    assert loc.format_date(IDES) == "15 Mar 2027"
    assert loc.format_date(IDES, weekday=True) == "Mon 15 Mar 2027"
    assert loc.format_date(IDES, weekday=True, full=True) == "Monday 15 March 2027"
    assert loc.format_datetime(datetime(2027, 3, 15, 9, 5)) == "15 Mar 2027 09:05"
    assert loc.typed_date(IDES) == "15/03/2027"
    assert loc.typed_forms() == "DD/MM/YYYY or YYYY-MM-DD"
    assert loc.paper_size() == "A4"


def test_no_date_is_an_empty_text() -> None:
    assert loc.format_date(None) == "" and loc.format_date(None, empty="–") == "–"
    assert loc.format_datetime(None) == "" and loc.typed_date(None) == ""


@pytest.mark.parametrize(
    ("locale", "text", "expected"),
    [
        ("en_US", "03/15/2027", IDES),
        ("en_US", "3/15/2027", IDES),
        ("en_US", "3.15.2027", IDES),
        ("en_GB", "15/03/2027", IDES),
        ("en_GB", "15.3.2027", IDES),
        ("en_GB", "15-03-2027", IDES),
        ("en_US", "04/05/2027", date(2027, 4, 5)),
        ("en_GB", "04/05/2027", date(2027, 5, 4)),
        ("en_US", "2027-03-15", IDES),  # ISO always
        ("en_GB", "2027-03-15", IDES),
        ("en_GB", "20270315", IDES),
        ("en_GB", " 2027-3-15 ", IDES),
        # the way dates are shown, pasted back: a month's name is unambiguous in either order
        ("en_GB", "15 Mar 2027", IDES),
        ("en_GB", "Mon 15 Mar 2027", IDES),
        ("en_US", "Mar 15, 2027", IDES),
        ("en_US", "Monday, March 15, 2027", IDES),
        ("en_US", "15 march 2027", IDES),
        ("en_GB", "Sept 1, 2027", date(2027, 9, 1)),
    ],
)
def test_typed_dates(locale: str, text: str, expected: date) -> None:
    loc.set_locale(locale)
    try:
        assert loc.parse_date(text) == expected
    finally:
        loc.set_locale(None)


@pytest.mark.parametrize(
    ("locale", "text", "says"),
    [
        ("en_US", "15/03/2027", "There is no month 15. Type the date as MM/DD/YYYY or YYYY-MM-DD"),
        ("en_GB", "03/15/2027", "There is no month 15. Type the date as DD/MM/YYYY or YYYY-MM-DD"),
        ("en_GB", "31/04/2027", "April 2027 has no day 31"),
        ("en_US", "02/29/2027", "February 2027 has no day 29"),
        ("en_GB", "2027-02-30", "February 2027 has no day 30"),
        ("en_GB", "15/03/27", "for example 15/03/2027 or 2027-03-15"),  # two-digit years are refused
        ("en_US", "yesterday", "for example 03/15/2027 or 2027-03-15"),
        ("en_GB", "", "DD/MM/YYYY or YYYY-MM-DD"),
        ("en_GB", "Mar 2027", "DD/MM/YYYY or YYYY-MM-DD"),
        ("en_GB", "15 Mar Apr 2027", "DD/MM/YYYY or YYYY-MM-DD"),
    ],
)
def test_impossible_or_unknown_dates_are_refused_with_the_accepted_forms(locale: str, text: str, says: str) -> None:
    loc.set_locale(locale)
    try:
        with pytest.raises(DateFormatError) as caught:
            loc.parse_date(text)
    finally:
        loc.set_locale(None)
    assert says in str(caught.value)
    assert text.strip() == "" or text not in str(caught.value)  # the message never repeats what was typed


@pytest.mark.parametrize(
    ("name", "month_first", "paper"),
    [
        ("en_US.UTF-8", True, "Letter"),
        ("en-US", True, "Letter"),
        ("es_US", True, "Letter"),
        ("en_PH", True, "Letter"),
        ("en_CA", True, "Letter"),
        ("fr_CA.UTF-8", False, "Letter"),
        ("es_MX", False, "Letter"),
        ("es_CL", False, "Letter"),
        ("en_GB.UTF-8", False, "A4"),
        ("en_AU", False, "A4"),
        ("de_DE@euro", False, "A4"),
        ("sr_Latn_RS", False, "A4"),
        ("C", False, "A4"),
        ("POSIX", False, "A4"),
        ("C.UTF-8", False, "A4"),
        ("", False, "A4"),
        (None, False, "A4"),
    ],
)
def test_locales(name: str | None, month_first: bool, paper: str) -> None:
    found = Locale.parse(name)
    assert (found.month_first, found.paper) == (month_first, paper)


def test_the_command_line_reads_the_locale_from_the_environment() -> None:
    env = {"LANG": "en_GB.UTF-8"}
    assert loc.locale_from_environment(env) == Locale("en_GB", False, "A4")
    env["LC_TIME"] = "en_US.UTF-8"  # dates from LC_TIME, paper from LANG
    assert loc.locale_from_environment(env) == Locale("en_US", True, "A4")
    env["LC_PAPER"] = "en_US.UTF-8"
    assert loc.locale_from_environment(env).paper == "Letter"
    env["LC_ALL"] = "en_GB.UTF-8"  # LC_ALL wins over both
    assert loc.locale_from_environment(env) == Locale("en_GB", False, "A4")
    assert loc.locale_from_environment({}) == Locale("C", False, "A4")


def test_the_environment_is_read_until_a_locale_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ("LC_ALL", "LC_TIME", "LC_PAPER"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    loc.set_locale(None)
    assert loc.current().month_first and loc.paper_size() == "Letter"
    monkeypatch.setenv("LANG", "en_GB.UTF-8")
    assert not loc.current().month_first and loc.paper_size() == "A4"
    try:
        loc.set_locale("en_US")
        assert loc.current().name == "en_US"
    finally:
        loc.set_locale(None)
