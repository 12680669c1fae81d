"""The attachment store: the commons' attached files, kept once each by the SHA-256 of their content, beside the
center database (``<database name>-attachments``), at most 20 MB each.

Beside an encrypted database every file is encrypted too (AES-256-GCM, under a key derived from the database key
with HKDF, so there is nothing else to keep; the file's hash is the associated data, so a file swapped for
another is refused). A plain database's attachments are plain, as before; turning encryption on, or a new key,
brings them under the database's key with the database (``lhn_desktop/store/rekey.py``). Whoever reads gets the
content only after its hash has been checked.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from lhn_desktop.store import cipher

SEALED = b"LHN-ATTACHMENT-1\n"  # an encrypted attachment's first bytes: then the 12-byte nonce, then the ciphertext
_NONCE = 12


def attachments_folder(db_path: str | Path) -> Path:
    """Where a center database keeps its attachments: beside it, named after it."""
    path = Path(db_path)
    return path.with_name(f"{path.stem}-attachments")


def file_key(db_key: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"lhn-desktop attachments").derive(db_key)


def seal(data: bytes, digest: str, db_key: bytes) -> bytes:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(_NONCE)
    return SEALED + nonce + AESGCM(file_key(db_key)).encrypt(nonce, data, digest.encode("ascii"))


def open_sealed(content: bytes, digest: str, db_key: bytes | None) -> bytes | None:
    """The plain content of a stored file (sealed or plain); ``None`` when it cannot be read under this key."""
    if not content.startswith(SEALED):
        return content
    if db_key is None:
        return None
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    body = content[len(SEALED) :]
    try:
        return AESGCM(file_key(db_key)).decrypt(body[:_NONCE], body[_NONCE:], digest.encode("ascii"))
    except (InvalidTag, ValueError):
        return None


def write_atomic(target: Path, data: bytes) -> None:
    part = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise


class AttachmentStore:
    """The attached files of one center database, sealed under its key when it is encrypted."""

    def __init__(self, db_path: str | Path, folder: Path | None = None) -> None:
        self.db_path = Path(db_path)
        self.folder = folder if folder is not None else attachments_folder(db_path)

    def _key(self) -> bytes | None:
        return cipher.key_for(self.db_path)

    def path(self, digest: str) -> Path:
        return self.folder / digest

    def exists(self, digest: str) -> bool:
        return len(digest) == 64 and self.path(digest).is_file()

    def read(self, digest: str) -> bytes | None:
        """The file's content if it is here and matches its hash; ``None`` if it is missing, changed or damaged."""
        try:
            content = self.path(digest).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None
        data = open_sealed(content, digest, self._key())
        if data is None or hashlib.sha256(data).hexdigest() != digest:
            return None
        return data

    def size(self, digest: str) -> int:
        """The file's own size in bytes (a sealed file's overhead left out)."""
        stored = self.path(digest).stat().st_size
        with open(self.path(digest), "rb") as handle:
            sealed = handle.read(len(SEALED)) == SEALED
        return stored - len(SEALED) - _NONCE - 16 if sealed else stored

    def write(self, digest: str, data: bytes) -> None:
        """Keep ``data`` under its hash (sealed beside an encrypted database), written whole or not at all."""
        self.folder.mkdir(parents=True, exist_ok=True)
        key = self._key()
        write_atomic(self.path(digest), seal(data, digest, key) if key is not None else data)

    def digests(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if len(p.name) == 64 and p.is_file())

    def reseal(self, old_key: bytes | None, new_key: bytes, shred: Callable[[Path], None]) -> int:
        """Bring every stored file under ``new_key`` (from plain, or from ``old_key``); the old bytes are
        overwritten. Returns how many files were resealed; one that cannot be read is left as it is."""
        done = 0
        for digest in self.digests():
            target = self.path(digest)
            data = open_sealed(target.read_bytes(), digest, old_key)
            if data is None or hashlib.sha256(data).hexdigest() != digest:
                continue  # damaged or foreign: not ours to rewrite; a later bundle brings a good copy
            fresh = target.with_name(f".{digest}.reseal")
            write_atomic(fresh, seal(data, digest, new_key))
            shred(target)
            os.replace(fresh, target)
            done += 1
        return done
