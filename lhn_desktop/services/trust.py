"""Keys and trust (SYNC.md 1.1): this workstation's key card, and the peers whose bundles it accepts.

A key card is a small JSON file with a site, a node, a public key and its fingerprint. The fingerprint
covers the site and the key, so a card edited to claim another site shows another fingerprint. A peer's
key is trusted only after the person adding it types the fingerprint they read on the peer's screen (or
hear over the phone): a card alone proves nothing. Adding and revoking are audited.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal, cast

from sqlalchemy import select

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.errors import NotFound, ValidationError
from lhn_desktop.models.sync import SyncTrust
from lhn_desktop.services.center import SITE_CODE_RE, fingerprint, key_id, key_only_fingerprint
from lhn_desktop.store.capture import record_audit
from lhn_desktop.store.database import Database

CARD_FORMAT = "lhn-desktop-key-card"
#: Version 2 cards carry the fingerprint over the site and the key; earlier cards, over the key alone.
CARD_VERSION = 2
_RE_EXCHANGE = (
    "Update LHN Desktop on the other workstation if needed, export its key card again "
    "('lhn-desktop keys export' or Sync › This workstation), and compare the fingerprint its screen shows now."
)
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
        return KeyCard(node.site_code, node.node_id, node.key_id, fingerprint(node.public_key, node.site_code),
                       node.public_key)  # fmt: skip

    def export_card(self, path: str | Path) -> Path:
        card = self.my_card()
        target = Path(path)
        if not target.parent.is_dir():
            raise NotFound(f"There is no folder {target.parent}.")
        body = {"format": CARD_FORMAT, "version": CARD_VERSION, "site_id": card.site_id, "node_id": card.node_id,
                "key_id": card.key_id, "fingerprint": card.fingerprint,
                "public_key": base64.b64encode(card.public_key).decode()}  # fmt: skip
        target.write_text(json.dumps(body, indent=1) + "\n", encoding="utf-8")
        return target

    @staticmethod
    def read_card(path: str | Path) -> KeyCard:
        source = Path(path)
        if not source.is_file():
            raise NotFound(f"There is no key card at {source}.")
        try:
            if source.stat().st_size > 64 * 1024:
                raise ValueError
            data = json.loads(source.read_text(encoding="utf-8"))
            if data.get("format") != CARD_FORMAT:
                raise ValueError
            public = base64.b64decode(data["public_key"], validate=True)
            site, node = data["site_id"], data["node_id"]
            if len(public) != 32 or not isinstance(site, str) or not SITE_CODE_RE.match(site):
                raise ValueError
            if not isinstance(node, str) or not 0 < len(node) <= 40:
                raise ValueError
        except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError, RecursionError):
            raise ValidationError(f"{source.name} is not an LHN Desktop key card; ask the peer to export theirs "
                                  "('lhn-desktop keys export').") from None  # fmt: skip
        if data.get("version") != CARD_VERSION:
            raise ValidationError(f"{source.name} is a key card from an earlier version of LHN Desktop, whose "
                                  "fingerprint did not cover the center it belongs to, so it is no longer accepted. "
                                  + _RE_EXCHANGE)  # fmt: skip
        card = KeyCard(site, node, key_id(public), fingerprint(public, site), public)
        if _normal(str(data.get("fingerprint", ""))) != _normal(card.fingerprint):
            raise ValidationError(f"{source.name} was changed after it was exported: its center or key no longer "
                                  "matches its fingerprint. Do not trust it; ask the other workstation for a new key "
                                  "card.")  # fmt: skip
        return card

    def add(self, actor: Actor, card: KeyCard, typed_fingerprint: str, role: str = "node") -> TrustedKey:
        """Trust a peer's key once the fingerprint typed by a person matches the key's own."""
        require_patient_access(actor)  # a center's trust decides who may send it patient data
        if role not in ROLES:
            raise ValidationError("A key belongs to a workstation ('node') or the network ('ncc').")
        if (role == "ncc") != (card.site_id == "ncc"):
            raise ValidationError(f"This key card is from {card.site_id}; only the network coordinating center's key "
                                  "is trusted as the network's ('ncc').")  # fmt: skip
        if _normal(card.fingerprint) != _normal(fingerprint(card.public_key, card.site_id)):
            raise ValidationError("This key card's fingerprint does not cover its center and key; do not trust it. "
                                  + _RE_EXCHANGE)  # fmt: skip
        if _normal(typed_fingerprint) == _normal(key_only_fingerprint(card.public_key)):
            raise ValidationError("The fingerprint you typed is the kind an earlier version of LHN Desktop showed, "
                                  "which covered the key but not the center. " + _RE_EXCHANGE)  # fmt: skip
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
                existing.site_id, existing.role = card.site_id, role  # what the fingerprint now covers
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
            role = cast(Literal["node", "ncc"], record.role)  # add() stores only ROLES
            return Signer(record.pubkey, record.site_id, role, revoked=record.revoked_at is not None)

    def list(self) -> list[TrustedKey]:
        with self.db.read() as s:
            return [self._row(t) for t in s.scalars(select(SyncTrust).order_by(SyncTrust.site_id, SyncTrust.key_id))]

    def _one(self, key: str) -> TrustedKey:
        with self.db.read() as s:
            record = s.get(SyncTrust, key)
            assert record is not None  # only called for the key just written
            return self._row(record)

    @staticmethod
    def _row(t: SyncTrust) -> TrustedKey:
        return TrustedKey(t.key_id, t.site_id, t.role, fingerprint(t.pubkey, t.site_id), t.valid_from, t.revoked_at,
                          t.added_by)  # fmt: skip
