"""Start-up: first run (demo or new center), a damaged database, remembered sign-in."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from lhn_desktop.app import AppContext
from lhn_desktop.gui import app as gui_app
from lhn_desktop.gui.app import Launcher, StartupAborted
from lhn_desktop.gui.dialogs import FirstRunDialog
from lhn_desktop.gui.key_dialogs import RecoveryKeyDialog, UnlockDialog
from lhn_desktop.services.maintenance import backup_database
from lhn_desktop.store import cipher, custody
from tests.gui.conftest import when_dialog_opens


@pytest.fixture
def launcher(qapp) -> Launcher:
    return Launcher(qapp, None, smoke=False)


def test_first_run_new_center_is_encrypted_and_its_recovery_key_unlocks_it(qtbot, launcher, lhn_home, presented):
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    dialog.new.setChecked(True)
    qtbot.keyClicks(dialog.site, "ctr-042")
    qtbot.keyClicks(dialog.name, "Riverside Children's IBD Center")
    shown: list[str] = []

    def keep_the_recovery_key(box: RecoveryKeyDialog) -> None:
        shown.append(box.key_label.text())
        assert not box.ok.isEnabled()  # not before the person says it is kept
        qtbot.keyClick(box, Qt.Key.Key_Escape)
        assert box.isVisible()  # Escape does not skip it either
        box.kept.setChecked(True)
        qtbot.mouseClick(box.ok, Qt.MouseButton.LeftButton)

    when_dialog_opens(keep_the_recovery_key)
    path = launcher.create_first_database(dialog)
    assert path == lhn_home / "data" / "center.sqlite3"
    assert len(shown) == 1 and len(shown[0].split("-")) == 8
    assert cipher.is_encrypted(path)  # encrypted by default
    ctx = launcher.open_context(path)
    try:
        assert ctx.center().site_name == "Riverside Children's IBD Center"
        assert ctx.team.list_members() == []
    finally:
        ctx.close()
    cipher._known.clear()
    custody.default_key_file(path).unlink()  # the workstation's stored key is lost
    tries: list[str] = []

    def unlock(box: UnlockDialog) -> None:
        tries.append(box.windowTitle())
        qtbot.keyClicks(box.recovery, "ABCD-EFGH-IJKL-MNOP-QRST-UVWX-YZ23-4567" if len(tries) == 1 else shown[0])
        box.buttons.button(box.buttons.StandardButton.Ok).click()
        if box.isVisible():  # refused: it stays open with what was typed, for another try
            box.recovery.clear()
            unlock(box)

    when_dialog_opens(unlock)
    ctx = launcher.open_context(path)
    try:
        assert ctx.center().site_name == "Riverside Children's IBD Center"
    finally:
        ctx.close()
    assert presented == ["That recovery key does not open this database. Check it against the printed copy."]
    assert custody.default_key_file(path).exists()  # kept here again


def test_first_run_demo_is_built_through_the_task_runner(qtbot, launcher: Launcher, lhn_home: Path,
                                                          monkeypatch) -> None:  # fmt: skip
    import threading

    from lhn_desktop.services import demo_center

    launcher.demo_patients = 8
    threads: set[str] = set()
    real = demo_center.create_demo_database

    def spy(*args, **kwargs):
        threads.add(threading.current_thread().name)
        return real(*args, **kwargs)

    monkeypatch.setattr(demo_center, "create_demo_database", spy)
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    assert dialog.wants_demo
    path = launcher.create_first_database(dialog)
    assert threads and threading.main_thread().name not in threads  # built on the real pool, off the window thread
    assert path == lhn_home / "data" / "demo-center.sqlite3"
    ctx = launcher.open_context(path)
    try:
        assert ctx.patients.count(ctx.actor) == 8
    finally:
        ctx.close()


def test_cancelled_demo_build_leaves_nothing(qtbot, launcher, lhn_home, monkeypatch) -> None:
    from lhn_desktop.errors import Cancelled
    from lhn_desktop.services import demo_center

    real = demo_center.create_demo_database

    def cancel_midway(path, backups_dir, **kw):
        token = kw["cancel"]

        def progress(done, total, label):
            if done >= 3:
                token.cancel()  # the person presses Cancel in the progress dialog

        return real(path, backups_dir, **{**kw, "progress": progress})

    monkeypatch.setattr(demo_center, "create_demo_database", cancel_midway)
    launcher.demo_patients = 10
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    with pytest.raises(Cancelled):
        launcher.create_first_database(dialog)
    left = [p.name for p in (lhn_home / "data").glob("demo-center*") if not p.name.endswith(".lock")]
    assert left == []  # (the empty lock file stays, as lock files do)


def test_damaged_database_offers_the_latest_backup(qtbot, launcher: Launcher, center_path: Path, monkeypatch) -> None:
    ctx = AppContext.open(str(center_path))
    backup_database(ctx.db)
    ctx.close()
    data = bytearray(center_path.read_bytes())
    data[0:16] = b"garbage garbage!"
    center_path.write_bytes(bytes(data))

    offered = []

    def fake_box(parent, exc):
        box = QMessageBox()
        box.setText(exc.message)
        original_add = box.addButton

        def add(text, role):
            button = original_add(text, role)
            if role == QMessageBox.ButtonRole.AcceptRole:
                offered.append(text)
                box.exec = button.click  # the person clicks "Restore the latest backup"
            return button

        box.addButton = add
        return box

    monkeypatch.setattr(gui_app.gui_errors, "error_box", fake_box)
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    ctx = launcher.open_context(center_path)
    try:
        assert offered == ["&Restore the latest backup"]
        assert ctx.center().site_code == "ctr-042"
        kept = [p for p in center_path.parent.glob("center.sqlite3.damaged-*") if not p.name.endswith(("-wal", "-shm"))]
        assert kept
        assert kept[0].read_bytes()[:16] == b"garbage garbage!"
    finally:
        ctx.close()


def test_damaged_database_in_smoke_mode_exits_with_a_message(qapp, center_path: Path, capsys) -> None:
    center_path.write_bytes(b"x" * 4096)
    launcher = Launcher(qapp, str(center_path), smoke=True)
    with pytest.raises(StartupAborted) as stop:
        launcher.open_context(center_path)
    assert stop.value.code == 1
    assert "damaged" in capsys.readouterr().err


def test_the_last_person_is_offered_first_and_still_asked_for_their_pin(qapp, center_path: Path, monkeypatch) -> None:
    ctx = AppContext.open(str(center_path))
    member = ctx.team.list_members()[-1]
    monkeypatch.setattr(gui_app, "_os_user", lambda: "nurse1")
    ctx.team.set_secret(ctx.team.actor_for(member.id), member.id, "482916")
    ctx.sign_in(member.id, "nurse1", "482916")
    ctx.close()
    ctx = AppContext.open(str(center_path))
    offered: list = []

    def type_pin(dialog) -> None:
        offered.append(dialog.members.currentItem().data(Qt.ItemDataRole.UserRole))
        dialog.secret.setText("482916")
        dialog._accept_selected()

    try:
        when_dialog_opens(type_pin)
        Launcher(qapp, str(center_path), smoke=False).sign_in(ctx)  # a dialog, the same person chosen
        assert offered == [member.id] and ctx.actor.member_id == member.id
    finally:
        ctx.close()


def _damage_tail(path: Path) -> None:
    """Scramble pages near the end of the file: the header and schema stay readable."""
    data = bytearray(path.read_bytes())
    page = 4096
    start = len(data) - 6 * page
    for offset in range(start + 100, start + 5 * page):
        data[offset] ^= 0xA5
    path.write_bytes(bytes(data))


def test_damage_found_after_opening_offers_restore(qtbot, demo_path: Path, monkeypatch) -> None:
    from lhn_desktop.services.maintenance import damage_report

    ctx = AppContext.open(str(demo_path))
    backup_database(ctx.db)
    ctx.close()
    _damage_tail(demo_path)
    launcher = Launcher(None, str(demo_path), smoke=False)
    ctx = launcher.open_context(demo_path)  # only the header and schema are read at start
    try:
        damage = damage_report(ctx.db)
        assert damage is not None
        assert damage.latest_backup

        class Box(QMessageBox):
            def exec(self):
                self.buttons()[0].click()  # "Restore the latest backup"
                return 0

        monkeypatch.setattr(gui_app.gui_errors, "error_box", lambda parent, exc: Box())
        window = QMessageBox()  # stands in for the main window: only close() is used
        launcher.offer_restore_later(window, damage)
        assert launcher.restore_on_exit
    finally:
        ctx.close()
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    launcher.restore(demo_path)
    ctx = AppContext.open(str(demo_path))
    try:
        assert damage_report(ctx.db) is None
    finally:
        ctx.close()
