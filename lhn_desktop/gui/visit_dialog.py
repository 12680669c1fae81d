"""Recording a visit: the form a clinician fills in at or after the visit, fast by keyboard in a fixed order.

What the pre-visit plan says is due is listed at the top. The form shows only what the patient's
disease pack asks for: the physician global assessment, the index of the diagnosis with its items
(number keys choose a level), growth, laboratory values (the unit can be typed: "71 lb", "1.2 mg/dL"),
medicines (continue, change the dose, stop with a reason, or start), immunizations and screenings.
The panel on the right is recomputed as the form is filled: the index total and category, BMI with
growth z-scores and percentiles, and anything that deserves a second look. Ctrl+Enter saves; values
that deserve a second look are shown once more and can be kept.
"""

from __future__ import annotations

import html
from datetime import date

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.clinical.observations import get_spec, split_value_unit
from lhn_desktop.errors import LhnError, ValidationError
from lhn_desktop.gui.clinical_widgets import DateField, LevelPicker, ValueField, chain, mark_problem
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.keyboard import DISCARD_QUESTION, NO_DISCARD_QUESTION
from lhn_desktop.gui.operations import Changed, announce
from lhn_desktop.localization import format_date
from lhn_desktop.services.schedule import VISIT_TYPES
from lhn_desktop.services.visits import (
    DoseChange,
    EventInput,
    IndexInput,
    MedicationStart,
    MedicationStop,
    ValueInput,
    VisitInput,
)

MED_ACTIONS = (("continue", "Continue"), ("dose", "Change the dose"), ("stop", "Stop"))
STATUS_COLOURS = {"Overdue": "#b03a2e", "Due": "#9a6700", "Due soon": "#6b5a00"}


class _MedicationRow:
    """A current medicine: continue it, change its dose, or stop it with a reason."""

    def __init__(self, parent: QWidget, grid: QGridLayout, row: int, med) -> None:
        self.med = med
        since = f" since {format_date(med.start_date)}" if med.start_date else ""
        self.label = QLabel(
            f"{med.drug} {med.dose or ''}".strip() + f" <span style='color:#666'>{since}</span>", parent
        )
        self.action = QComboBox(parent)
        for key, text in MED_ACTIONS:
            self.action.addItem(text, key)
        self.detail = QLineEdit(parent)
        self.detail.setEnabled(False)
        grid.addWidget(self.label, row, 0)
        grid.addWidget(self.action, row, 1)
        grid.addWidget(self.detail, row, 2)
        self.action.currentIndexChanged.connect(self._changed)

    def _changed(self, _index: int) -> None:
        key = self.action.currentData()
        self.detail.setEnabled(key != "continue")
        self.detail.setPlaceholderText(
            {"dose": "the new dose, e.g. 75 mg daily", "stop": "why it was stopped"}.get(key, "")
        )
        if key != "continue":
            self.detail.setFocus()


class _StartRow:
    def __init__(self, parent: QWidget, grid: QGridLayout, row: int, drugs) -> None:
        self.drug = QComboBox(parent)
        self.drug.setEditable(True)
        self.drug.addItem("")
        for name, drug_class, _hint in drugs:
            self.drug.addItem(name, drug_class)
        self.drug.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.drug.lineEdit().setPlaceholderText("medicine to start")
        self.dose = QLineEdit(parent)
        self.dose.setPlaceholderText("dose, e.g. 50 mg daily")
        self.drug_class = QLineEdit(parent)
        self.drug_class.setPlaceholderText("class, only if not on the list")
        hints = {name: hint for name, _c, hint in drugs}
        self.drug.currentTextChanged.connect(
            lambda t: self.dose.setPlaceholderText(f"dose: {hints[t]}" if hints.get(t) else "dose, e.g. 50 mg daily")
        )
        grid.addWidget(self.drug, row, 0)
        grid.addWidget(self.dose, row, 1)
        grid.addWidget(self.drug_class, row, 2)


class _ScreeningRow:
    def __init__(self, parent: QWidget, grid: QGridLayout, row: int, names) -> None:
        self.name = QComboBox(parent)
        self.name.setEditable(True)
        self.name.addItem("")
        self.name.addItems(list(names))
        self.name.lineEdit().setPlaceholderText("screening or test")
        self.result = QLineEdit(parent)
        self.result.setPlaceholderText("result, e.g. negative")
        grid.addWidget(self.name, row, 0)
        grid.addWidget(self.result, row, 1)


