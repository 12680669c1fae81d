"""SYNC.md acceptance test 25 with atheris: 60 s of coverage-guided fuzzing of the bundle reader in CI.

Two harnesses of 30 s each (``atheris_bundle.py``): the bundle file as raw bytes, and fuzzed manifests and
data files inside bundles signed with the test key. Each runs in a child process, since libFuzzer ends
its process when the time is up. A crash (anything but ``BundleRejected`` escaping) or an input that runs
over 10 s fails the test, and the input is kept in the test's folder to become a regression test.
``LHN_FUZZ_SECONDS`` sets the time per harness (an hour or more for a nightly run).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("atheris", reason="atheris is installed with the test extras on Linux x86-64 only")

ROOT = Path(__file__).resolve().parents[2]
SECONDS = int(os.environ.get("LHN_FUZZ_SECONDS", "30"))


def fuzz(harness: str, folder: Path, seconds: int, **env: str) -> tuple[subprocess.CompletedProcess, list[str]]:
    """Run one harness for ``seconds``; returns the finished process and the names of the inputs it kept."""
    command = [
        sys.executable, "-m", "tests.sync.atheris_bundle", harness, str(folder / "corpus"),
        f"-max_total_time={seconds}", "-timeout=10", "-max_len=65536", "-rss_limit_mb=2048",
        f"-artifact_prefix={folder}/", "-print_final_stats=1",
    ]  # fmt: skip
    environment = os.environ | {"PYTHONPATH": str(ROOT)} | env
    done = subprocess.run(command, cwd=folder, env=environment, capture_output=True, text=True, timeout=seconds + 120)
    return done, sorted(p.name for p in folder.iterdir() if p.name.startswith(("crash-", "timeout-", "oom-")))


def test_a_crash_in_the_reader_is_caught_and_kept(tmp_path: Path):
    done, found = fuzz("raw", tmp_path, 20, LHN_FUZZ_PLANTED="1")
    assert done.returncode != 0 and found and found[0].startswith("crash-")
    assert "a planted error" in done.stdout + done.stderr


@pytest.mark.slow
@pytest.mark.parametrize("harness", ["raw", "signed"])
def test_atheris_finds_nothing_but_coded_rejections(harness: str, tmp_path: Path):
    done, found = fuzz(harness, tmp_path, SECONDS)
    assert done.returncode == 0 and not found, f"{found}\n{done.stderr[-4000:]}"
    runs = [line for line in done.stderr.splitlines() if line.startswith("stat::number_of_executed_units")]
    assert runs and int(runs[0].split(":")[-1]) > 1000, done.stderr[-2000:]
