"""The Sync page's conflict and "deleted while edited" summaries are found without grouping every field version,
and say exactly what the full scan said.

``_scanned_conflicts`` and ``_scanned_deletes`` are the queries as they were (every field version grouped; every
stored delete read); the review with the quick queries must equal the review with these, after any mix of edits,
deletes, restores and bundles between two workstations, and for kinds of record this version does not display.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from lhn_desktop.services.overview import OverviewService
from lhn_desktop.services.sync_review import SyncReviewService
from lhn_desktop.store import sync_apply, versions
from lhn_desktop.store.database import Database
from lhn_desktop.store.versions import DELETED_FIELD
from tests.sync.test_convergence import (
    ADMIN,
    TEXT_FIELDS,
    Replicas,
    base,  # noqa: F401  (a fixture)
    delete,
    deliver,
    export,
    new_cycle,
    new_goal,
    replicas,  # noqa: F401  (a fixture)
    restore,
    run_op,
    set_field,
    shared_ids,
)


def _scanned_conflicts(session, _hidden=None) -> list[tuple[str, str, str]]:
    values: dict[tuple[str, str, str], set[str]] = {}
    for entity, record_id, _owner, field, _node, _dot, _hlc, _vv, value_json in versions.scan(session):
        values.setdefault((entity, record_id, field), set()).add(value_json)
    return sorted(key for key, distinct in values.items() if len(distinct) > 1)


def _scanned_deletes(session, _hidden=None) -> list[tuple[str, str]]:
    return sorted({(row[0], row[1]) for row in versions.scan(session) if row[3] == DELETED_FIELD and row[8] == "true"})


def assert_review_as_scanned(db: Database, monkeypatch: pytest.MonkeyPatch | None = None) -> tuple[int, int]:
    """The review with the quick queries equals the review with the full scans; returns what it found."""
    review = SyncReviewService(db)
    with db.read() as s:
        assert sync_apply.conflicted_fields(s) == _scanned_conflicts(s)
        records = len({row[1] for row in versions.scan(s) if row[3] == DELETED_FIELD})
    assert OverviewService(db).sync().records == records  # the "This workstation" tab's count, from the index too
    quick = (review.conflicts(ADMIN), review.deleted_while_edited(ADMIN))
    assert review.summaries(ADMIN) == quick  # the page's one reading of both
    patch = monkeypatch or pytest.MonkeyPatch()
    try:
        patch.setattr(sync_apply, "conflicted_fields", _scanned_conflicts)
        patch.setattr(sync_apply, "deleted_records", _scanned_deletes)
        scanned = (review.conflicts(ADMIN), review.deleted_while_edited(ADMIN))
    finally:
        patch.undo()
    assert quick == scanned
    return len(quick[0]), len(quick[1])


def _exchange(a: Database, b: Database) -> None:
    deliver(b, export(a))
    deliver(a, export(b))


def test_conflicts_deletes_restores_and_hidden_records(replicas):  # noqa: F811
    a, b = replicas(2)
    assert assert_review_as_scanned(a) == (0, 0)
    goal_id, cycle_id = shared_ids(a)
    set_field(a, "improvement_goal", goal_id, "title", "From A")
    set_field(b, "improvement_goal", goal_id, "title", "From B")
    _exchange(a, b)
    assert assert_review_as_scanned(a) == (1, 0) and assert_review_as_scanned(b) == (1, 0)
    # deleted here while edited there: hidden, waiting for review
    delete(a, "pdsa_cycle", cycle_id)
    set_field(b, "pdsa_cycle", cycle_id, "study_summary", "Edited meanwhile")
    _exchange(a, b)
    assert assert_review_as_scanned(a)[1] == 1 and assert_review_as_scanned(b)[1] == 1
    restore(a, "pdsa_cycle", cycle_id)  # a stored delete, restored: shown again, no longer listed
    assert assert_review_as_scanned(a)[1] == 0
    # a conflict inside a deleted record: edited on both, deleted on one
    edited = new_goal(a, "Edited on both")
    _exchange(a, b)
    set_field(a, "improvement_goal", edited, "aim", "Aim from A")
    set_field(b, "improvement_goal", edited, "aim", "Aim from B")
    delete(b, "improvement_goal", edited)
    _exchange(a, b)
    # a record hidden under a deleted one: a cycle added on A under a goal B deleted meanwhile
    parent = new_goal(a, "Parent goal")
    _exchange(a, b)
    delete(b, "improvement_goal", parent)
    child = new_cycle(a, parent, "Child cycle")
    _exchange(a, b)
    for db in (a, b):
        conflicts, _deleted = assert_review_as_scanned(db)
        with db.read() as s:
            hidden = set(sync_apply.hidden_records(s))
            assert {("improvement_goal", edited), ("pdsa_cycle", child), ("improvement_goal", parent)} <= hidden
            assert ("improvement_goal", edited, "aim") in sync_apply.conflicted_fields(s)
        assert conflicts >= 2


def test_records_of_a_kind_not_displayed_here(replicas):  # noqa: F811
    """Versions of a kind from a newer version of the program are kept and relayed; the review lists them too."""
    (a,) = replicas(1)
    site = a.local_node().site_code
    added = {"r-1": [versions.Version("title", node, 1, hlc, json.dumps({node: 1}), json.dumps(value))
                     for node, hlc, value in (("n-1", "0000000000001-0000", "one"),
                                              ("n-2", "0000000000002-0000", "two"))]}  # fmt: skip
    for record_id, value in (("r-1", "false"), ("r-2", "true")):
        deleted = versions.Version(DELETED_FIELD, "n-1", 2, "0000000000003-0000", json.dumps({"n-1": 2}), value)
        added.setdefault(record_id, []).append(deleted)
    with a.write(ADMIN) as s:
        conn = s.connection()
        before = versions.read(conn, "future_kind", added)
        changes = [versions.Change(r, site, before.get(r), added=kept) for r, kept in added.items()]
        assert versions.write(conn, "future_kind", changes) == 4
    assert assert_review_as_scanned(a) == (1, 0)
    with a.read() as s:
        assert {("future_kind", "r-1"), ("future_kind", "r-2")} <= set(sync_apply.hidden_records(s))
        assert ("future_kind", "r-2") in sync_apply.deleted_records(s)


REPLICA = st.integers(0, 1)
TEXT = st.sampled_from(("alpha", "beta"))


class TwoWorkstations(RuleBasedStateMachine):
    """Two replicas edit, delete, restore and exchange bundles at random; the review always says what the scan
    says."""

    base: Path
    root: Path

    def __init__(self) -> None:
        super().__init__()
        self.group = Replicas(self.base, self.root, 2)
        self.dbs = self.group.dbs
        self.shared = dict(zip(("improvement_goal", "pdsa_cycle"), shared_ids(self.dbs[0]), strict=True))

    @rule(r=REPLICA, kind=st.sampled_from(("goal", "cycle", "edit", "delete", "restore")), n=st.integers(0, 7),
          text=TEXT)  # fmt: skip
    def write(self, r: int, kind: str, n: int, text: str) -> None:
        run_op(self.dbs[r], (kind, n, text))

    @rule(r=REPLICA, which=st.sampled_from(("improvement_goal", "pdsa_cycle")), text=TEXT)
    def edit_shared(self, r: int, which: str, text: str) -> None:
        from tests.sync.test_convergence import shown

        if shown(self.dbs[r], which, self.shared[which]) is not None:
            set_field(self.dbs[r], which, self.shared[which], TEXT_FIELDS[which][0], text)

    @rule(src=REPLICA)
    def send(self, src: int) -> None:
        deliver(self.dbs[1 - src], export(self.dbs[src]))

    @invariant()
    def review_as_scanned(self) -> None:
        for db in self.dbs:
            assert_review_as_scanned(db)

    def teardown(self) -> None:
        self.group.close()


def test_the_review_says_what_the_scan_says_whatever_happens(base: Path, tmp_path: Path):  # noqa: F811
    machine = type("Machine", (TwoWorkstations,), {"base": base, "root": tmp_path})
    run_state_machine_as_test(machine, settings=settings(max_examples=5, stateful_step_count=14, deadline=None,
                                                         suppress_health_check=[HealthCheck.too_slow]))  # fmt: skip
