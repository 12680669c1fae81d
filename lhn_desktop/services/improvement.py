"""The center's improvement work: 90-day goals, driver diagrams, PDSA worksheets and ramps, progress scores.

No patient-level data lives here, so patient and parent partners take part fully (they can own goals).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from lhn_desktop.access import Actor
from lhn_desktop.errors import LhnError, NotFound, ValidationError
from lhn_desktop.models.improvement import DriverNode, ImprovementGoal, ImprovementGoalMeasure, PdsaCycle, ProgressScore
from lhn_desktop.models.measures import MeasureDefinition, MeasureValue
from lhn_desktop.services import improvement_rules as rules
from lhn_desktop.services.words import improvement as improvement_words
from lhn_desktop.store.database import Database

if TYPE_CHECKING:
    from lhn_desktop.charts.driver_diagram import DiagramSpec

GOAL_DAYS = 90
NODE_KINDS = {"aim": "Aim", "primary": "Primary driver", "secondary": "Secondary driver", "change_idea": "Change idea"}
#: which kind of node may sit under which
PARENT_KINDS = {"aim": (None,), "primary": ("aim",), "secondary": ("primary",), "change_idea": ("primary", "secondary")}
CYCLE_STATUSES = ("planning", "doing", "studying", "done")
CLOSEOUT = {"met": "Met", "partly_met": "Partly met", "not_met": "Not met"}
TEXT_FIELDS = ("title", "purpose", "objective", "plan_who", "plan_what", "plan_when", "plan_where", "plan_tasks",
               "data_plan", "do_observations", "do_problems", "study_summary", "act_next_step")  # fmt: skip


@dataclass(frozen=True)
class DriverItem:
    id: str
    parent_id: str | None
    kind: str
    text: str
    position: int


@dataclass(frozen=True)
class ProgressEntry:
    scored_on: date
    score: float
    suggested: float | None
    evidence: str | None


@dataclass(frozen=True)
class GoalDetail:
    id: str
    title: str
    aim: str
    baseline: str | None
    target: str | None
    owner_member_id: str | None
    team: str | None
    start_date: date
    end_date: date
    status: str
    closeout_result: str | None
    closeout_learning: str | None
    measure_codes: tuple[str, ...]
    drivers: tuple[DriverItem, ...]
    cycles: tuple[rules.Cycle, ...]
    progress: tuple[ProgressEntry, ...]
    hints: tuple[rules.Hint, ...]
    #: the linked measures' titles, in the order of ``measure_codes`` (people read titles, not codes)
    measure_titles: tuple[str, ...] = ()


def driver_diagram(goal: GoalDetail) -> DiagramSpec:
    """The goal's key driver diagram as a picture to show or save."""
    from lhn_desktop.charts.driver_diagram import DiagramSpec

    return DiagramSpec(tuple((d.id, d.parent_id, d.kind, d.text) for d in goal.drivers), goal.title)


def _cycle(c: PdsaCycle) -> rules.Cycle:
    questions = tuple(
        rules.Question(q.get("q", ""), q.get("prediction", ""), q.get("result", "")) for q in json.loads(c.questions)
    )
    return rules.Cycle(
        id=c.id, seq=c.seq, title=c.title, purpose=c.purpose, objective=c.objective, questions=questions,
        plan_who=c.plan_who, plan_what=c.plan_what, plan_when=c.plan_when, plan_where=c.plan_where,
        plan_tasks=c.plan_tasks, data_plan=c.data_plan, do_as_planned=c.do_as_planned,
        do_observations=c.do_observations, do_problems=c.do_problems, study_summary=c.study_summary,
        act_decision=c.act_decision, act_next_step=c.act_next_step, scale_n=c.scale_n, scale_unit=c.scale_unit,
        start_date=c.start_date, end_date=c.end_date, status=c.status, goal_id=c.goal_id,
        change_idea_id=c.change_idea_id, parent_cycle_id=c.parent_cycle_id,
    )  # fmt: skip


