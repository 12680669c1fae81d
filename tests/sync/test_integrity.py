"""Integrity and security of bundle import (SYNC.md 2.2, 3.3; acceptance tests 15-26).

Every bad bundle is refused with a coded ``BundleRejected`` and changes nothing. Where an acceptance
test speaks of the database, a real center database is imported into through ``SyncService`` and
dumped before and after; the file-level checks call ``read_bundle`` on crafted files, signed with a
test key when a check lies behind the signature.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import random
import signal
import stat
import string
import struct
import time
import tracemalloc
import warnings
import zipfile
import zlib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_der_private_key
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from lhn_desktop.access import Actor
from lhn_desktop.models.improvement import ImprovementGoal
from lhn_desktop.services.center import init_center_database, key_id
from lhn_desktop.services.sync import SyncService
from lhn_desktop.services.trust import KeyCard, TrustService
from lhn_desktop.store import cipher, sync_apply, versions
from lhn_desktop.store.database import Database
from lhn_desktop.store.engine import create_db_engine
from lhn_desktop.store.rekey import table_digests
from lhn_desktop.sync import bundle as bundle_module
from lhn_desktop.sync.bundle import SIGNATURE_TAG, BundleRejected, Signer, VerifiedBundle, read_bundle, write_bundle

ADMIN = Actor.workstation()
SITE = "ctr-042"
CENTER_KEY = bytes(range(32))
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
HLC = f"{int(NOW.timestamp() * 1000):013d}-00000"
NODE = "9b0c7a6e-1111-4a2b-8c3d-000000000001"
TEST_KEY = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"lhn-desktop test signer").digest())
TEST_PUBLIC = TEST_KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
TEST_KEY_ID = key_id(TEST_PUBLIC)
TEST_SOURCE = {"site_id": SITE, "node_id": NODE, "key_id": TEST_KEY_ID, "app_version": "0.1.0"}
MiB = 1024 * 1024


# -- databases --------------------------------------------------------------------------------------------------


def dump(path: Path) -> tuple[list[tuple], dict[str, tuple[int, str]]]:
    """A database file's schema and every table's rows (count and digest), plain or encrypted, for "nothing was
    changed"."""
    conn = cipher.connect(path)
    try:
        schema = conn.execute("SELECT type, name, sql FROM sqlite_master ORDER BY type, name").fetchall()
        return schema, table_digests(conn)
    finally:
        conn.close()


def data_dump(path: Path) -> list[tuple]:
    """The synced data only: every field version and every displayed syncable row (logs and clocks left out)."""
    engine = create_db_engine(path)
    try:
        with Session(engine) as s, s.begin():
            out = [("versions", *row) for row in versions.scan(s)]
    finally:
        engine.dispose()
    conn = cipher.connect(path)
    try:
        for table in sorted(t.name for t in sync_apply.syncable_tables().values()):
            out += [(table, *row) for row in sorted(conn.execute(f'SELECT * FROM "{table}"'), key=repr)]
        return out
    finally:
        conn.close()


def import_log(path: Path) -> list[tuple[str, str]]:
    conn = cipher.connect(path)
    try:
        return sorted(conn.execute("SELECT bundle_id, result FROM sync_import_log"))
    finally:
        conn.close()


def signing_key(db: Database) -> Ed25519PrivateKey:
    return load_der_private_key(db.local_node().private_key, password=None)


def source_of(db: Database) -> dict[str, str]:
    node = db.local_node()
    return {"site_id": node.site_code, "node_id": node.node_id, "key_id": node.key_id, "app_version": "0.1.0"}


def card_of(db: Database) -> KeyCard:
    return TrustService(db).my_card()


def new_center(tmp_path: Path, name: str, site: str, **options) -> Database:
    """A center database set up on its own (its own workstation key)."""
    path = tmp_path / name / "center.sqlite3"
    init_center_database(
        path, tmp_path / name / "backups", site, f"Workstation {name}", network=None, actor=ADMIN, **options
    )
    return Database.open(path, tmp_path / name / "backups")


def add_goal(db: Database, title: str) -> str:
    with db.write(ADMIN) as s:
        goal = ImprovementGoal(
            title=title,
            aim="Raise model care from 70% to 85% by June",
            start_date=date(2026, 3, 1),
            end_date=date(2026, 5, 30),
        )
        s.add(goal)
        s.flush()
        return goal.id


def folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def rejected(call, code: str) -> BundleRejected:
    """Run ``call``; it must raise BundleRejected with ``code`` and say that nothing was changed."""
    with pytest.raises(BundleRejected) as caught:
        call()
    assert caught.value.code == code, str(caught.value)
    assert "Nothing was changed" in str(caught.value)
    return caught.value


# -- crafting bundle files --------------------------------------------------------------------------------------


def row(record: str, field: str, value, dot: int = 1, owner: str = SITE, hlc: str = HLC, node: str = NODE) -> dict:
    return {
        "id": record,
        "field": field,
        "node": node,
        "dot": dot,
        "hlc": hlc,
        "vv": {node: dot},
        "owner": owner,
        "v": value,
    }


def line(**changes) -> bytes:
    return json.dumps(row("r1", "title", "A checklist") | changes, sort_keys=True).encode()


def letters(count: int, alphabet: str = string.ascii_letters) -> str:
    """Text that does not compress much (a run of one letter would trip the 200:1 ratio check)."""
    return "".join(random.Random(count).choices(alphabet, k=count))


GOOD_LINE = line()


def trust_test_key(key: str) -> Signer | None:
    return Signer(TEST_PUBLIC, SITE, "node") if key == TEST_KEY_ID else None


def read(path: Path, **options) -> VerifiedBundle:
    """read_bundle at this center, trusting the test key."""
    defaults = {"trust": trust_test_key, "local_site": SITE, "center_key": CENTER_KEY, "now": NOW}
    return read_bundle(path, **(defaults | options))


def written(tmp_path: Path, rows: dict[str, list[dict]] | None = None, scope: str = "network", **options) -> Path:
    """A bundle written by the product's writer with the test key."""
    return write_bundle(
        rows or {"resource": [row("r1", "title", "A checklist"), row("r1", "_deleted", False)]},
        scope=scope,
        source=TEST_SOURCE,
        audience_site=SITE,
        sign=TEST_KEY.sign,
        hlc_max=HLC,
        folder=folder(tmp_path / "out"),
        center_key=CENTER_KEY if scope == "center" else None,
        created_at=NOW,
        **options,
    )


def manifest_for(data: dict[str, bytes], scope: str = "network") -> tuple[dict, list[tuple[str, bytes]]]:
    """A valid manifest for raw data files (sealed under the center key for center scope), and the members."""
    files, members = [], []
    for entity, plain in sorted(data.items()):
        path, body, nonce = f"data/{entity}.ndjson", plain, None
        if scope == "center":
            body, nonce = bundle_module._seal(CENTER_KEY, path, plain, SITE)
            path += ".enc"
        entry = {
            "path": path,
            "entity": entity,
            "sha256": hashlib.sha256(body).hexdigest(),
            "bytes": len(body),
            "rows": sum(1 for x in plain.split(b"\n") if x),
        }
        if nonce:
            entry["nonce"] = nonce
        files.append(entry)
        members.append((path, body))
    manifest = {
        "format": "qi-sync-bundle",
        "format_version": 1,
        "bundle_id": "00000000-0000-4000-8000-0000000000aa",
        "kind": "full",
        "scope": scope,
        "source": dict(TEST_SOURCE),
        "audience": {"site_id": SITE},
        "created_at": "2026-03-02T12:00:00Z",
        "hlc_max": HLC,
        "schema_version": "1.0",
        "min_reader_schema": "1.0",
        "files": files,
        "counts": {},
    }
    return manifest, members


