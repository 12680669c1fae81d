"""The baseline for start-up: a bare PySide6 window, shown, painted once, then closed."""

from __future__ import annotations

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow


def main() -> int:
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setCentralWidget(QLabel("bare window"))
    window.resize(1200, 760)
    window.show()

    def done() -> None:
        window.grab()
        print("BARE OK")
        app.exit(0)

    QTimer.singleShot(0, done)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
