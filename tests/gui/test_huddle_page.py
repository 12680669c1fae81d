"""The huddle board: flags, the pre-visit plan pane, Ctrl+D to mark planning done, schedule import."""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import Qt

from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.pages.huddle import HuddlePage
from tests.gui.conftest import when_dialog_opens
from tests.unit.test_huddle_sheet import pages


def _page(window: MainWindow) -> HuddlePage:
    page = window.go_to(HuddlePage)
    assert isinstance(page, HuddlePage)
    return page


def test_the_plan_pane_shows_checklist_agenda_and_flags(window: MainWindow) -> None:
    page = _page(window)
    row = page.current()
    text = page.plan.toPlainText()
    assert row.patient_name in text and "To do at this visit" in text
    assert "Record PGA at this visit" in text
    cells = [page.model.data(page.model.index(0, c)) for c in range(page.model.columnCount())]
    headers = [page.model.headerData(c, Qt.Orientation.Horizontal) for c in range(page.model.columnCount())]
    board = dict(zip(headers, cells, strict=True))
    assert board["Overdue"] == (str(row.overdue_items) if row.overdue_items else "")
    assert board["Agenda"] == (str(row.new_agenda) if row.new_agenda else "")
    assert board["Goals"] == ("Review due" if row.goals_due else "")
    assert board["Disease"].startswith("Not in remission") == (row.in_remission is False)
    for code in ("WEIGHT", "HEIGHT", "VITD", "PGA_", "_"):  # clinicians' words on the board, never codes
        assert not any(code in str(c) for c in cells[2:])
    with_agenda = next(k for k, r in enumerate(page.model.rows) if r.agenda)
    page.table.selectRow(with_agenda)
    assert "The family's agenda" in page.plan.toPlainText()
    assert page.model.rows[with_agenda].agenda[0].text in page.plan.toPlainText()


def test_a_visit_without_a_time_says_so_in_words(window: MainWindow) -> None:
    """A visit booked without a time (a new center's first visits often are) reads "no time set" in the plan."""
    from dataclasses import replace

    from PySide6.QtGui import QTextDocument

    from lhn_desktop.gui.pages.huddle import plan_html

    row = replace(_page(window).current(), time=None)
    document = QTextDocument()
    document.setHtml(plan_html(row))
    heading = document.toPlainText().splitlines()[0]
    assert f"{row.patient_name} ({row.mrn}) · no time set · {row.visit_type}" in heading and "--" not in heading


def test_ctrl_d_marks_the_plan_done_and_again_reopens_it(window: MainWindow, qtbot) -> None:
    page = _page(window)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Down)
    visit = page.current().visit_id
    qtbot.keyClick(page.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    row = page.current()
    assert row.visit_id == visit and row.plan_status == "done"
    assert "Done by" in page.plan.toPlainText() and "planned" in page.summary.text()
    assert page.model.data(page.model.index(page.table.currentIndex().row(), 4)) == "Done"
    qtbot.keyClick(page.table, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)
    assert page.current().plan_status == "not_started"


def test_ctrl_i_imports_the_schedule_report_with_its_columns_kept(window: MainWindow, qtbot, tmp_path: Path) -> None:
    from lhn_desktop.gui.csv_mapping_dialog import CsvMappingDialog
    from lhn_desktop.gui.ehr_dialog import EhrImportDialog

    page = _page(window)
    row = page.current()
    day = page.selected_day() + timedelta(days=28)
    report = tmp_path / "schedule.csv"
    report.write_text(f"Appt Date,Time,MRN,Provider,Visit Type,Appt Status\n"
                      f"{day:%m/%d/%Y},9:00 AM,{row.mrn},Dr A,Follow-up,Scheduled\n"
                      f"{day:%m/%d/%Y},9:30 AM,NOPE-1,Dr A,Follow-up,Scheduled\n"
                      f"{day:%m/%d/%Y},10:00 AM,{row.mrn},Dr A,Follow-up,Scheduled\n", encoding="utf-8")  # fmt: skip
    seen: dict[str, list] = {"columns": [], "reports": []}
    first_time = True

    def columns(dialog) -> None:
        assert isinstance(dialog, CsvMappingDialog) and dialog.kind.currentData() == "appointments"
        assert dialog.pickers["status"].currentData() == "Appt Status"
        seen["columns"].append(dialog.current())
        dialog.use()

    def importer(dialog) -> None:
        assert isinstance(dialog, EhrImportDialog) and dialog.windowTitle() == "Import the clinic schedule"
        dialog.paths.setText(str(report))
        if first_time:
            when_dialog_opens(columns)  # the first report of this shape: which column holds what
        dialog.preview()
        seen["reports"].append(dialog.report)
        if dialog.import_button.isEnabled():
            dialog.import_button.click()
            seen["reports"].append(dialog.report)
        dialog.reject()

    when_dialog_opens(importer)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    preview, done = seen["reports"]
    assert len(seen["columns"]) == 1 and not preview.applied and done.applied
    assert done.counts["visits"].new == 1
    assert done.skipped["visits", "its patient is neither in LHN Desktop (by MRN) nor in this import"][1] == [
        "schedule.csv line 3"]  # fmt: skip
    assert done.skipped["visits", "the same resource twice in the files"][1] == ["schedule.csv line 4"]
    page.date.set_day(day)
    assert any(r.mrn == row.mrn and r.time == "09:00" for r in page.model.rows)  # the board shows it

    seen["reports"].clear()
    first_time = False
    when_dialog_opens(importer)  # the next day's report: the same columns, asked no more
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_I, Qt.KeyboardModifier.ControlModifier)
    (again,) = seen["reports"]
    assert len(seen["columns"]) == 1 and again.changes == 0


