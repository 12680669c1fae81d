"""Improvement: 90-day goals, their key driver diagram and the PDSA ramps testing each change idea."""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QLineEdit,
    QPlainTextEdit,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
)

from lhn_desktop.errors import LhnError
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.forms import FormDialog
from lhn_desktop.gui.models import display_text
from lhn_desktop.gui.operations import Changed, reported, run_op, run_query
from lhn_desktop.gui.pages.base import Page
from lhn_desktop.gui.widgets import FirstColumnRoom, detail_pane, page_actions
from lhn_desktop.services.improvement import CLOSEOUT, NODE_KINDS

DECISIONS = {"adopt": "Adopt", "adapt": "Adapt", "abandon": "Abandon"}
STATUS_LABELS = {
    "planning": "Planning",
    "doing": "Doing",
    "studying": "Studying",
    "done": "Done",
    "active": "Active",
    "closed": "Closed",
}
COLUMNS = ("Goal, driver diagram and PDSA ramps", "Scale", "Dates", "Status", "Decision")
#: actions that work on the chosen goal (or anything under it): disabled until something is chosen
NEEDS_GOAL = ("edit_goal", "new_cycle", "progress", "close_out", "diagram", "ramp_pdf", "print")
ROLE = Qt.ItemDataRole.UserRole
#: which box a new box goes under, by the selected box's kind
CHILD_KIND = {"aim": "primary", "primary": "secondary", "secondary": "change_idea"}


def _dates(start, end) -> str:
    """A goal's or cycle's dates for its column: both, from, until, or nothing."""
    if start and end:
        return f"{display_text(start)} to {display_text(end)}"
    if start:
        return f"from {display_text(start)}"
    return f"until {display_text(end)}" if end else ""


def _scale(n: int | None, unit: str | None) -> str:
    """A cycle's scale as said: "1 patient", "5 patients", "3" (no unit), or nothing."""
    if not n:
        return ""
    unit = (unit or "").strip()
    if n == 1 and len(unit) > 1 and unit.endswith("s") and not unit.endswith("ss"):
        unit = unit[:-1]  # 1 patient, 1 clinic, 1 visit
    return f"{n} {unit}".strip()


def _box_html(goal, box_id: str) -> str:
    """A box of the driver diagram in full, as the tree's narrow column cannot show it: the boxes it sits under
    (from the aim down), the box itself, what sits under it, and the PDSA cycles testing it (a change idea)."""
    boxes = {d.id: d for d in goal.drivers}
    chain, node = [], boxes.get(box_id)
    while node is not None and node not in chain:  # (a box merged under its own child would loop)
        chain.append(node)
        node = boxes.get(node.parent_id) if node.parent_id else None
    chain.reverse()
    lines = [f"{NODE_KINDS[d.kind]}: {escape(d.text)}" for d in chain[:-1]]
    lines.append(f"<b>{NODE_KINDS[chain[-1].kind]}: {escape(chain[-1].text)}</b>")
    under = [d for d in goal.drivers if d.parent_id == box_id]
    parts = ["<br>".join(lines)]
    if under:
        items = "".join(f"<li>{NODE_KINDS[d.kind]}: {escape(d.text)}</li>" for d in under)
        parts.append(f"<b>Under it</b><ul>{items}</ul>")
    tests = sorted((c for c in goal.cycles if c.change_idea_id == box_id), key=lambda c: c.seq)
    if tests:
        cycles = "".join(f"<li>PDSA {c.seq}: {escape(c.title)} ({_state(c)})</li>" for c in tests)
        parts.append(f"<b>PDSA cycles testing it</b><ul>{cycles}</ul>")
    elif chain[-1].kind == "change_idea":
        parts.append("No PDSA cycle tests this change idea yet: New PDSA cycle (Ctrl+Shift+C) starts one.")
    return "<br>".join(parts)


def _state(cycle) -> str:
    """Where a cycle stands, as said in a sentence: "done, adapt", "doing"."""
    words = (STATUS_LABELS.get(cycle.status, cycle.status), DECISIONS.get(cycle.act_decision or "", ""))
    return ", ".join(w.lower() for w in words if w)


