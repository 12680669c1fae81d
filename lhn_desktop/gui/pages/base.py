"""What every page of the main window has in common."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QVBoxLayout, QWidget

from lhn_desktop.gui.errors import show_error
from lhn_desktop.gui.operations import Changed, bus_of, runner_of
from lhn_desktop.gui.widgets import heading, note

if TYPE_CHECKING:
    from lhn_desktop.app import AppContext
    from lhn_desktop.gui.tasks import TaskRunner


class Page(QWidget):
    """A page: a title, an explanation, and content loaded from the services on ``refresh``."""

    title = ""
    explanation = ""
    #: Pages with patient-level data are not offered to patient and parent partners.
    patient_data = False
    #: Asks the window to show a patient (by id) on the Patients page.
    open_patient = Signal(str)
    #: The data the page shows: an operation that changes any of it makes the page reload (``data_changed``).
    shows = Changed.NOTHING

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName(f"page{type(self).__name__}")
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(16, 12, 16, 12)
        self.layout_.addWidget(heading(self.title, self))
        if self.explanation:
            self.layout_.addWidget(note(self.explanation, self))
        bus_of(self).changed.connect(self._changed)  # the window's bus (a page on its own: the shared one)

    def refresh(self) -> None:
        """Reload from the database. Called when the page is shown."""

    def _changed(self, changes: Changed) -> None:
        if self.shows & changes and self.isVisible():  # a hidden page reloads when it is shown
            try:
                self.data_changed(changes)
            except Exception as exc:
                show_error(self, exc)

    def data_changed(self, changes: Changed) -> None:
        """Data the page shows was changed by an operation while the page is on screen: reload it (a page that
        keeps a selection across reloads says so in its own ``refresh``)."""
        self.refresh()

    def say(self, message: str, ms: int = 5000) -> None:
        """A short word in the window's status bar (nothing when the page is shown on its own)."""
        bar = getattr(self.window(), "statusBar", None)
        if bar is not None:
            bar().showMessage(message, ms)

    def runner(self) -> TaskRunner:
        """The window's one runner for work off the window thread (gui/operations.py)."""
        return runner_of(self)

    def adopt_shortcuts(self) -> None:
        """Make every shortcut of the page's parts (a tab's tool bar) work wherever the focus is on the page."""
        from PySide6.QtGui import QAction

        own = set(self.actions())
        for action in self.findChildren(QAction):
            if not action.shortcut().isEmpty() and action not in own:
                self.addAction(action)

    def shortcuts(self) -> list[tuple[str, str]]:
        """(what, keys) of every shortcut on the page, in the order of its tool bars."""
        seen: list[tuple[str, str]] = []
        for action in self.actions():
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            if keys and (action.text(), keys) not in seen:
                seen.append((action.text().replace("&", "").rstrip("…"), keys))
        for shortcut in self.findChildren(QShortcut):
            what = shortcut.whatsThis()
            keys = shortcut.key().toString(QKeySequence.SequenceFormat.NativeText)
            if what and keys:
                seen.append((what, keys))
        return seen

    def focus_main(self) -> None:
        """Put the keyboard in the page's main list (the first list, table or tree on it), so arrows move through
        its rows (a tree too: the Improvement page's goals and driver diagrams are one)."""
        from PySide6.QtWidgets import QAbstractItemView

        main = next((v for v in self.findChildren(QAbstractItemView) if v.isVisibleTo(self)), None)
        (main or self).setFocus()
