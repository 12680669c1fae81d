"""The sync bundle file (SYNC.md section 2): writing it, and reading it through every check in order.

A bundle is a zip of ``manifest.json``, ``manifest.sig`` (Ed25519 over a domain tag and the exact
manifest bytes), one NDJSON file per entity, one field version (sibling) per line, and the files the
commons resources in it attach, one member each, named by the SHA-256 of their content (``files/<hash>``).
Center-scope data files and attachments are sealed with AES-256-GCM under the center key. Reading never
extracts anything: each member is streamed with byte caps, hashed and strictly parsed, and the first
failure stops the read with a coded :class:`BundleRejected` that says what was wrong, in which file, who
sent it, and that nothing was changed. Applying the rows to a database is a separate step (one
``BEGIN IMMEDIATE``).
"""

from __future__ import annotations

import dataclasses
import errno
import functools
import hashlib
import hmac
import json
import math
import os
import re
import stat
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from json.encoder import encode_basestring as _quote  # the C string quoting json.dumps uses
from pathlib import Path
from typing import Any, BinaryIO, Literal, NoReturn, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from lhn_desktop.errors import LhnError
from lhn_desktop.store.limits import ATTACHMENT_MAX_BYTES, MAX_TEXT
from lhn_desktop.sync.hlc import Hlc
from lhn_desktop.sync.scope import NCC_ONLY, network_refused

FORMAT = "qi-sync-bundle"
FORMAT_VERSION = 1
SYNC_SCHEMA = "1.3"
SIGNATURE_TAG = b"qi-sync-bundle/v1\n"
SUFFIX = ".lhnsync"
MAX_BUNDLE = 256 * 1024 * 1024
MAX_MEMBERS = 4096  # the manifest, its signature, the sealed counts and the data files (parts of PART_BYTES)
#: the plain text of one data file before an entity's next part starts: what a writer or reader holds at once
PART_BYTES = 1024 * 1024
MAX_ATTACHMENTS = 200  # attachment members (``files/...``), beside those
#: the most attachment bytes one bundle carries, leaving the rest of MAX_BUNDLE to the data files
ATTACHMENT_BUDGET = 160 * 1024 * 1024
MAX_MANIFEST = 1024 * 1024
MAX_SIG = 4096
MAX_LINE = 1024 * 1024
MAX_STRING = MAX_TEXT  # one limit for entry, export and import (store/limits.py)
MAX_TOTAL = 1024 * 1024 * 1024
MAX_RATIO = 200
MAX_DEPTH = 32
CLOCK_SKEW = timedelta(minutes=10)
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
#: fullmatch only
MEMBER = re.compile(
    r"manifest\.json|manifest\.sig|data/counts\.json\.enc"
    r"|data/[a-z][a-z0-9_]{0,39}(\.[1-9][0-9]{0,4})?\.ndjson(\.enc)?"
    r"|files/[0-9a-f]{64}(\.enc)?"
)
ATTACHMENT_MEMBER = re.compile(r"files/([0-9a-f]{64})(\.enc)?")  # fullmatch only; group 1 is the content's hash
SEALED = "data/counts.json.enc"  # a center bundle's counts, sealed like its data files (never in the clear manifest)
MAX_SEALED = 1024 * 1024
#: Columns of a record that no field version may write: its id, its owning site (both immutable) and the local
#: conflict flag (``models.base.UNCAPTURED_COLUMNS``; a test keeps the two equal).
RESERVED_FIELDS = frozenset({"id", "owner_site_id", "has_conflict"})
NONCE_BYTES = 12
KEY_ID = re.compile(r"[0-9a-f]{16}")  # fullmatch only
SITE_CODE = re.compile(r"[a-z0-9][a-z0-9-]{1,38}[a-z0-9]")  # fullmatch only; as services.center checks it


class _Reject(Protocol):
    """Refuses the bundle: raises :class:`BundleRejected` with one of SYNC.md's E_* codes."""

    def __call__(self, code: str, what: str, member: str | None = None) -> NoReturn: ...


class BundleRejected(LhnError):
    """A bundle that fails a check. ``code`` is one of SYNC.md's E_* codes."""

    exit_code = 2

    def __init__(self, code: str, what: str, *, file: str, member: str | None = None, sender: str | None = None):
        where = f" ({member})" if member else ""
        who = f" It was sent by {sender}." if sender else ""
        super().__init__(
            f"{file} was not imported{where}: {what}.{who} Nothing was changed. {_ADVICE.get(code, _DEFAULT)}"
        )
        self.code = code
        self.file = file
        self.reason = what
        self.advice = _ADVICE.get(code, _DEFAULT)


_DEFAULT = "Ask the sender for a new bundle."
_ADVICE = {
    "E_APPLY": "Check the free disk space and import again; if it fails again, ask the sender for a new bundle.",
    "E_SCHEMA_NEWER": "It was made by a newer version of LHN Desktop: update this workstation first.",
    "E_UNKNOWN_SIGNER": "Add the sender's key after comparing fingerprints (Sync page), then import again.",
    "E_KEY_REVOKED": "The sender's key was revoked; ask them for a bundle signed with their current key.",
    "E_CLOCK_FUTURE": "The sender's clock is far ahead; ask them to correct it and export again.",
    "E_WRONG_AUDIENCE": "The bundle is meant for another center or the network; check which file you picked.",
    "E_DECRYPT": "Check that this workstation has the center key the sender used.",
}


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    site_id: str = Field(min_length=1, max_length=40)
    node_id: str = Field(min_length=1, max_length=40)
    key_id: str = Field(pattern=r"^[0-9a-f]{16}$")
    app_version: str = Field(max_length=40)


class FileEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    path: str
    entity: str = Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0)
    rows: int | None = Field(default=None, ge=0)  # network scope; a center bundle's counts are sealed
    nonce: str | None = Field(default=None, pattern=r"^[0-9a-f]{24}$")


class SealedEntry(BaseModel):
    """The sealed member of a center bundle that holds its counts (how many records of each kind)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    path: Literal["data/counts.json.enc"]
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0, le=MAX_SEALED)
    nonce: str = Field(pattern=r"^[0-9a-f]{24}$")


class AttachmentEntry(BaseModel):
    """One attached file: its member (``files/<sha256 of the content>``, sealed in a center bundle) and the
    hash and size of the member's bytes, as for a data file."""

    model_config = ConfigDict(extra="forbid", strict=True)
    path: str = Field(pattern=r"^files/[0-9a-f]{64}(\.enc)?$")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    bytes: int = Field(ge=0, le=ATTACHMENT_MAX_BYTES + 65536)  # sealing deflates; 64 kB covers what it adds
    nonce: str | None = Field(default=None, pattern=r"^[0-9a-f]{24}$")


