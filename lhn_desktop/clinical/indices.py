"""Disease-activity indices (PUCAI, wPCDAI) computed from their items, with the tables shipped as data.

Clinicians record the level of each item; the program adds the points and names the category. It
never asks for the total. The tables live in ``content/indices.json`` so that a network can correct
a table without a new program; they are validated when loaded (points are exact decimals written as
text, each item's top level adds up to the index maximum, the categories are ordered), and a broken
file names the index and the field.

Two items of the wPCDAI (ESR, albumin) can also be derived from a laboratory value: the item's
``from_observation`` maps a value in the program's stored unit to a level.

Everything here is a pure function of its arguments; only :func:`load_indices` reads a file.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from itertools import pairwise
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from lhn_desktop.errors import LhnError

#: The file in ``content/`` that holds the index tables.
INDICES_FILE = "indices.json"

#: The category labels an index may use, mildest first.
CATEGORY_ORDER = ("remission", "mild", "moderate", "severe")

_DECIMAL_TEXT = re.compile(r"^-?\d+(\.\d+)?$")
_ITEM_KEY = r"^[a-z][a-z0-9_]{0,39}$"
_ITEM_KEY_RE = re.compile(_ITEM_KEY)


def _exact_decimal(value: Any) -> Decimal:
    """Read a number written as text ("7.5") or as a whole number; refuse binary floats.

    Raises:
        ValueError: for a float, a boolean, or text that is not a plain decimal number.
    """
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("the number must be finite")
        return value
    if isinstance(value, bool | float):
        raise ValueError(f'write the number {value!r} as text in quotes, for example "7.5", so it stays exact')
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str) and _DECIMAL_TEXT.match(value.strip()):
        return Decimal(value.strip())
    raise ValueError(f'expected a number written as text, for example "7.5", not {value!r}')


ExactDecimal = Annotated[Decimal, BeforeValidator(_exact_decimal)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _bound_key(below: Decimal | None, at_most: Decimal | None) -> tuple[Decimal, int]:
    """Sort key of an upper bound: "below x" comes just before "at most x"."""
    if below is not None:
        return (below, 0)
    assert at_most is not None
    return (at_most, 1)


class _Bounded(_Strict):
    """Something that applies up to an upper bound: ``below`` (exclusive) or ``at_most`` (inclusive)."""

    below: ExactDecimal | None = None
    at_most: ExactDecimal | None = None

    @model_validator(mode="after")
    def _one_bound(self) -> _Bounded:
        if self.below is not None and self.at_most is not None:
            raise ValueError("give either 'below' or 'at_most', not both")
        return self

    @property
    def bounded(self) -> bool:
        return self.below is not None or self.at_most is not None

    def covers(self, value: Decimal) -> bool:
        """Whether ``value`` is within this bound (an unbounded entry covers everything)."""
        if self.below is not None:
            return value < self.below
        if self.at_most is not None:
            return value <= self.at_most
        return True

    def bound_text(self) -> str:
        if self.below is not None:
            return f"below {self.below}"
        if self.at_most is not None:
            return f"at most {self.at_most}"
        return "no bound"


def _check_ordered_bounds(entries: tuple[_Bounded, ...], what: str, plural: str) -> None:
    """Every entry but the last has a bound, the bounds increase, and the last entry has none."""
    if not entries:
        raise ValueError(f"give at least one {what}")
    for entry in entries[:-1]:
        if not entry.bounded:
            raise ValueError(f"only the last {what} may be without a bound ('below' or 'at_most')")
    if entries[-1].bounded:
        raise ValueError(f"the last {what} must have no bound (it takes everything above the others)")
    keys = [_bound_key(e.below, e.at_most) for e in entries[:-1]]
    for (earlier, later), entry in zip(pairwise(keys), entries[1:], strict=False):
        if later <= earlier:
            raise ValueError(f"the {plural} must be in increasing order; '{entry.bound_text()}' comes too late")


class Level(_Strict):
    """One answer of an item and its points."""

    points: ExactDecimal = Field(ge=0)
    label: str = Field(min_length=1, max_length=200)


class Cut(_Bounded):
    """Values up to this bound (after the previous cut) score the item at ``level``."""

    level: StrictInt = Field(ge=0)


class FromObservation(_Strict):
    """How a laboratory value (observation ``code`` in ``unit``) maps to a level of the item."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{0,19}$")
    unit: str = Field(min_length=1, max_length=20)
    cuts: tuple[Cut, ...] = Field(min_length=2)

    @field_validator("cuts")
    @classmethod
    def _ordered(cls, cuts: tuple[Cut, ...]) -> tuple[Cut, ...]:
        _check_ordered_bounds(cuts, "cut", "cuts")
        return cuts


