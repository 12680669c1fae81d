"""a team member's sign-in secret (PIN or passphrase), as a slow hash

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 03:20:00

``team_member.secret_hash``: scrypt of the member's PIN or passphrase with its own salt
(``services/team.py``), never the secret. It travels between the center's workstations, so a PIN set on
one works on the others; team members never travel in network bundles.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("team_member") as batch:
        batch.add_column(sa.Column("secret_hash", sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("team_member") as batch:
        batch.drop_column("secret_hash")
