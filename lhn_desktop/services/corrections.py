"""Correcting what was recorded: a new value, "entered in error", restoring it, and removing a visit.

Nothing is overwritten silently. Every change here writes, in the same transaction, a ``correction``
record (the field, the value before and after, who, when and why) and a named audit entry; the
patient page shows a value's history from those records. Corrections are ordinary edits for sync:
they travel in center bundles, and two workstations that correct the same value differently both
keep their values, listed as a conflict for the team to resolve.

A value marked "entered in error" stays in the record (and its history) but counts for nothing:
checklists, lists, measures, the huddle and charts leave it out. Removing a visit asks what to do with
the values recorded at it: keep them (on their dates, no longer tied to the visit) or mark them
entered in error too. Partners are refused by every call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.clinical import observations as catalog
from lhn_desktop.errors import NeedsConfirmation, NotFound, ValidationError
from lhn_desktop.models.goals import CollaborateResponse
from lhn_desktop.models.patients import ClinicalEvent, Correction, Medication, Observation, Visit
from lhn_desktop.models.planning import AgendaItem, PlanItem, PrevisitPlan
from lhn_desktop.services.registry import FIELD_LABELS as REGISTRY_FIELDS
from lhn_desktop.services.registry import shown
from lhn_desktop.services.words import record as words
from lhn_desktop.store.capture import record_audit
from lhn_desktop.store.database import Database

#: What a correction record can be about, and how the history names it.
ENTITIES: dict[str, type[Observation | Medication | ClinicalEvent]] = {
    "observation": Observation,
    "medication": Medication,
    "clinical_event": ClinicalEvent,
}
ACTIONS = {
    "corrected": "Corrected",
    "entered_in_error": "Marked entered in error",
    "restored": "Counted again",
    "edited": "Edited",
    "deleted": "Removed",
}
FIELD_NAMES = {
    "value": "value", "observed_on": "date", "dose": "dose", "start_date": "start date", "stop_date": "stop date",
    "stop_reason": "reason stopped", "drug": "medicine", "event_date": "date", "result": "result",
    "entered_in_error": "entered in error", "visit": "visit", "detail": "items",
}  # fmt: skip
VISIT_VALUES = ("keep", "entered_in_error")


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    by: str
    entity: str
    record_id: str
    field: str
    action: str
    old_value: str | None
    new_value: str | None
    reason: str
    #: True while two workstations' corrections of this record disagree (sync keeps both)
    in_conflict: bool = False

    @property
    def what(self) -> str:
        return ACTIONS.get(self.action, self.action)


def _reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if len(text) < 3:
        raise ValidationError("Say why, in a few words (for example: typed in the wrong unit).", field="reason")
    if len(text) > 500:
        raise ValidationError("Keep the reason under 500 characters.", field="reason")
    return text


class CorrectionService:
    def __init__(self, db: Database, *, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    # -- helpers ----------------------------------------------------------------------------------------------
    def _log(self, s, actor: Actor, patient_id: str, entity: str, record_id: str, changes: list[tuple[str, object,
             object]], action: str, reason: str) -> None:  # fmt: skip
        at = datetime.now().replace(microsecond=0)
        for name, old, new in changes:
            s.add(Correction(patient_id=patient_id, entity=entity, record_id=record_id, field=name, action=action,
                             old_value=shown(old), new_value=shown(new), reason=reason, corrected_at=at,
                             corrected_by=actor.name, corrected_by_member_id=actor.member_id))  # fmt: skip
        record_audit(s, action, entity, record_id, words.correction_audit((name for name, _, _ in changes), reason))

    @staticmethod
    def _get(s, entity: str, record_id: str):
        model = ENTITIES.get(entity)
        if model is None:
            raise ValidationError(f"Corrections are for {', '.join(ENTITIES)}; not {entity!r}.", field="entity")
        record = s.get(model, record_id)
        if record is None:
            raise NotFound("That entry is no longer in the record (it may have been removed on another workstation).")
        return record

    # -- observations -----------------------------------------------------------------------------------------
    def check_observation(self, actor: Actor, observation_id: str, text: str, unit: str | None = None) -> tuple:
        """Read a corrected value without saving: (the reading, its warnings)."""
        require_patient_access(actor)
        with self.db.read() as s:
            o = self._get(s, "observation", observation_id)
            reading = self._reading(o, text, unit)
        return reading, reading.warnings

    @staticmethod
    def _reading(o: Observation, text: str, unit: str | None) -> catalog.Reading:
        spec = catalog.get_spec(o.code)
        if spec.kind == "index":
            raise ValidationError(f"Correct the {spec.label} by its items (correct_index), or give a total from "
                                  "elsewhere with its source.", field=o.code)  # fmt: skip
        return catalog.read_value(o.code, text, unit)

    def correct_observation(
        self,
        actor: Actor,
        observation_id: str,
        text: str,
        reason: str,
        *,
        unit: str | None = None,
        observed_on: date | None = None,
        accept_warnings: bool = False,
    ) -> None:
        """Give an observation a new value (and or date); the old one goes into its history."""
        require_patient_access(actor)
        why = _reason(reason)
        with self.db.write(actor) as s:
            o = self._get(s, "observation", observation_id)
            if o.entered_in_error:
                raise ValidationError("This entry is marked entered in error; count it again first, then correct "
                                      "it.", field="value")  # fmt: skip
            reading = self._reading(o, text, unit)
            if reading.warnings and not accept_warnings:
                raise NeedsConfirmation("The new value deserves a second look. Check it, then save again to keep "
                                        "it.", field=o.code)  # fmt: skip
            changes: list[tuple[str, object, object]] = []
            if (reading.value, reading.unit) != (o.value, o.unit):
                old_text = f"{o.value} {o.unit}" if o.unit else o.value
                changes.append(("value", old_text, reading.display))
                o.value, o.unit = reading.value, reading.unit
                o.original_value, o.original_unit = reading.original_value, reading.original_unit
            if observed_on is not None and observed_on != o.observed_on:
                if observed_on > self.today():
                    raise ValidationError("The date cannot be in the future.", field="observed_on")
                changes.append(("observed_on", o.observed_on, observed_on))
                o.observed_on = observed_on
            if not changes:
                raise ValidationError("That is the value already recorded; nothing to correct.", field="value")
            self._log(s, actor, o.patient_id, "observation", o.id, changes, "corrected", why)

    def correct_index(
        self,
        actor: Actor,
        observation_id: str,
        reason: str,
        *,
        levels: dict[str, int] | None = None,
        outside_total: str | None = None,
        outside_source: str | None = None,
    ) -> str:
        """Correct a PUCAI or wPCDAI: new item levels (the total is computed again) or a total from elsewhere.

        Returns the new total.
        """
        from lhn_desktop.clinical import indices

        require_patient_access(actor)
        why = _reason(reason)
        with self.db.write(actor) as s:
            o = self._get(s, "observation", observation_id)
            spec = catalog.get_spec(o.code)
            if spec.kind != "index":
                raise ValidationError(f"{spec.label} is not an index; correct its value instead.", field=o.code)
            if o.entered_in_error:
                raise ValidationError("This entry is marked entered in error; count it again first.", field=o.code)
            index = indices.get_index(o.code)
            if outside_total is not None:
                source = " ".join((outside_source or "").split())
                if not source:
                    raise ValidationError(f"Say where the {index.short} total comes from.", field=o.code)
                reading = catalog.read_value(o.code, outside_total)
                value, detail, origin = reading.value, source, "outside"
            else:
                try:
                    result = indices.score(index, levels or {})
                except ValueError as exc:
                    raise ValidationError(f"{index.short}: {exc}", field=o.code) from None
                value, detail, origin = result.total_text, indices.score_text(result.levels), "entered"
            changes: list[tuple[str, object, object]] = []
            if value != o.value:
                changes.append(("value", o.value, value))
            if detail != o.detail:
                changes.append(("detail", _detail_text(o), _detail_text_of(origin, detail, index)))
            if not changes:
                raise ValidationError("Those are the items already recorded; nothing to correct.", field=o.code)
            o.value, o.detail, o.source = value, detail, origin
            self._log(s, actor, o.patient_id, "observation", o.id, changes, "corrected", why)
            return value

    # -- medications and events ---------------------------------------------------------------------------------
    def correct_medication(
        self,
        actor: Actor,
        medication_id: str,
        reason: str,
        *,
        dose: str | None = None,
        start_date: date | None = None,
        stop_date: date | None = None,
        clear_stop: bool = False,
        stop_reason: str | None = None,
    ) -> None:
        """Correct a medicine's dose, start or stop (``clear_stop``: it was never stopped)."""
        require_patient_access(actor)
        why = _reason(reason)
        with self.db.write(actor) as s:
            m = self._get(s, "medication", medication_id)
            new: dict[str, Any] = {  # column -> corrected value
                "dose": " ".join(dose.split()) if dose is not None else m.dose,
                "start_date": start_date or m.start_date,
                "stop_date": None if clear_stop else (stop_date or m.stop_date),
                "stop_reason": None if clear_stop else " ".join((stop_reason or m.stop_reason or "").split()) or None,
            }
            if new["stop_date"] is not None and new["stop_date"] < new["start_date"]:
                raise ValidationError("The stop date is before the start date.", field="stop_date")
            if new["stop_date"] is not None and not new["stop_reason"]:
                raise ValidationError("Give the reason it was stopped.", field="stop_reason")
            if new["dose"] is not None and len(new["dose"]) > 80:
                raise ValidationError("Keep the dose under 80 characters.", field="dose")
            changes = [(k, getattr(m, k), v) for k, v in new.items() if getattr(m, k) != v]
            if not changes:
                raise ValidationError("Nothing differs from what is recorded.", field="dose")
            for k, v in new.items():
                setattr(m, k, v)
            self._log(s, actor, m.patient_id, "medication", m.id, changes, "corrected", why)

    def correct_event(
        self, actor: Actor, event_id: str, reason: str, *, on: date | None = None, result: str | None = None
    ) -> None:
        """Correct an immunization's or screening's date or result."""
        require_patient_access(actor)
        why = _reason(reason)
        with self.db.write(actor) as s:
            e = self._get(s, "clinical_event", event_id)
            changes: list[tuple[str, object, object]] = []
            if on is not None and on != e.event_date:
                if on > self.today():
                    raise ValidationError("The date cannot be in the future.", field="event_date")
                changes.append(("event_date", e.event_date, on))
                e.event_date = on
            if result is not None and " ".join(result.split()) != (e.result or ""):
                text = " ".join(result.split()) or None
                changes.append(("result", e.result, text))
                e.result = text
            if not changes:
                raise ValidationError("Nothing differs from what is recorded.", field="event_date")
            self._log(s, actor, e.patient_id, "clinical_event", e.id, changes, "corrected", why)

    # -- entered in error -------------------------------------------------------------------------------------
    def mark_entered_in_error(self, actor: Actor, entity: str, record_id: str, reason: str) -> None:
        """Keep an entry in the record but leave it out of everything (wrong patient, never happened, ...)."""
        self._set_error(actor, entity, record_id, reason, True)

    def restore(self, actor: Actor, entity: str, record_id: str, reason: str) -> None:
        """Count an entry marked "entered in error" again."""
        self._set_error(actor, entity, record_id, reason, False)

    def _set_error(self, actor: Actor, entity: str, record_id: str, reason: str, in_error: bool) -> None:
        require_patient_access(actor)
        why = _reason(reason)
        with self.db.write(actor) as s:
            record = self._get(s, entity, record_id)
            if record.entered_in_error == in_error:
                state = "already marked entered in error" if in_error else "not marked entered in error"
                raise ValidationError(f"That entry is {state}.", field="entered_in_error")
            record.entered_in_error = in_error
            self._log(s, actor, record.patient_id, entity, record.id, [("entered_in_error", not in_error, in_error)],
                      "entered_in_error" if in_error else "restored", why)  # fmt: skip

    # -- visits -----------------------------------------------------------------------------------------------
    def visit_values(self, actor: Actor, visit_id: str) -> int:
        """How many values, medicines and events were recorded at a visit (asked before removing it)."""
        require_patient_access(actor)
        with self.db.read() as s:
            return sum(len(rows) for rows in self._at_visit(s, visit_id))

    @staticmethod
    def _at_visit(s, visit_id: str) -> tuple[list, list, list]:
        return (
            list(s.scalars(select(Observation).where(Observation.visit_id == visit_id))),
            list(s.scalars(select(Medication).where(Medication.visit_id == visit_id))),
            list(s.scalars(select(ClinicalEvent).where(ClinicalEvent.visit_id == visit_id))),
        )

    def delete_visit(self, actor: Actor, visit_id: str, reason: str, *, values: str | None = None) -> int:
        """Remove a visit recorded by mistake. With values recorded at it, say what happens to them.

        Args:
            values: "keep" (they stay on their dates, no longer tied to a visit) or "entered_in_error";
                required when the visit has any.

        Returns:
            How many values, medicines and events were kept or marked.
        """
        require_patient_access(actor)
        why = _reason(reason)
        if values is not None and values not in VISIT_VALUES:
            raise ValidationError("Say whether to keep the visit's values or mark them entered in error.",
                                  field="values")  # fmt: skip
        with self.db.write(actor) as s:
            visit = s.get(Visit, visit_id)
            if visit is None:
                raise NotFound("That visit is no longer in the record.")
            attached = [r for rows in self._at_visit(s, visit_id) for r in rows]
            if attached and values is None:
                raise NeedsConfirmation(
                    f"{len(attached)} value{'s were' if len(attached) != 1 else ' was'} recorded at this visit. Say "
                    "whether to keep them (on their dates) or mark them entered in error; nothing was removed.",
                    field="values",
                )
            entity_of = {Observation: "observation", Medication: "medication", ClinicalEvent: "clinical_event"}
            for record in attached:
                record.visit_id = None
                if values == "entered_in_error" and not record.entered_in_error:
                    record.entered_in_error = True
                    self._log(s, actor, record.patient_id, entity_of[type(record)], record.id,
                              [("entered_in_error", False, True)], "entered_in_error", why)  # fmt: skip
            # The family's voice stays in their record, no longer tied to the visit; the visit's pre-visit plan goes
            # with it (it was the plan of that visit).
            for agenda_item in s.scalars(select(AgendaItem).where(AgendaItem.visit_id == visit_id)):
                agenda_item.visit_id = None
            for response in s.scalars(select(CollaborateResponse).where(CollaborateResponse.visit_id == visit_id)):
                response.visit_id = None
            for plan in s.scalars(select(PrevisitPlan).where(PrevisitPlan.visit_id == visit_id)):
                for item in s.scalars(select(PlanItem).where(PlanItem.plan_id == plan.id)):
                    s.delete(item)
                s.delete(plan)
            summary = f"{visit.visit_date} {visit.visit_time or ''} {visit.visit_type} ({visit.status})"
            self._log(s, actor, visit.patient_id, "visit", visit.id, [("visit", " ".join(summary.split()), None)],
                      "deleted", why)  # fmt: skip
            s.flush()  # the values leave the visit before it goes
            s.delete(visit)
            return len(attached)

    # -- history ----------------------------------------------------------------------------------------------
    def history(self, actor: Actor, patient_id: str, record_id: str | None = None) -> list[HistoryEntry]:
        """A patient's corrections (or one record's), newest first."""
        require_patient_access(actor)
        with self.db.read() as s:
            q = select(Correction).where(Correction.patient_id == patient_id)
            if record_id is not None:
                q = q.where(Correction.record_id == record_id)
            rows = s.scalars(q.order_by(Correction.corrected_at.desc(), Correction.field)).all()
            conflicted = {
                conflicted_id
                for model in ENTITIES.values()
                for conflicted_id in s.scalars(
                    select(model.id).where(model.patient_id == patient_id, model.has_conflict.is_(True))
                )
            }
            return [
                HistoryEntry(c.corrected_at, c.corrected_by, c.entity, c.record_id,
                             (REGISTRY_FIELDS if c.entity == "patient" else FIELD_NAMES).get(c.field, c.field),
                             c.action, c.old_value, c.new_value, c.reason, c.record_id in conflicted)
                for c in rows
            ]  # fmt: skip

    def corrected_ids(self, actor: Actor, patient_id: str) -> set[str]:
        """The records of a patient that have a history."""
        require_patient_access(actor)
        with self.db.read() as s:
            return set(s.scalars(select(Correction.record_id).where(Correction.patient_id == patient_id)))


def _detail_text(o: Observation) -> str | None:
    """An observation's detail as the patient page shows it: an index's items, or where a total came from."""
    from lhn_desktop.clinical import indices

    if o.detail is None:
        return None
    if o.code not in indices.load_indices():
        return o.detail
    return _detail_text_of(o.source, o.detail, indices.get_index(o.code))


def _detail_text_of(origin: str, detail: str, index) -> str:
    """Index items as the history shows them ("abdominal pain 10, stools 7.5, ...") or the outside source."""
    from lhn_desktop.clinical import indices

    if origin == "outside":
        return words.index_total_from(detail)
    try:
        levels = indices.parse_score_text(detail)
    except ValueError:
        return detail
    parts = []
    for item in index.items:
        if item.key in levels and 0 <= levels[item.key] < len(item.levels):
            points = item.levels[levels[item.key]].points
            parts.append(f"{item.label.lower()} {format(points.normalize(), 'f')}")
    return ", ".join(parts)
