"""Progress and cancellation for long jobs, without Qt.

Services that run long (demo generation, backups, imports, chart batches) accept a
:class:`ProgressSink` and a :class:`CancelToken`. The GUI's TaskRunner adapts them to a progress
dialog; the command line to a text line and Ctrl-C.
"""

from __future__ import annotations

import threading
from typing import Protocol

from lhn_desktop.errors import Cancelled


class ProgressSink(Protocol):
    def __call__(self, done: int, total: int | None, label: str) -> None: ...


def no_progress(done: int, total: int | None, label: str) -> None:
    """A sink that ignores progress."""


class CancelToken:
    """A flag that a long job checks between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        if self._event.is_set():
            raise Cancelled()
