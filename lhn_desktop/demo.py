"""A deterministic synthetic pediatric IBD center, for first run, demos, training, tests and benchmarks.

:func:`generate_demo` fills an empty center database with a care team; patients with three years of
visits, observations, medications, screenings and immunizations; an upcoming clinic with the families'
agendas, goals and tasks; collaboRATE responses; monthly measure values computed from that record; two
90-day improvement goals with driver diagrams and a PDSA ramp; and a few commons resources.

Everything is fictional and looks it: family names come from :data:`FAMILY_NAMES`, MRNs start with
``DEMO-``, phone numbers are in the 555-01xx range and e-mail addresses end with ``@example.org``.

The same ``(patients, seed, today)`` always gives the same content, ids included: every random choice
and every id comes from one ``random.Random(seed)`` stream, dates count from ``today``, and nothing
iterates over unordered collections. Monthly measure values take natural-key ids (uuid5 of
``site/measure/YYYY-MM``), as every workstation computes them.

The work runs inside one write transaction in two steps: the patients' histories are simulated in
memory (fast), then written one patient per flush with progress and a cancel check between patients,
so a cancel rolls everything back.
"""

from __future__ import annotations

import calendar
import json
import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from statistics import median_low
from typing import TypedDict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lhn_desktop.access import Actor
from lhn_desktop.clinical import indices
from lhn_desktop.clinical.observations import read_value
from lhn_desktop.errors import ValidationError
from lhn_desktop.models.commons import Resource, UsageEvent
from lhn_desktop.models.goals import CollaborateResponse, GoalFollowUp, PatientGoal, Task
from lhn_desktop.models.improvement import DriverNode, ImprovementGoal, ImprovementGoalMeasure, PdsaCycle, ProgressScore
from lhn_desktop.models.measures import ChartAnnotation, MeasureDefinition, MeasureValue
from lhn_desktop.models.patients import ClinicalEvent, Medication, Observation, Patient, Visit
from lhn_desktop.models.planning import AgendaItem, PrevisitPlan
from lhn_desktop.models.team import Role, TeamMember
from lhn_desktop.progress import CancelToken, ProgressSink, no_progress
from lhn_desktop.services.measure_library import (
    ClinicalData,
    build_clinical_data,
    count_month,
    definition_id,
    inactive_from,
    load_library,
    value_id,
)
from lhn_desktop.services.registry import PatientInput, apply_patient, clean_patient, new_patient
from lhn_desktop.services.visits import index_code_for
from lhn_desktop.store.database import Database

#: Names the yearly vitamin D and PHQ-9 records (see ``_Generator.yearly_checks``).
YEARLY_NS = uuid.UUID("0b7c5e1e-2f51-4d7e-a3a4-1f6c1f0d9a52")

PROGRESS_LABEL = "Creating synthetic patients"
SOURCE = "demo"
CROHN, UC, IBDU = "Crohn disease", "Ulcerative colitis", "IBD unclassified"
PGA_STATES = ("quiescent", "mild", "moderate", "severe")
FLU_VACCINE = "Influenza (inactivated)"
CLINIC_WEEKDAYS = (1, 3)  # Tuesday (the first physician's clinic) and Thursday (the second's)

# fmt: off
GIVEN_NAMES = {
    "female": ("Ada", "Bea", "Cleo", "Dana", "Edie", "Faye", "Gwen", "Hana", "Ivy", "June", "Kira", "Lena", "Maya",
               "Nora", "Opal", "Pia", "Rosa", "Tess"),
    "male": ("Abe", "Ben", "Cal", "Dev", "Eli", "Finn", "Gus", "Hugo", "Ian", "Jude", "Kai", "Leo", "Max", "Ned",
             "Otis", "Pete", "Rex", "Sam", "Theo", "Wes"),
}
#: Obviously fictional family names: every synthetic patient has one of these.
FAMILY_NAMES = ("Testwood", "Sampleton", "Mockridge", "Placebury", "Synthwell", "Fictor", "Dummett", "Demoford",
                "Exampleton", "Pretendle", "Simulby", "Mockingdale", "Fakesworth", "Proxley", "Samplewood",
                "Testerby", "Dummington", "Imaginor", "Notreal", "Madeupton")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
TEAM = (
    (Role.PHYSICIAN, "Dr. Robin Sample", "Pediatric gastroenterologist; IBD clinic lead and sponsor of the team."),
    (Role.PHYSICIAN, "Dr. Sam Placeholder", "Pediatric gastroenterologist; Thursday clinic and transition clinic."),
    (Role.NURSE, "Casey Testwood, RN", "IBD nurse; pre-visit planning, infusion schedule and family phone line."),
    (Role.QI_LEAD, "Taylor Demoson", "Improvement lead; runs the PDSA huddles and keeps the run charts."),
    (Role.DATA_MANAGER, "Jamie Datafield", "Registry data entry and the monthly measure report."),
    (Role.DIETITIAN, "Riley Synthmore, RD", "Dietitian; growth and nutrition reviews, exclusive enteral nutrition."),
    (Role.PSYCHOLOGIST, "Quinn Mockwell, PhD", "Psychologist; psychosocial screening and coping skills for teens."),
    (Role.PARENT_PARTNER, "Jordan Mockridge", "Parent of a teen with Crohn disease."),
    (Role.PATIENT_PARTNER, "Sky Exampleby", "Young adult with UC; co-leads the teen advisory group."),
)
#: Per-visit transition probabilities of the disease-activity state (PGA), without and with an anti-TNF.
TRANSITIONS = {
    False: ((0.88, 0.08, 0.03, 0.01), (0.55, 0.28, 0.13, 0.04), (0.45, 0.25, 0.24, 0.06), (0.40, 0.28, 0.24, 0.08)),
    True: ((0.91, 0.06, 0.025, 0.005), (0.65, 0.25, 0.08, 0.02), (0.55, 0.25, 0.16, 0.04), (0.50, 0.28, 0.17, 0.05)),
}
#: Lab ranges per PGA state and unit: CRP in tenths of mg/L, ESR mm/h, albumin g/L, hemoglobin g/L.
LABS = {
    "CRP": (((3, 45), (30, 150), (100, 450), (300, 1200)), "mg/L"),
    "ESR": (((2, 15), (10, 30), (20, 50), (35, 80)), "mm/h"),
    "ALB": (((38, 46), (34, 41), (29, 36), (22, 31)), "g/L"),
    "HGB": (((118, 145), (108, 128), (96, 118), (82, 106)), "g/L"),
}
#: Median height (cm) and weight (kg) at ages 2..20, roughly the CDC 50th percentiles.
HEIGHT_MEDIAN = {
    "male": (87, 96, 103, 110, 116, 122, 128, 133, 138, 143, 149, 156, 164, 170, 174, 176, 177, 177, 177),
    "female": (86, 95, 102, 109, 115, 121, 127, 133, 138, 144, 151, 157, 160, 162, 163, 163, 163, 163, 163),
}
WEIGHT_MEDIAN = {
    "male": (12.5, 14.3, 16.3, 18.4, 20.7, 23, 25.6, 28.6, 32, 35.6, 40, 45.3, 50.8, 56, 60.8, 64.6, 67.2, 69, 70.6),
    "female": (12, 14.1, 16, 17.9, 20.2, 22.8, 25.8, 29, 32.6, 37, 41.5, 45.8, 49.4, 52, 53.7, 55, 56, 56.7, 57.3),
}
SCREENINGS = (("TB test", "Interferon-gamma release assay negative"),
              ("Hepatitis B serology", "HBsAg negative; anti-HBs positive"), ("Varicella IgG", "positive"))
