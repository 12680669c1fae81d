"""The one error presenter of the window (Anki's ``show_exception`` pattern).

An ``LhnError`` shows its message (what happened and what to do) with technical details folded
away; ``Cancelled`` shows nothing; anything else is an unexpected error with the log file's path.
Messages never contain patient data: services write them that way.
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QMessageBox, QWidget

from lhn_desktop.errors import Cancelled, LhnError, safe_traceback

logger = logging.getLogger(__name__)

#: Set by the application at start: where the log file is, for the "unexpected error" dialog.
log_file_hint: str = "the log folder"


def error_box(parent: QWidget | None, exc: BaseException) -> QMessageBox | None:
    """The message box for an error (not shown), or ``None`` for a cancellation."""
    if isinstance(exc, Cancelled):
        return None
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    if isinstance(exc, LhnError):
        box.setWindowTitle("LHN Desktop")
        box.setText(exc.message)
        if exc.detail:
            box.setDetailedText(exc.detail)
    else:
        box.setIcon(QMessageBox.Icon.Critical)
        box.setWindowTitle("Unexpected error")
        box.setText(
            "Something went wrong that LHN Desktop did not expect. Your saved work is safe: every change is "
            f"saved in a transaction. Please send the log file ({log_file_hint}) to your support contact."
        )
        box.setDetailedText(safe_traceback(exc))
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    return box


def show_error(parent: QWidget | None, exc: BaseException) -> None:
    if not isinstance(exc, LhnError | Cancelled):
        logger.error("Unexpected error shown to the user", exc_info=exc)
    box = error_box(parent, exc)
    if box is not None:
        box.exec()
