"""``network compare`` and ``network report`` at the coordinating center and at a center, and a center's choice to
be named (``center set --named-in-network``)."""

from __future__ import annotations

import json
from pathlib import Path

from lhn_desktop.cli import main
from tests.sync.test_network_comparison import _round_trip, network  # noqa: F401 (the fixture)


def _db(db) -> list[str]:
    return ["--db", db.location]  # the file, or the coordinating center's server URL


def test_compare_and_report_at_the_coordinator(network, tmp_path: Path, capsys) -> None:  # noqa: F811
    _round_trip(network, tmp_path)
    funnel = tmp_path / "funnel.svg"
    assert main(["network", "compare", "--measure", "remission_pga", "--json", "--funnel", str(funnel),
                 *_db(network["ncc"])]) == 0  # fmt: skip
    out = json.loads(capsys.readouterr().out)
    assert (out["measure"], out["from"], out["to"]) == ("remission_pga", "2026-01", "2026-01")
    assert [c["center"] for c in out["centers"]] == ["ctr-a", "ctr-b", "ctr-c"]
    assert out["network"]["centers"] == 3 and 0 < out["network"]["rate"] < 1
    assert set(out["centers"][0]["limits"]) == {"95", "99.8"} and funnel.read_text().lstrip().startswith("<?xml")
    assert main(["network", "compare", "--measure", "model_care", "--from", "2025-12", "--to", "2026-01",
                 *_db(network["ncc"])]) == 0  # fmt: skip
    text = capsys.readouterr().out
    assert text.startswith("Network") and "ctr-a" in text and "42" in text  # 20 + 22 visits of ctr-a
    report = tmp_path / "report.pdf"
    assert main(["network", "report", "--month", "2026-01", "--pdf", str(report), *_db(network["ncc"])]) == 0
    assert report.read_bytes().startswith(b"%PDF")
    assert main(["network", "compare", "--measure", "remission_pga", "--from", "2026-02", "--to", "2026-01",
                 *_db(network["ncc"])]) == 2  # fmt: skip
    assert "swap --from and --to" in capsys.readouterr().err


def test_compare_at_a_center_and_the_choice_to_be_named(network, tmp_path: Path, capsys) -> None:  # noqa: F811
    assert main(["network", "compare", "--measure", "remission_pga", *_db(network["ctr-a"])]) == 2
    said = capsys.readouterr().err
    assert "has not sent the network's figures" in said and "lhn-desktop bundle import FILE" in said  # said here too
    assert main(["center", "set", "--named-in-network", "yes", "--json", *_db(network["ctr-c"])]) == 0
    assert json.loads(capsys.readouterr().out)["named_in_network"] is True
    _round_trip(network, tmp_path)
    assert main(["network", "compare", "--measure", "remission_pga", "--json", *_db(network["ctr-a"])]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [c["center"] for c in out["centers"]] == ["Riverside", "Hillcrest", "Lakeside"]
    assert out["centers"][1]["numerator"] is None  # Hillcrest's 8 of 10 never left the coordinating center
    assert main(["network", "report", "--month", "2026-01", "--pdf", str(tmp_path / "r.pdf"),
                 *_db(network["ctr-a"])]) == 2  # fmt: skip
    assert "Only the network's coordinating center" in capsys.readouterr().err
    assert main(["center", "set", *_db(network["ctr-a"])]) == 2


def test_the_coordinator_writes_a_bundle_for_every_center_at_once(network, tmp_path: Path, capsys) -> None:  # noqa: F811
    _round_trip(network, tmp_path)
    out = tmp_path / "every"
    out.mkdir()
    assert main(["bundle", "export", "--scope", "network", "--to-every-center", "--out", str(out), "--json",
                 *_db(network["ncc"])]) == 0  # fmt: skip
    assert len(json.loads(capsys.readouterr().out)["bundles"]) == 3 == len(list(out.iterdir()))
    assert main(["bundle", "export", "--scope", "network", "--to-every-center", "--to", "ctr-a", "--out", str(out),
                 *_db(network["ncc"])]) == 2  # fmt: skip
    assert "not both" in capsys.readouterr().err
