"""Pages are built the first time they are shown: start-up builds and fills only the first page (once), the
navigation and Ctrl+number reach every page, and a page built late shows the data as it is then."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from lhn_desktop.gui.help import PAGE_TOPICS
from lhn_desktop.gui.main_window import PAGES, MainWindow
from lhn_desktop.gui.operations import Changed, run_op
from lhn_desktop.gui.pages.huddle import HuddlePage
from lhn_desktop.gui.pages.lists import ListsPage
from lhn_desktop.gui.pages.patients import PatientsPage
from lhn_desktop.gui.widgets import RecordsView
from lhn_desktop.services.registry import PatientInput
from tests.gui.conftest import make_window


def _ctrl(window: MainWindow, qtbot, number: int) -> None:
    qtbot.keyClick(window, Qt.Key(Qt.Key.Key_0 + number), Qt.KeyboardModifier.ControlModifier)


def test_each_page_is_named_as_its_class_says() -> None:
    for spec in PAGES:
        cls = spec.load()
        assert (spec.title, spec.patient_data) == (cls.title, cls.patient_data)
        assert spec.is_for(cls)
        assert spec.name in PAGE_TOPICS  # its help topic


def test_start_builds_and_fills_only_the_first_page_once(qtbot, ctx, monkeypatch) -> None:
    loads: list[date] = []
    huddle = ctx.planning.huddle
    monkeypatch.setattr(ctx.planning, "huddle", lambda actor, day: loads.append(day) or huddle(actor, day))
    window = make_window(qtbot, ctx)
    assert [type(p) for p in window.built_pages()] == [HuddlePage]
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [spec.title for spec in PAGES]
    assert len(loads) == 1  # the day's board read once, not once per signal
    page = window.stack.currentWidget()
    assert isinstance(page, HuddlePage) and page.model.rowCount() > 0
    qtbot.waitUntil(window.isActiveWindow)
    assert QApplication.focusWidget() is page.table  # ready for keys: the arrows move through the day's list


def test_ctrl_number_builds_a_page_on_its_first_visit_with_the_current_data(window: MainWindow, qtbot) -> None:
    qtbot.waitUntil(window.isActiveWindow)
    assert window._row_of(PatientsPage) not in window._built
    _ctrl(window, qtbot, 2)
    page = window.stack.currentWidget()
    assert isinstance(page, PatientsPage)
    assert page.model.rowCount() == min(window.ctx.patients.count(window.ctx.actor), 500)
    assert QApplication.focusWidget() is page.table
    assert page.property("shortcut") == "Ctrl+2"
    built = window.built_pages()
    _ctrl(window, qtbot, 1)
    _ctrl(window, qtbot, 2)
    assert window.built_pages() == built  # built once, shown again
    for number in range(3, 8):  # every other page the same way, each with its list ready for the arrows
        _ctrl(window, qtbot, number)
        page = window.stack.currentWidget()
        assert page.title == PAGES[number - 1].title
        lists = [v for v in page.findChildren(RecordsView) if v.isVisibleTo(page)]
        if lists:
            assert QApplication.focusWidget() is lists[0], page.title
    assert len(window.built_pages()) == len(PAGES)


def test_a_change_made_before_a_page_is_built_is_there_when_it_is_built(window: MainWindow, qtbot) -> None:
    ctx = window.ctx
    new = PatientInput(mrn="LAZY-0001", given_name="Wren", family_name="Latebuilt", birth_date=date(2014, 2, 3),
                       sex="female", diagnosis="Crohn disease", diagnosis_date=date(2024, 3, 1))  # fmt: skip
    run_op(window, lambda: ctx.registry.add(ctx.actor, new), changes=Changed.PATIENTS)  # announced to no one yet
    assert window._row_of(PatientsPage) not in window._built and window._row_of(ListsPage) not in window._built
    qtbot.waitUntil(window.isActiveWindow)
    _ctrl(window, qtbot, 3)
    lists = window.stack.currentWidget()
    assert isinstance(lists, ListsPage)
    lists.kind.setCurrentIndex(lists.kind.findData("overdue"))  # a new patient is overdue for everything
    assert any(r.mrn == "LAZY-0001" for r in lists.model.rows)
    page = window.go_to(PatientsPage)
    assert page is window.stack.currentWidget()
    page.search.setText("Latebuilt")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    assert [r.mrn for r in page.model.rows] == ["LAZY-0001"]


def test_a_built_page_hidden_and_a_page_not_built_both_show_a_later_change(window: MainWindow, qtbot) -> None:
    ctx = window.ctx
    patients = window.go_to(PatientsPage)
    total = patients.model.rowCount()
    window.go_to(HuddlePage)
    new = PatientInput(mrn="LAZY-0002", given_name="Ada", family_name="Hiddenpage", birth_date=date(2012, 5, 6),
                       sex="male", diagnosis="Ulcerative colitis", diagnosis_date=date(2023, 9, 1))  # fmt: skip
    run_op(window, lambda: ctx.registry.add(ctx.actor, new), changes=Changed.PATIENTS)
    window.go_to(PatientsPage)
    assert patients.model.rowCount() == min(total + 1, 500)
    lists = window.go_to(ListsPage)
    lists.kind.setCurrentIndex(lists.kind.findData("overdue"))
    assert any(r.mrn == "LAZY-0002" for r in lists.model.rows)


def test_switching_user_lists_the_new_persons_pages_and_forgets_the_built_ones(qtbot, ctx) -> None:
    window = make_window(qtbot, ctx)
    window.go_to(PatientsPage)
    partner = next(m for m in ctx.team.list_members() if m.role in ("parent_partner", "patient_partner"))
    ctx.sign_in(partner.id, "tester")
    window._build_pages()
    assert [window.nav.item(i).text() for i in range(window.nav.count())] == [
        "Improvement", "Measures", "Commons", "Sync"
    ]  # fmt: skip
    assert [p.title for p in window.built_pages()] == ["Improvement"]
    assert window.page(PatientsPage) is None and window.go_to(HuddlePage) is None


def test_help_lists_the_shortcuts_of_a_page_not_shown_yet(window: MainWindow) -> None:
    topic = PAGE_TOPICS["PatientsPage"]
    shortcuts = window.page_shortcuts(topic)
    assert shortcuts and any(keys == "Ctrl+F" for _what, keys in shortcuts)
    assert ("Go to Sync", "Ctrl+7") in window.window_shortcuts()


def test_first_page_ready_says_the_huddle_is_filled_with_the_keyboard_in_its_list(demo_path: Path, lhn_home: Path):
    env = {**os.environ, "LHN_DESKTOP_HOME": str(lhn_home), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-m", "lhn_desktop", "--db", str(demo_path), "--first-page-ready"],
                            capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("FIRST PAGE READY"))
    fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
    # the test center's clinic days are around its own fixed "today", so the real today's list may be empty
    assert fields["page"] == "Huddle" and int(fields["rows"]) >= 0 and fields["focus"] == "list"
    assert float(fields["t"]) > 0


def test_the_window_imports_its_qt_free_core_before_qt(demo_path: Path, lhn_home: Path) -> None:
    """PySide6 reads the source of every module imported after it: the start to the first page imports SQLAlchemy,
    pydantic, the models and services first (``lhn_desktop.cli.gui.BEFORE_QT``)."""
    env = {**os.environ, "LHN_DESKTOP_HOME": str(lhn_home), "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "lhn_desktop", "--db", str(demo_path),
                             "--first-page-ready"], capture_output=True, text=True, env=env, timeout=120)  # fmt: skip
    assert result.returncode == 0, result.stderr
    names = [ln.split("|")[-1].strip() for ln in result.stderr.splitlines() if ln.startswith("import time:")]
    after_qt = names[names.index("PySide6") :]
    late = [n for n in after_qt if n.startswith(("sqlalchemy", "pydantic", "filelock", "lhn_desktop"))
            and not n.startswith("lhn_desktop.gui")]  # fmt: skip
    assert late == [], late
