"""The synthetic demo center: deterministic, consistent, synthetic-looking, cancellable."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from lhn_desktop.access import Actor
from lhn_desktop.errors import Cancelled, ValidationError
from lhn_desktop.models import syncable_models
from lhn_desktop.models.commons import Resource
from lhn_desktop.models.goals import CollaborateResponse, PatientGoal, Task
from lhn_desktop.models.improvement import ImprovementGoal, PdsaCycle
from lhn_desktop.models.measures import MeasureDefinition, MeasureValue
from lhn_desktop.models.patients import ClinicalEvent, Medication, Observation, Patient, Visit
from lhn_desktop.models.planning import AgendaItem
from lhn_desktop.models.team import Site, TeamMember
from lhn_desktop.progress import CancelToken
from lhn_desktop.services import demo
from lhn_desktop.services.center import create_center
from lhn_desktop.services.demo import content as demo_content
from lhn_desktop.services.demo import dates
from lhn_desktop.services.measure_library import load_library, value_id
from lhn_desktop.store.database import Database

TODAY = date(2026, 5, 14)  # a Thursday, so today is itself a clinic day
PATIENTS = 25
NUMERIC_CODES = {"WPCDAI", "PUCAI", "WEIGHT", "HEIGHT", "CRP", "ESR", "ALB", "HGB", "VITD"}
#: Every table the demo writes: the syncable ones, less the site that create_center made (its id is random).
DOMAIN_MODELS = [m for m in syncable_models() if m is not Site]


def new_center(folder, name: str = "c") -> Database:
    db = Database.open(folder / f"{name}.sqlite3", folder / "backups", create=True)
    create_center(db, "demo-ibd", "Demo center", network="ImproveCareNow", actor=Actor.workstation(), demo=True)
    return db


@pytest.fixture
def make_db(tmp_path):
    opened: list[Database] = []

    def make(name: str = "c") -> Database:
        db = new_center(tmp_path, name)
        opened.append(db)
        return db

    yield make
    for db in opened:
        db.close()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """One generated demo center shared by the read-only checks."""
    db = new_center(tmp_path_factory.mktemp("demo"))
    summary = demo.generate_demo(db, Actor.workstation(), patients=PATIENTS, today=TODAY)
    yield db, summary
    db.close()


def content(db: Database) -> dict[str, list[tuple]]:
    """Every row of every domain table, all columns, sorted."""
    with db.read() as s:
        return {
            model.__tablename__: sorted((tuple(row) for row in s.execute(select(model.__table__))), key=repr)
            for model in DOMAIN_MODELS
        }


def count(db: Database, model, *where) -> int:
    with db.read() as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_same_seed_gives_identical_content_and_another_seed_does_not(make_db):
    a, b, c = make_db("a"), make_db("b"), make_db("c")
    demo.generate_demo(a, Actor.workstation(), patients=PATIENTS, seed=7, today=TODAY)
    demo.generate_demo(b, Actor.workstation(), patients=PATIENTS, seed=7, today=TODAY)
    demo.generate_demo(c, Actor.workstation(), patients=PATIENTS, seed=8, today=TODAY)

    first, second, other = content(a), content(b), content(c)
    assert first["patient"], "the demo wrote no patients"
    assert first == second
    assert first["patient"] != other["patient"]
    assert first["observation"] != other["observation"]


def test_counts_match_the_summary(generated):
    db, summary = generated
    expected = {
        "patients": (Patient,),
        "visits": (Visit, Visit.status != "scheduled"),
        "scheduled_visits": (Visit, Visit.status == "scheduled"),
        "observations": (Observation,),
        "medications": (Medication,),
        "events": (ClinicalEvent,),
        "team_members": (TeamMember,),
        "improvement_goals": (ImprovementGoal,),
        "pdsa_cycles": (PdsaCycle,),
        "measures": (MeasureDefinition,),
        "measure_values": (MeasureValue,),
        "resources": (Resource,),
        "patient_goals": (PatientGoal,),
        "agenda_items": (AgendaItem,),
        "tasks": (Task,),
        "collaborate_responses": (CollaborateResponse,),
    }
    for name, (model, *where) in expected.items():
        assert getattr(summary, name) == count(db, model, *where), name
    assert summary.patients == PATIENTS
    assert summary.team_members == 9
    assert summary.improvement_goals == 2
    assert summary.pdsa_cycles == 3
    assert summary.measure_values == len([m for m in load_library().measures if m.pack != "cf"]) * 24
    assert summary.resources == 5
    assert min(summary.visits, summary.observations, summary.medications, summary.events) > 0
    assert min(summary.patient_goals, summary.agenda_items, summary.tasks, summary.collaborate_responses) > 0


def test_scheduled_visits_fall_on_the_clinic_days(generated):
    db, summary = generated
    days = summary.clinic_days
    assert len(days) == 8
    assert days[0] == TODAY
    assert list(days) == sorted(set(days))
    assert all(d >= TODAY and d.weekday() in (1, 3) for d in days)
    with db.read() as s:
        scheduled = s.execute(select(Visit.visit_date, Visit.patient_id).where(Visit.status == "scheduled")).all()
        past = s.scalars(select(Visit.visit_date).where(Visit.status != "scheduled")).all()
    assert {d for d, _ in scheduled} == set(days)
    for day in days:
        patients = [p for d, p in scheduled if d == day]
        assert 8 <= len(patients) <= 12
        assert len(set(patients)) == len(patients), f"a patient is booked twice on {day}"
    assert max(past) < TODAY


def test_clinic_days_include_today_only_on_a_clinic_day():
    assert dates.clinic_days(date(2026, 5, 12))[0] == date(2026, 5, 12)  # a Tuesday
    wednesday = dates.clinic_days(date(2026, 5, 13))
    assert wednesday[:3] == (date(2026, 5, 14), date(2026, 5, 19), date(2026, 5, 21))


def test_nothing_is_observed_after_today_and_values_are_exact_text(generated):
    db, _ = generated
    with db.read() as s:
        observations = s.execute(select(Observation.code, Observation.value, Observation.observed_on)).all()
        events = s.scalars(select(ClinicalEvent.event_date)).all()
        starts = s.scalars(select(Medication.start_date)).all()
    assert max(on for _, _, on in observations) <= TODAY
    assert max(events) <= TODAY
    assert max(starts) <= TODAY
    for code, value, _ in observations:
        if code in NUMERIC_CODES:
            number = Decimal(value)
            assert number.is_finite() and number >= 0 and str(number) == value, (code, value)
        elif code == "PGA":
            assert value in demo_content.PGA_STATES
        else:
            assert code == "TPMT" and value in ("normal", "intermediate", "low")


def test_no_column_holds_a_binary_float(generated):
    db, _ = generated
    for table, rows in content(db).items():
        for row in rows:
            assert not any(isinstance(v, float) for v in row), (table, row)


def test_measure_values_are_proportions_with_natural_keys(generated):
    db, _ = generated
    with db.read() as s:
        rows = s.execute(select(MeasureValue, MeasureDefinition.code).join(MeasureDefinition)).all()
    months = {value.month for value, _ in rows}
    assert len(months) == 24
    assert max(months) < f"{TODAY:%Y-%m}"
    for value, code in rows:
        assert value.denominator is not None
        assert 0 <= value.numerator <= value.denominator, (code, value.month)
        assert value.site_code == "demo-ibd"
        assert value.id == value_id("demo-ibd", code, value.month)


def test_cancel_after_a_few_patients_rolls_everything_back(make_db):
    db = make_db()
    token = CancelToken()
    seen: list[int] = []

    def progress(done: int, total: int | None, label: str) -> None:
        seen.append(done)
        if done == 3:
            token.cancel()

    with pytest.raises(Cancelled):
        demo.generate_demo(db, Actor.workstation(), patients=PATIENTS, today=TODAY, progress=progress, cancel=token)
    assert seen == [1, 2, 3]
    assert count(db, Patient) == 0
    assert count(db, TeamMember) == 0
    assert count(db, MeasureValue) == 0


def test_progress_reports_every_patient(make_db):
    calls = []
    demo.generate_demo(make_db(), Actor.workstation(), patients=5, today=TODAY, progress=lambda *a: calls.append(a))
    assert calls == [(i, 5, demo_content.PROGRESS_LABEL) for i in range(1, 6)]


def test_a_database_with_patients_is_refused(generated):
    db, _ = generated
    with pytest.raises(ValidationError):
        demo.generate_demo(db, Actor.workstation(), patients=2, today=TODAY)
    assert count(db, Patient) == PATIENTS


def test_every_name_is_obviously_synthetic(generated):
    db, _ = generated
    with db.read() as s:
        patients = s.scalars(select(Patient)).all()
    for p in patients:
        assert p.family_name in demo_content.FAMILY_NAMES
        assert p.mrn.startswith("DEMO-")
        assert p.email.endswith("@example.org") and p.email == p.email.lower()
        assert p.phone.startswith("555-01")
        assert 3 <= dates.age_on(p.birth_date, TODAY) <= 20
        assert dates.add_years(p.birth_date, 2) < p.diagnosis_date < TODAY


# -- the demo and the services cannot drift ----------------------------------------------------------------------


def test_every_demo_patient_is_what_the_registry_would_store(generated):
    """Each patient, read back as the registration form and cleaned by the registry, is stored unchanged."""
    from lhn_desktop.services.registry import apply_patient, clean_patient, input_of

    db, _ = generated
    with db.read() as s:
        patients = list(s.scalars(select(Patient)))
        seen = {"adult_care": 0, "classified": 0}
        for p in patients:
            entry = input_of(p)
            assert clean_patient(entry, TODAY) == entry, p.mrn
            copy = Patient()
            apply_patient(copy, entry)
            assert (copy.disease_classification, copy.active) == (p.disease_classification, p.active), p.mrn
            seen["adult_care"] += p.status == "adult_care"
            seen["classified"] += p.disease_classification is not None
        s.expunge_all()
    assert all(p.active == (p.status == "active") for p in patients)
    assert all(p.status_date is not None and p.status_date <= TODAY for p in patients if not p.active)
    assert seen["classified"] > 0


def test_every_demo_value_is_what_the_visit_form_would_store(generated):
    """Observations read back through the catalog give the same text and unit; indices equal their items' score;
    medicines are on the pack's list with the same class."""
    from lhn_desktop.clinical import indices
    from lhn_desktop.clinical.observations import read_value
    from lhn_desktop.services.visits import drug_class_for, index_code_for

    db, _ = generated
    with db.read() as s:
        diagnosis = dict(s.execute(select(Patient.id, Patient.diagnosis)).all())
        index_rows = 0
        for o in s.scalars(select(Observation)):
            spec_kind = "index" if o.code in indices.load_indices() else "value"
            if spec_kind == "index":
                assert o.code == index_code_for(diagnosis[o.patient_id])
                result = indices.score(indices.get_index(o.code), indices.parse_score_text(o.detail))
                assert result.total_text == o.value
                index_rows += 1
            else:
                reading = read_value(o.code, o.value, o.unit)
                assert (reading.value, reading.unit) == (o.value, o.unit), (o.code, o.value)
        assert index_rows > 0
        for m in s.scalars(select(Medication)):
            assert drug_class_for(m.drug, diagnosis[m.patient_id]) == m.drug_class, m.drug


def test_pga_and_index_usually_agree(generated):
    """The simulated index follows the PGA's category at most visits (clinic data is never perfectly consistent)."""
    from lhn_desktop.clinical import indices

    db, _ = generated
    with db.read() as s:
        by_visit: dict[str, dict[str, str]] = {}
        for o in s.scalars(select(Observation).where(Observation.visit_id.is_not(None))):
            by_visit.setdefault(o.visit_id, {})[o.code] = o.value
    pairs = []
    for values in by_visit.values():
        code = next((c for c in ("WPCDAI", "PUCAI") if c in values), None)
        if code and "PGA" in values:
            category = indices.get_index(code).category(Decimal(values[code]))
            pairs.append(category == values["PGA"].replace("quiescent", "remission"))
    assert len(pairs) > 50
    assert sum(pairs) / len(pairs) > 0.7
