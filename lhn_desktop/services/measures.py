"""Measures: the library in the database, monthly values computed or entered, and chart data.

Monthly values are computed from this center's own records with the definitions of
``content/measures.json`` (see :mod:`lhn_desktop.services.measure_library`), or entered by hand; an
entered month is never overwritten by a computation. A chart is the measure's months analysed with
:mod:`lhn_desktop.spc`: p charts of percentages, a frozen baseline (the first 12 months by default
once there are more), phases that start only where the team recorded one with its reason, and
annotations from notes and the start dates of linked PDSA cycles. A chart starts at the first month
with data, so a center that began counting mid-year has its baseline on its own first months, not on
the empty months before them.
"""

from __future__ import annotations

import calendar
import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from lhn_desktop.access import Actor, require_patient_access
from lhn_desktop.errors import LhnError, NotFound, ValidationError
from lhn_desktop.localization import stored_month
from lhn_desktop.models.base import natural_id
from lhn_desktop.models.goals import CollaborateResponse
from lhn_desktop.models.improvement import ImprovementGoalMeasure, PdsaCycle
from lhn_desktop.models.measures import ChartAnnotation, MeasureDefinition, MeasureSetting, MeasureValue
from lhn_desktop.models.planning import PrevisitPlan
from lhn_desktop.progress import CancelToken, ProgressSink, no_progress
from lhn_desktop.services import facts
from lhn_desktop.services.words import measures as words
from lhn_desktop.spc import SpcInput, SpcInputError, SpcOptions, SpcResult, analyze
from lhn_desktop.store.database import Database

if TYPE_CHECKING:
    from pathlib import Path

    from matplotlib.figure import Figure

    from lhn_desktop.charts.spc_chart import ChartMarks, SpcChartSpec
    from lhn_desktop.services import measure_library as lib

DEFAULT_BASELINE = 12
DEFAULT_MONTHS = 24
PAGE_TITLE = "All measures"
PERCENT_CHARTS = frozenset({"p", "pp", "run"})
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


@dataclass(frozen=True)
class MeasureInfo:
    id: str
    code: str
    title: str
    chart: str
    direction: str
    target: float | None
    numerator_text: str
    denominator_text: str
    lookback_days: int | None
    owner: str
    version: int
    #: "proportion" (counts of patients or visits) or "continuous" (a median or mean of a number per patient)
    kind: str = "proportion"
    #: what a continuous measure's values are in ("FEV1 % predicted")
    unit: str | None = None

    @property
    def continuous(self) -> bool:
        return self.kind == "continuous"

    @property
    def percent(self) -> bool:
        """Values are shown as percentages (numerator over denominator × 100)."""
        return not self.continuous and self.chart in PERCENT_CHARTS


@dataclass(frozen=True)
class MonthValue:
    month: str
    numerator: int
    denominator: int | None
    source: str
    #: a continuous measure's median or mean (its numerator: how many patients had a value)
    value: float | None = None

    @property
    def percent(self) -> float | None:
        return 100 * self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class Threshold:
    """A threshold of a definition a center may set for itself (the library's ``adjustable``)."""

    name: str
    label: str
    default: float
    lowest: float
    highest: float
    whole: bool
    #: the center's own value and why, or None while the library's default applies
    value: float | None = None
    reason: str | None = None

    @property
    def in_use(self) -> float:
        return self.default if self.value is None else self.value


@dataclass(frozen=True)
class Annotation:
    id: str | None
    on_date: date
    kind: str  # note, phase, baseline, pdsa
    text: str
    reason: str | None = None
    pdsa_id: str | None = None


@dataclass(frozen=True)
class PdsaChoice:
    id: str
    label: str
    start_date: date | None


@dataclass(frozen=True)
class ComputeReport:
    first_month: str
    last_month: str
    measures: int
    written: int
    unchanged: int
    kept_entered: int


@dataclass
class ChartData:
    measure: MeasureInfo
    values: list[MonthValue]
    request: SpcInput
    result: SpcResult
    freeze: int | None
    baseline_chosen: bool
    phases: list[Annotation] = field(default_factory=list)
    notes: list[Annotation] = field(default_factory=list)
    #: months whose denominator is below this are not reported (collaboRATE: 25)
    min_denominator: int | None = None
    #: months left off the start of the chart because they had no data yet (a center that started mid-year)
    months_before_data: int = 0
    #: where the network's definition comes from, and whose threshold it uses (the library's ``source``)
    source: str | None = None
    #: continuous measures: months with fewer patients with a value are not reported
    min_values: int | None = None
    #: thresholds this center set for itself (only those it changed)
    own_thresholds: list[Threshold] = field(default_factory=list)
    #: the network's (median, q1, q3) of the centers by month, as the coordinating center sent them
    band: list[tuple[float | None, ...]] | None = None

    def reported(self, value: MonthValue) -> bool:
        return _reported(value, self.measure, self.min_denominator, self.min_values)

    @property
    def months(self) -> list[str]:
        return [v.month for v in self.values]

    @property
    def spec(self) -> SpcChartSpec:
        """The chart as the window shows it and the command line saves it: the analysis and its marks."""
        from lhn_desktop.charts.spc_chart import SpcChartSpec

        return SpcChartSpec(self.result, chart_marks(self))


