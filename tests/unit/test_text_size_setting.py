"""The text size the person chose (View > Text size) is kept in the settings file, and older files still load."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lhn_desktop.settings import TEXT_SIZE_NAMES, TEXT_SIZES, Settings, load_settings, save_settings


def test_the_default_is_the_systems_size() -> None:
    assert Settings().text_size == 100
    assert TEXT_SIZES[0] == 100 and set(TEXT_SIZE_NAMES) == set(TEXT_SIZES)


def test_a_chosen_text_size_survives_a_new_load(tmp_path: Path) -> None:
    settings = Settings()
    settings.text_size = 175
    save_settings(tmp_path, settings)
    assert json.loads((tmp_path / "settings.json").read_text())["text_size"] == 175
    assert load_settings(tmp_path).text_size == 175


def test_a_file_written_before_the_setting_existed_loads_with_the_default(tmp_path: Path) -> None:
    older = {"schema_version": 1, "last_db": "/data/center.sqlite3", "backups_to_keep": 4}
    (tmp_path / "settings.json").write_text(json.dumps(older))
    loaded = load_settings(tmp_path)
    assert loaded.text_size == 100
    assert loaded.last_db == "/data/center.sqlite3" and loaded.backups_to_keep == 4
    (tmp_path / "settings.json").write_text(json.dumps({"backups_to_keep": 3}))  # no schema version at all
    assert load_settings(tmp_path).text_size == 100


@pytest.mark.parametrize("odd", [110, 0, 500, "175", 1.75, True, None])
def test_a_size_the_menu_does_not_offer_falls_back_to_normal(tmp_path: Path, odd: object) -> None:
    (tmp_path / "settings.json").write_text(json.dumps({"schema_version": 1, "text_size": odd, "backups_to_keep": 5}))
    loaded = load_settings(tmp_path)
    assert loaded.text_size == 100
    assert loaded.backups_to_keep == 5  # the rest of the file is kept
