"""Imports at start run without the cyclic garbage collector, and it is back (with what they made frozen) before any
work: lhn_desktop/startup.py."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import types
from collections.abc import Iterator

import pytest

from lhn_desktop import cli
from lhn_desktop.startup import imports_without_collection


@pytest.fixture(autouse=True)
def collector_as_found() -> Iterator[None]:
    was = gc.isenabled()
    yield
    gc.unfreeze()  # what a test froze goes back to the oldest generation, as if never frozen
    (gc.enable if was else gc.disable)()


def test_paused_inside_then_frozen_and_back_on() -> None:
    assert gc.isenabled()
    frozen_before = gc.get_freeze_count()
    with imports_without_collection():
        assert not gc.isenabled()
        made = [[n] for n in range(5_000)]  # what imports leave behind: objects the collector tracks
        sys.modules["lhn_desktop_test_imported"] = types.ModuleType("lhn_desktop_test_imported")  # a module imported
    del sys.modules["lhn_desktop_test_imported"]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(made)


def test_nothing_imported_nothing_frozen() -> None:
    """A command run again in the same process imports nothing new: its caller's objects are not frozen."""
    frozen_before = gc.get_freeze_count()
    with imports_without_collection():
        assert not gc.isenabled()
        import lhn_desktop.cli  # noqa: F401  (already imported)
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen_before


def test_back_on_when_an_import_fails() -> None:
    with pytest.raises(ModuleNotFoundError), imports_without_collection():
        __import__("lhn_desktop.no_such_module")
    assert gc.isenabled()


def test_the_outer_block_resumes() -> None:
    with imports_without_collection():
        with imports_without_collection():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block left it to the outer one
    assert gc.isenabled()


def test_a_collector_paused_by_the_caller_stays_paused() -> None:
    gc.disable()
    frozen_before = gc.get_freeze_count()
    with imports_without_collection():
        pass
    assert not gc.isenabled()
    assert gc.get_freeze_count() == frozen_before


def test_a_command_runs_with_the_collector_on(monkeypatch, capsys) -> None:
    seen: list[bool] = []

    def command(args) -> int:
        seen.append(gc.isenabled())
        return 0

    monkeypatch.setattr(cli, "_resolve", lambda handler: command)
    assert cli.main(["team", "list"]) == 0
    assert seen == [True]


def test_garbage_made_after_start_is_collected() -> None:
    """A cycle made once the program runs is found by the collector as before, the frozen modules aside."""
    script = (
        "import gc, weakref\n"
        "from lhn_desktop.cli import _resolve\n"
        "from lhn_desktop.startup import imports_without_collection\n"
        "with imports_without_collection():\n"
        "    _resolve('lhn_desktop.cli.gui:run')\n"
        "class Node: pass\n"
        "a, b = Node(), Node(); a.other, b.other = b, a\n"
        "gone = weakref.ref(a); del a, b\n"
        "gc.collect()\n"
        "print(gc.isenabled(), gone() is None, gc.get_freeze_count() > 10_000)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True"]


def test_the_window_imports_its_first_page_with_the_collector_paused(tmp_path) -> None:
    """The window's start imports the main window and its first page's module inside the paused block, before any
    database is opened (here there is none: the start stops at that message)."""
    script = (
        "import gc, sys\n"
        "seen = {}\n"
        "class Watch:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.startswith('lhn_desktop.gui'):\n"
        "            seen[name] = gc.isenabled()\n"
        "sys.meta_path.insert(0, Watch())\n"
        "from lhn_desktop.cli.gui import open_window\n"
        "code = open_window(sys.argv[1], smoke=True)\n"
        "from lhn_desktop.gui.main_window import PAGES\n"
        "print(code, seen.get('lhn_desktop.gui.main_window'), seen.get(PAGES[0].module), gc.isenabled())\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "LHN_DESKTOP_HOME": str(tmp_path / "home")}
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path / "none.sqlite3")], capture_output=True,
                            text=True, timeout=120, env=env)  # fmt: skip
    assert result.stdout.split() == ["2", "False", "False", "True"], result.stderr  # 2: no such database
