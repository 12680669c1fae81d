"""Files that hold patient data, or the key that protects it, are created readable by their owner only."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

import pytest

from lhn_desktop.access import Actor
from lhn_desktop.services.center import init_center_database
from lhn_desktop.services.sync import make_key_file
from lhn_desktop.store.backup import online_backup

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX permission bits")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """A permissive umask, as on many desktops (files would otherwise be made 0644)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_a_new_center_database_and_its_backup_are_owner_only(tmp_path, open_umask) -> None:
    path = tmp_path / "center.sqlite3"
    init_center_database(path, tmp_path / "backups", "ctr-042", "Riverside IBD", network="ImproveCareNow",
                         actor=Actor.workstation())  # fmt: skip
    assert mode(path) == 0o600
    backup = online_backup(path, tmp_path / "backups" / "copy.sqlite3")
    assert mode(backup) == 0o600


def test_a_center_key_file_is_owner_only_and_never_overwritten(tmp_path, open_umask) -> None:
    from lhn_desktop.errors import ValidationError

    key = make_key_file(tmp_path / "center.key")
    assert mode(key) == 0o600 and len(key.read_bytes()) == 32
    before = key.read_bytes()
    with pytest.raises(ValidationError, match="never overwritten"):
        make_key_file(key)
    assert key.read_bytes() == before
