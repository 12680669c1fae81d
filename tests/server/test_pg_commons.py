"""Commons search at a coordinating center on PostgreSQL (decision 49): the same words found as under SQLite's
FTS5, by PostgreSQL's full-text search (``to_tsvector``, ``to_tsquery``, GIN indexes)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import text

from lhn_desktop.access import Actor
from lhn_desktop.services.center import init_center_database
from lhn_desktop.services.commons import CommonsService, attachments_folder
from lhn_desktop.store.database import Database
from lhn_desktop.store.search import pg_tsquery

ADMIN = Actor.workstation()


@pytest.fixture
def commons(pg_url: str, tmp_path: Path):
    init_center_database(pg_url, tmp_path / "backups", "ncc", "ImproveCareNow", network="ImproveCareNow",
                         actor=ADMIN, network_center=True, encrypt=False)  # fmt: skip
    db = Database.open(pg_url, tmp_path / "backups")
    yield CommonsService(db, attachments_folder(db.path), today=lambda: date(2026, 3, 2))
    db.close()


def _add(commons: CommonsService, **fields) -> str:
    base = {"title": "Pre-visit checklist", "kind": "tool", "summary": "A one-page checklist for nurses."}
    return commons.add_resource(ADMIN, **(base | fields))


def test_the_query_is_built_from_words_only():
    assert pg_tsquery("") is None and pg_tsquery("  ?! ") is None
    assert pg_tsquery("growth 'chart") == "'growth' & 'chart':*"
    assert pg_tsquery("a & !b | c:*") == "'a' & 'b' & 'c':*"


def test_search_finds_words_in_title_summary_tags_body_and_text_attachments(commons: CommonsService, tmp_path: Path):
    notes = tmp_path / "notes.txt"
    notes.write_text("The stadiometer moved to the check-in room.\x00", encoding="utf-8")
    a = _add(commons, title="Huddle sheet", tags="planning, huddle")
    b = _add(commons, title="Growth at check-in", kind="change_idea", summary="Measure height first.",
             attachment=notes)  # fmt: skip
    c = _add(commons, title="Transition letter", kind="story", summary="Moving to adult care", body="Huddles")
    ids = lambda words, **kw: [r.id for r in commons.search(words, **kw)]  # noqa: E731
    assert ids("huddle") == [a, c]  # stemmed (huddles), and a word in the title ranks above one in the body
    assert ids("stadiometer") == [b]  # only in the attachment's text
    assert ids("adult care") == [c]
    assert ids("measur") == [b]  # the last word is a prefix
    assert ids("check", kind="change_idea") == [b]
    assert set(ids("")) >= {a, b, c}
    assert ids("nothing-like-this") == []
    assert ids("a & !b | c:*") == []  # operators typed are words, not syntax
    with commons.db.read() as s:  # the words are found through the GIN index once the planner may not scan
        s.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(s.execute(text("EXPLAIN SELECT id FROM resource WHERE (setweight(to_tsvector('english', "
                                        "title), 'A') || setweight(to_tsvector('english', coalesce(tags, '')), 'B') "
                                        "|| setweight(to_tsvector('english', coalesce(summary, '')), 'C') || "
                                        "setweight(to_tsvector('english', coalesce(body, '')), 'D')) @@ "
                                        "to_tsquery('english', 'huddl')")).scalars())  # fmt: skip
    assert "ix_resource_search" in plan
