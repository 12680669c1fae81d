"""The main window with real widgets on a demo center, driven by the keyboard."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication

from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.pages.huddle import HuddlePage
from lhn_desktop.gui.pages.patients import PatientsPage
from tests.gui.conftest import make_window


def _has_ink(widget) -> bool:
    image = widget.grab().toImage()
    background = QColor(image.pixel(2, image.height() - 2))
    step = max(1, image.width() // 80)
    return any(
        QColor(image.pixel(x, y)) != background
        for y in range(0, image.height(), step)
        for x in range(0, image.width(), step)
    )


def test_every_page_opens_and_renders(window: MainWindow, qtbot, tmp_path: Path) -> None:
    titles = [p.title for p in window.pages]
    assert titles == ["Huddle", "Patients", "Patient lists", "Improvement", "Measures", "Commons", "Sync"]
    for row, page in enumerate(window.pages):
        window.nav.setCurrentRow(row)
        assert window.stack.currentWidget() is page
        assert _has_ink(page)
        assert window.grab().save(str(tmp_path / f"{row}.png"))


def test_ctrl_number_switches_pages(window: MainWindow, qtbot) -> None:
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert isinstance(window.stack.currentWidget(), PatientsPage)
    qtbot.keyClick(window, Qt.Key.Key_7, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget().title == "Sync"


def test_patient_search_and_keyboard_browsing(window: MainWindow, qtbot) -> None:
    page = window.go_to(PatientsPage)
    assert isinstance(page, PatientsPage)
    total = page.model.rowCount()
    assert total > 0
    first = page.table.current_row()
    assert page.detail.fields["mrn"].text() == first.mrn

    qtbot.keyClick(page, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.search.hasFocus()
    family = first.name.split(",")[0]
    qtbot.keyClicks(page.search, family)
    qtbot.keyClick(page.search, Qt.Key.Key_Return)  # runs the search at once and moves to the list
    assert 0 < page.model.rowCount() <= total
    assert all(family.lower() in r.name.lower() for r in page.model.rows)
    assert page.table.hasFocus()

    page.search.clear()
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    qtbot.keyClick(page.table, Qt.Key.Key_Down)
    second = page.table.current_row()
    assert second.id != first.id
    assert page.detail.fields["mrn"].text() == second.mrn
    assert page.detail.observations_model.rowCount() > 0
    assert "age" in page.detail.fields["born"].text()

    qtbot.keyClicks(page.search, "no such patient at all")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    assert page.model.rowCount() == 0
    assert "No patient matches" in page.empty.text()


def test_huddle_lists_the_clinic_day_and_enter_opens_the_patient(window: MainWindow, qtbot) -> None:
    page = window.go_to(HuddlePage)
    assert isinstance(page, HuddlePage)
    days = window.ctx.overview.clinic_days()
    assert page.selected_day() == days[0].day
    assert page.model.rowCount() == days[0].scheduled
    assert f"{days[0].scheduled} patients" in page.summary.text()
    times = [r.time for r in page.model.rows]
    assert times == sorted(times)
    page.table.setFocus()
    chosen = page.table.current_row()
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    patients = window.stack.currentWidget()
    assert isinstance(patients, PatientsPage)
    assert patients.detail.patient_id == chosen.patient_id


def test_partners_see_no_patient_pages(qtbot, ctx) -> None:
    partner = next(m for m in ctx.team.list_members() if m.role in ("parent_partner", "patient_partner"))
    ctx.sign_in(partner.id, "tester")
    window = make_window(qtbot, ctx)
    titles = [p.title for p in window.pages]
    assert "Patients" not in titles
    assert "Huddle" not in titles
    assert titles == ["Improvement", "Measures", "Commons", "Sync"]
    assert partner.display_name in window.status_user.text()


def test_back_up_now_runs_through_the_task_runner(window: MainWindow, qtbot) -> None:
    window.backup_action.trigger()
    assert window.backup_action.isEnabled()
    assert "Backup written" in window.statusBar().currentMessage()
    assert list(window.ctx.db.backups_dir.glob("*.sqlite3"))


def test_window_geometry_is_remembered(window: MainWindow, qtbot, ctx) -> None:
    window.resize(790, 640)
    window.close()
    again = make_window(qtbot, ctx)
    assert (again.width(), again.height()) == (790, 640)
    QApplication.processEvents()


def test_long_patient_lists_say_so_and_huddle_patients_still_open(window: MainWindow, qtbot, monkeypatch) -> None:
    import lhn_desktop.gui.pages.patients as patients_module

    monkeypatch.setattr(patients_module, "LIST_LIMIT", 5)
    page = window.go_to(PatientsPage)
    page.refresh()
    assert page.model.rowCount() == 5
    assert "first 5 shown" in page.count.text()
    listed = {r.id for r in page.model.rows}
    outside = next(p for p in window.ctx.patients.search(window.ctx.actor) if p.id not in listed)
    window.open_patient(outside.id)
    assert page.detail.patient_id == outside.id
    assert page.table.current_row().id == outside.id  # the list and the page agree


def test_a_search_that_hides_the_shown_patient_clears_the_page(window: MainWindow, qtbot) -> None:
    page = window.go_to(PatientsPage)
    assert page.detail.patient_id is not None
    qtbot.keyClicks(page.search, "no such patient at all")
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    assert page.detail.patient_id is None
    assert page.detail.fields["mrn"].text() == ""


def test_switching_user_needs_the_other_persons_pin(qtbot, ctx, monkeypatch) -> None:
    """A parent partner at the keyboard cannot become a clinician without the clinician's PIN."""
    from tests.gui.conftest import when_dialog_opens

    shown: list = []
    monkeypatch.setattr("lhn_desktop.gui.dialogs.show_error", lambda parent, exc: shown.append(exc.message))
    nurse = next(m for m in ctx.team.list_members() if m.role == "nurse")
    ctx.team.set_secret(ctx.team.actor_for(nurse.id), nurse.id, "482916")
    partner = next(m for m in ctx.team.list_members() if not m.sees_patient_data)
    ctx.sign_in(partner.id, "tester")
    window = make_window(qtbot, ctx)
    assert window.page(PatientsPage) is None

    def guess(dialog) -> None:
        row = next(i for i in range(dialog.members.count())
                   if dialog.members.item(i).data(Qt.ItemDataRole.UserRole) == nurse.id)  # fmt: skip
        dialog.members.setCurrentRow(row)
        for attempt in ("000111", "135790"):
            dialog.secret.setText(attempt)
            dialog._accept_selected()
        dialog.reject()

    when_dialog_opens(guess)
    window.switch_user()
    assert len(shown) == 2 and all("PIN" in m for m in shown)
    assert ctx.actor.member_id == partner.id and window.page(PatientsPage) is None  # still no patient pages

    def knows(dialog) -> None:
        row = next(i for i in range(dialog.members.count())
                   if dialog.members.item(i).data(Qt.ItemDataRole.UserRole) == nurse.id)  # fmt: skip
        dialog.members.setCurrentRow(row)
        dialog.secret.setText("482916")
        dialog._accept_selected()

    when_dialog_opens(knows)
    window.switch_user()
    assert ctx.actor.member_id == nurse.id and window.page(PatientsPage) is not None
