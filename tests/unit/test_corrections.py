"""Corrections: a new value with its history, entered in error and back, index items, medicines, removing a visit."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from lhn_desktop.access import Actor
from lhn_desktop.errors import NeedsConfirmation, NotFound, PermissionDenied, ValidationError
from lhn_desktop.models.patients import ClinicalEvent, Medication, Observation, Visit
from lhn_desktop.models.sync import AuditEvent
from lhn_desktop.models.team import Role
from lhn_desktop.services.corrections import CorrectionService
from lhn_desktop.services.patients import PatientService
from lhn_desktop.services.planning import PlanningService
from lhn_desktop.services.registry import RegistryService
from lhn_desktop.services.visits import EventInput, IndexInput, MedicationStart, ValueInput, VisitInput, VisitService
from lhn_desktop.store.database import Database
from tests.unit.test_visits import CROHN, DAY, QUIET, TODAY

NURSE = Actor(member_id=None, name="Casey Testwood, RN", role=Role.NURSE)
PARTNER = Actor(member_id=None, name="Jordan Mockridge", role=Role.PARENT_PARTNER)


@pytest.fixture
def recorded(db: Database, admin):
    """A Crohn patient with one recorded visit: PGA, wPCDAI from items, weight, CRP, a medicine and a vaccine."""
    today = lambda: TODAY  # noqa: E731
    pid = RegistryService(db, today=today).add(admin, CROHN).patient_id
    saved = VisitService(db, today=today).record(admin, VisitInput(
        pid, DAY,
        values=(ValueInput("PGA", "mild"), ValueInput("WEIGHT", "40.2"), ValueInput("CRP", "12"),
                ValueInput("ESR", "12"), ValueInput("ALB", "40")),
        index=IndexInput("WPCDAI", {**QUIET, "abdominal_pain": 1}),
        starts=(MedicationStart("azathioprine", "50 mg daily"),),
        events=(EventInput("immunization", "Influenza (inactivated)"),),
    ))  # fmt: skip
    with db.read() as s:
        obs = {o.code: o.id for o in s.scalars(select(Observation))}
        med = s.scalars(select(Medication.id)).one()
        event = s.scalars(select(ClinicalEvent.id)).one()
    return pid, saved.visit_id, obs, med, event


@pytest.fixture
def corrections(db: Database) -> CorrectionService:
    return CorrectionService(db, today=lambda: TODAY)


def value(db: Database, observation_id: str) -> tuple:
    with db.read() as s:
        o = s.get(Observation, observation_id)
        return o.value, o.unit, o.entered_in_error


def test_a_corrected_value_keeps_its_history_with_who_when_and_why(db, recorded, corrections, admin):
    pid, _, obs, _, _ = recorded
    corrections.correct_observation(NURSE, obs["CRP"], "1.2", "Lab reported mg/dL", unit="mg/dL")
    assert value(db, obs["CRP"]) == ("12.0", "mg/L", False)
    with pytest.raises(ValidationError, match="already recorded"):
        corrections.correct_observation(NURSE, obs["CRP"], "12.0", "again")
    (entry,) = corrections.history(admin, pid, obs["CRP"])
    assert (entry.field, entry.old_value, entry.new_value) == ("value", "12 mg/L", "12.0 mg/L")
    assert (entry.by, entry.reason, entry.what) == ("Casey Testwood, RN", "Lab reported mg/dL", "Corrected")
    with db.read() as s:
        audit = s.scalars(select(AuditEvent).where(AuditEvent.action == "corrected")).one()
    assert (audit.actor_name, audit.record_id) == ("Casey Testwood, RN", obs["CRP"])
    assert "reason: Lab reported mg/dL" in audit.fields
    detail = PatientService(db, today=lambda: TODAY).get(admin, pid)
    crp = next(o for o in detail.observations if o.code == "CRP")
    assert crp.corrected and crp.original == "1.2 mg/dL"


def test_a_correction_needs_a_reason_and_a_sensible_value(recorded, corrections):
    _, _, obs, _, _ = recorded
    with pytest.raises(ValidationError, match="Say why") as caught:
        corrections.correct_observation(NURSE, obs["WEIGHT"], "41", " ")
    assert caught.value.field == "reason"
    with pytest.raises(NeedsConfirmation):
        corrections.correct_observation(NURSE, obs["WEIGHT"], "4.1", "typo")  # a fifth of the weight: odd but possible
    with pytest.raises(ValidationError, match="by its items"):
        corrections.correct_observation(NURSE, obs["WPCDAI"], "10", "typo")
    with pytest.raises(NotFound):
        corrections.correct_observation(NURSE, "no-such-id", "1", "typo")


def test_an_index_is_corrected_by_its_items_and_the_total_follows(db, recorded, corrections, admin):
    pid, _, obs, _, _ = recorded
    assert value(db, obs["WPCDAI"])[0] == "10"
    levels = {**QUIET, "abdominal_pain": 2, "esr": 0, "albumin": 0}
    assert corrections.correct_index(admin, obs["WPCDAI"], "Pain was daily", levels=levels) == "20"
    history = corrections.history(admin, pid, obs["WPCDAI"])
    assert {(h.field, h.old_value, h.new_value) for h in history if h.field == "value"} == {("value", "10", "20")}
    items = next(h for h in history if h.field == "items")
    assert "abdominal pain 10" in items.old_value and "abdominal pain 20" in items.new_value
    corrections.correct_index(admin, obs["WPCDAI"], "Scored at the referring hospital", outside_total="35",
                              outside_source="referral letter")  # fmt: skip
    with db.read() as s:
        o = s.get(Observation, obs["WPCDAI"])
        assert (o.value, o.source, o.detail) == ("35", "outside", "referral letter")


def test_entered_in_error_leaves_everything_and_can_be_counted_again(db, recorded, corrections, admin):
    pid, _vid, obs, _, _ = recorded
    planning = PlanningService(db, today=lambda: TODAY)
    assert planning.huddle(admin, DAY).rows[0].latest_pga == "mild"
    corrections.mark_entered_in_error(NURSE, "observation", obs["PGA"], "Belongs to another patient")
    assert value(db, obs["PGA"]) == ("mild", None, True)
    row = planning.huddle(admin, DAY).rows[0]
    assert row.latest_pga is None
    assert {i.code: i.status for i in row.items}["pga"] == "Due"
    detail = PatientService(db, today=lambda: TODAY).get(admin, pid)
    assert all("PGA" not in r.values for r in detail.results)
    assert next(o for o in detail.observations if o.code == "PGA").entered_in_error
    with pytest.raises(ValidationError, match="already marked"):
        corrections.mark_entered_in_error(NURSE, "observation", obs["PGA"], "twice")
    with pytest.raises(ValidationError, match="count it again first"):
        corrections.correct_observation(NURSE, obs["PGA"], "quiescent", "fix")
    corrections.restore(admin, "observation", obs["PGA"], "It was this patient after all")
    assert planning.huddle(admin, DAY).rows[0].latest_pga == "mild"
    actions = [h.what for h in corrections.history(admin, pid, obs["PGA"])]
    assert sorted(actions) == ["Counted again", "Marked entered in error"]


def test_medicines_and_events_are_corrected_or_marked_in_error(db, recorded, corrections, admin):
    pid, _, _, med, event = recorded
    with pytest.raises(ValidationError, match="reason it was stopped"):
        corrections.correct_medication(admin, med, "Stopped the same day", stop_date=DAY)
    with pytest.raises(ValidationError, match="before the start date"):
        corrections.correct_medication(admin, med, "typo", stop_date=date(2025, 1, 1), stop_reason="x")
    corrections.correct_medication(admin, med, "Dose typed wrong", dose="75 mg daily")
    corrections.correct_event(admin, event, "Given the week before", on=date(2026, 3, 3))
    with pytest.raises(ValidationError, match="future"):
        corrections.correct_event(admin, event, "typo", on=date(2026, 3, 20))
    corrections.mark_entered_in_error(admin, "medication", med, "Never started")
    with db.read() as s:
        m = s.get(Medication, med)
        assert (m.dose, m.entered_in_error) == ("75 mg daily", True)
        assert s.get(ClinicalEvent, event).event_date == date(2026, 3, 3)
    detail = PatientService(db, today=lambda: TODAY).get(admin, pid)
    assert detail.medications[0].entered_in_error and detail.medications[0].corrected
    assert PlanningService(db, today=lambda: TODAY).huddle(admin, DAY).rows[0].medications == ()
    with pytest.raises(ValidationError, match="Corrections are for"):
        corrections.mark_entered_in_error(admin, "patient", pid, "not a value")


def test_removing_a_visit_asks_what_happens_to_its_values(db, recorded, corrections, admin):
    pid, vid, obs, _, _ = recorded
    assert corrections.visit_values(admin, vid) == 8  # 6 observations, a medicine, a vaccine
    with pytest.raises(NeedsConfirmation, match="8 values were recorded at this visit"):
        corrections.delete_visit(admin, vid, "Recorded on the wrong day")
    with db.read() as s:
        assert s.get(Visit, vid) is not None
    assert corrections.delete_visit(admin, vid, "Recorded on the wrong day", values="keep") == 8
    with db.read() as s:
        assert s.get(Visit, vid) is None
        kept = s.get(Observation, obs["PGA"])
        assert (kept.visit_id, kept.entered_in_error, kept.observed_on) == (None, False, DAY)
    (removed,) = [h for h in corrections.history(admin, pid) if h.entity == "visit"]
    assert removed.what == "Removed" and removed.old_value.startswith("2026-03-10")


def test_removing_a_visit_can_mark_its_values_entered_in_error(db, recorded, corrections, admin):
    _pid, vid, _obs, med, event = recorded
    corrections.delete_visit(admin, vid, "Wrong patient's visit", values="entered_in_error")
    with db.read() as s:
        assert all(o.entered_in_error and o.visit_id is None for o in s.scalars(select(Observation)))
        assert s.get(Medication, med).entered_in_error and s.get(ClinicalEvent, event).entered_in_error
    with pytest.raises(ValidationError, match="keep the visit's values"):
        corrections.delete_visit(admin, "any", "x" * 5, values="shred")


def test_partners_are_refused_by_every_correction_call(recorded, corrections):
    pid, vid, obs, med, event = recorded
    calls = [
        lambda: corrections.check_observation(PARTNER, obs["CRP"], "1"),
        lambda: corrections.correct_observation(PARTNER, obs["CRP"], "1", "why not"),
        lambda: corrections.correct_index(PARTNER, obs["WPCDAI"], "why not", levels=QUIET),
        lambda: corrections.correct_medication(PARTNER, med, "why not", dose="1 mg"),
        lambda: corrections.correct_event(PARTNER, event, "why not", result="x"),
        lambda: corrections.mark_entered_in_error(PARTNER, "observation", obs["CRP"], "why not"),
        lambda: corrections.restore(PARTNER, "observation", obs["CRP"], "why not"),
        lambda: corrections.visit_values(PARTNER, vid),
        lambda: corrections.delete_visit(PARTNER, vid, "why not", values="keep"),
        lambda: corrections.history(PARTNER, pid),
        lambda: corrections.corrected_ids(PARTNER, pid),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
