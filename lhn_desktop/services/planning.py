"""Pre-visit planning and the huddle: each scheduled patient's checklist, flags and the family's agenda.

The checklist comes from the patient's disease pack (:mod:`lhn_desktop.services.checklist`),
evaluated on the visit date. The facts for a whole clinic day are loaded in a few queries, so a
day of 40 patients in a large center stays quick. Everything here is patient-level: patient and
parent partners are refused at the service, whatever the screen shows.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.errors import LhnError, NotFound, ValidationError
from lhn_desktop.models.base import natural_id
from lhn_desktop.models.goals import PatientGoal, Task
from lhn_desktop.models.patients import ClinicalEvent, Medication, Observation, Patient, Visit
from lhn_desktop.models.planning import AgendaItem, PrevisitPlan
from lhn_desktop.models.sync import AuditEvent
from lhn_desktop.models.team import Site
from lhn_desktop.services import facts as facts_of
from lhn_desktop.services.words import planning as words
from lhn_desktop.services.words.planning import AGENDA_KINDS, PLAN_STATUSES, POPULATIONS
from lhn_desktop.services.words.record import patient_name
from lhn_desktop.store.database import Database

REMISSION_VALUES = frozenset({"quiescent", "inactive"})


@dataclass(frozen=True)
class ChecklistItem:
    code: str
    title: str
    status: str
    reason: str
    due_on: date | None


AGENDA_SOURCES = ("phone call", "portal message", "paper form", "at the visit", "family", "team")


@dataclass(frozen=True)
class AgendaEntry:
    id: str
    kind: str  # concern, matters_most, question
    text: str
    source: str
    entered_on: date
    addressed: bool


@dataclass(frozen=True)
class HuddleRow:
    visit_id: str
    patient_id: str
    time: str | None
    patient_name: str
    mrn: str
    clinician: str | None
    visit_type: str
    visit_status: str
    pack: str | None
    latest_pga: str | None
    latest_pga_on: date | None
    in_remission: bool | None
    items: tuple[ChecklistItem, ...]
    open_tasks: int
    overdue_tasks: int
    agenda: tuple[AgendaEntry, ...]
    goals_due: int
    plan_status: str
    plan_done_by: str | None
    plan_done_at: datetime | None
    plan_notes: str | None = None
    #: "azathioprine 50 mg daily", taken on the visit date
    medications: tuple[str, ...] = ()
    #: the last three PGA values, oldest first, and the latest PCDAI or PUCAI
    pga_trend: tuple[tuple[date, str], ...] = ()
    activity_index: str | None = None
    task_lines: tuple[str, ...] = ()
    goal_lines: tuple[str, ...] = ()

    @property
    def overdue_items(self) -> int:
        return sum(1 for i in self.items if i.status == "Overdue")

    @property
    def due_items(self) -> int:
        return sum(1 for i in self.items if i.status == "Due")

    @property
    def new_agenda(self) -> int:
        return sum(1 for a in self.agenda if not a.addressed)

    @property
    def flags(self) -> tuple[str, ...]:
        return words.flags(
            latest_pga=self.latest_pga, in_remission=self.in_remission, wants_pga=self.pack == "ibd",
            overdue_items=self.overdue_items, overdue_tasks=self.overdue_tasks, open_tasks=self.open_tasks,
            new_agenda=self.new_agenda, goals_due=self.goals_due,
        )  # fmt: skip


@dataclass(frozen=True)
class Huddle:
    day: date
    rows: tuple[HuddleRow, ...]

    @property
    def summary(self) -> str:
        rows = self.rows
        return words.summary(
            len(rows),
            not_in_remission=sum(r.in_remission is False for r in rows),
            overdue_items=sum(bool(r.overdue_items) for r in rows),
            overdue_tasks=sum(bool(r.overdue_tasks) for r in rows),
            agenda=sum(bool(r.new_agenda) for r in rows),
            planned=sum(r.plan_status == "done" for r in rows),
        )


def _checklist(facts, day: date, visit_id: str | None) -> tuple[str | None, tuple[ChecklistItem, ...]]:
    from lhn_desktop.services.checklist import evaluate, pack_for

    pack = pack_for(facts.diagnosis)
    if pack is None:
        return None, ()
    items = tuple(
        ChecklistItem(r.code, r.title, r.status.value, r.reason, r.due_on) for r in evaluate(pack, facts, day, visit_id)
    )
    return pack.pack, items


def _latest_index(facts) -> str | None:
    """The latest disease-activity index as "wPCDAI 35 on 2026-03-05" (wPCDAI, PCDAI or PUCAI)."""
    from lhn_desktop.clinical.observations import short_label

    latest = max(
        (
            (entries[-1][0], code, entries[-1][1])
            for code in ("WPCDAI", "PCDAI", "PUCAI")
            if (entries := facts.observations.get(code))
        ),
        default=None,
    )
    return words.activity_index(short_label(latest[1]), latest[2], latest[0]) if latest else None


def _latest_pga(facts) -> tuple[str | None, date | None]:
    entries = facts.observations.get("PGA", [])
    return (entries[-1][1], entries[-1][0]) if entries else (None, None)


STEROID_CLASSES = frozenset({"corticosteroid"})


@dataclass(frozen=True)
class PopulationRow:
    patient_id: str
    patient_name: str
    mrn: str
    diagnosis: str | None
    last_visit: date | None
    next_visit: date | None
    latest_pga: str | None
    steroid: str | None
    overdue: tuple[str, ...]
    #: for the phone calls an outreach list is made for
    phone: str | None = None
    #: what "Narrow to" looks in: family and given name, MRN and diagnosis, in lower case
    haystack: str = field(default="", repr=False, compare=False)


#: ids sent in one query (SQLite takes at most 32,766 parameters; this stays far below)
_ID_CHUNK = 900


def _needle(text: str) -> str:
    return " ".join(text.lower().split())


def _haystack(family: str, given: str, mrn: str, diagnosis: str | None) -> str:
    return f"{family} {given} {mrn} {diagnosis or ''}".lower()


def _steroid(medications, day: date) -> str | None:
    """The systemic steroid taken on ``day`` (the first started), if any."""
    return next((m.drug for m in medications if m.drug_class in STEROID_CLASSES and m.taken_on(day)), None)


def _candidates(session, kind: str, ids: Collection[str], day: date) -> set[str] | None:
    """Who among ``ids`` can be on the list, from the one thing the list asks (None: everyone, the overdue
    list's question is the checklist's). The rows are then made, and membership decided, from their facts."""
    if kind == "overdue":
        return None
    wanted = set(ids)
    if kind == "no_visit_200":
        last = dict(
            session.execute(
                select(Visit.patient_id, func.max(Visit.visit_date))
                .where(Visit.status == "completed")
                .group_by(Visit.patient_id)
            ).all()
        )
        return {pid for pid in wanted if last.get(pid) is None or (day - last[pid]).days > 200}
    if kind == "not_in_remission":
        facts = facts_of.fill(
            [facts_of.PatientFacts(pid, date.min) for pid in wanted],
            observations=session.execute(
                select(Observation.patient_id, Observation.visit_id, Observation.code, Observation.value,
                       Observation.observed_on)
                .where(Observation.entered_in_error.is_(False), Observation.code == "PGA")
            ),
        )  # fmt: skip
        return {
            pid
            for pid, f in facts.items()
            if (pga := _latest_pga(f)[0]) is not None and pga.lower() not in REMISSION_VALUES
        }
    facts = facts_of.fill(
        [facts_of.PatientFacts(pid, date.min) for pid in wanted],
        medications=session.execute(
            select(Medication.patient_id, Medication.drug, Medication.drug_class, Medication.dose,
                   Medication.start_date, Medication.stop_date)
            .where(Medication.entered_in_error.is_(False), Medication.drug_class.in_(STEROID_CLASSES))
        ),
    )  # fmt: skip
    return {pid for pid, f in facts.items() if _steroid(f.medications, day) is not None}


@dataclass(frozen=True)
class _Line:
    """What the lists say of one followed patient (the next visit is read afresh each time)."""

    row: PopulationRow

    def member(self, kind: str, day: date) -> bool:
        r = self.row
        return {
            "no_visit_200": r.last_visit is None or (day - r.last_visit).days > 200,
            "not_in_remission": r.latest_pga is not None and r.latest_pga.lower() not in REMISSION_VALUES,
            "on_steroids": r.steroid is not None,
            "overdue": bool(r.overdue),
        }[kind]


@dataclass(frozen=True)
class _Lines:
    """Every followed patient's line on ``day``, as of the audit log's entry ``seq``."""

    day: date
    seq: int
    lines: dict[str, _Line]


#: the records the lists' facts come from; a change to any other kind of record leaves the lists as they are
_FACT_TABLES: dict[str, Any] = {
    "visit": Visit,
    "observation": Observation,
    "medication": Medication,
    "clinical_event": ClinicalEvent,
}
#: named audit entries that change no record (a bundle or file written, a sign-in, a key trusted or revoked)
_NO_CHANGE_ACTIONS = frozenset({"export", "sign_in", "trust_add", "trust_revoke"})
#: beyond this many changed records since the lines were made, they are made again whole
_MOST_CHANGED = 2000


def _changed_patients(s, since: int) -> set[str] | None:
    """The patients whose facts may have changed after audit entry ``since``; None when that cannot be told
    patient by patient (a bundle merged, a great many changes): then every line is made again."""
    from lhn_desktop.store.sync_apply import stored_values, syncable_tables

    entries = s.execute(
        select(AuditEvent.action, AuditEvent.entity, AuditEvent.record_id)
        .where(AuditEvent.seq > since)
        .limit(_MOST_CHANGED + 1)
    ).all()
    if len(entries) > _MOST_CHANGED:
        return None
    syncable = syncable_tables()
    patients: set[str] = set()
    records: dict[str, set[str]] = {}
    for action, entity, record_id in entries:
        if entity == "patient" and record_id:
            patients.add(record_id)
        elif entity in _FACT_TABLES and record_id:
            records.setdefault(entity, set()).add(record_id)
        elif entity not in syncable and action not in _NO_CHANGE_ACTIONS:
            return None  # a merge or an import: who changed is not in the log
    for entity, ids in records.items():
        model = _FACT_TABLES[entity]
        found: dict[str, str] = {}
        for chunk in _chunks(sorted(ids)):
            found.update(s.execute(select(model.id, model.patient_id).where(model.id.in_(chunk))).all())
        patients.update(found.values())
        gone = ids - found.keys()  # deleted since: whose it was is in its stored versions
        owners = stored_values(s, entity, gone, "patient_id") if gone else {}
        if len(owners) < len(gone):
            return None
        patients.update(pid for values in owners.values() for pid in values if isinstance(pid, str))
    return patients


def _chunks(ids: list[str]) -> list[list[str]]:
    return [ids[start : start + _ID_CHUNK] for start in range(0, len(ids), _ID_CHUNK)]


def _people(s, ids: Collection[str] | None, needle: str) -> dict[str, tuple[Any, str]]:
    """Followed patients (of ``ids``, or all) whose name, MRN or diagnosis holds ``needle``, with that text."""
    query = select(Patient.id, Patient.family_name, Patient.given_name, Patient.mrn, Patient.diagnosis,
                   Patient.phone).where(Patient.active.is_(True))  # fmt: skip
    batches = [query] if ids is None else [query.where(Patient.id.in_(chunk)) for chunk in _chunks(sorted(ids))]
    people = {}
    for batch in batches:
        for p in s.execute(batch):
            haystack = _haystack(p.family_name, p.given_name, p.mrn, p.diagnosis)
            if needle in haystack:
                people[p.id] = (p, haystack)
    return people


def _lines(s, people: dict[str, tuple[Any, str]], ids: Collection[str] | None, day: date) -> dict[str, _Line]:
    """The lines of ``ids`` among ``people`` (None: every followed patient) from their facts: of the checklist,
    only the rules that can say "Overdue", evaluated for their statuses alone."""
    from lhn_desktop.services.checklist import Status, evaluate_rule, observation_codes, overdue_rules, pack_for

    codes = observation_codes(overdue_only=True) | {"PGA"}
    rows = s.connection()  # plain rows: no ORM handling of the many observations
    if ids is None:  # every followed patient: no list of ids to send
        facts = facts_of.load(rows, None, observation_codes=codes)
    else:
        facts = {}
        for chunk in _chunks(sorted(ids)):
            facts.update(facts_of.load(rows, chunk, observation_codes=codes))
    rules: dict[str | None, tuple] = {}  # by diagnosis: the rules of its pack that can say "Overdue"
    lines = {}
    for pid, f in facts.items():
        if pid not in people:
            continue
        p, haystack = people[pid]
        if f.diagnosis not in rules:
            pack = pack_for(f.diagnosis)
            rules[f.diagnosis] = overdue_rules(pack) if pack else ()
        results = [evaluate_rule(rule, f, day, reasons=False) for rule in rules[f.diagnosis]]
        row = PopulationRow(
            pid, patient_name(p.family_name, p.given_name), p.mrn, p.diagnosis, f.visits[-1][0] if f.visits else None,
            None, _latest_pga(f)[0], _steroid(f.medications, day),
            tuple(r.title for r in results if r.status is Status.OVERDUE), p.phone, haystack,
        )  # fmt: skip
        lines[pid] = _Line(row)
    return lines


class PlanningService:
    def __init__(self, db: Database, *, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today
        self._kept: _Lines | None = None
        self._kept_lock = threading.Lock()

    def huddle(self, actor: Actor, day: date) -> Huddle:
        """Every patient scheduled (or seen) on ``day``, in time order, with checklist, flags and agenda."""
        require_patient_access(actor)
        with self.db.read() as s:
            visits = s.execute(
                select(Visit, Patient)
                .join(Patient, Patient.id == Visit.patient_id)
                .where(Visit.visit_date == day, Visit.status.in_(("scheduled", "completed", "no_show")))
                .order_by(Visit.visit_time, Patient.family_name, Patient.given_name)
            ).all()
            ids = sorted({p.id for _, p in visits})
            facts = facts_of.load(s, ids)
            tasks: dict[str, list[Task]] = {}
            for t in s.scalars(select(Task).where(Task.patient_id.in_(ids), Task.done_on.is_(None))):
                tasks.setdefault(t.patient_id, []).append(t)
            agenda: dict[str, list[AgendaEntry]] = {}
            for a in s.scalars(
                select(AgendaItem).where(AgendaItem.patient_id.in_(ids)).order_by(AgendaItem.entered_on)
            ):
                if not a.addressed or a.visit_id in {v.id for v, _ in visits}:
                    agenda.setdefault(a.patient_id, []).append(
                        AgendaEntry(a.id, a.kind, a.text, a.source, a.entered_on, a.addressed)
                    )
            goals_due: dict[str, list[str]] = {}
            for g in s.scalars(
                select(PatientGoal).where(
                    PatientGoal.patient_id.in_(ids), PatientGoal.status == "active", PatientGoal.review_date <= day
                )
            ):
                goals_due.setdefault(g.patient_id, []).append(words.goal_line(g.text, g.review_date))
            plans = {
                p.visit_id: p
                for p in s.scalars(select(PrevisitPlan).where(PrevisitPlan.visit_id.in_([v.id for v, _ in visits])))
            }
            members = _member_names(s)
            rows = []
            for v, p in visits:
                f = facts[p.id]
                pack, items = _checklist(f, day, v.id)
                pga, pga_on = _latest_pga(f)
                open_tasks = tasks.get(p.id, [])
                plan = plans.get(v.id)
                rows.append(
                    HuddleRow(
                        visit_id=v.id,
                        patient_id=p.id,
                        time=v.visit_time,
                        patient_name=patient_name(p.family_name, p.given_name),
                        mrn=p.mrn,
                        clinician=v.clinician,
                        visit_type=v.visit_type,
                        visit_status=v.status,
                        pack=pack,
                        latest_pga=pga,
                        latest_pga_on=pga_on,
                        in_remission=None if pga is None else pga.lower() in REMISSION_VALUES,
                        items=items,
                        open_tasks=len(open_tasks),
                        overdue_tasks=sum(1 for t in open_tasks if t.due_date is not None and t.due_date < day),
                        agenda=tuple(agenda.get(p.id, ())),
                        goals_due=len(goals_due.get(p.id, [])),
                        plan_status=plan.status if plan else "not_started",
                        plan_notes=plan.notes if plan else None,
                        medications=tuple(words.medicine(m.drug, m.dose) for m in f.medications if m.taken_on(day)),
                        pga_trend=tuple((on, value) for on, value, _ in f.observations.get("PGA", [])[-3:]),
                        activity_index=_latest_index(f),
                        task_lines=tuple(
                            words.task_line(t.what, t.responsible_name or t.responsible, t.due_date, day)
                            for t in sorted(open_tasks, key=lambda t: t.due_date or date.max)
                        ),
                        goal_lines=tuple(goals_due.get(p.id, [])),
                        plan_done_by=members.get(plan.done_by_member_id) if plan else None,
                        plan_done_at=plan.done_at if plan else None,
                    )
                )
        return Huddle(day, tuple(rows))

    def population(self, actor: Actor, kind: str, text: str = "") -> list[PopulationRow]:
        """Active patients in one of :data:`POPULATIONS` today, optionally narrowed by name, MRN or diagnosis.

        The overdue list asks every patient's checklist; it is kept (:class:`_Lines`) and brought up to date
        from the audit log: the next time only the patients whose records changed since are evaluated again,
        and while it is up to date every list is made from it. Otherwise each patient is asked only what the
        list asks (the last visit, the latest PGA, the medicines), and the checklist behind the "Overdue"
        column is evaluated for the list's members alone. The facts read are the ones those questions look at.
        """
        require_patient_access(actor)
        if kind not in POPULATIONS:
            raise ValidationError(f"Unknown list {kind!r}. Lists: {', '.join(POPULATIONS)}.")
        today = self.today()
        needle = _needle(text)
        with self.db.read() as s:
            lines = self._kept_lines(s, today, build=kind == "overdue" and not needle)
            if lines is None:
                people = _people(s, None, needle)
                candidates = _candidates(s, kind, people.keys(), today)
                lines = _lines(s, people, people.keys() if candidates is None else candidates, today)
            upcoming: dict[str, date] = {}
            for pid, on in s.execute(
                select(Visit.patient_id, Visit.visit_date)
                .where(Visit.status == "scheduled", Visit.visit_date >= today)
                .order_by(Visit.visit_date.desc())
            ):
                upcoming[pid] = on
        rows = [
            replace(line.row, next_visit=upcoming.get(line.row.patient_id))
            for line in lines.values()
            if needle in line.row.haystack and line.member(kind, today)
        ]
        return sorted(rows, key=lambda r: r.patient_name.lower())

    def _kept_lines(self, s, today: date, *, build: bool) -> dict[str, _Line] | None:
        """Every followed patient's line, kept up to date (None when none is kept and ``build`` is not asked)."""
        seq = s.scalar(select(func.max(AuditEvent.seq))) or 0
        with self._kept_lock:
            kept = self._kept
        lines: dict[str, _Line] | None = None
        if kept is not None and kept.day == today and kept.seq <= seq:
            changed = _changed_patients(s, kept.seq) if kept.seq < seq else set()
            if changed is None:
                with self._kept_lock:
                    if self._kept is kept:
                        self._kept = None
            else:
                lines = dict(kept.lines)
                if changed:
                    people = _people(s, changed, "")
                    for pid in changed - people.keys():  # no longer followed here, or gone
                        lines.pop(pid, None)
                    lines.update(_lines(s, people, people.keys(), today))
        if lines is None:
            if not build:
                return None
            people = _people(s, None, "")
            lines = _lines(s, people, None, today)
        with self._kept_lock:
            if self._kept is None or self._kept.day != today or self._kept.seq <= seq:
                self._kept = _Lines(today, seq, lines)
        return lines

    @staticmethod
    def narrow(rows: list[PopulationRow], text: str) -> list[PopulationRow]:
        """The rows of a list that ``text`` narrows it to, as :meth:`population` with that text would give them:
        a list loaded once is narrowed at every keystroke without reading the database again."""
        needle = _needle(text)
        return [r for r in rows if needle in r.haystack] if needle else list(rows)

    def population_csv(self, actor: Actor, kind: str, text: str = "") -> str:
        """A list as CSV text; no cell is written so that a spreadsheet would run it as a formula."""
        import csv
        import io

        from lhn_desktop.services.center_export import safe_cell

        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["patient", "mrn", "phone", "diagnosis", "last_visit", "next_visit", "latest_pga", "steroid",
                         "overdue"])  # fmt: skip
        for r in self.population(actor, kind, text):
            cells = [r.patient_name, r.mrn, r.phone or "", r.diagnosis or "", r.last_visit or "", r.next_visit or "",
                     r.latest_pga or "", r.steroid or "", "; ".join(r.overdue)]  # fmt: skip
            writer.writerow([safe_cell(c) if isinstance(c, str) else c for c in cells])
        return buffer.getvalue()

    def huddle_sheet(self, actor: Actor, day: date, path: str | Path) -> Path:
        """The huddle sheet PDF: a summary page, then the patients about two to a page, each kept whole."""
        from lhn_desktop.reports.huddle_sheet import write_huddle_sheet

        target = Path(path)
        if target.suffix.lower() != ".pdf":
            raise ValidationError(
                f"The huddle sheet is a PDF; name the file with .pdf, not {target.suffix or 'nothing'}."
            )
        if not target.parent.is_dir():
            raise NotFound(f"There is no folder {target.parent}; choose an existing folder for the huddle sheet.")
        board = self.huddle(actor, day)
        with self.db.read() as s:
            center = s.scalar(select(Site.name).where(Site.code == self.db.local_node().site_code)) or ""
        try:
            return write_huddle_sheet(board, center, target)
        except OSError as exc:
            raise LhnError(f"The huddle sheet could not be written to {target}: {exc.strerror or exc}.") from None

    def checklist(self, actor: Actor, visit_id: str) -> tuple[str | None, tuple[ChecklistItem, ...]]:
        """The pack and checklist of one visit, evaluated on its date."""
        require_patient_access(actor)
        with self.db.read() as s:
            visit = s.get(Visit, visit_id)
            if visit is None:
                raise NotFound("That visit is no longer on the schedule.")
            facts = facts_of.load(s, [visit.patient_id])[visit.patient_id]
            return _checklist(facts, visit.visit_date, visit.id)

    def add_agenda_item(
        self, actor: Actor, patient_id: str, kind: str, text: str, source: str, visit_id: str | None = None
    ) -> str:
        """Something the family wants to talk about, as the team heard it (phone, portal, paper form)."""
        require_patient_access(actor)
        text = " ".join((text or "").split())
        if kind not in AGENDA_KINDS:
            raise ValidationError(f"An agenda item is one of: {', '.join(AGENDA_KINDS.values()).lower()}.")
        if not text:
            raise ValidationError("Write the family's words: what they want to talk about.")
        if len(text) > 500:
            raise ValidationError("Keep an agenda item under 500 characters; add a second item for another topic.")
        if source not in AGENDA_SOURCES:
            raise ValidationError(f"Say where it came from: {', '.join(AGENDA_SOURCES)}.")
        with self.db.write(actor) as s:
            if s.get(Patient, patient_id) is None:
                raise NotFound("That patient is no longer in LHN Desktop.")
            item = AgendaItem(patient_id=patient_id, visit_id=visit_id, kind=kind, text=text, source=source,
                              entered_on=self.today(), addressed=False)  # fmt: skip
            s.add(item)
            s.flush()
            return item.id

    def agenda(self, actor: Actor, patient_id: str) -> list[AgendaEntry]:
        """All of a patient's agenda items, newest first."""
        require_patient_access(actor)
        with self.db.read() as s:
            return [
                AgendaEntry(a.id, a.kind, a.text, a.source, a.entered_on, a.addressed)
                for a in s.scalars(
                    select(AgendaItem).where(AgendaItem.patient_id == patient_id).order_by(AgendaItem.entered_on.desc())
                )
            ]

    def set_agenda_addressed(self, actor: Actor, item_id: str, addressed: bool = True) -> None:
        require_patient_access(actor)
        with self.db.write(actor) as s:
            item = s.get(AgendaItem, item_id)
            if item is None:
                raise NotFound("That agenda item is no longer recorded.")
            item.addressed = addressed

    def set_plan_status(self, actor: Actor, visit_id: str, status: str, notes: str | None = None) -> None:
        """Record the pre-visit plan as not started, in progress or done (with who and when)."""
        require_patient_access(actor)
        if status not in PLAN_STATUSES:
            raise ValidationError(f"A plan is {', '.join(PLAN_STATUSES.values()).lower()}; not {status!r}.")
        with self.db.write(actor) as s:
            if s.get(Visit, visit_id) is None:
                raise NotFound("That visit is no longer on the schedule.")
            plan = s.scalar(select(PrevisitPlan).where(PrevisitPlan.visit_id == visit_id))
            if plan is None:
                plan = PrevisitPlan(id=natural_id(f"plan/{visit_id}"), visit_id=visit_id)  # one plan per visit
                s.add(plan)
            plan.status = status
            if notes is not None:
                plan.notes = notes.strip() or None
            plan.done_by_member_id = actor.member_id if status == "done" else None
            plan.done_at = datetime.now().replace(microsecond=0) if status == "done" else None


def _member_names(session) -> dict[str | None, str]:
    """Display names by member id (keyed for lookups with a member id that may be None)."""
    from lhn_desktop.models.team import TeamMember

    return dict(session.execute(select(TeamMember.id, TeamMember.display_name)).all())
