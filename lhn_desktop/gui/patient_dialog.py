"""Registering a patient, or editing their record: one form, fields in a fixed order, fast by keyboard."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.errors import LhnError, NeedsConfirmation, ValidationError
from lhn_desktop.gui.clinical_widgets import DateField, chain, mark_problem
from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.operations import Changed, announce
from lhn_desktop.gui.widgets import note, select_data
from lhn_desktop.services.registry import (
    CROHN,
    PARIS_BEHAVIOUR,
    PARIS_GROWTH,
    PARIS_LOCATION,
    PARIS_UPPER_GI,
    SEXES,
    STATUSES,
    UC_EXTENT,
    UC_LIKE,
    UC_SEVERITY,
    PatientInput,
    diagnoses,
    paris_age,
)

LANGUAGES = (
    "English",
    "Spanish",
    "Arabic",
    "Chinese (Mandarin)",
    "Chinese (Cantonese)",
    "French",
    "Haitian Creole",
    "Portuguese",
    "Russian",
    "Somali",
    "Swedish",
    "Vietnamese",
)
UNKNOWN = "– not yet known"


def _combo(parent: QWidget, choices: dict[str, str], *, blank: str | None = UNKNOWN) -> QComboBox:
    combo = QComboBox(parent)
    if blank is not None:
        combo.addItem(blank, None)
    for key, label in choices.items():
        combo.addItem(label, key or None)
    return combo


class PatientDialog(QDialog):
    """New patient (``patient_id`` None) or the patient's record to edit, with the reason for the change."""

    def __init__(self, ctx, parent: QWidget | None = None, *, patient_id: str | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.patient_id = ctx, patient_id
        self.saved_id: str | None = None
        editing = patient_id is not None
        self.setWindowTitle("Edit the patient's record" if editing else "New patient")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        layout.addWidget(
            note(
                "Every change is kept in the record's history with who made it and why."
                if editing
                else "Register a patient of this center. The MRN is typed exactly as the hospital writes it.",
                self,
            )
        )
        form = QFormLayout()
        layout.addLayout(form)
        self.fields: dict[str, QWidget] = {}

        def row(form_layout: QFormLayout, text: str, name: str, widget: QWidget) -> QWidget:
            label = QLabel(text, self)
            label.setBuddy(widget)
            form_layout.addRow(label, widget)
            self.fields[name] = widget
            return widget

        self.mrn = row(form, "&MRN:", "mrn", QLineEdit(self))
        self.mrn.setMaxLength(40)
        self.given = row(form, "&Given name:", "given_name", QLineEdit(self))
        self.family = row(form, "&Family name:", "family_name", QLineEdit(self))
        self.birth = row(form, "&Birth date:", "birth_date", DateField("birth_date", "birth date", self))
        self.sex = row(form, "&Sex:", "sex", _combo(self, SEXES, blank="– choose"))
        self.diagnosis = row(form, "&Diagnosis:", "diagnosis", QComboBox(self))
        self.diagnosis.addItem("– no diagnosis yet", None)
        for dx in diagnoses():
            self.diagnosis.addItem(dx, dx)
        self.dx_date = row(
            form,
            "Diagnosis d&ate:",
            "diagnosis_date",
            DateField("diagnosis_date", "diagnosis date", self, optional=True),
        )

        self.crohn_box = QGroupBox("Paris classification (Crohn disease)", self)
        crohn = QFormLayout(self.crohn_box)
        self.paris_age = QLabel("", self.crohn_box)
        crohn.addRow("Age at diagnosis:", self.paris_age)
        self.location = row(crohn, "&Location:", "paris_location", _combo(self, PARIS_LOCATION))
        self.upper = row(crohn, "&Upper GI:", "paris_upper_gi", _combo(self, PARIS_UPPER_GI, blank=None))
        self.behaviour = row(crohn, "Be&haviour:", "paris_behaviour", _combo(self, PARIS_BEHAVIOUR))
        self.perianal = row(crohn, "", "paris_perianal", QCheckBox("&Perianal disease (p)", self))
        self.growth = row(crohn, "G&rowth:", "paris_growth", _combo(self, PARIS_GROWTH))
        form.addRow(self.crohn_box)
        self.uc_box = QGroupBox("Paris classification (ulcerative colitis, IBD unclassified)", self)
        uc = QFormLayout(self.uc_box)
        self.extent = row(uc, "E&xtent:", "uc_extent", _combo(self, UC_EXTENT))
        self.severity = row(uc, "Se&verity:", "uc_severity", _combo(self, UC_SEVERITY))
        form.addRow(self.uc_box)
        more = form
        self.phone = row(more, "P&hone:", "phone", QLineEdit(self))
        self.email = row(more, "E-&mail:", "email", QLineEdit(self))
        self.language = row(more, "Preferred &language:", "preferred_language", QComboBox(self))
        self.language.setEditable(True)
        self.language.addItem("")
        self.language.addItems(list(LANGUAGES))
        self.status = row(more, "S&tatus:", "status", _combo(self, STATUSES, blank=None))
        self.status_date = row(
            more, "Status dat&e:", "status_date", DateField("status_date", "status date", self, optional=True)
        )
        self.reason: QLineEdit | None = None
        if editing:
            self.reason = row(more, "&Why this change:", "reason", QLineEdit(self))
            self.reason.setPlaceholderText("e.g. moved to adult care; phone number changed")

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self
        )
        save = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        save.setText("&Save" if editing else "&Register")
        save.setToolTip("Save (Ctrl+Enter)")
        for button in self.buttons.buttons():  # Enter in a field moves on; it never saves half a form
            button.setAutoDefault(False)
            button.setDefault(False)
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        for keys in ("Ctrl+Return", "Ctrl+Enter", "Ctrl+S"):
            QShortcut(QKeySequence(keys), self, activated=self.save)

        self.diagnosis.currentIndexChanged.connect(lambda _i: self._show_classification())
        self.birth.textChanged.connect(lambda _t: self._show_classification())
        self.dx_date.textChanged.connect(lambda _t: self._show_classification())
        for edit in (
            self.mrn,
            self.given,
            self.family,
            self.birth,
            self.dx_date,
            self.phone,
            self.email,
            self.status_date,
        ):
            edit.returnPressed.connect(self.focusNextChild)
        chain(
            [
                self.mrn,
                self.given,
                self.family,
                self.birth,
                self.sex,
                self.diagnosis,
                self.dx_date,
                self.location,
                self.upper,
                self.behaviour,
                self.perianal,
                self.growth,
                self.extent,
                self.severity,
                self.phone,
                self.email,
                self.language,
                self.status,
                self.status_date,
                self.reason,
                *self.buttons.buttons(),
            ]
        )
        if editing:
            self._load(ctx.registry.form(ctx.actor, patient_id))
        self._show_classification()
        self.status.currentIndexChanged.connect(self._status_changed)  # after loading: a change the user makes
        self.mrn.setFocus()

    # -- showing ---------------------------------------------------------------------------------------------------
    def _load(self, p: PatientInput) -> None:
        self.mrn.setText(p.mrn)
        self.given.setText(p.given_name)
        self.family.setText(p.family_name)
        self.birth.set_value(p.birth_date)
        select_data(self.sex, p.sex)
        select_data(self.diagnosis, p.diagnosis)
        self.dx_date.set_value(p.diagnosis_date)
        for combo, value in (
            (self.location, p.paris_location),
            (self.upper, p.paris_upper_gi),
            (self.behaviour, p.paris_behaviour),
            (self.growth, p.paris_growth),
            (self.extent, p.uc_extent),
            (self.severity, p.uc_severity),
        ):
            select_data(combo, value)
        self.perianal.setChecked(bool(p.paris_perianal))
        self.phone.setText(p.phone or "")
        self.email.setText(p.email or "")
        self.language.setCurrentText(p.preferred_language or "")
        select_data(self.status, p.status)
        self.status_date.set_value(p.status_date)

    def _show_classification(self) -> None:
        dx = self.diagnosis.currentData()
        self.crohn_box.setVisible(dx == CROHN)
        self.uc_box.setVisible(dx in UC_LIKE)
        try:
            group = paris_age(self.birth.value(), self.dx_date.value())
        except ValidationError:
            group = None
        self.paris_age.setText(
            f"{group} (from the birth and diagnosis dates)"
            if group
            else "from the birth and diagnosis dates, once both are given"
        )
        self.adjustSize()

    def _status_changed(self, _index: int = 0) -> None:
        active = self.status.currentData() == "active"
        if not active and not self.status_date.text():
            self.status_date.set_value(self.ctx.today())

    # -- saving ----------------------------------------------------------------------------------------------------
    def entry(self) -> PatientInput:
        """What the form says, as the registry takes it (its rules apply when it is checked)."""
        dx = self.diagnosis.currentData()
        crohn, uc = dx == CROHN, dx in UC_LIKE
        return PatientInput(
            mrn=self.mrn.text(),
            given_name=self.given.text(),
            family_name=self.family.text(),
            birth_date=self.birth.value(),
            sex=self.sex.currentData() or "",
            diagnosis=dx,
            diagnosis_date=self.dx_date.value(),
            paris_location=self.location.currentData() if crohn else None,
            paris_upper_gi=self.upper.currentData() if crohn else None,
            paris_behaviour=self.behaviour.currentData() if crohn else None,
            paris_perianal=self.perianal.isChecked() if crohn else None,
            paris_growth=self.growth.currentData() if crohn else None,
            uc_extent=self.extent.currentData() if uc else None,
            uc_severity=self.severity.currentData() if uc else None,
            phone=self.phone.text(),
            email=self.email.text(),
            preferred_language=self.language.currentText(),
            status=self.status.currentData(),
            status_date=self.status_date.value(),
        )

    def save(self) -> None:
        for widget in self.fields.values():
            mark_problem(widget, False)
        try:
            entry = self.entry()
            check = self.ctx.registry.check(self.ctx.actor, entry, self.patient_id)
            accept = False
            if check.warnings:
                answer = QMessageBox.question(
                    self,
                    "Same name and birth date",
                    "\n\n".join(check.warnings) + "\n\nSave anyway?",
                    QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Cancel,
                    QMessageBox.StandardButton.Cancel,
                )
                if answer != QMessageBox.StandardButton.Save:
                    self.family.setFocus()
                    return
                accept = True
            if self.patient_id is None:
                self.saved_id = self.ctx.registry.add(self.ctx.actor, entry, accept_warnings=accept).patient_id
            else:
                reason = self.reason.text() if self.reason is not None else None
                self.ctx.registry.edit(self.ctx.actor, self.patient_id, entry, reason=reason, accept_warnings=accept)
                self.saved_id = self.patient_id
        except NeedsConfirmation as exc:  # another workstation added a same-name patient meanwhile
            show_error(self, exc)
            return
        except ValidationError as exc:
            widget = self.fields.get(exc.field or "")
            show_error(self, exc)
            if widget is not None:
                mark_problem(widget, True)
                if not widget.isVisible():
                    widget = self.diagnosis
                widget.setFocus(Qt.FocusReason.OtherFocusReason)
            return
        except LhnError as exc:
            show_error(self, exc)
            return
        self.accept()
        announce(self, Changed.PATIENTS)
