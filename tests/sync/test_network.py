"""Network bundles: a center's shared records reach the coordinating center and, relayed, the other centers;
nothing patient-level ever leaves; the free-text gate holds back what looks like an identifier."""

from __future__ import annotations

import shutil
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from lhn_desktop.access import Actor
from lhn_desktop.errors import PermissionDenied, ValidationError
from lhn_desktop.models.commons import Resource, UsageEvent
from lhn_desktop.models.goals import PatientGoal
from lhn_desktop.models.patients import ClinicalEvent, Medication, Observation, Patient, Visit
from lhn_desktop.models.planning import AgendaItem
from lhn_desktop.models.sync import AuditEvent, SyncExportLog
from lhn_desktop.models.team import Role
from lhn_desktop.services.center import init_center_database
from lhn_desktop.services.commons import CommonsService, attachments_folder
from lhn_desktop.services.sync import ExportBlocked, SyncService
from lhn_desktop.services.trust import TrustService
from lhn_desktop.store.database import Database
from lhn_desktop.sync.bundle import BundleRejected

ADMIN = Actor.workstation()
PARTNER = Actor(member_id=None, name="Jordan Mockridge", role=Role.PARENT_PARTNER)
KEY = bytes(range(32))

#: Sentinel identifiers seeded into every patient table of the sending center.
SENTINELS = {
    "given": "Zebulon", "family": "Quixotica", "mrn": "MRN99887766", "birth": "1999-12-31", "phone": "614-555-0199",
    "email": "zq.family@example.org",
}  # fmt: skip


@pytest.fixture
def network(demo_path: Path, center_template: Path, tmp_path: Path):
    """Center A (the demo center, with a sentinel patient), center B (ctr-042) and the coordinating center,
    each trusting the others' keys as the network would set them up."""
    b_path = tmp_path / "b" / "center.sqlite3"
    b_path.parent.mkdir()
    shutil.copy(center_template, b_path)
    init_center_database(tmp_path / "ncc" / "ncc.sqlite3", tmp_path / "ncc-backups", "ignored", "ImproveCareNow NCC",
                         network="ImproveCareNow", actor=ADMIN, network_center=True)  # fmt: skip
    a = Database.open(demo_path, tmp_path / "a-backups")
    b = Database.open(b_path, tmp_path / "b-backups")
    ncc = Database.open(tmp_path / "ncc" / "ncc.sqlite3", tmp_path / "ncc-backups")
    for receiver, sender, role in ((ncc, a, "node"), (ncc, b, "node"), (a, ncc, "ncc"), (b, ncc, "ncc")):
        card = TrustService.read_card(TrustService(sender).export_card(tmp_path / "key.card"))
        TrustService(receiver).add(ADMIN, card, card.fingerprint, role=role)
    seed_sentinels(a)
    yield a, b, ncc
    for db in (a, b, ncc):
        db.close()


def seed_sentinels(db: Database) -> None:
    x = SENTINELS
    with db.write(ADMIN) as s:
        p = Patient(mrn=x["mrn"], given_name=x["given"], family_name=x["family"], birth_date=date(1999, 12, 31),
                    sex="F", diagnosis="crohns", phone=x["phone"], email=x["email"])  # fmt: skip
        s.add(p)
        s.flush()
        v = Visit(patient_id=p.id, visit_date=date(2026, 3, 3), clinician=f"Dr. {x['family']}", visit_type="Follow-up")
        s.add(v)
        s.flush()
        s.add_all([
            Observation(patient_id=p.id, visit_id=v.id, code="PGA", value="quiescent", observed_on=date(1999, 12, 31)),
            Medication(patient_id=p.id, drug="azathioprine", drug_class="thiopurine", dose=x["mrn"],
                       start_date=date(1999, 12, 31)),
            ClinicalEvent(patient_id=p.id, kind="screening", code="PHQ-9", event_date=date(1999, 12, 31),
                          result=f"{x['given']} {x['phone']}"),
            PatientGoal(patient_id=p.id, level="functional", text=f"{x['given']} wants to play soccer",
                        owner="patient"),
            AgendaItem(patient_id=p.id, kind="concern", text=f"Call {x['phone']} or {x['email']}",
                       entered_on=date(2026, 3, 2)),
        ])  # fmt: skip


def share(db: Database, title: str, body: str = "Call each family two days before the visit.") -> str:
    commons = CommonsService(db, attachments_folder(db.path))
    return commons.add_resource(ADMIN, title=title, kind="tool", summary="A pre-visit planning script.", body=body,
                                tags="pre-visit planning", contributor_role="improver")  # fmt: skip


def send(src: Database, dst: Database, folder: Path, audience: str | None = None):
    folder.mkdir(exist_ok=True)
    path = SyncService(src).export_network(ADMIN, folder, audience=audience)
    return SyncService(dst).import_bundle(ADMIN, path, None), path


