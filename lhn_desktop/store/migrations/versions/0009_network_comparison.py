"""what the coordinating center sends back: network aggregates, coded center values, a center's choice to be named

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 02:30:00

``network_value``: per measure and month, the network's pooled rate, median and quartiles of centers, and each
center's counts under a stable code, after small-cell suppression; written by the coordinating center only.
``center_code``: the stable numbers, kept at the coordinating center. ``site.named_in_network``: a center chose
to be shown by name (docs/decisions.md, decision 47).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _syncable() -> list[sa.Column]:
    return [
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_site_id", sa.String(length=40), nullable=False),
        sa.Column("has_conflict", sa.Boolean(), nullable=False),
    ]


def upgrade() -> None:
    with op.batch_alter_table("site") as batch:
        batch.add_column(sa.Column("named_in_network", sa.Boolean(), server_default="0", nullable=False))
    op.create_table(
        "network_value",
        sa.Column("measure_id", sa.String(length=36), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("about_site", sa.String(length=40), nullable=True),
        sa.Column("center", sa.String(length=200), nullable=True),
        sa.Column("numerator", sa.Integer(), nullable=True),
        sa.Column("denominator", sa.Integer(), nullable=True),
        sa.Column("rate", sa.String(length=20), nullable=True),
        sa.Column("median", sa.String(length=20), nullable=True),
        sa.Column("q1", sa.String(length=20), nullable=True),
        sa.Column("q3", sa.String(length=20), nullable=True),
        sa.Column("centers", sa.Integer(), nullable=True),
        *_syncable(),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measure_definition.id"], name=op.f("fk_network_value_measure_id_measure_definition"),
            initially="DEFERRED", deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_network_value")),
        sa.UniqueConstraint(
            "measure_id", "month", "about_site", name=op.f("uq_network_value_measure_id_month_about_site")
        ),
    )  # fmt: skip
    with op.batch_alter_table("network_value") as batch:
        batch.create_index(batch.f("ix_network_value_measure_id"), ["measure_id"], unique=False)
        batch.create_index(batch.f("ix_network_value_owner_site_id"), ["owner_site_id"], unique=False)
    op.create_table(
        "center_code",
        sa.Column("site_code", sa.String(length=40), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        *_syncable(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_center_code")),
        sa.UniqueConstraint("site_code", name=op.f("uq_center_code_site_code")),
        sa.UniqueConstraint("number", name=op.f("uq_center_code_number")),
    )
    with op.batch_alter_table("center_code") as batch:
        batch.create_index(batch.f("ix_center_code_owner_site_id"), ["owner_site_id"], unique=False)


def downgrade() -> None:
    op.drop_table("center_code")
    op.drop_table("network_value")
    with op.batch_alter_table("site") as batch:
        batch.drop_column("named_in_network")
