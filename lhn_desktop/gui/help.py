"""Help inside the program, offline: one Markdown file a page under ``content/help/``, shown in a help window.

F1 opens the help of the page in front (Help > Help for this page); the contents on the left list every topic,
Getting started first. Each page's keyboard shortcuts are read from the page itself when the help is shown, so
the text never lists a key the page no longer has. The window is not modal: it can stay open beside the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from lhn_desktop import APP_NAME
from lhn_desktop.gui.keyboard import NO_DISCARD_QUESTION
from lhn_desktop.paths import content_dir

logger = logging.getLogger(__name__)

GETTING_STARTED = "getting-started"
#: (topic, title) in the order of the contents: Getting started, then the pages as the navigation lists them.
HELP_TOPICS: tuple[tuple[str, str], ...] = (
    (GETTING_STARTED, "Getting started"),
    ("huddle", "Huddle"),
    ("patients", "Patients"),
    ("lists", "Patient lists"),
    ("improvement", "Improvement"),
    ("measures", "Measures"),
    ("commons", "Commons"),
    ("sync", "Sync"),
)
#: The help topic of each page of the main window, by the page's class name.
PAGE_TOPICS = {
    "HuddlePage": "huddle",
    "PatientsPage": "patients",
    "ListsPage": "lists",
    "ImprovementPage": "improvement",
    "MeasuresPage": "measures",
    "CommonsPage": "commons",
    "SyncPage": "sync",
}
#: Where a page's help text takes the list of the page's shortcuts (appended at the end when it is missing).
SHORTCUTS_MARK = "<!-- shortcuts -->"
NO_SHORTCUTS = (
    "This page is not open for the person signed in, so its keys are not listed here. On the page, "
    "Help > Keyboard shortcuts (Ctrl+/) lists them."
)

ShortcutSource = Callable[[str], list[tuple[str, str]] | None]


def help_dir() -> Path:
    return content_dir() / "help"


def topic_for_page(page: object) -> str:
    """The help topic of a page of the main window (Getting started for anything else)."""
    return PAGE_TOPICS.get(type(page).__name__, GETTING_STARTED)


def help_markdown(topic: str) -> str:
    """The help text of ``topic`` as shipped with the program."""
    path = help_dir() / f"{topic}.md"
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        logger.warning("Help file %s could not be read: %s", path, exc)
        return (
            f"# Help is missing\n\nThe help file for this page was not found ({path.name}). "
            "Reinstalling the program puts it back."
        )


def shortcuts_markdown(shortcuts: list[tuple[str, str]] | None) -> str:
    """A Markdown table of (what, keys), as the page has them now."""
    if not shortcuts:
        return NO_SHORTCUTS
    lines = ["| What it does | Keys |", "|---|---|"]
    for what, keys in shortcuts:
        lines.append(f"| {what.replace('|', '/')} | {keys.replace('|', '/')} |")
    return "\n".join(lines)


def render_topic(topic: str, shortcuts: list[tuple[str, str]] | None) -> str:
    """The help text with the page's shortcuts put in (only for the pages' topics)."""
    text = help_markdown(topic)
    if topic not in PAGE_TOPICS.values():
        return text
    table = shortcuts_markdown(shortcuts)
    if SHORTCUTS_MARK in text:
        return text.replace(SHORTCUTS_MARK, table)
    return f"{text.rstrip()}\n\n## Keyboard shortcuts on this page\n\n{table}\n"


class HelpWindow(QDialog):
    """The help: contents and a search box on the left, the topic on the right. Escape closes it."""

    def __init__(self, parent: QWidget | None = None, shortcuts: ShortcutSource | None = None) -> None:
        super().__init__(parent)
        self.shortcuts = shortcuts or (lambda _topic: None)
        self.topic = GETTING_STARTED
        self.setWindowTitle(f"{APP_NAME} Help")
        self.setModal(False)
        self.setProperty(NO_DISCARD_QUESTION, True)  # typing in the search box is not an edit to keep
        self.setWindowFlag(Qt.WindowType.WindowContextHelpButtonHint, False)
        layout = QVBoxLayout(self)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        left = QWidget(split)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        search_label = QLabel("&Search the help:", left)
        self.search = QLineEdit(left)
        self.search.setPlaceholderText("a word, e.g. goal (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        search_label.setBuddy(self.search)
        contents_label = QLabel("&Contents:", left)
        self.contents = QListWidget(left)
        self.contents.setObjectName("helpContents")
        contents_label.setBuddy(self.contents)
        for topic, title in HELP_TOPICS:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, topic)
            self.contents.addItem(item)
        left_layout.addWidget(search_label)
        left_layout.addWidget(self.search)
        left_layout.addWidget(contents_label)
        left_layout.addWidget(self.contents, 1)
        self.text = QTextBrowser(split)
        self.text.setObjectName("helpText")
        self.text.setOpenLinks(False)  # links between topics are followed here; nothing goes online
        self.text.anchorClicked.connect(self._follow)
        split.addWidget(left)
        split.addWidget(self.text)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 4)
        layout.addWidget(split, 1)
        self.found = QLabel("", self)
        layout.addWidget(self.found)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        layout.addWidget(buttons)
        self.contents.currentItemChanged.connect(self._chosen)
        self.search.textChanged.connect(self._filter)
        self.search.returnPressed.connect(self._next_match)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self._focus_search)
        QShortcut(QKeySequence.StandardKey.FindNext, self, activated=self._next_match)
        self.resize(900, 640)
        split.setSizes([210, 690])

    def showEvent(self, event) -> None:
        super().showEvent(event)
        # after the forms' keyboard set-up (which knows only fields): the text between the contents and Close
        QWidget.setTabOrder(self.search, self.contents)
        QWidget.setTabOrder(self.contents, self.text)
        QWidget.setTabOrder(self.text, self.close_button)

    # -- topics ----------------------------------------------------------------------------------------------------
    def show_topic(self, topic: str) -> None:
        """Show ``topic`` (the search is cleared if it hides it) and put the keyboard in the text."""
        item = self._item(topic)
        if item is None:
            topic, item = GETTING_STARTED, self._item(GETTING_STARTED)
        if item.isHidden():
            self.search.clear()
        self.contents.setCurrentItem(item)
        self._render(topic)
        self.text.setFocus()

    def _item(self, topic: str) -> QListWidgetItem | None:
        for row in range(self.contents.count()):
            item = self.contents.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == topic:
                return item
        return None

    def _chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        if item is not None and item.data(Qt.ItemDataRole.UserRole) != self.topic:
            self._render(item.data(Qt.ItemDataRole.UserRole))

    def _render(self, topic: str) -> None:
        self.topic = topic
        self.text.setMarkdown(render_topic(topic, self.shortcuts(topic)))
        self.text.moveCursor(self.text.textCursor().MoveOperation.Start)
        self._next_match()

    def _follow(self, url: QUrl) -> None:
        """A link to another topic (``sync.md``) opens it here; anything else is not followed."""
        name = url.path().rsplit("/", 1)[-1].removesuffix(".md")
        if self._item(name) is not None:
            self.show_topic(name)

    # -- search ----------------------------------------------------------------------------------------------------
    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _filter(self, text: str) -> None:
        """Keep in the contents the topics that hold every word typed; show the first match in the topic."""
        words = text.lower().split()
        shown = []
        for row in range(self.contents.count()):
            item = self.contents.item(row)
            topic = item.data(Qt.ItemDataRole.UserRole)
            body = f"{item.text()}\n{help_markdown(topic)}".lower()
            hide = bool(words) and not all(w in body for w in words)
            item.setHidden(hide)
            if not hide:
                shown.append(item)
        if not words:
            self.found.setText("")
        elif not shown:
            self.found.setText("No help topic holds those words.")
        else:
            self.found.setText(f"Found in {len(shown)} topic{'s' if len(shown) != 1 else ''}. Enter or F3: next match.")
        current = self.contents.currentItem()
        if shown and (current is None or current.isHidden()):
            self.contents.setCurrentItem(shown[0])
        else:
            self.text.moveCursor(self.text.textCursor().MoveOperation.Start)
            self._next_match()

    def _next_match(self) -> None:
        """Select the next place in the topic where the first word searched for appears (from the top again)."""
        words = self.search.text().split()
        if not words:
            return
        if not self.text.find(words[0]):
            self.text.moveCursor(self.text.textCursor().MoveOperation.Start)
            self.text.find(words[0])


def show_help(owner: QWidget, topic: str, shortcuts: ShortcutSource | None = None) -> HelpWindow:
    """Open (or bring forward) ``owner``'s help window on ``topic``."""
    window = getattr(owner, "_help_window", None)
    if not isinstance(window, HelpWindow):
        window = HelpWindow(owner, shortcuts)
        owner._help_window = window  # type: ignore[attr-defined]
    window.show_topic(topic)
    window.show()
    window.raise_()
    window.activateWindow()
    window.text.setFocus()  # PageDown reads on; Tab reaches the search and the contents
    return window