def test_a_resource_travels_from_one_center_to_another_through_the_network(network, tmp_path: Path):
    a, b, ncc = network
    rid = share(a, "Pre-visit call script")
    report, _ = send(a, ncc, tmp_path / "to-ncc")
    assert report.sender == "demo-ibd" and report.kinds["commons resource"] >= 1 and report.hidden == 0
    send(ncc, b, tmp_path / "to-b", audience="ctr-042")

    commons_b = CommonsService(b, attachments_folder(b.path))
    assert [r.id for r in commons_b.search("call script")] == [rid]  # indexed on arrival
    with b.read() as s:
        resource = s.get(Resource, rid)
        assert (resource.owner_site_id, resource.title, resource.contributing_site) == (
            "demo-ibd",
            "Pre-visit call script",
            resource.contributing_site,
        )
    with pytest.raises(PermissionDenied, match="read-only here"), b.write(ADMIN) as s:
        s.get(Resource, rid).title = "Changed at B"

    commons_b.adopt(ADMIN, rid, note="Using it in our Tuesday clinic")
    adapted = commons_b.adapt(ADMIN, rid, title="Pre-visit call script (Spanish)", what_changed="Translated")
    send(b, ncc, tmp_path / "b-to-ncc")
    send(ncc, a, tmp_path / "to-a", audience="demo-ibd")
    with a.read() as s:
        uses = s.scalars(select(UsageEvent).where(UsageEvent.resource_id == rid).order_by(UsageEvent.kind)).all()
        assert [(u.kind, u.owner_site_id, u.member_id, u.note) for u in uses] == [
            ("adapted", "ctr-042", None, "Translated"),
            ("adopted", "ctr-042", None, "Using it in our Tuesday clinic"),
        ]
        copy = s.get(Resource, adapted)
        assert (copy.adapted_from_id, copy.owner_site_id, copy.title) == (
            rid,
            "ctr-042",
            "Pre-visit call script (Spanish)",
        )
    assert [r.id for r in CommonsService(a, attachments_folder(a.path)).search("Spanish")] == [adapted]


def test_the_coordinating_center_does_not_send_a_center_its_own_records(network, tmp_path: Path):
    a, _b, ncc = network
    share(a, "Pre-visit call script")
    send(a, ncc, tmp_path / "1")
    preview = SyncService(ncc).preview(ADMIN, "network", "demo-ibd")
    assert "resource" not in {c.entity for c in preview.counts}
    with pytest.raises(ValidationError, match="Choose the center"):
        SyncService(ncc).preview(ADMIN, "network")


def test_no_patient_data_leaves_in_a_network_bundle(network, tmp_path: Path):
    a, _b, _ncc = network
    share(a, "Transition readiness checklist")
    folder = tmp_path / "out"
    folder.mkdir()
    path = SyncService(a).export_network(ADMIN, folder)
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        everything = b"".join(zf.read(n) for n in names)
    assert {n.removeprefix("data/").removesuffix(".ndjson") for n in names if n.startswith("data/")} <= {
        "site", "resource", "usage_event", "measure_value"}  # fmt: skip
    for value in SENTINELS.values():
        assert value.encode() not in everything, value
    assert b"Transition readiness checklist" in everything


def test_the_free_text_gate_blocks_until_edited_or_attested(network, tmp_path: Path):
    a, _b, _ncc = network
    share(a, "Phone follow-up", body="Ring the family on 614-555-0134 after the infusion.")
    folder = tmp_path / "out"
    folder.mkdir()
    preview = SyncService(a).preview(ADMIN, "network")
    (flagged,) = [t for t in preview.texts if t.findings]
    assert preview.blocked and flagged.kind == "commons resource" and "614-555-0134" not in flagged.findings[0]
    with pytest.raises(ExportBlocked, match="Nothing was exported"):
        SyncService(a).export_network(ADMIN, folder)
    assert list(folder.iterdir()) == []
    with pytest.raises(PermissionDenied):
        SyncService(a).export_network(PARTNER, folder, attestation="This is the clinic's own switchboard number.")
    with pytest.raises(ValidationError, match="full sentence"):
        SyncService(a).export_network(ADMIN, folder, attestation="ok")
    why = "This is the clinic's own switchboard number, not a family's."
    path = SyncService(a).export_network(ADMIN, folder, attestation=why)
    assert path.exists()
    with a.read() as s:
        assert s.scalars(select(SyncExportLog.attestation).where(SyncExportLog.file_name == path.name)).one() == why
        assert why in s.scalars(select(AuditEvent.fields).where(AuditEvent.action == "export")).all()[-1]


def test_center_bundles_never_reach_the_network(network, tmp_path: Path):
    a, _b, ncc = network
    folder = tmp_path / "c"
    folder.mkdir()
    path = SyncService(a).export_center(ADMIN, folder, KEY)
    with pytest.raises(BundleRejected) as caught:
        SyncService(ncc).import_bundle(ADMIN, path, KEY)
    assert caught.value.code == "E_WRONG_AUDIENCE"


def test_a_network_bundle_meant_for_another_center_is_refused(network, tmp_path: Path):
    a, b, ncc = network
    share(a, "Pre-visit call script")
    send(a, ncc, tmp_path / "1")
    folder = tmp_path / "2"
    folder.mkdir()
    path = SyncService(ncc).export_network(ADMIN, folder, audience="demo-ibd")
    with pytest.raises(BundleRejected) as caught:
        SyncService(b).import_bundle(ADMIN, path, None)
    assert caught.value.code == "E_WRONG_AUDIENCE"


def test_the_export_review_warns_of_a_median_from_few_patients(network):
    from lhn_desktop.services.measures import MeasureService

    _a, b, _ncc = network
    measures = MeasureService(b, today=lambda: date(2026, 3, 5))
    measures.install_library(ADMIN)
    measures.enter_value(ADMIN, "cf_fev1_median", "2026-01", 3, 40, 88.5)  # 3 readings: nearly individual values
    measures.enter_value(ADMIN, "cf_fev1_median", "2026-02", 12, 40, 90.0)
    warnings = SyncService(b).preview(ADMIN, "network").warnings
    assert [w for w in warnings if "median" in w] == [
        "2026-01: a median or mean from 3 patients is below 11; the network will not show it to other centers."
    ]
