"""Logs and crash reports keep where an error happened, never the words it quotes: an unexpected exception's
message may hold the value it failed on (a patient's name, a value from a file), so only the program's own
messages for people (LhnError) are kept."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from lhn_desktop.errors import WITHHELD, LhnError, safe_traceback
from lhn_desktop.logsetup import LOG_FILENAME, configure_logging

#: a name the errors quote (source lines are shown in a traceback, so the calls name the constant, not the text)
NAME = "Ada Demoford"


def parse_age(text: str) -> int:
    return int(text)


def load_row(row: dict) -> int:
    try:
        return parse_age(row["age"])
    except ValueError as exc:
        raise LhnError("A row of the file could not be read; check its age column.") from exc


def failure(call) -> BaseException:
    with pytest.raises(BaseException) as caught:
        call()
    return caught.value


def test_frames_are_kept_and_the_message_is_not() -> None:
    text = safe_traceback(failure(lambda: parse_age(NAME)))
    assert "in parse_age" in text and "return int(text)" in text
    assert f"ValueError: {WITHHELD}" in text
    assert "Demoford" not in text


def test_a_chain_keeps_the_programs_own_message_and_withholds_the_cause() -> None:
    text = safe_traceback(failure(lambda: load_row({"age": NAME})))
    assert (
        text.index(f"ValueError: {WITHHELD}")
        < text.index("direct cause")
        < text.index("lhn_desktop.errors.LhnError: A row of the file could not be read; check its age column.")
    )
    assert "Demoford" not in text


def test_an_error_raised_while_handling_another_shows_both_without_their_words() -> None:
    def handle() -> None:
        try:
            {}[NAME]
        except KeyError:
            raise RuntimeError(f"could not store {NAME}")  # noqa: B904 (the implicit chain is the point)

    text = safe_traceback(failure(handle))
    assert "KeyError" in text and "During handling" in text and "RuntimeError" in text
    assert "Demoford" not in text


def test_the_log_file_carries_the_frames_but_not_the_quoted_value(tmp_path: Path) -> None:
    configure_logging(tmp_path)
    try:
        try:
            load_row({"age": NAME})
        except LhnError:
            logging.getLogger("lhn_desktop.test").exception("Background task failed")
    finally:
        for handler in list(logging.getLogger().handlers):
            if getattr(handler, "_lhn", False):
                handler.flush()
    log = (tmp_path / LOG_FILENAME).read_text(encoding="utf-8")
    assert "Background task failed" in log and "in parse_age" in log and WITHHELD in log
    assert "Demoford" not in log
