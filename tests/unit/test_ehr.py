"""FHIR R4 in and out: the demo center's round trip, a hospital-like export, updates, and bad input."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from lhn_desktop.access import Actor
from lhn_desktop.errors import NeedsConfirmation, PermissionDenied
from lhn_desktop.models.patients import ClinicalEvent, Medication, Observation, Patient, Visit
from lhn_desktop.models.team import Role
from lhn_desktop.services.ehr import EhrService
from lhn_desktop.store.database import Database
from tests.conftest import DEMO_TODAY

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
MR = {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]}}


def service(db: Database) -> EhrService:
    return EhrService(db, today=lambda: DEMO_TODAY)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


@pytest.fixture
def fresh(center_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A new center of its own (another file than the demo's), as 'lhn-desktop init' leaves it."""
    import shutil

    path = tmp_path / "fresh" / "center.sqlite3"
    path.parent.mkdir()
    shutil.copyfile(center_template, path)
    database = Database.open(path, tmp_path / "fresh" / "backups")
    yield database
    database.close()


@pytest.fixture
def exported(demo_db: Database, admin: Actor, out: Path) -> Path:
    return service(demo_db).export_fhir(admin, out, confirm_patient_data=True).folder


def content(db: Database) -> dict[str, list[tuple]]:
    """Every patient-level record by what it says (MRN, dates, codes, values), not by its id."""
    with db.read() as s:
        mrn = dict(s.execute(select(Patient.id, Patient.mrn)).all())
        visits = {v.id: v for v in s.scalars(select(Visit))}
        seen = {vid: v.visit_date for vid, v in visits.items() if v.status == "completed"}
        meds = {m.id: m for m in s.scalars(select(Medication))}
        fields = ("mrn", "given_name", "family_name", "birth_date", "sex", "diagnosis", "diagnosis_date",
                  "disease_classification", "paris_location", "paris_upper_gi", "paris_behaviour", "paris_perianal",
                  "paris_growth", "uc_extent", "uc_severity", "phone", "email", "preferred_language", "status",
                  "status_date", "active")  # fmt: skip
        patients = sorted(tuple(getattr(p, f) for f in fields) for p in s.scalars(select(Patient)))
        visit_rows = sorted((mrn[v.patient_id], v.visit_date, v.visit_time or "", v.status, v.visit_type,
                             v.clinician or "") for v in visits.values())  # fmt: skip
        observations = sorted((mrn[o.patient_id], o.code, o.observed_on, o.value, o.unit or "", o.original_value or "",
                               o.original_unit or "", o.detail or "", o.entered_in_error, str(seen.get(o.visit_id, "")))
                              for o in s.scalars(select(Observation)))  # fmt: skip
        medications = sorted((mrn[m.patient_id], m.drug, m.drug_class, m.dose or "", m.start_date,
                              str(m.stop_date or ""), m.stop_reason or "", m.entered_in_error,
                              str(seen.get(m.visit_id, "")),
                              str(meds[m.changed_from_id].start_date) if m.changed_from_id else "")
                             for m in meds.values())  # fmt: skip
        events = sorted((mrn[e.patient_id], e.kind, e.code, e.event_date, e.result or "", e.entered_in_error,
                         str(seen.get(e.visit_id, ""))) for e in s.scalars(select(ClinicalEvent)))  # fmt: skip
    return {"patients": patients, "visits": visit_rows, "observations": observations, "medications": medications,
            "events": events}  # fmt: skip


def row_counts(db: Database) -> tuple[int, ...]:
    with db.read() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Patient, Visit, Observation, Medication,
                                                                             ClinicalEvent))  # fmt: skip


def write_ndjson(path: Path, resources: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in resources), encoding="utf-8")
    return path


# -- the demo center out and back in ---------------------------------------------------------------------------