def month_bounds(month: str) -> tuple[date, date]:
    match = _MONTH.match(month or "")
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValidationError(f"{month!r} is not a month; write it as YYYY-MM, for example 2026-03.")
    year, mon = int(match.group(1)), int(match.group(2))
    return date(year, mon, 1), date(year, mon, calendar.monthrange(year, mon)[1])


def complete_months(today: date, count: int) -> list[tuple[str, date, date]]:
    """The ``count`` complete months before ``today``'s month, oldest first."""
    out = []
    year, mon = today.year, today.month
    for _ in range(count):
        year, mon = (year - 1, 12) if mon == 1 else (year, mon - 1)
        month = f"{year:04d}-{mon:02d}"
        out.append((month, *month_bounds(month)))
    return out[::-1]


def _info(d: MeasureDefinition) -> MeasureInfo:
    return MeasureInfo(
        id=d.id,
        code=d.code,
        title=d.title,
        chart=d.chart_type,
        direction=d.direction,
        target=float(d.target) if d.target not in (None, "") else None,
        numerator_text=d.numerator,
        denominator_text=d.denominator or "",
        lookback_days=d.lookback_days,
        owner=d.owner,
        version=d.version,
        kind=d.kind or "proportion",
        unit=d.unit,
    )


def _decimal_text(value: float | None) -> str | None:
    """A month's median or mean as stored: decimal text with at most two decimals (SYNC.md 1.2)."""
    return None if value is None else f"{round(value, 2):.2f}".rstrip("0").rstrip(".")


def _float(text: str | None) -> float | None:
    return None if text in (None, "") else float(text)


def _reported(value: MonthValue, measure: MeasureInfo, min_denominator: int | None, min_values: int | None) -> bool:
    """Whether a month is reported: enough patients with a value (continuous), a large enough denominator (counts)."""
    if measure.continuous:
        return value.value is not None and (min_values is None or value.numerator >= min_values)
    return min_denominator is None or (value.denominator or 0) >= min_denominator


def _target_text(value: float | None) -> str | None:
    return None if value is None else f"{value:g}"


