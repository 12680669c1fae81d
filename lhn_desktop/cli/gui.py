"""Opening the window from the command line (``lhn-desktop``, ``lhn-desktop gui``)."""

from __future__ import annotations

import argparse
import importlib

from lhn_desktop.startup import imports_without_collection

#: The Qt-free modules the window needs before its first page is ready. PySide6, once imported, reads the source of
#: every module imported after it (for its ``__feature__`` switches); importing these first spares that reading of
#: about 400 modules (SQLAlchemy, pydantic, the models and services): about 70 ms of every start
#: (docs/performance.md).
BEFORE_QT = (
    "lhn_desktop.access",
    "lhn_desktop.app",
    "lhn_desktop.settings",
    "lhn_desktop.services.team",
    "lhn_desktop.services.node_guard",
    "lhn_desktop.services.maintenance",
    "lhn_desktop.services.center",
    "lhn_desktop.services.overview",
    "lhn_desktop.services.planning",
    "lhn_desktop.services.checklist",
    "lhn_desktop.clinical.observations",
    "filelock",  # the window's lock on the database file
)


def open_window(
    db: str | None, *, smoke: bool = False, screenshots: str | None = None, first_page_ready: bool = False
) -> int:
    with imports_without_collection():  # see lhn_desktop/startup.py
        for name in BEFORE_QT:
            importlib.import_module(name)
        from lhn_desktop.gui.app import import_first_page
        from lhn_desktop.gui.app import run as run_gui

        import_first_page()  # after Qt, with the collector still paused

    return run_gui(db, smoke=smoke, screenshots=screenshots, first_page_ready=first_page_ready)


def run(args: argparse.Namespace) -> int:
    return open_window(
        args.db,
        smoke=getattr(args, "smoke", False),
        screenshots=getattr(args, "screenshots", None),
        first_page_ready=getattr(args, "first_page_ready", False),
    )