class IndexItem(_Strict):
    """One item of an index: its levels in order, mildest first."""

    key: str = Field(pattern=_ITEM_KEY)
    label: str = Field(min_length=1, max_length=200)
    help: str = ""
    levels: tuple[Level, ...] = Field(min_length=2)
    from_observation: FromObservation | None = None

    @field_validator("levels")
    @classmethod
    def _non_decreasing(cls, levels: tuple[Level, ...]) -> tuple[Level, ...]:
        for number, (lower, higher) in enumerate(pairwise(levels), start=1):
            if higher.points < lower.points:
                raise ValueError(
                    f"the points must not decrease from one level to the next; "
                    f"level {number} has {higher.points} after {lower.points}"
                )
        return levels

    @field_validator("from_observation")
    @classmethod
    def _cut_levels_exist(cls, rule: FromObservation | None, info: ValidationInfo) -> FromObservation | None:
        levels = info.data.get("levels")
        if rule is None or levels is None:
            return rule
        for cut in rule.cuts:
            if cut.level >= len(levels):
                raise ValueError(f"a cut gives level {cut.level}, but the item has only levels 0 to {len(levels) - 1}")
        return rule

    @property
    def top_points(self) -> Decimal:
        return self.levels[-1].points

    def level_for_value(self, value: Decimal) -> int:
        """The level (0-based) that a laboratory value in the item's stored unit scores.

        Raises:
            ValueError: if the item is not derived from a laboratory value, or the value is not a finite number.
        """
        if self.from_observation is None:
            raise ValueError(f'"{self.label}" is chosen by the clinician; it is not derived from a laboratory value.')
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise ValueError(f'"{self.label}" needs a decimal value in {self.from_observation.unit}, not {value!r}.')
        number = Decimal(value)
        if not number.is_finite():
            raise ValueError(f'"{self.label}" needs a number in {self.from_observation.unit}, not {value}.')
        for cut in self.from_observation.cuts:
            if cut.covers(number):
                return cut.level
        raise AssertionError("the last cut has no bound")  # pragma: no cover - validated at load


class Category(_Bounded):
    """Totals up to this bound (after the previous category) fall in this category."""

    label: Literal["remission", "mild", "moderate", "severe"]


