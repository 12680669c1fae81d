"""Before the first window on Linux: are the system libraries Qt's X11 plugin needs there?

Without them Qt stops the program with its own terse line ("could not load the Qt platform plugin
xcb"). This check reads which libraries the plugin cannot find (``ldd``, which every glibc system has)
and says which packages to install, in words, before Qt is started.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

_NOT_FOUND = re.compile(r"^\s*(\S+)\s+=>\s+not found", re.MULTILINE)


def display_problem() -> str | None:
    """What is missing for a real window on this Linux system, or None (also elsewhere and when not checkable)."""
    if not sys.platform.startswith("linux") or not _uses_x11():
        return None
    if not os.environ.get("DISPLAY"):
        return ("LHN Desktop cannot open its window: no display was found (DISPLAY is not set). Start it from the "
                "desktop session, or on a computer without a screen check it with QT_QPA_PLATFORM=offscreen "
                "lhn-desktop --smoke.")  # fmt: skip
    plugin = _xcb_plugin()
    missing = missing_libraries(plugin) if plugin is not None else []
    return missing_message(missing) if missing else None


def _uses_x11() -> bool:
    """Qt will try X11: asked for by name, or chosen by Qt itself outside a Wayland session."""
    chosen = os.environ.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if chosen:
        return chosen == "xcb"
    return not (os.environ.get("WAYLAND_DISPLAY") or os.environ.get("XDG_SESSION_TYPE") == "wayland")


def _xcb_plugin() -> Path | None:
    try:
        from PySide6.QtCore import QLibraryInfo

        folder = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath)) / "platforms"
    except (ImportError, RuntimeError):
        return None
    plugin = folder / "libqxcb.so"
    return plugin if plugin.is_file() else None


def missing_libraries(library: Path) -> list[str]:
    """The shared libraries ``library`` needs that the system does not have (by ``ldd``)."""
    ldd = shutil.which("ldd")
    if ldd is None:
        return []
    try:
        out = subprocess.run([ldd, str(library)], capture_output=True, text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return sorted(set(_NOT_FOUND.findall(out)))


def package_of(library: str) -> str:
    """The Debian/Ubuntu package that usually holds a library: libxcb-cursor.so.0 → libxcb-cursor0."""
    name, _, version = library.partition(".so.")
    name, version = name.lower(), version.split(".")[0]  # package names are lower case: libEGL → libegl1
    if not version:
        return name
    return f"{name}-{version}" if name[-1:].isdigit() else f"{name}{version}"


def missing_message(missing: list[str]) -> str:
    packages = " ".join(package_of(lib) for lib in missing)
    return (
        "LHN Desktop cannot open its window: this computer lacks system libraries that the window needs "
        f"({', '.join(missing)}).\n"
        f"On Debian or Ubuntu, install them with:\n    sudo apt-get install {packages}\n"
        "(other systems name the packages alike; your IT team can install them). Everything else works without a "
        "window: run 'lhn-desktop --help' for the commands."
    )
