"""Patient lists: who needs outreach (no visit in 200 days, not in remission, on steroids, overdue items)."""

from __future__ import annotations

from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit

from lhn_desktop.gui.models import Column
from lhn_desktop.gui.operations import Changed, run_query
from lhn_desktop.gui.pages.base import Page
from lhn_desktop.gui.widgets import RecordsView, page_actions
from lhn_desktop.services.planning import POPULATIONS


class ListsPage(Page):
    title = "Patient lists"
    explanation = (
        "Active patients who may need outreach, as of today. Choose a list, narrow it by name, MRN or diagnosis, "
        "press Enter to open a patient, or export the list as CSV (Ctrl+E) for phone calls or the registry."
    )
    shows = Changed.PATIENTS | Changed.VISITS | Changed.PLANS
    patient_data = True

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        bar = QHBoxLayout()
        label = QLabel("&List:", self)
        self.kind = QComboBox(self)
        for key, text in POPULATIONS.items():
            self.kind.addItem(text, key)
        label.setBuddy(self.kind)
        filter_label = QLabel("&Narrow to:", self)
        self.filter = QLineEdit(self)
        self.filter.setPlaceholderText("name, MRN or diagnosis")
        self.filter.setClearButtonEnabled(True)
        filter_label.setBuddy(self.filter)
        bar.addWidget(label)
        bar.addWidget(self.kind)
        bar.addSpacing(16)
        bar.addWidget(filter_label)
        bar.addWidget(self.filter, 1)
        actions, tools = page_actions(self, (("export", "Export CSV…", "Ctrl+E", self.export),))
        self.export_action = actions["export"]
        bar.addWidget(tools)
        self.layout_.addLayout(bar)
        self.count = QLabel(self)
        self.layout_.addWidget(self.count)
        self.table = RecordsView(
            [
                Column("Patient", lambda r: r.patient_name),
                Column("MRN", lambda r: r.mrn),
                Column("Phone", lambda r: r.phone),
                Column("Diagnosis", lambda r: r.diagnosis),
                Column("Last visit", lambda r: r.last_visit),
                Column("Next visit", lambda r: r.next_visit),
                Column("Latest PGA", lambda r: r.latest_pga),
                Column("Steroid", lambda r: r.steroid),
                Column("Overdue", lambda r: "; ".join(r.overdue)),
            ],
            self,
        )
        self.model = self.table.rows_model
        self.layout_.addWidget(self.table, 1)
        self.table.activated_row.connect(lambda r: self.open_patient.emit(r.patient_id))
        #: the list last loaded (its kind and every row); "Narrow to" filters these rows, without reading again
        self.loaded: tuple[str, list] | None = None
        self._asked = 0
        self.kind.currentIndexChanged.connect(lambda _i: self.refresh())
        self.filter.textChanged.connect(lambda _t: self._show())

    def refresh(self) -> None:
        """Load the chosen list off the window thread (a progress dialog if it takes a while), then show it."""
        kind = self.kind.currentData()
        self._asked += 1
        asked = self._asked

        def loaded(rows: list) -> None:
            if asked == self._asked:  # a list chosen since, or the data changed: its own load shows it
                self.loaded = (kind, rows)
                self._show()

        run_query(self, lambda: self.ctx.planning.population(self.ctx.actor, kind), done=loaded,
                  label="Making the list…")  # fmt: skip

    def _show(self) -> None:
        if self.loaded is None:
            return
        kind, every = self.loaded
        rows = self.ctx.planning.narrow(every, self.filter.text())
        self.model.set_rows(rows)
        self.count.setText(f"{len(rows)} patient{'s' if len(rows) != 1 else ''}: {POPULATIONS[kind].lower()}.")
        self.table.select_first()

    def export(self) -> None:
        from lhn_desktop.gui.files import ask_save_path, suggested_name

        kind = self.kind.currentData()
        path = ask_save_path(self, "Export the list", "lists", suggested_name(self.kind.currentText(), suffix=".csv"),
                             ["CSV for a spreadsheet (*.csv)"], patient_data=True)  # fmt: skip
        if path is None:
            return
        actor, narrowed_to = self.ctx.actor, self.filter.text()

        def write() -> None:
            text = self.ctx.planning.population_csv(actor, kind, narrowed_to)
            with open(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(text)

        run_query(self, write, done=lambda _none: self.count.setText(f"{self.count.text()} Saved to {path}."),
                  label="Saving the list…")  # fmt: skip
