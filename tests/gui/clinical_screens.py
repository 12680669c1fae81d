"""Draw the clinical forms on a small demo center and save them as PNGs (run in a child process per scale).

Usage: python -m tests.gui.clinical_screens OUT_DIR SUFFIX  (QT_SCALE_FACTOR sets the scale)
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path

TODAY = date(2026, 3, 2)


def main(out: Path, suffix: str) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(tempfile.mkdtemp())
    os.environ["LHN_DESKTOP_HOME"] = str(home)
    from lhn_desktop.app import AppContext
    from lhn_desktop.gui.app import make_application
    from lhn_desktop.gui.correction_dialogs import HistoryDialog
    from lhn_desktop.gui.patient_dialog import PatientDialog
    from lhn_desktop.gui.visit_dialog import VisitDialog
    from lhn_desktop.services.demo_center import create_demo_database

    result = create_demo_database(home / "demo.sqlite3", home / "backups", patients=30, seed=7, today=TODAY)
    app = make_application()
    ctx = AppContext.open(str(result.path), today=lambda: TODAY)
    ctx.sign_in(next(m.id for m in ctx.team.list_members() if m.role == "physician"), "screens")
    out.mkdir(parents=True, exist_ok=True)

    def save(widget, name: str) -> None:
        widget.show()
        app.processEvents()
        assert widget.grab().save(str(out / f"{name}{suffix}.png")), name
        widget.hide()  # not close(): a filled visit form would ask whether to discard it

    form = PatientDialog(ctx)
    form.mrn.setText("0012345")
    form.given.setText("Ada")
    form.family.setText("Testwood")
    form.birth.setText("2012-06-01")
    form.sex.setCurrentIndex(form.sex.findData("female"))
    form.diagnosis.setCurrentIndex(form.diagnosis.findData("Crohn disease"))
    form.dx_date.setText("2023-09-14")
    form.location.setCurrentIndex(form.location.findData("L3"))
    form.behaviour.setCurrentIndex(form.behaviour.findData("B1"))
    form.growth.setCurrentIndex(form.growth.findData("G0"))
    save(form, "registration")

    people = ctx.patients.search(ctx.actor)
    for name, diagnosis in (("visit-crohn", "Crohn disease"), ("visit-uc", "Ulcerative colitis")):
        patient = next(p for p in people if p.diagnosis == diagnosis and p.status == "active")
        visit = VisitDialog(ctx, patient.id, TODAY)
        visit.pga.set_level(1)
        for n, picker in enumerate(visit.index_items.values()):
            picker.set_level(1 if n == 0 else None if n in (3, 4) and diagnosis == "Crohn disease" else 0)
        for code, change in (("WEIGHT", 1.03), ("HEIGHT", 1.01)):  # a little growth since the last visit
            last = float(visit.spec.previous[code][1].split()[0])
            visit.values[code].edit.setText(f"{last * change:.1f}")
        visit.values["CRP"].edit.setText("1.2 mg/dL")
        visit.values["ESR"].edit.setText("22")
        visit.values["ALB"].edit.setText("36")
        visit.recheck()
        save(visit, name)

    patient = next(p for p in people if p.diagnosis == "Crohn disease" and p.status == "active")
    crp = next(o for o in ctx.patients.get(ctx.actor, patient.id).observations if o.code == "CRP")
    ctx.corrections.correct_observation(ctx.actor, crp.id, "1.2", "Lab reported mg/dL", unit="mg/dL")
    ctx.corrections.mark_entered_in_error(ctx.actor, "observation", crp.id, "Sample was haemolysed")
    save(HistoryDialog(ctx, patient.id, crp.id, f"CRP, {patient.name}"), "correction-history")
    ctx.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else "")
