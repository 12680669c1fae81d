"""Typed user settings, saved as JSON in the config folder.

Window geometry lives in QSettings inside the GUI; everything else the program remembers between
runs is here. Unknown keys are dropped and wrong types fall back to the default, so a hand-edited or
old file never stops the program from starting.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
SETTINGS_FILENAME = "settings.json"

#: The text sizes offered in View > Text size, as a percentage of the system's own size (100 = as the system has it).
TEXT_SIZES = (100, 125, 150, 175)
TEXT_SIZE_NAMES = {100: "Normal", 125: "Large", 150: "Larger", 175: "Largest"}
#: The window locks after this many minutes without use (default 10; a clinic may choose 1 to 60).
LOCK_MINUTES = (1, 60)

_Count = Annotated[int, Field(strict=True)]  # strict: a hand-typed true or "10" is not a number


class Settings(BaseModel):
    """What this workstation remembers between runs. Each value is checked as it is read; one that is not valid
    (a hand-edited file, an older program) falls back to its default and the others are kept."""

    model_config = ConfigDict(extra="ignore", validate_assignment=True)

    schema_version: _Count = SCHEMA_VERSION
    #: The database opened last, used when no ``--db`` is given and the default file is absent.
    last_db: Annotated[str, StringConstraints(strip_whitespace=False, min_length=1, pattern=r"\S")] | None = None
    #: Who is using the program, remembered per operating-system user and center: ``"os_user@site"`` -> member id.
    remembered_users: dict[Annotated[str, Field(strict=True)], Annotated[str, Field(strict=True)]] = Field(
        default_factory=dict
    )
    #: How many automatic backups to keep.
    backups_to_keep: Annotated[_Count, Field(ge=1, le=1000)] = 10
    #: Take an automatic backup at start if the newest one is older than this many hours.
    backup_every_hours: Annotated[_Count, Field(ge=1, le=24 * 365)] = 24
    #: The program's text size, in percent of the system's (one of ``TEXT_SIZES``). Files written before the
    #: setting existed have no such key and load with the default: an added field with a default needs no migration.
    text_size: Literal[100, 125, 150, 175] = 100
    #: Lock the window after this many minutes without a key press or a click (issue 20: configurable, default 10).
    lock_after_minutes: Annotated[_Count, Field(ge=LOCK_MINUTES[0], le=LOCK_MINUTES[1])] = 10

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
    raw = {k: v for k, v in _migrate(raw).items() if k in Settings.model_fields}
    while True:
        try:
            return Settings.model_validate(raw)
        except ValidationError as exc:
            wrong = {str(error["loc"][0]) for error in exc.errors() if error["loc"]}
            if not wrong & raw.keys():
                return Settings()
            for name in sorted(wrong & raw.keys()):
                logger.warning("Setting %r is not valid; using the default", name)  # the name only, never the value
                del raw[name]


def save_settings(config_dir: Path, settings: Settings) -> None:
    """Write atomically: a crash mid-write leaves the previous file intact."""
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / SETTINGS_FILENAME
    tmp = path.with_suffix(".json.part")
    tmp.write_text(json.dumps(settings.model_dump(mode="json"), indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
