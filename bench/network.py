"""Coordinating center benchmark: ingesting the centers' network bundles and writing bundles back, on SQLite and
on PostgreSQL.

Each center sends 36 months of 10 measures and 50 shared resources in a real, signed network bundle (made by
``SyncService.export_network`` on its own database; building them is not timed). The coordinating center imports
every bundle (``SyncService.import_bundle``: verify, merge field versions, write the records) and then writes a
network bundle back to ``--write-back`` centers with ``export_network_to_centers`` (the network's figures
published, the rows read and the free text reviewed once, then a bundle written for each). Each bundle back carries
every other center's coded values and resources, so it grows with the network; the time for all centers is given
as an estimate from those written. Baselines, in the same run and on the same store:

- ingest: the same records (decoded beforehand) written in one transaction into an empty coordinating center's
  database with raw ``sqlite3`` ``executemany`` (SQLite) or ``COPY`` (PostgreSQL);
- write-back: the same rows read with raw SQL and written as JSON lines into a zip file per center.

The PostgreSQL run starts a server of its own (``tests/pg.py``); without PostgreSQL it says so and measures SQLite.

Usage: ``python bench/network.py [--centers N] [--write-back M] [--no-server]`` (default 300 and 20).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
import zipfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MONTHS = 36
MEASURES = 10
RESOURCES = 50


def _months() -> list[str]:
    out = []
    year, month = 2023, 1
    for _ in range(MONTHS):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def build_center(work: Path, site: str, number: int, ncc_card, ncc_fingerprint: str, outbox: Path):
    """A center with its months and resources; returns its key card and its network bundle."""
    from lhn_desktop.access import Actor
    from lhn_desktop.models.commons import Resource
    from lhn_desktop.models.measures import MeasureValue
    from lhn_desktop.services.center import init_center_database
    from lhn_desktop.services.measure_library import load_library, value_id
    from lhn_desktop.services.measures import MeasureService
    from lhn_desktop.services.sync import SyncService
    from lhn_desktop.services.trust import TrustService
    from lhn_desktop.store.database import Database

    admin = Actor.workstation()
    folder = work / site
    folder.mkdir()
    init_center_database(folder / "c.sqlite3", folder / "b", site, f"Center {number}", network="Bench network",
                         actor=admin, encrypt=False)  # fmt: skip
    db = Database.open(folder / "c.sqlite3", folder / "b")
    try:
        TrustService(db).add(admin, ncc_card, ncc_fingerprint, role="ncc")
        measures = MeasureService(db)
        measures.install_library(admin)
        codes = [m.code for m in load_library().measures if m.kind == "proportion"][:MEASURES]
        ids = {m.code: m.id for m in measures.list_measures()}
        with db.write(admin) as s:
            for k, code in enumerate(codes):
                for j, month in enumerate(_months()):
                    denominator = 40 + (number * 7 + k * 3) % 160
                    numerator = (denominator * (50 + (number + j + k) % 40)) // 100
                    s.add(
                        MeasureValue(
                            id=value_id(site, code, month),
                            measure_id=ids[code],
                            site_code=site,
                            month=month,
                            numerator=numerator,
                            denominator=denominator,
                            source="computed",
                        )
                    )
            for r in range(RESOURCES):
                s.add(Resource(id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"bench/{site}/{r}")),
                               title=f"Huddle checklist version {r} from center {number}", kind="tool",
                               summary="A one-page checklist for the pre-clinic huddle.",
                               body="Review the day's visits, the open tasks and the goals due for follow-up.",
                               tags="huddle, pre-visit planning", contributing_site=site, contributor_role="improver",
                               published_on=date(2025, 1, 1 + r % 28)))  # fmt: skip
        card = TrustService.read_card(TrustService(db).export_card(folder / "key.card"))
        bundle = SyncService(db).export_network(admin, outbox)
        return card, bundle, (len(codes) * MONTHS, RESOURCES)
    finally:
        db.close()


def _records(bundles: list[Path]) -> dict[str, dict[str, dict]]:
    """The records the bundles carry, decoded beforehand (not timed), by entity and id."""
    records: dict[str, dict[str, dict]] = {}
    for bundle in bundles:
        with zipfile.ZipFile(bundle) as zf:
            for name in zf.namelist():
                if not name.startswith("data/"):
                    continue
                entity = name.removeprefix("data/").removesuffix(".ndjson")
                for line in zf.read(name).decode().splitlines():
                    row = json.loads(line)
                    record = records.setdefault(entity, {}).setdefault(row["id"], {"owner_site_id": row["owner"]})
                    if row["field"] != "_deleted":
                        record[row["field"]] = row["v"]
    return records


def _table_rows(columns: set[str], by_id: dict[str, dict]) -> tuple[list[str], list[tuple]]:
    names = sorted({f for rec in by_id.values() for f in rec if f in columns} - {"id", "has_conflict"})
    return ["id", "has_conflict", *names], [(rid, False, *(rec.get(f) for f in names)) for rid, rec in by_id.items()]


def _raw_ingest_sqlite(empty: Path, records: dict[str, dict[str, dict]]) -> float:
    """The same records inserted with executemany into an empty coordinating center's file, one transaction."""
    raw = sqlite3.connect(empty)
    try:
        start = time.perf_counter()
        with raw:
            for entity, by_id in records.items():
                columns = {r[1] for r in raw.execute(f"PRAGMA table_info({entity})")}
                if columns:
                    names, rows = _table_rows(columns, by_id)
                    raw.executemany(f"INSERT OR REPLACE INTO {entity} ({', '.join(names)}) "
                                    f"VALUES ({', '.join('?' * len(names))})", rows)  # fmt: skip
        return time.perf_counter() - start
    finally:
        raw.close()


