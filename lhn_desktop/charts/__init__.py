"""matplotlib Figure builders for charts (DESIGN.md section 2): no pyplot, no Qt, no database.

The services describe each picture as a *chart specification* (what it shows: data, marks, annotations,
limits) built here; the specification draws itself, so the window and the command line only display or save
the figure and never import this package (issue 22, item 3; an import-linter contract keeps it so).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from matplotlib.figure import Figure


class ChartSpec(Protocol):
    """A picture as the services hand it out: ``figure`` draws it on a new figure of its own size and layout."""

    def figure(self) -> Figure: ...