def assemble(
    manifest: dict | bytes,
    members: list[tuple[str, bytes]],
    key: Ed25519PrivateKey = TEST_KEY,
    key_name: str = TEST_KEY_ID,
) -> bytes:
    """A zip of manifest.json (exact bytes when given bytes), its signature under ``key``, and ``members``."""
    body = manifest if isinstance(manifest, bytes) else json.dumps(manifest, indent=1).encode()
    sig = json.dumps(
        {"alg": "ed25519", "key_id": key_name, "sig": base64.b64encode(key.sign(SIGNATURE_TAG + body)).decode()}
    ).encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", body)
        zf.writestr("manifest.sig", sig)
        for name, data in members:
            zf.writestr(name, data)
    return buffer.getvalue()


def signed(tmp_path: Path, data: dict[str, bytes], *, scope: str = "network", edit=None, name: str = "x") -> Path:
    """A bundle signed with the test key around raw data files; ``edit(manifest)`` may change the manifest."""
    manifest, members = manifest_for(data, scope)
    if edit is not None:
        edit(manifest)
    path = folder(tmp_path / "crafted") / f"{name}.lhnsync"
    path.write_bytes(assemble(manifest, members))
    return path


def resign(path: Path, key: Ed25519PrivateKey, *, edit, out: Path | None = None) -> Path:
    """A copy of a real bundle whose manifest is changed by ``edit(manifest)`` and signed again with ``key``; the
    data members are kept as they are."""
    with zipfile.ZipFile(path) as zf:
        manifest_bytes = zf.read("manifest.json")
        key_name = json.loads(zf.read("manifest.sig"))["key_id"]
        members = [(i.filename, zf.read(i)) for i in zf.infolist() if i.filename.startswith(("data/", "files/"))]
    manifest = json.loads(manifest_bytes)
    edit(manifest)
    manifest_bytes = json.dumps(manifest, indent=1).encode()
    target = out or path.with_name("resigned.lhnsync")
    target.write_bytes(assemble(manifest_bytes, members, key, key_name))
    return target


def rezip(path: Path, change, out: Path) -> Path:
    """A copy of a bundle with members rewritten through ``change(name, data) -> data`` (zip CRCs stay right)."""
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, change(info.filename, src.read(info)))
    return out


def local_header(
    name: str,
    data: bytes,
    method: int = zipfile.ZIP_STORED,
    crc: int | None = None,
    csize: int | None = None,
    usize: int | None = None,
    flags: int = 0,
) -> bytes:
    """A zip local file header followed by the member's data."""
    crc, csize, usize = zlib.crc32(data) if crc is None else crc, csize or len(data), usize or len(data)
    fields = (0x04034B50, 20, flags, method, 0, 0x21, crc, csize, usize, len(name.encode()), 0)
    return struct.pack("<IHHHHHIIIHH", *fields) + name.encode() + data


def raw_zip(entries: list[dict]) -> bytes:
    """A zip written field by field, so its headers can say anything: sizes, flags, modes, offsets.

    Each entry: ``name``, ``data`` (the stored or compressed bytes), and optionally ``method``, ``crc``,
    ``usize`` (declared size), ``csize``, ``flags``, ``mode`` and ``at`` (point at a local header already
    written instead of writing a new one).
    """
    body, central = bytearray(), bytearray()
    for e in entries:
        name = e["name"].encode()
        data = e.get("data", b"")
        method = e.get("method", zipfile.ZIP_STORED)
        flags = e.get("flags", 0) | (0x800 if not e["name"].isascii() else 0)
        crc, csize, usize = e.get("crc", zlib.crc32(data)), e.get("csize", len(data)), e.get("usize", len(data))
        if "at" in e:
            offset = e["at"]
        else:
            offset = len(body)
            body += local_header(e["name"], data, method, crc, csize, usize, flags)
        header = (0x02014B50, 0x0314, 20, flags, method, 0, 0x21, crc, csize, usize, len(name), 0, 0, 0, 0)
        central += struct.pack("<IHHHHHHIIIHHHHHII", *header, e.get("mode", 0o100644) << 16, offset) + name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(body), 0)
    return bytes(body + central + end)


def zeros_stream(total: int) -> bytes:
    """A raw DEFLATE stream of ``total`` zero bytes (a multiple of 1 MiB), built from one repeated block."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(b"\0" * MiB) + compressor.flush(zlib.Z_FULL_FLUSH)
    return block * (total // MiB) + compressor.flush()


@contextlib.contextmanager
def bounded(max_seconds: float, max_bytes: int):
    """Fail when the block takes longer than ``max_seconds`` or its traced Python memory peaks above ``max_bytes``."""
    tracemalloc.start()
    started = time.perf_counter()
    try:
        yield
    finally:
        elapsed = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert elapsed < max_seconds, f"took {elapsed:.1f} s"
    assert peak < max_bytes, f"memory peaked at {peak / MiB:.0f} MiB"


@contextlib.contextmanager
def no_hang(seconds: float = 10):
    """Turn a hang into a failure (SYNC.md 25: no hang > 10 s)."""

    def expired(*_):
        raise TimeoutError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- 15. tampering ----------------------------------------------------------------------------------------------


@pytest.fixture
def shared_bundle(pair, tmp_path: Path):
    """A center bundle from A (two goals) and workstation B's database before it imports anything."""
    a, b = pair
    add_goal(a, "Model care")
    add_goal(a, "Fewer missed labs")
    path = SyncService(a).export_center(ADMIN, folder(tmp_path / "share"), CENTER_KEY)
    return b, path, dump(b.path)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_flipped_byte_in_a_data_file_is_a_hash_mismatch_and_changes_nothing(shared_bundle, tmp_path, data):
    b, path, before = shared_bundle
    with zipfile.ZipFile(path) as zf:
        name = data.draw(st.sampled_from(sorted(n for n in zf.namelist() if n.startswith("data/"))), label="member")
        size = zf.getinfo(name).file_size
    at, mask = data.draw(st.integers(0, size - 1), label="offset"), data.draw(st.integers(1, 255), label="mask")

    def flip(member: str, body: bytes) -> bytes:
        return body[:at] + bytes([body[at] ^ mask]) + body[at + 1 :] if member == name else body

    bad = rezip(path, flip, tmp_path / "flipped.lhnsync")
    rejected(lambda: SyncService(b).import_bundle(ADMIN, bad, CENTER_KEY), "E_HASH_MISMATCH")
    assert dump(b.path) == before
    assert import_log(b.path) == []


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_flipped_byte_in_the_manifest_breaks_the_signature_and_changes_nothing(shared_bundle, tmp_path, data):
    b, path, before = shared_bundle
    with zipfile.ZipFile(path) as zf:
        size = zf.getinfo("manifest.json").file_size
    at, mask = data.draw(st.integers(0, size - 1), label="offset"), data.draw(st.integers(1, 255), label="mask")

    def flip(member: str, body: bytes) -> bytes:
        return body[:at] + bytes([body[at] ^ mask]) + body[at + 1 :] if member == "manifest.json" else body

    bad = rezip(path, flip, tmp_path / "flipped.lhnsync")
    rejected(lambda: SyncService(b).import_bundle(ADMIN, bad, CENTER_KEY), "E_SIGNATURE")
    assert dump(b.path) == before
    assert import_log(b.path) == []


