"""Network comparison end to end: three centers send their months to the coordinating center, which keeps them
apart, compares them (funnel plot, every center's chart, the center-by-month table, the monthly report) and sends
back the network's figures, coded and suppressed; each center then sees itself against the network.

The months entered (remission by PGA, patients, and model care, visits):

| center | remission Dec 2025 | remission Jan 2026 | model care Dec | model care Jan |
|---|---|---|---|---|
| ctr-a (Riverside) | 28 of 58 | 30 of 60 | 20 of 25 | 22 of 30 |
| ctr-b (Lakeside, chose to be named) | 44 of 74 | 45 of 75 | 30 of 40 | 35 of 40 |
| ctr-c (Hillcrest) | 12 of 20 | 8 of 10 | 5 of 6 | 9 of 12 |

January's remission: pooled 83 of 145; centers 0.5, 0.6 and 0.8, so the median 0.6 and the quartiles (inclusive
method) 0.55 and 0.7. Model care counts visits, so a period adds its months: ctr-a 42 of 55 over December and
January. Remission counts patients, so a period uses its last month.
"""

from __future__ import annotations

import json
import zipfile
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from lhn_desktop.access import Actor
from lhn_desktop.errors import NotFound, ValidationError
from lhn_desktop.models.measures import MeasureValue
from lhn_desktop.models.network import NetworkValue
from lhn_desktop.services.center import init_center_database, set_named_in_network
from lhn_desktop.services.measures import MeasureService
from lhn_desktop.services.network import NetworkService
from lhn_desktop.services.sync import SyncService
from lhn_desktop.services.trust import TrustService
from lhn_desktop.spc import funnel
from lhn_desktop.store.database import Database
from lhn_desktop.sync import suppress
from lhn_desktop.sync.bundle import peek_manifest

ADMIN = Actor.workstation()
TODAY = date(2026, 2, 10)
MONTHS = {
    "ctr-a": {"remission_pga": {"2025-12": (28, 58), "2026-01": (30, 60)},
              "model_care": {"2025-12": (20, 25), "2026-01": (22, 30)}},
    "ctr-b": {"remission_pga": {"2025-12": (44, 74), "2026-01": (45, 75)},
              "model_care": {"2025-12": (30, 40), "2026-01": (35, 40)}},
    "ctr-c": {"remission_pga": {"2025-12": (12, 20), "2026-01": (8, 10)},
              "model_care": {"2025-12": (5, 6), "2026-01": (9, 12)}},
}  # fmt: skip
NAMES = {"ctr-a": "Riverside", "ctr-b": "Lakeside", "ctr-c": "Hillcrest"}


@pytest.fixture(params=["sqlite", "postgresql"])
def network(request: pytest.FixtureRequest, tmp_path: Path):
    """The coordinating center and three centers that trust each other's keys, each center with its months.

    The coordinating center's database is a file, or (the second run) on a PostgreSQL server (decision 48)."""
    dbs = {}
    for site in ("ncc", *NAMES):
        folder = tmp_path / site
        folder.mkdir()
        where = folder / "center.sqlite3"
        if site == "ncc" and request.param == "postgresql":
            where = request.getfixturevalue("pg_url")
        init_center_database(
            where,
            folder / "backups",
            site,
            NAMES.get(site, "ImproveCareNow"),
            network="ImproveCareNow",
            actor=ADMIN,
            network_center=site == "ncc",
            encrypt=False,
        )
        dbs[site] = Database.open(where, folder / "backups")
        assert dbs[site].on_server == (isinstance(where, str))
    cards = {site: TrustService.read_card(TrustService(db).export_card(tmp_path / f"{site}.card"))
             for site, db in dbs.items()}  # fmt: skip
    for site in NAMES:
        TrustService(dbs["ncc"]).add(ADMIN, cards[site], cards[site].fingerprint, role="node")
        TrustService(dbs[site]).add(ADMIN, cards["ncc"], cards["ncc"].fingerprint, role="ncc")
        measures = MeasureService(dbs[site], today=lambda: TODAY)
        measures.install_library(ADMIN)
        for code, months in MONTHS[site].items():
            for month, (numerator, denominator) in months.items():
                measures.enter_value(ADMIN, code, month, numerator, denominator)
    set_named_in_network(dbs["ctr-b"], ADMIN, True)
    yield dbs
    for db in dbs.values():
        db.close()


