"""Corrections travel between a center's workstations like any edit; two disagreeing corrections are a conflict."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from lhn_desktop.models.patients import Observation
from lhn_desktop.services.corrections import CorrectionService
from lhn_desktop.services.patients import PatientService
from lhn_desktop.services.registry import RegistryService
from lhn_desktop.services.sync_review import SyncReviewService
from lhn_desktop.services.visits import ValueInput, VisitInput, VisitService
from tests.sync.test_apply import ADMIN, open_pair, send
from tests.unit.test_visits import CROHN, DAY, TODAY


@pytest.fixture
def pair(center_path: Path, tmp_path: Path):
    a, b = open_pair(center_path, tmp_path)
    yield a, b
    a.close()
    b.close()


def recorded_crp(db) -> tuple[str, str]:
    pid = RegistryService(db, today=lambda: TODAY).add(ADMIN, CROHN).patient_id
    VisitService(db, today=lambda: TODAY).record(ADMIN, VisitInput(pid, DAY, values=(ValueInput("CRP", "12"),)))
    with db.read() as s:
        return pid, s.scalars(select(Observation.id)).one()


def shown_value(db, observation_id: str) -> tuple[str, bool]:
    with db.read() as s:
        o = s.get(Observation, observation_id)
        return o.value, o.has_conflict


def test_a_correction_and_its_history_reach_the_other_workstation(pair, tmp_path: Path):
    a, b = pair
    pid, crp = recorded_crp(a)
    send(a, b, tmp_path / "s1")
    assert shown_value(b, crp) == ("12", False)
    CorrectionService(a, today=lambda: TODAY).correct_observation(ADMIN, crp, "1.2", "Lab reported mg/dL",
                                                                 unit="mg/dL")  # fmt: skip
    send(a, b, tmp_path / "s2")
    assert shown_value(b, crp) == ("12.0", False)
    (entry,) = CorrectionService(b, today=lambda: TODAY).history(ADMIN, pid, crp)
    assert (entry.old_value, entry.new_value, entry.reason) == ("12 mg/L", "12.0 mg/L", "Lab reported mg/dL")
    row = next(o for o in PatientService(b, today=lambda: TODAY).get(ADMIN, pid).observations if o.id == crp)
    assert row.corrected and row.original == "1.2 mg/dL"


def test_concurrent_corrections_on_two_workstations_are_listed_as_a_conflict(pair, tmp_path: Path):
    a, b = pair
    pid, crp = recorded_crp(a)
    send(a, b, tmp_path / "s1")
    CorrectionService(a, today=lambda: TODAY).correct_observation(ADMIN, crp, "1.2", "mg/dL on the report",
                                                                 unit="mg/dL", accept_warnings=True)  # fmt: skip
    CorrectionService(b, today=lambda: TODAY).correct_observation(ADMIN, crp, "21", "Digits swapped")
    send(a, b, tmp_path / "s2")
    send(b, a, tmp_path / "s3")
    for db in (a, b):
        conflicts = [c for c in SyncReviewService(db).conflicts(ADMIN) if c.record_id == crp]
        assert {(c.entity, c.field) for c in conflicts} == {("observation", "value")}
        assert {v.text for v in conflicts[0].values} == {"12.0", "21"}
        history = CorrectionService(db, today=lambda: TODAY).history(ADMIN, pid, crp)
        assert {h.reason for h in history} == {"mg/dL on the report", "Digits swapped"}
        assert all(h.in_conflict for h in history)
    # the team picks one; the choice travels and the conflict is gone on both
    choice = next(v for v in SyncReviewService(a).conflicts(ADMIN)[0].values if v.text == "21")
    SyncReviewService(a).resolve(ADMIN, "observation", crp, "value", choice.value)
    send(a, b, tmp_path / "s4")
    assert shown_value(a, crp) == ("21", False) == shown_value(b, crp)
    row = next(o for o in PatientService(a, today=lambda: TODAY).get(ADMIN, pid).observations if o.id == crp)
    assert row.original is None  # "1.2 mg/dL" no longer gives the value shown, so it is not offered as the original