def test_the_untouched_bundle_imports(shared_bundle):
    """The control for the tamper tests: the same bundle, unchanged, is imported and logged as a success."""
    b, path, before = shared_bundle
    report = SyncService(b).import_bundle(ADMIN, path, CENTER_KEY)
    assert report.added > 0 and dump(b.path) != before
    assert [result for _bundle, result in import_log(b.path)] == ["imported"]


# -- 16. truncation ---------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fraction=st.floats(0, 1, exclude_max=True))
@example(fraction=0.0)
def test_a_truncated_bundle_is_refused_with_a_code_and_changes_nothing(shared_bundle, tmp_path, fraction):
    b, path, before = shared_bundle
    data = path.read_bytes()
    short = tmp_path / "short.lhnsync"
    short.write_bytes(data[: int(len(data) * fraction)])
    with pytest.raises(BundleRejected):
        SyncService(b).import_bundle(ADMIN, short, CENTER_KEY)
    assert dump(b.path) == before


@pytest.mark.parametrize("keep", [0, 1, 21, 22, -1, -22, -23])
def test_truncation_at_the_zip_structure_boundaries(shared_bundle, tmp_path, keep: int):
    """Cuts inside and just before the end-of-central-directory record (22 bytes) and at the very start."""
    b, path, before = shared_bundle
    short = tmp_path / "short.lhnsync"
    short.write_bytes(path.read_bytes()[:keep])
    rejected(lambda: SyncService(b).import_bundle(ADMIN, short, CENTER_KEY), "E_ZIP_LAYOUT")
    assert dump(b.path) == before


# -- 17. signers ------------------------------------------------------------------------------------------------


def test_unknown_and_revoked_signers_are_refused_by_the_trust_store(db: Database, tmp_path: Path):
    peer = new_center(tmp_path, "peer", SITE)
    try:
        path = SyncService(peer).export_center(ADMIN, folder(tmp_path / "share"), CENTER_KEY)
        before = dump(db.path)
        error = rejected(lambda: SyncService(db).import_bundle(ADMIN, path, CENTER_KEY), "E_UNKNOWN_SIGNER")
        assert peer.local_node().key_id in str(error)
        assert dump(db.path) == before

        card = card_of(peer)
        TrustService(db).add(ADMIN, card, card.fingerprint)
        assert SyncService(db).verify(path, CENTER_KEY).manifest.source.key_id == card.key_id
        trusted = dump(db.path)

        TrustService(db).revoke(ADMIN, card.key_id)
        revoked = dump(db.path)
        assert revoked != trusted  # the revocation is stored (and audited)
        rejected(lambda: SyncService(db).import_bundle(ADMIN, path, CENTER_KEY), "E_KEY_REVOKED")
        later = SyncService(peer).export_center(ADMIN, folder(tmp_path / "share2"), CENTER_KEY)
        rejected(lambda: SyncService(db).import_bundle(ADMIN, later, CENTER_KEY), "E_KEY_REVOKED")
        assert dump(db.path) == revoked and import_log(db.path) == []
    finally:
        peer.close()


def test_workstations_of_one_center_set_up_on_their_own_exchange_bundles(db: Database, tmp_path: Path):
    """The signer checks pass for a trusted peer of the center, and its site record is the same record as ours."""
    peer = new_center(tmp_path, "peer", SITE)
    try:
        goal = add_goal(peer, "From the second workstation")
        card = card_of(peer)
        TrustService(db).add(ADMIN, card, card.fingerprint)
        path = SyncService(peer).export_center(ADMIN, folder(tmp_path / "share"), CENTER_KEY)
        assert SyncService(db).import_bundle(ADMIN, path, CENTER_KEY).added > 0
        conn = cipher.connect(db.path)
        try:
            assert conn.execute("SELECT code FROM site").fetchall() == [(SITE,)]
            assert conn.execute("SELECT title FROM improvement_goal WHERE id = ?", (goal,)).fetchall() == [
                ("From the second workstation",)
            ]
        finally:
            conn.close()
    finally:
        peer.close()


# -- 18. authorisation (network bundles the exporter would never make, crafted and signed here) -----------------


@pytest.fixture
def network(tmp_path: Path):
    """The network coordinating center's database, and a workstation of center ctr-042 whose key it trusts."""
    ncc = new_center(tmp_path, "ncc", "ncc", network_center=True)
    center = new_center(tmp_path, "center", SITE)
    card = card_of(center)
    TrustService(ncc).add(ADMIN, card, card.fingerprint)
    yield ncc, center
    ncc.close()
    center.close()


def network_bundle(tmp_path: Path, rows: dict[str, list[dict]], sender: Database, audience: str = "ncc",
                   relayed: dict[str, list[dict]] | None = None) -> Path:  # fmt: skip
    """A network bundle signed with ``sender``'s workstation key, its rows as given (written by that workstation),
    and the ``relayed`` rows as they are (written by other workstations)."""
    node = sender.local_node().node_id
    rows = {e: [r | {"node": node, "vv": {node: r["dot"]}} for r in entity_rows] for e, entity_rows in rows.items()}
    for entity, entity_rows in (relayed or {}).items():
        rows.setdefault(entity, []).extend(entity_rows)
    return write_bundle(
        rows,
        scope="network",
        source=source_of(sender),
        audience_site=audience,
        sign=signing_key(sender).sign,
        hlc_max=HLC,
        folder=folder(tmp_path / "net"),
        created_at=NOW,
    )


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        (
            {"resource": [row("r1", "title", "Ours"), row("r2", "title", "Theirs", owner="ctr-043")]},
            "line 2 is another site's record (ctr-043)",
        ),
        ({"measure_value": [row("m1", "numerator", 3, owner="ncc")]}, "another site's record (ncc)"),
        (
            {"measure_definition": [row("d1", "title", "Remission", owner="ncc")]},
            "only the network coordinating center may send measure_definition",
        ),
        ({"patient": [row("p1", "family_name", "Testcase")]}, "may not carry patient records"),
        ({"resource": [row("r1", "owner_member_id", "m-1")]}, "carries the field owner_member_id"),
    ],
)
def test_a_center_key_cannot_write_other_sites_or_network_records(network, tmp_path: Path, rows, why: str):
    ncc, center = network
    path = network_bundle(tmp_path, rows, center)
    before = dump(ncc.path)
    error = rejected(lambda: SyncService(ncc).import_bundle(ADMIN, path, None), "E_UNAUTHORIZED_ROWS")
    assert why in str(error) and SITE in str(error)
    assert dump(ncc.path) == before


def test_own_records_pass_and_the_network_may_relay_every_sites_records(network, tmp_path: Path):
    """The controls for the authorisation test: a center's own records, and the NCC relaying others'."""
    ncc, center = network
    own = network_bundle(tmp_path, {"resource": [row("r1", "title", "Ours")]}, center)
    assert SyncService(ncc).verify(own, None).rows["resource"][0].v == "Ours"
    other = new_center(tmp_path, "other", "ctr-043")
    try:
        card = card_of(ncc)
        TrustService(other).add(ADMIN, card, card.fingerprint, role="ncc")
        relayed = {"measure_definition": [row("d1", "title", "Remission", owner="ncc")]}
        path = network_bundle(
            tmp_path,
            relayed,
            ncc,
            audience="ctr-043",
            relayed={"resource": [row("r9", "title", "From ctr-044", owner="ctr-044")]},
        )  # a workstation of ctr-044 wrote it
        verified = SyncService(other).verify(path, None)
        assert {e: len(r) for e, r in verified.rows.items()} == {"measure_definition": 1, "resource": 1}
    finally:
        other.close()


