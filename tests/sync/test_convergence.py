"""Workstations of one center converge whatever happens to the bundles between them (SYNC.md acceptance tests 1-14).

Every replica is a copy of one center database with its own node id, as a second workstation is set up.
The tests write through the services and the ORM, move full-state center bundles between replicas, and
compare canonical dumps: every stored field version plus the displayed rows.
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import load_der_private_key
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule, run_state_machine_as_test
from sqlalchemy import select, update

from lhn_desktop.access import Actor
from lhn_desktop.errors import ClockError
from lhn_desktop.models.improvement import ImprovementGoal, PdsaCycle
from lhn_desktop.models.measures import MeasureValue
from lhn_desktop.models.sync import SyncNode
from lhn_desktop.services.center import create_center
from lhn_desktop.services.maintenance import _rotate_node, backup_database, restore_backup
from lhn_desktop.services.measure_library import definition_id, value_id
from lhn_desktop.services.measures import MeasureService
from lhn_desktop.services.sync import ImportReport, SyncService
from lhn_desktop.services.sync_review import SyncReviewService
from lhn_desktop.services.trust import TrustService
from lhn_desktop.store import sync_apply
from lhn_desktop.store import versions as stored
from lhn_desktop.store.backup import online_backup
from lhn_desktop.store.capture import DELETED_FIELD, encode_value, wall_clock_ms
from lhn_desktop.store.database import Database
from lhn_desktop.sync.bundle import BundleRejected, write_bundle
from lhn_desktop.sync.hlc import MAX_COUNTER, Hlc

ADMIN = Actor.workstation()
KEY = bytes(range(32))
SITE = "ctr-042"
TODAY = date(2026, 3, 2)
HOUR_MS = 3_600_000
MINUTE_MS = 60_000
CODES = ("remission_pga", "no_prednisone")
MONTHS = ("2026-01", "2026-02")
TEXTS = ("alpha", "beta", "gamma")
MODELS = {"improvement_goal": ImprovementGoal, "pdsa_cycle": PdsaCycle, "measure_value": MeasureValue}
TEXT_FIELDS = {"improvement_goal": ("title", "aim"), "pdsa_cycle": ("study_summary", "plan_what")}
SHARED_GOAL = "Shared goal"
SHARED_CYCLE = "Shared cycle"


# -- replicas ------------------------------------------------------------------------------------------------------


@pytest.fixture
def base(center_path: Path) -> Path:
    """The center with the measure library and one goal, PDSA cycle and measure month every replica starts with."""
    db = Database.open(center_path, center_path.parent / "base-backups")
    try:
        MeasureService(db, today=lambda: TODAY).install_library(ADMIN)
        goal_id = new_goal(db, SHARED_GOAL)
        new_cycle(db, goal_id, SHARED_CYCLE)
        enter_month(db, CODES[0], MONTHS[0], 5, 10)
    finally:
        db.close()
    return center_path


def replica(base: Path, folder: Path) -> Database:
    """A workstation set up from a copy of the center database, with its own node id."""
    path = folder / "center.sqlite3"
    online_backup(base, path)
    _rotate_node(path)
    return Database.open(path, folder / "backups")


class Replicas:
    """Several replicas of one base, closed at the end of a test."""

    def __init__(self, base: Path, root: Path, count: int) -> None:
        self.folder = Path(tempfile.mkdtemp(dir=root))
        self.dbs = [replica(base, self.folder / f"r{i}") for i in range(count)]

    def close(self) -> None:
        for db in self.dbs:
            db.close()


@pytest.fixture
def replicas(base: Path, tmp_path: Path):
    made: list[Replicas] = []

    def make(count: int) -> list[Database]:
        made.append(Replicas(base, tmp_path, count))
        return made[-1].dbs

    yield make
    for group in made:
        group.close()


def reopen(db: Database, **kw: Any) -> Database:
    db.close()
    return Database.open(db.path, db.backups_dir, **kw)


# -- writes through the services and the ORM -----------------------------------------------------------------------


def new_goal(db: Database, title: str) -> str:
    with db.write(ADMIN) as s:
        goal = ImprovementGoal(title=title, aim="Raise model care from 70% to 85% by June",
                               start_date=date(2026, 3, 1), end_date=date(2026, 5, 30))  # fmt: skip
        s.add(goal)
        s.flush()
        return goal.id


def new_cycle(db: Database, goal_id: str | None, title: str) -> str:
    with db.write(ADMIN) as s:
        cycle = PdsaCycle(goal_id=goal_id, title=title, plan_what="Plan", study_summary="Study")
        s.add(cycle)
        s.flush()
        return cycle.id


def enter_month(db: Database, code: str, month: str, numerator: int, denominator: int) -> None:
    MeasureService(db, today=lambda: TODAY).enter_value(ADMIN, code, month, numerator, denominator)


def set_field(db: Database, entity: str, record_id: str, field: str, value: Any) -> None:
    with db.write(ADMIN) as s:
        setattr(s.get(MODELS[entity], record_id), field, value)


def delete(db: Database, entity: str, record_id: str) -> None:
    with db.write(ADMIN) as s:
        s.delete(s.get(MODELS[entity], record_id))


def restore(db: Database, entity: str, record_id: str) -> None:
    """Undelete a record: a local write of ``_deleted = false``, as the review's restore does."""
    with db.write(ADMIN) as s:
        sync_apply.write_and_rebuild(s, entity, record_id, {DELETED_FIELD: False}, "restore")


