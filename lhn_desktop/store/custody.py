"""Who keeps the key of an encrypted center database, and how it is found again (issue 20; decision 37).

The database key is a random 256-bit key (:mod:`lhn_desktop.store.cipher` gives it to SQLCipher raw). It is kept,
apart from the data, in one place on the workstation:

1. the key file named by ``--key-file`` or ``LHN_DESKTOP_KEY_FILE``, when one is named (servers, scripts, CI);
2. else the operating system's credential store (Windows Credential Manager, the macOS Keychain, the Secret
   Service of a Linux desktop), its backend chosen here explicitly, because a frozen program loses ``keyring``'s
   automatic discovery;
3. else, where there is no credential store (a headless Linux box), an owner-only key file in the config folder.

The key is also *wrapped* (AES-256-GCM) in a small file beside the database, ``<database>.keys``: once under the
center's **recovery key**, random and shown once when the database is made (a person writes it down or prints
it), and once under the **center passphrase** when the center sets one (scrypt). That file is useless without
the recovery key or the passphrase, so it may travel with the database and its backups: a new workstation, or one
whose credential store was lost, opens the data with ``lhn-desktop db unlock`` (or the window's Unlock dialog).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from lhn_desktop.errors import DatabaseError, ValidationError
from lhn_desktop.paths import app_dirs

KEY_ENV = "LHN_DESKTOP_KEY_FILE"
STORE_ENV = "LHN_DESKTOP_CREDENTIAL_STORE"  # "none": never use the OS credential store (a server, a shared login)
KEY_BYTES = 32
RECOVERY_BYTES = 20  # 160 bits: 32 characters of base32, written as 8 groups of 4
SERVICE = "LHN Desktop database key"
WRAPS_SUFFIX = ".keys"
_FORMAT = "lhn-desktop database key wraps"
PASSPHRASE_MIN = 10  # characters of a center passphrase: a few words
_SCRYPT = {"n": 2**15, "r": 8, "p": 1}  # about 0.1 s and 32 MiB: slow to guess, quick to type once


# -- the operating system's credential store ------------------------------------------------------------


class CredentialStore(Protocol):
    """Where a workstation keeps secrets for its user (``keyring``'s backend interface, narrowed)."""

    name: str

    def get(self, account: str) -> str | None: ...

    def set(self, account: str, secret: str) -> None: ...

    def delete(self, account: str) -> None: ...


class KeyringStore:
    """A ``keyring`` backend as a :class:`CredentialStore`."""

    def __init__(self, backend: Any, name: str) -> None:
        self.backend = backend
        self.name = name

    def get(self, account: str) -> str | None:
        return self.backend.get_password(SERVICE, account)

    def set(self, account: str, secret: str) -> None:
        self.backend.set_password(SERVICE, account, secret)

    def delete(self, account: str) -> None:
        from keyring.errors import PasswordDeleteError

        with contextlib.suppress(PasswordDeleteError):  # nothing kept under that name
            self.backend.delete_password(SERVICE, account)


_NOT_CHOSEN: Any = object()
_store: CredentialStore | None = _NOT_CHOSEN


def system_credential_store() -> CredentialStore | None:
    """This platform's credential store, named explicitly; ``None`` where none answers (no desktop session)."""
    if os.environ.get(STORE_ENV, "").strip().lower() in ("none", "off", "no", "0"):
        return None
    try:
        if sys.platform == "win32":
            from keyring.backends.Windows import WinVaultKeyring

            backend: Any = WinVaultKeyring()
            name = "Windows Credential Manager"
        elif sys.platform == "darwin":
            from keyring.backends.macOS import Keyring as MacKeyring

            backend = MacKeyring()
            name = "the macOS Keychain"
        else:
            from keyring.backends.SecretService import Keyring as SecretServiceKeyring

            backend = SecretServiceKeyring()
            name = "the desktop's Secret Service keyring"
        backend.priority  # noqa: B018 - each backend checks here that it can run (a D-Bus session, the API)
    except Exception:
        return None
    return KeyringStore(backend, name)


def credential_store() -> CredentialStore | None:
    global _store
    if _store is _NOT_CHOSEN:
        _store = system_credential_store()
    return _store


def use_credential_store(store: CredentialStore | None) -> None:
    """The credential store for this process (tests give their own; ``None``: key files only)."""
    global _store
    _store = store


# -- key files ------------------------------------------------------------------------------------------


def default_key_file(path: str | Path) -> Path:
    """Where the key of the database at ``path`` is kept when there is no credential store and no key file is
    named: in the config folder, under a name made from the database's full path (never the center's name)."""
    digest = hashlib.sha256(str(Path(path).resolve()).encode("utf-8")).hexdigest()[:20]
    return app_dirs().config / "keys" / f"{digest}.key"


def named_key_file() -> Path | None:
    named = os.environ.get(KEY_ENV)
    return Path(named).expanduser() if named else None


def key_file_for(path: str | Path) -> Path:
    return named_key_file() or default_key_file(path)


def _write_key_file(target: Path, key: bytes, *, replace: bool) -> None:
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # owner-only, as the file itself
    part = target.with_name(target.name + ".part") if replace else target
    if replace:
        part.unlink(missing_ok=True)
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise DatabaseError(
            f"A key file already exists at {target}; it may protect another database. Name a new key file with "
            f"--key-file, or move that one away if its database is gone."
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key.hex() + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    if replace:
        os.replace(part, target)


def read_key_file(target: Path) -> bytes:
    try:
        text = target.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise DatabaseError(f"The key file {target} does not exist.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DatabaseError(f"The key file {target} could not be read ({type(exc).__name__}).") from None
    return _key_from_hex(text, f"{target} is not a database key file (it must hold 64 hexadecimal characters).")


def _key_from_hex(text: str, problem: str) -> bytes:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise DatabaseError(problem)
    return key


# -- where a database's key is kept ---------------------------------------------------------------------


def wraps_file(path: str | Path) -> Path:
    """The file beside a database that holds its key wrapped under the recovery key and the center passphrase."""
    path = Path(path)
    return path.with_name(path.name + WRAPS_SUFFIX)


def database_id(path: str | Path) -> str:
    """The name a database's key is kept under: the id in its wraps file (it moves with the database), else one
    made from its full path."""
    wraps = _read_wraps(path)
    if wraps is not None:
        return str(wraps["database_id"])
    return "path-" + hashlib.sha256(str(Path(path).resolve()).encode("utf-8")).hexdigest()[:20]


def kept_key(path: str | Path) -> bytes | None:
    """The key this workstation keeps for the database at ``path``, or ``None`` if it keeps none."""
    named = named_key_file()
    if named is not None:
        return read_key_file(named)  # a named key file that is missing or bad is said, never passed over
    store = credential_store()
    if store is not None:
        try:
            secret = store.get(database_id(path))
        except Exception:
            secret = None
        if secret:
            return _key_from_hex(secret, f"The credential store's entry for {path} is not a database key.")
    default = default_key_file(path)
    if default.exists():
        return read_key_file(default)
    return None


def keep(path: str | Path, key: bytes, *, replace: bool = False, account: str | None = None) -> str:
    """Keep ``key`` for the database at ``path`` on this workstation; returns where, in words. With ``replace``
    an existing key file is overwritten (a new key, or a key recovered on this workstation). ``account`` is the
    database's id when its wraps file is not written yet."""
    named = named_key_file()
    if named is not None:
        _write_key_file(named, key, replace=replace)
        return f"the key file {named}"
    store = credential_store()
    if store is not None:
        try:
            store.set(account or database_id(path), key.hex())
            default_key_file(path).unlink(missing_ok=True)  # one place only
            return store.name
        except Exception:
            pass
    target = default_key_file(path)
    _write_key_file(target, key, replace=replace)
    return f"the key file {target}"


def where_kept(path: str | Path) -> str:
    """Where this workstation keeps (or would keep) the key of ``path``, in words."""
    named = named_key_file()
    if named is not None:
        return f"the key file {named}"
    default = default_key_file(path)
    store = credential_store()
    if store is not None and not default.exists():
        return store.name
    return f"the key file {default}"


def forget(path: str | Path) -> None:
    """Remove the workstation's own copy of a database's key (the credential-store entry and the default key
    file; a named key file is the person's own and stays)."""
    store = credential_store()
    if store is not None:
        with contextlib.suppress(Exception):  # nothing to remove, or the store is locked: the key file goes anyway
            store.delete(database_id(path))
    default_key_file(path).unlink(missing_ok=True)


# -- the recovery key and the center passphrase ---------------------------------------------------------


@dataclass(frozen=True)
class NewKey:
    key: bytes
    recovery_key: str  # shown once, never stored on the workstation
    kept_in: str


def new_recovery_key() -> tuple[str, bytes]:
    raw = os.urandom(RECOVERY_BYTES)
    text = base64.b32encode(raw).decode("ascii")
    return "-".join(text[i : i + 4] for i in range(0, len(text), 4)), raw


def parse_recovery_key(text: str) -> bytes:
    """The recovery key as typed: any case, with or without dashes and spaces; 0, 1 and 8 read as O, I and B."""
    cleaned = "".join(text.upper().split()).replace("-", "").translate(str.maketrans("018", "OIB"))
    try:
        raw = base64.b32decode(cleaned)
    except ValueError:
        raw = b""
    if len(raw) != RECOVERY_BYTES:
        raise ValidationError(
            "A recovery key has 32 letters and digits in 8 groups of 4, e.g. ABCD-EFGH-… Check it against the "
            "printed copy.",
            field="recovery_key",
        )
    return raw


def _kek(kind: str, secret: bytes, params: dict[str, Any]) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    salt = base64.b64decode(params["salt"])
    if kind == "recovery":
        return HKDF(algorithm=hashes.SHA256(), length=32, salt=salt, info=b"lhn-desktop recovery key").derive(secret)
    return Scrypt(salt=salt, length=32, n=params["n"], r=params["r"], p=params["p"]).derive(secret)


def _aad(kind: str, db_id: str) -> bytes:
    return f"{_FORMAT}|{kind}|{db_id}".encode()


def _wrap(kind: str, secret: bytes, key: bytes, db_id: str) -> dict[str, Any]:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    params: dict[str, Any] = {"salt": base64.b64encode(os.urandom(16)).decode("ascii")}
    if kind == "passphrase":
        params.update(_SCRYPT)
    nonce = os.urandom(12)
    wrapped = AESGCM(_kek(kind, secret, params)).encrypt(nonce, key, _aad(kind, db_id))
    return {
        **params,
        "nonce": base64.b64encode(nonce).decode("ascii"),
        "wrapped": base64.b64encode(wrapped).decode("ascii"),
    }


def _unwrap(kind: str, secret: bytes, wraps: dict[str, Any]) -> bytes | None:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    entry = wraps["wraps"].get(kind)
    if not isinstance(entry, dict):
        return None
    try:
        kek = _kek(kind, secret, entry)
        return AESGCM(kek).decrypt(
            base64.b64decode(entry["nonce"]), base64.b64decode(entry["wrapped"]), _aad(kind, wraps["database_id"])
        )
    except (InvalidTag, KeyError, TypeError, ValueError):
        return None


def _read_wraps(path: str | Path) -> dict[str, Any] | None:
    target = wraps_file(path)
    try:
        data = json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        raise DatabaseError(f"{target} is damaged; it is not a key wraps file. Restore it from a backup.") from None
    if not (isinstance(data, dict) and data.get("format") == _FORMAT and isinstance(data.get("wraps"), dict)):
        raise DatabaseError(f"{target} is not an LHN Desktop key wraps file.")
    return data


def _write_wraps(path: str | Path, data: dict[str, Any]) -> None:
    target = wraps_file(path)
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(part, target)


def check_passphrase(passphrase: str) -> None:
    """A center passphrase long enough to resist guessing by someone who holds a copy of the database."""
    if len(passphrase) < PASSPHRASE_MIN:
        raise ValidationError(
            f"A center passphrase has at least {PASSPHRASE_MIN} characters; a few words are easiest to type.",
            field="passphrase",
        )


def create_key(path: str | Path, *, passphrase: str | None = None) -> NewKey:
    """A new random key for the database at ``path``: kept on this workstation, wrapped under a new recovery key
    (returned, to be shown once) and, when given, the center passphrase."""
    if passphrase:
        check_passphrase(passphrase)
    key = os.urandom(KEY_BYTES)
    old = _read_wraps(path)  # a left-over wraps file at this path (its database gone): its id is reused
    db_id = str(old["database_id"]) if old else str(uuid.uuid4())
    # a named key file is never written over here: it may be another database's
    kept_in = keep(path, key, replace=named_key_file() is None, account=db_id)
    return NewKey(key, rewrap(path, key, passphrase=passphrase, db_id=db_id), kept_in)


def set_passphrase(path: str | Path, key: bytes, passphrase: str | None) -> None:
    """Wrap the key under the center passphrase (``None`` removes that wrap; the recovery key stays)."""
    if passphrase:
        check_passphrase(passphrase)
    wraps = _read_wraps(path)
    if wraps is None:
        raise DatabaseError(
            f"{path} has no key wraps file beside it; make a new key first with 'lhn-desktop db rekey'."
        )
    if passphrase:
        wraps["wraps"]["passphrase"] = _wrap("passphrase", passphrase.encode("utf-8"), key, wraps["database_id"])
    else:
        wraps["wraps"].pop("passphrase", None)
    _write_wraps(path, wraps)


def has_passphrase(path: str | Path) -> bool:
    return "passphrase" in wrapped_under(path)


def wrapped_under(path: str | Path) -> frozenset[str]:
    """What can unwrap the key of ``path`` besides this workstation: ``"recovery"``, ``"passphrase"``, both, none."""
    wraps = _read_wraps(path)
    return frozenset(wraps["wraps"]) if wraps is not None else frozenset()


def recover(path: str | Path, *, recovery_key: str | None = None, passphrase: str | None = None) -> bytes:
    """The database key unwrapped with the recovery key or the center passphrase (a wrong one is refused)."""
    wraps = _read_wraps(path)
    if wraps is None:
        raise DatabaseError(
            f"There is no key wraps file ({wraps_file(path).name}) beside {path}, so neither a recovery key nor a "
            "passphrase can open it. Copy that file from the workstation or backup the database came from."
        )
    if recovery_key:
        key = _unwrap("recovery", parse_recovery_key(recovery_key), wraps)
        if key is None:
            raise ValidationError("That recovery key does not open this database. Check it against the printed copy.",
                                  field="recovery_key")  # fmt: skip
        return key
    if passphrase:
        if "passphrase" not in wraps["wraps"]:
            raise ValidationError("No center passphrase was set for this database; use its recovery key.",
                                  field="passphrase")  # fmt: skip
        key = _unwrap("passphrase", passphrase.encode("utf-8"), wraps)
        if key is None:
            raise ValidationError("That passphrase does not open this database.", field="passphrase")
        return key
    raise ValidationError("Give the recovery key or the center passphrase.", field="recovery_key")


def copy_wraps(source: str | Path, target: str | Path) -> None:
    """A backup or a moved copy carries its database's wraps file, so its recovery key opens it too."""
    wraps = _read_wraps(source)
    if wraps is not None:
        _write_wraps(target, wraps)


def rewrap(path: str | Path, key: bytes, *, passphrase: str | None, db_id: str | None = None) -> str:
    """New wraps of ``key`` under a new recovery key (returned) and the passphrase if given; the database keeps
    its id."""
    if db_id is None:
        old = _read_wraps(path)
        db_id = str(old["database_id"]) if old else str(uuid.uuid4())
    recovery_text, recovery_raw = new_recovery_key()
    wraps: dict[str, Any] = {"format": _FORMAT, "version": 1, "database_id": db_id, "wraps": {}}
    wraps["wraps"]["recovery"] = _wrap("recovery", recovery_raw, key, db_id)
    if passphrase:
        wraps["wraps"]["passphrase"] = _wrap("passphrase", passphrase.encode("utf-8"), key, db_id)
    _write_wraps(path, wraps)
    return recovery_text
