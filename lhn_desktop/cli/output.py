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
