"""``network compare`` and ``network report``: each center against the network."""

from __future__ import annotations

import argparse

from lhn_desktop.cli.center import _context
from lhn_desktop.cli.output import emit, emit_json


def compare(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        comparison = ctx.network.compare(args.measure, args.first, args.last)
        drawn = ctx.network.render_funnel(comparison, args.funnel) if args.funnel else None
    finally:
        ctx.close()
    if args.json:
        emit_json(comparison.as_json())
        return 0
    for row in comparison.table_rows():
        emit("  ".join(f"{cell:{width}}" for cell, width in zip(row, (28, 10, 12, 8, 0), strict=True)).rstrip())
    if drawn:
        emit(f"Wrote the funnel plot to {drawn}.")
    return 0


def report(args: argparse.Namespace) -> int:
    ctx = _context(args)
    try:
        path = ctx.network.report(ctx.actor, args.month, args.pdf)
    finally:
        ctx.close()
    if args.json:
        emit_json({"pdf": str(path), "month": args.month})
    else:
        emit(f"Wrote the network report for {args.month} to {path}.")
    return 0