# -- 19. replay -------------------------------------------------------------------------------------------------


def test_the_same_bundle_id_with_other_content_is_a_replay_conflict(pair, tmp_path: Path):
    a, b = pair
    goal = add_goal(a, "Model care")
    first = SyncService(a).export_center(ADMIN, folder(tmp_path / "s1"), CENTER_KEY)
    SyncService(b).import_bundle(ADMIN, first, CENTER_KEY)
    bundle_id = SyncService(b).verify(first, CENTER_KEY).manifest.bundle_id
    with a.write(ADMIN) as s:
        s.get(ImprovementGoal, goal).title = "Model care, changed"
    forged = write_bundle(
        sync_apply.export_rows(a),
        scope="center",
        source=source_of(a),
        audience_site=SITE,
        sign=signing_key(a).sign,
        hlc_max=sync_apply.hlc_max(a),
        folder=folder(tmp_path / "s2"),
        center_key=CENTER_KEY,
        bundle_id=bundle_id,
    )
    before = dump(b.path)
    rejected(lambda: SyncService(b).import_bundle(ADMIN, forged, CENTER_KEY), "E_REPLAY_CONFLICT")
    assert dump(b.path) == before
    assert SyncService(b).import_bundle(ADMIN, first, CENTER_KEY).already_imported
    assert dump(b.path) == before


def test_an_older_bundle_after_a_newer_one_changes_no_data(pair, tmp_path: Path):
    a, b = pair
    kept, removed = add_goal(a, "Model care"), add_goal(a, "Fewer missed labs")
    older = SyncService(a).export_center(ADMIN, folder(tmp_path / "old"), CENTER_KEY)
    with a.write(ADMIN) as s:
        s.get(ImprovementGoal, kept).title = "Model care at every visit"
        s.delete(s.get(ImprovementGoal, removed))
    newer = SyncService(a).export_center(ADMIN, folder(tmp_path / "new"), CENTER_KEY)
    SyncService(b).import_bundle(ADMIN, newer, CENTER_KEY)
    after_newer = data_dump(b.path)
    report = SyncService(b).import_bundle(ADMIN, older, CENTER_KEY)
    assert not report.already_imported and report.added == 0 and report.records == 0
    assert data_dump(b.path) == after_newer == data_dump(a.path)
    with b.read() as s:
        assert s.get(ImprovementGoal, kept).title == "Model care at every visit"
        assert s.get(ImprovementGoal, removed) is None


# -- 20. schema gate --------------------------------------------------------------------------------------------


def test_a_bundle_for_a_newer_major_schema_asks_to_update_the_app(pair, tmp_path: Path):
    a, b = pair
    add_goal(a, "Model care")
    path = SyncService(a).export_center(ADMIN, folder(tmp_path / "share"), CENTER_KEY)
    newer = resign(path, signing_key(a), edit=lambda m: m.update(schema_version="2.0", min_reader_schema="2.0"))
    before = dump(b.path)
    error = rejected(lambda: SyncService(b).import_bundle(ADMIN, newer, CENTER_KEY), "E_SCHEMA_NEWER")
    assert "2.0" in str(error) and "newer version" in str(error) and "update" in str(error)
    assert dump(b.path) == before
    other_format = resign(
        path, signing_key(a), edit=lambda m: m.update(format_version=2), out=tmp_path / "format2.lhnsync"
    )
    rejected(lambda: SyncService(b).import_bundle(ADMIN, other_format, CENTER_KEY), "E_FORMAT")
    assert dump(b.path) == before
    minor = resign(path, signing_key(a), edit=lambda m: m.update(schema_version="1.7"), out=tmp_path / "m.lhnsync")
    assert SyncService(b).import_bundle(ADMIN, minor, CENTER_KEY).added > 0  # a newer minor is read


#: Bundles written by each earlier release, kept as files: every later release must still read them (the day the
#: sync schema changes, their rows go through the upcasters). This is the first release, so there is one pair.
RELEASE_BUNDLES = sorted((Path(__file__).parent / "data").glob("release-*.lhnsync"))


@pytest.mark.parametrize("path", RELEASE_BUNDLES, ids=lambda p: p.stem)
def test_bundles_from_every_earlier_release_are_read(path: Path):
    verified = read(path)
    assert verified.manifest.schema_version == "1.0" and verified.manifest.format_version == 1
    titles = {(e, r.id): r.v for e, rows in verified.rows.items() for r in rows if r.field == "title"}
    assert titles[("resource", "r1")] == "A checklist"
    if verified.manifest.scope == "center":
        assert titles[("improvement_goal", "g1")] == "Model care from 70% to 85%"


def test_there_is_a_bundle_of_each_scope_from_the_first_release():
    assert [p.name for p in RELEASE_BUNDLES] == ["release-0.1-center.lhnsync", "release-0.1-network.lhnsync"]


def test_fields_and_kinds_from_a_newer_minor_schema_are_kept_and_sent_on(pair, tmp_path: Path):
    """A newer minor version may add fields to a record and new kinds of record: this version keeps them in its
    field versions (not displayed) and sends them on in its own bundles, so no workstation loses them."""
    a, b = pair
    goal = add_goal(a, "Model care")
    rows = sync_apply.export_rows(a)
    now = f"{int(datetime.now(UTC).timestamp() * 1000):013d}-00000"
    future_node = "9b0c7a6e-2222-4a2b-8c3d-000000000002"
    rows["improvement_goal"].append(
        {"id": goal, "field": "huddle_day", "node": future_node, "dot": 1, "hlc": now, "vv": {future_node: 1},
         "owner": SITE, "v": "Tuesday"}
    )  # fmt: skip
    rows["huddle_rota"] = [
        {"id": "rota-1", "field": "name", "node": future_node, "dot": 2, "hlc": now, "vv": {future_node: 2},
         "owner": SITE, "v": "Spring rota"}
    ]  # fmt: skip
    newer = write_bundle(
        rows, scope="center", source=source_of(a), audience_site=SITE, sign=signing_key(a).sign, hlc_max=now,
        folder=folder(tmp_path / "newer"), center_key=CENTER_KEY, schema="1.7",
    )  # fmt: skip
    report = SyncService(b).import_bundle(ADMIN, newer, CENTER_KEY)
    assert report.added > 0
    with cipher.connect(b.path) as raw:
        assert raw.execute("SELECT title FROM improvement_goal WHERE id = ?", (goal,)).fetchone() == ("Model care",)
    sent_on = SyncService(b).export_center(ADMIN, folder(tmp_path / "from-b"), CENTER_KEY)
    received = SyncService(a).verify(sent_on, CENTER_KEY).rows
    assert [(r.id, r.v) for r in received["improvement_goal"] if r.field == "huddle_day"] == [(goal, "Tuesday")]
    assert [(r.id, r.field, r.v) for r in received["huddle_rota"]] == [("rota-1", "name", "Spring rota")]


# -- 21. zip slip -----------------------------------------------------------------------------------------------


