"""Creating a center database and reading this workstation's identity."""

from __future__ import annotations

import dataclasses
import re
import uuid
from hashlib import sha256
from pathlib import Path

from sqlalchemy import select

from lhn_desktop.access import Actor
from lhn_desktop.errors import ValidationError
from lhn_desktop.models.base import natural_id
from lhn_desktop.models.sync import SyncNode
from lhn_desktop.models.team import LocalNode, Site
from lhn_desktop.services.dto import CenterInfo
from lhn_desktop.store.database import Database

#: The demo center's site code; no real center may use it (``demo --replace`` relies on that).
DEMO_SITE = "demo-ibd"
SITE_CODE_RE = re.compile(r"^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$")


def validate_site(code: str, name: str, *, demo: bool = False, network_center: bool = False) -> tuple[str, str]:
    code = "ncc" if network_center else (code or "").strip().lower()  # the network's one fixed code (SYNC.md 1.1)
    name = " ".join(name.split())
    if not SITE_CODE_RE.match(code):
        raise ValidationError(
            f"The site code {code!r} cannot be used. Use 3 to 40 lower-case letters, digits and hyphens, "
            "as your network assigned it (for example ctr-042)."
        )
    if code == "ncc" and not network_center:
        raise ValidationError(
            "The site code 'ncc' is reserved for the network coordinating center (lhn-desktop init --network-center)."
        )
    if code == DEMO_SITE and not demo:
        raise ValidationError(f"The site code '{DEMO_SITE}' is reserved for the demo center; use your own code.")
    if not name:
        raise ValidationError('Give the center a name, for example --name "Riverside Children\'s IBD Center".')
    if len(name) > 200:
        raise ValidationError("The center name is longer than 200 characters; shorten it.")
    return code, name


