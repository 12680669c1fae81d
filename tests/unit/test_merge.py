"""The per-field multi-value merge (SYNC.md 1.4), property-tested on random replica histories."""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lhn_desktop.errors import SyncIntegrityError
from lhn_desktop.sync.hlc import ZERO, Hlc, receive, tick
from lhn_desktop.sync.merge import (
    Sibling,
    canonical,
    canonical_json,
    displayed,
    dominates,
    is_conflict,
    local_write,
    merge,
    merge_all,
    pointwise_max,
)

T0 = 1_767_225_600_000  # 2026-01-01T00:00:00Z

#: A few values, so that different nodes often type the same thing.
VALUES = st.sampled_from(["a", "b", "c", "", 0, 1, 12, None, True, False, ["x", 1], {"k": "v"}, "34.5"])


# -- a tiny replica simulator ---------------------------------------------------------------------


@dataclass
class Replica:
    node: str
    skew_ms: int
    sibs: list[Sibling] = field(default_factory=list)
    next_dot: int = 1
    clock: Hlc = ZERO

    def write(self, value: Any, now: int, dot_gap: int = 1) -> Sibling:
        """A local edit: its own increasing dot (gaps stand for edits of other fields) and HLC."""
        self.next_dot += dot_gap - 1
        dot = self.next_dot
        self.next_dot += 1
        self.clock = tick(self.clock, now + self.skew_ms)
        self.sibs = local_write(self.sibs, value, node=self.node, dot=dot, hlc=str(self.clock))
        assert len(self.sibs) == 1
        return self.sibs[0]

    def receive(self, incoming: list[Sibling], now: int) -> None:
        self.sibs = merge_all(self.sibs, incoming)
        for s in incoming:
            self.clock = receive(self.clock, Hlc.parse(s.hlc), now + self.skew_ms)


@dataclass
class History:
    replicas: list[Replica]
    produced: list[Sibling]  # every sibling ever written, in the order written

    def by_node(self, node: str) -> Replica:
        return next(r for r in self.replicas if r.node == node)


# An op: ("write", node index, value, dot gap, wall step) | ("pull", to, from, _, step) | ("old", to, k, _, step)
OPS = st.one_of(
    st.tuples(st.just("write"), st.integers(0, 4), VALUES, st.integers(1, 3), st.integers(0, 2000)),
    st.tuples(st.just("pull"), st.integers(0, 4), st.integers(0, 4), st.none(), st.integers(0, 2000)),
    st.tuples(st.just("old"), st.integers(0, 4), st.integers(0, 10_000), st.none(), st.integers(0, 2000)),
)


def run_history(n_nodes: int, skews: list[int], ops: list[tuple]) -> History:
    # node ids that do not sort in creation order, so the (hlc, node) tie-break is exercised
    names = [f"{'edcba'[i]}-node-{i}" for i in range(n_nodes)]
    replicas = [Replica(name, skews[i]) for i, name in enumerate(names)]
    produced: list[Sibling] = []
    now = T0
    for kind, a, b, c, step in ops:
        now += step
        me = replicas[a % n_nodes]
        if kind == "write":
            produced.append(me.write(b, now, dot_gap=c))
        elif kind == "pull":  # a full-state bundle from another replica
            me.receive(replicas[b % n_nodes].sibs, now)
        elif produced:  # a late, old bundle carrying one sibling written long ago
            me.receive([produced[b % len(produced)]], now)
    return History(replicas, produced)


@st.composite
def histories(draw, min_writes: int = 1) -> History:
    n = draw(st.integers(min_value=2, max_value=5))
    skews = draw(st.lists(st.integers(-3_600_000, 3_600_000), min_size=n, max_size=n))
    ops = draw(st.lists(OPS, min_size=1, max_size=40))
    history = run_history(n, skews, ops)
    if len(history.produced) < min_writes:
        history.produced.append(history.replicas[0].write(draw(VALUES), T0 + 10**7))
    return history


def maximal(sibs: list[Sibling]) -> list[Sibling]:
    """The oracle: the siblings no other sibling has seen."""
    uniq = {s.key: s for s in sibs}.values()
    return [s for s in uniq if not any(o.key != s.key and dominates(o.vv, s.vv) for o in uniq)]


# -- well-formed histories ------------------------------------------------------------------------


@settings(max_examples=100)
@given(h=histories())
def test_histories_are_well_formed(h: History) -> None:
    keys = [s.key for s in h.produced]
    assert len(keys) == len(set(keys))  # dots are never reused
    for s in h.produced:
        assert s.vv[s.node] == s.dot  # a version vector always includes its own dot
    for r in h.replicas:
        # a replica's state is an antichain: no sibling has seen another
        assert canonical(r.sibs) == canonical(maximal(r.sibs))


# -- commutative, associative, idempotent --------------------------------------------------------


