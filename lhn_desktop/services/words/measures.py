"""The measures' words: chart titles and subtitles, the notes and phases written on a chart, a PDSA cycle as
a chart names it, progress while reading charts, and the collaboRATE summary.

``services/measures.py`` and ``services/scoring.py`` decide what a chart shows; this module writes it.
"""

from __future__ import annotations

from datetime import date

from lhn_desktop.services.words import day

CHART_KINDS = {"p": "p chart", "run": "run chart"}


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def pdsa(seq: int, title: str) -> str:
    """A PDSA cycle as a chart's note and the note dialog's choices name it: "PDSA 2: Pre-visit checklist"."""
    return f"PDSA {seq}: {title}"


def new_phase(month: str) -> str:
    return f"New phase from {month}"


def baseline_note(last_month: str) -> str:
    return f"Baseline: months up to {last_month}"


def reading(title: str) -> str:
    """Progress while the charts are read, one measure after another."""
    return f"Reading {title}"


def made_by(site_name: str, on: date) -> str:
    """The footer of an exported chart: who made it and when."""
    return f"{site_name} · made {day(on)}"


def y_label(percent: bool) -> str:
    return "percent" if percent else "value"


def chart_note(on: date, text: str) -> str:
    return f"{day(on)}: {text}"


def chart_subtitle(
    chart: str,
    first: str,
    last: str,
    baseline_last: str | None,
    numerator: str,
    denominator: str,
    *,
    among: bool = False,
) -> str:
    """ "p chart · Jan 2025 to Dec 2026 · baseline Jan 2025 to Jun 2025 · each point: visits ..., out of ...";
    a continuous measure's point is a median or mean "among" its population."""
    kind = CHART_KINDS.get(chart, f"{chart} chart")
    baseline = f" · baseline {first} to {baseline_last}" if baseline_last else ""
    joiner = "among" if among else "out of"
    return (
        f"{kind} · {first} to {last}{baseline} · each point: {_lower_first(numerator)}, {joiner} "
        f"{_lower_first(denominator)}"
    )


def collaborate(complete: int, minimum: int, top_box_percent: float | None, mean: float | None) -> str:
    """A month's collaboRATE results, or that too few answered to report them."""
    if complete < minimum or top_box_percent is None or mean is None:
        return f"fewer than {minimum}, not reported ({complete} complete)"
    return f"top box {top_box_percent:.0f}% · mean {mean:.1f} ({complete} complete responses)"
