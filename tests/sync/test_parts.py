"""Bundles in parts (docs/sync.md, decision 52): an export writes each entity's lines in parts of about
``PART_BYTES`` and an import merges them one at a time, inside one transaction, so a refusal found in a later part
changes nothing."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from lhn_desktop.sync import bundle as bundle_module
from lhn_desktop.sync.bundle import BundleRejected
from tests.sync.test_convergence import deliver, dump, export, new_goal


@pytest.fixture
def small_parts(monkeypatch):
    monkeypatch.setattr(bundle_module, "PART_BYTES", 2000)


def goal_parts(bundle: Path) -> list[str]:
    with zipfile.ZipFile(bundle) as zf:
        return sorted(n for n in zf.namelist() if n.startswith("data/improvement_goal"))


def test_a_bundle_in_many_parts_brings_everything(replicas, small_parts):
    a, b = replicas(2)
    for k in range(40):
        new_goal(a, f"Goal {k}: raise model care by June")
    bundle = export(a, full=True)
    assert len(goal_parts(bundle)) >= 4 and "data/improvement_goal.2.ndjson.enc" in goal_parts(bundle)
    report = deliver(b, bundle)
    assert report.records >= 40 and report.complete
    assert dump(a) == dump(b)


def test_a_damaged_later_part_changes_nothing_though_earlier_parts_were_merged(replicas, small_parts):
    a, b = replicas(2)
    for k in range(40):
        new_goal(a, f"Goal {k}: raise model care by June")
    bundle = export(a, full=True)
    last = goal_parts(bundle)[-1]  # read after the first parts of goals (and of every entity before them)
    damaged = bundle.with_name("damaged.lhnsync")
    with zipfile.ZipFile(bundle) as src, zipfile.ZipFile(damaged, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info.filename, data[:-1] + bytes([data[-1] ^ 1]) if info.filename == last else data)
    before = dump(b)
    with pytest.raises(BundleRejected) as caught:
        deliver(b, damaged)
    assert caught.value.code == "E_HASH_MISMATCH" and last in str(caught.value)
    assert dump(b) == before  # the parts merged before the damage was found were rolled back
    deliver(b, bundle)  # and the undamaged bundle, with the same id, is still welcome
    assert dump(a) == dump(b)
