"""One-page PDSA write-ups: a single cycle, or a whole ramp (every cycle testing one change idea)."""

from __future__ import annotations

from pathlib import Path

from lhn_desktop.localization import format_date
from lhn_desktop.reports.pdf import MUTED, Document

DECISIONS = {"adopt": "Adopt", "adapt": "Adapt", "abandon": "Abandon"}


def _cycle(doc: Document, c) -> None:
    scale = f"{c.scale_n} {c.scale_unit or ''}".strip() if c.scale_n else "scale not set"
    dates = " to ".join(format_date(d) for d in (c.start_date, c.end_date) if d) or "dates not set"
    doc.heading(f"PDSA {c.seq}: {c.title}", size=11)
    doc.paragraph(f"{c.purpose or 'purpose not set'} · {scale} · {dates} · {c.status}", size=8.5, color=MUTED)
    if c.objective:
        doc.paragraph(c.objective, bold_prefix="Plan:", size=9)
    plan = "; ".join(f"{k} {v}" for k, v in (("who:", c.plan_who), ("what:", c.plan_what), ("when:", c.plan_when),
                                             ("where:", c.plan_where)) if v)  # fmt: skip
    if plan:
        doc.paragraph(plan, size=8.5)
    if c.questions:
        doc.set_font("DejaVu", "", 8.5)
        with doc.table(col_widths=(62, 60, 60), first_row_as_headings=True, line_height=4.4,
                       padding=(0.6, 0.6), text_align="LEFT") as table:  # fmt: skip
            head = table.row()
            for title in ("Question", "Prediction", "Result"):
                head.cell(title)
            for q in c.questions:
                row = table.row()
                for value in (q.text, q.prediction or "(no prediction)", q.result or "—"):
                    row.cell(value)
        doc.ln(1)
    if c.do_observations or c.do_problems:
        doc.paragraph("; ".join(v for v in (c.do_observations, c.do_problems) if v), bold_prefix="Do:", size=9)
    if c.study_summary:
        doc.paragraph(c.study_summary, bold_prefix="Study:", size=9)
    decision = DECISIONS.get(c.act_decision or "", "not decided yet")
    doc.paragraph(decision + (f". Next: {c.act_next_step}" if c.act_next_step else ""), bold_prefix="Act:", size=9)
    doc.ln(2)


def write_pdsa(title: str, aim: str, idea: str | None, cycles, path: str | Path) -> Path:
    doc = Document(f"PDSA · {title}", "LHN Desktop · PDSA write-up")
    doc.alias_nb_pages()
    doc.add_page()
    doc.heading(title)
    doc.paragraph(aim, bold_prefix="Aim:", size=9.5)
    if idea:
        doc.paragraph(idea, bold_prefix="Change idea:", size=9.5)
    if len(cycles) > 1:
        scales = " → ".join(f"{c.scale_n or '?'}" for c in cycles)
        doc.paragraph(f"{scales} {cycles[-1].scale_unit or ''}".strip(), bold_prefix="Ramp (scale of each test):")
    doc.ln(2)
    for c in cycles:
        _cycle(doc, c)
    return doc.save(path)
