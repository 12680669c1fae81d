"""Creating the demo center database: a new file, built completely or not at all."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from lhn_desktop.access import Actor
from lhn_desktop.errors import ValidationError
from lhn_desktop.progress import CancelToken, ProgressSink, no_progress
from lhn_desktop.services.center import DEMO_SITE, create_center
from lhn_desktop.services.demo import DemoSummary, generate_demo
from lhn_desktop.store import cipher, custody
from lhn_desktop.store.backup import read_site_code
from lhn_desktop.store.database import Database
from lhn_desktop.store.location import check_database_path
from lhn_desktop.store.lock import DatabaseLock

logger = logging.getLogger(__name__)

#: The demo center's file in the data folder: never the real center's file.
DEMO_FILENAME = "demo-center.sqlite3"
DEMO_NAME = "Demo Children's IBD Center (synthetic data)"
DEMO_NETWORK = "ImproveCareNow (demo)"
MAX_DEMO_PATIENTS = 20_000


@dataclass(frozen=True, slots=True)
class DemoResult:
    path: str
    site_code: str
    summary: DemoSummary
    recovery_key: str | None = None  # a new encrypted demo's recovery key, shown once


def _is_demo_database(path: Path) -> bool:
    return read_site_code(path) == DEMO_SITE


def _remove_database_files(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def create_demo_database(
    raw_path: str | Path,
    backups_dir: Path,
    *,
    patients: int = 300,
    seed: int = 20240501,
    today: date | None = None,
    replace: bool = False,
    progress: ProgressSink = no_progress,
    cancel: CancelToken | None = None,
    encrypt: bool = True,
) -> DemoResult:
    """Build a synthetic center in ``<path>.part`` and move it into place only when it is complete.

    An existing file is replaced only with ``replace`` and only if it is itself a demo center, so a
    real center can never be overwritten by demo data.
    """
    if not 1 <= patients <= MAX_DEMO_PATIENTS:
        raise ValidationError(f"--patients must be between 1 and {MAX_DEMO_PATIENTS}; {patients} was given.")
    path = check_database_path(raw_path, must_exist=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    lock = DatabaseLock(path)
    lock.acquire()
    try:
        if path.exists():
            if not replace:
                raise ValidationError(
                    f"A database already exists at {path}. Add --replace to rebuild the demo center there, "
                    "or choose another file with --db."
                )
            if not _is_demo_database(path):
                raise ValidationError(
                    f"{path} holds a real center, not the demo center, so it will not be replaced. "
                    "Choose another file with --db."
                )
        part = path.with_name(path.name + ".part")
        _remove_database_files(part)
        actor = Actor.workstation()
        key = recovery = None
        if encrypt:  # the key belongs to the final file: a replaced demo's own, or a new one
            key = cipher.key_for(path) if path.exists() else None
            if key is None:
                new = custody.create_key(path)
                key, recovery = new.key, new.recovery_key
        db = Database.open(part, backups_dir, create=True, key=key)
        try:
            create_center(db, DEMO_SITE, DEMO_NAME, network=DEMO_NETWORK, actor=actor, demo=True)
            summary = generate_demo(
                db, actor, patients=patients, seed=seed, today=today or date.today(), progress=progress, cancel=cancel
            )
        except BaseException:
            db.close()
            _remove_database_files(part)
            if recovery is not None:  # a key made for this build only: not kept
                custody.forget(path)
                custody.wraps_file(path).unlink(missing_ok=True)
            raise
        db.close()
        _remove_database_files(path)
        os.replace(part, path)
        cipher.remember(part, None)
        cipher.remember(path, key)
        if key is None:  # a plain demo in place of an encrypted one: its key is no longer kept
            custody.forget(path)
            custody.wraps_file(path).unlink(missing_ok=True)
        logger.info("Demo center created with %d synthetic patients", patients)
        return DemoResult(str(path), DEMO_SITE, summary, recovery)
    finally:
        lock.release()
