"""``ehr import`` and ``ehr export``: FHIR R4 files from the EHR in, the center's record out.

Only argparse is imported at the top: ``lhn-desktop --help`` stays fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

Option = Callable[[argparse.ArgumentParser], None]


def add_ehr_commands(sub, db_option: Option, json_option: Option) -> None:
    p = sub.add_parser("ehr", help="import the EHR's FHIR R4 export (preview first), or export the record as FHIR")
    ehr = p.add_subparsers(dest="ehr_command", metavar="ACTION", required=True)
    q = ehr.add_parser(
        "import",
        help="preview (and with --apply, import) FHIR R4 files: Bundles, NDJSON, Bulk Data folders or their zip",
        description="Without --apply nothing is written: the preview says what would be new, changed, unchanged "
        "and left out (with the reasons and where). Files with problems are named by file and line, and are not "
        "imported. Importing the same export again changes nothing.",
    )
    q.add_argument("paths", nargs="+", metavar="PATH", help="a FHIR file (.json, .ndjson), a folder or a .zip")
    q.add_argument("--apply", action="store_true", help="import (after a preview showed what will happen)")
    q.add_argument("--codes", metavar="FILE.json", help="this center's own local codes, in the code map's shape")
    q.add_argument("--mrn-system", metavar="URI",
                   help="the identifier system holding the MRN, when identifiers are not typed MR")  # fmt: skip
    q.add_argument("--kind", choices=("patients", "appointments", "results", "medications"),
                   help="for a CSV report: what it holds (not needed once its --source mapping is saved)")  # fmt: skip
    q.add_argument("--source", metavar="NAME",
                   help="for a CSV report: the name its column mapping is saved under and reused by")  # fmt: skip
    q.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                   help="for a CSV report: the column holding a field, e.g. mrn='Medical Record Number'")  # fmt: skip
    q.add_argument("--date-order", choices=("month/day/year", "day/month/year"),
                   help="for a CSV report whose dates are written with slashes")  # fmt: skip
    db_option(q)
    json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.ehr:ehr_import")
    q = ehr.add_parser(
        "export",
        help="the center's record as a FHIR R4 Bulk Data folder (manifest and NDJSON files)",
        description="The files hold patient data. On a terminal the command asks you to confirm; elsewhere give "
        "--yes. Every export is recorded in the audit log.",
    )
    q.add_argument("--fhir", required=True, metavar="DIR", help="an existing folder; a new subfolder is made in it")
    q.add_argument("--yes", action="store_true", help="confirm that the files hold patient data (no question)")
    db_option(q)
    json_option(q)
    q.set_defaults(handler="lhn_desktop.cli.ehr:ehr_export")


def _context(args: argparse.Namespace):
    from lhn_desktop.cli.center import _context as open_center

    return open_center(args)


def ehr_import(args: argparse.Namespace) -> int:
    from lhn_desktop.cli.output import TextProgress, emit, emit_json
    from lhn_desktop.services.ehr_csv import is_csv_report

    paths = [Path(p).expanduser() for p in args.paths]
    mapping = None
    ctx = _context(args)
    try:
        progress = TextProgress(quiet=args.json)
        if any(is_csv_report(p) for p in paths):
            mapping = _csv_mapping(ctx, args, paths)
            report = ctx.ehr.import_csv(ctx.actor, paths[0], mapping, apply=args.apply, progress=progress)
        else:
            codes = Path(args.codes).expanduser() if args.codes else None
            report = ctx.ehr.import_files(ctx.actor, paths, apply=args.apply, code_map=codes, progress=progress,
                                          mrn_system=args.mrn_system)  # fmt: skip
    finally:
        ctx.close()
    if mapping is not None and not args.json:
        emit(f"Columns ({mapping.kind}, saved as {mapping.source!r}): "
             + "; ".join(f"{name} = {column!r}" for name, column in mapping.columns.items()))  # fmt: skip
    if args.json:
        emit_json({
            "applied": report.applied,
            "resources": report.resources,
            "types": dict(report.types),
            "counts": {k: vars(c) for k, c in report.counts.items()},
            "skipped": [{"kind": kind, "reason": reason, "count": n, "where": places}
                        for (kind, reason), (n, places) in report.skipped.items()],
            "problems": [{"where": where, "problem": what} for where, what in report.problems],
            "clashes": [{"kind": kind, "where": where, "what": what} for kind, where, what in report.clashes],
        })  # fmt: skip
        return 2 if report.problems else 0
    verb = "Imported" if report.applied else "Read (nothing written)" if args.apply else "Preview (nothing written)"
    emit(f"{verb}: {report.resources} {report.what} read.")
    for kind, c in report.counts.items():
        if c.new or c.changed or c.unchanged or c.skipped:  # the kinds the files hold (a schedule: visits)
            emit(f"  {kind}: {c.new} new, {c.changed} changed, {c.unchanged} unchanged, {c.skipped} left out")
    for (kind, reason), (n, places) in report.skipped.items():
        emit(f"  left out ({kind}): {reason}: {n}, e.g. {places[0]}")
    for kind, where, what in report.clashes:
        emit(f"  kept ({kind}), {where}: {what}")
    for where, what in report.problems:
        print(f"lhn-desktop: {where}: {what}", file=sys.stderr)
    if report.problems:
        emit("These files have problems (listed above by file and line); fix or remove them and import again. "
             "Nothing was written.")  # fmt: skip
        return 2
    if report.advice:
        emit(report.advice)
    if not report.applied and report.changes:
        emit("Run the same command with --apply to import.")
    elif not report.applied and not report.advice:
        emit("Nothing to import: every record that can be imported is already in LHN Desktop.")
    return 0


def _csv_mapping(ctx, args: argparse.Namespace, paths: list[Path]):
    from dataclasses import replace

    from lhn_desktop.errors import ValidationError

    if len(paths) != 1:
        raise ValidationError("Import one CSV report at a time (FHIR files can go together).", field="paths")
    _table, mapping = ctx.ehr.read_csv(ctx.actor, paths[0], args.source, args.kind)
    columns = dict(mapping.columns)
    for item in args.map:
        name, sep, column = item.partition("=")
        if not sep or not name.strip() or not column.strip():
            raise ValidationError("Write --map as FIELD=COLUMN, e.g. mrn='Medical Record Number'.", field="map")
        columns[name.strip()] = column.strip()
    return replace(mapping, columns=columns, date_order=args.date_order or mapping.date_order,
                   source=args.source or mapping.source)  # fmt: skip


def ehr_export(args: argparse.Namespace) -> int:
    from lhn_desktop.cli.output import emit, emit_json
    from lhn_desktop.errors import ValidationError

    confirmed = args.yes
    if not confirmed and sys.stdin.isatty() and not args.json:
        answer = input("These files hold patient data (names, MRNs, birth dates, results). Export? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            emit("Nothing was exported.")
            return 1
        confirmed = True
    if not confirmed:
        raise ValidationError("The export holds patient data: confirm with --yes that you will keep the files as "
                              "protected health information.", field="yes")  # fmt: skip
    ctx = _context(args)
    try:
        result = ctx.ehr.export_fhir(ctx.actor, Path(args.fhir).expanduser(), confirm_patient_data=True)
    finally:
        ctx.close()
    if args.json:
        emit_json({"folder": str(result.folder), "counts": result.counts})
    else:
        emit(f"Exported to {result.folder}: " + ", ".join(f"{n} {t}" for t, n in result.counts.items()) + ".")
    return 0