def test_the_demo_center_round_trips_through_fhir(demo_db, fresh, admin, exported):
    db = fresh
    before = content(demo_db)
    assert before["patients"] and before["observations"] and before["medications"] and before["events"]
    ehr = service(db)
    preview = ehr.import_files(admin, [exported])
    assert not preview.applied and preview.problems == [] and preview.skipped == {}
    assert row_counts(db) == (0, 0, 0, 0, 0)  # a preview writes nothing
    report = ehr.import_files(admin, [exported], apply=True)
    assert report.applied
    assert {k: (c.new, c.changed, c.skipped) for k, c in report.counts.items()} == {
        k: (c.new, 0, 0) for k, c in preview.counts.items()
    }
    assert content(db) == before
    again = ehr.import_files(admin, [exported], apply=True)
    assert again.changes == 0 and content(db) == before
    assert all(c.unchanged == c2.new for c, c2 in zip(again.counts.values(), report.counts.values(), strict=True))


def test_manifest_lists_every_file_and_the_export_is_audited(demo_db, admin, exported):
    manifest = json.loads((exported / "manifest.json").read_text())
    names = {o["type"]: o["url"] for o in manifest["output"]}
    assert set(names) == {"Patient", "Condition", "Encounter", "Appointment", "Observation", "MedicationStatement",
                          "Immunization", "Procedure"}  # fmt: skip
    assert all((exported / url).is_file() for url in names.values())
    with demo_db.read() as s:
        from lhn_desktop.models.sync import AuditEvent

        (detail,) = s.scalars(select(AuditEvent.fields).where(AuditEvent.entity == "fhir"))
    assert detail.startswith("Patient 30, Condition 30") and exported.name in detail


def test_exact_decimals_survive(demo_db, admin, exported):
    line = next(x for x in (exported / "Observation.ndjson").read_text().splitlines() if '"valueQuantity"' in x)
    resource = json.loads(line, parse_float=str)
    assert isinstance(resource["valueQuantity"]["value"], str | int)  # written as a JSON number, not a string
    assert '"value":"' not in line.split('"valueQuantity"')[1].split("}")[0]


def test_a_zip_of_the_export_and_a_bundle_read_the_same(fresh, admin, exported, tmp_path):
    db = fresh
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
        for f in exported.iterdir():
            z.write(f, f"bulk/{f.name}")
    from_zip = service(db).import_files(admin, [archive])
    from_folder = service(db).import_files(admin, [exported])
    assert from_zip.problems == [] and from_zip.resources == from_folder.resources
    entries = [{"resource": json.loads(x)} for x in (exported / "Patient.ndjson").read_text().splitlines()]
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}))
    report = service(db).import_files(admin, [bundle], apply=True)
    assert report.problems == [] and report.counts["patients"].new == 30


# -- a hospital's export -----------------------------------------------------------------------------------------


