"""A database copy gets its own workstation id (SYNC.md 1.1).

Two databases that share a workstation id could hand out the same dot for different edits, and
replicas would then diverge. A restore from backup already takes a new id; this guard also catches
a database file copied to another place or machine, or put back from a file copy. Outside the
database, per user, it keeps each workstation id's database path and the highest dot that has left
in a bundle. On opening: the same id at another path that still exists, or a database whose dots are
behind what already left, gets a new workstation id before anything is written.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from sqlalchemy import select

from lhn_desktop.models.sync import SyncNode
from lhn_desktop.store.database import Database

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


def check_on_open(db: Database, config_dir: Path) -> str | None:
    """Give the database a new workstation id if it is a copy; returns why it did, or None."""
    from lhn_desktop.services.maintenance import _rotate_node

    data = _registry(config_dir)
    node_id = db.local_node().node_id
    entry = data.get(node_id)
    here = str(Path(db.path).resolve())
    reason = None
    if isinstance(entry, dict):
        if entry.get("path") != here and Path(str(entry.get("path"))).exists():
            reason = "this database is a copy of another one on this computer"
        elif _dots_used(db, node_id) < int(entry.get("dots", 0)):
            reason = "this database is older than edits this workstation has already sent"
    if reason:
        _rotate_node(Path(db.path))
        db.forget_node()
        logger.warning("Gave this database a new workstation id: %s.", reason)
        node_id = db.local_node().node_id
    previous = data.get(node_id, {})
    data[node_id] = {"path": here, "dots": max(int(previous.get("dots", 0)), _dots_used(db, node_id))}
    _save(config_dir, data)
    return reason


def note_sent(db: Database, config_dir: Path) -> None:
    """Remember how far this workstation's dots have gone, now that a bundle carries them away."""
    data = _registry(config_dir)
    node_id = db.local_node().node_id
    previous = data.get(node_id, {})
    dots = max(int(previous.get("dots", 0)), _dots_used(db, node_id))
    data[node_id] = {"path": str(Path(db.path).resolve()), "dots": dots}
    _save(config_dir, data)