def qt_versions() -> list[tuple[str, str]]:
    """Qt as it runs (the library loaded) and the PySide6 binding."""
    import PySide6
    from PySide6.QtCore import qVersion

    return [("Qt", qVersion()), ("PySide6", PySide6.__version__)]


def about_lines(ctx) -> list[tuple[str, str]]:
    """(what, value) for the About box and a support request: versions, the center and its database file."""
    from lhn_desktop.services.about import component_versions

    versions = component_versions()
    info = ctx.center()
    return [
        *versions[:2],
        *qt_versions(),
        *versions[2:],
        ("Center", f"{info.site_name} ({info.site_code})"),
        ("Database", info.db_path),
    ]


class AboutDialog(QDialog):
    """The program, the versions it runs with and the center's database; Copy puts them on the clipboard."""

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        import html

        from PySide6.QtWidgets import QApplication, QFormLayout

        from lhn_desktop import __version__

        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.setProperty(NO_DISCARD_QUESTION, True)
        self.lines = about_lines(ctx)
        layout = QVBoxLayout(self)
        title = QLabel(f"<b>{APP_NAME} {html.escape(__version__)}</b>", self)
        title.setObjectName("pageTitle")
        layout.addWidget(title)
        layout.addWidget(
            QLabel(
                "Offline pre-visit planning, shared goals, improvement work and run charts for care-center teams.",
                self,
            )
        )
        form = QFormLayout()
        for what, value in self.lines[1:]:
            shown = QLabel(value, self)
            shown.setWordWrap(what == "Database")  # a long path must not widen the box
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(f"{what}:", shown)
        layout.addLayout(form)
        layout.addWidget(QLabel("Copy puts these lines on the clipboard, for a support request.", self))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = buttons.addButton("&Copy", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(lambda: QApplication.clipboard().setText(self.text()))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def text(self) -> str:
        """The lines as plain text: what the Copy button puts on the clipboard."""
        return "\n".join(f"{what}: {value}" for what, value in self.lines)
