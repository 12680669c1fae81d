"""One window per database: an operating-system lock beside the database file.

The lock is released by the operating system when the program exits or crashes, so a stale lock
never blocks the next start.
"""

from __future__ import annotations

from pathlib import Path

from lhn_desktop.errors import DatabaseLocked


class DatabaseLock:
    def __init__(self, db_path: Path) -> None:
        from filelock import FileLock

        db_path = db_path.resolve()  # one lock per file, however it is reached (links, relative paths)
        self.path = db_path.with_name(db_path.name + ".lock")
        self._lock = FileLock(str(self.path), timeout=0)

    def acquire(self) -> None:
        from filelock import Timeout

        try:
            self._lock.acquire(timeout=0)
        except Timeout as exc:
            raise DatabaseLocked(
                "This center database is already open in another LHN Desktop window on this workstation. "
                "Switch to that window (check the taskbar), or close it and try again.",
                detail=f"lock file {self.path}",
            ) from exc

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release()

    @property
    def held(self) -> bool:
        return self._lock.is_locked

    def __enter__(self) -> DatabaseLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
