"""Shared goal setting with the family: goals at three levels with GAS follow-ups, tasks, collaboRATE.

Everything here belongs to one patient and is patient-level information: patient and parent
partners are refused by every method, whatever the screen shows.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from sqlalchemy import select

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.errors import LhnError, NotFound, ValidationError
from lhn_desktop.models.goals import CollaborateResponse, GoalFollowUp, PatientGoal, Task
from lhn_desktop.models.patients import Patient, Visit
from lhn_desktop.models.planning import AgendaItem
from lhn_desktop.models.team import Site
from lhn_desktop.services import scoring
from lhn_desktop.store.database import Database

GOAL_LEVELS = {"fundamental": "What life is for", "functional": "Everyday life", "disease": "Disease or symptom"}
GOAL_OWNERS = {"patient": "Patient", "parent": "Parent", "team": "Care team"}
GOAL_STATUSES = {"active": "Active", "achieved": "Achieved", "stopped": "Stopped"}
TASK_RESPONSIBLE = {"patient": "Patient", "family": "Family member", "team": "Team member"}
RESPONDENTS = ("patient", "parent")


@cache
def collaborate_form() -> dict:
    """The collaboRATE wording, scale and attribution (content/collaborate.json), never reworded."""
    from lhn_desktop.paths import content_dir

    return json.loads((content_dir() / "collaborate.json").read_text(encoding="utf-8"))


@dataclass(frozen=True)
class FollowUp:
    id: str
    on: date
    gas_score: int
    satisfied: bool | None
    note: str | None


@dataclass(frozen=True)
class Goal:
    id: str
    level: str
    text: str
    owner: str
    target_date: date | None
    review_date: date | None
    status: str
    serves_goal_id: str | None
    baseline: int
    weight: int
    follow_ups: tuple[FollowUp, ...]

    @property
    def latest_score(self) -> int | None:
        return self.follow_ups[-1].gas_score if self.follow_ups else None


@dataclass(frozen=True)
class TaskItem:
    id: str
    what: str
    responsible: str
    responsible_name: str | None
    due_date: date | None
    done_on: date | None

    def overdue(self, today: date) -> bool:
        return self.done_on is None and self.due_date is not None and self.due_date < today


@dataclass(frozen=True)
class CollaborateEntry:
    id: str
    answered_on: date
    respondent: str
    items: tuple[int | None, int | None, int | None]

    @property
    def complete(self) -> bool:
        return scoring.is_complete(self.items)

    @property
    def top_box(self) -> bool:
        return self.complete and all(v == scoring.COLLABORATE_TOP for v in self.items)


@dataclass(frozen=True)
class PatientCare:
    goals: tuple[Goal, ...]
    tasks: tuple[TaskItem, ...]
    collaborate: tuple[CollaborateEntry, ...]
    #: the combined GAS T-score of active goals at their latest follow-up (None without follow-ups)
    t_score: float | None
    t_score_weighted: float | None


def _clean(text: str | None, what: str, limit: int) -> str:
    value = " ".join((text or "").split())
    if not value:
        raise ValidationError(f"Write the {what}.")
    if len(value) > limit:
        raise ValidationError(f"Keep the {what} under {limit} characters.")
    return value


class GoalService:
    def __init__(self, db: Database, *, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    def care(self, actor: Actor, patient_id: str) -> PatientCare:
        """A patient's goals with follow-ups, tasks and collaboRATE responses."""
        require_patient_access(actor)
        with self.db.read() as s:
            if s.get(Patient, patient_id) is None:
                raise NotFound("That patient is no longer in LHN Desktop.")
            goals = s.scalars(select(PatientGoal).where(PatientGoal.patient_id == patient_id)).all()
            ids = [g.id for g in goals]
            follow_ups: dict[str, list[FollowUp]] = {}
            for f in s.scalars(
                select(GoalFollowUp).where(GoalFollowUp.goal_id.in_(ids)).order_by(GoalFollowUp.followed_up_on)
            ):
                follow_ups.setdefault(f.goal_id, []).append(
                    FollowUp(f.id, f.followed_up_on, f.gas_score, f.satisfied_with_progress, f.note)
                )
            levels = list(GOAL_LEVELS)
            goals = sorted(goals, key=lambda g: (levels.index(g.level) if g.level in levels else 9,
                                                 g.target_date or date.max, g.text))  # fmt: skip
            goal_items = tuple(
                Goal(
                    g.id,
                    g.level,
                    g.text,
                    g.owner,
                    g.target_date,
                    g.review_date,
                    g.status,
                    g.serves_goal_id,
                    g.gas_baseline,
                    g.gas_weight,
                    tuple(follow_ups.get(g.id, ())),
                )
                for g in goals
            )
            tasks = tuple(
                TaskItem(t.id, t.what, t.responsible, t.responsible_name, t.due_date, t.done_on)
                for t in s.scalars(
                    select(Task).where(Task.patient_id == patient_id).order_by(Task.done_on.is_not(None), Task.due_date)
                )
            )
            responses = tuple(
                CollaborateEntry(r.id, r.answered_on, r.respondent, (r.item1, r.item2, r.item3))
                for r in s.scalars(
                    select(CollaborateResponse)
                    .where(CollaborateResponse.patient_id == patient_id)
                    .order_by(CollaborateResponse.answered_on)
                )
            )
        scored = [(g.latest_score, g.weight) for g in goal_items if g.status == "active" and g.latest_score is not None]
        scores, weights = [score for score, _ in scored], [weight for _, weight in scored]
        t = scoring.gas_t_score(scores) if scored else None
        tw = scoring.gas_t_score(scores, weights) if scored else None
        return PatientCare(goal_items, tasks, responses, t, tw)

    def visit_summary(self, actor: Actor, patient_id: str, path: str | Path) -> Path:
        """The family's visit summary PDF: this patient's goals, tasks, agenda and medicines only."""
        from lhn_desktop.reports.visit_summary import write_visit_summary
        from lhn_desktop.services.patients import PatientService
        from lhn_desktop.services.planning import AgendaEntry

        require_patient_access(actor)
        target = Path(path)
        if target.suffix.lower() != ".pdf":
            raise ValidationError("The visit summary is a PDF; name the file with .pdf.")
        if not target.parent.is_dir():
            raise NotFound(f"There is no folder {target.parent}; choose an existing folder.")
        detail = PatientService(self.db, today=self.today).get(actor, patient_id)
        care = self.care(actor, patient_id)
        with self.db.read() as s:
            agenda = [
                AgendaEntry(a.id, a.kind, a.text, a.source, a.entered_on, a.addressed)
                for a in s.scalars(
                    select(AgendaItem).where(AgendaItem.patient_id == patient_id).order_by(AgendaItem.entered_on)
                )
                if not a.addressed or a.entered_on >= self.today() - timedelta(days=90)
            ]
            site = s.scalars(select(Site).where(Site.code == self.db.local_node().site_code)).first()
            center, phone = (site.name, site.clinic_phone) if site is not None else ("", None)
        try:
            return write_visit_summary(detail, care, agenda, center, self.today(), target, clinic_phone=phone)
        except OSError as exc:
            raise LhnError(f"The visit summary could not be written to {target}: {exc.strerror or exc}.") from None

    # -- goals -------------------------------------------------------------------------------------------------

    def add_goal(
        self,
        actor: Actor,
        patient_id: str,
        *,
        level: str,
        text: str,
        owner: str,
        target_date: date | None = None,
        review_date: date | None = None,
        serves_goal_id: str | None = None,
        baseline: int = -1,
        weight: int = 1,
    ) -> str:
        """A goal in the patient's (or parent's) own words, with its GAS baseline (-1, or -2 if nothing is worse)."""
        require_patient_access(actor)
        if level not in GOAL_LEVELS:
            raise ValidationError(f"A goal's level is one of: {', '.join(GOAL_LEVELS)}.")
        if owner not in GOAL_OWNERS:
            raise ValidationError(f"A goal belongs to the {', '.join(GOAL_OWNERS)}.")
        if baseline not in (-1, -2):
            raise ValidationError("The GAS baseline is -1, or -2 when no worse state is possible.")
        if not 1 <= weight <= 10:
            raise ValidationError("A goal's weight is a whole number from 1 to 10.")
        if target_date and review_date and review_date > target_date:
            raise ValidationError("Review the goal on or before its target date.")
        words = _clean(text, "goal in the patient's own words", 500)
        with self.db.write(actor) as s:
            if s.get(Patient, patient_id) is None:
                raise NotFound("That patient is no longer in LHN Desktop.")
            if serves_goal_id is not None:
                served = s.get(PatientGoal, serves_goal_id)
                if served is None or served.patient_id != patient_id:
                    raise ValidationError("A goal can only serve another goal of the same patient.")
            goal = PatientGoal(patient_id=patient_id, level=level, text=words, owner=owner, target_date=target_date,
                               review_date=review_date, serves_goal_id=serves_goal_id, status="active",
                               gas_baseline=baseline, gas_weight=weight)  # fmt: skip
            s.add(goal)
            s.flush()
            return goal.id

    def add_follow_up(
        self, actor: Actor, goal_id: str, on: date, gas_score: float, satisfied: bool | None, note: str | None = None
    ) -> str:
        """A GAS follow-up (-2..+2; -0.5 partial progress is recorded as -1) and the 'satisfied' item."""
        require_patient_access(actor)
        try:
            reported = scoring.gas_reported(gas_score)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if on > self.today():
            raise ValidationError("A follow-up records what happened; its date cannot be in the future.")
        with self.db.write(actor) as s:
            goal = s.get(PatientGoal, goal_id)
            if goal is None:
                raise NotFound("That goal is no longer recorded.")
            follow = GoalFollowUp(goal_id=goal_id, followed_up_on=on, gas_score=reported,
                                  satisfied_with_progress=satisfied, note=(note or "").strip() or None)  # fmt: skip
            s.add(follow)
            s.flush()
            return follow.id

    def set_goal_status(self, actor: Actor, goal_id: str, status: str) -> None:
        require_patient_access(actor)
        if status not in GOAL_STATUSES:
            raise ValidationError(f"A goal is {', '.join(GOAL_STATUSES)}.")
        with self.db.write(actor) as s:
            goal = s.get(PatientGoal, goal_id)
            if goal is None:
                raise NotFound("That goal is no longer recorded.")
            goal.status = status

    # -- tasks -------------------------------------------------------------------------------------------------

    def add_task(
        self, actor: Actor, patient_id: str, what: str, responsible: str, responsible_name: str | None, due: date | None
    ) -> str:
        require_patient_access(actor)
        if responsible not in TASK_RESPONSIBLE:
            raise ValidationError(f"A task is for the {', '.join(TASK_RESPONSIBLE)}.")
        text = _clean(what, "task", 300)
        with self.db.write(actor) as s:
            if s.get(Patient, patient_id) is None:
                raise NotFound("That patient is no longer in LHN Desktop.")
            task = Task(patient_id=patient_id, what=text, responsible=responsible,
                        responsible_name=(responsible_name or "").strip() or None, due_date=due)  # fmt: skip
            s.add(task)
            s.flush()
            return task.id

    def complete_task(self, actor: Actor, task_id: str, done: bool = True) -> None:
        require_patient_access(actor)
        with self.db.write(actor) as s:
            task = s.get(Task, task_id)
            if task is None:
                raise NotFound("That task is no longer recorded.")
            task.done_on = self.today() if done else None

    # -- collaboRATE -------------------------------------------------------------------------------------------

    def record_collaborate(
        self, actor: Actor, patient_id: str, respondent: str, items: tuple, visit_id: str | None = None
    ) -> str:
        """One collaboRATE response (items may be None when unanswered; such responses are not scored)."""
        require_patient_access(actor)
        if respondent not in RESPONDENTS:
            raise ValidationError("collaboRATE is answered by the patient or a parent.")
        if len(items) != 3:
            raise ValidationError("collaboRATE has three questions.")
        try:
            answers = tuple(scoring.check_item(v) for v in items)
        except ValueError as exc:
            raise ValidationError(str(exc)) from None
        if all(v is None for v in answers):
            raise ValidationError("No question was answered; nothing was saved.")
        with self.db.write(actor) as s:
            if s.get(Patient, patient_id) is None:
                raise NotFound("That patient is no longer in LHN Desktop.")
            if visit_id is not None:
                visit = s.get(Visit, visit_id)
                if visit is None or visit.patient_id != patient_id:
                    raise ValidationError("The visit is not this patient's.")
            response = CollaborateResponse(patient_id=patient_id, visit_id=visit_id, respondent=respondent,
                                           answered_on=self.today(), item1=answers[0], item2=answers[1],
                                           item3=answers[2])  # fmt: skip
            s.add(response)
            s.flush()
            return response.id

    def collaborate_by_month(self, months: list[str]) -> dict[str, scoring.CollaborateSummary]:
        """The center's collaboRATE per month (counts only: no patient-level data, for the measures work)."""
        out: dict[str, list] = {m: [] for m in months}
        with self.db.read() as s:
            for on, a, b, c in s.execute(
                select(CollaborateResponse.answered_on, CollaborateResponse.item1, CollaborateResponse.item2,
                       CollaborateResponse.item3)
            ):  # fmt: skip
                key = f"{on:%Y-%m}"
                if key in out:
                    out[key].append((a, b, c))
        return {m: scoring.summarize_collaborate(rows) for m, rows in out.items()}
