"""FHIR validation of a large export in a second process, while the import maps and writes in this one.

Validating each resource with ``fhir.resources`` is about a third of a large import, and it holds the
interpreter lock, so a thread would not help. A second process reads the same files in place (nothing is
copied or sent to it but their paths) and validates every resource the import reads. It answers only how
many are not valid: the import takes the fast path when that is none, and otherwise does the whole import
again the plain way, validating as it reads, so its report names every problem exactly as before.

The process is started with "spawn" on every system: the window's threads and the open database are never
forked, and a frozen program answers it through ``multiprocessing.freeze_support()`` in its entry point.
Small imports (under ``FROM_BYTES`` of files) are not worth a process start and validate as they read.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from pathlib import Path

from lhn_desktop.errors import Cancelled
from lhn_desktop.progress import CancelToken

logger = logging.getLogger(__name__)

#: files smaller than this in total are validated as they are read (a process start costs about a second)
FROM_BYTES = 8_000_000
#: an environment variable that sets that size instead (0: always a second process; the frozen build's check)
FROM_BYTES_VARIABLE = "LHN_DESKTOP_VALIDATE_BESIDE_FROM_BYTES"
#: how often a wait for the second process looks at Cancel, in seconds
POLL = 0.2


def count_invalid(paths: list[str]) -> int:
    """How many resources in the files fail validation (run in the second process)."""
    from lhn_desktop.ehr import fhir_files, fhir_map

    return sum(
        1
        for item in fhir_files.read_sources([Path(p) for p in paths])
        if isinstance(item, fhir_files.Located) and fhir_map.validate(item.resource) is not None
    )


def _size(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        try:
            if path.is_dir():
                total += sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
            elif path.is_file():
                total += path.stat().st_size
        except OSError:
            continue  # the reader names what cannot be read
    return total


class BackgroundValidation:
    """Validation of the files in a second process; ``start`` gives None where it is not worth one."""

    def __init__(self, pool, pending) -> None:
        self._pool, self._pending = pool, pending
        self._stopped = False

    @classmethod
    def start(cls, paths: list[Path]) -> BackgroundValidation | None:
        try:
            threshold = int(os.environ.get(FROM_BYTES_VARIABLE, FROM_BYTES))
        except ValueError:
            threshold = FROM_BYTES
        if (os.cpu_count() or 1) < 2 or _size(paths) < threshold:
            return None
        try:
            pool = multiprocessing.get_context("spawn").Pool(processes=1)
        except (OSError, ValueError, RuntimeError):
            logger.warning("Could not start a process to validate the FHIR files; validating as they are read")
            return None
        return cls(pool, pool.apply_async(count_invalid, ([str(p) for p in paths],)))

    def invalid(self, cancel: CancelToken) -> int | None:
        """How many resources are not valid (waiting for the answer, and stopping at Cancel); None if the
        second process failed, so the caller validates itself."""
        try:
            while True:
                cancel.raise_if_cancelled()
                try:
                    invalid = int(self._pending.get(timeout=POLL))
                except multiprocessing.TimeoutError:
                    continue
                logger.info("FHIR files validated in a second process: %d resource(s) not valid", invalid)
                return invalid
        except Cancelled:
            raise
        except Exception as exc:  # any failure there means: validate here instead
            logger.warning("The process validating the FHIR files failed (%s); validating here", type(exc).__name__)
            return None
        finally:
            self.stop()

    def stop(self) -> None:
        """End the second process (at once: its answer is no longer wanted, or was given)."""
        if not self._stopped:
            self._stopped = True
            self._pool.terminate()
            self._pool.join()
