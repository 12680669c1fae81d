"""``bundle export | import | verify``: center bundles between this center's workstations, and network
bundles (no patient data) to and from the network coordinating center (SYNC.md 2).

The center key comes from ``--key-file FILE`` (32 bytes, made once with ``bundle make-key``) or from
the center passphrase, asked for at the terminal or read from the LHN_CENTER_PASSPHRASE variable.
"""

from __future__ import annotations

import argparse
import dataclasses

from lhn_desktop.cli.center import _context
from lhn_desktop.cli.output import PASSPHRASE_ENV, ask_secret, emit, emit_json, error
from lhn_desktop.errors import ValidationError
from lhn_desktop.localization import counted


def _center_key(args: argparse.Namespace, site_code: str) -> bytes:
    from lhn_desktop.services.sync import key_from_passphrase, read_key_file

    if args.key_file:
        return read_key_file(args.key_file)
    passphrase = ask_secret("Center passphrase", env=PASSPHRASE_ENV)
    if not passphrase:
        raise ValidationError(
            "Give the center key: --key-file FILE, or the passphrase (asked at the terminal, or in "
            "LHN_CENTER_PASSPHRASE). A center without one yet makes it once with 'lhn-desktop bundle make-key --out "
            "FILE' and copies that file to each of its workstations, or agrees one passphrase for all of them."
        )
    return key_from_passphrase(passphrase, site_code)


def _key_for(args: argparse.Namespace, files: list[str], site_code: str) -> bytes | None:
    """The center key, asked for only when a file is a center bundle (network bundles are not sealed)."""
    from lhn_desktop.services.sync import SyncService

    # a first look with the reader's own limits; a file refused here is refused by the import, which says why
    if any(SyncService.bundle_scope(file) == "center" for file in files):
        return _center_key(args, site_code)
    return None


def make_key(args: argparse.Namespace) -> int:
    from lhn_desktop.services.sync import make_key_file

    path = make_key_file(args.out)
    emit(f"Wrote a new center key to {path}. Copy it to every workstation of the center, and keep it off shared "
         "folders.")  # fmt: skip
    return 0


def export(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        service = ctx.sync
        if args.review:
            preview = service.preview(ctx.actor, args.scope, args.to, full=args.full)
        elif args.scope == "center":
            key = _center_key(args, ctx.center().site_code)
            path = service.export_center(ctx.actor, args.out, key, full=args.full)
        elif args.to_every_center:
            if args.to:
                raise ValidationError("Give --to SITE for one center, or --to-every-center, not both.")
            paths = service.export_network_to_centers(ctx.actor, args.out, attestation=args.attest, full=args.full)
        else:
            path = service.export_network(ctx.actor, args.out, audience=args.to, attestation=args.attest,
                                          full=args.full)  # fmt: skip
    finally:
        ctx.close()
    if args.to_every_center and not args.review and args.scope == "network":
        if args.json:
            emit_json({"bundles": [str(p) for p in paths]})
        else:
            emit(f"Wrote {len(paths)} bundles, one for each center, into {args.out}.")
        return 0
    if args.review:
        if args.json:
            emit_json(preview)
        else:
            _print_review(preview)
        return 0
    if args.json:
        emit_json({"bundle": str(path)})
    else:
        emit(f"Wrote {path}.")
    return 0


def _print_review(preview) -> None:
    whom = "this center's workstations" if preview.scope == "center" else f"{preview.audience} (network bundle)"
    what = "only what they do not have yet" if preview.delta else "everything this workstation holds for them"
    emit(f"A bundle for {whom} would carry ({what}):")
    for c in preview.counts:
        emit(f"  {c.records:>7,} {c.label} ({c.versions:,} field values)")
    since = f" since the last export ({preview.last_export})" if preview.last_export else ""
    shown = [t for t in preview.texts if t.new or t.findings]
    emit(f"Free text, new or changed{since}: {len(shown)}")
    for t in shown:
        emit(f"  {t.kind} \u201c{t.record}\u201d, {t.field}: {t.text[:100]}")
        for finding in t.findings:
            emit(f"    ! {finding}")
    for w in preview.warnings:
        emit(f"  Note: {w}")
    if preview.blocked:
        emit("The free-text check found what may identify a patient: edit those texts, or export with --attest.")


def verify(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        key = _key_for(args, [args.file], ctx.center().site_code)
        bundle = ctx.sync.verify(args.file, key)
    finally:
        ctx.close()
    m = bundle.manifest
    rows = sum(len(r) for r in bundle.rows.values())
    summary = {"file": args.file, "ok": True, "bundle_id": m.bundle_id, "from": m.source.site_id,
               "created_at": m.created_at, "already_imported": bundle.already_imported, "rows": rows,
               "attachments": len(bundle.attachments)}  # fmt: skip
    if args.json:
        emit_json(summary)
    else:
        files = f" and {counted(len(bundle.attachments), 'attached file')}" if bundle.attachments else ""
        state = "already imported" if bundle.already_imported else f"{rows} field versions{files}, ready to import"
        emit(
            f"{args.file}: every check passed ({m.source.site_id}, made {m.created_at}); {state}. Nothing was changed."
        )
    return 0


def import_(args: argparse.Namespace) -> int:
    """Import each file in turn, each in its own transaction: a refused file changes nothing and the import
    carries on with the next; every file's outcome is reported (exit 2 when any was refused)."""
    from lhn_desktop.services.sync import BundleRejected

    ctx = _context(args)
    try:
        key = _key_for(args, args.files, ctx.center().site_code)
        results = ctx.sync.import_many(ctx.actor, args.files, key)
    finally:
        ctx.close()
    outcomes = [_outcome(r) for r in results]
    refused = [r for r in results if isinstance(r, BundleRejected)]
    for r in results:
        if isinstance(r, BundleRejected):
            error(str(r))
        elif not args.json:
            emit(r.summary)
    if not args.json and len(results) > 1:
        emit(_tally(outcomes))
    if not refused:
        if args.json:
            emit_json(outcomes)
        return 0
    if args.json:  # the shape of a failed command (error, exit_code), with every file's outcome added
        message = " ".join(str(r) for r in refused)
        emit_json({"error": message, "exit_code": 2, "files": outcomes})
    return 2


def _outcome(result) -> dict:
    """One file's outcome for --json: the import report's fields, plus ``outcome`` (imported, already_imported,
    refused) and, for a refused file, its ``code``, ``reason`` and ``message``."""
    if dataclasses.is_dataclass(result):  # an ImportReport
        fields = {f.name: getattr(result, f.name) for f in dataclasses.fields(result)}
        return fields | {"outcome": "already_imported" if result.already_imported else "imported"}
    return {"file": result.file, "outcome": "refused", "code": result.code, "reason": result.reason,
            "message": str(result), "already_imported": False, "added": 0, "records": 0, "conflicts": 0,
            "hidden": 0, "sender": "", "kinds": {}, "attachments": 0, "complete": False}  # fmt: skip


def _tally(outcomes: list[dict]) -> str:
    counts = {kind: sum(o["outcome"] == kind for o in outcomes) for kind in ("imported", "already_imported", "refused")}
    parts = [f"{counts['imported']} imported"]
    if counts["already_imported"]:
        parts.append(f"{counts['already_imported']} already imported before")
    if counts["refused"]:
        parts.append(f"{counts['refused']} not imported (each changed nothing; the reason is given above)")
    return f"{len(outcomes)} bundles: " + ", ".join(parts) + "."
