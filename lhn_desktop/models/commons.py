"""The knowledge commons: shared resources and how they are used."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lhn_desktop.models.base import Base, Syncable, fk


class Resource(Syncable, Base):
    __tablename__ = "resource"
    __sync_entity__ = "resource"

    title: Mapped[str] = mapped_column(String(200))
    #: tool, pdsa_writeup, change_idea, slide_deck, newsletter, story, video_link
    kind: Mapped[str] = mapped_column(String(20))
    summary: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[str | None] = mapped_column(Text)  # comma-separated topic tags
    disease: Mapped[str | None] = mapped_column(String(60))
    audience: Mapped[str | None] = mapped_column(String(60))
    contributing_site: Mapped[str | None] = mapped_column(String(40))
    contributor_role: Mapped[str | None] = mapped_column(String(20))  # clinician, improver, parent, patient
    licence: Mapped[str | None] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(default=1)
    published_on: Mapped[date | None]
    supersedes_id: Mapped[str | None] = mapped_column(fk("resource.id"))
    adapted_from_id: Mapped[str | None] = mapped_column(fk("resource.id"))
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment_sha256: Mapped[str | None] = mapped_column(String(64))
    attachment_bytes: Mapped[int | None]


class UsageEvent(Syncable, Base):
    __tablename__ = "usage_event"
    __sync_entity__ = "usage_event"

    resource_id: Mapped[str] = mapped_column(fk("resource.id"), index=True)
    member_id: Mapped[str | None] = mapped_column(fk("team_member.id"))
    kind: Mapped[str] = mapped_column(String(10))  # viewed, adopted, adapted
    at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(Text)
