"""Sync and audit bookkeeping: the node clock, what each workstation holds, imports, trust, the audit log (the
field versions themselves are in :mod:`lhn_desktop.models.versions`).

These tables are local; they are never themselves captured as field versions.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lhn_desktop.models.base import Base, utcnow


class SyncNode(Base):
    """Persisted clock state of a node: the next dot and the hybrid logical clock."""

    __tablename__ = "sync_node"

    node_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    next_dot: Mapped[int] = mapped_column(BigInteger, default=1)
    hlc_wall_ms: Mapped[int] = mapped_column(BigInteger, default=0)
    hlc_counter: Mapped[int] = mapped_column(Integer, default=0)


class SyncWriter(Base):
    """The center each workstation writes for, noted when its first field versions were stored here (its own when it
    first wrote, another's when a bundle first brought them). A workstation writes for one center only: a bundle
    that brings versions from a workstation for another center is refused by this one row, not by a scan of every
    stored version (decision 53)."""

    __tablename__ = "sync_writer"

    node_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    site: Mapped[str] = mapped_column(String(40))


class SyncKnown(Base):
    """What this workstation holds of another workstation's field versions: every one up to ``dot`` (in the
    scope it receives them in), as the bundles it imported said (docs/sync.md, delta bundles). Its own
    workstation ids are not here: ``sync_node`` says how far they wrote."""

    __tablename__ = "sync_known"

    node_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    site: Mapped[str] = mapped_column(String(40))
    dot: Mapped[int] = mapped_column(BigInteger)


class SyncPeer(Base):
    """What another workstation said it holds, in the last bundle imported from it: the start of the next delta
    bundle to its center (docs/sync.md, delta bundles)."""

    __tablename__ = "sync_peer"

    node_id: Mapped[str] = mapped_column(String(40), primary_key=True)
    site: Mapped[str] = mapped_column(String(40))
    known_json: Mapped[str] = mapped_column(Text)  # {node: dot}
    heard_at: Mapped[datetime] = mapped_column(default=utcnow)


class SyncImportLog(Base):
    __tablename__ = "sync_import_log"

    bundle_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64))
    signer_key_id: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    result: Mapped[str] = mapped_column(String(40))
    counts_json: Mapped[str] = mapped_column(Text, default="{}")


class SyncTrust(Base):
    __tablename__ = "sync_trust"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)
    pubkey: Mapped[bytes]
    site_id: Mapped[str] = mapped_column(String(40))
    role: Mapped[str] = mapped_column(String(10))  # ncc, node
    valid_from: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    added_by: Mapped[str | None] = mapped_column(String(200))


class AuditEvent(Base):
    """Who changed what, append-only, each row chained to the previous by a SHA-256 hash.

    ``fields`` names the columns written; values are not copied here (the record holds them).
    """

    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    actor_id: Mapped[str | None] = mapped_column(String(36))
    actor_name: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(20))  # create, update, delete, or a named action
    entity: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[str | None] = mapped_column(String(36))
    fields: Mapped[str] = mapped_column(Text, default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class SyncExportLog(Base):
    """Bundles this workstation wrote: the cut-off for "new or changed since the last export", and the record
    of any free-text warning a person overrode (with their attestation)."""

    __tablename__ = "sync_export_log"

    bundle_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    scope: Mapped[str] = mapped_column(String(10))  # center, network
    audience: Mapped[str] = mapped_column(String(40))
    file_name: Mapped[str] = mapped_column(String(200))
    hlc_max: Mapped[str] = mapped_column(String(19))
    exported_at: Mapped[datetime] = mapped_column(default=utcnow)
    exported_by: Mapped[str | None] = mapped_column(String(200))
    counts_json: Mapped[str] = mapped_column(Text, default="{}")
    attestation: Mapped[str | None] = mapped_column(Text)
