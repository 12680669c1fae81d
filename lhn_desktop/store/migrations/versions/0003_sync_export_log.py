"""a log of exported bundles

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:50:00

What this workstation exported, to whom, up to which clock value, and any attestation given to
override the free-text warning of a network export. Local; not synced.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sync_export_log",
        sa.Column("bundle_id", sa.String(length=36), nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("audience", sa.String(length=40), nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("hlc_max", sa.String(length=19), nullable=False),
        sa.Column("exported_at", sa.DateTime(), nullable=False),
        sa.Column("exported_by", sa.String(length=200), nullable=True),
        sa.Column("counts_json", sa.Text(), nullable=False),
        sa.Column("attestation", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("bundle_id", name=op.f("pk_sync_export_log")),
    )


def downgrade() -> None:
    op.drop_table("sync_export_log")
