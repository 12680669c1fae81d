"""Where LHN Desktop keeps its files, and how it finds its own resources (also when frozen).

``LHN_DESKTOP_HOME`` relocates every per-user folder under one directory; tests and CI always set
it so that no test touches a real profile.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

from lhn_desktop import APP_ID

HOME_ENV = "LHN_DESKTOP_HOME"
DB_FILENAME = "center.sqlite3"


@dataclass(frozen=True, slots=True)
class AppDirs:
    """The per-user folders of the program."""

    data: Path
    config: Path
    logs: Path
    cache: Path

    @property
    def default_db(self) -> Path:
        return self.data / DB_FILENAME

    @property
    def backups(self) -> Path:
        return self.data / "backups"


def app_dirs() -> AppDirs:
    """The folders in force now: ``LHN_DESKTOP_HOME`` if set, else the platform's defaults."""
    home = os.environ.get(HOME_ENV)
    if home:
        root = Path(home).expanduser()
        return AppDirs(data=root / "data", config=root / "config", logs=root / "logs", cache=root / "cache")
    import platformdirs

    dirs = platformdirs.PlatformDirs(APP_ID, appauthor=False)
    return AppDirs(
        data=Path(dirs.user_data_dir),
        config=Path(dirs.user_config_dir),
        logs=Path(dirs.user_log_dir),
        cache=Path(dirs.user_cache_dir),
    )


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False)) and hasattr(sys, "_MEIPASS")


def package_dir() -> Path:
    """The folder of the ``lhn_desktop`` package, from source or inside a frozen bundle."""
    if is_frozen():
        return Path(sys._MEIPASS) / "lhn_desktop"  # type: ignore[attr-defined]
    return Path(__file__).resolve().parent


def resource_path(*parts: str) -> Path:
    """A file under the project's ``resources/`` folder (beside the package, or in the bundle)."""
    if is_frozen():
        base = Path(sys._MEIPASS) / "resources"  # type: ignore[attr-defined]
    else:
        base = package_dir().parent / "resources"
    return base.joinpath(*parts)


def migrations_dir() -> Path:
    return package_dir() / "store" / "migrations"


def content_dir() -> Path:
    """Measure definitions, disease packs and checklist rules shipped as data (also when frozen)."""
    return package_dir() / "content"


def configure_frozen_runtime() -> None:
    """Settings the frozen one-folder program needs before heavy imports.

    PyInstaller's matplotlib hook points ``MPLCONFIGDIR`` at a new temporary folder on every start,
    so matplotlib would rebuild its font cache each time; in a one-folder build use the cache
    folder instead (PACKAGING.md, pitfall 4).
    """
    if not is_frozen():
        return
    meipass = Path(sys._MEIPASS)  # type: ignore[attr-defined]
    one_folder = meipass.parent == Path(sys.executable).resolve().parent
    if one_folder:
        os.environ["MPLCONFIGDIR"] = str(app_dirs().cache / "matplotlib")
