"""Automatic change capture (SYNC.md 0.9, 1.2-1.4) against a real center database, through the ORM."""

from __future__ import annotations

import itertools
import json
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, select, text

from lhn_desktop.access import Actor
from lhn_desktop.errors import PermissionDenied, ValidationError
from lhn_desktop.models.base import UNCAPTURED_COLUMNS
from lhn_desktop.models.patients import Patient
from lhn_desktop.models.sync import AuditEvent
from lhn_desktop.models.team import Role, TeamMember
from lhn_desktop.store import capture
from lhn_desktop.store import versions as version_store
from lhn_desktop.store.database import Database
from lhn_desktop.sync.hlc import Hlc
from lhn_desktop.sync.merge import dominates

SITE = "ctr-042"
_UNIQUE = itertools.count()
HOUR_MS = 3_600_000
TEAM_FIELDS = {"display_name", "role", "active", "profile", "secret_hash", "_deleted"}
PATIENT_FIELDS = {
    "mrn",
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "diagnosis",
    "diagnosis_date",
    "disease_classification",
    "paris_location",
    "paris_upper_gi",
    "paris_behaviour",
    "paris_perianal",
    "paris_growth",
    "uc_extent",
    "uc_severity",
    "phone",
    "email",
    "preferred_language",
    "status",
    "status_date",
    "active",
    "_deleted",
}


# -- helpers ----------------------------------------------------------------------------------------


def q(db: Database, sql: str, **params: Any) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text(sql), params)]


def versions(db: Database, entity: str, record_id: str) -> dict[str, list[dict[str, Any]]]:
    """The stored versions of one record, by field, as dicts (the record, its owner, the version) with the vv and value
    decoded."""
    with db.read() as s:
        stored = version_store.read(s, entity, [record_id]).get(record_id)
    out: dict[str, list[dict[str, Any]]] = {}
    for name, siblings in (stored.fields if stored else {}).items():
        record = {"entity": entity, "record_id": record_id, "owner": stored.owner}
        out[name] = [record | v._asdict() | {"vv": v.vv(), "value": v.value()} for v in siblings]
    return out


def all_versions(db: Database) -> list[tuple]:
    """Every stored version, flat, in the stored order (see ``versions.scan``)."""
    with db.read() as s:
        return [tuple(row) for row in version_store.scan(s)]


def member_versions(db: Database, name: str) -> dict[str, list[version_store.Version]]:
    """The stored versions of one field of the team members named ``Member ...``, by record (a record with none
    of that field is left out)."""
    with db.read() as s:
        ids = s.scalars(select(TeamMember.id).where(TeamMember.display_name.like("Member %"))).all()
        stored = version_store.read(s, "team_member", ids, only=name)
    return {record_id: record.fields[name] for record_id, record in stored.items() if record.fields.get(name)}


def node_state(db: Database) -> dict[str, Any]:
    rows = q(db, "SELECT * FROM sync_node WHERE node_id = :n", n=db.local_node().node_id)
    assert len(rows) == 1
    return rows[0]


def snapshot(db: Database) -> tuple[list, list, list]:
    return (
        all_versions(db),
        q(db, "SELECT * FROM sync_node ORDER BY node_id"),
        q(db, "SELECT * FROM audit_event ORDER BY seq"),
    )


def add_member(db: Database, actor: Actor, name: str = "Alex Example", **kw: Any) -> str:
    with db.write(actor) as s:
        m = TeamMember(display_name=name, role=kw.pop("role", "nurse"), **kw)
        s.add(m)
        s.flush()
        return m.id