def _send(src: Database, dst: Database, folder: Path, audience: str | None = None) -> Path:
    folder.mkdir(exist_ok=True)
    path = SyncService(src).export_network(ADMIN, folder, audience=audience)
    SyncService(dst).import_bundle(ADMIN, path, None)
    return path


def _rows(bundle: Path, entity: str) -> list[dict]:
    with zipfile.ZipFile(bundle) as zf:
        name = f"data/{entity}.ndjson"
        if name not in zf.namelist():
            return []
        return [json.loads(line) for line in zf.read(name).decode().splitlines() if line.strip()]


def _round_trip(network, tmp_path: Path) -> dict[str, Path]:
    for site in NAMES:
        _send(network[site], network["ncc"], tmp_path / f"{site}-out")
    return {site: _send(network["ncc"], network[site], tmp_path / f"back-{site}", audience=site) for site in NAMES}


def test_the_coordinator_keeps_the_centers_apart_and_compares_them(network, tmp_path: Path):
    _round_trip(network, tmp_path)
    ncc = NetworkService(network["ncc"], today=lambda: TODAY)
    january = ncc.compare("remission_pga")
    assert (january.first, january.last, january.summed, january.at_coordinator) == ("2026-01", "2026-01", False, True)
    assert [(c.center, c.numerator, c.denominator) for c in january.centers] == [
        ("ctr-a", 30, 60), ("ctr-b", 45, 75), ("ctr-c", 8, 10)]  # fmt: skip
    pooled = 83 / 145
    assert january.network.rate == pytest.approx(pooled) and january.network.centers == 3
    assert (january.network.median, january.network.q1, january.network.q3) == pytest.approx((0.6, 0.55, 0.7))
    for c in january.centers:
        expected = funnel.limits(c.denominator, pooled).limits
        assert {k: pytest.approx(v) for k, v in expected.items()} == c.limits
        low, high = c.limits["99.8"]
        assert c.outside == ("above" if c.rate > high else "below" if c.rate < low else None)
    as_json = january.as_json()
    assert set(as_json) == {"measure", "from", "to", "network", "centers"}
    assert set(as_json["network"]) == {"rate", "median", "q1", "q3", "centers"}
    assert set(as_json["centers"][0]) == {"center", "numerator", "denominator", "rate", "limits", "outside"}
    assert set(as_json["centers"][0]["limits"]) == {"95", "99.8"}

    # visits add up over a period; patients use its last month
    care = ncc.compare("model_care", "2025-12", "2026-01")
    assert care.summed and [(c.numerator, c.denominator) for c in care.centers] == [(42, 55), (65, 80), (14, 18)]
    assert ncc.compare("remission_pga", "2025-12", "2026-01").centers[0].denominator == 60

    table = ncc.center_months("remission_pga")
    assert table.months == ["2025-12", "2026-01"]
    assert table.rows["ctr-c"] == {"2025-12": (12, 20, None), "2026-01": (8, 10, None)}
    charts = ncc.center_charts("remission_pga")
    assert [marks.title for _, marks in charts.charts] == ["ctr-a", "ctr-b", "ctr-c"]
    assert charts.title.endswith("every center")
    two = ncc.center_charts("remission_pga", most=2)
    assert len(two.charts) == 2 and "the first 2 of 3 centers" in two.title

    # the coordinator's own measures page: the network's months, one per month (no longer twice, without a center)
    measures = MeasureService(network["ncc"], today=lambda: TODAY)
    assert [(v.month, v.numerator, v.denominator) for v in measures.values("remission_pga")] == [
        ("2025-12", 84, 152), ("2026-01", 83, 145)]  # fmt: skip
    assert measures.chart_csv("remission_pga").count("\n") == 3  # a header and one line a month
    with pytest.raises(ValidationError, match="holds no patient records"):
        measures.compute(ADMIN)