def _text(value: str | None, limit: int = 4000) -> str | None:
    cleaned = (value or "").strip()
    if len(cleaned) > limit:
        raise ValidationError(f"Keep each worksheet field under {limit} characters.")
    return cleaned or None


class ImprovementService:
    def __init__(self, db: Database, *, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    # -- goals -------------------------------------------------------------------------------------------------

    def goal(self, goal_id: str) -> GoalDetail:
        with self.db.read() as s:
            g = s.get(ImprovementGoal, goal_id)
            if g is None:
                raise NotFound("That 90-day goal is no longer recorded.")
            codes = tuple(
                s.scalars(
                    select(MeasureDefinition.code)
                    .join(ImprovementGoalMeasure, ImprovementGoalMeasure.measure_id == MeasureDefinition.id)
                    .where(ImprovementGoalMeasure.goal_id == goal_id)
                )
            )
            drivers = tuple(
                DriverItem(n.id, n.parent_id, n.kind, n.text, n.position)
                for n in s.scalars(
                    select(DriverNode).where(DriverNode.goal_id == goal_id).order_by(DriverNode.position)
                )
            )
            cycles = tuple(
                _cycle(c)
                for c in s.scalars(select(PdsaCycle).where(PdsaCycle.goal_id == goal_id).order_by(PdsaCycle.seq))
            )
            progress = tuple(
                ProgressEntry(
                    p.scored_on,
                    p.score_tenths / 10,
                    None if p.suggested_tenths is None else p.suggested_tenths / 10,
                    p.evidence,
                )
                for p in s.scalars(
                    select(ProgressScore).where(ProgressScore.goal_id == goal_id).order_by(ProgressScore.scored_on)
                )
            )
        children = {c.parent_cycle_id for c in cycles if c.parent_cycle_id}
        with self.db.read() as s:
            query = select(MeasureDefinition.code, MeasureDefinition.title).where(MeasureDefinition.code.in_(codes))
            by_code = {code: title for code, title in s.execute(query)}
        titles = tuple(by_code.get(code, code) for code in codes)
        hints = rules.goal_hints(g.aim, measures_linked=len(codes), end_date=g.end_date, measure_titles=titles)
        by_idea: dict[str | None, list[rules.Cycle]] = {}
        for c in cycles:
            hints += rules.cycle_hints(c, has_follow_up=c.id in children, today=self.today())
            by_idea.setdefault(c.change_idea_id, []).append(c)
        for ramp in by_idea.values():
            hints += rules.ramp_hints(ramp)
        return GoalDetail(g.id, g.title, g.aim, g.baseline, g.target, g.owner_member_id, g.team, g.start_date,
                          g.end_date, g.status, g.closeout_result, g.closeout_learning, codes, drivers, cycles,
                          progress, tuple(hints), titles)  # fmt: skip

    def save_goal(
        self,
        actor: Actor,
        goal_id: str | None,
        *,
        title: str,
        aim: str,
        baseline: str | None = None,
        target: str | None = None,
        owner_member_id: str | None = None,
        team: str | None = None,
        start_date: date | None = None,
        end_date: date | None = None,
    ) -> str:
        """Create or update a 90-day goal (ending 90 days after its start unless told otherwise)."""
        title_text = _text(title, 200)
        aim_text = _text(aim)
        if not title_text or not aim_text:
            raise ValidationError("A 90-day goal needs a short title and its aim in one sentence.")
        start = start_date or self.today()
        end = end_date or start + timedelta(days=GOAL_DAYS)
        if end <= start:
            raise ValidationError("The goal must end after it starts.")
        with self.db.write(actor) as s:
            goal = s.get(ImprovementGoal, goal_id) if goal_id else ImprovementGoal(status="active")
            if goal is None:
                raise NotFound("That 90-day goal is no longer recorded.")
            goal.title, goal.aim, goal.baseline, goal.target = title_text, aim_text, _text(baseline), _text(target)
            goal.owner_member_id, goal.team, goal.start_date, goal.end_date = owner_member_id, _text(team), start, end
            if goal_id is None:
                s.add(goal)
            s.flush()
            return goal.id

    def link_measure(self, actor: Actor, goal_id: str, code: str) -> None:
        with self.db.write(actor) as s:
            measure = s.scalar(select(MeasureDefinition).where(MeasureDefinition.code == code))
            if measure is None:
                raise NotFound(f"There is no measure {code!r}.")
            exists = s.scalar(
                select(ImprovementGoalMeasure).where(
                    ImprovementGoalMeasure.goal_id == goal_id, ImprovementGoalMeasure.measure_id == measure.id
                )
            )
            if exists is None:
                s.add(ImprovementGoalMeasure(goal_id=goal_id, measure_id=measure.id))

    def close_out(self, actor: Actor, goal_id: str, result: str, learning: str) -> None:
        if result not in CLOSEOUT:
            raise ValidationError(f"A goal closes as {', '.join(CLOSEOUT.values()).lower()}.")
        lesson = _text(learning)
        if not lesson:
            raise ValidationError("Write what the team learned: it is the most useful part of the close-out.")
        with self.db.write(actor) as s:
            goal = s.get(ImprovementGoal, goal_id)
            if goal is None:
                raise NotFound("That 90-day goal is no longer recorded.")
            goal.status, goal.closeout_result, goal.closeout_learning = "closed", result, lesson

    # -- the driver diagram ----------------------------------------------------------------------------------------

    def add_driver(self, actor: Actor, goal_id: str, parent_id: str | None, kind: str, text: str) -> str:
        if kind not in NODE_KINDS:
            raise ValidationError(f"A diagram box is one of: {', '.join(NODE_KINDS.values()).lower()}.")
        words = _text(text, 300)
        if not words:
            raise ValidationError("Write the text of the box.")
        with self.db.write(actor) as s:
            parent = s.get(DriverNode, parent_id) if parent_id else None
            if parent_id and (parent is None or parent.goal_id != goal_id):
                raise NotFound("The box to add under is no longer in this diagram.")
            parent_kind = parent.kind if parent else None
            if parent_kind not in PARENT_KINDS[kind]:
                allowed = " or ".join(NODE_KINDS[k].lower() if k else "the top" for k in PARENT_KINDS[kind])
                raise ValidationError(f"A {NODE_KINDS[kind].lower()} goes under {allowed}.")
            siblings = s.scalars(select(DriverNode.position).where(DriverNode.goal_id == goal_id,
                                                                  DriverNode.parent_id == parent_id)).all()  # fmt: skip
            node = DriverNode(goal_id=goal_id, parent_id=parent_id, kind=kind, text=words,
                              position=max(siblings, default=-1) + 1)  # fmt: skip
            s.add(node)
            s.flush()
            return node.id

    def edit_driver(self, actor: Actor, node_id: str, text: str) -> None:
        words = _text(text, 300)
        if not words:
            raise ValidationError("Write the text of the box.")
        with self.db.write(actor) as s:
            node = s.get(DriverNode, node_id)
            if node is None:
                raise NotFound("That box is no longer in the diagram.")
            node.text = words

    def remove_driver(self, actor: Actor, node_id: str) -> None:
        with self.db.write(actor) as s:
            node = s.get(DriverNode, node_id)
            if node is None:
                raise NotFound("That box is no longer in the diagram.")
            if s.scalar(select(DriverNode.id).where(DriverNode.parent_id == node_id).limit(1)):
                raise ValidationError("Remove the boxes under it first.")
            if s.scalar(select(PdsaCycle.id).where(PdsaCycle.change_idea_id == node_id).limit(1)):
                raise ValidationError("PDSA cycles test this change idea; it stays while they are recorded.")
            s.delete(node)

    # -- PDSA cycles ---------------------------------------------------------------------------------------------

    def cycle(self, cycle_id: str) -> rules.Cycle:
        with self.db.read() as s:
            c = s.get(PdsaCycle, cycle_id)
            if c is None:
                raise NotFound("That PDSA cycle is no longer recorded.")
            return _cycle(c)

    def save_cycle(self, actor: Actor, cycle: rules.Cycle) -> str:
        """Write a whole worksheet (a new cycle when ``cycle.id`` is None)."""
        if not _text(cycle.title, 200):
            raise ValidationError("Give the cycle a short title.")
        if cycle.status not in CYCLE_STATUSES:
            raise ValidationError(f"A cycle is {', '.join(CYCLE_STATUSES)}.")
        if cycle.act_decision is not None and cycle.act_decision not in rules.DECISIONS:
            raise ValidationError("The decision is adopt, adapt or abandon.")
        if cycle.scale_n is not None and not 1 <= cycle.scale_n <= 100_000:
            raise ValidationError("The scale of a test is a number of people, clinicians or days, 1 or more.")
        if cycle.start_date and cycle.end_date and cycle.end_date < cycle.start_date:
            raise ValidationError("The cycle must end on or after its start.")
        questions = [{"q": q.text.strip(), "prediction": q.prediction.strip(), "result": q.result.strip()}
                     for q in cycle.questions if q.text.strip()]  # fmt: skip
        fields = asdict(cycle)
        fields.pop("id")
        fields["questions"] = json.dumps(questions, ensure_ascii=False)
        for name in TEXT_FIELDS:
            fields[name] = _text(fields[name])
        with self.db.write(actor) as s:
            record = s.get(PdsaCycle, cycle.id) if cycle.id else PdsaCycle()
            if record is None:
                raise NotFound("That PDSA cycle is no longer recorded.")
            for name, value in fields.items():
                setattr(record, name, value)
            if cycle.id is None:
                s.add(record)
            s.flush()
            return record.id

    def next_cycle(self, actor: Actor, cycle_id: str) -> str:
        """A new cycle on the ramp with this one's plan copied (DOMAIN.md 3.2)."""
        following = rules.next_cycle(self.cycle(cycle_id))
        with self.db.read() as s:
            taken = s.scalars(select(PdsaCycle.seq).where(PdsaCycle.goal_id == following.goal_id)).all()
        from dataclasses import replace

        return self.save_cycle(actor, replace(following, seq=max([*taken, following.seq - 1]) + 1))

    # -- pictures and write-ups ----------------------------------------------------------------------------------

    def export_diagram(self, goal_id: str, path: str | Path) -> Path:
        """The key driver diagram as PNG or PDF."""
        from lhn_desktop.charts import spc_chart

        goal = self.goal(goal_id)
        if Path(path).suffix.lower() not in (".png", ".pdf", ".svg"):
            raise ValidationError("Save the diagram as .png or .pdf.")
        figure = driver_diagram(goal).figure()
        try:
            return spc_chart.save(figure, path)
        except OSError as exc:
            raise LhnError(f"The diagram could not be written to {path}: {exc.strerror or exc}.") from None

    def ramp_pdf(self, goal_id: str, cycle_id: str | None, path: str | Path, *, only_cycle: bool = False) -> Path:
        """A PDSA write-up as a PDF: one cycle (``only_cycle``), the ramp of ``cycle_id``'s change idea, or every
        cycle of the goal."""
        from lhn_desktop.reports.pdsa import write_pdsa

        if Path(path).suffix.lower() != ".pdf":
            raise ValidationError("The PDSA write-up is a PDF; name the file with .pdf.")
        goal = self.goal(goal_id)
        cycles = list(goal.cycles)
        idea_text = None
        if cycle_id is not None:
            chosen = next((c for c in cycles if c.id == cycle_id), None)
            if chosen is None:
                raise NotFound("That PDSA cycle is no longer recorded.")
            cycles = [chosen] if only_cycle else [c for c in cycles if c.change_idea_id == chosen.change_idea_id]
            idea_text = next((d.text for d in goal.drivers if d.id == chosen.change_idea_id), None)
        if not cycles:
            raise ValidationError("This goal has no PDSA cycles to write up yet.")
        try:
            return write_pdsa(goal.title, goal.aim, idea_text, cycles, path)
        except OSError as exc:
            raise LhnError(f"The PDSA write-up could not be written to {path}: {exc.strerror or exc}.") from None

    # -- progress ----------------------------------------------------------------------------------------------

    def evidence(self, goal_id: str) -> rules.ProgressEvidence:
        detail = self.goal(goal_id)
        with self.db.read() as s:
            charted = 0
            for code in detail.measure_codes:
                measure_id = s.scalar(select(MeasureDefinition.id).where(MeasureDefinition.code == code))
                if s.scalar(select(MeasureValue.id).where(MeasureValue.measure_id == measure_id).limit(1)):
                    charted += 1
        reading = self._chart_reading(detail)
        tested = sum(1 for c in detail.cycles if c.status in ("studying", "done") or c.act_decision)
        return rules.ProgressEvidence(
            aim_set=bool(detail.aim), team_set=bool(detail.team or detail.owner_member_id),
            drivers=sum(1 for d in detail.drivers if d.kind != "aim"), cycles_planned=len(detail.cycles),
            cycles_tested=tested, measures_linked=len(detail.measure_codes), measures_charted=charted,
            improvement_signal=reading.signal, fraction_of_target=reading.fraction_of_target,
            months_at_target=reading.months_at_target, has_target=reading.has_target,
        )  # fmt: skip

    def _chart_reading(self, detail: GoalDetail) -> rules.ChartReading:
        """The best reading among the goal's linked measures' charts (see ``rules.read_chart``)."""
        from lhn_desktop.services.measures import MeasureService

        measures = MeasureService(self.db, today=self.today)
        best = rules.ChartReading()
        for code in detail.measure_codes:
            try:
                chart = measures.chart(code)
            except (NotFound, ValidationError):
                continue  # no month with data yet: nothing to read
            # the goal's own target and baseline when the team wrote them as numbers, else the measure's target
            # and the chart's baseline
            target = rules.level_of(detail.target)
            reading = rules.read_chart(
                chart.result.points, up=chart.measure.direction == "up", since=detail.start_date or self.today(),
                target=chart.measure.target if target is None else target,
                before=rules.level_of(detail.baseline) if target is not None else None,
            )  # fmt: skip
            best = max(best, reading, key=rules.ChartReading.rank)
        return best

    def suggest_progress(self, goal_id: str) -> tuple[float, list[str]]:
        return rules.suggest_progress(self.evidence(goal_id))

    def record_progress(self, actor: Actor, goal_id: str, score: float, note: str | None = None) -> None:
        """Record the team's score (0.5-5.0 in halves) next to the suggestion, with the evidence in words."""
        if score * 2 != int(score * 2) or not 0.5 <= score <= 5.0:
            raise ValidationError("The IHI progress score runs from 0.5 to 5.0 in steps of 0.5.")
        suggested, reasons = self.suggest_progress(goal_id)
        evidence = improvement_words.progress_evidence(reasons, note)
        with self.db.write(actor) as s:
            if s.get(ImprovementGoal, goal_id) is None:
                raise NotFound("That 90-day goal is no longer recorded.")
            s.add(ProgressScore(goal_id=goal_id, scored_on=self.today(), score_tenths=round(score * 10),
                                suggested_tenths=round(suggested * 10), evidence=evidence,
                                scored_by_member_id=actor.member_id))  # fmt: skip
