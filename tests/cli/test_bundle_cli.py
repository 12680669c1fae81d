"""``bundle make-key | export | verify | import`` between two workstations of one center."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lhn_desktop.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_export_verify_import_by_key_file(capsys, demo_path: Path, second: Path, tmp_path: Path) -> None:
    key = tmp_path / "center.key"
    assert run(capsys, "bundle", "make-key", "--out", str(key))[0] == 0
    assert key.stat().st_size == 32
    code, _, err = run(capsys, "bundle", "make-key", "--out", str(key))
    assert code == 2 and "never overwritten" in err

    share = tmp_path / "share"
    share.mkdir()
    code, out, _ = run(capsys, "bundle", "export", "--out", str(share), "--key-file", str(key), "--db", str(demo_path),
                       "--json")  # fmt: skip
    assert code == 0
    bundle = Path(json.loads(out)["bundle"])
    assert bundle.parent == share and bundle.suffix == ".lhnsync" and not list(share.glob("*.part"))

    code, out, _ = run(capsys, "bundle", "verify", str(bundle), "--key-file", str(key), "--db", str(second), "--json")
    summary = json.loads(out)
    assert code == 0 and summary["ok"] and summary["from"] == "demo-ibd" and summary["rows"] > 1000
    assert not summary["already_imported"]

    code, out, _ = run(capsys, "bundle", "import", str(bundle), "--key-file", str(key), "--db", str(second))
    assert code == 0 and "nothing new; this workstation already had everything" in out  # B is a copy of A
    code, out, _ = run(capsys, "bundle", "import", str(bundle), "--key-file", str(key), "--db", str(second))
    assert code == 0 and "already imported; nothing changed" in out


def test_refusals_exit_2_and_say_nothing_changed(capsys, demo_path: Path, second: Path, tmp_path: Path,
                                                 monkeypatch) -> None:  # fmt: skip
    monkeypatch.setenv("LHN_CENTER_PASSPHRASE", "correct horse battery staple")
    share = tmp_path / "share"
    share.mkdir()
    assert run(capsys, "bundle", "export", "--out", str(share), "--db", str(demo_path))[0] == 0
    (bundle,) = share.glob("*.lhnsync")

    monkeypatch.setenv("LHN_CENTER_PASSPHRASE", "a different passphrase")
    code, _, err = run(capsys, "bundle", "import", str(bundle), "--db", str(second))
    assert code == 2 and "Nothing was changed" in err and "center key" in err

    monkeypatch.setenv("LHN_CENTER_PASSPHRASE", "short")
    code, _, err = run(capsys, "bundle", "verify", str(bundle), "--db", str(second))
    assert code == 2 and "at least 12 characters" in err

    monkeypatch.setenv("LHN_CENTER_PASSPHRASE", "correct horse battery staple")
    damaged = tmp_path / bundle.name
    data = bytearray(bundle.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    code, _, err = run(capsys, "bundle", "import", str(damaged), "--db", str(second))
    assert code == 2 and "was not imported" in err and "Nothing was changed" in err

    code, _, err = run(capsys, "bundle", "verify", str(tmp_path / "missing.lhnsync"), "--db", str(second))
    assert code == 2 and "cannot be read" in err


def test_a_key_is_required(capsys, demo_path: Path, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("LHN_CENTER_PASSPHRASE", raising=False)
    code, _, err = run(capsys, "bundle", "export", "--out", str(tmp_path), "--db", str(demo_path))
    assert code == 2 and "--key-file" in err and "bundle make-key" in err  # a new center is told how to make one
    code, _, err = run(capsys, "bundle", "export", "--out", str(tmp_path / "nowhere"), "--key-file",
                       str(tmp_path / "none.key"), "--db", str(demo_path))  # fmt: skip
    assert code != 0 and "no center key file" in err


def test_network_setup_review_export_and_import(capsys, demo_path: Path, tmp_path: Path) -> None:
    ncc = tmp_path / "ncc" / "ncc.sqlite3"
    code, out, _ = run(capsys, "init", "--name", "ImproveCareNow NCC", "--network-center", "--db",
                       str(ncc), "--json")  # fmt: skip
    assert code == 0 and json.loads(out)["site_code"] == "ncc"
    code, _, err = run(capsys, "init", "--site", "ncc", "--name", "Not the network", "--db", str(tmp_path / "x.db"))
    assert code == 2 and "reserved for the network coordinating center" in err

    cards = {}
    for name, db in (("center", demo_path), ("ncc", ncc)):
        cards[name] = tmp_path / f"{name}.card"
        assert run(capsys, "keys", "export", "--out", str(cards[name]), "--db", str(db))[0] == 0
    shown = {name: json.loads(run(capsys, "keys", "show", "--db", str(db), "--json")[1])["fingerprint"]
             for name, db in (("center", demo_path), ("ncc", ncc))}  # fmt: skip
    code, _, err = run(capsys, "trust", "add", str(cards["center"]), "--fingerprint", shown["center"], "--role", "ncc",
                       "--db", str(ncc))  # fmt: skip
    assert code == 2 and "only the network coordinating center" in err
    assert run(capsys, "trust", "add", str(cards["center"]), "--fingerprint", shown["center"], "--db", str(ncc))[0] == 0
    assert run(capsys, "trust", "add", str(cards["ncc"]), "--fingerprint", shown["ncc"], "--role", "ncc", "--db",
               str(demo_path))[0] == 0  # fmt: skip

    code, out, _ = run(capsys, "bundle", "export", "--scope", "network", "--out", str(tmp_path), "--review", "--db",
                       str(demo_path))  # fmt: skip
    kinds = out.split("would carry")[1].split("Free text")[0]
    assert code == 0 and "commons resource" in kinds and "measure month" in kinds
    assert not any(word in kinds for word in ("patient", "visit", "observation", "medication", "PDSA", "team"))
    share = tmp_path / "share"
    share.mkdir()
    code, out, _ = run(capsys, "bundle", "export", "--scope", "network", "--out", str(share), "--db", str(demo_path),
                       "--json")  # fmt: skip
    assert code == 0
    bundle = json.loads(out)["bundle"]
    code, out, _ = run(capsys, "bundle", "import", bundle, "--db", str(ncc))  # no center key asked for
    assert code == 0 and "from demo-ibd" in out and "commons resource" in out
    code, _, err = run(capsys, "bundle", "export", "--scope", "network", "--out", str(share), "--db", str(ncc))
    assert code == 2 and "Choose the center" in err
    code, out, _ = run(capsys, "bundle", "export", "--scope", "network", "--to", "ctr-042", "--out", str(share), "--db",
                       str(ncc), "--json")  # fmt: skip
    assert code == 0 and Path(json.loads(out)["bundle"]).exists()
