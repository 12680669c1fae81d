"""Chart benchmarks, each against a baseline measured in the same run.

analysis: ``spc.analyze`` on 36-point series (run, i and p charts with a frozen baseline), as
series per second, next to a plain pass over the same numbers (mean, median and moving ranges in
Python), the least any analysis has to do.

render: a measure chart (centre line, limits, goal, baseline, a phase, notes, the reading) drawn
and saved to PNG, against a bare matplotlib line plot of the same points saved the same way (same
size and resolution). The two are interleaved; medians are compared (goal: at most 2).
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import itertools

from lhn_desktop.spc import SpcInput, SpcOptions, analyze

POINTS = 36


def _series(rng: random.Random, count: int) -> list[SpcInput]:
    out = []
    for k in range(count):
        chart = ("run", "i", "p")[k % 3]
        n = tuple(float(rng.randint(180, 260)) for _ in range(POINTS))
        if chart == "p":
            y = tuple(float(rng.randint(int(0.6 * d), int(0.8 * d))) for d in n)
            out.append(SpcInput("p", y, n=n, options=SpcOptions(freeze=12, multiply=100)))
        else:
            y = tuple(round(rng.gauss(70, 5), 1) for _ in range(POINTS))
            out.append(SpcInput(chart, y, options=SpcOptions(freeze=12)))
    return out


def _plain_pass(spc: SpcInput) -> float:
    values = [v for v in spc.y if v is not None]
    ranges = [abs(b - a) for a, b in itertools.pairwise(values)]
    return sum(values) / len(values) + statistics.median(values) + sum(ranges) / len(ranges)


def bench_analysis(reps: int) -> None:
    series = _series(random.Random(36), 300)
    analysis, plain = [], []
    for _ in range(reps):
        start = time.perf_counter()
        for spc in series:
            analyze(spc)
        analysis.append(time.perf_counter() - start)
        start = time.perf_counter()
        for spc in series:
            _plain_pass(spc)
        plain.append(time.perf_counter() - start)
    a, p = statistics.median(analysis), statistics.median(plain)
    print(f"analysis: {len(series) / a:,.0f} series of {POINTS} points per second (median of {reps})")
    print(f"analysis: plain mean/median/moving-range pass: {len(series) / p:,.0f} series per second")
    print(f"analysis ratio (analyze / plain pass, time per series): {a / p:.1f}")


def bench_render(reps: int) -> float:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from lhn_desktop.charts import spc_chart

    spc = _series(random.Random(7), 3)[2]
    result = analyze(SpcInput("p", spc.y, n=spc.n, options=SpcOptions(part=(20,), multiply=100)))
    labels = [f"M{k + 1}" for k in range(POINTS)]
    marks = spc_chart.ChartMarks(
        "Patients in remission", "percent", labels, target=80, notes=[(8.2, "PDSA 1"), (15.5, "PDSA 2")],
        phases=[(20, "Checklist adopted")], percent=True, subtitle="p chart, 36 months",
    )  # fmt: skip
    ys = [p.y for p in result.points]
    chart_times, bare_times = [], []
    with tempfile.TemporaryDirectory() as folder:
        for k in range(reps + 1):
            start = time.perf_counter()
            fig = spc_chart.figure(result, marks)
            spc_chart.save(fig, Path(folder) / "chart.png")
            chart_t = time.perf_counter() - start
            size = fig.get_size_inches()
            start = time.perf_counter()
            bare = Figure(figsize=size, dpi=100)
            FigureCanvasAgg(bare)
            bare.add_subplot(1, 1, 1).plot(range(POINTS), ys, marker="o")
            bare.savefig(Path(folder) / "bare.png", dpi=150)
            bare_t = time.perf_counter() - start
            if k:  # the first round warms up fonts and caches
                chart_times.append(chart_t)
                bare_times.append(bare_t)
    c, b = statistics.median(chart_times), statistics.median(bare_times)
    print(f"render: measure chart to PNG, median of {reps}: {c * 1000:.0f} ms; bare line plot: {b * 1000:.0f} ms")
    print(f"render ratio (measure chart / bare line plot): {c / b:.2f}  (goal: at most 2)")
    return c / b


def main() -> int:
    bench_analysis(7)
    bench_render(15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
