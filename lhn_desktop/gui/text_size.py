"""The program's own text size (View > Text size), independent of the operating system's.

One change of the application font reaches every window, page and dialog at once: widgets that never set a
font of their own follow ``QApplication.setFont``. The style sheet's few pixel sizes (page titles, the patient's
name, the navigation list) do not follow a font change, so they are scaled here from the sheet as loaded.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication

from lhn_desktop.settings import TEXT_SIZES

_BASE_POINTS = "lhnBaseFontPointSize"  # the system's font size, before the program changed it
_BASE_SHEET = "lhnBaseStyleSheet"  # the style sheet as loaded, with its sizes unscaled
_SCALED_SHEET = "lhnScaledStyleSheet"  # the sheet as last scaled here, to notice a sheet set since
_PERCENT = "lhnTextSizePercent"
_FONT_SIZE = re.compile(r"font-size:\s*(\d+(?:\.\d+)?)(px|pt)")


def scale_style_sheet(sheet: str, factor: float) -> str:
    """``sheet`` with every ``font-size`` in px or pt multiplied by ``factor``."""

    def scaled(match: re.Match) -> str:
        size = float(match.group(1)) * factor
        return f"font-size: {size:.4g}{match.group(2)}"

    return _FONT_SIZE.sub(scaled, sheet)


def current_text_size(app: QApplication | None = None) -> int:
    app = app or QApplication.instance()
    value = app.property(_PERCENT) if app is not None else None
    return int(value) if value else 100


def base_point_size(app: QApplication) -> float:
    """The font size the system gave the program, remembered the first time the text size is set."""
    base = app.property(_BASE_POINTS)
    if not base:
        base = app.font().pointSizeF()
        if base <= 0:  # a font sized in pixels: take Qt's usual default rather than nothing
            base = 9.0
        app.setProperty(_BASE_POINTS, base)
    return float(base)


def apply_text_size(percent: int, app: QApplication | None = None) -> int:
    """Set the whole program's text to ``percent`` of the system's size; returns the size applied.

    A size the menu does not offer falls back to 100 (as the settings file does).
    """
    app = app or QApplication.instance()
    if percent not in TEXT_SIZES:
        percent = 100
    factor = percent / 100
    font = QFont(app.font())
    font.setPointSizeF(base_point_size(app) * factor)
    app.setFont(font)
    # Qt posts the news to every widget; deliver it now, so what is measured next (rows, the navigation) fits
    QApplication.sendPostedEvents(None, QEvent.Type.ApplicationFontChange)
    sheet = app.styleSheet()
    if sheet and sheet != app.property(_SCALED_SHEET):
        app.setProperty(_BASE_SHEET, sheet)  # loaded or replaced since the last change: its sizes are the base
    base_sheet = app.property(_BASE_SHEET)
    if base_sheet:
        scaled = scale_style_sheet(base_sheet, factor)
        app.setProperty(_SCALED_SHEET, scaled)
        if scaled != sheet:
            app.setStyleSheet(scaled)
    app.setProperty(_PERCENT, percent)
    return percent


def next_text_size(percent: int, step: int) -> int:
    """The offered size ``step`` places above (or below) ``percent``, kept within the offered sizes."""
    sizes = list(TEXT_SIZES)
    here = sizes.index(percent) if percent in sizes else 0
    return sizes[max(0, min(len(sizes) - 1, here + step))]
