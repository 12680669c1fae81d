"""Attached files travel with their resource: in a center bundle (sealed) to the center's other workstations, and
in network bundles to the coordinating center and on to the other centers; hash-checked, size-capped and stored
once by hash. A bundle that carries a changed, unnamed, oversized or surplus file is refused and changes nothing."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lhn_desktop.errors import LhnError, NotFound, ValidationError
from lhn_desktop.models.sync import SyncImportLog
from lhn_desktop.services import sync as sync_module
from lhn_desktop.services.commons import CommonsService, attachments_folder
from lhn_desktop.services.sync import SyncService
from lhn_desktop.store.database import Database
from lhn_desktop.store.limits import MAX_TEXT
from lhn_desktop.sync import bundle as bundle_module
from tests.stored_versions import edit_versions
from tests.sync.test_integrity import (
    CENTER_KEY,
    TEST_KEY,
    assemble,
    folder,
    manifest_for,
    read,
    rejected,
    resign,
    row,
    written,
)
from tests.sync.test_network import ADMIN, network, send  # noqa: F401 (fixtures)

FORM = b"%PDF-1.7 pre-visit planning form " + bytes(range(256)) * 8
FORM_HASH = hashlib.sha256(FORM).hexdigest()


def commons(db: Database) -> CommonsService:
    return CommonsService(db, attachments_folder(db.path))


def share_with_file(db: Database, tmp_path: Path, title: str, name: str, content: bytes) -> str:
    source = folder(tmp_path / "to-attach") / name
    source.write_bytes(content)
    return commons(db).add_resource(ADMIN, title=title, kind="tool", summary="A form families fill in before clinic.",
                                    attachment=source)  # fmt: skip


def imports(db: Database) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(SyncImportLog))


# -- between the workstations of one center ------------------------------------------------------------------------


def test_an_attachment_arrives_sealed_with_its_resource_at_another_workstation(pair, tmp_path: Path):
    a, b = pair
    rid = share_with_file(a, tmp_path, "Pre-visit form", "form.pdf", FORM)
    path = SyncService(a).export_center(ADMIN, folder(tmp_path / "share"), CENTER_KEY)
    with zipfile.ZipFile(path) as zf:
        member = f"files/{FORM_HASH}.enc"
        assert member in zf.namelist()
        assert FORM[:40] not in zf.read(member)  # sealed under the center key, not in the clear
    report = SyncService(b).import_bundle(ADMIN, path, CENTER_KEY)
    assert report.attachments == 1 and "1 attached file stored" in report.summary
    assert commons(b).attachment(rid) == ("form.pdf", FORM)

    again = SyncService(a).export_center(ADMIN, folder(tmp_path / "share2"), CENTER_KEY)
    second = SyncService(b).import_bundle(ADMIN, again, CENTER_KEY)
    assert second.attachments == 0  # stored once, by its hash
    assert sorted(p.name for p in attachments_folder(b.path).iterdir()) == [FORM_HASH]


def test_a_resource_that_arrives_without_its_file_says_so(pair, tmp_path: Path):
    """The sender's own copy changed after it was attached: it is not sent, and the receiver is told the file has
    not arrived rather than shown a different one."""
    a, b = pair
    rid = share_with_file(a, tmp_path, "Pre-visit form", "form.pdf", FORM)
    (attachments_folder(a.path) / FORM_HASH).write_bytes(b"%PDF changed on the sending workstation")
    path = SyncService(a).export_center(ADMIN, folder(tmp_path / "share"), CENTER_KEY)
    with zipfile.ZipFile(path) as zf:
        assert not [n for n in zf.namelist() if n.startswith("files/")]
    assert SyncService(b).import_bundle(ADMIN, path, CENTER_KEY).attachments == 0
    with pytest.raises(NotFound, match="form.pdf is not on this computer yet"):
        commons(b).attachment(rid)


def test_a_damaged_copy_at_the_receiver_is_replaced_by_the_checked_one(pair, tmp_path: Path):
    a, b = pair
    rid = share_with_file(a, tmp_path, "Pre-visit form", "form.pdf", FORM)
    damaged = folder(attachments_folder(b.path)) / FORM_HASH
    damaged.write_bytes(b"half a file")
    path = SyncService(a).export_center(ADMIN, folder(tmp_path / "share"), CENTER_KEY)
    assert SyncService(b).import_bundle(ADMIN, path, CENTER_KEY).attachments == 1
    assert commons(b).attachment(rid)[1] == FORM


# -- through the coordinating center -------------------------------------------------------------------------------


def test_an_attachment_travels_through_the_coordinator_and_its_words_are_found(network, tmp_path: Path):  # noqa: F811
    a, b, ncc = network
    words = b"Ask about the zygomorphic growth chart before weighing.\n"
    rid = share_with_file(a, tmp_path, "Weighing script", "script.txt", words)
    digest = hashlib.sha256(words).hexdigest()
    report, path = send(a, ncc, tmp_path / "to-ncc")
    with zipfile.ZipFile(path) as zf:
        assert zf.read(f"files/{digest}") == words  # a network bundle is not sealed: it holds no patient data
    assert report.attachments == 1
    report, _ = send(ncc, b, tmp_path / "to-b", audience="ctr-042")
    assert report.attachments == 1
    assert commons(b).attachment(rid)[1] == words
    assert [r.id for r in commons(b).search("zygomorphic")] == [rid]  # indexed on arrival


def test_attachments_past_the_bundle_budget_stay_behind_and_the_review_says_which(pair, tmp_path: Path, monkeypatch):
    a, b = pair
    older = share_with_file(a, tmp_path, "Older form", "older.pdf", FORM)
    newer = share_with_file(a, tmp_path, "Newer form", "newer.pdf", FORM + b"v2")
    monkeypatch.setattr(sync_module, "ATTACHMENT_BUDGET", len(FORM) + 10)
    warnings = SyncService(a).preview(ADMIN, "center").warnings
    assert any("1 attached file (" in w and "does not fit" in w and "\u201cOlder form\u201d" in w
               and "link large files" in w for w in warnings)  # fmt: skip
    path = SyncService(a).export_center(ADMIN, folder(tmp_path / "share"), CENTER_KEY)
    SyncService(b).import_bundle(ADMIN, path, CENTER_KEY)
    assert commons(b).attachment(newer)[1] == FORM + b"v2"  # newest first
    with pytest.raises(NotFound):
        commons(b).attachment(older)


# -- hostile files --------------------------------------------------------------------------------------------------

RESOURCE = [row("r1", "title", "A form"), row("r1", "attachment_sha256", FORM_HASH)]


def crafted(tmp_path: Path, files: dict[str, bytes], *, rows=None, scope: str = "network") -> Path:
    """A bundle signed with the test key that carries ``files`` (member name -> bytes) as its attachments."""
    data = b"".join(json.dumps(r, sort_keys=True).encode() + b"\n" for r in rows or RESOURCE)
    manifest, members = manifest_for({"resource": data}, scope)
    manifest["attachments"] = [{"path": name, "sha256": hashlib.sha256(body).hexdigest(), "bytes": len(body)}
                               for name, body in sorted(files.items())]  # fmt: skip
    path = folder(tmp_path / "crafted") / "attached.lhnsync"
    path.write_bytes(assemble(manifest, members + sorted(files.items())))
    return path


def test_the_writer_and_reader_agree_on_an_attachment(tmp_path: Path):
    for scope in ("network", "center"):
        path = written(tmp_path, {"resource": RESOURCE}, scope=scope, attachments={FORM_HASH: FORM})
        assert read(path).attachments == {FORM_HASH: FORM}


def test_a_file_that_does_not_match_the_hash_its_name_gives_is_refused(tmp_path: Path):
    error = rejected(lambda: read(crafted(tmp_path, {f"files/{FORM_HASH}": FORM + b"!"})), "E_HASH_MISMATCH")
    assert "attached file does not match" in str(error)


def test_a_file_no_resource_attaches_is_refused(tmp_path: Path):
    other = b"a file slipped in"
    stray = {f"files/{hashlib.sha256(other).hexdigest()}": other}
    error = rejected(lambda: read(crafted(tmp_path, stray)), "E_UNAUTHORIZED_ROWS")
    assert "no resource in it attaches" in str(error)


def test_an_attachment_changed_after_signing_is_a_hash_mismatch(tmp_path: Path):
    path = written(tmp_path, {"resource": RESOURCE}, attachments={FORM_HASH: FORM})
    changed = tmp_path / "changed.lhnsync"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(changed, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(
                info, data.replace(b"pre-visit", b"post-visit") if info.filename.startswith("files/") else data
            )
    rejected(lambda: read(changed), "E_HASH_MISMATCH")


def test_an_unsealed_file_in_a_center_bundle_is_refused(tmp_path: Path):
    path = written(tmp_path, {"resource": RESOURCE}, scope="center")
    unsealed = resign(path, TEST_KEY, edit=lambda m: m.setdefault("attachments", []).append(
        {"path": f"files/{FORM_HASH}", "sha256": hashlib.sha256(FORM).hexdigest(), "bytes": len(FORM)}))  # fmt: skip
    with zipfile.ZipFile(unsealed, "a") as zf:
        zf.writestr(f"files/{FORM_HASH}", FORM)
    error = rejected(lambda: read(unsealed), "E_ZIP_LAYOUT")
    assert "attachment that is missing or misnamed" in str(error)


def test_an_attached_file_over_the_size_limit_is_refused(tmp_path: Path, monkeypatch):
    path = crafted(tmp_path, {f"files/{FORM_HASH}": FORM})
    monkeypatch.setattr(bundle_module, "ATTACHMENT_MAX_BYTES", len(FORM) - 1)
    error = rejected(lambda: read(path), "E_TOO_LARGE")
    assert "larger than" in str(error)


def test_more_attachments_than_allowed_are_refused_before_any_is_read(tmp_path: Path, monkeypatch):
    contents = [f"form {k}".encode() for k in range(3)]
    rows = [row(f"r{k}", "attachment_sha256", hashlib.sha256(c).hexdigest()) for k, c in enumerate(contents)]
    path = crafted(tmp_path, {f"files/{hashlib.sha256(c).hexdigest()}": c for c in contents}, rows=rows)
    assert len(read(path).attachments) == 3
    monkeypatch.setattr(bundle_module, "MAX_ATTACHMENTS", 2)
    error = rejected(lambda: read(path), "E_ZIP_LAYOUT")
    assert "3 attachments, more than 2" in str(error)


def test_a_receiver_with_a_full_disk_stores_nothing_and_says_so(pair, tmp_path: Path, monkeypatch):
    a, b = pair
    rid = share_with_file(a, tmp_path, "Pre-visit form", "form.pdf", FORM)
    path = SyncService(a).export_center(ADMIN, folder(tmp_path / "share"), CENTER_KEY)
    before, real_fsync = imports(b), os.fsync

    def full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(sync_module.os, "fsync", full)
    error = rejected(lambda: SyncService(b).import_bundle(ADMIN, path, CENTER_KEY), "E_APPLY")
    assert "the disk is full" in str(error)
    assert imports(b) == before and list(attachments_folder(b.path).iterdir()) == []  # no .part left behind
    monkeypatch.setattr(sync_module.os, "fsync", real_fsync)
    assert SyncService(b).import_bundle(ADMIN, path, CENTER_KEY).attachments == 1
    assert commons(b).attachment(rid)[1] == FORM


# -- the other export and import faults of the same review -----------------------------------------------------------


def test_an_export_onto_a_full_disk_leaves_no_part_file(pair, tmp_path: Path, monkeypatch):
    a, _b = pair
    target = folder(tmp_path / "usb")

    def full(_fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(bundle_module.os, "fsync", full)
    with pytest.raises(LhnError, match="the disk is full. Nothing was exported"):
        SyncService(a).export_center(ADMIN, target, CENTER_KEY)
    assert list(target.iterdir()) == []


def test_a_bundle_imported_by_another_process_meanwhile_is_reported_as_imported(pair, tmp_path: Path, monkeypatch):
    """Two windows (or a window and the command line) verify the same bundle at once; the second to merge finds it
    imported under the write lock and says so, instead of failing with advice about disk space."""
    a, b = pair
    share_with_file(a, tmp_path, "Pre-visit form", "form.pdf", FORM)
    path = SyncService(a).export_center(ADMIN, folder(tmp_path / "share"), CENTER_KEY)
    monkeypatch.setattr(SyncService, "_previous", lambda self, bundle_id: None)  # both verified before either merged
    first = SyncService(b).import_bundle(ADMIN, path, CENTER_KEY)
    second = SyncService(b).import_bundle(ADMIN, path, CENTER_KEY)
    assert not first.already_imported and second.already_imported
    assert second.summary.endswith("already imported; nothing changed.")
    assert imports(b) == 1


def test_a_text_stored_over_the_limit_before_the_check_stops_the_export_by_name(pair, tmp_path: Path):
    a, _b = pair
    rid = share_with_file(a, tmp_path, "Pre-visit form", "form.pdf", FORM)
    with a.write(ADMIN) as s:  # as an older release could have stored it
        edit_versions(s, lambda _entity, record_id, v: record_id == rid and v.field == "summary",
                      lambda v: v._replace(value_json=json.dumps("Zebediah " + "y" * MAX_TEXT)))  # fmt: skip
    target = folder(tmp_path / "share")
    with pytest.raises(ValidationError) as caught:
        SyncService(a).export_center(ADMIN, target, CENTER_KEY)
    message = caught.value.message
    assert "summary of this resource is 100,009 characters long" in message and "nothing was exported" in message
    assert "Zebediah" not in message and list(target.iterdir()) == []


def test_beside_encrypted_workstations_attachments_are_sealed_at_rest_and_travel_whole(center_path, tmp_path):
    from lhn_desktop.services.maintenance import _rotate_node, change_key
    from lhn_desktop.store.attachments import SEALED

    change_key(center_path, tmp_path / "a-backups", require_plain=True)  # workstation A encrypts its database
    b_path = folder(tmp_path / "b") / "center.sqlite3"
    b_path.write_bytes(center_path.read_bytes())  # B: a copy of A under the same key, its own workstation id
    _rotate_node(b_path)
    a, b = Database.open(center_path, tmp_path / "a-backups"), Database.open(b_path, tmp_path / "b-backups")
    try:
        rid = share_with_file(a, tmp_path, "Pre-visit form", "form.pdf", FORM)
        path = SyncService(a).export_center(ADMIN, folder(tmp_path / "share"), CENTER_KEY)
        assert SyncService(b).import_bundle(ADMIN, path, CENTER_KEY).attachments == 1
        for db in (a, b):
            stored = (attachments_folder(db.path) / FORM_HASH).read_bytes()
            assert stored.startswith(SEALED) and FORM[:40] not in stored  # nothing readable at rest
            assert commons(db).attachment(rid) == ("form.pdf", FORM)  # whole, hash-checked
    finally:
        a.close()
        b.close()
