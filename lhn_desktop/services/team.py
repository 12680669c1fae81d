"""Team members and their roles."""

from __future__ import annotations

from sqlalchemy import select

from lhn_desktop.access import Actor
from lhn_desktop.errors import NotFound, PermissionDenied, ValidationError
from lhn_desktop.models.team import Role, TeamMember
from lhn_desktop.services.dto import MemberInfo
from lhn_desktop.store.capture import record_audit
from lhn_desktop.store.database import Database


def _info(m: TeamMember) -> MemberInfo:
    role = Role(m.role)
    return MemberInfo(m.id, m.display_name, role.value, role.label, m.active, m.profile, role.sees_patient_data)


def parse_role(text: str) -> Role:
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    for role in Role:
        if key in (role.value, role.label.lower().replace(" ", "_")):
            return role
    choices = ", ".join(r.value for r in Role)
    raise ValidationError(f"{text!r} is not a team role. Choose one of: {choices}.")


class TeamService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def list_members(self, *, include_inactive: bool = False) -> list[MemberInfo]:
        with self.db.read() as s:
            q = select(TeamMember).order_by(TeamMember.display_name)
            if not include_inactive:
                q = q.where(TeamMember.active.is_(True))
            return [_info(m) for m in s.scalars(q)]

    def get_member(self, member_id: str) -> MemberInfo:
        with self.db.read() as s:
            m = s.get(TeamMember, member_id)
            if m is None:
                raise NotFound("That team member is no longer in this center's team list.")
            return _info(m)

    def add_member(self, actor: Actor, display_name: str, role: Role | str, profile: str | None = None) -> MemberInfo:
        name = " ".join(display_name.split())
        if not name:
            raise ValidationError("Enter the team member's name.")
        if len(name) > 200:
            raise ValidationError("The name is longer than 200 characters; shorten it.")
        role = role if isinstance(role, Role) else parse_role(role)
        if actor.role is not None and not actor.sees_patient_data and role.sees_patient_data:
            raise PermissionDenied("Patient and parent partners can add other partners, but not clinical team members.")
        with self.db.write(actor) as s:
            m = TeamMember(display_name=name, role=role.value, profile=profile)
            s.add(m)
            s.flush()
            return _info(m)

    def record_sign_in(self, actor: Actor) -> None:
        """Note in the audit log that this person started using the program on this workstation."""
        with self.db.write(actor) as s:
            record_audit(s, "sign_in", "team_member", actor.member_id)

    def actor_for(self, member_id: str) -> Actor:
        m = self.get_member(member_id)
        if not m.active:
            raise PermissionDenied(f"{m.display_name} is no longer active in this center's team.")
        return Actor(member_id=m.id, name=m.display_name, role=Role(m.role))


#: Roles as (value, label) pairs for pickers.
ROLE_CHOICES: tuple[tuple[str, str], ...] = tuple((r.value, r.label) for r in Role)
