"""SQLAlchemy models, one module per area. Importing this package registers every table."""

from __future__ import annotations

from lhn_desktop.models import commons, goals, improvement, measures, network, patients, planning, sync, team, versions
from lhn_desktop.models.base import Base, Syncable

__all__ = [
    "Base", "Syncable", "commons", "goals", "improvement", "measures", "network", "patients", "planning", "sync",
    "team", "versions",
]  # fmt: skip


def syncable_models() -> list[type[Syncable]]:
    """Every mapped class that travels in sync bundles, in table-creation order."""
    by_table = {m.class_.__table__: m.class_ for m in Base.registry.mappers if issubclass(m.class_, Syncable)}
    return [by_table[t] for t in Base.metadata.sorted_tables if t in by_table]
