"""Read-only overviews for the pages whose full features are still to come.

Each returns real data from the center database: the clinic schedule, 90-day goals with their PDSA
ramps, measures with their monthly values, shared resources, and sync bookkeeping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.models.commons import Resource, UsageEvent
from lhn_desktop.models.improvement import ImprovementGoal, PdsaCycle, ProgressScore
from lhn_desktop.models.measures import MeasureDefinition, MeasureValue
from lhn_desktop.models.patients import Patient, Visit
from lhn_desktop.models.sync import AuditEvent, SyncImportLog, SyncTrust
from lhn_desktop.store import versions
from lhn_desktop.store.database import Database


@dataclass(frozen=True, slots=True)
class ClinicDay:
    day: date
    scheduled: int


@dataclass(frozen=True, slots=True)
class ScheduledVisit:
    visit_id: str
    patient_id: str
    time: str | None
    patient_name: str
    mrn: str
    clinician: str | None
    visit_type: str
    status: str


@dataclass(frozen=True, slots=True)
class CycleOverview:
    seq: int
    title: str
    status: str
    scale: str
    act_decision: str | None


@dataclass(frozen=True, slots=True)
class GoalOverview:
    id: str
    title: str
    aim: str
    start_date: date
    end_date: date
    status: str
    progress_score: str | None
    cycles: tuple[CycleOverview, ...]


@dataclass(frozen=True, slots=True)
class MeasureOverview:
    code: str
    title: str
    direction: str
    target: str | None
    #: (month, numerator, denominator, value): a continuous measure's value is its median or mean, else None
    months: tuple[tuple[str, int, int | None, float | None], ...]
    #: what a continuous measure's values are in; None for counts
    unit: str | None = None

    @property
    def continuous(self) -> bool:
        return self.unit is not None

    @property
    def latest(self) -> str:
        """The last month as the list shows it: a percentage, or a continuous measure's value."""
        if not self.months:
            return ""
        _, numerator, denominator, value = self.months[-1]
        if self.continuous:
            return "" if value is None else f"{value:g}"
        return f"{100 * numerator / denominator:.0f}%" if denominator else ""


@dataclass(frozen=True, slots=True)
class ResourceOverview:
    id: str
    title: str
    kind: str
    summary: str
    contributing_site: str | None
    contributor_role: str | None
    published_on: date | None
    adoptions: int


@dataclass(frozen=True, slots=True)
class SyncOverview:
    field_versions: int
    records: int
    imports: int
    trusted_keys: int
    audit_events: int
    last_audit: str | None


def scale_text(n: int | None, unit: str | None) -> str:
    """ "1 patient", "20 patients": the scale of a test of change."""
    if not n:
        return ""
    unit = unit or ""
    if n == 1 and unit.endswith("s"):
        unit = unit[:-1]
    return f"{n} {unit}".strip()


class OverviewService:
    def __init__(self, db: Database, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    def clinic_days(self, *, start: date | None = None, limit: int = 20) -> list[ClinicDay]:
        """Upcoming days with scheduled visits (counts only, no patient data)."""
        start = start or self.today()
        q = (
            select(Visit.visit_date, func.count())
            .where(Visit.visit_date >= start, Visit.status == "scheduled")
            .group_by(Visit.visit_date)
            .order_by(Visit.visit_date)
            .limit(limit)
        )
        with self.db.read() as s:
            return [ClinicDay(d, n) for d, n in s.execute(q)]

    def day_schedule(self, actor: Actor, day: date) -> list[ScheduledVisit]:
        require_patient_access(actor)
        q = (
            select(Visit, Patient)
            .join(Patient, Patient.id == Visit.patient_id)
            .where(Visit.visit_date == day, Visit.status.in_(("scheduled", "completed")))
            .order_by(Visit.visit_time, Patient.family_name)
        )
        with self.db.read() as s:
            return [
                ScheduledVisit(
                    v.id,
                    p.id,
                    v.visit_time,
                    f"{p.family_name}, {p.given_name}",
                    p.mrn,
                    v.clinician,
                    v.visit_type,
                    v.status,
                )
                for v, p in s.execute(q)
            ]

    def improvement(self) -> list[GoalOverview]:
        with self.db.read() as s:
            goals = s.scalars(select(ImprovementGoal).order_by(ImprovementGoal.start_date.desc())).all()
            out = []
            for g in goals:
                cycles = s.scalars(select(PdsaCycle).where(PdsaCycle.goal_id == g.id).order_by(PdsaCycle.seq)).all()
                score = s.scalars(
                    select(ProgressScore).where(ProgressScore.goal_id == g.id).order_by(ProgressScore.scored_on.desc())
                ).first()
                out.append(
                    GoalOverview(
                        g.id,
                        g.title,
                        g.aim,
                        g.start_date,
                        g.end_date,
                        g.status,
                        f"{score.score_tenths / 10:.1f}" if score else None,
                        tuple(
                            CycleOverview(
                                c.seq,
                                c.title,
                                c.status,
                                scale_text(c.scale_n, c.scale_unit),
                                c.act_decision,
                            )
                            for c in cycles
                        ),
                    )
                )
            return out

    def measures(self) -> list[MeasureOverview]:
        from lhn_desktop.services.measures import foreign_measure_ids

        with self.db.read() as s:
            foreign = foreign_measure_ids(s)
            defs = [
                d for d in s.scalars(select(MeasureDefinition).order_by(MeasureDefinition.title)) if d.id not in foreign
            ]
            values = s.execute(
                select(
                    MeasureValue.measure_id, MeasureValue.month, MeasureValue.numerator, MeasureValue.denominator,
                    MeasureValue.value,
                ).order_by(MeasureValue.month)
            ).all()  # fmt: skip
        by_measure: dict[str, list[tuple[str, int, int | None, float | None]]] = {}
        for measure_id, month, num, den, value in values:
            by_measure.setdefault(measure_id, []).append((month, num, den, None if value is None else float(value)))
        return [
            MeasureOverview(d.code, d.title, d.direction, d.target, tuple(by_measure.get(d.id, ())),
                            d.unit if d.kind == "continuous" else None)
            for d in defs
        ]  # fmt: skip

    def resources(self) -> list[ResourceOverview]:
        adopted = (
            select(UsageEvent.resource_id, func.count().label("n"))
            .where(UsageEvent.kind == "adopted")
            .group_by(UsageEvent.resource_id)
            .subquery()
        )
        q = (
            select(Resource, adopted.c.n)
            .outerjoin(adopted, adopted.c.resource_id == Resource.id)
            .order_by(Resource.published_on.desc(), Resource.title)
        )
        with self.db.read() as s:
            return [
                ResourceOverview(
                    r.id, r.title, r.kind, r.summary, r.contributing_site, r.contributor_role, r.published_on, n or 0
                )
                for r, n in s.execute(q)
            ]

    def sync(self) -> SyncOverview:
        with self.db.read() as s:
            last_audit = s.scalar(select(func.max(AuditEvent.at)))
            return SyncOverview(
                field_versions=versions.count(s),
                # every record, live or deleted, has a "_deleted" field version (most exactly one)
                records=sum(versions.record_counts(s).values()),
                imports=s.scalar(select(func.count()).select_from(SyncImportLog)) or 0,
                trusted_keys=s.scalar(select(func.count()).select_from(SyncTrust)) or 0,
                audit_events=s.scalar(select(func.count()).select_from(AuditEvent)) or 0,
                last_audit=last_audit.isoformat(sep=" ", timespec="minutes") if last_audit else None,
            )
