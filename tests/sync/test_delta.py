"""Delta bundles between a center's workstations (docs/sync.md, delta bundles; decision 50).

A bundle carries what the workstations its sender heard from lack, from what they said they hold in the bundles
they sent; a full bundle stays for a new workstation or on request. The tests count the versions that travel,
and compare every replica with one that received only full bundles.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from lhn_desktop.models.sync import SyncKnown, SyncNode, SyncPeer
from lhn_desktop.services.sync import SyncService
from lhn_desktop.store import knowledge
from lhn_desktop.sync.bundle import BundleRejected, peek_manifest
from tests.sync.test_convergence import (
    ADMIN,
    CODES,
    KEY,
    MONTHS,
    assert_displayed_rows_follow_versions,
    deliver,
    dump,
    enter_month,
    export,
    new_cycle,
    new_goal,
    set_field,
    shared_ids,
    shown,
    versions,
)
from tests.sync.test_integrity import resign, signing_key


def data_bytes(bundle: Path) -> int:
    """The size of a center bundle's data members (sealed, so this is what travels, not a count of rows)."""
    with zipfile.ZipFile(bundle) as zf:
        return sum(i.file_size for i in zf.infolist() if i.filename.startswith("data/"))


def test_the_second_bundle_carries_only_what_the_other_lacks(replicas):
    a, b = replicas(2)
    first = export(a)
    assert peek_manifest(first)["kind"] == "full"  # A has heard from nobody yet
    assert deliver(b, first).complete
    new_goal(b, "Written on B")
    reply = export(b)  # B says what it holds; A learns it on import
    assert peek_manifest(reply)["kind"] == "delta"  # B heard from A
    deliver(a, reply)
    goal = new_goal(a, "Only this is new")
    delta = export(a)
    manifest = peek_manifest(delta)
    assert manifest["kind"] == "delta" and manifest["base"]
    assert {e["node"] for e in manifest["known"]} >= {a.local_node().node_id, b.local_node().node_id}
    full = export(a, full=True)
    assert peek_manifest(full)["kind"] == "full" and "base" not in peek_manifest(full)
    assert data_bytes(delta) * 10 < data_bytes(full)
    report = deliver(b, delta)
    assert report.complete and report.records == 1 and shown(b, "improvement_goal", goal)["title"] == "Only this is new"
    assert dump(a) == dump(b)
    assert deliver(b, full).added == 0  # the full bundle brings nothing the delta did not


def test_a_lost_delta_costs_nothing_and_order_and_duplicates_do_not_matter(replicas):
    a, b, c = replicas(3)
    for src, dst in ((a, b), (b, a), (c, a), (a, c)):  # every workstation has heard from A and A from them
        deliver(dst, export(src))
    new_goal(a, "In the lost bundle")
    lost = export(a)
    set_field(a, "improvement_goal", shared_ids(a)[0], "title", "After the lost bundle")
    second = export(a)  # nobody answered meanwhile: it starts where the lost one did, so it holds its changes too
    assert peek_manifest(second)["base"] == peek_manifest(lost)["base"]
    assert deliver(b, second).complete
    assert dump(a) == dump(b)
    third = export(a)
    # C gets them out of order and twice; every delta starts from what C said it holds, so each is complete
    for path in (third, second, lost, second):
        report = deliver(c, path)
        assert report.complete or report.already_imported
    assert dump(a) == dump(c)


def test_a_workstation_not_heard_from_gets_the_rest_once_it_has_sent_a_bundle(replicas):
    a, b, c = replicas(3)
    deliver(b, export(a))
    deliver(a, export(b))  # A has heard from B only
    goal = new_goal(b, "Written on B")
    deliver(a, export(b))
    enter_month(a, CODES[1], MONTHS[1], 4, 10)
    delta = export(a)  # made for B, which has B's goal already
    report = deliver(c, delta)
    assert not report.complete and "full bundle" in report.summary
    assert shown(c, "improvement_goal", goal) is None  # what the delta left out is not here yet
    deliver(a, export(c))  # C says what it holds
    assert deliver(c, export(a)).complete
    assert shown(c, "improvement_goal", goal)["title"] == "Written on B"
    assert dump(a) == dump(c)


