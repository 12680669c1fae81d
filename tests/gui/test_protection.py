"""Database protection in the window: a center passphrase chosen at first start, and Center > Database
protection showing how the database is protected and setting, changing or removing the passphrase (issue 20)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QDialogButtonBox, QMessageBox

from lhn_desktop.access import Actor
from lhn_desktop.app import AppContext
from lhn_desktop.errors import PermissionDenied, ValidationError
from lhn_desktop.gui.app import Launcher
from lhn_desktop.gui.dialogs import FirstRunDialog
from lhn_desktop.gui.key_dialogs import ProtectionDialog, RecoveryKeyDialog
from lhn_desktop.services.center import init_center_database
from lhn_desktop.services.maintenance import Protection
from lhn_desktop.store import cipher, custody
from tests.gui.conftest import when_dialog_opens

PASSPHRASE = "river stone blue kettle"


def _new_center_dialog(qtbot, passphrase: str, repeat: str) -> FirstRunDialog:
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    dialog.new.setChecked(True)
    qtbot.keyClicks(dialog.site, "ctr-042")
    qtbot.keyClicks(dialog.name, "Riverside Children's IBD Center")
    qtbot.keyClicks(dialog.passphrase, passphrase)
    qtbot.keyClicks(dialog.repeat, repeat)
    return dialog


def _keep_the_recovery_key(box: RecoveryKeyDialog) -> None:
    box.kept.setChecked(True)
    box.ok.click()


def test_first_start_refuses_passphrases_that_differ_or_are_short_and_makes_nothing(qtbot, qapp, lhn_home):
    launcher = Launcher(qapp, None, smoke=False)
    differ = _new_center_dialog(qtbot, PASSPHRASE, "river stone blue kettel")
    with pytest.raises(ValidationError, match="differ"):
        launcher.create_first_database(differ)
    assert differ.repeat.text() == "" and differ.passphrase.text() == PASSPHRASE  # typed again, not lost
    short = _new_center_dialog(qtbot, "kettle", "kettle")
    with pytest.raises(ValidationError, match="at least 10 characters"):
        launcher.create_first_database(short)
    assert not (lhn_home / "data" / "center.sqlite3").exists()
    assert not custody.wraps_file(lhn_home / "data" / "center.sqlite3").exists()


def test_first_start_passphrase_opens_the_data_when_the_stored_key_is_lost(qtbot, qapp, lhn_home):
    launcher = Launcher(qapp, None, smoke=False)
    dialog = _new_center_dialog(qtbot, PASSPHRASE, PASSPHRASE)
    when_dialog_opens(_keep_the_recovery_key)
    path = launcher.create_first_database(dialog)
    assert cipher.is_encrypted(path) and custody.has_passphrase(path)
    cipher._known.clear()
    custody.default_key_file(path).unlink()  # the workstation's stored key is lost
    with pytest.raises(ValidationError, match="does not open"):
        custody.recover(path, passphrase="river stone blue kettles")
    key = custody.recover(path, passphrase=PASSPHRASE)
    assert len(key) == 32
    cipher.connect(path, read_only=True, key=key).close()


def test_first_start_without_a_passphrase_still_sets_up_an_encrypted_center(qtbot, qapp, lhn_home):
    launcher = Launcher(qapp, None, smoke=False)
    when_dialog_opens(_keep_the_recovery_key)
    path = launcher.create_first_database(_new_center_dialog(qtbot, "", ""))
    assert cipher.is_encrypted(path) and not custody.has_passphrase(path)
    assert custody.wrapped_under(path) == {"recovery"}


@pytest.fixture
def encrypted_ctx(lhn_home: Path):
    info = init_center_database(lhn_home / "data" / "center.sqlite3", lhn_home / "data" / "backups", "ctr-042",
                                "Riverside Children's IBD Center", network=None, actor=Actor.workstation())  # fmt: skip
    context = AppContext.open(info.db_path, exclusive=True)
    nurse = context.team.add_member(Actor.workstation(), "Nurse Avery", "nurse")
    context.team.add_member(Actor.workstation(), "Parent Partner Lee", "parent_partner")
    context.sign_in(nurse.id, "tester")
    yield context
    context.close()


def _ok(dialog: ProtectionDialog):
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def test_protection_shows_encryption_and_sets_changes_and_removes_the_passphrase(qtbot, encrypted_ctx, presented):
    dialog = ProtectionDialog(encrypted_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    words = dialog.explanation.text()
    assert "<b>encrypted</b>" in words and "keeps the key in the key file" in words
    assert "recovery key printed when the center was set up" in words and "No center passphrase is set" in words
    assert _ok(dialog).text() == "&Set the passphrase" and not dialog.remove.isVisible()

    qtbot.keyClicks(dialog.passphrase, PASSPHRASE)
    qtbot.keyClicks(dialog.repeat, "something else entirely")
    _ok(dialog).click()
    assert presented[-1].startswith("The two passphrases differ") and dialog.isVisible()
    assert not encrypted_ctx.maintenance.protection().passphrase

    qtbot.keyClicks(dialog.repeat, PASSPHRASE)
    told: list[str] = []
    when_dialog_opens(lambda box: (told.append(box.text()), box.accept()))
    _ok(dialog).click()
    assert "passphrase is set" in told[0] and not dialog.isVisible()
    assert encrypted_ctx.maintenance.protection().passphrase
    path = Path(encrypted_ctx.maintenance.db.path)
    assert custody.recover(path, passphrase=PASSPHRASE) == cipher.key_for(path)

    again = ProtectionDialog(encrypted_ctx)
    qtbot.addWidget(again)
    again.show()
    assert "The <b>center passphrase</b> is set" in again.explanation.text()
    assert _ok(again).text() == "&Change the passphrase" and again.remove.isVisible()
    when_dialog_opens(lambda box: box.button(QMessageBox.StandardButton.No).click())
    again.remove.click()
    assert encrypted_ctx.maintenance.protection().passphrase  # "No" keeps it
    when_dialog_opens(lambda box: box.button(QMessageBox.StandardButton.Yes).click())
    again.remove.click()
    assert not encrypted_ctx.maintenance.protection().passphrase
    with pytest.raises(ValidationError, match="No center passphrase"):
        custody.recover(path, passphrase=PASSPHRASE)
    assert custody.wrapped_under(path) == {"recovery"}  # the recovery key still opens it


def test_a_partner_sees_the_protection_but_cannot_set_a_passphrase(qtbot, encrypted_ctx):
    partner = next(m for m in encrypted_ctx.team.list_members() if m.role == "parent_partner")
    encrypted_ctx.sign_in(partner.id, "tester")
    dialog = ProtectionDialog(encrypted_ctx)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.passphrase.isVisible() and not _ok(dialog).isVisible()
    with pytest.raises(PermissionDenied):
        encrypted_ctx.maintenance.set_passphrase(encrypted_ctx.actor, PASSPHRASE)
    assert not encrypted_ctx.maintenance.protection().passphrase


def test_a_plain_database_says_it_is_not_encrypted_and_how_to_turn_it_on(qtbot, window):
    seen = when_dialog_opens(lambda box: box.reject())
    window.show_protection()
    dialog = seen[0]
    assert isinstance(dialog, ProtectionDialog)
    text = dialog.explanation.text()
    assert "<b>not encrypted</b>" in text and "lhn-desktop db encrypt" in text
    assert not dialog.passphrase.isVisible()
    assert window.ctx.maintenance.protection() == Protection(
        encrypted=False, kept_in=None, recovery_key=False, passphrase=False
    )
