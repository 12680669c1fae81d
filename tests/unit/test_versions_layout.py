"""The packed layout of the stored field versions (decision 56) gives back exactly what was written: any fields,
workstations, dots, clocks, version vectors and values, in the bundle's order; and the record-level marks and
counts the Sync page reads agree with the versions."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lhn_desktop.access import Actor
from lhn_desktop.store import versions
from lhn_desktop.store.database import Database
from lhn_desktop.store.versions import Change, Version

ADMIN = Actor.workstation()
NODES = ("ws-a", "ws-b", "0f0e0d0c-0000-4000-8000-00000000000c")
FIELDS = ("title", "aim", "_deleted", "a_field_name_of_sixty_characters_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")

usual_clocks = st.builds("{:013d}-{:05d}".format, st.integers(0, 9_999_999_999_999), st.integers(0, 65_535))
clocks = st.one_of(usual_clocks, st.sampled_from(["not-a-clock", "12-3"]))  # kept as text when not in the usual form
values = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text(max_size=40))


@st.composite
def record_versions(draw) -> list[Version]:
    keys = draw(st.lists(st.tuples(st.sampled_from(FIELDS), st.sampled_from(NODES), st.integers(1, 2**62)),
                         min_size=1, max_size=8, unique=True))  # fmt: skip
    out = []
    for name, node, dot in keys:
        vector = draw(st.dictionaries(st.sampled_from(NODES), st.integers(1, 2**62), max_size=3))
        vector[node] = dot
        value = draw(st.booleans()) if name == "_deleted" else draw(values)
        out.append(Version(name, node, dot, draw(clocks), versions.stored_vv(node, dot, vector),
                           json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)))  # fmt: skip
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(written=record_versions())
def test_what_is_written_is_read_back_in_the_bundles_order(db: Database, written: list[Version]) -> None:
    record = "layout-test-record"
    with db.write(ADMIN) as s:
        conn = s.connection()
        before = versions.read(conn, "future_kind", [record]).get(record)
        removed = [(v.field, v.node, v.dot) for sibs in (before.fields.values() if before else ()) for v in sibs]
        versions.write(conn, "future_kind", [Change(record, "ctr-042", before, removed=removed, added=written)])
    with db.read() as s:
        held = versions.read(s, "future_kind", [record])[record]
        scanned = [row for row in versions.scan(s, ["future_kind"]) if row[1] == record]
        marked = versions.deleted(s, "future_kind", [record])
        counted = versions.count(s, ["future_kind"])
        counts = versions.record_counts(s)
    in_order = sorted(written, key=lambda v: (v.field, v.node, v.dot))
    assert [v for sibs in held.fields.values() for v in sibs] == sorted(in_order, key=lambda v: v.field)
    assert [Version(*row[3:]) for row in scanned] == in_order
    assert held.owner == "ctr-042" and counted == len(written)
    assert marked == ({record} if any(v.field == "_deleted" and v.value_json == "true" for v in written) else set())
    assert counts.get("future_kind", 0) == int(any(v.field == "_deleted" for v in written))


def test_a_record_whose_last_version_is_removed_is_gone(db: Database) -> None:
    record = "layout-test-gone"
    one = Version("title", "ws-a", 3, "1790000000000-00001", None, '"A title"')
    with db.write(ADMIN) as s:
        versions.write(s.connection(), "future_kind", [Change(record, "ctr-042", None, added=[one])])
    with db.write(ADMIN) as s:
        conn = s.connection()
        before = versions.read(conn, "future_kind", [record])[record]
        versions.write(conn, "future_kind", [Change(record, "ctr-042", before, removed=[("title", "ws-a", 3)])])
    with db.read() as s:
        assert versions.read(s, "future_kind", [record]) == {}
        assert versions.owner(s, "future_kind", record) is None


small_dots = st.integers(1, 12)  # few, so that the receivers' vectors fall before, between and past the versions


@st.composite
def small_record(draw) -> list[Version]:
    """A record's versions by one to three workstations, dots close together."""
    keys = draw(st.lists(st.tuples(st.sampled_from(FIELDS[:2]), st.sampled_from(NODES), small_dots),
                         min_size=1, max_size=5, unique=True))  # fmt: skip
    return [Version(name, node, dot, "1790000000000-00001", None, f'"{name} {node} {dot}"') for name, node, dot in keys]