def _raw_ingest_server(url: str, records: dict[str, dict[str, dict]]) -> float:
    """The same records written with COPY into an empty coordinating center's database, one transaction."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as raw:
        start = time.perf_counter()
        with raw.transaction(), raw.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL DEFERRED")
            for entity, by_id in records.items():
                cur.execute("SELECT column_name FROM information_schema.columns WHERE table_name = %s", (entity,))
                columns = {r[0] for r in cur.fetchall()}
                if columns:
                    cur.execute(f"DELETE FROM {entity}")  # the coordinating center's own site and measures
                    names, rows = _table_rows(columns, by_id)
                    with cur.copy(f"COPY {entity} ({', '.join(names)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
        return time.perf_counter() - start


def _raw_write_back(connect, sites: list[str], folder: Path, mark: str) -> float:
    """The rows that go back, read with raw SQL and written as JSON lines into a zip per center."""
    raw = connect()
    try:
        cursor = raw.cursor()
        start = time.perf_counter()
        for site in sites:
            with zipfile.ZipFile(folder / f"{site}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
                for table in ("resource", "network_value", "measure_definition", "site"):
                    cursor.execute(f"SELECT * FROM {table} WHERE owner_site_id != {mark}", (site,))
                    names = [d[0] for d in cursor.description]
                    zf.writestr(
                        f"data/{table}.ndjson",
                        "".join(json.dumps(dict(zip(names, row, strict=True)), default=str) + "\n" for row in cursor),
                    )
        return time.perf_counter() - start
    finally:
        raw.close()


def _centers(work: Path, count: int, ncc_card) -> tuple[list[str], list[Path], list]:
    start = time.perf_counter()
    outbox = work / "out"
    outbox.mkdir()
    sites, bundles, cards = [], [], []
    values = resources = 0
    for n in range(1, count + 1):
        site = f"ctr-{n:03d}"
        card, bundle, (values, resources) = build_center(work, site, n, ncc_card, ncc_card.fingerprint, outbox)
        sites.append(site)
        bundles.append(bundle)
        cards.append(card)
    print(f"network: built {count} centers' bundles ({values} monthly values and {resources} resources each) in "
          f"{time.perf_counter() - start:.0f} s (not timed)")  # fmt: skip
    return sites, bundles, cards


def _coordinate(location: str | Path, backups: Path, work: Path, cards: list, bundles: list[Path], sites: list[str],
                write_back: int) -> tuple[float, float, int]:  # fmt: skip
    """Import every bundle at the coordinating center, then write bundles back to ``write_back`` centers."""
    from lhn_desktop.access import Actor
    from lhn_desktop.services.sync import SyncService
    from lhn_desktop.services.trust import TrustService
    from lhn_desktop.store.database import Database

    admin = Actor.workstation()
    ncc = Database.open(location, backups)
    try:
        for card in cards:
            TrustService(ncc).add(admin, card, card.fingerprint, role="node")
        sync = SyncService(ncc)
        start = time.perf_counter()
        for bundle in bundles:
            sync.import_bundle(admin, bundle, None)
        ingest = time.perf_counter() - start
        back = work / f"back-{uuid.uuid4().hex[:6]}"
        back.mkdir()
        before = _reset_peak_memory()
        start = time.perf_counter()
        sync.export_network_to_centers(admin, back, centers=sites[:write_back])  # read and reviewed once
        written = time.perf_counter() - start
        peak = _peak_memory_mb()
        if before is not None and peak is not None:
            print(f"network: the write-back's peak memory {peak:.0f} MB (the process held {before:.0f} MB before)")
        return ingest, written, sum(p.stat().st_size for p in back.iterdir())
    finally:
        ncc.close()


def _status_mb(field: str) -> float | None:
    try:
        lines = Path("/proc/self/status").read_text().splitlines()
    except OSError:
        return None
    return next((int(ln.split()[1]) / 1024 for ln in lines if ln.startswith(f"{field}:")), None)


def _reset_peak_memory() -> float | None:
    """Start measuring the process's peak memory afresh (Linux: the high-water mark of its resident set is reset);
    returns what it holds now, or None where this cannot be done."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return None
    return _status_mb("VmRSS")


