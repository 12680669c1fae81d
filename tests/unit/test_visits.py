"""Recording a visit: the form, values and units, computed indices and growth, warnings, medicines, no-shows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from sqlalchemy import select

from lhn_desktop.access import Actor
from lhn_desktop.errors import NeedsConfirmation, NotFound, PermissionDenied, ValidationError
from lhn_desktop.models.patients import ClinicalEvent, Medication, Observation, Visit
from lhn_desktop.models.team import Role
from lhn_desktop.services.planning import PlanningService
from lhn_desktop.services.registry import PatientInput, RegistryService
from lhn_desktop.services.schedule import ScheduleService
from lhn_desktop.services.visits import (
    DoseChange,
    EventInput,
    IndexInput,
    MedicationStart,
    MedicationStop,
    ValueInput,
    VisitInput,
    VisitService,
)
from lhn_desktop.store.database import Database

TODAY = date(2026, 3, 10)
DAY = date(2026, 3, 10)
PARTNER = Actor(member_id=None, name="Sky Placebury", role=Role.PATIENT_PARTNER)
CROHN = PatientInput(
    mrn="C-100", given_name="Ada", family_name="Testwood", birth_date=date(2012, 6, 1), sex="female",
    diagnosis="Crohn disease", diagnosis_date=date(2023, 9, 14), paris_location="L3", paris_behaviour="B1",
    paris_growth="G0",
)  # fmt: skip
UC = PatientInput(
    mrn="U-200",
    given_name="Ben",
    family_name="Fictor",
    birth_date=date(2011, 2, 3),
    sex="male",
    diagnosis="Ulcerative colitis",
    diagnosis_date=date(2022, 1, 5),
    uc_extent="E4",
    uc_severity="S0",
)
#: wPCDAI items in remission, ESR and albumin left to the labs
QUIET = {"abdominal_pain": 0, "well_being": 0, "stools_per_day": 0, "weight": 0, "perianal_disease": 0,
         "extraintestinal": 0}  # fmt: skip


@pytest.fixture
def services(db: Database):
    today = lambda: TODAY  # noqa: E731
    return (RegistryService(db, today=today), ScheduleService(db, today=today), VisitService(db, today=today),
            PlanningService(db, today=today))  # fmt: skip


def items(index_code: str) -> list[str]:
    from lhn_desktop.clinical.indices import get_index

    return [i.key for i in get_index(index_code).items]


def test_item_keys_used_here_are_the_shipped_ones():
    assert set(QUIET) | {"esr", "albumin"} == set(items("WPCDAI"))


def full_visit(pid: str, **changes) -> VisitInput:
    return VisitInput(
        patient_id=pid, day=DAY,
        values=(ValueInput("PGA", "quiescent"), ValueInput("WEIGHT", "71.5", "lb"), ValueInput("HEIGHT", "148.2"),
                ValueInput("CRP", "0.3 mg/dL"), ValueInput("ESR", "12"), ValueInput("ALB", "4.1", "g/dL"),
                ValueInput("TPMT", "normal")),
        index=IndexInput("WPCDAI", QUIET),
        starts=(MedicationStart("azathioprine", "75 mg daily"),),
        **changes,
    )  # fmt: skip


def test_the_form_lists_what_the_pack_asks_for_and_what_is_due(services, admin):
    registry, schedule, visits, _ = services
    pid = registry.add(admin, CROHN).patient_id
    vid = schedule.add_visit(admin, pid, DAY, "09:30", "Dr. Robin Sample", "Follow-up")
    form = visits.form(admin, pid, DAY)
    assert form.visit_id == vid and form.visit_status == "scheduled" and form.pga and form.index_code == "WPCDAI"
    assert form.observations[:3] == ("WEIGHT", "HEIGHT", "CRP")
    assert ("azathioprine", "thiopurine", "mg daily") in form.drugs
    titles = [title for _, title, _ in form.due]
    assert "Physician global assessment (PGA) at this visit" in titles
    assert "Crohn disease activity index (wPCDAI) at this visit" in titles
    assert visits.form(admin, registry.add(admin, UC).patient_id, DAY).index_code == "PUCAI"


def test_recording_completes_the_scheduled_visit_with_converted_values_and_computed_scores(db, services, admin):
    registry, schedule, visits, planning = services
    pid = registry.add(admin, CROHN).patient_id
    vid = schedule.add_visit(admin, pid, DAY, "09:30", None, "Follow-up")
    check = visits.check(admin, full_visit(pid))
    assert check.index.total == "0" and check.index.category == "remission"
    assert check.growth.bmi == "14.8" and set(check.growth.scores) == {"weight", "height", "bmi"}
    assert check.warnings == ()
    saved = visits.record(admin, full_visit(pid, clinician="Dr. Robin Sample"))
    assert (saved.visit_id, saved.created_visit, saved.observations, saved.medications_started) == (vid, False, 8, 1)
    with db.read() as s:
        visit = s.get(Visit, vid)
        assert (visit.status, visit.clinician) == ("completed", "Dr. Robin Sample")
        obs = {o.code: o for o in s.scalars(select(Observation).where(Observation.visit_id == vid))}
        med = s.scalars(select(Medication)).one()
    assert (obs["WEIGHT"].value, obs["WEIGHT"].unit, obs["WEIGHT"].original_value, obs["WEIGHT"].original_unit) == (
        "32.43", "kg", "71.5", "lb")  # fmt: skip
    assert (obs["CRP"].value, obs["CRP"].original_value, obs["CRP"].original_unit) == ("3.0", "0.3", "mg/dL")
    assert (obs["ALB"].value, obs["HEIGHT"].value, obs["HEIGHT"].original_value) == ("41", "148.2", None)
    assert obs["WPCDAI"].value == "0" and '"albumin":0' in obs["WPCDAI"].detail and '"esr":0' in obs["WPCDAI"].detail
    assert (med.drug, med.drug_class, med.dose, med.start_date, med.visit_id) == ("azathioprine", "thiopurine",
                                                                                  "75 mg daily", DAY, vid)  # fmt: skip
    row = planning.huddle(admin, DAY).rows[0]
    status = {i.code: i.status for i in row.items}
    assert status["pga"] == status["pcdai"] == status["growth"] == "Completed"
    assert status["tpmt_before_thiopurine"] == "Completed"  # TPMT on the start date
    assert row.in_remission is True and row.visit_status == "completed"


def test_index_items_derived_from_the_labs_and_every_category(services, admin):
    registry, _, visits, _ = services
    pid = registry.add(admin, CROHN).patient_id
    base = VisitInput(pid, DAY, values=(ValueInput("ESR", "55"), ValueInput("ALB", "30")))
    flare = visits.check(admin, replace(base, index=IndexInput("WPCDAI", {**QUIET, "abdominal_pain": 2})))
    assert (flare.index.total, flare.index.category) == ("55", "moderate")  # 15 + 20 + 20
    with pytest.raises(ValidationError, match="comes from the ESR") as caught:
        visits.check(admin, VisitInput(pid, DAY, index=IndexInput("WPCDAI", QUIET)))
    assert caught.value.field == "WPCDAI"
    given = visits.check(admin, VisitInput(pid, DAY, index=IndexInput("WPCDAI", {**QUIET, "esr": 1, "albumin": 0})))
    assert given.index.total == "7.5"
    uc = registry.add(admin, UC).patient_id
    pucai = {k: 0 for k in items("PUCAI")}
    result = visits.check(admin, VisitInput(uc, DAY, index=IndexInput("PUCAI", {**pucai, "rectal_bleeding": 1})))
    assert (result.index.total, result.index.category) == ("10", "mild")
    with pytest.raises(ValidationError, match="records the PUCAI"):
        visits.check(admin, VisitInput(uc, DAY, index=IndexInput("WPCDAI", QUIET)))


def test_a_total_from_elsewhere_needs_its_source(db, services, admin):
    registry, _, visits, _ = services
    pid = registry.add(admin, CROHN).patient_id
    with pytest.raises(ValidationError, match="where the wPCDAI total comes from"):
        visits.check(admin, VisitInput(pid, DAY, index=IndexInput("WPCDAI", outside_total="35")))
    with pytest.raises(ValidationError, match="between 0 and 125"):
        visits.check(admin, VisitInput(pid, DAY, index=IndexInput("WPCDAI", outside_total="130", outside_source="x")))
    saved = visits.record(admin, VisitInput(pid, DAY, index=IndexInput("WPCDAI", outside_total="42.5",
                                                                       outside_source="referral letter")))  # fmt: skip
    with db.read() as s:
        o = s.scalars(select(Observation).where(Observation.visit_id == saved.visit_id)).one()
    assert (o.value, o.source, o.detail) == ("42.5", "outside", "referral letter")


def test_an_unscheduled_visit_is_added_and_a_value_is_not_recorded_twice(db, services, admin):
    registry, _, visits, _ = services
    pid = registry.add(admin, CROHN).patient_id
    saved = visits.record(admin, VisitInput(pid, DAY, values=(ValueInput("PGA", "mild"),)))
    assert saved.created_visit
    with db.read() as s:
        assert s.get(Visit, saved.visit_id).visit_type == "Unscheduled"
    again = visits.record(admin, VisitInput(pid, DAY, values=(ValueInput("WEIGHT", "40"),)))
    assert again.visit_id == saved.visit_id and not again.created_visit
    with pytest.raises(ValidationError, match="already recorded for this visit") as caught:
        visits.record(admin, VisitInput(pid, DAY, values=(ValueInput("PGA", "quiescent"),)))
    assert caught.value.field == "PGA"
    assert visits.form(admin, pid, DAY).recorded == ("PGA", "WEIGHT")


def test_implausible_values_warn_and_can_be_kept(db, services, admin):
    registry, _, visits, _ = services
    pid = registry.add(admin, CROHN).patient_id
    visits.record(admin, VisitInput(pid, date(2025, 12, 1), values=(ValueInput("WEIGHT", "40"),
                                                                     ValueInput("HEIGHT", "150.0"))))  # fmt: skip
    odd = VisitInput(pid, DAY, values=(ValueInput("WEIGHT", "52"), ValueInput("HEIGHT", "148.0"),
                                       ValueInput("CRP", "0.45"), ValueInput("ALB", "3.9")))  # fmt: skip
    warnings = visits.check(admin, odd).warnings
    assert len(warnings) == 4
    assert any("looks like a value in mg/dL" in w for w in warnings)
    assert any("looks like a value in g/dL" in w for w in warnings)
    assert any("2.0 cm lower than on 1 Dec 2025" in w for w in warnings)  # dates as written everywhere
    assert any("30% more than on 1 Dec 2025" in w for w in warnings)
    with pytest.raises(NeedsConfirmation, match="^4 values deserve a second look. Check them,") as caught:
        visits.record(admin, odd)
    with pytest.raises(NeedsConfirmation, match="^1 value deserves a second look. Check it, then save again"):
        visits.record(admin, VisitInput(pid, DAY, values=(ValueInput("CRP", "0.45"),)))
    assert "52" not in caught.value.message and "148" not in caught.value.message
    with db.read() as s:
        assert s.scalars(select(Observation).where(Observation.observed_on == DAY)).first() is None
    saved = visits.record(admin, odd, accept_warnings=True)
    assert saved.observations == 4 and len(saved.warnings) == 4


@pytest.mark.parametrize(
    ("entry", "field", "words"),
    [
        (VisitInput("P", date(2026, 3, 11)), "day", "future"),
        (VisitInput("P", DAY, values=(ValueInput("WEIGHT", "heavy"),)), "WEIGHT", "must be a number in kg"),
        (VisitInput("P", DAY, values=(ValueInput("WEIGHT", "1,5"),)), "WEIGHT", "point for decimals"),
        (VisitInput("P", DAY, values=(ValueInput("WEIGHT", "40", "stone"),)), "WEIGHT", "kg, lb, g"),
        (VisitInput("P", DAY, values=(ValueInput("WEIGHT", "0"),)), "WEIGHT", "between 0.2 and 400"),
        (VisitInput("P", DAY, values=(ValueInput("PGA", "great"),)), "PGA", "quiescent, mild"),
        (VisitInput("P", DAY, values=(ValueInput("FEV1", "80"),)), "FEV1", "not on this patient's visit form"),
        (VisitInput("P", DAY, values=(ValueInput("PHQ9", "30"),)), "PHQ9", "between 0 and 27"),
        (VisitInput("P", DAY, values=(ValueInput("WEIGHT", "40"), ValueInput("WEIGHT", "41"))), "WEIGHT", "twice"),
        (VisitInput("P", DAY, starts=(MedicationStart("unobtainium", "5 mg"),)), "drug_class", "give its class"),
        (VisitInput("P", DAY, events=(EventInput("vaccine", "MMR"),)), "event", "immunization or a screening"),
    ],
)
def test_bad_visit_input_is_refused_with_the_field_named(services, admin, entry, field, words):
    registry, _, visits, _ = services
    pid = registry.add(admin, CROHN).patient_id
    with pytest.raises(ValidationError) as caught:
        visits.record(admin, replace(entry, patient_id=pid))
    assert caught.value.field == field and words in caught.value.message, caught.value.message


def test_medicines_start_change_dose_and_stop_with_a_reason(db, services, admin):
    registry, _, visits, _ = services
    pid = registry.add(admin, CROHN).patient_id
    first = date(2026, 1, 5)
    visits.record(
        admin,
        VisitInput(
            pid,
            first,
            starts=(
                MedicationStart("Azathioprine", "50 mg daily"),
                MedicationStart("prednisone", "40 mg daily, tapering"),
                MedicationStart("fish oil", "1 g", drug_class="supplement"),
            ),
        ),
    )
    form = visits.form(admin, pid, DAY)
    by_drug = {m.drug: m for m in form.current_medications}
    assert set(by_drug) == {"Azathioprine", "prednisone", "fish oil"}
    with pytest.raises(ValidationError, match="reason for stopping"):
        visits.record(admin, VisitInput(pid, DAY, stops=(MedicationStop(by_drug["prednisone"].id, " "),)))
    visits.record(admin, VisitInput(pid, DAY, dose_changes=(DoseChange(by_drug["Azathioprine"].id, "75 mg daily"),),
                                    stops=(MedicationStop(by_drug["prednisone"].id, "course finished"),)))  # fmt: skip
    with db.read() as s:
        meds = {(m.drug, m.dose): m for m in s.scalars(select(Medication))}
    old, new = meds["Azathioprine", "50 mg daily"], meds["Azathioprine", "75 mg daily"]
    assert (old.stop_date, old.stop_reason) == (DAY, "dose changed")
    assert (new.start_date, new.changed_from_id, new.drug_class) == (DAY, old.id, "thiopurine")
    assert (meds["prednisone", "40 mg daily, tapering"].stop_reason) == "course finished"
    assert meds["fish oil", "1 g"].drug_class == "supplement"
    with pytest.raises(ValidationError, match="already stopped"):
        visits.record(admin, VisitInput(pid, DAY, stops=(MedicationStop(old.id, "again"),)))
    with pytest.raises(NotFound):
        visits.record(admin, VisitInput(pid, DAY, stops=(MedicationStop("no-such-id", "gone"),)))


def test_immunizations_and_screenings_are_recorded_with_the_visit(db, services, admin):
    registry, _, visits, planning = services
    pid = registry.add(admin, CROHN).patient_id
    saved = visits.record(admin, VisitInput(pid, DAY, events=(
        EventInput("immunization", "Influenza (inactivated)"),
        EventInput("screening", "TB test", "Interferon-gamma release assay negative", date(2026, 3, 1)),
    )))  # fmt: skip
    with db.read() as s:
        events = {e.code: e for e in s.scalars(select(ClinicalEvent))}
    assert events["TB test"].event_date == date(2026, 3, 1) and events["TB test"].visit_id == saved.visit_id
    assert events["Influenza (inactivated)"].event_date == DAY
    status = {i.code: i.status for i in planning.checklist(admin, saved.visit_id)[1]}
    assert status["influenza_vaccine"] == "Completed"


def test_a_missed_visit_is_recorded_as_such(db, services, admin):
    registry, schedule, visits, _ = services
    pid = registry.add(admin, CROHN).patient_id
    vid = schedule.add_visit(admin, pid, DAY, "10:00", None, "Follow-up")
    later = schedule.add_visit(admin, pid, date(2026, 4, 1), "10:00", None, "Follow-up")
    with pytest.raises(ValidationError, match="not before"):
        visits.mark_missed(admin, later)
    visits.mark_missed(admin, vid)
    with db.read() as s:
        assert s.get(Visit, vid).status == "no_show"
    visits.record(admin, VisitInput(pid, DAY, visit_id=vid, values=(ValueInput("PGA", "mild"),)))  # came late
    with pytest.raises(ValidationError, match="recorded as seen"):
        visits.mark_missed(admin, vid)


def test_a_blank_visit_type_keeps_the_booked_one(db, services, admin):
    registry, schedule, visits, _ = services
    pid = registry.add(admin, CROHN).patient_id
    vid = schedule.add_visit(admin, pid, DAY, "10:00", None, "Follow-up")
    visits.record(admin, VisitInput(pid, DAY, visit_id=vid, visit_type="   ", values=(ValueInput("PGA", "mild"),)))
    with db.read() as s:
        assert s.get(Visit, vid).visit_type == "Follow-up"


def test_partners_are_refused_by_every_visit_call(services, admin):
    registry, _, visits, _ = services
    pid = registry.add(admin, CROHN).patient_id
    calls = [
        lambda: visits.form(PARTNER, pid, DAY),
        lambda: visits.check(PARTNER, VisitInput(pid, DAY)),
        lambda: visits.record(PARTNER, VisitInput(pid, DAY, values=(ValueInput("PGA", "mild"),))),
        lambda: visits.mark_missed(PARTNER, "any"),
        lambda: visits.latest(PARTNER, pid, "WEIGHT"),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
