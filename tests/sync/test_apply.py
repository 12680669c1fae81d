"""Two workstations of one center exchange center bundles: round trip, conflicts, deletes, idempotence, order."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from lhn_desktop.access import Actor
from lhn_desktop.models.improvement import ImprovementGoal
from lhn_desktop.services.maintenance import _rotate_node
from lhn_desktop.services.sync import SyncService, key_from_passphrase, make_key_file, read_key_file
from lhn_desktop.store import versions
from lhn_desktop.store.database import Database
from lhn_desktop.sync.bundle import BundleRejected

ADMIN = Actor.workstation()


def open_pair(center_path: Path, tmp_path: Path) -> tuple[Database, Database]:
    """Workstation A (the center) and B, set up from a copy of A with its own node id."""
    b_path = tmp_path / "b" / "center.sqlite3"
    b_path.parent.mkdir()
    shutil.copy(center_path, b_path)
    _rotate_node(b_path)
    return Database.open(center_path, tmp_path / "a-backups"), Database.open(b_path, tmp_path / "b-backups")


@pytest.fixture
def pair(center_path: Path, tmp_path: Path):
    a, b = open_pair(center_path, tmp_path)
    yield a, b
    a.close()
    b.close()


KEY = bytes(range(32))


def goal(db: Database, title: str = "Model care") -> str:
    with db.write(ADMIN) as s:
        g = ImprovementGoal(title=title, aim="Raise model care from 70% to 85% by June", start_date=date(2026, 3, 1),
                            end_date=date(2026, 5, 30))  # fmt: skip
        s.add(g)
        s.flush()
        return g.id


def retitle(db: Database, goal_id: str, title: str) -> None:
    with db.write(ADMIN) as s:
        s.get(ImprovementGoal, goal_id).title = title


def remove(db: Database, goal_id: str) -> None:
    with db.write(ADMIN) as s:
        s.delete(s.get(ImprovementGoal, goal_id))


def send(src: Database, dst: Database, folder: Path):
    folder.mkdir(exist_ok=True)
    path = SyncService(src).export_center(ADMIN, folder, KEY)
    return SyncService(dst).import_bundle(ADMIN, path, KEY), path


def dump(db: Database) -> list:
    with db.read() as s:
        values = sorted((e, r, f, n, d, h, vv, v) for e, r, _owner, f, n, d, h, vv, v in versions.scan(s))
        goals = sorted((g.id, g.title, g.has_conflict) for g in s.scalars(select(ImprovementGoal)))
    return [values, goals]


def titles(db: Database, goal_id: str) -> list:
    """The values of every stored version of a goal's title."""
    with db.read() as s:
        stored = versions.read(s, ImprovementGoal.__sync_entity__, [goal_id], only="title").get(goal_id)
    return [v.value() for v in stored.fields["title"]] if stored else []


def shown(db: Database, goal_id: str):
    with db.read() as s:
        g = s.get(ImprovementGoal, goal_id)
        return None if g is None else (g.title, g.has_conflict)


def test_round_trip_and_idempotence(pair, tmp_path: Path):
    a, b = pair
    gid = goal(a)
    report, path = send(a, b, tmp_path / "share")
    assert not report.already_imported and report.records >= 1
    assert shown(b, gid) == ("Model care", False)
    assert dump(a) == dump(b)
    again = SyncService(b).import_bundle(ADMIN, path, KEY)
    assert again.already_imported and dump(a) == dump(b)


def test_sequential_edits_do_not_conflict(pair, tmp_path: Path):
    a, b = pair
    gid = goal(a)
    send(a, b, tmp_path / "s1")
    retitle(b, gid, "Model care at every visit")
    send(b, a, tmp_path / "s2")
    assert shown(a, gid) == ("Model care at every visit", False)
    assert len(titles(a, gid)) == 1


def test_concurrent_edits_keep_both_and_agree_on_the_winner(pair, tmp_path: Path):
    a, b = pair
    gid = goal(a)
    send(a, b, tmp_path / "s1")
    retitle(a, gid, "Title from A")
    retitle(b, gid, "Title from B")
    send(a, b, tmp_path / "s2")
    send(b, a, tmp_path / "s3")
    assert shown(a, gid) == shown(b, gid)
    assert shown(a, gid)[1] is True  # in conflict, both values kept
    assert dump(a) == dump(b)


def test_delete_wins_visibility_and_the_edit_is_kept(pair, tmp_path: Path):
    a, b = pair
    gid = goal(a)
    send(a, b, tmp_path / "s1")
    remove(a, gid)
    retitle(b, gid, "Edited meanwhile")
    send(a, b, tmp_path / "s2")
    send(b, a, tmp_path / "s3")
    assert shown(a, gid) is None and shown(b, gid) is None
    assert "Edited meanwhile" in titles(b, gid)


