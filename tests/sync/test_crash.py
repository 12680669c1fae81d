"""Crash safety of import and export (SYNC.md 3.5; acceptance tests 31-33).

A child Python process imports (or exports) a bundle of the demo center and is killed with SIGKILL at
random moments; the database it leaves must pass ``integrity_check`` and ``foreign_key_check`` and
hold exactly the state from before the import or the state after it, and importing again must work.
A full disk is simulated with ``PRAGMA max_page_count`` on the import's connection.
"""

from __future__ import annotations

import os
import random
import select
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from lhn_desktop.access import Actor
from lhn_desktop.services.center import DEMO_SITE, create_center
from lhn_desktop.services.sync import SyncService
from lhn_desktop.services.trust import TrustService
from lhn_desktop.store import versions
from lhn_desktop.store.database import Database
from lhn_desktop.store.engine import create_db_engine
from lhn_desktop.sync.bundle import SUFFIX, BundleRejected
from tests.sync.test_integrity import dump

ADMIN = Actor.workstation()
CENTER_KEY = bytes(range(32))
ROOT = Path(__file__).resolve().parents[2]

#: Kill points per run: the 50 SYNC.md asks for. Each costs about 0.7 s here (a new Python process that opens
#: the database and verifies the bundle before the kill), so the test is marked slow; LHN_KILL_POINTS=10 gives a
#: quicker run while working on the code. The seed is printed on failure and can be replayed with LHN_CRASH_SEED.
KILL_POINTS = int(os.environ.get("LHN_KILL_POINTS", "50"))
EXPORT_KILL_POINTS = 6
SEED = int(os.environ.get("LHN_CRASH_SEED", str(time.time_ns() % 1_000_000)))

#: Columns that hold the time of the run (the import's own timestamps, the audit chain, the clock after
#: receiving), so two complete imports of the same bundle differ only there.
VOLATILE = {
    "sync_import_log": {"imported_at"},
    "audit_event": {"at", "prev_hash", "hash"},
    "sync_node": {"hlc_wall_ms", "hlc_counter"},
    "sync_peer": {"heard_at"},
}

IMPORT_CHILD = """
import sys
from pathlib import Path
from sqlalchemy import event
from lhn_desktop.access import Actor
from lhn_desktop.services.sync import SyncService
from lhn_desktop.store import sync_apply
from lhn_desktop.store.database import Database

path, backups, bundle, key = sys.argv[1:5]
apply_rows = sync_apply.apply_rows
applying = []

def marked(*args, **kwargs):
    applying.append(True)
    print("apply", flush=True)
    return apply_rows(*args, **kwargs)

sync_apply.apply_rows = marked
sys.stdin.readline()  # loaded ahead of time; go on when the test says so
db = Database.open(Path(path), Path(backups))

@event.listens_for(db.engine, "before_cursor_execute")
def statement(*_args):
    if applying:
        print("sql", flush=True)

@event.listens_for(db.engine, "commit")
def commit(*_args):
    if applying:
        print("commit", flush=True)

print("ready", flush=True)
report = SyncService(db).import_bundle(Actor.workstation(), bundle, bytes.fromhex(key))
print("done", report.already_imported, flush=True)
"""

EXPORT_CHILD = """
import sys
import time
from pathlib import Path
from lhn_desktop.access import Actor
from lhn_desktop.services.sync import SyncService
from lhn_desktop.store.database import Database
from lhn_desktop.sync import bundle

path, backups, key = sys.argv[1:4]
member = bundle._member
count = [0]

def marked(zf, name, data):
    count[0] += 1
    print("member", count[0], flush=True)
    if count[0] == pause_at:
        time.sleep(60)  # held here, with the .part file half written, until the test kills the process
    member(zf, name, data)

bundle._member = marked
folder, pause_at = sys.stdin.readline().split()  # loaded ahead of time; go on when the test says where to
pause_at = int(pause_at)
db = Database.open(Path(path), Path(backups))
print("ready", flush=True)
SyncService(db).export_center(Actor.workstation(), folder, bytes.fromhex(key))
print("done", flush=True)
"""


