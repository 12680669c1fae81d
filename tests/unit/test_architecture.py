"""The import contract of DESIGN.md section 2, checked on the source and in a fresh interpreter."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "lhn_desktop"

#: What the two front ends may not touch: they go through ``app`` and ``services``.
FRONT_END_FORBIDDEN = ("sqlalchemy", "sqlite3", "lhn_desktop.store", "lhn_desktop.models")


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def test_only_gui_imports_qt() -> None:
    offenders = []
    for path in _modules(PACKAGE):
        if PACKAGE / "gui" in path.parents:
            continue
        if any(name.split(".")[0] in ("PySide6", "shiboken6", "PyQt6", "PyQt5") for name in _imports(path)):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


@pytest.mark.parametrize("front_end", ["gui", "cli"])
def test_front_ends_do_not_open_database_sessions(front_end: str) -> None:
    offenders = []
    for path in _modules(PACKAGE / front_end):
        for name in _imports(path):
            if name.startswith(FRONT_END_FORBIDDEN):
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
        source = path.read_text(encoding="utf-8")
        for call in (
            "db.write(",
            "db.read()",
            "db.bootstrap(",
            ".engine",
            "._writer",
            "._reader",
            "Session(",
            "sessionmaker(",
        ):
            if call in source:
                offenders.append(f"{path.relative_to(ROOT)} uses {call}")
    assert offenders == []


def test_gui_and_cli_do_not_import_each_other() -> None:
    for front_end, other in (("gui", "lhn_desktop.cli"), ("cli", "lhn_desktop.gui")):
        for path in _modules(PACKAGE / front_end):
            bad = [n for n in _imports(path) if n == other or n.startswith(other + ".")]
            if front_end == "cli" and path.name == "gui.py":
                continue  # the one place the command line opens the window, lazily
            assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


def test_unit_tests_import_no_qt() -> None:
    for path in _modules(ROOT / "tests" / "unit"):
        assert not any(n.startswith(("PySide6", "pytestqt")) for n in _imports(path)), path


def test_core_runs_without_loading_qt() -> None:
    """Import every non-GUI module in a fresh interpreter: PySide6 must not be loaded."""
    modules = []
    for path in _modules(PACKAGE):
        rel = path.relative_to(ROOT).with_suffix("")
        if "gui" in rel.parts or "migrations" in rel.parts or rel.name == "__main__":
            continue
        name = ".".join(rel.parts)
        modules.append(name.removesuffix(".__init__"))
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "from lhn_desktop.cli import build_parser; build_parser()\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "assert not bad, bad\n"
    )
    _run_fresh(code)


def test_cli_help_stays_light() -> None:
    """``lhn-desktop --help`` loads neither Qt, SQLAlchemy, matplotlib nor alembic."""
    code = (
        "import sys\n"
        "from lhn_desktop.cli import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = sorted({m.split('.')[0] for m in sys.modules} & {'PySide6', 'sqlalchemy', 'matplotlib', 'alembic'})\n"
        "assert not heavy, heavy\n"
    )
    _run_fresh(code)


def _run_fresh(code: str) -> None:
    """Run ``code`` in a fresh interpreter; its assertions decide the test."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr


def test_spc_imports_nothing_of_ours_but_itself() -> None:
    for path in _modules(PACKAGE / "spc"):
        ours = [n for n in _imports(path) if n.startswith("lhn_desktop") and not n.startswith("lhn_desktop.spc")]
        assert ours == [], f"{path.relative_to(ROOT)} imports {ours}"


def test_clinical_calculations_import_only_errors_paths_and_the_way_dates_are_written() -> None:
    """Growth, indices and the observation catalog are pure: no database, no services, no Qt (their warnings write
    dates as the program writes them everywhere, through the pure ``localization``)."""
    allowed = ("lhn_desktop.clinical", "lhn_desktop.errors", "lhn_desktop.paths", "lhn_desktop.localization")
    for path in _modules(PACKAGE / "clinical"):
        ours = [n for n in _imports(path) if n.startswith("lhn_desktop") and not n.startswith(allowed)]
        assert ours == [], f"{path.relative_to(ROOT)} imports {ours}"


def test_only_the_versions_module_names_the_field_versions_table_in_sql() -> None:
    """The import contract keeps the versions' model to ``store/versions.py``; this keeps hand-written SQL there too
    (and in the migrations, which change the layout)."""
    tables = "sync_record|sync_name|sync_value"  # the layout of migration 0013 and the one before it
    sql = re.compile(rf"\b(FROM|INTO|UPDATE|JOIN|TABLE)\s+\"?({tables})\b", re.IGNORECASE)
    allowed = {PACKAGE / "store" / "versions.py"}
    found = [str(path.relative_to(ROOT)) for path in _modules(PACKAGE)
             if path not in allowed and "migrations" not in path.parts]  # fmt: skip
    assert [name for name in found if sql.search((ROOT / name).read_text(encoding="utf-8"))] == []
