"""Hostile files and values (issue 18, items 4 and 8): a first look at any file gives the manifest or a coded
refusal; wrongly typed values from a trusted peer are refused, never coerced; no value from a refused bundle
reaches the message, the traceback or a log line."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import struct
import traceback
import tracemalloc
import zipfile
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_der_private_key
from sqlalchemy import select

from lhn_desktop.access import Actor
from lhn_desktop.models.sync import SyncImportLog
from lhn_desktop.models.team import TeamMember
from lhn_desktop.services.sync import SyncService
from lhn_desktop.store import versions
from lhn_desktop.store.database import Database
from lhn_desktop.store.sync_apply import row_problem
from lhn_desktop.sync.bundle import (
    SIGNATURE_TAG,
    BundleRejected,
    Row,
    _seal,
    bundle_scope,
    canonical_line,
    peek_manifest,
)

ADMIN = Actor.workstation()
KEY = bytes(range(32))
NAME = "Zebediah Quillfeather"  # a patient's name, as a crafted bundle might carry it


# -- the first look -------------------------------------------------------------------------------------------


def _zip(members: list[tuple[str, bytes]], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return buffer.getvalue()


def _small(tmp_path: Path) -> bytes:
    return _zip([("manifest.json", json.dumps({"scope": "center"}).encode()), ("manifest.sig", b"{}")])


def broken_deflate(tmp_path: Path) -> Path:
    """The issue's 154-byte file: the manifest's deflate stream is broken."""
    raw = bytearray(_small(tmp_path))
    start = 30 + len("manifest.json")
    raw[start : start + 2] = b"\xff\xff"  # an invalid deflate block type
    path = tmp_path / "broken.lhnsync"
    path.write_bytes(bytes(raw))
    return path


def changed_method(tmp_path: Path) -> Path:
    """The manifest's compression method changed to one zipfile cannot read (in both headers)."""
    raw = bytearray(_small(tmp_path))
    raw[8] = 99
    central = raw.find(b"PK\x01\x02")
    raw[central + 10] = 99
    path = tmp_path / "method.lhnsync"
    path.write_bytes(bytes(raw))
    return path


def _bomb(tmp_path: Path, claimed: int) -> Path:
    """A 0.97 MB file whose manifest inflates to about a gigabyte; its headers claim ``claimed`` bytes."""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b" " * (1 << 20)
    body = b"".join(packer.compress(chunk) for _ in range(950)) + packer.flush()
    assert len(body) < 1_000_000
    path = tmp_path / "bomb.lhnsync"
    path.write_bytes(_raw_zip([("manifest.json", body, claimed, 0), ("manifest.sig", b"{}", None, None)]))
    return path


def big_manifest(tmp_path: Path) -> Path:
    return _bomb(tmp_path, 950 << 20)  # honest sizes


def lying_manifest(tmp_path: Path) -> Path:
    return _bomb(tmp_path, 900_000)  # a size that passes the ratio check


def zip64_manifest(tmp_path: Path) -> Path:
    """A manifest written with zip64 headers, 1.5 MB of JSON (over the 1 MB cap) at an ordinary ratio."""
    text = json.dumps({"scope": "center", "pad": [hashlib.sha256(str(i).encode()).hexdigest() for i in range(22000)]})
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("manifest.json", "w", force_zip64=True) as member:
            member.write(text.encode())
        zf.writestr("manifest.sig", b"{}")
    path = tmp_path / "zip64.lhnsync"
    path.write_bytes(buffer.getvalue())
    return path


def _raw_zip(members: list[tuple[str, bytes, int | None, int | None]]) -> bytes:
    """A zip written by hand: deflated members (``data`` already raw deflate when a size is given)."""
    out, central = bytearray(), bytearray()
    for name, data, size, crc in members:
        if size is None:
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            size, crc, data = len(data), zlib.crc32(data), packer.compress(data) + packer.flush()
        offset = len(out)
        header = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, len(data), size, len(name), 0)
        out += header + name.encode() + data
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, len(data), size,
                               len(name), 0, 0, 0, 0, 0o644 << 16, offset) + name.encode()  # fmt: skip
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central), len(out), 0)
    return bytes(out + central + end)


