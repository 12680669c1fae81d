"""Dialogs of the Measures page: a new phase, a chart note, the baseline, a month entered by hand, the center's own
thresholds, all charts."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QLabel,
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
from lhn_desktop.gui.widgets import select_data
from lhn_desktop.localization import format_date, stored_month
from lhn_desktop.services.measures import complete_months


def _pdsa_combo(parent: QWidget, choices) -> QComboBox:
    """The PDSA cycles to link, by title (each whole in its tool tip; ``FormDialog.row`` keeps the box's width sane)."""
    combo = QComboBox(parent)
    combo.addItem("No PDSA cycle", None)
    for choice in choices:
        when = f" (from {format_date(choice.start_date)})" if choice.start_date else ""
        combo.addItem(f"{choice.label}{when}", choice.id)
        combo.setItemData(combo.count() - 1, f"{choice.label}{when}", Qt.ItemDataRole.ToolTipRole)
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


#: how many months back a month may be entered by hand (a paper audit, a registry's old report)
MONTHS_OFFERED = 60


class EnterMonthDialog(FormDialog):
    """A month's numerator and denominator typed in, e.g. from a paper audit; for a continuous measure, the month's
    median or mean and how many patients it covers."""

    changes = Changed.MEASURES

    def __init__(self, ctx, measure, month: str, parent: QWidget | None = None) -> None:
        continuous = measure.continuous
        explanation = (
            f"Value: {measure.numerator_text}. Patients: {measure.denominator_text}."
            if continuous
            else f"Numerator: {measure.numerator_text}. Denominator: {measure.denominator_text}."
        )
        super().__init__(
            f"Enter a month: {measure.title}",
            f"{explanation} A month entered by hand is kept when the measures are computed again.",
            parent,
        )
        self.ctx, self.code = ctx, measure.code
        # the month by its name, this month and the five years before it, ``month`` (the last complete one)
        # chosen: typed as YYYY-MM it was the one place a person wrote a month as the database stores it
        self.month = self.row("&Month:", QComboBox(self))
        today = ctx.today()
        for key in [f"{today:%Y-%m}"] + [m for m, _first, _last in reversed(complete_months(today, MONTHS_OFFERED))]:
            self.month.addItem(stored_month(key, full=True), key)
        select_data(self.month, month)
        self.value: QDoubleSpinBox | None = None
        if continuous:
            self.value = self.row(f"&Value ({measure.unit}):", QDoubleSpinBox(self))
            self.value.setRange(-100_000, 100_000)
            self.value.setDecimals(2)
        self.numerator = self.row("Patients with a &reading:" if continuous else "&Numerator:", QSpinBox(self))
        self.denominator = self.row("&Patients in the measure:" if continuous else "&Denominator:", QSpinBox(self))
        for box in (self.numerator, self.denominator):
            box.setRange(0, 1_000_000)

    def save(self) -> None:
        self.ctx.measures.enter_value(
            self.ctx.actor,
            self.code,
            self.month.currentData(),
            self.numerator.value(),
            self.denominator.value(),
            None if self.value is None else self.value.value(),
        )


class ThresholdsDialog(FormDialog):
    """The thresholds of a definition a center may set for itself, where the network's own is not public."""

    changes = Changed.MEASURES

    def __init__(self, ctx, measure, parent: QWidget | None = None) -> None:
        super().__init__(
            f"This center's thresholds: {measure.title}",
            "Where the network's own threshold is not public, the library uses its own and a center may set the "
            "one it was given. The chart then says which it uses and why, and its months are marked as counted with "
            "the center's own threshold. Set a box back to the default to use the library's.",
            parent,
        )
        self.ctx, self.code = ctx, measure.code
        self.items = ctx.measures.thresholds(measure.code)
        self.boxes: list[QDoubleSpinBox] = []
        for t in self.items:
            box = QDoubleSpinBox(self)
            box.setDecimals(0 if t.whole else 2)
            box.setSingleStep(1 if t.whole else 0.1)
            box.setRange(t.lowest, t.highest)
            box.setValue(t.in_use)
            box.setToolTip(f"Allowed {t.lowest:g} to {t.highest:g}; the library's default is {t.default:g}.")
            self.boxes.append(self.row(f"{t.label} (default {t.default:g}):", box))
        self.reason = self.row("&Why:", QLineEdit(self))
        self.reason.setText(next((t.reason for t in self.items if t.reason), ""))
        self.reason.setPlaceholderText("e.g. the network's definition as sent to our center in March")
        note = QLabel("Compute the measures again (F5) to count with the new thresholds.", self)
        note.setWordWrap(True)
        self.layout().insertWidget(self.layout().count() - 1, note)

    def save(self) -> None:
        for t, box in zip(self.items, self.boxes, strict=True):
            value = box.value()
            same = value == t.default
            if same and t.value is None:
                continue  # left at the library's default
            self.ctx.measures.set_threshold(
                self.ctx.actor, self.code, t.name, None if same else value, self.reason.text()
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
