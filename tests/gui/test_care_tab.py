"""The patient page with the family: a goal, a follow-up, a task and collaboRATE, all by keyboard."""

from __future__ import annotations

from PySide6.QtCore import Qt

from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.pages.patients import PatientsPage
from tests.gui.conftest import when_dialog_opens


def test_goal_follow_up_task_and_collaborate_by_keyboard(window: MainWindow, qtbot) -> None:
    page = window.go_to(PatientsPage)
    assert isinstance(page, PatientsPage)
    tab = page.detail.care
    page.detail.tabs.setCurrentWidget(tab)
    patient = tab.patient_id
    goals_before = len(tab.care.goals)
    both = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier

    def focus(widget) -> None:
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
        widget.setFocus()

    def goal(dialog) -> None:
        dialog.level.setCurrentIndex(dialog.level.findData("functional"))
        qtbot.keyClicks(dialog.text, "Play the whole soccer season")
        qtbot.keyClicks(dialog.review, "2026-05-01")
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    when_dialog_opens(goal)
    focus(tab.goals)
    qtbot.keyClick(tab.goals, Qt.Key.Key_G, both)
    assert len(tab.care.goals) == goals_before + 1
    new = next(g for g in tab.care.goals if g.text == "Play the whole soccer season")
    row = next(k for k, g in enumerate(tab.goals.rows_model.rows) if g.id == new.id)
    tab.goals.selectRow(row)

    def follow(dialog) -> None:
        dialog.score.setCurrentIndex(dialog.score.findData(1))
        qtbot.keyClicks(dialog.note_, "Played every match in March")
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    when_dialog_opens(follow)
    focus(tab.goals)
    qtbot.keyClick(tab.goals, Qt.Key.Key_F, both)
    new = next(g for g in tab.care.goals if g.id == new.id)
    assert new.latest_score == 1 and new.follow_ups[-1].note == "Played every match in March"
    assert "GAS T-score" in tab.summary.text()

    def task(dialog) -> None:
        qtbot.keyClicks(dialog.what, "Bring the school schedule")
        dialog.responsible.setCurrentIndex(dialog.responsible.findData("family"))
        qtbot.keyClicks(dialog.due, "2026-03-20")
        qtbot.keyClick(dialog, Qt.Key.Key_Return)

    when_dialog_opens(task)
    focus(tab.tasks)
    qtbot.keyClick(tab.tasks, Qt.Key.Key_T, both)
    assert any(t.what == "Bring the school schedule" and t.responsible == "family" for t in tab.care.tasks)

    seen = []
    window.ctx.team.set_secret(window.ctx.actor, window.ctx.actor.member_id, "482916")
    hidden: list[bool] = []

    def unlock(lock) -> None:  # the window's own lock, once the family hands it back
        hidden.append(not window.centralWidget().isVisible())
        qtbot.keyClicks(lock.secret, "482916")
        qtbot.keyClick(lock.secret, Qt.Key.Key_Return)

    def collaborate(dialog) -> None:
        seen.append(dialog)
        for digit in (Qt.Key.Key_9, Qt.Key.Key_9, Qt.Key.Key_8):
            qtbot.keyClick(dialog, digit)
        assert [s.value() for s in dialog.scales] == [9, 9, 8]
        qtbot.keyClick(dialog.done_button, Qt.Key.Key_Space)
        assert dialog.stack.currentIndex() == 1  # locked: thanks, hand back
        qtbot.keyClick(dialog, Qt.Key.Key_Escape)
        assert dialog.isVisible()  # Escape does not unlock
        when_dialog_opens(unlock)
        qtbot.keyClick(dialog, Qt.Key.Key_U, both)

    when_dialog_opens(collaborate)
    focus(tab.goals)
    qtbot.keyClick(tab.goals, Qt.Key.Key_R, both)
    assert seen and not seen[0].isVisible() and hidden == [True]  # nothing shown until the team member's PIN
    latest = tab.care.collaborate[-1]
    assert latest.items == (9, 9, 8) and latest.respondent == "patient" and not latest.top_box
    assert tab.patient_id == patient


def test_agenda_addressed_and_visit_summary(window: MainWindow, qtbot, monkeypatch, tmp_path) -> None:
    page = window.go_to(PatientsPage)
    tab = page.detail.care
    page.detail.tabs.setCurrentWidget(tab)
    patient = tab.patient_id
    window.ctx.planning.add_agenda_item(window.ctx.actor, patient, "question", "Can I go to camp?", "phone call")
    tab.show_patient(patient)
    row = next(k for k, a in enumerate(tab.agenda.rows_model.rows) if a.text == "Can I go to camp?")
    tab.agenda.selectRow(row)
    tab.actions_["addressed"].trigger()
    assert next(a for a in tab.agenda.rows_model.rows if a.text == "Can I go to camp?").addressed
    target = tmp_path / "summary.pdf"
    monkeypatch.setattr("PySide6.QtWidgets.QFileDialog.getSaveFileName", lambda *a, **k: (str(target), ""))
    tab.actions_["summary"].trigger()
    data = target.read_bytes()
    assert data[:4] == b"%PDF" and "visit summary saved" in tab.summary.text()


def test_disease_activity_tab_draws_when_shown(window: MainWindow, qtbot) -> None:
    page = window.go_to(PatientsPage)
    detail = page.detail
    detail.tabs.setCurrentWidget(detail.activity_chart)
    figure = detail.activity_chart.figure
    assert len(figure.axes) >= 2
    assert figure.axes[0].get_title(loc="left").startswith("Disease activity")


def test_a_family_that_finishes_without_answering_hands_back_a_locked_window(window: MainWindow, qtbot) -> None:
    page = window.go_to(PatientsPage)
    tab = page.detail.care
    before = len(tab.care.collaborate)
    locks: list = []

    def nothing_answered(dialog) -> None:
        when_dialog_opens(lambda lock: (locks.append(window.centralWidget().isVisible()), lock.unlock()))
        dialog.finish()  # "I have finished" with no answer

    when_dialog_opens(nothing_answered)
    tab.collaborate("parent")
    assert locks == [False] and len(tab.care.collaborate) == before  # locked, and nothing recorded
    assert window.centralWidget().isVisible()