class MeasureService:
    def __init__(self, db: Database, *, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today

    # -- the library -------------------------------------------------------------------------------------------

    def install_library(self, actor: Actor) -> int:
        """Add the shipped definitions this database lacks, and upgrade older versions. Returns how many changed."""
        from lhn_desktop.services import measure_library as lib  # pydantic: only when needed

        library = lib.load_library()
        changed = 0
        with self.db.write(actor) as s:
            existing = {d.code: d for d in s.scalars(select(MeasureDefinition))}
            for spec in library.measures:
                current = existing.get(spec.code)
                if current is not None and current.version >= spec.version:
                    continue
                record = current or MeasureDefinition(id=lib.definition_id(spec.code), code=spec.code)
                record.title = spec.title
                record.kind = spec.kind
                record.unit = spec.unit
                record.chart_type = spec.chart
                record.numerator = spec.numerator_text
                record.denominator = spec.denominator_text
                record.lookback_days = spec.lookback_days
                record.direction = spec.direction
                record.target = _target_text(spec.target)
                record.owner = "network"
                record.version = spec.version
                if current is None:
                    s.add(record)
                changed += 1
        return changed

    def list_measures(self) -> list[MeasureInfo]:
        """This center's measures (another network's, which count none of its patients, are left out)."""
        with self.db.read() as s:
            foreign = foreign_measure_ids(s)
            definitions = s.scalars(select(MeasureDefinition).order_by(MeasureDefinition.title))
            return [_info(d) for d in definitions if d.id not in foreign]

    def get(self, code: str) -> MeasureInfo:
        with self.db.read() as s:
            return _get(s, code)

    def values(self, code: str) -> list[MonthValue]:
        """This center's monthly values; at the coordinating center, the network's (every center's counts added)."""
        with self.db.read() as s:
            return _values(s, _get(s, code), self.db.local_node().site_code)

    # -- computing and entering --------------------------------------------------------------------------------

    def _clinical_data(self, specs: list[lib.MeasureSpec]) -> lib.ClinicalData:
        from lhn_desktop.services import measure_library as lib  # pydantic: only when needed

        codes = lib.needed_observation_codes(specs)
        with self.db.read() as s:
            patients = facts.load(s, followed_only=False, observation_codes=codes)
            planned = s.scalars(select(PrevisitPlan.visit_id).where(PrevisitPlan.status == "done"))
            collaborate = [
                (on, (a, b, c))
                for on, a, b, c in s.execute(
                    select(CollaborateResponse.answered_on, CollaborateResponse.item1, CollaborateResponse.item2,
                           CollaborateResponse.item3)
                )
            ]  # fmt: skip
            return lib.build_clinical_data(patients, planned, collaborate)

    def compute(
        self,
        actor: Actor,
        *,
        months: int = DEFAULT_MONTHS,
        progress: ProgressSink = no_progress,
        cancel: CancelToken | None = None,
    ) -> ComputeReport:
        """Monthly values of every library measure for the last ``months`` complete months, from local records."""
        from lhn_desktop.services import measure_library as lib  # pydantic: only when needed

        require_patient_access(actor)  # reads patient-level records, writes only counts
        if self.db.local_node().site_code == "ncc":
            raise ValidationError(
                "The coordinating center holds no patient records, so there is nothing to count here: its measures "
                "are the centers' values, which arrive in their network bundles."
            )
        if not 1 <= months <= 120:
            raise ValidationError("Compute between 1 and 120 months.")
        self.install_library(actor)
        settings = self._settings()
        specs = [lib.with_settings(spec, settings.get(spec.code, {})) for spec in lib.load_library().measures]
        data = self._clinical_data(specs)
        # a measure of a disease pack none of this center's patients has is another network's: nothing to count
        diagnoses = {p.diagnosis for p in data.patients.values()}
        specs = [s for s in specs if s.pack is None or diagnoses & lib.pack_diagnoses(s.pack)]
        periods = complete_months(self.today(), months)
        counts: dict[tuple[str, str], tuple[int, int, str | None]] = {}
        for k, (month, first, last) in enumerate(periods):
            if cancel is not None:
                cancel.raise_if_cancelled()
            for spec in specs:
                numerator, denominator, summary = lib.measure_month(spec, data, first, last)
                counts[spec.code, month] = numerator, denominator, _decimal_text(summary)
            progress(k + 1, len(periods), "Computing monthly measures")
        written = unchanged = kept = 0
        with self.db.write(actor) as s:
            site = self.db.local_node().site_code
            ids = {d.code: d.id for d in s.scalars(select(MeasureDefinition))}
            existing = {
                (v.measure_id, v.month): v
                for v in s.scalars(select(MeasureValue).where(MeasureValue.site_code == site))
            }
            for (code, month), (numerator, denominator, value) in counts.items():
                current = existing.get((ids[code], month))
                source = "adjusted" if settings.get(code) else "computed"
                if current is None:
                    s.add(
                        MeasureValue(id=lib.value_id(site, code, month), measure_id=ids[code], site_code=site,
                                     month=month, numerator=numerator, denominator=denominator, value=value,
                                     source=source)
                    )  # fmt: skip
                    written += 1
                elif current.source == "entered":
                    kept += 1
                elif (current.numerator, current.denominator, current.value, current.source) == (
                    numerator, denominator, value, source
                ):  # fmt: skip
                    unchanged += 1
                else:
                    current.numerator, current.denominator, current.value = numerator, denominator, value
                    current.source = source
                    written += 1
        return ComputeReport(periods[0][0], periods[-1][0], len(specs), written, unchanged, kept)

    def enter_value(
        self, actor: Actor, code: str, month: str, numerator: int, denominator: int | None, value: float | None = None
    ) -> MonthValue:
        """Record a month by hand (replacing a computed value for that month, which a recompute then keeps).

        A continuous measure's month is its ``value`` (the median or mean), the number of patients it covers
        (``numerator``) and the number in the population (``denominator``, when known)."""
        from lhn_desktop.services import measure_library as lib  # pydantic: only when needed

        measure = self.get(code)
        first, _ = month_bounds(month)
        if first > self.today():
            raise ValidationError(
                f"{stored_month(month)} has not started yet; enter values for past or current months."
            )
        for name, count in (("numerator", numerator), ("denominator", denominator)):
            if count is not None and (isinstance(count, bool) or not isinstance(count, int) or count < 0):
                raise ValidationError(f"The {name} is a count: a whole number, 0 or more.")
        stored = self._checked_value(measure, numerator, denominator, value)
        if measure.percent and denominator is None:
            raise ValidationError(
                f"{measure.title} is a percentage: enter the denominator ({measure.denominator_text})."
            )
        if measure.percent and denominator is not None and numerator > denominator:
            raise ValidationError(
                f"The numerator ({numerator}) is larger than the denominator ({denominator}); a percentage "
                "cannot exceed 100. Check both counts."
            )
        with self.db.write(actor) as s:
            site = self.db.local_node().site_code
            current = s.scalar(
                select(MeasureValue).where(MeasureValue.measure_id == measure.id, MeasureValue.month == month,
                                           MeasureValue.site_code == site)
            )  # fmt: skip
            if current is None:
                s.add(
                    MeasureValue(id=lib.value_id(site, code, month), measure_id=measure.id, site_code=site,
                                 month=month, numerator=numerator, denominator=denominator, value=stored,
                                 source="entered")
                )  # fmt: skip
            else:
                current.numerator, current.denominator, current.value = numerator, denominator, stored
                current.source = "entered"
        return MonthValue(month, numerator, denominator, "entered", _float(stored))

    @staticmethod
    def _checked_value(
        measure: MeasureInfo, numerator: int, denominator: int | None, value: float | None
    ) -> str | None:
        """A continuous month's value as stored, checked; None for counts (which must not have one)."""
        if not measure.continuous:
            if value is not None:
                raise ValidationError(f"{measure.title} is a count of patients or visits: enter the counts only.")
            return None
        if value is None or isinstance(value, bool) or not isinstance(value, int | float) or value != value:
            raise ValidationError(
                f"{measure.title} sums up a number per patient: enter the month's value "
                f"({measure.unit or 'a number'}) as well as how many patients it covers."
            )
        if not -1e6 < value < 1e6:
            raise ValidationError(f"{value:g} is not a plausible {measure.unit or 'value'}; check the number.")
        if numerator < 1:
            raise ValidationError("Enter how many patients the value covers (1 or more).")
        if denominator is not None and numerator > denominator:
            raise ValidationError(
                f"The value covers {numerator} patients, more than the {denominator} in the population. "
                "Check both counts."
            )
        return _decimal_text(value)

    # -- thresholds a center sets for itself -------------------------------------------------------------------

    def _settings(self) -> dict[str, dict[str, float]]:
        """The center's own thresholds by measure code and name."""
        with self.db.read() as s:
            rows = s.execute(
                select(MeasureDefinition.code, MeasureSetting.name, MeasureSetting.value).join(
                    MeasureDefinition, MeasureDefinition.id == MeasureSetting.measure_id
                )
            ).all()
        out: dict[str, dict[str, float]] = {}
        for code, name, value in rows:
            with contextlib.suppress(ValueError):  # a value from a newer workstation this one cannot read
                out.setdefault(code, {})[name] = float(value)
        return out

    def thresholds(self, code: str) -> list[Threshold]:
        """The thresholds of a measure a center may set for itself, with the center's own values where it set them."""
        from lhn_desktop.services import measure_library as lib  # pydantic: only when needed

        measure = self.get(code)
        spec = lib.load_library().get(measure.code)
        if spec is None:
            return []
        with self.db.read() as s:
            own = {r.name: r for r in s.scalars(select(MeasureSetting).where(MeasureSetting.measure_id == measure.id))}
        out = []
        for item in spec.adjustable:
            row = own.get(item.name)
            out.append(
                Threshold(item.name, item.label, spec.default_of(item.name), item.lowest, item.highest, item.whole,
                          _float(row.value) if row else None, row.reason if row else None)
            )  # fmt: skip
        return out

    def set_threshold(self, actor: Actor, code: str, name: str, value: float | None, reason: str = "") -> Threshold:
        """Set this center's own threshold (``value`` None: back to the library's default). The measure counts with
        it from the next computation; its values then say they were counted with the center's own threshold."""
        require_patient_access(actor)  # a clinical decision, and recounting reads patient records
        measure = self.get(code)
        item = next((t for t in self.thresholds(code) if t.name == name), None)
        if item is None:
            names = ", ".join(t.name for t in self.thresholds(code))
            raise NotFound(
                f"{measure.title} has no threshold {name!r} a center may set."
                + (f" Its thresholds: {names}." if names else " Its definition is the network's own.")
            )
        record_id = natural_id(f"measure-setting/{code}/{name}")
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
                raise ValidationError(f"{item.label}: enter a number.")
            if not item.lowest <= value <= item.highest:
                raise ValidationError(
                    f"{item.label}: choose a value from {item.lowest:g} to {item.highest:g}; {value:g} is outside "
                    "what the definition allows."
                )
            if item.whole and value != int(value):
                raise ValidationError(f"{item.label}: enter a whole number.")
            if len(reason.strip()) < 3:
                raise ValidationError(
                    "Say why the center counts with its own threshold (for example, the network's definition as "
                    "your center received it); the chart shows the reason."
                )
        with self.db.write(actor) as s:
            current = s.get(MeasureSetting, record_id)
            if value is None or value == item.default:
                if current is not None:
                    s.delete(current)
                return Threshold(item.name, item.label, item.default, item.lowest, item.highest, item.whole)
            text = _decimal_text(float(value)) or "0"
            if current is None:
                s.add(MeasureSetting(id=record_id, measure_id=measure.id, name=name, value=text,
                                     reason=reason.strip()))  # fmt: skip
            else:
                current.value, current.reason = text, reason.strip()
        return Threshold(item.name, item.label, item.default, item.lowest, item.highest, item.whole, float(text),
                         reason.strip())  # fmt: skip

    # -- annotations, phases and the baseline ------------------------------------------------------------------

    def annotations(self, code: str) -> list[Annotation]:
        """Notes, phases and the chosen baseline of a measure, plus the start of each linked PDSA cycle."""
        with self.db.read() as s:
            return _annotations(s, _get(s, code))

    def pdsa_choices(self) -> list[PdsaChoice]:
        with self.db.read() as s:
            rows = s.execute(
                select(PdsaCycle.id, PdsaCycle.seq, PdsaCycle.title, PdsaCycle.start_date).order_by(
                    PdsaCycle.start_date, PdsaCycle.seq
                )
            ).all()
        return [PdsaChoice(pid, words.pdsa(seq, title), start) for pid, seq, title, start in rows]

    def _add_annotation(self, actor: Actor, code: str, **fields) -> Annotation:
        measure = self.get(code)
        with self.db.write(actor) as s:
            if fields.get("pdsa_id") and s.get(PdsaCycle, fields["pdsa_id"]) is None:
                raise NotFound("That PDSA cycle is no longer in this center's records; choose another or none.")
            record = ChartAnnotation(measure_id=measure.id, **fields)
            s.add(record)
            s.flush()
            return Annotation(record.id, record.on_date, record.kind, record.text, record.reason, record.pdsa_id)

    def add_note(self, actor: Actor, code: str, on_date: date, text: str, pdsa_id: str | None = None) -> Annotation:
        text = " ".join((text or "").split())
        if not text:
            raise ValidationError("Write the note to show on the chart.")
        if len(text) > 300:
            raise ValidationError("Keep a chart note under 300 characters; put the detail in the PDSA worksheet.")
        return self._add_annotation(actor, code, on_date=on_date, kind="note", text=text, pdsa_id=pdsa_id)

    def add_phase(self, actor: Actor, code: str, month: str, reason: str, pdsa_id: str | None = None) -> Annotation:
        """Start a new phase at ``month``: the centre line and limits are recomputed from there on."""
        first, _ = month_bounds(month)
        reason = " ".join((reason or "").split())
        if len(reason) < 5:
            raise ValidationError(
                "Say why the process changed at this month (for example, the change adopted after a PDSA ramp): "
                "a new phase needs its reason."
            )
        months = [v.month for v in self._charted_values(self.get(code))[0]]
        if month not in months[1:]:
            raise ValidationError(
                f"A new phase must start at a month after the first one on the chart ({stored_month(months[0])} to "
                f"{stored_month(months[-1])})."
                if months
                else "A new phase needs months on the chart first."
            )
        if any(a.kind == "phase" and a.on_date == first for a in self.annotations(code)):
            raise ValidationError(
                f"A phase already starts in {stored_month(month)}; remove it first to give a different reason."
            )
        text = words.new_phase(month)
        return self._add_annotation(actor, code, on_date=first, kind="phase", text=text, reason=reason, pdsa_id=pdsa_id)

    def set_baseline(self, actor: Actor, code: str, last_month: str | None) -> None:
        """Freeze the baseline at ``last_month`` (its last point), or go back to the default with None."""
        measure = self.get(code)
        months = [v.month for v in self._charted_values(measure)[0]]
        if last_month is not None:
            first, _ = month_bounds(last_month)
            if last_month not in months:
                raise ValidationError(
                    f"{stored_month(last_month)} has no value on this chart; choose one of its months."
                )
        with self.db.write(actor) as s:
            for old in s.scalars(
                select(ChartAnnotation).where(
                    ChartAnnotation.measure_id == measure.id, ChartAnnotation.kind == "baseline"
                )
            ):
                s.delete(old)
            if last_month is not None:
                s.add(ChartAnnotation(measure_id=measure.id, on_date=first, kind="baseline",
                                      text=words.baseline_note(last_month)))  # fmt: skip

    def remove_annotation(self, actor: Actor, annotation_id: str) -> None:
        with self.db.write(actor) as s:
            record = s.get(ChartAnnotation, annotation_id)
            if record is None:
                raise NotFound("That note or phase was already removed.")
            s.delete(record)

    # -- the chart ---------------------------------------------------------------------------------------------

    def _charted_values(
        self, measure: MeasureInfo, values: list[MonthValue] | None = None
    ) -> tuple[list[MonthValue], int, int | None, int | None]:
        """The months a chart shows, how many earlier months it leaves off, and the reporting minimums (of the
        denominator, and of the patients with a value).

        A chart starts at the first month with a reported value (or, when no month is reported yet, the first
        with any count), so the months before a center had data are neither drawn nor frozen into the baseline.
        ``values``: the measure's values, when the caller has read them already.
        """
        from lhn_desktop.services import measure_library as lib

        if values is None:
            values = self.values(measure.code)
        if not values:
            raise NotFound(f"{measure.title} has no monthly values yet. Compute the measures or enter a month by hand.")
        spec = lib.load_library().get(measure.code)
        minimum = spec.min_denominator if spec is not None else None
        min_values = spec.min_values if spec is not None else None
        first = next((k for k, v in enumerate(values) if _has_data(v, measure, minimum, min_values)), None)
        if first is None:
            first = next((k for k, v in enumerate(values) if _has_data(v, measure, None, None)), None)
        if first is None and measure.continuous:
            raise NotFound(
                f"{measure.title} has no month with a value yet: from {stored_month(values[0].month)} to "
                f"{stored_month(values[-1].month)} no patient had one. The chart starts at the first month with a "
                "value: enter a month by hand, or compute the measures again once the readings are recorded."
            )
        if first is None:
            noun = measure.denominator_text[:1].lower() + measure.denominator_text[1:]
            first_month, last_month = stored_month(values[0].month), stored_month(values[-1].month)
            raise NotFound(
                f"{measure.title} has no month with data yet: from {first_month} to {last_month} there were no {noun}. "
                "The chart starts at "
                "the first month with data: enter a month by hand, or compute the measures again once the first "
                "visits are recorded."
            )
        return values[first:], first, minimum, min_values

    def chart(self, code: str, *, western_electric: bool = False) -> ChartData:
        """A measure's chart from its first month with data, with the baseline frozen on its first 12 such months.

        Everything it shows is read in one transaction: the measure, its values and its notes and phases."""
        with self.db.read() as s:
            measure = _get(s, code)
            stored = _values(s, measure, self.db.local_node().site_code)
            annotations = _annotations(s, measure)
            whole_band = _network_band(s, measure, [v.month for v in stored])
        values, skipped, minimum, min_values = self._charted_values(measure, stored)
        band = whole_band[skipped:] if whole_band else None
        months = [v.month for v in values]
        phases = [a for a in annotations if a.kind == "phase"]
        cuts = sorted({_index_from(months, a.on_date) for a in phases} - {0, len(months)})
        chosen = next((a for a in annotations if a.kind == "baseline"), None)
        freeze: int | None
        if chosen is not None:
            freeze = _index_from(months, chosen.on_date) + 1
        else:
            freeze = DEFAULT_BASELINE if len(values) > DEFAULT_BASELINE else None
        if not any(_has_data(v, measure, minimum, min_values) for v in values):
            freeze = None  # nothing reported yet to freeze a centre line on
        if cuts:
            freeze = None  # each phase has its own centre line (qicharts2 ignores freeze with phases)

        def shown(v: MonthValue) -> bool:
            return _reported(v, measure, minimum, min_values)

        def y(v: MonthValue) -> float | None:
            if not shown(v):
                return None  # too few to report: a gap in the chart, never a 0
            return v.value if measure.continuous else float(v.numerator)

        percent = measure.percent
        request = SpcInput(
            chart=measure.chart,
            x=tuple(month_bounds(m)[0] for m in months),
            y=tuple(y(v) for v in values),
            n=tuple(None if v.denominator is None or not shown(v) else float(v.denominator) for v in values)
            if percent
            else None,
            options=SpcOptions(
                freeze=freeze,
                part=tuple(cuts) or None,
                multiply=100.0 if percent else 1.0,
                western_electric=western_electric,
            ),
        )
        try:
            result = analyze(request)
        except SpcInputError as exc:
            raise ValidationError(f"The values of {measure.title} cannot be charted: {exc}") from None
        notes = [a for a in annotations if a.kind in ("note", "pdsa")]
        from lhn_desktop.services import measure_library as lib

        spec = lib.load_library().get(code)
        source = spec.source if spec is not None else None
        own = [t for t in self.thresholds(code) if t.value is not None] if spec is not None and spec.adjustable else []
        return ChartData(measure, values, request, result, freeze, chosen is not None, phases, notes, minimum, skipped,
                         source, min_values, own, band)  # fmt: skip

    def export_source(self) -> str:
        """Who made an exported chart and when: the center's name and today's date."""
        from lhn_desktop.services.center import center_info

        return words.made_by(center_info(self.db).site_name, self.today())

    def chart_figure(self, code: str) -> Figure:
        """A measure's chart as exported: its title, the center's name and the date it was made on the picture."""
        spec = self.chart(code).spec
        spec.marks.source = self.export_source()
        return spec.figure()

    def render(self, code: str, out: str | Path) -> Path:
        """Draw a measure's chart to PNG, SVG or PDF (by the file's suffix), titled and signed with center and date."""
        _check_format(out)
        fig = self.chart_figure(code)
        return _save(fig, out, self._metadata(self.get(code).title))

    def page_charts(
        self, *, progress: ProgressSink = no_progress, cancel: CancelToken | None = None
    ) -> list[ChartData]:
        """The chart of every measure with data, for the page of all measures (slow: one analysis per measure)."""
        measures = self.list_measures()
        charts = []
        for k, m in enumerate(measures):
            if cancel is not None:
                cancel.raise_if_cancelled()
            progress(k, len(measures), words.reading(m.title))
            with contextlib.suppress(NotFound):  # no values, or no month with data yet: nothing to draw
                charts.append(self.chart(m.code))
        progress(len(measures), len(measures), "Drawing the charts")
        if not charts:
            raise NotFound("No measure has a month with data yet. Compute the measures or enter a month by hand.")
        return charts

    def page_figure(self, charts: list[ChartData]) -> Figure:
        """Small multiples of ``charts`` on one page, titled, with the center's name and the date."""
        from lhn_desktop.charts import spc_chart

        specs = [c.spec for c in charts]
        return spc_chart.small_multiples(
            [(spec.result, spec.marks) for spec in specs], title=PAGE_TITLE, source=self.export_source()
        )

    def render_page(self, out: str | Path) -> Path:
        """Every measure with data as small multiples on one page, titled and signed with center and date."""
        _check_format(out)
        return _save(self.page_figure(self.page_charts()), out, self._metadata(PAGE_TITLE))

    def _metadata(self, title: str) -> dict[str, str]:
        from lhn_desktop.services.center import center_info

        return {"title": title, "center": center_info(self.db).site_name, "date": self.today().isoformat()}

    def chart_csv(self, code: str) -> str:
        """The data behind a chart as CSV text: month, counts, value, centre line, limits and signals."""
        import csv
        import io

        chart = self.chart(code)
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["month", "numerator", "denominator", "source", "value", "phase", "baseline", "included",
                         "centre_line", "lower_limit", "upper_limit", "runs_signal", "beyond_limits",
                         "measure"])  # fmt: skip
        for v, p in zip(chart.values, chart.result.points, strict=True):
            writer.writerow([v.month, v.numerator, "" if v.denominator is None else v.denominator, v.source,
                             _num(p.y), p.part, p.baseline, p.include, _num(p.cl), _num(p.lcl), _num(p.ucl),
                             p.runs_signal, p.sigma_signal, chart.measure.title])  # fmt: skip
        return buffer.getvalue()


