"""Without PostgreSQL the server tests skip and say how to get it, except under CI, where they fail."""

from __future__ import annotations

import pytest

from tests import pg


def test_without_postgresql_the_tests_skip_with_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install postgresql"):
        pg._unavailable("PostgreSQL's initdb and pg_ctl were not found.")


def test_under_ci_a_missing_postgresql_fails_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run the PostgreSQL tests"):
        pg._unavailable("PostgreSQL's initdb and pg_ctl were not found.")


def test_debians_binaries_are_found_where_the_package_puts_them() -> None:
    found = pg.find_pg_bin()
    if found is None:
        pg._unavailable("PostgreSQL's initdb and pg_ctl were not found.")
    assert found is not None and (found / "initdb").exists() and (found / "pg_ctl").exists()
