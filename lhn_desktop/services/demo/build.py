"""The entry point: one write transaction that fills an empty center with the demo, with progress and cancel."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lhn_desktop.access import Actor
from lhn_desktop.errors import ValidationError
from lhn_desktop.models.commons import Resource
from lhn_desktop.models.goals import CollaborateResponse, PatientGoal, Task
from lhn_desktop.models.improvement import ImprovementGoal, PdsaCycle
from lhn_desktop.models.measures import MeasureDefinition, MeasureValue
from lhn_desktop.models.patients import ClinicalEvent, Medication, Observation, Patient, Visit
from lhn_desktop.models.planning import AgendaItem
from lhn_desktop.models.team import TeamMember
from lhn_desktop.progress import CancelToken, ProgressSink, no_progress
from lhn_desktop.services.demo.content import PROGRESS_LABEL
from lhn_desktop.services.demo.dates import clinic_days
from lhn_desktop.services.demo.improvement import commons, improvement
from lhn_desktop.services.demo.measures import measure_definitions, measure_values
from lhn_desktop.services.demo.patients import CenterSimulator
from lhn_desktop.store.database import Database


@dataclass(frozen=True, slots=True)
class DemoSummary:
    """What :func:`generate_demo` created. ``visits`` are past visits; scheduled ones are counted apart."""

    patients: int
    visits: int
    scheduled_visits: int
    observations: int
    medications: int
    events: int
    team_members: int
    improvement_goals: int
    pdsa_cycles: int
    measures: int
    measure_values: int
    resources: int
    patient_goals: int
    agenda_items: int
    tasks: int
    collaborate_responses: int
    clinic_days: tuple[date, ...]


#: Which DemoSummary field counts which record type.
COUNTED = {
    Patient: "patients", Visit: "visits", Observation: "observations", Medication: "medications",
    ClinicalEvent: "events", TeamMember: "team_members", ImprovementGoal: "improvement_goals",
    PdsaCycle: "pdsa_cycles", MeasureDefinition: "measures", MeasureValue: "measure_values", Resource: "resources",
    PatientGoal: "patient_goals", AgendaItem: "agenda_items", Task: "tasks",
    CollaborateResponse: "collaborate_responses",
}  # fmt: skip


def generate_demo(db: Database, actor: Actor, *, patients: int = 300, seed: int = 20240501, today: date,
                  progress: ProgressSink = no_progress, cancel: CancelToken | None = None) -> DemoSummary:  # fmt: skip
    """Fill an empty center database with a deterministic synthetic pediatric IBD center.

    Args:
        db: a center database made by ``create_center``, still without patients.
        actor: who writes (recorded in the audit trail).
        patients: how many synthetic patients to create.
        seed: the random seed; the same ``(patients, seed, today)`` gives the same content and ids.
        today: the date the synthetic record leads up to; nothing is observed after it.
        progress: called after each patient is written, as ``(done, total, label)``.
        cancel: checked between patients; a cancel rolls everything back.

    Returns:
        The counts of what was created, and the upcoming clinic days.

    Raises:
        ValidationError: the database already holds patients, or ``patients`` is negative.
        Cancelled: the job was cancelled; nothing was written.
    """
    if patients < 0:
        raise ValidationError("The number of demo patients cannot be negative.")
    site = db.local_node().site_code
    gen = CenterSimulator(random.Random(seed), today, site)
    counts = dict.fromkeys(COUNTED.values(), 0) | {"scheduled_visits": 0}

    def add(s: Session, records: list) -> None:
        s.add_all(records)
        for obj in records:
            scheduled = type(obj) is Visit and obj.status == "scheduled"
            key = "scheduled_visits" if scheduled else COUNTED.get(type(obj))
            if key:
                counts[key] += 1

    with db.write(actor) as s:
        if s.scalar(select(func.count()).select_from(Patient)):
            raise ValidationError("This center database already holds patients; create the demo in a new database.")
        add(s, gen.team())
        existing = {m.code: m for m in s.scalars(select(MeasureDefinition).order_by(MeasureDefinition.code))}
        definitions = measure_definitions(gen, existing)
        add(s, [m for m in definitions if m.code not in existing])
        s.flush()
        histories = [gen.patient(i) for i in range(patients)]
        days = clinic_days(today)
        for h in gen.schedule(histories, days)[:30]:
            gen.family_voice(h)
        for done, h in enumerate(histories, start=1):
            if cancel is not None:
                cancel.raise_if_cancelled()
            add(s, h.records)
            s.flush()
            progress(done, patients, PROGRESS_LABEL)
        values, percent = measure_values(histories, definitions, site, today)
        add(s, values)
        add(s, improvement(gen, {m.code: m for m in definitions}, percent))
        add(s, commons(gen))
        s.flush()
    return DemoSummary(**counts, clinic_days=days)