AGENDA = {
    "matters_most": ("Going to summer camp", "Playing in the school band", "Eating pizza with friends",
                     "Sleeping through the night", "Finishing the school year", "Playing the whole soccer season"),
    "concern": ("Tummy pain after school lunches", "Tired all the time during exams", "Scared of the infusion needle",
                "Missing school for appointments", "Not growing as fast as friends", "Side effects of the medicine"),
    "question": ("Can I stop the medicine if I feel fine?", "Is it safe to travel abroad this summer?",
                 "Do I need the flu shot this year?", "Can the blood test be done at our local lab?",
                 "When can I do the injections at home?"),
}
GOALS = {
    "fundamental": ("Feel like a normal kid again", "Be with my friends without worrying about bathrooms",
                    "Be independent before college", "Have a calm family life again"),
    "functional": ("Play the whole soccer season", "Go to school every day this term", "Go on the class trip",
                   "Sleep over at my cousin's house", "Swim with the summer swim team"),
    "disease": ("Stay in remission without prednisone", "Gain 2 kg by the summer", "No more than two stools a day",
                "Get the CRP back to normal"),
}
GAS_NOTES = ("Much less than expected", "Less than expected", "As expected", "Better than expected",
             "Much better than expected")
TASKS = (("Keep a symptom diary for two weeks", "patient"), ("Fill in the pre-visit questionnaire", "family"),
         ("Get the blood test at the local lab before the visit", "family"), ("Book a dietitian review", "team"),
         ("Send the school a letter about bathroom access", "team"), ("Practise swallowing small tablets", "patient"))
# fmt: on


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


class _Classification(TypedDict, total=False):
    """The Paris classification (Crohn disease) or the extent and severity (ulcerative colitis) of a patient."""

    paris_location: str
    paris_upper_gi: str | None
    paris_behaviour: str
    paris_perianal: bool
    paris_growth: str
    uc_extent: str
    uc_severity: str


@dataclass(slots=True)
class _Seen:
    """A completed visit, as the schedule and the family's voice need it."""

    on: date


@dataclass(slots=True)
class _History:
    """One simulated patient: the records to write and the facts the schedule and the measures need."""

    patient: Patient
    clinician: str
    growth: tuple[float, float]  # the patient's height and weight factors against the median curves
    records: list = field(default_factory=list)
    seen: list[_Seen] = field(default_factory=list)
    steroids: list[tuple[date, date | None]] = field(default_factory=list)
    scheduled: Visit | None = None


# -- dates and text -------------------------------------------------------------------------------------


def add_years(d: date, years: int) -> date:
    """``d`` moved by whole years; 29 February becomes 28 February in other years."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def tenths(value: int) -> str:
    """An amount in tenths as exact decimal text: 345 -> "34.5"."""
    return f"{value // 10}.{value % 10}"


def slot_time(slot: int) -> str:
    """Clinic slot 0..15 as "HH:MM", 08:00 to 15:30."""
    return f"{8 + slot // 2:02d}:{(slot % 2) * 30:02d}"


def long_date(d: date) -> str:
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def next_clinic_day(d: date, weekdays: tuple[int, ...] = CLINIC_WEEKDAYS) -> date:
    """``d`` if a clinic runs that day (by default the IBD clinic's Tuesdays and Thursdays), else the next."""
    while d.weekday() not in weekdays:
        d += timedelta(days=1)
    return d


def clinic_days(today: date, count: int = 8) -> tuple[date, ...]:
    """The next ``count`` clinic days, starting with ``today`` if it is one."""
    days = [next_clinic_day(today)]
    while len(days) < count:
        days.append(next_clinic_day(days[-1] + timedelta(days=1)))
    return tuple(days)


def last_months(today: date, count: int = 24) -> list[tuple[str, date, date]]:
    """The ``count`` complete months before ``today``'s month as (YYYY-MM, first day, last day), oldest first."""
    out = []
    y, m = today.year, today.month
    for _ in range(count):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        out.append((f"{y:04d}-{m:02d}", date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])))
    return out[::-1]


# -- patients -------------------------------------------------------------------------------------------


