"""Run and control charts drawn with matplotlib from an analysis result (never pyplot, never Qt).

What a QI meeting needs to read at a glance: the data line; the centre line of each phase, drawn
dashed and orange when the runs analysis signals a shift or too few crossings; control limits as
steps; points beyond the limits in red; the goal line; the frozen baseline shaded; new phases
marked with their reason; and numbered notes from PDSA cycles and the team.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lhn_desktop.localization import counted

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from lhn_desktop.spc import SpcResult

DATA = "#4a6785"
CENTRE = "#2f4858"
SIGNAL = "#d9822b"
LIMIT = "#8a9aa9"
OUTSIDE = "#c0392b"
TARGET = "#2e8b57"
BASELINE = "#eef2f6"
NOTE = "#6c5b7b"
NETWORK = "#c9d6e3"
NETWORK_LINE = "#7d8fa1"
EXPORT_FORMATS = (".png", ".svg", ".pdf")


@dataclass
class ChartMarks:
    """Everything drawn besides the analysis: titles, labels, goal, phases and notes."""

    title: str
    y_label: str
    x_labels: Sequence[str]
    target: float | None = None
    #: (position as a 0-based point index, may be fractional; text)
    notes: list[tuple[float, str]] = field(default_factory=list)
    #: (index of the first point of the new phase, reason)
    phases: list[tuple[int, str]] = field(default_factory=list)
    percent: bool = False
    subtitle: str = ""
    #: who made the picture and when ("Riverside IBD Center · made 2 Mar 2026"), on exported charts
    source: str = ""
    #: the values count whole things (people, events): the y axis is marked in whole numbers only
    whole: bool = False
    #: the network behind the chart: (median, first quartile, third quartile) of the centers for each point
    band: Sequence[tuple[float | None, ...]] | None = None


def _nan(v: float | None) -> float:
    return math.nan if v is None else v


def _steps(values: Sequence[float]) -> tuple[list[float], list[float]]:
    """x and y of a step line centred on each point (limits that vary per point)."""
    xs: list[float] = []
    ys: list[float] = []
    for i, v in enumerate(values):
        xs += [i - 0.5, i + 0.5]
        ys += [v, v]
    return xs, ys


def draw(ax: Axes, result: SpcResult, marks: ChartMarks, *, compact: bool = False) -> None:
    points = result.points
    xs = list(range(len(points)))
    ys = [_nan(p.y) for p in points]
    small = 7 if compact else 9

    baseline = [i for i, p in enumerate(points) if p.baseline]
    if 0 < len(baseline) < len(points):
        ax.axvspan(-0.5, baseline[-1] + 0.5, color=BASELINE, zorder=0)
        if not compact:
            ax.text(baseline[-1] + 0.4, 1.0, "baseline ", transform=ax.get_xaxis_transform(), ha="right",
                    va="top", fontsize=small, color=LIMIT)  # fmt: skip

    for part in sorted({p.part for p in points}):
        idx = [i for i, p in enumerate(points) if p.part == part]
        lo, hi = idx[0], idx[-1]
        cl = points[lo].cl
        signal = points[lo].runs_signal
        if cl is not None:
            ax.hlines(cl, lo - 0.5, hi + 0.5, colors=SIGNAL if signal else CENTRE,
                      linestyles="--" if signal else "-", linewidth=1.6 if signal else 1.2, zorder=2)  # fmt: skip
            if not compact:
                last = hi == len(points) - 1
                ax.annotate(f"{cl:.1f}{'%' if marks.percent else ''}", (hi + 0.5 if last else lo - 0.5, cl),
                            xytext=(3, 0) if last else (2, 3), textcoords="offset points", ha="left",
                            va="center" if last else "bottom", fontsize=small,
                            color=SIGNAL if signal else CENTRE)  # fmt: skip
        for attr in ("ucl", "lcl"):
            values = [_nan(getattr(points[i], attr)) for i in idx]
            if any(not math.isnan(v) for v in values):
                sx, sy = _steps(values)
                ax.plot([x + lo for x in sx], sy, color=LIMIT, linewidth=0.9, linestyle=":", zorder=2)

    if marks.band:
        _draw_band(ax, marks.band, compact)
    ax.plot(xs, ys, color=DATA, linewidth=1.3, marker="o", markersize=3.5 if compact else 4.5, zorder=3,
            linestyle="none" if result.dots_only else "-")  # fmt: skip
    excluded = [i for i, p in enumerate(points) if not p.include and p.y is not None]
    if excluded:
        ax.plot(excluded, [ys[i] for i in excluded], linestyle="none", marker="o", markersize=6,
                markerfacecolor="white", markeredgecolor=DATA, zorder=4)  # fmt: skip
    outside = [i for i, p in enumerate(points) if p.sigma_signal]
    if outside:
        ax.plot(outside, [ys[i] for i in outside], linestyle="none", marker="o", markersize=7 if compact else 8,
                color=OUTSIDE, zorder=5, label="beyond the limits")  # fmt: skip

    if marks.target is not None:
        ax.axhline(marks.target, color=TARGET, linestyle="-.", linewidth=1.1, zorder=1)
        if not compact:
            ax.annotate(f"goal {marks.target:g}{'%' if marks.percent else ''}", (0, marks.target),
                        xytext=(0, 3), textcoords="offset points", fontsize=small, color=TARGET)  # fmt: skip

    for start, reason in marks.phases:
        ax.axvline(start - 0.5, color=CENTRE, linewidth=1.0, linestyle="-", zorder=1)
        if not compact:
            short = reason if len(reason) <= 40 else reason[:39].rstrip() + "…"
            ax.text(start - 0.4, 0.02, short, transform=ax.get_xaxis_transform(), fontsize=small - 1, parse_math=False,
                    color=CENTRE, rotation=90, va="bottom")  # fmt: skip

    labels: list[tuple[float, str]] = []  # notes closer than a point share one label: "1,2"
    for number, (position, _text) in enumerate(marks.notes, start=1):
        ax.axvline(position, color=NOTE, linewidth=0.6, linestyle=(0, (2, 3)), zorder=1)
        if labels and position - labels[-1][0] < 0.8:
            labels[-1] = (labels[-1][0], f"{labels[-1][1]},{number}")
        else:
            labels.append((position, str(number)))
    for position, text in labels:
        ax.text(position, 1.01, text, transform=ax.get_xaxis_transform(), ha="center", va="bottom",
                fontsize=small, color=NOTE, fontweight="bold")  # fmt: skip

    if all(math.isnan(v) for v in ys):
        ax.text(0.5, 0.5, "No month to report yet", transform=ax.transAxes, ha="center", va="center",
                fontsize=small + 1, color=LIMIT)  # fmt: skip
    from matplotlib.figure import Figure

    figure = ax.figure
    assert isinstance(figure, Figure)  # a chart is drawn on a whole figure, never on a SubFigure
    axis_inches = ax.get_position().width * figure.get_figwidth()
    step = max(1, math.ceil(len(points) / max(3, min(12, int(axis_inches * 1.3)))))
    ax.set_xticks(xs[::step])
    ax.set_xticklabels([marks.x_labels[i] for i in xs[::step]], fontsize=small, rotation=0, parse_math=False)
    ax.tick_params(axis="y", labelsize=small)
    ax.set_xlim(-0.7, len(points) - 0.3 + (1.6 if not compact else 0))
    if marks.percent:
        shown = [v for v in ys if not math.isnan(v)]
        shown += [v for p in points for v in (p.lcl, p.cl) if v is not None]
        shown += [marks.target] if marks.target is not None else []
        low = min(shown, default=0.0)
        # percentages near the top are read on a zoomed axis (a 5-point change must be visible)
        bottom = 0.0 if low < 40 else math.floor((low - 5) / 10) * 10
        ax.set_ylim(bottom=bottom, top=101)
    if marks.whole:
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(bottom=0)
    ax.set_ylabel("" if compact else marks.y_label, fontsize=small)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(marks.title, fontsize=small + (1 if compact else 3), loc="left", pad=14 if marks.notes else 6,
                 parse_math=False)  # fmt: skip


def _draw_band(ax: Axes, band: Sequence[tuple[float | None, ...]], compact: bool) -> None:
    """The network's middle half of centers (first to third quartile) shaded, and its median dashed."""
    xs = list(range(len(band)))
    lows = [_nan(b[1]) for b in band]
    highs = [_nan(b[2]) for b in band]
    medians = [_nan(b[0]) for b in band]
    ax.fill_between(xs, lows, highs, color=NETWORK, alpha=0.35, linewidth=0, zorder=0.5)
    ax.plot(xs, medians, color=NETWORK_LINE, linewidth=1.0, linestyle=(0, (4, 2)), zorder=1)
    shown = [i for i, m in enumerate(medians) if not math.isnan(m)]
    if shown and not compact:
        last = shown[-1]
        ax.annotate("network median, middle half of centers", (last, medians[last]), xytext=(0, -10),
                    textcoords="offset points", ha="right", fontsize=7, color=NETWORK_LINE)  # fmt: skip


