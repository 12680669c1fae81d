"""The window locks after a quiet spell and when a family hands it back; while locked it shows nothing it held,
and only the signed-in person's PIN (or someone else signing in as themselves) opens it again."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

from lhn_desktop.gui.lock import IdleWatch, LockDialog, lock_window
from tests.gui.conftest import when_dialog_opens

PIN = "482916"


def nurse_signed_in(ctx):
    nurse = next(m for m in ctx.team.list_members() if m.role == "nurse")
    ctx.team.set_secret(ctx.team.actor_for(nurse.id), nurse.id, PIN)
    ctx.sign_in(nurse.id, "tester", PIN)
    return nurse


def a_window(qtbot) -> QMainWindow:
    window = QMainWindow()
    window.setCentralWidget(QLabel("Ada Demoford, MRN 123456", window))
    window.menuBar().addMenu("&File")
    qtbot.addWidget(window)
    window.show()
    return window


def test_locked_the_window_shows_nothing_and_only_the_pin_opens_it(qtbot, ctx) -> None:
    nurse = nurse_signed_in(ctx)
    window = a_window(qtbot)
    seen: dict = {}

    def at_the_lock(dialog: LockDialog) -> None:
        seen["hidden"] = not window.centralWidget().isVisible() and not window.menuBar().isEnabled()
        dialog.reject()  # Escape or the close button: still locked
        seen["after_escape"] = dialog.isVisible()
        dialog.secret.setText("000111")
        dialog.unlock()
        seen["wrong"] = dialog.problem.text()
        dialog.secret.setText(PIN)
        dialog.unlock()

    when_dialog_opens(at_the_lock)
    lock_window(window, ctx, "Locked after 10 minutes without use.", lambda: False)
    assert seen["hidden"] and seen["after_escape"] and "not" in seen["wrong"] and "PIN" in seen["wrong"]
    assert window.centralWidget().isVisible() and window.menuBar().isEnabled()
    assert ctx.actor.member_id == nurse.id


def test_someone_else_signs_in_as_themselves_at_the_lock(qtbot, ctx) -> None:
    nurse_signed_in(ctx)
    window = a_window(qtbot)
    physician = next(m for m in ctx.team.list_members() if m.role == "physician")
    switched: list = []

    def switch() -> bool:
        ctx.sign_in(physician.id, "tester")  # as the sign-in dialog would, with their own PIN
        switched.append(True)
        return True

    when_dialog_opens(lambda dialog: dialog.someone_else())
    lock_window(window, ctx, "Locked.", switch)
    assert switched and ctx.actor.member_id == physician.id and window.centralWidget().isVisible()


def test_the_idle_watch_fires_after_a_quiet_spell_and_any_input_restarts_it(qtbot, qapp) -> None:
    fired: list = []
    watch = IdleWatch(qapp, 0.005, lambda: fired.append(True))  # 0.3 s
    try:
        target = QLabel("x")
        qtbot.addWidget(target)
        for _ in range(4):  # activity every 0.1 s keeps it from firing
            qtbot.wait(100)
            move = QMouseEvent(QEvent.Type.MouseMove, QPointF(1, 1), QPointF(1, 1), Qt.MouseButton.NoButton,
                               Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier)  # fmt: skip
            QApplication.sendEvent(target, move)
        assert not fired
        qtbot.waitUntil(lambda: bool(fired), timeout=3000)
    finally:
        watch.stop()


def test_the_minutes_before_the_lock_are_a_workstation_setting_kept_across_starts(qtbot, qapp, ctx, monkeypatch):
    from PySide6.QtWidgets import QInputDialog

    from lhn_desktop.gui.main_window import MainWindow
    from lhn_desktop.paths import app_dirs
    from lhn_desktop.settings import load_settings
    from tests.gui.inline_runner import InlineTaskRunner

    window = MainWindow(ctx, InlineTaskRunner(None), "tester")
    qtbot.addWidget(window)
    window.lock_when_idle(qapp)
    assert window.idle_watch.timer.interval() == 10 * 60_000  # the default: ten minutes
    asked: list = []

    def answer(parent, title, label, value, low, high, *rest):
        asked.append((value, low, high))
        return 3, True

    monkeypatch.setattr(QInputDialog, "getInt", answer)
    window.choose_lock_minutes()
    assert asked == [(10, 1, 60)]
    assert window.idle_watch.timer.interval() == 3 * 60_000 and window.idle_watch.timer.isActive()
    assert load_settings(app_dirs().config).lock_after_minutes == 3  # saved for the next start
    monkeypatch.setattr(QInputDialog, "getInt", lambda *a: (30, False))  # Cancel changes nothing
    window.choose_lock_minutes()
    assert window.idle_watch.timer.interval() == 3 * 60_000
    window.idle_watch.stop()


def test_lock_now_locks_at_once_from_the_keyboard(window, qtbot) -> None:
    seen: list = []

    def at_the_lock(dialog: LockDialog) -> None:
        seen.append(not window.stack.isVisible())
        dialog.hide()
        dialog.done(1)

    when_dialog_opens(at_the_lock)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert seen == [True]


def test_escape_at_the_lock_asks_nothing_and_stays_locked(qtbot, ctx, monkeypatch) -> None:
    from PySide6.QtWidgets import QMessageBox

    nurse_signed_in(ctx)
    window = a_window(qtbot)
    asked: list = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Yes)
    seen: dict = {}

    def at_the_lock(dialog: LockDialog) -> None:
        qtbot.keyClicks(dialog.secret, "48")  # half a PIN typed, then Escape
        qtbot.keyClick(dialog.secret, Qt.Key.Key_Escape)
        seen["still_locked"] = dialog.isVisible() and not window.centralWidget().isVisible()
        dialog.secret.setText(PIN)
        dialog.unlock()

    when_dialog_opens(at_the_lock)
    lock_window(window, ctx, "Locked.", lambda: False)
    assert seen["still_locked"] and asked == []