@pytest.fixture
def open_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The member names zipfile is asked to open."""
    calls: list[str] = []
    original = zipfile.ZipFile.open

    def spy(self, name, *args, **kwargs):
        calls.append(getattr(name, "filename", name))
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "open", spy)
    return calls


def valid_members() -> list[dict]:
    """The members of a valid bundle (signed with the test key), as raw_zip entries."""
    manifest, members = manifest_for({"resource": GOOD_LINE + b"\n"})
    data = assemble(manifest, members)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [{"name": i.filename, "data": zf.read(i)} for i in zf.infolist()]


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.mark.parametrize(
    "name",
    [
        "../x",
        "/x",
        "/etc/passwd",
        "C:\\x",
        "C:/x",
        "c:x",
        "data/../../x",
        "data/../manifest.json",
        "data\\x",
        "data\\x.ndjson",
        "..\\..\\x.ndjson",
        "\\\\server\\share\\x",
        "data/./x.ndjson",
        "data//x.ndjson",
        "./manifest.json",
        "data/",
        "data/x.ndjson/",
        "DATA/x.ndjson",
        "data/x.NDJSON",
        "Manifest.json",
        "data/x.ndjson ",
        " data/x.ndjson",
        "d\u0430ta/x.ndjson",
        "data/x.ndjson.enc.enc",
        "data/x.json",
    ],
)
def test_zip_slip_names_are_refused_before_any_member_is_read(tmp_path: Path, open_calls, name: str):
    before = tree(tmp_path)
    path = tmp_path / "slip.lhnsync"
    path.write_bytes(raw_zip([*valid_members(), {"name": name, "data": b"{}\n"}]))
    assert zipfile.ZipFile(path).namelist()[-1] == name  # the name is stored exactly as given
    open_calls.clear()
    error = rejected(lambda: read(path), "E_ZIP_LAYOUT")
    assert "unexpected member" in str(error)
    assert open_calls == []
    assert tree(tmp_path) == sorted([*before, "slip.lhnsync"])


@pytest.mark.parametrize("name", ["data/x.ndjson\n", "manifest.sig\n"])
def test_a_name_with_a_trailing_newline_is_refused_before_any_member_is_read(tmp_path, open_calls, name: str):
    path = tmp_path / "newline.lhnsync"
    path.write_bytes(raw_zip([*valid_members(), {"name": name, "data": b"{}\n"}]))
    open_calls.clear()
    rejected(lambda: read(path), "E_ZIP_LAYOUT")
    assert open_calls == []


@pytest.mark.parametrize("target", ["manifest.sig", "data/resource.ndjson", "data/link.ndjson"])
def test_symlink_members_are_refused_before_any_member_is_read(tmp_path: Path, open_calls, target: str):
    members = valid_members()
    link = {"name": target, "data": b"../../../../etc/passwd", "mode": stat.S_IFLNK | 0o777}
    members = [m for m in members if m["name"] != target] + [link]
    path = tmp_path / "link.lhnsync"
    path.write_bytes(raw_zip(members))
    assert stat.S_ISLNK(zipfile.ZipFile(path).getinfo(target).external_attr >> 16)
    open_calls.clear()
    error = rejected(lambda: read(path), "E_ZIP_LAYOUT")
    assert "symbolic link" in str(error) and open_calls == []


@pytest.mark.parametrize("name", ["manifest.json", "manifest.sig", "data/resource.ndjson"])
def test_duplicate_member_names_are_refused_before_any_member_is_read(tmp_path: Path, open_calls, name: str):
    members = valid_members()
    path = tmp_path / "twice.lhnsync"
    path.write_bytes(raw_zip([*members, {"name": name, "data": b"{}"}]))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert zipfile.ZipFile(path).namelist().count(name) == 2
    open_calls.clear()
    error = rejected(lambda: read(path), "E_ZIP_LAYOUT")
    assert "appears twice" in str(error) and open_calls == []


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"flags": 0x1}, "zip-encrypted"),
        ({"method": zipfile.ZIP_BZIP2}, "unsupported compression"),
        ({"method": zipfile.ZIP_LZMA}, "unsupported compression"),
        ({"method": 99}, "unsupported compression"),
    ],
)
def test_encrypted_members_and_other_compressions_are_refused(tmp_path: Path, open_calls, change, why: str):
    members = valid_members()
    members[-1] |= change
    path = tmp_path / "odd.lhnsync"
    path.write_bytes(raw_zip(members))
    open_calls.clear()
    error = rejected(lambda: read(path), "E_ZIP_LAYOUT")
    assert why in str(error) and open_calls == []


def test_the_valid_members_are_read(tmp_path: Path):
    """The control for the layout tests: the same hand-written zip without the bad member is accepted."""
    path = tmp_path / "ok.lhnsync"
    path.write_bytes(raw_zip(valid_members()))
    assert read(path).rows["resource"][0].v == "A checklist"


# -- 22. zip bombs ----------------------------------------------------------------------------------------------


def test_a_high_ratio_member_is_refused_from_its_header(tmp_path: Path):
    """1 GiB of zeros in 1 MiB: refused on the declared sizes, before any byte is inflated."""
    bomb = {
        "name": "data/site.ndjson",
        "data": zeros_stream(1024 * MiB),
        "method": zipfile.ZIP_DEFLATED,
        "usize": 1024 * MiB,
        "crc": 0,
    }
    path = tmp_path / "bomb.lhnsync"
    path.write_bytes(raw_zip([*valid_members(), bomb]))
    with bounded(5, 64 * MiB):
        error = rejected(lambda: read(path), "E_ZIP_BOMB")
    assert "expands far more" in str(error)


def test_declared_sizes_above_one_gibibyte_in_all_are_refused(tmp_path: Path):
    """Eight members that each stay under the ratio but together declare more than 1 GiB."""
    members = valid_members()
    filler = {"data": bytes(750_000), "method": zipfile.ZIP_DEFLATED, "usize": 140 * MiB, "crc": 0}  # never inflated
    members += [filler | {"name": f"data/e{k}.ndjson"} for k in range(8)]
    path = tmp_path / "total.lhnsync"
    path.write_bytes(raw_zip(members))
    with bounded(5, 64 * MiB):
        error = rejected(lambda: read(path), "E_ZIP_BOMB")
    assert "beyond 1 GB" in str(error)


@pytest.mark.parametrize("member", ["manifest.json", "manifest.sig"])
def test_a_lying_size_header_stops_at_the_declared_size(tmp_path: Path, member: str):
    """The header says a few hundred bytes; the data inflate to 256 MiB. Reading stops at the declared size."""
    members = [m for m in valid_members() if m["name"] != member]
    stream = zeros_stream(256 * MiB)
    members.insert(0, {"name": member, "data": stream, "method": zipfile.ZIP_DEFLATED, "usize": 300, "crc": 1})
    path = tmp_path / "liar.lhnsync"
    path.write_bytes(raw_zip(members))
    with bounded(5, 64 * MiB):
        rejected(lambda: read(path), "E_ZIP_CORRUPT")


def test_a_signed_data_member_with_a_lying_size_header_is_refused(tmp_path: Path):
    """Behind a valid signature: the header declares the real compressed size, the data inflate to 1 GiB."""
    manifest, _members = manifest_for({"resource": GOOD_LINE + b"\n"})
    stream = zeros_stream(1024 * MiB)
    manifest["files"][0] |= {"sha256": hashlib.sha256(b"\0" * 64).hexdigest(), "bytes": len(stream)}
    with zipfile.ZipFile(io.BytesIO(assemble(manifest, []))) as zf:
        head = [{"name": i.filename, "data": zf.read(i)} for i in zf.infolist()]
    member = {"name": "data/resource.ndjson", "data": stream, "method": zipfile.ZIP_DEFLATED, "usize": len(stream)}
    path = tmp_path / "liar.lhnsync"
    path.write_bytes(raw_zip([*head, member]))
    with bounded(5, 64 * MiB):
        rejected(lambda: read(path), "E_ZIP_CORRUPT")


def test_a_signed_member_just_under_the_ratio_stays_within_the_memory_bound(tmp_path: Path):
    manifest, _members = manifest_for({"resource": GOOD_LINE + b"\n"})
    stream = zeros_stream(256 * MiB)
    usize = 200 * len(stream)  # exactly at the 200:1 cap; the stream inflates further than that
    manifest["files"][0] |= {"sha256": hashlib.sha256(b"no match").hexdigest(), "bytes": usize}
    with zipfile.ZipFile(io.BytesIO(assemble(manifest, []))) as zf:
        head = [{"name": i.filename, "data": zf.read(i)} for i in zf.infolist()]
    member = {
        "name": "data/resource.ndjson",
        "data": stream,
        "method": zipfile.ZIP_DEFLATED,
        "usize": usize,
        "crc": zlib.crc32(b"\0" * usize),
    }
    path = tmp_path / "ratio.lhnsync"
    path.write_bytes(raw_zip([*head, member]))
    with bounded(5, 64 * MiB):
        rejected(lambda: read(path), "E_HASH_MISMATCH")


def overlapped_bundle() -> bytes:
    """manifest.json's stored data run over manifest.sig's local header and data (an overlapped entry)."""
    members = {m["name"]: m["data"] for m in valid_members()}
    covering = members["manifest.json"] + local_header("manifest.sig", members["manifest.sig"])
    inner = len(local_header("manifest.json", members["manifest.json"]))
    return raw_zip(
        [
            {"name": "manifest.json", "data": covering},
            {"name": "manifest.sig", "data": members["manifest.sig"], "at": inner},
        ]
    )


def test_overlapped_entries_are_refused_within_the_bounds(tmp_path: Path):
    path = tmp_path / "overlap.lhnsync"
    path.write_bytes(overlapped_bundle())
    with zipfile.ZipFile(path) as zf:
        infos = sorted(zf.infolist(), key=lambda i: i.header_offset)
        assert infos[0].header_offset + 30 + len(infos[0].filename) + infos[0].compress_size > infos[1].header_offset
    with bounded(5, 64 * MiB), pytest.raises(BundleRejected):
        read(path)


def test_overlapped_entries_are_refused_as_a_damaged_zip(tmp_path: Path):
    path = tmp_path / "overlap.lhnsync"
    path.write_bytes(overlapped_bundle())
    rejected(lambda: read(path), "E_ZIP_CORRUPT")


# -- 23. oversize -----------------------------------------------------------------------------------------------


def test_a_file_over_256_mib_is_refused_before_it_is_read(tmp_path: Path):
    path = tmp_path / "huge.lhnsync"
    with open(path, "wb") as handle:
        handle.truncate(256 * MiB + 1)  # sparse: takes no disk space
    with bounded(1, MiB):
        error = rejected(lambda: read(path), "E_TOO_LARGE")
    assert "256 MB" in str(error)


def test_the_size_limit_is_inclusive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = written(tmp_path)
    monkeypatch.setattr(bundle_module, "MAX_BUNDLE", path.stat().st_size)
    assert read(path).rows
    monkeypatch.setattr(bundle_module, "MAX_BUNDLE", path.stat().st_size - 1)
    rejected(lambda: read(path), "E_TOO_LARGE")


@pytest.mark.parametrize("scope", ["center", "network"])
def test_a_line_over_1_mib_is_refused_and_one_of_exactly_1_mib_is_read(tmp_path: Path, scope: str):
    def padded(size: int) -> bytes:
        values = [letters(90_000)] * (size // 90_000) + [""]
        values[-1] = letters(size - len(line(v=values)))
        return line(v=values)

    exact = padded(MiB)
    assert len(exact) == MiB
    assert len(read(signed(tmp_path, {"resource": exact + b"\n"}, scope=scope, name="exact")).rows["resource"]) == 1
    over = padded(MiB + 1)
    assert len(over) == MiB + 1
    error = rejected(
        lambda: read(signed(tmp_path, {"resource": GOOD_LINE + b"\n" + over + b"\n"}, scope=scope, name="over")),
        "E_ROW",
    )
    assert "line 2 is longer than 1 MB" in str(error)


def test_a_string_over_100_000_characters_is_refused(tmp_path: Path):
    at_limit = signed(tmp_path, {"resource": line(v=letters(100_000)) + b"\n"}, name="limit")
    assert len(read(at_limit).rows["resource"][0].v) == 100_000
    over = signed(tmp_path, {"resource": GOOD_LINE + b"\n" + line(v=letters(100_001)) + b"\n"}, name="over")
    error = rejected(lambda: read(over), "E_JSON")
    assert "line 2" in str(error) and "100,000 characters" in str(error)


def test_a_key_over_100_000_characters_is_refused(tmp_path: Path):
    key = signed(tmp_path, {"resource": GOOD_LINE + b"\n" + line(v={letters(100_001): 1}) + b"\n"})
    error = rejected(lambda: read(key), "E_JSON")
    assert "line 2" in str(error)


def test_the_member_cap_is_read_and_one_more_refused(tmp_path: Path):
    """The member cap counts manifest.json, manifest.sig and a center bundle's sealed counts: three fewer data
    files than the cap fit, one more does not."""
    fit = bundle_module.MAX_MEMBERS - 3
    rows = {f"e{k:04d}": [row(f"r{k}", "title", "x")] for k in range(fit)}
    assert len(read(written(tmp_path, rows, scope="center")).rows) == fit
    rows["f"] = [row("r", "title", "x")]
    error = rejected(lambda: read(written(tmp_path, rows, scope="center")), "E_ZIP_LAYOUT")
    assert f"{bundle_module.MAX_MEMBERS + 1} data members, more than {bundle_module.MAX_MEMBERS}" in str(error)


@pytest.mark.parametrize(("member", "size"), [("manifest.json", MiB + 1), ("manifest.sig", 4097)])
def test_an_oversized_manifest_or_signature_is_refused(tmp_path: Path, member: str, size: int):
    """Stored, so the ratio check passes; the byte cap of the read stops it."""
    members = [m for m in valid_members() if m["name"] != member]
    members.insert(0, {"name": member, "data": letters(size).encode()})
    path = tmp_path / "big.lhnsync"
    path.write_bytes(raw_zip(members))
    with bounded(5, 16 * MiB):
        error = rejected(lambda: read(path), "E_ZIP_BOMB")
    assert f"{member} is larger than allowed" in str(error)


# -- 24. malformed JSON -----------------------------------------------------------------------------------------


BAD_LINES = {
    "NaN": line(dot=1).replace(b'"v": "A checklist"', b'"v": NaN'),
    "Infinity": line().replace(b'"v": "A checklist"', b'"v": Infinity'),
    "-Infinity": line().replace(b'"v": "A checklist"', b'"v": [-Infinity]'),
    "1e400 (infinite)": line().replace(b'"v": "A checklist"', b'"v": 1e400'),
    "duplicate key": line().replace(b'"dot": 1', b'"dot": 1, "dot": 1'),
    "duplicate nested key": line(v={"a": 1}).replace(b'{"a": 1}', b'{"a": 1, "a": 2}'),
    "invalid UTF-8": line().replace(b"A checklist", b"A \xff checklist"),
    "overlong UTF-8": line().replace(b"A checklist", b"A \xc0\xaf checklist"),
    "UTF-8 surrogate": line().replace(b"A checklist", b"A \xed\xa0\x80 checklist"),
    "BOM": b"\xef\xbb\xbf" + line(),
    "depth 100": line(v="@").replace(b'"@"', b"[" * 100 + b"]" * 100),
    "10,000-digit int": line(v="@").replace(b'"@"', ("9" + letters(9_999, string.digits)).encode()),
    "trailing garbage": line() + b" x",
    "two objects": line() + line(),
    "not an object": b"[1, 2, 3]",
    "a bare string": b'"hello"',
}


@pytest.mark.parametrize("scope", ["network", "center"])
@pytest.mark.parametrize("kind", sorted(BAD_LINES))
def test_malformed_json_in_a_data_file_names_the_file_and_line(tmp_path: Path, kind: str, scope: str):
    path = signed(tmp_path, {"resource": GOOD_LINE + b"\n" + BAD_LINES[kind] + b"\n"}, scope=scope)
    code = "E_ROW" if kind in ("not an object", "a bare string") else "E_JSON"
    error = rejected(lambda: read(path), code)
    assert "line 2" in str(error) and "data/resource.ndjson" in str(error)


@pytest.mark.parametrize(
    "changes",
    [
        {"extra": 1},
        {"id": 7},
        {"dot": "1"},
        {"dot": True},
        {"dot": 0},
        {"hlc": "yesterday"},
        {"vv": {NODE: 2}},
        {"owner": ""},
        {"field": "a b"},
    ],
)
def test_rows_that_are_json_but_not_field_versions_are_refused(tmp_path: Path, changes: dict):
    path = signed(tmp_path, {"resource": GOOD_LINE + b"\n" + line(**changes) + b"\n"})
    error = rejected(lambda: read(path), "E_ROW")
    assert "line 2" in str(error)


def test_well_formed_lines_are_read(tmp_path: Path):
    """The control for the malformed-JSON tests: the same bundle with a good second line is accepted."""
    nested = line(v=[[[[["deep"]]]]], id="r2")
    path = signed(tmp_path, {"resource": GOOD_LINE + b"\n" + nested + b"\n"})
    assert [r.v for r in read(path).rows["resource"]] == ["A checklist", [[[[["deep"]]]]]]


def manifest_text() -> bytes:
    return json.dumps(manifest_for({"resource": GOOD_LINE + b"\n"})[0], indent=1).encode()


BAD_MANIFESTS = {
    "NaN": lambda t: t.replace(b'"format_version": 1', b'"format_version": NaN'),
    "Infinity": lambda t: t.replace(b'"format_version": 1', b'"format_version": Infinity'),
    "1e400 (infinite)": lambda t: t.replace(b'"format_version": 1', b'"format_version": 1e400'),
    "duplicate key": lambda t: t.replace(b'"kind": "full"', b'"kind": "full", "kind": "full"'),
    "invalid UTF-8": lambda t: t.replace(b'"app_version": "0.1.0"', b'"app_version": "0.1\xff"'),
    "BOM": lambda t: b"\xef\xbb\xbf" + t,
    "depth 100": lambda t: t.replace(b'"counts": {}', b'"counts": ' + b'{"a": ' * 100 + b"1" + b"}" * 100),
    "10,000-digit int": lambda t: t.replace(
        b'"format_version": 1', ('"format_version": 1' + letters(9_999, string.digits)).encode()
    ),
    "trailing garbage": lambda t: t + b" x",
    "unknown top-level key": lambda t: t.replace(b'"kind": "full"', b'"kind": "full", "note": "hello"'),
    "unknown source key": lambda t: t.replace(b'"app_version": "0.1.0"', b'"app_version": "0.1.0", "os": "x"'),
    "unknown file key": lambda t: t.replace(b'"entity": "resource"', b'"entity": "resource", "mode": 1'),
    "a string where an int goes": lambda t: t.replace(b'"format_version": 1', b'"format_version": "1"'),
    "a float where an int goes": lambda t: t.replace(b'"format_version": 1', b'"format_version": 1.0'),
    "not an object": lambda t: b"[" + t + b"]",
    "created_at not a time": lambda t: t.replace(b"2026-03-02T12:00:00Z", b"2026-03-02 noon"),
}


@pytest.mark.parametrize("kind", sorted(BAD_MANIFESTS))
def test_a_malformed_signed_manifest_is_refused(tmp_path: Path, kind: str):
    text = BAD_MANIFESTS[kind](manifest_text())
    assert text != manifest_text()
    path = folder(tmp_path / "m") / "bad.lhnsync"
    path.write_bytes(assemble(text, manifest_for({"resource": GOOD_LINE + b"\n"})[1]))
    error = rejected(lambda: read(path), "E_MANIFEST")
    assert "manifest.json" in str(error)


def test_the_unchanged_crafted_manifest_is_read(tmp_path: Path):
    path = folder(tmp_path / "m") / "ok.lhnsync"
    path.write_bytes(assemble(manifest_text(), manifest_for({"resource": GOOD_LINE + b"\n"})[1]))
    assert read(path).manifest.scope == "network"


# -- found by the fuzz harnesses: damaged zips must still be refused with a code --------------------------------


def damaged_manifest_stream() -> bytes:
    """A bundle whose compressed manifest.json has one byte flipped near its start (zlib, not CRC, notices)."""
    data = bytearray(assemble(*manifest_for({"resource": GOOD_LINE + b"\n"})))
    data[30 + len("manifest.json")] ^= 0xFF
    return bytes(data)


def declared_past_the_end() -> bytes:
    """A zip whose central directory says manifest.sig's data run past the end of the file."""
    members = valid_members()
    for m in members:
        if m["name"] == "manifest.sig":
            m["csize"] = m["usize"] = 10 * MiB
    return raw_zip(members)


