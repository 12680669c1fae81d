"""Chart drawing (Qt-free): what a QI meeting reads off the chart is really drawn."""

from __future__ import annotations

from pathlib import Path

import pytest

from lhn_desktop.charts import spc_chart
from lhn_desktop.spc import SpcInput, SpcOptions, analyze


def _marks(count: int, **kw) -> spc_chart.ChartMarks:
    return spc_chart.ChartMarks("A measure", "percent", [f"M{k}" for k in range(count)], **kw)


def _figure(result, marks):
    fig = spc_chart.figure(result, marks)
    return fig, fig.axes[0]


def test_a_runs_signal_draws_the_centre_line_dashed_and_orange():
    y = (1, 2, 1, 2, 1, 2, 1, 2, 9, 9, 9, 9, 9, 9, 9, 9)
    _fig, ax = _figure(analyze(SpcInput("run", y)), _marks(len(y)))
    lines = [c for c in ax.collections if c.get_linestyle() and c.get_colors().size]
    assert any(spc_chart.SIGNAL.lstrip("#") in _hex(c.get_colors()[0]) for c in lines)
    quiet = analyze(SpcInput("run", (1, 2) * 8))
    _, ax2 = _figure(quiet, _marks(16))
    assert not any(
        spc_chart.SIGNAL.lstrip("#") in _hex(c.get_colors()[0]) for c in ax2.collections if c.get_colors().size
    )


def _hex(rgba) -> str:
    return "".join(f"{round(v * 255):02x}" for v in rgba[:3])


def test_points_beyond_the_limits_are_marked_and_the_goal_drawn():
    y = (5, 5, 6, 5, 4, 5, 6, 5, 5, 4, 5, 6, 14)
    result = analyze(SpcInput("i", y, options=SpcOptions(screened_mr=False)))
    assert result.points[-1].sigma_signal
    _, ax = _figure(result, _marks(len(y), target=7.0))
    red = [line for line in ax.lines if line.get_label() == "beyond the limits"]
    assert red and list(red[0].get_xdata()) == [12]
    assert any(list(line.get_ydata()) == [7.0, 7.0] for line in ax.lines)


def test_phases_notes_and_the_reading_appear():
    y = tuple(range(1, 25))
    result = analyze(SpcInput("run", y, options=SpcOptions(part=(12,))))
    fig, ax = _figure(result, _marks(24, notes=[(3.0, "PDSA 1 started"), (3.2, "PDSA 2")], phases=[(12, "Change")]))
    texts = [t.get_text() for t in ax.texts] + [t.get_text() for t in fig.texts]
    assert "1,2" in texts and "Change" in texts
    assert any("1. PDSA 1 started" in t for t in texts)
    assert any("phase 2" in t for t in texts)


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_save_writes_each_format_and_refuses_others(tmp_path: Path, suffix: str):
    fig = spc_chart.figure(analyze(SpcInput("run", (1, 2, 3))), _marks(3))
    out = spc_chart.save(fig, tmp_path / f"chart{suffix}")
    assert out.stat().st_size > 500 and not list(tmp_path.glob("*.part"))
    with pytest.raises(ValueError, match=".png, .svg or .pdf"):
        spc_chart.save(fig, tmp_path / "chart.gif")


def test_small_multiples_has_one_panel_per_chart():
    charts = [(analyze(SpcInput("run", (1, 2, 3, 4))), _marks(4)) for _ in range(3)]
    assert len(spc_chart.small_multiples(charts).axes) == 3


def test_team_text_with_dollar_signs_is_drawn_as_typed(tmp_path: Path):
    result = analyze(SpcInput("run", (1, 2, 3, 4), options=SpcOptions(part=(2,))))
    marks = _marks(4, notes=[(1.0, "$5 co-pay waived and $10 vouchers")], phases=[(2, "Cost $0 from here")])
    marks.title = "Visits with a $ charge"
    fig = spc_chart.figure(result, marks)
    spc_chart.save(fig, tmp_path / "chart.png")
    ax = fig.axes[0]
    with_dollars = [t for t in [*fig.texts, *ax.texts, ax.title, ax._left_title] if "$" in t.get_text()]
    assert len(with_dollars) == 3  # the note (in the reading), the phase reason and the title
    assert not any(t.get_parse_math() for t in with_dollars)  # otherwise "$5 ... $10" is set as mathematics


def test_activity_figure_draws_pga_index_and_medicine_bars():
    from datetime import date

    from lhn_desktop.charts.activity_chart import activity_figure

    observations = [
        (date(2025, 1, 5), "PGA", "moderate"),
        (date(2025, 6, 5), "PGA", "quiescent"),
        (date(2025, 1, 5), "PCDAI", "35"),
        (date(2025, 6, 5), "PCDAI", "5"),
        (date(2025, 6, 5), "CRP", "3"),
    ]
    medications = [("infliximab", date(2025, 2, 1), None), ("prednisone", date(2025, 1, 5), date(2025, 3, 1))]
    fig = activity_figure(observations, medications, date(2025, 12, 1))
    top, bottom, right = fig.axes
    assert [t.get_text() for t in bottom.get_yticklabels()] == ["prednisone", "infliximab"]  # by start date
    assert len(bottom.patches) == 2
    assert list(top.lines[1].get_ydata()) == [2, 0]  # moderate, then quiescent
    assert list(right.lines[0].get_ydata()) == [35.0, 5.0]
    empty = activity_figure([], [], date(2025, 12, 1))
    assert "No PGA" in empty.axes[0].texts[0].get_text()


def test_activity_figure_keeps_its_labels_inside_at_any_width():
    """The names beside the axes (activity levels, medicines, the index's numbers) stay inside the picture however
    narrow the patient's page draws it: the margins are kept in inches as the figure is resized, not as fractions."""
    from datetime import date

    from matplotlib.backend_bases import ResizeEvent
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from lhn_desktop.charts.activity_chart import activity_figure

    observations = [(date(2025, 1, 5), "PGA", "moderate"), (date(2025, 1, 5), "PUCAI", "65")]
    medications = [("methotrexate", date(2025, 2, 1), None), ("prednisone", date(2025, 1, 5), date(2025, 3, 1))]
    fig = activity_figure(observations, medications, date(2025, 12, 1))
    canvas = FigureCanvasAgg(fig)  # as the window does: the chart moves onto a canvas of its own
    for inches in (5.5, 8.0, 14.0):
        fig.set_size_inches(inches, 4.2)
        ResizeEvent("resize_event", canvas)._process()
        canvas.draw()
        renderer = canvas.get_renderer()
        width = fig.bbox.width
        for ax in fig.axes:
            for label in (*ax.get_yticklabels(), ax.yaxis.label):
                if label.get_text() and label.get_visible():
                    box = label.get_window_extent(renderer)
                    assert box.x0 >= 0 and box.x1 <= width, (inches, label.get_text(), box.x0, box.x1, width)
        top = fig.axes[0].get_position()
        assert top.width > 0.5  # the chart itself keeps most of the width
