"""First run on Linux: a missing system library for the window is named, with the packages to install, before Qt
stops the program with its own terse line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from lhn_desktop.gui import platform_check
from lhn_desktop.gui.platform_check import display_problem, missing_libraries, package_of

LDD = """\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /opt/lhn/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-cursor.so.0 => not found
\tlibxkbcommon-x11.so.0 => not found
\tlibGL.so.1 => /lib/x86_64-linux-gnu/libGL.so.1 (0x00007f)
"""


@pytest.mark.parametrize(
    ("library", "package"),
    [("libxcb-cursor.so.0", "libxcb-cursor0"), ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
     ("libxcb-icccm.so.4", "libxcb-icccm4"), ("libEGL.so.1", "libegl1"), ("libdbus-1.so.3", "libdbus-1-3")],
)  # fmt: skip
def test_libraries_are_named_by_their_usual_package(library: str, package: str) -> None:
    assert package_of(library) == package


def test_what_ldd_cannot_find_is_listed(monkeypatch, tmp_path) -> None:
    monkeypatch.setattr(subprocess, "run", lambda *a, **k: subprocess.CompletedProcess(a, 0, LDD, ""))
    assert missing_libraries(tmp_path / "libqxcb.so") == ["libxcb-cursor.so.0", "libxkbcommon-x11.so.0"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check is for Linux")
def test_the_message_names_the_packages_and_no_display_is_said_in_words(monkeypatch) -> None:
    monkeypatch.setenv("QT_QPA_PLATFORM", "xcb")
    monkeypatch.delenv("DISPLAY", raising=False)
    assert "no display was found" in display_problem()
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.setattr(platform_check, "missing_libraries", lambda _p: ["libxcb-cursor.so.0"])
    text = display_problem()
    assert "sudo apt-get install libxcb-cursor0" in text and "lhn-desktop --help" in text
    monkeypatch.setattr(platform_check, "missing_libraries", lambda _p: [])
    assert display_problem() is None  # everything there: Qt starts as usual
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    monkeypatch.setattr(platform_check, "missing_libraries", lambda _p: ["libxcb-cursor.so.0"])
    assert display_problem() is None  # not X11: nothing to check


def test_the_window_is_not_started_when_its_libraries_are_missing(monkeypatch, capsys) -> None:
    from lhn_desktop.gui import app

    monkeypatch.setattr(platform_check, "display_problem", lambda: "LHN Desktop cannot open its window: (test)")
    monkeypatch.setattr(app, "make_application", lambda: pytest.fail("Qt must not be started"))
    assert app.run() == 1
    assert "cannot open its window" in capsys.readouterr().err


def test_this_machines_window_plugin_finds_every_library() -> None:
    plugin = platform_check._xcb_plugin()
    if plugin is None or not sys.platform.startswith("linux"):
        pytest.skip("no X11 plugin here")
    assert missing_libraries(plugin) == []
