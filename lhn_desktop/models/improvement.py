"""Center improvement work: 90-day goals, key driver diagrams, PDSA cycles and ramps, progress scores."""

from __future__ import annotations

from datetime import date

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lhn_desktop.models.base import Base, Syncable, fk


class ImprovementGoal(Syncable, Base):
    """A 90-day goal with a SMART aim."""

    __tablename__ = "improvement_goal"
    __sync_entity__ = "improvement_goal"

    title: Mapped[str] = mapped_column(String(200))
    aim: Mapped[str] = mapped_column(Text)
    baseline: Mapped[str | None] = mapped_column(String(200))
    target: Mapped[str | None] = mapped_column(String(200))
    owner_member_id: Mapped[str | None] = mapped_column(fk("team_member.id"))
    team: Mapped[str | None] = mapped_column(Text)
    start_date: Mapped[date]
    end_date: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default="active")  # active, closed
    closeout_result: Mapped[str | None] = mapped_column(String(20))  # met, partly_met, not_met
    closeout_learning: Mapped[str | None] = mapped_column(Text)


class ImprovementGoalMeasure(Syncable, Base):
    __tablename__ = "improvement_goal_measure"
    __sync_entity__ = "improvement_goal_measure"

    goal_id: Mapped[str] = mapped_column(fk("improvement_goal.id"), index=True)
    measure_id: Mapped[str] = mapped_column(fk("measure_definition.id"), index=True)


class DriverNode(Syncable, Base):
    """A node of a key driver diagram: the aim, a primary or secondary driver, or a change idea."""

    __tablename__ = "driver_node"
    __sync_entity__ = "driver_node"

    goal_id: Mapped[str | None] = mapped_column(fk("improvement_goal.id"), index=True)
    parent_id: Mapped[str | None] = mapped_column(fk("driver_node.id"))
    kind: Mapped[str] = mapped_column(String(20))  # aim, primary, secondary, change_idea
    text: Mapped[str] = mapped_column(Text)
    position: Mapped[int] = mapped_column(default=0)


class PdsaCycle(Syncable, Base):
    """A Plan-Do-Study-Act cycle with the full worksheet; cycles under one change idea form a ramp."""

    __tablename__ = "pdsa_cycle"
    __sync_entity__ = "pdsa_cycle"

    goal_id: Mapped[str | None] = mapped_column(fk("improvement_goal.id"), index=True)
    change_idea_id: Mapped[str | None] = mapped_column(fk("driver_node.id"), index=True)
    parent_cycle_id: Mapped[str | None] = mapped_column(fk("pdsa_cycle.id"))
    seq: Mapped[int] = mapped_column(default=1)
    title: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str | None] = mapped_column(String(40))
    objective: Mapped[str | None] = mapped_column(Text)
    #: Questions with their predictions and results, as JSON text: [{"q": .., "prediction": .., "result": ..}]
    questions: Mapped[str] = mapped_column(Text, default="[]")
    plan_who: Mapped[str | None] = mapped_column(Text)
    plan_what: Mapped[str | None] = mapped_column(Text)
    plan_when: Mapped[str | None] = mapped_column(Text)
    plan_where: Mapped[str | None] = mapped_column(Text)
    plan_tasks: Mapped[str | None] = mapped_column(Text)
    data_plan: Mapped[str | None] = mapped_column(Text)
    do_as_planned: Mapped[bool | None]
    do_observations: Mapped[str | None] = mapped_column(Text)
    do_problems: Mapped[str | None] = mapped_column(Text)
    study_summary: Mapped[str | None] = mapped_column(Text)
    act_decision: Mapped[str | None] = mapped_column(String(20))  # adopt, adapt, abandon
    act_next_step: Mapped[str | None] = mapped_column(Text)
    scale_n: Mapped[int | None]
    scale_unit: Mapped[str | None] = mapped_column(String(20))  # patients, clinicians, days
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="planning")


class ProgressScore(Syncable, Base):
    """IHI progress score 0.5-5.0 for a 90-day goal, kept in tenths (5..50): no floats in synced data."""

    __tablename__ = "progress_score"
    __sync_entity__ = "progress_score"

    goal_id: Mapped[str] = mapped_column(fk("improvement_goal.id"), index=True)
    scored_on: Mapped[date]
    score_tenths: Mapped[int]
    suggested_tenths: Mapped[int | None]
    evidence: Mapped[str | None] = mapped_column(Text)
    scored_by_member_id: Mapped[str | None] = mapped_column(fk("team_member.id"))
