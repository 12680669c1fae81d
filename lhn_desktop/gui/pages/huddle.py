"""Huddle: the clinic day's patients in time order, with what is due, what the family wants to discuss, and flags."""

from __future__ import annotations

import html
from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QSplitter,
    QTextBrowser,
)

from lhn_desktop.gui.clinical_widgets import DayEdit
from lhn_desktop.gui.models import Column
from lhn_desktop.gui.operations import Changed, reported, run_op, run_query
from lhn_desktop.gui.pages.base import Page
from lhn_desktop.gui.widgets import RecordsView, page_actions
from lhn_desktop.localization import format_date, format_datetime, format_month
from lhn_desktop.services.words.planning import VISIT_STATES

PLAN_LABELS = {"not_started": "Not started", "in_progress": "In progress", "done": "Done"}
RED, AMBER = "#b00020", "#8a5a00"


def _remission(row) -> str:
    """Only what needs a look: not in remission, or no PGA to tell (the plan below has the values)."""
    if row.in_remission is False:
        return "Not in remission"
    if row.in_remission is None and row.pack == "ibd":
        return "No PGA"
    return ""


def _tasks(row) -> str:
    if row.overdue_tasks:
        return f"{row.overdue_tasks} overdue" + (f" of {row.open_tasks}" if row.open_tasks > row.overdue_tasks else "")
    return f"{row.open_tasks} open" if row.open_tasks else ""


STATUS_ORDER = {"Overdue": 0, "Due": 1, "Due soon": 2, "Not due": 3, "Completed": 4, "Not applicable": 5}
STATUS_COLOURS = {"Overdue": "#b03a2e", "Due": "#b9770e", "Due soon": "#7d6608"}
AGENDA_LABELS = {"matters_most": "What matters most", "concern": "Concern", "question": "Question"}


