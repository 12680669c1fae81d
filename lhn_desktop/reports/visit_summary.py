"""The visit summary for the family: one patient's goals, agreed tasks, agenda and medicines, nobody else's."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from lhn_desktop.localization import format_date
from lhn_desktop.reports.pdf import MUTED, Document

LEVELS = {"fundamental": "What life is for", "functional": "Everyday life", "disease": "Disease or symptom"}
GAS = {2: "much better than expected", 1: "better than expected", 0: "as expected", -1: "less than expected",
       -2: "much less than expected"}  # fmt: skip
AGENDA = {"matters_most": "What matters most", "concern": "Concern", "question": "Question"}
FOR = {"patient": "you", "family": "your family", "team": "the care team"}
FOOTER = "For {name} and their family. Questions? Call the clinic."


def write_visit_summary(detail, care, agenda, center_name: str, on: date, path: str | Path, *,
                        clinic_phone: str | None = None) -> Path:  # fmt: skip
    """``detail`` (PatientDetail), ``care`` (PatientCare) and ``agenda`` (AgendaEntry list) of one patient;
    ``clinic_phone``, the center's number for families, closes the page."""
    s = detail.summary
    first = s.name.split(", ")[-1]
    doc = Document(f"{center_name} · visit summary · {format_date(on, full=True)}", FOOTER.format(name=first))
    doc.alias_nb_pages()
    doc.add_page()
    doc.heading(f"Your visit on {format_date(on, weekday=True, full=True)}")
    doc.paragraph(f"{s.name} · born {format_date(s.birth_date, full=True)}", size=10, color=MUTED)
    doc.ln(2)
    wishes = [a for a in agenda if a.kind == "matters_most"]
    if wishes:
        doc.heading("What matters most to you", size=11)
        for a in wishes:
            doc.bullet(a.text)
        doc.ln(1)
    others = [a for a in agenda if a.kind != "matters_most"]
    if others:
        doc.heading("What you wanted to talk about", size=11)
        for a in others:
            doc.bullet(a.text + (" (talked about)" if a.addressed else ""), AGENDA.get(a.kind, a.kind) + ":")
        doc.ln(1)
    active = [g for g in care.goals if g.status == "active"]
    doc.heading("Your goals", size=11)
    if not active:
        doc.paragraph("No goals written down yet.")
    for g in active:
        when = f" by {format_date(g.target_date)}" if g.target_date else ""
        doc.bullet(f"{g.text}{when}", LEVELS.get(g.level, g.level) + ":")
        if g.follow_ups:
            last = g.follow_ups[-1]
            doc.paragraph(f"     Last check ({format_date(last.on)}): {GAS.get(last.gas_score, last.gas_score)}.",
                          size=9, color=MUTED)  # fmt: skip
    doc.ln(1)
    tasks = [t for t in care.tasks if t.done_on is None]
    doc.heading("What we agreed to do", size=11)
    if not tasks:
        doc.paragraph("Nothing open.")
    for t in tasks:
        who = t.responsible_name or FOR.get(t.responsible, t.responsible)
        due = f", by {format_date(t.due_date)}" if t.due_date else ""
        doc.bullet(f"{t.what} ({who}{due})")
    doc.ln(1)
    current = [m for m in detail.medications if m.stop_date is None or m.stop_date > on]
    doc.heading("Your medicines", size=11)
    if not current:
        doc.paragraph("None recorded.")
    for m in current:
        doc.bullet(f"{m.drug}" + (f": {m.dose}" if m.dose else ""))
    # the summary is printed at today's visit: the next visit is the one after it, not today's
    upcoming = sorted(v.visit_date for v in detail.visits if v.status == "scheduled" and v.visit_date > on)
    if upcoming:
        doc.ln(2)
        doc.paragraph(f"{format_date(upcoming[0], weekday=True, full=True)}.", bold_prefix="Next visit:")
    if clinic_phone:
        doc.ln(2)
        ask = "Questions before then?" if upcoming else "Questions?"
        doc.paragraph(f"Call {center_name or 'the clinic'} at {clinic_phone}.", bold_prefix=ask)
    return doc.save(path)
