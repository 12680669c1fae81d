"""The clinical forms on the demo center: registration, the visit form, corrections and their history, export."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from lhn_desktop.gui.correction_dialogs import HistoryDialog, ObservationCorrectionDialog, RemoveVisitDialog
from lhn_desktop.gui.export_dialog import ExportDialog
from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.pages.patients import PatientsPage
from lhn_desktop.gui.patient_dialog import PatientDialog
from lhn_desktop.gui.visit_dialog import VisitDialog
from lhn_desktop.models.team import Role
from tests.conftest import DEMO_TODAY
from tests.gui.conftest import screenshot
from tests.gui.inline_runner import InlineTaskRunner


def answer(monkeypatch, button) -> list[str]:
    """Make QMessageBox.question answer ``button``; returns the questions asked."""
    asked: list[str] = []

    def question(_parent, title, text, *args, **kwargs):
        asked.append(f"{title}: {text}")
        return button

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


@pytest.fixture
def errors(monkeypatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr("lhn_desktop.gui.patient_dialog.show_error", lambda _p, exc: shown.append(exc.message))
    monkeypatch.setattr("lhn_desktop.gui.visit_dialog.show_error", lambda _p, exc: shown.append(exc.message))
    monkeypatch.setattr("lhn_desktop.gui.correction_dialogs.show_error", lambda _p, exc: shown.append(exc.message))
    monkeypatch.setattr("lhn_desktop.gui.export_dialog.show_error", lambda _p, exc: shown.append(exc.message))
    return shown


def a_patient(ctx, diagnosis: str):
    return next(p for p in ctx.patients.search(ctx.actor) if p.diagnosis == diagnosis and p.status == "active")


def test_registration_refuses_bad_input_at_the_field_and_warns_about_a_same_name_patient(
    qtbot, ctx, errors, monkeypatch
) -> None:
    dialog = PatientDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    other = a_patient(ctx, "Crohn disease")
    given, family = other.name.split(", ")[1], other.name.split(", ")[0]
    qtbot.keyClicks(dialog.mrn, other.mrn)
    qtbot.keyClicks(dialog.given, given)
    qtbot.keyClicks(dialog.family, family)
    qtbot.keyClicks(dialog.birth, other.birth_date.isoformat())
    dialog.sex.setCurrentIndex(dialog.sex.findData("female"))
    dialog.save()
    assert errors[-1].startswith("Another patient already has this MRN") and other.mrn not in errors[-1]
    assert dialog.mrn.property("problem") is True and dialog.isVisible()

    dialog.mrn.setText("NEW-0001")
    dialog.birth.setText("31/06/2012")
    dialog.save()
    assert errors[-1] == "June 2012 has no day 31. Type the birth date as DD/MM/YYYY or YYYY-MM-DD."
    assert dialog.birth.property("problem") is True
    dialog.birth.setText(other.birth_date.strftime("%Y%m%d"))  # typed without hyphens is fine too
    asked = answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    dialog.save()
    assert asked and other.mrn in asked[-1] and "same name and birth date" in asked[-1]
    assert dialog.saved_id is None
    answer(monkeypatch, QMessageBox.StandardButton.Save)
    dialog.save()
    assert dialog.saved_id is not None
    assert ctx.registry.form(ctx.actor, dialog.saved_id).mrn == "NEW-0001"


def test_the_classification_follows_the_diagnosis_and_an_edit_keeps_its_reason(qtbot, ctx) -> None:
    p = a_patient(ctx, "Ulcerative colitis")
    dialog = PatientDialog(ctx, patient_id=p.id)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.uc_box.isVisible() and not dialog.crohn_box.isVisible()
    assert dialog.mrn.text() == p.mrn and dialog.reason is not None
    dialog.severity.setCurrentIndex(dialog.severity.findData("S1"))
    dialog.status.setCurrentIndex(dialog.status.findData("transferred"))
    assert dialog.status_date.value() == DEMO_TODAY  # the status date defaults to today
    qtbot.keyClicks(dialog.reason, "Transferred to the regional center")
    dialog.save()
    assert dialog.result() == 1
    history = ctx.corrections.history(ctx.actor, p.id, p.id)
    assert {h.field for h in history} >= {"severity", "status", "status date"}
    assert {h.reason for h in history} == {"Transferred to the regional center"}


def test_the_visit_form_computes_as_it_is_filled_and_asks_before_keeping_odd_values(
    qtbot, ctx, errors, monkeypatch
) -> None:
    p = a_patient(ctx, "Crohn disease")
    dialog = VisitDialog(ctx, p.id, DEMO_TODAY)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.pga is not None and dialog.index.code == "WPCDAI" and dialog.focusWidget() is dialog.pga
    qtbot.keyClicks(dialog.pga, "2")
    assert dialog.pga.level() == 2  # "2" chose moderate
    qtbot.keyClick(dialog.pga, Qt.Key.Key_Delete)
    assert dialog.pga.level() is None
    qtbot.keyClicks(dialog.pga, "1")
    for key, picker in dialog.index_items.items():
        if key not in ("esr", "albumin"):
            qtbot.keyClicks(picker, "1" if key == "abdominal_pain" else "0")
    dialog.recheck()
    assert "comes from the ESR" in dialog.problem.text() and dialog.problem.isVisible()
    qtbot.keyClicks(dialog.values["ESR"].edit, "25")
    qtbot.keyClicks(dialog.values["ALB"].edit, "3.9")  # g/dL typed in the g/L field
    qtbot.keyClicks(dialog.values["WEIGHT"].edit, "90 lb")
    dialog.recheck()
    assert not dialog.problem.isVisible()
    text = dialog.summary.text()
    assert "wPCDAI 37.5" in text and "mild" in text  # 10 + 7.5 (ESR 25) + 20 (albumin 3.9 "g/L")
    assert "looks like a value in g/dL" in text and "90 lb" in text and "40.82 kg" in text
    screenshot(dialog, "visit-form-warnings")
    asked = answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    dialog.save()
    assert asked and "looks like a value in g/dL" in asked[0] and dialog.saved is None and dialog.isVisible()
    dialog.values["ALB"].edit.setText("3.9 g/dL")
    dialog.recheck()
    assert "wPCDAI 17.5" in dialog.summary.text()
    answer(monkeypatch, QMessageBox.StandardButton.Save)
    dialog.save()
    assert dialog.saved is not None and dialog.result() == 1
    values = {o.code: o.value for o in ctx.patients.get(ctx.actor, p.id).observations if o.observed_on == DEMO_TODAY}
    assert values["ALB"] == "39" and values["WPCDAI"] == "17.5" and values["PGA"] == "mild"


def test_the_last_value_beside_a_field_gives_its_date_as_dates_are_written_everywhere(qtbot, ctx) -> None:
    """The hint reads "last 39.4 kg on 10 Feb 2026", as the rest of the program writes dates (it said 2026-02-10)."""
    from lhn_desktop.localization import format_date

    weighed = None
    for row in ctx.patients.search(ctx.actor, "", limit=40):
        weights = [o for o in ctx.patients.get(ctx.actor, row.id).observations
                   if o.code == "WEIGHT" and o.observed_on < DEMO_TODAY]  # fmt: skip
        if weights:
            weighed, last = row, max(weights, key=lambda o: o.observed_on)
            break
    assert weighed is not None
    dialog = VisitDialog(ctx, weighed.id, DEMO_TODAY)
    qtbot.addWidget(dialog)
    hint = dialog.values["WEIGHT"].hint.text()
    assert hint.endswith(f" on {format_date(last.observed_on)}") and last.observed_on.isoformat() not in hint


def test_escape_on_a_filled_visit_form_asks_before_discarding(qtbot, ctx, monkeypatch) -> None:
    p = a_patient(ctx, "Crohn disease")
    dialog = VisitDialog(ctx, p.id, DEMO_TODAY)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.reject()
    assert dialog.result() == 0 and not dialog.isVisible()  # nothing typed: closes at once
    dialog = VisitDialog(ctx, p.id, DEMO_TODAY)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.values["WEIGHT"].edit, "41")
    asked = answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert asked and dialog.isVisible() and dialog.values["WEIGHT"].text() == "41"
    answer(monkeypatch, QMessageBox.StandardButton.Discard)
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert not dialog.isVisible()


def test_a_cf_patient_gets_the_cf_form_and_medicines_can_be_changed(qtbot, ctx, admin) -> None:
    from lhn_desktop.services.registry import PatientInput

    pid = ctx.registry.add(ctx.actor, PatientInput("CF-1", "Cal", "Exampleton", date(2014, 4, 1), "male",
                                                    "Cystic fibrosis")).patient_id  # fmt: skip
    dialog = VisitDialog(ctx, pid, DEMO_TODAY)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.pga is None and dialog.index is None
    assert {"FEV1", "RESP_CULTURE", "OGTT"} <= set(dialog.values)
    qtbot.keyClicks(dialog.values["FEV1"].edit, "88")
    qtbot.keyClicks(dialog.values["RESP_CULTURE"], "Pseudomonas aeruginosa")
    dialog.starts[0].drug.setCurrentText("dornase alfa")
    qtbot.keyClicks(dialog.starts[0].dose, "2.5 mg inhaled daily")
    dialog.save()
    assert dialog.result() == 1
    dialog = VisitDialog(ctx, pid, DEMO_TODAY)
    qtbot.addWidget(dialog)
    (row,) = dialog.current
    assert row.med.drug == "dornase alfa"
    assert "FEV1" in dialog.spec.recorded and not dialog.values["FEV1"].isEnabled()
    row.action.setCurrentIndex(row.action.findData("stop"))
    qtbot.keyClicks(row.detail, "Stopped by the family")
    dialog.save()
    meds = ctx.patients.get(ctx.actor, pid).medications
    assert meds[0].stop_reason == "Stopped by the family"


def test_a_correction_and_its_history_from_the_patient_page(qtbot, window: MainWindow, errors, monkeypatch) -> None:
    ctx = window.ctx
    page = window.go_to(PatientsPage)
    detail = page.detail
    p = a_patient(ctx, "Crohn disease")
    page.show_patient(p.id)
    detail.tabs.setCurrentWidget(detail.observations)
    crp_row = next(k for k, o in enumerate(detail.observations_model.rows) if o.code == "CRP")
    crp = detail.observations_model.rows[crp_row]
    dialog = ObservationCorrectionDialog(ctx, crp, page)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.focusWidget() is dialog.value.edit
    dialog.value.edit.setText("1.2 mg/dL")
    dialog._save()
    assert "Say why" in errors[-1] and dialog.isVisible()
    qtbot.keyClicks(dialog.reason, "Lab reported mg/dL")
    screenshot(dialog, "correction")
    dialog._save()
    assert dialog.result() == 1
    history = HistoryDialog(ctx, p.id, crp.id, "CRP", page)
    qtbot.addWidget(history)
    (entry,) = history.table.rows_model.rows
    assert (entry.old_value, entry.new_value, entry.reason) == (f"{crp.value} mg/L", "12.0 mg/L", "Lab reported mg/dL")
    screenshot(history, "correction-history")
    page.show_patient(p.id)
    corrected = next(o for o in detail.observations_model.rows if o.id == crp.id)
    assert corrected.corrected and corrected.value == "12.0"


def test_removing_a_visit_with_values_asks_what_happens_to_them(qtbot, ctx) -> None:
    p = a_patient(ctx, "Crohn disease")
    visit = next(v for v in ctx.patients.get(ctx.actor, p.id).visits if v.status == "completed")
    count = ctx.corrections.visit_values(ctx.actor, visit.id)
    assert count > 0
    dialog = RemoveVisitDialog(ctx, visit, count, None)
    qtbot.addWidget(dialog)
    assert dialog.keep.isChecked()
    dialog.in_error.setChecked(True)
    dialog.reason.setText("Recorded for the wrong patient")
    dialog._save()
    assert dialog.result() == 1
    detail = ctx.patients.get(ctx.actor, p.id)
    assert all(v.id != visit.id for v in detail.visits)
    assert sum(o.entered_in_error for o in detail.observations) >= 1


def test_the_export_asks_for_the_confirmation_and_writes_a_new_folder(qtbot, ctx, errors, tmp_path: Path) -> None:
    dialog = ExportDialog(ctx, InlineTaskRunner(None))
    qtbot.addWidget(dialog)
    target = tmp_path / "exports"
    target.mkdir()
    dialog.folder.setText(str(target))
    dialog.export()
    assert "protected health information" in errors[-1] and list(target.iterdir()) == []
    dialog.confirm.setChecked(True)
    dialog.export()
    assert dialog.exported is not None and dialog.exported.folder.parent == target
    assert (dialog.exported.folder / "patients.csv").exists() and (dialog.exported.folder / "center-data.xlsx").exists()
    assert "Exported to" in dialog.status.text()


def test_partners_see_no_export_and_no_patient_pages(qtbot, ctx) -> None:
    from tests.gui.conftest import make_window

    partner = next(m for m in ctx.team.list_members() if m.role == Role.PARENT_PARTNER.value)
    ctx.sign_in(partner.id, "tester")
    window = make_window(qtbot, ctx)
    assert not window.export_action.isVisible()
    assert window.page(PatientsPage) is None


def test_a_missed_visit_reads_as_the_huddle_says_it(window: MainWindow, qtbot) -> None:
    """The patient page's Visits tab says a visit's status in the Huddle's words ("Missed"), not "no show"."""
    from lhn_desktop.gui.pages.patients import PatientsPage
    from lhn_desktop.services.words.planning import VISIT_STATES

    ctx = window.ctx
    patient = a_patient(ctx, "Crohn disease")
    visit = ctx.schedule.add_visit(ctx.actor, patient.id, ctx.today(), "09:00", None, "Follow-up")
    ctx.visits.mark_missed(ctx.actor, visit)
    page = window.go_to(PatientsPage)
    assert isinstance(page, PatientsPage)
    page.show_patient(patient.id)
    model = page.detail.visits_model
    statuses = {model.index(r, 4).data() for r in range(model.rowCount())}
    assert VISIT_STATES["no_show"] in statuses and "no show" not in statuses and "no_show" not in statuses