# -- bundles -------------------------------------------------------------------------------------------------------


def export(db: Database, *, full: bool = False) -> Path:
    """A center bundle: what the workstations this one heard from lack (a delta), or everything (``full``)."""
    folder = db.path.parent / "outbox"
    folder.mkdir(exist_ok=True)
    return SyncService(db).export_center(ADMIN, folder, KEY, full=full)


def deliver(db: Database, path: Path) -> ImportReport:
    return SyncService(db).import_bundle(ADMIN, path, KEY)


def send(src: Database, dst: Database) -> ImportReport:
    return deliver(dst, export(src))


def exchange(a: Database, b: Database) -> None:
    """Both export, then each imports the other's bundle (the edits in them are concurrent)."""
    from_a, from_b = export(a), export(b)
    deliver(b, from_a)
    deliver(a, from_b)


# -- reading -------------------------------------------------------------------------------------------------------


def dump(db: Database) -> str:
    """Canonical text of every stored field version and every displayed row of the syncable tables."""
    tables = sync_apply.syncable_tables()
    with db.read() as s:
        values = sorted([e, r, f, n, d, h, vv, v, o] for e, r, o, f, n, d, h, vv, v in stored.scan(s))
        shown = {name: sorted((dict(r._mapping) for r in s.execute(select(table))), key=lambda r: r["id"])
                 for name, table in sorted(tables.items())}  # fmt: skip
    return json.dumps({"versions": values, "shown": shown}, sort_keys=True, default=str)


