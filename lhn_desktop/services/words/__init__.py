"""The sentences the services write for people, one module per area.

A service decides *what* to say (which message, with which values); the module of its area decides *how* it
reads in English: word order, plurals, punctuation, how a date or a list is written. A translation replaces
these modules (or the templates in them) and never reaches into a service's logic. Exception messages stay
beside the check that raises them: they are short, say what to do, and are read where they are raised.

The shared helpers here write lists and dates the same way in every area.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from lhn_desktop.localization import counted, format_date

__all__ = ["counted"]  # said here for the services' words; it lives with the dates, below every layer


def listed(words: Iterable[str], last: str = "and") -> str:
    """ "weight", "weight and height", "PGA, weight and height" (or "... or ..." with ``last="or"``)."""
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def either(words: Iterable[str]) -> str:
    """ "A or B": alternatives, each named whole ("thiopurine or anti-TNF")."""
    return " or ".join(words)


def day(on: date) -> str:
    """A date in a sentence, as the locale shows dates."""
    return format_date(on)