def test_later_edits_of_a_record_whose_creation_has_not_arrived_wait_for_it(replicas):
    """A delta made for the others brings only an edit of a record this workstation never received: the edit is
    kept, the record is not shown half made (and the import does not fail on its missing title); it appears, with
    the edit, once its creation arrives."""
    a, b, c = replicas(3)
    deliver(b, export(a))
    deliver(a, export(b))  # A has heard from B only
    cycle = new_cycle(b, None, "Written on B")
    deliver(a, export(b))
    set_field(a, "pdsa_cycle", cycle, "plan_what", "Edited on A")
    report = deliver(c, export(a))  # made for B: the cycle's creation is left out
    assert not report.complete
    assert shown(c, "pdsa_cycle", cycle) is None
    assert [v.value for v in versions(c, "pdsa_cycle", cycle, "plan_what")] == ["Edited on A"]
    deliver(c, export(b, full=True))
    row = shown(c, "pdsa_cycle", cycle)
    assert (row["title"], row["plan_what"]) == ("Written on B", "Edited on A")
    assert dump(a) == dump(c)


def test_a_record_that_arrives_before_the_one_it_belongs_to_is_shown_when_that_one_arrives(replicas):
    """B's delta to A leaves out A's goal; C, which lacks the goal, gets B's cycle under it first and A's goal
    later: the cycle is shown then, as it is on a workstation that got them in the other order."""
    a, b, c = replicas(3)
    goal = new_goal(a, "Written on A")
    deliver(b, export(a))
    cycle = new_cycle(b, goal, "Under A's goal")
    from_b = export(b)  # a delta for A, which has the goal
    deliver(c, from_b)
    assert shown(c, "pdsa_cycle", cycle) is None  # its goal is not here yet
    deliver(c, export(a))
    assert shown(c, "pdsa_cycle", cycle)["goal_id"] == goal
    deliver(a, from_b)
    assert dump(a) == dump(c)
    assert_displayed_rows_follow_versions(c)


def test_knowledge_is_noted_with_the_merge_and_only_for_what_the_bundle_brings(replicas):
    a, b = replicas(2)
    new_goal(a, "Written on A")
    deliver(b, export(a))
    with b.read() as s:
        peers = {p.node_id: p.site for p in s.query(SyncPeer)}
        known = {k.node_id: k.dot for k in s.query(SyncKnown)}
        a_wrote = a.local_node().node_id
    assert peers == {a_wrote: "ctr-042"}
    with a.read() as s:
        a_dot = s.get(SyncNode, a_wrote).next_dot - 1
    assert known[a_wrote] == a_dot
    # a network bundle from a center speaks only for that center's workstations
    with b.write(ADMIN) as s:
        conn = s.connection()
        complete = knowledge.note_bundle(
            conn, local_site="ncc", local_node=b.local_node().node_id, sender_node="n-ctr-a", sender_site="ctr-a",
            scope="network", start=None,
            known=(("n-ctr-a", "ctr-a", 50), ("n-ctr-b", "ctr-b", 70), (a_wrote, "ctr-a", a_dot + 99)),
        )  # fmt: skip
        assert complete
        vector = knowledge.own_vector(conn, "ncc")
    assert vector["n-ctr-a"] == ("ctr-a", 50)
    assert "n-ctr-b" not in vector  # another center's workstation: not this bundle's to say
    assert vector[a_wrote] == ("ctr-042", a_dot)  # placed at another center than known here: ignored


def test_a_claim_for_a_workstation_of_another_center_is_dropped_when_its_versions_arrive(replicas):
    (a,) = replicas(1)
    with a.write(ADMIN) as s:
        conn = s.connection()
        knowledge.note_bundle(conn, local_site="ncc", local_node=a.local_node().node_id, sender_node="n-a",
                              sender_site="ctr-a", scope="network", start=None,
                              known=(("n-early", "ctr-a", 1000),))  # fmt: skip
        assert knowledge.own_vector(conn, "ncc")["n-early"] == ("ctr-a", 1000)
        knowledge.forget_misplaced(conn, {"n-early": "ctr-b", "n-a": "ctr-a"})  # its versions are ctr-b's
        assert "n-early" not in knowledge.own_vector(conn, "ncc")