class VisitDialog(QDialog):
    """The visit form for one patient and day (completing the scheduled visit, or an unscheduled one)."""

    def __init__(
        self, ctx, patient_id: str, day: date, parent: QWidget | None = None, *, visit_id: str | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.spec = ctx.visits.form(ctx.actor, patient_id, day, visit_id)
        self.saved = None
        self._dirty = False
        self._problem_field: QWidget | None = None
        f = self.spec
        self.setWindowTitle(f"Record the visit: {f.patient_name}")
        outer = QVBoxLayout(self)
        head = QLabel(
            f"<b>{html.escape(f.patient_name)}</b> · MRN {html.escape(f.mrn)} · "
            f"{html.escape(f.diagnosis or 'no diagnosis recorded')}",
            self,
        )
        head.setObjectName("patientName")
        outer.addWidget(head)

        top = QFormLayout()
        outer.addLayout(top)
        self.day = DateField("day", "visit date", self)
        self.day.set_value(day)
        self.day.setReadOnly(f.visit_id is not None)
        scheduled = {
            "scheduled": "scheduled",
            "completed": "already recorded; add what is missing",
            "no_show": "recorded as missed; saving records it as seen",
        }.get(f.visit_status or "", "")
        self.day_note = QLabel(
            f"({scheduled})" if scheduled else "(no visit on the schedule that day: an unscheduled visit is added)",
            self,
        )
        line = QHBoxLayout()
        line.addWidget(self.day)
        line.addWidget(self.day_note, 1)
        top.addRow(self._label("Visit &date:", self.day), line)
        self.clinician = QLineEdit(f.clinician or ctx.actor.name.split(" (")[0], self)
        top.addRow(self._label("&Clinician:", self.clinician), self.clinician)
        self.visit_type = QComboBox(self)
        self.visit_type.setEditable(True)
        self.visit_type.addItems(list(VISIT_TYPES))
        self.visit_type.setCurrentText(f.visit_type or ("Unscheduled" if f.visit_id is None else "Follow-up"))
        top.addRow(self._label("Visit t&ype:", self.visit_type), self.visit_type)

        due = QLabel(self._due_html(), self)
        due.setWordWrap(True)
        due.setObjectName("formSummary")
        outer.addWidget(due)

        body = QHBoxLayout()
        outer.addLayout(body, 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        content = QWidget(scroll)
        self.sections = QVBoxLayout(content)
        scroll.setWidget(content)
        body.addWidget(scroll, 5)
        self.summary = QLabel("", self)
        self.summary.setObjectName("formSummary")
        self.summary.setWordWrap(True)
        self.summary.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.summary.setMinimumWidth(280)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        body.addWidget(self.summary, 2)

        #: the widget of each input the service may name (``ValidationError.field``)
        self.fields: dict[str, QWidget] = {"day": self.day, "clinician": self.clinician, "visit_type": self.visit_type}
        self._activity(content)
        self._values(content)
        self._medicines(content)
        self._events(content)
        self.sections.addStretch(1)

        self.problem = QLabel("", self)
        self.problem.setObjectName("formProblem")
        self.problem.setWordWrap(True)
        self.problem.hide()
        outer.addWidget(self.problem)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setText("&Save the visit")
        save.setToolTip("Save (Ctrl+Enter)")
        for button in self.buttons.buttons():
            button.setAutoDefault(False)
            button.setDefault(False)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        for keys in ("Ctrl+Return", "Ctrl+Enter", "Ctrl+S"):
            QShortcut(QKeySequence(keys), self, activated=self.save)

        self._chain()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self.recheck)
        self._watch(self)
        self.setProperty(NO_DISCARD_QUESTION, True)  # reject() asks, once, for Escape, Cancel and the close button
        self.resize(1060, 780)
        self.recheck()
        first = self.pga or next(iter(self.index_items.values()), None) or next(iter(self.values.values()), None)
        (first or self.clinician).setFocus()

    def _chain(self) -> None:
        """Tab walks the form in reading order, top to bottom, then Save and Cancel."""
        order: list[QWidget | None] = [self.day, self.clinician, self.visit_type, self.pga, *self.index_items.values()]
        if self.index is not None:
            order += [self.outside, self.outside_total, self.outside_source]
        order += [w.edit if isinstance(w, ValueField) else w for w in self.values.values()]
        for row in self.current:
            order += [row.action, row.detail]
        for row in self.starts:
            order += [row.drug, row.dose, row.drug_class]
        order.append(self.add_start)
        if self.immunizations.isVisibleTo(self):
            order.append(self.immunizations)
        for row in self.screenings:
            order += [row.name, row.result]
        chain([*order, *self.buttons.buttons()])

    @staticmethod
    def _label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        return label

    def _section(self, parent: QWidget, title: str) -> QFormLayout:
        box = QGroupBox(title, parent)
        form = QFormLayout(box)
        self.sections.addWidget(box)
        return form

    def _due_html(self) -> str:
        if not self.spec.due:
            return "<b>Due at this visit:</b> nothing the pre-visit checklist asks for."
        items = "".join(
            f"<li><span style='color:{STATUS_COLOURS.get(status, '#333')}'><b>{html.escape(status)}</b></span> "
            f"{html.escape(title)}</li>"
            for status, title, _reason in self.spec.due
        )
        return f"<b>Due at this visit</b><ul style='margin:2px 0 0 -20px'>{items}</ul>"

    # -- sections -------------------------------------------------------------------------------------------------
    def _activity(self, parent: QWidget) -> None:
        from lhn_desktop.clinical.indices import get_index

        self.pga: LevelPicker | None = None
        self.index_items: dict[str, LevelPicker] = {}
        self.index = get_index(self.spec.index_code) if self.spec.index_code else None
        if not self.spec.pga and self.index is None:
            return
        form = self._section(parent, "Disease activity")
        if self.spec.pga:
            self.pga = LevelPicker(list(get_spec("PGA").choices), parent)
            form.addRow(self._label("&PGA:", self.pga), self.pga)
            self.fields["PGA"] = self.pga
        if self.index is None:
            return
        heading = QLabel(
            f"<b>{html.escape(self.index.short)}</b> items (recall: {html.escape(self.index.recall)}). Press the "
            "level's number.",
            parent,
        )
        heading.setWordWrap(True)
        form.addRow(heading)
        for item in self.index.items:
            picker = LevelPicker(
                [f"{level.label} ({format(level.points.normalize(), 'f')})" for level in item.levels], parent
            )
            if item.from_observation is not None:
                picker.setItemText(0, f"– from the {get_spec(item.from_observation.code).short or item.label}")
            if item.help:
                picker.setToolTip(item.help)
            form.addRow(QLabel(item.label, parent), picker)
            self.index_items[item.key] = picker
        self.fields[self.index.code] = next(iter(self.index_items.values()))
        self.outside = QCheckBox(f"The {self.index.short} total comes from &elsewhere", parent)
        self.outside_total = QLineEdit(parent)
        self.outside_total.setPlaceholderText("total")
        self.outside_source = QLineEdit(parent)
        self.outside_source.setPlaceholderText("where it comes from, e.g. the referral letter")
        line = QHBoxLayout()
        line.addWidget(self.outside_total)
        line.addWidget(self.outside_source, 3)
        form.addRow(self.outside)
        form.addRow(line)
        self.outside.toggled.connect(self._outside_toggled)
        self._outside_toggled(False)

    def _outside_toggled(self, on: bool) -> None:
        self.outside_total.setEnabled(on)
        self.outside_source.setEnabled(on)
        for picker in self.index_items.values():
            picker.setEnabled(not on)
        if on:
            self.outside_total.setFocus()

    def _values(self, parent: QWidget) -> None:
        self.values: dict[str, QWidget] = {}
        growth = [c for c in self.spec.observations if c in ("WEIGHT", "HEIGHT")]
        others = [c for c in self.spec.observations if c not in ("WEIGHT", "HEIGHT")]
        for title, codes in (("Growth", growth), ("Results and scores", others)):
            if not codes:
                continue
            form = self._section(parent, title)
            for code in codes:
                spec = get_spec(code)
                if spec.kind == "choice":
                    widget: QWidget = QComboBox(parent)
                    widget.addItem("– not recorded", None)
                    for choice in spec.choices:
                        widget.addItem(choice, choice)
                elif spec.kind == "text":
                    widget = QLineEdit(parent)
                    widget.setPlaceholderText("e.g. no growth; Pseudomonas aeruginosa")
                else:
                    widget = ValueField(code, spec.unit_choices(), parent)
                    previous = self.spec.previous.get(code)
                    if previous:
                        widget.set_hint(f"last {previous[1]} on {format_date(previous[0])}")
                if code in self.spec.recorded:
                    widget.setEnabled(False)
                    widget.setToolTip("Already recorded for this visit; correct it from the patient page.")
                form.addRow(self._label(f"{spec.label}:", widget), widget)
                self.values[code] = widget
                self.fields[code] = widget

    def _medicines(self, parent: QWidget) -> None:
        box = QGroupBox("Medicines", parent)
        layout = QVBoxLayout(box)
        self.sections.addWidget(box)
        self.current: list[_MedicationRow] = []
        if self.spec.current_medications:
            grid = QGridLayout()
            layout.addLayout(grid)
            for n, med in enumerate(self.spec.current_medications):
                self.current.append(_MedicationRow(box, grid, n, med))
        else:
            layout.addWidget(QLabel("No current medicines on record.", box))
        self.start_grid = QGridLayout()
        layout.addLayout(self.start_grid)
        self.starts: list[_StartRow] = [_StartRow(box, self.start_grid, 0, self.spec.drugs)]
        self.add_start = QPushButton("&Another medicine to start", box)
        self.add_start.clicked.connect(self._another_start)
        layout.addWidget(self.add_start, 0, Qt.AlignmentFlag.AlignLeft)
        self._start_parent = box
        self.fields["drug"] = self.fields["drug_class"] = self.fields["dose"] = self.starts[0].drug

    def _another_start(self) -> None:
        row = _StartRow(self._start_parent, self.start_grid, len(self.starts), self.spec.drugs)
        self.starts.append(row)
        self._watch(self._start_parent)
        self._chain()
        row.drug.setFocus()

    def _events(self, parent: QWidget) -> None:
        self.screenings: list[_ScreeningRow] = []
        if not (self.spec.immunizations or self.spec.screenings):
            self.immunizations = QListWidget(parent)
            self.immunizations.hide()
            return
        box = QGroupBox("Immunizations and screening", parent)
        layout = QVBoxLayout(box)
        self.sections.addWidget(box)
        self.immunizations = QListWidget(box)
        if self.spec.immunizations:
            label = QLabel("&Immunizations given (Space ticks):", box)
            label.setBuddy(self.immunizations)
            for name in self.spec.immunizations:
                item = QListWidgetItem(name, self.immunizations)
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                item.setCheckState(Qt.CheckState.Unchecked)
            self.immunizations.setMaximumHeight(self.immunizations.sizeHintForRow(0) * 5 + 8)
            layout.addWidget(label)
            layout.addWidget(self.immunizations)
        grid = QGridLayout()
        layout.addLayout(grid)
        self.screenings = [_ScreeningRow(box, grid, n, self.spec.screenings) for n in range(2)]
        self.fields["event"] = self.screenings[0].name

    # -- reading the form -------------------------------------------------------------------------------------------
    def entry(self) -> VisitInput:
        values: list[ValueInput] = []
        if self.pga is not None and self.pga.level() is not None:
            values.append(ValueInput("PGA", get_spec("PGA").choices[self.pga.level()]))
        for code, widget in self.values.items():
            if not widget.isEnabled():
                continue
            if isinstance(widget, ValueField):
                text = widget.text()
                typed_unit = split_value_unit(text)[1] if text else None
                if text:
                    values.append(ValueInput(code, text, None if typed_unit else widget.unit_text()))
            elif isinstance(widget, QComboBox) and widget.currentData() is not None:
                values.append(ValueInput(code, widget.currentData()))
            elif isinstance(widget, QLineEdit) and widget.text().strip():
                values.append(ValueInput(code, widget.text()))
        index = None
        if self.index is not None:
            if self.outside.isChecked():
                index = IndexInput(
                    self.index.code,
                    outside_total=self.outside_total.text().strip() or "",
                    outside_source=self.outside_source.text(),
                )
            else:
                levels = {k: p.level() for k, p in self.index_items.items() if p.level() is not None}
                if levels:
                    index = IndexInput(self.index.code, levels)
        changes, stops = [], []
        for row in self.current:
            key = row.action.currentData()
            if key == "dose":
                changes.append(DoseChange(row.med.id, row.detail.text()))
            elif key == "stop":
                stops.append(MedicationStop(row.med.id, row.detail.text()))
        starts = tuple(
            MedicationStart(
                r.drug.currentText().strip(),
                r.dose.text().strip() or None,
                drug_class=r.drug_class.text().strip() or None,
            )
            for r in self.starts
            if r.drug.currentText().strip()
        )
        events = [
            EventInput("immunization", self.immunizations.item(i).text())
            for i in range(self.immunizations.count())
            if self.immunizations.item(i).checkState() == Qt.CheckState.Checked
        ]
        events += [
            EventInput("screening", r.name.currentText(), r.result.text() or None)
            for r in self.screenings
            if r.name.currentText().strip()
        ]
        return VisitInput(
            patient_id=self.spec.patient_id,
            day=self.day.value(),
            visit_id=self.spec.visit_id,
            clinician=self.clinician.text(),
            visit_type=self.visit_type.currentText(),
            values=tuple(values),
            index=index,
            starts=starts,
            dose_changes=tuple(changes),
            stops=tuple(stops),
            events=tuple(events),
        )

    def _watch(self, root: QWidget) -> None:
        """Recompute the panel a moment after anything changes, and remember that the form has edits."""

        def changed(*_args) -> None:
            self._dirty = True
            self._timer.start()

        for w in root.findChildren(QLineEdit):
            if not w.property("watched"):
                w.setProperty("watched", True)
                w.textChanged.connect(changed)
        for w in root.findChildren(QComboBox):
            if not w.property("watched"):
                w.setProperty("watched", True)
                w.currentIndexChanged.connect(changed)
        for w in root.findChildren(QCheckBox):
            if not w.property("watched"):
                w.setProperty("watched", True)
                w.toggled.connect(changed)
        if root is self:
            self.immunizations.itemChanged.connect(changed)

    # -- the panel --------------------------------------------------------------------------------------------------
    def recheck(self, entry=None):
        """Check the form as it stands (or ``entry``); show the computed values and warnings, or what is wrong.

        Returns the check (its warnings among it), or None when something cannot be accepted.
        """
        for widget in self.fields.values():
            mark_problem(widget, False)
        try:
            check = self.ctx.visits.check(self.ctx.actor, entry or self.entry())
        except LhnError as exc:
            self._show_problem(exc)
            return None
        self.problem.hide()
        self.summary.setText(self._summary_html(check))
        return check

    def _show_problem(self, exc: LhnError) -> None:
        self.problem.setText(html.escape(exc.message))
        self.problem.show()
        self._problem_field = self.fields.get(getattr(exc, "field", None) or "")
        mark_problem(self._problem_field, True)

    def _summary_html(self, check) -> str:
        e = html.escape
        parts = []
        if check.index is not None:
            ix = check.index
            source = f"<br><i>from {e(ix.outside_source)}</i>" if ix.outside_source else ""
            parts.append(f"<p><b>{e(ix.short)} {e(ix.total)}</b>: {e(ix.category)}{source}</p>")
        elif self.index is not None:
            parts.append(f"<p><b>{e(self.index.short)}</b>: choose a level for each item.</p>")
        if check.growth is not None:
            g = check.growth
            rows = "".join(
                f"<tr><td>{'BMI' if m == 'bmi' else m.capitalize()}</td><td>z {e(z)}</td>"
                f"<td>percentile {e(p)}</td></tr>"
                for m, (z, p) in sorted(g.scores.items(), key=lambda kv: ("weight", "height", "bmi").index(kv[0]))
            )
            bmi = f"<p><b>BMI {e(g.bmi)}</b> kg/m²</p>" if g.bmi else ""
            note = f"<p><i>{e(g.note)}</i></p>" if g.note else ""
            parts.append(f"{bmi}<table cellspacing='4'>{rows}</table>{note}")
        converted = [r for r in check.readings if r.original_value]
        if converted:
            parts.append(
                "<p>"
                + "<br>".join(
                    f"{e(get_spec(r.code).label)}: {e(r.original_value)} "
                    f"{e(r.original_unit or '')} = <b>{e(r.display)}</b>"
                    for r in converted
                )
                + "</p>"
            )
        if check.warnings:
            parts.append(
                "<p style='color:#7a5200'><b>Worth a second look</b></p><ul>"
                + "".join(f"<li>{e(w)}</li>" for w in check.warnings)
                + "</ul>"
            )
        return "".join(parts) or "Fill in what was done at the visit; the totals appear here."

    # -- saving -----------------------------------------------------------------------------------------------------
    def save(self) -> None:
        entry = self.entry()
        check = self.recheck(entry)
        if check is None:
            if self._problem_field is not None and self._problem_field.isEnabled():
                self._problem_field.setFocus()
            return
        if check.warnings:  # shown, and kept only when the clinician says so
            answer = QMessageBox.question(
                self,
                "Keep these values?",
                "These values deserve a second look:\n\n"
                + "\n".join(f"• {w}" for w in check.warnings)
                + "\n\nKeep them as they are?",
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Save:
                return
        try:
            self.saved = self.ctx.visits.record(self.ctx.actor, entry, accept_warnings=bool(check.warnings))
        except ValidationError as exc:
            self._show_problem(exc)
            widget = self.fields.get(exc.field or "")
            if widget is not None and widget.isEnabled():
                widget.setFocus()
            return
        except LhnError as exc:
            show_error(self, exc)
            return
        self._dirty = False
        self.accept()
        announce(self, Changed.VISITS | Changed.PLANS)

    def reject(self) -> None:
        if self._dirty:
            answer = QMessageBox.question(
                self,
                "Discard the visit form?",
                DISCARD_QUESTION,
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                return
        super().reject()
