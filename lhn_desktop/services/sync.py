"""Export and import of sync bundles for this workstation (SYNC.md 2): center and network scope.

A center bundle carries everything, sealed under the center key, between this center's workstations.
A network bundle carries only the allowlisted, non-patient records (sync.scope) to the network
coordinating center, or from it to one center, after the free-text gate; its review lists every text
that leaves with what the gate found.

Both carry the files that the commons resources in them attach (newest first, within the bundle's
attachment budget); an import stores each one, checked against its hash, beside the database.

The center key is 32 bytes the team sets up once: a key file made with ``make_key_file``, or a
passphrase stretched with scrypt (salted with the site code, so every workstation of the center
derives the same key). The key is never stored in the database.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import Text, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lhn_desktop import __version__
from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.errors import NotFound, SyncIntegrityError, ValidationError
from lhn_desktop.localization import format_datetime
from lhn_desktop.models.sync import SyncExportLog, SyncImportLog
from lhn_desktop.services.sync_review import KIND_LABELS, field_label
from lhn_desktop.services.trust import TrustService
from lhn_desktop.services.words import counted
from lhn_desktop.services.words import sync as words
from lhn_desktop.store import knowledge, sync_apply
from lhn_desktop.store.capture import record_audit
from lhn_desktop.store.database import Database
from lhn_desktop.store.limits import MAX_TEXT, too_long
from lhn_desktop.sync.bundle import (
    ATTACHMENT_BUDGET,
    MAX_ATTACHMENTS,
    SUFFIX,
    BundleReader,
    BundleRejected,
    BundleWriter,
    RawJSON,
    VerifiedBundle,
    bundle_scope,
    canonical_line,
    open_bundle,
    peek_manifest,
    read_bundle,
    row_order,
)
from lhn_desktop.sync.scope import (
    NCC_ONLY,
    NETWORK_FIELDS,
    SMALL_CELL,
    network_field_allowed,
    network_value_structured,
)

if TYPE_CHECKING:
    from lhn_desktop.sync.textgate import KnownIdentifiers

KEY_BYTES = 32
#: the audience of the write-back to every center, as its review names it
EVERY_CENTER = "every center"
#: a write-back writes this many centers' bundles from one read of the network's rows: fewer reads of the rows, at
#: the cost of that many bundles' parts in memory at once (about 1 MB each)
WRITE_BACK_GROUP = 50
#: for the front ends, which reach bundles only through this service
__all__ = ["EVERY_CENTER", "SUFFIX", "BundleRejected", "ExportBlocked", "ImportReport", "SyncService"]

logger = logging.getLogger(__name__)


def key_from_passphrase(passphrase: str, site_code: str) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    if len(passphrase or "") < 12:
        raise ValidationError("The center passphrase must have at least 12 characters.")
    salt = hashlib.sha256(f"lhn-desktop center key/{site_code}".encode()).digest()  # an identifier, not a sentence
    return Scrypt(salt=salt, length=KEY_BYTES, n=2**15, r=8, p=1).derive(passphrase.encode())


def make_key_file(path: str | Path) -> Path:
    target = Path(path)
    try:  # created owner-only, and never over an existing file (O_EXCL)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise ValidationError(f"{target} already exists; a center key file is never overwritten.") from None
    with os.fdopen(fd, "wb") as f:
        f.write(os.urandom(KEY_BYTES))
    return target


def read_key_file(path: str | Path) -> bytes:
    source = Path(path)
    if not source.is_file():
        raise NotFound(f"There is no center key file at {source}.")
    data = source.read_bytes()
    if len(data) != KEY_BYTES:
        raise ValidationError(f"{source.name} is not a center key file (it must hold exactly 32 bytes).")
    return data


@dataclass(frozen=True)
class ImportReport:
    file: str
    already_imported: bool
    added: int  # field versions merged
    records: int  # records shown, changed or hidden by them
    conflicts: int  # records left with a field in conflict
    hidden: int = 0  # records hidden because the record they belong to is deleted
    sender: str = ""
    kinds: dict[str, int] = field(default_factory=dict)  # records changed, by kind
    attachments: int = 0  # attached files stored that this workstation did not have
    #: False when a delta bundle built on changes this workstation may not have had (docs/sync.md, delta bundles)
    complete: bool = True

    @property
    def summary(self) -> str:
        return words.import_summary(
            self.file, self.sender, already_imported=self.already_imported, changed=bool(self.added),
            records=self.records, kinds=self.kinds, conflicts=self.conflicts, hidden=self.hidden,
            attachments=self.attachments, complete=self.complete,
        )  # fmt: skip


@dataclass(frozen=True)
class KindCount:
    entity: str
    label: str
    records: int
    versions: int


@dataclass(frozen=True)
class TextItem:
    """A free text that will leave, with what the free-text gate found in it (network scope)."""

    entity: str
    kind: str
    record: str
    field: str
    text: str
    new: bool  # new or changed since the last export to the same audience
    findings: tuple[str, ...] = ()  # e.g. "a phone number: Call ▇▇▇▇▇▇▇▇ after 5"


@dataclass(frozen=True)
class ExportPreview:
    scope: str
    audience: str
    counts: list[KindCount]
    texts: list[TextItem]  # center scope: new or changed free text; network scope: every value that leaves as text
    warnings: list[str]
    last_export: str | None  # when this workstation last exported to the same audience
    #: only what the audience lacks (a delta bundle), rather than everything
    delta: bool = False

    @property
    def blocked(self) -> bool:
        return any(t.findings for t in self.texts)


class ExportBlocked(ValidationError):
    """A network export held back by the free-text gate until edited or overridden with an attestation."""


@dataclass(frozen=True)
class ReceivedBundle:
    """A bundle imported here, as the Sync page's history lists it."""

    imported_at: datetime
    site_id: str
    created_at: datetime
    signer_key_id: str
    added: int  # field versions merged
    records: int  # records changed
    conflicts: int


