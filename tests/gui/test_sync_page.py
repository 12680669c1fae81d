"""The Sync page: the review of what leaves, send and receive, conflicts, deleted records, trusted keys."""

from __future__ import annotations

import base64
import json
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from lhn_desktop.app import AppContext
from lhn_desktop.gui.main_window import MainWindow
from lhn_desktop.gui.pages.sync import SyncPage
from lhn_desktop.gui.tasks import TaskRunner
from lhn_desktop.services.center import fingerprint, key_id
from lhn_desktop.services.maintenance import _rotate_node
from lhn_desktop.services.sync import SyncService, key_from_passphrase
from lhn_desktop.services.sync_review import SyncReviewService
from lhn_desktop.services.trust import CARD_FORMAT, TrustService
from lhn_desktop.store.database import Database
from lhn_desktop.sync.bundle import peek_manifest
from tests.conftest import DEMO_TODAY, SITE
from tests.gui.conftest import make_window, screenshot, when_dialog_opens
from tests.sync.test_apply import ADMIN, goal, remove, retitle, send, shown

PASSPHRASE = "river stones at dawn"


@pytest.fixture(autouse=True)
def errors(presented: list[str]) -> list[str]:
    """Messages the error presenter would show (every test here records them)."""
    return presented


@pytest.fixture
def other(center_path: Path, tmp_path: Path) -> Iterator[Database]:
    """A second workstation of the same center, set up from a copy with its own workstation id."""
    path = tmp_path / "b" / "center.sqlite3"
    path.parent.mkdir()
    shutil.copy(center_path, path)
    _rotate_node(path)
    db = Database.open(path, tmp_path / "b-backups")
    yield db
    db.close()


def _open(center_path: Path, role: str) -> AppContext:
    ctx = AppContext.open(str(center_path), exclusive=True, today=lambda: DEMO_TODAY)
    member = next(m for m in ctx.team.list_members() if m.role == role)
    ctx.sign_in(member.id, "tester")
    return ctx


@pytest.fixture
def ctx(center_path: Path, other: Database) -> Iterator[AppContext]:
    """This workstation, signed in as the physician (``other`` is copied from it first)."""
    context = _open(center_path, "physician")
    yield context
    context.close()


def _sync_page(qtbot, ctx: AppContext) -> SyncPage:
    """The window on the Sync page, active so that its keyboard shortcuts work."""
    window = make_window(qtbot, ctx)
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    page = window.go_to(SyncPage)
    assert isinstance(page, SyncPage)
    return page


@pytest.fixture
def page(qtbot, ctx: AppContext) -> SyncPage:
    return _sync_page(qtbot, ctx)


def _choose_folder(monkeypatch: pytest.MonkeyPatch, folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a, **_k: str(folder))
    return folder


def test_review_counts_and_texts_then_the_network_gate(page: SyncPage, ctx, qtbot, monkeypatch, tmp_path, errors):
    page.show_tab(page.history)
    assert page.history.no_imports.isVisible() and page.history.no_exports.isVisible()  # a new center: said so
    ctx.improvement.save_goal(ctx.actor, None, title="Model care", aim="Raise model care from 70% to 85% by June")
    send_tab = page.send
    page.show_tab(send_tab)
    assert send_tab.center_choice.isChecked() and send_tab.preview is not None
    kinds = {c.label: c.records for c in send_tab.counts.rows_model.rows}
    assert kinds["90-day goal"] == 1 and kinds["team member"] == 4
    assert "A bundle for this center's workstations will carry" in send_tab.summary.text()
    texts = {t.text: t for t in send_tab.texts.rows_model.rows}
    assert texts["Raise model care from 70% to 85% by June"].new
    assert send_tab.export_button.isEnabled() and not send_tab.gate.isVisible()
    screenshot(page, "sync-export-review-center")

    summary = "We called the family at 614-555-0142 on 03/14/2025 before the visit."
    ctx.commons.add_resource(ctx.actor, title="Calling families", kind="tool", summary=summary)
    qtbot.keyClick(page.window(), Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)  # "The &network"
    qtbot.waitUntil(lambda: send_tab.network_choice.isChecked())  # a mnemonic clicks after a short press
    assert send_tab.preview is not None and send_tab.preview.scope == "network" and send_tab.preview.blocked
    first = send_tab.texts.current_row()
    assert first.findings and "phone number" in send_tab.texts.model().index(0, 0).data()
    assert send_tab.texts.model().index(0, 0).data(Qt.ItemDataRole.ForegroundRole) is not None  # in red
    assert "The free-text check found" in send_tab.text_view.toPlainText()
    assert send_tab.gate.isVisible() and not send_tab.export_button.isEnabled()
    assert not send_tab.key_box.isVisible()
    screenshot(page, "sync-export-review-network")

    send_tab.checked.setChecked(True)
    assert not send_tab.export_button.isEnabled()  # a tick alone is not enough
    qtbot.keyClicks(send_tab.attestation, "A made-up number in a training example, not a family's phone.")
    assert send_tab.export_button.isEnabled()
    folder = _choose_folder(monkeypatch, tmp_path / "to-network")
    qtbot.mouseClick(send_tab.export_button, Qt.MouseButton.LeftButton)
    assert errors == []
    (written,) = folder.iterdir()
    assert written.name in send_tab.written.text()
    (sent,) = page.history.exports.rows_model.rows
    assert not page.history.no_exports.isVisibleTo(page.history) and page.history.no_imports.isVisibleTo(page.history)
    assert sent.scope == "network" and sent.attestation.startswith("A made-up number")
    assert sent.values > 0 and sent.kinds >= 1
    assert page.history.exports.rows_model.index(0, 3).data() == f"{sent.values:,} values of {sent.kinds} kinds"


