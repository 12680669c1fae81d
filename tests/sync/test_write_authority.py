"""Who may write what travels with the data (issue 18, item 2).

A record's id and owning center never change by sync; a field version is accepted only from a workstation of the
center that owns the record (the coordinating center relays, and writes only its own records); a key fingerprint
covers the center as well as the key. Every refusal is a coded ``BundleRejected`` (or, for a key card, a
``ValidationError``) and leaves the database as it was. Real centers and a real coordinating center are built as
in ``test_integrity.py``; the attacks are bundles crafted and signed with a center's own workstation key.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path

import pytest

from lhn_desktop.errors import ValidationError
from lhn_desktop.models.base import UNCAPTURED_COLUMNS
from lhn_desktop.services.sync import SyncService
from lhn_desktop.services.trust import TrustService
from lhn_desktop.store import cipher
from lhn_desktop.store.database import Database
from lhn_desktop.sync.bundle import write_bundle
from tests.stored_versions import edit_versions
from tests.sync.test_integrity import (
    ADMIN,
    CENTER_KEY,
    add_goal,
    card_of,
    dump,
    folder,
    new_center,
    rejected,
    signing_key,
    source_of,
)
from tests.sync.test_network import share

A, B = "ctr-042", "ctr-043"


def now_hlc() -> str:
    return f"{time.time_ns() // 1_000_000:013d}-00000"


def version(record: str, field: str, value, *, node: str, owner: str, dot: int = 900, vv: dict | None = None) -> dict:
    """One field version as a bundle row; ``vv`` adds entries to its version vector (to dominate others)."""
    return {"id": record, "field": field, "node": node, "dot": dot, "hlc": now_hlc(),
            "vv": {**(vv or {}), node: dot}, "owner": owner, "v": value}  # fmt: skip


def crafted(sender: Database, rows: dict[str, list[dict]], out: Path, *, audience: str = "ncc", scope="network"):
    """A bundle of exactly ``rows``, signed with ``sender``'s own workstation key (what a hostile sender can make)."""
    return write_bundle(rows, scope=scope, source=source_of(sender), audience_site=audience,
                        sign=signing_key(sender).sign, hlc_max=now_hlc(), folder=folder(out),
                        center_key=CENTER_KEY if scope == "center" else None)  # fmt: skip


def send(src: Database, dst: Database, out: Path, audience: str | None = None):
    path = SyncService(src).export_network(ADMIN, folder(out), audience=audience)
    return SyncService(dst).import_bundle(ADMIN, path, None)


def title_of(db: Database, record: str) -> tuple:
    conn = cipher.connect(db.path)
    try:
        return conn.execute("SELECT title, owner_site_id FROM resource WHERE id = ?", (record,)).fetchone()
    finally:
        conn.close()


@pytest.fixture
def workstations(request):
    """Two workstations of one center (the ``pair`` of tests/conftest.py)."""
    return request.getfixturevalue("pair")


@pytest.fixture
def centers(tmp_path: Path):
    """Center A (ctr-042), center B (ctr-043) and the coordinating center, trusting each other as a network does."""
    a, b = new_center(tmp_path, "a", A), new_center(tmp_path, "b", B)
    ncc = new_center(tmp_path, "ncc", "ncc", network_center=True)
    for receiver, sender, role in ((ncc, a, "node"), (ncc, b, "node"), (a, ncc, "ncc"), (b, ncc, "ncc")):
        card = card_of(sender)
        TrustService(receiver).add(ADMIN, card, card.fingerprint, role=role)
    yield a, b, ncc
    for db in (a, b, ncc):
        db.close()


@pytest.fixture
def shared(centers, tmp_path: Path):
    """A's commons resource, sent to the coordinating center and relayed to B."""
    a, b, ncc = centers
    rid = share(a, "Pre-visit call script")
    send(a, ncc, tmp_path / "a-to-ncc")
    send(ncc, b, tmp_path / "ncc-to-b", audience=B)
    assert title_of(b, rid) == ("Pre-visit call script", A)
    return rid


# -- a center writing another center's record -------------------------------------------------------------------


