"""Huddle: the clinic day's patients in time order."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import QComboBox, QDateEdit, QHBoxLayout, QLabel

from lhn_desktop.gui.models import Column
from lhn_desktop.gui.pages.base import Page
from lhn_desktop.gui.widgets import RecordsView


class HuddlePage(Page):
    title = "Huddle"
    explanation = (
        "The clinic day's schedule from this center's database, in time order. Press Enter on a patient to open "
        "their page. Pre-visit checklists (what is due or overdue and why), the family's agenda, flags for the "
        "huddle and the printable huddle sheet are added with pre-visit planning."
    )
    patient_data = True

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        bar = QHBoxLayout()
        label = QLabel("Clinic &date:", self)
        self.date = QDateEdit(self)
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("ddd d MMM yyyy")
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
        self.layout_.addLayout(bar)
        self.summary = QLabel("", self)
        self.summary.setObjectName("summaryLine")
        self.layout_.addWidget(self.summary)
        self.table = RecordsView(
            [
                Column("Time", lambda v: v.time),
                Column("Patient", lambda v: v.patient_name),
                Column("MRN", lambda v: v.mrn),
                Column("Clinician", lambda v: v.clinician),
                Column("Visit type", lambda v: v.visit_type),
                Column("Status", lambda v: v.status.replace("_", " ")),
            ],
            self,
        )
        self.model = self.table.rows_model
        self.layout_.addWidget(self.table, 1)
        self.table.activated_row.connect(lambda v: self.open_patient.emit(v.patient_id))
        self.date.dateChanged.connect(lambda _d: self._load_day())
        self.days.activated.connect(self._pick_day)
        self._started = False

    def refresh(self) -> None:
        days = self.ctx.overview.clinic_days()
        self.days.clear()
        for d in days:
            self.days.addItem(f"{d.day:%a %d %b %Y} ({d.scheduled} scheduled)", d.day)
        if not days:
            self.days.addItem("No upcoming clinic days", None)
        self.days.setEnabled(bool(days))
        if not self._started:
            self._started = True
            first = days[0].day if days else self.ctx.today()
            self.date.setDate(QDate(first.year, first.month, first.day))
        self._load_day()

    def _pick_day(self, index: int) -> None:
        day: date | None = self.days.itemData(index)
        if day is None:
            return
        self.date.setDate(QDate(day.year, day.month, day.day))
        self.table.setFocus()

    def selected_day(self) -> date:
        d = self.date.date()
        return date(d.year(), d.month(), d.day())

    def _load_day(self) -> None:
        day = self.selected_day()
        visits = self.ctx.overview.day_schedule(self.ctx.actor, day)
        self.model.set_rows(visits)
        self.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        if visits:
            self.summary.setText(
                f"{day:%A %d %B %Y}: {len(visits)} patient{'s' if len(visits) != 1 else ''} on the schedule."
            )
            self.table.select_first()
        else:
            self.summary.setText(f"{day:%A %d %B %Y}: no patients are scheduled. Pick another clinic date.")
