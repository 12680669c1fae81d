"""The Sync page's Receive tab with hostile files chosen (issue 18, item 4): the first look at each file is the
reader's own (capped, coded refusals), so choosing a file with a broken manifest stream or a changed compression
method shows no "unexpected error"; the import refuses it in the report and imports the others."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from lhn_desktop.services.sync import SyncService, key_from_passphrase
from lhn_desktop.sync.bundle import peek_manifest
from tests.conftest import SITE
from tests.gui.test_sync_page import PASSPHRASE, _sync_page, ctx, errors, other  # noqa: F401 (fixtures)
from tests.sync.test_apply import ADMIN, goal, shown
from tests.unit.test_bundle_hostile import broken_deflate, changed_method


def test_hostile_files_chosen_show_no_unexpected_error(qtbot, ctx, other, monkeypatch, tmp_path, errors):  # noqa: F811
    page = _sync_page(qtbot, ctx)
    key = key_from_passphrase(PASSPHRASE, SITE)
    goal_id = goal(other, "Transition readiness")
    (tmp_path / "shared").mkdir()
    good = SyncService(other).export_center(ADMIN, tmp_path / "shared", key)
    broken, method = broken_deflate(tmp_path), changed_method(tmp_path)
    assert peek_manifest(good)["scope"] == "center"

    receive = page.receive
    page.show_tab(receive)
    chosen = [str(broken), str(method), str(good)]
    monkeypatch.setattr(QFileDialog, "getOpenFileNames", lambda *_a, **_k: (chosen, ""))
    receive.choose_files()  # the first look at each file: it raised zlib.error / NotImplementedError before
    assert receive.chosen.count() == 3 and receive.import_button.isEnabled() and errors == []
    assert receive.key_box.isVisibleTo(page)  # GOOD is a center bundle
    qtbot.keyClicks(receive.key_box.passphrase, PASSPHRASE)
    qtbot.mouseClick(receive.import_button, Qt.MouseButton.LeftButton)
    assert errors == []
    report = receive.report.toPlainText()
    assert "1 of 3 bundles imported, 2 not imported" in report
    assert f"{broken.name} was not imported" in report and f"{method.name} was not imported" in report
    assert "Ask the sender for a new bundle" in report
    assert shown(ctx.db, goal_id) == ("Transition readiness", False)