class _Generator:
    """Simulates the center from one random stream; every record it builds gets an id from that stream."""

    def __init__(self, rng: random.Random, today: date, site: str) -> None:
        self.rng = rng
        self.today = today
        self.site = site
        self.window_start = add_years(today, -3)
        self.members: dict[str, TeamMember] = {}  # the first member of each role
        self.physicians: list[str] = []
        self.clinic_weekday: dict[str, int] = {}  # each physician holds one clinic day a week

    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def pick(self, weighted):
        """One value of ``((value, weight), ...)``."""
        return self.rng.choices([v for v, _ in weighted], weights=[w for _, w in weighted])[0]

    def between(self, low: int, high: int, step: int = 1) -> int:
        return self.rng.randrange(low, high + 1, step)

    def progress_at(self, d: date) -> float:
        """How far ``d`` lies into the three-year window (0..1): the team's recording improves over time."""
        return (d - self.window_start).days / max(1, (self.today - self.window_start).days)

    def team(self) -> list[TeamMember]:
        out = []
        for role, name, profile in TEAM:
            member = TeamMember(id=self.new_id(), display_name=name, role=role.value, active=True, profile=profile)
            self.members.setdefault(role.value, member)
            if role is Role.PHYSICIAN:
                self.clinic_weekday[name] = CLINIC_WEEKDAYS[len(self.physicians) % len(CLINIC_WEEKDAYS)]
                self.physicians.append(name)
            out.append(member)
        return out

    def patient(self, index: int) -> _History:
        """Simulate one patient: demographics, then three years of care."""
        rng, today = self.rng, self.today
        sex = rng.choice(("female", "male"))
        given, family = rng.choice(GIVEN_NAMES[sex]), rng.choice(FAMILY_NAMES)
        age = self.pick([(a, 1 if a < 8 else 2 if a < 11 else 3) for a in range(3, 21)])
        latest_birth = add_years(today, -age)
        birth = latest_birth - timedelta(days=rng.randrange((latest_birth - add_years(today, -age - 1)).days))
        diagnosis = self.pick(((CROHN, 0.6), (UC, 0.3), (IBDU, 0.1)))
        earliest_dx = add_years(birth, 2) + timedelta(days=1)
        dx = earliest_dx + timedelta(days=rng.randrange(max(1, (today - earliest_dx).days - 14)))
        classification: _Classification = {} if rng.random() < 0.07 else self.classification(diagnosis)
        active = not (age >= 19 and rng.random() < 0.3)  # some young adults have moved to adult care
        patient_id = self.new_id()
        entry = PatientInput(
            mrn=f"DEMO-{index + 1:06d}", given_name=given, family_name=family, birth_date=birth, sex=sex,
            diagnosis=diagnosis, diagnosis_date=dx, **classification, phone=f"555-01{rng.randrange(100):02d}",
            email=f"{given}.{family}@example.org".lower(),
        )  # fmt: skip
        patient = new_patient(clean_patient(entry, today), id=patient_id)  # the registry's own rules
        growth = (min(1.1, max(0.9, rng.gauss(1, 0.04))), min(1.35, max(0.75, rng.gauss(1, 0.12))))
        h = _History(patient, rng.choice(self.physicians), growth, records=[patient])
        plan = self.treatment_plan(patient)
        end = today - timedelta(days=1 if active else self.between(220, 400))
        if not active:  # moved to adult care a month after their last visit here
            left = replace(entry, status="adult_care", status_date=min(today, end + timedelta(days=30)))
            apply_patient(patient, clean_patient(left, today))
        self.visits(h, plan, end)
        self.medications(h, plan)
        self.immunizations(h, end)
        self.yearly_checks(h)
        self.previsit_plans(h)
        return h

    def classification(self, diagnosis: str) -> _Classification:
        """The Paris classification as the registration form records it (the age group follows from the dates)."""
        if diagnosis != CROHN:
            extent = self.pick((("E1", 0.1), ("E2", 0.2), ("E3", 0.15), ("E4", 0.55)))
            return {"uc_extent": extent, "uc_severity": self.pick((("S0", 0.75), ("S1", 0.25)))}
        location = self.pick((("L1", 0.2), ("L2", 0.25), ("L3", 0.55)))
        upper = self.pick((("", 0.6), ("L4a", 0.25), ("L4b", 0.1), ("L4a L4b", 0.05)))
        behaviour = self.pick((("B1", 0.8), ("B2", 0.12), ("B3", 0.05), ("B2B3", 0.03)))
        perianal = self.rng.random() < 0.15
        growth = self.pick((("G0", 0.8), ("G1", 0.2)))
        return {"paris_location": location, "paris_upper_gi": upper or None, "paris_behaviour": behaviour,
                "paris_perianal": perianal, "paris_growth": growth}  # fmt: skip

    def treatment_plan(self, p: Patient) -> dict[str, tuple[str, date]]:
        """Maintenance drugs by class: (drug, start date), each starting at least a week before today."""
        rng, dx = self.rng, p.diagnosis_date
        assert p.diagnosis is not None  # a demo patient has a diagnosis and its date (patient() above)
        assert dx is not None
        # fmt: off
        options = (  # class, chance, days after diagnosis, drugs to choose from
            ("5-ASA", {CROHN: 0.05, UC: 0.85, IBDU: 0.6}[p.diagnosis], (0, 14), ("mesalamine",)),
            ("thiopurine", 0.43, (14, 300), ("azathioprine", "azathioprine", "mercaptopurine")),
            ("anti-TNF", {CROHN: 0.47, UC: 0.22, IBDU: 0.15}[p.diagnosis], (20, 700), ("infliximab", "adalimumab")),
            ("methotrexate", 0.2 if p.diagnosis == CROHN else 0.0, (30, 500), ("methotrexate",)),
        )
        # fmt: on
        plan: dict[str, tuple[str, date]] = {}
        for drug_class, chance, (low, high), drugs in options:
            draw, drug = rng.random(), rng.choice(drugs)
            start = dx + timedelta(days=self.between(low, high))
            if drug_class == "methotrexate" and "thiopurine" in plan:
                continue
            if draw < chance and start <= self.today - timedelta(days=7):
                plan[drug_class] = (drug, start)
        return plan

    def growth_at(self, h: _History, on: date, state: int) -> tuple[int, int]:
        """Height and weight in tenths (cm, kg) on a date; active disease costs weight."""
        p = h.patient
        years = min(20.0, max(2.0, (on - p.birth_date).days / 365.25))
        i = min(17, int(years) - 2)
        frac = years - 2 - i
        h_med, w_med = HEIGHT_MEDIAN[p.sex], WEIGHT_MEDIAN[p.sex]
        height = (h_med[i] + (h_med[i + 1] - h_med[i]) * frac) * h.growth[0]
        weight = (w_med[i] + (w_med[i + 1] - w_med[i]) * frac) * h.growth[1] * (1 - 0.03 * state)
        return round(height * 10), round(weight * 10 * self.rng.uniform(0.99, 1.01))

    def visits(self, h: _History, plan: dict[str, tuple[str, date]], end: date) -> None:
        """Completed visits every 80-150 days (longer gaps for some), a few cancelled or missed ones in between.

        The disease activity follows a Markov chain from visit to visit; a flare usually starts prednisone.
        """
        rng, p = self.rng, h.patient
        assert p.diagnosis_date is not None  # a demo patient has one (patient() above)
        new_patient = p.diagnosis_date >= self.window_start
        if new_patient:
            d = p.diagnosis_date + timedelta(days=self.between(3, 21))
            state = self.pick(((1, 0.35), (2, 0.45), (3, 0.2)))
        else:
            d = self.window_start + timedelta(days=self.between(0, 110))
            state = self.pick(((0, 0.72), (1, 0.16), (2, 0.09), (3, 0.03)))
        gappy = rng.random() < 0.4
        anti_tnf_start = plan["anti-TNF"][1] if "anti-TNF" in plan else None
        first, last_height = True, 0
        while True:
            clinician = h.clinician if rng.random() < 0.85 else rng.choice(self.physicians)
            weekday = (self.clinic_weekday[clinician],)
            if (d := next_clinic_day(d, weekday)) > end:
                break
            if not first and rng.random() < 0.07:
                h.records.append(self.visit(p, d, clinician, "Follow-up", rng.choice(("cancelled", "no_show"))))
                if (d := next_clinic_day(d + timedelta(days=self.between(10, 35)), weekday)) > end:
                    break
            if not first:
                treated = anti_tnf_start is not None and anti_tnf_start <= d
                state = rng.choices(range(4), weights=TRANSITIONS[treated][state])[0]
            visit = self.visit(p, d, clinician, "New patient" if first and new_patient else "Follow-up", "completed")
            h.records.append(visit)
            last_height = self.observations(h, visit, state, last_height)
            if state >= 2 and rng.random() < 0.75 and not self.on_steroid(h, d):
                self.prednisone(h, d, state)
            self.collaborate(h, visit)
            first = False
            long_gap = gappy and rng.random() < 0.6 * (1.3 - self.progress_at(d))
            d += timedelta(days=self.between(220, 420) if long_gap else self.between(80, 150))

    def visit(self, p: Patient, on: date, clinician: str, visit_type: str, status: str) -> Visit:
        time_text = slot_time(self.rng.randrange(16))
        return Visit(id=self.new_id(), patient_id=p.id, visit_date=on, visit_time=time_text, clinician=clinician,
                     visit_type=visit_type, status=status)  # fmt: skip

    def observation(self, p: Patient, visit_id: str | None, code: str, value: str, unit: str | None, on: date,
                    detail: str | None = None) -> Observation:  # fmt: skip
        """An observation as the visit form stores it: read through the catalog, so a demo value is a valid one."""
        reading = read_value(code, value, unit)
        return Observation(id=self.new_id(), patient_id=p.id, visit_id=visit_id, code=code, value=reading.value,
                           unit=reading.unit, observed_on=on, source=SOURCE, detail=detail)  # fmt: skip

    def observations(self, h: _History, visit: Visit, state: int, last_height: int) -> int:
        """PGA with PCDAI or PUCAI, growth and labs at a completed visit; returns the height recorded.

        Recording gaps (no PGA, no height) shrink over the three years as the team improves.
        """
        rng, p, d = self.rng, h.patient, visit.visit_date
        progress = self.progress_at(d)
        obs: list[tuple[str, str, str | None]] = []
        has_pga = rng.random() >= 0.12 - 0.10 * progress
        index_seed = rng.getrandbits(32) if has_pga else None
        height, weight = self.growth_at(h, d, state)
        height = max(last_height, height + self.between(-3, 3))
        has_weight = rng.random() >= 0.06 - 0.05 * progress
        has_height = rng.random() >= 0.30 - 0.26 * progress
        obs += [("WEIGHT", tenths(weight), "kg")] if has_weight else []
        obs += [("HEIGHT", tenths(height), "cm")] if has_height else []
        if rng.random() < 0.9 or state >= 2:
            for code, (ranges, unit) in LABS.items():
                value = self.between(*ranges[state])
                value += 8 if code == "HGB" and p.sex == "male" and age_on(p.birth_date, d) >= 13 else 0
                obs.append((code, tenths(value) if code == "CRP" else str(value), unit))
        details: dict[str, str] = {}
        if index_seed is not None:
            index_code = index_code_for(p.diagnosis)
            assert index_code is not None  # the IBD pack names an index for each of the demo's diagnoses
            labs = {c: Decimal(v) for c, v, _ in obs}
            result = demo_index_score(indices.get_index(index_code), state, labs, random.Random(index_seed))
            obs[:0] = [("PGA", PGA_STATES[state], None), (index_code, result.total_text, None)]
            details[index_code] = indices.score_text(result.levels)
        h.records += [
            self.observation(p, visit.id, code, value, unit, d, details.get(code)) for code, value, unit in obs
        ]
        h.seen.append(_Seen(d))
        return height

    def on_steroid(self, h: _History, on: date) -> bool:
        return any(start <= on and (stop is None or stop > on) for start, stop in h.steroids)

    def prednisone(self, h: _History, start: date, state: int) -> None:
        """A tapering prednisone course of 8-12 weeks (1 mg/kg, at most 40 mg); ongoing if it ends after today."""
        _, weight = self.growth_at(h, start, state)
        dose = max(10, min(40, round(weight / 50) * 5))
        stop = start + timedelta(weeks=self.between(8, 12))
        stop_date = stop if stop <= self.today else None
        h.steroids.append((start, stop_date))
        h.records.append(Medication(id=self.new_id(), patient_id=h.patient.id, drug="prednisone",
                                    drug_class="corticosteroid", dose=f"{dose} mg daily, tapering",
                                    start_date=start, stop_date=stop_date))  # fmt: skip

    def medications(self, h: _History, plan: dict[str, tuple[str, date]]) -> None:
        """Maintenance drugs, with TPMT before thiopurines and screening before anti-TNF (both missed sometimes)."""
        rng, p = self.rng, h.patient
        for drug_class, (drug, start) in plan.items():
            _, weight = self.growth_at(h, start, 0)
            if drug_class == "thiopurine":
                self.tpmt(h, start)
            if drug_class == "anti-TNF":
                self.screening(h, start)
            stop = None
            if drug_class != "anti-TNF" and rng.random() < 0.2:
                candidate = start + timedelta(days=self.between(90, 700))
                stop = candidate if candidate <= self.today else None
            dose = dose_text(drug, weight / 10)
            h.records.append(Medication(id=self.new_id(), patient_id=p.id, drug=drug, drug_class=drug_class,
                                        dose=dose, start_date=start, stop_date=stop))  # fmt: skip

    def tpmt(self, h: _History, thiopurine_start: date) -> None:
        """TPMT status before the thiopurine for most patients; missing, or only measured afterwards, for a few."""
        timing = self.pick((("before", 0.88), ("missing", 0.08), ("after", 0.04)))
        value = self.pick((("normal", 0.89), ("intermediate", 0.1), ("low", 0.01)))
        days = -self.between(7, 40) if timing == "before" else self.between(10, 60)
        on = thiopurine_start + timedelta(days=days)
        if timing != "missing" and on <= self.today:
            h.records.append(self.observation(h.patient, None, "TPMT", value, None, on))

    def screening(self, h: _History, anti_tnf_start: date) -> None:
        """TB, hepatitis B and varicella screening before an anti-TNF; incomplete for about one in ten."""
        complete = self.rng.random() < 0.9
        for code, result in SCREENINGS:
            on = anti_tnf_start - timedelta(days=self.between(7, 40))
            done, negative_vzv = self.rng.random() < 0.4, self.rng.random() < 0.05
            if complete or done:
                result = "negative" if code == "Varicella IgG" and negative_vzv else result
                h.records.append(ClinicalEvent(id=self.new_id(), patient_id=h.patient.id, kind="screening",
                                               code=code, event_date=on, result=result))  # fmt: skip

    def immunizations(self, h: _History, end: date) -> None:
        """An inactivated influenza vaccine each autumn for most patients, missed sometimes."""
        rng, p = self.rng, h.patient
        compliance = rng.uniform(0.45, 0.97)
        for year in range(self.window_start.year, self.today.year + 1):
            on = date(year, 9, 20) + timedelta(days=self.between(0, 70))
            if rng.random() < compliance and self.window_start <= on <= end:
                h.records.append(ClinicalEvent(id=self.new_id(), patient_id=p.id, kind="immunization",
                                               code=FLU_VACCINE, event_date=on, result="given"))  # fmt: skip

    def previsit_plans(self, h: _History) -> None:
        """Pre-visit plans marked done the afternoon before: a third of visits three years ago, most of them now.

        Drawn from the patient's own random stream, with name-based ids (as ``yearly_checks``).
        """
        rng = random.Random(f"plans/{h.patient.id}")
        nurse = self.members.get(Role.NURSE.value)
        for visit in [r for r in h.records if type(r) is Visit and r.status == "completed"]:
            if rng.random() < 0.3 + 0.6 * self.progress_at(visit.visit_date):
                done_at = datetime.combine(visit.visit_date - timedelta(days=1), time(16, rng.randint(0, 59)))
                h.records.append(PrevisitPlan(id=str(uuid.uuid5(YEARLY_NS, f"plan/{visit.id}")), visit_id=visit.id,
                                              status="done", done_by_member_id=nurse.id if nurse else None,
                                              done_at=done_at))  # fmt: skip

    def yearly_checks(self, h: _History) -> None:
        """Vitamin D and (from age 12) PHQ-9 screening at about one visit a year, skipped now and then.

        Drawn from the patient's own random stream, with name-based ids, so adding them left the
        rest of the demo unchanged.
        """
        p = h.patient
        rng = random.Random(f"yearly/{p.id}")
        vit_d_chance, phq_chance = rng.uniform(0.35, 0.95), rng.uniform(0.3, 0.9)
        last_vit_d = last_phq = date.min
        for seen in h.seen:
            on = seen.on
            if (on - last_vit_d).days >= 330 and rng.random() < vit_d_chance:
                value = str(rng.randint(18, 95))
                h.records.append(Observation(id=str(uuid.uuid5(YEARLY_NS, f"{p.id}/VITD/{on}")), patient_id=p.id,
                                             visit_id=None, code="VITD", value=value, unit="nmol/L",
                                             observed_on=on, source=SOURCE))  # fmt: skip
                last_vit_d = on
            if age_on(p.birth_date, on) >= 12 and (on - last_phq).days >= 330 and rng.random() < phq_chance:
                h.records.append(ClinicalEvent(id=str(uuid.uuid5(YEARLY_NS, f"{p.id}/PHQ-9/{on}")), patient_id=p.id,
                                               kind="screening", code="PHQ-9", event_date=on,
                                               result=f"score {rng.randint(0, 14)}"))  # fmt: skip
                last_phq = on

    def collaborate(self, h: _History, visit: Visit) -> None:
        """collaboRATE after a completed visit: for most visits of the last year, fewer the year before."""
        rng, p = self.rng, h.patient
        days_ago = (self.today - visit.visit_date).days
        if rng.random() >= (0.7 if days_ago <= 365 else 0.3 if days_ago <= 730 else 0.0):
            return
        respondent = "parent" if age_on(p.birth_date, visit.visit_date) < 12 or rng.random() < 0.25 else "patient"
        if rng.random() < 0.55:
            items: list[int | None] = [9, 9, 9]
        else:
            base = self.between(4, 8)
            items = [min(9, base + self.between(0, 2)) for _ in range(3)]
        if rng.random() < 0.04:
            items[rng.randrange(3)] = None
        answered = min(self.today, visit.visit_date + timedelta(days=self.between(0, 2)))
        h.records.append(CollaborateResponse(id=self.new_id(), patient_id=p.id, visit_id=visit.id,
                                             respondent=respondent, answered_on=answered,
                                             item1=items[0], item2=items[1], item3=items[2]))  # fmt: skip

    # -- the upcoming clinic --------------------------------------------------------------------------
    def schedule(self, histories: list[_History], days: tuple[date, ...]) -> list[_History]:
        """8-12 scheduled visits per clinic day, distinct patients per day, preferring patients due a visit.

        Returns the scheduled patients in order of their first upcoming visit.
        """
        active = [h for h in histories if h.patient.active]
        clinician_on = {weekday: name for name, weekday in self.clinic_weekday.items()}
        scheduled: list[_History] = []
        for day in days:
            due = [h for h in active if h.scheduled is None and (not h.seen or (day - h.seen[-1].on).days >= 60)]
            n = min(self.between(8, 12), len(active))
            chosen = self.rng.sample(due if len(due) >= n else active, n)
            for h, slot in zip(chosen, sorted(self.rng.sample(range(16), n)), strict=True):
                visit = Visit(id=self.new_id(), patient_id=h.patient.id, visit_date=day, visit_time=slot_time(slot),
                              clinician=clinician_on[day.weekday()],
                              visit_type="Follow-up" if h.seen else "New patient",
                              status="scheduled")  # fmt: skip
                h.records.append(visit)
                if h.scheduled is None:
                    h.scheduled = visit
                    scheduled.append(h)
        return scheduled

    def family_voice(self, h: _History) -> None:
        """The family's agenda, goals at three levels with follow-ups, and tasks before the upcoming visit."""
        rng, p, visit = self.rng, h.patient, h.scheduled
        assert visit is not None
        young = age_on(p.birth_date, self.today) < 12
        for kind in ("matters_most", "concern", "question"):
            if kind != "matters_most" and rng.random() < 0.35:
                continue
            sources = ("patient", "family", "team") if kind == "concern" else ("patient", "family")
            source = "family" if young else rng.choice(sources)
            entered = self.today - timedelta(days=self.between(1, 6))
            h.records.append(AgendaItem(id=self.new_id(), patient_id=p.id, visit_id=visit.id, kind=kind,
                                        text=rng.choice(AGENDA[kind]), source=source, entered_on=entered))  # fmt: skip
        serves = None
        physician = self.members[Role.PHYSICIAN.value]
        for level in ("fundamental", "functional", "disease"):  # each goal serves the one above it
            owner = "team" if level == "disease" else "parent" if young else "patient"
            target = visit.visit_date + timedelta(days=self.between(90, 180))
            goal = PatientGoal(id=self.new_id(), patient_id=p.id, level=level, text=rng.choice(GOALS[level]),
                               owner=owner, owner_member_id=physician.id if owner == "team" else None,
                               serves_goal_id=serves, target_date=target, review_date=visit.visit_date,
                               status="active", gas_baseline=-1)  # fmt: skip
            serves = goal.id
            h.records.append(goal)
            self.follow_ups(h, goal)
        nurse = self.members[Role.NURSE.value].display_name
        for what, responsible in rng.sample(TASKS, self.between(1, 3)):
            due = self.today + timedelta(days=self.between(-20, 10))
            done = due - timedelta(days=self.between(0, 5)) if rng.random() < 0.4 and due <= self.today else None
            h.records.append(Task(id=self.new_id(), patient_id=p.id, what=what, responsible=responsible,
                                  responsible_name=nurse if responsible == "team" else None,
                                  due_date=due, done_on=done))  # fmt: skip

    def follow_ups(self, h: _History, goal: PatientGoal) -> None:
        """One or two GAS follow-ups at the latest completed visits, usually improving."""
        score = self.between(-2, 0)
        for on in [s.on for s in h.seen[-2:]][-self.between(1, 2) :]:
            score = min(2, score + self.between(0, 2))
            h.records.append(GoalFollowUp(id=self.new_id(), goal_id=goal.id, followed_up_on=on, gas_score=score,
                                          satisfied_with_progress=score >= 0, note=GAS_NOTES[score + 2]))  # fmt: skip


