"""A database copy gets its own workstation id and key (SYNC.md 1.1).

Two databases that share a workstation id could hand out the same dot for different edits, and
replicas would then diverge; two that share a key cannot be told apart by their peers. A restore
from backup already takes a new id; this guard also catches a database file copied to another
computer, to another place on this one, or put back from a file copy.

- **Another computer.** The database keeps a one-way digest of the computer it belongs to
  (``store/machine.py``): set at its first opening (and for databases from before this check, at
  their first opening after the upgrade). Opened on a computer with another digest, it is a copy:
  it gets a new workstation id and a new key pair before anything is written, and belongs to this
  computer from then on. Its peers trust it again only after a fresh key-card exchange.
- **Another place on this computer.** Outside the database, per user, the guard keeps each
  workstation id's database path and the highest dot that has left in a bundle. The same id at
  another path that still exists is a copy: a new id and key, as above.
- **An older file put back.** A database whose dots are behind what already left gets a new id (the
  key stays: it is the same workstation, restored).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from sqlalchemy import select

from lhn_desktop.models.sync import SyncNode
from lhn_desktop.services.words import center as words
from lhn_desktop.store import cipher
from lhn_desktop.store.database import Database
from lhn_desktop.store.machine import machine_digest

logger = logging.getLogger(__name__)

REGISTRY_FILE = "workstation-ids.json"


def _registry(config_dir: Path) -> dict[str, dict]:
    try:
        data = json.loads((config_dir / REGISTRY_FILE).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _save(config_dir: Path, data: dict[str, dict]) -> None:
    config_dir.mkdir(parents=True, exist_ok=True)
    part = config_dir / (REGISTRY_FILE + ".part")
    part.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
    os.replace(part, config_dir / REGISTRY_FILE)


def _dots_used(db: Database, node_id: str) -> int:
    with db.read() as s:
        next_dot = s.scalar(select(SyncNode.next_dot).where(SyncNode.node_id == node_id))
    return (next_dot or 1) - 1


COPIED_ELSEWHERE = "this database was copied from another computer"
COPIED_HERE = "this database is a copy of another one on this computer"
PUT_BACK = "this database is older than edits this workstation has already sent"


def notice(reason: str | None) -> str | None:
    """What to tell the person at the workstation after the guard acted, or None."""
    if reason in (COPIED_ELSEWHERE, COPIED_HERE):
        return words.copied(elsewhere=reason == COPIED_ELSEWHERE)
    if reason == PUT_BACK:
        return words.PUT_BACK
    return None


def check_on_open(db: Database, config_dir: Path) -> str | None:
    """Give the database a new workstation id (and key, if it is a copy) before anything is written; returns
    why it did, or None."""
    from lhn_desktop.services.maintenance import _rotate_node

    node = db.local_node()
    machine = machine_digest(config_dir)
    data = _registry(config_dir)
    node_id = node.node_id
    entry = data.get(node_id)
    here = str(Path(db.path).resolve())
    reason = None
    if node.machine is not None and node.machine != machine:
        reason = COPIED_ELSEWHERE
    elif isinstance(entry, dict):
        if entry.get("path") != here and Path(str(entry.get("path"))).exists():
            reason = COPIED_HERE
        elif _dots_used(db, node_id) < int(entry.get("dots", 0)):
            reason = PUT_BACK
    if reason:
        _rotate_node(Path(db.path))
        logger.warning("Gave this database a new workstation id: %s.", reason)
    if reason in (COPIED_ELSEWHERE, COPIED_HERE):
        _new_key(Path(db.path))
        logger.warning("Gave this database a new workstation key; its peers need its new key card.")
    if reason or node.machine != machine:
        _belongs_here(Path(db.path), machine)
        db.forget_node()
        node_id = db.local_node().node_id
    previous = data.get(node_id, {})
    data[node_id] = {"path": here, "dots": max(int(previous.get("dots", 0)), _dots_used(db, node_id))}
    _save(config_dir, data)
    return reason


def _new_key(path: Path) -> None:
    from lhn_desktop.services.center import key_id, new_key_pair

    public_raw, private_der = new_key_pair()
    conn = cipher.connect(path)
    try:
        with conn:
            conn.execute("UPDATE local_node SET public_key = ?, private_key = ?, key_id = ?",
                         (public_raw, private_der, key_id(public_raw)))  # fmt: skip
    finally:
        conn.close()


def _belongs_here(path: Path, machine: str) -> None:
    conn = cipher.connect(path)
    try:
        with conn:
            conn.execute("UPDATE local_node SET machine = ?", (machine,))
    finally:
        conn.close()


def note_sent(db: Database, config_dir: Path) -> None:
    """Remember how far this workstation's dots have gone, now that a bundle carries them away."""
    data = _registry(config_dir)
    node_id = db.local_node().node_id
    previous = data.get(node_id, {})
    dots = max(int(previous.get("dots", 0)), _dots_used(db, node_id))
    data[node_id] = {"path": str(Path(db.path).resolve()), "dots": dots}
    _save(config_dir, data)
