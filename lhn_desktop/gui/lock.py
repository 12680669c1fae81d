"""Locking the window: after a quiet spell at a shared clinic computer, and when a family hands it back.

While locked, the window shows nothing of what it held (its pages are hidden and its menus disabled) and
a lock dialog asks the person who was signed in for their PIN; anyone else signs in as themselves, with
their own PIN. Closing the lock dialog or pressing Escape leaves the window locked.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop.errors import LhnError
from lhn_desktop.gui.keyboard import NO_DISCARD_QUESTION

_ACTIVITY = {
    QEvent.Type.KeyPress,
    QEvent.Type.MouseButtonPress,
    QEvent.Type.MouseMove,
    QEvent.Type.Wheel,
    QEvent.Type.TouchBegin,
}


class IdleWatch(QObject):
    """Calls ``on_idle`` after ``minutes`` without a key, click, mouse move or touch anywhere in the program."""

    def __init__(self, app: QObject, minutes: float, on_idle: Callable[[], None]) -> None:
        super().__init__(app)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(max(1, round(minutes * 60_000)))
        self.timer.timeout.connect(on_idle)
        app.installEventFilter(self)
        self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY:
            self.timer.start()  # from the top again
        return False

    def set_minutes(self, minutes: float) -> None:
        """A new quiet spell, counted from now."""
        self.timer.setInterval(max(1, round(minutes * 60_000)))
        self.timer.start()

    def stop(self) -> None:
        self.timer.stop()
        self.parent().removeEventFilter(self)


class LockDialog(QDialog):
    """The locked window's only way on: the signed-in person's PIN, or someone else signing in."""

    def __init__(self, ctx, window: QWidget, reason: str, switch_user: Callable[[], bool]) -> None:
        super().__init__(window)
        self.ctx = ctx
        self._switch_user = switch_user
        self.setWindowTitle("LHN Desktop is locked")
        self.setModal(True)
        self.setProperty(NO_DISCARD_QUESTION, True)  # Escape keeps the window locked: there is nothing to discard
        layout = QVBoxLayout(self)
        name = ctx.actor.name
        self.message = QLabel(f"<b>{reason}</b><br>{name}, type your PIN to go on. Someone else? Sign in as "
                              "yourself.", self)  # fmt: skip
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.secret = QLineEdit(self)
        self.secret.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret.setPlaceholderText("your PIN, then Enter")
        layout.addWidget(self.secret)
        self.problem = QLabel("", self)
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QHBoxLayout()
        self.unlock_button = QPushButton("&Unlock", self)
        self.unlock_button.setDefault(True)
        self.other_button = QPushButton("&Sign in as someone else…", self)
        buttons.addWidget(self.unlock_button)
        buttons.addWidget(self.other_button)
        layout.addLayout(buttons)
        self.unlock_button.clicked.connect(self.unlock)
        self.secret.returnPressed.connect(self.unlock)
        self.other_button.clicked.connect(self.someone_else)
        self.setMinimumWidth(440)
        self.secret.setFocus()

    def unlock(self) -> None:
        try:
            self.ctx.team.check_secret(self.ctx.actor.member_id, self.secret.text())
        except LhnError as exc:
            self.problem.setText(exc.message)
            self.secret.clear()
            self.secret.setFocus()
            return
        self.accept()

    def someone_else(self) -> None:
        if self._switch_user():
            self.accept()

    def reject(self) -> None:  # Escape and the close button leave the window locked
        self.secret.setFocus()


def lock_window(window: QMainWindow, ctx, reason: str, switch_user: Callable[[], bool]) -> LockDialog:
    """Hide what the window shows and ask for a PIN; returns once it is unlocked (the dialog, for tests)."""
    central, menus = window.centralWidget(), window.menuBar()
    was_visible = central.isVisible() if central is not None else False
    if central is not None:
        central.hide()
    menus.setEnabled(False)
    dialog = LockDialog(ctx, window, reason, switch_user)
    try:
        dialog.exec()
    finally:
        menus.setEnabled(True)
        if central is not None and was_visible:
            central.show()
    return dialog