def demo_index_score(
    index: indices.IndexDefinition, state: int, labs: dict[str, Decimal], rng: random.Random
) -> indices.IndexScore:
    """Item levels for a visit whose PGA is ``PGA_STATES[state]``, scored by the index itself.

    Items derived from a laboratory value (the wPCDAI's ESR and albumin) take that value's level when the visit
    has it; the others rise one level at a time, in random order, until the total reaches the category that
    matches the PGA. PGA and index usually agree, not always (as in clinic).
    """
    wanted = PGA_STATES[state].replace("quiescent", "remission")
    levels: dict[str, int] = {}
    free = []
    for item in index.items:
        lab = labs.get(item.from_observation.code) if item.from_observation else None
        levels[item.key] = item.level_for_value(lab) if lab is not None else 0
        if lab is None:
            free.append(item)
    for _ in range(40):
        current = indices.score(index, levels)
        if indices.CATEGORY_ORDER.index(current.category) >= indices.CATEGORY_ORDER.index(wanted):
            break
        choices = [i for i in free if levels[i.key] < len(i.levels) - 1]
        if not choices:
            break
        levels[rng.choice(choices).key] += 1
    return indices.score(index, levels)


def dose_text(drug: str, kg: float) -> str:
    """A usual pediatric maintenance dose for the weight, as on a medication list."""
    if drug == "mesalamine":
        return f"{tenths(12 * min(4, max(1, round(kg * 70 / 1200))))} g daily"
    if drug == "azathioprine":
        return f"{min(150, max(25, round(kg * 2.5 / 25) * 25))} mg daily"
    if drug == "mercaptopurine":
        return f"{min(100, max(25, round(kg * 1.5 / 25) * 25))} mg daily"
    if drug == "methotrexate":
        return f"{10 if kg < 30 else 15} mg weekly, subcutaneous"
    if drug == "infliximab":
        return "5 mg/kg IV every 8 weeks"
    return f"{40 if kg >= 40 else 20} mg subcutaneous every 2 weeks"


