"""``chart analyze`` on requests no one could mean (issue 18, item 4): a 5,000-digit number, 100,000-deep nesting,
sums past the largest float, ``--out`` into a missing folder: each is refused with a message and exit code 2, never
an "unexpected error", and no ``.part`` file is left behind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lhn_desktop.errors import ValidationError


@pytest.mark.parametrize(
    ("request_text", "words"),
    [
        ('{"chart": "run", "y": [' + "9" * 5000 + ", 1, 2, 3]}", "5,000 digits"),
        ('{"chart": "run", "y": [1, 2, 3], "options": {"freeze": ' + "9" * 4000 + "}}", "4,000 digits"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ('{"chart": "run", "y": ' + "[" * 40 + "1" + "]" * 40 + "}", "nested more than 32 levels"),
    ],
)
def test_chart_requests_that_no_one_could_mean_are_refused(request_text: str, words: str):
    from lhn_desktop.spc import SpcInputError
    from lhn_desktop.spc.contract import loads, parse_request

    with pytest.raises(SpcInputError, match=words):
        parse_request(loads(request_text))


def test_a_whole_number_of_300_digits_is_still_read():
    from lhn_desktop.spc.contract import loads, parse_request

    request = parse_request(loads('{"chart": "run", "y": [' + "9" * 300 + ", 1, 2, 3]}"))
    assert request.y[0] > 1e299


def test_the_chart_command_refuses_with_exit_2(tmp_path: Path, capsys):
    from lhn_desktop.cli import main

    cases = {
        "digits.json": '{"chart": "run", "y": [' + "9" * 5000 + ", 1, 2, 3]}",
        "deep.json": "[" * 100_000 + "]" * 100_000,
        "sums.json": '{"chart": "p", "y": [1, 2, 3], "n": [1e308, 1e308, 1e308]}',
    }
    for name, text in cases.items():
        (tmp_path / name).write_text(text)
        assert main(["chart", "analyze", str(tmp_path / name)]) == 2, name
        err = capsys.readouterr().err
        assert "unexpected error" not in err and err.startswith("lhn-desktop: "), name
    (tmp_path / "ok.json").write_text('{"chart": "run", "y": [12, 15, 9, 14]}')
    missing = tmp_path / "no such folder" / "out.json"
    assert main(["chart", "analyze", str(tmp_path / "ok.json"), "--out", str(missing)]) == 2
    err = capsys.readouterr().err
    assert "There is no folder" in err and "create it first" in err and not missing.parent.exists()
    assert main(["chart", "analyze", str(tmp_path / "ok.json"), "--out", str(tmp_path)]) == 2
    assert "is a folder" in capsys.readouterr().err
    assert main(["chart", "analyze", str(tmp_path / "ok.json"), "--out", str(tmp_path / "a.json")]) == 0
    assert json.loads((tmp_path / "a.json").read_text())["points"] and not list(tmp_path.glob("*.part"))


def test_write_out_leaves_no_part_file_when_the_write_fails(tmp_path: Path, monkeypatch):
    from lhn_desktop.cli.chart import write_out

    def full(self, *_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "replace", full)
    with pytest.raises(ValidationError, match="No space left on device"):
        write_out(tmp_path / "a.json", "{}")
    assert list(tmp_path.iterdir()) == []
