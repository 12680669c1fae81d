"""Patients: a searchable list and the patient page with demographics, diagnosis and history."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.gui.models import ROW_ROLE, Column, RowsTableModel
from lhn_desktop.gui.operations import Changed
from lhn_desktop.gui.pages.base import Page
from lhn_desktop.gui.pages.patient_actions import PATIENT_ACTIONS, PatientActions
from lhn_desktop.gui.widgets import RecordsView, note, page_actions
from lhn_desktop.localization import format_date
from lhn_desktop.services.dto import PatientDetail
from lhn_desktop.services.patients import RESULT_COLUMNS
from lhn_desktop.services.registry import STATUSES
from lhn_desktop.services.words.planning import VISIT_STATES


def record_note(row) -> str:
    """What the patient page says about an entry: entered in error, corrected."""
    notes = []
    if getattr(row, "entered_in_error", False):
        notes.append("entered in error")
    if getattr(row, "corrected", False):
        notes.append("corrected (Ctrl+Shift+H: history)")
    if getattr(row, "in_conflict", False):
        notes.append("two workstations disagree: see Sync")
    return "; ".join(notes)


def observation_note(row) -> str:
    notes = [n for n in (f"typed {row.original}" if row.original else "", row.detail or "", record_note(row)) if n]
    return "; ".join(notes)


def _table(columns: list[Column], parent: QWidget) -> tuple[RecordsView, RowsTableModel]:
    view = RecordsView(columns, parent)
    return view, view.rows_model


class PatientDetailView(QWidget):
    """The patient page: who they are, their diagnosis, and their observation history."""

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from lhn_desktop.gui.pages.care_tab import CareTab

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.name = QLabel("Choose a patient from the list.", self)
        self.name.setObjectName("patientName")
        layout.addWidget(self.name)
        # two columns of label and value, so the header stays short on a laptop screen
        form = QGridLayout()
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(2)
        self.fields: dict[str, QLabel] = {}
        for n, (key, label) in enumerate((
            ("mrn", "MRN"),
            ("born", "Born"),
            ("sex", "Sex"),
            ("status", "Status"),
            ("diagnosis", "Diagnosis"),
            ("contact", "Language, phone"),
            ("classification", "Classification"),
            ("visits", "Visits"),
        )):  # fmt: skip
            value = QLabel("", self)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setWordWrap(True)  # a long diagnosis wraps rather than widening the window at a large text size
            self.fields[key] = value
            form.addWidget(QLabel(f"{label}:", self), n // 2, (n % 2) * 2)
            form.addWidget(value, n // 2, (n % 2) * 2 + 1)
        form.setColumnStretch(1, 1)
        form.setColumnStretch(3, 1)
        layout.addLayout(form)
        self.tabs = QTabWidget(self)
        self.activity, self.activity_model = _table(
            [Column("Date", lambda r: r.observed_on)]
            + [Column(title, lambda r, code=code: r.values.get(code), True) for code, title in RESULT_COLUMNS],
            self,
        )
        self.observations, self.observations_model = _table(
            [
                Column("Date", lambda o: o.observed_on),
                Column("Observation", lambda o: o.label),
                Column("Value", lambda o: o.value, True),
                Column("Unit", lambda o: o.unit),
                Column("Note", observation_note),
            ],
            self,
        )
        self.growth, self.growth_model = _table(
            [
                Column("Date", lambda g: g.observed_on),
                Column("Weight kg", lambda g: g.weight, True),
                Column("Height cm", lambda g: g.height, True),
                Column("BMI", lambda g: g.bmi, True),
                *[
                    Column(f"{title} {part}", lambda g, m=m, i=i: g.scores[m][i] if m in g.scores else None, True)
                    for m, title in (("weight", "Weight"), ("height", "Height"), ("bmi", "BMI"))
                    for i, part in ((0, "z"), (1, "percentile"))
                ],
            ],
            self,
        )
        self.medications, self.medications_model = _table(
            [
                Column("Medication", lambda m: m.drug),
                Column("Class", lambda m: m.drug_class),
                Column("Dose", lambda m: m.dose),
                Column("Started", lambda m: m.start_date),
                Column("Stopped", lambda m: m.stop_date or "ongoing"),
                Column("Why stopped", lambda m: m.stop_reason),
                Column("Note", record_note),
            ],
            self,
        )
        self.visits, self.visits_model = _table(
            [
                Column("Date", lambda v: v.visit_date),
                Column("Time", lambda v: v.visit_time),
                Column("Type", lambda v: v.visit_type),
                Column("Clinician", lambda v: v.clinician),
                Column("Status", lambda v: VISIT_STATES.get(v.status, v.status)),
            ],
            self,
        )
        self.events, self.events_model = _table(
            [
                Column("Date", lambda e: e.event_date),
                Column("Kind", lambda e: e.kind),
                Column("What", lambda e: e.code),
                Column("Result", lambda e: e.result),
                Column("Note", record_note),
            ],
            self,
        )
        self.ctx = ctx
        from lhn_desktop.gui.chart_view import ChartView

        self.activity_chart = ChartView(self)
        self.tabs.addTab(self.activity_chart, "&Disease activity")
        self.care = CareTab(ctx, self)
        self.tabs.addTab(self.care, "&Goals and tasks")
        self.tabs.addTab(self.activity, "&Results by visit")
        self.tabs.addTab(self.observations, "&All observations")
        self.tabs.addTab(self.growth, "G&rowth")
        self.tabs.addTab(self.medications, "&Medications")
        self.tabs.addTab(self.visits, "&Visits")
        self.tabs.addTab(self.events, "&Screening and vaccines")
        layout.addWidget(self.tabs, 1)
        self.patient_id: str | None = None
        self._detail = None
        self._chart_drawn = False
        self.tabs.currentChanged.connect(lambda _i: self._draw_activity())

    def _draw_activity(self) -> None:
        """Draw the activity chart when its tab is shown (matplotlib loads only then)."""
        if self._detail is None or self._chart_drawn or self.tabs.currentWidget() is not self.activity_chart:
            return
        from lhn_desktop.services.patients import activity_chart

        self.activity_chart.show_figure(activity_chart(self._detail, self.ctx.today()))
        self._chart_drawn = True

    def clear(self) -> None:
        self.patient_id = None
        self._detail = None
        self.care.show_patient(None)
        self.name.setText("Choose a patient from the list.")
        for value in self.fields.values():
            value.setText("")
        for model in (
            self.activity_model,
            self.observations_model,
            self.growth_model,
            self.medications_model,
            self.visits_model,
            self.events_model,
        ):
            model.set_rows([])

    def show_patient(self, detail: PatientDetail) -> None:
        s = detail.summary
        self.patient_id = s.id
        self.name.setText(f"{s.name}")
        self.fields["mrn"].setText(s.mrn)
        self.fields["born"].setText(f"{format_date(s.birth_date)} (age {detail.age_years})")
        self.fields["sex"].setText(s.sex)
        dx = s.diagnosis or "not recorded"
        if detail.diagnosis_date:
            dx += f", diagnosed {format_date(detail.diagnosis_date)}"
        self.fields["diagnosis"].setText(dx)
        self.fields["classification"].setText(detail.disease_classification or "not complete")
        status = STATUSES.get(detail.status, detail.status)
        since = f" since {format_date(detail.status_date)}" if detail.status_date else ""
        self.fields["status"].setText(status + since)
        self.fields["contact"].setText(" · ".join(x for x in (detail.preferred_language, detail.phone) if x) or "–")
        last = format_date(s.last_visit, empty="none yet")
        nxt = format_date(s.next_visit, empty="none scheduled")
        self.fields["visits"].setText(f"last {last}; next {nxt}")
        self.activity_model.set_rows(detail.results)
        for i, (code, _title) in enumerate(RESULT_COLUMNS, start=1):  # hide PCDAI for UC, PUCAI for Crohn, ...
            self.activity.setColumnHidden(i, not any(code in r.values for r in detail.results))
        self.observations_model.set_rows(detail.observations)
        self.growth_model.set_rows(detail.growth)
        self.medications_model.set_rows(detail.medications)
        self.visits_model.set_rows(detail.visits)
        self.events_model.set_rows(detail.events)
        self.care.show_patient(s.id)
        self._detail = detail
        self._chart_drawn = False
        if self.tabs.currentWidget() is self.activity_chart:
            self._draw_activity()
        for view, column in (
            (self.activity, 0),
            (self.observations, 0),
            (self.growth, 0),
            (self.medications, 3),
            (self.visits, 0),
            (self.events, 0),
        ):
            view.sortByColumn(column, Qt.SortOrder.DescendingOrder)  # newest first, as the header shows


#: How many patients the list shows at once; a search narrows it.
LIST_LIMIT = 5000


class PatientsPage(PatientActions, Page):
    title = "Patients"
    explanation = (
        "Search by name or MRN (Ctrl+F) and move through the list with the arrow keys; the patient's page shows on "
        "the right. New patient Ctrl+Shift+N, record a visit Ctrl+R, correct the chosen entry Ctrl+Shift+C."
    )
    shows = Changed.PATIENTS | Changed.VISITS | Changed.PLANS
    patient_data = True

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        self.actions_, tools = page_actions(
            self, [(key, text, keys, getattr(self, method)) for key, text, keys, method in PATIENT_ACTIONS]
        )
        self.layout_.addWidget(tools)
        bar = QHBoxLayout()
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("Search patients by name or MRN")
        self.search.setClearButtonEnabled(True)
        self.count = QLabel("", self)
        bar.addWidget(self.search, 1)
        bar.addWidget(self.count)
        self.layout_.addLayout(bar)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.table = RecordsView(
            [
                Column("MRN", lambda p: p.mrn),
                Column("Name", lambda p: p.name),
                Column("Born", lambda p: p.birth_date),
                Column("Diagnosis", lambda p: p.diagnosis),
                Column("Last visit", lambda p: p.last_visit),
                Column("Next visit", lambda p: p.next_visit),
                Column("Status", lambda p: "" if p.status == "active" else STATUSES.get(p.status, p.status)),
            ],
            splitter,
        )
        self.model = self.table.rows_model
        self.detail = PatientDetailView(ctx, splitter)
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        # a third for the list (the sizes weigh; the splitter keeps its width): the patient's page asks for more,
        # and without this the list was squeezed to its MRN and half a name
        splitter.setSizes([400, 800])
        self.layout_.addWidget(splitter, 1)
        self.empty = note("", self)
        self.layout_.addWidget(self.empty)
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(150)
        self._debounce.timeout.connect(self.refresh)
        self.search.textChanged.connect(lambda _t: self._debounce.start())
        self.search.returnPressed.connect(self._focus_list)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show_current())
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.search.setFocus).setWhatsThis("Search patients")

    def _focus_list(self) -> None:
        self._debounce.stop()
        self.refresh()
        self.table.setFocus()
        self.table.select_first()

    def refresh(self) -> None:
        rows = self.ctx.patients.search(self.ctx.actor, self.search.text(), limit=LIST_LIMIT + 1)
        more = len(rows) > LIST_LIMIT
        rows = rows[:LIST_LIMIT]
        self.model.set_rows(rows)
        self.table.sortByColumn(1, Qt.SortOrder.AscendingOrder)
        if more:
            self.count.setText(f"first {LIST_LIMIT:,} shown; type to narrow the search")
        else:
            self.count.setText(f"{len(rows)} patient{'s' if len(rows) != 1 else ''}")
        if not rows:
            self.empty.setText(
                "No patient matches that search."
                if self.search.text().strip()
                else "There are no patients in this center's database yet. Register one with New patient "
                "(Ctrl+Shift+N)."
            )
        else:
            self.empty.setText("")
        shown = self.detail.patient_id
        if shown is not None and not any(r.id == shown for r in rows):
            self.detail.clear()  # the patient on the right is no longer in the list
        if self.detail.patient_id is None and rows:
            self.table.select_first()

    def data_changed(self, changes: Changed) -> None:
        """The list again, and the patient shown, on the same tab."""
        if self.detail.patient_id is None:
            self.refresh()
        else:
            self._reload(self.detail.patient_id)

    def _show_current(self) -> None:
        row = self.table.current_row()
        if row is not None and row.id != self.detail.patient_id:
            self.detail.show_patient(self.ctx.patients.get(self.ctx.actor, row.id))

    def show_patient(self, patient_id: str) -> None:
        """Open one patient (from the huddle), clearing the search so the list shows them."""
        if self.search.text():
            self.search.blockSignals(True)
            self.search.clear()
            self.search.blockSignals(False)
            self.refresh()
        detail = self.ctx.patients.get(self.ctx.actor, patient_id)
        if not any(r.id == patient_id for r in self.model.rows):
            self.search.blockSignals(True)
            self.search.setText(detail.summary.mrn)  # beyond the list limit: narrow the list to this patient
            self.search.blockSignals(False)
            self.refresh()
        self.detail.show_patient(detail)
        proxy = self.table.model()
        for r in range(proxy.rowCount()):
            if proxy.index(r, 0).data(ROW_ROLE).id == patient_id:
                self.table.selectRow(r)
                break