_kinds = iter(range(1_000_000))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    first=st.lists(small_record(), min_size=1, max_size=6),
    then=st.lists(st.tuples(st.integers(0, 5), small_record(), st.booleans()), max_size=4),
    base=st.dictionaries(st.sampled_from((*NODES, "ws-never-stored")), st.integers(0, 13), max_size=4),
)
def test_a_delta_scan_finds_exactly_the_versions_beyond_the_receivers_vector(
    db: Database, first: list[list[Version]], then: list[tuple[int, list[Version], bool]], base: dict[str, int]
) -> None:
    """What a delta bundle reads (``scan`` with ``base``) is every stored version beyond the receiver's vector and
    nothing else, whether a record was written by one workstation (found by the query alone, decision 58) or by
    several, after records are written again (versions added, a workstation's versions removed)."""
    kind = f"delta_kind_{next(_kinds)}"
    ids = [f"rec-{i}" for i in range(len(first))]
    with db.write(ADMIN) as s:
        versions.write(
            s.connection(), kind, [Change(r, "ctr-042", None, added=v) for r, v in zip(ids, first, strict=True)]
        )
    for index, added, drop_first_writer in then:
        record = ids[index % len(ids)]
        with db.write(ADMIN) as s:
            conn = s.connection()
            before = versions.read(conn, kind, [record])[record]
            held = [v for sibs in before.fields.values() for v in sibs]
            removed = {(v.field, v.node, v.dot) for v in held if drop_first_writer and v.node == held[0].node}
            removed |= {(v.field, v.node, v.dot) for v in held if (v.field, v.node, v.dot) in
                        {(a.field, a.node, a.dot) for a in added}}  # fmt: skip
            versions.write(conn, kind, [Change(record, "ctr-042", before, removed=sorted(removed), added=added)])
    with db.read() as s:
        stored = versions.read(s, kind, ids)
        delta = [(row[1], Version(*row[3:])) for row in versions.scan(s, [kind], base=base)]
    expected = [
        (record, v)
        for record in sorted(stored)
        for v in sorted(
            (v for sibs in stored[record].fields.values() for v in sibs), key=lambda v: (v.field, v.node, v.dot)
        )
        if v.dot > base.get(v.node, 0)
    ]
    assert delta == expected


def test_a_delta_scan_with_a_start_naming_hundreds_of_workstations(db: Database) -> None:
    """A coordinating center's start names every workstation of the network: in the query up to ``_IN_SQL`` of them
    (one CASE, not a condition each, which SQLite would refuse past a thousand deep), beyond that looked at record by
    record; the same versions either way."""
    for many in (versions._IN_SQL, versions._IN_SQL + 50):
        kind = f"many_kind_{many}"
        nodes = [f"ws-{kind}-{i:04d}" for i in range(many)]
        alone = Version("title", nodes[7], 3, "1790000000000-00001", None, '"by one"')
        with db.write(ADMIN) as s:  # one record by all of them (every name numbered), one by a single workstation
            shared = [Version("title", node, 1, "1790000000000-00001", None, f'"{node}"') for node in nodes]
            versions.write(s.connection(), kind, [Change("all", "ctr-042", None, added=shared),
                                                  Change("one", "ctr-042", None, added=[alone])])  # fmt: skip
        start = {node: 1 for node in nodes} | {nodes[-1]: 0, nodes[7]: 2}
        with db.read() as s:
            found = [(row[1], row[4], row[5]) for row in versions.scan(s, [kind], base=start)]
        assert found == [("all", nodes[-1], 1), ("one", nodes[7], 3)]
