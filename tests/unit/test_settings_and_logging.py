"""Typed settings (tolerant of damaged files) and the rotating log file."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from lhn_desktop.logsetup import LOG_FILENAME, configure_logging
from lhn_desktop.paths import app_dirs
from lhn_desktop.settings import SCHEMA_VERSION, Settings, load_settings, save_settings


def test_settings_round_trip(tmp_path: Path) -> None:
    settings = Settings()
    settings.remember_user("nurse1", "ctr-042", "member-1")
    settings.last_db = "/data/center.sqlite3"
    save_settings(tmp_path, settings)
    loaded = load_settings(tmp_path)
    assert loaded == settings
    assert loaded.remembered_user("nurse1", "ctr-042") == "member-1"
    assert loaded.remembered_user("nurse1", "ctr-043") is None
    assert not list(tmp_path.glob("*.part"))


def test_damaged_or_odd_settings_fall_back_to_defaults(tmp_path: Path) -> None:
    (tmp_path / "settings.json").write_text("{not json")
    assert load_settings(tmp_path) == Settings()
    (tmp_path / "settings.json").write_text(json.dumps(["a", "list"]))
    assert load_settings(tmp_path) == Settings()
    (tmp_path / "settings.json").write_text(json.dumps({"backups_to_keep": "ten", "unknown": 1, "last_db": "/x"}))
    loaded = load_settings(tmp_path)
    assert loaded.backups_to_keep == Settings().backups_to_keep
    assert loaded.last_db == "/x"
    odd = {"backups_to_keep": 0, "last_db": 5, "remembered_users": {"a": 1}, "backup_every_hours": True}
    (tmp_path / "settings.json").write_text(json.dumps(odd))
    assert load_settings(tmp_path) == Settings()
    assert loaded.schema_version == SCHEMA_VERSION


def test_each_wrong_value_alone_falls_back_and_is_named_without_its_value(tmp_path: Path, caplog) -> None:
    raw = {"lock_after_minutes": 90, "text_size": 150, "last_db": "   ", "backup_every_hours": "24",
           "remembered_users": {"nurse@ctr": "m-1"}, "backups_to_keep": 3}  # fmt: skip
    (tmp_path / "settings.json").write_text(json.dumps(raw))
    with caplog.at_level(logging.WARNING, logger="lhn_desktop.settings"):
        loaded = load_settings(tmp_path)
    assert (loaded.lock_after_minutes, loaded.last_db, loaded.backup_every_hours) == (10, None, 24)  # defaults
    assert (loaded.text_size, loaded.backups_to_keep, loaded.remembered_users) == (150, 3, {"nurse@ctr": "m-1"})
    named = {r.getMessage() for r in caplog.records}
    assert named == {f"Setting {n!r} is not valid; using the default" for n in
                     ("lock_after_minutes", "last_db", "backup_every_hours")}  # fmt: skip
    loaded.lock_after_minutes = 5
    save_settings(tmp_path, loaded)
    assert load_settings(tmp_path).lock_after_minutes == 5


def test_home_override_moves_every_folder(lhn_home: Path) -> None:
    dirs = app_dirs()
    assert {dirs.data, dirs.config, dirs.logs, dirs.cache} == {
        lhn_home / n for n in ("data", "config", "logs", "cache")
    }
    assert dirs.default_db == lhn_home / "data" / "center.sqlite3"


def test_log_file_is_written_and_rotates(tmp_path: Path) -> None:
    root = logging.getLogger()
    before = list(root.handlers), root.level
    try:
        path = configure_logging(tmp_path / "logs")
        assert path == tmp_path / "logs" / LOG_FILENAME
        logging.getLogger("lhn_desktop.test").info("backup written: %s", "center-1.sqlite3")
        for handler in root.handlers:
            handler.flush()
        assert "backup written: center-1.sqlite3" in path.read_text(encoding="utf-8")
        handler = next(h for h in root.handlers if getattr(h, "_lhn", False))
        assert handler.maxBytes == 1_000_000
        assert handler.backupCount == 3
        configure_logging(tmp_path / "logs")  # configuring again does not add a second file handler
        assert sum(getattr(h, "_lhn", False) for h in root.handlers) == 1
    finally:
        for handler in list(root.handlers):
            if getattr(handler, "_lhn", False):
                root.removeHandler(handler)
                handler.close()
        root.handlers[:] = before[0]
        root.setLevel(before[1])


def test_unwritable_log_folder_warns_and_continues(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "logs"
    blocker.write_text("a file, not a folder")
    assert configure_logging(blocker) is None
    assert "log file cannot be written" in capsys.readouterr().err


def test_frozen_one_folder_keeps_the_matplotlib_cache(tmp_path: Path, monkeypatch, lhn_home: Path) -> None:
    import sys

    from lhn_desktop.paths import configure_frozen_runtime

    exe_dir = tmp_path / "lhn-desktop"
    (exe_dir / "_internal").mkdir(parents=True)
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(exe_dir / "_internal"), raising=False)
    monkeypatch.setattr(sys, "executable", str(exe_dir / "lhn-desktop"))
    monkeypatch.setenv("MPLCONFIGDIR", "/tmp/_MEI-temporary")
    configure_frozen_runtime()
    import os

    assert os.environ["MPLCONFIGDIR"] == str(lhn_home / "cache" / "matplotlib")
