"""Sign-in, first start and team dialogs; the error presenter."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox

from lhn_desktop.errors import Cancelled, DatabaseLocked
from lhn_desktop.gui.dialogs import FirstRunDialog, SignInDialog, TeamDialog
from lhn_desktop.gui.errors import error_box

NAME = "Ada Demoford"  # quoted by the error below; a traceback shows the calling line, which names only NAME


def test_sign_in_by_keyboard(qtbot, ctx) -> None:
    dialog = SignInDialog(ctx, os_user="tester")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.members.count() == len(ctx.team.list_members())
    dialog.members.setFocus()
    qtbot.keyClick(dialog.members, Qt.Key.Key_Down)
    chosen = dialog.members.currentItem().data(Qt.ItemDataRole.UserRole)
    assert ctx.team.get_member(chosen).sees_patient_data and not ctx.team.get_member(chosen).has_secret
    qtbot.keyClick(dialog.members, Qt.Key.Key_Return)  # on to choosing a PIN, which a clinician needs
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.focusWidget() is dialog.choose
    qtbot.keyClicks(dialog.choose, "482916")
    qtbot.keyClick(dialog.choose, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.again, "482916")
    qtbot.keyClick(dialog.again, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert dialog.member_id == chosen == ctx.actor.member_id and ctx.team.get_member(chosen).has_secret


def test_add_yourself_then_continue(qtbot, ctx, monkeypatch) -> None:
    shown = []
    monkeypatch.setattr("lhn_desktop.gui.dialogs.show_error", lambda parent, exc: shown.append(exc))
    dialog = SignInDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    before = dialog.members.count()
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)  # no name yet
    assert shown
    assert "name" in str(shown[0])
    qtbot.keyClicks(dialog.add_form.name, "Sam Newcomer")
    dialog.add_form.role.setCurrentIndex(dialog.add_form.role.findData("dietitian"))
    qtbot.mouseClick(dialog.add_button, Qt.MouseButton.LeftButton)
    assert dialog.members.count() == before + 1
    assert "Sam Newcomer" in dialog.members.currentItem().text()


def test_first_run_offers_demo_or_new_center(qtbot) -> None:
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    assert dialog.wants_demo
    assert not dialog.site.isEnabled()
    dialog.new.setChecked(True)
    assert dialog.site.isEnabled()
    assert not dialog.wants_demo


def test_team_dialog_lists_and_adds(qtbot, ctx) -> None:
    dialog = TeamDialog(ctx)
    qtbot.addWidget(dialog)
    before = dialog.model.rowCount()
    qtbot.keyClicks(dialog.form.name, "Riley Example")
    dialog._add()
    assert dialog.model.rowCount() == before + 1


def test_error_presenter() -> None:
    box = error_box(None, DatabaseLocked("Already open in another window.", detail="lock file x"))
    assert box.text() == "Already open in another window."
    assert box.detailedText() == "lock file x"
    assert error_box(None, Cancelled()) is None
    try:
        int(NAME)
    except ValueError as exc:
        box = error_box(None, exc)
    assert box.windowTitle() == "Unexpected error"
    details = box.detailedText()
    assert "test_error_presenter" in details and "ValueError: (its message is left out" in details  # the frames
    assert "Demoford" not in details  # the crash report never quotes the data an error failed on
    assert box.icon() == QMessageBox.Icon.Critical


def test_new_center_sign_in_by_keyboard_only(qtbot, center_path) -> None:
    from lhn_desktop.app import AppContext

    ctx = AppContext.open(str(center_path))
    try:
        dialog = SignInDialog(ctx)
        qtbot.addWidget(dialog)
        dialog.show()
        before = dialog.members.count()
        dialog.add_form.name.setFocus()
        qtbot.keyClicks(dialog.add_form.name, "Sam Newcomer")
        qtbot.keyClick(dialog.add_form.name, Qt.Key.Key_Return)  # adds the person, then asks for their new PIN
        assert dialog.members.count() == before + 1 and dialog.focusWidget() is dialog.choose
        qtbot.keyClicks(dialog.choose, "blue heron 7")
        qtbot.keyClicks(dialog.again, "blue heron 7")
        qtbot.keyClick(dialog.again, Qt.Key.Key_Return)
        assert dialog.result() == QDialog.DialogCode.Accepted
        assert ctx.team.get_member(dialog.member_id).display_name == "Sam Newcomer"
    finally:
        ctx.close()


def test_center_details_keep_a_wrong_phone_typed_and_save_a_right_one(qtbot, ctx, monkeypatch) -> None:
    from lhn_desktop.gui.dialogs import CenterDialog

    shown: list = []
    monkeypatch.setattr("lhn_desktop.gui.dialogs.show_error", lambda parent, exc: shown.append(exc))
    dialog = CenterDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.phone, "front desk")
    dialog._save()
    assert shown and "digits" in shown[0].message and dialog.isVisible()
    assert dialog.phone.text() == "front desk" and ctx.center().clinic_phone is None  # nothing lost, nothing saved
    dialog.phone.setText("(614) 555-0100")
    dialog._save()
    assert dialog.result() == QDialog.DialogCode.Accepted and ctx.center().clinic_phone == "(614) 555-0100"


def test_a_pin_is_needed_to_sign_in_as_someone_and_a_wrong_one_keeps_the_dialog(qtbot, ctx, monkeypatch) -> None:
    shown: list = []
    monkeypatch.setattr("lhn_desktop.gui.dialogs.show_error", lambda parent, exc: shown.append(exc))
    nurse = next(m for m in ctx.team.list_members() if m.role == "nurse")
    ctx.team.set_secret(ctx.team.actor_for(nurse.id), nurse.id, "482916")
    partner = next(m for m in ctx.team.list_members() if not m.sees_patient_data)
    ctx.sign_in(partner.id, "tester")
    dialog = SignInDialog(ctx, preselect=nurse.id, os_user="tester")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.secret.isVisible() and not dialog.choose.isVisible()
    qtbot.keyClick(dialog.members, Qt.Key.Key_Return)  # Enter on the name: to the PIN field
    assert dialog.focusWidget() is dialog.secret
    qtbot.keyClicks(dialog.secret, "111222")
    qtbot.keyClick(dialog.secret, Qt.Key.Key_Return)
    assert "not Casey" in shown[0].message or "'s PIN" in shown[0].message
    assert dialog.isVisible() and ctx.actor.member_id == partner.id  # still the partner
    assert dialog.members.currentItem().data(Qt.ItemDataRole.UserRole) == nurse.id and not dialog.secret.text()
    qtbot.keyClicks(dialog.secret, "482916")
    qtbot.keyClick(dialog.secret, Qt.Key.Key_Return)
    assert dialog.result() == QDialog.DialogCode.Accepted and ctx.actor.member_id == nurse.id


def test_a_partner_may_go_on_without_a_pin_but_two_different_ones_are_refused(qtbot, ctx, monkeypatch) -> None:
    shown: list = []
    monkeypatch.setattr("lhn_desktop.gui.dialogs.show_error", lambda parent, exc: shown.append(exc))
    partner = next(m for m in ctx.team.list_members() if not m.sees_patient_data)
    dialog = SignInDialog(ctx, preselect=partner.id, os_user="tester")
    qtbot.addWidget(dialog)
    dialog.show()
    assert "optional" in dialog.choose_note.text()
    dialog.choose.setText("482916")
    dialog.again.setText("482917")
    dialog._accept_selected()
    assert "not the same" in shown[-1].message and dialog.isVisible()
    dialog.choose.clear()
    dialog.again.clear()
    dialog._accept_selected()
    assert dialog.result() == QDialog.DialogCode.Accepted and not ctx.team.get_member(partner.id).has_secret


def test_a_center_chooses_to_be_named_in_network_comparisons(qtbot, ctx) -> None:
    from lhn_desktop.gui.dialogs import CenterDialog
    from tests.gui.conftest import screenshot

    dialog = CenterDialog(ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    assert not dialog.named.isChecked()
    qtbot.keyClick(dialog.phone, Qt.Key.Key_Tab)
    qtbot.keyClick(dialog.named, Qt.Key.Key_Space)  # Tab to the box, Space ticks it
    screenshot(dialog, "center_details_named")
    dialog._save()
    assert dialog.result() == QDialog.DialogCode.Accepted and ctx.center().named_in_network is True
