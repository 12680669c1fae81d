"""Per-field multi-value merge (SYNC.md 1.4): pure functions, no database.

Each field of a record is a set of *siblings*. A sibling is a value written by one node with a dot
(its per-node sequence number) and a version vector that says which writes its author had seen.
Merging is set union followed by dropping every sibling some other sibling has seen, so it is
commutative, associative and idempotent; replicas that have seen the same writes hold the same
siblings. Concurrent writes keep both values; the displayed one is chosen by ``(hlc, node)``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lhn_desktop.errors import SyncIntegrityError

VersionVector = Mapping[str, int]


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


_TEXT = json.encoder.encode_basestring  # what the encoder above writes for a string (ensure_ascii=False)


def canonical_json(value: Any) -> str:
    """The one JSON text of a value: sorted keys, no spaces, no NaN.

    Strings, whole numbers, booleans and null, most of what is stored, are written directly (the same text the
    encoder writes, about five times faster): a large import writes a value for every field of every record.
    """
    kind = type(value)
    if kind is str:
        return _TEXT(value)
    if value is None:
        return "null"
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return int.__repr__(value)
    return _CANONICAL.encode(value)


@dataclass(frozen=True, slots=True)
class Sibling:
    """One version of one field."""

    node: str
    dot: int
    hlc: str
    vv: Mapping[str, int] = field(hash=False)
    value: Any = field(hash=False)

    @property
    def key(self) -> tuple[str, int]:
        return (self.node, self.dot)

    def same_content(self, other: Sibling) -> bool:
        return canonical_json(self.value) == canonical_json(other.value) and dict(self.vv) == dict(other.vv)


def dominates(a: VersionVector, b: VersionVector) -> bool:
    """True when ``a`` has seen everything ``b`` has seen."""
    return all(a.get(k, 0) >= v for k, v in b.items())


def pointwise_max(vvs: Iterable[VersionVector]) -> dict[str, int]:
    out: dict[str, int] = {}
    for vv in vvs:
        for k, v in vv.items():
            if v > out.get(k, 0):
                out[k] = v
    return out


def merge(local: list[Sibling], incoming: Sibling) -> list[Sibling]:
    """The siblings after receiving one more; raises if the same dot arrives with other content."""
    for sib in local:
        if sib.key == incoming.key:
            if not sib.same_content(incoming):
                raise SyncIntegrityError(
                    "Two versions of a field carry the same identity but different content; the data is corrupt or "
                    "forged. Nothing was changed.",
                    detail=f"node={incoming.node} dot={incoming.dot}",
                )
            return list(local)
        if dominates(sib.vv, incoming.vv):
            return list(local)
    return [sib for sib in local if not dominates(incoming.vv, sib.vv)] + [incoming]


def merge_all(local: list[Sibling], incoming: Iterable[Sibling]) -> list[Sibling]:
    out = list(local)
    for sib in incoming:
        out = merge(out, sib)
    return out


def local_write(siblings: list[Sibling], value: Any, *, node: str, dot: int, hlc: str) -> list[Sibling]:
    """A write by this node, which has seen every current sibling: it collapses them into one."""
    vv = pointwise_max(s.vv for s in siblings)
    vv[node] = dot
    return [Sibling(node=node, dot=dot, hlc=hlc, vv=vv, value=value)]


def displayed(siblings: list[Sibling]) -> Sibling:
    """The deterministic winner shown to people: the largest ``(hlc, node)``."""
    if not siblings:
        raise ValueError("a field with no versions has no displayed value")
    return max(siblings, key=lambda s: (s.hlc, s.node))


def is_conflict(siblings: list[Sibling]) -> bool:
    """Concurrent siblings with different values; equal values are not a conflict."""
    return len({canonical_json(s.value) for s in siblings}) > 1


def canonical(siblings: list[Sibling]) -> list[tuple[str, int, str, str, str]]:
    """A sorted, comparable form of a sibling set (for tests and convergence checks)."""
    return sorted((s.node, s.dot, s.hlc, canonical_json(dict(s.vv)), canonical_json(s.value)) for s in siblings)
