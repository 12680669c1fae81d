"""The Sync page reads what its tabs show off the window thread, and shows the answer to the latest reload."""

from __future__ import annotations

from lhn_desktop.gui.pages.sync import SyncPage
from lhn_desktop.progress import CancelToken
from tests.gui.test_lists_page import HeldRunner


def test_the_sync_page_is_read_off_the_window_thread_and_the_latest_answer_shown(window, monkeypatch):
    page = window.go_to(SyncPage)
    assert page.workstation.values["records"].text()  # shown, with the inline runner, as soon as it is read
    held = HeldRunner()
    window.runner = held
    review = page.review
    answers = iter([([], []), (["a conflict read later"], [])])
    monkeypatch.setattr(review, "summaries", lambda actor: next(answers))
    page.refresh()
    page.refresh()
    (older, older_done, label), (newer, newer_done, _) = held.held
    assert label  # a progress dialog appears if it takes a while
    first = older(lambda *_: None, CancelToken())
    second = newer(lambda *_: None, CancelToken())
    monkeypatch.setattr(page.conflicts, "show_rows", lambda rows: shown.append(rows))
    shown: list = []
    newer_done(second)
    older_done(first)  # the older answer, arriving late, is dropped
    assert shown == [["a conflict read later"]]
