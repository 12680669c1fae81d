"""Records whose parent is missing after a merge are hidden by looking only at what the merge wrote and removed
(and at the rows that refer to those), not at every table; past a bound, every table is checked as before. A row
missed would fail the commit (the foreign keys are checked there), so each case is also compared with a replica
that got the same bundles with the whole-table check."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from lhn_desktop.store import sync_apply
from lhn_desktop.store.database import Database
from tests.sync.test_convergence import (
    assert_displayed_rows_follow_versions,
    delete,
    deliver,
    dump,
    export,
    new_cycle,
    new_goal,
    restore,
    shown,
)


@contextmanager
def statements(db: Database) -> Iterator[list[str]]:
    """The SQL ``db`` runs meanwhile."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def whole_checks(seen: list[str]) -> int:
    return sum("foreign_key_check" in s for s in seen)


def test_a_cycle_written_under_a_goal_deleted_meanwhile_is_hidden_from_what_the_merge_touched(replicas):
    a, b, c = replicas(3)
    goal = new_goal(a, "Written on A")
    deliver(b, export(a))
    deliver(c, export(a))
    cycle = new_cycle(b, goal, "Under A's goal, on B")
    delete(a, "improvement_goal", goal)
    from_b, from_a = export(b), export(a)
    with statements(a) as seen:
        report = deliver(a, from_b)  # the cycle arrives under a goal deleted here
    assert report.hidden == 1 and shown(a, "pdsa_cycle", cycle) is None
    assert whole_checks(seen) == 0
    with statements(c) as seen:
        report = deliver(c, from_a)  # the goal's delete arrives where nothing hangs under it yet
        assert report.hidden == 0
        report = deliver(c, from_b)
    assert report.hidden == 1 and whole_checks(seen) == 0
    assert dump(a) == dump(c)
    assert_displayed_rows_follow_versions(a)


def test_a_delete_arriving_hides_the_records_under_it(replicas, monkeypatch: pytest.MonkeyPatch):
    """A goal deleted on one workstation while another wrote a cycle under it: the delete arriving hides the cycle
    (a row referring to a removed one), and restoring the goal shows it again. The same bundles into a replica that
    checks every table give the same rows."""
    a, b, whole = replicas(3)
    goal = new_goal(a, "Goal")
    for target in (b, whole):
        deliver(target, export(a))
    cycle = new_cycle(b, goal, "Cycle on B")
    deliver(whole, export(b))
    delete(a, "improvement_goal", goal)  # A has not seen the cycle
    deleted = export(a)
    with statements(b) as seen:
        report = deliver(b, deleted)
    assert report.hidden == 1 and shown(b, "pdsa_cycle", cycle) is None and whole_checks(seen) == 0
    monkeypatch.setattr(sync_apply, "_MOST_TOUCHED", 0)  # every merge is past the bound: the whole check
    with statements(whole) as seen:
        report = deliver(whole, deleted)
    assert report.hidden == 1 and whole_checks(seen) >= 1
    monkeypatch.undo()
    assert dump(b) == dump(whole)
    restore(b, "improvement_goal", goal)
    assert shown(b, "pdsa_cycle", cycle)["goal_id"] == goal
    assert_displayed_rows_follow_versions(b)


def test_a_large_merge_keeps_no_ids_and_checks_every_table() -> None:
    touched = sync_apply._Touched()
    touched.wrote("visit", [f"v{n}" for n in range(sync_apply._MOST_TOUCHED // 2)])
    assert not touched.whole and len(touched.written_ids["visit"]) == sync_apply._MOST_TOUCHED // 2
    touched.wrote("visit", [f"v{n}" for n in range(sync_apply._MOST_TOUCHED // 2)])  # the same ids again: no more
    assert not touched.whole
    touched.removed("observation", [f"o{n}" for n in range(sync_apply._MOST_TOUCHED // 2 + 1)])
    assert touched.whole and touched.written_ids == {} and touched.removed_ids == {}
    touched.wrote("visit", ["v-late"])
    assert touched.written_ids == {}
