"""A task runner for tests: every job runs at once on the calling thread, with the same callbacks.

Most GUI tests use it so that a click's work is done when the click returns; the real thread pool is
tested on its own (tests/gui/test_operations.py and the other "real runner" tests).
"""

from __future__ import annotations

from lhn_desktop.errors import Cancelled
from lhn_desktop.gui.tasks import Job, TaskRunner
from lhn_desktop.progress import CancelToken


class InlineTaskRunner(TaskRunner):
    """Runs every job at once on the calling thread, with the same callbacks."""

    def submit(
        self, fn: Job, *, on_success=None, on_error=None, on_cancelled=None, label=None, cancellable=False, writes=True
    ):
        token = CancelToken()
        try:
            result = fn(lambda d, t, label_: None, token)
        except Cancelled:
            if on_cancelled:
                on_cancelled()
            return token
        except BaseException as exc:
            handler = on_error or self._on_error
            if handler is None:
                raise
            handler(exc)
            return token
        if on_success:
            on_success(result)
        return token
