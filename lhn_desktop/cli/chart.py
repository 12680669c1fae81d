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
    for note in result.notes:
        error(f"note: {note}")
    text = dumps(result)
    if args.out:
        out = Path(args.out)
        part = out.with_name(out.name + ".part")
        part.write_text(text + "\n", encoding="utf-8")
        part.replace(out)
    else:
        print(text)
    return 0
