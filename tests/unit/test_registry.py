"""The patient registry: registering, checking, editing with history, status and its date, partners refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from lhn_desktop.access import Actor
from lhn_desktop.errors import NeedsConfirmation, NotFound, PermissionDenied, ValidationError
from lhn_desktop.models.patients import Correction, Patient
from lhn_desktop.models.team import Role
from lhn_desktop.services.registry import (
    PatientInput,
    RegistryService,
    classification_text,
    clean_patient,
    paris_age,
)
from lhn_desktop.store.database import Database

TODAY = date(2026, 3, 10)
PARTNER = Actor(member_id=None, name="Jordan Mockridge", role=Role.PARENT_PARTNER)
ADA = PatientInput(
    mrn="0012345", given_name="Ada", family_name="Testwood", birth_date=date(2012, 6, 1), sex="female",
    diagnosis="Crohn disease", diagnosis_date=date(2023, 9, 14), paris_location="L3", paris_upper_gi="L4a",
    paris_behaviour="B2", paris_perianal=True, paris_growth="G0", phone="555-0101", preferred_language="Spanish",
)  # fmt: skip


@pytest.fixture
def registry(db: Database) -> RegistryService:
    return RegistryService(db, today=lambda: TODAY)


def stored(db: Database, patient_id: str) -> Patient:
    with db.read() as s:
        p = s.get(Patient, patient_id)
        s.expunge(p)
        return p


def test_a_crohn_patient_is_registered_with_the_paris_classification(db, registry, admin):
    saved = registry.add(admin, ADA)
    p = stored(db, saved.patient_id)
    assert (p.mrn, p.given_name, p.family_name, p.sex, p.diagnosis) == ("0012345", "Ada", "Testwood", "female",
                                                                        "Crohn disease")  # fmt: skip
    assert p.disease_classification == "A1b L3 L4a B2p G0"  # 11 years old at diagnosis
    assert (p.status, p.status_date, p.active, p.preferred_language) == ("active", None, True, "Spanish")
    assert registry.find_mrn(admin, " 0012345 ") == saved.patient_id
    assert registry.form(admin, saved.patient_id) == ADA


def test_the_classification_text_needs_the_whole_classification():
    assert paris_age(date(2012, 6, 1), date(2022, 5, 31)) == "A1a"  # the day before the 10th birthday
    assert paris_age(date(2012, 6, 1), date(2022, 6, 1)) == "A1b"
    assert paris_age(date(2000, 6, 1), date(2017, 6, 1)) == "A2"
    assert paris_age(date(1970, 1, 1), date(2011, 1, 1)) == "A3"
    assert paris_age(date(2012, 6, 1), None) is None
    assert classification_text(replace(ADA, paris_growth=None)) is None
    assert classification_text(replace(ADA, paris_upper_gi=None, paris_perianal=False)) == "A1b L3 B2 G0"
    uc = PatientInput("U1", "Bea", "Fictor", date(2010, 1, 1), "female", "Ulcerative colitis", uc_extent="E4",
                      uc_severity="S1")  # fmt: skip
    assert classification_text(uc) == "E4 S1"
    assert classification_text(replace(uc, uc_severity=None)) is None
    cf = PatientInput("C1", "Cal", "Mockridge", date(2015, 1, 1), "male", "Cystic fibrosis")
    assert classification_text(cf) is None


def test_a_second_patient_with_the_same_mrn_is_refused_without_repeating_it(registry, admin):
    registry.add(admin, ADA)
    other = replace(ADA, given_name="Bea", birth_date=date(2013, 1, 2))
    with pytest.raises(ValidationError) as caught:
        registry.add(admin, other)
    assert caught.value.field == "mrn" and "0012345" not in caught.value.message
    assert "already has this MRN" in caught.value.message


def test_the_same_name_and_birth_date_is_warned_about_and_can_be_kept(db, registry, admin):
    first = registry.add(admin, ADA)
    twin = replace(ADA, mrn="0012346", phone=None)
    check = registry.check(admin, twin)
    assert [p.mrn for p in check.similar] == ["0012345"] and len(check.warnings) == 1
    assert "0012345" in check.warnings[0]  # shown to the team on the form, never in an exception
    with pytest.raises(NeedsConfirmation) as caught:
        registry.add(admin, twin)
    assert "0012345" not in caught.value.message and "Ada" not in caught.value.message
    with db.read() as s:
        assert len(s.scalars(select(Patient)).all()) == 1  # nothing written
    second = registry.add(admin, twin, accept_warnings=True)
    assert second.patient_id != first.patient_id
    assert registry.check(admin, replace(ADA, given_name="ada", family_name="TESTWOOD"), first.patient_id).similar


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"mrn": ""}, "mrn", "Enter the MRN"),
        ({"mrn": "00 12345"}, "mrn", "no spaces"),
        ({"given_name": "  "}, "given_name", "given name"),
        ({"family_name": "x" * 101}, "family_name", "longer than 100"),
        ({"birth_date": date(2026, 3, 11)}, "birth_date", "future"),
        ({"birth_date": date(1890, 1, 1)}, "birth_date", "120 years"),
        ({"sex": "unknown"}, "sex", "female, male, other"),
        ({"diagnosis": "Asthma"}, "diagnosis", "Crohn disease"),
        ({"diagnosis_date": date(2011, 1, 1)}, "diagnosis_date", "before the birth date"),
        ({"diagnosis_date": date(2026, 4, 1)}, "diagnosis_date", "future"),
        ({"paris_location": "L5"}, "paris_location", "L1, L2, L3"),
        ({"diagnosis": "Ulcerative colitis"}, "paris_location", "Crohn disease classification"),
        ({"uc_extent": "E4"}, "uc_extent", "ulcerative colitis classification"),
        ({"phone": "call mum"}, "phone", "digits"),
        ({"email": "ada-at-example"}, "email", "name@example.org"),
        ({"status": "adult_care"}, "status_date", "date the status took effect"),
        ({"status": "gone"}, "status", "Moved"),
        ({"status": "deceased", "status_date": date(2026, 3, 11)}, "status_date", "future"),
    ],
)
def test_bad_input_names_the_field_and_what_to_do(registry, admin, changes, field, words):
    with pytest.raises(ValidationError) as caught:
        registry.add(admin, replace(ADA, **changes))
    assert caught.value.field == field, caught.value.message
    assert words.lower() in caught.value.message.lower() or words in caught.value.message


def test_status_words_are_listed_when_unknown():
    with pytest.raises(ValidationError, match="adult_care"):
        clean_patient(replace(ADA, status="gone"), TODAY)


def test_mrn_is_kept_as_the_hospital_writes_it():
    assert clean_patient(replace(ADA, mrn="  000-12/A.b_9 "), TODAY).mrn == "000-12/A.b_9"
    clean = clean_patient(replace(ADA, given_name="  Ada   Mae ", sex="Female", diagnosis="crohn DISEASE"), TODAY)
    assert (clean.given_name, clean.sex, clean.diagnosis) == ("Ada Mae", "female", "Crohn disease")


def test_an_edit_keeps_each_changed_field_in_the_history(db, registry, admin):
    pid = registry.add(admin, ADA).patient_id
    nurse = Actor(member_id=None, name="Casey Testwood, RN", role=Role.NURSE)
    saved = registry.edit(nurse, pid, replace(ADA, paris_behaviour="B3", phone="555-0199"), reason="Phone changed")
    assert set(saved.changed) == {"behaviour", "phone"}
    assert stored(db, pid).disease_classification == "A1b L3 L4a B3p G0"
    with db.read() as s:
        rows = {c.field: c for c in s.scalars(select(Correction).where(Correction.record_id == pid))}
    assert rows["paris_behaviour"].old_value == "B2" and rows["paris_behaviour"].new_value == "B3"
    assert rows["phone"].reason == "Phone changed" and rows["phone"].corrected_by == "Casey Testwood, RN"
    assert {c.action for c in rows.values()} == {"edited"}
    assert registry.edit(admin, pid, replace(ADA, paris_behaviour="B3", phone="555-0199")).changed == ()
    with pytest.raises(NotFound):
        registry.edit(admin, "no-such-id", ADA)


def test_a_patient_who_moved_to_adult_care_keeps_their_record_and_leaves_the_lists(db, registry, admin):
    from lhn_desktop.services.planning import PlanningService

    pid = registry.add(admin, ADA).patient_id
    registry.edit(admin, pid, replace(ADA, status="adult_care", status_date=date(2026, 3, 1)), reason="Transition")
    p = stored(db, pid)
    assert (p.status, p.status_date, p.active) == ("adult_care", date(2026, 3, 1), False)
    planning = PlanningService(db, today=lambda: TODAY)
    assert all(r.patient_id != pid for r in planning.population(admin, "no_visit_200"))
    registry.edit(admin, pid, replace(ADA, status="active", status_date=None), reason="Came back")
    assert any(r.patient_id == pid for r in planning.population(admin, "no_visit_200"))


def test_partners_are_refused_by_every_registry_call(registry, admin):
    pid = registry.add(admin, ADA).patient_id
    calls = [
        lambda: registry.check(PARTNER, ADA),
        lambda: registry.add(PARTNER, replace(ADA, mrn="9")),
        lambda: registry.edit(PARTNER, pid, ADA),
        lambda: registry.form(PARTNER, pid),
        lambda: registry.find_mrn(PARTNER, "0012345"),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