def test_a_center_bundle_goes_to_the_other_workstation_and_comes_back_with_a_report(
    page: SyncPage, ctx, other: Database, qtbot, monkeypatch, tmp_path, errors
):
    goal_id = goal(ctx.db, "Pre-visit planning")
    send_tab = page.send
    page.show_tab(send_tab)
    folder = _choose_folder(monkeypatch, tmp_path / "shared")
    qtbot.mouseClick(send_tab.export_button, Qt.MouseButton.LeftButton)
    assert errors and "center key" in errors.pop()  # nothing exported without the key
    assert list(folder.iterdir()) == []
    qtbot.keyClicks(send_tab.key_box.passphrase, PASSPHRASE)
    qtbot.mouseClick(send_tab.export_button, Qt.MouseButton.LeftButton)
    assert errors == []
    (bundle,) = folder.iterdir()
    assert page.center_key.key is not None and not send_tab.key_box.passphrase.text()
    assert send_tab.key_box.known.isVisibleTo(send_tab) and not send_tab.key_box.asking.isVisibleTo(send_tab)
    assert page.receive.key_box.known.isVisibleTo(page.receive.key_box)  # remembered for the session

    key = key_from_passphrase(PASSPHRASE, SITE)
    SyncService(other).import_bundle(ADMIN, bundle, key)
    assert shown(other, goal_id) == ("Pre-visit planning", False)
    retitle(other, goal_id, "Pre-visit planning at every visit")
    back = SyncService(other).export_center(ADMIN, tmp_path / "shared", key)
    damaged = tmp_path / "damaged.lhnsync"
    data = bytearray(back.read_bytes())
    data[len(data) // 3 : len(data) // 3 + 64] = bytes(64)
    damaged.write_bytes(bytes(data))

    receive = page.receive
    page.show_tab(receive)
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *_a, **_k: ([str(damaged), str(back)], ""))
    receive.choose_files()
    assert receive.chosen.count() == 2 and receive.import_button.isEnabled()
    qtbot.mouseClick(receive.import_button, Qt.MouseButton.LeftButton)
    assert errors == []
    report = receive.report.toPlainText()
    assert "1 of 2 bundles imported, 1 not imported" in report
    assert "damaged.lhnsync was not imported" in report and "Nothing was changed" in report
    assert f"{back.name} from {SITE}: 1 record changed (1 90-day goal)" in report
    screenshot(page, "sync-import-report")
    assert RED_HTML in receive.report.toHtml()
    assert shown(ctx.db, goal_id) == ("Pre-visit planning at every visit", False)
    (received,) = page.history.imports.rows_model.rows
    assert (received.site_id, received.records, received.conflicts) == (SITE, 1, 0) and received.added > 0
    model = page.history.imports.rows_model
    assert model.index(0, 3).data() == "1 record changed"  # the history in words, from the service's numbers

    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a, **_k: str(tmp_path / "shared"))
    receive.choose_folder()
    assert receive.chosen.count() == 2  # the folder holds this workstation's bundle and the one from the other
    qtbot.mouseClick(receive.import_button, Qt.MouseButton.LeftButton)
    assert "already imported; nothing changed" in receive.report.toPlainText()


RED_HTML = "#b00020"