def _legend_lines(result: SpcResult, marks: ChartMarks) -> str:
    lines = []
    for s in result.summary:
        part = f"phase {s.part}: " if len(result.summary) > 1 else ""
        if s.runs_signal:
            reason = []
            if s.longest_run is not None and s.longest_run_max is not None and s.longest_run > s.longest_run_max:
                reason.append(f"a run of {s.longest_run} points (more than {s.longest_run_max})")
            if s.n_crossings is not None and s.n_crossings_min is not None and s.n_crossings < s.n_crossings_min:
                reason.append(f"{s.n_crossings} crossings (fewer than {s.n_crossings_min})")
            lines.append(f"{part}non-random variation: {' and '.join(reason)}")
        elif s.n_useful:
            lines.append(f"{part}no runs signal ({s.n_useful} useful points)")
        if s.sigma_signal:
            lines.append(f"{part}{counted(s.sigma_signal, 'point')} beyond the control limits")
    lines += [f"{k}. {text}" for k, (_, text) in enumerate(marks.notes, start=1)]
    return "\n".join(lines)


@dataclass(frozen=True)
class SpcChartSpec:
    """A run or control chart as the services describe it: the analysis (points, centre lines, limits, signals)
    and the marks drawn with it. ``draw`` fills a figure the window already shows; ``figure`` makes one to save."""

    result: SpcResult
    marks: ChartMarks

    @property
    def points(self) -> int:
        return len(self.result.points)

    def draw(self, fig: Figure) -> Axes:
        """Draw the chart as the only axes of ``fig`` (its margins as the caller set them); returns the axes."""
        fig.clear()
        ax = fig.add_subplot(1, 1, 1)
        draw(ax, self.result, self.marks)
        return ax

    def figure(self) -> Figure:
        return figure(self.result, self.marks)


