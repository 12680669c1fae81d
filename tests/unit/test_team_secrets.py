"""Signing in with a PIN or passphrase: kept only as a slow salted hash, set by the member (or reset by the
workstation's administrator), needed to act as that member, and a wait after six wrong tries in a row."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from lhn_desktop.access import Actor
from lhn_desktop.app import AppContext
from lhn_desktop.errors import PermissionDenied, ValidationError
from lhn_desktop.models.team import Role, TeamMember
from lhn_desktop.services.team import TRIES, TeamService, hash_secret, secret_matches, secret_problem
from lhn_desktop.store import versions as stored_versions

PIN = "482916"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def member(team: TeamService, role: str):
    return next(m for m in team.list_members() if m.role == role)


def test_the_hash_is_salted_slow_and_never_the_secret() -> None:
    one, two = hash_secret(PIN), hash_secret(PIN)
    assert one != two and PIN not in one and one.startswith("scrypt$16384$8$1$")
    assert secret_matches(one, PIN) and secret_matches(two, PIN)
    assert not secret_matches(one, "482917") and not secret_matches(None, PIN) and not secret_matches("x$y", PIN)


@pytest.mark.parametrize("weak", ["12345", "111111", "123456", "654321", "abcdef", "x" * 201])
def test_weak_secrets_are_refused_with_what_to_do(weak: str) -> None:
    assert secret_problem(weak) is not None
    assert secret_problem("blue heron 7") is None and secret_problem(PIN) is None


def test_a_member_sets_their_pin_and_then_needs_it_to_sign_in(db) -> None:
    clock = Clock()
    team = TeamService(db, clock=clock)
    nurse = member(team, "nurse")
    as_nurse = team.actor_for(nurse.id)
    team.check_secret(nurse.id, None)  # none set yet: the window asks them to choose one
    team.set_secret(as_nurse, nurse.id, PIN)
    assert team.get_member(nurse.id).has_secret
    team.check_secret(nurse.id, PIN)
    with pytest.raises(PermissionDenied, match="not .*'s PIN"):
        team.check_secret(nurse.id, "000001")
    with pytest.raises(PermissionDenied, match="current PIN is not right"):
        team.set_secret(as_nurse, nurse.id, "blue heron 7", current="999999")
    team.set_secret(as_nurse, nurse.id, "blue heron 7", current=PIN)
    team.check_secret(nurse.id, "blue heron 7")
    with db.read() as s:  # not in the record, nor in any field version that travels to the other workstations
        stored = s.scalar(select(TeamMember.secret_hash).where(TeamMember.id == nurse.id))
        versions = [row[8] for row in stored_versions.scan(s) if row[1] == nurse.id]
    assert "heron" not in stored and not any("heron" in v or PIN in v for v in versions)


def test_only_the_member_or_the_administrator_sets_a_pin(db) -> None:
    team = TeamService(db)
    nurse, partner = member(team, "nurse"), member(team, Role.PARENT_PARTNER.value)
    with pytest.raises(PermissionDenied, match="Only the team member"):
        team.set_secret(team.actor_for(partner.id), nurse.id, PIN)  # a partner cannot claim a clinician
    team.set_secret(team.actor_for(nurse.id), nurse.id, PIN)
    with pytest.raises(PermissionDenied):
        team.clear_secret(team.actor_for(nurse.id), nurse.id)
    team.clear_secret(Actor.workstation(), nurse.id)  # a forgotten PIN, reset by the administrator
    assert not team.get_member(nurse.id).has_secret
    with pytest.raises(ValidationError) as caught:
        team.set_secret(team.actor_for(nurse.id), nurse.id, "123456")
    assert caught.value.field == "secret"


def test_six_wrong_tries_make_the_member_wait_a_minute(db) -> None:
    clock = Clock()
    team = TeamService(db, clock=clock)
    nurse = member(team, "nurse")
    team.set_secret(team.actor_for(nurse.id), nurse.id, PIN)
    for _ in range(TRIES):
        with pytest.raises(PermissionDenied, match="not .*'s PIN"):
            team.check_secret(nurse.id, "999999")
    with pytest.raises(PermissionDenied, match="Too many wrong tries .* Wait 60 seconds"):
        team.check_secret(nurse.id, PIN)  # even the right one, until the wait is over
    clock.now += 61
    team.check_secret(nurse.id, PIN)


def test_signing_in_as_someone_needs_their_secret(center_path) -> None:
    ctx = AppContext.open(str(center_path))
    try:
        physician = member(ctx.team, "physician")
        ctx.team.set_secret(ctx.team.actor_for(physician.id), physician.id, PIN)
        with pytest.raises(PermissionDenied):
            ctx.sign_in(physician.id, "clinic-pc")
        assert ctx.actor.member_id != physician.id
        assert ctx.sign_in(physician.id, "clinic-pc", PIN).member_id == physician.id
    finally:
        ctx.close()