@pytest.mark.parametrize(
    ("make", "codes"),
    [
        (broken_deflate, {"E_ZIP_CORRUPT"}),
        (changed_method, {"E_ZIP_LAYOUT"}),
        (big_manifest, {"E_ZIP_BOMB"}),
        (lying_manifest, {"E_ZIP_BOMB", "E_ZIP_CORRUPT"}),
        (zip64_manifest, {"E_ZIP_BOMB"}),
    ],
)
def test_the_first_look_refuses_hostile_manifests_with_a_code_within_bounded_memory(tmp_path: Path, make, codes):
    path = make(tmp_path)
    tracemalloc.start()
    try:
        with pytest.raises(BundleRejected) as caught:
            peek_manifest(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.code in codes
    assert peak < 50 * 1024 * 1024, f"the first look took {peak / 1e6:.0f} MB"
    message = str(caught.value)
    assert message.startswith(f"{path.name} was not imported") and "Nothing was changed" in message
    assert "Ask the sender for a new bundle" in message
    assert bundle_scope(path) is None


def test_the_first_look_at_other_files(tmp_path: Path):
    (tmp_path / "folder.lhnsync").mkdir()
    (tmp_path / "text.lhnsync").write_text("not a zip")
    (tmp_path / "list.lhnsync").write_bytes(_zip([("manifest.json", b"[1, 2]"), ("manifest.sig", b"{}")]))
    (tmp_path / "nan.lhnsync").write_bytes(_zip([("manifest.json", b'{"scope": NaN}'), ("manifest.sig", b"{}")]))
    digits = b'{"scope": "center", "n": ' + b"9" * 5000 + b"}"
    (tmp_path / "digits.lhnsync").write_bytes(_zip([("manifest.json", digits), ("manifest.sig", b"{}")]))
    deep = b"[" * 100_000 + b"]" * 100_000  # stored: deflated, it would expand too far for the ratio check
    stored = _zip([("manifest.json", deep), ("manifest.sig", b"{}")], zipfile.ZIP_STORED)
    (tmp_path / "deep.lhnsync").write_bytes(stored)
    expected = {"missing": "E_NOT_FOUND", "folder": "E_NOT_FOUND", "text": "E_ZIP_LAYOUT", "list": "E_MANIFEST",
                "nan": "E_MANIFEST", "digits": "E_MANIFEST", "deep": "E_MANIFEST"}  # fmt: skip
    for name, code in expected.items():
        with pytest.raises(BundleRejected) as caught:
            peek_manifest(tmp_path / f"{name}.lhnsync")
        assert caught.value.code == code, name
        assert bundle_scope(tmp_path / f"{name}.lhnsync") is None
    network = _zip([("manifest.json", b'{"scope": "network"}'), ("manifest.sig", b"{}")])
    (tmp_path / "net.lhnsync").write_bytes(network)
    assert bundle_scope(tmp_path / "net.lhnsync") == "network"


def test_the_window_and_the_command_line_take_the_same_first_look():
    import inspect

    import lhn_desktop.cli.bundle as cli
    import lhn_desktop.services.sync as service
    from lhn_desktop.sync import bundle

    assert "bundle_scope" in inspect.getsource(cli._key_for) and "zipfile" not in inspect.getsource(cli)
    assert "zipfile" not in inspect.getsource(service)
    window = Path(bundle.__file__).parents[1] / "gui" / "pages" / "sync_receive.py"
    text = window.read_text()
    assert "sync.bundle_scope(" in text and "zipfile" not in text  # the service's own first look, as the CLI


# -- a trusted peer's values ----------------------------------------------------------------------------------


def _now_hlc() -> str:
    return f"{int(datetime.now(UTC).timestamp() * 1000):013d}-00000"


def line(src: Database, record: str, field: str, value, *, dot: int = 10_000) -> bytes:
    node = src.local_node()
    return canonical_line({"id": record, "field": field, "node": node.node_id, "dot": dot, "hlc": _now_hlc(),
                           "vv": {node.node_id: dot}, "owner": node.site_code, "v": value}) + b"\n"  # fmt: skip


def craft(src: Database, folder: Path, data: dict[str, bytes], *, manifest: dict | None = None) -> Path:
    """A center bundle signed by workstation ``src`` (trusted by its peers), its data lines given as bytes."""
    node = src.local_node()
    files, members = [], []
    for entity, plain in sorted(data.items()):
        sealed, nonce = _seal(KEY, f"data/{entity}.ndjson", plain, node.site_code)
        files.append({"path": f"data/{entity}.ndjson.enc", "entity": entity, "bytes": len(sealed), "nonce": nonce,
                      "sha256": hashlib.sha256(sealed).hexdigest(), "rows": plain.count(b"\n")})  # fmt: skip
        members.append((f"data/{entity}.ndjson.enc", sealed))
    body = {"format": "qi-sync-bundle", "format_version": 1, "bundle_id": "0b0c7a6e-1111-4a2b-8c3d-00000000abcd",
            "kind": "full", "scope": "center", "audience": {"site_id": node.site_code},
            "source": {"site_id": node.site_code, "node_id": node.node_id, "key_id": node.key_id,
                       "app_version": "0.1.0"},
            "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "hlc_max": _now_hlc(),
            "schema_version": "1.0", "min_reader_schema": "1.0", "files": files,
            "counts": {e: {"records": 1, "rows": 1} for e in data}} | (manifest or {})  # fmt: skip
    manifest_bytes = json.dumps(body).encode()
    key = load_der_private_key(node.private_key, password=None)
    sig = {"alg": "ed25519", "key_id": node.key_id,
           "sig": base64.b64encode(key.sign(SIGNATURE_TAG + manifest_bytes)).decode()}  # fmt: skip
    folder.mkdir(exist_ok=True)
    path = folder / "crafted.lhnsync"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", manifest_bytes)
        zf.writestr("manifest.sig", json.dumps(sig))
        for name, blob in members:
            zf.writestr(name, blob)
    return path


def state(db: Database) -> list:
    with db.read() as s:
        values = sorted((e, r, f, n, d, v) for e, r, _, f, n, d, _, _, v in versions.scan(s))
        members = sorted((m.id, m.display_name, m.active) for m in s.scalars(select(TeamMember)))
        imports = list(s.scalars(select(SyncImportLog.bundle_id)))
    return [values, members, imports]


def _member_id(db: Database) -> str:
    with db.read() as s:
        return s.scalars(select(TeamMember.id).order_by(TeamMember.display_name)).first()


@pytest.mark.parametrize(
    ("entity", "field", "value"),
    [
        ("team_member", "active", "maybe"),  # never true
        ("team_member", "active", 1),
        ("team_member", "_deleted", "maybe"),
        ("team_member", "display_name", 12),
        ("team_member", "display_name", {"given": NAME}),
        ("improvement_goal", "start_date", NAME),
        ("improvement_goal", "start_date", "20260302"),  # a date, but not as this program writes it
        ("measure_value", "numerator", "12"),
        ("measure_value", "numerator", True),
        ("measure_value", "numerator", 2**63),
        ("usage_event", "at", 5),
    ],
)
def test_wrongly_typed_values_from_a_trusted_peer_are_refused(pair, tmp_path: Path, entity, field, value):
    a, b = pair
    record = _member_id(a) if entity == "team_member" else "7e57ab1e-0000-4000-8000-000000000001"
    path = craft(a, tmp_path / "share", {entity: line(a, record, field, value)})
    before = state(b)
    with pytest.raises(BundleRejected) as caught:
        SyncService(b).import_bundle(ADMIN, path, KEY)
    assert caught.value.code == "E_ROW" and "line 1" in str(caught.value)
    assert "Nothing was changed" in str(caught.value) and "Ask the sender for a new bundle" in str(caught.value)
    assert state(b) == before
    with pytest.raises(BundleRejected):
        SyncService(b).verify(path, KEY)  # verify runs the same check


def test_maybe_never_becomes_true(pair, tmp_path: Path):
    """The member made inactive on A stays inactive on B when a bundle says ``"maybe"``; real booleans apply."""
    a, b = pair
    member = _member_id(a)
    with b.write(ADMIN) as s:
        s.get(TeamMember, member).active = False
    refused = craft(a, tmp_path / "one", {"team_member": line(a, member, "active", "maybe")})
    with pytest.raises(BundleRejected):
        SyncService(b).import_bundle(ADMIN, refused, KEY)
    with b.read() as s:
        assert s.get(TeamMember, member).active is False
    good = craft(a, tmp_path / "two", {"team_member": line(a, member, "active", True, dot=10_001)},
                 manifest={"bundle_id": "0b0c7a6e-1111-4a2b-8c3d-00000000abce"})  # fmt: skip
    SyncService(b).import_bundle(ADMIN, good, KEY)
    with b.read() as s:
        assert s.get(TeamMember, member).active is True


def test_row_problem_knows_the_columns():
    def problem(entity, field, value):
        return row_problem(entity, Row(id="x", field=field, node="n", dot=1, hlc="0000000000001-00000", vv={"n": 1},
                                       owner="ctr-042", v=value))  # fmt: skip

    assert problem("team_member", "active", True) is None
    assert problem("team_member", "active", None) is None
    assert "true or false" in problem("team_member", "active", "maybe")
    assert problem("improvement_goal", "start_date", "2026-03-02") is None
    assert problem("usage_event", "at", "2026-03-02T10:00:00.000000") is None
    assert problem("measure_value", "numerator", 12) is None
    assert problem("network_poll", "question", 12) is None  # a newer version's kind of record: kept unread
    assert problem("team_member", "nickname", 12) is None  # and a newer version's field
    assert NAME not in (problem("improvement_goal", "start_date", NAME) or "")


# -- no value from a bundle in a message or a log line ---------------------------------------------------------


def _crafted_leaks(a: Database, folder: Path) -> dict[str, Path]:
    record = "7e57ab1e-0000-4000-8000-000000000002"
    good = line(a, record, "title", "Model care")
    duplicate = good.replace(b'"field":"title"', f'"{NAME}":1,"{NAME}":2,"field":"title"'.encode())
    extra_key = good.replace(b'"field":"title"', f'"{NAME}":1,"field":"title"'.encode())
    long_owner = good.replace(b'"owner":"', f'"owner":"{NAME * 3}'.encode())
    cases = {
        "wrong type": {"improvement_goal": line(a, record, "start_date", NAME)},
        "duplicate key": {"improvement_goal": duplicate},
        "unknown key": {"improvement_goal": extra_key},
        "long owner": {"improvement_goal": long_owner},
        "huge number": {"improvement_goal": line(a, record, "title", "x").replace(b'"v":"x"', b'"v":' + b"9" * 5000)},
    }
    out = {}
    for case, data in cases.items():
        sub = folder / case.replace(" ", "-")
        out[case] = craft(a, sub, data)
    out["manifest key"] = craft(a, folder / "manifest-key", {"improvement_goal": good}, manifest={NAME: 1})
    counts = {"improvement_goal": {"records": 1, NAME: "many"}}
    out["manifest count"] = craft(a, folder / "manifest-count", {"improvement_goal": good}, manifest={"counts": counts})
    out["audience"] = craft(
        a, folder / "audience", {"improvement_goal": good}, manifest={"audience": {"site_id": NAME}}
    )
    return out


def test_a_refused_bundle_never_repeats_its_values(pair, tmp_path: Path, caplog):
    a, b = pair
    before = state(b)
    log = logging.getLogger("lhn_desktop.tests")
    for case, path in _crafted_leaks(a, tmp_path).items():
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            with pytest.raises(BundleRejected) as caught:
                SyncService(b).import_bundle(ADMIN, path, KEY)
            log.exception("Background task failed", exc_info=caught.value)  # as the window's task runner logs it
        text = "".join(traceback.format_exception(caught.value))
        assert NAME not in str(caught.value), case
        assert NAME not in text, case
        assert NAME not in caplog.text, case
        assert "Nothing was changed" in str(caught.value), case
    assert state(b) == before


def test_the_first_look_never_repeats_a_value(tmp_path: Path):
    path = tmp_path / "named.lhnsync"
    manifest = json.dumps({"scope": "center"}).encode()[:-1] + f', "{NAME}": 1, "{NAME}": 2}}'.encode()
    path.write_bytes(_zip([("manifest.json", manifest), ("manifest.sig", b"{}"), (f"{NAME}.txt", b"x")]))
    with pytest.raises(BundleRejected) as caught:
        peek_manifest(path)
    assert caught.value.code == "E_ZIP_LAYOUT" and NAME not in "".join(traceback.format_exception(caught.value))
    path.write_bytes(_zip([("manifest.json", manifest), ("manifest.sig", b"{}")]))
    with pytest.raises(BundleRejected) as caught:
        peek_manifest(path)
    assert caught.value.code == "E_MANIFEST" and NAME not in "".join(traceback.format_exception(caught.value))
