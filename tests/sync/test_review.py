"""The conflict resolver and the "deleted elsewhere while you edited" review, across two workstations."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from lhn_desktop.access import Actor
from lhn_desktop.errors import NotFound, PermissionDenied, ValidationError
from lhn_desktop.models.improvement import ImprovementGoal, PdsaCycle
from lhn_desktop.models.patients import Patient
from lhn_desktop.models.team import Role
from lhn_desktop.services.sync_review import SyncReviewService
from lhn_desktop.store import versions
from lhn_desktop.store.database import Database
from tests.sync.test_apply import ADMIN, goal, open_pair, remove, retitle, send, shown


@pytest.fixture
def pair(center_path: Path, tmp_path: Path):
    a, b = open_pair(center_path, tmp_path)
    yield a, b
    a.close()
    b.close()


PARTNER = Actor(member_id=None, name="Jordan Mockridge", role=Role.PARENT_PARTNER)


def siblings(db: Database, goal_id: str, field: str) -> int:
    """How many versions of one field of a 90-day goal are stored."""
    with db.read() as s:
        stored = versions.read(s, ImprovementGoal.__sync_entity__, [goal_id], only=field).get(goal_id)
    return len(stored.fields.get(field, [])) if stored else 0


def make_conflict(a: Database, b: Database, tmp_path: Path) -> str:
    gid = goal(a)
    send(a, b, tmp_path / "s1")
    retitle(a, gid, "Title from A")
    retitle(b, gid, "Title from B")
    send(a, b, tmp_path / "s2")
    send(b, a, tmp_path / "s3")
    return gid


def test_conflicts_are_listed_side_by_side_and_a_choice_travels(pair, tmp_path: Path):
    a, b = pair
    gid = make_conflict(a, b, tmp_path)
    (conflict,) = SyncReviewService(a).conflicts(ADMIN)
    assert (conflict.entity, conflict.record_id, conflict.field) == ("improvement_goal", gid, "title")
    assert conflict.kind == "90-day goal" and conflict.field_label == "Title" and not conflict.read_only
    assert {v.text for v in conflict.values} == {"Title from A", "Title from B"}
    assert [v.shown_now for v in conflict.values] == [True, False]
    assert {v.workstation for v in conflict.values} == {"this workstation", f"workstation {b.local_node().node_id[:8]}"}
    assert SyncReviewService(b).conflicts(ADMIN)[0].values[0].text == conflict.values[0].text  # same winner

    loser = conflict.values[1]
    with pytest.raises(ValidationError, match="Choose one of the values"):
        SyncReviewService(a).resolve(ADMIN, "improvement_goal", gid, "title", "Something else")
    SyncReviewService(a).resolve(ADMIN, "improvement_goal", gid, "title", loser.value)
    assert shown(a, gid) == (loser.text, False) and siblings(a, gid, "title") == 1
    assert SyncReviewService(a).conflicts(ADMIN) == []
    with pytest.raises(NotFound, match="no longer open"):
        SyncReviewService(a).resolve(ADMIN, "improvement_goal", gid, "title", loser.value)

    send(a, b, tmp_path / "s4")
    assert shown(b, gid) == (loser.text, False) and siblings(b, gid, "title") == 1
    assert SyncReviewService(b).conflicts(ADMIN) == []


def test_keeping_the_value_already_shown_also_resolves(pair, tmp_path: Path):
    a, b = pair
    gid = make_conflict(a, b, tmp_path)
    winner = SyncReviewService(b).conflicts(ADMIN)[0].values[0]
    SyncReviewService(b).resolve(ADMIN, "improvement_goal", gid, "title", winner.value)
    assert shown(b, gid) == (winner.text, False) and siblings(b, gid, "title") == 1


def test_an_ordinary_edit_of_the_field_ends_the_conflict(pair, tmp_path: Path):
    a, b = pair
    gid = make_conflict(a, b, tmp_path)
    retitle(a, gid, "Agreed at the QI meeting")
    assert shown(a, gid) == ("Agreed at the QI meeting", False) and SyncReviewService(a).conflicts(ADMIN) == []


def test_partners_see_no_patient_conflicts(pair, tmp_path: Path):
    a, b = pair
    with a.write(ADMIN) as s:
        p = Patient(mrn="SENTINEL-0001", given_name="Ada", family_name="Testcase", birth_date=date(2012, 5, 1), sex="F",
                    diagnosis="crohns")  # fmt: skip
        s.add(p)
        s.flush()
        pid = p.id
    send(a, b, tmp_path / "s1")
    for db, name in ((a, "Adeline"), (b, "Addie")):
        with db.write(ADMIN) as s:
            s.get(Patient, pid).given_name = name
    send(a, b, tmp_path / "s2")
    assert [c.entity for c in SyncReviewService(b).conflicts(ADMIN)] == ["patient"]
    assert SyncReviewService(b).conflicts(PARTNER) == []
    with pytest.raises((PermissionDenied, NotFound)):
        SyncReviewService(b).resolve(PARTNER, "patient", pid, "given_name", "Ada")


def test_deleted_while_edited_can_be_restored_with_the_edit(pair, tmp_path: Path):
    a, b = pair
    gid = goal(a)
    send(a, b, tmp_path / "s1")
    remove(a, gid)
    retitle(b, gid, "Edited meanwhile")
    send(a, b, tmp_path / "s2")
    send(b, a, tmp_path / "s3")
    for db in (a, b):
        (case,) = SyncReviewService(db).deleted_while_edited(ADMIN)
        assert (case.entity, case.record_id, case.record, case.edited_fields) == (
            "improvement_goal",
            gid,
            "Edited meanwhile",
            ["Title"],
        )
    assert case.deleted_by.startswith("workstation") and case.edited_by == "this workstation"
    SyncReviewService(b).restore(ADMIN, "improvement_goal", gid)
    assert shown(b, gid) == ("Edited meanwhile", False)
    send(b, a, tmp_path / "s4")
    assert shown(a, gid) == ("Edited meanwhile", False)
    assert SyncReviewService(a).deleted_while_edited(ADMIN) == []
    with pytest.raises(NotFound):
        SyncReviewService(a).restore(ADMIN, "improvement_goal", gid)


def test_confirming_the_delete_clears_the_review_everywhere(pair, tmp_path: Path):
    a, b = pair
    gid = goal(a)
    send(a, b, tmp_path / "s1")
    remove(a, gid)
    retitle(b, gid, "Edited meanwhile")
    send(a, b, tmp_path / "s2")
    SyncReviewService(b).confirm_delete(ADMIN, "improvement_goal", gid)
    assert shown(b, gid) is None and SyncReviewService(b).deleted_while_edited(ADMIN) == []
    send(b, a, tmp_path / "s3")
    assert shown(a, gid) is None and SyncReviewService(a).deleted_while_edited(ADMIN) == []


def test_a_record_under_a_deleted_one_is_hidden_then_shown_again(pair, tmp_path: Path):
    a, b = pair
    gid = goal(a)
    send(a, b, tmp_path / "s1")
    remove(a, gid)
    retitle(b, gid, "Kept by B")
    with b.write(ADMIN) as s:
        cycle = PdsaCycle(goal_id=gid, title="Call families before the visit")
        s.add(cycle)
        s.flush()
        cid = cycle.id
    send(a, b, tmp_path / "s2")  # A's delete reaches B, whose new cycle belongs to the goal
    with b.read() as s:
        assert s.get(ImprovementGoal, gid) is None and s.get(PdsaCycle, cid) is None
    send(b, a, tmp_path / "s3")
    SyncReviewService(a).restore(ADMIN, "improvement_goal", gid)
    with a.read() as s:
        assert s.get(ImprovementGoal, gid).title == "Kept by B"
        assert s.get(PdsaCycle, cid).title == "Call families before the visit"
