"""A PDF document with LHN Desktop's page frame, on fpdf2.

fpdf2 (pure Python, on Pillow and fontTools, which matplotlib already brings) lays out wrapped text,
lists and tables with little code. The fonts are matplotlib's DejaVu Sans, so every name and accent
prints, on every platform and in the frozen program.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from fpdf import FPDF

from lhn_desktop.localization import paper_size

MARGIN = 14
INK = (33, 47, 61)
MUTED = (110, 110, 110)
STATUS_INK = {"Overdue": (176, 58, 46), "Due": (185, 119, 14), "Due soon": (125, 102, 8)}


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


class Document(FPDF):
    """Pages on the locale's paper (Letter or A4) with a running title, a footer note and page numbers.

    Layouts use the width between the margins (``epw``), so they fit either paper.
    """

    def __init__(self, title: str, footer_note: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format=paper_size().lower())
        self.doc_title = title
        self.footer_note = footer_note
        fonts = _font_dir()
        self.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
        self.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=18)
        self.set_title(title)
        self.set_creator("LHN Desktop")
        self.set_creation_date(datetime.now().astimezone())

    def header(self) -> None:
        self.set_font("DejaVu", "", 8)
        self.set_text_color(*MUTED)
        self.cell(0, 5, self.doc_title, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)
        self.set_text_color(*INK)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font("DejaVu", "", 7)
        self.set_text_color(*MUTED)
        self.cell(0, 4, self.footer_note, align="L")
        self.cell(0, 4, f"page {self.page_no()} of {{nb}}", align="R")

    def heading(self, text: str, size: float = 14) -> None:
        self.set_font("DejaVu", "B", size)
        self.multi_cell(0, size * 0.5, text, new_x="LMARGIN", new_y="NEXT")
        self.ln(1)

    def paragraph(self, text: str, size: float = 9.5, bold_prefix: str = "", color=INK) -> None:
        self.set_text_color(*color)
        if bold_prefix:
            self.set_font("DejaVu", "B", size)
            self.write(size * 0.48, bold_prefix + " ")
        self.set_font("DejaVu", "", size)
        self.write(size * 0.48, text)
        self.ln(size * 0.6)
        self.set_text_color(*INK)

    def bullet(self, text: str, label: str = "", label_color=INK, size: float = 9.5) -> None:
        """A bullet whose wrapped lines start under its text, not under the bullet (a hanging indent)."""
        self.set_x(MARGIN + 3)
        self.set_font("DejaVu", "", size)
        self.write(size * 0.48, "• ")
        self.set_left_margin(self.get_x())  # where ``write`` starts each wrapped line
        try:
            if label:
                self.set_font("DejaVu", "B", size)
                self.set_text_color(*label_color)
                self.write(size * 0.48, label + " ")
                self.set_text_color(*INK)
                self.set_font("DejaVu", "", size)
            self.write(size * 0.48, text)
        finally:
            self.set_left_margin(MARGIN)
        self.ln(size * 0.58)

    def save(self, path: str | Path) -> Path:
        """Write through a ``.part`` file renamed when complete."""
        target = Path(path)
        part = target.with_name(target.name + ".part")
        self.output(str(part))
        part.replace(target)
        return target
