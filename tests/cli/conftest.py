"""Command-line fixtures: a second workstation of the demo center."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from lhn_desktop.services.maintenance import _rotate_node


@pytest.fixture
def second(demo_path: Path, tmp_path: Path) -> Path:
    """Another workstation of the same center, set up from a copy (its own workstation id)."""
    path = tmp_path / "second" / "center.sqlite3"
    path.parent.mkdir()
    shutil.copy(demo_path, path)
    _rotate_node(path)
    return path
