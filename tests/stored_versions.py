"""The tests' own reach into the stored field versions, through ``lhn_desktop.store.versions`` only (never its
table), so the tests hold whatever the layout of the versions."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from lhn_desktop.store import versions
from lhn_desktop.store.versions import Version


def every_version(session, entities: Iterable[str] | None = None) -> list[tuple]:
    """Every stored version as ``(entity, record_id, owner, field, node, dot, hlc, vv_json, value_json)``, in the
    stored order (entity, record, field, workstation, dot)."""
    return [tuple(row) for row in versions.scan(session, entities)]


def edit_versions(
    session,
    pick: Callable[[str, str, Version], bool],
    change: Callable[[Version], Version] | None = None,
) -> int:
    """Remove every stored version that ``pick(entity, record_id, version)`` chooses and, with ``change``, store
    ``change(version)`` in its place (a version altered in place keeps its workstation and dot), record by record
    from what :func:`versions.read` gives in the same transaction; returns how many versions were picked.
    ``session``: a write session (``Database.write``), as an older release or a damaged file could have left them."""
    picked: dict[str, dict[str, list[Version]]] = {}
    for entity, record_id, _owner, *parts in versions.scan(session):
        version = Version(*parts)
        if pick(entity, record_id, version):
            picked.setdefault(entity, {}).setdefault(record_id, []).append(version)
    conn = session.connection()
    for entity, records in picked.items():
        before = versions.read(conn, entity, records)
        changes = [
            versions.Change(
                record_id,
                before[record_id].owner,
                before[record_id],
                removed=[(v.field, v.node, v.dot) for v in chosen],
                added=[change(v) for v in chosen] if change is not None else [],
            )
            for record_id, chosen in records.items()
        ]
        versions.write(conn, entity, changes)
    return sum(len(chosen) for records in picked.values() for chosen in records.values())
