"""``bundle import|verify`` on files a person can drop in the shared folder (issue 18, items 4 and 6): a damaged
file is refused with a code and a message, never an "unexpected error", and the import carries on with the next
file, reporting each one (imported, already imported, refused with its reason)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from lhn_desktop.access import Actor
from lhn_desktop.models.improvement import ImprovementGoal
from lhn_desktop.store.database import Database
from tests.cli.test_bundle_cli import run
from tests.unit.test_bundle_hostile import broken_deflate, changed_method

PASSPHRASE = "correct horse battery staple"
REPORT_KEYS = {"file", "already_imported", "added", "records", "conflicts", "hidden", "sender", "kinds"}


def _goals(path: Path) -> set[str]:
    from sqlalchemy import select

    db = Database.open(path, path.parent / "backups")
    try:
        with db.read() as s:
            return set(s.scalars(select(ImprovementGoal.title)))
    finally:
        db.close()


@pytest.fixture
def bundles(capsys, demo_path: Path, tmp_path: Path, monkeypatch) -> dict[str, Path]:
    """GOOD (a copy of what the second workstation holds), DAMAGED (a flipped byte), BROKEN (the 154-byte file
    with a broken manifest deflate stream), METHOD (a changed compression method) and GOOD2 (a new goal)."""
    monkeypatch.setenv("LHN_CENTER_PASSPHRASE", PASSPHRASE)
    share = tmp_path / "share"
    share.mkdir()
    assert run(capsys, "bundle", "export", "--out", str(share), "--db", str(demo_path))[0] == 0
    (good,) = share.glob("*.lhnsync")
    db = Database.open(demo_path, demo_path.parent / "backups")
    try:
        with db.write(Actor.workstation()) as s:
            s.add(ImprovementGoal(title="Fewer missed labs", aim="Cut missed labs from 20% to 10% by June",
                                  start_date=date(2026, 3, 1), end_date=date(2026, 6, 30)))  # fmt: skip
    finally:
        db.close()
    later = tmp_path / "later"
    later.mkdir()
    assert run(capsys, "bundle", "export", "--out", str(later), "--db", str(demo_path))[0] == 0
    (good2,) = later.glob("*.lhnsync")
    damaged = tmp_path / "damaged.lhnsync"
    data = bytearray(good.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged.write_bytes(bytes(data))
    return {"GOOD": good, "DAMAGED": damaged, "BROKEN": broken_deflate(tmp_path), "METHOD": changed_method(tmp_path),
            "GOOD2": good2}  # fmt: skip


@pytest.mark.parametrize("make", [broken_deflate, changed_method])
def test_a_hostile_file_alone_is_refused_with_a_message(capsys, second: Path, tmp_path: Path, make, monkeypatch):
    monkeypatch.setenv("LHN_CENTER_PASSPHRASE", PASSPHRASE)
    path = make(tmp_path)
    for command in ("verify", "import"):
        code, out, err = run(capsys, "bundle", command, str(path), "--db", str(second))
        assert code == 2, command
        assert "unexpected error" not in err and f"{path.name} was not imported" in err, command
        assert "Nothing was changed" in err and "Ask the sender for a new bundle" in err, command
    code, out, _ = run(capsys, "bundle", "import", str(path), "--db", str(second), "--json")
    result = json.loads(out)
    assert code == 2 and result["exit_code"] == 2 and "was not imported" in result["error"]
    (only,) = result["files"]
    assert only["outcome"] == "refused" and only["code"] in ("E_ZIP_CORRUPT", "E_ZIP_LAYOUT")


def test_each_file_is_reported_and_a_damaged_one_does_not_stop_the_others(capsys, second: Path, bundles, monkeypatch):
    monkeypatch.setenv("LHN_CENTER_PASSPHRASE", PASSPHRASE)
    order = ["GOOD", "DAMAGED", "BROKEN", "METHOD", "GOOD2"]
    files = [str(bundles[name]) for name in order]
    assert "Fewer missed labs" not in _goals(second)

    code, out, err = run(capsys, "bundle", "import", *files, "--db", str(second))
    assert code == 2 and "unexpected error" not in err
    assert "Fewer missed labs" in _goals(second)  # GOOD2, after the damaged files, was imported
    assert f"{bundles['GOOD'].name} from demo-ibd: nothing new" in out
    assert f"{bundles['GOOD2'].name} from demo-ibd: 1 record changed" in out
    for name in ("DAMAGED", "BROKEN", "METHOD"):
        assert f"{bundles[name].name} was not imported" in err, name
    assert "5 bundles: 2 imported, 3 not imported (each changed nothing" in out

    code, out, err = run(capsys, "bundle", "import", *files, "--db", str(second), "--json")
    assert code == 2
    result = json.loads(out)
    assert result["exit_code"] == 2 and result["error"].count("was not imported") == 3
    outcomes = result["files"]
    assert [o["outcome"] for o in outcomes] == ["already_imported", "refused", "refused", "refused", "already_imported"]
    assert [o["file"] for o in outcomes] == [bundles[name].name for name in order]
    assert all(set(o) >= REPORT_KEYS for o in outcomes)  # the report's fields stay, for every file
    refused = outcomes[1:4]
    # the damaged copy of GOOD, whose id was imported already, is a replay with other content
    assert [o["code"] for o in refused] == ["E_REPLAY_CONFLICT", "E_ZIP_CORRUPT", "E_ZIP_LAYOUT"]
    assert all(o["reason"] and "Nothing was changed" in o["message"] for o in refused)


def test_the_json_of_a_clean_import_keeps_its_shape(capsys, second: Path, bundles, monkeypatch):
    """DESIGN.md section 5: the JSON of ``bundle import`` gains fields, loses none."""
    monkeypatch.setenv("LHN_CENTER_PASSPHRASE", PASSPHRASE)
    code, out, _ = run(capsys, "bundle", "import", str(bundles["GOOD2"]), "--db", str(second), "--json")
    assert code == 0
    (report,) = json.loads(out)
    assert set(report) >= REPORT_KEYS and report["outcome"] == "imported" and report["added"] > 0
    assert report["sender"] == "demo-ibd" and not report["already_imported"]
    code, out, _ = run(capsys, "bundle", "import", str(bundles["GOOD2"]), "--db", str(second))
    assert code == 0 and "already imported; nothing changed" in out and "bundles:" not in out  # one file: no tally