@dataclass(frozen=True)
class SentBundle:
    """A bundle exported from here."""

    exported_at: datetime
    scope: str
    audience: str
    exported_by: str | None
    file_name: str
    attestation: str | None
    values: int  # field versions written
    kinds: int  # kinds of record


def _counts(text: str | None) -> dict:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _number(counts: dict, key: str) -> int:
    value = counts.get(key, 0)
    return value if type(value) is int else 0


@dataclass(frozen=True)
class Attached:
    """A stored file that a resource going out attaches."""

    digest: str
    path: Path
    bytes: int
    title: str


def _to_audience(entity: str, rows: list[dict], audience: str, start: Mapping[str, int]) -> list[dict]:
    """Of one kind's network rows at the coordinating center (whole records), those that go to ``audience`` beyond
    ``start``: every center's shared records and coded network figures except the audience's own; the "about" rows
    never leave (they are read whatever the start, to choose by)."""
    if entity == "network_value":
        about = {r["id"]: json.loads(r["v"]) if type(r["v"]) is RawJSON else r["v"]
                 for r in rows if r["field"] == "about_site"}  # fmt: skip
        return [r for r in rows if r["field"] != "about_site" and about.get(r["id"]) != audience
                and r["dot"] > start.get(r["node"], 0)]  # fmt: skip
    return [r for r in rows if r["owner"] != audience and r["dot"] > start.get(r["node"], 0)]


@dataclass
class _Outgoing:
    """A bundle being written: its rows come in batches, in bundle order."""

    writer: BundleWriter
    high: str = "0000000000000-00000"  # the newest clock value among its rows
    counts: dict[str, int] = field(default_factory=dict)
    naming: list[dict] = field(default_factory=list)  # the resources' rows that name attached files, and titles

    def add(self, entity: str, batch: list[dict]) -> None:
        _refuse_over_limit({entity: batch})
        self.high = max([self.high, *(r["hlc"] for r in batch)])
        self.counts[entity] = self.counts.get(entity, 0) + len(batch)
        if entity == "resource":
            self.naming.extend(r for r in batch if r["field"] in ("attachment_sha256", "title"))
        self.writer.add(entity, batch)


