"""the clinic's phone number, printed on the visit summary

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 03:10:00

``site.clinic_phone``: the number families call with questions between visits, a center setting printed on
the visit summary. It travels between the center's workstations and stays home (never in a network bundle).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("site") as batch:
        batch.add_column(sa.Column("clinic_phone", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("site") as batch:
        batch.drop_column("clinic_phone")