def foreign_measure_ids(s: Session) -> set[str]:
    """Measures of another network: of a disease pack none of this center's patients has, and without values (a
    coordinating center, which holds no patients, keeps every measure it receives values of)."""
    from lhn_desktop.models.patients import Patient
    from lhn_desktop.services import measure_library as lib  # pydantic: only when needed

    diagnoses = set(s.scalars(select(Patient.diagnosis).distinct()))
    if not diagnoses:
        return set()  # no patients yet: every measure, so a new center can see and enter them
    with_values = set(s.scalars(select(MeasureValue.measure_id).distinct()))
    return {
        lib.definition_id(spec.code)
        for spec in lib.load_library().measures
        if spec.pack is not None
        and not diagnoses & lib.pack_diagnoses(spec.pack)
        and lib.definition_id(spec.code) not in with_values
    }


def _get(s: Session, code: str) -> MeasureInfo:
    d = s.scalar(select(MeasureDefinition).where(MeasureDefinition.code == code))
    if d is None:
        known = ", ".join(s.scalars(select(MeasureDefinition.code).order_by(MeasureDefinition.code)))
        raise NotFound(f"There is no measure {code!r} in this center. Measures: {known or 'none yet'}.")
    return _info(d)


def _values(s: Session, measure: MeasureInfo, site: str) -> list[MonthValue]:
    """A center's own months; at the coordinating center (``ncc``) the network's: each month's counts added over
    the centers (a continuous measure's value: the median of the centers' values)."""
    if site != "ncc":
        rows = s.scalars(
            select(MeasureValue)
            .where(MeasureValue.measure_id == measure.id, MeasureValue.site_code == site)
            .order_by(MeasureValue.month)
        )
        return [MonthValue(v.month, v.numerator, v.denominator, v.source, _float(v.value)) for v in rows]
    import statistics

    by_month: dict[str, list[MeasureValue]] = {}
    others = select(MeasureValue).where(MeasureValue.measure_id == measure.id, MeasureValue.site_code != site)
    for v in s.scalars(others):
        by_month.setdefault(v.month, []).append(v)
    out = []
    for month, values in sorted(by_month.items()):
        readings = [float(v.value) for v in values if v.value is not None]
        out.append(MonthValue(
            month, sum(v.numerator for v in values), sum(v.denominator or 0 for v in values), "network",
            statistics.median(readings) if measure.continuous and readings else None,
        ))  # fmt: skip
    return out


