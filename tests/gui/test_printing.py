"""Printing goes through the system's print dialog and puts on paper the same pages the program saves; Save dialogs
start in the Documents folder (or the last folder used for that kind of document) with a name saying what and when."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QPageLayout
from PySide6.QtPrintSupport import QPrinter

from lhn_desktop.gui import files, printing
from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.pages.patients import PatientsPage
from tests.gui.test_huddle_page import _page


def page_sizes(pdf: Path) -> list[tuple[int, int]]:
    document = pdfium.PdfDocument(str(pdf))
    try:
        return [tuple(round(x) for x in document[i].get_size()) for i in range(len(document))]
    finally:
        document.close()


def fresh_documents(monkeypatch, tmp_path: Path, kind: str) -> Path:
    """A Documents folder of this test's own, and no folder remembered yet for ``kind`` of document."""
    documents = tmp_path / "Documents"
    documents.mkdir()
    monkeypatch.setattr(files, "documents_folder", lambda: documents)
    QSettings().remove(f"files/last_folder/{kind}")
    return documents


@pytest.fixture
def paper(monkeypatch, tmp_path: Path):
    """The print dialog answered with a printer that writes what it is sent to a PDF file; records each call."""
    calls: list[dict] = []

    def choose(parent, title, page_points):
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
        printer.setResolution(72)  # quick to draw; the size of the paper is what is checked
        target = tmp_path / f"printed-{len(calls)}.pdf"
        printer.setOutputFileName(str(target))
        if page_points is not None:
            from PySide6.QtCore import QSizeF
            from PySide6.QtGui import QPageSize

            printer.setPageSize(QPageSize(QSizeF(*page_points), QPageSize.Unit.Point))
            printer.setPageOrientation(QPageLayout.Orientation.Portrait)
        calls.append({"title": title, "points": page_points, "file": target})
        return printer

    monkeypatch.setattr(printing, "choose_printer", choose)
    return calls


def test_the_huddle_sheet_prints_the_pages_it_saves(window: MainWindow, qtbot, monkeypatch, paper, tmp_path) -> None:
    page = _page(window)
    saved = tmp_path / "saved.pdf"
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", lambda *a, **k: (str(saved), ""))
    page.actions_["sheet"].trigger()
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    (call,) = paper
    assert call["title"] == "Huddle sheet"
    printed = page_sizes(call["file"])
    assert len(printed) == len(page_sizes(saved)) >= 1
    assert printed[0] == page_sizes(saved)[0]  # the document's own paper is what the dialog offers
    assert "sent to the printer" in page.summary.text()


def test_a_cancelled_print_dialog_prints_nothing_and_leaves_no_file(window: MainWindow, monkeypatch, tmp_path) -> None:
    made: list[Path] = []
    real = printing.tempfile.mkdtemp

    def mkdtemp(**options):
        made.append(Path(real(**options)))
        return str(made[-1])

    monkeypatch.setattr(printing.tempfile, "mkdtemp", mkdtemp)
    monkeypatch.setattr(printing, "choose_printer", lambda *a: None)
    page = _page(window)
    before = page.summary.text()
    page.actions_["print"].trigger()
    assert page.summary.text() == before
    assert made and not made[0].exists()  # the temporary copy (it may hold patient data) is gone


def test_the_visit_summary_prints_from_the_patient_page(window: MainWindow, paper) -> None:
    page = window.go_to(PatientsPage)
    page.table.selectRow(0)
    tab = page.detail.care
    tab.actions_["print"].trigger()
    (call,) = paper
    assert call["title"] == "Visit summary" and len(page_sizes(call["file"])) >= 1


def test_paint_pdf_draws_every_page(qtbot, tmp_path: Path) -> None:
    from fpdf import FPDF

    source = tmp_path / "three.pdf"
    doc = FPDF(format="letter")
    for n in range(3):
        doc.add_page()
        doc.set_font("helvetica", size=14)
        doc.cell(text=f"Page {n + 1}")
    doc.output(str(source))
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    printer.setResolution(72)
    printer.setOutputFileName(str(tmp_path / "out.pdf"))
    assert printing.paint_pdf(printer, source) == 3
    assert len(page_sizes(tmp_path / "out.pdf")) == 3
    assert printing.first_page_size(source) == pytest.approx((612, 792))