def test_a_delta_to_several_workstations_starts_at_the_lowest_of_their_claims():
    assert knowledge.lowest([]) == {}
    assert knowledge.lowest([{"a": 3, "b": 2}, {"a": 1, "b": 5, "c": 9}]) == {"a": 1, "b": 2}  # c: one lacks it
    assert knowledge.lowest([{"a": 0}]) == {}


def test_a_delta_start_that_is_not_behind_what_the_receiver_holds_is_not_covered():
    assert knowledge.covers({"x": 3}, {"x": 3, "y": 1})
    assert not knowledge.covers({"x": 4}, {"x": 3})
    assert not knowledge.covers({"z": 1}, {})
    assert knowledge.covers({}, {})


@pytest.mark.parametrize(
    ("edit", "what"),
    [
        (lambda m: m.update(kind="delta"), "must say where it starts"),
        (lambda m: m.update(base={"n": 3}), "must say where it starts"),
        (lambda m: m.update(kind="delta", base={"n": 0}), "cannot be"),
        (lambda m: m.update(known=[{"node": "n", "site": "ctr-042", "dot": 1}] * 2), "twice"),
        (lambda m: m.update(known=[{"node": "n", "site": "Not a site", "dot": 1}]), "not valid at known"),
    ],
)
def test_a_manifest_with_a_malformed_start_or_knowledge_is_refused(replicas, tmp_path: Path, edit, what):
    a, b = replicas(2)
    crafted = resign(export(a), signing_key(a), edit=edit, out=tmp_path / "crafted.lhnsync")
    before = dump(b)
    with pytest.raises(BundleRejected, match=what) as caught:
        SyncService(b).import_bundle(ADMIN, crafted, KEY)
    assert caught.value.code == "E_MANIFEST" and dump(b) == before


def test_a_bundle_of_an_earlier_release_without_knowledge_is_still_read_and_asks_for_everything(
    replicas, tmp_path: Path
):
    a, b = replicas(2)
    deliver(a, export(b))
    old = resign(export(b), signing_key(b), edit=lambda m: m.pop("known"), out=tmp_path / "old.lhnsync")
    assert deliver(a, old).complete
    with a.read() as s:
        assert s.get(SyncPeer, b.local_node().node_id) is not None
    assert peek_manifest(export(a))["kind"] == "delta"  # what B said earlier still stands (knowledge only grows)


def test_a_workstation_silent_for_longer_than_the_window_is_not_waited_for(replicas):
    a, b, c = replicas(3)
    deliver(a, export(b))
    deliver(a, export(c))
    with a.write(ADMIN) as s:
        s.query(SyncPeer).filter(SyncPeer.node_id == c.local_node().node_id).update(
            {SyncPeer.heard_at: SyncPeer.heard_at - knowledge.PEER_WINDOW * 2}
        )
    with a.read() as s:
        start = knowledge.start_for(s.connection(), "ctr-042", a.local_node().node_id)
        b_claim = s.get(SyncPeer, b.local_node().node_id).known_json
    assert start == {node: dot for node, dot in json.loads(b_claim).items() if dot > 0}


def test_the_review_names_the_last_bundle_in_the_workstations_own_clock(replicas):
    """The review says "the last bundle ... was made on 7 Dec 2026 09:30", as dates and times are written
    everywhere (it read "2026-12-07 14:30 UTC")."""
    from datetime import UTC

    from sqlalchemy import select

    from lhn_desktop.localization import format_datetime
    from lhn_desktop.models.sync import SyncExportLog

    (a,) = replicas(1)
    assert SyncService(a).preview(ADMIN, "center").last_export is None
    export(a)
    with a.read() as s:
        made = s.scalars(select(SyncExportLog)).one().exported_at
    said = SyncService(a).preview(ADMIN, "center").last_export
    assert said == format_datetime(made.replace(tzinfo=UTC).astimezone()) and "UTC" not in said