class Counts(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    records: int = Field(ge=0)
    rows: int = Field(ge=0)


class SealedCounts(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    counts: dict[str, Counts]


class KnownEntry(BaseModel):
    """How far the sender holds one workstation's versions (docs/sync.md, delta bundles)."""

    model_config = ConfigDict(extra="forbid", strict=True)
    node: str = Field(min_length=1, max_length=40)
    site: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")
    dot: int = Field(ge=1)


MAX_KNOWN = 20_000  # workstations a manifest may name: a network of 300 centers with dozens of workstations each


class Manifest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    format: Literal["qi-sync-bundle"]
    format_version: int
    bundle_id: str = Field(pattern=r"^[0-9a-f-]{36}$")
    kind: Literal["full", "delta"]
    #: a delta's start: per workstation, the dot up to which its versions were left out (the receiver holds them)
    base: dict[str, int] | None = Field(default=None, max_length=MAX_KNOWN)
    #: how far the sender holds each workstation's versions (from sync schema 1.2; before, none)
    known: list[KnownEntry] = Field(default_factory=list, max_length=MAX_KNOWN)
    scope: Literal["center", "network"]
    source: Source
    audience: dict[str, str]
    created_at: str
    hlc_max: str
    schema_version: str = Field(pattern=r"^\d+\.\d+$")
    min_reader_schema: str = Field(pattern=r"^\d+\.\d+$")
    files: list[FileEntry]
    counts: dict[str, dict[str, int]] = Field(default_factory=dict)  # network scope only
    sealed: SealedEntry | None = None  # center scope (bundles of the first release had clear counts instead)
    attachments: list[AttachmentEntry] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)


class Row(BaseModel):
    """One field version (sibling) of one record."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
    id: str = Field(min_length=1, max_length=64)
    field: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
    node: str = Field(min_length=1, max_length=40)
    dot: int = Field(ge=1)
    hlc: str
    vv: dict[str, int]
    owner: str = Field(min_length=1, max_length=40)
    v: Any = None


@dataclass(frozen=True)
class Signer:
    """What the trust store knows of a key."""

    public_key: bytes
    site_id: str
    role: Literal["node", "ncc"]
    revoked: bool = False


@dataclass(frozen=True)
class VerifiedBundle:
    manifest: Manifest
    sha256: str
    rows: dict[str, list[Row]]
    already_imported: bool = False
    #: the attached files it carries, by the SHA-256 of their content (checked against it)
    attachments: dict[str, bytes] = dataclasses.field(default_factory=dict)


# -- strict JSON ------------------------------------------------------------------------------------------------


class _StrictJSON(ValueError):
    pass


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise _StrictJSON("a key appears twice")  # never the key itself: it may be patient data
        out[key] = value
    return out


def _no_constants(name):
    raise _StrictJSON(f"{name} is not allowed")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _StrictJSON("a number is too large")
    return value


def _check_depth_and_strings(value, depth: int = 0) -> None:
    if depth > MAX_DEPTH:
        raise _StrictJSON("nested too deeply")
    if isinstance(value, str) and len(value) > MAX_STRING:
        raise _StrictJSON("a text is longer than 100,000 characters")
    if isinstance(value, dict):
        for key, item in value.items():
            if len(key) > MAX_STRING:
                raise _StrictJSON("a key is longer than 100,000 characters")
            _check_depth_and_strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_depth_and_strings(item, depth + 1)


def strict_loads(raw: bytes) -> Any:
    """JSON without NaN/Infinity, duplicate keys, BOM, invalid UTF-8, deep nesting or huge strings.

    Fast path for the canonical lines our writer makes: parsed by the C decoder, and accepted when
    writing the value back canonically gives the same text (a duplicate key could not survive that);
    short lines with few brackets cannot be too deep or hold a too-long string. Anything else takes the
    slow path with the checking hooks.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raise _StrictJSON("it starts with a byte-order mark")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _StrictJSON("it is not valid UTF-8") from None
    if len(text) <= MAX_STRING and text.count("[") + text.count("{") <= MAX_DEPTH:
        try:
            value = _FAST.decode(text)
        except _StrictJSON:
            raise
        except (json.JSONDecodeError, ValueError, RecursionError):
            value = _SLOW
        if value is not _SLOW and _CANONICAL.encode(value) == text:
            return value
    try:
        value = _CHECKING.decode(text)
    except _StrictJSON:
        raise
    except (json.JSONDecodeError, ValueError, RecursionError) as exc:
        raise _StrictJSON(str(exc).split(":")[0]) from None
    _check_depth_and_strings(value)
    return value


_SLOW = object()
# made once: json.loads with options builds a new decoder on every call
_FAST = json.JSONDecoder(parse_constant=_no_constants, parse_float=_finite_float)
_CHECKING = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constants, parse_float=_finite_float)
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


class RawJSON(str):
    """A value's JSON text as stored (canonical already): written into a line as it is, not decoded and
    encoded again (a full center export holds about a million field versions)."""

    __slots__ = ()


_ROW_KEYS = ("dot", "field", "hlc", "id", "node", "owner", "v", "vv")


def row_order(row: dict) -> tuple:
    """The order of a bundle's lines: by record, field, workstation and dot (so the same data makes the same
    bytes)."""
    return row["id"], row["field"], row["node"], row["dot"]


def canonical_line(row: dict) -> bytes:
    """One data line: the row as canonical JSON (sorted keys, no spaces)."""
    v, vv, dot, owner = row["v"], row["vv"], row["dot"], row["owner"]
    if type(v) is RawJSON and type(vv) is RawJSON and type(dot) is int and len(row) == len(_ROW_KEYS):
        q = _quote
        return (f'{{"dot":{dot},"field":{q(row["field"])},"hlc":{q(row["hlc"])},"id":{q(row["id"])},'
                f'"node":{q(row["node"])},"owner":{"null" if owner is None else q(owner)},"v":{v},"vv":{vv}}}'
                ).encode()  # fmt: skip
    return _CANONICAL.encode(row).encode()


# -- writing ----------------------------------------------------------------------------------------------------