class IndexDefinition(_Strict):
    """A disease-activity index: its items in the paper's order, its maximum and its categories."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,19}$")
    title: str = Field(min_length=3, max_length=200)
    short: str = Field(min_length=2, max_length=20)
    source: str = Field(min_length=10)
    recall: str = Field(min_length=3, max_length=200)
    max: ExactDecimal = Field(gt=0)
    notes: str = ""
    items: tuple[IndexItem, ...] = Field(min_length=1)
    categories: tuple[Category, ...] = Field(min_length=2)

    @field_validator("items")
    @classmethod
    def _items_add_up(cls, items: tuple[IndexItem, ...], info: ValidationInfo) -> tuple[IndexItem, ...]:
        keys = [item.key for item in items]
        repeated = sorted({k for k in keys if keys.count(k) > 1})
        if repeated:
            raise ValueError(f"item keys must be unique; repeated: {', '.join(repeated)}")
        maximum = info.data.get("max")
        if maximum is not None:
            top = sum((item.top_points for item in items), Decimal(0))
            if top != maximum:
                raise ValueError(f"the top levels of the items add up to {_plain(top)}, but max is {_plain(maximum)}")
        return items

    @field_validator("categories")
    @classmethod
    def _categories_ordered(cls, categories: tuple[Category, ...], info: ValidationInfo) -> tuple[Category, ...]:
        labels = [c.label for c in categories]
        if labels != sorted(set(labels), key=CATEGORY_ORDER.index):
            raise ValueError(f"the categories must be in the order {', '.join(CATEGORY_ORDER)}, each once")
        _check_ordered_bounds(categories, "category", "categories")
        maximum = info.data.get("max")
        if maximum is not None:
            for category in categories[:-1]:
                bound = category.below if category.below is not None else category.at_most
                assert bound is not None
                if not Decimal(0) < bound <= maximum:
                    raise ValueError(f"the bound of '{category.label}' must be above 0 and at most max")
        return categories

    def item(self, key: str) -> IndexItem:
        """The item with this key.

        Raises:
            KeyError: if the index has no such item.
        """
        for item in self.items:
            if item.key == key:
                return item
        raise KeyError(key)

    def category(self, total: Decimal) -> str:
        """The category ("remission", "mild", "moderate" or "severe") of a total.

        Raises:
            ValueError: if the total is not a number between 0 and the index maximum.
        """
        if isinstance(total, bool) or not isinstance(total, Decimal | int):
            raise ValueError(f"A {self.short} total must be a decimal number, not {total!r}.")
        number = Decimal(total)
        if not number.is_finite() or not Decimal(0) <= number <= self.max:
            raise ValueError(f"A {self.short} total must be between 0 and {_plain(self.max)}, not {total}.")
        for category in self.categories:
            if category.covers(number):
                return category.label
        raise AssertionError("the last category has no bound")  # pragma: no cover - validated at load


class _IndexFile(RootModel[tuple[IndexDefinition, ...]]):
    model_config = ConfigDict(frozen=True)

    @model_validator(mode="after")
    def _unique_codes(self) -> _IndexFile:
        codes = [index.code for index in self.root]
        repeated = sorted({c for c in codes if codes.count(c) > 1})
        if repeated:
            raise ValueError(f"index codes must be unique; repeated: {', '.join(repeated)}")
        return self


# -- loading ---------------------------------------------------------------------------------------------------


def parse_indices(text: str, source: str) -> dict[str, IndexDefinition]:
    """Validate the text of an index file and return its indices by code.

    Args:
        text: the JSON text (a list of index definitions).
        source: the file's name, for the error message.

    Raises:
        LhnError: naming the file, the index and the field, when the file is not valid.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LhnError(
            f"The index file {source} is not valid JSON (line {exc.lineno}): {exc.msg}. "
            "Reinstall LHN Desktop or correct the file."
        ) from None
    try:
        parsed = _IndexFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _readable_location(list(first["loc"]), data)
        message = first["msg"].removeprefix("Value error, ")
        place = f" at {' > '.join(where)}" if where else ""
        raise LhnError(
            f"The index file {source} has a mistake{place}: {message}. Reinstall LHN Desktop or correct the file.",
            detail=f"{source}: {first['loc']!r}: {first['msg']}",
        ) from None
    return {index.code: index for index in parsed.root}


def _readable_location(loc: list[Any], data: Any) -> list[str]:
    """Replace list positions by the index code and the item key where the data has them."""
    words = [str(part) for part in loc]
    with contextlib.suppress(IndexError, AttributeError, KeyError, TypeError):
        if loc and isinstance(loc[0], int):
            index = data[loc[0]]
            words[0] = str(index.get("code", loc[0]))
            if len(loc) >= 3 and loc[1] == "items" and isinstance(loc[2], int):
                words[2] = str(index["items"][loc[2]].get("key", loc[2]))
    return words


@cache
def load_indices() -> dict[str, IndexDefinition]:
    """The indices shipped with the program, by code, validated once per process.

    Raises:
        LhnError: when the shipped file is missing or broken.
    """
    from lhn_desktop.paths import content_dir

    path = content_dir() / INDICES_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LhnError(
            f"The index file {INDICES_FILE} cannot be read: {exc.strerror or exc}. Reinstall LHN Desktop."
        ) from None
    return parse_indices(text, INDICES_FILE)


