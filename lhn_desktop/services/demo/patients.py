"""The simulated patients: demographics, three years of visits, observations, medications, screenings, the
upcoming clinic and the families' voice, all from one random stream.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TypedDict

from lhn_desktop.clinical import indices
from lhn_desktop.clinical.observations import read_value
from lhn_desktop.models.goals import CollaborateResponse, GoalFollowUp, PatientGoal, Task
from lhn_desktop.models.patients import ClinicalEvent, Medication, Observation, Patient, Visit
from lhn_desktop.models.planning import AgendaItem, PrevisitPlan
from lhn_desktop.models.team import Role, TeamMember
from lhn_desktop.services.demo.content import (
    AGENDA,
    CLINIC_WEEKDAYS,
    CROHN,
    FAMILY_NAMES,
    FLU_VACCINE,
    GAS_NOTES,
    GIVEN_NAMES,
    GOALS,
    HEIGHT_MEDIAN,
    IBDU,
    LABS,
    PGA_STATES,
    SCREENINGS,
    SOURCE,
    TASKS,
    TEAM,
    TRANSITIONS,
    UC,
    WEIGHT_MEDIAN,
    YEARLY_NS,
)
from lhn_desktop.services.demo.dates import add_years, age_on, next_clinic_day, slot_time, tenths
from lhn_desktop.services.registry import PatientInput, apply_patient, clean_patient, new_patient
from lhn_desktop.services.visits import index_code_for


class Classification(TypedDict, total=False):
    """The Paris classification (Crohn disease) or the extent and severity (ulcerative colitis) of a patient."""

    paris_location: str
    paris_upper_gi: str | None
    paris_behaviour: str
    paris_perianal: bool
    paris_growth: str
    uc_extent: str
    uc_severity: str


@dataclass(slots=True)
class SeenVisit:
    """A completed visit, as the schedule and the family's voice need it."""

    on: date


@dataclass(slots=True)
class PatientHistory:
    """One simulated patient: the records to write and the facts the schedule and the measures need."""

    patient: Patient
    clinician: str
    growth: tuple[float, float]  # the patient's height and weight factors against the median curves
    records: list = field(default_factory=list)
    seen: list[SeenVisit] = field(default_factory=list)
    steroids: list[tuple[date, date | None]] = field(default_factory=list)
    scheduled: Visit | None = None