def hospital() -> list[dict]:
    """What an EHR writes for one child with Crohn disease (codes as EHRs use them; no LHN Desktop codings)."""
    subject = {"reference": "Patient/p1"}

    def lab(rid: str, loinc: str, value, ucum: str, day: str) -> dict:
        return {"resourceType": "Observation", "id": rid, "status": "final",
                "code": {"coding": [{"system": LOINC, "code": loinc, "display": "\u200bignored"}]},
                "subject": subject, "encounter": {"reference": "Encounter/e1"}, "effectiveDateTime": day,
                "valueQuantity": {"value": value, "unit": ucum, "system": UCUM, "code": ucum}}  # fmt: skip

    return [
        {"resourceType": "Patient", "id": "p1", "identifier": [{**MR, "value": "000123"}],
         "name": [{"use": "official", "family": "Testwood", "given": ["Ada", "Jo"]}], "gender": "female",
         "birthDate": "2012-06-01", "telecom": [{"system": "phone", "value": "555-0101"}]},
        {"resourceType": "Condition", "id": "c1", "subject": subject, "onsetDateTime": "2023-09-14",
         "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "K50.011"}]}},
        {"resourceType": "Encounter", "id": "e1", "status": "finished", "subject": subject,
         "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
         "period": {"start": "2026-02-26T09:30:00-05:00"}},
        lab("o1", "1988-5", 0.35, "mg/dL", "2026-02-26"),
        lab("o2", "30341-2", 12, "mm/h", "2026-02-26"),
        lab("o3", "38445-3", 50, "ug/g", "2026-02-26"),
        lab("o4", "62292-8", 30, "ng/mL", "2026-02-26"),
        lab("o5", "29463-7", 71.5, "[lb_av]", "2026-02-26"),
        {"resourceType": "MedicationRequest", "id": "m1", "status": "active", "intent": "order", "subject": subject,
         "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm",
                                                   "code": "197388"}], "text": "azathioprine 50 MG Oral Tablet"},
         "authoredOn": "2026-02-26", "dosageInstruction": [{"text": "75 mg daily"}]},
        {"resourceType": "Immunization", "id": "i1", "status": "completed", "patient": subject,
         "vaccineCode": {"coding": [{"system": "http://hl7.org/fhir/sid/cvx", "code": "141"}]},
         "occurrenceDateTime": "2025-10-01"},
        {"resourceType": "Appointment", "id": "a1", "status": "booked", "start": "2026-03-05T14:15:00-05:00",
         "participant": [{"actor": subject, "status": "accepted"}]},
    ]  # fmt: skip


def test_a_hospital_export_is_mapped_by_codes(db, admin, tmp_path):
    path = write_ndjson(tmp_path / "export.ndjson", hospital())
    report = service(db).import_files(admin, [path], apply=True)
    assert report.applied and report.problems == [] and report.skipped == {}
    with db.read() as s:
        p = s.scalar(select(Patient))
        assert (p.mrn, p.given_name, p.diagnosis, p.diagnosis_date) == ("000123", "Ada Jo", "Crohn disease",
                                                                         date(2023, 9, 14))  # fmt: skip
        values = {o.code: (o.value, o.unit, o.original_value, o.original_unit) for o in s.scalars(select(Observation))}
        med = s.scalar(select(Medication))
        event = s.scalar(select(ClinicalEvent))
        statuses = sorted((v.visit_date, v.status) for v in s.scalars(select(Visit)))
    assert values["CRP"] == ("3.5", "mg/L", "0.35", "mg/dL")  # converted, the original kept
    assert values["FCP"] == ("50", "µg/g", None, None)
    assert values["VITD"][1:] == ("nmol/L", "30", "ng/mL")
    assert values["WEIGHT"] == ("32.43", "kg", "71.5", "lb")
    assert (med.drug, med.drug_class, med.dose, med.start_date) == ("azathioprine", "thiopurine", "75 mg daily",
                                                                    date(2026, 2, 26))  # fmt: skip
    assert (event.kind, event.code) == ("immunization", "Influenza (inactivated)")
    assert statuses == [(date(2026, 2, 26), "completed"), (date(2026, 3, 5), "scheduled")]


def test_a_newer_export_updates_what_changed(db, admin, tmp_path):
    first = hospital()
    service(db).import_files(admin, [write_ndjson(tmp_path / "a.ndjson", first)], apply=True)
    newer = [dict(r) for r in first]
    crp = next(r for r in newer if r.get("id") == "o1")
    crp["valueQuantity"] = {**crp["valueQuantity"], "value": 0.5}
    newer.append({**crp, "id": "o9", "effectiveDateTime": "2026-03-01"})
    report = service(db).import_files(admin, [write_ndjson(tmp_path / "b.ndjson", newer)], apply=True)
    obs = report.counts["observations"]
    assert (obs.new, obs.changed, obs.unchanged) == (1, 1, 4)
    with db.read() as s:
        assert sorted(s.scalars(select(Observation.value).where(Observation.code == "CRP"))) == ["5.0", "5.0"]