class HuddlePage(Page):
    title = "Huddle"
    explanation = (
        "The clinic day's patients in time order, with what is due or overdue, what the family wants to talk "
        "about, and flags for the huddle. Arrow keys move; Enter opens the patient; Ctrl+R records the visit; "
        "Ctrl+D marks the pre-visit plan done (again to reopen it); Ctrl+G adds the family's agenda item; Ctrl+N "
        "edits the plan's notes."
    )
    shows = Changed.PATIENTS | Changed.VISITS | Changed.PLANS
    patient_data = True

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        bar = QHBoxLayout()
        label = QLabel("Clinic &date:", self)
        self.date = DayEdit(parent=self)
        label.setBuddy(self.date)
        days_label = QLabel("&Next clinic days:", self)
        self.days = QComboBox(self)
        self.days.setMinimumContentsLength(24)
        days_label.setBuddy(self.days)
        bar.addWidget(label)
        bar.addWidget(self.date)
        bar.addSpacing(24)
        bar.addWidget(days_label)
        bar.addWidget(self.days)
        bar.addStretch(1)
        self.actions_, tools = page_actions(
            self,
            (
                ("record", "Record visit…", "Ctrl+R", self.record_visit),
                ("missed", "Missed (no-show)", "Ctrl+M", self.mark_missed),
                ("done", "Mark plan done", "Ctrl+D", self.toggle_done),
                ("import", "Import schedule…", "Ctrl+I", self.import_schedule),
                ("agenda", "Agenda item…", "Ctrl+G", self.add_agenda),
                ("notes", "Plan notes…", "Ctrl+N", self.edit_notes),
                ("print", "Print huddle sheet…", "Ctrl+P", self.print_huddle_sheet),
                ("sheet", "Save huddle sheet (PDF)…", "Ctrl+Shift+S", self.huddle_sheet),
                ("add", "Add visit…", "Ctrl+Shift+A", self.add_visit),
                ("move", "Move visit…", "Ctrl+Shift+M", self.move_visit),
                ("cancel", "Cancel visit", "Ctrl+Shift+X", self.cancel_visit),
            ),
        )
        self.layout_.addLayout(bar)
        self.layout_.addWidget(tools)
        self.summary = QLabel("", self)
        self.summary.setObjectName("summaryLine")
        self.summary.setWordWrap(True)
        self.layout_.addWidget(self.summary)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.table = RecordsView(
            [
                Column("Time", lambda r: r.time),
                Column("Patient", lambda r: r.patient_name),
                Column("Clinician", lambda r: r.clinician),  # the visit type is in the plan's heading below
                Column("Visit", lambda r: VISIT_STATES.get(r.visit_status, r.visit_status)),
                Column("Plan", lambda r: PLAN_LABELS.get(r.plan_status, r.plan_status)),
                # one column a kind of flag, read down the day at a glance; the words are in the plan below
                Column(
                    "Disease",
                    _remission,
                    colour=lambda r: (
                        RED
                        if r.in_remission is False
                        else AMBER
                        if r.in_remission is None and r.pack == "ibd"
                        else None
                    ),
                ),
                Column("Overdue", lambda r: r.overdue_items or "", True, colour=lambda r: RED),
                Column("Due", lambda r: r.due_items or "", True, colour=lambda r: AMBER),
                Column("Tasks", _tasks, colour=lambda r: RED if r.overdue_tasks else None),
                Column("Agenda", lambda r: r.new_agenda or "", True),
                Column("Goals", lambda r: "Review due" if r.goals_due else "", colour=lambda r: AMBER),
            ],
            splitter,
        )
        self.model = self.table.rows_model
        self.plan = QTextBrowser(splitter)
        self.plan.setObjectName("previsitPlan")
        self.plan.setOpenLinks(False)
        splitter.addWidget(self.table)
        splitter.addWidget(self.plan)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        self.layout_.addWidget(splitter, 1)
        self.board = None
        self.table.activated_row.connect(lambda r: self.open_patient.emit(r.patient_id))
        self.table.selectionModel().currentRowChanged.connect(lambda _c, _p: self.show_plan())
        self.date.dateChanged.connect(lambda _d: self._load_day())
        self.days.activated.connect(self._pick_day)
        self._started = False

    def refresh(self, keep_visit: str | None = None) -> None:
        days = self.ctx.overview.clinic_days()
        self.days.clear()
        for d in days:
            self.days.addItem(f"{format_date(d.day, weekday=True)} ({d.scheduled} scheduled)", d.day)
        if not days:
            self.days.addItem("No upcoming clinic days", None)
        self.days.setEnabled(bool(days))
        if not self._started:
            self._started = True
            first = days[0].day if days else self.ctx.today()
            self.date.blockSignals(True)  # loaded once, just below
            self.date.set_day(first)
            self.date.blockSignals(False)
        self._load_day(keep_visit)

    def data_changed(self, changes: Changed) -> None:
        row = self.current()  # the day's list and its counts again, on the same visit
        self.refresh(keep_visit=row.visit_id if row else None)

    def _pick_day(self, index: int) -> None:
        day: date | None = self.days.itemData(index)
        if day is None:
            return
        self.date.set_day(day)
        self.table.setFocus()

    def selected_day(self) -> date:
        return self.date.day()

    def _load_day(self, keep_visit: str | None = None) -> None:
        day = self.selected_day()
        self.board = self.ctx.planning.huddle(self.ctx.actor, day)
        rows = list(self.board.rows)
        self.model.set_rows(rows)
        if rows:
            heading = format_date(day, weekday=True, full=True)
            self.summary.setText(f"<b>{heading}</b>: {html.escape(self.board.summary)}")
            index = next((k for k, r in enumerate(rows) if r.visit_id == keep_visit), 0)
            self.table.selectRow(index)
        else:
            self.summary.setText(
                f"{format_date(day, weekday=True, full=True)}: no patients are scheduled. Pick another clinic date."
            )
        for key in ("record", "missed", "done", "agenda", "notes", "move", "cancel"):
            self.actions_[key].setEnabled(bool(rows))
        self.show_plan()

    def current(self):
        return self.table.current_row()

    def show_plan(self) -> None:
        row = self.current()
        if row is None:
            self.plan.setHtml("")
            return
        self.plan.setHtml(plan_html(row))
        self.actions_["done"].setText("Reopen plan" if row.plan_status == "done" else "Mark plan done")

    def record_visit(self) -> None:
        """The visit form for the chosen row: completes the scheduled visit; the day's list follows at once."""
        from lhn_desktop.gui.visit_dialog import VisitDialog

        row = self.current()
        if row is None:
            return
        with reported(self) as step:
            dialog = VisitDialog(self.ctx, row.patient_id, self.selected_day(), self, visit_id=row.visit_id)
        if not step.ok:
            return
        dialog.exec()  # once saved, the form announces the visit and this page reloads on the same row
        self.table.setFocus()

    def mark_missed(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        row = self.current()
        if row is None:
            return
        answer = QMessageBox.question(
            self, "Missed visit", f"Record {row.patient_name}'s visit at {row.time or 'no set time'} as missed "
            "(the family did not come)?"
        )  # fmt: skip
        if answer != QMessageBox.StandardButton.Yes:
            return
        run_op(self, lambda: self.ctx.visits.mark_missed(self.ctx.actor, row.visit_id), changes=Changed.VISITS)

    def toggle_done(self) -> None:
        row = self.current()
        if row is None:
            return
        status = "not_started" if row.plan_status == "done" else "done"
        run_op(self, lambda: self.ctx.planning.set_plan_status(self.ctx.actor, row.visit_id, status),
               changes=Changed.PLANS, done=lambda _saved: self.table.setFocus())  # fmt: skip

    def add_agenda(self) -> None:
        from lhn_desktop.gui.planning_dialogs import AgendaItemDialog

        row = self.current()
        if row is not None:
            AgendaItemDialog(self.ctx, row, self).exec()

    def edit_notes(self) -> None:
        from lhn_desktop.gui.planning_dialogs import PlanNotesDialog

        row = self.current()
        if row is not None:
            PlanNotesDialog(self.ctx, row, self).exec()

    def add_visit(self) -> None:
        from lhn_desktop.gui.planning_dialogs import AddVisitDialog

        dialog = AddVisitDialog(self.ctx, self.selected_day(), self)
        if dialog.exec():
            self._load_day(keep_visit=dialog.visit_id)  # the new visit chosen

    def move_visit(self) -> None:
        from lhn_desktop.gui.planning_dialogs import MoveVisitDialog

        row = self.current()
        if row is not None:
            MoveVisitDialog(self.ctx, row, self.selected_day(), self).exec()

    def cancel_visit(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        row = self.current()
        if row is None:
            return
        answer = QMessageBox.question(
            self, "Cancel the visit", f"Cancel {row.patient_name}'s visit at {row.time or 'no set time'}?"
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        run_op(self, lambda: self.ctx.schedule.cancel_visit(self.ctx.actor, row.visit_id), changes=Changed.VISITS)

    def huddle_sheet(self) -> None:
        from lhn_desktop.gui.files import ask_save_path, suggested_name

        day = self.selected_day()
        path = ask_save_path(self, "Save the huddle sheet", "huddle", suggested_name("Huddle sheet", day),
                             ["PDF (*.pdf)"], patient_data=True)  # fmt: skip
        if path is None:
            return
        if path.suffix.lower() != ".pdf":
            path = path.with_name(path.name + ".pdf")
        run_query(self, lambda: self.ctx.planning.huddle_sheet(self.ctx.actor, day, path),
                  done=lambda _written: self.summary.setText(f"{self.summary.text()} · huddle sheet saved to "
                                                             f"{html.escape(str(path))}"))  # fmt: skip

    def print_huddle_sheet(self) -> None:
        """The huddle sheet of the day shown, through the system's print dialog."""
        from lhn_desktop.gui.printing import print_document

        day = self.selected_day()
        pages = None
        with reported(self):
            pages = print_document(self, "Huddle sheet",
                                   lambda pdf: self.ctx.planning.huddle_sheet(self.ctx.actor, day, pdf))  # fmt: skip
        if pages:
            self.summary.setText(f"{self.summary.text()} · huddle sheet sent to the printer ({pages} pages)")

    def import_schedule(self) -> None:
        """The EHR import, taking a CSV as the clinic schedule (its columns mapped once and kept)."""
        from lhn_desktop.gui.ehr_dialog import EhrImportDialog

        dialog = EhrImportDialog(self.ctx, self.runner(), self, kind="appointments")
        dialog.exec()
        if dialog.imported:
            self.refresh()


def plan_html(row) -> str:
    """The pre-visit plan of one huddle row as rich text: flags, activity, checklist, agenda, plan status."""
    e = html.escape
    clinician = f" · {e(row.clinician)}" if row.clinician else ""
    parts = [
        f"<h3 style='margin:0'>{e(row.patient_name)} <span style='color:#666'>({e(row.mrn)})</span> · "
        f"{e(row.time or 'no time set')} · {e(row.visit_type)}{clinician}</h3>"
    ]
    if row.flags:
        parts.append(f"<p><b>Flags:</b> {e('; '.join(row.flags))}</p>")
    if row.latest_pga:
        state = "in remission" if row.in_remission else "not in remission"
        trend = " → ".join(f"{e(v)} ({format_month(on)})" for on, v in row.pga_trend)
        index = f"; {e(row.activity_index)}" if row.activity_index else ""
        parts.append(f"<p><b>Disease activity:</b> PGA {trend}: <b>{state}</b>{index}</p>")
    meds = "; ".join(e(m) for m in row.medications) or "none recorded"
    parts.append(f"<p><b>Current medications:</b> {meds}</p>")
    items = sorted(row.items, key=lambda i: STATUS_ORDER.get(i.status, 9))
    actionable = [i for i in items if i.status in ("Overdue", "Due", "Due soon")]
    rest = [i for i in items if i not in actionable]
    if actionable:
        parts.append("<p><b>To do at this visit</b></p><ul>")
        for i in actionable:
            colour = STATUS_COLOURS.get(i.status, "#333")
            parts.append(
                f"<li><span style='color:{colour}'><b>{e(i.status)}</b></span> {e(i.title)}: {e(i.reason)}</li>"
            )
        parts.append("</ul>")
    if rest:
        done = "; ".join(f"{e(i.title)} ({e(i.status.lower())})" for i in rest)
        parts.append(f"<p style='color:#555'><b>Up to date or not applicable:</b> {done}</p>")
    if not row.items:
        parts.append("<p>No disease pack for this diagnosis: no checklist.</p>")
    if row.agenda:
        parts.append("<p><b>The family's agenda</b></p><ul>")
        for a in row.agenda:
            addressed = " <i>(addressed)</i>" if a.addressed else ""
            label = AGENDA_LABELS.get(a.kind, a.kind)
            on = format_date(a.entered_on)
            parts.append(f"<li>{e(label)}: {e(a.text)} <span style='color:#666'>({e(a.source)}, {on})</span>"
                         f"{addressed}</li>")  # fmt: skip
        parts.append("</ul>")
    if row.task_lines:
        parts.append("<p><b>Open tasks</b></p><ul>" + "".join(f"<li>{e(t)}</li>" for t in row.task_lines) + "</ul>")
    if row.goal_lines:
        parts.append("<p><b>Goals due for review</b></p><ul>" + "".join(f"<li>{e(g)}</li>" for g in row.goal_lines)
                     + "</ul>")  # fmt: skip
    if row.plan_notes:
        parts.append(f"<p><b>Notes:</b> {e(row.plan_notes)}</p>")
    status = PLAN_LABELS.get(row.plan_status, row.plan_status)
    who = (
        f" by {e(row.plan_done_by)} on {format_datetime(row.plan_done_at)}"
        if row.plan_done_by and row.plan_done_at
        else ""
    )
    parts.append(f"<p><b>Pre-visit plan:</b> {status}{who}</p>")
    return "".join(parts)