# -- measures -------------------------------------------------------------------------------------------


def measure_definitions(gen: _Generator, existing: dict[str, MeasureDefinition]) -> list[MeasureDefinition]:
    """The shipped library's measures; definitions the database already holds are reused, not duplicated."""
    out = []
    for spec in load_library().measures:
        gen.new_id()  # drawn as before, so the random stream (and the whole demo) stays the same
        out.append(existing.get(spec.code) or MeasureDefinition(
            id=definition_id(spec.code), code=spec.code, title=spec.title, kind="proportion", chart_type=spec.chart,
            numerator=spec.numerator_text, denominator=spec.denominator_text, lookback_days=spec.lookback_days,
            direction=spec.direction, target=None if spec.target is None else f"{spec.target:g}", owner="network",
            version=spec.version,
        ))  # fmt: skip
    return out


def clinical_data(histories: list[_History]) -> ClinicalData:
    """The measure engine's view of the simulated records, before they are written."""
    patients, visits, observations, medications = [], [], [], []
    for h in histories:
        p = h.patient
        fields = {"disease_classification": p.disease_classification, "diagnosis": p.diagnosis,
                  "diagnosis_date": p.diagnosis_date}  # fmt: skip
        patients.append((p.id, inactive_from(p.status, p.status_date), p.diagnosis_date, fields))
        for r in h.records:
            if type(r) is Visit and r.status == "completed":
                visits.append((r.id, p.id, r.visit_date))
            elif type(r) is Observation:
                observations.append((p.id, r.visit_id, r.code, r.value, r.observed_on))
            elif type(r) is Medication:
                medications.append((p.id, r.drug_class, r.start_date, r.stop_date))
    planned = [r.visit_id for h in histories for r in h.records if type(r) is PrevisitPlan and r.status == "done"]
    collaborate = [(r.answered_on, (r.item1, r.item2, r.item3)) for h in histories for r in h.records
                   if type(r) is CollaborateResponse]  # fmt: skip
    return build_clinical_data(patients, visits, observations, medications, planned, collaborate)


