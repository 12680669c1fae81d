"""Keys and trust (SYNC.md 1.1): this workstation's key card, and the peers whose bundles it accepts.

A key card is a small JSON file with a site, a node, a public key and its fingerprint. A peer's key
is trusted only after the person adding it types the fingerprint they read on the peer's screen (or
hear over the phone): a card alone proves nothing. Adding and revoking are audited.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.errors import NotFound, ValidationError
from lhn_desktop.models.sync import SyncTrust
from lhn_desktop.services.center import fingerprint, key_id
from lhn_desktop.store.capture import record_audit
from lhn_desktop.store.database import Database

CARD_FORMAT = "lhn-desktop-key-card"
ROLES = ("node", "ncc")


@dataclass(frozen=True)
class KeyCard:
    site_id: str
    node_id: str
    key_id: str
    fingerprint: str
    public_key: bytes


@dataclass(frozen=True)
class TrustedKey:
    key_id: str
    site_id: str
    role: str
    fingerprint: str
    valid_from: datetime
    revoked_at: datetime | None
    added_by: str | None


def _normal(text: str) -> str:
    return "".join(ch for ch in (text or "").upper() if ch in "0123456789ABCDEF")


class TrustService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def my_card(self) -> KeyCard:
        node = self.db.local_node()
        return KeyCard(node.site_code, node.node_id, node.key_id, fingerprint(node.public_key), node.public_key)

    def export_card(self, path: str | Path) -> Path:
        card = self.my_card()
        target = Path(path)
        if not target.parent.is_dir():
            raise NotFound(f"There is no folder {target.parent}.")
        body = {"format": CARD_FORMAT, "site_id": card.site_id, "node_id": card.node_id, "key_id": card.key_id,
                "fingerprint": card.fingerprint, "public_key": base64.b64encode(card.public_key).decode()}  # fmt: skip
        target.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
        return target

    @staticmethod
    def read_card(path: str | Path) -> KeyCard:
        source = Path(path)
        if not source.is_file():
            raise NotFound(f"There is no key card at {source}.")
        try:
            data = json.loads(source.read_text(encoding="utf-8"))
            if data.get("format") != CARD_FORMAT:
                raise ValueError
            public = base64.b64decode(data["public_key"], validate=True)
            if len(public) != 32:
                raise ValueError
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise ValidationError(f"{source.name} is not an LHN Desktop key card; ask the peer to export theirs "
                                  "('lhn-desktop keys export').") from None  # fmt: skip
        return KeyCard(str(data["site_id"]), str(data["node_id"]), key_id(public), fingerprint(public), public)

    def add(self, actor: Actor, card: KeyCard, typed_fingerprint: str, role: str = "node") -> TrustedKey:
        """Trust a peer's key once the fingerprint typed by a person matches the key's own."""
        require_patient_access(actor)  # a center's trust decides who may send it patient data
        if role not in ROLES:
            raise ValidationError("A key belongs to a workstation ('node') or the network ('ncc').")
        if (role == "ncc") != (card.site_id == "ncc"):
            raise ValidationError(f"This key card is from {card.site_id}; only the network coordinating center's key "
                                  "is trusted as the network's ('ncc').")  # fmt: skip
        if _normal(typed_fingerprint) != _normal(card.fingerprint):
            raise ValidationError("The fingerprint you typed does not match this key. Read it again on the peer's "
                                  "screen; if it still differs, do not trust the key.")  # fmt: skip
        with self.db.write(actor) as s:
            existing = s.get(SyncTrust, card.key_id)
            if existing is not None and existing.revoked_at is None:
                raise ValidationError(f"The key {card.key_id} is already trusted.")
            if existing is None:
                existing = SyncTrust(key_id=card.key_id, pubkey=card.public_key, site_id=card.site_id, role=role,
                                     added_by=actor.name)  # fmt: skip
                s.add(existing)
            else:
                existing.revoked_at, existing.added_by = None, actor.name
            record_audit(s, "trust_add", "sync_trust", None, f"{card.key_id} {card.site_id} {role}")
        return self._one(card.key_id)

    def revoke(self, actor: Actor, key: str) -> None:
        require_patient_access(actor)
        with self.db.write(actor) as s:
            record = s.get(SyncTrust, key)
            if record is None or record.revoked_at is not None:
                raise NotFound(f"No trusted key {key}.")
            record.revoked_at = datetime.now().replace(microsecond=0)
            record_audit(s, "trust_revoke", "sync_trust", None, key)

    def signer(self, key: str):
        """The trust store's answer for a bundle's signer (None: unknown), for ``sync.bundle.read_bundle``."""
        from lhn_desktop.sync.bundle import Signer

        with self.db.read() as s:
            record = s.get(SyncTrust, key)
            if record is None:
                return None
            return Signer(record.pubkey, record.site_id, record.role, revoked=record.revoked_at is not None)

    def list(self) -> list[TrustedKey]:
        with self.db.read() as s:
            return [self._row(t) for t in s.scalars(select(SyncTrust).order_by(SyncTrust.site_id, SyncTrust.key_id))]

    def _one(self, key: str) -> TrustedKey:
        with self.db.read() as s:
            return self._row(s.get(SyncTrust, key))

    @staticmethod
    def _row(t: SyncTrust) -> TrustedKey:
        return TrustedKey(t.key_id, t.site_id, t.role, fingerprint(t.pubkey), t.valid_from, t.revoked_at, t.added_by)
