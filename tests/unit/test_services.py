"""Services: center creation, the team, and roles enforced for patient-level data."""

from __future__ import annotations

from pathlib import Path

import pytest

from lhn_desktop.access import Actor
from lhn_desktop.errors import PermissionDenied, ValidationError
from lhn_desktop.models.team import Role
from lhn_desktop.services.center import center_info, fingerprint, init_center_database, key_id
from lhn_desktop.services.overview import OverviewService
from lhn_desktop.services.patients import PatientService
from lhn_desktop.services.team import TeamService, parse_role
from lhn_desktop.store.database import Database
from tests.conftest import DEMO_TODAY


def test_init_creates_center_with_node_and_ed25519_keys(tmp_path: Path, admin: Actor) -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    info = init_center_database(
        tmp_path / "c.sqlite3", tmp_path / "b", "ctr-007", "  Lakeside   IBD  ", network=None, actor=admin
    )
    assert info.site_code == "ctr-007" and info.site_name == "Lakeside IBD"
    db = Database.open(tmp_path / "c.sqlite3", tmp_path / "b")
    try:
        node = db.local_node()
        private = load_der_private_key(node.private_key, password=None)
        signature = private.sign(b"hello")
        Ed25519PublicKey.from_public_bytes(node.public_key).verify(signature, b"hello")
        assert node.key_id == key_id(node.public_key) == info.key_id
        assert len(info.key_id) == 16
        assert center_info(db).fingerprint == fingerprint(node.public_key, "ctr-007")
    finally:
        db.close()
    with pytest.raises(ValidationError, match="already exists"):
        init_center_database(tmp_path / "c.sqlite3", tmp_path / "b", "ctr-008", "Other", network=None, actor=admin)


@pytest.mark.parametrize(
    ("code", "name", "message"),
    [
        ("C", "x", "cannot be used"),
        ("ctr 042", "x", "cannot be used"),
        ("ncc", "x", "reserved"),
        ("ctr-042", "   ", "Give the center a name"),
    ],
)
def test_bad_site_input_is_refused_before_a_file_is_made(tmp_path: Path, admin, code, name, message) -> None:
    with pytest.raises(ValidationError, match=message):
        init_center_database(tmp_path / "c.sqlite3", tmp_path / "b", code, name, network=None, actor=admin)
    assert not (tmp_path / "c.sqlite3").exists()


def test_roles_parse_from_values_and_labels() -> None:
    assert parse_role("Parent partner") is Role.PARENT_PARTNER
    assert parse_role("qi_lead") is Role.QI_LEAD
    with pytest.raises(ValidationError, match="not a team role"):
        parse_role("surgeon")


def test_team_members_and_audit_of_who_changed_what(db: Database, admin: Actor) -> None:
    from sqlalchemy import select

    from lhn_desktop.models.sync import AuditEvent

    team = TeamService(db)
    nurse = team.add_member(admin, "  Alex   Example ", "nurse")
    assert nurse.display_name == "Alex Example" and nurse.sees_patient_data
    as_nurse = team.actor_for(nurse.id)
    team.add_member(as_nurse, "Bo Example", "dietitian")
    with db.read() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert (last.actor_id, last.actor_name, last.action, last.entity) == (
            nurse.id,
            "Alex Example",
            "create",
            "team_member",
        )
    team.record_sign_in(as_nurse)
    with db.read() as s:
        last = s.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
        assert (last.actor_name, last.action, last.record_id) == ("Alex Example", "sign_in", nurse.id)
    with pytest.raises(ValidationError, match="Enter the team member's name"):
        team.add_member(admin, "   ", "nurse")


def _partner(db: Database) -> Actor:
    team = TeamService(db)
    member = next(m for m in team.list_members() if m.role == "parent_partner")
    return team.actor_for(member.id)


def test_partners_get_no_patient_level_data_from_any_service(demo_db: Database) -> None:
    team = TeamService(demo_db)
    for m in team.list_members():
        actor = team.actor_for(m.id)
        patients = PatientService(demo_db)
        overview = OverviewService(demo_db)
        if m.sees_patient_data:
            assert patients.search(actor)
            continue
        assert m.role in ("patient_partner", "parent_partner")
        with pytest.raises(PermissionDenied, match="do not see patient-level information"):
            patients.search(actor)
        with pytest.raises(PermissionDenied):
            patients.count(actor)
        some_id = patients.search(Actor.workstation())[0].id
        with pytest.raises(PermissionDenied):
            patients.get(actor, some_id)
        day = overview.clinic_days(start=DEMO_TODAY)[0].day
        with pytest.raises(PermissionDenied):
            overview.day_schedule(actor, day)
        # what partners do see is there, and its records carry no patient-level fields
        import dataclasses

        for rows in (overview.improvement(), overview.measures(), overview.resources()):
            assert rows
            names = {f.name for f in dataclasses.fields(rows[0])}
            assert not names & {"mrn", "patient_id", "patient_name", "birth_date", "given_name", "family_name"}


def test_partner_cannot_add_clinical_members(db: Database) -> None:
    partner = _partner(db)
    with pytest.raises(PermissionDenied):
        TeamService(db).add_member(partner, "Dr. New", "physician")
    TeamService(db).add_member(partner, "Another Parent", "parent_partner")


def test_patient_search_and_page(demo_db: Database, admin: Actor) -> None:
    from tests.conftest import DEMO_TODAY

    service = PatientService(demo_db, today=lambda: DEMO_TODAY)
    everyone = service.search(admin)
    assert len(everyone) == service.count(admin) > 0
    first = everyone[0]
    family = first.name.split(",")[0]
    found = service.search(admin, family.lower())
    assert first.id in {p.id for p in found}
    assert service.search(admin, first.mrn)[0].id == first.id
    assert service.search(admin, "zzzz-nobody") == []
    detail = service.get(admin, first.id)
    assert detail.summary.mrn == first.mrn
    assert detail.observations and all(o.observed_on <= DEMO_TODAY for o in detail.observations)
    assert [o.observed_on for o in detail.observations] == sorted(
        (o.observed_on for o in detail.observations), reverse=True
    )
