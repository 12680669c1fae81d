"""``db check | backup | upgrade | restore``."""

from __future__ import annotations

import argparse
from pathlib import Path

from lhn_desktop.cli.output import emit, emit_json
from lhn_desktop.paths import app_dirs


def _path(args: argparse.Namespace) -> str:
    from lhn_desktop.app import resolve_db_path
    from lhn_desktop.settings import load_settings

    dirs = app_dirs()
    return str(resolve_db_path(args.db, dirs, load_settings(dirs.config)))


def check(args: argparse.Namespace) -> int:
    from lhn_desktop.services.maintenance import check_database

    report = check_database(_path(args), app_dirs().backups)
    if args.json:
        emit_json(report)
    else:
        emit(f"Database: {report.path} ({report.size_bytes / 1_048_576:.1f} MB)")
        if report.ok:
            emit("Integrity: ok. Foreign keys: ok.")
            settings = ", ".join(f"{k}={v}" for k, v in report.settings.items())
            if report.settings.get("journal_mode") == "wal":
                emit(f"Connection settings: {settings}")
            else:
                emit(f"Journal mode: {report.settings.get('journal_mode')} (a backup copy; it was not changed)")
            emit(f"Schema: {report.schema_revision} (current)")
        else:
            emit("Problems found:")
            for p in report.problems:
                emit(f"  - {p}")
            if report.latest_backup:
                emit(
                    f"Latest backup: {report.latest_backup}. Restore it with 'lhn-desktop db restore' "
                    "(the damaged file is kept, renamed)."
                )
            else:
                emit("No backup was found. Keep the file as it is and contact your IT or data team.")
    return 0 if report.ok else 1


def backup(args: argparse.Namespace) -> int:
    from lhn_desktop.cli.center import _context
    from lhn_desktop.cli.output import TextProgress

    ctx = _context(args)
    try:
        result = ctx.maintenance.backup(out=Path(args.out) if args.out else None, progress=TextProgress(quiet=True))
    finally:
        ctx.close()
    if args.json:
        emit_json(result)
    else:
        emit(f"Backup written to {result.path} ({result.size_bytes / 1_048_576:.1f} MB, checked).")
    return 0


def upgrade(args: argparse.Namespace) -> int:
    from lhn_desktop.services.maintenance import upgrade_database

    result = upgrade_database(_path(args), app_dirs().backups)
    if args.json:
        emit_json(result)
    elif result.changed:
        emit(
            f"Upgraded {result.path} from schema {result.from_revision} to {result.to_revision} "
            "(a backup was taken first)."
        )
    else:
        emit(f"{result.path} is already at schema {result.to_revision}; nothing to do.")
    return 0


def restore(args: argparse.Namespace) -> int:
    from lhn_desktop.services.maintenance import restore_backup

    result = restore_backup(
        _path(args), app_dirs().backups, source=Path(args.source) if args.source else None, force=args.force
    )
    if args.json:
        emit_json(result)
    else:
        emit(f"Restored from {result.restored_from}.")
        if result.damaged_kept_as:
            emit(f"The previous file was kept as {result.damaged_kept_as}.")
    return 0
