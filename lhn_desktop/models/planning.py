"""Pre-visit planning: checklist rules from disease packs, plans per visit, the family's agenda."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lhn_desktop.models.base import Base, Syncable, fk


class ChecklistRule(Syncable, Base):
    """One rule of a disease pack, as shipped content (owned by the network)."""

    __tablename__ = "checklist_rule"
    __sync_entity__ = "checklist_rule"

    pack: Mapped[str] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(60))
    version: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(200))
    #: The rule as data (JSON text), validated when the pack is loaded.
    definition: Mapped[str] = mapped_column(Text, default="{}")


class PrevisitPlan(Syncable, Base):
    __tablename__ = "previsit_plan"
    __sync_entity__ = "previsit_plan"

    visit_id: Mapped[str] = mapped_column(fk("visit.id"), unique=True)
    #: not_started, in_progress, done
    status: Mapped[str] = mapped_column(String(20), default="not_started")
    notes: Mapped[str | None] = mapped_column(Text)
    done_by_member_id: Mapped[str | None] = mapped_column(fk("team_member.id"))
    done_at: Mapped[datetime | None]


class PlanItem(Syncable, Base):
    """A checklist item of a plan with its Epic-style status and the reason in words."""

    __tablename__ = "plan_item"
    __sync_entity__ = "plan_item"

    plan_id: Mapped[str] = mapped_column(fk("previsit_plan.id"), index=True)
    rule_code: Mapped[str] = mapped_column(String(60))
    #: Not due, Due soon, Due, Overdue, Completed, Not applicable
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")


class AgendaItem(Syncable, Base):
    """What the family wants to talk about: a concern, what matters most, a question."""

    __tablename__ = "agenda_item"
    __sync_entity__ = "agenda_item"

    patient_id: Mapped[str] = mapped_column(fk("patient.id"), index=True)
    visit_id: Mapped[str | None] = mapped_column(fk("visit.id"))
    kind: Mapped[str] = mapped_column(String(20))  # concern, matters_most, question
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="team")  # patient, family, team
    entered_on: Mapped[date]
    addressed: Mapped[bool] = mapped_column(default=False)
