"""``huddle [--date D] [--json]``: the clinic day's patients with every checklist rule's status and reason."""

from __future__ import annotations

import argparse
from datetime import date

from lhn_desktop.cli.center import _context
from lhn_desktop.cli.output import emit, emit_json
from lhn_desktop.errors import ValidationError
from lhn_desktop.localization import counted, format_date


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{text!r} is not a date; write it as YYYY-MM-DD, for example 2026-03-03.") from None


def _row_json(row) -> dict:
    return {
        "time": row.time,
        "patient_name": row.patient_name,
        "mrn": row.mrn,
        "clinician": row.clinician,
        "visit_type": row.visit_type,
        "visit_status": row.visit_status,
        "pack": row.pack,
        "latest_pga": row.latest_pga,
        "latest_pga_on": row.latest_pga_on,
        "in_remission": row.in_remission,
        "flags": list(row.flags),
        "open_tasks": row.open_tasks,
        "overdue_tasks": row.overdue_tasks,
        "goals_due": row.goals_due,
        "plan_status": row.plan_status,
        "agenda": [
            {"kind": a.kind, "text": a.text, "source": a.source, "entered_on": a.entered_on, "addressed": a.addressed}
            for a in row.agenda
        ],
        "checklist": [
            {"code": i.code, "title": i.title, "status": i.status, "reason": i.reason, "due_on": i.due_on}
            for i in row.items
        ],
    }


def huddle(args: argparse.Namespace) -> int:
    chosen = parse_day(args.date) if args.date else None  # a typing slip is said before the database is opened
    ctx = _context(args)
    day = chosen or ctx.today()
    try:
        board = ctx.planning.huddle(ctx.actor, day)
        if args.pdf:
            ctx.planning.huddle_sheet(ctx.actor, day, args.pdf)
    finally:
        ctx.close()
    if args.pdf and not args.json:
        emit(f"Wrote the huddle sheet for {counted(len(board.rows), 'patient')} to {args.pdf}.")
        return 0
    if args.json:
        emit_json({"date": board.day, "summary": board.summary, "patients": [_row_json(r) for r in board.rows]})
        return 0
    emit(f"Huddle {format_date(day, weekday=True, full=True)}: {board.summary}")
    for row in board.rows:
        flags = "; ".join(row.flags) or "nothing flagged"
        emit(f"{row.time or '--:--'}  {row.patient_name:32} {row.mrn:>10}  {flags}")
        for item in row.items:
            if item.status in ("Due", "Overdue", "Due soon"):
                emit(f"         {item.status:9} {item.title}: {item.reason}")
        for entry in row.agenda:
            if not entry.addressed:
                emit(f"         Agenda    {entry.kind.replace('_', ' ')}: {entry.text}")
    return 0
