"""full-text search over the commons

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 12:05:00

A local FTS5 index of resources (title, summary, tags, body, and the text of a text attachment),
kept in step by triggers, so resources that arrive by sync are indexed too. The index is not synced.

On PostgreSQL (the coordinating center's server, decision 49) an expression GIN index on ``resource`` indexes its
words, and ``resource_fts`` keeps only the text of text attachments, with a GIN index of its own.
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgresql()
        return
    op.execute(
        "CREATE VIRTUAL TABLE resource_fts USING fts5("
        "resource_id UNINDEXED, title, summary, tags, body, attachment, "
        "tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    op.execute(
        "CREATE TRIGGER resource_fts_insert AFTER INSERT ON resource BEGIN "
        "INSERT INTO resource_fts (resource_id, title, summary, tags, body, attachment) "
        "VALUES (new.id, new.title, new.summary, coalesce(new.tags, ''), coalesce(new.body, ''), ''); END"
    )
    op.execute(
        "CREATE TRIGGER resource_fts_update AFTER UPDATE ON resource BEGIN "
        "UPDATE resource_fts SET title = new.title, summary = new.summary, tags = coalesce(new.tags, ''), "
        "body = coalesce(new.body, '') WHERE resource_id = new.id; END"
    )
    op.execute(
        "CREATE TRIGGER resource_fts_delete AFTER DELETE ON resource BEGIN "
        "DELETE FROM resource_fts WHERE resource_id = old.id; END"
    )
    op.execute(
        "INSERT INTO resource_fts (resource_id, title, summary, tags, body, attachment) "
        "SELECT id, title, summary, coalesce(tags, ''), coalesce(body, ''), '' FROM resource"
    )


def _upgrade_postgresql() -> None:
    from lhn_desktop.store.search import PG_ATTACHMENT_DOCUMENT, PG_RESOURCE_DOCUMENT

    op.execute(
        "CREATE TABLE resource_fts (resource_id VARCHAR(36) PRIMARY KEY REFERENCES resource (id) ON DELETE CASCADE, "
        "attachment TEXT NOT NULL DEFAULT '')"
    )
    op.execute(f"CREATE INDEX ix_resource_fts_search ON resource_fts USING gin (({PG_ATTACHMENT_DOCUMENT}))")
    op.execute(f"CREATE INDEX ix_resource_search ON resource USING gin (({PG_RESOURCE_DOCUMENT}))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_resource_search")
        op.execute("DROP TABLE IF EXISTS resource_fts")
        return
    for trigger in ("resource_fts_insert", "resource_fts_update", "resource_fts_delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.execute("DROP TABLE IF EXISTS resource_fts")
