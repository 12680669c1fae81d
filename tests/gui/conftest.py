"""GUI fixtures: real widgets offscreen, QSettings in a temp folder, jobs run inline."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

from lhn_desktop.app import AppContext
from lhn_desktop.gui.main_window import MainWindow
from tests.conftest import DEMO_TODAY
from tests.gui.inline_runner import InlineTaskRunner


@pytest.fixture(autouse=True)
def qsettings_in_tmp(tmp_path: Path, qapp) -> None:
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path / "qsettings"))
    qapp.setOrganizationName("LHN Desktop tests")
    qapp.setApplicationName("LHN Desktop tests")
    from lhn_desktop.gui.keyboard import install

    install(qapp)  # as make_application does: the forms' keyboard behaviour


@pytest.fixture
def ctx(demo_path: Path) -> Iterator[AppContext]:
    context = AppContext.open(str(demo_path), exclusive=True, today=lambda: DEMO_TODAY)
    physician = next(m for m in context.team.list_members() if m.role == "physician")
    context.sign_in(physician.id, "tester")
    yield context
    context.close()


def make_window(qtbot, ctx: AppContext) -> MainWindow:
    window = MainWindow(ctx, InlineTaskRunner(None), "tester")
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    return window


@pytest.fixture
def window(qtbot, ctx: AppContext) -> MainWindow:
    return make_window(qtbot, ctx)


def screenshot(widget, name: str) -> None:
    """Save ``widget`` as ``<name>.png`` in the folder named by LHN_SCREENSHOTS, when it is set (to look at)."""
    folder = os.environ.get("LHN_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        assert widget.window().grab().save(str(Path(folder) / f"{name}.png"))


def when_dialog_opens(act) -> list:
    """Run ``act(dialog)`` on the next modal dialog, as a person would fill it in; returns the dialogs seen.

    A progress dialog of work running off the window thread is not the dialog a test waits for: it is passed over
    (it closes by itself), so a test does not depend on whether the work outlasted the moment it appeared."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QProgressDialog

    seen: list = []

    def drive() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or isinstance(dialog, QProgressDialog):
            QTimer.singleShot(20, drive)
            return
        seen.append(dialog)
        act(dialog)

    QTimer.singleShot(0, drive)
    return seen


@pytest.fixture
def presented(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Messages the one error presenter would show, recorded instead of opening a modal box."""
    import lhn_desktop.gui.errors as gui_errors
    from lhn_desktop.errors import Cancelled

    seen: list[str] = []

    class Box:
        def __init__(self, exc: BaseException) -> None:
            self.exc = exc

        def exec(self) -> int:
            seen.append(str(self.exc))
            return 0

    monkeypatch.setattr(gui_errors, "error_box", lambda _parent, exc: None if isinstance(exc, Cancelled) else Box(exc))
    return seen
