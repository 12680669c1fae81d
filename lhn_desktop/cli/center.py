"""``init``, ``demo`` and ``team``: creating centers and their teams."""

from __future__ import annotations

import argparse
from datetime import date

from lhn_desktop.access import Actor
from lhn_desktop.app import remember_database
from lhn_desktop.cli.output import TextProgress, center_passphrase, emit, emit_json, recovery_key_lines
from lhn_desktop.errors import ValidationError
from lhn_desktop.paths import DB_FILENAME, app_dirs
from lhn_desktop.services.demo_center import DEMO_FILENAME


def init(args: argparse.Namespace) -> int:
    from lhn_desktop.services.center import init_center_database

    if not args.site and not args.network_center:
        raise ValidationError("Give the site code your network assigned with --site CODE (for example ctr-042).")
    dirs = app_dirs()
    info = init_center_database(
        args.db or dirs.data / DB_FILENAME,
        dirs.backups,
        args.site,
        args.name,
        network=args.network,
        actor=Actor.workstation(),
        network_center=args.network_center,
        encrypt=not args.plain,
        passphrase=center_passphrase(confirm=True) if args.passphrase and not args.plain else None,
    )
    remember_database(info.db_path, dirs)
    if args.json:
        emit_json(info)
    else:
        emit(f"Created center {info.site_name} ({info.site_code}) in {info.db_path}")
        emit(f"This workstation's key fingerprint: {info.fingerprint}")
        if info.recovery_key:
            emit(f"The database is encrypted; this workstation keeps its key in {info.key_kept_in}.")
            for line in recovery_key_lines(info.recovery_key):
                emit(line)
        else:
            emit("The database is not encrypted (--plain). Encrypt it later with 'lhn-desktop db encrypt'.")
        emit("Next: add the team with 'lhn-desktop team add --name NAME --role ROLE', or open the window.")
    return 0


def _parse_day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"--today {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-03-01.") from None


def demo(args: argparse.Namespace) -> int:
    from lhn_desktop.services.demo_center import create_demo_database

    dirs = app_dirs()
    today = _parse_day(args.today)
    result = create_demo_database(
        args.db or dirs.data / DEMO_FILENAME,
        dirs.backups,
        patients=args.patients,
        seed=args.seed,
        today=today,
        replace=args.replace,
        progress=TextProgress(quiet=args.json),
        encrypt=not args.plain,
    )
    remember_database(result.path, dirs)
    if args.json:
        emit_json({"path": result.path, "site_code": result.site_code, "summary": result.summary,
                   "encrypted": not args.plain, "recovery_key": result.recovery_key})  # fmt: skip
    else:
        s = result.summary
        emit(
            f"Demo center ready in {result.path}: {s.patients} synthetic patients, {s.visits} visits, "
            f"{s.observations} observations, {s.scheduled_visits} scheduled visits on {len(s.clinic_days)} clinic days."
        )
        if result.recovery_key:
            emit(f"It is encrypted, as a real center's database is. Its recovery key: {result.recovery_key}")
    if args.open:
        from lhn_desktop.cli.gui import open_window

        return open_window(result.path, smoke=getattr(args, "smoke", False))
    return 0


def _context(args: argparse.Namespace):
    """The center database opened for one command (the one way every command opens it)."""
    from lhn_desktop.app import AppContext
    from lhn_desktop.cli.output import error

    # no whole-file check at every command (it grows with the database: 3 s at 2,000 patients); the window
    # runs it in the background and `db check` on demand; a damaged page met by a command is reported as such
    ctx = AppContext.open(args.db, full_check=False)
    if ctx.identity_notice:
        error(f"note: {ctx.identity_notice}")
    return ctx


def team_list(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        members = ctx.team.list_members(include_inactive=True)
    finally:
        ctx.close()
    if args.json:
        emit_json(members)
    else:
        for m in members:
            emit(f"{m.display_name:40} {m.role_label:16} {'active' if m.active else 'inactive'}")
        if not members:
            emit("No team members yet. Add one with 'lhn-desktop team add --name NAME --role ROLE'.")
    return 0


def team_add(args: argparse.Namespace) -> int:
    from lhn_desktop.services.team import parse_role

    role = parse_role(args.role)
    ctx = _context(args)
    try:
        member = ctx.team.add_member(ctx.actor, args.name, role)
    finally:
        ctx.close()
    if args.json:
        emit_json(member)
    else:
        emit(f"Added {member.display_name} ({member.role_label}).")
    return 0


def _center_summary(info) -> dict:
    return {"site_code": info.site_code, "site_name": info.site_name, "network": info.network,
            "clinic_phone": info.clinic_phone, "named_in_network": info.named_in_network}  # fmt: skip


def _print_center(info) -> None:
    emit(f"{info.site_name} ({info.site_code})" + (f", network {info.network}" if info.network else ""))
    emit(f"Clinic phone for families: {info.clinic_phone or 'not set (lhn-desktop center set --clinic-phone NUMBER)'}")
    emit(
        "In network comparisons the other centers see "
        + (
            "this center's name."
            if info.named_in_network
            else "a code, not this center's name (lhn-desktop center set --named-in-network yes to show it)."
        )
    )


def _center_command(args: argparse.Namespace, act) -> int:
    ctx = _context(args)
    try:
        info = act(ctx)
    finally:
        ctx.close()
    if args.json:
        emit_json(_center_summary(info))
    else:
        _print_center(info)
    return 0


def center_show(args: argparse.Namespace) -> int:
    return _center_command(args, lambda ctx: ctx.center())


def center_set(args: argparse.Namespace) -> int:
    from lhn_desktop.errors import ValidationError

    if args.clinic_phone is None and args.named_in_network is None:
        raise ValidationError("Say what to change: --clinic-phone NUMBER, --named-in-network yes|no, or both.")

    def change(ctx):
        info = ctx.center()
        if args.clinic_phone is not None:
            info = ctx.set_clinic_phone(args.clinic_phone)
        if args.named_in_network is not None:
            info = ctx.set_named_in_network(args.named_in_network == "yes")
        return info

    return _center_command(args, change)


def team_reset_pin(args: argparse.Namespace) -> int:
    """The workstation's administrator clears a member's PIN; the window asks them for a new one at sign-in."""
    from lhn_desktop.errors import NotFound

    ctx = _context(args)
    try:
        wanted = " ".join(args.name.split()).casefold()
        found = [m for m in ctx.team.list_members(include_inactive=True) if m.display_name.casefold() == wanted]
        if not found:
            raise NotFound(f"No team member is named {args.name!r}; 'lhn-desktop team list' shows the names.")
        member = found[0]
        ctx.team.clear_secret(ctx.actor, member.id)
    finally:
        ctx.close()
    if args.json:
        emit_json({"member": member.display_name, "has_secret": False})
    else:
        emit(f"{member.display_name}'s PIN was reset; they choose a new one when they next sign in.")
    return 0
