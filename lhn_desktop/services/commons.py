"""The knowledge commons: resources with provenance, full-text search, adopt and adapt, engagement figures.

Search uses the local FTS5 index (migration 0002): title, summary, tags, body and the text of a text
attachment, ranked by bm25; on a PostgreSQL server (the coordinating center, decision 49) its full-text search
over the same words, ranked by ``ts_rank``. Attachments are stored once, by their SHA-256, in the data folder's
``attachments`` directory, at most 20 MB each; the hash is checked again whenever one is opened.
Resources from other centers are read-only here (change capture refuses edits of foreign records);
"adapt" makes a local copy that points back to its origin and says what changed.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Float, func, select, text

from lhn_desktop.access import Actor
from lhn_desktop.errors import LhnError, NotFound, ValidationError
from lhn_desktop.models.commons import Resource, UsageEvent
from lhn_desktop.models.improvement import DriverNode, PdsaCycle
from lhn_desktop.models.sync import AuditEvent
from lhn_desktop.models.team import TeamMember
from lhn_desktop.services.engagement import LEVELS, EngagementMonth
from lhn_desktop.services.engagement import engagement as levels_by_month
from lhn_desktop.services.words import commons as words
from lhn_desktop.services.words import measures as measure_words
from lhn_desktop.services.words.commons import LEVEL_NAMES  # noqa: F401 (for the front ends)
from lhn_desktop.store.attachments import AttachmentStore, attachments_folder  # noqa: F401 (re-exported)
from lhn_desktop.store.database import Database
from lhn_desktop.store.limits import ATTACHMENT_MAX_BYTES
from lhn_desktop.store.search import index_attachment_words, pg_ranked_search_sql, pg_tsquery

KINDS = {
    "tool": "Tool or form",
    "pdsa_writeup": "PDSA write-up",
    "change_idea": "Change idea",
    "slide_deck": "Slide deck",
    "newsletter": "Newsletter",
    "story": "Story",
    "video_link": "Video link",
}
CONTRIBUTOR_ROLES = ("clinician", "improver", "parent", "patient")
TEXT_SUFFIXES = (".txt", ".md", ".csv")
if TYPE_CHECKING:
    from lhn_desktop.charts.spc_chart import SmallMultiplesSpec

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class ResourceRow:
    id: str
    title: str
    kind: str
    summary: str
    tags: str | None
    disease: str | None
    audience: str | None
    contributing_site: str | None
    contributor_role: str | None
    published_on: date | None
    adoptions: int
    local: bool


@dataclass(frozen=True)
class ResourceDetail:
    row: ResourceRow
    body: str | None
    licence: str | None
    version: int
    attachment_name: str | None
    attachment_bytes: int | None
    attachment_sha256: str | None
    adapted_from: ResourceRow | None
    adaptations: tuple[ResourceRow, ...]
    what_changed: str | None


@dataclass(frozen=True)
class ProfileCard:
    member_id: str
    name: str
    role: str
    profile: str | None
    produced: int
    adopted: int


def fts_query(words: str) -> str | None:
    """A safe FTS5 query from what a person typed: every word must match; the last one as a prefix."""
    tokens = _WORD.findall(words or "")
    if not tokens:
        return None
    quoted = [f'"{t}"' for t in tokens[:-1]] + [f'"{tokens[-1]}"*']
    return " AND ".join(quoted)


class CommonsService:
    def __init__(self, db: Database, attachments_dir: Path, *, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.attachments_dir = attachments_dir
        self.files = AttachmentStore(db.path, attachments_dir)
        self.today = today

    def _site(self) -> str:
        return self.db.local_node().site_code

    # -- finding -----------------------------------------------------------------------------------------------

    def search(
        self,
        words: str = "",
        *,
        kind: str | None = None,
        disease: str | None = None,
        role: str | None = None,
        local_only: bool = False,
        limit: int = 200,
    ) -> list[ResourceRow]:
        """Resources matching every word (title, summary, tags, body, text attachment), best first."""
        on_server = self.db.on_server
        query = pg_tsquery(words) if on_server else fts_query(words)
        adopted = (
            select(UsageEvent.resource_id, func.count().label("n"))
            .where(UsageEvent.kind == "adopted")
            .group_by(UsageEvent.resource_id)
            .subquery()
        )
        q = select(Resource, adopted.c.n).outerjoin(adopted, adopted.c.resource_id == Resource.id)
        if query is not None:
            ranked = (
                text(
                    pg_ranked_search_sql()
                    if on_server
                    else "SELECT resource_id, bm25(resource_fts, 0, 10.0, 4.0, 6.0, 1.0, 1.0) AS rank "
                    "FROM resource_fts WHERE resource_fts MATCH :query"
                )
                .columns(resource_id=Resource.id.type, rank=Float())
                .subquery()
            )
            q = q.join(ranked, ranked.c.resource_id == Resource.id).order_by(ranked.c.rank)
        else:
            q = q.order_by(Resource.published_on.desc(), Resource.title)
        if kind:
            q = q.where(Resource.kind == kind)
        if disease:
            q = q.where(Resource.disease == disease)
        if role:
            q = q.where(Resource.contributor_role == role)
        site = self._site()
        if local_only:
            q = q.where(Resource.owner_site_id == site)
        with self.db.read() as s:
            rows = s.execute(q.limit(limit), {"query": query} if query is not None else {}).all()
            return [_row(r, n or 0, site) for r, n in rows]

    def get(self, resource_id: str) -> ResourceDetail:
        site = self._site()
        with self.db.read() as s:
            r = s.get(Resource, resource_id)
            if r is None:
                raise NotFound("That resource is no longer in the commons.")
            n = s.scalar(select(func.count()).where(UsageEvent.resource_id == r.id, UsageEvent.kind == "adopted"))
            origin = s.get(Resource, r.adapted_from_id) if r.adapted_from_id else None
            copies = s.scalars(select(Resource).where(Resource.adapted_from_id == r.id)).all()
            change = s.scalar(
                select(UsageEvent.note).where(UsageEvent.kind == "adapted", UsageEvent.note.is_not(None),
                                              UsageEvent.resource_id == r.adapted_from_id)
                .order_by(UsageEvent.at.desc())
            ) if r.adapted_from_id else None  # fmt: skip
            return ResourceDetail(
                _row(r, n or 0, site), r.body, r.licence, r.version, r.attachment_name, r.attachment_bytes,
                r.attachment_sha256, _row(origin, 0, site) if origin else None,
                tuple(_row(c, 0, site) for c in copies), change,
            )  # fmt: skip

    # -- contributing --------------------------------------------------------------------------------------------

    def add_resource(
        self,
        actor: Actor,
        *,
        title: str,
        kind: str,
        summary: str,
        tags: str = "",
        body: str = "",
        disease: str | None = None,
        audience: str | None = None,
        contributor_role: str | None = None,
        licence: str | None = None,
        attachment: str | Path | None = None,
        supersedes_id: str | None = None,
    ) -> str:
        name = " ".join((title or "").split())
        if not name or len(name) > 200:
            raise ValidationError("Give the resource a title of up to 200 characters.")
        if kind not in KINDS:
            raise ValidationError(f"A resource is one of: {', '.join(KINDS.values()).lower()}.")
        if contributor_role is not None and contributor_role not in CONTRIBUTOR_ROLES:
            raise ValidationError(f"The contributor is a {', '.join(CONTRIBUTOR_ROLES)}.")
        if not (summary or "").strip():
            raise ValidationError("Write a short summary: it is what people find and read first.")
        stored = self._store_attachment(Path(attachment)) if attachment else None
        with self.db.write(actor) as s:
            version = 1
            if supersedes_id:
                old = s.get(Resource, supersedes_id)
                if old is None:
                    raise NotFound("The resource this one replaces is no longer in the commons.")
                version = old.version + 1
            r = Resource(title=name, kind=kind, summary=summary.strip(), body=(body or "").strip() or None,
                         tags=", ".join(t.strip() for t in (tags or "").split(",") if t.strip()) or None,
                         disease=disease, audience=audience, contributing_site=self._site(),
                         contributor_role=contributor_role, licence=(licence or "").strip() or None, version=version,
                         published_on=self.today(), supersedes_id=supersedes_id)  # fmt: skip
            if stored:
                r.attachment_name, r.attachment_sha256, r.attachment_bytes, _ = stored
            s.add(r)
            s.flush()
            if stored and stored[3]:
                index_attachment_words(s, r.id, stored[3])
            return r.id

    def _store_attachment(self, source: Path) -> tuple[str, str, int, str]:
        """Copy an attachment in by its hash; returns (name, sha256, bytes, text for the index)."""
        if not source.is_file():
            raise NotFound(f"There is no file at {source}.")
        size = source.stat().st_size
        if size > ATTACHMENT_MAX_BYTES:
            raise ValidationError(
                f"{source.name} is {size / 1_048_576:.1f} MB; attachments are at most "
                f"{ATTACHMENT_MAX_BYTES // 1_048_576} MB. Link large videos instead."
            )
        data = source.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        if self.files.read(digest) is None:  # not here yet, or a damaged copy: (re)written
            self.files.write(digest, data)
        words = ""
        if source.suffix.lower() in TEXT_SUFFIXES:
            words = source.read_text(encoding="utf-8", errors="replace")[:200_000]
        return source.name, digest, size, words

    def index_received(self, actor: Actor, digests: set[str]) -> int:
        """Put the words of received text attachments into the search index (a bundle brings the file, the
        index is this workstation's own); returns how many resources were indexed."""
        if not digests:
            return 0
        with self.db.read() as s:
            found = s.execute(select(Resource.id, Resource.attachment_name, Resource.attachment_sha256)
                              .where(Resource.attachment_sha256.in_(sorted(digests)))).all()  # fmt: skip
        words = {}
        for resource_id, name, digest in found:
            assert digest is not None  # the query matched it
            data = self.files.read(digest) if Path(name or "").suffix.lower() in TEXT_SUFFIXES else None
            if data is not None:
                words[resource_id] = data[:800_000].decode("utf-8", errors="replace")[:200_000]
        if words:
            with self.db.write(actor) as s:
                for resource_id, text_ in words.items():
                    index_attachment_words(s, resource_id, text_)
        return len(words)

    def attachment(self, resource_id: str) -> tuple[str, bytes]:
        """The attachment's name and content, after checking its hash: a changed or damaged file is refused."""
        detail = self.get(resource_id)
        if not detail.attachment_sha256:
            raise NotFound("This resource has no attachment.")
        name = detail.attachment_name or detail.attachment_sha256
        if not self.files.exists(detail.attachment_sha256):
            raise NotFound(f"The attachment {name} is not on this computer yet; it arrives with the resource's next "
                           "sync bundle.")  # fmt: skip
        data = self.files.read(detail.attachment_sha256)
        if data is None:
            raise LhnError(f"The stored copy of {name} has changed or is damaged; it does not match the hash "
                           "recorded with the resource. It was not opened.")  # fmt: skip
        return name, data

    def save_attachment(self, resource_id: str, target: str | Path) -> Path:
        """Write a copy of the attachment where the person chose (a copy outside the store is theirs to keep)."""
        _name, data = self.attachment(resource_id)
        path = Path(target)
        try:
            path.write_bytes(data)
        except OSError as exc:
            raise LhnError(f"The attachment could not be saved to {path}: {exc.strerror or exc}. Choose another "
                           "folder.") from None  # fmt: skip
        return path

    # -- adopt and adapt ---------------------------------------------------------------------------------------

    def record_view(self, actor: Actor, resource_id: str) -> bool:
        """Note that a team member looked at a resource, once a day each (the awareness level of engagement).

        Returns whether a view was recorded: not for a workstation's own jobs, nor twice in a day.
        """
        if actor.member_id is None:
            return False
        since = datetime.combine(self.today(), time.min)
        seen = (
            select(UsageEvent.id)
            .where(UsageEvent.resource_id == resource_id, UsageEvent.member_id == actor.member_id,
                   UsageEvent.kind == "viewed", UsageEvent.at >= since)
            .limit(1)
        )  # fmt: skip
        with self.db.read() as s:
            if s.scalar(seen) is not None:
                return False
        with self.db.write(actor) as s:
            if s.get(Resource, resource_id) is None:
                raise NotFound("That resource is no longer in the commons.")
            if s.scalar(seen) is not None:
                return False  # another window of this workstation noted it a moment ago
            s.add(UsageEvent(resource_id=resource_id, member_id=actor.member_id, kind="viewed",
                             at=datetime.now().replace(microsecond=0)))  # fmt: skip
        return True

    def adopt(self, actor: Actor, resource_id: str, note: str | None = None) -> None:
        """Record that this center uses the resource."""
        with self.db.write(actor) as s:
            if s.get(Resource, resource_id) is None:
                raise NotFound("That resource is no longer in the commons.")
            s.add(UsageEvent(resource_id=resource_id, member_id=actor.member_id, kind="adopted",
                             at=datetime.now().replace(microsecond=0), note=(note or "").strip() or None))  # fmt: skip

    def adapt(self, actor: Actor, resource_id: str, *, title: str, what_changed: str, body: str | None = None) -> str:
        """A local copy linked to its origin, with what this center changed."""
        change = (what_changed or "").strip()
        if not change:
            raise ValidationError("Say what your center changed: it is the provenance others learn from.")
        origin = self.get(resource_id)
        new_id = self.add_resource(
            actor, title=title or words.adapted_title(origin.row.title), kind=origin.row.kind,
            summary=words.adapted_summary(origin.row.summary, change), tags=origin.row.tags or "",
            body=body if body is not None else (origin.body or ""), disease=origin.row.disease,
            audience=origin.row.audience, contributor_role=None, licence=origin.licence,
        )  # fmt: skip
        with self.db.write(actor) as s:
            copy = s.get(Resource, new_id)
            assert copy is not None  # added just above
            copy.adapted_from_id = resource_id
            s.add(UsageEvent(resource_id=resource_id, member_id=actor.member_id, kind="adapted",
                             at=datetime.now().replace(microsecond=0), note=change))  # fmt: skip
        return new_id

    def share_pdsa(self, actor: Actor, cycle_id: str) -> str:
        """A PDSA cycle shared as a resource in one step (no patient data is ever in a worksheet)."""
        with self.db.read() as s:
            c = s.get(PdsaCycle, cycle_id)
            if c is None:
                raise NotFound("That PDSA cycle is no longer recorded.")
            body = words.pdsa_body(c.objective, c.plan_what, c.plan_who, c.study_summary, c.act_decision,
                                   c.act_next_step)  # fmt: skip
            title, summary = words.pdsa_title(c.title), words.pdsa_summary(c.scale_n, c.scale_unit)
        return self.add_resource(actor, title=title, kind="pdsa_writeup", summary=summary, body=body, tags="PDSA",
                                 contributor_role="improver")  # fmt: skip

    def share_change_idea(self, actor: Actor, node_id: str) -> str:
        with self.db.read() as s:
            node = s.get(DriverNode, node_id)
            if node is None or node.kind != "change_idea":
                raise NotFound("That change idea is no longer in the driver diagram.")
            idea = node.text
        return self.add_resource(actor, title=idea[:200], kind="change_idea", summary=idea,
                                 tags="change idea", contributor_role="improver")  # fmt: skip

    # -- engagement ----------------------------------------------------------------------------------------------

    def engagement(self, months: list[str]) -> list[EngagementMonth]:
        """Per month, how many people reached each of the four levels of engagement, by role (services.engagement)."""
        with self.db.read() as s:
            return levels_by_month(s, months, self.today())

    def engagement_chart(self, months: list[EngagementMonth]) -> SmallMultiplesSpec:
        """A run chart per level of the people at it each month (``engagement``'s rows), on one shared scale,
        oldest month first."""
        from lhn_desktop.charts.spc_chart import ChartMarks, SmallMultiplesSpec
        from lhn_desktop.services.center import center_info
        from lhn_desktop.services.measures import month_bounds, month_label
        from lhn_desktop.spc import SpcInput, analyze

        rows = sorted(months, key=lambda r: r.month)
        ordered = [r.month for r in rows]
        labels = [month_label(m) for m in ordered]
        starts = tuple(month_bounds(m)[0] for m in ordered)
        charts = []
        for level in LEVELS:
            result = analyze(SpcInput(chart="run", y=tuple(float(r.count(level)) for r in rows), x=starts))
            marks = ChartMarks(title=words.LEVEL_NAMES[level], y_label=words.PEOPLE, x_labels=labels, whole=True)
            charts.append((result, marks))
        source = measure_words.made_by(center_info(self.db).site_name, self.today())
        return SmallMultiplesSpec(tuple(charts), title=words.ENGAGEMENT_TITLE, source=source)

    def profile_cards(self) -> list[ProfileCard]:
        """Who is who on the team, patient and parent partners included, with what they shared and adopted."""
        with self.db.read() as s:
            produced = dict(s.execute(
                select(AuditEvent.actor_id, func.count()).where(AuditEvent.entity == "resource",
                                                               AuditEvent.action == "create")
                .group_by(AuditEvent.actor_id)
            ).all())  # fmt: skip
            adopted = dict(s.execute(
                select(UsageEvent.member_id, func.count()).where(UsageEvent.kind == "adopted")
                .group_by(UsageEvent.member_id)
            ).all())  # fmt: skip
            return [ProfileCard(m.id, m.display_name, m.role, m.profile, produced.get(m.id, 0), adopted.get(m.id, 0))
                    for m in s.scalars(select(TeamMember).where(TeamMember.active.is_(True))
                                       .order_by(TeamMember.display_name))]  # fmt: skip


def _row(r: Resource, adoptions: int, site: str) -> ResourceRow:
    return ResourceRow(r.id, r.title, r.kind, r.summary, r.tags, r.disease, r.audience, r.contributing_site,
                       r.contributor_role, r.published_on, adoptions, r.owner_site_id == site)  # fmt: skip