def _item(parent: QTreeWidgetItem | None, texts: list[str]) -> QTreeWidgetItem:
    """A tree row; the first column's full text is its tool tip, as the column elides what does not fit."""
    item = QTreeWidgetItem(parent, texts) if parent is not None else QTreeWidgetItem(texts)
    item.setToolTip(0, texts[0])
    return item


class GoalDialog(FormDialog):
    changes = Changed.IMPROVEMENT

    def __init__(self, ctx, goal=None, parent=None) -> None:
        super().__init__("90-day goal" if goal is None else f"Goal: {goal.title}",
                         "One sentence that names the measure, how much and by when (SMART).", parent)  # fmt: skip
        self.ctx, self.goal = ctx, goal
        self.title_ = self.row("&Title:", QLineEdit(goal.title if goal else "", self))
        self.aim = self.row("&Aim:", QPlainTextEdit(goal.aim if goal else "", self))
        self.aim.setTabChangesFocus(True)
        self.aim.setFixedHeight(64)
        self.aim.setPlaceholderText("e.g. Raise model care at the visit from 70% to 85% by 30 June 2026")
        self.baseline = self.row("&Baseline:", QLineEdit((goal.baseline or "") if goal else "", self))
        self.target = self.row("T&arget:", QLineEdit((goal.target or "") if goal else "", self))
        self.owner = self.row("&Owner:", QComboBox(self))
        self.owner.addItem("(nobody yet)", None)
        for m in ctx.team.list_members():
            self.owner.addItem(f"{m.display_name} ({m.role_label})", m.id)
        if goal and goal.owner_member_id:
            self.owner.setCurrentIndex(max(0, self.owner.findData(goal.owner_member_id)))
        self.team = self.row("T&eam:", QLineEdit((goal.team or "") if goal else "", self))
        self.measure = self.row("&Measure:", QComboBox(self))
        self.measure.addItem("(link later)", None)
        for m in ctx.measures.list_measures():
            self.measure.addItem(m.title, m.code)
        self.goal_id = goal.id if goal else None

    def save(self) -> None:
        g = self.goal
        self.goal_id = self.ctx.improvement.save_goal(
            self.ctx.actor, self.goal_id, title=self.title_.text(), aim=self.aim.toPlainText(),
            baseline=self.baseline.text(), target=self.target.text(), owner_member_id=self.owner.currentData(),
            team=self.team.text(), start_date=g.start_date if g else None, end_date=g.end_date if g else None,
        )  # fmt: skip
        if self.measure.currentData():
            self.ctx.improvement.link_measure(self.ctx.actor, self.goal_id, self.measure.currentData())


class BoxDialog(FormDialog):
    changes = Changed.IMPROVEMENT

    def __init__(self, ctx, goal_id: str, parent_id: str | None, kind: str, node=None, parent=None) -> None:
        super().__init__(NODE_KINDS[kind], "The words that go in the box of the driver diagram.", parent)
        self.ctx, self.goal_id, self.parent_id, self.kind, self.node = ctx, goal_id, parent_id, kind, node
        self.text = self.row("&Text:", QLineEdit(node.text if node else "", self))
        self.text.setMaxLength(300)

    def save(self) -> None:
        if self.node is not None:
            self.ctx.improvement.edit_driver(self.ctx.actor, self.node.id, self.text.text())
        else:
            self.ctx.improvement.add_driver(self.ctx.actor, self.goal_id, self.parent_id, self.kind, self.text.text())


class ProgressDialog(FormDialog):
    changes = Changed.IMPROVEMENT

    def __init__(self, ctx, goal_id: str, parent=None) -> None:
        suggested, reasons = ctx.improvement.suggest_progress(goal_id)
        super().__init__("Progress score", f"Suggested {suggested:.1f} (IHI scale): " + " ".join(reasons), parent)
        self.ctx, self.goal_id = ctx, goal_id
        self.score = self.row("&Score:", QDoubleSpinBox(self))
        self.score.setRange(0.5, 5.0)
        self.score.setSingleStep(0.5)
        self.score.setDecimals(1)
        self.score.setValue(suggested)
        self.note_ = self.row("&Why, if different:", QLineEdit(self))

    def save(self) -> None:
        self.ctx.improvement.record_progress(self.ctx.actor, self.goal_id, self.score.value(), self.note_.text())


