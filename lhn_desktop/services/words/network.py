"""The network comparison's words: titles of the funnel plot, the report and its table, the stable codes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lhn_desktop.localization import stored_month

if TYPE_CHECKING:
    from lhn_desktop.services.network import CenterResult, Comparison


def center_code(number: int) -> str:
    """How a center that did not choose to be named is shown to the others."""
    return f"Center {number}"


def period(first: str, last: str, summed: bool) -> str:
    if first == last or not summed:
        return stored_month(last)
    return f"{stored_month(first)} to {stored_month(last)}"


def funnel_title(title: str, first: str, last: str, summed: bool) -> str:
    return f"{title}: centers against the network, {period(first, last, summed)}"


def centers_title(title: str, shown: int, centers: int) -> str:
    if shown < centers:
        return f"{title}: the first {shown} of {centers} centers (the months table has them all)"
    return f"{title}: every center"


def report_title(month: str) -> str:
    return f"Network report, {stored_month(month, full=True)}"


#: where a bundle is imported, in the window and at the command line (the words serve both)
IMPORT_WHERE = "on the Sync page, or with 'lhn-desktop bundle import FILE'"


def no_values(title: str, at_coordinator: bool) -> str:
    if at_coordinator:
        return f"No center has sent values of {title} yet. Import the centers' network bundles {IMPORT_WHERE}."
    return (
        f"The coordinating center has not sent the network's figures for {title} yet. Import its latest network "
        f"bundle {IMPORT_WHERE}."
    )


def _percent(rate: float | None) -> str:
    return "" if rate is None else f"{100 * rate:.1f}%"


def _count(value: int | None, k: int) -> str:
    return f"<{k}" if value is None else str(value)


def network_row(comparison: Comparison) -> tuple[str, str, str, str, str]:
    n = comparison.network
    if comparison.continuous:
        middle = "" if n.median is None else f"median of centers {n.median:g}"
        return ("Network", "", "", middle, f"{n.centers} centers reporting")
    spread = "" if n.q1 is None or n.q3 is None else f"centers {_percent(n.q1)} to {_percent(n.q3)} (middle half)"
    return ("Network", "" if n.numerator is None else str(n.numerator),
            "" if n.denominator is None else str(n.denominator), _percent(n.rate), spread)  # fmt: skip


def center_row(c: CenterResult, continuous: bool, k: int) -> tuple[str, str, str, str, str]:
    if continuous:
        return (c.center, _count(c.numerator, k), _count(c.denominator, k), "" if c.rate is None else f"{c.rate:g}", "")
    where = {"above": "above the 99.8% limits", "below": "below the 99.8% limits"}.get(c.outside or "", "")
    if c.rate is None:
        where = "too few to show"
    return (c.center, _count(c.numerator, k), _count(c.denominator, k), _percent(c.rate), where)