def _network_band(s: Session, measure: MeasureInfo, months: list[str]) -> list[tuple[float | None, ...]] | None:
    """The network's (median, first quartile, third quartile) of the centers for each month, in the chart's unit,
    as the coordinating center sent them; None when it has sent none."""
    from lhn_desktop.models.network import NetworkValue

    rows = {r.month: r for r in s.scalars(select(NetworkValue).where(NetworkValue.measure_id == measure.id,
                                                                     NetworkValue.center.is_(None)))}  # fmt: skip
    if not rows:
        return None
    scale = 100.0 if measure.percent else 1.0

    def shown(text: str | None) -> float | None:
        value = _float(text)
        return None if value is None else value * scale

    return [(shown(rows[m].median), shown(rows[m].q1), shown(rows[m].q3)) if m in rows else (None, None, None)
            for m in months]  # fmt: skip


def _annotations(s: Session, measure: MeasureInfo) -> list[Annotation]:
    rows = s.scalars(
        select(ChartAnnotation).where(ChartAnnotation.measure_id == measure.id).order_by(ChartAnnotation.on_date)
    ).all()
    out = [Annotation(a.id, a.on_date, a.kind, a.text, a.reason, a.pdsa_id) for a in rows]
    linked = {a.pdsa_id for a in rows if a.pdsa_id}
    cycles = s.execute(
        select(PdsaCycle.id, PdsaCycle.seq, PdsaCycle.title, PdsaCycle.start_date)
        .join(ImprovementGoalMeasure, ImprovementGoalMeasure.goal_id == PdsaCycle.goal_id)
        .where(ImprovementGoalMeasure.measure_id == measure.id, PdsaCycle.start_date.is_not(None))
    ).all()
    out += [
        Annotation(None, start, "pdsa", words.pdsa(seq, title), None, pid)
        for pid, seq, title, start in cycles
        if pid not in linked and start is not None  # the query asked for a start date
    ]
    return sorted(out, key=lambda a: (a.on_date, a.kind))


