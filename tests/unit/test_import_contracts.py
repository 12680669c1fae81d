"""The layer order of DESIGN.md section 2, as import-linter contracts (pyproject.toml): kept by the source, and live,
so a wrong import put into a copy of the package is caught."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def lint(tree: Path) -> subprocess.CompletedProcess:
    """``lint-imports`` with the project's contracts, over the package found in ``tree``."""
    env = os.environ | {"PYTHONPATH": str(tree)}
    command = [str(Path(sys.executable).with_name("lint-imports"))]
    return subprocess.run([*command, "--config", str(ROOT / "pyproject.toml"), "--no-cache"], cwd=tree, env=env,
                          capture_output=True, text=True, timeout=300)  # fmt: skip


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("tree")
    shutil.copytree(ROOT / "lhn_desktop", tree / "lhn_desktop", ignore=shutil.ignore_patterns("__pycache__"))
    return tree


def test_the_source_keeps_every_contract(copy: Path) -> None:
    result = lint(copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "line", "contract"),
    [
        ("gui/wrong.py", "from lhn_desktop.store.database import Database", "reach data only through"),
        ("cli/wrong.py", "import sqlalchemy", "reach data only through"),
        ("services/wrong.py", "from PySide6.QtWidgets import QWidget", "Only the window imports Qt"),
        ("store/wrong.py", "from lhn_desktop.services import patients", "Layers"),
        ("gui/wrong.py", "from lhn_desktop.cli import center", "do not import each other"),
        ("store/wrong.py", "import lhn_desktop.models.versions", "touches the stored field versions"),
    ],
)
def test_a_wrong_import_is_caught(copy: Path, module: str, line: str, contract: str) -> None:
    wrong = copy / "lhn_desktop" / module
    wrong.write_text(f"{line}\n", encoding="utf-8")
    try:
        result = lint(copy)
    finally:
        wrong.unlink()
    assert result.returncode != 0
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert contract in broken and f"lhn_desktop.{module[:-3].replace('/', '.')}" in broken
