"""Import from the EHR in the window: preview, problems, import, and the report."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt

from lhn_desktop.gui.ehr_dialog import EhrImportDialog
from lhn_desktop.gui.pages.patients import PatientsPage
from lhn_desktop.models.team import Role
from tests.gui.conftest import screenshot
from tests.gui.inline_runner import InlineTaskRunner
from tests.unit.test_ehr import hospital


def hospital_file(tmp_path: Path, extra: list[dict] | None = None) -> Path:
    path = tmp_path / "clinic-export.ndjson"
    path.write_text("".join(json.dumps(r) + "\n" for r in hospital() + (extra or [])), encoding="utf-8")
    return path


UNMAPPED = {"resourceType": "Observation", "id": "o7", "status": "final", "subject": {"reference": "Patient/p1"},
            "code": {"coding": [{"system": "http://example.org/local-labs", "code": "LIPASE"}]},
            "effectiveDateTime": "2026-02-26", "valueQuantity": {"value": 30}}  # fmt: skip


def test_preview_then_import_then_nothing_new(qtbot, ctx, tmp_path) -> None:
    dialog = EhrImportDialog(ctx, InlineTaskRunner(None))
    qtbot.addWidget(dialog)
    dialog.show()
    before = len(ctx.patients.search(ctx.actor))
    qtbot.keyClicks(dialog.paths, str(hospital_file(tmp_path, [UNMAPPED])))
    qtbot.keyClick(dialog.paths, "\r")  # Enter previews
    assert dialog.report is not None and not dialog.report.applied
    assert dialog.title.text() == "Preview: 12 resources read"
    assert dialog.import_button.isEnabled() and len(ctx.patients.search(ctx.actor)) == before
    (left_out,) = dialog.details.rows_model.rows
    assert left_out[0] == "Left out" and "http://example.org/local-labs|LIPASE" in left_out[2]
    assert left_out[3] == "clinic-export.ndjson line 12 (Observation/o7)"
    screenshot(dialog, "ehr-import-preview")
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    qtbot.keyClick(dialog.counts, Qt.Key.Key_I, Qt.KeyboardModifier.AltModifier)  # Import, by its letter
    qtbot.waitUntil(lambda: dialog.report.applied)
    assert dialog.report.applied and dialog.imported and not dialog.import_button.isEnabled()
    assert "Imported: " in dialog.status.text()
    assert len(ctx.patients.search(ctx.actor)) == before + 1
    screenshot(dialog, "ehr-import-report")
    dialog.preview()
    assert dialog.report.changes == 0 and not dialog.import_button.isEnabled()
    assert dialog.status.text() == "Everything in these files is already in LHN Desktop."


def test_problems_are_listed_and_nothing_can_be_imported(qtbot, ctx, tmp_path) -> None:
    dialog = EhrImportDialog(ctx, InlineTaskRunner(None))
    qtbot.addWidget(dialog)
    path = hospital_file(tmp_path)
    path.write_text(path.read_text() + '{"resourceType": "Observation", "id"\n', encoding="utf-8")
    dialog.paths.setText(str(path))
    dialog.preview()
    problem = dialog.details.rows_model.rows[0]
    assert problem[0] == "Problem" and problem[3] == "clinic-export.ndjson line 12" and "not valid JSON" in problem[2]
    assert not dialog.import_button.isEnabled() and "fix or remove" in dialog.status.text()
    screenshot(dialog, "ehr-import-problems")
    dialog.paths.setText("")
    dialog.preview()
    assert "Choose the export first" in dialog.status.text()


def test_the_menu_item_is_hidden_from_partners(qtbot, ctx) -> None:
    from tests.gui.conftest import make_window

    window = make_window(qtbot, ctx)
    assert window.import_action.isVisible()
    partner = next(m for m in ctx.team.list_members() if m.role == Role.PATIENT_PARTNER.value)
    ctx.sign_in(partner.id, "tester")
    window._build_pages()
    assert not window.import_action.isVisible() and window.page(PatientsPage) is None


def test_a_csv_report_is_mapped_once_with_a_live_preview(qtbot, ctx, tmp_path, monkeypatch) -> None:
    from PySide6.QtWidgets import QDialog

    from lhn_desktop.gui.csv_mapping_dialog import CsvMappingDialog

    path = tmp_path / "labs.csv"
    path.write_text("Chart No,Collected,Component,Result,Units\n"
                    "DEMO-000011,2026-02-26,CRP,0.35,mg/dL\nDEMO-000011,2026-02-26,Albumin,3.9,g/dL\n",
                    encoding="utf-8")  # fmt: skip
    dialog = CsvMappingDialog(ctx, path)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.kind.setCurrentIndex(dialog.kind.findData("results"))
    assert dialog.pickers["test"].currentData() == "Component" and dialog.pickers["mrn"].currentData() is None
    assert "Say which column holds: MRN" in dialog.problem.text()
    qtbot.keyClicks(dialog.source, "Hospital lab")
    dialog.pickers["mrn"].setCurrentIndex(dialog.pickers["mrn"].findData("Chart No"))
    assert dialog.problem.text() == ""
    headers = [dialog.preview.horizontalHeaderItem(c).text() for c in range(dialog.preview.columnCount())]
    assert headers == ["MRN", "Date", "Test", "Value", "Unit"]
    assert dialog.preview.item(1, 2).text() == "Albumin" and dialog.preview.rowCount() == 2
    qtbot.waitUntil(lambda: dialog.pickers["mrn"].isVisible())  # new pickers show on the next turn of the loop
    screenshot(dialog, "ehr-csv-mapping")
    dialog.use()
    assert dialog.mapping.source == "Hospital lab" and dialog.mapping.columns["mrn"] == "Chart No"

    importer = EhrImportDialog(ctx, InlineTaskRunner(None))
    qtbot.addWidget(importer)
    chosen = dialog.mapping
    shown: list[str] = []
    monkeypatch.setattr("lhn_desktop.gui.ehr_dialog.show_error", lambda _p, exc: shown.append(str(exc)))

    def accept_as_chosen(self) -> QDialog.DialogCode:  # the person picks the same columns again
        self.mapping = chosen
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(CsvMappingDialog, "exec", accept_as_chosen)
    importer.paths.setText(str(path))
    importer.preview()
    assert shown == [] and importer.report.what == "rows" and importer.report.counts["observations"].new == 2
    assert importer.title.text() == "Preview: 2 rows read · the columns of 'Hospital lab' (Columns… changes them)"
