"""The PDSA worksheet (DOMAIN.md 3.1): plan with a prediction per question, do, study side by side, act.

Method hints show beside the form and never block saving.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.errors import LhnError
from lhn_desktop.gui.clinical_widgets import DateField
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.operations import Changed, announce
from lhn_desktop.gui.widgets import select_data
from lhn_desktop.localization import format_date
from lhn_desktop.services.improvement_rules import SCALE_UNITS, Cycle, Question, cycle_hints

PURPOSES = ("collect information", "develop a change", "test a change", "implement a change")
STATUSES = {"planning": "Planning", "doing": "Doing", "studying": "Studying", "done": "Done"}
DECISIONS = {"": "Not decided yet", "adopt": "Adopt", "adapt": "Adapt", "abandon": "Abandon"}
QUESTION_ROWS = 4


def _text_box(parent: QWidget, height: int = 54) -> QPlainTextEdit:
    box = QPlainTextEdit(parent)
    box.setTabChangesFocus(True)
    box.setFixedHeight(height)
    return box


class PdsaDialog(QDialog):
    """Opens a cycle's worksheet; Save writes every field; hints are shown, never enforced."""

    def __init__(self, ctx, cycle: Cycle, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.cycle = ctx, cycle
        self.saved_id: str | None = cycle.id
        self.setWindowTitle(f"PDSA cycle {cycle.seq}: {cycle.title or 'new'}")
        self.resize(980, 760)
        outer = QVBoxLayout(self)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        body = QWidget(scroll)
        scroll.setWidget(body)
        layout = QVBoxLayout(body)
        outer.addWidget(scroll, 1)

        head = QGroupBox("Cycle", body)
        form = QFormLayout(head)
        self.title = QLineEdit(head)
        self.purpose = QComboBox(head)
        for p in PURPOSES:
            self.purpose.addItem(p, p)
        scale_row = QHBoxLayout()
        self.scale_n = QSpinBox(head)
        self.scale_n.setRange(0, 100_000)
        self.scale_n.setSpecialValueText("not set")
        self.scale_unit = QComboBox(head)
        for unit in SCALE_UNITS:
            self.scale_unit.addItem(unit, unit)
        scale_row.addWidget(self.scale_n)
        scale_row.addWidget(self.scale_unit)
        # dates as every other form takes them (the computer's order or ISO, or a calendar), shown with the month's name
        self.start = DateField("start_date", "start date", head, optional=True)
        self.end = DateField("end_date", "end date", head, optional=True)
        self.status = QComboBox(head)
        for key, label in STATUSES.items():
            self.status.addItem(label, key)
        for label, widget in (("&Title:", self.title), ("P&urpose:", self.purpose), ("S&cale of the test:", scale_row),
                              ("Sta&rt:", self.start), ("&End:", self.end), ("Stat&us:", self.status)):  # fmt: skip
            lab = QLabel(label, head)
            if isinstance(widget, QWidget):
                lab.setBuddy(widget)
                form.addRow(lab, widget)
            else:
                lab.setBuddy(self.scale_n)
                form.addRow(lab, widget)
        layout.addWidget(head)

        plan = QGroupBox("Plan", body)
        plan_form = QFormLayout(plan)
        self.objective = _text_box(plan)
        plan_form.addRow("&Objective:", self.objective)
        grid = QGridLayout()
        grid.addWidget(QLabel("<b>Question</b>", plan), 0, 0)
        grid.addWidget(QLabel("<b>Prediction</b> (before the test)", plan), 0, 1)
        grid.addWidget(QLabel("<b>Result</b> (study)", plan), 0, 2)
        self.questions: list[tuple[QLineEdit, QLineEdit, QLineEdit]] = []
        for row in range(QUESTION_ROWS):
            cells = (QLineEdit(plan), QLineEdit(plan), QLineEdit(plan))
            cells[0].setPlaceholderText(f"Question {row + 1}")
            for col, cell in enumerate(cells):
                grid.addWidget(cell, row + 1, col)
            self.questions.append(cells)
        plan_form.addRow(grid)
        self.plan_who, self.plan_what = QLineEdit(plan), _text_box(plan)
        self.plan_when, self.plan_where = QLineEdit(plan), QLineEdit(plan)
        self.plan_tasks, self.data_plan = _text_box(plan), _text_box(plan)
        for label, widget in (("&Who:", self.plan_who), ("W&hat:", self.plan_what), ("W&hen:", self.plan_when),
                              ("Whe&re:", self.plan_where), ("Tas&ks:", self.plan_tasks),
                              ("&Data collection plan:", self.data_plan)):  # fmt: skip
            plan_form.addRow(label, widget)
        layout.addWidget(plan)

        do = QGroupBox("Do", body)
        do_form = QFormLayout(do)
        self.as_planned = QComboBox(do)
        for label, value in (("Not yet said", None), ("Yes", True), ("No, with changes", False)):
            self.as_planned.addItem(label, value)
        self.observations, self.problems = _text_box(do), _text_box(do)
        do_form.addRow("Carried out &as planned:", self.as_planned)
        do_form.addRow("&Observations:", self.observations)
        do_form.addRow("&Problems and surprises:", self.problems)
        layout.addWidget(do)

        study = QGroupBox("Study (the results sit beside each prediction above)", body)
        study_form = QFormLayout(study)
        self.study = _text_box(study, 70)
        study_form.addRow("&Summary of what was learned:", self.study)
        layout.addWidget(study)

        act = QGroupBox("Act", body)
        act_form = QFormLayout(act)
        self.decision = QComboBox(act)
        for key, label in DECISIONS.items():
            self.decision.addItem(label, key)
        self.next_step = _text_box(act)
        act_form.addRow("De&cision:", self.decision)
        act_form.addRow("&Next step:", self.next_step)
        layout.addWidget(act)

        self.hints = QLabel(self)
        self.hints.setWordWrap(True)
        self.hints.setObjectName("methodHints")
        outer.addWidget(self.hints)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel,
                                   parent=self)  # fmt: skip
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        self.save_button: QPushButton = buttons.button(QDialogButtonBox.StandardButton.Save)
        outer.addWidget(buttons)
        self.load(cycle)

    def load(self, c: Cycle) -> None:
        self.title.setText(c.title)
        select_data(self.purpose, c.purpose)
        self.scale_n.setValue(c.scale_n or 0)
        select_data(self.scale_unit, c.scale_unit)
        self.start.setText(format_date(c.start_date) if c.start_date else "")
        self.end.setText(format_date(c.end_date) if c.end_date else "")
        select_data(self.status, c.status)
        self.objective.setPlainText(c.objective or "")
        for row, cells in enumerate(self.questions):
            q = c.questions[row] if row < len(c.questions) else Question("")
            for cell, value in zip(cells, (q.text, q.prediction, q.result), strict=True):
                cell.setText(value)
        self.plan_who.setText(c.plan_who or "")
        self.plan_what.setPlainText(c.plan_what or "")
        self.plan_when.setText(c.plan_when or "")
        self.plan_where.setText(c.plan_where or "")
        self.plan_tasks.setPlainText(c.plan_tasks or "")
        self.data_plan.setPlainText(c.data_plan or "")
        self.as_planned.setCurrentIndex(max(0, self.as_planned.findData(c.do_as_planned)))
        self.observations.setPlainText(c.do_observations or "")
        self.problems.setPlainText(c.do_problems or "")
        self.study.setPlainText(c.study_summary or "")
        select_data(self.decision, c.act_decision or "")
        self.next_step.setPlainText(c.act_next_step or "")
        self.show_hints(c)

    def current(self) -> Cycle:
        questions = tuple(Question(q.text(), p.text(), r.text()) for q, p, r in self.questions if q.text().strip())
        return replace(
            self.cycle,
            title=self.title.text(),
            purpose=self.purpose.currentData(),
            scale_n=self.scale_n.value() or None,
            scale_unit=self.scale_unit.currentData(),
            start_date=self.start.value(),
            end_date=self.end.value(),
            status=self.status.currentData(),
            objective=self.objective.toPlainText(),
            questions=questions,
            plan_who=self.plan_who.text(),
            plan_what=self.plan_what.toPlainText(),
            plan_when=self.plan_when.text(),
            plan_where=self.plan_where.text(),
            plan_tasks=self.plan_tasks.toPlainText(),
            data_plan=self.data_plan.toPlainText(),
            do_as_planned=self.as_planned.currentData(),
            do_observations=self.observations.toPlainText(),
            do_problems=self.problems.toPlainText(),
            study_summary=self.study.toPlainText(),
            act_decision=self.decision.currentData() or None,
            act_next_step=self.next_step.toPlainText(),
        )

    def show_hints(self, cycle: Cycle) -> None:
        hints = cycle_hints(cycle, has_follow_up=False, today=self.ctx.today())
        self.hints.setText("Hints: " + " ".join(h.text for h in hints) if hints else "")

    def save(self) -> None:
        try:
            cycle = self.current()
            self.saved_id = self.ctx.improvement.save_cycle(self.ctx.actor, cycle)
        except LhnError as exc:
            show_error(self, exc)
            return
        self.accept()
        announce(self, Changed.IMPROVEMENT)