class SyncService:
    def __init__(self, db: Database, attachments_dir: Path | None = None) -> None:
        from lhn_desktop.store.attachments import AttachmentStore, attachments_folder

        self.db = db
        #: where the commons keeps attached files by hash: what bundles carry, and where they arrive
        self.attachments_dir = attachments_dir if attachments_dir is not None else attachments_folder(db.path)
        self.files = AttachmentStore(db.path, self.attachments_dir)

    # -- what would leave ---------------------------------------------------------------------------------------

    def _outgoing(self, audience: str, base: Mapping[str, int] | None = None) -> dict[str, list[dict]]:
        """The rows of a network bundle: the allowlisted fields of the records this workstation may send to
        ``audience``, beyond ``base`` for a delta (a center bundle's rows are :meth:`_batches`). At the coordinating
        center every row is read (the "about" rows say who gets what) and only the audience's are kept."""
        ncc = self.db.local_node().site_code == "ncc"
        out: dict[str, list[dict]] = {}
        for entity, batch in self._network_batches(None if ncc else base):
            kept = _to_audience(entity, batch, audience, base or {}) if ncc else batch
            if kept:
                out.setdefault(entity, []).extend(kept)
        return out

    def _start(self, audience: str, full: bool) -> dict[str, int]:
        """Where a bundle to ``audience`` starts: after what every workstation there said it holds (a delta), or
        from nothing (``full``, or when none was heard from)."""
        if full:
            return {}
        with self.db.read() as s:
            return knowledge.start_for(s.connection(), audience, self.db.local_node().node_id)

    def _known(self) -> list[dict]:
        """How far this workstation holds each workstation's versions, as a bundle carries it. Read before the
        rows, so that a write made meanwhile goes with a later bundle rather than being claimed and missing."""
        with self.db.read() as s:
            return knowledge.known_entries(s.connection(), self.db.local_node().site_code)

    def _network_batches(self, base: Mapping[str, int] | None = None, *, raw: bool = False,
                         session: Session | None = None) -> Iterator[tuple[str, list[dict]]]:  # fmt: skip
        """Every row a network bundle from this workstation may carry, to whichever audience (see _to_audience),
        ``(entity, rows)`` a few thousand at a time, each batch whole records (``sync_apply.stream_rows``).

        Only what may leave is read: the network's entities, and at the coordinating center only its own months
        (every center's months stay there; the network's figures go back as network_value instead). At the
        coordinating center the rows saying which center a network_value is about are kept, to choose by."""
        site = self.db.local_node().site_code
        owners = {"measure_value": ["ncc"]} if site == "ncc" else {e: [site] for e in NETWORK_FIELDS}
        for entity, batch in sync_apply.stream_rows(self.db, NETWORK_FIELDS, raw=raw, owners=owners, base=base,
                                                    session=session):  # fmt: skip
            if site != "ncc" and entity in NCC_ONLY:
                continue
            kept = [r for r in batch if network_field_allowed(entity, r["field"])
                    or (entity == "network_value" and r["field"] == "about_site")]  # fmt: skip
            if kept:
                yield entity, kept

    def known_patients(self) -> KnownIdentifiers:
        """This center's patients as the free-text gate compares them: keyed hashes under a key made for this
        review only. The clear values are read row by row and dropped; nothing of them is kept or written."""
        from lhn_desktop.models.patients import Patient
        from lhn_desktop.models.team import TeamMember
        from lhn_desktop.sync.textgate import KnownIdentifiers

        known = KnownIdentifiers()
        columns = (Patient.given_name, Patient.family_name, Patient.mrn, Patient.birth_date, Patient.phone,
                   Patient.email)  # fmt: skip
        with self.db.read() as s:
            for row in s.execute(select(*columns).execution_options(yield_per=500)):
                known.add_patient(*row)
            for name in s.scalars(select(TeamMember.display_name)):
                known.add_colleague(name)
        return known

    def _last_export(self, scope: str, audience: str) -> SyncExportLog | None:
        with self.db.read() as s:
            query = select(SyncExportLog).where(SyncExportLog.scope == scope, SyncExportLog.audience == audience)
            return s.scalars(query.order_by(SyncExportLog.exported_at.desc()).limit(1)).first()

    def _audience(self, scope: str, audience: str | None) -> str:
        site = self.db.local_node().site_code
        if scope == "center":
            return site
        if site != "ncc":
            return "ncc"
        if not audience or audience == "ncc":
            raise ValidationError("Choose the center this network bundle is for (its site code).")
        return audience

    def preview(self, actor: Actor, scope: str = "center", audience: str | None = None, *,
                full: bool = False) -> ExportPreview:  # fmt: skip
        """Exactly what an export would carry: counts per kind, and the free text (SYNC.md 2.3 step 4)."""
        if scope not in ("center", "network"):
            raise ValidationError("A bundle is either for this center's workstations or for the network.")
        if scope == "center":
            require_patient_access(actor)
        audience = self._audience(scope, audience)
        base = self._start(audience, full)
        return self._preview(scope, audience, self._batches(scope, audience, base), delta=bool(base))

    def _batches(self, scope: str, audience: str, base: Mapping[str, int] | None, *,
                 raw: bool = False) -> Iterable[tuple[str, list[dict]]]:  # fmt: skip
        """The rows that would leave, ``(entity, rows)`` in bundle order, each batch whole records: a center's read a
        few thousand at a time (it may be the whole center), the network's at once (they are few)."""
        if scope == "center":
            return sync_apply.stream_rows(self.db, raw=raw, base=base)
        return sorted(self._outgoing(audience, base).items())

    def _preview(self, scope: str, audience: str, rows: Mapping[str, list[dict]] | Iterable[tuple[str, list[dict]]],
                 *, delta: bool = False, flagged_only: bool = False) -> ExportPreview:  # fmt: skip
        """What an export would carry, for the review, and the free-text gate's findings. ``flagged_only``: list
        only the texts the gate flags (all the gate needs; a write-back scans every center's texts)."""
        last = self._last_export(scope, audience)
        cutoff = last.hlc_max if last else ""
        tables = sync_apply.syncable_tables()
        known = self.known_patients() if scope == "network" else None
        texts: list[TextItem] = []
        warnings: list[str] = []
        tally: dict[str, list[int]] = {}  # entity -> [records, versions]
        kept: dict[str, list[dict]] = {"resource": [], "measure_value": []}  # what the warnings below read
        for entity, entity_rows in sorted(rows.items()) if isinstance(rows, Mapping) else rows:
            numbers = tally.setdefault(entity, [0, 0])
            numbers[0] += len({r["id"] for r in entity_rows})  # a batch holds whole records
            numbers[1] += len(entity_rows)
            if entity == "resource":
                kept[entity].extend(r for r in entity_rows if r["field"] in ("attachment_sha256", "title"))
            elif entity == "measure_value" and scope == "network":
                kept[entity].extend(entity_rows)
            text_fields = _free_text_fields(tables.get(entity)) if scope == "center" else set()
            labels = _labels(entity_rows)
            for r in entity_rows:
                value = r["v"]
                if scope == "network":
                    # Every field that leaves: texts, and any value not of its field's structured shape.
                    if network_value_structured(entity, r["field"], value):
                        continue
                    if not isinstance(value, str):
                        value = json.dumps(value, ensure_ascii=False)
                elif r["field"] not in text_fields or not isinstance(value, str):
                    continue
                if not value.strip():
                    continue
                new = r["hlc"] > cutoff
                if scope == "center" and not new:
                    continue
                findings = _findings(value, known) if scope == "network" else ()
                if flagged_only and not findings:
                    continue
                texts.append(TextItem(entity, KIND_LABELS.get(entity, entity), labels.get(r["id"], "(untitled)"),
                                      field_label(r["field"]), value, new, findings))  # fmt: skip
        counts = [KindCount(e, KIND_LABELS.get(e, e), n[0], n[1]) for e, n in sorted(tally.items())]
        if scope == "network":
            warnings = _small_denominators(kept["measure_value"])
        warnings += self._attachment_warnings(kept)
        when = format_datetime(last.exported_at.replace(tzinfo=UTC).astimezone()) if last else None  # local clock
        return ExportPreview(scope, audience, counts, texts, warnings, when, delta)

    # -- export -------------------------------------------------------------------------------------------------

    def export_center(self, actor: Actor, folder: str | Path, center_key: bytes, *, full: bool = False) -> Path:
        """A center bundle sealed under the center key: what the center's other workstations lack (a delta), or
        everything this workstation holds (``full``, or when none of them was heard from yet)."""
        require_patient_access(actor)  # center bundles carry patient data
        site = self.db.local_node().site_code
        return self._export(actor, "center", site, folder, center_key=center_key, base=self._start(site, full))

    def export_network(self, actor: Actor, folder: str | Path, *, audience: str | None = None,
                       attestation: str | None = None, full: bool = False) -> Path:  # fmt: skip
        """A network bundle: the allowlisted, non-patient records, after the free-text gate.

        When the gate finds something that looks like an identifier, the export is refused unless a team
        member (not a partner) attests in words that it is not about a patient; the attestation is kept.
        """
        audience = self._audience("network", audience)
        if self.db.local_node().site_code == "ncc":  # what goes back: the network's figures as they are now
            from lhn_desktop.services.network import NetworkService

            NetworkService(self.db).publish_if_changed(actor)
        base = self._start(audience, full)
        known = self._known()
        rows = self._outgoing(audience, base)  # read once: reviewed, then written
        note = self._gate(actor, self._preview("network", audience, rows, delta=bool(base)), attestation)
        return self._export(actor, "network", audience, folder, attestation=note, rows=rows, base=base, known=known)

    def _chosen_centers(self, centers: list[str] | None) -> list[str]:
        """The centers a write-back goes to (default: every center that reported), or a refusal saying why not."""
        from lhn_desktop.models.team import Site

        if self.db.local_node().site_code != "ncc":
            raise ValidationError(
                "Only the coordinating center writes a bundle for every center; a center sends one bundle to the "
                "coordinating center."
            )
        with self.db.read() as s:
            known = sorted(s.scalars(select(Site.code).where(Site.code != "ncc")))
        chosen = centers if centers is not None else known
        unknown = sorted(set(chosen) - set(known))
        if unknown:
            raise NotFound(f"No center {', '.join(unknown)} has reported to this coordinating center yet.")
        if not chosen:
            raise NotFound("No center has sent a network bundle yet, so there is no one to send one back to.")
        return chosen

    @contextmanager
    def _snapshot(self) -> Iterator[Session]:
        """One read transaction whose reads all see the same data: what the free-text gate reviews is what every
        bundle of a write-back then carries, whatever is written or imported meanwhile. SQLite gives each read
        transaction its snapshot (WAL); a server is asked for one (repeatable read)."""
        with self.db.read() as session:
            if self.db.engine.dialect.name == "postgresql":
                session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            yield session

    def _reviewed(self, bases: Mapping[str, Mapping[str, int]], snapshot: Session) -> Iterator[tuple[str, list]]:
        """The rows the write-back's free-text gate reviews: every row that leaves to some center (from the earliest
        of the centers' starts), read in batches."""
        earliest = knowledge.lowest(bases.values())
        for entity, batch in self._network_batches(session=snapshot):
            kept = [r for r in batch if r["field"] != "about_site" and r["dot"] > earliest.get(r["node"], 0)]
            if kept:
                yield entity, kept

    def preview_every_center(self, actor: Actor, *, full: bool = False) -> ExportPreview:
        """At the coordinating center: what the bundles to every center would carry between them (one review)."""
        bases = {center: self._start(center, full) for center in self._chosen_centers(None)}
        with self._snapshot() as snapshot:
            return self._preview("network", EVERY_CENTER, self._reviewed(bases, snapshot), delta=all(bases.values()))

    def export_network_to_centers(
        self,
        actor: Actor,
        folder: str | Path,
        *,
        centers: list[str] | None = None,
        attestation: str | None = None,
        full: bool = False,
    ) -> list[Path]:
        """At the coordinating center: a network bundle for each center (default: every center it knows), published
        and reviewed once for all of them; each center's own records and figures are left out of its bundle, as in
        ``export_network``, and each starts where that center's workstations said they were.

        The rows are read a few thousand at a time from one snapshot: once for the review, then once for every
        ``WRITE_BACK_GROUP`` centers, whose bundles are written side by side. Memory holds a batch and those
        bundles' parts, not the network (holding every row took about 7 MB a center)."""
        from lhn_desktop.services.network import NetworkService

        chosen = self._chosen_centers(centers)  # refused before anything is published
        NetworkService(self.db).publish_if_changed(actor)
        held = self._known()  # before the rows (see _known)
        bases = {center: self._start(center, full) for center in chosen}
        paths: list[Path] = []
        with self._snapshot() as snapshot:
            reviewed = self._preview("network", EVERY_CENTER, self._reviewed(bases, snapshot), flagged_only=True)
            note = self._gate(actor, reviewed, attestation)
            del reviewed
            for first in range(0, len(chosen), WRITE_BACK_GROUP):
                group = chosen[first : first + WRITE_BACK_GROUP]
                paths += self._write_back(actor, folder, {c: bases[c] for c in group}, held, note, snapshot)
        return paths

    def _write_back(self, actor: Actor, folder: str | Path, bases: Mapping[str, Mapping[str, int]], known: list[dict],
                    attestation: str | None, snapshot: Session) -> list[Path]:  # fmt: skip
        """The bundles of some centers from one read of the snapshot: each batch read is filtered for each center
        and goes into its bundle; a row's line is made once for all of them."""
        lines: dict[int, bytes] = {}  # the current batch's lines by row

        def encode(row: dict) -> bytes:
            line = lines.get(id(row))
            if line is None:
                line = lines[id(row)] = canonical_line(row)
            return line

        with ExitStack() as stack:
            outgoing = {center: self._open_bundle("network", center, folder, encode=encode) for center in bases}
            for bundle in outgoing.values():
                stack.enter_context(bundle.writer)  # a failure leaves none of the group's bundles half written
            for entity, batch in self._network_batches(raw=True, session=snapshot):
                lines.clear()  # the rows of the batch before are gone: their ids may be reused
                for center, bundle in outgoing.items():
                    kept = _to_audience(entity, batch, center, bases[center])
                    if kept:
                        bundle.add(entity, kept)
            return [self._close_bundle(actor, bundle, attestation=attestation, base=bases[center], known=known)
                    for center, bundle in outgoing.items()]  # fmt: skip

    def _gate(self, actor: Actor, preview: ExportPreview, attestation: str | None) -> str | None:
        """The free-text gate (SYNC.md 2.3 step 4): the attestation to keep, or a refusal saying what was found."""
        note = (attestation or "").strip()
        if preview.blocked:
            hits = [f"{t.kind} \u201c{t.record}\u201d ({t.field}): {'; '.join(t.findings)}" for t in preview.texts
                    if t.findings]  # fmt: skip
            if not note:
                raise ExportBlocked(
                    "Nothing was exported. The free-text check found what may identify a patient in "
                    f"{counted(len(hits), 'text')}: " + " | ".join(hits[:5]) + ". Edit the text, or, if you are sure "
                    "it identifies no patient, export again with an attestation saying why."
                )
            require_patient_access(actor)  # partners may not override the gate
            if len(note) < 20:
                raise ValidationError("Write the attestation in a full sentence (at least 20 characters): why the "
                                      "flagged text identifies no patient.")  # fmt: skip
        return note if preview.blocked else None

    def _export(self, actor: Actor, scope: Literal["center", "network"], audience: str, folder: str | Path, *,
                center_key: bytes | None = None, attestation: str | None = None,
                rows: dict[str, list[dict]] | None = None, base: Mapping[str, int] | None = None,
                known: list[dict] | None = None) -> Path:  # fmt: skip
        if known is None:
            known = self._known()  # before the rows (see _known)
        if rows is not None:
            batches: Iterable[tuple[str, list[dict]]] = (
                (entity, sorted(rows[entity], key=row_order)) for entity in sorted(rows)
            )
        else:
            batches = self._batches(scope, audience, base, raw=True)
        bundle = self._open_bundle(scope, audience, folder, center_key=center_key)
        with bundle.writer:
            for entity, batch in batches:
                bundle.add(entity, batch)
            return self._close_bundle(actor, bundle, attestation=attestation, base=base, known=known)

    def _open_bundle(self, scope: Literal["center", "network"], audience: str, folder: str | Path, *,
                     center_key: bytes | None = None,
                     encode: Callable[[dict], bytes] | None = None) -> _Outgoing:  # fmt: skip
        target = Path(folder)
        if not target.is_dir():
            raise NotFound(f"There is no folder {target}; choose the shared folder or a USB drive.")
        node = self.db.local_node()
        source = {"site_id": node.site_code, "node_id": node.node_id, "key_id": node.key_id, "app_version": __version__}
        writer = BundleWriter(scope=scope, source=source, audience_site=audience, folder=target, center_key=center_key,
                              encode=encode)  # fmt: skip
        return _Outgoing(writer)

    def _close_bundle(self, actor: Actor, bundle: _Outgoing, *, attestation: str | None,
                      base: Mapping[str, int] | None, known: list[dict]) -> Path:  # fmt: skip
        """Sign and place a bundle whose rows are all written, and note the export."""
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
        from cryptography.hazmat.primitives.serialization import load_der_private_key

        key = load_der_private_key(self.db.local_node().private_key, password=None)
        assert isinstance(key, Ed25519PrivateKey)  # a workstation's signing key is Ed25519 (SYNC.md)
        writer = bundle.writer
        files = self._attachment_bytes(self._attachments({"resource": bundle.naming})[0])
        path = writer.finish(sign=key.sign, hlc_max=bundle.high, base=base, known=known, attachments=files)
        del files
        scope, audience = writer.scope, writer.audience
        bundle_id = peek_manifest(path)["bundle_id"]  # the file just written
        with self.db.write(actor) as s:
            counts = json.dumps(bundle.counts, sort_keys=True)
            s.add(SyncExportLog(bundle_id=bundle_id, scope=scope, audience=audience, file_name=path.name,
                                hlc_max=bundle.high, exported_by=actor.name, counts_json=counts,
                                attestation=attestation))  # fmt: skip
            sent = len(peek_manifest(path).get("attachments", []))
            record_audit(s, "export", "bundle", bundle_id,
                         words.export_audit(scope, path.name, audience, sent, attestation))  # fmt: skip
        try:
            from lhn_desktop.paths import app_dirs
            from lhn_desktop.services.node_guard import note_sent

            note_sent(self.db, app_dirs().config)
        except OSError as exc:
            logger.warning("The workstation-id check could not note this export: %s", exc)
        return path

    # -- attached files -----------------------------------------------------------------------------------------

    def _attachments(self, rows: dict[str, list[dict]]) -> tuple[list[Attached], list[Attached]]:
        """The files the outgoing resources attach that this workstation holds: those that go (newest first,
        within ``MAX_ATTACHMENTS`` and ``ATTACHMENT_BUDGET``) and those left out for lack of room."""
        newest: dict[str, str] = {}
        titles: dict[str, str] = {}
        names: dict[str, str] = {}
        for r in rows.get("resource", ()):
            value = json.loads(r["v"]) if type(r["v"]) is RawJSON else r["v"]
            if r["field"] == "attachment_sha256" and isinstance(value, str):
                names.setdefault(value, r["id"])
                newest[value] = max(newest.get(value, ""), r["hlc"])
            elif r["field"] == "title" and isinstance(value, str):
                titles[r["id"]] = value
        going: list[Attached] = []
        left: list[Attached] = []
        total = 0
        for digest in sorted(newest, key=lambda d: newest[d], reverse=True):
            if not self.files.exists(digest):
                continue  # not on this workstation (yet): nothing to send
            item = Attached(
                digest, self.files.path(digest), self.files.size(digest), titles.get(names[digest], "(untitled)")
            )
            if len(going) < MAX_ATTACHMENTS and total + item.bytes <= ATTACHMENT_BUDGET:
                going.append(item)
                total += item.bytes
            else:
                left.append(item)
        return going, left

    def _attachment_bytes(self, going: list[Attached]) -> dict[str, bytes]:
        """The chosen files' content; a stored file that no longer matches its hash (changed or damaged here)
        is not sent."""
        out = {}
        for item in going:
            data = self.files.read(item.digest)
            if data is not None:
                out[item.digest] = data
            else:
                logger.warning("An attached file no longer matches its hash and was not sent (%s)", item.digest[:12])
        return out

    def _attachment_warnings(self, rows: dict[str, list[dict]]) -> list[str]:
        left = self._attachments(rows)[1]
        if not left:
            return []
        size = sum(a.bytes for a in left) / 1_048_576
        return [words.attachments_left_behind([a.title for a in left], size, ATTACHMENT_BUDGET // 1_048_576)]

    def _store_received(self, attachments: dict[str, bytes], name: str, sender: str) -> set[str]:
        """Keep a bundle's attached files by their hash, once its rows are merged and before they are committed (a
        failed commit leaves only files that nothing names yet); returns the hashes stored that this workstation
        did not have."""
        stored: set[str] = set()
        try:
            for digest, data in attachments.items():
                if self.files.read(digest) is not None:
                    continue  # the same file, already here (a damaged copy is replaced)
                self.files.write(digest, data)  # whole or not at all; sealed beside an encrypted database
                stored.add(digest)
        except OSError as exc:
            logger.error("Attached files of %s could not be stored: %s", name, type(exc).__name__)
            reason = "the disk is full" if exc.errno == errno.ENOSPC else "the attachments folder refused a write"
            raise BundleRejected("E_APPLY", f"its attached files could not be saved: {reason}", file=name,
                                 sender=sender) from None  # fmt: skip
        return stored

    # -- import -------------------------------------------------------------------------------------------------

    def verify(self, path: str | Path, center_key: bytes | None) -> VerifiedBundle:
        """Every check, nothing changed."""
        return read_bundle(path, **self._checks(center_key))

    def _checks(self, center_key: bytes | None) -> dict[str, Any]:
        node = self.db.local_node()
        return {"trust": self._signer, "local_site": node.site_code, "is_ncc": node.site_code == "ncc",
                "center_key": center_key, "previous": self._previous, "check_row": sync_apply.row_problem}  # fmt: skip

    def _signer(self, key: str):
        node = self.db.local_node()
        if key == node.key_id:  # this workstation's own earlier bundles
            from lhn_desktop.sync.bundle import Signer

            return Signer(node.public_key, node.site_code, "node")
        return TrustService(self.db).signer(key)

    def _previous(self, bundle_id: str) -> str | None:
        with self.db.read() as s:
            return s.scalar(select(SyncImportLog.sha256).where(SyncImportLog.bundle_id == bundle_id))

    def import_bundle(self, actor: Actor, path: str | Path, center_key: bytes | None,
                      progress: Callable[[int, int], None] | None = None) -> ImportReport:  # fmt: skip
        """Verify and merge in one transaction, part by part (memory holds one part of the bundle, whatever its
        size); a rejected bundle raises BundleRejected and changes nothing."""
        name = Path(path).name
        with open_bundle(path, **self._checks(center_key)) as reader:
            m = reader.manifest
            if m.scope == "center":
                require_patient_access(actor)
            if reader.already_imported:
                return ImportReport(name, True, 0, 0, 0, sender=m.source.site_id)
            stored: set[str] = set()

            def batches() -> Iterator[tuple[str, list]]:
                yield from reader.parts()  # each read and checked as the merge asks for it
                stored.update(self._store_received(reader.attachments(), name, m.source.site_id))

            counts = self._merge(actor, name, reader, batches(), progress)
        if (before := counts.get("imported_before")) is not None:  # imported by another window or command meanwhile
            if before != reader.sha256:
                raise BundleRejected("E_REPLAY_CONFLICT", "a different bundle with the same id was imported before",
                                     file=name, sender=m.source.site_id)  # fmt: skip
            return ImportReport(name, True, 0, 0, 0, sender=m.source.site_id)
        if stored:
            from lhn_desktop.services.commons import CommonsService

            CommonsService(self.db, self.attachments_dir).index_received(actor, stored)
        kinds = {KIND_LABELS.get(e, e): n for e, n in counts.get("kinds", {}).items()}
        return ImportReport(name, False, counts["added"], counts["records"], counts["conflicts"], counts["hidden"],
                            m.source.site_id, kinds, len(stored), counts["complete"])  # fmt: skip

    def _merge(self, actor: Actor, name: str, reader: BundleReader, batches: Iterator[tuple[str, list]],
               progress: Callable[[int, int], None] | None) -> dict[str, Any]:  # fmt: skip
        """The verified rows merged in one transaction; what the store refuses becomes the bundle's refusal."""
        m = reader.manifest
        try:
            return sync_apply.apply_rows(
                self.db, actor, batches, bundle_id=m.bundle_id, sha256=reader.sha256,
                signer_key_id=m.source.key_id, site_id=m.source.site_id,
                created_at=datetime.strptime(m.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC),
                hlc_max_text=m.hlc_max, now_ms=time.time_ns() // 1_000_000, progress=progress,
                total=reader.total_rows,
                sender=sync_apply.Sender(m.source.node_id, m.scope, m.base if m.kind == "delta" else None,
                                         tuple((k.node, k.site, k.dot) for k in m.known)),
            )  # fmt: skip
        except sync_apply.WriteRefused as exc:  # a sender writing what only another center may write
            logger.warning("Import of %s refused: it %s", name, exc.what)
            raise BundleRejected("E_UNAUTHORIZED_ROWS", f"it {exc.what}", file=name, sender=m.source.site_id) from None
        except SyncIntegrityError as exc:
            logger.error("Import of %s could not be merged: %s", name, getattr(exc, "detail", ""))
            what = "its data contradicts what this workstation holds (the same edit with other content)"
            raise BundleRejected("E_APPLY", what, file=name, sender=m.source.site_id) from exc
        except SQLAlchemyError as exc:  # e.g. the disk is full; the transaction was rolled back
            logger.error("Import of %s failed: %s", name, type(exc.orig if hasattr(exc, "orig") else exc).__name__)
            reason = "the disk is full" if "full" in str(getattr(exc, "orig", exc)) else "the database refused a write"
            raise BundleRejected("E_APPLY", f"it could not be saved: {reason}", file=name,
                                 sender=m.source.site_id) from exc  # fmt: skip

    def import_many(self, actor: Actor, paths: list[str | Path], center_key: bytes | None,
                    progress: Callable[[int, int, str], None] | None = None,
                    cancelled: Callable[[], bool] | None = None) -> list[ImportReport | BundleRejected]:  # fmt: skip
        """Import bundles one by one (each in its own transaction); a rejected one does not stop the others."""
        out: list[ImportReport | BundleRejected] = []
        for done, path in enumerate(paths):
            if cancelled and cancelled():
                break
            if progress:
                progress(done, len(paths), Path(path).name)
            try:
                out.append(self.import_bundle(actor, path, center_key))
            except BundleRejected as exc:
                out.append(exc)
        if progress:
            progress(len(out), len(paths), "")
        return out

    @staticmethod
    def bundle_scope(path: str | Path) -> str | None:
        """``"center"`` or ``"network"`` as a bundle file says, at a first look with the reader's own limits;
        ``None`` when the file is refused there or says neither (its import then says why)."""
        return bundle_scope(path)

    @staticmethod
    def bundles_in(folder: str | Path) -> list[Path]:
        """The complete bundles in a folder (half-written ``.part`` files are ignored)."""
        return sorted(p for p in Path(folder).glob(f"*{SUFFIX}") if p.is_file())

    def history(self) -> tuple[list[ReceivedBundle], list[SentBundle]]:
        """Bundles imported and exported here, newest first (the last 200 of each)."""
        imports: list[ReceivedBundle] = []
        exports: list[SentBundle] = []
        with self.db.read() as s:
            for r in s.scalars(select(SyncImportLog).order_by(SyncImportLog.imported_at.desc()).limit(200)):
                c = _counts(r.counts_json)
                added, records, conflicts = (_number(c, key) for key in ("added", "records", "conflicts"))
                imports.append(ReceivedBundle(r.imported_at, r.site_id, r.created_at, r.signer_key_id, added, records,
                                              conflicts))  # fmt: skip
            for x in s.scalars(select(SyncExportLog).order_by(SyncExportLog.exported_at.desc()).limit(200)):
                numbers = [v for v in _counts(x.counts_json).values() if type(v) is int]
                exports.append(SentBundle(x.exported_at, x.scope, x.audience, x.exported_by, x.file_name,
                                          x.attestation, sum(numbers), len(numbers)))  # fmt: skip
        return imports, exports


def _refuse_over_limit(rows: dict[str, list[dict]]) -> None:
    """No bundle carries a text the reader at the other end would refuse (one stored before entry checked the
    limit): the export stops and says which kind of record and field to shorten, never the value."""
    for entity, entity_rows in rows.items():
        for r in entity_rows:
            value = r["v"]
            if isinstance(value, str) and len(value) > MAX_TEXT:  # raw JSON text is at least as long as the value
                decoded = json.loads(value) if type(value) is RawJSON else value
                if isinstance(decoded, str) and len(decoded) > MAX_TEXT:
                    raise ValidationError(too_long(entity, r["field"], len(decoded)).replace(
                        "nothing was saved", "nothing was exported") + " Then export again.")  # fmt: skip


def _free_text_fields(table) -> set[str]:
    if table is None:
        return set()
    return {c.name for c in table.columns if isinstance(c.type, Text)}


def _labels(rows: list[dict]) -> dict[str, str]:
    """A short name for each record, from its title-like field."""
    best: dict[str, tuple[int, str]] = {}
    for r in rows:
        if r["field"] in _LABEL_FIELDS and isinstance(r["v"], str) and r["v"]:
            rank = _LABEL_FIELDS.index(r["field"])
            if r["id"] not in best or rank < best[r["id"]][0]:
                best[r["id"]] = (rank, r["v"] if len(r["v"]) <= 60 else r["v"][:57] + "...")
    return {k: v[1] for k, v in best.items()}


_LABEL_FIELDS = ("title", "name", "display_name", "month", "code", "kind")


def _findings(text: str, known: KnownIdentifiers | None = None) -> tuple[str, ...]:
    from lhn_desktop.sync.textgate import masked, scan

    return tuple(f"{f.label}: {masked(text, f, known)}" for f in scan(text, known))


def _small_denominators(rows: list[dict]) -> list[str]:
    """Months counted from fewer patients than the small-cell threshold: a small denominator, or a continuous
    measure's median or mean from few patients (from one patient it is that patient's own reading)."""
    months = {r["id"]: r["v"] for r in rows if r["field"] == "month"}
    with_value = {r["id"] for r in rows if r["field"] == "value" and r["v"] is not None}
    out = []
    for r in rows:
        if r["field"] == "denominator" and isinstance(r["v"], int) and 0 < r["v"] < SMALL_CELL:
            out.append(words.small_denominator(months.get(r["id"]), r["v"], SMALL_CELL))
        if r["field"] == "numerator" and r["id"] in with_value and isinstance(r["v"], int) and r["v"] < SMALL_CELL:
            out.append(words.small_value(months.get(r["id"]), r["v"], SMALL_CELL))
    return sorted(out)