def measure_values(
    histories: list[_History], definitions: list[MeasureDefinition], site: str, today: date
) -> tuple[list[MeasureValue], dict[tuple[str, str], int]]:
    """Values for the 24 complete months before today, counted by the measure engine from the simulated record,
    and each value as a whole percentage by (code, month)."""
    by_code = {m.code: m for m in definitions}
    data = clinical_data(histories)
    values, percent = [], {}
    for month, first, last in last_months(today):
        for spec in load_library().measures:
            num, den = count_month(spec, data, first, last)
            values.append(MeasureValue(id=value_id(site, spec.code, month), measure_id=by_code[spec.code].id,
                                       site_code=site, month=month, numerator=num, denominator=den,
                                       source="computed"))  # fmt: skip
            percent[spec.code, month] = round(100 * num / den) if den else 0
    return values, percent


# -- improvement ----------------------------------------------------------------------------------------

# fmt: off
#: Driver diagrams as (primary driver, ((secondary driver, (change ideas...)), ...)).
MODEL_CARE_DRIVERS = (
    ("Reliable pre-visit planning", (("Checklist reviewed the day before clinic",
                                      ("Nurse completes the pre-visit checklist the afternoon before clinic",
                                       "Flag a missing Paris classification on the clinic list")),)),
    ("Growth measured at every visit", (("Height and weight taken at check-in",
                                         ("Move the stadiometer to the check-in room",)),)),
    ("The team knows its own data", ()),
)
VISIT_DRIVERS = (
    ("Families know when the next visit is due", (("Next visit booked before the family leaves",
                                                   ("Front desk books the next visit at check-out",)),)),
    ("Overdue patients are found early", (("A monthly list of patients not seen for 170 days",
                                           ("Data manager sends the 170-day list on the first Monday",)),)),
)
GOAL_SPECS = (  # title, measure, days before today it started, aim, drivers, progress score, evidence
    ("Model care at every visit", "model_care", 45,
     "Raise the share of clinic visits with the model-care bundle complete (classification, PGA, weight and height "
     "recorded) from {b}% to {t}% by {d}", MODEL_CARE_DRIVERS, 25,
     "Changes tested in a PDSA ramp; run chart with its target, no sustained shift yet"),
    ("Every patient seen within 200 days", "visit_200d", 20,
     "Raise the share of active patients seen within 200 days from {b}% to {t}% by {d}", VISIT_DRIVERS, 20,
     "Team chartered and driver diagram agreed; first change ideas being planned"),
)
# fmt: on


