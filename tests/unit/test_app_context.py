"""The context builds each service the first time it is asked for: opening a database imports only what the
first page needs; every service is still one object, whoever asks first and from whichever thread."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from lhn_desktop.app import AppContext

SERVICES = (
    "team", "patients", "registry", "visits", "corrections", "center_export", "ehr", "overview", "measures",
    "network", "planning", "schedule", "goals", "improvement", "trust", "commons", "sync", "sync_review",
    "maintenance",
)  # fmt: skip


def test_each_service_is_built_once_and_kept(center_path: Path) -> None:
    ctx = AppContext.open(str(center_path))
    try:
        assert not any(name in vars(ctx) for name in SERVICES)  # nothing built by opening
        for name in SERVICES:
            assert getattr(ctx, name) is getattr(ctx, name)
            assert getattr(ctx, name).db is ctx.db
        assert ctx.network is not ctx.measures and ctx.sync.db is ctx.db
    finally:
        ctx.close()


def test_two_threads_asking_at_once_get_the_same_service(center_path: Path) -> None:
    ctx = AppContext.open(str(center_path))
    try:
        got: list[object] = []
        start = threading.Barrier(4)

        def ask() -> None:
            start.wait()
            got.append(ctx.planning)

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(got) == 4 and all(service is got[0] for service in got)
    finally:
        ctx.close()


def test_a_service_can_be_replaced_on_one_context(center_path: Path) -> None:
    ctx = AppContext.open(str(center_path))
    try:
        ctx.planning = "stand-in"  # type: ignore[assignment,method-assign]  (as tests replace a service)
        assert ctx.planning == "stand-in"
    finally:
        ctx.close()


def test_the_context_imports_no_service_module_it_was_not_asked_for() -> None:
    code = (
        "import sys\n"
        "import lhn_desktop.app\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('lhn_desktop.services'))))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    for module in ("sync", "ehr", "corrections", "measures", "network", "commons", "center_export", "demo"):
        assert f"lhn_desktop.services.{module}" not in loaded
