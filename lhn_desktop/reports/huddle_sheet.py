"""The huddle sheet: a summary page of the clinic day, then the patients one after another, each kept whole on a
page (about two to a page), with lines for notes."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from lhn_desktop.localization import counted, format_date, format_datetime
from lhn_desktop.reports.pdf import MUTED, STATUS_INK, Document

PLAN_LABELS = {"not_started": "Not started", "in_progress": "In progress", "done": "Done"}
AGENDA_LABELS = {"matters_most": "What matters most", "concern": "Concern", "question": "Question"}
ACTION_ORDER = {"Overdue": 0, "Due": 1, "Due soon": 2}
FOOTER = "Contains patient information: keep it in the clinic and shred it after the huddle."
NOTE_LINES = 3


def write_huddle_sheet(board, center_name: str, path: str | Path) -> Path:
    """Write ``board`` (a planning.Huddle) as a PDF at ``path``."""
    day = board.day
    heading = format_date(day, weekday=True, full=True)
    doc = Document(f"Huddle sheet · {center_name} · {heading}", FOOTER)
    doc.alias_nb_pages()
    doc.add_page()
    doc.heading(f"Huddle {heading}")
    doc.paragraph(board.summary, size=10.5)
    doc.paragraph(f"Printed {format_datetime(datetime.now())}.", size=8, color=MUTED)
    doc.ln(2)
    if board.rows:
        doc.set_font("DejaVu", "", 8.5)
        with doc.table(
            col_widths=(14, 50, 28, 22, 68), first_row_as_headings=True, line_height=4.6, padding=(0.8, 0.6),
            text_align="LEFT",
        ) as table:  # fmt: skip
            titles = table.row()
            for title in ("Time", "Patient", "MRN", "Plan", "Flags"):
                titles.cell(title)
            for row in board.rows:
                cells = table.row()
                for value in (row.time or "--:--", row.patient_name, row.mrn, PLAN_LABELS.get(row.plan_status, ""),
                              "; ".join(row.flags) or "—"):  # fmt: skip
                    cells.cell(value)
    probe = _Probe(doc)
    doc.add_page()
    for n, row in enumerate(board.rows):
        if n and doc.get_y() + probe.height(row) > doc.page_break_trigger:
            doc.add_page()  # a patient is never split across pages
        elif n:
            doc.set_draw_color(*MUTED)
            doc.line(doc.l_margin, doc.get_y(), doc.w - doc.r_margin, doc.get_y())
            doc.ln(3)
        _patient(doc, row)
    return doc.save(path)


def _patient(doc: Document, row) -> None:
    """One patient's part of the sheet: flags, disease activity, what to do, the family's agenda, notes."""
    doc.heading(f"{row.time or '--:--'}  {row.patient_name}", size=12)
    details = f"MRN {row.mrn} · {row.visit_type}" + (f" · {row.clinician}" if row.clinician else "")
    doc.paragraph(details, size=8.5, color=MUTED)
    if row.flags:
        doc.paragraph("; ".join(row.flags), size=9, bold_prefix="Flags:")
    if row.latest_pga:
        state = "in remission" if row.in_remission else "not in remission"
        doc.paragraph(f"PGA {row.latest_pga} on {format_date(row.latest_pga_on)} ({state})", size=9,
                      bold_prefix="Disease activity:")  # fmt: skip
    actions = sorted((i for i in row.items if i.status in ACTION_ORDER), key=lambda i: ACTION_ORDER[i.status])
    doc.heading("To do at this visit", size=10)
    if actions:
        for item in actions:
            doc.bullet(f"{item.title}: {item.reason}", item.status, STATUS_INK.get(item.status, (0, 0, 0)), size=8.5)
    else:
        doc.paragraph("Nothing due." if row.items else "No disease pack for this diagnosis: no checklist.", size=9)
    if row.agenda:
        doc.heading("The family's agenda", size=10)
        for entry in row.agenda:
            addressed = " (addressed)" if entry.addressed else ""
            doc.bullet(f"{entry.text}{addressed}", AGENDA_LABELS.get(entry.kind, entry.kind) + ":", size=8.5)
    tasks = (counted(row.open_tasks, "open task") if row.open_tasks else "no open tasks") + (
        f", {row.overdue_tasks} overdue" if row.overdue_tasks else ""
    )
    goals = f"; {counted(row.goals_due, 'goal')} due for review" if row.goals_due else ""
    plan = PLAN_LABELS.get(row.plan_status, row.plan_status)
    doc.paragraph(f"{tasks}{goals} · pre-visit plan: {plan.lower()}", size=9, bold_prefix="Tasks and goals:")
    doc.set_font("DejaVu", "", 8)
    doc.set_text_color(*MUTED)
    doc.cell(0, 6, "Notes", new_x="LMARGIN", new_y="NEXT")
    doc.set_text_color(0, 0, 0)
    for _ in range(NOTE_LINES):
        doc.cell(0, 7, "", border="B", new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)


class _Probe:
    """How tall a patient's part is: drawn once on a scratch document of the same page size and fonts."""

    def __init__(self, like: Document) -> None:
        self.doc = Document(like.doc_title, like.footer_note)
        self.doc.add_page()

    def height(self, row) -> float:
        self.doc.add_page()
        top, page = self.doc.get_y(), self.doc.page_no()
        _patient(self.doc, row)
        if self.doc.page_no() != page:  # longer than a page: it starts on a page of its own
            return float("inf")
        return self.doc.get_y() - top
