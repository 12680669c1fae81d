"""One focus model for the keyboard: Ctrl+number puts the arrows in the page's main list, a page's shortcuts work
from any widget on it (the patient page's Goals and tasks shortcuts too), and Ctrl+/ lists them all."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication

from lhn_desktop.gui.dialogs import ShortcutsDialog
from lhn_desktop.gui.goal_dialogs import TaskDialog
from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.pages.patients import PatientsPage
from lhn_desktop.gui.widgets import RecordsView
from tests.gui.conftest import when_dialog_opens


@pytest.mark.parametrize("number", range(1, 8))
def test_ctrl_number_puts_the_arrows_in_the_pages_main_list(window: MainWindow, qtbot, number: int) -> None:
    qtbot.keyClick(window.nav, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
    page = window.pages[number - 1]
    assert window.stack.currentWidget() is page
    focus = QApplication.focusWidget()
    lists = [v for v in page.findChildren(QAbstractItemView) if v.isVisibleTo(page)]  # a table, or a tree
    if lists:
        assert focus is lists[0], f"{page.title}: the keyboard is in {focus!r}"
    else:
        assert (focus is not None and page.isAncestorOf(focus)) or focus is page


def test_the_goals_tab_shortcuts_work_from_the_patient_list(window: MainWindow, qtbot) -> None:
    page = window.go_to(PatientsPage)
    assert isinstance(page, PatientsPage)
    page.table.setFocus()
    page.table.select_first()
    assert page.detail.tabs.currentWidget() is not page.detail.care  # the Goals and tasks tab is not even shown
    seen = when_dialog_opens(lambda dialog: dialog.reject())
    qtbot.keyClick(page.table, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert seen and isinstance(seen[0], TaskDialog)


def test_ctrl_slash_lists_the_pages_shortcuts_and_those_that_work_everywhere(window: MainWindow, qtbot) -> None:
    page = window.go_to(PatientsPage)
    shown: list = []

    def look(dialog) -> None:
        shown.append([tuple(r) for r in dialog.table.rows_model.rows])
        dialog.reject()

    when_dialog_opens(look)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    (rows,) = shown
    here = {(what, keys) for where, what, keys in rows if where == f"On {page.title}"}
    everywhere = {(what, keys) for where, what, keys in rows if where == "Everywhere"}
    assert ("New task", "Ctrl+Shift+T") in here and ("Search patients", "Ctrl+F") in here
    assert ("Go to Huddle", "Ctrl+1") in everywhere and ("Keyboard shortcuts", "Ctrl+/") in everywhere
    assert isinstance(ShortcutsDialog, type)


def _far_widget(page, main) -> object:
    """The last widget on the page that takes the keyboard and is not its main list: a shortcut must work there too."""
    from PySide6.QtWidgets import QWidget

    takers = [
        w
        for w in page.findChildren(QWidget)
        if w.isVisible() and w.isEnabled() and w.focusPolicy() & Qt.FocusPolicy.TabFocus and w is not main
        and not (main is not None and main.isAncestorOf(w))
    ]  # fmt: skip
    return takers[-1] if takers else page


@pytest.mark.parametrize("number", range(1, 7))  # Sync (7) has tabs, each with its letter: tried below
def test_every_shortcut_of_a_page_works_from_any_widget_on_it(window: MainWindow, qtbot, number: int) -> None:
    from PySide6.QtGui import QKeySequence, QShortcut
    from PySide6.QtTest import QTest

    qtbot.keyClick(window.nav, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)
    page = window.pages[number - 1]
    main = next((v for v in page.findChildren(RecordsView) if v.isVisibleTo(page)), None)
    if main is not None and main.model() is not None and main.model().rowCount():
        main.selectRow(0)  # actions that need a chosen row are enabled
    fired: dict[str, int] = {}

    def counter(text: str):
        return lambda *_args: fired.__setitem__(text, fired.get(text, 0) + 1)

    keyed: list[tuple[str, QKeySequence, object]] = []
    for action in page.actions():
        if action.shortcut().isEmpty() or not action.isEnabled():
            continue
        action.triggered.disconnect()  # count the press, open nothing
        action.triggered.connect(counter(action.text()))
        keyed.append((action.text(), action.shortcut(), action))
    for shortcut in page.findChildren(QShortcut):
        if shortcut.key().isEmpty() or not shortcut.isEnabled() or not shortcut.whatsThis():
            continue
        shortcut.activated.disconnect()
        shortcut.activated.connect(counter(shortcut.whatsThis()))
        keyed.append((shortcut.whatsThis(), shortcut.key(), shortcut))
    assert keyed, f"{page.title} has no shortcuts to try"
    far = _far_widget(page, main)
    assert far is not page and far is not main
    for text, sequence, _owner in keyed:
        far.setFocus()
        QTest.keySequence(far, sequence)
        assert fired.get(text) == 1, f"{page.title}: {text} ({sequence.toString()}) did nothing from {far!r}"


def test_the_sync_tabs_open_by_their_letters_from_any_widget(window: MainWindow, qtbot) -> None:
    from lhn_desktop.gui.pages.sync import SyncPage

    page = window.go_to(SyncPage)
    for letter, tab in ((Qt.Key.Key_R, page.receive), (Qt.Key.Key_Y, page.history), (Qt.Key.Key_S, page.send)):
        far = _far_widget(page.tabs.currentWidget(), None)
        far.setFocus()
        qtbot.keyClick(far, letter, Qt.KeyboardModifier.AltModifier)
        assert page.tabs.currentWidget() is tab
