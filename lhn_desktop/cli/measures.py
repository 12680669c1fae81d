"""``measures compute | list | enter | threshold`` and ``chart render``."""

from __future__ import annotations

import argparse
from pathlib import Path

from lhn_desktop.cli.center import _context
from lhn_desktop.cli.output import TextProgress, emit, emit_json
from lhn_desktop.localization import stored_month


def compute(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        report = ctx.measures.compute(ctx.actor, months=args.months, progress=TextProgress(quiet=args.json))
    finally:
        ctx.close()
    if args.json:
        emit_json(report)
    else:
        months = f"{stored_month(report.first_month)} to {stored_month(report.last_month)}"
        emit(f"Computed {report.measures} measures for {months}: "
             f"{report.written} monthly values written, {report.unchanged} unchanged, "
             f"{report.kept_entered} entered by hand and kept.")  # fmt: skip
    return 0


def list_measures(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        rows = [(m, ctx.measures.values(m.code)) for m in ctx.measures.list_measures()]
    finally:
        ctx.close()
    if args.json:
        emit_json([{"measure": m, "values": values} for m, values in rows])
        return 0
    code_width = max((len(m.code) for m, _ in rows), default=0)
    title_width = max((len(m.title) for m, _ in rows), default=0)
    for m, values in rows:
        latest = values[-1] if values else None
        if latest is None:
            shown = "no values yet"
        elif m.continuous:
            reading = "no reading" if latest.value is None else f"{latest.value:g} ({m.unit})"
            shown = f"{stored_month(latest.month)}: {reading}, {latest.numerator} of {latest.denominator} patients"
        else:
            shown = f"{stored_month(latest.month)}: {latest.numerator}/{latest.denominator}"
        emit(f"{m.code:{code_width}}  {m.title:{title_width}}  {m.chart + ' chart':10} {shown}")
    if not rows:
        emit("No measures yet. Run 'lhn-desktop measures compute'.")
    return 0


def enter(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        value = ctx.measures.enter_value(
            ctx.actor, args.measure, args.month, args.numerator, args.denominator, args.value
        )
    finally:
        ctx.close()
    if args.json:
        emit_json(value)
    else:
        what = f"{value.value:g} over {value.numerator} patients" if value.value is not None else (
            f"{value.numerator}/{value.denominator}")  # fmt: skip
        emit(f"Entered {args.measure} {value.month}: {what}. Computing the measures again keeps this month as "
             "entered.")  # fmt: skip
    return 0


def threshold(args: argparse.Namespace) -> int:
    from lhn_desktop.errors import ValidationError

    ctx = _context(args)
    try:
        if args.name is None:
            items = ctx.measures.thresholds(args.measure)
        elif args.default == (args.value is not None):
            raise ValidationError(
                f"Give a value for {args.name} (with --reason), or --default to return to the library's."
            )
        else:
            items = [ctx.measures.set_threshold(ctx.actor, args.measure, args.name, args.value, args.reason)]
    finally:
        ctx.close()
    if args.json:
        emit_json(items)
        return 0
    if not items:
        emit(f"{args.measure} has no threshold a center may set: its definition is the network's own.")
    for t in items:
        own = f"this center's own: {t.value:g} ({t.reason})" if t.value is not None else "the library's default"
        emit(f"{t.name}: {t.label} {t.in_use:g}, {own}; allowed {t.lowest:g} to {t.highest:g}, default {t.default:g}.")
    if args.name is not None:
        emit("Compute the measures again to count with it.")
    return 0


def render(args: argparse.Namespace) -> int:
    from lhn_desktop.errors import ValidationError

    if bool(args.measure) == bool(args.all):
        raise ValidationError("Give --measure CODE for one chart, or --all for a page of every measure.")
    ctx = _context(args)
    try:
        if args.csv:
            if not args.measure:
                raise ValidationError("--csv writes the data of one chart: give --measure CODE.")
            text = ctx.measures.chart_csv(args.measure)
            part = Path(args.csv).with_name(Path(args.csv).name + ".part")
            part.write_text(text, encoding="utf-8")
            part.replace(args.csv)
        path = ctx.measures.render(args.measure, args.out) if args.measure else ctx.measures.render_page(args.out)
    finally:
        ctx.close()
    if args.json:
        emit_json({"out": str(path), "csv": args.csv})
    else:
        emit(f"Wrote {path}" + (f" and {args.csv}" if args.csv else "") + ".")
    return 0
