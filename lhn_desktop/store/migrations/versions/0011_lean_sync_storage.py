"""lean sync storage: field versions kept in their primary key's own tree, and trivial version vectors not repeated

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 05:30:00

``sync_value`` was a rowid table whose primary-key index repeated entity, record, field, workstation and dot (a
third of a center's file); on SQLite it is now a ``WITHOUT ROWID`` table, so the primary key is the table. A version
vector that names only the version itself (``{workstation: dot}``, nearly every one) is stored as NULL
(``store.capture.stored_vv``); decision 51. The file shrinks after the next compaction (``VACUUM``), which the
upgrade runs on SQLite after it has committed.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_DELETED = sa.text("field = '_deleted'")
_TRIVIAL = "vv_json = '{\"' || node || '\":' || dot || '}'"


def _rebuild(*, with_rowid: bool, vv_nullable: bool) -> None:
    """On SQLite the table is made again (with or without a rowid); on a server only the column changes."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    kwargs = {"sqlite_with_rowid": with_rowid} if sqlite else {}
    with op.batch_alter_table("sync_value", recreate="always" if sqlite else "auto", table_kwargs=kwargs) as batch:
        batch.alter_column("vv_json", existing_type=sa.Text(), nullable=vv_nullable)


def upgrade() -> None:
    op.drop_index("ix_sync_value_deleted", table_name="sync_value", sqlite_where=_DELETED, postgresql_where=_DELETED)
    _rebuild(with_rowid=False, vv_nullable=True)
    op.execute(f"UPDATE sync_value SET vv_json = NULL WHERE {_TRIVIAL}")
    op.create_index("ix_sync_value_deleted", "sync_value", ["entity", "record_id"], unique=False,
                    sqlite_where=_DELETED, postgresql_where=_DELETED)  # fmt: skip


def downgrade() -> None:
    op.execute("UPDATE sync_value SET vv_json = '{\"' || node || '\":' || dot || '}' WHERE vv_json IS NULL")
    op.drop_index("ix_sync_value_deleted", table_name="sync_value", sqlite_where=_DELETED, postgresql_where=_DELETED)
    _rebuild(with_rowid=True, vv_nullable=False)
    op.create_index("ix_sync_value_deleted", "sync_value", ["entity", "record_id"], unique=False,
                    sqlite_where=_DELETED, postgresql_where=_DELETED)  # fmt: skip
