"""Measures: the measure library, each measure's run or control chart, and its monthly values."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QLabel,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.errors import LhnError
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.files import ask_chart_path
from lhn_desktop.gui.models import ROW_ROLE, Column, Month
from lhn_desktop.gui.operations import Changed, reported
from lhn_desktop.gui.pages.base import Page
from lhn_desktop.gui.widgets import FirstColumnRoom, RecordsView, detail_pane, page_actions
from lhn_desktop.localization import counted, format_date, format_month, stored_month


def percent(num: int, den: int | None) -> str:
    return f"{100 * num / den:.0f}%" if den else ""


SOURCES = {"computed": "computed", "entered": "entered by hand", "adjusted": "computed, center's own threshold"}


def month_columns(continuous: bool) -> list[Column]:
    """The monthly values' columns: counts and a percentage, or a continuous measure's value and who it covers."""
    source = Column("Source", lambda r: SOURCES.get(r.source, r.source))
    if continuous:
        return [
            Column("Month", lambda r: Month.of(r.month)),
            Column("Value", lambda r: "" if r.value is None else f"{r.value:g}", True),
            Column("With a reading", lambda r: r.numerator, True),
            Column("Patients", lambda r: "" if r.denominator is None else r.denominator, True),
            source,
        ]
    return [
        Column("Month", lambda r: Month.of(r.month)),
        Column("Numerator", lambda r: r.numerator, True),
        Column("Denominator", lambda r: "" if r.denominator is None else r.denominator, True),
        Column("Percent", lambda r: percent(r.numerator, r.denominator), True),
        source,
    ]


#: actions that work on the chosen measure: disabled until one is chosen
NEEDS_CHART = ("phase", "note", "baseline", "export", "print")


class MeasuresPage(Page):
    title = "Measures"
    explanation = (
        "Each measure's run or control chart with its monthly values. A dashed orange centre line means the "
        "runs rules found non-random variation; red points are beyond the control limits. Point at a month to "
        "see its counts. Start a new phase only when the process changed, and say why."
    )
    shows = Changed.MEASURES | Changed.VISITS | Changed.PATIENTS | Changed.PLANS | Changed.IMPROVEMENT

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        from lhn_desktop.gui.chart_view import ChartView

        splitter = QSplitter(self)
        self.table = RecordsView(
            [
                Column("Measure", lambda m: m.title),
                Column("Latest", lambda m: m.latest, True),
                Column("Goal", lambda m: "" if not m.target else m.target if m.continuous else f"{m.target}%"),
                Column("Months", lambda m: len(m.months), True),
            ],
            splitter,
        )
        self.model = self.table.rows_model
        # the title column takes what is left and elides, never below 28 characters; the numbers keep their width
        self.columns_room = FirstColumnRoom(self.table, self.table.horizontalHeader(), chars=28)

        right = QWidget(splitter)
        column = QVBoxLayout(right)
        column.setContentsMargins(8, 0, 0, 0)
        # a tool bar folds the actions it cannot show into a » menu, so the window stays narrow
        self.actions_, bar = page_actions(
            self,
            (
                ("phase", "New phase…", "Alt+P", self.new_phase),
                ("note", "Note…", "Alt+N", self.add_note),
                ("baseline", "Baseline…", "Alt+B", self.choose_baseline),
                ("enter", "Enter a month…", "Alt+M", self.enter_month),
                ("thresholds", "Thresholds…", "Alt+T", self.edit_thresholds),
                ("export", "Export…", "Ctrl+E", self.export),
                ("print", "Print chart…", "Ctrl+P", self.print_chart),
                ("all", "All measures", "Alt+A", self.show_all),
                ("network", "Compare centers…", "Alt+W", self.compare_centers),
                ("compute", "Compute now", "F5", self.compute),
            ),
        )
        self.buttons = {key: bar.widgetForAction(a) for key, a in self.actions_.items()}
        column.addWidget(bar)
        self.chart_view = ChartView(right)
        column.addWidget(self.chart_view, 3)
        self.point_info = QLabel(right)
        self.point_info.setObjectName("pointInfo")
        self.point_info.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        column.addWidget(self.point_info)
        self.reading = detail_pane(right)
        column.addWidget(self.reading)
        self.months = RecordsView(month_columns(continuous=False), right)
        self.months_model = self.months.rows_model
        self.months.setMaximumHeight(180)
        column.addWidget(self.months, 1)

        splitter.addWidget(self.table)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([440, 760])
        self.layout_.addWidget(splitter, 1)
        self.chart = None
        self._drawing_all = False  # the page of all measures is being prepared
        self.table.selectionModel().selectionChanged.connect(lambda _s, _d: self.show_measure())
        self.months.selectionModel().currentRowChanged.connect(lambda c, _p: self.show_point(c.row(), from_table=True))
        self.chart_view.point_chosen.connect(self.show_point)

    # -- loading ---------------------------------------------------------------------------------------------------

    def refresh(self) -> None:
        current = self.table.current_row()
        selection = self.table.selectionModel()
        selection.blockSignals(True)  # draw the chart once, below, not once per selection change
        try:
            self.model.set_rows(self.ctx.overview.measures())
            rows = self.model.rows
            index = next((k for k, m in enumerate(rows) if current and m.code == current.code), 0)
            if rows:
                self.table.selectRow(index)
        finally:
            selection.blockSignals(False)
        self.show_measure()

    def current_measure(self):
        """The chosen measure (a selected row), or None: the current row alone does not count as a choice."""
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(ROW_ROLE) if rows else None

    def current_code(self) -> str | None:
        m = self.current_measure()
        return m.code if m else None

    def show_measure(self) -> None:
        code = self.current_code()
        self.chart = None
        for key in NEEDS_CHART:
            self.actions_[key].setEnabled(False)
        self.actions_["enter"].setEnabled(code is not None)
        self.actions_["network"].setEnabled(code is not None)
        adjustable = code is not None and bool(self.ctx.measures.thresholds(code))
        self.actions_["thresholds"].setEnabled(adjustable)
        self.actions_["thresholds"].setToolTip(
            "Set the thresholds this center counts with, where the network's own are not public"
            if adjustable
            else "This measure's definition is the network's own: there is no threshold a center sets for itself"
        )
        self.actions_["all"].setEnabled(bool(self.model.rows) and not self._drawing_all)
        may_compute = self.ctx.actor is not None and self.ctx.actor.sees_patient_data
        self.actions_["compute"].setEnabled(may_compute)
        self.actions_["compute"].setToolTip(
            "Count every measure again from this center's records"
            if may_compute
            else "Computing reads patient records, so a clinical team member runs it"
        )
        self.point_info.setText("")
        if code is None:
            if self.model.rows:
                message = "Choose a measure in the list to see its chart."
            elif may_compute:  # the button may be out of sight, past the tool bar's end: its key always works
                message = "No measures yet. Press F5 (Compute now) to count them from this center's records."
            else:
                message = "No measures yet. A clinical team member counts them from the center's records (Compute now)."
            self.chart_view.show_message(message)
            self.reading.setText("")
            self.months_model.set_rows([])
            return
        try:
            self.chart = self.ctx.measures.chart(code)
        except LhnError as exc:
            self.chart_view.show_message(str(exc))
            self.reading.setText("")
            self.months_model.set_rows([])
            return
        for key in NEEDS_CHART:
            self.actions_[key].setEnabled(True)
        self.chart_view.show_chart(self.chart.spec)
        self.months_model.columns = month_columns(self.chart.measure.continuous)
        self.months_model.set_rows(self.chart.values)
        self.reading.setText(self._reading())

    def _reading(self) -> str:
        chart = self.chart
        m = chart.measure
        joiner = "among" if m.continuous else "out of"
        lines = [
            f"<b>{escape(m.title)}</b>: {escape(m.numerator_text)}, {joiner} {escape(m.denominator_text.lower())}."
        ]
        if chart.source:
            lines.append(f"Definition: {escape(chart.source)}.")
        latest_band = next(((m, b) for m, b in zip(reversed(chart.months), reversed(chart.band or []), strict=False)
                            if b[0] is not None), None)  # fmt: skip
        if latest_band is not None:
            month, (median, q1, q3) = latest_band
            unit = "%" if m.percent else ""
            lines.append(
                f"Network, as the coordinating center sent it: in {stored_month(month)} the median center was at "
                f"{median:.1f}{unit}, the middle half from {q1:.1f}{unit} to {q3:.1f}{unit} (the shaded band)."
            )
        for t in chart.own_thresholds:
            lines.append(
                f"<b>This center counts with its own threshold</b>: {escape(t.label)} {t.in_use:g} (the library's "
                f"default is {t.default:g}), because {escape(t.reason or '')}."
            )
        if chart.months_before_data:
            left_off = "is left off" if chart.months_before_data == 1 else "are left off"
            lines.append(
                f"The chart starts in {stored_month(chart.months[0])}, the first month with data; the "
                f"{counted(chart.months_before_data, 'month')} before it had none {left_off}."
            )
        if chart.phases:
            phases = "; ".join(f"from {format_month(a.on_date)}: {escape(a.reason)}" for a in chart.phases)
            lines.append(f"Phases: {phases}.")
        elif chart.freeze:
            which = "chosen" if chart.baseline_chosen else "the first 12 months"
            first, last = stored_month(chart.months[0]), stored_month(chart.months[chart.freeze - 1])
            lines.append(f"Baseline: {first} to {last} ({which}).")
        for s in chart.result.summary:
            where = f"Phase {s.part}: " if len(chart.result.summary) > 1 else ""
            if s.runs_signal:
                lines.append(
                    f"{where}<b>non-random variation</b> (longest run {s.longest_run}, limit {s.longest_run_max}; "
                    f"{s.n_crossings} crossings, at least {s.n_crossings_min} expected)."
                )
            else:
                lines.append(f"{where}no runs signal.")
            if s.sigma_signal:
                lines.append(f"{where}{counted(s.sigma_signal, 'month')} beyond the control limits.")
        for k, a in enumerate(n for n in chart.notes if n.on_date.strftime("%Y-%m") in chart.months):
            lines.append(f"{k + 1}. {format_date(a.on_date)}: {escape(a.text)}")
        return "<br>".join(lines)

    def show_point(self, index: int, from_table: bool = False) -> None:
        if self.chart is None or not 0 <= index < len(self.chart.values):
            return
        value = self.chart.values[index]
        point = self.chart.result.points[index]
        unit = "%" if self.chart.measure.percent else ""

        def fmt(v):
            if v is None:
                return "–"
            return f"{v:.1f}{unit}" if unit else f"{v:.2f}".rstrip("0").rstrip(".")

        if not self.chart.reported(value):
            self.point_info.setText(f"<b>{stored_month(value.month)}</b>: {self._too_few(value)}")
            return
        if self.chart.measure.continuous:
            of = f" of {value.denominator}" if value.denominator is not None else ""
            counts = f"{self.chart.measure.unit} from {value.numerator}{of} patients with a reading"
        else:
            counts = (
                f"{value.numerator} of {value.denominator}" if value.denominator is not None else f"{value.numerator}"
            )
        limits = f", limits {fmt(point.lcl)} to {fmt(point.ucl)}" if point.ucl is not None else ""
        flags = " · beyond the limits" if point.sigma_signal else ""
        flags += " · excluded from the calculations" if not point.include else ""
        self.point_info.setText(
            f"<b>{stored_month(value.month)}</b>: {counts} = {fmt(point.y)} · centre {fmt(point.cl)}{limits}{flags}"
            f" · {'entered by hand' if value.source == 'entered' else 'computed'}"
        )
        if not from_table:
            model_row = next((r for r, v in enumerate(self.months_model.rows) if v.month == value.month), None)
            if model_row is not None:
                self.months.selectRow(model_row)

    def _too_few(self, value) -> str:
        """Why a month is not reported: too few patients with a reading, or too small a denominator."""
        chart = self.chart
        if chart.measure.continuous:
            return (
                f"{counted(value.numerator, 'patient')} with a reading, fewer than {chart.min_values}: too few to "
                "report"
                if chart.min_values
                else "no patient had a reading"
            )
        noun = chart.measure.denominator_text.split(" ")[0].lower() or "counted"
        return f"{value.denominator or 0} {noun}, fewer than {chart.min_denominator}: too few to report"

    # -- actions ---------------------------------------------------------------------------------------------------

    def _run(self, dialog) -> None:
        if dialog.exec():
            self.refresh()

    def new_phase(self) -> None:
        from lhn_desktop.gui.measure_dialogs import PhaseDialog

        if self.chart is not None:
            self._run(PhaseDialog(self.ctx, self.chart.measure, self.chart.months, self))

    def add_note(self) -> None:
        from lhn_desktop.gui.measure_dialogs import NoteDialog

        if self.chart is not None:
            self._run(NoteDialog(self.ctx, self.chart.measure, self.ctx.today(), self))

    def choose_baseline(self) -> None:
        from lhn_desktop.gui.measure_dialogs import BaselineDialog

        if self.chart is not None:
            c = self.chart
            self._run(BaselineDialog(self.ctx, c.measure, c.months, c.freeze, c.baseline_chosen, self))

    def compare_centers(self) -> None:
        from lhn_desktop.gui.network_dialog import NetworkDialog

        code = self.current_code()
        if code is not None:
            NetworkDialog(self.ctx, self.ctx.measures.get(code), self).exec()

    def edit_thresholds(self) -> None:
        from lhn_desktop.gui.measure_dialogs import ThresholdsDialog

        code = self.current_code()
        if code is None:
            return
        self._run(ThresholdsDialog(self.ctx, self.ctx.measures.get(code), self))

    def enter_month(self) -> None:
        from lhn_desktop.gui.measure_dialogs import EnterMonthDialog
        from lhn_desktop.services.measures import complete_months

        code = self.current_code()
        if code is None:
            return
        ((last, _first, _end),) = complete_months(self.ctx.today(), 1)
        self._run(EnterMonthDialog(self.ctx, self.ctx.measures.get(code), last, self))

    def export(self) -> None:
        if self.chart is None:
            return
        code = self.chart.measure.code
        path = ask_chart_path(self, self.chart.measure.title, self.ctx.today())
        if not path:
            return
        try:
            if path.lower().endswith(".csv"):
                text = self.ctx.measures.chart_csv(code)
                with open(path, "w", encoding="utf-8", newline="") as handle:
                    handle.write(text)
            else:
                self.ctx.measures.render(code, path)
        except (LhnError, OSError) as exc:
            show_error(self, exc)

    def print_chart(self) -> None:
        """The chart shown, as exported (title, center, date), through the system's print dialog."""
        from lhn_desktop.gui.printing import print_document

        if self.chart is None:
            return
        code, title = self.chart.measure.code, self.chart.measure.title
        pages = None
        with reported(self):
            pages = print_document(self, f"Chart: {title}", lambda pdf: self.ctx.measures.render(code, pdf))
        if pages:
            self.say(f"{title}: chart sent to the printer ({pages} page{'s' if pages > 1 else ''}).")

    def show_all(self) -> None:
        """Every measure on one page: read and laid out off the window thread, with progress, then shown."""
        from lhn_desktop.gui.measure_dialogs import AllChartsDialog

        if self._drawing_all:
            return
        measures = self.ctx.measures

        def job(progress, cancel):
            return measures.page_figure(measures.page_charts(progress=progress, cancel=cancel))

        def finished() -> None:
            self._drawing_all = False
            self.actions_["all"].setEnabled(bool(self.model.rows))

        def done(figure) -> None:
            finished()
            AllChartsDialog(self.ctx, figure, self).exec()

        def failed(exc: BaseException) -> None:
            finished()
            show_error(self, exc)

        runner = self.runner()
        self._drawing_all = True
        self.actions_["all"].setEnabled(False)
        runner.submit(
            job,
            on_success=done,
            on_error=failed,
            on_cancelled=finished,
            label="Drawing every measure's chart",
            cancellable=True,
            writes=False,
        )

    def compute(self) -> None:
        def job(progress, cancel):
            return self.ctx.measures.compute(self.ctx.actor, progress=progress, cancel=cancel)

        def done(report) -> None:
            self.refresh()
            self.point_info.setText(
                f"Computed {stored_month(report.first_month)} to {stored_month(report.last_month)}: "
                f"{report.written} values changed, "
                f"{report.unchanged} unchanged, {report.kept_entered} entered by hand kept."
            )

        self.runner().submit(
            job,
            on_success=done,
            on_error=lambda exc: show_error(self, exc),
            label="Computing monthly measures",
            cancellable=True,
        )
