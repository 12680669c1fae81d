"""The patient page's "Goals and tasks" tab: the screen used with the family at the visit."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from lhn_desktop.errors import LhnError
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.models import Column
from lhn_desktop.gui.operations import Changed, reported, run_op, run_query
from lhn_desktop.gui.widgets import RecordsView, page_actions
from lhn_desktop.localization import counted
from lhn_desktop.services.goals import GOAL_LEVELS, GOAL_OWNERS, GOAL_STATUSES, TASK_RESPONSIBLE


def _gas(value) -> str:
    return "" if value is None else f"{value:+d}" if value else "0"


class CareTab(QWidget):
    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.patient_id: str | None = None
        self.care = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        self.actions_, tools = page_actions(
            self,
            (
                ("goal", "New goal…", "Ctrl+Shift+G", self.new_goal),
                ("follow", "Follow-up…", "Ctrl+Shift+F", self.follow_up),
                ("task", "New task…", "Ctrl+Shift+T", self.new_task),
                ("done", "Task done", "Ctrl+Shift+D", self.task_done),
                ("collaborate", "collaboRATE (patient)…", "Ctrl+Shift+R", lambda: self.collaborate("patient")),
                ("collaborate_parent", "collaboRATE (parent)…", "Ctrl+Shift+E", lambda: self.collaborate("parent")),
                ("addressed", "Agenda item addressed", "Ctrl+Shift+K", self.agenda_addressed),
                ("print", "Print visit summary…", "Ctrl+P", self.print_visit_summary),
                ("summary", "Save visit summary (PDF)…", "Ctrl+Shift+P", self.visit_summary),
            ),
        )
        layout.addWidget(tools)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        split = QSplitter(Qt.Orientation.Vertical, self)
        self.goals = RecordsView(
            [
                Column("Level", lambda g: GOAL_LEVELS.get(g.level, g.level)),
                Column("Goal, in their words", lambda g: g.text),
                Column("Whose", lambda g: GOAL_OWNERS.get(g.owner, g.owner)),
                Column("Target", lambda g: g.target_date),
                Column("Review", lambda g: g.review_date),
                Column("Status", lambda g: GOAL_STATUSES.get(g.status, g.status)),
                Column("Latest GAS", lambda g: _gas(g.latest_score), True),
            ],
            split,
        )
        self.tasks = RecordsView(
            [
                Column("Task", lambda t: t.what),
                Column("For", lambda t: t.responsible_name or TASK_RESPONSIBLE.get(t.responsible, t.responsible)),
                Column("Due", lambda t: t.due_date),
                Column("Done", lambda t: t.done_on or ("overdue" if t.overdue(self.ctx.today()) else "")),
            ],
            split,
        )
        self.agenda = RecordsView(
            [
                Column("Agenda", lambda a: {"matters_most": "What matters most", "concern": "Concern",
                                            "question": "Question"}.get(a.kind, a.kind)),
                Column("In their words", lambda a: a.text),
                Column("Heard by", lambda a: a.source),
                Column("Entered", lambda a: a.entered_on),
                Column("Addressed", lambda a: "yes" if a.addressed else ""),
            ],
            split,
        )  # fmt: skip
        self.collaborate_view = RecordsView(
            [
                Column("collaboRATE", lambda r: r.answered_on),
                Column("By", lambda r: r.respondent),
                Column("1", lambda r: r.items[0], True),
                Column("2", lambda r: r.items[1], True),
                Column("3", lambda r: r.items[2], True),
                Column("Top box", lambda r: "yes" if r.top_box else ("incomplete" if not r.complete else "no")),
            ],
            split,
        )
        for view in (self.agenda, self.goals, self.tasks, self.collaborate_view):
            view.setMinimumHeight(56)  # the window must still fit a small clinic screen
            split.addWidget(view)
        layout.addWidget(split, 1)

    def show_patient(self, patient_id: str | None) -> None:
        self.patient_id = patient_id
        for action in self.actions_.values():
            action.setEnabled(patient_id is not None)
        if patient_id is None:
            self.care = None
            for view in (self.agenda, self.goals, self.tasks, self.collaborate_view):
                view.rows_model.set_rows([])
            self.summary.setText("")
            return
        self.care = self.ctx.goals.care(self.ctx.actor, patient_id)
        self.goals.rows_model.set_rows(list(self.care.goals))
        self.tasks.rows_model.set_rows(list(self.care.tasks))
        self.collaborate_view.rows_model.set_rows(list(self.care.collaborate))
        self.agenda.rows_model.set_rows(self.ctx.planning.agenda(self.ctx.actor, patient_id))
        t = self.care.t_score
        active = sum(1 for g in self.care.goals if g.status == "active")
        open_tasks = sum(1 for t_ in self.care.tasks if t_.done_on is None)
        score = (
            f"GAS T-score {t:.1f} (weighted {self.care.t_score_weighted:.1f})" if t is not None else "no follow-ups yet"
        )
        self.summary.setText(f"{counted(active, 'active goal')} · {score} · {counted(open_tasks, 'open task')}")

    def _after(self, dialog) -> None:
        dialog.exec()  # saved, the form announces it: the Patients page shows this patient again

    def new_goal(self) -> None:
        from lhn_desktop.gui.goal_dialogs import GoalDialog

        if self.patient_id:
            self._after(GoalDialog(self.ctx, self.patient_id, self.care.goals if self.care else (), self))

    def follow_up(self) -> None:
        from lhn_desktop.gui.goal_dialogs import FollowUpDialog

        goal = self.goals.current_row()
        if goal is None:
            show_error(self, LhnError("Choose the goal to follow up in the goals list first."))
            return
        self._after(FollowUpDialog(self.ctx, goal, self))

    def new_task(self) -> None:
        from lhn_desktop.gui.goal_dialogs import TaskDialog

        if self.patient_id:
            self._after(TaskDialog(self.ctx, self.patient_id, self))

    def task_done(self) -> None:
        task = self.tasks.current_row()
        if task is None:
            show_error(self, LhnError("Choose the task in the tasks list first."))
            return
        run_op(self, lambda: self.ctx.goals.complete_task(self.ctx.actor, task.id, task.done_on is None),
               changes=Changed.PLANS)  # fmt: skip

    def agenda_addressed(self) -> None:
        item = self.agenda.current_row()
        if item is None:
            show_error(self, LhnError("Choose the agenda item in the agenda list first."))
            return
        run_op(self, lambda: self.ctx.planning.set_agenda_addressed(self.ctx.actor, item.id, not item.addressed),
               changes=Changed.PLANS)  # fmt: skip

    def visit_summary(self) -> None:
        from lhn_desktop.gui.files import ask_save_path, suggested_name

        if not self.patient_id:
            return
        # named for the day, never the patient: a file name shows in folders and recent-file lists
        path = ask_save_path(self, "Save the visit summary", "visit-summary", suggested_name("Visit summary"),
                             ["PDF (*.pdf)"], patient_data=True)  # fmt: skip
        if path is None:
            return
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        patient = self.patient_id

        def saved(_written: object) -> None:
            self.summary.setText(f"{self.summary.text()} · visit summary saved to {path}")

        run_query(self, lambda: self.ctx.goals.visit_summary(self.ctx.actor, patient, path), done=saved)

    def print_visit_summary(self) -> None:
        """The visit summary for the family, through the system's print dialog."""
        from lhn_desktop.gui.printing import print_document

        if not self.patient_id:
            return
        patient = self.patient_id
        pages = None
        with reported(self):
            pages = print_document(self, "Visit summary",
                                   lambda pdf: self.ctx.goals.visit_summary(self.ctx.actor, patient, pdf))  # fmt: skip
        if pages:
            self.summary.setText(f"{self.summary.text()} · visit summary sent to the printer")

    def collaborate(self, respondent: str) -> None:
        from lhn_desktop.gui.goal_dialogs import CollaborateDialog

        if not self.patient_id:
            return
        CollaborateDialog(self.ctx, self.patient_id, respondent, parent=self).exec()  # answered or not
        lock = getattr(self.window(), "lock", None)
        if lock is not None:  # the family hands the computer back: nothing is shown until a team member's PIN
            lock("The family has handed the computer back.")
        self.show_patient(self.patient_id)
