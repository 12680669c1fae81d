"""A patient's disease activity over time with their medicines as bars beneath (matplotlib Figure only)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

# _DATES: matplotlib takes dates where its stubs name only numbers and arrays (its unit converters turn them
# into numbers), so the calls below that give it dates ignore that one type error.

PGA_LEVELS = {"quiescent": 0, "inactive": 0, "mild": 1, "moderate": 2, "severe": 3}
PGA_LABELS = ("quiescent", "mild", "moderate", "severe")
INDEX_CODES = ("PCDAI", "PUCAI", "wPCDAI")
PGA_COLOUR = "#1f4e79"
INDEX_COLOUR = "#d9822b"
DRUG_COLOURS = ("#4a6785", "#6c5b7b", "#2e8b57", "#b9770e", "#7d3c98", "#117a65", "#a04000")


@dataclass(frozen=True)
class ActivitySpec:
    """A patient's activity chart: ``observations`` (date, code, value), ``medications`` (drug, start, stop)."""

    observations: tuple[tuple[date, str, str], ...]
    medications: tuple[tuple[str, date, date | None], ...]
    today: date

    def figure(self) -> Figure:
        return activity_figure(self.observations, self.medications, self.today)


def activity_figure(
    observations: Sequence[tuple[date, str, str]],
    medications: Sequence[tuple[str, date, date | None]],
    today: date,
    *,
    width: float = 8.0,
    height: float = 4.2,
) -> Figure:
    """PGA as a step line (left axis), PCDAI/PUCAI as points (right axis), medicines as bars beneath.

    ``observations`` are (date, code, value); ``medications`` are (drug, start, stop or None).
    """
    from matplotlib.figure import Figure

    drugs = sorted({d for d, _, _ in medications}, key=lambda d: min(s for x, s, _ in medications if x == d))
    fig = Figure(figsize=(width, height), dpi=100)
    bars_share = min(0.38, 0.1 + 0.06 * max(1, len(drugs)))
    top = fig.add_axes((0.09, bars_share + 0.12, 0.8, 0.78 - bars_share))
    bottom = fig.add_axes((0.09, 0.08, 0.8, bars_share), sharex=top)
    pga = sorted((on, PGA_LEVELS[v.lower()]) for on, code, v in observations
                 if code == "PGA" and v.lower() in PGA_LEVELS)  # fmt: skip
    if pga:
        pga_x, pga_y = [d for d, _ in pga], [v for _, v in pga]
        top.step(pga_x, pga_y, where="post", color=PGA_COLOUR, linewidth=1.4)  # type: ignore[arg-type]  # _DATES
        top.plot(pga_x, pga_y, "o", color=PGA_COLOUR, markersize=4, label="PGA")  # type: ignore[arg-type]  # _DATES
    top.set_yticks(range(4), PGA_LABELS, fontsize=8)
    top.set_ylim(-0.4, 3.4)
    top.axhspan(-0.4, 0.5, color="#eaf4ea", zorder=0)
    top.set_title("Disease activity (PGA, left; PCDAI or PUCAI, right) and medicines", fontsize=10, loc="left")
    index = sorted((on, float(v), code) for on, code, v in observations if code in INDEX_CODES and _number(v))
    if index:
        right = top.twinx()
        index_x, index_y = [d for d, _, _ in index], [v for _, v, _ in index]
        right.plot(index_x, index_y, "s--", color=INDEX_COLOUR, markersize=3.5,  # type: ignore[arg-type]  # _DATES
                   linewidth=0.8, label=index[-1][2])  # fmt: skip
        right.set_ylim(0, max(40.0, max(v for _, v, _ in index) * 1.15))
        right.tick_params(labelsize=8, colors=INDEX_COLOUR)
        right.set_ylabel(" / ".join(sorted({c for _, _, c in index})), fontsize=8, color=INDEX_COLOUR)
    if not pga and not index:
        top.text(0.5, 0.5, "No PGA, PCDAI or PUCAI recorded yet.", transform=top.transAxes, ha="center",
                 color="#666666", fontsize=9)  # fmt: skip
    for row, drug in enumerate(drugs):
        for name, start, stop in medications:
            if name == drug:
                end = stop or today
                colour = DRUG_COLOURS[row % len(DRUG_COLOURS)]
                alpha = 0.85 if stop is None else 0.55  # stopped medicines are paler
                bottom.barh(row, (end - start).days or 1, left=start, height=0.6,  # type: ignore[arg-type]  # _DATES
                            color=colour, alpha=alpha)  # fmt: skip
    bottom.set_yticks(range(len(drugs)), drugs, fontsize=8)
    bottom.set_ylim(-0.6, max(len(drugs), 1) - 0.4)
    bottom.invert_yaxis()
    dates = [d for d, _, _ in observations] + [s for _, s, _ in medications]
    first = min(dates, default=today - timedelta(days=365))
    shown = (first - timedelta(days=20), today + timedelta(days=20))
    top.set_xlim(*shown)  # type: ignore[arg-type]  # _DATES
    _month_ticks(bottom, *shown)
    bottom.tick_params(axis="x", labelsize=8)
    top.tick_params(axis="x", labelbottom=False)
    for ax in (top, bottom):
        ax.spines[["top"]].set_visible(False)
        ax.axvline(today, color="#999999", linewidth=0.8, linestyle=":")  # type: ignore[arg-type]  # _DATES
    _keep_margins(fig, tuple(fig.axes),  # the activity, its index's axis on the right, the medicines
                  left=_widest(PGA_LABELS + tuple(drugs)) + LABEL_PAD,
                  right=(_widest(("100",)) + LABEL_PAD + AXIS_TITLE) if index else LABEL_PAD)  # fmt: skip
    return fig


