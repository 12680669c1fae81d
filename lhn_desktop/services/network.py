"""Network comparison: every center against the network, at the coordinating center and at each center.

At the **coordinating center** (site code ``ncc``) the centers' monthly values arrive in network bundles and are
kept apart by site. :meth:`NetworkService.compare` sets each center's rate over a period beside the pooled network
rate, with funnel limits for its denominator (Spiegelhalter 2005, :mod:`lhn_desktop.spc.funnel`), the median and
quartiles of the centers; :meth:`NetworkService.center_months` is the center-by-month table and
:meth:`NetworkService.center_charts` every center's chart. :meth:`NetworkService.publish` writes what goes back to
the centers (``network_value`` records): per measure and month the network's aggregates and every center's counts
under a stable code ("Center 17") or its name if it chose to be named, after small-cell suppression, so no count
from 1 to 10 (and nothing that gives one away) leaves the coordinating center.

At a **center** the same :meth:`NetworkService.compare` reads its own values and what the coordinating center sent
back; :meth:`NetworkService.band` is the network's median and quartiles behind the center's own chart.

Over a period, measures that count events (visits, survey responses) add up their months; measures that count
patients (each month a cross-section of the patients followed) use the period's last month, since the same
patients are in every month (docs/decisions.md, decision 47).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from lhn_desktop.access import Actor
from lhn_desktop.errors import NotFound, ValidationError
from lhn_desktop.models.base import natural_id
from lhn_desktop.models.measures import MeasureValue
from lhn_desktop.models.network import CenterCode, NetworkValue
from lhn_desktop.models.team import Site
from lhn_desktop.services.measures import MeasureInfo, MeasureService, month_bounds
from lhn_desktop.services.words import network as words
from lhn_desktop.spc import funnel
from lhn_desktop.store.database import Database
from lhn_desktop.sync import suppress

if TYPE_CHECKING:
    from pathlib import Path

    from matplotlib.figure import Figure

    from lhn_desktop.charts.funnel import FunnelSpec
    from lhn_desktop.charts.spc_chart import SmallMultiplesSpec

COORDINATOR = "ncc"
#: counts from 1 to K-1 never leave the coordinating center (SYNC.md 3.2; CMS policy)
K = suppress.DEFAULT_K
#: a center's counts over the period: (center, numerator, denominator, value, this center)
Counted = tuple[str, int | None, int | None, float | None, bool]
#: populations that count events, whose months add up over a period
#: the inputs each database's figures were last published from, in this process (see publish_if_changed)
_PUBLISHED: dict[str, tuple[int, int]] = {}
#: the network's figures are written this many records at a time (each flush's field versions, then the records
#: let go), so publishing them holds a few hundred records, not the network's
_PUBLISH_CHUNK = 500
EVENT_POPULATIONS = frozenset({"visits_in_month", "collaborate_responses_in_month"})


@dataclass(frozen=True)
class CenterResult:
    """One center over the period: its counts, rate (0-1, or a continuous measure's value) and funnel limits."""

    center: str
    numerator: int | None
    denominator: int | None
    rate: float | None
    limits: dict[str, tuple[float, float]] | None = None
    outside: str | None = None
    #: this center, at a center's own workstation
    own: bool = False

    def as_json(self) -> dict:
        return {
            "center": self.center,
            "numerator": self.numerator,
            "denominator": self.denominator,
            "rate": _round(self.rate),
            "limits": {k: [_round(lo), _round(hi)] for k, (lo, hi) in self.limits.items()} if self.limits else None,
            "outside": self.outside,
        }


@dataclass(frozen=True)
class NetworkSummary:
    rate: float | None
    median: float | None
    q1: float | None
    q3: float | None
    centers: int
    numerator: int | None = None
    denominator: int | None = None

    def as_json(self) -> dict:
        return {"rate": _round(self.rate), "median": _round(self.median), "q1": _round(self.q1),
                "q3": _round(self.q3), "centers": self.centers}  # fmt: skip


@dataclass(frozen=True)
class Comparison:
    measure: MeasureInfo
    first: str
    last: str
    network: NetworkSummary
    centers: list[CenterResult]
    #: the months were added up (events); otherwise the period's last month was used (patients)
    summed: bool
    #: where it was made: the coordinating center sees every center's counts, a center what was sent back
    at_coordinator: bool

    @property
    def continuous(self) -> bool:
        return self.measure.continuous

    def as_json(self) -> dict:
        return {"measure": self.measure.code, "from": self.first, "to": self.last, "network": self.network.as_json(),
                "centers": [c.as_json() for c in self.centers]}  # fmt: skip

    def table_rows(self, k: int = suppress.DEFAULT_K) -> list[tuple[str, str, str, str, str]]:
        """The comparison as a table: the network, then each center (hidden counts as "<11")."""
        return [words.network_row(self), *(words.center_row(c, self.continuous, k) for c in self.centers)]

    @property
    def funnel(self) -> FunnelSpec:
        from lhn_desktop.charts.funnel import FunnelSpec

        return FunnelSpec(
            title=words.funnel_title(self.measure.title, self.first, self.last, self.summed),
            target=self.network.rate,
            points=[(c.center, c.denominator, c.rate, c.own, c.outside) for c in self.centers
                    if c.rate is not None and c.denominator],
            hidden=sum(1 for c in self.centers if c.rate is None),
        )  # fmt: skip


@dataclass(frozen=True)
class CenterMonths:
    """The center-by-month table: each center's counts by month (None: no value that month)."""

    measure: MeasureInfo
    months: list[str]
    #: center -> month -> (numerator, denominator, value)
    rows: dict[str, dict[str, tuple[int, int | None, float | None]]] = field(default_factory=dict)


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None else round(value, digits)


def _text(value: float | None) -> str | None:
    return None if value is None else f"{value:.4f}".rstrip("0").rstrip(".")


def _float(text: str | None) -> float | None:
    return None if text in (None, "") else float(text)


def _quartiles(values: list[float]) -> tuple[float | None, float | None, float | None]:
    if not values:
        return None, None, None
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, median, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return median, q1, q3


def _months_between(first: str, last: str) -> list[str]:
    out = []
    year, month = int(first[:4]), int(first[5:7])
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


class NetworkService:
    def __init__(self, db: Database, *, today: Callable[[], date] = date.today) -> None:
        self.db = db
        self.today = today
        self.measures = MeasureService(db, today=today)

    @property
    def at_coordinator(self) -> bool:
        return self.db.local_node().site_code == COORDINATOR

    # -- the period and what is counted ------------------------------------------------------------------------

    def _summed(self, measure: MeasureInfo) -> bool:
        from lhn_desktop.services import measure_library as lib

        spec = lib.load_library().get(measure.code)
        return spec is not None and spec.population.kind in EVENT_POPULATIONS

    def _period(self, code: str, first: str | None, last: str | None) -> tuple[MeasureInfo, str, str]:
        measure = self.measures.get(code)
        months = self._months(measure)
        if not months:
            raise NotFound(words.no_values(measure.title, self.at_coordinator))
        last = last or months[-1]
        first = first or last
        month_bounds(first), month_bounds(last)  # checks both are months
        if first > last:
            raise ValidationError(f"The period starts ({first}) after it ends ({last}); swap --from and --to.")
        return measure, first, last

    def months(self, code: str) -> list[str]:
        """The months a comparison can show: with the centers' values (coordinating center) or the network's."""
        return self._months(self.measures.get(code))

    def nothing_yet(self, code: str) -> str:
        """Why there is nothing to compare yet, and what to do."""
        return words.no_values(self.measures.get(code).title, self.at_coordinator)

    def _months(self, measure: MeasureInfo) -> list[str]:
        with self.db.read() as s:
            if self.at_coordinator:
                query = select(MeasureValue.month).where(MeasureValue.measure_id == measure.id,
                                                         MeasureValue.site_code != COORDINATOR)  # fmt: skip
            else:
                query = select(NetworkValue.month).where(NetworkValue.measure_id == measure.id)
            return sorted(set(s.scalars(query)))

    # -- at the coordinating center ----------------------------------------------------------------------------

    def _center_values(self, measure: MeasureInfo, months: Iterable[str]) -> dict[str, dict[str, MeasureValue]]:
        """Every center's values of these months, by site and month (the coordinating center's own left out)."""
        wanted = set(months)
        out: dict[str, dict[str, MeasureValue]] = {}
        with self.db.read() as s:
            for v in s.scalars(select(MeasureValue).where(MeasureValue.measure_id == measure.id,
                                                          MeasureValue.site_code != COORDINATOR)):  # fmt: skip
                if v.month in wanted:
                    s.expunge(v)
                    out.setdefault(v.site_code, {})[v.month] = v
        return out

    def _site_names(self) -> dict[str, tuple[str, bool]]:
        with self.db.read() as s:
            return {code: (name, bool(named)) for code, name, named in
                    s.execute(select(Site.code, Site.name, Site.named_in_network))}  # fmt: skip

    def compare(self, code: str, first: str | None = None, last: str | None = None) -> Comparison:
        """Each center against the network over ``first``..``last`` (default: the latest month with values)."""
        measure, first, last = self._period(code, first, last)
        summed = self._summed(measure)
        months = _months_between(first, last) if summed else [last]
        if self.at_coordinator:
            counts = self._coordinator_counts(measure, months)
        else:
            counts = self._center_counts(measure, months)
        return self._comparison(measure, first, last, summed, counts)

    def _coordinator_counts(
        self, measure: MeasureInfo, months: list[str]
    ) -> list[tuple[str, int | None, int | None, float | None, bool]]:
        out: list[Counted] = []
        for site, by_month in sorted(self._center_values(measure, months).items()):
            values = [by_month[m] for m in months if m in by_month]
            if not values:
                continue
            numerator = sum(v.numerator for v in values)
            denominator = sum(v.denominator or 0 for v in values)
            value = _float(values[-1].value) if measure.continuous else None
            out.append((site, numerator, denominator, value, False))
        return out

    def _center_counts(
        self, measure: MeasureInfo, months: list[str]
    ) -> list[tuple[str, int | None, int | None, float | None, bool]]:
        site = self.db.local_node().site_code
        with self.db.read() as s:
            own = [v for v in s.scalars(select(MeasureValue).where(MeasureValue.measure_id == measure.id,
                                                                   MeasureValue.site_code == site))
                   if v.month in months]  # fmt: skip
            others = [v for v in s.scalars(select(NetworkValue).where(NetworkValue.measure_id == measure.id,
                                                                      NetworkValue.center.is_not(None)))
                      if v.month in months]  # fmt: skip
            name = s.scalar(select(Site.name).where(Site.code == site)) or site
        out: list[Counted] = []
        if own:
            value = _float(own[-1].value) if measure.continuous else None
            out.append((name, sum(v.numerator for v in own), sum(v.denominator or 0 for v in own), value, True))
        by_center: dict[str, list[NetworkValue]] = {}
        for v in others:
            by_center.setdefault(v.center or "", []).append(v)
        for center, rows in sorted(by_center.items()):
            complete = len(rows) == len(months) and all(r.numerator is not None for r in rows)
            numerator = sum(r.numerator or 0 for r in rows) if complete else None
            shown = all(r.denominator is not None for r in rows)
            denominator = sum(r.denominator or 0 for r in rows) if shown else None
            value = _float(sorted(rows, key=lambda r: r.month)[-1].rate) if measure.continuous else None
            out.append((center, numerator, denominator, value, False))
        return out

    def _comparison(
        self, measure: MeasureInfo, first: str, last: str, summed: bool, counts: list[Counted]
    ) -> Comparison:
        reporting = [(c, n, d, v, own) for c, n, d, v, own in counts if d]
        if measure.continuous:
            values = sorted(v for _, _, _, v, _ in reporting if v is not None)
            median, q1, q3 = _quartiles(values)
            network = NetworkSummary(None, median, q1, q3, len(reporting))
            centers = [CenterResult(c, n, d, v, own=own) for c, n, d, v, own in counts]
            return Comparison(measure, first, last, network, centers, summed, self.at_coordinator)
        known = [(n, d) for _, n, d, _, _ in reporting if n is not None and d is not None]
        pooled_n, pooled_d = sum(n for n, _ in known), sum(d for _, d in known)
        target = pooled_n / pooled_d if pooled_d else None
        if not self.at_coordinator:  # a center pools what it may see: the network's own figure when sent
            target = self._network_rate(measure, first, last, summed) or target
        rates = sorted(n / d for n, d in known)
        median, q1, q3 = _quartiles(rates)
        centers = []
        for center, n, d, _, own in counts:
            rate = n / d if n is not None and d else None
            band = funnel.limits(d, target) if d and target is not None else None
            centers.append(CenterResult(center, n, d, rate, band.limits if band else None,
                                        band.outside(rate) if band and rate is not None else None, own))  # fmt: skip
        network = NetworkSummary(target, median, q1, q3, len(reporting), pooled_n, pooled_d)
        return Comparison(measure, first, last, network, centers, summed, self.at_coordinator)

    def _network_rate(self, measure: MeasureInfo, first: str, last: str, summed: bool) -> float | None:
        months = set(_months_between(first, last) if summed else [last])
        with self.db.read() as s:
            rows = [r for r in s.scalars(select(NetworkValue).where(NetworkValue.measure_id == measure.id,
                                                                    NetworkValue.center.is_(None)))
                    if r.month in months]  # fmt: skip
        if not rows or any(r.numerator is None or not r.denominator for r in rows):
            return None
        return sum(r.numerator or 0 for r in rows) / sum(r.denominator or 0 for r in rows)

    def center_months(self, code: str, first: str | None = None, last: str | None = None) -> CenterMonths:
        """The center-by-month table at the coordinating center (every center's months side by side)."""
        self._require_coordinator()
        measure = self.measures.get(code)
        months = self._months(measure)
        if not months:
            raise NotFound(words.no_values(measure.title, True))
        chosen = _months_between(first or months[0], last or months[-1])
        table = CenterMonths(measure, chosen)
        for site, by_month in sorted(self._center_values(measure, chosen).items()):
            table.rows[site] = {m: (v.numerator, v.denominator, _float(v.value)) for m, v in by_month.items()}
        return table

    def center_charts(self, code: str, most: int = 36) -> SmallMultiplesSpec:
        """Every center's chart of one measure, side by side on one scale (at the coordinating center); a page holds
        ``most`` of them, in the order of their codes, and its title says when there are more (the table has all)."""
        from lhn_desktop.charts.spc_chart import ChartMarks, SmallMultiplesSpec
        from lhn_desktop.services.measures import month_label
        from lhn_desktop.spc import SpcInput, SpcOptions, analyze

        table = self.center_months(code)
        measure = table.measure
        charts = []
        for site, by_month in list(table.rows.items())[:most]:
            months = [m for m in table.months if m in by_month]
            if not months:
                continue
            cells = [by_month[m] for m in months]
            percent = measure.percent
            request = SpcInput(
                chart=measure.chart,
                x=tuple(month_bounds(m)[0] for m in months),
                y=tuple((v if measure.continuous else float(n)) if (d or measure.continuous) else None
                        for n, d, v in cells),
                n=tuple(float(d) if d else None for _, d, _ in cells) if percent else None,
                options=SpcOptions(freeze=12 if len(months) > 12 else None, multiply=100.0 if percent else 1.0),
            )  # fmt: skip
            marks = ChartMarks(
                title=site,
                y_label=measure.unit or ("percent" if percent else "value"),
                x_labels=[month_label(m) for m in months],
                target=measure.target,
                percent=percent,
            )
            charts.append((analyze(request), marks))
        if not charts:
            raise NotFound(words.no_values(measure.title, True))
        title = words.centers_title(measure.title, len(charts), len(table.rows))
        return SmallMultiplesSpec(tuple(charts), title=title,
                                  source=self.measures.export_source(), columns=3)  # fmt: skip

    def _require_coordinator(self) -> None:
        if not self.at_coordinator:
            raise ValidationError(
                "Only the network's coordinating center holds every center's values. At a center, compare with "
                "the network's figures instead (the funnel plot and the band behind your chart)."
            )

    # -- what goes back to the centers -------------------------------------------------------------------------

    def _codes(self, actor: Actor, sites: Iterable[str]) -> dict[str, int]:
        """Each center's stable number, given in the order centers first appear (kept at the coordinating center)."""
        with self.db.write(actor) as s:
            codes = {c.site_code: c.number for c in s.scalars(select(CenterCode))}
            for site in sorted(set(sites) - set(codes)):
                codes[site] = max(codes.values(), default=0) + 1
                s.add(CenterCode(id=natural_id(f"center-code/{site}"), site_code=site, number=codes[site]))
        return codes

    def _inputs(self) -> tuple[int, int]:
        """What the published figures are made from, in two counts: bundles imported, and the field versions of
        the centers' months, sites and measures. Unchanged counts mean the figures are current."""
        from sqlalchemy import func

        from lhn_desktop.models.sync import SyncImportLog
        from lhn_desktop.store import versions as stored

        with self.db.read() as s:
            imports = s.scalar(select(func.count()).select_from(SyncImportLog)) or 0
            versions = stored.count(s, ("measure_value", "site", "measure_definition"))
        return imports, versions

    def publish_if_changed(self, actor: Actor) -> int:
        """Publish unless nothing the figures are made from has changed since this process last published them
        (writing a bundle back to each of 300 centers publishes once, not 300 times)."""
        key = str(self.db.path)
        inputs = self._inputs()
        if _PUBLISHED.get(key) == inputs:
            return 0
        changed = self.publish(actor)
        _PUBLISHED[key] = inputs
        return changed

    def publish(self, actor: Actor) -> int:
        """Write what the network sends back (``network_value``): every measure and month's aggregates and coded
        center values, after small-cell suppression. Returns how many records were written or changed."""
        self._require_coordinator()
        with self.db.read() as s:
            rows = s.execute(
                select(MeasureValue.measure_id, MeasureValue.month, MeasureValue.site_code, MeasureValue.numerator,
                       MeasureValue.denominator, MeasureValue.value).where(MeasureValue.site_code != COORDINATOR)
            ).all()  # fmt: skip
        kinds = {m.id: m for m in self.measures.list_measures()}
        codes = self._codes(actor, {site for _, _, site, _, _, _ in rows})
        names = self._site_names()
        cells: dict[tuple[str, str], list[tuple[str, int, int, float | None]]] = {}
        for measure_id, month, site, numerator, denominator, value in rows:
            if measure_id in kinds:
                cells.setdefault((measure_id, month), []).append((site, numerator, denominator or 0, _float(value)))
        wanted: dict[str, dict] = {}
        for (measure_id, month), centers in cells.items():
            centers.sort()
            for about, record in _published(kinds[measure_id], centers):
                label = _label(about, names, codes) if about else None
                key = natural_id(f"network-value/{measure_id}/{month}/{about}")
                wanted[key] = {"measure_id": measure_id, "month": month, "about_site": about, "center": label,
                               **record}  # fmt: skip
        changed = 0
        with self.db.write(actor) as s:  # one transaction, written a few hundred records at a time
            held = set(s.scalars(select(NetworkValue.id)))
            keys, gone = sorted(wanted), sorted(held - wanted.keys())
            for start in range(0, len(keys), _PUBLISH_CHUNK):
                chunk = keys[start : start + _PUBLISH_CHUNK]
                existing = {r.id: r for r in s.scalars(select(NetworkValue).where(NetworkValue.id.in_(chunk)))}
                for key in chunk:
                    fields, current = wanted[key], existing.get(key)
                    if current is None:
                        s.add(NetworkValue(id=key, **fields))
                        changed += 1
                    elif any(getattr(current, k) != v for k, v in fields.items()):
                        for k, v in fields.items():
                            setattr(current, k, v)
                        changed += 1
                _written(s)
            for start in range(0, len(gone), _PUBLISH_CHUNK):
                chunk = gone[start : start + _PUBLISH_CHUNK]
                for stale in s.scalars(select(NetworkValue).where(NetworkValue.id.in_(chunk))):
                    s.delete(stale)
                    changed += 1
                _written(s)
        return changed

    # -- pictures and the report -------------------------------------------------------------------------------

    def funnel_figure(self, comparison: Comparison) -> Figure:
        spec = comparison.funnel
        spec.source = self.measures.export_source()
        return spec.figure()

    def render_funnel(self, comparison: Comparison, out: str | Path) -> Path:
        from lhn_desktop.services.measures import _check_format, _save

        _check_format(out)
        if comparison.continuous:
            raise ValidationError(
                f"{comparison.measure.title} is a median or mean, not a proportion: a funnel plot compares "
                "proportions. Use the table (--json) to compare the centers' values."
            )
        return _save(self.funnel_figure(comparison), out, {"title": comparison.measure.title})

    def report(self, actor: Actor, month: str, out: str | Path) -> Path:
        """The monthly network report (PDF) for the network's meeting: for each measure with values that month,
        the funnel plot and the table of centers, as they may leave the coordinating center (suppressed)."""
        from pathlib import Path

        from lhn_desktop.charts.funnel import network_report

        self._require_coordinator()
        month_bounds(month)
        target = Path(out)
        if target.suffix.lower() != ".pdf":
            raise ValidationError(f"The network report is a PDF: name the file .pdf, not {target.suffix or 'nothing'}.")
        self.publish(actor)
        pages = []
        for measure in self.measures.list_measures():
            if month not in self._months(measure):
                continue
            comparison = self._shared(actor, self.compare(measure.code, month, month))
            pages.append((comparison.funnel if not measure.continuous else None, comparison.table_rows()))
        if not pages:
            raise NotFound(f"No center has sent values for {month} yet; choose a month the centers have reported.")
        return network_report(pages, words.report_title(month), self.measures.export_source(), target)

    def _shared(self, actor: Actor, comparison: Comparison) -> Comparison:
        """The comparison as it may leave the coordinating center: what ``publish`` sends back (coded centers,
        small counts hidden, the network's figures from the counts that can be shown), with the funnel limits."""
        names = self._site_names()
        codes = self._codes(actor, (c.center for c in comparison.centers))
        cells = [(c.center, c.numerator or 0, c.denominator or 0, c.rate if comparison.continuous else None)
                 for c in comparison.centers]  # fmt: skip
        shown = dict(_published(comparison.measure, cells))
        centers = []
        for c in comparison.centers:
            row = shown[c.center]
            rate = _float(row["rate"])
            centers.append(CenterResult(_label(c.center, names, codes), row["numerator"], row["denominator"], rate,
                                        c.limits if rate is not None else None,
                                        c.outside if rate is not None else None))  # fmt: skip
        net = shown[""]
        network = NetworkSummary(_float(net["rate"]), _float(net["median"]), _float(net["q1"]), _float(net["q3"]),
                                 net["centers"], net["numerator"], net["denominator"])  # fmt: skip
        return Comparison(comparison.measure, comparison.first, comparison.last, network,
                          sorted(centers, key=lambda c: c.center), comparison.summed, True)  # fmt: skip


def _written(session) -> None:
    """Write what the session holds (its field versions are captured by the flush) and let the records go."""
    session.flush()
    session.expunge_all()


def _label(site: str, names: dict[str, tuple[str, bool]], codes: dict[str, int]) -> str:
    """How a center is shown outside the coordinating center: its name if it chose so, else its stable code."""
    name, named = names.get(site, (site, False))
    return name if named else words.center_code(codes[site])


def _published(measure: MeasureInfo, centers: list[tuple[str, int, int, float | None]]) -> list[tuple[str, dict]]:
    """One month of one measure as it may leave: (about site or "", fields) for the network and each center."""
    reporting = [c for c in centers if c[2] > 0]
    if measure.continuous:
        shown_values = sorted(v for _, n, _, v in reporting if v is not None and n >= K)
        median, q1, q3 = _quartiles(shown_values)
        total_n, total_d = sum(n for _, n, _, _ in centers), sum(d for _, _, d, _ in centers)
        network = {"numerator": total_n if not 0 < total_n < K else None,
                   "denominator": total_d if not 0 < total_d < K else None, "rate": None,
                   "median": _text(median), "q1": _text(q1), "q3": _text(q3), "centers": len(reporting)}  # fmt: skip
        out = [("", network)]
        for site, n, d, v in centers:
            visible = n >= K and v is not None
            out.append((site, {"numerator": n if not 0 < n < K else None, "denominator": d if not 0 < d < K else None,
                               "rate": _text(v) if visible else None, "median": None, "q1": None, "q3": None,
                               "centers": None}))  # fmt: skip
        return out
    table = [[n, max(0, d - n)] for _, n, d, _ in centers]
    hidden = suppress.suppress(table)
    row_totals, column_totals, grand = suppress.totals(table, hidden)
    rates = []
    out = []
    for (site, _, _, _), cells, denominator in zip(centers, hidden, row_totals, strict=True):
        numerator = cells[0]
        rate = numerator / denominator if numerator is not None and denominator else None
        if rate is not None:
            rates.append(rate)
        out.append((site, {"numerator": numerator, "denominator": denominator, "rate": _text(rate), "median": None,
                           "q1": None, "q3": None, "centers": None}))  # fmt: skip
    median, q1, q3 = _quartiles(sorted(rates))
    pooled_n = column_totals[0] if column_totals else 0
    pooled = pooled_n / grand if pooled_n is not None and grand else None
    network = {"numerator": pooled_n, "denominator": grand, "rate": _text(pooled), "median": _text(median),
               "q1": _text(q1), "q3": _text(q3), "centers": len(reporting)}  # fmt: skip
    return [("", network), *out]
