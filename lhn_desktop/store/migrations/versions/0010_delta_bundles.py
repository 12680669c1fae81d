"""delta bundles: what each workstation holds of the others' versions, and what its peers said they hold

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 05:00:00

``sync_known``: per other workstation, the highest dot up to which this one holds its versions. ``sync_peer``:
per workstation heard from, the versions it said it holds (the start of the next delta bundle to it). A partial
index on ``sync_value`` holds the delete marker every record has (one row a record), so the Sync page finds the records
not displayed without reading every version. Both tables start
empty, so the first bundle each way after the upgrade carries everything, as before (docs/sync.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_DELETED = sa.text("field = '_deleted'")


def upgrade() -> None:
    op.create_table(
        "sync_known",
        sa.Column("node_id", sa.String(length=40), nullable=False),
        sa.Column("site", sa.String(length=40), nullable=False),
        sa.Column("dot", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_sync_known")),
    )
    op.create_table(
        "sync_peer",
        sa.Column("node_id", sa.String(length=40), nullable=False),
        sa.Column("site", sa.String(length=40), nullable=False),
        sa.Column("known_json", sa.Text(), nullable=False),
        sa.Column("heard_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("node_id", name=op.f("pk_sync_peer")),
    )
    op.create_index("ix_sync_value_deleted", "sync_value", ["entity", "record_id"], unique=False,
                    sqlite_where=_DELETED, postgresql_where=_DELETED)  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_sync_value_deleted", table_name="sync_value", sqlite_where=_DELETED, postgresql_where=_DELETED)
    op.drop_table("sync_peer")
    op.drop_table("sync_known")
