"""``db check | backup | upgrade | restore``."""

from __future__ import annotations

import argparse
from pathlib import Path

from lhn_desktop.cli.output import emit, emit_json
from lhn_desktop.localization import counted
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


def _print_key_change(args: argparse.Namespace, change, done: str) -> None:
    from lhn_desktop.cli.output import recovery_key_lines

    if args.json:
        emit_json(change)
        return
    emit(f"{done} {change.path}: {change.tables} tables and {change.rows} rows compared with the original, all the "
         f"same; the old file was overwritten and removed.")  # fmt: skip
    if change.backups:
        were = "was" if change.backups == 1 else "were"
        emit(f"{counted(change.backups, 'backup')} {were} brought under the new key the same way.")
    if change.attachments:
        were = "was" if change.attachments == 1 else "were"
        emit(f"{counted(change.attachments, 'attached file')} {were} sealed under the new key.")
    emit(f"This workstation keeps the key in {change.kept_in}.")
    for line in recovery_key_lines(change.recovery_key):
        emit(line)


def _change_key(args: argparse.Namespace, *, require_plain: bool, done: str) -> int:
    from lhn_desktop.cli.output import TextProgress, center_passphrase
    from lhn_desktop.services.maintenance import change_key

    passphrase = center_passphrase(confirm=True) if args.passphrase else None
    progress = None if args.json else TextProgress().say
    change = change_key(
        _path(args), app_dirs().backups, passphrase=passphrase, require_plain=require_plain, progress=progress
    )
    _print_key_change(args, change, done)
    return 0


def encrypt(args: argparse.Namespace) -> int:
    return _change_key(args, require_plain=True, done="Encrypted")


def rekey(args: argparse.Namespace) -> int:
    return _change_key(args, require_plain=False, done="Put under a new key:")


def unlock(args: argparse.Namespace) -> int:
    from lhn_desktop.cli.output import ask_secret, center_passphrase
    from lhn_desktop.errors import ValidationError
    from lhn_desktop.services.maintenance import unlock as unlock_database

    path = _path(args)
    if args.passphrase:
        kept_in = unlock_database(path, passphrase=center_passphrase(confirm=False))
    else:
        recovery = args.recovery_key or ask_secret("Recovery key")
        if not recovery:
            raise ValidationError("Give the recovery key with --recovery-key KEY (or type it at the terminal), or "
                                  "use --passphrase for the center passphrase.")  # fmt: skip
        kept_in = unlock_database(path, recovery_key=recovery)
    if args.json:
        emit_json({"path": path, "kept_in": kept_in})
    else:
        emit(f"Unlocked {path}; this workstation keeps its key in {kept_in} again.")
    return 0


def passphrase(args: argparse.Namespace) -> int:
    from lhn_desktop.cli.output import center_passphrase
    from lhn_desktop.services.maintenance import set_passphrase

    path = _path(args)
    set_passphrase(path, None if args.remove else center_passphrase(confirm=True))
    if args.json:
        emit_json({"path": path, "passphrase": not args.remove})
    elif args.remove:
        emit("The center passphrase no longer unlocks the database; its recovery key still does.")
    else:
        emit("The center passphrase now unlocks the database too (with 'lhn-desktop db unlock --passphrase').")
    return 0