def test_import_order_does_not_matter(pair, tmp_path: Path, center_path: Path):
    a, b = pair
    gid = goal(a)
    send(a, b, tmp_path / "s0")
    retitle(a, gid, "From A")
    path_a = SyncService(a).export_center(ADMIN, _folder(tmp_path / "x"), KEY)
    goal(b, "Another goal")
    path_b = SyncService(b).export_center(ADMIN, _folder(tmp_path / "y"), KEY)
    c_path = tmp_path / "c" / "center.sqlite3"
    d_path = tmp_path / "d" / "center.sqlite3"
    for p in (c_path, d_path):
        p.parent.mkdir()
        shutil.copy(center_path, p)
        _rotate_node(p)
    c, d = Database.open(c_path, tmp_path / "cb"), Database.open(d_path, tmp_path / "db")
    try:
        for db, order in ((c, (path_a, path_b)), (d, (path_b, path_a))):
            for path in order:
                SyncService(db).import_bundle(ADMIN, path, KEY)
        c_values, d_values = dump(c)[0], dump(d)[0]
        assert c_values == d_values and dump(c)[1] == dump(d)[1]
    finally:
        c.close()
        d.close()


def _folder(path: Path) -> Path:
    path.mkdir(exist_ok=True)
    return path


def test_a_tampered_bundle_changes_nothing(pair, tmp_path: Path):
    a, b = pair
    goal(a)
    path = SyncService(a).export_center(ADMIN, _folder(tmp_path / "s"), KEY)
    bad = tmp_path / "bad.lhnsync"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(bad, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("data/improvement_goal"):
                data = data[:-1] + bytes([data[-1] ^ 1])
            dst.writestr(info, data)
    before = dump(b)
    with pytest.raises(BundleRejected) as caught:
        SyncService(b).import_bundle(ADMIN, bad, KEY)
    assert caught.value.code == "E_HASH_MISMATCH"
    assert dump(b) == before
    with pytest.raises(BundleRejected) as caught:
        SyncService(b).import_bundle(ADMIN, path, bytes(32))
    assert caught.value.code == "E_DECRYPT" and dump(b) == before


def test_unchanged_export_gives_identical_data_files(pair, tmp_path: Path):
    a, _b = pair
    goal(a)
    first = SyncService(a).export_center(ADMIN, _folder(tmp_path / "1"), KEY)
    second = SyncService(a).export_center(ADMIN, _folder(tmp_path / "2"), KEY)
    with zipfile.ZipFile(first) as x, zipfile.ZipFile(second) as y:
        names = [n for n in x.namelist() if n.startswith("data/")]
        assert names and all(x.read(n) == y.read(n) for n in names)


def test_center_keys(tmp_path: Path):
    path = make_key_file(tmp_path / "center.key")
    assert len(read_key_file(path)) == 32
    with pytest.raises(Exception, match="never overwritten"):
        make_key_file(path)
    one = key_from_passphrase("correct horse battery staple", "ctr-042")
    assert one == key_from_passphrase("correct horse battery staple", "ctr-042")
    assert one != key_from_passphrase("correct horse battery staple", "ctr-043")
    with pytest.raises(Exception, match="12 characters"):
        key_from_passphrase("short", "ctr-042")


def test_a_version_superseded_within_the_same_bundle_is_not_stored(db: Database) -> None:
    """Two versions of one field from one workstation, the second having seen the first: only the second is kept,
    as if they had come in two bundles (the first is not stored and then left behind)."""
    from datetime import datetime

    from lhn_desktop.store import sync_apply, versions
    from lhn_desktop.sync.bundle import Row

    site = db.local_node().site_code
    node, record = "node-elsewhere-1", "0f0e0d0c-0000-4000-8000-000000000001"
    rows = [Row(id=record, field="title", node=node, dot=1, hlc="1790000000000-00000", vv={node: 1}, owner=site,
                v="First title"),
            Row(id=record, field="title", node=node, dot=2, hlc="1790000000001-00000", vv={node: 2}, owner=site,
                v="Second title")]  # fmt: skip
    counts = sync_apply.apply_rows(db, ADMIN, {"improvement_goal": rows}, bundle_id="b-1", sha256="0" * 64,
                                   signer_key_id="k", site_id=site, created_at=datetime(2026, 12, 1),
                                   hlc_max_text="1790000000001-00000", now_ms=1790000000002)  # fmt: skip
    with db.read() as s:
        held = versions.read(s, "improvement_goal", [record])[record]
    assert [(v.node, v.dot, v.value()) for v in held.fields["title"]] == [(node, 2, "Second title")]
    assert counts["added"] == 1