def new_key_pair() -> tuple[bytes, bytes]:
    """A fresh Ed25519 key pair as (raw public key, PKCS#8 private key)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    private = Ed25519PrivateKey.generate()
    public_raw = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    private_der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return public_raw, private_der


def key_id(public_raw: bytes) -> str:
    """SYNC.md 1.1: the first 16 hex characters of SHA-256 of the raw public key."""
    return sha256(public_raw).hexdigest()[:16]


#: What a fingerprint covers: the site a key speaks for, then the key (issue 18: a fingerprint of the key alone let a
#: key card edited to claim another site pass the comparison).
FINGERPRINT_TAG = b"lhn-desktop key fingerprint v2\n"


def fingerprint(public_raw: bytes, site_code: str) -> str:
    """A fingerprint people can read aloud and compare: 8 groups of 4 hex characters, over the site and the key."""
    digest = sha256(FINGERPRINT_TAG + site_code.encode() + b"\0" + public_raw).hexdigest()[:32].upper()
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


def key_only_fingerprint(public_raw: bytes) -> str:
    """The fingerprint of the key alone, as versions before issue 18 showed it (recognised, never accepted)."""
    digest = sha256(public_raw).hexdigest()[:32].upper()
    return " ".join(digest[i : i + 4] for i in range(0, 32, 4))


def _init_server_database(
    url: str, backups_dir: Path, site_code: str, name: str, *, network: str | None, actor: Actor,
    network_center: bool, encrypt: bool,
) -> CenterInfo:  # fmt: skip
    """The coordinating center's database on a PostgreSQL server (decision 48): an empty database the server's
    administrator made; only the coordinating center, and not encrypted by this program."""
    if not network_center:
        raise ValidationError(SERVER_IS_FOR_THE_NCC)
    if encrypt:
        raise ValidationError(
            "LHN Desktop encrypts database files; a database on a PostgreSQL server is protected by the server "
            "(its disk encryption, TLS to it, its accounts). Create it with --plain."
        )
    db = Database.open(url, backups_dir, create=True)
    try:
        return create_center(db, site_code, name, network=network, actor=actor, network_center=True)
    finally:
        db.close()


#: why a center's database stays a file: its patients' records never leave its workstations (DESIGN.md section 3)
SERVER_IS_FOR_THE_NCC = (
    "Only the network coordinating center runs on a PostgreSQL server (--network-center); a center's database, "
    "which holds its patients' records, is a file on its own workstation. Give --db a file path."
)


def create_center(
    db: Database, site_code: str, name: str, *, network: str | None, actor: Actor, demo: bool = False,
    network_center: bool = False,
) -> CenterInfo:  # fmt: skip
    """Set up a new, empty center database: the site, this workstation's node, its key pair.

    With ``network_center`` it is the network coordinating center's database (site code ``ncc``): it
    receives network bundles from the centers and relays their shared records to the others.
    """
    code, name = validate_site(site_code, name, demo=demo, network_center=network_center)
    if db.on_server and not network_center:
        raise ValidationError(SERVER_IS_FOR_THE_NCC)
    with db.read() as s:
        if s.scalars(select(LocalNode)).first() is not None:
            raise ValidationError(f"{db.location} already holds a center. Choose another --db path for a new center.")
    node_id = str(uuid.uuid4())
    public_raw, private_der = new_key_pair()
    with db.bootstrap(actor, node_id, code) as s:
        s.add(
            LocalNode(
                node_id=node_id,
                site_code=code,
                public_key=public_raw,
                private_key=private_der,
                key_id=key_id(public_raw),
            )
        )
        s.add(SyncNode(node_id=node_id, next_dot=1, hlc_wall_ms=0, hlc_counter=0))
        s.flush()
        s.add(Site(id=natural_id(f"site/{code}"), code=code, name=name, network=network))  # one record per site
    db.forget_node()
    if network_center:  # the network's measures, so the centers' monthly counts arrive with their definitions
        from lhn_desktop.services.measures import MeasureService

        MeasureService(db).install_library(actor)
    return center_info(db)


def center_info(db: Database) -> CenterInfo:
    from lhn_desktop.store import cipher, custody

    node = db.local_node()
    encrypted = cipher.is_encrypted(db.path)
    with db.read() as s:
        site = s.scalars(select(Site).where(Site.code == node.site_code)).one()
        return CenterInfo(
            site_code=site.code,
            site_name=site.name,
            network=site.network,
            node_id=node.node_id,
            key_id=node.key_id,
            fingerprint=fingerprint(node.public_key, node.site_code),
            db_path=str(Path(db.path)) if not db.on_server else db.location,
            clinic_phone=site.clinic_phone,
            named_in_network=bool(site.named_in_network),
            encrypted=encrypted,
            key_kept_in=custody.where_kept(db.path) if encrypted else None,
        )


def set_clinic_phone(db: Database, actor: Actor, phone: str | None) -> CenterInfo:
    """The number families call between visits, printed on every visit summary (empty clears it)."""
    from lhn_desktop.services.registry import _PHONE

    value = " ".join((phone or "").split()) or None
    if value is not None and (len(value) > 40 or not _PHONE.match(value)):
        raise ValidationError("A clinic phone number has digits, spaces, + ( ) - and an optional extension, up to "
                              "40 characters, e.g. (614) 555-0100 ext 2.", field="clinic_phone")  # fmt: skip
    node = db.local_node()
    with db.write(actor) as s:
        s.scalars(select(Site).where(Site.code == node.site_code)).one().clinic_phone = value
    return center_info(db)


def set_named_in_network(db: Database, actor: Actor, named: bool) -> CenterInfo:
    """Whether the other centers see this center's name in the network's comparisons (otherwise a stable code,
    "Center 17"); the choice travels to the coordinating center in the next network bundle."""
    from lhn_desktop.access import require_patient_access

    require_patient_access(actor)  # a decision for the center's clinical team, not made for it
    node = db.local_node()
    with db.write(actor) as s:
        s.scalars(select(Site).where(Site.code == node.site_code)).one().named_in_network = bool(named)
    return center_info(db)


def init_center_database(
    raw_path: str | Path, backups_dir: Path, site_code: str, name: str, *, network: str | None, actor: Actor,
    network_center: bool = False, encrypt: bool = True, passphrase: str | None = None,
) -> CenterInfo:  # fmt: skip
    """Create a new center database file; never overwrites an existing one.

    With ``encrypt`` (the default) the database is encrypted under a new key kept on this workstation and wrapped
    under a new recovery key, returned once in the result, and the center ``passphrase`` when one is given."""
    from lhn_desktop.store import custody
    from lhn_desktop.store.engine import is_server_url
    from lhn_desktop.store.location import check_database_path

    validate_site(site_code, name, network_center=network_center)  # bad input is refused before any file is made
    if is_server_url(raw_path):
        return _init_server_database(
            str(raw_path), backups_dir, site_code, name, network=network, actor=actor,
            network_center=network_center, encrypt=encrypt or passphrase is not None,
        )  # fmt: skip
    path = check_database_path(raw_path, must_exist=False)
    if path.exists():
        raise ValidationError(
            f"A database already exists at {path}. Choose another file with --db; a new center never overwrites "
            "a database."
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    new = custody.create_key(path, passphrase=passphrase) if encrypt else None
    try:
        db = Database.open(path, backups_dir, create=True, key=new.key if new else None)
        try:
            info = create_center(db, site_code, name, network=network, actor=actor, network_center=network_center)
        finally:
            db.close()
    except BaseException:
        for suffix in ("", "-wal", "-shm"):
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        if new is not None:  # nothing half-made is left: neither the kept key nor its wraps
            custody.forget(path)
            custody.wraps_file(path).unlink(missing_ok=True)
        raise
    return dataclasses.replace(info, recovery_key=new.recovery_key) if new else info
