"""Center and team: the site, its team members and their roles, this workstation's node and keys."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lhn_desktop.models.base import Base, Syncable, utcnow


class Role(enum.StrEnum):
    PHYSICIAN = "physician"
    NURSE = "nurse"
    QI_LEAD = "qi_lead"
    DATA_MANAGER = "data_manager"
    DIETITIAN = "dietitian"
    PSYCHOLOGIST = "psychologist"
    SOCIAL_WORKER = "social_worker"
    PATIENT_PARTNER = "patient_partner"
    PARENT_PARTNER = "parent_partner"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def sees_patient_data(self) -> bool:
        """Patient and parent partners sit on the team as equals but see no patient-level data."""
        return self not in (Role.PATIENT_PARTNER, Role.PARENT_PARTNER)


ROLE_LABELS = {
    Role.PHYSICIAN: "Physician",
    Role.NURSE: "Nurse",
    Role.QI_LEAD: "QI lead",
    Role.DATA_MANAGER: "Data manager",
    Role.DIETITIAN: "Dietitian",
    Role.PSYCHOLOGIST: "Psychologist",
    Role.SOCIAL_WORKER: "Social worker",
    Role.PATIENT_PARTNER: "Patient partner",
    Role.PARENT_PARTNER: "Parent partner",
}


class Site(Syncable, Base):
    """A care center (or the network coordinating center, code ``ncc``)."""

    __tablename__ = "site"
    __sync_entity__ = "site"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    network: Mapped[str | None] = mapped_column(String(100))
    #: the number families call between visits (printed on the visit summary); stays home
    clinic_phone: Mapped[str | None] = mapped_column(String(40))
    #: the center chose to be shown to the other centers by its name rather than a code ("Center 17")
    named_in_network: Mapped[bool] = mapped_column(default=False, server_default="0")


class TeamMember(Syncable, Base):
    __tablename__ = "team_member"
    __sync_entity__ = "team_member"

    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)
    #: A short profile for the team's who-is-who cards.
    profile: Mapped[str | None] = mapped_column(Text)
    #: scrypt of the member's sign-in PIN or passphrase (services/team.py); never the secret itself
    secret_hash: Mapped[str | None] = mapped_column(String(200))


class LocalNode(Base):
    """This workstation's identity: its sync node id and its Ed25519 key pair.

    Never synced: the private key stays on this workstation. Exactly one row.
    """

    __tablename__ = "local_node"

    node_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    site_code: Mapped[str] = mapped_column(String(40))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    private_key: Mapped[bytes] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: a digest of the computer's identity the database belongs to; another computer's means a copy
    machine: Mapped[str | None] = mapped_column(String(64), default=None)
