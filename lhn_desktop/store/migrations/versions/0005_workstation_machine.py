"""the computer a workstation's database belongs to

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 19:10:00

``local_node.machine`` holds a one-way digest of the computer's identity where the database was set up
(or first opened after this upgrade). A database opened on another computer is a copy: it gets a new
workstation id and key before anything is written (SYNC.md 1.1; docs/decisions.md). Local; never synced.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("local_node") as batch:
        batch.add_column(sa.Column("machine", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("local_node") as batch:
        batch.drop_column("machine")
