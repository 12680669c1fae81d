"""What the About box and a support request need to know: the versions this program runs with (no patient data).

Versions of libraries come from their installed metadata, so nothing heavy (matplotlib) is imported to name it.
The window adds Qt and PySide6, which only it may import.
"""

from __future__ import annotations

import importlib
import platform
import sqlite3
from importlib import metadata

from lhn_desktop import APP_NAME, __version__


def _installed(distribution: str, module: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:  # a frozen build may carry the package without its metadata
        pass
    try:
        return str(importlib.import_module(module).__version__)
    except (ImportError, AttributeError):
        return "not found"


def component_versions() -> list[tuple[str, str]]:
    """(component, version) for the program and the Qt-free parts it is built on, in the order shown."""
    return [
        (APP_NAME, __version__),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("SQLite", sqlite3.sqlite_version),
        ("SQLAlchemy", _installed("SQLAlchemy", "sqlalchemy")),
        ("matplotlib", _installed("matplotlib", "matplotlib")),
        ("Operating system", platform.platform(terse=True)),
    ]