def test_save_dialogs_start_in_documents_with_a_name_saying_what_and_when(qtbot, monkeypatch, tmp_path) -> None:
    documents = fresh_documents(monkeypatch, tmp_path, "huddle")
    offered: list[str] = []

    def dialog(parent, title, start, filters):
        offered.append(start)
        return str(Path(start).parent / "Monday sheet"), "PDF (*.pdf)"

    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", dialog)
    name = files.suggested_name("Huddle sheet", date(2027, 3, 15))
    assert name == "Huddle sheet 2027-03-15.pdf"
    chosen = files.ask_save_path(None, "Save", "huddle", name, ["PDF (*.pdf)"])
    assert offered[0] == str(documents / "Huddle sheet 2027-03-15.pdf")
    assert chosen == documents / "Monday sheet.pdf"  # the filter's suffix added to a name typed without one

    elsewhere = tmp_path / "Clinic"
    elsewhere.mkdir()
    files.remember_folder("huddle", elsewhere / "x.pdf")
    files.ask_save_path(None, "Save", "huddle", name, ["PDF (*.pdf)"])
    assert offered[1] == str(elsewhere / name)  # the folder last used for this kind of document
    elsewhere.rmdir()
    files.ask_save_path(None, "Save", "huddle", name, ["PDF (*.pdf)"])
    assert offered[2] == str(documents / name)  # ... while it still exists
    named = files.suggested_name('Chart: "Remission" / CD', date(2027, 1, 2), ".png")
    assert named == "Chart Remission CD 2027-01-02.png"  # no character a file system refuses


def test_the_chart_shown_prints_and_exports_under_its_title(window: MainWindow, qtbot, monkeypatch, paper, tmp_path):
    from lhn_desktop.gui.pages.measures import MeasuresPage

    page = window.go_to(MeasuresPage)
    page.table.clearSelection()
    assert not page.actions_["print"].isEnabled()  # nothing to print until a measure is chosen
    page.table.selectRow(0)
    title = page.chart.measure.title
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    (call,) = paper
    assert call["title"] == f"Chart: {title}" and len(page_sizes(call["file"])) == 1

    documents = fresh_documents(monkeypatch, tmp_path, "chart")
    offered: list[str] = []

    def dialog(parent, caption, start, filters):
        offered.append(start)
        return str(Path(start).with_suffix(".pdf")), "PDF document (*.pdf)"

    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", dialog)
    qtbot.keyClick(page.table, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    expected = documents / files.suggested_name(title, window.ctx.today(), ".png")
    assert offered == [str(expected)]
    assert expected.with_suffix(".pdf").read_bytes()[:4] == b"%PDF"


def test_a_pdsa_cycle_prints_its_worksheet_and_saves_under_its_name(window: MainWindow, monkeypatch, paper, tmp_path):
    from lhn_desktop.gui.pages.improvement import ImprovementPage

    page = window.go_to(ImprovementPage)
    page.tree.clearSelection()
    assert not page.actions_["print"].isEnabled()
    goal = next(g for g in page.goals.values() if g.cycles)
    cycle = goal.cycles[0]
    page.tree.setCurrentItem(page._find(("cycle", cycle.id)))
    page.actions_["print"].trigger()
    (call,) = paper
    assert call["title"] == f"PDSA {cycle.seq} {cycle.title}" and len(page_sizes(call["file"])) >= 1

    offered: list[str] = []
    target = tmp_path / "ramp.pdf"

    def dialog(parent, caption, start, filters):
        offered.append(Path(start).name)
        return str(target), "PDF (*.pdf)"

    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", dialog)
    page.tree.setCurrentItem(page._find(("goal", goal.id)))
    page.actions_["ramp_pdf"].trigger()
    assert offered == [files.suggested_name(f"PDSA ramp {goal.title}", window.ctx.today())]
    assert target.read_bytes()[:4] == b"%PDF"