def test_values_already_typed_at_the_visit_are_not_added_twice(db, admin, tmp_path):
    path = write_ndjson(tmp_path / "a.ndjson", hospital())
    service(db).import_files(admin, [path], apply=True)
    renamed = [{**r, "id": "x" + r["id"]} if r["resourceType"] == "Observation" else r for r in hospital()]
    report = service(db).import_files(admin, [write_ndjson(tmp_path / "b.ndjson", renamed)], apply=True)
    assert report.counts["observations"].new == 0 and report.counts["observations"].unchanged == 5


# -- what is left out, and bad input -------------------------------------------------------------------------------


def test_codes_that_map_to_nothing_are_counted_with_where(db, admin, tmp_path):
    resources = hospital()
    resources[3] = {**resources[3], "code": {"coding": [{"system": "http://example.org/local-labs", "code": "CRP1"}]}}
    resources.append({"resourceType": "Encounter", "id": "e2", "status": "in-progress", "subject": {"reference":
                      "Patient/p1"}, "class": {"code": "AMB"}, "period": {"start": "2026-03-01"}})  # fmt: skip
    report = service(db).import_files(admin, [write_ndjson(tmp_path / "x.ndjson", resources)], apply=True)
    assert report.applied
    (count, where) = report.skipped["observations", "an observation whose code is not in the map "
                                                    "(http://example.org/local-labs|CRP1)"]  # fmt: skip
    assert count == 1 and where == ["x.ndjson line 4 (Observation/o1)"]
    assert report.skipped["visits", "an encounter that is in-progress, not finished"][0] == 1


@pytest.mark.parametrize(
    ("lines", "where", "words"),
    [
        (['{"resourceType": "Patient", "id": "p1"', None], "bad.ndjson line 1", "not valid JSON"),
        ([{"resourceType": "Spaceship", "id": "s1"}], "bad.ndjson line 1 (Spaceship/s1)", "an unknown resource type"),
        ([{"resourceType": "Observation", "id": "o1", "status": "final", "code": {"text": "CRP"},
           "effectiveDateTime": "2026-13-45"}], "bad.ndjson line 1 (Observation/o1)",
         "not valid FHIR: effectiveDateTime"),
        ([{"resourceType": "Patient", "id": "p9", "name": [{"family": "Fictor", "given": ["Ben"]}],
           "birthDate": "2011-02-03"}], "bad.ndjson line 1 (Patient/p9)", "without an MRN"),
        ([{"resourceType": "Patient", "id": "p1", "identifier": [{**MR, "value": "000777"}], "gender": "male",
           "name": [{"family": "Fictor", "given": ["Ben"]}], "birthDate": "2011-02-03"},
          {"resourceType": "Patient", "id": "p2", "identifier": [{**MR, "value": "000777"}], "gender": "male",
           "name": [{"family": "Fictor", "given": ["Ben"]}], "birthDate": "2011-03-02"}],
         "bad.ndjson line 2 (Patient/p2)", "the same MRN as bad.ndjson line 1"),
        ([{"resourceType": "Basic", "id": "b1", "code": {"text": "note"}}, "not json at all"], "bad.ndjson line 2",
         "not valid JSON"),
    ],
)  # fmt: skip
def test_bad_input_is_named_by_file_and_line_and_nothing_is_written(db, admin, tmp_path, lines, where, words):
    good = json.dumps(hospital()[0])
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines if line) + good
    path = tmp_path / "bad.ndjson"
    path.write_text(text + "\n", encoding="utf-8")
    report = service(db).import_files(admin, [path], apply=True)
    assert not report.applied and row_counts(db) == (0, 0, 0, 0, 0)
    assert any(w == where and words in what for w, what in report.problems), report.problems
    for _, what in report.problems:  # nothing from the file's content in a message
        assert "Fictor" not in what and "000777" not in what and "Testwood" not in what