def single(fields: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    assert all(len(rows) == 1 for rows in fields.values()), fields
    return {name: rows[0] for name, rows in fields.items()}


# -- create / update / delete ---------------------------------------------------------------------


def test_team_member_columns_are_the_captured_fields() -> None:
    columns = {a.key for a in inspect(TeamMember).column_attrs} - UNCAPTURED_COLUMNS
    assert columns | {"_deleted"} == TEAM_FIELDS
    columns = {a.key for a in inspect(Patient).column_attrs} - UNCAPTURED_COLUMNS
    assert columns | {"_deleted"} == PATIENT_FIELDS


def test_create_writes_every_field_with_one_dot(db: Database, admin: Actor) -> None:
    me = db.local_node().node_id
    before = node_state(db)
    member_id = add_member(db, admin, "Alex Example", profile=None)

    rows = single(versions(db, "team_member", member_id))
    assert set(rows) == TEAM_FIELDS
    dot = before["next_dot"]
    hlcs = {r["hlc"] for r in rows.values()}
    assert len(hlcs) == 1
    assert Hlc.parse(hlcs.pop()) > Hlc(before["hlc_wall_ms"], before["hlc_counter"])
    for r in rows.values():
        assert r["node"] == me
        assert r["dot"] == dot
        assert r["vv"] == {me: dot}
        assert r["owner"] == SITE
    assert {k: r["value"] for k, r in rows.items()} == {
        "display_name": "Alex Example",
        "role": "nurse",
        "active": True,
        "profile": None,
        "secret_hash": None,
        "_deleted": False,
    }
    after = node_state(db)
    assert after["next_dot"] == dot + 1
    assert str(Hlc(after["hlc_wall_ms"], after["hlc_counter"])) == rows["role"]["hlc"]
    [record] = q(db, "SELECT owner_site_id, has_conflict FROM team_member WHERE id = :i", i=member_id)
    assert record == {"owner_site_id": SITE, "has_conflict": 0}


def test_create_patient_encodes_dates_as_text(db: Database, admin: Actor) -> None:
    me = db.local_node().node_id
    with db.write(admin) as s:
        p = Patient(mrn="MRN-0001", given_name="Test", family_name="Patient", birth_date=date(2015, 4, 3), sex="F")
        s.add(p)
        s.flush()
        assert p.owner_site_id == SITE  # filled in by the hook before the insert
        patient_id = p.id
    rows = single(versions(db, "patient", patient_id))
    assert set(rows) == PATIENT_FIELDS
    assert len({(r["node"], r["dot"], r["hlc"], r["vv_json"]) for r in rows.values()}) == 1
    assert rows["birth_date"]["value"] == "2015-04-03"
    assert rows["diagnosis_date"]["value"] is None
    assert rows["mrn"]["value"] == "MRN-0001"
    assert rows["_deleted"]["value"] is False
    assert rows["mrn"]["vv"] == {me: rows["mrn"]["dot"]}


def test_update_writes_a_new_version_of_only_that_field(db: Database, admin: Actor) -> None:
    me = db.local_node().node_id
    member_id = add_member(db, admin)
    first = single(versions(db, "team_member", member_id))

    with db.write(admin) as s:
        s.get(TeamMember, member_id).display_name = "Alex Renamed"
    second = single(versions(db, "team_member", member_id))

    assert set(second) == TEAM_FIELDS
    new = second["display_name"]
    old = first["display_name"]
    assert new["value"] == "Alex Renamed"
    assert new["node"] == me and new["dot"] > old["dot"]
    assert new["vv"] == {me: new["dot"]}
    assert dominates(new["vv"], old["vv"]) and not dominates(old["vv"], new["vv"])
    assert new["hlc"] > old["hlc"]
    for name in TEAM_FIELDS - {"display_name"}:
        assert second[name] == first[name]  # untouched fields keep their version
    last = q(db, "SELECT action, entity, record_id, fields FROM audit_event ORDER BY seq DESC LIMIT 1")
    assert last == [{"action": "update", "entity": "team_member", "record_id": member_id, "fields": "display_name"}]


def test_a_local_edit_collapses_concurrent_siblings(db: Database, admin: Actor) -> None:
    """A sibling from another node (as an import leaves it) is seen and replaced by the next local edit."""
    me = db.local_node().node_id
    member_id = add_member(db, admin)
    other = "00000000-0000-4000-8000-0000000000aa"
    with db.write(admin) as s:
        conn = s.connection()
        before = version_store.read(conn, "team_member", [member_id])[member_id]
        sibling = version_store.Version("role", other, 7, "0000000000001-00000", json.dumps({other: 7}), '"physician"')
        version_store.write(conn, "team_member", [version_store.Change(member_id, SITE, before, added=[sibling])])
    assert len(versions(db, "team_member", member_id)["role"]) == 2
    (mine,) = [r for r in versions(db, "team_member", member_id)["role"] if r["node"] == me]
    assert mine["vv_json"] is None  # a vector naming only its own version is not stored (decision 51)

    with db.write(admin) as s:
        s.get(TeamMember, member_id).role = "qi_lead"
    [role] = versions(db, "team_member", member_id)["role"]
    assert role["value"] == "qi_lead"
    assert role["vv"] == {me: role["dot"], other: 7}
    assert json.loads(role["vv_json"]) == role["vv"]  # one that names another workstation's version is


def test_create_then_update_in_one_transaction_keeps_one_version_per_field(db: Database, admin: Actor) -> None:
    before = node_state(db)["next_dot"]
    with db.write(admin) as s:
        m = TeamMember(display_name="Draft", role="nurse")
        s.add(m)
        s.flush()
        m.display_name = "Final"
        m.profile = "Joined in 2026."
        s.flush()
        member_id = m.id
    rows = single(versions(db, "team_member", member_id))
    assert rows["display_name"]["value"] == "Final"
    assert rows["profile"]["value"] == "Joined in 2026."
    assert rows["display_name"]["dot"] == rows["profile"]["dot"] == before + 1
    assert rows["role"]["dot"] == before
    assert node_state(db)["next_dot"] == before + 2


def test_many_records_in_one_flush_keep_one_version_per_field(db: Database, admin: Actor) -> None:
    """More records than one IN (...) chunk of the existing-version lookup."""
    with db.write(admin) as s:
        members = [TeamMember(display_name=f"Member {i}", role="nurse") for i in range(450)]
        s.add_all(members)
    before = node_state(db)["next_dot"]
    with db.write(admin) as s:
        for m in s.scalars(select(TeamMember).where(TeamMember.display_name.like("Member %"))):
            m.profile = f"profile of {m.display_name}"
    assert node_state(db)["next_dot"] == before + 450
    profiles = member_versions(db, "profile")
    assert {"n": sum(map(len, profiles.values())), "records": len(profiles)} == {"n": 450, "records": 450}
    stale = [v for siblings in profiles.values() for v in siblings if v.dot < before and v.value_json == "null"]
    assert stale == []


def test_a_flush_larger_than_the_clock_counter_is_stamped(db: Database, admin: Actor, monkeypatch) -> None:
    """One flush may hold more records than the counter has ticks in a millisecond (an EHR import of a whole
    center): the wall clock is read again as the flush goes, so the write is never refused."""
    from lhn_desktop.sync import hlc

    monkeypatch.setattr(hlc, "MAX_COUNTER", 1500)  # the real 65,535 would take 65,536 records to reach
    wall = itertools.count(1_800_000_000_000)  # a wall clock that has moved on at each reading
    db.now_ms = lambda: next(wall)
    with db.write(admin) as s:
        s.add_all(TeamMember(display_name=f"Member {i}", role="nurse") for i in range(3200))
    stamps = {v.hlc for siblings in member_versions(db, "display_name").values() for v in siblings}
    assert len(stamps) == 3200  # every record its own timestamp, all in one transaction


def test_delete_writes_a_tombstone_and_keeps_the_other_fields(db: Database, admin: Actor) -> None:
    me = db.local_node().node_id
    member_id = add_member(db, admin)
    created = single(versions(db, "team_member", member_id))

    with db.write(admin) as s:
        s.delete(s.get(TeamMember, member_id))
    after = single(versions(db, "team_member", member_id))

    assert set(after) == TEAM_FIELDS
    tomb = after["_deleted"]
    assert tomb["value"] is True
    assert tomb["node"] == me and tomb["dot"] > created["_deleted"]["dot"]
    assert tomb["vv"] == {me: tomb["dot"]}
    for name in TEAM_FIELDS - {"_deleted"}:
        assert after[name] == created[name]
    assert q(db, "SELECT id FROM team_member WHERE id = :i", i=member_id) == []
    last = q(db, "SELECT action, record_id, fields FROM audit_event ORDER BY seq DESC LIMIT 1")
    assert last == [{"action": "delete", "record_id": member_id, "fields": "_deleted"}]


# -- the node clock and the transaction ------------------------------------------------------------


class Boom(Exception):
    pass


def test_rollback_leaves_the_versions_sync_node_and_audit_unchanged(db: Database, admin: Actor) -> None:
    existing = add_member(db, admin)
    before = snapshot(db)
    with pytest.raises(Boom), db.write(admin) as s:
        s.add(TeamMember(display_name="Never saved", role="nurse"))
        s.get(TeamMember, existing).profile = "never saved either"
        s.flush()  # the capture hook has run inside the transaction
        assert s.execute(text("SELECT count(*) FROM audit_event")).scalar() == len(before[2]) + 2
        raise Boom
    assert snapshot(db) == before


def test_commit_advances_next_dot_by_the_number_of_record_operations(db: Database, admin: Actor) -> None:
    existing = add_member(db, admin)
    doomed = add_member(db, admin, "To be removed")
    before = node_state(db)
    audit_before = q(db, "SELECT count(*) AS n FROM audit_event")[0]["n"]
    with db.write(admin) as s:
        s.add(TeamMember(display_name="One", role="nurse"))
        s.add(TeamMember(display_name="Two", role="physician"))
        s.flush()
        m = s.get(TeamMember, existing)
        m.profile = "changed"
        m.active = False  # two fields of one record: one operation, one dot
        s.delete(s.get(TeamMember, doomed))
    after = node_state(db)
    assert after["next_dot"] == before["next_dot"] + 4
    assert Hlc(after["hlc_wall_ms"], after["hlc_counter"]) > Hlc(before["hlc_wall_ms"], before["hlc_counter"])
    assert q(db, "SELECT count(*) AS n FROM audit_event")[0]["n"] == audit_before + 4
    dots = {row[5] for row in all_versions(db) if row[5] >= before["next_dot"]}
    assert dots == set(range(before["next_dot"], before["next_dot"] + 4))


def test_the_clock_never_goes_backwards_even_across_reopen(center_path: Path, lhn_home: Path) -> None:
    backups = lhn_home / "data" / "backups"
    fake = {"now": time.time_ns() // 1_000_000 + 24 * HOUR_MS}  # ahead of anything stored in the template
    actor = Actor.workstation()

    db = Database.open(center_path, backups, now_ms=lambda: fake["now"])
    try:
        first = versions(db, "team_member", add_member(db, actor, "First"))["role"][0]["hlc"]
        assert Hlc.parse(first) == Hlc(fake["now"], 0)
        fake["now"] -= HOUR_MS  # the workstation clock is set back an hour
        second = versions(db, "team_member", add_member(db, actor, "Second"))["role"][0]["hlc"]
        assert second > first
        assert Hlc.parse(second) == Hlc(Hlc.parse(first).wall_ms, 1)
    finally:
        db.close()

    db = Database.open(center_path, backups, now_ms=lambda: fake["now"])  # persisted state only
    try:
        state = node_state(db)
        assert str(Hlc(state["hlc_wall_ms"], state["hlc_counter"])) == second
        third = versions(db, "team_member", add_member(db, actor, "Third"))["role"][0]["hlc"]
        assert third > second
        fake["now"] += 2 * HOUR_MS  # and forwards again: the wall clock takes over
        fourth = versions(db, "team_member", add_member(db, actor, "Fourth"))["role"][0]["hlc"]
        assert Hlc.parse(fourth) == Hlc(fake["now"], 0)
    finally:
        db.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(["create", "update", "delete"]),
            st.integers(min_value=-2 * HOUR_MS, max_value=5_000),
            st.text(max_size=30),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_random_writes_keep_the_clock_and_dots_increasing(
    db: Database, admin: Actor, steps: list[tuple[str, int, str]]
) -> None:
    fake = {"now": 1_767_225_600_000}
    db.now_ms = lambda: fake["now"]
    me = db.local_node().node_id
    state = node_state(db)
    last_hlc, last_dot = Hlc(state["hlc_wall_ms"], state["hlc_counter"]), state["next_dot"]
    with db.read() as s:
        ids = [m.id for m in s.scalars(select(TeamMember))]
    for action, step, name in steps:
        fake["now"] += step
        with db.write(admin) as s:
            if action == "create" or not ids:
                m = TeamMember(display_name=name, role="nurse", profile=name)
                s.add(m)
                s.flush()
                ids.append(m.id)
                target, field, expected = m.id, "profile", name
            elif action == "update":
                target, field, expected = ids[-1], "profile", f"{name}#{next(_UNIQUE)}"
                s.get(TeamMember, target).profile = expected  # always a change
            else:
                target, field, expected = ids.pop(), "_deleted", True
                s.delete(s.get(TeamMember, target))
        now = node_state(db)
        clock = Hlc(now["hlc_wall_ms"], now["hlc_counter"])
        assert clock > last_hlc
        assert clock.wall_ms >= fake["now"]
        assert now["next_dot"] == last_dot + 1
        [row] = versions(db, "team_member", target)[field]
        assert (row["node"], row["dot"], row["hlc"]) == (me, last_dot, str(clock))
        assert row["value"] == expected
        last_hlc, last_dot = clock, now["next_dot"]


# -- values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [1.5, 0.0, float("nan"), float("inf"), -2.25])
def test_binary_floats_are_refused(value: float) -> None:
    with pytest.raises(TypeError):
        capture.encode_value(value)


def test_values_encode_to_json_safe_scalars() -> None:
    assert capture.encode_value(date(2026, 3, 2)) == "2026-03-02"
    assert capture.encode_value(datetime(2026, 3, 2, 9, 30, 5, 12)) == "2026-03-02T09:30:05.000012"
    assert capture.encode_value(datetime(2026, 3, 2, 9, 30)) == "2026-03-02T09:30:00.000000"
    assert capture.encode_value(Decimal("34.50")) == "34.50"
    assert capture.encode_value(Decimal("12.5")) == "12.5"
    assert capture.encode_value(Role.NURSE) == "nurse"
    assert type(capture.encode_value(Role.NURSE)) is str
    for plain in (None, True, False, 0, 12, -3, "", "text"):
        assert capture.encode_value(plain) == plain
        assert type(capture.encode_value(plain)) is type(plain)
    with pytest.raises(TypeError):
        capture.encode_value(b"bytes")
    with pytest.raises(TypeError):
        capture.encode_value(object())


def test_a_float_written_through_the_orm_is_refused_and_nothing_saved(db: Database, admin: Actor) -> None:
    before = snapshot(db)
    with pytest.raises(TypeError), db.write(admin) as s:
        s.add(TeamMember(display_name="Floaty", role="nurse", profile=34.5))
    assert snapshot(db) == before
    assert q(db, "SELECT id FROM team_member WHERE display_name = 'Floaty'") == []


# -- sessions without capture, and foreign records --------------------------------------------------


def test_writing_in_a_read_session_is_refused(db: Database, admin: Actor) -> None:
    member_id = add_member(db, admin)
    before = snapshot(db)
    with pytest.raises(RuntimeError, match="read session cannot write"), db.read() as s:
        s.add(TeamMember(display_name="Sneaky", role="nurse"))
        s.flush()
    with pytest.raises(RuntimeError, match="read session cannot write"), db.read() as s:
        s.get(TeamMember, member_id).display_name = "Sneaky"
        s.flush()
    with pytest.raises(RuntimeError, match="read session cannot write"), db.read() as s:
        s.delete(s.get(TeamMember, member_id))
        s.flush()
    assert snapshot(db) == before
    assert q(db, "SELECT display_name FROM team_member WHERE id = :i", i=member_id) == [
        {"display_name": "Alex Example"}
    ]


FOREIGN_ID = "00000000-0000-4000-8000-000000000999"


def _insert_foreign_member(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO team_member (id, owner_site_id, has_conflict, display_name, role, active, profile) "
                "VALUES (:i, 'ctr-999', 0, 'Elsewhere Person', 'nurse', 1, NULL)"
            ),
            {"i": FOREIGN_ID},
        )


def test_a_record_owned_by_another_site_is_read_only(db: Database, admin: Actor) -> None:
    _insert_foreign_member(db)
    before = snapshot(db)
    with pytest.raises(PermissionDenied, match="ctr-999"), db.write(admin) as s:
        s.get(TeamMember, FOREIGN_ID).display_name = "Changed here"
    with pytest.raises(PermissionDenied), db.write(admin) as s:
        s.delete(s.get(TeamMember, FOREIGN_ID))
    with pytest.raises(PermissionDenied), db.write(admin) as s:
        s.add(TeamMember(display_name="Made for another site", role="nurse", owner_site_id="ctr-999"))
    assert snapshot(db) == before
    assert q(db, "SELECT display_name, owner_site_id FROM team_member WHERE id = :i", i=FOREIGN_ID) == [
        {"display_name": "Elsewhere Person", "owner_site_id": "ctr-999"}
    ]


def test_the_owning_site_cannot_be_changed(db: Database, admin: Actor) -> None:
    member_id = add_member(db, admin)
    before = snapshot(db)
    with pytest.raises(ValidationError), db.write(admin) as s:
        s.get(TeamMember, member_id).owner_site_id = "ctr-999"
    assert snapshot(db) == before


# -- the audit chain ------------------------------------------------------------------------------


def _audit_events(db: Database) -> list[AuditEvent]:
    with db.read() as s:
        return list(s.scalars(select(AuditEvent).order_by(AuditEvent.seq)))


def test_the_audit_log_is_a_hash_chain(db: Database, admin: Actor) -> None:
    fake = {"now": 1_767_225_600_123}  # 2026-01-01T00:00:00.123Z
    db.now_ms = lambda: fake["now"]
    with db.read() as s:
        casey = s.scalars(select(TeamMember).where(TeamMember.display_name == "Casey Testwood, RN")).one()
    nurse = Actor(member_id=casey.id, name=casey.display_name, role=Role.NURSE)

    start = len(_audit_events(db))
    member_id = add_member(db, admin)
    fake["now"] += 61_000
    with db.write(nurse) as s:
        s.get(TeamMember, member_id).profile = "Nurse lead for transitions."
    with db.write(nurse) as s:
        s.delete(s.get(TeamMember, member_id))
        s.add(TeamMember(display_name="Replacement", role="nurse"))

    events = _audit_events(db)
    assert start >= 1  # the template's own history is part of the chain
    prev = capture.GENESIS_HASH
    for ev in events:
        assert ev.at.microsecond == 0
        assert ev.prev_hash == prev
        expected = capture.audit_hash(
            ev.prev_hash, ev.at.isoformat(), ev.actor_id, ev.actor_name, ev.action, ev.entity, ev.record_id, ev.fields
        )
        assert ev.hash == expected
        prev = ev.hash

    mine = events[start:]
    assert [(e.action, e.entity) for e in mine[:2]] == [("create", "team_member"), ("update", "team_member")]
    assert sorted(e.action for e in mine[2:]) == ["create", "delete"]  # one transaction, two operations
    assert len({e.hash for e in events}) == len(events)
    assert (mine[0].actor_id, mine[0].actor_name) == (None, admin.name)
    assert mine[0].fields == "_deleted,active,display_name,profile,role,secret_hash"
    assert mine[0].at == datetime(2026, 1, 1, 0, 0, 0)
    for e in mine[1:]:
        assert (e.actor_id, e.actor_name) == (casey.id, "Casey Testwood, RN")
        assert e.at == datetime.fromtimestamp(fake["now"] // 1000, UTC).replace(tzinfo=None)
    assert mine[1].fields == "profile" and mine[1].record_id == member_id


def test_a_tampered_audit_row_breaks_the_chain(db: Database, admin: Actor) -> None:
    add_member(db, admin)
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor_name = 'someone else' WHERE seq = 1"))
    ev = _audit_events(db)[0]
    recomputed = capture.audit_hash(
        ev.prev_hash, ev.at.isoformat(), ev.actor_id, ev.actor_name, ev.action, ev.entity, ev.record_id, ev.fields
    )
    assert recomputed != ev.hash