def _seal(center_key: bytes, path: str, plain: bytes, site: str) -> tuple[bytes, str]:
    """Deflate, then AES-256-GCM (ciphertext does not compress, so compression comes first), with a nonce
    derived from the key and the content: the same data seals the same way (deterministic export), and
    different data never reuses a nonce."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = hmac.new(center_key, b"nonce\0" + path.encode() + b"\0" + hashlib.sha256(plain).digest(),
                     hashlib.sha256).digest()[:NONCE_BYTES]  # fmt: skip
    sealed = AESGCM(center_key).encrypt(nonce, zlib.compress(plain, 6), _aad(path, site))
    return sealed, nonce.hex()


def _inflate(data: bytes, reject: _Reject, member: str) -> bytes:
    """Undo the deflate of a sealed file, within the same expansion cap as zip members."""
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, min(MAX_TOTAL, MAX_RATIO * max(len(data), 1) + 65536))
    except zlib.error:
        reject("E_ZIP_CORRUPT", "a sealed data file is damaged", member)
    if inflater.unconsumed_tail:
        reject("E_ZIP_BOMB", "a sealed data file expands far more than real data does", member)
    if not inflater.eof:
        reject("E_ZIP_CORRUPT", "a sealed data file is incomplete", member)
    return out


def _unseal(data: bytes, member: str, nonce: str | None, center_key: bytes | None, site: str, reject: _Reject) -> bytes:
    """A sealed member opened with the center key and inflated (within the zip members' expansion cap)."""
    if center_key is None or nonce is None:
        reject("E_DECRYPT", "it is sealed with the center key, which this workstation does not have")
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    try:
        data = AESGCM(center_key).decrypt(bytes.fromhex(nonce), data, _aad(member.removesuffix(".enc"), site))
    except (InvalidTag, ValueError):
        reject("E_DECRYPT", "it cannot be opened with this workstation's center key", member)
    return _inflate(data, reject, member)


def _aad(path: str, site: str) -> bytes:
    return f"{FORMAT}/v{FORMAT_VERSION}/{site}/{path}".encode()


def _member(zf: zipfile.ZipFile, name: str, data: bytes) -> None:
    info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
    info.compress_type = zipfile.ZIP_STORED if name.endswith(".enc") else zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    zf.writestr(info, data)


def part_path(entity: str, number: int, sealed: bool) -> str:
    """The member holding an entity's ``number``-th data part: ``data/<entity>.ndjson`` for the first (as every
    bundle of earlier releases has it), ``data/<entity>.<number>.ndjson`` after; ``.enc`` when sealed."""
    stem = f"data/{entity}" if number == 1 else f"data/{entity}.{number}"
    return f"{stem}.ndjson.enc" if sealed else f"{stem}.ndjson"


class BundleWriter:
    """A bundle written as its rows come: each entity's lines go into parts of about ``PART_BYTES`` (a record
    never split between two), each part sealed, hashed and written into the zip at once, so memory holds one
    part whatever the center's size; :meth:`finish` adds the counts, the attachments, the manifest and its
    signature and renames the file into place. Used as a context manager: a write that fails or is left
    unfinished leaves no ``.part`` behind.

    Rows come through :meth:`add`, entity by entity (each entity's batches together), in :func:`row_order`; a
    part ends between two records, so a record's lines are always in one part.
    """

    def __init__(self, *, scope: Literal["center", "network"], source: dict[str, str], audience_site: str,
                 folder: Path, center_key: bytes | None = None, created_at: datetime | None = None,
                 bundle_id: str | None = None, schema: str = SYNC_SCHEMA,
                 encode: Callable[[dict], bytes] | None = None, part_bytes: int | None = None) -> None:  # fmt: skip
        if scope == "center" and (center_key is None or len(center_key) != 32):
            raise LhnError("A center bundle needs the 32-byte center key; set it up on the Sync page first.")
        self.scope, self.source, self.audience, self.schema = scope, source, audience_site, schema
        self.center_key = center_key
        self.created = (created_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        self.bundle_id = bundle_id or str(uuid.uuid4())
        self.encode = encode or canonical_line
        self.part_bytes = part_bytes or PART_BYTES
        name = f"{source['site_id']}_{source['node_id'][:8]}_{self.created:%Y%m%dT%H%M%SZ}_{self.bundle_id[:8]}{SUFFIX}"
        self.target = Path(folder) / name
        self.part = self.target.with_name(self.target.name + ".part")
        self.files: list[dict[str, Any]] = []
        self.counts: dict[str, dict[str, int]] = {}
        self._entity: str | None = None
        self._record: str | None = None  # the record whose lines came last
        self._parts = 0
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._rows = 0
        self._handle = None
        self._zf: zipfile.ZipFile | None = None
        try:
            self._handle = open(self.part, "wb")  # noqa: SIM115  (closed by finish or abort)
            self._zf = zipfile.ZipFile(self._handle, "w")
        except OSError as exc:
            self.abort()
            raise self._refused(exc) from exc

    def __enter__(self) -> BundleWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is not None:  # not finished: an error, or a caller that stopped
            self.abort()

    def _refused(self, exc: OSError) -> LhnError:
        reason = "the disk is full" if exc.errno == errno.ENOSPC else "the folder refused the write"
        return LhnError(f"The bundle could not be written to {self.target.parent}: {reason}. Nothing was exported; "
                        "free some space or choose another folder, then export again.")  # fmt: skip

    def _write(self, path: str, data: bytes) -> None:
        assert self._zf is not None
        try:
            _member(self._zf, path, data)
        except OSError as exc:  # a full disk, a drive pulled out: no half-written file is left to be mistaken
            self.abort()
            raise self._refused(exc) from exc

    def _seal(self, path: str, plain: bytes) -> tuple[bytes, str | None]:
        if self.scope != "center":
            return plain, None
        assert self.center_key is not None  # only a center bundle is sealed, and it has its key (checked above)
        return _seal(self.center_key, path, plain, self.source["site_id"])

    def add(self, entity: str, rows: Iterable[dict]) -> None:
        """Some rows of ``entity``, in :func:`row_order` (a record's rows may come in two batches)."""
        if entity != self._entity:
            self._flush()
            if entity in self.counts:
                raise ValueError(f"the rows of {entity} must come together")
            self._entity, self._parts, self._record = entity, 0, None
            self.counts[entity] = {"records": 0, "rows": 0}
        counts = self.counts[entity]
        for row in rows:
            if row["id"] != self._record:  # a part ends only between two records
                if self._buffered >= self.part_bytes:
                    self._flush()
                counts["records"] += 1
                self._record = row["id"]
            line = self.encode(row)
            self._buffer.append(line)
            self._buffered += len(line) + 1
            self._rows += 1
            counts["rows"] += 1

    def _flush(self) -> None:
        """Write the lines gathered for the current entity as its next part (none when there are none, except
        that an entity with no rows at all still has its one, empty, data file)."""
        if self._entity is None or (not self._buffer and self._parts):
            return
        self._parts += 1
        plain = b"\n".join(self._buffer) + b"\n" if self._buffer else b""
        self._buffer, self._buffered = [], 0
        path = part_path(self._entity, self._parts, self.scope == "center")
        data, nonce = self._seal(path.removesuffix(".enc"), plain)
        entry: dict[str, Any] = {"path": path, "entity": self._entity, "sha256": hashlib.sha256(data).hexdigest(),
                                 "bytes": len(data)}  # fmt: skip
        if nonce:
            entry["nonce"] = nonce
        else:
            entry["rows"] = self._rows
        self._rows = 0
        self.files.append(entry)
        self._write(path, data)

    def finish(self, *, sign: Callable[[bytes], bytes], hlc_max: str, base: Mapping[str, int] | None = None,
               known: list[dict] | None = None, attachments: dict[str, bytes] | None = None) -> Path:  # fmt: skip
        """The counts, attachments, manifest and signature; the file fsynced and renamed into place."""
        self._flush()
        self._entity = None
        manifest: dict[str, Any] = {
            "format": FORMAT, "format_version": FORMAT_VERSION, "bundle_id": self.bundle_id,
            "kind": "delta" if base else "full", "scope": self.scope, "source": self.source,
            "audience": {"site_id": self.audience}, "created_at": self.created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "hlc_max": hlc_max, "schema_version": self.schema,
            "min_reader_schema": f"{self.schema.split('.')[0]}.0", "files": self.files,
        }  # fmt: skip
        if base:
            manifest["base"] = dict(sorted(base.items()))
        if known is not None:
            manifest["known"] = known
        if self.scope == "center":  # how many patients a center has is itself patient data: the counts are sealed
            plain = _CANONICAL.encode({"counts": self.counts}).encode()
            data, nonce = self._seal(SEALED.removesuffix(".enc"), plain)
            manifest["sealed"] = {"path": SEALED, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data),
                                  "nonce": nonce}  # fmt: skip
            self._write(SEALED, data)
        else:
            manifest["counts"] = self.counts
        listed = []
        for digest, content in sorted((attachments or {}).items()):
            if hashlib.sha256(content).hexdigest() != digest or len(content) > ATTACHMENT_MAX_BYTES:
                self.abort()
                raise LhnError("An attachment to send does not match its hash or is too large; nothing was exported.")
            path = f"files/{digest}"
            data, nonce = self._seal(path, content)
            if nonce:
                path += ".enc"
            entry = {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            if nonce:
                entry["nonce"] = nonce
            listed.append(entry)
            if len(listed) > MAX_ATTACHMENTS:
                self.abort()
                raise LhnError(f"A bundle carries at most {MAX_ATTACHMENTS} attachments; nothing was exported.")
            self._write(path, data)
        if listed:  # only then: a bundle without attachments reads as before
            manifest["attachments"] = listed
        manifest_bytes = json.dumps(manifest, sort_keys=True, indent=1, ensure_ascii=False).encode()
        signature = sign(SIGNATURE_TAG + manifest_bytes)
        import base64

        sig = json.dumps({"alg": "ed25519", "key_id": self.source["key_id"],
                          "sig": base64.b64encode(signature).decode()})  # fmt: skip
        self._write("manifest.json", manifest_bytes)
        self._write("manifest.sig", sig.encode())
        handle, zf = self._handle, self._zf
        assert handle is not None
        assert zf is not None
        try:
            zf.close()
            handle.flush()
            os.fsync(handle.fileno())
            handle.close()
            os.replace(self.part, self.target)
        except OSError as exc:
            self.abort()
            raise self._refused(exc) from exc
        self._handle = self._zf = None
        return self.target

    def abort(self) -> None:
        """Stop and remove the unfinished file."""
        for closing in (self._zf, self._handle):
            try:
                if closing is not None:
                    closing.close()
            except (OSError, ValueError):
                pass
        self._handle = self._zf = None
        self.part.unlink(missing_ok=True)


def write_bundle(
    rows: dict[str, list[dict]],
    *,
    scope: Literal["center", "network"],
    source: dict[str, str],
    audience_site: str,
    sign: Callable[[bytes], bytes],
    hlc_max: str,
    folder: Path,
    center_key: bytes | None = None,
    created_at: datetime | None = None,
    bundle_id: str | None = None,
    schema: str = SYNC_SCHEMA,
    attachments: dict[str, bytes] | None = None,
    base: Mapping[str, int] | None = None,
    known: list[dict] | None = None,
    encode: Callable[[dict], bytes] | None = None,
    presorted: bool = False,
) -> Path:
    """Write a bundle of rows held in memory into ``folder`` (:class:`BundleWriter`); returns the path.

    ``rows`` are every version the receiver may lack: all of them (a full bundle, ``base`` empty or None), or
    those beyond ``base`` (a delta). ``known`` is how far the sender holds each workstation's versions.
    ``encode`` writes a row's line (:func:`canonical_line`; a caller writing many bundles of the same rows may
    remember the lines), and ``presorted`` says the rows are already in :func:`row_order`.

    ``attachments`` are the attached files to carry, by the SHA-256 of their content (the caller chooses
    them within ``MAX_ATTACHMENTS`` and ``ATTACHMENT_BUDGET``). A failed write leaves no ``.part`` behind.
    """
    with BundleWriter(scope=scope, source=source, audience_site=audience_site, folder=folder, center_key=center_key,
                      created_at=created_at, bundle_id=bundle_id, schema=schema, encode=encode) as writer:  # fmt: skip
        for entity in sorted(rows):
            writer.add(entity, rows[entity] if presorted else sorted(rows[entity], key=row_order))
        return writer.finish(sign=sign, hlc_max=hlc_max, base=base, known=known, attachments=attachments)


# -- reading ----------------------------------------------------------------------------------------------------


#: What zipfile raises on damaged input besides BadZipFile: a broken deflate stream (zlib.error), data cut
#: short (EOFError), a newer zip feature (NotImplementedError), a name that is not UTF-8 (UnicodeDecodeError),
#: offsets outside the file (ValueError, OSError) and truncated headers (struct.error).
ZIP_DAMAGE = (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError, struct.error)


def _chunks(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, reject: _Reject, over: Callable[[], object] | None = None
) -> Iterator[bytes]:
    """A member's bytes in pieces, counted as they stream (headers can lie about sizes); past ``cap``,
    ``over()`` (by default a refusal as too large)."""
    read = 0
    try:
        with zf.open(info) as stream:
            while chunk := stream.read(65536):
                read += len(chunk)
                if read > cap:
                    if over is not None:
                        over()
                    reject("E_ZIP_BOMB", f"{info.filename} is larger than allowed", info.filename)
                yield chunk
    except ZIP_DAMAGE:
        reject("E_ZIP_CORRUPT", "the file is damaged (a checksum or length does not match)", info.filename)


def _read_capped(zf: zipfile.ZipFile, info: zipfile.ZipInfo, cap: int, reject: _Reject) -> bytes:
    return b"".join(_chunks(zf, info, cap, reject))


def _read_signed(zf: zipfile.ZipFile, info: zipfile.ZipInfo, size: int, sha256: str, reject: _Reject) -> bytes:
    """A data member, hashed as it streams and never held beyond its signed size: a member that runs past
    the size or hashes differently is refused before it is joined into one buffer."""
    digest, pieces = hashlib.sha256(), []
    for chunk in _chunks(zf, info, size, reject, over=lambda: _mismatch(reject, info.filename)):
        digest.update(chunk)
        pieces.append(chunk)
    if digest.hexdigest() != sha256 or sum(map(len, pieces)) != size:
        _mismatch(reject, info.filename)
    return b"".join(pieces)


def _mismatch(reject: _Reject, member: str) -> NoReturn:
    reject("E_HASH_MISMATCH", "a data file does not match its signed hash (changed or damaged)", member)


def _no_overlap(zf: zipfile.ZipFile, handle: BinaryIO, infos: list[zipfile.ZipInfo], reject: _Reject) -> None:
    """Each member's local header and data must lie before the next member and the central directory
    (overlapped entries, CVE-2024-0450, are refused here whatever the Python version)."""
    ends = sorted(infos, key=lambda i: i.header_offset)
    limit = zf.start_dir
    for index, info in enumerate(ends):
        after = ends[index + 1] if index + 1 < len(ends) else None
        start = info.header_offset
        header = b""
        if start >= 0:
            handle.seek(start)
            header = handle.read(30)
        if start < 0 or len(header) < 30 or header[:4] != b"PK\x03\x04":
            reject("E_ZIP_CORRUPT", "the file is damaged (a part is not where its index says)", info.filename)
        name_len, extra_len = struct.unpack("<HH", header[26:30])
        end = start + 30 + name_len + extra_len + info.compress_size
        if end > (after.header_offset if after is not None else limit):
            reject(
                "E_ZIP_CORRUPT", "the file is damaged or was made to deceive (two of its parts overlap)", info.filename
            )


def _schema(text: str) -> tuple[int, int]:
    major, minor = text.split(".")
    return int(major), int(minor)


def _lines(data: bytes) -> Iterator[tuple[int, bytes]]:
    for number, line in enumerate(data.split(b"\n"), start=1):
        if line:
            yield number, line


class _Opened:
    """A bundle file opened and checked as a zip (SYNC.md 2.2 steps 1 and 2), read from disk member by member
    (never held whole in memory); closed by :meth:`close` or as a context manager."""

    def __init__(self, handle: BinaryIO, digest: str, zf: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo]) -> None:
        self.handle = handle
        self.digest = digest
        self.zf = zf
        self.by_name = by_name

    def manifest_bytes(self, reject: _Reject) -> bytes:
        return _read_capped(self.zf, self.by_name["manifest.json"], MAX_MANIFEST, reject)

    def close(self) -> None:
        self.zf.close()
        self.handle.close()

    def __enter__(self) -> _Opened:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _open(source: Path, reject: _Reject) -> _Opened:
    """Steps 1 (size) and 2 (zip layout): every check made before any member is read."""
    try:
        handle = open(source, "rb")  # noqa: SIM115  (closed by _Opened, or below on a refusal)
    except OSError:
        reject("E_NOT_FOUND", "the file cannot be read")
    try:
        return _open_handle(handle, reject)
    except BaseException:
        handle.close()
        raise


def _open_handle(handle: BinaryIO, reject: _Reject) -> _Opened:
    try:
        status = os.fstat(handle.fileno())
    except OSError:
        reject("E_NOT_FOUND", "the file cannot be read")
    if not stat.S_ISREG(status.st_mode):
        reject("E_NOT_FOUND", "it is not a file")
    if status.st_size > MAX_BUNDLE:
        reject("E_TOO_LARGE", f"the file is {status.st_size / 1_048_576:.0f} MB, above the 256 MB limit")
    digest, size = hashlib.sha256(), 0
    try:
        while chunk := handle.read(1_048_576):
            size += len(chunk)
            if size > MAX_BUNDLE:  # it grew after the size was read
                reject("E_TOO_LARGE", "the file is above the 256 MB limit")
            digest.update(chunk)
        handle.seek(0)
    except OSError:
        reject("E_NOT_FOUND", "the file cannot be read")
    try:
        zf = zipfile.ZipFile(handle)
        infos = zf.infolist()
    except ZIP_DAMAGE:
        reject("E_ZIP_LAYOUT", "it is not a bundle (not a zip file, or a damaged one)")
    attached = sum(1 for i in infos if i.filename.startswith("files/"))
    if len(infos) - attached > MAX_MEMBERS:
        reject("E_ZIP_LAYOUT", f"it has {len(infos) - attached} data members, more than {MAX_MEMBERS}")
    if attached > MAX_ATTACHMENTS:
        reject("E_ZIP_LAYOUT", f"it carries {attached} attachments, more than {MAX_ATTACHMENTS}")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        reject("E_ZIP_LAYOUT", "a member name appears twice")
    total = 0
    for info in infos:
        if not MEMBER.fullmatch(info.filename):
            # never the name itself: a crafted name may be anything, a patient's name included
            reject("E_ZIP_LAYOUT", "it holds an unexpected member, with a name a bundle never has")
        if info.flag_bits & 0x1:
            reject("E_ZIP_LAYOUT", "a member is zip-encrypted", info.filename)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            reject("E_ZIP_LAYOUT", "a member uses an unsupported compression", info.filename)
        if stat.S_ISLNK(info.external_attr >> 16):
            reject("E_ZIP_LAYOUT", "a member is a symbolic link", info.filename)
        total += info.file_size
        if info.file_size > MAX_RATIO * max(info.compress_size, 1):
            reject("E_ZIP_BOMB", "a member expands far more than real data does", info.filename)
    if total > MAX_TOTAL:
        reject("E_ZIP_BOMB", "the members would expand beyond 1 GB")
    _no_overlap(zf, handle, infos, reject)
    by_name = {i.filename: i for i in infos}
    if "manifest.json" not in by_name or "manifest.sig" not in by_name:
        reject("E_ZIP_LAYOUT", "the manifest or its signature is missing")
    return _Opened(handle, digest.hexdigest(), zf, by_name)


def _rejecter(file: str, sender: list[str | None]) -> _Reject:
    def reject(code: str, what: str, member: str | None = None) -> NoReturn:
        raise BundleRejected(code, what, file=file, member=member, sender=sender[0])

    return reject


@contextmanager
def _quiet() -> Iterator[None]:
    """A refusal leaves without the exception it was raised from (a JSON or validation error quotes the
    offending input, and a logged traceback prints that context): no value from a bundle reaches a log."""
    try:
        yield
    except BundleRejected as exc:
        exc.__context__ = exc.__cause__ = None
        exc.__suppress_context__ = True
        raise


def _quietly(read: Callable[..., Any]) -> Callable[..., Any]:
    """:func:`_quiet` around a whole function."""

    @functools.wraps(read)
    def wrapper(*args, **kwargs):
        with _quiet():
            return read(*args, **kwargs)

    return wrapper


@_quietly
def peek_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a bundle file, for a first look before the import (is it a center or a network bundle?).

    Not verified (the signature is checked by :func:`read_bundle`), but read with the same limits: the
    zip checks of steps 1 and 2, the manifest capped at 1 MB as it streams, strict JSON. Whatever the
    file holds, the answer is the manifest or a :class:`BundleRejected`.
    """
    source = Path(path)
    reject = _rejecter(source.name, [None])
    with _open(source, reject) as opened:
        raw = opened.manifest_bytes(reject)
    try:
        manifest = strict_loads(raw)
    except _StrictJSON as exc:
        reject("E_MANIFEST", f"the manifest is not strict JSON: {exc}", "manifest.json")
    if not isinstance(manifest, dict):
        reject("E_MANIFEST", "the manifest is not a JSON object", "manifest.json")
    return manifest


def bundle_scope(path: str | Path) -> str | None:
    """``"center"`` or ``"network"`` as a bundle file says (a first look through :func:`peek_manifest`), or
    ``None`` when the file is refused or says neither; the import then says why."""
    try:
        scope = peek_manifest(path).get("scope")
    except BundleRejected:
        return None
    return scope if scope in ("center", "network") else None


def _site(code: object) -> str:
    """A site code from a bundle, shown only when it has the form of one (anything else may be any text)."""
    return code if isinstance(code, str) and SITE_CODE.fullmatch(code) else "a site code that is not valid"


def _where(loc: tuple) -> str:
    """Where a manifest fails validation, named only by the manifest's own field names: a crafted key (an
    unexpected field, a count's entity) is never repeated."""
    known = (
        set(Manifest.model_fields)
        | set(Source.model_fields)
        | set(FileEntry.model_fields)
        | set(SealedEntry.model_fields)
    )
    parts = []
    for part in loc:
        if isinstance(part, int):
            parts.append(str(part))
        elif part in known:
            parts.append(part)
        else:
            parts.append("(a key)")
            break
    return "/".join(parts)


_RESERVED = {"id": "id", "owner_site_id": "owning center", "has_conflict": "conflict flag"}


def _check_layout(manifest: Manifest, reject: _Reject) -> None:
    """Where the counts are: in the clear for a network bundle; sealed for a center bundle, or (a center bundle
    of the first release) in the clear as well. Anything in between is refused."""
    clear = [f.rows is not None for f in manifest.files]
    if manifest.scope == "network":
        if manifest.sealed is not None or not all(clear):
            reject("E_MANIFEST", "a network bundle's manifest must list its counts in the clear", "manifest.json")
    elif manifest.sealed is not None:
        if any(clear) or manifest.counts:
            reject("E_MANIFEST", "a center bundle's manifest holds counts in the clear", "manifest.json")
    elif not all(clear):
        reject("E_MANIFEST", "a center bundle's manifest lists neither sealed nor clear counts", "manifest.json")


def _check_vectors(manifest: Manifest, reject: _Reject) -> None:
    """A delta names where it starts and a full bundle does not; each workstation is named once, with a dot."""
    if (manifest.kind == "delta") != bool(manifest.base):
        reject("E_MANIFEST", "a delta bundle must say where it starts, and only a delta bundle may", "manifest.json")
    if any(not 1 <= len(node) <= 40 or dot < 1 for node, dot in (manifest.base or {}).items()):
        reject("E_MANIFEST", "a delta bundle's start names a workstation or a dot that cannot be", "manifest.json")
    if len({entry.node for entry in manifest.known}) != len(manifest.known):
        reject("E_MANIFEST", "the manifest names a workstation twice in what the sender holds", "manifest.json")


def _sealed_counts(zf: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo], entry: SealedEntry,
                   center_key: bytes | None, site: str, reject: _Reject) -> dict[str, Counts]:  # fmt: skip
    """A center bundle's counts, read from its sealed member (checked against the signed hash, then opened)."""
    if entry.path not in by_name:
        reject("E_ZIP_LAYOUT", "the sealed counts the manifest lists are missing")
    data = _read_signed(zf, by_name[entry.path], entry.bytes, entry.sha256, reject)
    data = _unseal(data, SEALED, entry.nonce, center_key, site, reject)
    try:
        return SealedCounts.model_validate(strict_loads(data)).counts
    except (_StrictJSON, ValidationError):
        reject("E_MANIFEST", "its sealed counts are not readable", SEALED)