def test_what_goes_back_is_coded_suppressed_and_each_center_sees_the_network(network, tmp_path: Path):
    bundles = _round_trip(network, tmp_path)
    # no count of patients or visits from 1 to 10 leaves the coordinating center (the number of centers reporting
    # is not one), and which center a row is about stays there
    for bundle in bundles.values():
        rows = _rows(bundle, "network_value")
        assert rows, "the network's figures go back"
        counts = [r["v"] for r in rows if r["field"] in ("numerator", "denominator") and r["v"] is not None]
        assert all(v == 0 or v >= suppress.DEFAULT_K for v in counts if not isinstance(v, bool))
        assert not [r for r in rows if r["field"] == "about_site"]
    # January's published table is exactly what the suppression rule allows
    with network["ncc"].read() as s:
        published = {(r.measure_id, r.month, r.about_site): r for r in s.scalars(select(NetworkValue))}
    remission_id = _measure_id(network["ncc"], "remission_pga")
    remission = {(month, about): r for (mid, month, about), r in published.items() if mid == remission_id}
    table = [[30, 30], [45, 30], [8, 2]]
    hidden = suppress.suppress(table)
    row_totals, column_totals, grand = suppress.totals(table, hidden)
    for k, site in enumerate(NAMES):
        row = remission["2026-01", site]
        assert (row.numerator, row.denominator) == (hidden[k][0], row_totals[k])
    assert remission["2026-01", "ctr-c"].numerator is None and remission["2026-01", "ctr-c"].denominator is None
    network_row = remission["2026-01", ""]
    assert (network_row.numerator, network_row.denominator, network_row.centers) == (column_totals[0], grand, 3)

    # at ctr-a: the others under a code, or by name if they chose it; its own row is not sent back to it
    at_a = NetworkService(network["ctr-a"], today=lambda: TODAY)
    with network["ctr-a"].read() as s:
        labels = {r.center for r in s.scalars(select(NetworkValue))}
    assert labels == {None, "Lakeside", "Center 3"}
    seen = at_a.compare("remission_pga")
    own = next(c for c in seen.centers if c.own)
    assert (own.center, own.numerator, own.denominator, seen.at_coordinator) == ("Riverside", 30, 60, False)
    assert {c.center for c in seen.centers} == {"Riverside", "Lakeside", "Center 3"}
    assert next(c for c in seen.centers if c.center == "Center 3").rate is None  # hidden, not 0
    # the chart of ctr-a's own months shows the network's median and quartiles behind it
    chart = MeasureService(network["ctr-a"], today=lambda: TODAY).chart("remission_pga")
    expected = [(None if r.median is None else 100 * float(r.median), None if r.q1 is None else 100 * float(r.q1),
                 None if r.q3 is None else 100 * float(r.q3)) for r in (remission["2025-12", ""],
                                                                        remission["2026-01", ""])]  # fmt: skip
    assert [pytest.approx(e) for e in expected] == chart.band
    # after suppression only Lakeside's January rate can be shown: the middle half is that one rate
    assert chart.band[-1] == pytest.approx((60.0, 60.0, 60.0))
    assert chart.spec.marks.band == chart.band
    # ctr-b, named, sees ctr-a as a code
    with network["ctr-b"].read() as s:
        assert {r.center for r in s.scalars(select(NetworkValue))} == {None, "Center 1", "Center 3"}


