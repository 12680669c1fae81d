"""Reading and writing FHIR R4 files: NDJSON, Bundles, and Bulk Data export folders (or their zip).

Writing: :func:`dumps` gives a resource's JSON with measured values as exact decimal numbers (``3.10``
stays ``3.10``), and :func:`write_export` writes a Bulk Data-style folder: one NDJSON file per resource
type and a ``manifest.json`` that lists them.

Reading: :func:`read_sources` takes files and folders as a person names them: a Bundle (``.json``), an
NDJSON file, a Bulk Data folder (its manifest names the files; one type may span several; the
export's error files are reported), or a zip of such a folder. Every resource comes with where it was
found (file and line, or file and entry), which is all an error message may say of it: nothing of a
file's content reaches a message or a log. Numbers are read as decimals. A line longer than
:data:`MAX_LINE`, a file that is not FHIR, invalid JSON or a truncated line are problems at their
location, and reading goes on with the next line where it can.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

#: The longest NDJSON line (one resource) read: far above any real resource, far below memory trouble.
MAX_LINE = 4 * 1024 * 1024
#: The largest Bundle file read whole, and the largest manifest.
MAX_BUNDLE = 256 * 1024 * 1024
MAX_MANIFEST = 1024 * 1024
_MARK = "\u0000decimal:"


@dataclass(frozen=True, slots=True)
class Located:
    """A resource as read, and where: ``file`` (its name) and ``line`` (NDJSON line or Bundle entry, from 1)."""

    resource: dict[str, Any]
    file: str
    line: int

    @property
    def where(self) -> str:
        kind = self.resource.get("resourceType", "?")
        rid = self.resource.get("id")
        return f"{self.file} line {self.line} ({kind}{'/' + rid if isinstance(rid, str) and len(rid) <= 64 else ''})"


@dataclass(frozen=True, slots=True)
class FileProblem:
    """A line or file that could not be read: where, and what is wrong (never what it held)."""

    file: str
    line: int | None
    message: str

    @property
    def where(self) -> str:
        return f"{self.file} line {self.line}" if self.line else self.file


# -- writing ----------------------------------------------------------------------------------------------


def _exact(value: Any) -> Any:
    if isinstance(value, Decimal):
        return _MARK + format(value, "f")
    if isinstance(value, dict):
        return {k: _exact(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_exact(v) for v in value]
    return value


def dumps(resource: dict[str, Any]) -> str:
    """One resource as compact JSON; Decimals written as the exact numbers they are, None values left out."""
    text = json.dumps(_exact(resource), ensure_ascii=False, separators=(",", ":"))
    if _MARK not in text and "\\u0000decimal:" not in text:
        return text
    parts = text.split('"\\u0000decimal:')
    out = [parts[0]]
    for part in parts[1:]:
        number, rest = part.split('"', 1)
        out.append(number + rest)
    return "".join(out)


def write_export(folder: Path, resources: dict[str, list[dict[str, Any]]], when: datetime) -> Path:
    """A Bulk Data-style export in ``folder`` (a new, empty folder); returns the manifest's path."""
    output = []
    for kind, items in resources.items():
        if not items:
            continue
        name = f"{kind}.ndjson"
        with (folder / name).open("w", encoding="utf-8", newline="\n") as f:
            for r in items:
                f.write(dumps(r) + "\n")
        output.append({"type": kind, "url": name, "count": len(items)})
    manifest = {
        "transactionTime": when.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        "request": "lhn-desktop ehr export --fhir",
        "requiresAccessToken": False,
        "output": output,
        "error": [],
    }
    path = folder / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return path


# -- reading ----------------------------------------------------------------------------------------------


def _loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal, parse_constant=_no_constant)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _ndjson(stream: IO[bytes], name: str) -> Iterator[Located | FileProblem]:
    for number, raw in enumerate(_lines(stream), start=1):
        if raw is None:
            yield FileProblem(name, number, f"the line is longer than {MAX_LINE // (1024 * 1024)} MB; not a FHIR "
                                            "resource")  # fmt: skip
            continue
        line = raw.strip()
        if not line:
            continue
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            yield FileProblem(name, number, "the line is not UTF-8 text")
            continue
        try:
            value = _loads(text)
        except (json.JSONDecodeError, ValueError) as exc:
            msg = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
            yield FileProblem(name, number, f"not valid JSON ({msg}); the file may be cut short or not NDJSON")
            continue
        if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
            yield FileProblem(name, number, "not a FHIR resource (no resourceType)")
            continue
        yield Located(value, name, number)


def _lines(stream: IO[bytes]) -> Iterator[bytes | None]:
    """Lines of at most MAX_LINE bytes; a longer one is skipped whole and given as None."""
    while True:
        line = stream.readline(MAX_LINE + 1)
        if not line:
            return
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            while True:  # skip the rest of the over-long line without holding it
                more = stream.readline(MAX_LINE)
                if not more or more.endswith(b"\n"):
                    break
            yield None
            continue
        yield line


def _bundle(data: bytes, name: str) -> Iterator[Located | FileProblem]:
    try:
        value = _loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        yield FileProblem(name, None, "not UTF-8 text; not a FHIR file")
        return
    except (json.JSONDecodeError, ValueError) as exc:
        line = exc.lineno if isinstance(exc, json.JSONDecodeError) else None
        yield FileProblem(name, line, "not valid JSON; the file may be cut short")
        return
    if not isinstance(value, dict) or not isinstance(value.get("resourceType"), str):
        yield FileProblem(name, None, "not a FHIR resource or Bundle (no resourceType)")
        return
    if value["resourceType"] != "Bundle":
        yield Located(value, name, 1)
        return
    entries = value.get("entry") or []
    if not isinstance(entries, list):
        yield FileProblem(name, None, "the Bundle's entry is not a list")
        return
    for number, entry in enumerate(entries, start=1):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            yield FileProblem(name, number, "a Bundle entry without a resource")
            continue
        yield Located(resource, name, number)


