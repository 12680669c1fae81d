"""One limit on how long a synced text may be, agreed by entry and the bundle reader: nothing is stored that a
bundle could not carry to the other end."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from lhn_desktop.errors import ValidationError
from lhn_desktop.models.patients import Patient
from lhn_desktop.services.commons import CommonsService, attachments_folder
from lhn_desktop.services.schedule import ScheduleService
from lhn_desktop.store import versions
from lhn_desktop.store.database import Database
from lhn_desktop.store.limits import MAX_TEXT
from lhn_desktop.sync import bundle
from tests.conftest import DEMO_TODAY


def _versions(db: Database) -> int:
    with db.read() as s:
        return versions.count(s)


def test_the_bundle_reader_and_entry_agree_on_the_limit() -> None:
    assert bundle.MAX_STRING == MAX_TEXT


def test_a_commons_summary_past_the_limit_is_refused_by_name_and_nothing_is_stored(db: Database, admin) -> None:
    commons = CommonsService(db, attachments_folder(db.path), today=lambda: DEMO_TODAY)
    before = _versions(db)
    secret = "Zebediah " + "x" * 150_000
    with pytest.raises(ValidationError) as caught:
        commons.add_resource(admin, title="Long", kind="tool", summary=secret)
    assert "summary of this resource is 150,009 characters long; a field holds at most 100,000" in caught.value.message
    assert "Zebediah" not in caught.value.message and caught.value.field == "summary"
    assert _versions(db) == before
    commons.add_resource(admin, title="Exactly", kind="tool", summary="y" * MAX_TEXT)  # at the limit: kept
    assert _versions(db) > before


def test_a_clinician_name_past_the_limit_is_refused_on_a_visit(demo_db: Database, admin) -> None:
    schedule = ScheduleService(demo_db, today=lambda: DEMO_TODAY)
    with demo_db.read() as s:
        pid = s.scalar(select(Patient.id).limit(1))
    before = _versions(demo_db)
    with pytest.raises(ValidationError, match="clinician of this visit is 120,000 characters long"):
        schedule.add_visit(admin, pid, date(2026, 6, 1), "09:00", "c" * 120_000, "Follow-up")
    assert _versions(demo_db) == before
