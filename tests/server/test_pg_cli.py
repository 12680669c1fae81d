"""The command line with ``--db postgresql+psycopg://...`` (DESIGN.md section 5): the coordinating center is made
and opened on the server; what only a file has is refused in words that say what to do instead."""

from __future__ import annotations

import json

import pytest

from lhn_desktop.cli import main


def test_init_and_open_the_coordinating_center_on_a_server(pg_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "--site", "ctr-042", "--name", "Riverside", "--plain", "--db", pg_url]) == 2
    assert "Only the network coordinating center runs on a PostgreSQL server" in capsys.readouterr().err
    assert main(["init", "--network-center", "--name", "ImproveCareNow", "--db", pg_url]) == 2
    assert "Create it with --plain" in capsys.readouterr().err
    assert main(["init", "--network-center", "--name", "ImproveCareNow", "--plain", "--json", "--db", pg_url]) == 0
    info = json.loads(capsys.readouterr().out)
    assert (info["site_code"], info["db_path"], info["encrypted"]) == ("ncc", pg_url, False)
    assert main(["measures", "compute", "--db", pg_url]) != 0  # the coordinator holds no patients
    assert "holds no patient records" in capsys.readouterr().err
    assert main(["db", "backup", "--db", pg_url]) == 2
    assert "pg_dump" in capsys.readouterr().err