def newer_zip_version() -> bytes:
    """A central directory entry that needs zip version 9.9 to extract."""
    data = bytearray(raw_zip(valid_members()))
    central = data.rfind(b"PK\x01\x02")
    data[central + 6 : central + 8] = struct.pack("<H", 99)
    return bytes(data)


def undecodable_name() -> bytes:
    """A member name flagged as UTF-8 that is not UTF-8."""
    data = bytearray(raw_zip([*valid_members(), {"name": "data/xy.ndjson", "data": b"{}"}]))
    central = data.rfind(b"PK\x01\x02")
    data[central + 8 : central + 10] = struct.pack("<H", 0x800)
    data[central + 46 : central + 47] = b"\xff"
    return bytes(data)


def first_bytes_missing() -> bytes:
    """A bundle whose first four bytes are gone: the central directory's offsets point before the file."""
    return assemble(*manifest_for({"resource": GOOD_LINE + b"\n"}))[4:]


@pytest.mark.parametrize(
    "make",
    [
        damaged_manifest_stream,
        declared_past_the_end,
        newer_zip_version,
        undecodable_name,
        first_bytes_missing,
    ],
)
def test_a_damaged_zip_is_refused_with_a_code(tmp_path: Path, make):
    path = tmp_path / "damaged.lhnsync"
    path.write_bytes(make())
    with pytest.raises(BundleRejected) as caught:
        read(path)
    assert caught.value.code.startswith("E_ZIP")


