"""Shared goal setting with the family: goals at three levels, follow-ups, tasks, collaboRATE."""

from __future__ import annotations

from datetime import date

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lhn_desktop.models.base import Base, Syncable, fk


class PatientGoal(Syncable, Base):
    __tablename__ = "patient_goal"
    __sync_entity__ = "patient_goal"

    patient_id: Mapped[str] = mapped_column(fk("patient.id"), index=True)
    level: Mapped[str] = mapped_column(String(20))  # fundamental, functional, disease
    text: Mapped[str] = mapped_column(Text)  # in the patient's own words
    owner: Mapped[str] = mapped_column(String(20))  # patient, parent, team
    owner_member_id: Mapped[str | None] = mapped_column(fk("team_member.id"))
    serves_goal_id: Mapped[str | None] = mapped_column(fk("patient_goal.id"))
    target_date: Mapped[date | None]
    review_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="active")
    #: Goal Attainment Scaling baseline, usually -1 (or -2 when no worse state is possible).
    gas_baseline: Mapped[int] = mapped_column(default=-1)
    gas_weight: Mapped[int] = mapped_column(default=1)


class GoalFollowUp(Syncable, Base):
    __tablename__ = "goal_follow_up"
    __sync_entity__ = "goal_follow_up"

    goal_id: Mapped[str] = mapped_column(fk("patient_goal.id"), index=True)
    followed_up_on: Mapped[date]
    gas_score: Mapped[int]  # -2 .. +2
    satisfied_with_progress: Mapped[bool | None]
    note: Mapped[str | None] = mapped_column(Text)


class Task(Syncable, Base):
    __tablename__ = "task"
    __sync_entity__ = "task"

    patient_id: Mapped[str] = mapped_column(fk("patient.id"), index=True)
    what: Mapped[str] = mapped_column(Text)
    responsible: Mapped[str] = mapped_column(String(20))  # patient, family, team
    responsible_name: Mapped[str | None] = mapped_column(String(200))
    due_date: Mapped[date | None]
    done_on: Mapped[date | None]


class CollaborateResponse(Syncable, Base):
    """One collaboRATE encounter: three items on 0..9; a missing item is ``None``."""

    __tablename__ = "collaborate_response"
    __sync_entity__ = "collaborate_response"

    patient_id: Mapped[str] = mapped_column(fk("patient.id"), index=True)
    visit_id: Mapped[str | None] = mapped_column(fk("visit.id"))
    respondent: Mapped[str] = mapped_column(String(10))  # patient, parent
    answered_on: Mapped[date]
    item1: Mapped[int | None]
    item2: Mapped[int | None]
    item3: Mapped[int | None]
