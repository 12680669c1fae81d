"""What each workstation holds of every other's field versions, for delta bundles (docs/sync.md, decision 50).

Every workstation numbers its writes (the dot). This workstation's *knowledge* says, per workstation, up to
which dot it holds all of that workstation's versions (in the scope it receives them in); its own ids count as
far as they wrote. Every bundle carries its sender's knowledge. The receiver

- keeps it as the sender's *claim* (``sync_peer``): a later bundle to the sender's center needs to carry only
  the versions beyond what every recently heard workstation there claimed (the pointwise minimum), and
- when the bundle starts from what this workstation already holds (a full bundle, or a delta whose start is
  covered), raises its own knowledge to the sender's for the workstations whose versions the bundle brings.

A delta that starts beyond this workstation's knowledge (it was made for the others of its center before this
one was heard from) is merged all the same, since merging is safe in any order, but the knowledge stays where
it was; this workstation's next bundle says so, and the next delta to it starts early enough to fill the gap.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update

from lhn_desktop.models.base import utcnow
from lhn_desktop.models.sync import SyncKnown, SyncNode, SyncPeer

#: A workstation not heard from for this long is not waited for: deltas start from the others' claims. If it
#: comes back, its first import is merged without raising its knowledge, and its next bundle puts it back.
PEER_WINDOW = timedelta(days=90)

Vector = dict[str, int]


def own_vector(conn, site: str) -> dict[str, tuple[str, int]]:
    """Workstation -> (its center, the dot up to which this workstation holds its versions). The ids this database
    wrote under (its own, and the one it had before it was copied) count as far as they wrote here."""
    out = {node: (owner, dot) for node, owner, dot in conn.execute(select(SyncKnown.node_id, SyncKnown.site,
                                                                          SyncKnown.dot))}  # fmt: skip
    for node, next_dot in conn.execute(select(SyncNode.node_id, SyncNode.next_dot)):
        if next_dot > 1 + out.get(node, (site, 0))[1]:
            out[node] = (site, next_dot - 1)
    return out


def known_entries(conn, site: str) -> list[dict]:
    """This workstation's knowledge as a bundle's manifest carries it: sorted ``{node, site, dot}`` objects."""
    return [{"node": node, "site": owner, "dot": dot} for node, (owner, dot) in sorted(own_vector(conn, site).items())]


def start_for(conn, audience: str, local_node: str, *, now: datetime | None = None) -> Vector:
    """Where a delta bundle to ``audience`` (a center, or ``ncc``) starts: per workstation, the lowest dot that
    every other workstation of that center heard from within ``PEER_WINDOW`` claims to hold. Empty (a full
    bundle) when none was heard from."""
    since = (now or utcnow()) - PEER_WINDOW
    query = select(SyncPeer.node_id, SyncPeer.known_json).where(SyncPeer.site == audience, SyncPeer.heard_at >= since)
    return lowest([json.loads(text) for node, text in conn.execute(query) if node != local_node])


def lowest(vectors: Iterable[Mapping[str, int]]) -> Vector:
    """The pointwise minimum of some vectors (a workstation missing from one counts as 0, and is left out); empty
    when there are none."""
    out: Vector | None = None
    for vector in vectors:
        if out is None:
            out = dict(vector)
        else:
            out = {node: min(dot, vector[node]) for node, dot in out.items() if node in vector}
    return {node: dot for node, dot in (out or {}).items() if dot > 0}


def forget_misplaced(conn, writers: Mapping[str, str]) -> None:
    """Versions just merged name each writing workstation's center (``writers``: workstation -> center); knowledge
    noted earlier under another center for one of them (a claim made before its versions arrived here) is dropped,
    so that no center can make this workstation claim to hold another center's versions."""
    nodes = sorted(writers)
    for first in range(0, len(nodes), 500):
        query = select(SyncKnown.node_id, SyncKnown.site).where(SyncKnown.node_id.in_(nodes[first : first + 500]))
        wrong = [node for node, site in conn.execute(query) if site != writers[node]]
        if wrong:
            conn.execute(delete(SyncKnown).where(SyncKnown.node_id.in_(wrong)))


def covers(start: Mapping[str, int], vector: Mapping[str, int]) -> bool:
    """Whether a workstation holding ``vector`` holds everything a delta starting at ``start`` builds on."""
    return all(vector.get(node, 0) >= dot for node, dot in start.items())


def note_bundle(conn, *, local_site: str, local_node: str, sender_node: str, sender_site: str, scope: str,
                start: Mapping[str, int] | None, known: Iterable[tuple[str, str, int]],
                now: datetime | None = None) -> bool:  # fmt: skip
    """Inside an import's transaction: keep the sender's claim and raise this workstation's knowledge where the
    bundle allows. Returns whether the bundle started from what this workstation holds (``start`` None: full).

    Only the workstations whose versions the bundle brings are raised: every one in a center bundle; in a network
    bundle from a center, that center's own; from the coordinating center, every other center's and its own. An
    entry placing a workstation at another center than this workstation knows it at is ignored.
    """
    own = own_vector(conn, local_site)
    claim = {node: dot for node, _site, dot in known}
    if sender_node != local_node:
        row = conn.execute(select(SyncPeer.known_json).where(SyncPeer.node_id == sender_node)).scalar()
        if row is not None:  # a workstation's knowledge only grows; an older bundle imported late says less
            for node, dot in json.loads(row).items():
                claim[node] = max(dot, claim.get(node, 0))
        values = {"site": sender_site, "known_json": json.dumps(claim, sort_keys=True), "heard_at": now or utcnow()}
        if row is None:
            conn.execute(insert(SyncPeer).values(node_id=sender_node, **values))
        else:
            conn.execute(update(SyncPeer).where(SyncPeer.node_id == sender_node).values(**values))
    complete = start is None or covers(start, {node: dot for node, (_site, dot) in own.items()})
    if not complete:
        return False
    stored = set(conn.execute(select(SyncKnown.node_id)).scalars())
    for node, site, dot in known:
        if node == local_node or (node in own and own[node][0] != site):
            continue
        if scope == "network" and (site == local_site if sender_site == "ncc" else site != sender_site):
            continue
        if node not in stored:
            if dot > own.get(node, (site, 0))[1]:
                conn.execute(insert(SyncKnown).values(node_id=node, site=site, dot=dot))
        elif dot > own[node][1]:
            conn.execute(update(SyncKnown).where(SyncKnown.node_id == node).values(dot=dot))
    return True
