"""Printing through the system's print dialog.

What is printed is the very PDF the program would save (the huddle sheet, a visit summary, a PDSA
ramp, a chart), written to a private temporary file and removed afterwards, so the paper and the
saved file never differ. Each page is drawn with PDFium (pypdfium2) at the printer's resolution (at
most 300 dots per inch) onto the page the person chose, scaled to fit and centred.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRectF, QSizeF, Qt
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QApplication, QWidget

from lhn_desktop.errors import LhnError

MAX_DPI = 300


def choose_printer(parent: QWidget | None, title: str, page_points: tuple[float, float] | None) -> QPrinter | None:
    """The system's print dialog, set to the document's paper; the printer chosen, or ``None`` if cancelled."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setDocName(title)
    if page_points is not None:
        size = QPageSize(QSizeF(*page_points), QPageSize.Unit.Point, title, QPageSize.SizeMatchPolicy.FuzzyMatch)
        printer.setPageSize(size)
        upright = page_points[1] >= page_points[0]
        printer.setPageOrientation(QPageLayout.Orientation.Portrait if upright else QPageLayout.Orientation.Landscape)
    dialog = QPrintDialog(printer, parent)
    dialog.setWindowTitle(f"Print {title.lower()}")
    if dialog.exec() != QPrintDialog.DialogCode.Accepted:
        return None
    return printer


def first_page_size(pdf: Path) -> tuple[float, float]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        return tuple(document[0].get_size()) if len(document) else (595.0, 842.0)
    finally:
        document.close()


def paint_pdf(printer: QPrinter, pdf: Path) -> int:
    """Draw every page of ``pdf`` onto ``printer``; returns the number of pages printed."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    painter = QPainter()
    try:
        if not painter.begin(printer):
            raise LhnError("The printer could not be started. Check that it is switched on and connected, then "
                           "print again.")  # fmt: skip
        dpi = min(printer.resolution(), MAX_DPI)
        for index in range(len(document)):
            if index:
                printer.newPage()
            page = document[index]
            image = _image(page.render(scale=dpi / 72))
            area = QRectF(painter.viewport())
            scale = min(area.width() / image.width(), area.height() / image.height())
            size = QSizeF(image.width() * scale, image.height() * scale)
            left = area.x() + (area.width() - size.width()) / 2
            top = area.y() + (area.height() - size.height()) / 2
            target = QRectF(left, top, size.width(), size.height())
            painter.drawImage(target, image)
            page.close()
        return len(document)
    finally:
        if painter.isActive():
            painter.end()
        document.close()


def _image(bitmap) -> QImage:
    pil = bitmap.to_pil().convert("RGB")
    data = pil.tobytes()
    return QImage(data, pil.width, pil.height, 3 * pil.width, QImage.Format.Format_RGB888).copy()


def print_document(parent: QWidget | None, title: str, write: Callable[[Path], object]) -> int | None:
    """Write the document with ``write(path)`` into a private temporary folder, ask for a printer, print it and
    remove the file; returns the pages printed, or ``None`` when the person cancelled the print dialog."""
    folder = Path(tempfile.mkdtemp(prefix="lhn-print-"))  # owner-only: a printed page may hold patient data
    try:
        pdf = folder / "document.pdf"
        write(pdf)
        printer = choose_printer(parent, title, first_page_size(pdf))
        if printer is None:
            return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return paint_pdf(printer, pdf)
        finally:
            QApplication.restoreOverrideCursor()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
