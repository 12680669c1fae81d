"""What the network coordinating center sends back to the centers: aggregates and coded center values."""

from __future__ import annotations

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lhn_desktop.models.base import Base, Syncable, fk


class NetworkValue(Syncable, Base):
    """One month of one measure as the network shows it, written by the coordinating center only.

    The network's own row (``center`` None) holds the pooled counts and rate, and the median and quartiles of the
    centers' rates (or values, for a continuous measure) with how many centers reported. A center's row holds its
    counts under its stable code ("Center 17"), or its name when it chose to be named. Counts hidden by small-cell
    suppression are None, never 0. Its id is the natural id of ``network-value/<measure>/<month>/<about>``.
    """

    __tablename__ = "network_value"
    __sync_entity__ = "network_value"
    __table_args__ = (UniqueConstraint("measure_id", "month", "about_site"),)

    measure_id: Mapped[str] = mapped_column(fk("measure_definition.id"), index=True)
    month: Mapped[str] = mapped_column(String(7))
    #: which center the row is about (its site code; "" for the network's row); stays at the coordinating center,
    #: so at a center it is empty (None)
    about_site: Mapped[str | None] = mapped_column(String(40))
    #: as the centers see it: None for the network's row, else "Center 17" or the center's chosen name
    center: Mapped[str | None] = mapped_column(String(200))
    numerator: Mapped[int | None]
    denominator: Mapped[int | None]
    #: the rate (0-1) or a continuous measure's value, as decimal text; None when hidden
    rate: Mapped[str | None] = mapped_column(String(20))
    #: the network's row: the median and quartiles of the centers' rates or values, and how many reported
    median: Mapped[str | None] = mapped_column(String(20))
    q1: Mapped[str | None] = mapped_column(String(20))
    q3: Mapped[str | None] = mapped_column(String(20))
    centers: Mapped[int | None]


class CenterCode(Syncable, Base):
    """The stable number a center is shown under ("Center 17"), given in the order centers first reported.

    It stays at the coordinating center: sent out, it would say which code is which center."""

    __tablename__ = "center_code"
    __sync_entity__ = "center_code"

    site_code: Mapped[str] = mapped_column(String(40), unique=True)
    number: Mapped[int] = mapped_column(unique=True)
