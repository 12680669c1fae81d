"""The funnel plot (each center's rate against its denominator, limits around the network rate) and the
monthly network report (a PDF page per measure: its funnel plot and its table of centers)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from lhn_desktop.charts.spc_chart import CENTRE, DATA, LIMIT, OUTSIDE, SIGNAL
from lhn_desktop.localization import counted
from lhn_desktop.spc import funnel

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: how the two pairs of limits are drawn
LIMIT_STYLES = {"95": (":", 1.0), "99.8": ("--", 1.1)}


@dataclass
class FunnelSpec:
    """A funnel plot as the services describe it: ``points`` are (center, denominator, rate 0-1, this center, and
    "above" or "below" when outside the 99.8 % limits)."""

    title: str
    target: float | None
    points: list[tuple[str, int | None, float, bool, str | None]]
    #: centers left off because their rate cannot be shown (too few, or hidden by small-cell suppression)
    hidden: int = 0
    source: str = ""
    notes: list[str] = field(default_factory=list)

    def draw(self, fig: Figure) -> Axes:
        fig.clear()
        ax = fig.add_subplot(1, 1, 1)
        draw(ax, self)
        return ax

    def figure(self, width: float = 9.0, height: float = 5.5) -> Figure:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
        draw(fig.add_subplot(1, 1, 1), self)
        if self.source:
            fig.supxlabel(self.source, x=0.99, ha="right", fontsize=8, color=LIMIT, parse_math=False)
        return fig


def draw(ax: Axes, spec: FunnelSpec, *, compact: bool = False) -> None:
    small = 7 if compact else 9
    sizes = [n for _, n, _, _, _ in spec.points if n]
    largest = max(sizes, default=0)
    if spec.target is not None and largest:
        steps = funnel.curve(spec.target, int(largest * 1.15) + 1)
        xs = [s.n for s in steps]
        for level, (style, width) in LIMIT_STYLES.items():
            lows = [100 * s.limits[level][0] for s in steps]
            highs = [100 * s.limits[level][1] for s in steps]
            ax.plot(xs, lows, color=LIMIT, linestyle=style, linewidth=width, zorder=1)
            ax.plot(xs, highs, color=LIMIT, linestyle=style, linewidth=width, zorder=1,
                    label=f"{level}% limits")  # fmt: skip
        ax.axhline(100 * spec.target, color=CENTRE, linewidth=1.2, zorder=1, label=f"network {100 * spec.target:.1f}%")
    label_all = len(spec.points) <= 25 and not compact  # a few centers: each is named; many: only those outside
    for center, n, rate, own, outside in spec.points:
        if not n:
            continue
        colour = SIGNAL if own else OUTSIDE if outside else DATA
        ax.plot([n], [100 * rate], marker="o", markersize=9 if own else 5.5, color=colour, linestyle="none", zorder=3)
        if own or label_all or (outside and not compact):
            ax.annotate(center, (n, 100 * rate), xytext=(5, 4), textcoords="offset points", fontsize=small,
                        color=colour, fontweight="bold" if own else "normal", parse_math=False)  # fmt: skip
    if not spec.points:
        ax.text(0.5, 0.5, "No center's rate can be shown for this period", transform=ax.transAxes, ha="center",
                va="center", fontsize=small + 1, color=LIMIT)  # fmt: skip
    ax.set_xlim(left=0, right=max(1.0, largest * 1.15))
    ax.set_ylim(bottom=0, top=101)
    ax.set_xlabel("patients, visits or responses counted (denominator)", fontsize=small)
    ax.set_ylabel("percent", fontsize=small)
    ax.tick_params(labelsize=small)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title(spec.title, fontsize=small + (1 if compact else 3), loc="left", parse_math=False)
    if spec.target is not None and largest:
        ax.legend(loc="lower right", fontsize=small - 1, frameon=False)
    if spec.hidden and not compact:
        hidden = f"{counted(spec.hidden, 'center')} not shown: too few to report, or hidden to protect small counts"
        ax.text(0.0, -0.16, hidden,
                transform=ax.transAxes, fontsize=small - 1, color=LIMIT, parse_math=False)  # fmt: skip


def network_report(
    pages: Sequence[tuple[FunnelSpec | None, list[tuple[str, str, str, str, str]]]],
    title: str,
    source: str,
    out: Path,
) -> Path:
    """A PDF page per measure: the funnel plot (proportions) above the table of centers; written to a ``.part``
    file and renamed, so a failed write leaves nothing half-written."""
    from matplotlib.backends.backend_pdf import PdfPages
    from matplotlib.figure import Figure

    part = out.with_name(out.name + ".part")
    try:
        with PdfPages(part, metadata={"Title": title, "Author": source}) as pdf:
            for spec, rows in pages:
                fig = Figure(figsize=(8.27, 11.69), dpi=100)  # A4, portrait
                fig.text(0.06, 0.97, title, fontsize=14, fontweight="bold", color=CENTRE, va="top", parse_math=False)
                fig.text(0.94, 0.97, source, fontsize=8, color=LIMIT, ha="right", va="top", parse_math=False)
                table_top = 0.92
                if spec is not None:
                    ax = fig.add_axes((0.1, 0.52, 0.84, 0.38))
                    draw(ax, spec)
                    table_top = 0.44
                else:
                    fig.text(0.06, 0.93, rows[0][3] if rows else "", fontsize=10, va="top", parse_math=False)
                table = fig.add_axes((0.06, 0.04, 0.88, table_top - 0.04))
                table.axis("off")
                shown = rows[:40]
                cells = table.table(cellText=[list(r) for r in shown],
                                    colLabels=["Center", "Numerator", "Denominator", "Rate", ""], loc="upper left",
                                    cellLoc="left", colWidths=[0.26, 0.13, 0.14, 0.12, 0.35])  # fmt: skip
                cells.auto_set_font_size(False)
                cells.set_fontsize(8)
                if len(rows) > len(shown):
                    table.text(0, 0, f"and {len(rows) - len(shown)} more centers", fontsize=8, color=LIMIT)
                pdf.savefig(fig)
        part.replace(out)
    except OSError:
        part.unlink(missing_ok=True)
        raise
    return out
