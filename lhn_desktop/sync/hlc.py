"""Hybrid logical clock (SYNC.md 1.3): pure functions over ``(wall_ms, counter)``.

The clock never goes backwards, even when the workstation's wall clock does: a tick takes the larger
of the wall time and the last timestamp, and bumps the counter on a tie. Timestamps serialise as the
fixed-width string ``"%013d-%05d"`` so they sort lexically; ties are broken by node id.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lhn_desktop.errors import ClockError

MAX_COUNTER = 0xFFFF
#: The largest wall time the fixed-width text form can hold (13 digits: the year 2286).
MAX_WALL_MS = 10**13 - 1
_HLC_RE = re.compile(r"([0-9]{13})-([0-9]{5})")


@dataclass(frozen=True, slots=True, order=True)
class Hlc:
    wall_ms: int
    counter: int

    def __str__(self) -> str:
        return f"{self.wall_ms:013d}-{self.counter:05d}"

    @classmethod
    def parse(cls, text: str) -> Hlc:
        m = _HLC_RE.fullmatch(text)
        if not m:
            raise ValueError(f"not a clock timestamp: {text!r}")
        return cls(int(m.group(1)), int(m.group(2)))


ZERO = Hlc(0, 0)


def _checked(wall_ms: int, counter: int) -> Hlc:
    if counter > MAX_COUNTER:
        raise ClockError(
            "The sync clock cannot advance any further this millisecond, so the change was not saved. "
            "Check that this workstation's date and time are correct, then try again.",
            detail=f"HLC counter overflow at wall_ms={wall_ms}",
        )
    if wall_ms > MAX_WALL_MS:
        raise ClockError("The workstation clock is out of range; set the correct date and time.")
    return Hlc(wall_ms, counter)


def tick(last: Hlc, now_ms: int) -> Hlc:
    """The timestamp of a local event: strictly greater than ``last``."""
    if now_ms > last.wall_ms:
        return _checked(now_ms, 0)
    return _checked(last.wall_ms, last.counter + 1)


def receive(last: Hlc, remote: Hlc, now_ms: int) -> Hlc:
    """The clock after seeing a remote timestamp: greater than both ``last`` and ``remote``."""
    wall = max(last.wall_ms, remote.wall_ms, now_ms)
    if wall == last.wall_ms == remote.wall_ms:
        counter = max(last.counter, remote.counter) + 1
    elif wall == last.wall_ms:
        counter = last.counter + 1
    elif wall == remote.wall_ms:
        counter = remote.counter + 1
    else:
        counter = 0
    return _checked(wall, counter)
