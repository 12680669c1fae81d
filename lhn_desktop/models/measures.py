"""Measures: definitions, monthly values, chart annotations and phase changes."""

from __future__ import annotations

from datetime import date

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lhn_desktop.models.base import Base, Syncable, fk


class MeasureDefinition(Syncable, Base):
    __tablename__ = "measure_definition"
    __sync_entity__ = "measure_definition"

    code: Mapped[str] = mapped_column(String(60), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20), default="proportion")  # proportion, ratio, count, continuous
    chart_type: Mapped[str] = mapped_column(String(10), default="run")
    numerator: Mapped[str] = mapped_column(Text, default="")
    denominator: Mapped[str | None] = mapped_column(Text)
    lookback_days: Mapped[int | None]
    direction: Mapped[str] = mapped_column(String(10), default="up")  # up, down
    #: Target as decimal text, e.g. "80" (percent) - never a binary float.
    target: Mapped[str | None] = mapped_column(String(20))
    owner: Mapped[str] = mapped_column(String(10), default="network")  # network, center
    version: Mapped[int] = mapped_column(default=1)
    #: what a continuous measure's values are in, as the chart's axis says it ("FEV1 % predicted"); None for counts
    unit: Mapped[str | None] = mapped_column(String(60))


class MeasureValue(Syncable, Base):
    """A monthly value; its id is uuid5 of "site/measure/YYYY-MM" so two workstations make one record."""

    __tablename__ = "measure_value"
    __sync_entity__ = "measure_value"
    __table_args__ = (UniqueConstraint("measure_id", "site_code", "month"),)

    measure_id: Mapped[str] = mapped_column(fk("measure_definition.id"), index=True)
    site_code: Mapped[str] = mapped_column(String(40))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    numerator: Mapped[int]
    denominator: Mapped[int | None]
    #: continuous measures: the month's median or mean as decimal text; the counts say how many patients it covers
    value: Mapped[str | None] = mapped_column(String(20))
    #: computed, entered, network; "adjusted": computed with thresholds this center set for itself
    source: Mapped[str] = mapped_column(String(10), default="computed")


class MeasureSetting(Syncable, Base):
    """A threshold a center set for itself where the network's own is not public (the library's ``adjustable``).

    Its id is the natural id of ``measure-setting/<measure code>/<name>``, so the center's workstations share one
    record; it never travels to the network, whose values say they were counted with the center's own thresholds.
    """

    __tablename__ = "measure_setting"
    __sync_entity__ = "measure_setting"

    measure_id: Mapped[str] = mapped_column(fk("measure_definition.id"), index=True)
    name: Mapped[str] = mapped_column(String(40))
    #: the center's value as decimal text
    value: Mapped[str] = mapped_column(String(20))
    #: why the center chose it, in the team's words
    reason: Mapped[str] = mapped_column(Text)


class ChartAnnotation(Syncable, Base):
    """A note or a phase change on a measure's chart, optionally linked to a PDSA cycle."""

    __tablename__ = "chart_annotation"
    __sync_entity__ = "chart_annotation"

    measure_id: Mapped[str] = mapped_column(fk("measure_definition.id"), index=True)
    on_date: Mapped[date]
    kind: Mapped[str] = mapped_column(String(10), default="note")  # note, phase
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    pdsa_id: Mapped[str | None] = mapped_column(fk("pdsa_cycle.id"))
