"""Standard codes and this program's meanings: the map an EHR import reads and a FHIR export writes.

The map (``content/ehr_codes.json``) ties a code in a standard system to what this program records:

- a diagnosis of a disease pack (SNOMED CT, or an ICD-10-CM code and every code under it);
- an observation code of the catalog (LOINC);
- a medicine of a pack's drug list (RxNorm: ingredients, and the clinical drugs and brand products
  EHRs actually code, such as "predniSONE 5 MG Oral Tablet");
- an immunization or screening by the name the packs' checklists use (CVX for vaccines);
- a UCUM unit to the unit text of the catalog ("[lb_av]" is "lb").

Codes are matched on system and code, never on display text. A center adds its own local codes with
a second file of the same shape (:func:`load_code_map` with ``extra``). Every code this program writes
in an export also carries its own coding in :data:`LHN_SYSTEM`, so a round trip never depends on the
map.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticError

from lhn_desktop.errors import LhnError

MAP_FILE = "ehr_codes.json"
#: This program's own code system (one per kind of code: ``{LHN_SYSTEM}/observation`` and so on).
LHN_SYSTEM = "urn:lhn-desktop:code"
SYSTEMS = {
    "snomed": "http://snomed.info/sct",
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "loinc": "http://loinc.org",
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
    "cvx": "http://hl7.org/fhir/sid/cvx",
    "ucum": "http://unitsofmeasure.org",
}
Kind = Literal["diagnosis", "observation", "medication", "event"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CodeEntry(_Strict):
    """One standard code and what it means here."""

    system: Literal["snomed", "icd10cm", "loinc", "rxnorm", "cvx"]
    code: str = Field(min_length=1, max_length=40, pattern=r"^\S+$")
    #: the code and every more specific code under it (ICD-10-CM "K50" covers "K50.011")
    prefix: bool = False
    kind: Kind
    #: the diagnosis, observation code, medicine or event name as this program records it
    means: str = Field(min_length=1, max_length=80)
    #: the standard's own name of the code, for people reading the file (never matched)
    display: str = Field(min_length=1, max_length=200)

    @model_validator(mode="after")
    def _prefix_only_for_icd(self) -> CodeEntry:
        if self.prefix and self.system != "icd10cm":
            raise ValueError("only ICD-10-CM codes can stand for the codes under them (prefix)")
        return self


class CodeFile(_Strict):
    source: str = Field(min_length=10)
    note: str = ""
    codes: list[CodeEntry]
    #: UCUM unit code -> the catalog's unit text
    units: dict[str, str] = Field(default_factory=dict)


@dataclass(frozen=True)
class CodeMap:
    """Lookups both ways; see the module docstring."""

    exact: dict[tuple[str, str], CodeEntry]
    prefixes: tuple[CodeEntry, ...]
    units: dict[str, str]

    def meaning(self, system_uri: str | None, code: str | None, kind: Kind) -> str | None:
        """What a coding means here, or None when the map does not know it (or it means another kind)."""
        if not system_uri or not code:
            return None
        code = code.strip()
        if system_uri.startswith(LHN_SYSTEM + "/"):
            return code if system_uri == f"{LHN_SYSTEM}/{kind}" else None
        name = next((k for k, uri in SYSTEMS.items() if uri == system_uri), None)
        if name is None:
            return None
        entry = self.exact.get((name, _icd(code) if name == "icd10cm" else code))
        if entry is None and name == "icd10cm":  # the most specific category that covers the code
            bare = code.replace(".", "")
            matches = [e for e in self.prefixes if bare.startswith(e.code.replace(".", ""))]
            entry = max(matches, key=lambda e: len(e.code), default=None)
        return entry.means if entry is not None and entry.kind == kind else None

    def standard(self, kind: Kind, means: str) -> CodeEntry | None:
        """The first standard code the map gives for a meaning here (an export writes it beside its own)."""
        return next((e for e in self.exact.values() if e.kind == kind and e.means == means), None) or next(
            (e for e in self.prefixes if e.kind == kind and e.means == means), None
        )

    def unit(self, ucum: str | None) -> str | None:
        """The catalog's unit text for a UCUM code (unknown codes are returned as they are, to be checked)."""
        if ucum is None:
            return None
        return self.units.get(ucum, ucum)

    def ucum(self, unit: str | None) -> str | None:
        """The UCUM code of a catalog unit text (the unit itself when it is already UCUM)."""
        if unit is None:
            return None
        return next((code for code, text in self.units.items() if text == unit), unit)


def _icd(code: str) -> str:
    """ICD-10-CM codes compared without their dot and case ("k52.3", "K523" and "K52.3" are one code)."""
    return code.replace(".", "").upper()


def parse_code_map(text: str, source: str) -> CodeFile:
    """A code file from its text; a broken file raises :class:`LhnError` naming the file and the entry."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LhnError(f"The code map {source} is not valid JSON (line {exc.lineno}): {exc.msg}.") from None
    try:
        parsed = CodeFile.model_validate(data)
    except PydanticError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise LhnError(f"The code map {source} has a problem at {where}: {first['msg']}.") from None
    seen: set[tuple[str, str]] = set()
    for n, entry in enumerate(parsed.codes):
        key = (entry.system, _icd(entry.code) if entry.system == "icd10cm" else entry.code)
        if key in seen:
            raise LhnError(f"The code map {source} has a problem at codes.{n}: {entry.system} {entry.code} is "
                           "listed twice; keep one.")  # fmt: skip
        seen.add(key)
    return parsed


def build(files: list[CodeFile]) -> CodeMap:
    """One map from the shipped file and a center's own (later files win for the same system and code)."""
    exact: dict[tuple[str, str], CodeEntry] = {}
    prefixes: list[CodeEntry] = []
    units: dict[str, str] = {}
    for f in files:
        for entry in f.codes:
            if entry.prefix:
                prefixes.append(entry)
            else:
                exact[entry.system, _icd(entry.code) if entry.system == "icd10cm" else entry.code] = entry
        units.update(f.units)
    return CodeMap(exact, tuple(prefixes), units)


@cache
def shipped_map() -> CodeMap:
    from lhn_desktop.paths import content_dir

    path = content_dir() / MAP_FILE
    return build([parse_code_map(path.read_text(encoding="utf-8"), path.name)])


def load_code_map(extra: Path | None = None) -> CodeMap:
    """The shipped map, with a center's own local codes from ``extra`` on top."""
    if extra is None:
        return shipped_map()
    from lhn_desktop.paths import content_dir

    shipped = content_dir() / MAP_FILE
    try:
        own = extra.read_text(encoding="utf-8")
    except OSError as exc:
        raise LhnError(f"The code map {extra} cannot be read: {exc.strerror or exc}.") from None
    files = [parse_code_map(shipped.read_text(encoding="utf-8"), shipped.name), parse_code_map(own, extra.name)]
    return build(files)