def test_the_funnel_plot_and_the_monthly_report_are_drawn(network, tmp_path: Path):
    _round_trip(network, tmp_path)
    ncc = NetworkService(network["ncc"], today=lambda: TODAY)
    for name in ("funnel.png", "funnel.svg", "funnel.pdf"):
        out = ncc.render_funnel(ncc.compare("remission_pga"), tmp_path / name)
        assert out.stat().st_size > 2000
    report = ncc.report(ADMIN, "2026-01", tmp_path / "report.pdf")
    assert report.read_bytes().startswith(b"%PDF") and not (tmp_path / "report.pdf.part").exists()
    with pytest.raises(ValidationError, match="is a PDF"):
        ncc.report(ADMIN, "2026-01", tmp_path / "report.png")
    at_a = NetworkService(network["ctr-a"], today=lambda: TODAY)
    spec = at_a.compare("remission_pga").funnel
    assert [own for _, _, _, own, _ in spec.points].count(True) == 1 and spec.hidden == 1
    assert at_a.render_funnel(at_a.compare("remission_pga"), tmp_path / "mine.png").stat().st_size > 2000
    with pytest.raises(ValidationError, match="coordinating center holds every center"):
        at_a.center_months("remission_pga")


def _measure_id(db: Database, code: str) -> str:
    return MeasureService(db).get(code).id


def test_one_write_back_for_every_center_carries_what_each_would_get_alone(network, tmp_path: Path):
    for site in NAMES:
        _send(network[site], network["ncc"], tmp_path / f"{site}-out")
    sync = SyncService(network["ncc"])
    alone = {site: sync.export_network(ADMIN, _folder(tmp_path / f"alone-{site}"), audience=site) for site in NAMES}
    together = sync.export_network_to_centers(ADMIN, _folder(tmp_path / "together"))
    assert len(together) == 3
    for bundle in together:
        audience = peek_manifest(bundle)["audience"]["site_id"]
        for entity in ("network_value", "resource", "site", "measure_definition"):
            mine = {(r["id"], r["field"], json.dumps(r["v"])) for r in _rows(bundle, entity)}
            assert mine == {(r["id"], r["field"], json.dumps(r["v"])) for r in _rows(alone[audience], entity)}
        assert not [r for r in _rows(bundle, "network_value") if r["field"] == "about_site"]
    SyncService(network["ctr-a"]).import_bundle(ADMIN, together[0], None)  # a real bundle its center accepts
    with pytest.raises(NotFound, match="No center ctr-z"):
        sync.export_network_to_centers(ADMIN, tmp_path, centers=["ctr-z"])
    with pytest.raises(ValidationError, match="Only the coordinating center"):
        SyncService(network["ctr-a"]).export_network_to_centers(ADMIN, tmp_path)


