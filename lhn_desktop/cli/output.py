"""Printing for the command line: human text by default, JSON with ``--json``, progress on stderr."""

from __future__ import annotations

import dataclasses
import json
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any


def _default(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}
    if isinstance(obj, date | datetime):
        return obj.isoformat()
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, set | frozenset | tuple):
        return list(obj)
    raise TypeError(f"cannot write {type(obj).__name__} as JSON")


def emit_json(data: Any) -> None:
    print(json.dumps(data, default=_default, indent=2, sort_keys=True))


def emit(text: str) -> None:
    print(text)


def error(text: str) -> None:
    print(f"lhn-desktop: {text}", file=sys.stderr)


class TextProgress:
    """A progress sink that writes a line to stderr at most a few times a second."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self._last = 0.0
        self._tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int | None, label: str) -> None:
        if self.quiet:
            return
        now = time.monotonic()
        finished = total is not None and done >= total
        if not finished and now - self._last < (0.2 if self._tty else 2.0):
            return
        self._last = now
        text = f"{label}: {done}/{total}" if total else f"{label}: {done}"
        if self._tty:
            print(f"\r{text}", end="\n" if finished else "", file=sys.stderr, flush=True)
        else:
            print(text, file=sys.stderr, flush=True)

    def say(self, text: str) -> None:
        """One step of a job told in words, on its own line."""
        if not self.quiet:
            print(text, file=sys.stderr, flush=True)


PASSPHRASE_ENV = "LHN_CENTER_PASSPHRASE"


def ask_secret(what: str, *, env: str | None = None, confirm: bool = False) -> str | None:
    """A secret from the environment variable ``env`` or asked at the terminal (never echoed); ``None`` when
    neither gives one (a script without the variable)."""
    import os

    if env and os.environ.get(env):
        return os.environ[env]
    if not sys.stdin.isatty():
        return None
    import getpass

    first = getpass.getpass(f"{what}: ")
    if confirm and first and getpass.getpass(f"{what} again: ") != first:
        from lhn_desktop.errors import ValidationError

        raise ValidationError(f"The two entries of the {what.lower()} differ; nothing was changed. Try again.")
    return first or None


def center_passphrase(*, confirm: bool) -> str:
    """The center passphrase (LHN_CENTER_PASSPHRASE, or asked at the terminal); refused when none is given."""
    from lhn_desktop.errors import ValidationError
    from lhn_desktop.services.maintenance import check_passphrase

    passphrase = ask_secret("Center passphrase", env=PASSPHRASE_ENV, confirm=confirm)
    if not passphrase:
        raise ValidationError(f"Give the center passphrase at the terminal, or in {PASSPHRASE_ENV}.")
    if confirm:  # a new passphrase; one given to unlock is checked against the database instead
        check_passphrase(passphrase)
    return passphrase


def recovery_key_lines(recovery_key: str) -> list[str]:
    """How a new recovery key is shown once at the terminal."""
    return [
        "",
        f"  Recovery key: {recovery_key}",
        "",
        "Write it down or print it now, and keep it locked away from this computer: it is shown only this once.",
        "With it, 'lhn-desktop db unlock' opens the data on a new workstation or after the credential store is lost.",
    ]