def _has_data(value: MonthValue, measure: MeasureInfo, min_denominator: int | None, min_values: int | None) -> bool:
    """A month counts as data when it is reported: a denominator of at least the minimum, or a continuous value from
    enough patients; counts always do."""
    if measure.continuous:
        return _reported(value, measure, None, min_values)
    if not measure.percent:
        return True
    return bool(value.denominator) and _reported(value, measure, min_denominator, None)


def _num(v: float | None) -> str:
    return "" if v is None else f"{v:.6g}"


def _check_format(out: str | Path) -> None:
    from pathlib import Path

    from lhn_desktop.charts.spc_chart import EXPORT_FORMATS

    suffix = Path(out).suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ValidationError(f"Save the chart as .png, .svg or .pdf, not {suffix or 'a file without a suffix'}.")


def _save(fig, out: str | Path, metadata: dict[str, str] | None = None) -> Path:
    from lhn_desktop.charts import spc_chart

    try:
        return spc_chart.save(fig, out, metadata=metadata)
    except ValueError as exc:
        raise ValidationError(str(exc)) from None
    except OSError as exc:
        raise LhnError(
            f"The chart could not be written to {out}: {exc.strerror or exc}. Choose another folder."
        ) from None


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def month_label(month: str) -> str:
    """2026-03 -> Mar 26, as on the charts."""
    return f"{MONTH_NAMES[int(month[5:7]) - 1]} {month[2:4]}"


