"""Dialogs of the Measures page: a new phase, a chart note, the baseline, a month entered by hand, all charts."""

from __future__ import annotations

from datetime import date

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.errors import LhnError
from lhn_desktop.gui.clinical_widgets import DayEdit
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.forms import FormDialog
from lhn_desktop.gui.operations import Changed
from lhn_desktop.localization import stored_month


def _pdsa_combo(parent: QWidget, choices) -> QComboBox:
    combo = QComboBox(parent)
    combo.addItem("No PDSA cycle", None)
    for choice in choices:
        when = f" (from {choice.start_date:%d %b %Y})" if choice.start_date else ""
        combo.addItem(f"{choice.label}{when}", choice.id)
    return combo


class PhaseDialog(FormDialog):
    """Start a new phase: the centre line and limits are computed again from that month on."""

    changes = Changed.MEASURES

    def __init__(self, ctx, measure, months: list[str], parent: QWidget | None = None) -> None:
        super().__init__(
            f"New phase: {measure.title}",
            f"{measure.title}: start a new phase only when the process really changed, for example when a "
            "tested change was adopted. The chart then computes a new centre line and limits from that month on.",
            parent,
        )
        self.ctx, self.code = ctx, measure.code
        self.month = self.row("&Starts in:", QComboBox(self))
        for month in months[1:]:
            self.month.addItem(stored_month(month, full=True), month)
        self.month.setCurrentIndex(self.month.count() - 1)
        self.reason = self.row("&Why it changed:", QPlainTextEdit(self))
        self.reason.setTabChangesFocus(True)
        self.reason.setPlaceholderText("e.g. Nurse pre-visit checklist adopted for every clinic after the PDSA ramp")
        self.reason.setFixedHeight(72)
        self.pdsa = self.row("Linked &PDSA:", _pdsa_combo(self, ctx.measures.pdsa_choices()))

    def save(self) -> None:
        self.ctx.measures.add_phase(
            self.ctx.actor, self.code, self.month.currentData(), self.reason.toPlainText(), self.pdsa.currentData()
        )


class NoteDialog(FormDialog):
    """A note on the chart at a date, optionally linked to a PDSA cycle."""

    changes = Changed.MEASURES

    def __init__(self, ctx, measure, on: date, parent: QWidget | None = None) -> None:
        super().__init__(
            f"Note on the chart: {measure.title}",
            f"A short note shown as a numbered marker on the chart of {measure.title}.",
            parent,
        )
        self.ctx, self.code = ctx, measure.code
        self.on = self.row("&Date:", DayEdit(on, self))  # Tab leaves it; the arrows walk its parts
        self.text = self.row("&Note:", QLineEdit(self))
        self.text.setMaxLength(300)
        self.text.setPlaceholderText("e.g. New scales at check-in")
        self.pdsa = self.row("Linked &PDSA:", _pdsa_combo(self, ctx.measures.pdsa_choices()))

    def save(self) -> None:
        self.ctx.measures.add_note(self.ctx.actor, self.code, self.on.day(), self.text.text(), self.pdsa.currentData())


class BaselineDialog(FormDialog):
    """Which months make the baseline the centre line and limits are frozen on."""

    changes = Changed.MEASURES

    def __init__(self, ctx, measure, months: list[str], current: int | None, chosen: bool, parent=None) -> None:
        super().__init__(
            f"Baseline: {measure.title}",
            "The centre line and limits are computed from the baseline months and kept for the months after, "
            "so a change shows up against how things were. By default the baseline is the first 12 months with "
            "data once there are more than 12. A chart with phases uses each phase's own months instead.",
            parent,
        )
        self.ctx, self.code = ctx, measure.code
        self.last = self.row("&Last baseline month:", QComboBox(self))
        self.last.addItem("Default (the first 12 months with data)", None)
        for month in months:
            self.last.addItem(stored_month(month, full=True), month)
        if chosen and current:
            self.last.setCurrentIndex(current)

    def save(self) -> None:
        self.ctx.measures.set_baseline(self.ctx.actor, self.code, self.last.currentData())


class EnterMonthDialog(FormDialog):
    """A month's numerator and denominator typed in, e.g. from a paper audit."""

    changes = Changed.MEASURES

    def __init__(self, ctx, measure, month: str, parent: QWidget | None = None) -> None:
        super().__init__(
            f"Enter a month: {measure.title}",
            f"Numerator: {measure.numerator_text}. Denominator: {measure.denominator_text}. A month entered by "
            "hand is kept when the measures are computed again.",
            parent,
        )
        self.ctx, self.code = ctx, measure.code
        self.month = self.row("&Month (YYYY-MM):", QLineEdit(month, self))
        self.numerator = self.row("&Numerator:", QSpinBox(self))
        self.denominator = self.row("&Denominator:", QSpinBox(self))
        for box in (self.numerator, self.denominator):
            box.setRange(0, 1_000_000)

    def save(self) -> None:
        self.ctx.measures.enter_value(
            self.ctx.actor, self.code, self.month.text().strip(), self.numerator.value(), self.denominator.value()
        )


class AllChartsDialog(QDialog):
    """Every measure as a small chart on one page (a figure prepared off the window thread), to export."""

    def __init__(self, ctx, figure, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg

        self.ctx = ctx
        self.setWindowTitle("All measures")
        self.resize(1100, 760)
        self.canvas = FigureCanvasQTAgg(figure)
        layout = QVBoxLayout(self)
        layout.addWidget(self.canvas, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, parent=self)
        self.export_button = QPushButton("&Export page…", self)
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.export_button.clicked.connect(self.export)
        layout.addWidget(buttons)

    def export(self) -> None:
        from lhn_desktop.gui.files import ask_chart_path

        path = ask_chart_path(self, "All measures", self.ctx.today(), csv=False)
        if path:
            try:
                self.ctx.measures.render_page(path)
            except LhnError as exc:
                show_error(self, exc)
