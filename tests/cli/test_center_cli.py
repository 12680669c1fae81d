"""`lhn-desktop center show | set --clinic-phone`: the center's details on the command line."""

from __future__ import annotations

import json
from pathlib import Path

from lhn_desktop.cli import main


def test_set_and_show_the_clinic_phone(center_path: Path, capsys) -> None:
    assert main(["center", "show", "--db", str(center_path)]) == 0
    assert "Clinic phone for families: not set" in capsys.readouterr().out
    assert main(["center", "set", "--clinic-phone", "+1 614 555 0100", "--db", str(center_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["clinic_phone"] == "+1 614 555 0100"
    assert main(["center", "show", "--db", str(center_path)]) == 0
    assert "Clinic phone for families: +1 614 555 0100" in capsys.readouterr().out


def test_a_wrong_number_names_the_option_and_changes_nothing(center_path: Path, capsys) -> None:
    assert main(["center", "set", "--clinic-phone", "ask at the desk", "--db", str(center_path)]) == 2
    assert "--clinic-phone: A clinic phone number has digits" in capsys.readouterr().err
    assert main(["center", "show", "--db", str(center_path), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["clinic_phone"] is None
