"""A real PostgreSQL server for the tests of the coordinating center on a server (decision 48).

The session starts its own server from Debian's ``postgresql`` package: ``initdb`` and ``pg_ctl`` (under
``/usr/lib/postgresql/*/bin``) make a cluster in a temporary folder and start it on a free loopback port, as the
``postgres`` user when the tests run as root (PostgreSQL refuses to run as root; so does pytest-postgresql, which
is why it is not used). Each test that asks for ``pg_url`` gets a fresh, empty database on it, dropped afterwards.

Without PostgreSQL (or psycopg) the tests skip and say how to get it; with ``CI`` set they fail instead, so CI
never passes without running them. ``.ci/run`` installs the package.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

INSTALL_HINT = (
    "PostgreSQL is needed for the tests of the coordinating center on a server: install it with "
    "'apt-get install postgresql' (Debian, Ubuntu) and psycopg 3 with 'pip install -e \".[test]\"'."
)
_names = itertools.count(1)


@dataclass(frozen=True)
class PgServer:
    host: str
    port: int
    user: str

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://{self.user}@{self.host}:{self.port}/{database}"

    def admin(self, sql: str) -> None:
        """Run one statement on the server's maintenance database, outside a transaction."""
        import psycopg

        with psycopg.connect(host=self.host, port=self.port, user=self.user, dbname="postgres", autocommit=True) as c:
            c.execute(sql)


def _unavailable(why: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{why} CI must run the PostgreSQL tests. {INSTALL_HINT}", pytrace=False)
    pytest.skip(f"{why} {INSTALL_HINT}")


def find_pg_bin() -> Path | None:
    """Debian's binaries of the newest PostgreSQL installed, else ``initdb`` on the PATH."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if found:
        return found[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_server_user(argv: list[str], folder: Path) -> list[str]:
    """The command as the ``postgres`` user when we are root (the folder handed to it first)."""
    if os.geteuid() != 0:
        return argv
    shutil.chown(folder, "postgres", "postgres")
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *argv]
    return ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(f"'{a}'" for a in argv)]


def _run(argv: list[str], folder: Path) -> None:
    done = subprocess.run(_as_server_user(argv, folder), capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")


class Unavailable(RuntimeError):
    """No PostgreSQL server can be started here; the message says why."""


@contextlib.contextmanager
def running_server() -> Iterator[PgServer]:
    """Start a PostgreSQL server of our own on a free loopback port (as ``postgres`` when root); stop it after.
    Raises :class:`Unavailable` when psycopg or PostgreSQL's binaries are missing (the benchmarks use it too)."""
    try:
        import psycopg  # noqa: F401
    except ImportError:
        raise Unavailable("psycopg 3 is not installed.") from None
    bin_dir = find_pg_bin()
    if bin_dir is None or not (bin_dir / "pg_ctl").exists():
        raise Unavailable("PostgreSQL's initdb and pg_ctl were not found (under /usr/lib/postgresql/*/bin or on PATH).")
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise Unavailable("The tests run as root, and there is no 'postgres' user to run the server as.") from None
    folder = Path(tempfile.mkdtemp(prefix="lhn-pg-"))  # not under pytest's root-only tmp folder: postgres reads it
    data = folder / "data"
    port = _free_port()
    started = False
    try:
        _run([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
              "--locale=C.UTF-8", "--no-sync"], folder)  # fmt: skip
        options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w",
              "-t", "60", "start"], folder)  # fmt: skip
        started = True
        yield PgServer("127.0.0.1", port, "postgres")
    finally:
        if started:
            with contextlib.suppress(RuntimeError, subprocess.TimeoutExpired):
                _run([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], folder)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server of the test session's own, on a free loopback port; stopped at the end."""
    try:
        server = running_server()
        started = server.__enter__()
    except Unavailable as exc:
        _unavailable(str(exc))
        return
    try:
        yield started
    finally:
        server.__exit__(None, None, None)


@pytest.fixture
def pg_url(pg_server: PgServer) -> Iterator[str]:
    """A fresh, empty database on the session's server, as ``postgresql+psycopg://...``; dropped after the test."""
    name = f"lhn_test_{os.getpid()}_{next(_names)}"
    pg_server.admin(f'CREATE DATABASE "{name}"')
    yield pg_server.url(name)
    pg_server.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
