"""What can be recorded at a visit, and reading a typed value: its unit, conversion and plausibility.

The catalog (``content/observations.json``) names each observation code, the unit it is stored in,
the other units a laboratory may report it in (with the factor to the stored unit), the limits
beyond which no person can be (refused) and the usual range (warned about), unit mix-ups that a
value betrays (an albumin of 3.5 "g/L" is a g/dL value), and how much a value may change since the
last visit before it is worth a second look. Warnings never block: a clinician may keep any value
they might really see.

Numbers are :class:`~decimal.Decimal` throughout: the database keeps measured values as exact
decimal text, so "34.5" stays "34.5". A converted value is rounded to the catalog's decimals and the
value and unit as typed are kept beside it.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic import ValidationError as PydanticError

from lhn_desktop.errors import LhnError, ValidationError
from lhn_desktop.localization import format_date

CATALOG_FILE = "observations.json"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _decimal(value: object) -> Decimal:
    # Strings only: a float in the file ("0.1") would not be exact.
    if not isinstance(value, str):
        raise ValueError('write numbers as strings, e.g. "2.5"')
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a number")
    return number


class Confusable(_Strict):
    """A value in the stored unit that is probably in ``unit`` instead."""

    unit: str
    below: Decimal
    decimals_at_least: int = Field(default=0, ge=0, le=6)
    why: str = Field(min_length=5)

    _below = field_validator("below", mode="before")(_decimal)


class Change(_Strict):
    """How far a value may move since the last one before the program asks for a second look."""

    what: str
    relative_more_than: Decimal | None = None
    decrease_more_than: Decimal | None = None

    _numbers = field_validator("relative_more_than", "decrease_more_than", mode="before")(
        lambda v: None if v is None else _decimal(v)
    )


class ObservationSpec(_Strict):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,39}$")
    label: str = Field(min_length=2)
    #: how a sentence names it ("weight", "PGA"); the label when not given
    short: str = ""
    kind: Literal["number", "choice", "index", "text"]
    unit: str | None = None
    decimals: int = Field(default=1, ge=0, le=6)
    #: unit -> factor to the stored unit
    units: dict[str, Decimal] = Field(default_factory=dict)
    limits: tuple[Decimal, Decimal] | None = None
    usual: tuple[Decimal, Decimal] | None = None
    #: whether "<5" and ">300" are accepted (results below or above what the laboratory measures)
    censored: bool = False
    choices: tuple[str, ...] = ()
    confusable: tuple[Confusable, ...] = ()
    change: Change | None = None

    @field_validator("units", mode="before")
    @classmethod
    def _factors(cls, value):
        if not isinstance(value, dict):
            raise ValueError("units maps each unit to its factor")
        return {unit: _decimal(factor) for unit, factor in value.items()}

    @field_validator("limits", "usual", mode="before")
    @classmethod
    def _range(cls, value):
        if value is None:
            return None
        if not isinstance(value, list | tuple) or len(value) != 2:
            raise ValueError("give a range as [low, high]")
        low, high = (_decimal(v) for v in value)
        if low > high:
            raise ValueError("the low end of a range must not be above the high end")
        return low, high

    @model_validator(mode="after")
    def _consistent(self) -> ObservationSpec:
        if self.kind == "choice" and not self.choices:
            raise ValueError("a choice needs its choices")
        if self.kind != "choice" and self.choices:
            raise ValueError("only a choice has choices")
        if self.units and self.unit is None:
            raise ValueError("other units need a stored unit to convert to")
        for c in self.confusable:
            if c.unit not in self.units:
                raise ValueError(f"confusable unit {c.unit!r} is not among the units")
        if any(f <= 0 for f in self.units.values()):
            raise ValueError("unit factors must be positive")
        return self

    # -- reading -------------------------------------------------------------------------------------------
    def unit_choices(self) -> tuple[str, ...]:
        """The stored unit first, then the others a laboratory may use."""
        return ((self.unit,) if self.unit else ()) + tuple(self.units)

    def unit_name(self, unit: str | None) -> str | None:
        """A unit as the catalog spells it ("MG / dl" -> "mg/dL"), or None if the catalog does not know it."""
        if unit is None:
            return None
        return next((name for name in self.unit_choices() if _unit_key(name) == _unit_key(unit)), None)

    def factor(self, unit: str | None) -> Decimal | None:
        """The factor from ``unit`` to the stored unit (1 for the stored unit), or None if unknown."""
        if unit is None or _unit_key(unit) == _unit_key(self.unit or ""):
            return Decimal(1)
        for name, factor in self.units.items():
            if _unit_key(name) == _unit_key(unit):
                return factor
        return None


class Catalog(_Strict):
    catalog: str
    version: int = Field(ge=1)
    note: str = ""
    observations: tuple[ObservationSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Catalog:
        codes = [o.code for o in self.observations]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"observation codes must be unique; repeated: {', '.join(repeated)}")
        return self


def _unit_key(unit: str) -> str:
    """Units compared as a clinician writes them: case, spaces, "µ" or "u", "hr" or "h" do not matter."""
    key = unit.strip().lower().replace(" ", "").replace("µ", "u").replace("μ", "u")
    return key.replace("/hr", "/h")


def parse_catalog(text: str, source: str) -> dict[str, ObservationSpec]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LhnError(
            f"The observation catalog {source} is not valid JSON (line {exc.lineno}): {exc.msg}. "
            "Reinstall LHN Desktop or correct the file."
        ) from None
    try:
        catalog = Catalog.model_validate(data)
    except PydanticError as exc:
        first = exc.errors()[0]
        where = list(first["loc"])
        if len(where) >= 2 and where[0] == "observations" and isinstance(where[1], int):
            with contextlib.suppress(IndexError, KeyError, TypeError):
                where[1] = data["observations"][where[1]]["code"]
        place = " > ".join(str(w) for w in where) or "the top level"
        raise LhnError(
            f"The observation catalog {source} has a mistake at {place}: {first['msg']}. "
            "Reinstall LHN Desktop or correct the file."
        ) from None
    return {o.code: o for o in catalog.observations}


@cache
def load_catalog() -> dict[str, ObservationSpec]:
    """The catalog shipped with the program, validated once per process."""
    from lhn_desktop.paths import content_dir

    path = content_dir() / CATALOG_FILE
    return parse_catalog(path.read_text(encoding="utf-8"), path.name)


def get_spec(code: str) -> ObservationSpec:
    spec = load_catalog().get(code)
    if spec is None:
        known = ", ".join(load_catalog())
        raise ValidationError(f"{code!r} is not something LHN Desktop records. Codes: {known}.", field=code)
    return spec


def label(code: str) -> str:
    spec = load_catalog().get(code)
    return spec.label if spec else code


def short_label(code: str) -> str:
    """The name a sentence uses ("weight", "PGA", "vitamin D"); the code itself if the catalog lacks it."""
    spec = load_catalog().get(code)
    return (spec.short or spec.label) if spec else code


# -- values ------------------------------------------------------------------------------------------------------

_NUMBER = re.compile(
    r"^(?P<cmp><=|>=|[<>≤≥])?\s*(?P<num>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))\s*(?P<unit>[A-Za-z%µμ/].*)?$"
)
_EXPONENT = re.compile(r"^[+-]?[0-9.]+[eE][+-]?[0-9]+")
#: More digits than any measurement has: refused before arithmetic (Decimal's context has 28 digits).
_MAX_DIGITS = 15
_COMPARATORS = {"≤": "<=", "≥": ">="}


@dataclass(frozen=True, slots=True)
class Reading:
    """A typed value made ready to store: canonical text in the stored unit, the original kept when converted."""

    code: str
    value: str
    unit: str | None
    number: Decimal | None = None
    comparator: str | None = None
    original_value: str | None = None
    original_unit: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def display(self) -> str:
        return f"{self.value} {self.unit}" if self.unit else self.value


def split_value_unit(text: str) -> tuple[str, str | None]:
    """``"32.5kg"`` -> ``("32.5", "kg")``; ``"quiescent"`` -> ``("quiescent", None)``."""
    match = _NUMBER.match(text.strip())
    if match is None or not match.group("unit"):
        return text.strip(), None
    end = match.start("unit")
    return text.strip()[:end].strip(), match.group("unit").strip()


def _plain(number: Decimal) -> str:
    """Decimal text without exponent or a negative zero: 32.50 stays "32.50", 1E+1 becomes "10"."""
    return format(abs(number) if number.is_zero() else number, "f")


def read_value(code: str, text: str, unit: str | None = None) -> Reading:
    """Read what a person typed for ``code`` (``"1.2"`` with ``unit="mg/dL"``, or ``"1.2 mg/dL"``).

    Raises:
        ValidationError: the value cannot be read or no person can have it (``field`` is the code). The
            message names what is allowed and never repeats the value.
    """
    spec = get_spec(code)
    raw = (text or "").strip()
    if not raw:
        raise ValidationError(f"Enter a value for {spec.label}, or leave it out.", field=code)
    if spec.kind == "choice":
        choice = next((c for c in spec.choices if c.lower() == raw.lower()), None)
        if choice is None:
            raise ValidationError(f"{spec.label} is one of: {', '.join(spec.choices)}.", field=code)
        return Reading(code, choice, None)
    if spec.kind == "text":
        value = " ".join(raw.split())
        if len(value) > 80:
            raise ValidationError(f"Keep {spec.label} under 80 characters (the organisms, or 'no growth').",
                                  field=code)  # fmt: skip
        return Reading(code, value, None)
    value_text, typed_unit = split_value_unit(raw)
    if unit and typed_unit and _unit_key(unit) != _unit_key(typed_unit):
        raise ValidationError(f"{spec.label}: two different units were given; give one.", field=code)
    unit = unit or typed_unit
    if _EXPONENT.match(value_text):
        raise ValidationError(f"Write {spec.label} as a plain number, without an exponent.", field=code)
    match = _NUMBER.match(value_text)
    if match is None or match.group("unit"):
        hint = " Use a point for decimals, with no thousands separator." if "," in value_text else ""
        raise ValidationError(f"{spec.label} must be a number{f' in {spec.unit}' if spec.unit else ''}.{hint}",
                              field=code)  # fmt: skip
    comparator = match.group("cmp")
    comparator = _COMPARATORS.get(comparator, comparator)
    if comparator and not spec.censored:
        raise ValidationError(f"{spec.label} must be a number, without < or >.", field=code)
    number = Decimal(match.group("num"))
    if len(number.as_tuple().digits) > _MAX_DIGITS:
        raise ValidationError(f"{spec.label} has more digits than any measurement; check the value.", field=code)
    factor = spec.factor(unit) if spec.unit or unit else Decimal(1)
    if factor is None:
        allowed = ", ".join(spec.unit_choices()) or "no unit"
        raise ValidationError(f"{spec.label} is recorded in {allowed}; that unit is not one of them.", field=code)
    converted = factor != 1
    stored = (number * factor).quantize(Decimal(1).scaleb(-spec.decimals), ROUND_HALF_UP) if converted else number
    if spec.limits is not None and not spec.limits[0] <= stored <= spec.limits[1]:
        low, high = spec.limits
        raise ValidationError(
            f"{spec.label} must be between {_plain(low)} and {_plain(high)}{f' {spec.unit}' if spec.unit else ''}. "
            "Check the value and its unit.",
            field=code,
        )
    prefix = comparator or ""
    reading = Reading(
        code=code,
        value=prefix + _plain(stored),
        unit=spec.unit,
        number=stored,
        comparator=comparator,
        original_value=prefix + _plain(number) if converted else None,
        original_unit=spec.unit_name(unit) if converted else None,
    )
    warnings = value_warnings(spec, reading, typed_decimals=_decimals(match.group("num")), typed_unit=unit)
    return Reading(**{**_fields(reading), "warnings": warnings})


def _fields(reading: Reading) -> dict:
    return {name: getattr(reading, name) for name in Reading.__slots__}


def _decimals(number_text: str) -> int:
    return len(number_text.split(".", 1)[1]) if "." in number_text else 0


def value_warnings(
    spec: ObservationSpec, reading: Reading, *, typed_decimals: int, typed_unit: str | None
) -> tuple[str, ...]:
    """Warnings from the value alone: outside the usual range, or a value that betrays another unit."""
    out: list[str] = []
    n = reading.number
    if n is None or reading.comparator:
        return ()
    typed_in_stored_unit = typed_unit is None or spec.factor(typed_unit) == 1
    if typed_in_stored_unit:
        for c in spec.confusable:
            if n < c.below and typed_decimals >= c.decimals_at_least:
                out.append(f"{spec.label} {reading.display} looks like a value in {c.unit}: {c.why}. "
                           f"If it is in {c.unit}, choose that unit.")  # fmt: skip
                break
    if not out and spec.usual is not None and not spec.usual[0] <= n <= spec.usual[1]:
        low, high = spec.usual
        out.append(f"{spec.label} {reading.display} is outside the usual range ({_plain(low)}-{_plain(high)} "
                   f"{spec.unit or ''}).".replace(" )", ")"))  # fmt: skip
    return tuple(out)


def numeric(value: str | None) -> Decimal | None:
    """The number in a stored value ("34.5", "<5" gives 5), or None for a category or text."""
    if value is None:
        return None
    match = _NUMBER.match(value.strip())
    if match is None or match.group("unit"):
        return None
    return Decimal(match.group("num"))


def change_warning(code: str, value: Decimal, previous: tuple[date, str] | None, unit: str | None) -> str | None:
    """A warning when ``value`` moved further from the previous value than the catalog expects, else None.

    ``previous`` is (date, stored value) of the latest earlier value of the same code.
    """
    spec = get_spec(code)
    if spec.change is None or previous is None:
        return None
    before = numeric(previous[1])
    if before is None:
        return None
    u = f" {unit}" if unit else ""
    change, on = spec.change, format_date(previous[0])
    if change.decrease_more_than is not None and before - value > change.decrease_more_than:
        return (f"{spec.label} {_plain(value)}{u} is {_plain(before - value)}{u} lower than on {on} "
                f"({_plain(before)}{u}); check the {change.what}.")  # fmt: skip
    if change.relative_more_than is not None and before > 0:
        moved = abs(value - before) / before
        if moved > change.relative_more_than:
            direction = "more" if value > before else "less"
            percent = (moved * 100).quantize(Decimal(1), ROUND_HALF_UP)
            return (f"{spec.label} {_plain(value)}{u} is {percent}% {direction} than on {on} "
                    f"({_plain(before)}{u}); check the {change.what}.")  # fmt: skip
    return None
