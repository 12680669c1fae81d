"""Who is using the program, and what they may see.

Roles are enforced here and in the services, not only hidden in the GUI: patient and parent
partners sit on the team as equals but never receive patient-level data from any service.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass

from lhn_desktop.errors import PermissionDenied
from lhn_desktop.models.team import Role


@dataclass(frozen=True, slots=True)
class Actor:
    """The person a service call acts for.

    ``role`` is ``None`` for the workstation's own administrator: the command line, run by someone
    who already holds the database file.
    """

    member_id: str | None
    name: str
    role: Role | None

    @property
    def sees_patient_data(self) -> bool:
        return self.role is None or self.role.sees_patient_data

    @classmethod
    def workstation(cls) -> Actor:
        try:
            user = getpass.getuser()
        except Exception:  # no login name in some service environments
            user = "unknown"
        return cls(member_id=None, name=f"{user} (command line)", role=None)


PARTNER_MESSAGE = (
    "Patient and parent partners do not see patient-level information, so this is not available while you "
    "are signed in as {name}. Improvement, measures and the commons are open to you."
)


def require_patient_access(actor: Actor) -> None:
    if not actor.sees_patient_data:
        raise PermissionDenied(PARTNER_MESSAGE.format(name=actor.name))
