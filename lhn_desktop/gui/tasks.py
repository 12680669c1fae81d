"""Running long work off the GUI thread, with a progress dialog and cancel.

``TaskRunner.submit(fn, ...)`` runs ``fn(progress, cancel)`` on a worker thread. Results, errors and
progress come back to the GUI thread through queued Qt signals. A progress dialog appears only if
the job runs longer than half a second. Jobs that write to the database go through a pool with a
single thread, so writes never race. Most GUI tests run jobs at once with
an inline runner of their own (``tests/gui/inline_runner.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QProgressDialog, QWidget

from lhn_desktop.errors import Cancelled
from lhn_desktop.progress import CancelToken

logger = logging.getLogger(__name__)

PROGRESS_DELAY_MS = 500
Job = Callable[[Callable[[int, int | None, str], None], CancelToken], Any]


class _Signals(QObject):
    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(object)
    cancelled = Signal()


class _Runnable(QRunnable):
    def __init__(self, fn: Job, token: CancelToken) -> None:
        super().__init__()
        self.setAutoDelete(False)
        self.fn = fn
        self.token = token
        self.signals = _Signals()
        self._last_emit = 0.0

    def _progress(self, done: int, total: int | None, label: str) -> None:
        now = time.monotonic()
        if now - self._last_emit >= 0.1 or (total is not None and done >= total):
            self._last_emit = now
            self.signals.progressed.emit(done, -1 if total is None else total, label)

    def run(self) -> None:
        try:
            result = self.fn(self._progress, self.token)
        except Cancelled:
            self.signals.cancelled.emit()
        except BaseException as exc:  # reported on the GUI thread by the error presenter
            logger.exception("Background task failed")
            self.signals.failed.emit(exc)
        else:
            self.signals.succeeded.emit(result)


class TaskRunner(QObject):
    """Submits jobs to a thread pool and keeps them alive until they report back."""

    def __init__(self, parent: QWidget | None = None, *, on_error: Callable[[BaseException], None] | None = None):
        super().__init__(parent)
        self._parent = parent
        self._on_error = on_error
        self.db_pool = QThreadPool(self)
        self.db_pool.setMaxThreadCount(1)
        self.io_pool = QThreadPool(self)
        self._jobs: set[_Runnable] = set()

    def submit(
        self,
        fn: Job,
        *,
        on_success: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        label: str | None = None,
        cancellable: bool = False,
        writes: bool = True,
    ) -> CancelToken:
        token = CancelToken()
        job = _Runnable(fn, token)
        self._jobs.add(job)  # a dropped runnable still runs, but its signals never arrive
        dialog = self._progress_dialog(label, cancellable, token) if label else None

        def finish() -> None:
            self._jobs.discard(job)
            if dialog is not None:
                dialog.timer.stop()
                dialog.close()
                dialog.deleteLater()

        def succeeded(result: Any) -> None:
            finish()
            if on_success:
                on_success(result)

        def failed(exc: BaseException) -> None:
            finish()
            handler = on_error or self._on_error
            if handler:
                handler(exc)

        job.signals.succeeded.connect(succeeded, Qt.ConnectionType.QueuedConnection)
        job.signals.failed.connect(failed, Qt.ConnectionType.QueuedConnection)

        def cancelled() -> None:
            finish()
            if on_cancelled:
                on_cancelled()

        job.signals.cancelled.connect(cancelled, Qt.ConnectionType.QueuedConnection)
        if dialog is not None:
            job.signals.progressed.connect(dialog.update_progress, Qt.ConnectionType.QueuedConnection)
        (self.db_pool if writes else self.io_pool).start(job)
        return token

    def _progress_dialog(self, label: str, cancellable: bool, token: CancelToken) -> _ProgressDialog:
        dialog = _ProgressDialog(label, cancellable, token, self._parent)
        dialog.timer.start(PROGRESS_DELAY_MS)
        return dialog

    def active(self) -> int:
        return len(self._jobs)

    def shutdown(self, timeout_ms: int = 5000) -> None:
        for job in list(self._jobs):
            job.token.cancel()
        self.db_pool.waitForDone(timeout_ms)
        self.io_pool.waitForDone(timeout_ms)


class _ProgressDialog(QProgressDialog):
    def __init__(self, label: str, cancellable: bool, token: CancelToken, parent: QWidget | None) -> None:
        super().__init__(label, "Cancel" if cancellable else "", 0, 0, parent)
        self.setWindowTitle("Please wait")
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setMinimumDuration(0)
        self.setAutoClose(False)
        self.setAutoReset(False)
        if not cancellable:
            self.setCancelButton(None)
        self.canceled.connect(token.cancel)
        self.canceled.connect(lambda: self.setLabelText("Cancelling…"))
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.show)
        self.hide()

    def update_progress(self, done: int, total: int, label: str) -> None:
        if total > 0:
            self.setMaximum(total)
            self.setValue(min(done, total))
        self.setLabelText(label)