def test_a_bundle_carries_what_the_others_lack_unless_everything_is_asked_for(
    page: SyncPage, ctx, other: Database, qtbot, monkeypatch, tmp_path, errors
):
    key = key_from_passphrase(PASSPHRASE, SITE)
    page.center_key.remember(key)
    goal(other, "Written on the other workstation")
    SyncService(ctx.db).import_bundle(ADMIN, SyncService(other).export_center(ADMIN, tmp_path, key), key)
    goal(ctx.db, "Written here")
    send_tab = page.send
    page.show_tab(send_tab)
    send_tab.review()
    qtbot.waitUntil(lambda: send_tab.preview is not None)
    assert send_tab.preview.delta and "what they do not have yet: 1 record of 1 kind" in send_tab.summary.text()
    screenshot(page, "sync-send-delta")
    send_tab.full.setFocus()
    qtbot.keyClick(send_tab.full, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: send_tab.preview is not None and not send_tab.preview.delta)
    assert sum(c.records for c in send_tab.preview.counts) > 1  # every record this workstation holds
    assert "what they do not have yet" not in send_tab.summary.text()
    folder = _choose_folder(monkeypatch, tmp_path / "shared")
    qtbot.mouseClick(send_tab.export_button, Qt.MouseButton.LeftButton)
    assert errors == []
    (bundle,) = folder.iterdir()
    assert peek_manifest(bundle)["kind"] == "full"
    assert not send_tab.full.isChecked()  # asked for each time


def _conflicting_goals(ctx: AppContext, other: Database, tmp_path: Path, n: int) -> list[str]:
    ids = [goal(ctx.db, f"Goal {i}") for i in range(n)]
    send(ctx.db, other, tmp_path / "s1")
    for gid in ids:
        retitle(ctx.db, gid, f"{gid[:4]} from this workstation")
        retitle(other, gid, f"{gid[:4]} from the other")
    send(other, ctx.db, tmp_path / "s2")
    return ids


def test_conflicts_are_resolved_with_the_keyboard(qtbot, ctx: AppContext, other: Database, tmp_path, errors):
    ids = _conflicting_goals(ctx, other, tmp_path, 2)
    page = _sync_page(qtbot, ctx)
    window = page.window()
    tab = page.conflicts
    assert "(2)" in page.tabs.tabText(page.tabs.indexOf(tab))
    page.show_tab(tab)
    tab.list.setFocus()
    first = tab.current
    assert first is not None and first.kind == "90-day goal" and first.field_label == "Title"
    assert len(tab.columns) == 2 and tab.columns[0].title().endswith("shown now")
    assert {c.text.toPlainText() for c in tab.columns} == {v.text for v in first.values}
    assert any(c.origin.text().startswith("Written on this workstation") for c in tab.columns)
    screenshot(page, "sync-conflict-resolver")

    chosen = first.values[1]
    qtbot.keyClick(tab.list, Qt.Key.Key_2)
    assert errors == []
    assert shown(ctx.db, first.record_id) == (chosen.text, False)
    assert len(tab.rows) == 1 and tab.current is not None and tab.current.record_id != first.record_id
    assert "(1)" in page.tabs.tabText(page.tabs.indexOf(tab))

    second = tab.current
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.AltModifier)  # the button's Alt+1
    qtbot.waitUntil(lambda: tab.rows == [])
    assert shown(ctx.db, second.record_id) == (second.values[0].text, False)
    assert tab.rows == [] and "No conflicts" in tab.heading.text()
    assert page.tabs.tabText(page.tabs.indexOf(tab)) == "C&onflicts"
    assert set(ids) == {first.record_id, second.record_id}
    assert SyncReviewService(ctx.db).conflicts(ctx.actor) == []


def test_a_record_deleted_while_edited_is_restored_with_the_edits(qtbot, ctx, other: Database, tmp_path, errors):
    gid = goal(ctx.db, "Transition readiness")
    send(ctx.db, other, tmp_path / "s1")
    remove(other, gid)
    retitle(ctx.db, gid, "Transition readiness at 16")
    send(other, ctx.db, tmp_path / "s2")
    assert shown(ctx.db, gid) is None
    page = _sync_page(qtbot, ctx)
    tab = page.deleted
    page.show_tab(tab)
    (case,) = tab.list.rows_model.rows
    assert (case.record, case.edited_by) == ("Transition readiness at 16", "this workstation")
    assert case.deleted_by.startswith("workstation ")
    qtbot.mouseClick(tab.restore_button, Qt.MouseButton.LeftButton)
    assert errors == []
    assert shown(ctx.db, gid) == ("Transition readiness at 16", False)
    assert tab.list.rows_model.rows == [] and "restored with the edits" in tab.status.text()
    assert not tab.restore_button.isEnabled()


def _key_card(folder: Path) -> tuple[Path, str]:
    public = os.urandom(32)
    card = {"format": CARD_FORMAT, "version": 2, "site_id": SITE, "node_id": str(uuid.uuid4()),
            "key_id": key_id(public), "fingerprint": fingerprint(public, SITE),
            "public_key": base64.b64encode(public).decode()}  # fmt: skip
    path = folder / "card.json"
    path.write_text(json.dumps(card), encoding="utf-8")
    return path, fingerprint(public, SITE)


