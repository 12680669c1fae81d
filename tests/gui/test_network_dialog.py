"""Compare centers, in the window: the coordinating center's funnel plot, numbers, every center's chart and the
center-by-month table; a center's chart with the network's band behind it and its own funnel plot."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from lhn_desktop.app import AppContext
from lhn_desktop.gui.pages.measures import MeasuresPage
from lhn_desktop.services.team import TeamService
from tests.gui.conftest import make_window, screenshot, when_dialog_opens
from tests.sync.test_network_comparison import TODAY, _round_trip, network  # noqa: F401 (the fixture)


def _open(db, qtbot):
    # the window opens the database itself: the file, or the coordinating center's server by its URL
    where = db.engine.url.render_as_string(hide_password=False) if db.on_server else str(db.path)
    db.close()
    ctx = AppContext.open(where, exclusive=True, today=lambda: TODAY)
    member = TeamService(ctx.db).add_member(ctx.actor, "Dr. Robin Sample", "physician")
    ctx.sign_in(member.id, "tester")
    window = make_window(qtbot, ctx)
    qtbot.waitUntil(window.isActiveWindow)  # keys go to the page only once the window is active
    window.go_to(MeasuresPage)
    page = window.stack.currentWidget()
    assert isinstance(page, MeasuresPage)
    row = next(k for k, m in enumerate(page.model.rows) if m.code == "remission_pga")
    page.table.selectRow(row)
    return ctx, window, page


@pytest.fixture
def sent(network, tmp_path: Path):  # noqa: F811 (the fixture imported above)
    _round_trip(network, tmp_path)
    return network


def test_the_coordinator_compares_the_centers_by_keyboard(sent, qtbot) -> None:
    ctx, _window, page = _open(sent["ncc"], qtbot)
    try:
        seen: dict = {}

        def look(dialog: QDialog) -> None:
            seen["tabs"] = [dialog.tabs.tabText(k) for k in range(dialog.tabs.count())]
            seen["funnel"] = dialog.funnel_page.findChild(object, "funnel") is not None
            seen["rows"] = [r[0] for r in dialog.table.rows_model.rows]
            screenshot(dialog, "network_funnel_coordinator")
            dialog.tabs.setCurrentIndex(3)
            seen["months"] = [dialog.months_table.rows_model.headerData(k, Qt.Orientation.Horizontal)
                              for k in range(3)]  # fmt: skip
            seen["cells"] = dialog.months_table.rows_model.rows
            screenshot(dialog, "network_table_coordinator")
            dialog.tabs.setCurrentIndex(2)
            screenshot(dialog, "network_centers_charts")
            dialog.reject()

        opened = when_dialog_opens(look)
        assert page.actions_["network"].isEnabled()
        page.table.setFocus()
        qtbot.keyClick(page.table, Qt.Key.Key_W, Qt.KeyboardModifier.AltModifier)
        assert opened
        assert seen["tabs"] == ["&Funnel plot", "Centers' &numbers", "Every center's &chart", "By &month"]
        assert seen["funnel"] and seen["rows"] == ["Network", "ctr-a", "ctr-b", "ctr-c"]
        assert seen["months"] == ["Center", "Dec 2025", "Jan 2026"]
        assert seen["cells"][0] == ("ctr-a", "28/58", "30/60")
        # the coordinator's own chart is the network's, one point a month
        assert page.chart is not None and page.chart.months == ["2025-12", "2026-01"]
    finally:
        ctx.close()


def test_a_center_sees_the_network_band_and_itself_in_the_funnel(sent, qtbot) -> None:
    ctx, window, page = _open(sent["ctr-a"], qtbot)
    try:
        assert page.chart is not None and page.chart.band is not None
        qtbot.wait(100)  # the chart is drawn when the window next paints
        screenshot(window, "network_band_center")
        seen: dict = {}

        def look(dialog: QDialog) -> None:
            seen["rows"] = [r[0] for r in dialog.table.rows_model.rows]
            seen["tabs"] = dialog.tabs.count()
            seen["months on"] = dialog.first.isEnabled() and dialog.last.isEnabled()
            screenshot(dialog, "network_funnel_center")
            dialog.reject()

        when_dialog_opens(look)
        page.buttons["network"].click()
        assert seen["tabs"] == 2 and seen["months on"]  # no other center's chart or months at a center
        assert seen["rows"] == ["Network", "Riverside", "Center 3", "Lakeside"]  # this center first
    finally:
        ctx.close()


def test_the_coordinator_writes_a_bundle_for_every_center_from_the_sync_page(sent, qtbot, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QFileDialog

    from lhn_desktop.gui.pages.sync import SyncPage
    from lhn_desktop.sync.bundle import peek_manifest

    ctx, window, _page = _open(sent["ncc"], qtbot)
    try:
        page = window.go_to(SyncPage)
        assert isinstance(page, SyncPage)
        send = page.send
        page.show_tab(send)
        send.network_choice.setChecked(True)
        send.review_if_stale()
        assert [send.audience.itemText(k) for k in range(send.audience.count())] == [
            "every center", "ctr-a", "ctr-b", "ctr-c"]  # fmt: skip
        send.audience.setCurrentIndex(0)
        qtbot.waitUntil(lambda: send.preview is not None and send.preview.audience == "every center")
        assert "One bundle for each center" in send.summary.text()
        qtbot.wait(50)  # the layout settles once the key box is hidden
        screenshot(page, "sync-send-every-center")
        folder = tmp_path / "back"
        folder.mkdir()
        monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *_a, **_k: str(folder))
        qtbot.mouseClick(send.export_button, Qt.MouseButton.LeftButton)
        written = sorted(folder.iterdir())
        assert sorted(peek_manifest(p)["audience"]["site_id"] for p in written) == ["ctr-a", "ctr-b", "ctr-c"]
        assert "3 bundles, one for each center" in send.written.text()
    finally:
        ctx.close()


def test_before_the_network_sends_anything_there_are_no_months_to_choose(window, qtbot) -> None:
    """A center that has not received the network's figures yet is told so, and the empty From and To are off."""
    page = window.go_to(MeasuresPage)
    seen: dict = {}

    def look(dialog: QDialog) -> None:
        seen["months on"] = (dialog.first.isEnabled(), dialog.last.isEnabled(), dialog.first.count())
        seen["said"] = dialog.message.text()
        dialog.reject()

    when_dialog_opens(look)
    page.buttons["network"].click()
    assert seen["months on"] == (False, False, 0)
    assert "has not sent the network's figures" in seen["said"] and "Sync page" in seen["said"]
