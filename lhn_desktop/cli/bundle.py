"""``bundle export | import | verify``: center bundles between this center's workstations (SYNC.md 2).

The center key comes from ``--key-file FILE`` (32 bytes, made once with ``bundle make-key``) or from
the center passphrase, asked for at the terminal or read from the LHN_CENTER_PASSPHRASE variable.
"""

from __future__ import annotations

import argparse
import os
import sys

from lhn_desktop.cli.center import _context
from lhn_desktop.cli.output import emit, emit_json
from lhn_desktop.errors import ValidationError


def _center_key(args: argparse.Namespace, site_code: str) -> bytes:
    from lhn_desktop.services.sync import key_from_passphrase, read_key_file

    if args.key_file:
        return read_key_file(args.key_file)
    passphrase = os.environ.get("LHN_CENTER_PASSPHRASE")
    if passphrase is None and sys.stdin.isatty():
        import getpass

        passphrase = getpass.getpass("Center passphrase: ")
    if not passphrase:
        raise ValidationError("Give the center key: --key-file FILE, or the passphrase (asked at the terminal, or in "
                              "LHN_CENTER_PASSPHRASE).")  # fmt: skip
    return key_from_passphrase(passphrase, site_code)


def make_key(args: argparse.Namespace) -> int:
    from lhn_desktop.services.sync import make_key_file

    path = make_key_file(args.out)
    emit(f"Wrote a new center key to {path}. Copy it to every workstation of the center, and keep it off shared "
         "folders.")  # fmt: skip
    return 0


def export(args: argparse.Namespace) -> int:
    from lhn_desktop.services.sync import SyncService

    if args.scope != "center":
        raise ValidationError("Network bundles (no patient data, with the free-text gate) are not available yet; "
                              "use --scope center between this center's workstations.")  # fmt: skip
    ctx = _context(args)
    try:
        key = _center_key(args, ctx.db.local_node().site_code)
        path = SyncService(ctx.db).export_center(ctx.actor, args.out, key)
    finally:
        ctx.close()
    if args.json:
        emit_json({"bundle": str(path)})
    else:
        emit(f"Wrote {path}.")
    return 0


def verify(args: argparse.Namespace) -> int:
    from lhn_desktop.services.sync import SyncService

    ctx = _context(args)
    try:
        key = _center_key(args, ctx.db.local_node().site_code)
        bundle = SyncService(ctx.db).verify(args.file, key)
    finally:
        ctx.close()
    m = bundle.manifest
    rows = sum(len(r) for r in bundle.rows.values())
    summary = {"file": args.file, "ok": True, "bundle_id": m.bundle_id, "from": m.source.site_id,
               "created_at": m.created_at, "already_imported": bundle.already_imported, "rows": rows}  # fmt: skip
    if args.json:
        emit_json(summary)
    else:
        state = "already imported" if bundle.already_imported else f"{rows} field versions, ready to import"
        emit(
            f"{args.file}: every check passed ({m.source.site_id}, made {m.created_at}); {state}. Nothing was changed."
        )
    return 0


def import_(args: argparse.Namespace) -> int:
    from lhn_desktop.services.sync import SyncService

    ctx = _context(args)
    reports = []
    try:
        key = _center_key(args, ctx.db.local_node().site_code)
        service = SyncService(ctx.db)
        for file in args.files:
            reports.append(service.import_bundle(ctx.actor, file, key))
    finally:
        ctx.close()
    if args.json:
        emit_json(reports)
        return 0
    for r in reports:
        if r.already_imported:
            emit(f"{r.file}: already imported; nothing changed.")
        else:
            emit(f"{r.file}: {r.added} field versions merged into {r.records} records; {r.conflicts} in conflict.")
    return 0
