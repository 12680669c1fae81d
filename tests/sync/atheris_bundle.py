"""atheris (libFuzzer) harnesses for the bundle reader (SYNC.md acceptance test 25), run in a child process by
``test_atheris.py`` because libFuzzer ends its process when the time is up.

``python -m tests.sync.atheris_bundle raw|signed CORPUS [libFuzzer options]``

- raw: the input is the bundle file itself; the corpus holds valid bundles of both scopes.
- signed: the input becomes a manifest or a data file inside a bundle signed with the test key, so the
  fuzzing reaches every check behind the signature (strict JSON, the manifest model, rows, sealing).

Only ``BundleRejected`` may escape ``read_bundle``; anything else is a crash that libFuzzer saves.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import tempfile
from pathlib import Path

import atheris

with atheris.instrument_imports(include=["lhn_desktop"]):
    from lhn_desktop.sync.bundle import BundleRejected

from tests.sync.test_integrity import GOOD_LINE, assemble, line, manifest_for, read

FILE = Path(tempfile.mkdtemp(prefix="lhn-atheris-")) / "fuzzed.lhnsync"


#: Set by the test that proves a crash is caught: an error is planted in the reader's place.
PLANTED = bool(os.environ.get("LHN_FUZZ_PLANTED"))


def check(data: bytes) -> None:
    if PLANTED:
        raise ValueError("a planted error")
    FILE.write_bytes(data)
    with contextlib.suppress(BundleRejected):
        read(FILE)


def raw(data: bytes) -> None:
    check(data)


def signed(data: bytes) -> None:
    provider = atheris.FuzzedDataProvider(data)
    scope = "center" if provider.ConsumeBool() else "network"
    fuzz_manifest = provider.ConsumeBool()
    body = provider.ConsumeBytes(provider.remaining_bytes())
    if fuzz_manifest:
        _manifest, members = manifest_for({"resource": GOOD_LINE + b"\n"}, scope)
        check(assemble(body, members))
    else:
        check(assemble(*manifest_for({"resource": body}, scope)))


def seeds(folder: Path) -> None:
    """Valid bundles of both scopes, and their pieces for the signed harness."""
    folder.mkdir(parents=True, exist_ok=True)
    rows = {
        "resource": GOOD_LINE + b"\n" + line(id="r2", field="body", v="Text") + b"\n",
        "measure_value": line(id="m1", field="numerator", v=12) + b"\n",
    }
    for scope in ("network", "center"):
        (folder / f"{scope}.lhnsync").write_bytes(assemble(*manifest_for(rows, scope)))
    for first in (b"\x00", b"\x01"):
        (folder / f"lines-{first[0]}").write_bytes(first + b"\x00" + rows["resource"])
        manifest, _members = manifest_for({"resource": GOOD_LINE + b"\n"}, "center" if first[0] else "network")
        (folder / f"manifest-{first[0]}").write_bytes(first + b"\x01" + json.dumps(manifest, indent=1).encode())


def main() -> None:
    mode, corpus, *options = sys.argv[1:]
    seeds(Path(corpus))
    atheris.Setup([sys.argv[0], corpus, *options], {"raw": raw, "signed": signed}[mode])
    atheris.Fuzz()


if __name__ == "__main__":
    main()