# -- the manifest's clock (acceptance test 11, behind the signature) --------------------------------------------


@pytest.mark.parametrize(("hlc_max", "code"), [("9000000000000-00000", "E_CLOCK_FUTURE"), ("not a time", "E_MANIFEST")])
def test_the_manifest_clock_is_checked_like_the_rows(pair, tmp_path: Path, hlc_max: str, code: str):
    """A signed manifest whose hlc_max is far ahead (it would move this workstation's clock to the year 2255)
    or not a clock time at all."""
    a, b = pair
    add_goal(a, "Model care")
    path = SyncService(a).export_center(ADMIN, folder(tmp_path / "share"), CENTER_KEY)
    forged = resign(path, signing_key(a), edit=lambda m: m.update(hlc_max=hlc_max))
    before = dump(b.path)
    rejected(lambda: SyncService(b).import_bundle(ADMIN, forged, CENTER_KEY), code)
    assert dump(b.path) == before


# -- 25. fuzzing ------------------------------------------------------------------------------------------------
#
# Hypothesis harnesses (SYNC.md acceptance test 25; the atheris harnesses are in test_atheris.py). Only
# BundleRejected may escape read_bundle, and nothing may run for more than 10 s. Seeds are valid bundles of both
# scopes. FUZZ_EXAMPLES bounds the default run; raise it for a long run.

