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


def test_the_administrator_resets_a_forgotten_pin(center_path: Path, capsys) -> None:
    from lhn_desktop.app import AppContext

    ctx = AppContext.open(str(center_path))
    try:
        nurse = next(m for m in ctx.team.list_members() if m.role == "nurse")
        ctx.team.set_secret(ctx.team.actor_for(nurse.id), nurse.id, "482916")
    finally:
        ctx.close()
    assert main(["team", "reset-pin", "--name", nurse.display_name.upper(), "--db", str(center_path)]) == 0
    assert "PIN was reset" in capsys.readouterr().out
    ctx = AppContext.open(str(center_path))
    try:
        assert not ctx.team.get_member(nurse.id).has_secret
    finally:
        ctx.close()
    assert main(["team", "reset-pin", "--name", "Nobody Here", "--db", str(center_path)]) == 2
    assert "No team member is named" in capsys.readouterr().err