def _looks_like_json(head: bytes) -> bool:
    return head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] in (b"{", b"[")


def _read_file(path: Path) -> Iterator[Located | FileProblem]:
    name = path.name
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(4096)
            if not _looks_like_json(head):
                yield FileProblem(name, None, "not a FHIR file (it does not start with JSON)")
                return
            f.seek(0)
            if _is_ndjson(path, head):
                yield from _ndjson(f, name)
                return
            if size > MAX_BUNDLE:
                yield FileProblem(name, None, f"a Bundle larger than {MAX_BUNDLE // (1024 * 1024)} MB is not read; "
                                              "export NDJSON instead")  # fmt: skip
                return
            data = f.read()
    except OSError as exc:
        yield FileProblem(name, None, f"cannot be read: {exc.strerror or exc}")
        return
    yield from _bundle(data, name)


def _is_ndjson(path: Path, head: bytes) -> bool:
    if path.suffix.lower() in (".ndjson", ".jsonl"):
        return True
    first = head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n", 1)
    # a .json file whose first line is a whole resource, followed by another: NDJSON under another name
    return len(first) == 2 and first[0].rstrip().endswith(b"}") and first[1].lstrip()[:1] == b"{"


def _manifest(text: bytes, name: str) -> tuple[list[str], list[str], FileProblem | None]:
    """The output and error file names a manifest lists (relative names only)."""
    if len(text) > MAX_MANIFEST:
        return [], [], FileProblem(name, None, "the manifest is larger than 1 MB; not a Bulk Data manifest")
    try:
        value = _loads(text.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, ValueError):
        return [], [], FileProblem(name, None, "the manifest is not valid JSON")
    if not isinstance(value, dict) or not isinstance(value.get("output", []), list):
        return [], [], FileProblem(name, None, "not a Bulk Data manifest (no output list)")

    def names(key: str) -> list[str]:
        found = []
        for item in value.get(key) or []:
            url = item.get("url") if isinstance(item, dict) else None
            if isinstance(url, str) and url:
                found.append(url.replace("\\", "/").rsplit("/", 1)[-1])
        return found

    return names("output"), names("error"), None


def _read_folder(folder: Path) -> Iterator[Located | FileProblem]:
    manifest = folder / "manifest.json"
    if manifest.is_file():
        try:
            text = manifest.read_bytes()[: MAX_MANIFEST + 1]
        except OSError as exc:
            yield FileProblem("manifest.json", None, f"cannot be read: {exc.strerror or exc}")
            return
        outputs, errors, problem = _manifest(text, "manifest.json")
        if problem:
            yield problem
            return
        for name in errors:
            yield FileProblem(name, None, "the EHR reported errors in its export (an OperationOutcome file); "
                                          "ask the EHR team what was left out")  # fmt: skip
        seen = set()
        for name in outputs:
            if name in seen:
                continue
            seen.add(name)
            path = folder / name
            if not path.is_file():
                yield FileProblem(name, None, "the manifest lists this file but it is not in the folder")
                continue
            yield from _read_file(path)
        return
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".ndjson", ".json", ".jsonl"))
    if not files:
        yield FileProblem(folder.name, None, "the folder has no manifest.json and no .ndjson or .json files")
    for path in files:
        yield from _read_file(path)


def _read_zip(path: Path) -> Iterator[Located | FileProblem]:
    try:
        archive = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile):
        yield FileProblem(path.name, None, "not a readable zip file")
        return
    with archive:
        members = {i.filename.rsplit("/", 1)[-1]: i for i in archive.infolist() if not i.is_dir()}
        manifest = members.get("manifest.json")
        wanted: list[str]
        if manifest is not None:
            if manifest.file_size > MAX_MANIFEST:
                yield FileProblem("manifest.json", None, "the manifest is larger than 1 MB")
                return
            outputs, errors, problem = _manifest(archive.read(manifest), "manifest.json")
            if problem:
                yield problem
                return
            for name in errors:
                yield FileProblem(name, None, "the EHR reported errors in its export (an OperationOutcome file)")
            wanted = outputs
        else:
            wanted = sorted(n for n in members if n.lower().endswith((".ndjson", ".jsonl", ".json")))
        for name in wanted:
            info = members.get(name)
            if info is None:
                yield FileProblem(name, None, "the manifest lists this file but it is not in the zip")
                continue
            try:
                with archive.open(info) as stream:
                    head = stream.peek(4096)[:4096] if hasattr(stream, "peek") else b""
                    if name.lower().endswith((".ndjson", ".jsonl")) or _is_ndjson(Path(name), head):
                        yield from _ndjson(stream, name)
                    elif info.file_size > MAX_BUNDLE:
                        yield FileProblem(name, None, "a Bundle larger than 256 MB is not read")
                    else:
                        yield from _bundle(stream.read(MAX_BUNDLE + 1), name)
            except (OSError, zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError):
                yield FileProblem(name, None, "this file in the zip is damaged or compressed in a way that cannot "
                                              "be read")  # fmt: skip


def read_sources(paths: list[Path]) -> Iterator[Located | FileProblem]:
    """Every resource (or problem) in the files and folders named, in order."""
    for path in paths:
        if path.is_dir():
            yield from _read_folder(path)
        elif not path.exists():
            yield FileProblem(path.name, None, "there is no such file or folder")
        elif zipfile.is_zipfile(path):
            yield from _read_zip(path)
        else:
            yield from _read_file(path)