def figure(result: SpcResult, marks: ChartMarks, *, width: float = 9.0, height: float = 5.0) -> Figure:
    """A full chart with its reading underneath (signals in words and the numbered notes).

    The layout is fixed in inches rather than solved by a layout engine: it draws in half the time.
    """
    import textwrap

    from matplotlib.figure import Figure

    legend = _legend_lines(result, marks)
    legend_lines = legend.count("\n") + 1 if legend else 0
    subtitle = textwrap.fill(marks.subtitle, int(width * 14)) if marks.subtitle else ""
    top_in = 0.55 + 0.14 * (subtitle.count("\n") + 1 if subtitle else 0)
    source_in = 0.2 if marks.source else 0.0  # a line of its own under the reading
    bottom_in = 0.45 + 0.17 * legend_lines + source_in
    total = height + 0.17 * legend_lines + source_in
    fig = Figure(figsize=(width, total), dpi=100)
    left_in, right_in = 0.75, 0.2
    ax = fig.add_axes((left_in / width, bottom_in / total, 1 - (left_in + right_in) / width,
                       1 - (bottom_in + top_in) / total))  # fmt: skip
    draw(ax, result, marks)
    if subtitle:
        fig.text(0.01, 1 - 0.08 / total, subtitle, ha="left", va="top", fontsize=8, color=LIMIT, parse_math=False)
    if legend:
        fig.text(
            left_in / width,
            (0.08 + source_in) / total,
            legend,
            ha="left",
            va="bottom",
            fontsize=8,
            color=CENTRE,
            parse_math=False,
        )  # team text is shown as typed: "$5 co-pay" is not mathematics
    if marks.source:
        fig.text(0.99, 0.06 / total, marks.source, ha="right", va="bottom", fontsize=8, color=LIMIT, parse_math=False)
    return fig


