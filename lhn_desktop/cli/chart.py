"""``chart analyze``: the SPC analysis contract (SPC.md section 9), JSON in and JSON out."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lhn_desktop.errors import NotFound, ValidationError


def read_request_text(source: str) -> str:
    """The request from a file, or from standard input when ``source`` is ``-``."""
    if source == "-":
        return sys.stdin.read()
    path = Path(source)
    if not path.is_file():
        raise NotFound(f"There is no chart request file at {path}; check the name, or use - to read standard input.")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(f"{path} is not a UTF-8 text file; save the request as UTF-8 JSON.") from None


def analyze(args: argparse.Namespace) -> int:
    from lhn_desktop.cli.output import error
    from lhn_desktop.spc import SpcInputError
    from lhn_desktop.spc import analyze as run_analysis
    from lhn_desktop.spc.contract import dumps, loads, parse_request

    text = read_request_text(args.request)
    try:
        result = run_analysis(parse_request(loads(text)))
    except SpcInputError as exc:
        raise ValidationError(str(exc)) from None
    except OverflowError:  # sums of values near the largest float (1e308) overflow
        raise ValidationError(
            "The numbers in the chart request are too large to analyse (their sums pass 10^308); check the values."
        ) from None
    for note in result.notes:
        error(f"note: {note}")
    text = dumps(result)
    if args.out:
        write_out(Path(args.out), text + "\n")
    else:
        print(text)
    return 0


def write_out(out: Path, text: str) -> None:
    """Write ``text`` to ``out`` through a ``.part`` file, with a message (and no ``.part`` left) if it cannot."""
    if not out.parent.is_dir():
        raise NotFound(f"There is no folder {out.parent}; create it first, or give --out a file in another folder.")
    if out.is_dir():
        raise ValidationError(f"{out} is a folder; give --out a file name such as {out / 'analysis.json'}.")
    part = out.with_name(out.name + ".part")
    try:
        part.write_text(text, encoding="utf-8")
        part.replace(out)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise ValidationError(
            f"The analysis could not be written to {out} ({exc.strerror or type(exc).__name__}); check that the "
            "folder is writable and the disk has room, or choose another --out."
        ) from None
