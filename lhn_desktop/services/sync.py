"""Export and import of sync bundles for this workstation (center scope; SYNC.md 2).

The center key is 32 bytes the team sets up once: a key file made with ``make_key_file``, or a
passphrase stretched with scrypt (salted with the site code, so every workstation of the center
derives the same key). The key is never stored in the database.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from lhn_desktop import __version__
from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.errors import NotFound, ValidationError
from lhn_desktop.models.sync import SyncImportLog
from lhn_desktop.services.trust import TrustService
from lhn_desktop.store import sync_apply
from lhn_desktop.store.database import Database
from lhn_desktop.sync.bundle import SUFFIX, VerifiedBundle, read_bundle, write_bundle

KEY_BYTES = 32


def key_from_passphrase(passphrase: str, site_code: str) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    if len(passphrase or "") < 12:
        raise ValidationError("The center passphrase must have at least 12 characters.")
    salt = hashlib.sha256(f"lhn-desktop center key/{site_code}".encode()).digest()
    return Scrypt(salt=salt, length=KEY_BYTES, n=2**15, r=8, p=1).derive(passphrase.encode())


def make_key_file(path: str | Path) -> Path:
    target = Path(path)
    if target.exists():
        raise ValidationError(f"{target} already exists; a center key file is never overwritten.")
    target.write_bytes(os.urandom(KEY_BYTES))
    return target


def read_key_file(path: str | Path) -> bytes:
    source = Path(path)
    if not source.is_file():
        raise NotFound(f"There is no center key file at {source}.")
    data = source.read_bytes()
    if len(data) != KEY_BYTES:
        raise ValidationError(f"{source.name} is not a center key file (it must hold exactly 32 bytes).")
    return data


@dataclass(frozen=True)
class ImportReport:
    file: str
    already_imported: bool
    added: int
    records: int
    conflicts: int


class SyncService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def export_center(self, actor: Actor, folder: str | Path, center_key: bytes) -> Path:
        """A full-state center bundle of everything this workstation holds."""
        require_patient_access(actor)  # center bundles carry patient data
        from cryptography.hazmat.primitives.serialization import load_der_private_key

        target = Path(folder)
        if not target.is_dir():
            raise NotFound(f"There is no folder {target}; choose the shared folder or a USB drive.")
        node = self.db.local_node()
        key = load_der_private_key(node.private_key, password=None)
        source = {"site_id": node.site_code, "node_id": node.node_id, "key_id": node.key_id, "app_version": __version__}
        path = write_bundle(sync_apply.export_rows(self.db), scope="center", source=source,
                            audience_site=node.site_code, sign=key.sign, hlc_max=sync_apply.hlc_max(self.db),
                            folder=target, center_key=center_key)  # fmt: skip
        with self.db.write(actor) as s:
            from lhn_desktop.store.capture import record_audit

            record_audit(s, "export", "bundle", None, path.name)
        return path

    def verify(self, path: str | Path, center_key: bytes | None) -> VerifiedBundle:
        """Every check, nothing changed."""
        node = self.db.local_node()
        return read_bundle(path, trust=self._signer, local_site=node.site_code, center_key=center_key,
                           previous=self._previous)  # fmt: skip

    def _signer(self, key: str):
        node = self.db.local_node()
        if key == node.key_id:  # this workstation's own earlier bundles
            from lhn_desktop.sync.bundle import Signer

            return Signer(node.public_key, node.site_code, "node")
        return TrustService(self.db).signer(key)

    def _previous(self, bundle_id: str) -> str | None:
        with self.db.read() as s:
            return s.scalar(select(SyncImportLog.sha256).where(SyncImportLog.bundle_id == bundle_id))

    def import_bundle(self, actor: Actor, path: str | Path, center_key: bytes | None) -> ImportReport:
        require_patient_access(actor)
        verified = self.verify(path, center_key)
        name = Path(path).name
        if verified.already_imported:
            return ImportReport(name, True, 0, 0, 0)
        m = verified.manifest
        counts = sync_apply.apply_rows(
            self.db, actor, verified.rows, bundle_id=m.bundle_id, sha256=verified.sha256,
            signer_key_id=m.source.key_id, site_id=m.source.site_id,
            created_at=datetime.strptime(m.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
            hlc_max_text=m.hlc_max, now_ms=time.time_ns() // 1_000_000,
        )  # fmt: skip
        return ImportReport(name, False, counts["added"], counts["records"], counts["conflicts"])

    @staticmethod
    def bundles_in(folder: str | Path) -> list[Path]:
        """The complete bundles in a folder (half-written ``.part`` files are ignored)."""
        return sorted(p for p in Path(folder).glob(f"*{SUFFIX}") if p.is_file())
