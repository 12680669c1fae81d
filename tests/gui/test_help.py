"""Help inside the program (F1, Getting started), the About box with versions, and View > Text size."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtWidgets import QApplication

from lhn_desktop.gui.help import (
    GETTING_STARTED,
    HELP_TOPICS,
    NO_SHORTCUTS,
    AboutDialog,
    HelpWindow,
    help_dir,
    render_topic,
    topic_for_page,
)
from lhn_desktop.gui.main_window import NAV_WIDTH, MainWindow
from lhn_desktop.gui.text_size import apply_text_size, base_point_size, scale_style_sheet
from lhn_desktop.gui.widgets import RecordsView
from lhn_desktop.settings import load_settings
from tests.gui.conftest import screenshot, when_dialog_opens

PAGE_HELP = {
    "Huddle": "huddle",
    "Patients": "patients",
    "Patient lists": "lists",
    "Improvement": "improvement",
    "Measures": "measures",
    "Commons": "commons",
    "Sync": "sync",
}


@pytest.fixture(autouse=True)
def normal_text_size(qapp) -> Iterator[None]:
    """The application is shared by every test: leave its text at the normal size whatever a test chose."""
    yield
    apply_text_size(100, qapp)


def _help_window(window: MainWindow) -> HelpWindow:
    helper = getattr(window, "_help_window", None)
    assert isinstance(helper, HelpWindow), "no help window was opened"
    return helper


def _menu_action(window: MainWindow, text: str):
    for action in window.findChildren(type(window.menuBar().actions()[0])):
        if action.text().replace("&", "") == text:
            return action
    raise AssertionError(f"no menu item {text!r}")


def test_every_page_has_a_help_file_and_every_topic_a_file() -> None:
    topics = {topic for topic, _title in HELP_TOPICS}
    assert set(PAGE_HELP.values()) <= topics and GETTING_STARTED in topics
    for topic, title in HELP_TOPICS:
        text = (help_dir() / f"{topic}.md").read_text(encoding="utf-8")
        assert text.startswith(f"# {title}\n"), topic


@pytest.mark.parametrize("row", range(7))
def test_f1_on_each_page_opens_that_pages_help(window: MainWindow, qtbot, row: int) -> None:
    window._go_to_row(row)
    page = window.pages[row]
    assert window.stack.currentWidget() is page
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_F1)
    helper = _help_window(window)
    assert helper.isVisible() and not helper.isModal()
    assert helper.topic == PAGE_HELP[page.title] == topic_for_page(page)
    shown = helper.text.toPlainText()
    assert shown.splitlines()[0] == page.title  # the page's own heading comes first
    assert helper.contents.currentItem().text() == page.title
    for what, keys in page.shortcuts():  # read from the page as it is, not written twice
        assert what in shown and keys in shown, (what, keys)
    if row == 0:
        screenshot(helper, "help-huddle")


def test_the_shortcut_list_follows_the_page_not_the_file(window: MainWindow) -> None:
    page = window.pages[0]
    text = render_topic("huddle", [("Something new", "Ctrl+Alt+Q")])
    assert "Something new" in text and "Ctrl+Alt+Q" in text and "<!--" not in text
    assert "Something new" not in render_topic("huddle", page.shortcuts())
    assert NO_SHORTCUTS in render_topic("huddle", None)  # a page a partner does not see: no keys to read
    assert NO_SHORTCUTS not in render_topic(GETTING_STARTED, None)


def test_getting_started_opens_from_the_help_menu_and_links_lead_on(window: MainWindow, qtbot) -> None:
    _menu_action(window, "Getting started").trigger()
    helper = _help_window(window)
    assert helper.topic == GETTING_STARTED
    shown = helper.text.toPlainText()
    assert shown.startswith("Getting started")
    assert "Center > Team" in shown and "Import from the EHR" in shown and "Export key card" in shown
    helper._follow(QUrl("sync.md"))  # a link in the text opens that topic here
    assert helper.topic == "sync" and helper.text.toPlainText().startswith("Sync")
    helper._follow(QUrl("https://example.org/"))  # nothing goes online
    assert helper.topic == "sync"


def test_the_contents_search_and_escape_work_from_the_keyboard(window: MainWindow, qtbot) -> None:
    window.show_help(GETTING_STARTED)
    helper = _help_window(window)
    qtbot.waitExposed(helper)
    assert [helper.contents.item(i).text() for i in range(helper.contents.count())] == [t for _k, t in HELP_TOPICS]
    helper.contents.setFocus()
    qtbot.keyClick(helper.contents, Qt.Key.Key_Down)
    assert helper.topic == "huddle" and helper.text.toPlainText().startswith("Huddle")
    qtbot.keyClicks(helper.search, "collaboRATE")
    visible = [helper.contents.item(i).text() for i in range(helper.contents.count())
               if not helper.contents.item(i).isHidden()]  # fmt: skip
    assert "Patients" in visible and "Measures" not in visible and "Sync" not in visible
    assert helper.topic in ("getting-started", "patients")
    assert helper.text.textCursor().selectedText().lower() == "collaborate"  # the first match is shown
    qtbot.keyClick(helper.search, Qt.Key.Key_Escape)  # no "discard the changes?" for a search
    assert not helper.isVisible()
    window.show_help("measures")  # F1 again brings the same window back, on the topic asked for
    assert _help_window(window) is helper and helper.isVisible() and helper.topic == "measures"
    assert not helper.contents.currentItem().isHidden()


def test_about_names_the_versions_and_copies_them(window: MainWindow, qtbot) -> None:
    seen: list[str] = []

    def look(dialog) -> None:
        assert isinstance(dialog, AboutDialog)
        dialog.copy_button.click()
        seen.append(dialog.text())
        screenshot(dialog, "about")
        dialog.reject()

    when_dialog_opens(look)
    _menu_action(window, "About LHN Desktop").trigger()
    (text,) = seen
    import PySide6

    assert f"Qt: {qVersion()}" in text and f"PySide6: {PySide6.__version__}" in text
    assert f"Python: {platform.python_version()}" in text
    for name in ("SQLite: 3.", "SQLAlchemy: 2.", "matplotlib: ", "LHN Desktop: "):
        assert name in text
    info = window.ctx.center()
    assert info.site_code in text and info.db_path in text
    assert QApplication.clipboard().text() == text


def test_text_size_scales_the_whole_program_and_is_remembered(window: MainWindow, qtbot) -> None:
    app = QApplication.instance()
    base = base_point_size(app)
    table = next(v for v in window.pages[0].findChildren(RecordsView))
    row_height = table.verticalHeader().defaultSectionSize()
    _menu_action(window, "Largest (175 %)").trigger()
    assert app.font().pointSizeF() == pytest.approx(base * 1.75)
    assert table.font().pointSizeF() == pytest.approx(base * 1.75)  # pages follow the application's font
    assert table.verticalHeader().defaultSectionSize() > row_height  # and their rows grow with the text
    widest = max(window.nav.fontMetrics().horizontalAdvance(p.title) for p in window.pages)
    assert window.nav.width() > NAV_WIDTH and window.nav.width() >= widest + 28  # the page names still fit
    assert window.text_size_actions[175].isChecked()
    assert window.ctx.settings.text_size == 175
    assert load_settings(window.ctx.dirs.config).text_size == 175  # a new load of the file
    window.go_to(type(window.pages[1]))
    screenshot(window, "text-size-largest")

    qtbot.keyClick(window.nav, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert app.font().pointSizeF() == pytest.approx(base)
    assert window.text_size_actions[100].isChecked()
    assert load_settings(window.ctx.dirs.config).text_size == 100
    qtbot.keyClick(window.nav, Qt.Key.Key_Equal, Qt.KeyboardModifier.ControlModifier)
    assert app.font().pointSizeF() == pytest.approx(base * 1.25)
    qtbot.keyClick(window.nav, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClick(window.nav, Qt.Key.Key_Minus, Qt.KeyboardModifier.ControlModifier)  # no smaller than normal
    assert app.font().pointSizeF() == pytest.approx(base)


def test_style_sheet_pixel_sizes_are_scaled_with_the_text() -> None:
    sheet = "QLabel#pageTitle { font-size: 20px; } QListWidget { font-size: 14px; padding: 8px; }"
    scaled = scale_style_sheet(sheet, 1.5)
    assert "font-size: 30px" in scaled and "font-size: 21px" in scaled and "padding: 8px" in scaled


def test_the_saved_text_size_is_applied_at_start(tmp_path: Path) -> None:
    """make_application reads the settings file: a fresh interpreter, as a real start."""
    home = tmp_path / "home"
    env = {**os.environ, "LHN_DESKTOP_HOME": str(home), "QT_QPA_PLATFORM": "offscreen"}
    probe = (
        "from lhn_desktop.paths import app_dirs\n"
        "from lhn_desktop.settings import Settings, save_settings\n"
        "s = Settings(); s.text_size = 150; save_settings(app_dirs().config, s)\n"
        "from lhn_desktop.gui.app import make_application\n"
        "from lhn_desktop.gui.text_size import base_point_size\n"
        "app = make_application()\n"
        "import json; print(json.dumps([app.font().pointSizeF(), base_point_size(app), app.styleSheet()]))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    size, base, sheet = json.loads(done.stdout.strip().splitlines()[-1])
    assert size == pytest.approx(base * 1.5)
    assert "font-size: 30px" in sheet  # the page titles' 20px, at 150 %