def get_index(code: str) -> IndexDefinition:
    """The shipped index with this code (for example "PUCAI" or "WPCDAI").

    Raises:
        LhnError: for an unknown code, listing the known ones.
    """
    indices = load_indices()
    try:
        return indices[code]
    except KeyError:
        raise LhnError(
            f"There is no disease-activity index {code!r}. The known ones are: {', '.join(indices)}."
        ) from None


# -- scoring ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IndexScore:
    """An index computed from its item levels."""

    code: str
    total: Decimal
    category: str
    #: item key -> level (0-based), in the index's item order
    levels: dict[str, int]

    @property
    def total_text(self) -> str:
        """The total as people write it: "47.5", "35", "0"."""
        return _plain(self.total)


def _plain(number: Decimal) -> str:
    """A decimal without trailing zeros or exponent: 35.0 -> "35", 47.50 -> "47.5"."""
    return format(number.normalize(), "f")


def score(index: IndexDefinition, levels: Mapping[str, int]) -> IndexScore:
    """Add up the points of the chosen levels and name the category.

    Args:
        index: the index definition.
        levels: item key -> chosen level (0-based); every item of the index exactly once.

    Raises:
        ValueError: for an unknown item, a missing item or a level that does not exist, in words a clinician
            can act on.
    """
    known = {item.key for item in index.items}
    unknown = [key for key in levels if key not in known]
    if unknown:
        names = ", ".join(f'"{item.label}"' for item in index.items)
        raise ValueError(f"The {index.short} has no item {unknown[0]!r}. Its items are: {names}.")
    total = Decimal(0)
    chosen: dict[str, int] = {}
    for item in index.items:
        allowed = "; ".join(f"{n} = {level.label} ({_plain(level.points)})" for n, level in enumerate(item.levels))
        if item.key not in levels:
            raise ValueError(f'The {index.short} item "{item.label}" has no answer. Choose one of: {allowed}.')
        level = levels[item.key]
        if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level < len(item.levels):
            raise ValueError(
                f'The answer {level!r} for the {index.short} item "{item.label}" does not exist. '
                f"Choose one of: {allowed}."
            )
        chosen[item.key] = level
        total += item.levels[level].points
    return IndexScore(code=index.code, total=total, category=index.category(total), levels=chosen)


# -- storage ---------------------------------------------------------------------------------------------------


def score_text(levels: Mapping[str, int]) -> str:
    """The item levels as canonical JSON text for storage: sorted keys, no spaces.

    Raises:
        ValueError: if a key is not an item key or a level is not a whole number of 0 or more.
    """
    clean: dict[str, int] = {}
    for key, level in levels.items():
        if not isinstance(key, str) or not _ITEM_KEY_RE.match(key):
            raise ValueError(f"{key!r} is not an item key.")
        if isinstance(level, bool) or not isinstance(level, int) or level < 0:
            raise ValueError(f"The level of {key!r} must be a whole number of 0 or more, not {level!r}.")
        clean[key] = level
    return json.dumps(clean, sort_keys=True, separators=(",", ":"))


def parse_score_text(text: str) -> dict[str, int]:
    """The item levels back from the text :func:`score_text` wrote.

    Only the canonical form is accepted, so that one set of answers has one stored text.

    Raises:
        ValueError: for any other text.
    """
    try:
        data = json.loads(text, parse_float=_refuse_float, parse_constant=_refuse_float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"Stored index answers are not readable: {text!r}.") from exc
    if not isinstance(data, dict):
        raise ValueError(f"Stored index answers must be an object of item levels, not {text!r}.")
    try:
        canonical = score_text(data)
    except ValueError as exc:
        raise ValueError(f"Stored index answers are not readable: {text!r}.") from exc
    if canonical != text:
        raise ValueError(f"Stored index answers are not in the canonical form: {text!r}.")
    return dict(data)


def _refuse_float(token: str) -> Any:
    """Levels are whole numbers: a decimal, NaN or Infinity in stored answers makes them unreadable."""
    raise ValueError(f"not a whole number: {token}")
