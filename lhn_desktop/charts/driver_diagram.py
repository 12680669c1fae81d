"""The key driver diagram drawn as boxes in four columns: aim, primary drivers, secondary drivers, change ideas."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLUMNS = ("aim", "primary", "secondary", "change_idea")
TITLES = ("Aim", "Primary drivers", "Secondary drivers", "Change ideas")
FILLS = ("#1f4e79", "#4a6785", "#8aa4bf", "#eef2f6")
INKS = ("white", "white", "#1b2631", "#1b2631")


@dataclass(frozen=True)
class DiagramSpec:
    """A goal's key driver diagram: ``nodes`` are (id, parent id, kind, text), kind one of :data:`COLUMNS`."""

    nodes: tuple[tuple[str, str | None, str, str], ...]
    title: str

    def figure(self) -> Figure:
        return diagram_figure(self.nodes, self.title)


def diagram_figure(nodes: Sequence[tuple[str, str | None, str, str]], title: str) -> Figure:
    """``nodes`` are (id, parent id, kind, text). Each leaf gets a row; a parent sits across its children."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    children: dict[str | None, list[str]] = {}
    info = {}
    for node_id, parent_id, kind, text in nodes:
        info[node_id] = (parent_id, kind, text)
        children.setdefault(parent_id, []).append(node_id)
    rows: dict[str, float] = {}
    counter = [0]

    def place(node_id: str) -> float:
        kids = children.get(node_id, [])
        if not kids:
            rows[node_id] = counter[0]
            counter[0] += 1
        else:
            spots = [place(k) for k in kids]
            rows[node_id] = (min(spots) + max(spots)) / 2
        return rows[node_id]

    for root in children.get(None, []):
        place(root)
    height = max(counter[0], 1)
    fig = Figure(figsize=(11, max(3.2, 0.75 * height + 1.2)), dpi=100)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.9))
    ax.set_xlim(0, 4)
    ax.set_ylim(height - 0.4, -0.9)
    ax.axis("off")
    fig.suptitle(title, x=0.01, ha="left", fontsize=12, fontweight="bold")
    for col, heading in enumerate(TITLES):
        ax.text(col + 0.5, -0.75, heading, ha="center", va="center", fontsize=9, color="#555555", fontweight="bold")
    box_w, box_h = 0.84, 0.62
    for node_id, (parent_id, kind, _text) in info.items():
        if parent_id in rows and node_id in rows:
            x0 = COLUMNS.index(info[parent_id][1]) + 0.5 + box_w / 2
            x1 = COLUMNS.index(kind) + 0.5 - box_w / 2
            xm = (x0 + x1) / 2
            ax.plot([x0, xm, xm, x1], [rows[parent_id], rows[parent_id], rows[node_id], rows[node_id]],
                    color="#8a9aa9", linewidth=0.9, zorder=1)  # fmt: skip
    for node_id, (_parent, kind, text) in info.items():
        if node_id not in rows:
            continue
        col = COLUMNS.index(kind)
        x, y = col + 0.5, rows[node_id]
        ax.add_patch(FancyBboxPatch((x - box_w / 2, y - box_h / 2), box_w, box_h, boxstyle="round,pad=0.02",
                                    facecolor=FILLS[col], edgecolor="#2f4858", linewidth=0.8, zorder=2))  # fmt: skip
        ax.text(x, y, textwrap.fill(text, 30), ha="center", va="center", fontsize=7.5, color=INKS[col], zorder=3,
                parse_math=False)  # fmt: skip
    if not info:
        ax.text(2, 0, "No boxes yet: start with the aim.", ha="center", color="#666666")
    return fig