def snapshot(db: Database) -> dict[str, list]:
    """Every row of every table of the database file."""
    with db.engine.connect() as conn:
        names = [r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {n: sorted(map(tuple, conn.exec_driver_sql(f'SELECT * FROM "{n}"')), key=repr) for n in sorted(names)}


def shown(db: Database, entity: str, record_id: str) -> dict | None:
    table = sync_apply.syncable_tables()[entity]
    with db.read() as s:
        row = s.execute(select(table).where(table.c.id == record_id)).first()
        return None if row is None else dict(row._mapping)


def shown_ids(db: Database, entity: str) -> list[str]:
    with db.read() as s:
        return sorted(s.scalars(select(MODELS[entity].id)))


def versions(db: Database, entity: str, record_id: str, field: str) -> list[sync_apply.StoredVersion]:
    with db.read() as s:
        return [v for v in sync_apply.record_versions(s, entity, record_id) if v.field == field]


def winner(sibs: list[sync_apply.StoredVersion]) -> Any:
    return max(sibs, key=lambda v: (v.hlc, v.node)).value


def shared_ids(db: Database) -> tuple[str, str]:
    with db.read() as s:
        goal_id = s.scalar(select(ImprovementGoal.id).where(ImprovementGoal.title == SHARED_GOAL))
        cycle_id = s.scalar(select(PdsaCycle.id).where(PdsaCycle.title == SHARED_CYCLE))
    return goal_id, cycle_id


def conflicts(db: Database) -> list[tuple[str, str, str]]:
    return [(c.entity, c.record_id, c.field) for c in SyncReviewService(db).conflicts(ADMIN)]


def deleted_ids(db: Database) -> list[tuple[str, str]]:
    """Records of the edited kinds whose ``_deleted`` winner is true."""
    out = []
    with db.read() as s:
        for entity, record_id in sync_apply.deleted_records(s):
            if entity in MODELS:
                sibs = [v for v in sync_apply.record_versions(s, entity, record_id) if v.field == DELETED_FIELD]
                if winner(sibs) is True:
                    out.append((entity, record_id))
    return out


def assert_displayed_rows_follow_versions(db: Database) -> None:
    """Each displayed row holds the winner of every field and is flagged exactly when a field holds two values;
    a record is missing only when deleted, or when it is a PDSA cycle under a goal that is not shown."""
    tables = sync_apply.syncable_tables()
    with db.read() as s:
        records: dict[tuple[str, str], dict[str, list[stored.Version]]] = {}
        for entity, record_id, _owner, *parts in stored.scan(s, MODELS):
            v = stored.Version(*parts)
            records.setdefault((entity, record_id), {}).setdefault(v.field, []).append(v)
        for (entity, record_id), fields in sorted(records.items()):
            table = tables[entity]
            row = s.execute(select(table).where(table.c.id == record_id)).first()
            winners = {f: json.loads(max(sibs, key=lambda v: (v.hlc, v.node)).value_json) for f, sibs in fields.items()}
            where = f"{entity} {record_id} on {db.path.parent.name}"
            if winners[DELETED_FIELD] is True:
                assert row is None, where
                continue
            if row is None:
                parent = winners.get("goal_id")
                assert entity == "pdsa_cycle" and parent and s.get(ImprovementGoal, parent) is None, where
                continue
            values = row._mapping
            captured = [f for f in winners if f != DELETED_FIELD]
            assert {f: encode_value(values[f]) for f in captured} == {f: winners[f] for f in captured}, where
            conflict = any(len({v.value_json for v in sibs}) > 1 for sibs in fields.values())
            assert values["has_conflict"] == conflict, where


# -- random operations (tests 1 and 3) -----------------------------------------------------------------------------

OP_KINDS = ("goal", "cycle", "month", "edit", "delete", "restore")
TEXT = st.sampled_from(TEXTS)
REPLICA = st.integers(0, 2)
OPS = st.tuples(st.sampled_from(OP_KINDS), st.integers(0, 11), TEXT)


def _pick(items: list, n: int):
    return items[n % len(items)] if items else None


def run_op(db: Database, op: tuple[str, int, str]) -> None:
    """One random operation; the number picks the record, field or counts; an impossible one does nothing."""
    kind, n, text = op
    if kind == "goal":
        new_goal(db, text)
    elif kind == "cycle":
        new_cycle(db, _pick(shown_ids(db, "improvement_goal"), n) if n % 3 else None, text)
    elif kind == "month":
        enter_month(db, CODES[n % 2], MONTHS[n // 2 % 2], n // 4 % 3, 10)
    elif kind == "edit":
        records = [(e, i) for e in ("improvement_goal", "pdsa_cycle", "measure_value") for i in shown_ids(db, e)]
        target = _pick(records, n)
        if target is None:
            return
        entity, record_id = target
        if entity == "measure_value":
            row = shown(db, entity, record_id)
            code = next(c for c in CODES if definition_id(c) == row["measure_id"])
            enter_month(db, code, row["month"], (row["numerator"] + 1 + n % 2) % 4, 10)
        else:
            set_field(db, entity, record_id, TEXT_FIELDS[entity][n % 2], text)
    elif kind == "delete":
        with db.read() as s:
            parents = set(s.scalars(select(PdsaCycle.goal_id)))
        records = [(e, i) for e in ("improvement_goal", "pdsa_cycle", "measure_value") for i in shown_ids(db, e)
                   if i not in parents]  # fmt: skip
        target = _pick(records, n)
        if target is not None:
            delete(db, *target)
    elif kind == "restore":
        target = _pick(deleted_ids(db), n)
        if target is not None:
            restore(db, *target)


# -- 1. convergence ------------------------------------------------------------------------------------------------


class ThreeWorkstations(RuleBasedStateMachine):
    """Three replicas write, export (deltas, and full bundles) and import at random, bundles lost, repeated and out
    of order; in the end each imports the others' latest bundles, twice round."""

    base: Path
    root: Path

    def __init__(self) -> None:
        super().__init__()
        self.group = Replicas(self.base, self.root, 3)
        self.dbs = self.group.dbs
        self.shared = dict(zip(("improvement_goal", "pdsa_cycle"), shared_ids(self.dbs[0]), strict=True))
        self.sent: list[Path] = []

    @rule(r=REPLICA, kind=st.sampled_from(("goal", "cycle", "month")), n=st.integers(0, 11), text=TEXT)
    def create(self, r: int, kind: str, n: int, text: str) -> None:
        run_op(self.dbs[r], (kind, n, text))

    @rule(r=REPLICA, n=st.integers(0, 11), text=TEXT)
    def edit(self, r: int, n: int, text: str) -> None:
        run_op(self.dbs[r], ("edit", n, text))

    @rule(r=REPLICA, which=st.sampled_from(("improvement_goal", "pdsa_cycle", "measure_value")), n=st.integers(0, 3),
          text=TEXT)  # fmt: skip
    def edit_shared(self, r: int, which: str, n: int, text: str) -> None:
        """The first field of a record every replica started with: concurrent edits of one field."""
        db = self.dbs[r]
        if which == "measure_value":
            enter_month(db, CODES[0], MONTHS[0], n, 10)  # also enters it again if it was deleted here
        elif shown(db, which, self.shared[which]) is not None:
            set_field(db, which, self.shared[which], TEXT_FIELDS[which][0], text)

    @rule(r=REPLICA, n=st.integers(0, 11))
    def delete(self, r: int, n: int) -> None:
        run_op(self.dbs[r], ("delete", n, ""))

    @rule(r=REPLICA, n=st.integers(0, 11))
    def restore(self, r: int, n: int) -> None:
        run_op(self.dbs[r], ("restore", n, ""))

    @rule(r=REPLICA)
    def export(self, r: int) -> None:
        self.sent.append(export(self.dbs[r]))  # a delta once it has heard from another

    @rule(r=REPLICA)
    def export_full(self, r: int) -> None:
        self.sent.append(export(self.dbs[r], full=True))

    @rule(src=REPLICA, dst=REPLICA)
    def send(self, src: int, dst: int) -> None:
        self.sent.append(export(self.dbs[src]))
        deliver(self.dbs[dst], self.sent[-1])

    @rule(r=REPLICA, n=st.integers(0, 100))
    def deliver(self, r: int, n: int) -> None:
        if self.sent:  # any bundle sent so far, in any order, again and again
            deliver(self.dbs[r], self.sent[n % len(self.sent)])

    def teardown(self) -> None:
        try:
            # Two rounds: in the first each hears from every other (a delta may have been made before the sender
            # heard from a receiver, and so lack what that receiver misses); the second brings the rest.
            for _round in range(2):
                final = [export(db) for db in self.dbs]
                for i, db in enumerate(self.dbs):
                    for j, path in enumerate(final):
                        if i != j:
                            deliver(db, path)
            dumps = [dump(db) for db in self.dbs]
            assert dumps[0] == dumps[1] == dumps[2]
            for db in self.dbs:
                assert_displayed_rows_follow_versions(db)
        finally:
            self.group.close()


@pytest.mark.slow
def test_three_workstations_converge_whatever_the_order_and_duplicates(base: Path, tmp_path: Path):
    machine = type("Machine", (ThreeWorkstations,), {"base": base, "root": tmp_path})
    run_state_machine_as_test(machine, settings=settings(max_examples=15, stateful_step_count=30, deadline=None,
                                                         suppress_health_check=[HealthCheck.too_slow]))  # fmt: skip


# -- 2. idempotence ------------------------------------------------------------------------------------------------


def test_a_second_import_of_a_bundle_changes_no_row_at_all(replicas):
    a, b = replicas(2)
    run_op(a, ("goal", 0, "alpha"))
    enter_month(a, CODES[1], MONTHS[1], 3, 10)
    path = export(a)
    assert deliver(b, path).records >= 2
    before = snapshot(b)
    again = deliver(b, path)
    assert again.already_imported and "already imported" in again.summary
    assert snapshot(b) == before  # the field versions, displayed rows, sync_node, sync_import_log, audit_event
    b = reopen(b)
    try:
        assert deliver(b, path).already_imported and snapshot(b) == before
    finally:
        b.close()


# -- 3. commutativity ----------------------------------------------------------------------------------------------


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])  # fmt: skip
@given(first=st.lists(OPS, max_size=3), second=st.lists(OPS, max_size=3), later=st.lists(OPS, max_size=2),
       seen=st.booleans())  # fmt: skip
def test_two_bundles_imported_in_either_order_give_the_same_state(base: Path, tmp_path: Path, first, second, later,
                                                                  seen):  # fmt: skip
    group = Replicas(base, tmp_path, 4)
    a, b, c, d = group.dbs
    try:
        for op in first:
            run_op(a, op)
        if seen:  # B has seen A's first writes: in B's bundle they are stale, A's later ones concurrent
            send(a, b)
        for op in second:
            run_op(b, op)
        for op in later:
            run_op(a, op)
        from_a, from_b = export(a), export(b)
        deliver(c, from_a)
        deliver(c, from_b)
        deliver(d, from_b)
        deliver(d, from_a)
        assert dump(c) == dump(d)
        assert_displayed_rows_follow_versions(c)
    finally:
        group.close()


# -- 4. relay ------------------------------------------------------------------------------------------------------


def test_relay_through_a_restored_workstation_equals_direct_delivery(replicas, tmp_path: Path):
    a, b, c, d = replicas(4)
    goal_id, cycle_id = shared_ids(a)
    from_a_goal = new_goal(a, "From A")
    set_field(a, "pdsa_cycle", cycle_id, "study_summary", "A's study")
    enter_month(a, CODES[1], MONTHS[0], 2, 10)
    from_a = export(a)
    set_field(b, "improvement_goal", goal_id, "title", "B before the backup")
    deliver(b, from_a)
    backup = backup_database(b, out=tmp_path / "b-backup.sqlite3")
    set_field(b, "pdsa_cycle", cycle_id, "plan_what", "B after the backup")  # lost by the restore, but it travelled
    before_restore = export(b, full=True)  # C has not been heard from: only everything reaches it at once
    b.close()
    restore_backup(b.path, b.backups_dir, source=Path(backup.path), force=True)
    b = Database.open(b.path, b.backups_dir)
    try:
        new_goal(b, "From restored B")
        enter_month(b, CODES[0], MONTHS[1], 7, 10)
        from_b = export(b, full=True)
        for path in (before_restore, from_b):  # relay: A's writes reach C only through B
            deliver(c, path)
        for path in (before_restore, from_a, from_b):  # direct: D has A's own bundle too
            deliver(d, path)
        assert dump(c) == dump(d)
        assert shown(c, "improvement_goal", from_a_goal)["title"] == "From A"
        assert {v.value for v in versions(c, "pdsa_cycle", cycle_id, "plan_what")} == {"B after the backup"}
        assert_displayed_rows_follow_versions(c)
    finally:
        b.close()


# -- 5, 6. concurrent and sequential edits -------------------------------------------------------------------------


def test_concurrent_edits_of_a_pdsa_text_keep_both_until_one_is_chosen(replicas):
    a, b = replicas(2)
    _goal, cycle = shared_ids(a)
    set_field(a, "pdsa_cycle", cycle, "study_summary", "Study from A")
    set_field(b, "pdsa_cycle", cycle, "study_summary", "Study from B")
    exchange(a, b)
    shown_values = set()
    for db in (a, b):
        sibs = versions(db, "pdsa_cycle", cycle, "study_summary")
        assert sorted(v.value for v in sibs) == ["Study from A", "Study from B"]
        row = shown(db, "pdsa_cycle", cycle)
        assert row["study_summary"] == winner(sibs) and row["has_conflict"] is True
        assert conflicts(db) == [("pdsa_cycle", cycle, "study_summary")]
        shown_values.add(row["study_summary"])
    assert len(shown_values) == 1  # the same winner on both
    assert dump(a) == dump(b)

    chosen = ({"Study from A", "Study from B"} - shown_values).pop()  # keep the value not shown
    stale = export(b)  # made before B hears of the choice
    set_field(a, "pdsa_cycle", cycle, "study_summary", chosen)
    assert [v.value for v in versions(a, "pdsa_cycle", cycle, "study_summary")] == [chosen]
    assert shown(a, "pdsa_cycle", cycle)["has_conflict"] is False and conflicts(a) == []
    deliver(a, stale)
    send(a, b)
    send(b, a)
    for db in (a, b):
        assert [v.value for v in versions(db, "pdsa_cycle", cycle, "study_summary")] == [chosen]
        row = shown(db, "pdsa_cycle", cycle)
        assert row["study_summary"] == chosen and row["has_conflict"] is False and conflicts(db) == []
    assert dump(a) == dump(b)


def test_sequential_edits_of_a_pdsa_and_a_month_are_not_conflicts(replicas):
    a, b = replicas(2)
    _goal, cycle = shared_ids(a)
    month = value_id(SITE, CODES[0], MONTHS[0])
    set_field(a, "pdsa_cycle", cycle, "plan_what", "Plan from A")
    enter_month(a, CODES[0], MONTHS[0], 6, 10)
    send(a, b)
    set_field(b, "pdsa_cycle", cycle, "plan_what", "Plan from B")
    enter_month(b, CODES[0], MONTHS[0], 7, 10)
    send(b, a)
    a_node = a.local_node().node_id
    for db in (a, b):
        for entity, record_id, field, value in (("pdsa_cycle", cycle, "plan_what", "Plan from B"),
                                                ("measure_value", month, "numerator", 7)):  # fmt: skip
            (only,) = versions(db, entity, record_id, field)
            assert only.value == value and only.node == b.local_node().node_id
            row = shown(db, entity, record_id)
            assert row[field] == value and row["has_conflict"] is False
        assert conflicts(db) == []
    with a.read() as s:
        (only,) = stored.read(s, "pdsa_cycle", [cycle], only="plan_what")[cycle].fields["plan_what"]
    assert only.vv().get(a_node, 0) >= 1  # B's edit had seen A's
    assert dump(a) == dump(b)


# -- 7. natural keys -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("from_a", "from_b", "in_conflict"), [(4, 4, False), (4, 6, True)])
def test_the_same_month_entered_on_two_workstations_is_one_record(replicas, from_a: int, from_b: int,
                                                                   in_conflict: bool):  # fmt: skip
    a, b = replicas(2)
    enter_month(a, CODES[1], MONTHS[1], from_a, 10)
    enter_month(b, CODES[1], MONTHS[1], from_b, 10)
    exchange(a, b)
    record = value_id(SITE, CODES[1], MONTHS[1])
    for db in (a, b):
        with db.read() as s:
            rows = s.scalars(select(MeasureValue).where(MeasureValue.measure_id == definition_id(CODES[1]),
                                                        MeasureValue.month == MONTHS[1])).all()  # fmt: skip
            assert [r.id for r in rows] == [record]
            assert rows[0].has_conflict is in_conflict
        assert sorted(v.value for v in versions(db, "measure_value", record, "numerator")) == sorted([from_a, from_b])
        assert conflicts(db) == ([("measure_value", record, "numerator")] if in_conflict else [])
    assert dump(a) == dump(b)


# -- 8, 9. deletes -------------------------------------------------------------------------------------------------


def test_a_delete_hides_a_record_edited_meanwhile_and_a_restore_shows_the_edit(replicas):
    a, b = replicas(2)
    goal = new_goal(a, "Goal to remove")
    send(a, b)
    delete(a, "improvement_goal", goal)
    time.sleep(0.005)  # B's edit comes after A's delete by the wall clock
    set_field(b, "improvement_goal", goal, "title", "Edited on B")
    exchange(a, b)
    for db in (a, b):
        assert shown(db, "improvement_goal", goal) is None
        assert [v.value for v in versions(db, "improvement_goal", goal, "title")] == ["Edited on B"]
        assert [d.record_id for d in SyncReviewService(db).deleted_while_edited(ADMIN)] == [goal]
    assert dump(a) == dump(b)
    SyncReviewService(a).restore(ADMIN, "improvement_goal", goal)
    send(a, b)
    for db in (a, b):
        row = shown(db, "improvement_goal", goal)
        assert row["title"] == "Edited on B" and row["has_conflict"] is False
        assert SyncReviewService(db).deleted_while_edited(ADMIN) == []
    assert dump(a) == dump(b)


def test_a_delete_and_a_concurrent_restore_are_a_conflict_on_both(replicas):
    a, b = replicas(2)
    goal = new_goal(a, "Deleted and restored")
    send(a, b)
    delete(a, "improvement_goal", goal)
    restore(a, "improvement_goal", goal)
    delete(b, "improvement_goal", goal)
    exchange(a, b)
    visible = set()
    for db in (a, b):
        assert sorted(v.value for v in versions(db, "improvement_goal", goal, DELETED_FIELD)) == [False, True]
        assert conflicts(db) == [("improvement_goal", goal, DELETED_FIELD)]
        visible.add(shown(db, "improvement_goal", goal) is not None)
    assert len(visible) == 1
    assert dump(a) == dump(b)


# -- 10. the clock -------------------------------------------------------------------------------------------------


def _max_hlc(db: Database) -> str:
    with db.read() as s:
        return stored.newest_clock(s)


def _hlc_of(db: Database, entity: str, record_id: str, field: str) -> str:
    (only,) = versions(db, entity, record_id, field)
    return only.hlc


def test_new_writes_get_later_clock_values_when_the_wall_clock_goes_back(replicas):
    a, b = replicas(2)
    new_goal(b, "Goal from B")
    send(b, a)
    seen = _max_hlc(a)
    a.now_ms = lambda: wall_clock_ms() - HOUR_MS
    goal = new_goal(a, "Written with the clock an hour back")
    first = _hlc_of(a, "improvement_goal", goal, "title")
    assert first > seen
    set_field(a, "improvement_goal", goal, "title", "Again")
    second = _hlc_of(a, "improvement_goal", goal, "title")
    assert second > first
    a = reopen(a, now_ms=lambda: wall_clock_ms() - HOUR_MS)
    try:
        set_field(a, "improvement_goal", goal, "title", "After a restart")
        assert _hlc_of(a, "improvement_goal", goal, "title") > second
    finally:
        a.close()


def test_a_clock_counter_overflow_refuses_the_write_and_changes_nothing(replicas):
    (db,) = replicas(1)
    frozen = wall_clock_ms()
    with db.engine.begin() as conn:
        conn.execute(update(SyncNode).where(SyncNode.node_id == db.local_node().node_id)
                     .values(hlc_wall_ms=frozen, hlc_counter=MAX_COUNTER))  # fmt: skip
    db.now_ms = lambda: frozen - HOUR_MS
    before = snapshot(db)
    with pytest.raises(ClockError, match="change was not saved"):
        new_goal(db, "Never saved")
    assert snapshot(db) == before
    db.now_ms = lambda: frozen + 1  # once the wall clock passes the stored time, writing works again
    goal = new_goal(db, "Saved")
    assert Hlc.parse(_hlc_of(db, "improvement_goal", goal, "title")) == Hlc(frozen + 1, 0)


# -- 11. a clock far ahead -----------------------------------------------------------------------------------------


def _signed_bundle(db: Database, rows: dict[str, list[dict]], hlc_max: str, folder: Path) -> Path:
    """A center bundle of ``rows`` signed with the workstation's own key, as its export would sign it."""
    node = db.local_node()
    key = load_der_private_key(node.private_key, password=None)
    source = {"site_id": node.site_code, "node_id": node.node_id, "key_id": node.key_id, "app_version": "test"}
    folder.mkdir(exist_ok=True)
    return write_bundle(rows, scope="center", source=source, audience_site=node.site_code, sign=key.sign,
                        hlc_max=hlc_max, folder=folder, center_key=KEY)  # fmt: skip


def test_a_bundle_written_by_a_clock_far_ahead_is_refused_and_changes_nothing(replicas, tmp_path: Path):
    a, b, c = replicas(3)
    a.now_ms = lambda: wall_clock_ms() + 11 * MINUTE_MS
    new_goal(a, "Written eleven minutes ahead")
    ahead = export(a)
    before = snapshot(b)
    with pytest.raises(BundleRejected) as caught:
        deliver(b, ahead)
    assert caught.value.code == "E_CLOCK_FUTURE"
    assert snapshot(b) == before

    rows = sync_apply.export_rows(a)
    future = f"{wall_clock_ms() + HOUR_MS:013d}-00000"
    for row in rows["pdsa_cycle"]:
        row["hlc"] = future
    crafted = _signed_bundle(a, rows, future, tmp_path / "crafted")
    with pytest.raises(BundleRejected) as caught:
        deliver(b, crafted)
    assert caught.value.code == "E_CLOCK_FUTURE"
    assert snapshot(b) == before

    c.now_ms = lambda: wall_clock_ms() + 9 * MINUTE_MS  # within the allowed skew
    new_goal(c, "Written nine minutes ahead")
    assert deliver(b, export(c)).records >= 1


def test_a_bundle_claiming_a_clock_far_ahead_in_its_manifest_is_refused(replicas, tmp_path: Path):
    a, b = replicas(2)
    new_goal(a, "An ordinary goal")
    future = f"{wall_clock_ms() + 24 * HOUR_MS:013d}-00000"
    crafted = _signed_bundle(a, sync_apply.export_rows(a), future, tmp_path / "crafted")
    before = snapshot(b)
    with pytest.raises(BundleRejected) as caught:
        deliver(b, crafted)
    assert caught.value.code == "E_CLOCK_FUTURE"
    assert snapshot(b) == before


# -- 12. round trip ------------------------------------------------------------------------------------------------


def test_a_full_export_of_a_demo_center_fills_an_empty_replica_exactly(center_path: Path, tmp_path: Path):
    from lhn_desktop.services.demo import generate_demo

    x, empty = replica(center_path, tmp_path / "x"), replica(center_path, tmp_path / "empty")
    try:
        generate_demo(x, ADMIN, patients=6, seed=7, today=TODAY)
        report = send(x, empty)
        assert report.records > 100
        assert dump(empty) == dump(x)
    finally:
        x.close()
        empty.close()


def test_a_new_workstation_of_the_same_center_takes_a_full_export(base: Path, tmp_path: Path):
    x = replica(base, tmp_path / "x")
    (tmp_path / "new").mkdir()
    new = Database.open(tmp_path / "new" / "center.sqlite3", tmp_path / "new" / "backups", create=True)
    try:
        create_center(new, SITE, "Riverside Children's IBD Center", network="ImproveCareNow", actor=ADMIN)
        card = TrustService(x).my_card()
        TrustService(new).add(ADMIN, card, card.fingerprint)
        send(x, new)
        ours = json.loads(dump(x))
        theirs = json.loads(dump(new))
        assert set(map(tuple, ours["versions"])) <= set(map(tuple, theirs["versions"]))
        for name, rows in ours["shown"].items():
            if name != "site":
                assert theirs["shown"][name] == rows, name
        assert [r["code"] for r in theirs["shown"]["site"]] == [SITE]
    finally:
        x.close()
        new.close()


# -- 14. node rotation ---------------------------------------------------------------------------------------------


def test_a_restored_workstation_writes_under_a_new_node_and_converges(replicas, tmp_path: Path):
    a, b = replicas(2)
    _goal, cycle = shared_ids(a)
    set_field(b, "pdsa_cycle", cycle, "study_summary", "B before the backup")
    backup = backup_database(b, out=tmp_path / "b-backup.sqlite3")
    set_field(b, "pdsa_cycle", cycle, "study_summary", "B after the backup")
    after_backup = new_goal(b, "Goal written after the backup")
    send(b, a)  # the peer saw the writes made after the backup
    old_node = b.local_node().node_id
    b.close()
    result = restore_backup(b.path, b.backups_dir, source=Path(backup.path), force=True)
    b = Database.open(b.path, b.backups_dir)
    try:
        assert b.local_node().node_id == result.new_node_id != old_node
        assert shown(b, "improvement_goal", after_backup) is None
        set_field(b, "pdsa_cycle", cycle, "study_summary", "B after the restore")
        from_a, from_b = export(a), export(b)
        assert deliver(a, from_b).complete
        # A's delta starts after what B's old id said it held, which the restore lost: the report says so ...
        assert not deliver(b, from_a).complete
        assert shown(b, "improvement_goal", after_backup) is None
        exchange(a, b)  # ... and once A has heard from the restored workstation, its next delta brings the rest
        assert dump(a) == dump(b)
        with a.read() as s:
            ops: dict[tuple[str, int], set] = {}
            for entity, record_id, _owner, _field, node, dot, hlc, _vv, _value in stored.scan(s):
                ops.setdefault((node, dot), set()).add((entity, record_id, hlc))
        assert all(len(writes) == 1 for writes in ops.values())  # no dot names two different writes
        for db in (a, b):  # the restored workstation had not seen the write made after the backup: both kept
            sibs = versions(db, "pdsa_cycle", cycle, "study_summary")
            assert sorted(v.value for v in sibs) == ["B after the backup", "B after the restore"]
            assert {v.node for v in sibs} == {old_node, result.new_node_id}
            assert shown(db, "improvement_goal", after_backup)["title"] == "Goal written after the backup"
    finally:
        b.close()


def test_a_restored_copy_that_kept_its_node_id_would_reuse_dots(replicas, tmp_path: Path):
    a, b = replicas(2)
    _goal, cycle = shared_ids(a)
    backup = backup_database(b, out=tmp_path / "b-backup.sqlite3")
    set_field(b, "pdsa_cycle", cycle, "study_summary", "B after the backup")
    send(b, a)
    copy = Database.open(Path(backup.path), tmp_path / "copy-backups")  # put back without a new node id
    try:
        set_field(copy, "pdsa_cycle", cycle, "study_summary", "Same dot, other value")
        before = snapshot(a)
        with pytest.raises(BundleRejected) as caught:
            send(copy, a)
        assert caught.value.code == "E_APPLY"
        assert snapshot(a) == before
    finally:
        copy.close()