FUZZ_EXAMPLES = 300


@pytest.fixture(scope="module")
def fuzz_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def seed_bundles() -> list[bytes]:
    rows = {
        "resource": GOOD_LINE + b"\n" + line(id="r2", field="body", v="Text") + b"\n",
        "measure_value": line(id="m1", field="numerator", v=12) + b"\n",
    }
    return [assemble(*manifest_for(rows, "network")), assemble(*manifest_for(rows, "center"))]


SEEDS = seed_bundles()


def read_bytes(fuzz_dir: Path, data: bytes, **options) -> None:
    """read_bundle on these bytes: a result or BundleRejected; anything else fails the test."""
    path = fuzz_dir / "fuzzed.lhnsync"
    path.write_bytes(data)
    with no_hang(10), contextlib.suppress(BundleRejected):
        read(path, **options)


FUZZ = settings(max_examples=FUZZ_EXAMPLES, deadline=None)


@FUZZ
@given(data=st.binary(max_size=4096))
@example(data=b"")
@example(data=b"PK\x05\x06" + b"\0" * 18)
@example(data=SEEDS[0])
@example(data=SEEDS[1])
def test_fuzz_arbitrary_bytes(fuzz_dir: Path, data: bytes):
    read_bytes(fuzz_dir, data)


@st.composite
def mutated(draw, seeds: list[bytes]) -> bytes:
    """A valid bundle with a few byte-level mutations: flips, overwrites, inserts, deletes, cuts, copies."""
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        op = draw(st.sampled_from(["flip", "set", "insert", "delete", "cut", "copy", "int"]))
        if op == "flip" and data:
            data[at] ^= 1 << draw(st.integers(0, 7))
        elif op == "set":
            data[at : at + 4] = draw(st.binary(min_size=1, max_size=4))
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif op == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        elif op == "cut":
            del data[at:]
        elif op == "copy":
            start = draw(st.integers(0, max(len(data) - 1, 0)))
            data[at:at] = data[start : start + draw(st.integers(1, 64))]
        else:  # a little-endian size or offset field set to an extreme
            data[at : at + 4] = struct.pack("<I", draw(st.sampled_from([0, 1, 0x7FFFFFFF, 0xFFFFFFFF])))
    return bytes(data)


@settings(FUZZ, derandomize=True, report_multiple_bugs=False)
@given(data=mutated(SEEDS))
def test_fuzz_mutations_of_valid_bundles(fuzz_dir: Path, data: bytes):
    read_bytes(fuzz_dir, data)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
ROW_KEYS = ["id", "field", "node", "dot", "hlc", "vv", "owner", "v", "extra"]


@st.composite
def fuzzed_line(draw) -> bytes:
    """A data line: a valid row with some fields replaced, removed or added, or raw bytes."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=64)).replace(b"\n", b" ")
    value = row("r1", "title", "A checklist", hlc=draw(st.sampled_from([HLC, "9999999999999-00000", "0"])))
    for _ in range(draw(st.integers(0, 3))):
        key = draw(st.sampled_from(ROW_KEYS))
        if draw(st.booleans()):
            value.pop(key, None)
        else:
            value[key] = draw(JSON)
    return json.dumps(value, allow_nan=True).encode()


@st.composite
def fuzzed_manifest(draw, manifest: dict) -> bytes:
    """The valid manifest with a few values replaced by arbitrary JSON at any depth, or a bit flipped; left
    unchanged half of the time, so that the data lines behind it are fuzzed too."""
    if draw(st.booleans()):
        return json.dumps(manifest).encode()
    manifest = json.loads(json.dumps(manifest))
    for _ in range(draw(st.integers(0, 3))):
        node = manifest
        while isinstance(node, (dict, list)) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node) if isinstance(node, dict) else range(len(node))))
            if not isinstance(node[key], (dict, list)) or not node[key]:
                break
            node = node[key]
        if isinstance(node, dict):
            node[draw(st.sampled_from([*sorted(node), "extra"]))] = draw(JSON)
        elif isinstance(node, list) and node:
            node[draw(st.integers(0, len(node) - 1))] = draw(JSON)
    text = bytearray(json.dumps(manifest, allow_nan=True).encode())
    if draw(st.integers(0, 4)) == 0:
        text[draw(st.integers(0, len(text) - 1))] ^= 1 << draw(st.integers(0, 7))
    return bytes(text)


@st.composite
def resigned(draw) -> tuple[bytes, dict]:
    """A bundle of fuzzed data lines and a fuzzed manifest, signed with the trusted test key, so fuzzing reaches
    the checks behind the signature; plus the reading workstation's options."""
    scope = draw(st.sampled_from(["network", "center"]))
    entities = draw(
        st.lists(
            st.sampled_from(["resource", "measure_value", "measure_definition", "patient"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    data = {e: b"".join(draw(fuzzed_line()) + b"\n" for _ in range(draw(st.integers(0, 4)))) for e in entities}
    manifest, members = manifest_for(data, scope)
    options = draw(
        st.sampled_from(
            [
                {},
                {"local_site": "ncc", "is_ncc": True},
                {"trust": lambda _k: Signer(TEST_PUBLIC, SITE, "ncc")},
                {"previous": lambda _b: "0" * 64},
            ]
        )
    )
    return assemble(draw(fuzzed_manifest(manifest)), members), options


@FUZZ
@given(case=resigned())
def test_fuzz_signed_manifests_and_data(fuzz_dir: Path, case):
    data, options = case
    read_bytes(fuzz_dir, data, **options)


# -- 26. audience -----------------------------------------------------------------------------------------------


def test_a_center_bundle_is_refused_at_another_center_and_at_the_network(pair, tmp_path: Path):
    a, _b = pair
    add_goal(a, "Model care")
    path = SyncService(a).export_center(ADMIN, folder(tmp_path / "share"), CENTER_KEY)
    other = new_center(tmp_path, "other", "ctr-043")
    try:
        before = dump(other.path)
        rejected(lambda: SyncService(other).import_bundle(ADMIN, path, CENTER_KEY), "E_UNKNOWN_SIGNER")
        assert dump(other.path) == before
        card = card_of(a)
        TrustService(other).add(ADMIN, card, card.fingerprint)  # even a trusted key ...
        trusted = dump(other.path)
        assert trusted != before
        error = rejected(lambda: SyncService(other).import_bundle(ADMIN, path, CENTER_KEY), "E_WRONG_AUDIENCE")
        assert "center bundle for ctr-042" in str(error)
        assert dump(other.path) == trusted and import_log(other.path) == []
    finally:
        other.close()
    ncc = new_center(tmp_path, "ncc", "ncc", network_center=True)
    try:
        card = card_of(a)
        TrustService(ncc).add(ADMIN, card, card.fingerprint)
        before = dump(ncc.path)
        rejected(lambda: SyncService(ncc).import_bundle(ADMIN, path, CENTER_KEY), "E_WRONG_AUDIENCE")
        assert dump(ncc.path) == before
    finally:
        ncc.close()
