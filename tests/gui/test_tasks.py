"""TaskRunner: work runs off the GUI thread, reports back on it, and can be cancelled."""

from __future__ import annotations

import threading
import time

from lhn_desktop.errors import ValidationError
from lhn_desktop.gui.tasks import TaskRunner


def test_result_arrives_on_the_gui_thread(qtbot) -> None:
    runner = TaskRunner(None)
    seen = {}

    def job(progress, cancel):
        seen["worker"] = threading.get_ident()
        progress(1, 2, "half")
        return 42

    runner.submit(job, on_success=lambda r: seen.update(result=r, gui=threading.get_ident()))
    qtbot.waitUntil(lambda: "result" in seen, timeout=5000)
    assert seen["result"] == 42
    assert seen["gui"] == threading.get_ident() != seen["worker"]
    assert runner.active() == 0


def test_errors_go_to_the_handler(qtbot) -> None:
    errors = []
    runner = TaskRunner(None, on_error=errors.append)
    runner.submit(lambda p, c: (_ for _ in ()).throw(ValidationError("bad input")))
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert str(errors[0]) == "bad input"


def test_cancel_stops_the_job_and_shows_nothing(qtbot) -> None:
    errors, results = [], []
    runner = TaskRunner(None, on_error=errors.append)
    started = threading.Event()

    def job(progress, cancel):
        started.set()
        for i in range(500):
            cancel.raise_if_cancelled()
            progress(i, 500, "working")
            time.sleep(0.01)
        return "finished"

    cancelled = []
    token = runner.submit(
        job, on_success=results.append, on_cancelled=lambda: cancelled.append(True), label="Working…", cancellable=True
    )
    assert started.wait(5)
    token.cancel()
    qtbot.waitUntil(lambda: runner.active() == 0, timeout=5000)
    assert cancelled == [True]
    assert errors == []
    assert results == []


def test_progress_dialog_appears_only_for_slow_jobs(qtbot) -> None:
    from PySide6.QtWidgets import QProgressDialog, QWidget

    parent = QWidget()
    qtbot.addWidget(parent)
    runner = TaskRunner(parent)
    done = []
    release = threading.Event()
    runner.submit(lambda p, c: release.wait(5), on_success=done.append, label="Slow job…")
    dialogs = parent.findChildren(QProgressDialog)
    assert dialogs
    assert not dialogs[0].isVisible()
    qtbot.waitUntil(lambda: dialogs[0].isVisible(), timeout=3000)
    release.set()
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    runner.shutdown()
