"""Coordinating center benchmark: ingesting the centers' network bundles and writing the bundles back.

Each center sends 36 months of 10 measures and 50 shared resources in a real, signed network bundle (made by
``SyncService.export_network`` on its own database). The coordinating center imports every bundle
(``SyncService.import_bundle``: verify, merge field versions, write the records) and then writes a network bundle
back to every center (which publishes the network's figures first). Baselines, in the same run:

- ingest: the same records inserted with raw ``sqlite3`` ``executemany`` into an empty copy of the coordinating
  center's database, one transaction;
- write-back: the same rows read with raw SQL and written as JSON lines into a zip file per center.

Usage: ``python bench/network.py [--centers N]`` (default 300; building the centers' bundles takes a while and
is not timed).
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
PROFILE = False


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


def _raw_ingest(empty: Path, bundles: list[Path]) -> float:
    """The same records, decoded from the bundles beforehand, inserted with executemany in one transaction."""
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
    raw = sqlite3.connect(empty)
    try:
        start = time.perf_counter()
        with raw:
            for entity, by_id in records.items():
                columns = {r[1] for r in raw.execute(f"PRAGMA table_info({entity})")}
                if not columns:
                    continue
                names = sorted({f for rec in by_id.values() for f in rec if f in columns})
                rows = [(rid, 0, *(rec.get(f) for f in names)) for rid, rec in by_id.items()]
                marks = ", ".join("?" * (len(names) + 2))
                raw.executemany(f"INSERT OR REPLACE INTO {entity} (id, has_conflict, {', '.join(names)}) "
                                f"VALUES ({marks})", rows)  # fmt: skip
        return time.perf_counter() - start
    finally:
        raw.close()


def _raw_write_back(db_path: Path, sites: list[str], folder: Path) -> float:
    """The rows that go back, read with raw SQL and written as JSON lines into a zip per center."""
    raw = sqlite3.connect(db_path)
    try:
        start = time.perf_counter()
        for site in sites:
            with zipfile.ZipFile(folder / f"{site}.zip", "w", zipfile.ZIP_DEFLATED) as zf:
                for table in ("resource", "network_value", "measure_definition", "site"):
                    cursor = raw.execute(f"SELECT * FROM {table} WHERE owner_site_id != ?", (site,))
                    names = [d[0] for d in cursor.description]
                    zf.writestr(
                        f"data/{table}.ndjson",
                        "".join(json.dumps(dict(zip(names, row, strict=True))) + "\n" for row in cursor),
                    )
        return time.perf_counter() - start
    finally:
        raw.close()


def bench_network(centers: int = 300) -> tuple[float, float]:
    from lhn_desktop.access import Actor
    from lhn_desktop.services.center import init_center_database
    from lhn_desktop.services.sync import SyncService
    from lhn_desktop.services.trust import TrustService
    from lhn_desktop.store.database import Database

    admin = Actor.workstation()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "ncc").mkdir()
        init_center_database(work / "ncc" / "n.sqlite3", work / "ncc" / "b", "ncc", "Bench NCC",
                             network="Bench network", actor=admin, network_center=True, encrypt=False)  # fmt: skip
        shutil.copy(work / "ncc" / "n.sqlite3", work / "empty.sqlite3")
        ncc = Database.open(work / "ncc" / "n.sqlite3", work / "ncc" / "b")
        try:
            ncc_card = TrustService.read_card(TrustService(ncc).export_card(work / "ncc.card"))
            outbox, back, raw_back = work / "out", work / "back", work / "raw-back"
            for folder in (outbox, back, raw_back):
                folder.mkdir()
            start = time.perf_counter()
            sites, bundles = [], []
            for n in range(1, centers + 1):
                site = f"ctr-{n:03d}"
                card, bundle, (values, resources) = build_center(work, site, n, ncc_card, ncc_card.fingerprint,
                                                                 outbox)  # fmt: skip
                TrustService(ncc).add(admin, card, card.fingerprint, role="node")
                sites.append(site)
                bundles.append(bundle)
            print(f"network: built {centers} centers' bundles ({values} monthly values and {resources} resources "
                  f"each) in {time.perf_counter() - start:.0f} s")  # fmt: skip
            sync = SyncService(ncc)
            start = time.perf_counter()
            for bundle in bundles:
                sync.import_bundle(admin, bundle, None)
            ingest = time.perf_counter() - start
            start = time.perf_counter()
            if PROFILE:
                import cProfile
                import pstats

                profile = cProfile.Profile()
                profile.enable()
            for site in sites:
                sync.export_network(admin, back, audience=site)
            write_back = time.perf_counter() - start
            if PROFILE:
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(30)
            sizes = sum(p.stat().st_size for p in back.iterdir())
        finally:
            ncc.close()
        raw_ingest = _raw_ingest(work / "empty.sqlite3", bundles)
        raw_back_s = _raw_write_back(work / "ncc" / "n.sqlite3", sites, raw_back)
    print(
        f"network: ingest of {centers} bundles {ingest:.1f} s vs raw executemany {raw_ingest:.2f} s -> "
        f"{ingest / raw_ingest:.1f}x"
    )
    print(
        f"network: writing {centers} bundles back {write_back:.1f} s ({sizes / 1e6:.0f} MB) vs raw select and "
        f"zip {raw_back_s:.2f} s -> {write_back / raw_back_s:.1f}x"
    )
    return ingest / raw_ingest, write_back / raw_back_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--centers", type=int, default=300)
    args = parser.parse_args()
    bench_network(args.centers)


if __name__ == "__main__":
    main()