@settings(max_examples=100)
@given(h=histories(), rnd=st.randoms(use_true_random=False))
def test_merge_is_commutative(h: History, rnd: random.Random) -> None:
    expected = canonical(merge_all([], h.produced))
    assert expected == canonical(maximal(h.produced))
    for _ in range(3):
        perm = list(h.produced)
        rnd.shuffle(perm)
        result = merge_all([], perm)
        assert canonical(result) == expected
        assert displayed(result) == displayed(merge_all([], h.produced))


@settings(max_examples=100)
@given(h=histories())
def test_replicas_converge_after_exchanging_everything(h: History) -> None:
    expected = canonical(merge_all([], h.produced))
    states = []
    for r in h.replicas:
        # every sibling a replica holds was produced; receiving all of them converges
        assert {s.key for s in r.sibs} <= {s.key for s in h.produced}
        states.append(canonical(merge_all(r.sibs, h.produced)))
    assert all(s == expected for s in states)
    # exchanging full states pairwise, in either order, also commutes
    for a in h.replicas:
        for b in h.replicas:
            assert canonical(merge_all(a.sibs, b.sibs)) == canonical(merge_all(b.sibs, a.sibs))


@settings(max_examples=100)
@given(h=histories(), cut1=st.integers(0, 10_000), cut2=st.integers(0, 10_000), rnd=st.randoms(use_true_random=False))
def test_merge_is_associative(h: History, cut1: int, cut2: int, rnd: random.Random) -> None:
    sibs = list(h.produced)
    rnd.shuffle(sibs)
    i, j = sorted((cut1 % (len(sibs) + 1), cut2 % (len(sibs) + 1)))
    g1, g2, g3 = sibs[:i], sibs[i:j], sibs[j:]
    all_at_once = canonical(merge_all([], sibs))
    left = merge_all(merge_all(merge_all([], g1), merge_all([], g2)), merge_all([], g3))
    right = merge_all(merge_all([], g1), merge_all(merge_all([], g2), merge_all([], g3)))
    assert canonical(left) == canonical(right) == all_at_once


@settings(max_examples=100)
@given(h=histories(), rnd=st.randoms(use_true_random=False))
def test_merge_is_idempotent(h: History, rnd: random.Random) -> None:
    once = merge_all([], h.produced)
    assert canonical(merge_all(once, once)) == canonical(once)
    assert canonical(merge_all(once, h.produced)) == canonical(once)
    with_duplicates = list(h.produced) * 2 + rnd.sample(h.produced, k=min(3, len(h.produced)))
    rnd.shuffle(with_duplicates)
    assert canonical(merge_all([], with_duplicates)) == canonical(once)
    for s in once:
        assert canonical(merge(once, s)) == canonical(once)  # the same sibling again: no-op
        assert canonical(merge(once, replace(s, vv=dict(s.vv)))) == canonical(once)  # an equal copy too


# -- sequential and concurrent edits -------------------------------------------------------------


@settings(max_examples=100)
@given(h=histories(), a=st.integers(0, 4), b=st.integers(0, 4), v1=VALUES, v2=VALUES)
def test_sequential_edits_never_conflict(h: History, a: int, b: int, v1: Any, v2: Any) -> None:
    ra = h.replicas[a % len(h.replicas)]
    rb = h.replicas[b % len(h.replicas)]
    if ra is rb:
        rb = next(r for r in h.replicas if r is not ra)
    now = T0 + 10**8
    ra.write(v1, now)
    rb.receive(ra.sibs, now + 1)  # B has merged A's write ...
    rb.write(v2, now + 2)  # ... and then writes
    assert len(rb.sibs) == 1
    assert rb.sibs[0].value == v2
    assert dominates(rb.sibs[0].vv, ra.sibs[0].vv)
    assert not is_conflict(rb.sibs)
    ra.receive(rb.sibs, now + 3)
    assert len(ra.sibs) == 1
    assert canonical(ra.sibs) == canonical(rb.sibs)
    assert displayed(ra.sibs).value == v2


def test_sequential_edits_example() -> None:
    a = local_write([], "plan v1", node="A", dot=1, hlc="1767225600000-00000")
    b = merge_all([], a)
    b = local_write(b, "plan v2", node="B", dot=1, hlc="1767225600001-00000")
    assert b[0].vv == {"A": 1, "B": 1}
    a = merge_all(a, b)
    assert len(a) == 1 and a[0].value == "plan v2" and not is_conflict(a)


@settings(max_examples=100)
@given(h=histories(), a=st.integers(0, 4), b=st.integers(0, 4), va=VALUES, vb=VALUES)
def test_concurrent_edits_keep_both_values(h: History, a: int, b: int, va: Any, vb: Any) -> None:
    ra = h.replicas[a % len(h.replicas)]
    rb = h.replicas[b % len(h.replicas)]
    if ra is rb:
        rb = next(r for r in h.replicas if r is not ra)
    now = T0 + 10**8
    wa = ra.write(va, now)  # neither has seen the other's write
    wb = rb.write(vb, now)
    assert not dominates(wa.vv, wb.vv) and not dominates(wb.vv, wa.vv)
    on_a = merge_all(ra.sibs, rb.sibs)
    on_b = merge_all(rb.sibs, ra.sibs)
    assert canonical(on_a) == canonical(on_b)
    assert len(on_a) == 2
    assert {s.key for s in on_a} == {wa.key, wb.key}
    assert is_conflict(on_a) == (canonical_json(va) != canonical_json(vb))
    winner = max((wa, wb), key=lambda s: (s.hlc, s.node))
    assert displayed(on_a) == displayed(on_b) == winner
    # the next local edit on either side collapses the siblings
    after = local_write(on_a, vb, node=ra.node, dot=ra.next_dot, hlc=str(tick(ra.clock, now + 5)))
    assert len(after) == 1 and dominates(after[0].vv, wa.vv) and dominates(after[0].vv, wb.vv)


