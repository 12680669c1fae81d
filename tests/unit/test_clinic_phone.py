"""The clinic's phone number: a center setting that closes every visit summary and never leaves the center."""

from __future__ import annotations

import pytest

from lhn_desktop.errors import ValidationError
from lhn_desktop.services.center import center_info, set_clinic_phone
from lhn_desktop.services.sync import SyncService
from lhn_desktop.store.database import Database
from tests.unit.test_goals import goals, patient_id, summary_lines  # noqa: F401 (fixtures)


def test_the_visit_summary_tells_families_whom_to_call(goals, demo_db: Database, patient_id, admin, tmp_path,  # noqa: F811
                                                        monkeypatch) -> None:  # fmt: skip
    assert not [x for x in summary_lines(goals, admin, patient_id, tmp_path, monkeypatch) if "Call " in x]
    info = set_clinic_phone(demo_db, admin, "  (614) 555-0100   ext 2 ")
    assert info.clinic_phone == "(614) 555-0100 ext 2" == center_info(demo_db).clinic_phone
    lines = summary_lines(goals, admin, patient_id, tmp_path, monkeypatch)
    (ask,) = [x for x in lines if x.startswith("Questions")]
    assert ask.endswith(f"Call {info.site_name} at (614) 555-0100 ext 2.")
    assert set_clinic_phone(demo_db, admin, "").clinic_phone is None  # cleared


@pytest.mark.parametrize("typed", ["call the front desk", "614-555-0100; DROP", "1" * 41])
def test_a_number_that_is_not_a_phone_number_is_refused_and_the_old_one_kept(demo_db: Database, admin, typed) -> None:
    set_clinic_phone(demo_db, admin, "614 555 0100")
    with pytest.raises(ValidationError) as caught:
        set_clinic_phone(demo_db, admin, typed)
    assert caught.value.field == "clinic_phone" and "digits, spaces" in caught.value.message
    assert center_info(demo_db).clinic_phone == "614 555 0100"


def test_the_clinic_phone_stays_home(demo_db: Database, admin) -> None:
    set_clinic_phone(demo_db, admin, "614 555 0100")
    sync = SyncService(demo_db)
    network = sync._outgoing("ncc")
    assert "clinic_phone" not in {r["field"] for r in network.get("site", [])}
    center = [r for entity, rows in sync._batches("center", "demo-ibd", None) if entity == "site" for r in rows]
    assert "clinic_phone" in {r["field"] for r in center}  # its workstations
