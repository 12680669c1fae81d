"""Keys and trust: a peer's key is trusted only after its fingerprint is typed; revoking stops its bundles."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_der_private_key

from lhn_desktop.access import Actor
from lhn_desktop.cli import main
from lhn_desktop.errors import NotFound, PermissionDenied, ValidationError
from lhn_desktop.services.team import TeamService
from lhn_desktop.services.trust import TrustService
from lhn_desktop.store.database import Database
from lhn_desktop.sync.bundle import BundleRejected, read_bundle, write_bundle


@pytest.fixture
def peer(center_template: Path, tmp_path: Path):
    """A second center database made separately (its own workstation key)."""
    from lhn_desktop.services.center import init_center_database

    path = tmp_path / "peer.sqlite3"
    init_center_database(path, tmp_path / "peer-backups", "ctr-042", "Peer workstation", network=None,
                         actor=Actor.workstation())  # fmt: skip
    db = Database.open(path, tmp_path / "peer-backups")
    yield db
    db.close()


def test_trust_needs_the_typed_fingerprint(db: Database, peer: Database, admin: Actor, tmp_path: Path):
    card_path = TrustService(peer).export_card(tmp_path / "peer.card")
    card = TrustService.read_card(card_path)
    trust = TrustService(db)
    with pytest.raises(ValidationError, match="does not match"):
        trust.add(admin, card, "0000 0000")
    added = trust.add(admin, card, card.fingerprint.lower().replace(" ", ""))
    assert (added.key_id, added.site_id, added.role) == (card.key_id, "ctr-042", "node")
    with pytest.raises(ValidationError, match="already trusted"):
        trust.add(admin, card, card.fingerprint)
    assert trust.signer(card.key_id).public_key == card.public_key
    trust.revoke(admin, card.key_id)
    assert trust.signer(card.key_id).revoked and trust.list()[0].revoked_at is not None
    with pytest.raises(NotFound):
        trust.revoke(admin, card.key_id)
    bad = tmp_path / "bad.card"
    bad.write_text('{"format": "something"}')
    with pytest.raises(ValidationError, match="not an LHN Desktop key card"):
        TrustService.read_card(bad)


def test_partners_cannot_change_trust(db: Database, peer: Database, admin: Actor, tmp_path: Path):
    team = TeamService(db)
    partner = team.actor_for(team.add_member(admin, "Pat Parent", "parent_partner").id)
    card = TrustService.read_card(TrustService(peer).export_card(tmp_path / "peer.card"))
    with pytest.raises(PermissionDenied):
        TrustService(db).add(partner, card, card.fingerprint)


def test_a_trusted_peer_bundle_reads_and_a_revoked_one_is_refused(db: Database, peer: Database, admin, tmp_path):
    node = peer.local_node()
    private = load_der_private_key(node.private_key, password=None)
    source = {"site_id": node.site_code, "node_id": node.node_id, "key_id": node.key_id, "app_version": "0.1.0"}
    hlc = "0000000000001-00000"
    rows = {"goal": [{"id": "g", "field": "title", "node": node.node_id, "dot": 1, "hlc": hlc,
                      "vv": {node.node_id: 1}, "owner": "ctr-042", "v": "x"}]}  # fmt: skip
    out = tmp_path / "out"
    out.mkdir()
    bundle = write_bundle(rows, scope="center", source=source, audience_site="ctr-042", sign=private.sign,
                          hlc_max=hlc, folder=out, center_key=bytes(32))  # fmt: skip
    trust = TrustService(db)
    read = lambda: read_bundle(bundle, trust=trust.signer, local_site="ctr-042", center_key=bytes(32))  # noqa: E731
    with pytest.raises(BundleRejected) as caught:
        read()
    assert caught.value.code == "E_UNKNOWN_SIGNER"
    card = TrustService.read_card(TrustService(peer).export_card(tmp_path / "peer.card"))
    trust.add(admin, card, card.fingerprint)
    assert read().rows["goal"][0].v == "x"
    trust.revoke(admin, card.key_id)
    with pytest.raises(BundleRejected) as caught:
        read()
    assert caught.value.code == "E_KEY_REVOKED"


def test_keys_and_trust_commands(capsys, center_path: Path, peer: Database, tmp_path: Path):
    db = ["--db", str(center_path)]
    assert main(["keys", "show", *db]) == 0
    assert "fingerprint" in capsys.readouterr().out
    card = TrustService(peer).export_card(tmp_path / "peer.card")
    assert main(["trust", "add", str(card), "--fingerprint", "1234", *db]) == 2
    assert "does not match" in capsys.readouterr().err
    fp = TrustService.read_card(card).fingerprint
    assert main(["trust", "add", str(card), "--fingerprint", fp, *db]) == 0
    assert main(["trust", "list", *db]) == 0
    assert "trusted" in capsys.readouterr().out
    shutil.copy(card, tmp_path / "copy.card")
    assert main(["keys", "export", "--out", str(tmp_path / "mine.card"), *db]) == 0
    assert (tmp_path / "mine.card").read_text().startswith("{")
