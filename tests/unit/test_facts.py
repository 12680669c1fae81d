"""One set of patient facts for the checklist and the measures: what the loader reads, leaves out and sorts."""

from __future__ import annotations

from datetime import date

from lhn_desktop.access import Actor
from lhn_desktop.models.patients import ClinicalEvent, Medication, Observation, Patient, Visit
from lhn_desktop.services import facts
from lhn_desktop.services.checklist import Status, evaluate_rule, pack_for
from lhn_desktop.services.measure_library import build_clinical_data, count_month, load_library
from lhn_desktop.store.database import Database


def _patient(pid: str, **kw) -> Patient:
    base = dict(id=pid, mrn=f"MRN-{pid}", given_name="Test", family_name="Sampleton", birth_date=date(2012, 5, 1),
                sex="female", diagnosis="Crohn disease", diagnosis_date=date(2022, 1, 10),
                disease_classification="A1b L3 B1 G0")  # fmt: skip
    return Patient(**(base | kw))


def _center(db: Database) -> None:
    with db.write(Actor.workstation()) as s:
        s.add_all([
            _patient("p1"),
            _patient("p2", status="adult_care", status_date=date(2026, 1, 15), active=False),
            Visit(id="v2", patient_id="p1", visit_date=date(2026, 2, 3), status="completed"),
            Visit(id="v1", patient_id="p1", visit_date=date(2025, 9, 1), status="completed"),
            Visit(id="v3", patient_id="p1", visit_date=date(2026, 4, 1), status="scheduled"),
            Visit(id="v4", patient_id="p2", visit_date=date(2025, 12, 1), status="completed"),
        ])  # fmt: skip
        s.flush()
        s.add_all([
            Observation(id="o1", patient_id="p1", visit_id="v2", code="PGA", value="mild",
                        observed_on=date(2026, 2, 3)),
            Observation(id="o2", patient_id="p1", visit_id="v1", code="PGA", value="quiescent",
                        observed_on=date(2025, 9, 1)),
            Observation(id="o3", patient_id="p1", visit_id="v2", code="WEIGHT", value="41.0",
                        observed_on=date(2026, 2, 3), entered_in_error=True),
            Observation(id="o4", patient_id="p1", visit_id=None, code="TPMT", value="normal",
                        observed_on=date(2024, 3, 1)),
            Medication(id="m1", patient_id="p1", drug="azathioprine", drug_class="thiopurine", dose="50 mg daily",
                       start_date=date(2024, 3, 2)),
            Medication(id="m2", patient_id="p1", drug="prednisone", drug_class="corticosteroid", dose="20 mg daily",
                       start_date=date(2023, 1, 1), stop_date=date(2023, 3, 1)),
            Medication(id="m3", patient_id="p1", drug="infliximab", drug_class="anti-TNF", dose=None,
                       start_date=date(2025, 1, 1), entered_in_error=True),
            ClinicalEvent(id="e1", patient_id="p1", kind="immunization", code="Influenza (inactivated)",
                          event_date=date(2025, 10, 1), result="given"),
            ClinicalEvent(id="e2", patient_id="p1", kind="screening", code="TB test", event_date=date(2025, 1, 1),
                          result="negative", entered_in_error=True),
        ])  # fmt: skip


def test_the_loader_reads_one_patient_whole_sorted_and_without_entries_in_error(db: Database):
    _center(db)
    with db.read() as s:
        p = facts.load(s, ["p1"])["p1"]
    assert (p.birth_date, p.diagnosis, p.inactive_from) == (date(2012, 5, 1), "Crohn disease", None)
    assert p.visits == [(date(2025, 9, 1), "v1"), (date(2026, 2, 3), "v2")]  # completed only, by date
    assert p.observations == {
        "PGA": [(date(2025, 9, 1), "quiescent", "v1"), (date(2026, 2, 3), "mild", "v2")],
        "TPMT": [(date(2024, 3, 1), "normal", None)],
    }  # the weight entered in error counts for nothing
    assert [(m.drug, m.dose, m.stop) for m in p.medications] == [
        ("prednisone", "20 mg daily", date(2023, 3, 1)),
        ("azathioprine", "50 mg daily", None),
    ]
    assert p.events == [("Influenza (inactivated)", date(2025, 10, 1), "given")]
    assert p.medications[1].taken_on(date(2026, 2, 3)) and not p.medications[0].taken_on(date(2023, 3, 1))


def test_who_is_loaded_and_which_observations(db: Database):
    _center(db)
    with db.read() as s:
        followed = facts.load(s)
        everyone = facts.load(s, followed_only=False, observation_codes={"PGA"})
        named = facts.load(s, ["p2"])
    assert set(followed) == {"p1"}  # the patient in adult care has left the lists
    assert set(everyone) == {"p1", "p2"} and everyone["p2"].inactive_from == date(2026, 1, 15)
    assert set(everyone["p1"].observations) == {"PGA"}
    assert set(named) == {"p2"}  # asked for by name, an inactive patient is still loaded


def test_the_checklist_and_the_measures_read_the_same_facts(db: Database):
    _center(db)
    with db.read() as s:
        loaded = facts.load(s, followed_only=False)
    pga = next(r for r in pack_for("Crohn disease").rules if r.code == "pga")
    assert evaluate_rule(pga, loaded["p1"], date(2026, 2, 3), visit_id="v2").status is Status.COMPLETED
    remission = next(m for m in load_library().measures if m.code == "remission_pga")
    # p1's latest PGA in February is mild (not in remission); p2 left in January
    assert count_month(remission, build_clinical_data(loaded), date(2026, 2, 1), date(2026, 2, 28)) == (0, 1)
    assert count_month(remission, build_clinical_data(loaded), date(2025, 12, 1), date(2025, 12, 31)) == (1, 2)
