"""The bundle file: written deterministically, read through every check, refused with a code (SYNC.md 2)."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import given, settings
from hypothesis import strategies as st

from lhn_desktop.sync.bundle import (
    BundleRejected,
    BundleWriter,
    RawJSON,
    Signer,
    canonical_line,
    open_bundle,
    read_bundle,
    write_bundle,
)
from lhn_desktop.sync.merge import canonical_json

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
KEY_ID = hashlib.sha256(PUBLIC).hexdigest()[:16]
CENTER_KEY = bytes(range(32))
NODE = "9b0c7a6e-1111-4a2b-8c3d-000000000001"
SOURCE = {"site_id": "ctr-042", "node_id": NODE, "key_id": KEY_ID, "app_version": "0.1.0"}
HLC = f"{int(NOW.timestamp() * 1000):013d}-00000"


def row(record: str, field: str, value, dot: int = 1, owner: str = "ctr-042", hlc: str = HLC) -> dict:
    return {"id": record, "field": field, "node": NODE, "dot": dot, "hlc": hlc, "vv": {NODE: dot}, "owner": owner,
            "v": value}  # fmt: skip


ROWS = {"resource": [row("c1", "title", "Checklist", 2), row("c1", "_deleted", False, 1)],
        "measure_value": [row("m1", "numerator", 12, 3)]}  # fmt: skip


def trust(key_id: str) -> Signer | None:
    return Signer(PUBLIC, "ctr-042", "node") if key_id == KEY_ID else None


def write(tmp_path: Path, rows=ROWS, scope="center", audience="ctr-042", **kw) -> Path:
    folder = tmp_path / "out"
    folder.mkdir(parents=True, exist_ok=True)
    key = CENTER_KEY if scope == "center" else None
    return write_bundle(rows, scope=scope, source=SOURCE, audience_site=audience, sign=KEY.sign, hlc_max=HLC,
                        folder=folder, center_key=key, created_at=NOW, **kw)  # fmt: skip


def read(path: Path, **kw):
    options = {"trust": trust, "local_site": "ctr-042", "center_key": CENTER_KEY, "now": NOW} | kw
    return read_bundle(path, **options)


def code_of(path: Path, **kw) -> str:
    with pytest.raises(BundleRejected) as caught:
        read(path, **kw)
    assert "Nothing was changed" in str(caught.value)
    return caught.value.code


def rebuild(path: Path, change) -> Path:
    """Rewrite a bundle's members through ``change(name, data) -> (name, data) | None``."""
    out = path.with_name("changed.lhnsync")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            result = change(info.filename, src.read(info))
            if result is not None:
                dst.writestr(result[0], result[1])
    return out


def test_round_trip_center_and_network(tmp_path: Path):
    center = read(write(tmp_path))
    assert {e: [(r.id, r.field, r.v) for r in rows] for e, rows in center.rows.items()} == {
        "measure_value": [("m1", "numerator", 12)],
        "resource": [("c1", "_deleted", False), ("c1", "title", "Checklist")],
    }
    with zipfile.ZipFile(write(tmp_path, bundle_id="00000000-0000-4000-8000-000000000001")) as zf:
        assert sorted(zf.namelist()) == ["data/counts.json.enc", "data/measure_value.ndjson.enc",
                                         "data/resource.ndjson.enc", "manifest.json", "manifest.sig"]  # fmt: skip
        assert b"Checklist" not in zf.read("data/resource.ndjson.enc")  # sealed
    network = read(write(tmp_path, scope="network", audience="ctr-042"))
    assert network.manifest.scope == "network" and len(network.rows["resource"]) == 2


def test_export_is_deterministic_and_atomic(tmp_path: Path):
    first, second = write(tmp_path), write(tmp_path, bundle_id="00000000-0000-4000-8000-000000000002")
    with zipfile.ZipFile(first) as a, zipfile.ZipFile(second) as b:
        for name in a.namelist():
            if name.startswith("data/"):
                assert a.read(name) == b.read(name)
    assert not list((tmp_path / "out").glob("*.part"))
    assert first.name.startswith("ctr-042_9b0c7a6e_20260302T120000Z_") and first.suffix == ".lhnsync"


def test_tampered_data_and_manifest(tmp_path: Path):
    path = write(tmp_path, scope="network")
    flipped = rebuild(
        path, lambda n, d: (n, d.replace(b"Checklist", b"Checklisz")) if n.startswith("data/") else (n, d)
    )
    assert code_of(flipped) == "E_HASH_MISMATCH"
    edited = rebuild(path, lambda n, d: (n, d.replace(b'"rows": 2', b'"rows": 3')) if n == "manifest.json" else (n, d))
    assert code_of(edited) == "E_SIGNATURE"