def test_a_truncated_file_is_named_at_its_last_line(db, admin, tmp_path):
    text = "".join(json.dumps(r) + "\n" for r in hospital())
    path = tmp_path / "cut.ndjson"
    path.write_text(text[: len(text) - 40], encoding="utf-8")
    report = service(db).import_files(admin, [path], apply=True)
    assert not report.applied and row_counts(db) == (0, 0, 0, 0, 0)
    assert report.problems == [(f"cut.ndjson line {len(hospital())}", report.problems[0][1])]
    assert "cut short" in report.problems[0][1]


def test_a_two_gigabyte_file_that_is_not_fhir_is_refused_at_once(db, admin, tmp_path):
    path = tmp_path / "huge.ndjson"
    with path.open("wb") as f:
        f.write(b"PK\x03\x04 not a FHIR export")
        f.truncate(2 * 1024**3)  # sparse: takes no disk space
    report = service(db).import_files(admin, [path], apply=True)
    assert report.problems == [("huge.ndjson", "not a FHIR file (it does not start with JSON)")]


def test_a_missing_path_and_a_manifest_listing_a_missing_file(fresh, admin, tmp_path, exported):
    db = fresh
    (exported / "Procedure.ndjson").unlink()
    report = service(db).import_files(admin, [exported, tmp_path / "nowhere.ndjson"])
    assert ("Procedure.ndjson", "the manifest lists this file but it is not in the folder") in report.problems
    assert ("nowhere.ndjson", "there is no such file or folder") in report.problems


# -- roles and confirmation ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PARENT_PARTNER, Role.PATIENT_PARTNER])
def test_partners_are_refused(demo_db, out, role, tmp_path):
    partner = Actor(member_id=None, name="Jordan Mockridge", role=role)
    with pytest.raises(PermissionDenied):
        service(demo_db).export_fhir(partner, out, confirm_patient_data=True)
    with pytest.raises(PermissionDenied):
        service(demo_db).import_files(partner, [write_ndjson(tmp_path / "a.ndjson", hospital())])
    assert list(out.iterdir()) == []


def test_the_export_must_be_confirmed(demo_db, admin, out):
    with pytest.raises(NeedsConfirmation, match="patient data"):
        service(demo_db).export_fhir(admin, out)
    assert list(out.iterdir()) == []


# -- hand corrections since the last import ----------------------------------------------------------------------


def test_a_value_corrected_by_hand_is_kept_and_the_clash_listed(db, admin, tmp_path):
    from lhn_desktop.services.corrections import CorrectionService
    from lhn_desktop.services.registry import RegistryService, with_changes

    service(db).import_files(admin, [write_ndjson(tmp_path / "a.ndjson", hospital())], apply=True)
    with db.read() as s:
        crp = s.scalar(select(Observation.id).where(Observation.code == "CRP"))
        pid = s.scalar(select(Patient.id))
    CorrectionService(db, today=lambda: DEMO_TODAY).correct_observation(admin, crp, "4.0", "The lab called back",
                                                                        unit="mg/L")  # fmt: skip
    registry = RegistryService(db, today=lambda: DEMO_TODAY)
    registry.edit(admin, pid, with_changes(registry.form(admin, pid), phone="555-0199"), reason="New number")
    newer = hospital()
    newer[3] = {**newer[3], "valueQuantity": {**newer[3]["valueQuantity"], "value": 0.5}}
    newer[4] = {**newer[4], "valueQuantity": {**newer[4]["valueQuantity"], "value": 14}}
    report = service(db).import_files(admin, [write_ndjson(tmp_path / "b.ndjson", newer)], apply=True)
    assert report.applied and report.counts["observations"].changed == 1  # the ESR, which nobody corrected
    kinds = {(kind, where) for kind, where, _ in report.clashes}
    assert kinds == {("observations", "b.ndjson line 4 (Observation/o1)"), ("patients", "b.ndjson line 1 (Patient/p1)")}
    text = next(what for kind, _, what in report.clashes if kind == "observations")
    assert "corrected by hand on " in text and "(value, original value, original unit)" in text and "kept" in text
    with db.read() as s:
        assert s.scalar(select(Observation.value).where(Observation.id == crp)) == "4.0"
        assert s.scalar(select(Patient.phone)) == "555-0199"