def test_trusting_a_key_needs_the_fingerprint_from_the_other_screen(page: SyncPage, qtbot, monkeypatch, tmp_path):
    card, right = _key_card(tmp_path)
    tab = page.trust
    page.show_tab(tab)
    assert tab.list.rows_model.rows == [] and not tab.revoke_button.isEnabled()
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(card), ""))
    attempts: list[str] = []

    def fill(dialog) -> None:
        assert dialog.card.fingerprint == right
        qtbot.keyClicks(dialog.typed, "0000 1111 2222 3333 4444 5555 6666 7777")
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
        attempts.append("wrong" if dialog.isVisible() else "closed")
        dialog.typed.clear()
        qtbot.keyClicks(dialog.typed, right.lower().replace(" ", ""))
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()

    when_dialog_opens(fill)
    qtbot.mouseClick(tab.add_button, Qt.MouseButton.LeftButton)
    assert attempts == ["wrong"]
    (trusted,) = tab.list.rows_model.rows
    assert trusted.fingerprint == right and trusted.revoked_at is None and "Trusted" in tab.status.text()
    assert tab.revoke_button.isEnabled()

    when_dialog_opens(lambda box: box.button(box.StandardButton.Yes).click())
    qtbot.mouseClick(tab.revoke_button, Qt.MouseButton.LeftButton)
    (revoked,) = tab.list.rows_model.rows
    assert revoked.revoked_at is not None and not tab.revoke_button.isEnabled()


def test_the_errors_of_a_wrong_fingerprint_say_so(page: SyncPage, qtbot, monkeypatch, tmp_path, errors):
    card, _right = _key_card(tmp_path)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *_a, **_k: (str(card), ""))

    def wrong(dialog) -> None:
        qtbot.keyClicks(dialog.typed, "ABCD")
        dialog.buttons.button(dialog.buttons.StandardButton.Ok).click()
        dialog.reject()

    when_dialog_opens(wrong)
    page.trust.add()
    assert errors and "does not match" in errors[0]
    assert TrustService(page.ctx.db).list() == []


def test_the_key_card_is_saved_for_another_workstation(page: SyncPage, monkeypatch, tmp_path):
    target = tmp_path / "card.json"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *_a, **_k: (str(target), ""))
    tab = page.workstation
    assert page.ctx.center().fingerprint == tab.values["fingerprint"].text()
    tab.export_card.click()
    card = TrustService.read_card(target)
    assert card.fingerprint == tab.values["fingerprint"].text() and str(target) in tab.card_written.text()


def test_a_partner_cannot_send_a_center_bundle(qtbot, center_path: Path, other: Database, errors):
    ctx = _open(center_path, "parent_partner")
    try:
        page = _sync_page(qtbot, ctx)
        page.show_tab(page.send)
        send_tab = page.send
        assert not send_tab.center_choice.isEnabled() and "partners" in send_tab.center_choice.toolTip()
        assert send_tab.network_choice.isChecked() and send_tab.preview is not None
        assert send_tab.preview.scope == "network" and not send_tab.key_box.isVisible()
        assert not send_tab.checked.isEnabled() and not page.trust.add_button.isEnabled()
        assert errors == []
    finally:
        ctx.close()


def test_export_and_import_run_off_the_window_thread(qtbot, ctx: AppContext, monkeypatch, tmp_path, errors):
    window = MainWindow(ctx, TaskRunner(None), "tester")
    qtbot.addWidget(window)
    window.show()
    page = window.go_to(SyncPage)
    page.show_tab(page.send)
    qtbot.waitUntil(lambda: page.send.preview is not None)
    folder = _choose_folder(monkeypatch, tmp_path / "out")
    qtbot.keyClicks(page.send.key_box.passphrase, PASSPHRASE)
    page.send.export_button.click()
    qtbot.waitUntil(lambda: "Written" in page.send.written.text())
    (bundle,) = folder.iterdir()
    page.show_tab(page.receive)
    page.receive.set_paths([str(bundle)])
    page.receive.import_button.click()
    qtbot.waitUntil(lambda: "1 of 1 bundle imported" in page.receive.report.toPlainText())
    assert "nothing new" in page.receive.report.toPlainText() and errors == []
    window.close()


def test_this_workstation_says_whether_the_database_is_encrypted(window) -> None:
    from lhn_desktop.gui.pages.sync import SyncPage

    page = window.go_to(SyncPage)
    page.refresh()
    assert page.workstation.values["encryption"].text() == "no"  # the demo center of the tests is plain