def test_truncated_and_not_a_zip(tmp_path: Path):
    path = write(tmp_path)
    data = path.read_bytes()
    for cut in (10, len(data) // 2, len(data) - 5):
        short = tmp_path / f"short{cut}.lhnsync"
        short.write_bytes(data[:cut])
        assert code_of(short) in ("E_ZIP_LAYOUT", "E_ZIP_CORRUPT")


def test_signers(tmp_path: Path):
    path = write(tmp_path)
    assert code_of(path, trust=lambda _k: None) == "E_UNKNOWN_SIGNER"
    assert code_of(path, trust=lambda _k: Signer(PUBLIC, "ctr-042", "node", revoked=True)) == "E_KEY_REVOKED"
    other = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    assert code_of(path, trust=lambda _k: Signer(other, "ctr-042", "node")) == "E_SIGNATURE"


def test_network_rows_of_another_site_are_refused(tmp_path: Path):
    path = write(tmp_path, rows={"resource": [row("r1", "title", "x", owner="ctr-999")]}, scope="network")
    assert code_of(path) == "E_UNAUTHORIZED_ROWS"


def test_replay(tmp_path: Path):
    path = write(tmp_path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert read(path, previous=lambda _b: digest).already_imported
    assert code_of(path, previous=lambda _b: "0" * 64) == "E_REPLAY_CONFLICT"


def test_future_clock_and_audience(tmp_path: Path):
    ahead = f"{int((NOW + timedelta(minutes=11)).timestamp() * 1000):013d}-00000"
    path = write(tmp_path, rows={"resource": [row("g1", "title", "x", hlc=ahead)]})
    assert code_of(path) == "E_CLOCK_FUTURE"
    assert code_of(write(tmp_path), local_site="ctr-777") == "E_WRONG_AUDIENCE"
    assert code_of(write(tmp_path), is_ncc=True) == "E_WRONG_AUDIENCE"
    assert code_of(write(tmp_path), center_key=bytes(32)) == "E_DECRYPT"
    assert code_of(write(tmp_path), center_key=None) == "E_DECRYPT"


@pytest.mark.parametrize("name", ["../x", "/x", "C:\\x", "data/../../x", "data\\x.ndjson", "data/X.ndjson"])
def test_zip_slip_names_are_refused_before_anything_is_read(tmp_path: Path, name: str):
    path = rebuild(write(tmp_path), lambda n, d: (n, d))
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr(name, b"x")
    assert code_of(path) == "E_ZIP_LAYOUT"
    assert not (tmp_path / "x").exists()


def test_zip_bomb_and_too_many_members(tmp_path: Path):
    bomb = rebuild(write(tmp_path), lambda n, d: (n, d))
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("data/bomb.ndjson", b"\n" * 10_000_000)
    assert code_of(bomb) == "E_ZIP_BOMB"
    many = rebuild(write(tmp_path), lambda n, d: (n, d))
    with zipfile.ZipFile(many, "a") as zf:
        for k in range(70):
            zf.writestr(f"data/e{k}.ndjson", b"")
    assert code_of(many) == "E_ZIP_LAYOUT"


@pytest.mark.parametrize(
    "line",
    [b'{"id":"a","field":"f","node":"n","dot":1,"hlc":"0000000000001-00000","vv":{"n":1},"owner":"ctr-042","v":NaN}',
     b'{"id":"a","id":"b","field":"f","node":"n","dot":1,"hlc":"0000000000001-00000","vv":{"n":1},"owner":"ctr-042"}',
     b"\xff\xfe not utf-8", b'{"id": "a"} trailing', b"[" * 100 + b"]" * 100,
     b'{"id":"a","field":"f","node":"n","dot":1,"hlc":"0000000000001-00000","vv":{"n":2},"owner":"ctr-042"}'],
)  # fmt: skip
def test_malformed_rows_name_the_file_and_line(tmp_path: Path, line: bytes):
    """A correctly signed bundle whose data line is not strict, valid JSON is refused with the line number."""
    data = line + b"\n"
    manifest = json.loads(zipfile.ZipFile(write(tmp_path, scope="network")).read("manifest.json"))
    digest = hashlib.sha256(data).hexdigest()
    manifest["files"] = [{"path": "data/resource.ndjson", "entity": "resource", "sha256": digest, "bytes": len(data),
                          "rows": 1}]  # fmt: skip
    body = json.dumps(manifest).encode()
    import base64

    sig = json.dumps({"alg": "ed25519", "key_id": KEY_ID,
                      "sig": base64.b64encode(KEY.sign(b"qi-sync-bundle/v1\n" + body)).decode()}).encode()  # fmt: skip
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", body)
        zf.writestr("manifest.sig", sig)
        zf.writestr("data/resource.ndjson", data)
    path = tmp_path / "bad.lhnsync"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(BundleRejected) as caught:
        read(path)
    assert caught.value.code in ("E_JSON", "E_ROW") and "line 1" in str(caught.value)
    assert "data/resource.ndjson" in str(caught.value)


@pytest.mark.parametrize(
    ("rows", "why"),
    [
        ({"patient": [row("p1", "family_name", "Testcase")]}, "may not carry patient records"),
        ({"resource": [row("r1", "owner_member_id", "m1")]}, "carries the field owner_member_id"),
        ({"measure_definition": [row("d1", "title", "Remission")]}, "only the network coordinating center"),
    ],
)
def test_network_bundles_carry_only_the_allowlist(tmp_path: Path, rows, why: str):
    path = write(tmp_path, rows=rows, scope="network", audience="ncc")
    with pytest.raises(BundleRejected) as caught:
        read(path, local_site="ncc", is_ncc=True)
    assert caught.value.code == "E_UNAUTHORIZED_ROWS" and why in str(caught.value)


def test_the_allowlist_names_real_fields_and_no_patient_data():
    from lhn_desktop.models.base import UNCAPTURED_COLUMNS
    from lhn_desktop.store.sync_apply import syncable_tables
    from lhn_desktop.sync.scope import (
        NETWORK_FIELDS,
        NETWORK_REFUSED_ENTITIES,
        NETWORK_REFUSED_FIELDS,
        NETWORK_TEXT,
        PATIENT_ENTITIES,
    )  # fmt: skip

    tables = syncable_tables()
    assert not set(NETWORK_FIELDS) & PATIENT_ENTITIES and PATIENT_ENTITIES <= NETWORK_REFUSED_ENTITIES
    # every entity this version knows is either shared or refused, and every known field likewise
    assert set(NETWORK_FIELDS) | NETWORK_REFUSED_ENTITIES == set(tables)
    for entity, fields in NETWORK_FIELDS.items():
        columns = {c.name for c in tables[entity].columns} - UNCAPTURED_COLUMNS
        assert fields <= columns, entity
        assert columns - fields == NETWORK_REFUSED_FIELDS.get(entity, frozenset()), entity
        assert set(NETWORK_TEXT.get(entity, ())) <= fields


def test_a_newer_minor_schema_may_add_network_fields_but_never_patient_data(tmp_path: Path):
    rows = {"resource": [row("r1", "title", "Checklist"), row("r1", "reading_time", 5)],
            "network_poll": [row("q1", "question", "Which huddle format works?")]}  # fmt: skip
    for only in ("resource", "network_poll"):  # unknown to this version: refused at the same schema
        path = write(tmp_path, rows={only: rows[only]}, scope="network", audience="ncc")
        with pytest.raises(BundleRejected, match="reading_time" if only == "resource" else "network_poll"):
            read(path, local_site="ncc", is_ncc=True)
    signed = write(tmp_path, rows=rows, scope="network", audience="ncc", schema="1.9")
    assert set(read(signed, local_site="ncc", is_ncc=True).rows) == {"resource", "network_poll"}
    patient = write(tmp_path, rows={"patient": [row("p1", "mrn", "x")]}, scope="network", audience="ncc", schema="1.9")
    with pytest.raises(BundleRejected, match="may not carry patient"):
        read(patient, local_site="ncc", is_ncc=True)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=300)
@given(value=JSON_VALUES, text=st.text(min_size=1, max_size=12), dot=st.integers(1, 2**53),
       owner=st.none() | st.text(max_size=8))  # fmt: skip
def test_a_line_from_stored_json_text_is_the_same_as_from_the_values(value, text: str, dot: int, owner):
    """The export writes stored JSON text straight into its lines; the bytes must be those of the values."""
    decoded = {"id": text, "field": text[::-1], "node": NODE, "dot": dot, "hlc": HLC, "vv": {NODE: dot, text: 1},
               "owner": owner, "v": value}  # fmt: skip
    raw = decoded | {"v": RawJSON(canonical_json(value)), "vv": RawJSON(canonical_json(decoded["vv"]))}
    assert canonical_line(raw) == canonical_line(decoded)
    assert json.loads(canonical_line(raw)) == decoded


def test_a_center_export_writes_the_same_bytes_as_from_decoded_values(tmp_path: Path):
    raw_rows = {e: [r | {"v": RawJSON(canonical_json(r["v"])), "vv": RawJSON(canonical_json(r["vv"]))} for r in rows]
                for e, rows in ROWS.items()}  # fmt: skip
    paths = [
        write(tmp_path / name, rows=r, bundle_id="00000000-0000-4000-8000-000000000001")
        for name, r in (("decoded", ROWS), ("raw", raw_rows))
    ]
    assert paths[0] != paths[1]
    with zipfile.ZipFile(paths[0]) as first, zipfile.ZipFile(paths[1]) as second:
        assert [first.read(n) for n in first.namelist()] == [second.read(n) for n in second.namelist()]


def written_in_parts(tmp_path: Path, rows: dict[str, list[dict]], scope: str = "center", part_bytes: int = 400):
    folder = tmp_path / "parts"
    folder.mkdir(exist_ok=True)
    key = CENTER_KEY if scope == "center" else None
    with BundleWriter(scope=scope, source=SOURCE, audience_site="ctr-042", folder=folder, center_key=key,
                      created_at=NOW, part_bytes=part_bytes) as writer:  # fmt: skip
        for entity in sorted(rows):
            records = sorted({r["id"] for r in rows[entity]})
            for start in range(0, len(records), 2):  # batches of two whole records, as an export streams them
                batch = set(records[start : start + 2])
                writer.add(entity, [r for r in rows[entity] if r["id"] in batch])
        return writer.finish(sign=KEY.sign, hlc_max=HLC)


MANY = {"measure_value": [row(f"m{k:03d}", field, k, dot) for k in range(40)
                          for dot, field in ((1, "_deleted"), (2, "numerator"), (3, "denominator"))],
        "resource": [row(f"c{k:02d}", "title", f"Checklist {k}", 1) for k in range(9)]}  # fmt: skip


@pytest.mark.parametrize("scope", ["center", "network"])
def test_a_large_bundle_is_written_in_parts_and_read_back_whole(tmp_path: Path, scope: str):
    path = written_in_parts(tmp_path, MANY, scope)
    with zipfile.ZipFile(path) as zf:
        names = [n for n in zf.namelist() if n.startswith("data/measure_value")]
    suffix = ".ndjson.enc" if scope == "center" else ".ndjson"
    assert len(names) > 3 and f"data/measure_value{suffix}" in names and f"data/measure_value.2{suffix}" in names
    bundle = read(path)
    for entity, expected in MANY.items():
        got = sorted((r.id, r.field) for r in bundle.rows[entity])
        assert got == sorted((r["id"], r["field"]) for r in expected)
    with open_bundle(path, trust=trust, local_site="ctr-042", center_key=CENTER_KEY, now=NOW) as reader:
        assert reader.total_rows == 129
        seen: dict[str, str] = {}
        for number, (_entity, part) in enumerate(reader.parts()):
            for r in part:  # a record's versions are never split between two parts
                assert seen.setdefault(r.id, str(number)) == str(number)


def test_a_part_missing_from_a_bundle_is_refused(tmp_path: Path):
    path = written_in_parts(tmp_path, MANY, "network")
    assert code_of(rebuild(path, lambda n, d: None if n == "data/measure_value.2.ndjson" else (n, d))) == "E_ZIP_LAYOUT"


def test_a_damaged_later_part_is_refused_after_earlier_parts_were_read(tmp_path: Path):
    """Parts are read as they are merged: the first comes before the damage in the third is found, and the
    refusal comes from the reading (an import then rolls back what it merged)."""
    path = written_in_parts(tmp_path, MANY, "network")
    damaged = rebuild(path, lambda n, d: (n, d.replace(b'"v":', b'"v": ')) if n.endswith(".3.ndjson") else (n, d))
    with open_bundle(damaged, trust=trust, local_site="ctr-042", now=NOW) as reader:
        parts = reader.parts()
        assert next(parts)[0] == "measure_value"
        with pytest.raises(BundleRejected) as caught:
            list(parts)
    assert caught.value.code == "E_HASH_MISMATCH"


def test_a_write_stopped_halfway_leaves_nothing_behind(tmp_path: Path):
    folder = tmp_path / "out"
    folder.mkdir()
    writer = BundleWriter(scope="network", source=SOURCE, audience_site="ncc", folder=folder, created_at=NOW,
                          part_bytes=100)  # fmt: skip
    with pytest.raises(RuntimeError), writer:
        writer.add("measure_value", MANY["measure_value"][:30])
        raise RuntimeError("the export stopped")
    assert list(folder.iterdir()) == []