def test_a_visit_removed_by_hand_is_not_brought_back(db, admin, tmp_path):
    from lhn_desktop.services.corrections import CorrectionService

    path = write_ndjson(tmp_path / "a.ndjson", hospital())
    service(db).import_files(admin, [path], apply=True)
    with db.read() as s:
        booked = s.scalar(select(Visit.id).where(Visit.status == "scheduled"))
    CorrectionService(db, today=lambda: DEMO_TODAY).delete_visit(admin, booked, "Booked for the wrong child")
    report = service(db).import_files(admin, [path], apply=True)
    assert report.counts["visits"].new == 0
    assert [(k, w) for k, w, _ in report.clashes] == [("visits", "a.ndjson line 11 (Appointment/a1)")]
    assert "removed by hand" in report.clashes[0][2]


def test_progress_is_reported_and_cancel_writes_nothing(fresh, admin, exported):
    from lhn_desktop.errors import Cancelled
    from lhn_desktop.progress import CancelToken

    token, labels = CancelToken(), []

    def progress(done: int, total: int | None, label: str) -> None:
        labels.append(label)
        if label.startswith("Matching and writing"):
            token.cancel()

    with pytest.raises(Cancelled):
        service(fresh).import_files(admin, [exported], apply=True, progress=progress, cancel=token)
    assert row_counts(fresh) == (0, 0, 0, 0, 0)
    assert labels[0] == "Reading the export: 0 resources" and labels[-1].startswith("Matching and writing: 500 of ")


def test_an_appointment_and_its_encounter_are_one_visit(db, admin, tmp_path):
    resources = hospital()
    resources.append({"resourceType": "Appointment", "id": "a0", "status": "fulfilled",
                      "start": "2026-02-26T09:30:00-05:00",
                      "participant": [{"actor": {"reference": "Patient/p1"}, "status": "accepted"}]})  # fmt: skip
    report = service(db).import_files(admin, [write_ndjson(tmp_path / "a.ndjson", resources)], apply=True)
    visits = report.counts["visits"]
    assert (visits.new, visits.unchanged) == (2, 1)
    with db.read() as s:
        assert sorted((v.visit_date, v.status) for v in s.scalars(select(Visit))) == [
            (date(2026, 2, 26), "completed"), (date(2026, 3, 5), "scheduled")]  # fmt: skip


def test_a_medicine_named_by_reference_and_an_mrn_in_the_hospitals_own_system(db, admin, tmp_path):
    resources = hospital()
    resources[0] = {**resources[0], "identifier": [{"system": "urn:oid:1.2.840.114350.1.13.0.1.7.5.737384.14",
                                                    "value": "000123"}]}  # fmt: skip
    order = next(r for r in resources if r["resourceType"] == "MedicationRequest")
    concept = order.pop("medicationCodeableConcept")
    order["medicationReference"] = {"reference": "Medication/med-1"}
    resources.append({"resourceType": "Medication", "id": "med-1", "code": concept})
    resources.append({**order, "id": "m2", "medicationReference": {"reference": "Medication/elsewhere"}})
    path = write_ndjson(tmp_path / "a.ndjson", resources)
    without = service(db).import_files(admin, [path])
    assert [w for w, _ in without.problems] == ["a.ndjson line 1 (Patient/p1)"]  # no identifier typed MR
    report = service(db).import_files(admin, [path], apply=True,
                                      mrn_system="urn:oid:1.2.840.114350.1.13.0.1.7.5.737384.14")  # fmt: skip
    assert report.applied and report.counts["medications"].new == 1
    assert report.skipped["medications", "a medicine given by reference to a Medication that is not in the files"] == (
        1, ["a.ndjson line 13 (MedicationRequest/m2)"])  # fmt: skip
    with db.read() as s:
        assert s.scalar(select(Patient.mrn)) == "000123"
        assert s.scalar(select(Medication.drug)) == "azathioprine"