def test_a_write_back_carries_what_its_review_saw_though_a_bundle_arrives_meanwhile(
    network, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """The write-back reads its rows a few thousand at a time, once for the free-text gate and once for each
    center, all from one snapshot: a resource that arrives after the review goes in no bundle of this write-back
    (the gate never saw it), and in the next one."""
    from tests.sync.test_network import share

    for site in NAMES:
        _send(network[site], network["ncc"], tmp_path / f"{site}-out")
    late = share(network["ctr-a"], "Arrives during the write-back")
    reviewed = SyncService._gate

    def gate_then_a_bundle_arrives(self, *args, **kwargs):
        note = reviewed(self, *args, **kwargs)
        if self.db is network["ncc"] and not (tmp_path / "meanwhile").exists():  # another window imports it now
            _send(network["ctr-a"], network["ncc"], tmp_path / "meanwhile")
        return note

    monkeypatch.setattr(SyncService, "_gate", gate_then_a_bundle_arrives)
    together = SyncService(network["ncc"]).export_network_to_centers(ADMIN, _folder(tmp_path / "together"))
    monkeypatch.undo()
    assert len(together) == 3
    assert not [r for bundle in together for r in _rows(bundle, "resource") if r["id"] == late]
    assert SyncService(network["ncc"]).preview_every_center(ADMIN).counts  # the next review sees it
    again = SyncService(network["ncc"]).export_network_to_centers(ADMIN, _folder(tmp_path / "again"))
    carried = {peek_manifest(b)["audience"]["site_id"] for b in again
               if any(r["id"] == late for r in _rows(b, "resource"))}  # fmt: skip
    assert carried == {"ctr-b", "ctr-c"}  # not back to the center that wrote it


@pytest.mark.parametrize("group", [1, 2])
def test_a_write_back_in_groups_of_centers_writes_the_same_bundles(network, tmp_path: Path, group: int,
                                                                   monkeypatch: pytest.MonkeyPatch):  # fmt: skip
    """Bundles written side by side from one read (``WRITE_BACK_GROUP`` at a time) hold what one group gives."""
    from lhn_desktop.services import sync as sync_module

    for site in NAMES:
        _send(network[site], network["ncc"], tmp_path / f"{site}-out")
    sync = SyncService(network["ncc"])
    whole = {peek_manifest(b)["audience"]["site_id"]: b
             for b in sync.export_network_to_centers(ADMIN, _folder(tmp_path / "one-group"), full=True)}  # fmt: skip
    monkeypatch.setattr(sync_module, "WRITE_BACK_GROUP", group)
    grouped = sync.export_network_to_centers(ADMIN, _folder(tmp_path / "groups"), full=True)
    assert sorted(peek_manifest(b)["audience"]["site_id"] for b in grouped) == sorted(NAMES)
    for bundle in grouped:
        mine = whole[peek_manifest(bundle)["audience"]["site_id"]]
        for entity in ("network_value", "resource", "site", "measure_definition"):
            assert _rows(bundle, entity) == _rows(mine, entity)


def test_a_failed_write_back_leaves_no_bundle_of_its_group_half_written(network, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):  # fmt: skip
    from lhn_desktop.services import sync as sync_module

    for site in NAMES:
        _send(network[site], network["ncc"], tmp_path / f"{site}-out")
    chosen = sync_module._to_audience

    def fails_for_the_second(entity, rows, audience, start):
        if audience == "ctr-b":
            raise OSError("the drive was pulled out")
        return chosen(entity, rows, audience, start)

    monkeypatch.setattr(sync_module, "_to_audience", fails_for_the_second)
    out = _folder(tmp_path / "out")
    with pytest.raises(OSError, match="pulled out"):
        SyncService(network["ncc"]).export_network_to_centers(ADMIN, out)
    assert list(out.iterdir()) == []  # neither a bundle nor a .part of any center of the group


def test_the_write_back_is_held_by_the_free_text_gate_until_attested(network, tmp_path: Path):
    from lhn_desktop.services.sync import ExportBlocked
    from tests.sync.test_network import share

    for site in NAMES:
        _send(network[site], network["ncc"], tmp_path / f"{site}-out")
    share(network["ctr-a"], "Phone follow-up", body="Ring the family on 614-555-0134 after the infusion.")
    why = "This is the clinic's own switchboard number, not a family's."
    out = _folder(tmp_path / "a-out")
    SyncService(network["ncc"]).import_bundle(
        ADMIN, SyncService(network["ctr-a"]).export_network(ADMIN, out, attestation=why), None)  # fmt: skip
    back = _folder(tmp_path / "back")
    with pytest.raises(ExportBlocked, match="Nothing was exported") as blocked:
        SyncService(network["ncc"]).export_network_to_centers(ADMIN, back)
    assert "614-555-0134" not in str(blocked.value) and list(back.iterdir()) == []
    written = SyncService(network["ncc"]).export_network_to_centers(ADMIN, back, attestation=why)
    assert sorted(peek_manifest(b)["audience"]["site_id"] for b in written) == ["ctr-a", "ctr-b", "ctr-c"]


def test_the_network_figures_written_a_few_at_a_time_are_the_same(network, tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch):  # fmt: skip
    """Publishing writes the figures a few hundred records at a time in one transaction: with one or two records at
    a time, what it adds, changes and removes is what the whole at once gives (publishing again changes nothing)."""
    from lhn_desktop.services import network as network_module

    for site in NAMES:
        _send(network[site], network["ncc"], tmp_path / f"{site}-out")
    ncc = NetworkService(network["ncc"], today=lambda: TODAY)

    def publish(chunk: int) -> int:
        monkeypatch.setattr(network_module, "_PUBLISH_CHUNK", chunk)
        return ncc.publish(ADMIN)

    added = publish(1)
    assert added > 0 and publish(500) == 0
    with network["ncc"].read() as s:
        count = len(s.scalars(select(NetworkValue.id)).all())
    MeasureService(network["ctr-a"], today=lambda: TODAY).enter_value(ADMIN, "remission_pga", "2026-01", 31, 60)
    _send(network["ctr-a"], network["ncc"], tmp_path / "a-again")
    assert publish(2) > 0 and publish(500) == 0  # a changed month
    kept = network_module._published
    monkeypatch.setattr(network_module, "_published", lambda measure, centers: [] if measure.code == "model_care"
                        else kept(measure, centers))  # fmt: skip
    removed = publish(2)
    assert removed > 0 and publish(500) == 0  # a measure's figures no longer published
    with network["ncc"].read() as s:
        assert len(s.scalars(select(NetworkValue.id)).all()) == count - removed


def test_past_the_bound_an_import_checks_every_table_for_missing_parents(network, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch):  # fmt: skip
    """A merge touching more rows than ``_MOST_TOUCHED`` checks every table (SQLite's foreign-key check, or a query
    per foreign key on a server) and merges as a small one does."""
    from lhn_desktop.store import sync_apply

    monkeypatch.setattr(sync_apply, "_MOST_TOUCHED", 0)
    for site in NAMES:
        bundle = SyncService(network[site]).export_network(ADMIN, _folder(tmp_path / f"{site}-out"))
        assert SyncService(network["ncc"]).import_bundle(ADMIN, bundle, None).hidden == 0
    with network["ncc"].read() as s:
        sites = set(s.scalars(select(MeasureValue.site_code).distinct()))
    assert sites >= set(NAMES)


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


def test_after_the_first_round_each_way_carries_only_what_changed(network, tmp_path: Path):
    """Delta bundles between centers and the coordinator (decision 50): each side learns from the other's bundle
    what it holds, so a month changed at one center travels alone, and so do the figures it changed."""
    first = _round_trip(network, tmp_path)
    for site in ("ctr-b", "ctr-c"):  # their next bundles say they have the network's figures
        _send(network[site], network["ncc"], tmp_path / f"{site}-again")
    measures = MeasureService(network["ctr-a"], today=lambda: TODAY)
    measures.enter_value(ADMIN, "remission_pga", "2026-01", 31, 60)
    up = _send(network["ctr-a"], network["ncc"], tmp_path / "ctr-a-again")
    assert peek_manifest(up)["kind"] == "delta"
    changed = _rows(up, "measure_value")
    assert {r["field"] for r in changed} == {"numerator"} and [r["v"] for r in changed] == [31]
    assert not _rows(up, "resource") and not _rows(up, "site")
    down = _send(network["ncc"], network["ctr-b"], tmp_path / "back-ctr-b-again", audience="ctr-b")
    assert peek_manifest(down)["kind"] == "delta"
    figures = _rows(down, "network_value")
    assert figures and len(figures) < len(_rows(first["ctr-b"], "network_value")) / 4
    assert not [r for r in figures if r["field"] == "about_site"]
    # nothing is missing: a full bundle now brings ctr-b nothing new
    full = SyncService(network["ncc"]).export_network(ADMIN, _folder(tmp_path / "full-b"), audience="ctr-b", full=True)
    assert peek_manifest(full)["kind"] == "full"
    assert SyncService(network["ctr-b"]).import_bundle(ADMIN, full, None).added == 0
    # the write-back to every center: a delta for each, and each center's own figures still stay out of its bundle
    together = SyncService(network["ncc"]).export_network_to_centers(ADMIN, _folder(tmp_path / "together-again"))
    assert {peek_manifest(path)["kind"] for path in together} == {"delta"}
    for path in together:
        SyncService(network[peek_manifest(path)["audience"]["site_id"]]).import_bundle(ADMIN, path, None)