def _read_head(
    opened: _Opened,
    reject: _Reject,
    sender: list[str | None],
    *,
    trust: Callable[[str], Signer | None],
    local_site: str,
    is_ncc: bool = False,
    center_key: bytes | None = None,
    previous: Callable[[str], str | None] = lambda _bundle_id: None,
    now: datetime | None = None,
    check_row: Callable[[str, Row], str | None] | None = None,
) -> BundleReader:
    """Steps 3-5 and the start of step 6 on an opened bundle: the reader of its data parts."""
    current = (now or datetime.now(UTC)).astimezone(UTC)
    zf, by_name, digest = opened.zf, opened.by_name, opened.digest
    # 3. signature, before the manifest is parsed
    sig_bytes = _read_capped(zf, by_name["manifest.sig"], MAX_SIG, reject)
    manifest_bytes = opened.manifest_bytes(reject)
    try:
        sig = strict_loads(sig_bytes)
        key_id, alg, signature_text = sig["key_id"], sig["alg"], sig["sig"]
        import base64

        signature = base64.b64decode(signature_text, validate=True)
    except (_StrictJSON, KeyError, TypeError, ValueError):
        reject("E_SIGNATURE", "the signature file is not readable", "manifest.sig")
    if alg != "ed25519" or not isinstance(key_id, str):
        reject("E_SIGNATURE", "the signature is not an Ed25519 signature", "manifest.sig")
    if not KEY_ID.fullmatch(key_id):  # shown in messages below, so only ever a key id
        reject("E_SIGNATURE", "the signature names no readable key", "manifest.sig")
    signer = trust(key_id)
    if signer is None:
        reject("E_UNKNOWN_SIGNER", f"it is signed with key {key_id}, which this workstation does not trust")
    sender[0] = f"{signer.site_id} (key {key_id})"
    if signer.revoked:
        reject("E_KEY_REVOKED", "it is signed with a key that has been revoked")
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        Ed25519PublicKey.from_public_bytes(signer.public_key).verify(signature, SIGNATURE_TAG + manifest_bytes)
    except (InvalidSignature, ValueError):
        reject("E_SIGNATURE", "the signature does not match the manifest (changed or damaged)", "manifest.json")
    # 4. the manifest
    try:
        manifest = Manifest.model_validate(strict_loads(manifest_bytes))
    except _StrictJSON as exc:
        reject("E_MANIFEST", f"the manifest is not strict JSON: {exc}", "manifest.json")
    except ValidationError as exc:
        first = exc.errors()[0]
        reject("E_MANIFEST", f"the manifest is not valid at {_where(first['loc'])}", "manifest.json")
    if manifest.format_version != FORMAT_VERSION:
        reject("E_FORMAT", f"bundle format version {manifest.format_version} is not supported")
    if int(manifest.min_reader_schema.split(".")[0]) > int(SYNC_SCHEMA.split(".")[0]):
        reject("E_SCHEMA_NEWER", f"it needs sync schema {manifest.min_reader_schema}")
    if manifest.source.key_id != key_id or manifest.source.site_id != signer.site_id:
        reject("E_WRONG_AUDIENCE", "the manifest names another sender than the key that signed it")
    audience = manifest.audience.get("site_id")
    if manifest.scope == "center" and (is_ncc or audience != local_site or signer.site_id != local_site):
        reject("E_WRONG_AUDIENCE", f"it is a center bundle for {_site(audience)}, not for this workstation")
    if manifest.scope == "network" and audience not in (local_site, "ncc" if is_ncc else local_site):
        reject("E_WRONG_AUDIENCE", f"it is a network bundle for {_site(audience)}")
    _check_layout(manifest, reject)
    _check_vectors(manifest, reject)
    try:
        created = datetime.strptime(manifest.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        reject("E_MANIFEST", "the creation time is not a UTC timestamp", "manifest.json")
    if created > current + CLOCK_SKEW:
        reject("E_CLOCK_FUTURE", "it was made in the future by the sender's clock")
    try:
        claimed = Hlc.parse(manifest.hlc_max)
    except ValueError:
        reject("E_MANIFEST", "its clock value is not readable", "manifest.json")
    if claimed.wall_ms > int((current + CLOCK_SKEW).timestamp() * 1000):
        reject("E_CLOCK_FUTURE", "it claims a time more than 10 minutes ahead of this workstation's clock")
    # 5. replay
    seen = previous(manifest.bundle_id)
    if seen is not None:
        if seen == digest:
            return BundleReader(opened, manifest, signer, reject, {}, already_imported=True)
        reject("E_REPLAY_CONFLICT", "a different bundle with the same id was imported before")
    # 6. the data files, streamed and checked against the manifest
    listed = {f.path for f in manifest.files} | ({manifest.sealed.path} if manifest.sealed else set())
    listed |= {a.path for a in manifest.attachments}
    unlisted = set(by_name) - listed - {"manifest.json", "manifest.sig"}
    if unlisted:
        reject("E_ZIP_LAYOUT", f"it holds members the manifest does not list: {', '.join(sorted(unlisted))}")
    expected_rows: dict[str, int] = {}
    for f in manifest.files:
        expected_rows[f.entity] = expected_rows.get(f.entity, 0) + (f.rows or 0)
    if manifest.sealed is not None:
        counts = _sealed_counts(zf, by_name, manifest.sealed, center_key, signer.site_id, reject)
        if set(counts) != set(expected_rows):
            reject("E_COUNT_MISMATCH", "its sealed counts do not name the same kinds of record as its data files",
                   SEALED)  # fmt: skip
        expected_rows = {entity: count.rows for entity, count in counts.items()}
    return BundleReader(opened, manifest, signer, reject, expected_rows, center_key=center_key,
                        local_site=local_site, current=current, check_row=check_row)  # fmt: skip


class BundleReader:
    """A bundle through steps 1-5 of SYNC.md 2.2 (the zip, the signature, the manifest, replay): its data parts
    come from :meth:`parts`, each read, opened and checked (steps 6-8) as it is asked for, so that an import
    merges one part while the next is still on disk; :meth:`attachments` after the last. A refusal in a part
    raises :class:`BundleRejected` there (an import then rolls back what it merged). From :func:`open_bundle`."""

    def __init__(self, opened: _Opened, manifest: Manifest, signer: Signer, reject: _Reject,
                 expected_rows: dict[str, int], *, already_imported: bool = False, center_key: bytes | None = None,
                 local_site: str = "", current: datetime | None = None,
                 check_row: Callable[[str, Row], str | None] | None = None) -> None:  # fmt: skip
        self.opened, self.manifest, self.signer, self.reject = opened, manifest, signer, reject
        self.expected_rows = expected_rows
        self.already_imported = already_imported
        self.center_key, self.local_site, self.check_row = center_key, local_site, check_row
        self.current = current or datetime.now(UTC)
        self.named: set[str] = set()  # the attachments the resources read so far name

    @property
    def sha256(self) -> str:
        return self.opened.digest

    @property
    def total_rows(self) -> int:
        return sum(self.expected_rows.values())

    def parts(self) -> Iterator[tuple[str, list[Row]]]:
        """``(entity, rows)`` of each data part in the manifest's order, every row checked."""
        with _quiet():
            yield from self._parts()

    def attachments(self) -> dict[str, bytes]:
        """The attached files, checked, once :meth:`parts` has been read to the end."""
        with _quiet():
            return _attachments(self.opened.zf, self.opened.by_name, self.manifest, self.named, self.center_key,
                                self.signer.site_id, self.reject)  # fmt: skip

    def _parts(self) -> Iterator[tuple[str, list[Row]]]:
        manifest, signer, reject, expected_rows = self.manifest, self.signer, self.reject, self.expected_rows
        by_name = self.opened.by_name
        node_site: dict[str, str] = {}  # workstation -> the site its rows are for (a workstation has one site)
        numbers: dict[str, int] = {}  # entity -> the parts read of it
        rows_read: dict[str, int] = {}
        last = {entry.entity: index for index, entry in enumerate(manifest.files)}
        newer_minor = _schema(manifest.schema_version) > _schema(SYNC_SCHEMA)
        limit_ms = int((self.current + CLOCK_SKEW).timestamp() * 1000)
        for index, entry in enumerate(manifest.files):
            numbers[entry.entity] = numbers.get(entry.entity, 0) + 1
            if entry.path != part_path(entry.entity, numbers[entry.entity], manifest.scope == "center") or (
                entry.path not in by_name
            ):
                reject(
                    "E_ZIP_LAYOUT", f"the manifest lists a data file for {entry.entity}, which is missing or misnamed"
                )
            if manifest.scope == "network" and network_refused(entry.entity, None, newer_minor=newer_minor):
                reject("E_UNAUTHORIZED_ROWS", f"network bundles may not carry {entry.entity} records", entry.path)
            if manifest.scope == "network" and entry.entity in NCC_ONLY and signer.role != "ncc":
                reject("E_UNAUTHORIZED_ROWS", f"only the network coordinating center may send {entry.entity} records",
                       entry.path)  # fmt: skip
            parsed = self._part(entry, node_site, newer_minor, limit_ms)
            read = rows_read[entry.entity] = rows_read.get(entry.entity, 0) + len(parsed)
            if index == last[entry.entity] and read != expected_rows[entry.entity]:
                expected = expected_rows[entry.entity]
                reject("E_COUNT_MISMATCH", f"it has {read} rows where the manifest says {expected}", entry.path)
            yield entry.entity, parsed

    def _part(self, entry: FileEntry, node_site: dict[str, str], newer_minor: bool, limit_ms: int) -> list[Row]:
        """One data part read against its signed hash, opened, and every line checked (steps 6-8)."""
        manifest, signer, reject, check_row = self.manifest, self.signer, self.reject, self.check_row
        by_name, zf, local_site = self.opened.by_name, self.opened.zf, self.local_site
        data = _read_signed(zf, by_name[entry.path], min(entry.bytes, MAX_TOTAL), entry.sha256, reject)
        if manifest.scope == "center":
            data = _unseal(data, entry.path, entry.nonce, self.center_key, signer.site_id, reject)
        parsed: list[Row] = []
        # a record's rows are in one part; the merge checks its owner against the other parts' (stored by then)
        record_owner: dict[str, str] = {}  # id -> the site that owns the record
        for number, line in _lines(data):
            if len(line) > MAX_LINE:
                reject("E_ROW", f"line {number} is longer than 1 MB", entry.path)
            try:
                value = strict_loads(line)
            except _StrictJSON as exc:
                reject("E_JSON", f"line {number} is not strict JSON: {exc}", entry.path)
            try:
                row = Row.model_validate(value)
                Hlc.parse(row.hlc)
            except (ValidationError, ValueError):
                reject("E_ROW", f"line {number} is not a valid field version", entry.path)
            if row.vv.get(row.node) != row.dot:
                reject("E_ROW", f"line {number}: its version vector does not include its own dot", entry.path)
            # 7. authorisation: network bundles carry only the signer's own site's records (the NCC relays all)
            if manifest.scope == "network" and signer.role != "ncc" and row.owner != signer.site_id:
                reject("E_UNAUTHORIZED_ROWS", f"line {number} is another site's record ({_site(row.owner)})",
                       entry.path)  # fmt: skip
            if manifest.scope == "network" and network_refused(entry.entity, row.field, newer_minor=newer_minor):
                reject("E_UNAUTHORIZED_ROWS", f"line {number} carries the field {row.field}, which network bundles "
                       "may not carry", entry.path)  # fmt: skip
            if row.field in RESERVED_FIELDS:
                reject("E_UNAUTHORIZED_ROWS", f"line {number} tries to change a record's {_RESERVED[row.field]}, which "
                       "no bundle may change", entry.path)  # fmt: skip
            if record_owner.setdefault(row.id, row.owner) != row.owner:
                reject("E_UNAUTHORIZED_ROWS", f"line {number} names another owning center for a record than its "
                       "earlier lines (the center that owns a record never changes)", entry.path)  # fmt: skip
            if node_site.setdefault(row.node, row.owner) != row.owner:
                reject("E_UNAUTHORIZED_ROWS", f"line {number} is written by a workstation that its other lines "
                       "place at another center (a workstation writes only its own center's records)",
                       entry.path)  # fmt: skip
            if row.node == manifest.source.node_id and row.owner != signer.site_id:
                reject("E_UNAUTHORIZED_ROWS", f"line {number} is another site's record ({_site(row.owner)}) written by "
                       "the workstation that signed the bundle", entry.path)  # fmt: skip
            if manifest.scope == "network" and signer.role == "ncc" and row.owner == local_site != signer.site_id:
                reject("E_UNAUTHORIZED_ROWS", f"line {number} is one of this center's own records, which the network "
                       "never sends back to it", entry.path)  # fmt: skip
            # 8. clock
            if int(row.hlc.split("-")[0]) > limit_ms:
                reject("E_CLOCK_FUTURE", f"line {number} carries a time more than 10 minutes ahead", entry.path)
            if check_row is not None and (problem := check_row(entry.entity, row)) is not None:
                reject("E_ROW", f"line {number}: {problem}", entry.path)
            parsed.append(row)
            if entry.entity == "resource" and row.field == "attachment_sha256" and isinstance(row.v, str):
                self.named.add(row.v)
        return parsed


@contextmanager
def open_bundle(
    path: str | Path,
    *,
    trust: Callable[[str], Signer | None],
    local_site: str,
    is_ncc: bool = False,
    center_key: bytes | None = None,
    previous: Callable[[str], str | None] = lambda _bundle_id: None,
    now: datetime | None = None,
    check_row: Callable[[str, Row], str | None] | None = None,
) -> Iterator[BundleReader]:
    """Open a bundle through the checks of SYNC.md 2.2 steps 1-5, in order (the first failure raises
    :class:`BundleRejected`), for its parts to be read as they are merged; the file is closed on leaving.

    ``check_row(entity, row)`` may refuse a row the reader cannot judge alone (a value of the wrong kind for
    its field): it returns what is wrong, in words that never repeat the value, or ``None``.
    """
    source = Path(path)
    sender: list[str | None] = [None]
    reject = _rejecter(source.name, sender)
    with _quiet():
        opened = _open(source, reject)
    try:
        with _quiet():
            reader = _read_head(opened, reject, sender, trust=trust, local_site=local_site, is_ncc=is_ncc,
                                center_key=center_key, previous=previous, now=now, check_row=check_row)  # fmt: skip
        yield reader
    finally:
        opened.close()


def read_bundle(path: str | Path, **checks: Any) -> VerifiedBundle:
    """Run every check of SYNC.md 2.2 steps 1-8, in order, and hold the rows in memory (:func:`open_bundle` takes
    the same arguments and reads them part by part)."""
    with open_bundle(path, **checks) as reader:
        if reader.already_imported:
            return VerifiedBundle(reader.manifest, reader.sha256, {}, already_imported=True)
        rows: dict[str, list[Row]] = {}
        for entity, part in reader.parts():
            rows.setdefault(entity, []).extend(part)
        return VerifiedBundle(reader.manifest, reader.sha256, rows, attachments=reader.attachments())


def _attachments(zf: zipfile.ZipFile, by_name: dict[str, zipfile.ZipInfo], manifest: Manifest, named: set[str],
                 center_key: bytes | None, site: str, reject: _Reject) -> dict[str, bytes]:  # fmt: skip
    """The attached files, each checked against its signed hash, opened (center scope) and checked against the
    hash its name and a resource in the bundle give it; a file that no resource attaches is refused."""
    out: dict[str, bytes] = {}
    for entry in manifest.attachments:
        match = ATTACHMENT_MEMBER.fullmatch(entry.path)
        if match is None or bool(match.group(2)) != (manifest.scope == "center") or entry.path not in by_name:
            reject("E_ZIP_LAYOUT", "the manifest lists an attachment that is missing or misnamed")
        digest = match.group(1)
        if digest in out:
            reject("E_ZIP_LAYOUT", "the manifest lists the same attachment twice")
        if digest not in named:
            reject("E_UNAUTHORIZED_ROWS", "it carries an attached file that no resource in it attaches", entry.path)
        data = _read_signed(zf, by_name[entry.path], entry.bytes, entry.sha256, reject)
        if manifest.scope == "center":
            data = _unseal(data, entry.path, entry.nonce, center_key, site, reject)
        if len(data) > ATTACHMENT_MAX_BYTES:
            reject("E_TOO_LARGE", f"an attached file is larger than {ATTACHMENT_MAX_BYTES // 1_048_576} MB", entry.path)
        if hashlib.sha256(data).hexdigest() != digest:
            reject("E_HASH_MISMATCH", "an attached file does not match the hash its resource records (changed or "
                   "damaged)", entry.path)  # fmt: skip
        out[digest] = data
    return out
