"""Two 90-day improvement goals with driver diagrams, progress scores and a PDSA ramp; the commons resources."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from statistics import median_low

from lhn_desktop.localization import counted
from lhn_desktop.models.commons import Resource, UsageEvent
from lhn_desktop.models.improvement import DriverNode, ImprovementGoal, ImprovementGoalMeasure, PdsaCycle, ProgressScore
from lhn_desktop.models.measures import ChartAnnotation, MeasureDefinition
from lhn_desktop.models.team import Role
from lhn_desktop.services.demo.content import GOAL_SPECS, RAMP, RESOURCES, TEAM
from lhn_desktop.services.demo.dates import long_date
from lhn_desktop.services.demo.patients import CenterSimulator


def improvement(
    gen: CenterSimulator, measures: dict[str, MeasureDefinition], percent: dict[tuple[str, str], int]
) -> list:
    """Two 90-day goals with driver diagrams and progress scores; a PDSA ramp on the first change idea."""
    today, qi = gen.today, gen.members[Role.QI_LEAD.value]
    records: list = []
    goals, ideas = [], []
    for title, code, days_ago, aim, drivers, score, evidence in GOAL_SPECS:
        start = today - timedelta(days=days_ago)
        end = start + timedelta(days=90)
        base = baseline(percent, code, start)
        target = max(min(95, 5 * -(-(base + 8) // 5)), min(100, base + 3))
        goal = ImprovementGoal(id=gen.new_id(), title=title, aim=aim.format(b=base, t=target, d=long_date(end)),
                               baseline=f"{base}%", target=f"{target}%", owner_member_id=qi.id,
                               team=", ".join(name for _, name, _ in TEAM[:5]), start_date=start, end_date=end,
                               status="active")  # fmt: skip
        nodes = driver_diagram(gen, goal, drivers)
        goals.append(goal)
        ideas += [n for n in nodes if n.kind == "change_idea"]
        records += [goal, ImprovementGoalMeasure(id=gen.new_id(), goal_id=goal.id, measure_id=measures[code].id)]
        records += nodes
        records.append(ProgressScore(id=gen.new_id(), goal_id=goal.id, scored_on=today - timedelta(days=3),
                                     score_tenths=score, suggested_tenths=score, evidence=evidence,
                                     scored_by_member_id=qi.id))  # fmt: skip
    cycles = pdsa_ramp(gen, goals[0], ideas[0])
    records += cycles
    for cycle in cycles[:2]:
        text = f"PDSA {cycle.seq}: nurse pre-visit checklist with {counted(cycle.scale_n or 0, 'patient')}"
        records.append(ChartAnnotation(id=gen.new_id(), measure_id=measures["model_care"].id,
                                       on_date=cycle.start_date, kind="note", text=text, pdsa_id=cycle.id))  # fmt: skip
    return records


def baseline(percent: dict[tuple[str, str], int], code: str, start: date, months: int = 6) -> int:
    """The median percentage of the last ``months`` complete months before ``start`` (0 without data)."""
    month_end, points = start.replace(day=1) - timedelta(days=1), []
    for _ in range(months):
        if (code, f"{month_end:%Y-%m}") in percent:
            points.append(percent[code, f"{month_end:%Y-%m}"])
        month_end = month_end.replace(day=1) - timedelta(days=1)
    return median_low(points) if points else 0


def driver_diagram(gen: CenterSimulator, goal: ImprovementGoal, drivers) -> list[DriverNode]:
    """The aim, its primary and secondary drivers and their change ideas, as a tree of nodes."""

    def node(kind: str, text: str, parent: DriverNode | None, position: int) -> DriverNode:
        parent_id = parent.id if parent else None
        return DriverNode(id=gen.new_id(), goal_id=goal.id, parent_id=parent_id, kind=kind, text=text,
                          position=position)  # fmt: skip

    aim = node("aim", goal.aim, None, 0)
    nodes = [aim]
    for i, (primary_text, secondaries) in enumerate(drivers):
        primary = node("primary", primary_text, aim, i)
        nodes.append(primary)
        for j, (secondary_text, ideas) in enumerate(secondaries):
            secondary = node("secondary", secondary_text, primary, j)
            nodes.append(secondary)
            nodes += [node("change_idea", idea, secondary, k) for k, idea in enumerate(ideas)]
    return nodes


def pdsa_ramp(gen: CenterSimulator, goal: ImprovementGoal, idea: DriverNode) -> list[PdsaCycle]:
    """Three cycles on one change idea, each from the previous one: 1 patient, then 5, then 20 (running now)."""
    nurse = gen.members[Role.NURSE.value].display_name
    doctor = gen.members[Role.PHYSICIAN.value].display_name
    cycles: list[PdsaCycle] = []
    for seq, (n, days_ago, length, decision, status, questions, summary, next_step) in enumerate(RAMP, start=1):
        start, done = gen.today - timedelta(days=days_ago), status == "done"
        cycles.append(PdsaCycle(
            id=gen.new_id(), goal_id=goal.id, change_idea_id=idea.id,
            parent_cycle_id=cycles[-1].id if cycles else None, seq=seq,
            title="Pre-visit checklist the afternoon before clinic",
            purpose="Test a change" if seq < 3 else "Implement a change",
            objective="Learn whether the nurse can complete the pre-visit checklist the afternoon before clinic",
            questions=json.dumps(questions), plan_who=f"{nurse} with {doctor}",
            plan_what="Complete the IBD pre-visit checklist and leave it with the clinic list",
            plan_when=f"From {long_date(start)}", plan_where="IBD clinic, nurses' office",
            plan_tasks="Print the clinic list; pre-fill from the registry; hand over at the morning huddle",
            data_plan="Minutes per checklist, items found missing, physician's comment; the QI lead charts them",
            do_as_planned=True if done else None,
            do_observations="Done as planned; the physician used the plan in every visit" if done else None,
            do_problems="The clinic list was printed late on one day" if seq == 2 else None,
            study_summary=summary, act_decision=decision, act_next_step=next_step, scale_n=n, scale_unit="patients",
            start_date=start, end_date=start + timedelta(days=length), status=status,
        ))  # fmt: skip
    return cycles


def commons(gen: CenterSimulator) -> list:
    """Five resources from this center, with a few views and adoptions by the team."""
    records: list = []
    members = [gen.members[role] for role in sorted(gen.members)]
    for i, (title, kind, role, audience, tags, summary, body) in enumerate(RESOURCES):
        resource = Resource(id=gen.new_id(), title=title, kind=kind, summary=summary, body=body, tags=tags,
                            disease="IBD", audience=audience, contributing_site=gen.site, contributor_role=role,
                            licence="CC BY 4.0", version=1,
                            published_on=gen.today - timedelta(days=30 + 40 * i))  # fmt: skip
        records.append(resource)
        for _ in range(gen.between(1, 2)):
            at = datetime.combine(gen.today - timedelta(days=gen.between(1, 25)), time(gen.between(8, 17), 0))
            member, usage = gen.rng.choice(members), gen.rng.choice(("viewed", "viewed", "adopted"))
            records.append(UsageEvent(id=gen.new_id(), resource_id=resource.id, member_id=member.id, kind=usage,
                                      at=at))  # fmt: skip
    return records
