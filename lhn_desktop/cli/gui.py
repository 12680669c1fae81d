"""Opening the window from the command line (``lhn-desktop``, ``lhn-desktop gui``)."""

from __future__ import annotations

import argparse


def open_window(
    db: str | None, *, smoke: bool = False, screenshots: str | None = None, first_page_ready: bool = False
) -> int:
    from lhn_desktop.gui.app import run as run_gui

    return run_gui(db, smoke=smoke, screenshots=screenshots, first_page_ready=first_page_ready)


def run(args: argparse.Namespace) -> int:
    return open_window(
        args.db,
        smoke=getattr(args, "smoke", False),
        screenshots=getattr(args, "screenshots", None),
        first_page_ready=getattr(args, "first_page_ready", False),
    )
