"""What sync left for a person to decide: conflicting values and records deleted elsewhere while edited here.

Concurrent edits of one field keep every value (SYNC.md 1.4); the displayed one is picked by clock
and workstation, the same everywhere. This service lists those fields with each value side by side
and records the team's choice as a local edit that supersedes all of them, so the choice travels to
the other workstations with the next bundle. A record deleted on one workstation while another edited
it stays hidden, with the edit kept; the review lists it so the team can restore it or confirm the delete.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.errors import NotFound, PermissionDenied, ValidationError
from lhn_desktop.localization import format_datetime
from lhn_desktop.services.words import sync as words
from lhn_desktop.store import sync_apply
from lhn_desktop.store.database import Database
from lhn_desktop.store.versions import DELETED_FIELD
from lhn_desktop.sync.merge import canonical_json
from lhn_desktop.sync.scope import PATIENT_ENTITIES

KIND_LABELS = {
    "improvement_goal": "90-day goal", "improvement_goal_measure": "goal's measure",
    "driver_node": "driver diagram box",
    "pdsa_cycle": "PDSA cycle", "progress_score": "progress score", "measure_definition": "measure",
    "measure_value": "measure month", "chart_annotation": "chart note", "resource": "commons resource",
    "usage_event": "use of a resource", "site": "center", "team_member": "team member", "patient": "patient",
    "visit": "visit", "observation": "observation", "medication": "medication", "clinical_event": "clinical event",
    "patient_goal": "patient goal", "goal_follow_up": "goal follow-up", "task": "task",
    "collaborate_response": "collaboRATE response", "checklist_rule": "checklist rule",
    "previsit_plan": "pre-visit plan", "plan_item": "plan item", "agenda_item": "agenda item",
    "correction": "correction", "measure_setting": "center's own measure threshold",
    "network_value": "network figure", "center_code": "center's code in the network",
}  # fmt: skip

FIELD_LABELS = {
    "plan_who": "Plan: who", "plan_what": "Plan: what", "plan_when": "Plan: when", "plan_where": "Plan: where",
    "plan_tasks": "Plan: tasks", "data_plan": "Data collection plan", "do_as_planned": "Done as planned",
    "do_observations": "Do: observations", "do_problems": "Do: problems", "study_summary": "Study",
    "act_decision": "Act: decision", "act_next_step": "Act: next step", "scale_n": "Scale",
    "numerator": "Numerator", "denominator": "Denominator", "closeout_learning": "What was learned",
    DELETED_FIELD: "Deleted",
}  # fmt: skip

_LABEL_FIELDS = ("title", "display_name", "name", "text", "what", "description", "code")


@dataclass(frozen=True)
class ConflictValue:
    text: str  # the value as shown to a person
    value: Any  # the stored value, passed back to resolve()
    workstation: str
    when: str  # the local time of the edit, by the editing workstation's clock
    shown_now: bool  # the value displayed until someone chooses


@dataclass(frozen=True)
class Conflict:
    entity: str
    record_id: str
    field: str
    kind: str
    record: str
    field_label: str
    values: list[ConflictValue]
    read_only: bool  # another center's record: only that center can choose


@dataclass(frozen=True)
class DeletedWhileEdited:
    entity: str
    record_id: str
    kind: str
    record: str
    deleted_by: str
    deleted_when: str
    edited_fields: list[str]
    edited_by: str
    edited_when: str


def field_label(field: str) -> str:
    return FIELD_LABELS.get(field) or field.replace("_", " ").capitalize()


def shown_text(value: Any) -> str:
    if value is None or value == "":
        return "(empty)"
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    return str(value)


def _when(hlc: str) -> str:
    wall_ms = int(hlc.split("-")[0])
    return format_datetime(datetime.fromtimestamp(wall_ms / 1000, UTC).astimezone())


def _winners(versions: list[sync_apply.StoredVersion]) -> dict[str, sync_apply.StoredVersion]:
    best: dict[str, sync_apply.StoredVersion] = {}
    for v in versions:
        if v.field not in best or (v.hlc, v.node) > (best[v.field].hlc, best[v.field].node):
            best[v.field] = v
    return best


def _record_label(entity: str, winners: dict[str, sync_apply.StoredVersion]) -> str:
    if entity == "measure_value":
        month = winners.get("month")
        return words.month_record(month.value if month else None)
    for name in _LABEL_FIELDS:
        if name in winners and winners[name].value:
            text = str(winners[name].value)
            return text if len(text) <= 80 else text[:77] + "..."
    return words.UNTITLED


def _versions(session, records: Iterable[tuple[str, str]]) -> dict[tuple[str, str], list[sync_apply.StoredVersion]]:
    """The stored versions of these records, read a few hundred records at a time rather than one by one."""
    by_entity: dict[str, list[str]] = {}
    for entity, record_id in records:
        by_entity.setdefault(entity, []).append(record_id)
    out: dict[tuple[str, str], list[sync_apply.StoredVersion]] = {}
    for entity, ids in by_entity.items():
        found = sync_apply.records_versions(session, entity, ids)
        out.update(((entity, record_id), found.get(record_id, [])) for record_id in ids)
    return out


class SyncReviewService:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _workstation(self, node: str) -> str:
        return words.workstation(node, node == self.db.local_node().node_id)

    def summaries(self, actor: Actor) -> tuple[list[Conflict], list[DeletedWhileEdited]]:
        """:meth:`conflicts` and :meth:`deleted_while_edited` in one reading (the records not displayed, which both
        look into, found once)."""
        with self.db.read() as s:
            hidden = sync_apply.hidden_records(s)
            return self._conflicts(s, actor, hidden), self._deleted_while_edited(s, actor, hidden)

    def conflicts(self, actor: Actor) -> list[Conflict]:
        """Every field holding more than one value, with the values side by side (newest first)."""
        with self.db.read() as s:
            return self._conflicts(s, actor, None)

    def _conflicts(self, s, actor: Actor, hidden: list[tuple[str, str]] | None) -> list[Conflict]:
        site = self.db.local_node().site_code
        out: list[Conflict] = []
        by_record: dict[tuple[str, str], list[str]] = {}
        for entity, record_id, field in sync_apply.conflicted_fields(s, hidden):
            if entity in PATIENT_ENTITIES and not actor.sees_patient_data:
                continue
            by_record.setdefault((entity, record_id), []).append(field)
        stored = _versions(s, by_record)
        for (entity, record_id), fields in by_record.items():
            versions = stored[entity, record_id]
            winners = _winners(versions)
            owner = sync_apply.record_owner(s, entity, record_id)
            for field in fields:
                sibs = [v for v in versions if v.field == field]
                sibs.sort(key=lambda v: (v.hlc, v.node), reverse=True)
                values, seen = [], set()
                for v in sibs:
                    key = canonical_json(v.value)
                    if key in seen:
                        continue
                    seen.add(key)
                    values.append(ConflictValue(shown_text(v.value), v.value, self._workstation(v.node),
                                                _when(v.hlc), v is sibs[0]))  # fmt: skip
                out.append(Conflict(entity, record_id, field, KIND_LABELS.get(entity, entity), _record_label(
                    entity, winners), field_label(field), values, owner != site))  # fmt: skip
        return out

    def resolve(self, actor: Actor, entity: str, record_id: str, field: str, value: Any) -> None:
        """Keep ``value`` for the field: a local edit that supersedes every value it was chosen from."""
        wanted = (entity, record_id, field)
        conflict = next((c for c in self.conflicts(actor) if (c.entity, c.record_id, c.field) == wanted), None)
        if conflict is None:
            raise NotFound("That conflict is no longer open; another workstation may have resolved it already.")
        self._may_change(actor, entity, conflict.read_only)
        if canonical_json(value) not in {canonical_json(v.value) for v in conflict.values}:
            raise ValidationError("Choose one of the values shown (or edit the record afterwards).")
        with self.db.write(actor) as s:
            sync_apply.write_and_rebuild(s, entity, record_id, {field: value}, "resolve")

    def deleted_while_edited(self, actor: Actor) -> list[DeletedWhileEdited]:
        """Records hidden by a delete although someone edited them later, by the clocks of both workstations."""
        with self.db.read() as s:
            return self._deleted_while_edited(s, actor, None)

    def _deleted_while_edited(self, s, actor: Actor, hidden: list[tuple[str, str]] | None) -> list[DeletedWhileEdited]:
        out: list[DeletedWhileEdited] = []
        records = [(entity, record_id) for entity, record_id in sync_apply.deleted_records(s, hidden)
                   if entity not in PATIENT_ENTITIES or actor.sees_patient_data]  # fmt: skip
        stored = _versions(s, records)
        for entity, record_id in records:
            versions = stored[entity, record_id]
            winners = _winners(versions)
            deleted = winners.get(DELETED_FIELD)
            if deleted is None or deleted.value is not True:
                continue
            later = [v for v in versions if v.field != DELETED_FIELD and v.hlc > deleted.hlc]
            if not later:
                continue
            last = max(later, key=lambda v: (v.hlc, v.node))
            out.append(DeletedWhileEdited(
                entity, record_id, KIND_LABELS.get(entity, entity), _record_label(entity, winners),
                self._workstation(deleted.node), _when(deleted.hlc), sorted({field_label(v.field) for v in later}),
                self._workstation(last.node), _when(last.hlc)))  # fmt: skip
        return out

    def restore(self, actor: Actor, entity: str, record_id: str) -> None:
        """Show the record again, with the edits made after the delete."""
        self._deleted_case(actor, entity, record_id)
        with self.db.write(actor) as s:
            sync_apply.write_and_rebuild(s, entity, record_id, {DELETED_FIELD: False}, "restore")

    def confirm_delete(self, actor: Actor, entity: str, record_id: str) -> None:
        """Keep the record deleted; the later edits stay stored but the review no longer lists it."""
        self._deleted_case(actor, entity, record_id)
        with self.db.write(actor) as s:
            sync_apply.write_and_rebuild(s, entity, record_id, {DELETED_FIELD: True}, "delete")

    def _deleted_case(self, actor: Actor, entity: str, record_id: str) -> None:
        if not any((d.entity, d.record_id) == (entity, record_id) for d in self.deleted_while_edited(actor)):
            raise NotFound("That record is no longer waiting for review.")
        with self.db.read() as s:
            owner = sync_apply.record_owner(s, entity, record_id)
        self._may_change(actor, entity, owner != self.db.local_node().site_code)

    @staticmethod
    def _may_change(actor: Actor, entity: str, read_only: bool) -> None:
        if entity in PATIENT_ENTITIES:
            require_patient_access(actor)
        if read_only:
            raise PermissionDenied("This record belongs to another center; only that center can decide.")
