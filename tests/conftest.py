"""Shared fixtures. No Qt here: ``tests/unit`` must run without it.

Every test gets its own ``LHN_DESKTOP_HOME``, so no test touches a real profile. Center databases
are made once per session from the migrations and copied per test (Anki's empty-collection trick).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from lhn_desktop.access import Actor
from lhn_desktop.store.database import Database

pytest_plugins = ["tests.pg"]  # pg_server, pg_url: a PostgreSQL server of the session's own

SITE = "ctr-042"
DEMO_TODAY = date(2026, 3, 2)  # a Monday; the demo's clinic days start the next day
DEMO_PATIENTS = 30


@pytest.fixture(autouse=True)
def lhn_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("LHN_DESKTOP_HOME", str(home))
    # never the developer's own keyring: keys go to key files in this home (a test may give a store of its own)
    from lhn_desktop.store import custody

    monkeypatch.setenv(custody.STORE_ENV, "none")
    monkeypatch.delenv(custody.KEY_ENV, raising=False)  # and whatever "--key-file" a command sets is undone after
    monkeypatch.setattr(custody, "_store", None)
    return home


@pytest.fixture(autouse=True)
def date_locale() -> Iterator[None]:
    """Dates and paper as in the UK (day first, A4) whatever the machine's locale, unless a test sets another."""
    from lhn_desktop import localization

    localization.set_locale("en_GB")
    yield
    localization.set_locale(None)


def _copy_db(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


@pytest.fixture(scope="session")
def center_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated center database with a small team (no patients), plain (tests of encryption make their own)."""
    from lhn_desktop.services.center import create_center
    from lhn_desktop.services.team import TeamService

    folder = tmp_path_factory.mktemp("template")
    db = Database.open(folder / "center.sqlite3", folder / "backups", create=True)
    actor = Actor.workstation()
    create_center(db, SITE, "Riverside Children's IBD Center", network="ImproveCareNow", actor=actor)
    team = TeamService(db)
    team.add_member(actor, "Dr. Robin Sample", "physician")
    team.add_member(actor, "Casey Testwood, RN", "nurse")
    team.add_member(actor, "Jordan Mockridge", "parent_partner")
    team.add_member(actor, "Sky Placebury", "patient_partner")
    db.close()
    return folder / "center.sqlite3"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo center (30 synthetic patients), built once per session."""
    from lhn_desktop.services.demo_center import create_demo_database

    folder = tmp_path_factory.mktemp("demo")
    # plain, as the center template: copied per test and opened by command-line subprocesses without a key
    result = create_demo_database(
        folder / "demo.sqlite3", folder / "backups", patients=DEMO_PATIENTS, seed=7, today=DEMO_TODAY, encrypt=False
    )
    return Path(result.path)


@pytest.fixture
def center_path(center_template: Path, lhn_home: Path) -> Path:
    return _copy_db(center_template, lhn_home / "data" / "center.sqlite3")


@pytest.fixture
def demo_path(demo_template: Path, lhn_home: Path) -> Path:
    return _copy_db(demo_template, lhn_home / "data" / "center.sqlite3")


@pytest.fixture
def db(center_path: Path, lhn_home: Path) -> Iterator[Database]:
    database = Database.open(center_path, lhn_home / "data" / "backups")
    yield database
    database.close()


@pytest.fixture
def demo_db(demo_path: Path, lhn_home: Path) -> Iterator[Database]:
    database = Database.open(demo_path, lhn_home / "data" / "backups")
    yield database
    database.close()


@pytest.fixture
def admin() -> Actor:
    return Actor.workstation()


@pytest.fixture
def pair(center_path: Path, tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    """Workstation A (the center) and B, set up from a copy of A (same key, its own workstation id)."""
    from lhn_desktop.services.maintenance import _rotate_node

    b_path = tmp_path / "b" / "center.sqlite3"
    b_path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(center_path, b_path)
    _rotate_node(b_path)
    a, b = Database.open(center_path, tmp_path / "a-backups"), Database.open(b_path, tmp_path / "b-backups")
    yield a, b
    a.close()
    b.close()
