"""``schedule import FILE [--apply]``: preview (and with --apply, import) a clinic schedule CSV."""

from __future__ import annotations

import argparse

from lhn_desktop.cli.center import _context
from lhn_desktop.cli.output import emit, emit_json


def import_schedule(args: argparse.Namespace) -> int:
    from lhn_desktop.services.schedule import read_schedule_text

    text = read_schedule_text(args.file)
    ctx = _context(args)
    try:
        preview = ctx.schedule.preview(ctx.actor, text, args.file)
        result = ctx.schedule.import_schedule(ctx.actor, text, args.file) if args.apply and preview.can_import else None
    finally:
        ctx.close()
    if args.json:
        emit_json({"preview": {"summary": preview.summary, "delimiter": preview.delimiter,
                               "date_order": preview.date_order, "rows": preview.rows, "problems": preview.problems},
                   "imported": result})  # fmt: skip
        return 2 if preview.problems else 0
    emit(f"{args.file}: {preview.summary}")
    if preview.date_order != "year-month-day":
        emit(f"Dates read as {preview.date_order}.")
    for problem in preview.problems:
        emit(f"  line {problem.line}: {problem.reason}")
    for row in preview.unknown:
        emit(f"  line {row.line}: MRN {row.mrn} is not in LHN Desktop")
    if preview.problems:
        return 2
    if result is not None:
        emit(f"Imported: {result.added} visits added, {result.updated} changed, {result.unchanged} unchanged.")
    elif args.apply and preview.unknown and not preview.count("unchanged"):
        emit("Nothing was imported: no row's MRN is in LHN Desktop. Register those patients first (or import them "
             "from the EHR with 'lhn-desktop ehr import'), then import the schedule again.")  # fmt: skip
    elif args.apply:
        what = "is already on the schedule" if not preview.unknown else "that can be imported is already on it"
        emit(f"Nothing to import: every row {what}.")
    else:
        for row in preview.rows:
            if row.action in ("new", "updated"):
                emit(f"  {row.action:9} {row.day} {row.time or '--:--'} {row.patient_name} ({row.mrn}) "
                     f"{row.clinician or ''} {row.visit_type}")  # fmt: skip
        emit("This was a preview; nothing was written. Add --apply to import.")
    return 0
