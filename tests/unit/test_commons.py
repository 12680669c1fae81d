"""The commons: full-text search, adopt and adapt with provenance, attachments (cap and hash), engagement."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from lhn_desktop.errors import LhnError, NotFound, ValidationError
from lhn_desktop.services import commons as commons_module
from lhn_desktop.services.commons import CommonsService, attachments_folder, fts_query
from lhn_desktop.services.team import TeamService
from lhn_desktop.store.database import Database
from tests.conftest import DEMO_TODAY


@pytest.fixture
def commons(db: Database) -> CommonsService:
    return CommonsService(db, attachments_folder(db.path), today=lambda: DEMO_TODAY)


def _add(commons, admin, **fields) -> str:
    base = {"title": "Pre-visit checklist", "kind": "tool", "summary": "A one-page checklist for nurses."}
    return commons.add_resource(admin, **(base | fields))


def test_query_building_is_safe():
    assert fts_query("") is None and fts_query("  ?! ") is None
    assert fts_query('growth "chart') == '"growth" AND "chart"*'
    assert fts_query("NEAR(a b)") == '"NEAR" AND "a" AND "b"*'


def test_search_finds_words_in_title_summary_tags_body_and_text_attachments(commons, admin, tmp_path: Path):
    notes = tmp_path / "notes.txt"
    notes.write_text("The stadiometer moved to the check-in room.", encoding="utf-8")
    a = _add(commons, admin, title="Huddle sheet", tags="planning, huddle")
    b = _add(commons, admin, title="Growth at check-in", kind="change_idea", summary="Measure height first.",
             attachment=notes)  # fmt: skip
    c = _add(commons, admin, title="Transition letter", kind="story", summary="Moving to adult care", body="Écoles")
    ids = lambda words, **kw: [r.id for r in commons.search(words, **kw)]  # noqa: E731
    assert ids("huddle") == [a]
    assert ids("stadiometer") == [b]  # only in the attachment's text
    assert ids("adult care") == [c]
    assert ids("ecoles") == [c]  # accents folded
    assert ids("measur") == [b]  # the last word is a prefix
    assert ids("check", kind="change_idea") == [b]
    assert set(ids("")) >= {a, b, c}
    assert ids("nothing-like-this") == []


def test_adopt_and_adapt_keep_provenance(commons, admin):
    origin = _add(commons, admin, title="Flu reminder card")
    commons.adopt(admin, origin, "Using it in Clinic B")
    copy = commons.adapt(admin, origin, title="Flu reminder card (Spanish)", what_changed="Translated to Spanish")
    detail = commons.get(copy)
    assert detail.adapted_from is not None and detail.adapted_from.id == origin
    assert detail.what_changed == "Translated to Spanish"
    assert "Adapted: Translated to Spanish" in detail.row.summary
    original = commons.get(origin)
    assert original.row.adoptions == 1 and [a.id for a in original.adaptations] == [copy]
    with pytest.raises(ValidationError):
        commons.adapt(admin, origin, title="x", what_changed=" ")


def test_attachment_cap_and_hash_check(commons, admin, tmp_path: Path, monkeypatch):
    monkeypatch.setattr(commons_module, "ATTACHMENT_MAX_BYTES", 100)
    big = tmp_path / "big.pdf"
    big.write_bytes(b"x" * 101)
    with pytest.raises(ValidationError, match="at most"):
        _add(commons, admin, attachment=big)
    small = tmp_path / "form.pdf"
    small.write_bytes(b"%PDF small form")
    rid = _add(commons, admin, attachment=small)
    assert commons.attachment(rid) == ("form.pdf", b"%PDF small form")
    stored = commons.files.path(commons.get(rid).attachment_sha256)
    assert stored.read_bytes() == b"%PDF small form"  # plain beside a plain database, stored under its hash
    saved = commons.save_attachment(rid, tmp_path / "copy.pdf")
    assert saved.read_bytes() == b"%PDF small form"
    with pytest.raises(LhnError, match="could not be saved"):
        commons.save_attachment(rid, tmp_path / "no such folder" / "copy.pdf")
    stored.write_bytes(b"%PDF tampered")
    with pytest.raises(LhnError, match="does not match"):
        commons.attachment(rid)
    with pytest.raises(NotFound):
        _add(commons, admin, attachment=tmp_path / "missing.pdf")


def test_refusals_and_new_versions(commons, admin):
    with pytest.raises(ValidationError):
        _add(commons, admin, kind="poster")
    with pytest.raises(ValidationError):
        _add(commons, admin, summary=" ")
    with pytest.raises(ValidationError):
        _add(commons, admin, contributor_role="celebrity")
    first = _add(commons, admin)
    second = _add(commons, admin, title="Pre-visit checklist v2", supersedes_id=first)
    assert commons.get(second).version == 2


def test_engagement_and_profile_cards(commons, db, admin):
    team = TeamService(db)
    nurse = team.actor_for(team.add_member(admin, "Casey Nurse", "nurse").id)
    parent = team.actor_for(team.add_member(admin, "Pat Parent", "parent_partner").id)
    rid = commons.add_resource(
        parent, title="Parent tips", kind="story", summary="What helped us", contributor_role="parent"
    )
    commons.adopt(nurse, rid)
    month = f"{date.today():%Y-%m}"
    figures = {m.month: m for m in commons.engagement([month])}[month]
    assert figures.people == {"ownership": {"parent_partner": 1}, "participation": {"nurse": 1}}
    cards = {c.name: c for c in commons.profile_cards()}
    assert cards["Pat Parent"].produced == 1 and cards["Casey Nurse"].adopted == 1


def test_share_a_pdsa_cycle_in_one_step(demo_db, admin):
    from lhn_desktop.services.improvement import ImprovementService
    from lhn_desktop.services.overview import OverviewService

    commons = CommonsService(demo_db, attachments_folder(demo_db.path), today=lambda: DEMO_TODAY)
    goal = next(g for g in OverviewService(demo_db).improvement() if g.cycles)
    cycle = ImprovementService(demo_db).goal(goal.id).cycles[0]
    rid = commons.share_pdsa(admin, cycle.id)
    detail = commons.get(rid)
    assert detail.row.kind == "pdsa_writeup" and cycle.title in detail.row.title
    assert rid in [r.id for r in commons.search(cycle.title.split()[0])]


def test_an_older_database_is_upgraded_and_indexed(center_path: Path, tmp_path: Path, admin):
    """A center at schema 0001 gets the search index when it is opened."""
    import sqlite3

    from tests.unit.test_migration_0003 import downgrade_file

    downgrade_file(center_path, "0001")  # the migrations' own downgrades
    with sqlite3.connect(center_path) as raw:
        tables = {r[0] for r in raw.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "resource_fts" not in tables and "correction" not in tables
    db = Database.open(center_path, tmp_path / "backups")
    try:
        commons = CommonsService(db, attachments_folder(db.path))
        rid = _add(commons, admin, title="Transition readiness checklist")
        assert [r.id for r in commons.search("readiness")] == [rid]
        assert list((tmp_path / "backups").glob("*.sqlite3"))  # backed up before the upgrade
    finally:
        db.close()