class CenterSimulator:
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

    def patient(self, index: int) -> PatientHistory:
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
        classification: Classification = {} if rng.random() < 0.07 else self.classification(diagnosis)
        active = not (age >= 19 and rng.random() < 0.3)  # some young adults have moved to adult care
        patient_id = self.new_id()
        entry = PatientInput(
            mrn=f"DEMO-{index + 1:06d}", given_name=given, family_name=family, birth_date=birth, sex=sex,
            diagnosis=diagnosis, diagnosis_date=dx, **classification, phone=f"555-01{rng.randrange(100):02d}",
            email=f"{given}.{family}@example.org".lower(),
        )  # fmt: skip
        patient = new_patient(clean_patient(entry, today), id=patient_id)  # the registry's own rules
        growth = (min(1.1, max(0.9, rng.gauss(1, 0.04))), min(1.35, max(0.75, rng.gauss(1, 0.12))))
        h = PatientHistory(patient, rng.choice(self.physicians), growth, records=[patient])
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

    def classification(self, diagnosis: str) -> Classification:
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

    def growth_at(self, h: PatientHistory, on: date, state: int) -> tuple[int, int]:
        """Height and weight in tenths (cm, kg) on a date; active disease costs weight."""
        p = h.patient
        years = min(20.0, max(2.0, (on - p.birth_date).days / 365.25))
        i = min(17, int(years) - 2)
        frac = years - 2 - i
        h_med, w_med = HEIGHT_MEDIAN[p.sex], WEIGHT_MEDIAN[p.sex]
        height = (h_med[i] + (h_med[i + 1] - h_med[i]) * frac) * h.growth[0]
        weight = (w_med[i] + (w_med[i + 1] - w_med[i]) * frac) * h.growth[1] * (1 - 0.03 * state)
        return round(height * 10), round(weight * 10 * self.rng.uniform(0.99, 1.01))

    def visits(self, h: PatientHistory, plan: dict[str, tuple[str, date]], end: date) -> None:
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

    def observations(self, h: PatientHistory, visit: Visit, state: int, last_height: int) -> int:
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
        h.seen.append(SeenVisit(d))
        return height

    def on_steroid(self, h: PatientHistory, on: date) -> bool:
        return any(start <= on and (stop is None or stop > on) for start, stop in h.steroids)

    def prednisone(self, h: PatientHistory, start: date, state: int) -> None:
        """A tapering prednisone course of 8-12 weeks (1 mg/kg, at most 40 mg); ongoing if it ends after today."""
        _, weight = self.growth_at(h, start, state)
        dose = max(10, min(40, round(weight / 50) * 5))
        stop = start + timedelta(weeks=self.between(8, 12))
        stop_date = stop if stop <= self.today else None
        h.steroids.append((start, stop_date))
        h.records.append(Medication(id=self.new_id(), patient_id=h.patient.id, drug="prednisone",
                                    drug_class="corticosteroid", dose=f"{dose} mg daily, tapering",
                                    start_date=start, stop_date=stop_date))  # fmt: skip

    def medications(self, h: PatientHistory, plan: dict[str, tuple[str, date]]) -> None:
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

    def tpmt(self, h: PatientHistory, thiopurine_start: date) -> None:
        """TPMT status before the thiopurine for most patients; missing, or only measured afterwards, for a few."""
        timing = self.pick((("before", 0.88), ("missing", 0.08), ("after", 0.04)))
        value = self.pick((("normal", 0.89), ("intermediate", 0.1), ("low", 0.01)))
        days = -self.between(7, 40) if timing == "before" else self.between(10, 60)
        on = thiopurine_start + timedelta(days=days)
        if timing != "missing" and on <= self.today:
            h.records.append(self.observation(h.patient, None, "TPMT", value, None, on))

    def screening(self, h: PatientHistory, anti_tnf_start: date) -> None:
        """TB, hepatitis B and varicella screening before an anti-TNF; incomplete for about one in ten."""
        complete = self.rng.random() < 0.9
        for code, result in SCREENINGS:
            on = anti_tnf_start - timedelta(days=self.between(7, 40))
            done, negative_vzv = self.rng.random() < 0.4, self.rng.random() < 0.05
            if complete or done:
                result = "negative" if code == "Varicella IgG" and negative_vzv else result
                h.records.append(ClinicalEvent(id=self.new_id(), patient_id=h.patient.id, kind="screening",
                                               code=code, event_date=on, result=result))  # fmt: skip

    def immunizations(self, h: PatientHistory, end: date) -> None:
        """An inactivated influenza vaccine each autumn for most patients, missed sometimes."""
        rng, p = self.rng, h.patient
        compliance = rng.uniform(0.45, 0.97)
        for year in range(self.window_start.year, self.today.year + 1):
            on = date(year, 9, 20) + timedelta(days=self.between(0, 70))
            if rng.random() < compliance and self.window_start <= on <= end:
                h.records.append(ClinicalEvent(id=self.new_id(), patient_id=p.id, kind="immunization",
                                               code=FLU_VACCINE, event_date=on, result="given"))  # fmt: skip

    def previsit_plans(self, h: PatientHistory) -> None:
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

    def yearly_checks(self, h: PatientHistory) -> None:
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

    def collaborate(self, h: PatientHistory, visit: Visit) -> None:
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
    def schedule(self, histories: list[PatientHistory], days: tuple[date, ...]) -> list[PatientHistory]:
        """8-12 scheduled visits per clinic day, distinct patients per day, preferring patients due a visit.

        Returns the scheduled patients in order of their first upcoming visit.
        """
        active = [h for h in histories if h.patient.active]
        clinician_on = {weekday: name for name, weekday in self.clinic_weekday.items()}
        scheduled: list[PatientHistory] = []
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

    def family_voice(self, h: PatientHistory) -> None:
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

    def follow_ups(self, h: PatientHistory, goal: PatientGoal) -> None:
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
