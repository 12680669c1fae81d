"""The commons' full-text index on PostgreSQL (decision 49); SQLite's is the FTS5 table of migration 0002.

On PostgreSQL a resource's words are an expression GIN index on the ``resource`` row itself (title, tags, summary
and body, weighted in that order, as bm25's weights rank them under SQLite), and the text of a text attachment,
which only this database holds, is a row of ``resource_fts`` with a GIN index of its own. The expressions here are
the ones the indexes were made with, so that a search uses them.
"""

from __future__ import annotations

import re

from sqlalchemy import text

#: the text search configuration: English stemming, as the porter tokenizer under SQLite (accents are not folded)
PG_CONFIG = "english"
PG_RESOURCE_DOCUMENT = (
    f"setweight(to_tsvector('{PG_CONFIG}', title), 'A') || "
    f"setweight(to_tsvector('{PG_CONFIG}', coalesce(tags, '')), 'B') || "
    f"setweight(to_tsvector('{PG_CONFIG}', coalesce(summary, '')), 'C') || "
    f"setweight(to_tsvector('{PG_CONFIG}', coalesce(body, '')), 'D')"
)
PG_ATTACHMENT_DOCUMENT = f"to_tsvector('{PG_CONFIG}', attachment)"
#: the indexes migration 0002 makes on PostgreSQL; the models do not describe them (``migrate.include_name``)
PG_SEARCH_INDEXES = ("ix_resource_search",)

_WORD = re.compile(r"\w+", re.UNICODE)


def pg_tsquery(words: str) -> str | None:
    """A safe ``to_tsquery`` text from what a person typed: every word must match, the last one as a prefix (as
    the FTS5 query under SQLite). Words are runs of letters and digits, quoted, so nothing typed is an operator."""
    tokens = _WORD.findall(words or "")
    if not tokens:
        return None
    return " & ".join([f"'{t}'" for t in tokens[:-1]] + [f"'{tokens[-1]}':*"])


def pg_ranked_search_sql() -> str:
    """The resources matching ``:query`` (a :func:`pg_tsquery`), with a rank where lower is better (as bm25's).

    Column names are left unqualified: only ``resource`` has the title, tags, summary and body and only
    ``resource_fts`` the attachment's words, and the expressions stay exactly those of the indexes."""
    q = f"to_tsquery('{PG_CONFIG}', :query)"
    return (
        f"SELECT resource.id AS resource_id, -(ts_rank({PG_RESOURCE_DOCUMENT}, {q}) + "
        f"coalesce(ts_rank(setweight({PG_ATTACHMENT_DOCUMENT}, 'D'), {q}), 0)) AS rank "
        "FROM resource LEFT JOIN resource_fts ON resource_fts.resource_id = resource.id "
        f"WHERE ({PG_RESOURCE_DOCUMENT}) @@ {q} OR {PG_ATTACHMENT_DOCUMENT} @@ {q}"
    )


def index_attachment_words(session, resource_id: str, words: str) -> None:
    """Put the text of a resource's attachment into the search index, in the session's transaction. Under SQLite
    the triggers made the resource's index row; on a server the row is made here, or replaced."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE resource_fts SET attachment = :t WHERE resource_id = :id"),
                        {"t": words, "id": resource_id})  # fmt: skip
    else:  # PostgreSQL's text holds no NUL character, which a text file may
        words = words.replace("\x00", " ")
        session.execute(text("INSERT INTO resource_fts (resource_id, attachment) VALUES (:id, :t) "
                             "ON CONFLICT (resource_id) DO UPDATE SET attachment = excluded.attachment"),
                        {"t": words, "id": resource_id})  # fmt: skip