#: inches beside a label for its tick and a little air; and for an axis title written sideways (8 points)
LABEL_PAD, AXIS_TITLE = 0.15, 0.2


def _widest(labels: Sequence[str], points: float = 8) -> float:
    """The width in inches of the widest label at the tick labels' size (measured on the font, no drawing)."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    font, measure = FontProperties(size=points), TextToPath()
    return max((measure.get_text_width_height_descent(s, font, ismath=False)[0] for s in labels), default=0) / 72


def _keep_margins(fig: Figure, axes: Sequence, *, left: float, right: float) -> None:
    """Keep the left and right margins at ``left`` and ``right`` inches, the room the labels beside the axes need,
    however wide the figure is drawn: as fixed fractions of its width, a narrow chart cut the medicines' and the
    activity's names at its left edge. Repositioned on every resize (the canvas keeps the figure's callbacks)."""

    def place(_event=None) -> None:
        inches = max(fig.get_figwidth(), 0.1)
        start = min(0.4, left / inches)
        end = max(start + 0.2, 1 - min(0.3, right / inches))
        for ax in axes:
            _x0, y0, _w, h = ax.get_position(original=True).bounds
            ax.set_position((start, y0, end - start, h))

    place()
    fig.canvas.mpl_connect("resize_event", place)


def _month_ticks(ax, start: date, end: date) -> None:
    """One label a month at most, on the 1st ("Mar 2027"): every 1, 2, 3, 4 or 6 months, or every few years, so
    that about eight fit. (Matplotlib's automatic ticks fall mid-month on a short span and repeat the month.)"""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    from lhn_desktop.localization import format_month

    months = (end.year - start.year) * 12 + end.month - start.month + 1
    step = next((n for n in (1, 2, 3, 4, 6, 12, 24, 60) if months / n <= 8), 120)
    if step < 12:
        ax.xaxis.set_major_locator(mdates.MonthLocator(bymonth=range(1, 13, step)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: format_month(mdates.num2date(x).date())))
    else:
        ax.xaxis.set_major_locator(mdates.YearLocator(step // 12))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: str(mdates.num2date(x).year)))


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
