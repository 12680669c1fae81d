"""Team members, their roles and their sign-in secrets.

A member's PIN or passphrase is kept only as a slow hash (scrypt from ``cryptography``, with its own
random salt), checked in constant time; six wrong tries in a row make that member wait a minute.
"""

from __future__ import annotations

import base64
import hmac
import math
import os
import time

from sqlalchemy import select

from lhn_desktop.access import Actor
from lhn_desktop.errors import NotFound, PermissionDenied, ValidationError
from lhn_desktop.models.team import Role, TeamMember
from lhn_desktop.services.dto import MemberInfo
from lhn_desktop.services.words import center as words
from lhn_desktop.store.capture import record_audit
from lhn_desktop.store.database import Database


def _info(m: TeamMember) -> MemberInfo:
    role = Role(m.role)
    return MemberInfo(m.id, m.display_name, role.value, role.label, m.active, m.profile, role.sees_patient_data,
                      bool(m.secret_hash))  # fmt: skip


SECRET_MIN = 6
SECRET_MAX = 200
#: scrypt cost: about 50 ms a check here, so a guessed PIN costs an attacker as much
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
TRIES = 6  # wrong tries in a row before a wait
WAIT_SECONDS = 60


def _scrypt(secret: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret.encode("utf-8"))


def hash_secret(secret: str) -> str:
    """``scrypt$n$r$p$salt$hash`` (base64): what is stored for a PIN or passphrase."""
    salt = os.urandom(16)
    digest = _scrypt(secret, salt, _SCRYPT_N, _SCRYPT_R, _SCRYPT_P)
    b64 = lambda data: base64.b64encode(data).decode()  # noqa: E731
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${b64(salt)}${b64(digest)}"


def secret_matches(stored: str | None, secret: str) -> bool:
    try:
        kind, n, r, p, salt, digest = (stored or "").split("$")
        if kind != "scrypt":
            return False
        expected = base64.b64decode(digest)
        return hmac.compare_digest(_scrypt(secret, base64.b64decode(salt), int(n), int(r), int(p)), expected)
    except (ValueError, TypeError):
        return False


def secret_problem(secret: str) -> str | None:
    """Why a new PIN or passphrase is not good enough, or ``None``."""
    if len(secret) < SECRET_MIN:
        return words.secret_too_short(SECRET_MIN)
    if len(secret) > SECRET_MAX:
        return words.secret_too_long(SECRET_MAX)
    runs = ("01234567890123456789", "98765432109876543210", "abcdefghijklmnopqrstuvwxyz")
    if len(set(secret)) == 1 or any(secret.lower() in run for run in runs):
        return words.SECRET_TOO_EASY
    return None


def _member(s, member_id: str) -> TeamMember:
    m = s.get(TeamMember, member_id)
    if m is None:
        raise NotFound("That team member is no longer in this center's team list.")
    return m


def parse_role(text: str) -> Role:
    key = text.strip().lower().replace(" ", "_").replace("-", "_")
    for role in Role:
        if key in (role.value, role.label.lower().replace(" ", "_")):
            return role
    choices = ", ".join(r.value for r in Role)
    raise ValidationError(f"{text!r} is not a team role. Choose one of: {choices}.")


class TeamService:
    def __init__(self, db: Database, clock=time.monotonic) -> None:
        self.db = db
        self._clock = clock
        self._wrong: dict[str, tuple[int, float]] = {}  # member -> (wrong tries in a row, when the last was)

    def list_members(self, *, include_inactive: bool = False) -> list[MemberInfo]:
        with self.db.read() as s:
            q = select(TeamMember).order_by(TeamMember.display_name)
            if not include_inactive:
                q = q.where(TeamMember.active.is_(True))
            return [_info(m) for m in s.scalars(q)]

    def get_member(self, member_id: str) -> MemberInfo:
        with self.db.read() as s:
            m = _member(s, member_id)
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

    # -- sign-in secrets -----------------------------------------------------------------------------------------

    def set_secret(self, actor: Actor, member_id: str, secret: str, *, current: str | None = None) -> None:
        """Set a member's PIN or passphrase: by the member (with the current one, once one is set) or by the
        workstation's administrator (the command line), who may also reset a forgotten one."""
        admin = actor.role is None and actor.member_id is None
        if not admin and actor.member_id != member_id:
            raise PermissionDenied("Only the team member can set their own PIN (or the workstation's administrator "
                                   "can reset it from the command line).")  # fmt: skip
        problem = secret_problem(secret or "")
        if problem:
            raise ValidationError(problem, field="secret")
        with self.db.write(actor) as s:
            m = _member(s, member_id)
            if m.secret_hash and not admin and not secret_matches(m.secret_hash, current or ""):
                raise PermissionDenied("The current PIN is not right; nothing was changed.")
            m.secret_hash = hash_secret(secret)
            record_audit(s, "set_secret", "team_member", member_id)

    def clear_secret(self, actor: Actor, member_id: str) -> None:
        """Remove a forgotten PIN (the workstation's administrator only); the member sets a new one next time."""
        if not (actor.role is None and actor.member_id is None):
            raise PermissionDenied("Only the workstation's administrator can reset a team member's PIN.")
        with self.db.write(actor) as s:
            m = _member(s, member_id)
            m.secret_hash = None
            record_audit(s, "clear_secret", "team_member", member_id)

    def check_secret(self, member_id: str, secret: str | None) -> None:
        """Pass when the member has no secret yet or ``secret`` is theirs; else PermissionDenied. After
        ``TRIES`` wrong tries in a row the member's secret is not checked for ``WAIT_SECONDS``."""
        with self.db.read() as s:
            m = _member(s, member_id)
            stored, name = m.secret_hash, m.display_name
        if not stored:
            return
        tries, last = self._wrong.get(member_id, (0, 0.0))
        if tries >= TRIES and self._clock() - last < WAIT_SECONDS:
            wait = max(1, math.ceil(WAIT_SECONDS - (self._clock() - last)))
            raise PermissionDenied(f"Too many wrong tries for {name}. Wait {wait} seconds, then try again.")
        if secret_matches(stored, secret or ""):
            self._wrong.pop(member_id, None)
            return
        self._wrong[member_id] = (tries + 1 if tries < TRIES else 1, self._clock())
        raise PermissionDenied(f"That is not {name}'s PIN. Try again; ask them if you are not {name}.")

    def actor_for(self, member_id: str) -> Actor:
        m = self.get_member(member_id)
        if not m.active:
            raise PermissionDenied(f"{m.display_name} is no longer active in this center's team.")
        return Actor(member_id=m.id, name=m.display_name, role=Role(m.role))


#: Roles as (value, label) pairs for pickers.
ROLE_CHOICES: tuple[tuple[str, str], ...] = tuple((r.value, r.label) for r in Role)
