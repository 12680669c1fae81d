"""The baseline for start-up: a bare PySide6 window, shown, painted once, then closed.

It prints ``BARE OK t=<seconds since the epoch>`` at the moment the window is painted, so that
``bench/startup.py`` can compare that moment with the one it started the process.
``bench/stack_floor.py`` runs the same window after opening the center database (``before_show``).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow


def main(before_show: Callable[[], str] | None = None, word: str = "BARE") -> int:
    app = QApplication(sys.argv[:1])
    text = before_show() if before_show is not None else "bare window"
    window = QMainWindow()
    window.setCentralWidget(QLabel(text))
    window.resize(1200, 760)
    window.show()

    def done() -> None:
        app.processEvents()  # as lhn-desktop --first-page-ready does: nothing left to do, then paint
        window.grab()
        print(f"{word} OK t={time.time():.6f}", flush=True)
        app.exit(0)

    QTimer.singleShot(0, done)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
