"""Dialogs used with the family: a goal in their words, a GAS follow-up, a task, and collaboRATE."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.errors import LhnError
from lhn_desktop.gui.clinical_widgets import DateField
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.forms import FormDialog
from lhn_desktop.gui.operations import Changed
from lhn_desktop.services.goals import GOAL_LEVELS, GOAL_OWNERS, TASK_RESPONSIBLE, collaborate_form

GAS_CHOICES = (
    (2, "+2 much better than expected"),
    (1, "+1 better than expected"),
    (0, "0 as expected (the goal)"),
    (-0.5, "-½ some progress (reported as -1)"),
    (-1, "-1 less than expected"),
    (-2, "-2 much less than expected"),
)


class GoalDialog(FormDialog):
    changes = Changed.PLANS

    def __init__(self, ctx, patient_id: str, goals, parent: QWidget | None = None) -> None:
        super().__init__("New goal", "Write the goal in the patient's or parent's own words.", parent)
        self.ctx, self.patient_id = ctx, patient_id
        self.level = self.row("&Level:", QComboBox(self))
        for key, label in GOAL_LEVELS.items():
            self.level.addItem(label, key)
        self.text = self.row("Their &words:", QLineEdit(self))
        self.text.setMaxLength(500)
        self.text.setPlaceholderText("e.g. Play the whole soccer season")
        self.owner = self.row("&Whose goal:", QComboBox(self))
        for key, label in GOAL_OWNERS.items():
            self.owner.addItem(label, key)
        self.serves = self.row("&Serves:", QComboBox(self))
        self.serves.addItem("(no other goal)", None)
        for g in goals:
            self.serves.addItem(g.text[:60], g.id)
        self.target = self.row("&Target date:", DateField("target_date", "target date", self, optional=True))
        self.review = self.row("&Review date:", DateField("review_date", "review date", self, optional=True))
        self.weight = self.row("W&eight:", QSpinBox(self))
        self.weight.setRange(1, 10)
        self.goal_id: str | None = None

    def save(self) -> None:
        self.goal_id = self.ctx.goals.add_goal(
            self.ctx.actor,
            self.patient_id,
            level=self.level.currentData(),
            text=self.text.text(),
            owner=self.owner.currentData(),
            target_date=self.target.value(),
            review_date=self.review.value(),
            serves_goal_id=self.serves.currentData(),
            weight=self.weight.value(),
        )


class FollowUpDialog(FormDialog):
    changes = Changed.PLANS

    def __init__(self, ctx, goal, parent: QWidget | None = None) -> None:
        super().__init__(f"Follow-up: {goal.text[:50]}", "How far did it go, compared with what was expected?", parent)
        self.ctx, self.goal = ctx, goal
        self.score = self.row("&Attainment:", QComboBox(self))
        for value, label in GAS_CHOICES:
            self.score.addItem(label, value)
        self.score.setCurrentIndex(2)
        self.satisfied = self.row("&Satisfied with progress:", QComboBox(self))
        for label, value in (("Yes", True), ("No", False), ("Not asked", None)):
            self.satisfied.addItem(label, value)
        self.note_ = self.row("&Note:", QLineEdit(self))

    def save(self) -> None:
        self.ctx.goals.add_follow_up(self.ctx.actor, self.goal.id, self.ctx.today(), self.score.currentData(),
                                     self.satisfied.currentData(), self.note_.text())  # fmt: skip


class TaskDialog(FormDialog):
    changes = Changed.PLANS

    def __init__(self, ctx, patient_id: str, parent: QWidget | None = None) -> None:
        super().__init__("New task", "What is to be done, by whom, and by when.", parent)
        self.ctx, self.patient_id = ctx, patient_id
        self.what = self.row("&What:", QLineEdit(self))
        self.what.setMaxLength(300)
        self.responsible = self.row("&For:", QComboBox(self))
        for key, label in TASK_RESPONSIBLE.items():
            self.responsible.addItem(label, key)
        self.name = self.row("&Name:", QLineEdit(self))
        self.name.setPlaceholderText("optional, e.g. Mum or Nurse Casey")
        self.due = self.row("&Due:", DateField("due_date", "due date", self, optional=True))

    def save(self) -> None:
        self.ctx.goals.add_task(self.ctx.actor, self.patient_id, self.what.text(), self.responsible.currentData(),
                                self.name.text(), self.due.value())  # fmt: skip


class _Scale(QWidget):
    """One question: ten large buttons 0-9; digits on the keyboard choose too."""

    def __init__(self, number: int, question: str, low: str, high: str, parent: QWidget) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        label = QLabel(f"{number}. {question}", self)
        label.setWordWrap(True)
        label.setObjectName("collaborateQuestion")
        layout.addWidget(label)
        grid = QGridLayout()
        self.group = QButtonGroup(self)
        for value in range(10):
            button = QPushButton(str(value), self)
            button.setCheckable(True)
            button.setMinimumSize(56, 56)
            button.setAccessibleName(f"Question {number}: {value}")
            self.group.addButton(button, value)
            grid.addWidget(button, 0, value)
        ends = QHBoxLayout()
        ends.addWidget(QLabel(f"0 = {low}", self))
        ends.addStretch(1)
        ends.addWidget(QLabel(f"9 = {high}", self))
        layout.addLayout(grid)
        layout.addLayout(ends)

    def value(self) -> int | None:
        chosen = self.group.checkedId()
        return None if chosen < 0 else chosen

    def choose(self, value: int) -> None:
        self.group.button(value).setChecked(True)
        self.group.button(value).setFocus()


class CollaborateDialog(QDialog):
    """collaboRATE handed to the family: large, touch and keyboard; only the questions; ends locked."""

    def __init__(self, ctx, patient_id: str, respondent: str, visit_id: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.ctx, self.patient_id, self.respondent, self.visit_id = ctx, patient_id, respondent, visit_id
        self.saved_id: str | None = None
        form = collaborate_form()
        self.setWindowTitle("collaboRATE")
        self.setModal(True)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        self.setFont(font)
        # the chosen answer must be obvious at arm's length
        self.setStyleSheet("QPushButton:checked { background: #1f4e79; color: white; font-weight: bold; }")
        self.stack = QStackedWidget(self)
        outer = QVBoxLayout(self)
        outer.addWidget(self.stack)
        questions = QWidget(self)
        layout = QVBoxLayout(questions)
        which = form["forms"][respondent]
        intro = QLabel(which["intro"], questions)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        scale = form["scale"]
        self.scales = [_Scale(k + 1, q, scale["low"], scale["high"], questions) for k, q in enumerate(which["items"])]
        for s in self.scales:
            layout.addWidget(s)
        self.done_button = QPushButton("I have finished", questions)
        self.done_button.setMinimumHeight(56)
        self.done_button.clicked.connect(self.finish)
        layout.addWidget(self.done_button)
        attribution = QLabel(form["attribution"], questions)
        attribution.setWordWrap(True)
        small = QFont(self.font())
        small.setPointSizeF(self.font().pointSizeF() * 0.55)
        attribution.setFont(small)
        layout.addWidget(attribution)
        self.stack.addWidget(questions)
        locked = QWidget(self)
        lock_layout = QVBoxLayout(locked)
        thanks = QLabel("Thank you. Please hand the computer back to the team.", locked)
        thanks.setAlignment(Qt.AlignmentFlag.AlignCenter)
        thanks.setWordWrap(True)
        lock_layout.addStretch(1)
        lock_layout.addWidget(thanks)
        self.unlock = QPushButton("Team member: continue with your PIN (Ctrl+Shift+U)", locked)
        self.unlock.clicked.connect(self.accept)
        lock_layout.addWidget(self.unlock, 0, Qt.AlignmentFlag.AlignCenter)
        lock_layout.addStretch(1)
        self.stack.addWidget(locked)
        self.current = 0
        if parent is not None:
            self.resize(parent.window().size())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.stack.currentIndex() == 1:
            # locked: only the team's shortcut continues; Escape cannot skip back to the patient page
            mods = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
            if event.key() == Qt.Key.Key_U and event.modifiers() == mods:
                self.accept()
            return
        text = event.text()
        if text.isdigit():
            self.scales[self.current].choose(int(text))
            self.current = min(self.current + 1, len(self.scales) - 1)
            return
        if event.key() == Qt.Key.Key_Escape:
            return  # the family cannot close it by accident; "I have finished" saves what was answered
        super().keyPressEvent(event)

    def reject(self) -> None:
        if self.stack.currentIndex() == 0 and not any(s.value() is not None for s in self.scales):
            super().reject()

    def finish(self) -> None:
        answers = tuple(s.value() for s in self.scales)
        if all(a is None for a in answers):
            super().reject()
            return
        try:
            self.saved_id = self.ctx.goals.record_collaborate(self.ctx.actor, self.patient_id, self.respondent,
                                                              answers, self.visit_id)  # fmt: skip
        except LhnError as exc:
            show_error(self, exc)
            return
        self.stack.setCurrentIndex(1)
        self.unlock.setFocus()
