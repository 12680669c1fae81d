"""``lhn-desktop chart analyze``: JSON in from a file or standard input, JSON out, exit code 2 on bad input."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path

from lhn_desktop.cli import main
from lhn_desktop.services.measure_library import load_library

REQUEST = {
    "chart": "p",
    "x": ["2024-01-01", "2024-02-01", "2024-03-01", "2024-04-01"],
    "y": [8, 9, None, 10],
    "n": [20, 20, 20, 20],
    "options": {"multiply": 100},
}


def test_analyze_a_file(capsys, tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps(REQUEST), encoding="utf-8")
    assert main(["chart", "analyze", str(request)]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [p["x"] for p in result["points"]] == REQUEST["x"]
    assert result["points"][0]["y"] == 40.0
    assert result["points"][2]["y"] is None and result["points"][2]["n"] == 0
    assert result["summary"][0]["n_obs"] == 4


def test_analyze_standard_input_to_an_output_file(capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps({"chart": "run", "y": [1, 2, 3]})))
    out = tmp_path / "result.json"
    assert main(["chart", "analyze", "-", "--out", str(out)]) == 0
    assert capsys.readouterr().out == ""
    assert json.loads(out.read_text())["points"][1]["cl"] == 2.0
    assert not list(tmp_path.glob("*.part"))


def test_refused_request_exits_2_naming_the_position(capsys, tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"chart": "u", "y": [3, 4, 5], "n": [10, 0, 12]}), encoding="utf-8")
    assert main(["chart", "analyze", str(request)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "position 2" in err and "denominator of 0" in err


def test_missing_file_and_bad_json_exit_2(capsys, tmp_path: Path) -> None:
    assert main(["chart", "analyze", str(tmp_path / "nowhere.json")]) == 2
    assert "no chart request file" in capsys.readouterr().err
    broken = tmp_path / "broken.json"
    broken.write_text('{"chart": "run", "y": [1,', encoding="utf-8")
    assert main(["chart", "analyze", str(broken)]) == 2
    assert "not valid JSON" in capsys.readouterr().err


def test_notes_go_to_standard_error_and_the_json_stays_clean(capsys, tmp_path: Path) -> None:
    request = tmp_path / "request.json"
    request.write_text(json.dumps({"chart": "run", "y": [1, 2, 3, 4], "options": {"part": [2], "freeze": 2}}))
    assert main(["chart", "analyze", str(request)]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out)["summary"][1]["part"] == 2
    assert "freeze is ignored" in err


def test_the_installed_command_reads_a_pipe() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "lhn_desktop", "chart", "analyze", "-"],
        input=json.dumps({"chart": "c", "y": [4, 9, 2]}),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["points"][0]["cl"] == 5.0


def test_measures_compute_list_enter_and_render(capsys, demo_path: Path, tmp_path: Path) -> None:
    db = ["--db", str(demo_path)]
    assert main(["measures", "compute", "--json", *db]) == 0
    report = json.loads(capsys.readouterr().out)
    measures = len([m for m in load_library().measures if m.pack != "cf"])  # an IBD center: no CF measure counts
    assert report["measures"] == measures and report["written"] + report["unchanged"] == measures * 24

    assert main(["measures", "list", *db]) == 0
    listed = capsys.readouterr().out
    assert "remission_pga" in listed and "collaborate_top_box" in listed and "cf_fev1_median" not in listed
    assert "p chart" in listed and re.search(r"[A-Z][a-z]{2} \d{4}: \d+/\d+", listed)  # months in words

    assert main(["measures", "enter", "model_care", "2025-01", "30", "20", *db]) == 2
    assert "larger than the denominator" in capsys.readouterr().err
    assert main(["measures", "enter", "model_care", "2025-01", "15", "20", *db]) == 0
    capsys.readouterr()

    for suffix in (".png", ".svg", ".pdf"):
        out = tmp_path / f"chart{suffix}"
        assert main(["chart", "render", "--measure", "remission_pga", "--out", str(out), *db]) == 0
        assert out.stat().st_size > 1000
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "chart.pdf").read_bytes()[:4] == b"%PDF"
    csv_file = tmp_path / "data.csv"
    page = tmp_path / "page.png"
    assert main(["chart", "render", "--measure", "model_care", "--out", str(page), "--csv", str(csv_file), *db]) == 0
    lines = csv_file.read_text().splitlines()
    assert lines[0].startswith("month,numerator,denominator,source,value")
    assert any(line.startswith("2025-01,15,20,entered,75") for line in lines)
    assert main(["chart", "render", "--all", "--out", str(page), *db]) == 0
    capsys.readouterr()


def test_chart_render_refusals(capsys, demo_path: Path, tmp_path: Path) -> None:
    db = ["--db", str(demo_path)]
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    assert main(["chart", "render", "--measure", "nope", "--out", str(tmp_path / "x.png"), *db]) == 2
    err = capsys.readouterr().err
    assert "Measures:" in err and "model_care" in err
    assert main(["chart", "render", "--measure", "model_care", "--out", str(tmp_path / "x.gif"), *db]) == 2
    assert ".png, .svg or .pdf" in capsys.readouterr().err
    assert main(["chart", "render", "--out", str(tmp_path / "x.png"), *db]) == 2
    assert "--measure CODE" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())
