"""continuous measures and the thresholds a center sets for itself

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 02:20:00

``measure_value.value``: a continuous measure's month (the median or mean, as decimal text);
``measure_definition.unit``: what those values are in; ``measure_setting``: a threshold of a definition
a center set for itself where the network's own is not public (docs/decisions.md, decision 46).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("measure_value") as batch:
        batch.add_column(sa.Column("value", sa.String(length=20), nullable=True))
    with op.batch_alter_table("measure_definition") as batch:
        batch.add_column(sa.Column("unit", sa.String(length=60), nullable=True))
    op.create_table(
        "measure_setting",
        sa.Column("measure_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_site_id", sa.String(length=40), nullable=False),
        sa.Column("has_conflict", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["measure_id"], ["measure_definition.id"], name=op.f("fk_measure_setting_measure_id_measure_definition"),
            initially="DEFERRED", deferrable=True,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_measure_setting")),
    )  # fmt: skip
    with op.batch_alter_table("measure_setting") as batch:
        batch.create_index(batch.f("ix_measure_setting_measure_id"), ["measure_id"], unique=False)
        batch.create_index(batch.f("ix_measure_setting_owner_site_id"), ["owner_site_id"], unique=False)


def downgrade() -> None:
    op.drop_table("measure_setting")
    with op.batch_alter_table("measure_definition") as batch:
        batch.drop_column("unit")
    with op.batch_alter_table("measure_value") as batch:
        batch.drop_column("value")