def test_a_center_cannot_overwrite_another_centers_resource_through_the_coordinator(centers, shared, tmp_path):
    a, b, ncc = centers
    node_a, node_b = a.local_node().node_id, b.local_node().node_id
    # B's versions of A's resource, under B's own site (which B may sign for), dominating A's
    forged = {"resource": [version(shared, "title", "Overwritten by B", node=node_b, owner=B, vv={node_a: 10_000})]}
    bundle = crafted(b, forged, tmp_path / "b-forged")
    before = dump(ncc.path)
    error = rejected(lambda: SyncService(ncc).import_bundle(ADMIN, bundle, None), "E_UNAUTHORIZED_ROWS")
    assert "owning center" in str(error) and "Overwritten" not in str(error)
    assert dump(ncc.path) == before and title_of(ncc, shared) == ("Pre-visit call script", A)

    # had a coordinator relayed them, A refuses them too: its own record keeps its owner and its text
    relayed = crafted(ncc, forged, tmp_path / "ncc-relay", audience=A)
    before_a = dump(a.path)
    rejected(lambda: SyncService(a).import_bundle(ADMIN, relayed, None), "E_UNAUTHORIZED_ROWS")
    # and the coordinator never sends a center its own records back, whoever wrote them
    own = {"resource": [version(shared, "title", "Renamed", node=str(uuid.uuid4()), owner=A, vv={node_a: 10_000})]}
    back = crafted(ncc, own, tmp_path / "ncc-back", audience=A)
    error = rejected(lambda: SyncService(a).import_bundle(ADMIN, back, None), "E_UNAUTHORIZED_ROWS")
    assert "this center's own records" in str(error)
    assert dump(a.path) == before_a and title_of(a, shared) == ("Pre-visit call script", A)

    # the control: B's own resource still travels
    mine = share(b, "Transition checklist")
    assert send(b, ncc, tmp_path / "b-own").added > 0 and title_of(ncc, mine) == ("Transition checklist", B)


def test_the_coordinator_relays_but_writes_only_its_own_records(centers, shared, tmp_path):
    a, _b, ncc = centers
    node_ncc = ncc.local_node().node_id
    # the coordinator's own workstation writing a center's resource
    rows = {"resource": [version(str(uuid.uuid4()), "title", "Written by the NCC", node=node_ncc, owner=B)]}
    before = dump(a.path)
    error = rejected(lambda: SyncService(a).import_bundle(ADMIN, crafted(ncc, rows, tmp_path / "1", audience=A),
                                                          None), "E_UNAUTHORIZED_ROWS")  # fmt: skip
    assert "workstation that signed the bundle" in str(error)
    # one workstation placed at two centers in one bundle
    other = str(uuid.uuid4())
    rows = {"resource": [version(str(uuid.uuid4()), "title", "x", node=other, owner=B),
                         version(str(uuid.uuid4()), "title", "y", node=other, owner="ctr-044")]}  # fmt: skip
    error = rejected(lambda: SyncService(a).import_bundle(ADMIN, crafted(ncc, rows, tmp_path / "2", audience=A),
                                                          None), "E_UNAUTHORIZED_ROWS")  # fmt: skip
    assert "another center" in str(error)
    assert dump(a.path) == before


# -- rows claiming another center's workstation -----------------------------------------------------------------


def test_rows_claiming_another_centers_workstation_are_refused(centers, shared, tmp_path):
    a, b, ncc = centers
    node_a = a.local_node().node_id  # the coordinating center holds A's versions from this workstation
    rows = {"resource": [version(str(uuid.uuid4()), "title", "Signed by B, claiming A's workstation",
                                 node=node_a, owner=B)]}  # fmt: skip
    before = dump(ncc.path)
    error = rejected(lambda: SyncService(ncc).import_bundle(ADMIN, crafted(b, rows, tmp_path / "x"), None),
                     "E_UNAUTHORIZED_ROWS")  # fmt: skip
    assert "workstation that belongs to another center" in str(error) and "claiming" not in str(error)
    assert dump(ncc.path) == before
    # B may not claim the receiving workstation itself either
    rows = {"resource": [version(str(uuid.uuid4()), "title", "x", node=ncc.local_node().node_id, owner=B)]}
    rejected(lambda: SyncService(ncc).import_bundle(ADMIN, crafted(b, rows, tmp_path / "y"), None),
             "E_UNAUTHORIZED_ROWS")  # fmt: skip
    assert dump(ncc.path) == before


def test_a_workstation_stays_with_its_center_after_its_versions_are_gone(centers, shared, tmp_path):
    """The center a workstation writes for is noted when its first versions arrive (decision 53), not found again in
    its stored versions: with every version from A's workstation gone from the coordinating center, B still cannot
    bring versions in its name."""
    a, b, ncc = centers
    node_a = a.local_node().node_id
    assert _writer_site(ncc, node_a) == A and _writer_site(a, node_a) == A  # noted on arrival, and on its first write
    with ncc.write(ADMIN) as s:
        assert edit_versions(s, lambda _entity, _record_id, v: v.node == node_a) > 0
    rows = {"resource": [version(str(uuid.uuid4()), "title", "x", node=node_a, owner=B)]}
    before = dump(ncc.path)
    error = rejected(lambda: SyncService(ncc).import_bundle(ADMIN, crafted(b, rows, tmp_path / "x"), None),
                     "E_UNAUTHORIZED_ROWS")  # fmt: skip
    assert "workstation that belongs to another center" in str(error)
    assert dump(ncc.path) == before


def _writer_site(db: Database, node: str) -> str | None:
    conn = cipher.connect(db.path)
    try:
        row = conn.execute("SELECT site FROM sync_writer WHERE node_id = ?", (node,)).fetchone()
    finally:
        conn.close()
    return row[0] if row else None


# -- a record's id and owning center ----------------------------------------------------------------------------


