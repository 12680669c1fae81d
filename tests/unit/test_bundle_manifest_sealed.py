"""A center bundle's clear-text manifest says nothing of how many patients (or other records) the center has
(issue 18, item 7): the counts travel sealed under the center key, and the reader still checks them."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from lhn_desktop.sync.bundle import SIGNATURE_TAG, BundleRejected, Signer, read_bundle, write_bundle
from tests.sync.test_integrity import CENTER_KEY as KEY
from tests.sync.test_integrity import HLC, NODE, NOW, SITE

SIGNER = Ed25519PrivateKey.from_private_bytes(hashlib.sha256(b"sealed counts test").digest())
PUBLIC = SIGNER.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
KEY_ID = hashlib.sha256(PUBLIC).hexdigest()[:16]
PATIENTS = 37


def rows() -> dict[str, list[dict]]:
    def row(record: str, field: str, value, dot: int) -> dict:
        return {"id": record, "field": field, "node": NODE, "dot": dot, "hlc": HLC, "vv": {NODE: dot}, "owner": SITE,
                "v": value}  # fmt: skip

    patients = [row(f"p{n:03d}", "family_name", f"Family {n}", n + 1) for n in range(PATIENTS)]
    return {"patient": patients, "resource": [row("r1", "title", "Checklist", 100)]}


def write(tmp_path: Path, scope: str = "center") -> Path:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    source = {"site_id": SITE, "node_id": NODE, "key_id": KEY_ID, "app_version": "0.1.0"}
    data = rows() if scope == "center" else {"resource": rows()["resource"]}
    return write_bundle(data, scope=scope, source=source, audience_site=SITE, sign=SIGNER.sign, hlc_max=HLC,
                        folder=out, center_key=KEY if scope == "center" else None, created_at=NOW)  # fmt: skip


def read(path: Path, key: bytes | None = KEY):
    trust = lambda k: Signer(PUBLIC, SITE, "node") if k == KEY_ID else None  # noqa: E731
    return read_bundle(path, trust=trust, local_site=SITE, center_key=key, now=NOW)


def resigned(path: Path, edit) -> Path:
    """The bundle with its manifest changed by ``edit(manifest)`` and signed again by the sender."""
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        members = [(i.filename, zf.read(i)) for i in zf.infolist() if i.filename.startswith("data/")]
    edit(manifest)
    body = json.dumps(manifest, indent=1).encode()
    sig = {"alg": "ed25519", "key_id": KEY_ID, "sig": base64.b64encode(SIGNER.sign(SIGNATURE_TAG + body)).decode()}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", body)
        zf.writestr("manifest.sig", json.dumps(sig))
        for name, data in members:
            zf.writestr(name, data)
    target = path.with_name("resigned.lhnsync")
    target.write_bytes(buffer.getvalue())
    return target


def numbers(value) -> list[int]:
    if isinstance(value, dict):
        return [n for item in value.values() for n in numbers(item)]
    if isinstance(value, list):
        return [n for item in value for n in numbers(item)]
    return [value] if type(value) is int else []


def test_the_center_manifest_holds_no_count_in_clear_text(tmp_path: Path):
    with zipfile.ZipFile(write(tmp_path)) as zf:
        raw = zf.read("manifest.json")
        names = zf.namelist()
    manifest = json.loads(raw)
    assert "counts" not in manifest
    assert all("rows" not in f for f in manifest["files"])
    assert b'"records"' not in raw and b'"rows"' not in raw
    assert PATIENTS not in numbers(manifest)  # only the sealed files' sizes are numbers here
    assert manifest["sealed"]["path"] == "data/counts.json.enc" and "data/counts.json.enc" in names


def test_the_sealed_counts_are_read_and_checked(tmp_path: Path):
    path = write(tmp_path)
    verified = read(path)
    assert len({r.id for r in verified.rows["patient"]}) == PATIENTS
    with pytest.raises(BundleRejected) as caught:
        read(path, key=None)
    assert caught.value.code == "E_DECRYPT"
    with pytest.raises(BundleRejected) as caught:
        read(path, key=bytes(32))
    assert caught.value.code == "E_DECRYPT"


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (lambda m: m.update(counts={"patient": {"records": PATIENTS, "rows": PATIENTS}}), "E_MANIFEST"),
        (lambda m: m["files"][0].update(rows=PATIENTS), "E_MANIFEST"),
        (lambda m: m.pop("sealed"), "E_MANIFEST"),  # neither sealed nor clear counts
        (lambda m: m.update(files=m["files"][1:]), "E_ZIP_LAYOUT"),  # a data file the manifest does not list
    ],
)
def test_counts_in_the_clear_beside_sealed_ones_or_missing_are_refused(tmp_path: Path, edit, code: str):
    with pytest.raises(BundleRejected) as caught:
        read(resigned(write(tmp_path), edit))
    assert caught.value.code == code and "Nothing was changed" in str(caught.value)


def test_sealed_counts_that_do_not_match_the_data_are_refused(tmp_path: Path):
    """Counts sealed for other data (another bundle's) than the data files they come with."""
    first = write(tmp_path)
    with zipfile.ZipFile(first) as zf:
        sealed_first = zf.read("data/counts.json.enc")
        nonce_first = json.loads(zf.read("manifest.json"))["sealed"]["nonce"]
    network_like = tmp_path / "other"
    network_like.mkdir()
    source = {"site_id": SITE, "node_id": NODE, "key_id": KEY_ID, "app_version": "0.1.0"}
    fewer = {"patient": rows()["patient"][:5], "resource": rows()["resource"]}
    second = write_bundle(fewer, scope="center", source=source, audience_site=SITE, sign=SIGNER.sign, hlc_max=HLC,
                          folder=network_like, center_key=KEY, created_at=NOW)  # fmt: skip

    def swap(manifest: dict) -> None:
        manifest["sealed"] |= {"sha256": hashlib.sha256(sealed_first).hexdigest(), "bytes": len(sealed_first),
                               "nonce": nonce_first}  # fmt: skip

    changed = resigned(second, swap)
    with zipfile.ZipFile(changed) as zf:
        members = {i.filename: zf.read(i) for i in zf.infolist()}
    members["data/counts.json.enc"] = sealed_first
    with zipfile.ZipFile(changed, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    with pytest.raises(BundleRejected) as caught:
        read(changed)
    assert caught.value.code == "E_COUNT_MISMATCH"


def test_network_bundles_keep_their_counts_in_the_clear(tmp_path: Path):
    with zipfile.ZipFile(write(tmp_path, scope="network")) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["counts"] == {"resource": {"records": 1, "rows": 1}} and "sealed" not in manifest


def test_center_bundles_of_the_first_release_with_clear_counts_are_still_read():
    path = Path(__file__).parents[1] / "sync" / "data" / "release-0.1-center.lhnsync"
    with zipfile.ZipFile(path) as zf:
        manifest = json.loads(zf.read("manifest.json"))
    assert manifest["counts"] and "sealed" not in manifest  # the old layout; test_integrity reads it