class CloseOutDialog(FormDialog):
    changes = Changed.IMPROVEMENT

    def __init__(self, ctx, goal_id: str, parent=None) -> None:
        super().__init__("Close out the goal", "Was the aim met, and what did the team learn?", parent)
        self.ctx, self.goal_id = ctx, goal_id
        self.result = self.row("&Result:", QComboBox(self))
        for key, label in CLOSEOUT.items():
            self.result.addItem(label, key)
        self.learning = self.row("&Learning:", QPlainTextEdit(self))
        self.learning.setTabChangesFocus(True)

    def save(self) -> None:
        self.ctx.improvement.close_out(self.ctx.actor, self.goal_id, self.result.currentData(),
                                       self.learning.toPlainText())  # fmt: skip


class ImprovementPage(Page):
    title = "Improvement"
    explanation = (
        "90-day goals with their key driver diagram (aim, primary and secondary drivers, change ideas) and the "
        "PDSA ramps testing each change idea. Enter opens a cycle's worksheet. Hints point out what good "
        "improvement practice would add; they never block."
    )
    shows = Changed.IMPROVEMENT | Changed.MEASURES | Changed.TEAM

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        self.actions_, tools = page_actions(self, (
            ("new_goal", "New goal…", "Ctrl+Shift+N", self.new_goal),
            ("edit_goal", "Edit goal…", "Ctrl+Shift+O", self.edit_goal),
            ("add_box", "Add box…", "Ctrl+Shift+B", self.add_box),
            ("edit_box", "Edit box…", "F2", self.edit_box),
            ("remove_box", "Remove box", "Ctrl+Shift+Delete", self.remove_box),
            ("new_cycle", "New PDSA cycle…", "Ctrl+Shift+C", self.new_cycle),
            ("next_cycle", "Next cycle from this one", "Ctrl+Shift+J", self.next_cycle),
            ("progress", "Progress score…", "Ctrl+Shift+S", self.progress),
            ("close_out", "Close out…", None, self.close_out),
            ("diagram", "Driver diagram…", "Ctrl+Shift+M", self.show_diagram),
            ("cycle_pdf", "Cycle PDF…", None, lambda: self.ramp_pdf(only_cycle=True)),
            ("ramp_pdf", "Ramp PDF…", "Ctrl+Shift+R", self.ramp_pdf),
            ("print", "Print PDSA…", "Ctrl+P", self.print_pdsa),
            ("share", "Share to the commons", None, self.share),
        ))  # fmt: skip
        self.layout_.addWidget(tools)
        splitter = QSplitter(self)
        self.tree = QTreeWidget(splitter)
        self.tree.setHeaderLabels(list(COLUMNS))
        self.tree.setAlternatingRowColors(True)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        # scale, dates, status and decision keep the width of their contents, always in view; the long first
        # column takes what is left (elided, its full text the tool tip), never less than 24 characters
        self.columns_room = FirstColumnRoom(self.tree, self.tree.header())
        self.detail = detail_pane(splitter)
        splitter.addWidget(self.tree)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.layout_.addWidget(splitter, 1)
        self.tree.itemSelectionChanged.connect(self._selection_changed)
        self.tree.itemActivated.connect(lambda item, _c: self.open_cycle(item))
        self.goals: dict[str, object] = {}
        self._update_actions(None)

    # -- the tree ----------------------------------------------------------------------------------------------

    def refresh(self, keep: tuple[str, str] | None = None) -> None:
        keep = keep or self._selected_key()
        self.tree.clear()
        self.goals = {}
        for overview in self.ctx.overview.improvement():
            goal = self.ctx.improvement.goal(overview.id)
            self.goals[goal.id] = goal
            status = STATUS_LABELS.get(goal.status, goal.status)
            closed = CLOSEOUT.get(goal.closeout_result or "", "")
            top = _item(None, [goal.title, "", _dates(goal.start_date, goal.end_date), status, closed])
            top.setData(0, ROLE, ("goal", goal.id))
            self.tree.addTopLevelItem(top)
            items = {None: top}
            for node in sorted(goal.drivers, key=lambda d: (list(NODE_KINDS).index(d.kind), d.position)):
                parent = items.get(node.parent_id, top)
                item = _item(parent, [f"{NODE_KINDS[node.kind]}: {node.text}", "", "", "", ""])
                item.setData(0, ROLE, ("box", node.id))
                items[node.id] = item
            for cycle in goal.cycles:
                parent = items.get(cycle.change_idea_id, top)
                scale = _scale(cycle.scale_n, cycle.scale_unit)
                dates = _dates(cycle.start_date, cycle.end_date)
                status = STATUS_LABELS.get(cycle.status, cycle.status)
                decision = DECISIONS.get(cycle.act_decision or "", "")
                item = _item(parent, [f"PDSA {cycle.seq}: {cycle.title}", scale, dates, status, decision])
                item.setData(0, ROLE, ("cycle", cycle.id))
            self.tree.expandItem(top)
            self.tree.expandAll()
        target = self._find(keep) if keep else None
        if target is None and self.tree.topLevelItemCount():
            target = self.tree.topLevelItem(0)
        if target is not None:
            self.tree.setCurrentItem(target)
        else:
            self.detail.setText("No 90-day goals yet. New goal (Ctrl+Shift+N) starts one.")

    def _find(self, key: tuple[str, str]) -> QTreeWidgetItem | None:
        stack = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        while stack:
            item = stack.pop()
            if item.data(0, ROLE) == key:
                return item
            stack += [item.child(i) for i in range(item.childCount())]
        return None

    def _chosen(self) -> QTreeWidgetItem | None:
        """The selected row: the current row alone (after the selection was cleared) does not count."""
        item = self.tree.currentItem()
        return item if item is not None and item.isSelected() else None

    def _selected_key(self) -> tuple[str, str] | None:
        item = self._chosen()
        return item.data(0, ROLE) if item is not None else None

    def _selection_changed(self) -> None:
        item = self._chosen()
        self._update_actions(item)
        if item is not None:
            self._show(item)
        elif self.goals:
            self.detail.setText("Choose a goal, a box of its driver diagram or a PDSA cycle.")

    def _update_actions(self, item: QTreeWidgetItem | None) -> None:
        """Enable what applies to the chosen row, and nothing that needs a choice when there is none."""
        goal = self._goal_of(item)
        kind, key = item.data(0, ROLE) if item is not None else (None, None)
        box = next((d for d in goal.drivers if d.id == key), None) if goal is not None and kind == "box" else None
        for name in NEEDS_GOAL:
            self.actions_[name].setEnabled(goal is not None)
        no_aim = goal is not None and not any(d.kind == "aim" for d in goal.drivers)
        self.actions_["add_box"].setEnabled((kind == "goal" and no_aim) or (box is not None and box.kind in CHILD_KIND))
        self.actions_["edit_box"].setEnabled(box is not None)
        self.actions_["remove_box"].setEnabled(box is not None)
        self.actions_["next_cycle"].setEnabled(kind == "cycle")
        self.actions_["cycle_pdf"].setEnabled(kind == "cycle")
        self.actions_["share"].setEnabled(kind == "cycle" or (box is not None and box.kind == "change_idea"))

    def _goal_of(self, item: QTreeWidgetItem | None):
        while item is not None and item.parent() is not None:
            item = item.parent()
        return self.goals.get(item.data(0, ROLE)[1]) if item is not None else None

    def _show(self, item: QTreeWidgetItem | None) -> None:
        goal = self._goal_of(item)
        if goal is None:
            return
        kind, key = item.data(0, ROLE)
        status = STATUS_LABELS.get(goal.status, goal.status).lower()
        parts = [f"<b>{escape(goal.title)}</b> ({_dates(goal.start_date, goal.end_date)}, {escape(status)})",
                 f"<b>Aim</b>: {escape(goal.aim)}"]  # fmt: skip
        if goal.baseline or goal.target:
            parts.append(
                f"<b>Baseline</b>: {escape(goal.baseline or '—')} · <b>Target</b>: {escape(goal.target or '—')}"
            )
        parts.append(f"<b>Measures</b>: {escape(', '.join(goal.measure_titles) or 'none linked')}")
        if goal.progress:
            last = goal.progress[-1]
            parts.append(f"<b>Progress score</b>: {last.score:.1f} on {display_text(last.scored_on)}"
                         + (f" (suggested {last.suggested:.1f})" if last.suggested is not None else ""))  # fmt: skip
        if goal.closeout_result:
            parts.append(f"<b>Closed</b>: {CLOSEOUT[goal.closeout_result]}. {escape(goal.closeout_learning or '')}")
        if kind == "box" and any(d.id == key for d in goal.drivers):
            parts.insert(0, _box_html(goal, key) + "<hr>")
        if kind == "cycle":
            cycle = next(c for c in goal.cycles if c.id == key)
            rows = "".join(f"<tr><td>{escape(q.text)}</td><td>{escape(q.prediction)}</td><td>{escape(q.result)}</td>"
                           f"</tr>" for q in cycle.questions)  # fmt: skip
            idea = next((d for d in goal.drivers if d.id == cycle.change_idea_id), None)
            tests = f"<br>Tests the change idea: {escape(idea.text)}" if idea is not None else ""
            parts.append(f"<b>PDSA {cycle.seq}: {escape(cycle.title)}</b>{tests}<table border='1' cellpadding='3'>"
                         f"<tr><th>Question</th><th>Prediction</th><th>Result</th></tr>{rows}</table>")  # fmt: skip
        if goal.hints:
            parts.append("<b>Hints</b><ul>" + "".join(f"<li>{escape(h.text)}</li>" for h in goal.hints) + "</ul>")
        self.detail.setText("<br>".join(parts))

    # -- actions -----------------------------------------------------------------------------------------------

    def _run(self, dialog) -> None:
        dialog.exec()  # saved, the form announces the change: this page reloads, keeping the row chosen

    def new_goal(self) -> None:
        dialog = GoalDialog(self.ctx, None, self)
        if dialog.exec():
            self.refresh(("goal", dialog.goal_id))

    def edit_goal(self) -> None:
        goal = self._goal_of(self._chosen())
        if goal is not None:
            self._run(GoalDialog(self.ctx, goal, self))

    def _box(self):
        item = self._chosen()
        goal = self._goal_of(item)
        if goal is None or item.data(0, ROLE)[0] != "box":
            return goal, None
        return goal, next(d for d in goal.drivers if d.id == item.data(0, ROLE)[1])

    def add_box(self) -> None:
        goal, box = self._box()
        if goal is None:
            return
        if box is None:
            has_aim = any(d.kind == "aim" for d in goal.drivers)
            if has_aim:
                show_error(self, LhnError("Choose the box to add under (the aim, a driver or a secondary driver)."))
                return
            kind, parent_id = "aim", None
        elif box.kind not in CHILD_KIND:
            show_error(self, LhnError("A change idea is the last level; add PDSA cycles under it instead."))
            return
        else:
            kind, parent_id = CHILD_KIND[box.kind], box.id
        self._run(BoxDialog(self.ctx, goal.id, parent_id, kind, parent=self))

    def edit_box(self) -> None:
        goal, box = self._box()
        if box is not None:
            self._run(BoxDialog(self.ctx, goal.id, box.parent_id, box.kind, box, self))

    def remove_box(self) -> None:
        _goal, box = self._box()
        if box is None:
            return
        run_op(self, lambda: self.ctx.improvement.remove_driver(self.ctx.actor, box.id), changes=Changed.IMPROVEMENT)

    def new_cycle(self) -> None:
        from lhn_desktop.gui.pdsa_dialog import PdsaDialog
        from lhn_desktop.services.improvement_rules import Cycle

        goal, box = self._box()
        if goal is None:
            return
        idea = box.id if box is not None and box.kind == "change_idea" else None
        seq = max((c.seq for c in goal.cycles), default=0) + 1
        dialog = PdsaDialog(self.ctx, Cycle(id=None, seq=seq, title="", goal_id=goal.id, change_idea_id=idea), self)
        if dialog.exec():
            self.refresh(("cycle", dialog.saved_id))

    def open_cycle(self, item: QTreeWidgetItem | None = None) -> None:
        from lhn_desktop.gui.pdsa_dialog import PdsaDialog

        item = item or self._chosen()
        if item is None or item.data(0, ROLE)[0] != "cycle":
            return
        PdsaDialog(self.ctx, self.ctx.improvement.cycle(item.data(0, ROLE)[1]), self).exec()

    def next_cycle(self) -> None:
        key = self._selected_key()
        if key is None or key[0] != "cycle":
            return

        def made(new_id: str) -> None:
            self.refresh(("cycle", new_id))  # the new cycle chosen, and its worksheet opened
            self.open_cycle()

        run_op(self, lambda: self.ctx.improvement.next_cycle(self.ctx.actor, key[1]), changes=Changed.IMPROVEMENT,
               done=made)  # fmt: skip

    def progress(self) -> None:
        goal = self._goal_of(self._chosen())
        if goal is not None:
            self._run(ProgressDialog(self.ctx, goal.id, self))

    def close_out(self) -> None:
        goal = self._goal_of(self._chosen())
        if goal is not None:
            self._run(CloseOutDialog(self.ctx, goal.id, self))

    def show_diagram(self) -> None:
        from lhn_desktop.gui.diagram_dialog import DiagramDialog

        goal = self._goal_of(self._chosen())
        if goal is not None:
            DiagramDialog(self.ctx, goal, self).exec()

    def share(self) -> None:
        """Share the selected PDSA cycle or change idea as a commons resource, in one step."""
        key = self._selected_key()
        if key and key[0] == "cycle":
            share = self.ctx.commons.share_pdsa
        elif key and key[0] == "box" and self._box()[1].kind == "change_idea":
            share = self.ctx.commons.share_change_idea
        else:
            show_error(self, LhnError("Choose a PDSA cycle or a change idea to share."))
            return
        shared = "<br><br><b>Shared to the commons.</b>"
        run_op(self, lambda: share(self.ctx.actor, key[1]), changes=Changed.COMMONS,
               done=lambda _rid: self.detail.setText(self.detail.text() + shared))  # fmt: skip

    def _pdsa_choice(self, only_cycle: bool):
        """The goal, the chosen cycle (or None) and what the document is called, for saving or printing."""
        key = self._selected_key()
        goal = self._goal_of(self._chosen())
        if goal is None:
            return None
        cycle_id = key[1] if key and key[0] == "cycle" else None
        only = only_cycle and cycle_id is not None
        if only:
            cycle = next(c for c in goal.cycles if c.id == cycle_id)
            name = f"PDSA {cycle.seq} {cycle.title}"
        else:
            name = f"PDSA ramp {goal.title}"
        return goal, cycle_id, only, name

    def print_pdsa(self) -> None:
        """The chosen PDSA cycle's worksheet (or the goal's whole ramp) through the system's print dialog."""
        from lhn_desktop.gui.printing import print_document

        choice = self._pdsa_choice(only_cycle=True)
        if choice is None:
            return
        goal, cycle_id, only, name = choice
        pages = None
        with reported(self):
            pages = print_document(
                self, name, lambda pdf: self.ctx.improvement.ramp_pdf(goal.id, cycle_id, pdf, only_cycle=only)
            )
        if pages:
            self.say(f"{name}: sent to the printer.")

    def ramp_pdf(self, only_cycle: bool = False) -> None:
        from lhn_desktop.gui.files import ask_save_path, suggested_name

        choice = self._pdsa_choice(only_cycle)
        if choice is None:
            return
        goal, cycle_id, only, name = choice
        path = ask_save_path(self, "Save the PDSA", "pdsa", suggested_name(name, self.ctx.today()), ["PDF (*.pdf)"])
        if path is None:
            return
        run_query(self, lambda: self.ctx.improvement.ramp_pdf(goal.id, cycle_id, path, only_cycle=only),
                  done=lambda _written: self.say(f"{name}: saved to {path}."))  # fmt: skip
