"""The patient page's activity chart labels each month once, on the 1st, whatever the span."""

from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta

import pytest


@pytest.mark.parametrize(
    ("first", "today", "step"),
    [
        (date(2026, 1, 20), date(2026, 3, 2), 1),  # six weeks: matplotlib's own ticks said "Feb 2026" twice
        (date(2025, 10, 1), date(2026, 3, 2), 1),
        (date(2025, 3, 1), date(2026, 3, 2), 2),
        (date(2023, 3, 1), date(2026, 3, 2), 6),
        (date(2016, 3, 1), date(2026, 3, 2), 24),
    ],
)
def test_month_labels_are_not_repeated(first: date, today: date, step: int) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from lhn_desktop.charts.activity_chart import activity_figure

    fig = activity_figure([(first, "PGA", "mild"), (today - timedelta(days=3), "PGA", "quiescent")], [], today)
    fig.canvas.draw()
    bottom = fig.axes[1]
    left, right = bottom.get_xlim()
    labels = [t.get_text() for t in bottom.get_xticklabels() if left <= t.get_position()[0] <= right]
    assert labels and len(labels) == len(set(labels)), labels
    assert len(labels) <= 9
    if step < 12:
        months = [datetime.strptime(text, "%b %Y") for text in labels]  # "Mar 2026"
        gaps = {(b.year - a.year) * 12 + b.month - a.month for a, b in itertools.pairwise(months)}
    else:
        years = [int(text) for text in labels]
        gaps = {(b - a) * 12 for a, b in itertools.pairwise(years)}
    assert gaps <= {step}