def _peak_memory_mb() -> float | None:
    return _status_mb("VmHWM")


def _report(store: str, centers: int, ingest: float, raw: float, baseline: str, back: float, raw_back: float,
            write_back: int, size: int) -> None:  # fmt: skip
    print(f"network ({store}): ingest of {centers} bundles {ingest:.1f} s vs {baseline} {raw:.2f} s -> "
          f"{ingest / raw:.1f}x")  # fmt: skip
    print(f"network ({store}): writing {write_back} bundles back {back:.1f} s ({back / write_back:.2f} s and "
          f"{size / write_back / 1e6:.1f} MB each; all {centers}: about {back / write_back * centers / 60:.0f} min) "
          f"vs raw select and zip {raw_back:.2f} s -> {back / raw_back:.1f}x")  # fmt: skip


def bench_network(centers: int = 300, write_back: int = 20, server: bool = True) -> None:
    from lhn_desktop.access import Actor
    from lhn_desktop.services.center import init_center_database
    from lhn_desktop.services.trust import TrustService
    from lhn_desktop.store.database import Database

    admin = Actor.workstation()
    write_back = min(write_back, centers)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "ncc").mkdir()
        ncc_file = work / "ncc" / "n.sqlite3"
        init_center_database(ncc_file, work / "ncc" / "b", "ncc", "Bench NCC", network="Bench network",
                             actor=admin, network_center=True, encrypt=False)  # fmt: skip
        shutil.copy(ncc_file, work / "empty.sqlite3")
        ncc = Database.open(ncc_file, work / "ncc" / "b")
        try:
            ncc_card = TrustService.read_card(TrustService(ncc).export_card(work / "ncc.card"))
        finally:
            ncc.close()
        sites, bundles, cards = _centers(work, centers, ncc_card)
        records = _records(bundles)
        ingest, back, size = _coordinate(ncc_file, work / "ncc" / "b", work, cards, bundles, sites, write_back)
        raw = _raw_ingest_sqlite(work / "empty.sqlite3", records)
        raw_back = _raw_write_back(lambda: sqlite3.connect(ncc_file), sites[:write_back], work, "?")
        _report("SQLite", centers, ingest, raw, "raw executemany", back, raw_back, write_back, size)
        if not server:
            return
        from tests.pg import Unavailable, running_server

        try:
            with running_server() as pg:
                for name in ("bench_ncc", "bench_empty"):
                    pg.admin(f'CREATE DATABASE "{name}"')
                url, empty = pg.url("bench_ncc"), pg.url("bench_empty")
                for target in (url, empty):
                    init_center_database(target, work / "pg-b", "ncc", "Bench NCC", network="Bench network",
                                         actor=admin, network_center=True, encrypt=False)  # fmt: skip
                ingest, back, size = _coordinate(url, work / "pg-b", work, cards, bundles, sites, write_back)
                raw = _raw_ingest_server(empty, records)
                import psycopg

                plain = url.replace("postgresql+psycopg://", "postgresql://")
                raw_back = _raw_write_back(lambda: psycopg.connect(plain), sites[:write_back], work, "%s")
                _report("PostgreSQL", centers, ingest, raw, "COPY", back, raw_back, write_back, size)
        except Unavailable as exc:
            print(f"network (PostgreSQL): not measured: {exc}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--centers", type=int, default=300)
    parser.add_argument("--write-back", type=int, default=20, help="how many centers to write bundles back to")
    parser.add_argument("--no-server", action="store_true", help="SQLite only")
    args = parser.parse_args()
    bench_network(args.centers, args.write_back, not args.no_server)


if __name__ == "__main__":
    main()
