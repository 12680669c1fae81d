"""Typed user settings, saved as JSON in the config folder.

Window geometry lives in QSettings inside the GUI; everything else the program remembers between
runs is here. Unknown keys are dropped and wrong types fall back to the default, so a hand-edited or
old file never stops the program from starting.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SETTINGS_FILENAME = "settings.json"

#: The text sizes offered in View > Text size, as a percentage of the system's own size (100 = as the system has it).
TEXT_SIZES = (100, 125, 150, 175)
TEXT_SIZE_NAMES = {100: "Normal", 125: "Large", 150: "Larger", 175: "Largest"}


@dataclass(slots=True)
class Settings:
    schema_version: int = SCHEMA_VERSION
    #: The database opened last, used when no ``--db`` is given and the default file is absent.
    last_db: str | None = None
    #: Who is using the program, remembered per operating-system user and center: ``"os_user@site"`` -> member id.
    remembered_users: dict[str, str] = field(default_factory=dict)
    #: How many automatic backups to keep.
    backups_to_keep: int = 10
    #: Take an automatic backup at start if the newest one is older than this many hours.
    backup_every_hours: int = 24
    #: The program's text size, in percent of the system's (one of ``TEXT_SIZES``). Files written before the
    #: setting existed have no such key and load with the default: an added field with a default needs no migration.
    text_size: int = 100

    def remembered_user(self, os_user: str, site_id: str) -> str | None:
        return self.remembered_users.get(f"{os_user}@{site_id}")

    def remember_user(self, os_user: str, site_id: str, member_id: str) -> None:
        self.remembered_users[f"{os_user}@{site_id}"] = member_id


def _migrate(raw: dict) -> dict:
    """Bring an older settings dictionary up to ``SCHEMA_VERSION`` (one step per version)."""
    version = raw.get("schema_version", 0)
    if version < 1:
        raw = {k: v for k, v in raw.items() if k != "schema_version"}
    raw["schema_version"] = SCHEMA_VERSION
    return raw


def load_settings(config_dir: Path) -> Settings:
    path = config_dir / SETTINGS_FILENAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        logger.warning("Settings file %s could not be read (%s); using defaults", path, exc)
        return Settings()
    if not isinstance(raw, dict):
        return Settings()
    raw = _migrate(raw)
    values = {}
    for f in fields(Settings):
        if f.name in raw:
            check = _VALID.get(f.name, lambda _v: True)
            if check(raw[f.name]):
                values[f.name] = raw[f.name]
            else:
                logger.warning("Setting %r is not valid; using the default", f.name)
    return Settings(**values)


def _is_str_map(value: object) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


#: What a hand-edited settings file may hold; anything else falls back to the default.
_VALID = {
    "schema_version": lambda v: isinstance(v, int),
    "last_db": lambda v: v is None or (isinstance(v, str) and bool(v.strip())),
    "remembered_users": _is_str_map,
    "backups_to_keep": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 1000,
    "backup_every_hours": lambda v: isinstance(v, int) and not isinstance(v, bool) and 1 <= v <= 24 * 365,
    "text_size": lambda v: isinstance(v, int) and not isinstance(v, bool) and v in TEXT_SIZES,
}


def save_settings(config_dir: Path, settings: Settings) -> None:
    """Write atomically: a crash mid-write leaves the previous file intact."""
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / SETTINGS_FILENAME
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps(asdict(settings), indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
