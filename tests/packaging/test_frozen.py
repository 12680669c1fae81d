"""The frozen program (PyInstaller, one folder) starts and works in a clean environment.

Slow: builds with ``installer.spec`` into a temporary folder (about 20-40 s), then runs the frozen
executables with no project or Python packages importable beside them.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def frozen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("PyInstaller", reason="install the test extra: pip install -e '.[test]'")
    work = tmp_path_factory.mktemp("pyinstaller")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level",
            "WARN",
            "--distpath",
            str(work / "dist"),
            "--workpath",
            str(work / "build"),
            str(ROOT / "installer.spec"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    folder = work / "dist" / "lhn-desktop"
    assert (folder / "lhn-desktop").exists()
    assert (folder / "lhn-desktop-cli").exists()
    return folder


def _clean_env(home: Path, platform: str = "offscreen") -> dict[str, str]:
    """A clean environment: no PYTHONPATH, no virtualenv, data under ``home``."""
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "QT_QPA_PLATFORM": platform,
        "LHN_DESKTOP_HOME": str(home / "lhn"),
    }


def _run(exe: Path, *args: str, home: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """Run a frozen executable in a clean environment (plus ``env``), from a folder outside the project."""
    return subprocess.run(
        [str(exe), *args], cwd=home, env=_clean_env(home) | env, capture_output=True, text=True, timeout=300
    )


@pytest.mark.skipif(sys.platform != "linux", reason="the frozen check runs on the Linux build machine")
def test_frozen_program_runs_its_commands_and_smoke(frozen: Path, tmp_path: Path) -> None:
    cli, gui = frozen / "lhn-desktop-cli", frozen / "lhn-desktop"
    from lhn_desktop import __version__

    result = _run(cli, "--version", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"lhn-desktop {__version__}"

    db = tmp_path / "demo.sqlite3"
    result = _run(cli, "demo", "--patients", "12", "--db", str(db), "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["patients"] == 12  # the bundled migrations built the schema

    result = _run(cli, "db", "check", "--db", str(db), "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ok"] is True

    request = tmp_path / "chart.json"
    request.write_text(json.dumps({"chart": "p", "y": [5, 0, 10], "n": [50, 0, 50]}), encoding="utf-8")
    result = _run(cli, "chart", "analyze", str(request), home=tmp_path)
    assert result.returncode == 0, result.stderr
    analysis = json.loads(result.stdout)
    assert analysis["points"][0]["cl"] == 0.15 and analysis["points"][1]["y"] is None
    for out in ("page.pdf", "chart.png", "chart.svg"):  # matplotlib, its fonts and Pillow made it in
        what = ["--all"] if out == "page.pdf" else ["--measure", "remission_pga"]
        result = _run(cli, "chart", "render", *what, "--out", str(tmp_path / out), "--db", str(db), home=tmp_path)
        assert result.returncode == 0, result.stderr
        assert (tmp_path / out).stat().st_size > 5000
    request.write_text(json.dumps({"chart": "t", "y": [3, 0]}), encoding="utf-8")
    result = _run(cli, "chart", "analyze", str(request), home=tmp_path)
    assert result.returncode == 2 and "position 2" in result.stderr

    # sync: the crypto, the sealed center bundle, and the free-text gate with its phone-number data
    key, share = tmp_path / "center.key", tmp_path / "share"
    share.mkdir()
    assert _run(cli, "bundle", "make-key", "--out", str(key), home=tmp_path).returncode == 0
    result = _run(cli, "bundle", "export", "--out", str(share), "--key-file", str(key), "--db", str(db), "--json",
                  home=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    bundle = json.loads(result.stdout)["bundle"]
    result = _run(cli, "bundle", "verify", bundle, "--key-file", str(key), "--db", str(db), "--json", home=tmp_path)
    assert result.returncode == 0 and json.loads(result.stdout)["ok"], result.stderr
    result = _run(cli, "bundle", "export", "--scope", "network", "--review", "--out", str(share), "--db", str(db),
                  "--json", home=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["texts"], "the review lists the free text that would leave"

    # the EHR import's second process (validation beside the import) starts inside the frozen program too
    fhir, new = tmp_path / "fhir", tmp_path / "new.sqlite3"
    fhir.mkdir()
    result = _run(cli, "ehr", "export", "--fhir", str(fhir), "--yes", "--db", str(db), "--json", home=tmp_path)
    assert result.returncode == 0, result.stderr
    folder = json.loads(result.stdout)["folder"]
    # ... into an encrypted database (the default): SQLCipher and SQLAlchemy's pysqlcipher dialect made it in, and
    # keyring's named backend answers "no credential store" here (no desktop session), so a key file keeps the key
    keys = tmp_path / "lhn" / "config" / "keys"
    demo_key = set(keys.glob("*.key"))
    result = _run(cli, "init", "--site", "ctr-9", "--name", "Frozen check", "--db", str(new), "--json",
                  home=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "the key file" in json.loads(result.stdout)["key_kept_in"]
    assert not new.read_bytes().startswith(b"SQLite format 3")
    result = _run(cli, "db", "rekey", "--db", str(new), "--json", home=tmp_path)  # sqlcipher_export and the compare
    assert result.returncode == 0, result.stderr
    recovery = json.loads(result.stdout)["recovery_key"]
    [kept] = set(keys.glob("*.key")) - demo_key
    kept.unlink()  # the workstation's key of the new database is lost: the recovery key opens the data again
    result = _run(cli, "db", "unlock", "--recovery-key", recovery, "--db", str(new), home=tmp_path)
    assert result.returncode == 0, result.stderr
    result = _run(cli, "ehr", "import", folder, "--apply", "--db", str(new), "--json", home=tmp_path,
                  LHN_DESKTOP_VALIDATE_BESIDE_FROM_BYTES="0")  # fmt: skip
    assert result.returncode == 0, result.stderr
    imported = json.loads(result.stdout)
    assert imported["applied"] and imported["counts"]["patients"]["new"] == 12 and not imported["problems"]
    assert "Traceback" not in result.stderr
    log = (tmp_path / "lhn" / "logs" / "lhn-desktop.log").read_text(encoding="utf-8")
    assert "FHIR files validated in a second process: 0 resource(s) not valid" in log

    result = _run(gui, "--db", str(db), "--smoke", home=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "SMOKE OK pages=7" in result.stdout
    assert "frozen=True" in result.stdout
    assert "Traceback" not in result.stderr


def test_frozen_folder_leaves_out_what_it_should(frozen: Path) -> None:
    internal = frozen / "_internal"
    assert (internal / "resources" / "style.qss").exists()
    assert list((internal / "lhn_desktop" / "store" / "migrations" / "versions").glob("0001_*.py"))
    assert not list(internal.rglob("tkinter"))
    assert not (internal / "PySide6" / "Qt" / "translations").exists()
    assert not list(internal.rglob("libqgtk3.so"))
    size = sum(p.stat().st_size for p in frozen.rglob("*") if p.is_file() and not p.is_symlink())
    assert size < 300 * 1024 * 1024  # a guard against accidentally collecting large extras
    assert shutil.which("lhn-desktop-cli", path=str(frozen)) is not None


@pytest.mark.skipif(shutil.which("ldd") is None, reason="needs ldd")
def test_pruned_bundle_has_no_missing_or_dangling_libraries(frozen: Path) -> None:
    internal = frozen / "_internal"
    dangling = [str(p) for p in internal.rglob("*") if p.is_symlink() and not p.exists()]
    assert dangling == []
    plugins = internal / "PySide6" / "Qt" / "plugins"
    targets = [
        frozen / "lhn-desktop",
        *sorted((plugins / "platforms").glob("*.so")),
        *sorted((plugins / "imageformats").glob("*.so")),
    ]
    env = {"LD_LIBRARY_PATH": f"{internal}:{internal / 'PySide6' / 'Qt' / 'lib'}", "PATH": "/usr/bin:/bin"}
    missing = {}
    for target in targets:
        out = subprocess.run(["ldd", str(target)], capture_output=True, text=True, env=env).stdout
        lost = [line.split()[0] for line in out.splitlines() if "not found" in line]
        if lost:
            missing[target.name] = lost
    # Left to the target system by design (PyInstaller never bundles them): xcb helpers and Wayland.
    optional = ("libxcb-", "libwayland-")
    assert {
        k: [n for n in v if not n.startswith(optional)]
        for k, v in missing.items()
        if [n for n in v if not n.startswith(optional)]
    } == {}


def _png_size(path: Path) -> tuple[int, int]:
    import struct

    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs Debian's xvfb (installed by .ci/run)")
def test_frozen_window_on_a_real_x_display(frozen: Path, tmp_path: Path) -> None:
    """The frozen window on Xvfb through Qt's xcb platform (a real X window, not offscreen)."""
    db = tmp_path / "demo.sqlite3"
    assert _run(frozen / "lhn-desktop-cli", "demo", "--patients", "12", "--db", str(db), home=tmp_path).returncode == 0
    shots = tmp_path / "shots"
    env = _clean_env(tmp_path, platform="xcb")
    result = subprocess.run(
        [
            "xvfb-run",
            "-a",
            "-s",
            "-screen 0 1280x800x24",
            str(frozen / "lhn-desktop"),
            "--db",
            str(db),
            "--smoke",
            "--screenshots",
            str(shots),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "SMOKE OK pages=7 exposed=True frozen=True" in result.stdout
    pictures = sorted(shots.glob("*.png"))
    assert len(pictures) == 7
    width, height = _png_size(pictures[0])
    assert width >= 1000
    assert height >= 600