def test_concurrent_edits_example() -> None:
    a = local_write([], 5, node="A", dot=1, hlc="1767225600000-00000")
    b = local_write([], 7, node="B", dot=1, hlc="1767225600000-00000")  # same HLC: node id breaks the tie
    on_a, on_b = merge_all(a, b), merge_all(b, a)
    assert len(on_a) == len(on_b) == 2
    assert is_conflict(on_a) and is_conflict(on_b)
    assert displayed(on_a).value == displayed(on_b).value == 7
    later = local_write([], 5, node="A", dot=2, hlc="1767225600001-00000")
    assert displayed(merge_all(later, b)).value == 5


def test_equal_concurrent_values_are_not_a_conflict() -> None:
    a = local_write([], "34.5", node="A", dot=1, hlc="1767225600000-00000")
    b = local_write([], "34.5", node="B", dot=3, hlc="1767225600005-00000")
    merged = merge_all(a, b)
    assert len(merged) == 2
    assert not is_conflict(merged)
    assert displayed(merged).node == "B"
    # dict values compare canonically, whatever their key order
    c = local_write([], {"x": 1, "y": 2}, node="A", dot=2, hlc="1767225600000-00001")
    d = local_write([], {"y": 2, "x": 1}, node="B", dot=4, hlc="1767225600000-00001")
    assert not is_conflict(merge_all(c, d))


def test_displayed_of_nothing_is_an_error() -> None:
    with pytest.raises(ValueError):
        displayed([])
    assert not is_conflict([])


# -- integrity and staleness ---------------------------------------------------------------------


@settings(max_examples=100)
@given(h=histories(), pick=st.integers(0, 10_000), other=VALUES)
def test_same_dot_with_other_content_is_refused(h: History, pick: int, other: Any) -> None:
    state = merge_all([], h.produced)
    genuine = state[pick % len(state)]
    forgeries = [replace(genuine, vv={**genuine.vv, "zz-forger": 1})]
    if canonical_json(other) != canonical_json(genuine.value):
        forgeries.append(replace(genuine, value=other))
    for forged in forgeries:
        with pytest.raises(SyncIntegrityError):
            merge(state, forged)
        with pytest.raises(SyncIntegrityError):
            merge_all([], [genuine, forged])
        with pytest.raises(SyncIntegrityError):
            merge_all([], [forged, genuine])


def test_same_dot_with_other_content_examples() -> None:
    s = Sibling(node="A", dot=4, hlc="1767225600000-00000", vv={"A": 4}, value="x")
    for forged in (
        replace(s, value="y"),
        replace(s, vv={"A": 4, "B": 1}),
        replace(s, vv={"A": 3}),  # a lowered vv with the same identity is corrupt too
        replace(s, value=1),
    ):
        with pytest.raises(SyncIntegrityError):
            merge([s], forged)
    # a different HLC alone does not make a different version (identity is node+dot, content is vv+value)
    assert merge([s], replace(s, hlc="1767225600000-00001")) == [s]


@settings(max_examples=100)
@given(h=histories(min_writes=2))
def test_stale_siblings_are_ignored(h: History) -> None:
    for r in h.replicas:
        for s in h.produced:
            if any(o.key != s.key and dominates(o.vv, s.vv) for o in r.sibs):
                assert canonical(merge(r.sibs, s)) == canonical(r.sibs)


def test_stale_sibling_example() -> None:
    old = local_write([], "v1", node="A", dot=1, hlc="1767225600000-00000")
    new = local_write(old, "v2", node="A", dot=2, hlc="1767225600001-00000")
    assert new[0].vv == {"A": 2}
    assert merge(new, old[0]) == new
    # a newer sibling replaces the one it has seen
    assert merge(old, new[0]) == new


def test_dominates_and_pointwise_max() -> None:
    assert dominates({"A": 2, "B": 1}, {"A": 1})
    assert dominates({"A": 1}, {})
    assert not dominates({"A": 1}, {"B": 1})
    assert not dominates({}, {"A": 1})
    assert pointwise_max([{"A": 1, "B": 5}, {"A": 3}, {}]) == {"A": 3, "B": 5}


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=8,
    )
)
def test_canonical_json_writes_exactly_what_the_json_encoder_writes(value) -> None:
    import json

    expected = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    assert canonical_json(value) == expected
