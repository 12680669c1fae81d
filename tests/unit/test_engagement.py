"""The four levels of engagement: each reached by what a team member did, the highest in a month counted once,
by role, partners alike; looking at a resource is noted once a day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from lhn_desktop.access import Actor
from lhn_desktop.errors import NotFound
from lhn_desktop.services.commons import CommonsService, attachments_folder
from lhn_desktop.services.engagement import LEVELS
from lhn_desktop.services.improvement import ImprovementService
from lhn_desktop.services.improvement_rules import Cycle
from lhn_desktop.services.team import TeamService
from lhn_desktop.store.database import Database

TODAY = date.today()
MONTH = f"{TODAY:%Y-%m}"


@pytest.fixture
def center(db: Database):
    admin = Actor.workstation()
    team = TeamService(db)
    people = {}
    for name, role in (("Casey Nurse", "nurse"), ("Pat Parent", "parent_partner"), ("Dr. Lee", "physician"),
                       ("Sky Teen", "patient_partner"), ("Taylor QI", "qi_lead")):  # fmt: skip
        member = team.add_member(admin, name, role)
        people[name] = (member.id, team.actor_for(member.id))
    commons = CommonsService(db, attachments_folder(db.path), today=lambda: TODAY)
    return commons, ImprovementService(db, today=lambda: TODAY), people, admin


def _resource(commons: CommonsService, actor: Actor, title: str = "Pre-visit checklist") -> str:
    return commons.add_resource(actor, title=title, kind="tool", summary="A one-page checklist.")


def levels(commons: CommonsService, months=(MONTH,)) -> dict[str, dict[str, int]]:
    return {m.month: m for m in commons.engagement(list(months))}[MONTH].people


def test_looking_at_a_resource_is_awareness_noted_once_a_day(center):
    commons, _, people, admin = center
    rid = _resource(commons, admin)  # the workstation's own job counts for no one
    nurse = people["Casey Nurse"][1]
    assert commons.record_view(nurse, rid) is True
    assert commons.record_view(nurse, rid) is False  # twice in a day: once
    assert commons.record_view(admin, rid) is False  # not a person
    with pytest.raises(NotFound):
        commons.record_view(people["Dr. Lee"][1], "no-such-resource")
    assert levels(commons) == {"awareness": {"nurse": 1}}


def test_adopting_or_working_on_a_goal_is_participation(center):
    commons, improvement, people, admin = center
    rid = _resource(commons, admin)
    commons.adopt(people["Pat Parent"][1], rid)
    goal = improvement.save_goal(admin, None, title="Model care", aim="Raise model care from 60% to 80% by June")
    improvement.add_driver(people["Dr. Lee"][1], goal, None, "aim", "Raise model care")
    improvement.record_progress(people["Sky Teen"][1], goal, 1.5)
    assert levels(commons) == {"participation": {"parent_partner": 1, "physician": 1, "patient_partner": 1}}


def test_adapting_improving_or_working_a_later_step_is_contribution(center):
    commons, improvement, people, admin = center
    rid = _resource(commons, admin)
    commons.adapt(people["Casey Nurse"][1], rid, title="Our checklist", what_changed="Added growth")
    commons.add_resource(people["Pat Parent"][1], title="Pre-visit checklist", kind="tool", summary="v2",
                         supersedes_id=rid)  # fmt: skip
    goal = improvement.save_goal(admin, None, title="Model care", aim="Raise model care from 60% to 80% by June")
    first = improvement.save_cycle(admin, Cycle(id=None, seq=1, title="Checklist", goal_id=goal))
    improvement.next_cycle(people["Dr. Lee"][1], first)
    assert levels(commons) == {"contribution": {"nurse": 1, "parent_partner": 1, "physician": 1}}


def test_creating_starting_a_ramp_or_leading_a_goal_is_ownership(center):
    commons, improvement, people, admin = center
    _resource(commons, people["Sky Teen"][1], title="A teen's guide to transition")
    goal = improvement.save_goal(admin, None, title="Model care", aim="Raise model care from 60% to 80% by June")
    improvement.save_cycle(people["Casey Nurse"][1], Cycle(id=None, seq=1, title="Checklist", goal_id=goal))
    lead_id = people["Taylor QI"][0]
    started = TODAY - timedelta(days=62)
    improvement.save_goal(admin, None, title="Visits", aim="Everyone seen within 200 days by June",
                          owner_member_id=lead_id, start_date=started)  # fmt: skip
    assert levels(commons) == {"ownership": {"patient_partner": 1, "nurse": 1, "qi_lead": 1}}
    # the lead owns every month the goal has run, up to today
    earlier = f"{started:%Y-%m}"
    assert {m.month: m.count("ownership") for m in commons.engagement([earlier, MONTH])} == {earlier: 1, MONTH: 3}


def test_each_person_counts_once_a_month_at_their_highest_level(center):
    commons, _, people, admin = center
    nurse = people["Casey Nurse"][1]
    rid = _resource(commons, admin)
    commons.record_view(nurse, rid)
    commons.adopt(nurse, rid)
    _resource(commons, nurse, title="Nurse's own tool")
    month = commons.engagement([MONTH])[0]
    assert month.people == {"ownership": {"nurse": 1}}
    assert (month.engaged, month.by_role(), [month.count(level) for level in LEVELS]) == (1, {"nurse": 1}, [0, 0, 0, 1])
    assert commons.engagement(["2001-01"])[0].people == {}  # a month with nothing done


def test_the_engagement_chart_is_one_run_chart_per_level_in_whole_people(center):
    commons, _, people, admin = center
    commons.record_view(people["Casey Nurse"][1], _resource(commons, admin))
    previous = f"{TODAY.replace(day=1) - timedelta(days=1):%Y-%m}"
    spec = commons.engagement_chart(commons.engagement([MONTH, previous]))
    assert [marks.title for _, marks in spec.charts] == ["Aware", "Taking part", "Contributing", "Owning"]
    aware, marks = spec.charts[0]
    assert [p.y for p in aware.points] == [0.0, 1.0] and marks.whole  # oldest month first
    figure = spec.figure()
    assert len(figure.axes) == 4
    assert all(tick == int(tick) for tick in figure.axes[0].get_yticks())