def _note_position(months: list[str], on: date) -> float | None:
    """Where a date falls on the chart's x axis (points sit at their month's index)."""
    key = f"{on.year:04d}-{on.month:02d}"
    if key not in months:
        return None
    days = calendar.monthrange(on.year, on.month)[1]
    return months.index(key) + (on.day - 1) / days - 0.5


def chart_marks(chart: ChartData) -> ChartMarks:
    """Titles, goal, phases and numbered notes for drawing ``chart``."""
    from lhn_desktop.charts.spc_chart import ChartMarks

    m = chart.measure
    months = chart.months
    notes = []
    for a in chart.notes:
        position = _note_position(months, a.on_date)
        if position is not None:
            notes.append((position, words.chart_note(a.on_date, a.text)))
    phases = [(_index_from(months, a.on_date), a.reason or a.text) for a in chart.phases]
    freeze = chart.freeze
    baseline_last = month_label(months[freeze - 1]) if freeze and freeze < len(months) else None
    return ChartMarks(
        title=m.title,
        y_label=m.unit if m.continuous and m.unit else words.y_label(m.percent),
        x_labels=[month_label(x) for x in months],
        target=m.target,
        notes=notes,
        phases=[p for p in phases if 0 < p[0] < len(months)],
        percent=m.percent,
        band=chart.band,
        subtitle=words.chart_subtitle(
            m.chart,
            month_label(months[0]),
            month_label(months[-1]),
            baseline_last,
            m.numerator_text,
            m.denominator_text,
            among=m.continuous,
        ),
    )


def _index_from(months: list[str], on: date) -> int:
    """How many of ``months`` come before the month of ``on``."""
    key = f"{on.year:04d}-{on.month:02d}"
    return sum(1 for m in months if m < key)