# -- database state ---------------------------------------------------------------------------------------------


def snapshot(path: Path) -> dict[str, list[tuple]]:
    """Every row of every table, sorted, without the VOLATILE columns."""
    conn = sqlite3.connect(path)
    try:
        out = {}
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"):
            cursor = conn.execute(f'SELECT * FROM "{table}"')
            names = [c[0] for c in cursor.description]
            keep = [i for i, n in enumerate(names) if n not in VOLATILE.get(table, ())]
            out[table] = sorted((tuple(r[i] for i in keep) for r in cursor), key=repr)
        return out
    finally:
        conn.close()


def stored_versions(path: Path) -> int:
    """How many field versions the database file holds."""
    engine = create_db_engine(path)
    try:
        with Session(engine) as s:
            return versions.count(s)
    finally:
        engine.dispose()


def checks(path: Path) -> tuple[list, list]:
    """``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check`` on a fresh connection."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchall(), conn.execute("PRAGMA foreign_key_check").fetchall()
    finally:
        conn.close()


def copy_db(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm"):
        Path(f"{dst}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(src, dst)
    return dst


# -- child processes --------------------------------------------------------------------------------------------


def start(script: str, *args) -> subprocess.Popen:
    """A child that loads the program, then waits for :func:`go` (so the next one can load while one runs)."""
    return subprocess.Popen(
        [sys.executable, "-c", script, *map(str, args)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        bufsize=0,
    )


def go(child: subprocess.Popen, *words) -> subprocess.Popen:
    """Let a child started by :func:`start` go on, telling it ``words`` (the export's folder and pause)."""
    child.stdin.write((" ".join(map(str, words)) or "go").encode() + b"\n")
    return child


def wait_for(child: subprocess.Popen, *words: bytes, timeout: float = 60) -> bytes | None:
    """Read the child's lines until one starts with one of ``words`` and return it; None when the child ended."""
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        if not select.select([child.stdout], [], [], left)[0]:
            break
        line = child.stdout.readline()
        if not line:
            return None
        if line.startswith(words):
            return line
    child.kill()
    raise AssertionError(f"the child said none of {words} within {timeout} s: {child.stderr.read().decode()[-2000:]}")


def kill(child: subprocess.Popen) -> bool:
    """SIGKILL the child; True when it was still running (so the kill interrupted it)."""
    child.send_signal(signal.SIGKILL)
    code = child.wait()
    errors = child.stderr.read().decode()
    for stream in (child.stdin, child.stdout, child.stderr):
        stream.close()
    assert code in (0, -signal.SIGKILL), f"the child failed on its own (exit {code}): {errors[-2000:]}"
    return code == -signal.SIGKILL


# -- the demo center and a second workstation that has nothing yet ----------------------------------------------


@pytest.fixture(scope="module")
def crash_setup(demo_template: Path, tmp_path_factory: pytest.TempPathFactory):
    """The demo center's bundle; workstation B's database before importing it; the states before and after.

    B is a workstation of the same center set up on its own (empty), which trusts the demo workstation's key,
    so the import carries the whole demo center (about 21,000 field versions) in one transaction. How long
    the export and a child's apply transaction take here sets the range of the random kill moments.
    """
    root = tmp_path_factory.mktemp("crash")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LHN_DESKTOP_HOME", str(root / "home"))
        a = Database.open(copy_db(demo_template, root / "a" / "center.sqlite3"), root / "a" / "backups")
        (root / "b").mkdir()
        b = Database.open(root / "b" / "center.sqlite3", root / "b" / "backups", create=True)
        create_center(b, DEMO_SITE, "Demo Children's IBD Center (synthetic data)", network=None, actor=ADMIN, demo=True)
        card = TrustService(a).my_card()
        TrustService(b).add(ADMIN, card, card.fingerprint)
        share = root / "share"
        share.mkdir()
        began = time.perf_counter()
        bundle = SyncService(a).export_center(ADMIN, share, CENTER_KEY)
        export_seconds = time.perf_counter() - began
        a.close()
        b.close()
        before, before_dump = snapshot(b.path), dump(b.path)

        reference = copy_db(b.path, root / "reference" / "center.sqlite3")
        child = go(start(IMPORT_CHILD, reference, root / "reference" / "backups", bundle, CENTER_KEY.hex()))
        assert wait_for(child, b"apply")
        began, statements = time.perf_counter(), 0
        while wait_for(child, b"sql", b"commit") == b"sql\n":
            statements += 1
        apply_seconds = time.perf_counter() - began
        assert wait_for(child, b"done") == b"done False\n"
        assert child.wait(timeout=60) == 0
        kill(child)  # closes its pipes
    after = snapshot(reference)
    assert after != before and stored_versions(reference) > 10_000
    return {
        "a": a.path,
        "b": b.path,
        "bundle": bundle,
        "before": before,
        "before_dump": before_dump,
        "after": after,
        "apply_seconds": apply_seconds,
        "statements": statements,
        "export_seconds": export_seconds,
    }


# -- 31. kill -9 during import ----------------------------------------------------------------------------------


@pytest.mark.slow
def test_kill_during_import_leaves_the_state_before_or_after_and_import_again_works(crash_setup, tmp_path: Path):
    """The first kill point is the commit, the others random statements of the apply transaction, each plus a
    random part of the time one statement takes (the child reports each statement as it starts, so where the
    kills land does not depend on how busy the machine is).

    A database killed before the commit is imported into again by the next child, so each import after the
    first runs on a database recovered from a crash; one killed after the commit starts over from the state
    before. At the end an uninterrupted import on the crash-recovered database must give the state after.
    """
    s = crash_setup
    rng = random.Random(SEED)
    path = copy_db(s["b"], tmp_path / "b" / "center.sqlite3")
    args = (IMPORT_CHILD, path, tmp_path / "b" / "backups", s["bundle"], CENTER_KEY.hex())
    per_statement = s["apply_seconds"] / s["statements"]
    outcomes: list[tuple[str, bool]] = []
    spare = start(*args)
    for point in range(KILL_POINTS):
        if outcomes and outcomes[-1][0] == "after":
            copy_db(s["b"], path)  # start over from the state before
        target = s["statements"] + 1 if point == 0 else rng.randint(1, s["statements"])  # the first at the commit
        delay = rng.uniform(0, per_statement)
        child = go(spare)
        spare = start(*args) if point < KILL_POINTS - 1 else None  # loads while this one runs
        assert wait_for(child, b"apply")
        for _ in range(target):
            if wait_for(child, b"sql", b"commit") in (None, b"commit\n"):
                break
        time.sleep(delay)
        interrupted = kill(child)
        where = f"kill point {point} (statement {target}, +{delay * 1000:.1f} ms; LHN_CRASH_SEED={SEED})"
        assert checks(path) == ([("ok",)], []), where
        state = snapshot(path)
        assert state in (s["before"], s["after"]), where
        if state == s["before"]:
            assert dump(path) == s["before_dump"], where
        outcomes.append(("before" if state == s["before"] else "after", interrupted))
    assert ("before", True) in outcomes, f"no kill landed inside the transaction: {outcomes} (seed {SEED})"
    db = Database.open(path, tmp_path / "b" / "backups")
    try:
        report = SyncService(db).import_bundle(ADMIN, s["bundle"], CENTER_KEY)
    finally:
        db.close()
    assert report.already_imported == (outcomes[-1][0] == "after")
    assert checks(path) == ([("ok",)], [])
    assert snapshot(path) == s["after"]


# -- 32. kill -9 during export ----------------------------------------------------------------------------------


def test_kill_during_export_leaves_a_complete_bundle_or_an_ignored_part_file(crash_setup, tmp_path: Path):
    """Every other kill point holds the exporter between two zip members, so a .part file is certainly half
    written when it is killed; the others are random moments of the whole export."""
    s = crash_setup
    rng = random.Random(SEED)
    path = copy_db(s["a"], tmp_path / "a" / "center.sqlite3")
    seen = set()
    args = (EXPORT_CHILD, path, tmp_path / "a" / "backups", CENTER_KEY.hex())
    spare = start(*args)
    for point in range(EXPORT_KILL_POINTS):
        share = tmp_path / f"share{point}"
        share.mkdir()
        pause_at = rng.randint(1, 4) if point % 2 == 0 else 0
        child = go(spare, share, pause_at)
        spare = start(*args) if point < EXPORT_KILL_POINTS - 1 else None  # loads while this one runs
        assert wait_for(child, b"ready")
        if pause_at:
            while (line := wait_for(child, b"member")) and int(line.split()[1]) != pause_at:
                pass
        else:
            time.sleep(rng.uniform(0, 1.2 * s["export_seconds"]))
        kill(child)
        where = f"export kill point {point} (held at member {pause_at}; LHN_CRASH_SEED={SEED})"
        names = sorted(p.name for p in share.iterdir())
        assert len(names) <= 1 and all(n.endswith((SUFFIX, SUFFIX + ".part")) for n in names), (where, names)
        complete = SyncService.bundles_in(share)
        assert [p.name for p in complete] == [n for n in names if n.endswith(SUFFIX)], where
        db = Database.open(path, tmp_path / "a" / "backups")
        try:
            for bundle in complete:
                assert SyncService(db).verify(bundle, CENTER_KEY).rows, where
            if pause_at:
                assert names and names[0].endswith(".part"), where  # held mid-write: only the .part is there
                with pytest.raises(BundleRejected):
                    SyncService(db).verify(share / names[0], CENTER_KEY)
        finally:
            db.close()
        assert checks(path) == ([("ok",)], []), where
        seen.add("complete" if complete else "part" if names else "nothing")
    assert "part" in seen, seen


# -- 33. disk full ----------------------------------------------------------------------------------------------


def test_a_full_disk_mid_import_rolls_back_and_is_reported(crash_setup, tmp_path: Path, monkeypatch):
    s = crash_setup
    path = copy_db(s["b"], tmp_path / "b" / "center.sqlite3")
    conn = sqlite3.connect(path)
    pages = conn.execute("PRAGMA page_count").fetchone()[0]
    conn.close()
    before = dump(path)
    db = Database.open(path, tmp_path / "b" / "backups")
    written = []
    write = versions.write

    def small_disk(dbapi_conn, _record) -> None:
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages + 300}")

    def counted(conn, entity, changes) -> int:
        added = write(conn, entity, changes)
        if added:  # versions added, and the write went through
            written.append(added)
        return added

    event.listen(db.engine, "connect", small_disk)
    monkeypatch.setattr(versions, "write", counted)
    db.engine.dispose()  # the connections opened so far close: every one from now on has the small disk
    try:
        with pytest.raises(BundleRejected) as caught:
            SyncService(db).import_bundle(ADMIN, s["bundle"], CENTER_KEY)
    finally:
        event.remove(db.engine, "connect", small_disk)
        monkeypatch.undo()
        db.engine.dispose()  # space is free again: the connections from now on have no limit
    assert written, "the disk filled up before the import had written anything"
    assert caught.value.code == "E_APPLY"
    message = str(caught.value)
    assert s["bundle"].name in message and "disk is full" in message and "Nothing was changed" in message
    assert checks(path) == ([("ok",)], [])
    assert dump(path) == before
    report = SyncService(db).import_bundle(ADMIN, s["bundle"], CENTER_KEY)
    db.close()
    assert not report.already_imported and report.added > 10_000
    assert snapshot(path) == s["after"]