def small_multiples(
    charts: Sequence[tuple[SpcResult, ChartMarks]], *, columns: int = 2, title: str = "", source: str = ""
) -> Figure:
    """A page of small charts, one per measure, for a quick look at everything.

    Panels in the same unit share one y scale (every percentage on the same axis, usually 0-100 %), so a
    glance across the page compares like with like; ``title`` and ``source`` (center and date) head the page.
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    rows = max(1, math.ceil(len(charts) / columns))
    fig = Figure(figsize=(5.2 * columns, 2.9 * rows + (0.5 if title or source else 0)), dpi=100, layout="constrained")
    by_unit: dict[str, list[Axes]] = {}
    for k, (result, marks) in enumerate(charts):
        ax = fig.add_subplot(rows, columns, k + 1)
        draw(ax, result, marks, compact=True)
        if marks.percent:
            ax.yaxis.set_major_formatter(PercentFormatter(xmax=100, decimals=0))
        by_unit.setdefault("%" if marks.percent else marks.y_label, []).append(ax)
    for unit, axes in by_unit.items():
        low = min(ax.get_ylim()[0] for ax in axes)
        high = 101.0 if unit == "%" else max(ax.get_ylim()[1] for ax in axes)
        for ax in axes:
            ax.set_ylim(low, high)
    if title or source:
        heading = fig.suptitle(title, x=0.01, ha="left", fontsize=13, color=CENTRE, parse_math=False)
        heading.set_fontweight("bold")
    if source:
        fig.supxlabel(source, x=0.99, ha="right", fontsize=8, color=LIMIT, parse_math=False)
    return fig


@dataclass(frozen=True)
class SmallMultiplesSpec:
    """Several run or control charts on one page (see :func:`small_multiples`), as the services describe it."""

    charts: tuple[tuple[SpcResult, ChartMarks], ...]
    title: str = ""
    source: str = ""
    columns: int = 2

    def figure(self) -> Figure:
        return small_multiples(self.charts, columns=self.columns, title=self.title, source=self.source)


#: the words matplotlib's writers take for a picture's title, maker and date, by format
_METADATA_KEYS = {
    ".png": {"title": "Title", "center": "Author", "date": "Creation Time"},
    ".svg": {"title": "Title", "center": "Creator", "date": "Date"},
    ".pdf": {"title": "Title", "center": "Author", "date": "CreationDate"},
}


def save(fig: Figure, path: str | Path, *, metadata: dict[str, str] | None = None) -> Path:
    """Write PNG, SVG or PDF by the file's suffix, through a ``.part`` file renamed when complete.

    ``metadata`` (``title``, ``center``, ``date``) goes into the file's own properties as well.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ValueError(f"Save the chart as .png, .svg or .pdf, not {suffix or 'a file without a suffix'}.")
    FigureCanvasAgg(fig)
    part = target.with_name(target.name + ".part")
    keys = _METADATA_KEYS[suffix]
    info: dict[str, object] = {keys[k]: v for k, v in (metadata or {}).items() if k in keys and v}
    if "CreationDate" in info:  # the PDF writer takes a date and time, not text
        from datetime import datetime

        info["CreationDate"] = datetime.fromisoformat(str(info["CreationDate"]))
    fig.savefig(part, format=suffix[1:], dpi=150 if suffix == ".png" else 100, metadata=info or None)
    part.replace(target)
    return target