def test_the_fields_no_bundle_may_write_are_the_uncaptured_columns():
    from lhn_desktop.sync.bundle import RESERVED_FIELDS

    assert RESERVED_FIELDS == UNCAPTURED_COLUMNS


@pytest.mark.parametrize(
    ("field", "value"),
    [("owner_site_id", "ctr-099"), ("id", "6d1c8a94-0000-4000-8000-000000000001"), ("has_conflict", True)],
)
def test_crafted_rows_cannot_rewrite_a_records_id_or_owning_center(workstations, tmp_path, field: str, value):
    a, b = workstations  # two workstations of one center: center bundles carry every field, no allowlist
    goal = add_goal(a, "Model care")
    SyncService(b).import_bundle(ADMIN, SyncService(a).export_center(ADMIN, folder(tmp_path / "s"), CENTER_KEY),
                                 CENTER_KEY)  # fmt: skip
    node_a = a.local_node().node_id
    rows = {"improvement_goal": [version(goal, field, value, node=node_a, owner=A, vv={node_a: 10_000},
                                         dot=10_001)]}  # fmt: skip
    bundle = crafted(a, rows, tmp_path / "c", audience=A, scope="center")
    before = dump(b.path)
    error = rejected(lambda: SyncService(b).import_bundle(ADMIN, bundle, CENTER_KEY), "E_UNAUTHORIZED_ROWS")
    assert "no bundle may change" in str(error) and str(value) not in str(error)
    assert dump(b.path) == before


def test_an_owner_change_of_a_record_held_here_is_refused_in_center_bundles_too(workstations, tmp_path):
    a, b = workstations
    goal = add_goal(a, "Model care")
    SyncService(b).import_bundle(ADMIN, SyncService(a).export_center(ADMIN, folder(tmp_path / "s"), CENTER_KEY),
                                 CENTER_KEY)  # fmt: skip
    other = str(uuid.uuid4())  # a workstation of another center, as a relayed record would carry
    rows = {"improvement_goal": [version(goal, "title", "Taken over", node=other, owner="ctr-099",
                                         vv={a.local_node().node_id: 10_000})]}  # fmt: skip
    before = dump(b.path)
    rejected(lambda: SyncService(b).import_bundle(ADMIN, crafted(a, rows, tmp_path / "c", audience=A,
                                                                 scope="center"), CENTER_KEY),
             "E_UNAUTHORIZED_ROWS")  # fmt: skip
    assert dump(b.path) == before


# -- key cards --------------------------------------------------------------------------------------------------


def edited_card(path: Path, out: Path, **changes) -> Path:
    data = json.loads(path.read_text(encoding="utf-8")) | changes
    out.write_text(json.dumps(data), encoding="utf-8")
    return out


def test_a_key_card_edited_to_claim_another_site_is_refused(centers, tmp_path):
    a, b, _ncc = centers
    genuine = TrustService(b).export_card(tmp_path / "b.card")
    shown_on_b = TrustService(b).my_card().fingerprint  # what B's screen shows and B's person reads aloud
    before = dump(a.path)
    # B's card edited to claim A's own site: its fingerprint no longer fits
    forged = edited_card(genuine, tmp_path / "forged.card", site_id=A)
    with pytest.raises(ValidationError, match="changed after it was exported"):
        TrustService.read_card(forged)
    # the same edit with the card's own fingerprint brought in line: the one read on B's screen does not match
    from lhn_desktop.services.center import fingerprint

    public = base64.b64decode(json.loads(genuine.read_text())["public_key"])
    refitted = edited_card(genuine, tmp_path / "refitted.card", site_id=A, fingerprint=fingerprint(public, A))
    card = TrustService.read_card(refitted)
    assert card.site_id == A and card.fingerprint != shown_on_b
    with pytest.raises(ValidationError, match="does not match"):
        TrustService(a).add(ADMIN, card, shown_on_b)
    assert dump(a.path) == before and TrustService(a).signer(card.key_id) is None
    # the genuine card, with the fingerprint from B's screen, is trusted as B's
    assert TrustService(a).add(ADMIN, TrustService.read_card(genuine), shown_on_b).site_id == B


def test_key_cards_and_fingerprints_of_earlier_versions_ask_for_a_new_exchange(centers, tmp_path):
    from lhn_desktop.services.center import key_only_fingerprint

    a, b, _ncc = centers
    genuine = TrustService(b).export_card(tmp_path / "b.card")
    public = base64.b64decode(json.loads(genuine.read_text())["public_key"])
    data = json.loads(genuine.read_text())
    del data["version"]
    old = tmp_path / "old.card"
    old.write_text(json.dumps(data | {"fingerprint": key_only_fingerprint(public)}), encoding="utf-8")
    before = dump(a.path)
    with pytest.raises(ValidationError, match="earlier version of LHN Desktop") as caught:
        TrustService.read_card(old)
    assert "export its key card again" in str(caught.value)
    with pytest.raises(ValidationError, match="earlier version of LHN Desktop"):
        TrustService(a).add(ADMIN, TrustService.read_card(genuine), key_only_fingerprint(public))
    assert dump(a.path) == before