def test_huddle_sheet_from_the_board(window: MainWindow, qtbot, monkeypatch, tmp_path: Path) -> None:
    page = _page(window)
    target = tmp_path / "sheet.pdf"
    titles: list[str] = []

    def save_dialog(_parent, title, *_rest, **_kw):
        titles.append(title)
        return str(target), ""

    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", save_dialog)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert titles == ["Save the huddle sheet (it holds patient data: keep it within the center)"]
    data = target.read_bytes()
    assert data[:4] == b"%PDF"
    assert 2 <= pages(target) <= 1 + math.ceil(len(page.model.rows) / 2)  # a summary page, two patients a page
    assert "huddle sheet saved" in page.summary.text()


def test_patient_lists_filter_open_and_export(window: MainWindow, qtbot, monkeypatch, tmp_path: Path) -> None:
    from lhn_desktop.gui.pages.lists import ListsPage
    from lhn_desktop.gui.pages.patients import PatientsPage

    page = window.go_to(ListsPage)
    assert isinstance(page, ListsPage)
    counts = {}
    for index in range(page.kind.count()):
        page.kind.setCurrentIndex(index)
        counts[page.kind.currentData()] = page.model.rowCount()
    assert counts["overdue"] > 0 and counts["not_in_remission"] > 0
    page.kind.setCurrentIndex(page.kind.findData("not_in_remission"))
    first = page.model.rows[0]
    assert first.latest_pga not in ("quiescent", None)
    qtbot.keyClicks(page.filter, first.mrn)
    assert [r.mrn for r in page.model.rows] == [first.mrn]
    target = tmp_path / "list.csv"
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", lambda *a: (str(target), ""))
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    lines = target.read_text().splitlines()
    assert lines[0].startswith("patient,mrn") and first.mrn in lines[1]
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    patients = window.stack.currentWidget()
    assert isinstance(patients, PatientsPage) and patients.detail.patient_id == first.patient_id


def test_agenda_item_and_plan_notes_by_keyboard(window: MainWindow, qtbot) -> None:

    page = _page(window)
    page.table.setFocus()
    visit = page.current().visit_id

    def agenda(dialog) -> None:
        dialog.kind.setCurrentIndex(dialog.kind.findData("question"))
        qtbot.keyClicks(dialog.text, "Can she go on the school ski trip?")
        dialog.source.setCurrentIndex(dialog.source.findData("portal message"))
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    when_dialog_opens(agenda)
    qtbot.keyClick(page.table, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    row = page.current()
    assert row.visit_id == visit
    assert any(a.text == "Can she go on the school ski trip?" and a.source == "portal message" for a in row.agenda)
    assert "school ski trip" in page.plan.toPlainText()

    def notes(dialog) -> None:
        dialog.status.setCurrentIndex(dialog.status.findData("in_progress"))
        qtbot.keyClicks(dialog.notes, "Order CBC and CRP before the visit")
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    when_dialog_opens(notes)
    window.activateWindow()  # offscreen, activation does not come back by itself when a dialog closes
    qtbot.waitUntil(window.isActiveWindow)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    row = page.current()
    assert row.plan_status == "in_progress" and row.plan_notes == "Order CBC and CRP before the visit"
    assert "Order CBC and CRP" in page.plan.toPlainText()


def test_visits_added_moved_and_cancelled_by_hand(window: MainWindow, qtbot, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    page = _page(window)
    day = page.selected_day()
    before = page.model.rowCount()
    scheduled = {r.mrn for r in page.model.rows}
    mrn = next(p.mrn for p in window.ctx.patients.search(window.ctx.actor, "") if p.mrn not in scheduled)

    def fill(dialog) -> None:
        qtbot.keyClicks(dialog.mrn, mrn)
        qtbot.keyClicks(dialog.time, "7:45 AM")
        qtbot.keyClicks(dialog.clinician, "Dr. Hand")
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    when_dialog_opens(fill)
    page.actions_["add"].trigger()
    assert page.model.rowCount() == before + 1
    added = page.current()
    assert (added.mrn, added.time, added.clinician) == (mrn, "07:45", "Dr. Hand")

    def move(dialog) -> None:
        dialog.day.setDate(dialog.day.date().addDays(7))
        dialog.time.setText("10:00")
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    when_dialog_opens(move)
    page.actions_["move"].trigger()
    assert mrn not in {r.mrn for r in page.model.rows}
    moved = [r for r in window.ctx.planning.huddle(window.ctx.actor, day + timedelta(days=7)).rows if r.mrn == mrn]
    assert moved and moved[0].time == "10:00"

    page.table.selectRow(0)
    first = page.current()
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    page.actions_["cancel"].trigger()
    assert first.visit_id not in {r.visit_id for r in page.model.rows}