def improvement(gen: _Generator, measures: dict[str, MeasureDefinition], percent: dict[tuple[str, str], int]) -> list:
    """Two 90-day goals with driver diagrams and progress scores; a PDSA ramp on the first change idea."""
    today, qi = gen.today, gen.members[Role.QI_LEAD.value]
    records: list = []
    goals, ideas = [], []
    for title, code, days_ago, aim, drivers, score, evidence in GOAL_SPECS:
        start = today - timedelta(days=days_ago)
        end = start + timedelta(days=90)
        base = baseline(percent, code, start)
        target = max(min(95, 5 * -(-(base + 8) // 5)), min(100, base + 3))
        goal = ImprovementGoal(id=gen.new_id(), title=title, aim=aim.format(b=base, t=target, d=long_date(end)),
                               baseline=f"{base}%", target=f"{target}%", owner_member_id=qi.id,
                               team=", ".join(name for _, name, _ in TEAM[:5]), start_date=start, end_date=end,
                               status="active")  # fmt: skip
        nodes = driver_diagram(gen, goal, drivers)
        goals.append(goal)
        ideas += [n for n in nodes if n.kind == "change_idea"]
        records += [goal, ImprovementGoalMeasure(id=gen.new_id(), goal_id=goal.id, measure_id=measures[code].id)]
        records += nodes
        records.append(ProgressScore(id=gen.new_id(), goal_id=goal.id, scored_on=today - timedelta(days=3),
                                     score_tenths=score, suggested_tenths=score, evidence=evidence,
                                     scored_by_member_id=qi.id))  # fmt: skip
    cycles = pdsa_ramp(gen, goals[0], ideas[0])
    records += cycles
    for cycle in cycles[:2]:
        text = f"PDSA {cycle.seq}: nurse pre-visit checklist with {cycle.scale_n} patient(s)"
        records.append(ChartAnnotation(id=gen.new_id(), measure_id=measures["model_care"].id,
                                       on_date=cycle.start_date, kind="note", text=text, pdsa_id=cycle.id))  # fmt: skip
    return records


def baseline(percent: dict[tuple[str, str], int], code: str, start: date, months: int = 6) -> int:
    """The median percentage of the last ``months`` complete months before ``start`` (0 without data)."""
    month_end, points = start.replace(day=1) - timedelta(days=1), []
    for _ in range(months):
        if (code, f"{month_end:%Y-%m}") in percent:
            points.append(percent[code, f"{month_end:%Y-%m}"])
        month_end = month_end.replace(day=1) - timedelta(days=1)
    return median_low(points) if points else 0


def driver_diagram(gen: _Generator, goal: ImprovementGoal, drivers) -> list[DriverNode]:
    """The aim, its primary and secondary drivers and their change ideas, as a tree of nodes."""

    def node(kind: str, text: str, parent: DriverNode | None, position: int) -> DriverNode:
        parent_id = parent.id if parent else None
        return DriverNode(id=gen.new_id(), goal_id=goal.id, parent_id=parent_id, kind=kind, text=text,
                          position=position)  # fmt: skip

    aim = node("aim", goal.aim, None, 0)
    nodes = [aim]
    for i, (primary_text, secondaries) in enumerate(drivers):
        primary = node("primary", primary_text, aim, i)
        nodes.append(primary)
        for j, (secondary_text, ideas) in enumerate(secondaries):
            secondary = node("secondary", secondary_text, primary, j)
            nodes.append(secondary)
            nodes += [node("change_idea", idea, secondary, k) for k, idea in enumerate(ideas)]
    return nodes


# fmt: off
RAMP = (  # scale (patients), started days ago, length in days, decision, status, questions, study, next step
    (1, 44, 0, "adapt", "done",
     [{"q": "Can the checklist be done in under 10 minutes?", "prediction": "Yes, about 8 minutes",
       "result": "It took 14 minutes; finding the last PGA took longest"},
      {"q": "Will the physician use the plan in the visit?", "prediction": "Yes",
       "result": "Yes; the physician asked for the growth chart on the same page"}],
     "Checklist done for one patient; the last PGA was hard to find.",
     "Pre-fill the last PGA and growth from the registry; test with 5 patients."),
    (5, 37, 7, "adopt", "done",
     [{"q": "With pre-filled values, is it under 10 minutes?", "prediction": "Yes",
       "result": "Yes, 6 to 9 minutes for all 5 patients"},
      {"q": "How many visits have the height missing before planning?", "prediction": "1 in 5",
       "result": "2 of 5; both were measured at check-in after the flag"}],
     "All 5 checklists were done the afternoon before; two missing heights were caught.",
     "Adopt for one clinic day and ramp to 20 patients across both physicians."),
    (20, 16, 28, None, "doing",
     [{"q": "Can the checklist be done for a full clinic day?", "prediction": "Yes, for 18 of 20 patients",
       "result": ""}],
     None, None),
)
# fmt: on


def pdsa_ramp(gen: _Generator, goal: ImprovementGoal, idea: DriverNode) -> list[PdsaCycle]:
    """Three cycles on one change idea, each from the previous one: 1 patient, then 5, then 20 (running now)."""
    nurse = gen.members[Role.NURSE.value].display_name
    doctor = gen.members[Role.PHYSICIAN.value].display_name
    cycles: list[PdsaCycle] = []
    for seq, (n, days_ago, length, decision, status, questions, summary, next_step) in enumerate(RAMP, start=1):
        start, done = gen.today - timedelta(days=days_ago), status == "done"
        cycles.append(PdsaCycle(
            id=gen.new_id(), goal_id=goal.id, change_idea_id=idea.id,
            parent_cycle_id=cycles[-1].id if cycles else None, seq=seq,
            title="Pre-visit checklist the afternoon before clinic",
            purpose="Test a change" if seq < 3 else "Implement a change",
            objective="Learn whether the nurse can complete the pre-visit checklist the afternoon before clinic",
            questions=json.dumps(questions), plan_who=f"{nurse} with {doctor}",
            plan_what="Complete the IBD pre-visit checklist and leave it with the clinic list",
            plan_when=f"From {long_date(start)}", plan_where="IBD clinic, nurses' office",
            plan_tasks="Print the clinic list; pre-fill from the registry; hand over at the morning huddle",
            data_plan="Minutes per checklist, items found missing, physician's comment; the QI lead charts them",
            do_as_planned=True if done else None,
            do_observations="Done as planned; the physician used the plan in every visit" if done else None,
            do_problems="The clinic list was printed late on one day" if seq == 2 else None,
            study_summary=summary, act_decision=decision, act_next_step=next_step, scale_n=n, scale_unit="patients",
            start_date=start, end_date=start + timedelta(days=length), status=status,
        ))  # fmt: skip
    return cycles


# -- commons --------------------------------------------------------------------------------------------

# fmt: off
RESOURCES = (  # title, kind, contributor role, audience, tags, summary, body
    ("IBD pre-visit planning checklist", "tool", "clinician", "care team", "pre-visit planning,model care",
     "A one-page checklist the nurse completes the afternoon before clinic.",
     "Classification recorded; last PGA and PCDAI or PUCAI; weight and height; TPMT before a thiopurine; TB, "
     "hepatitis B and varicella screening before an anti-TNF; influenza vaccine; the family's agenda."),
    ("PDSA write-up: pre-filled checklists", "pdsa_writeup", "improver", "improvement teams",
     "pre-visit planning,PDSA ramp",
     "Three cycles from 1 to 20 patients; pre-filling from the registry cut the time to under 10 minutes.",
     "Cycle 1 took 14 minutes for one patient. Cycle 2 pre-filled the last PGA and growth: 6 to 9 minutes. "
     "Cycle 3 runs a full clinic day."),
    ("Spring newsletter of the demo clinic", "newsletter", "improver", "families", "newsletter,collaboRATE",
     "What we changed this season, our run charts and how families can join the advisory group.",
     "Thank you to every family who answered the three collaboRATE questions after a visit."),
    ("Book the next visit at check-out", "change_idea", "clinician", "care team", "visit within 200 days",
     "The front desk books the next visit before the family leaves clinic.",
     "Families leave with a date; missed visits are followed up by phone within a week."),
    ("Our family's first year with Crohn disease", "story", "parent", "families", "family voice,goal setting",
     "A parent partner's story of the first year after diagnosis, and what helped.",
     "Writing down what mattered most before each visit made the visits ours. (A fictional story for the demo.)"),
)
# fmt: on


def commons(gen: _Generator) -> list:
    """Five resources from this center, with a few views and adoptions by the team."""
    records: list = []
    members = [gen.members[role] for role in sorted(gen.members)]
    for i, (title, kind, role, audience, tags, summary, body) in enumerate(RESOURCES):
        resource = Resource(id=gen.new_id(), title=title, kind=kind, summary=summary, body=body, tags=tags,
                            disease="IBD", audience=audience, contributing_site=gen.site, contributor_role=role,
                            licence="CC BY 4.0", version=1,
                            published_on=gen.today - timedelta(days=30 + 40 * i))  # fmt: skip
        records.append(resource)
        for _ in range(gen.between(1, 2)):
            at = datetime.combine(gen.today - timedelta(days=gen.between(1, 25)), time(gen.between(8, 17), 0))
            member, usage = gen.rng.choice(members), gen.rng.choice(("viewed", "viewed", "adopted"))
            records.append(UsageEvent(id=gen.new_id(), resource_id=resource.id, member_id=member.id, kind=usage,
                                      at=at))  # fmt: skip
    return records


# -- entry point ----------------------------------------------------------------------------------------


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
    gen = _Generator(random.Random(seed), today, site)
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
