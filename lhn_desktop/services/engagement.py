"""The four levels of engagement (DOMAIN.md section 1): awareness, participation, contribution, ownership.

Each team member's level in a month is the highest that what they did that month reaches, so a center can
see how many people are aware of the commons, take part in using what it holds and in the improvement
work, improve what others made, and create or lead (the counts the ImproveCareNow network reported over
three years: people producing x2.7, using x4.1, aware x4.0). Clinicians, patient and parent partners are
counted alike.

| level | what puts a person there in a month |
|---|---|
| awareness | looked at a resource in the commons |
| participation | adopted a resource; worked on a 90-day goal (its drivers, measures or progress score) |
| contribution | adapted a resource or made a new version of one; wrote a later step of a PDSA ramp, or worked a cycle |
| ownership | created a new resource; started a PDSA ramp; led a 90-day goal running that month |

What a person did is read from the records that name them (views, adoptions and adaptations; the goal's
lead; the progress score's scorer) and from this workstation's audit trail (who created or changed a
resource, a PDSA cycle or a goal's parts). Searches are not recorded, so they do not count.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lhn_desktop.models.commons import Resource, UsageEvent
from lhn_desktop.models.improvement import ImprovementGoal, PdsaCycle, ProgressScore
from lhn_desktop.models.sync import AuditEvent
from lhn_desktop.models.team import TeamMember

LEVELS = ("awareness", "participation", "contribution", "ownership")
AWARENESS, PARTICIPATION, CONTRIBUTION, OWNERSHIP = LEVELS
#: what a usage event of each kind shows of the person who made it
USAGE_LEVEL = {"viewed": AWARENESS, "adopted": PARTICIPATION, "adapted": CONTRIBUTION}
#: the parts of a 90-day goal whose writing is taking part in the goal's work
GOAL_PARTS = ("improvement_goal", "driver_node", "improvement_goal_measure", "progress_score")


@dataclass(frozen=True)
class EngagementMonth:
    month: str
    #: level -> role -> how many people reached that level (and no higher) that month
    people: dict[str, dict[str, int]]

    def count(self, level: str) -> int:
        return sum(self.people.get(level, {}).values())

    @property
    def engaged(self) -> int:
        return sum(self.count(level) for level in LEVELS)

    def by_role(self) -> dict[str, int]:
        """People at any level, by role."""
        out: dict[str, int] = {}
        for roles in self.people.values():
            for role, n in roles.items():
                out[role] = out.get(role, 0) + n
        return out


def _month(on: date | datetime) -> str:
    return f"{on:%Y-%m}"


def _months_between(first: date, last: date) -> Iterable[str]:
    y, m = first.year, first.month
    while (y, m) <= (last.year, last.month):
        yield f"{y:04d}-{m:02d}"
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)


def _audit_level(
    entity: str, action: str, record_id: str | None, adapted: set[str], ramp_steps: set[str]
) -> str | None:
    """The level a change in this workstation's audit trail shows, or None for changes that do not count."""
    if entity == "resource":
        if action == "create":
            return CONTRIBUTION if record_id in adapted else OWNERSHIP
        return CONTRIBUTION if action == "update" else None
    if entity == "pdsa_cycle":
        if action == "create":
            return CONTRIBUTION if record_id in ramp_steps else OWNERSHIP
        return CONTRIBUTION if action == "update" else None
    if entity in GOAL_PARTS and action in ("create", "update"):
        return PARTICIPATION
    return None


def engagement(session: Session, months: list[str], today: date) -> list[EngagementMonth]:
    """Per month (``YYYY-MM``), the people at each level, by role. Members no longer active still count for
    the months they took part in."""
    wanted = set(months)
    roles: dict[str, str] = dict(session.execute(select(TeamMember.id, TeamMember.role)).all())
    reached: dict[tuple[str, str], int] = {}  # (month, member) -> highest level index

    def saw(month: str, member: str | None, level: str | None) -> None:
        if level is None or member not in roles or month not in wanted:
            return  # a workstation's own jobs, or a month not asked for
        key = (month, member)
        reached[key] = max(reached.get(key, -1), LEVELS.index(level))

    for member, kind, at in session.execute(select(UsageEvent.member_id, UsageEvent.kind, UsageEvent.at)):
        saw(_month(at), member, USAGE_LEVEL.get(kind))
    # an adaptation or a new version improves what exists; anything else created is new
    adapted = set(session.scalars(
        select(Resource.id).where(Resource.adapted_from_id.is_not(None) | Resource.supersedes_id.is_not(None))
    ))  # fmt: skip
    ramp_steps = set(session.scalars(select(PdsaCycle.id).where(PdsaCycle.parent_cycle_id.is_not(None))))
    audit = select(AuditEvent.actor_id, AuditEvent.at, AuditEvent.entity, AuditEvent.action, AuditEvent.record_id)
    for actor, at, entity, action, record_id in session.execute(
        audit.where(AuditEvent.entity.in_(("resource", "pdsa_cycle", *GOAL_PARTS)))
    ):
        saw(_month(at), actor, _audit_level(entity, action, record_id, adapted, ramp_steps))
    for member, on in session.execute(select(ProgressScore.scored_by_member_id, ProgressScore.scored_on)):
        saw(_month(on), member, PARTICIPATION)
    for lead, start, end in session.execute(
        select(ImprovementGoal.owner_member_id, ImprovementGoal.start_date, ImprovementGoal.end_date)
    ):
        if lead is not None and start is not None:
            for month in _months_between(start, min(end or today, today)):
                saw(month, lead, OWNERSHIP)
    counts: dict[str, dict[str, dict[str, int]]] = {m: {} for m in months}
    for (month, member), level in reached.items():
        by_role = counts[month].setdefault(LEVELS[level], {})
        by_role[roles[member]] = by_role.get(roles[member], 0) + 1
    return [EngagementMonth(m, counts[m]) for m in months]
