"""The hybrid logical clock (SYNC.md 1.3): properties of ``tick``, ``receive`` and the text form."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lhn_desktop.errors import ClockError
from lhn_desktop.sync.hlc import MAX_COUNTER, MAX_WALL_MS, ZERO, Hlc, receive, tick

HOUR_MS = 3_600_000
#: The largest wall time the fixed-width text form ("%013d") can hold.
MAX_13_DIGITS = 10**13 - 1
#: A realistic "now": 2020-01-01 .. 2100-01-01 in ms.
REALISTIC_NOW = st.integers(min_value=1_577_836_800_000, max_value=4_102_444_800_000)
FIXED_WIDTH = re.compile(r"\d{13}-\d{5}")

hlcs = st.builds(
    Hlc,
    wall_ms=st.integers(min_value=0, max_value=MAX_13_DIGITS),
    counter=st.integers(min_value=0, max_value=MAX_COUNTER),
)

#: How the wall clock moves between two readings: usually forwards a little, sometimes frozen,
#: sometimes jumping backwards by up to an hour or (rarely) much more.
wall_steps = st.one_of(
    st.integers(min_value=0, max_value=5),
    st.integers(min_value=1, max_value=60_000),
    st.just(0),
    st.integers(min_value=-HOUR_MS, max_value=-1),
    st.integers(min_value=-30 * 24 * HOUR_MS, max_value=-HOUR_MS),
)


def _readings(start: int, steps: list[int]) -> list[int]:
    out, now = [], start
    for step in steps:
        now = max(0, now + step)
        out.append(now)
    return out


# -- tick ---------------------------------------------------------------------------------------


@settings(max_examples=200)
@given(start=REALISTIC_NOW, steps=st.lists(wall_steps, min_size=1, max_size=200))
def test_tick_is_strictly_increasing_whatever_the_wall_clock_does(start: int, steps: list[int]) -> None:
    clock = ZERO
    stamps: list[Hlc] = []
    for now in _readings(start, steps):
        new = tick(clock, now)
        assert new > clock
        assert new.wall_ms >= now  # never behind the wall clock
        assert new.wall_ms == max(now, clock.wall_ms)  # and never ahead of what it has seen
        stamps.append(new)
        clock = new
    texts = [str(h) for h in stamps]
    assert all(FIXED_WIDTH.fullmatch(t) for t in texts)
    assert all(a < b for a, b in pairwise(texts))  # the text form sorts like the clock


def test_tick_after_the_wall_clock_jumps_back_an_hour() -> None:
    now = 1_767_225_600_000  # 2026-01-01T00:00:00Z
    first = tick(ZERO, now)
    assert first == Hlc(now, 0)
    second = tick(first, now - HOUR_MS)
    assert second == Hlc(now, 1)
    assert str(second) > str(first)
    # the wall clock catching up again resets the counter
    assert tick(second, now + 1) == Hlc(now + 1, 0)


def test_tick_at_a_frozen_wall_clock_bumps_the_counter() -> None:
    clock = tick(ZERO, 1000)
    for expected in range(1, 10):
        clock = tick(clock, 1000)
        assert clock == Hlc(1000, expected)


# -- text form ----------------------------------------------------------------------------------


@settings(max_examples=200)
@given(a=hlcs, b=hlcs)
def test_text_order_equals_tuple_order(a: Hlc, b: Hlc) -> None:
    sa, sb = str(a), str(b)
    assert len(sa) == len(sb) == 19
    assert FIXED_WIDTH.fullmatch(sa) and FIXED_WIDTH.fullmatch(sb)
    assert (sa < sb) == ((a.wall_ms, a.counter) < (b.wall_ms, b.counter)) == (a < b)
    assert (sa == sb) == (a == b)


@settings(max_examples=200)
@given(h=hlcs)
def test_parse_round_trips(h: Hlc) -> None:
    assert Hlc.parse(str(h)) == h
    assert str(Hlc.parse(str(h))) == str(h)


def test_examples_of_the_text_form() -> None:
    assert str(Hlc(1740830400000, 3)) == "1740830400000-00003"
    assert str(ZERO) == "0000000000000-00000"
    assert Hlc.parse("1740830400000-00003") == Hlc(1740830400000, 3)
    assert str(Hlc(MAX_13_DIGITS, MAX_COUNTER)) == "9999999999999-65535"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "1740830400000",
        "1740830400000-",
        "1740830400000-3",  # counter not padded
        "174083040000-00003",  # 12-digit wall
        "01740830400000-00003",  # 14-digit wall
        "1740830400000-000003",
        "1740830400000_00003",
        "1740830400000:00003",
        " 1740830400000-00003",
        "1740830400000-00003 ",
        "-740830400000-00003",
        "+740830400000-00003",
        "174083040000a-00003",
        "1740830400000-0000x",
        "1740830400000--0003",
        "garbage",
    ],
)
def test_malformed_text_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Hlc.parse(text)


@settings(max_examples=200)
@given(text=st.text(alphabet="0123456789-+ x\t", max_size=25))
def test_parse_accepts_only_the_canonical_form(text: str) -> None:
    """Whatever parses is exactly the text form of what it parsed to."""
    try:
        h = Hlc.parse(text)
    except ValueError:
        return
    assert str(h) == text


@pytest.mark.parametrize("text", ["1740830400000-00003\n", "١٧٤٠٨٣٠٤٠٠٠٠٠-00003"])
def test_parse_refuses_a_trailing_newline_and_non_ascii_digits(text: str) -> None:
    with pytest.raises(ValueError):
        Hlc.parse(text)


def test_the_clock_refuses_wall_times_its_text_form_cannot_hold() -> None:
    h = tick(ZERO, MAX_WALL_MS)
    assert FIXED_WIDTH.fullmatch(str(h))
    assert Hlc.parse(str(h)) == h
    with pytest.raises(ClockError):
        tick(ZERO, MAX_WALL_MS + 1)
    assert MAX_WALL_MS == MAX_13_DIGITS


# -- receive ------------------------------------------------------------------------------------


@settings(max_examples=200)
@given(
    last=hlcs.filter(lambda h: h.counter < MAX_COUNTER),
    remote=hlcs.filter(lambda h: h.counter < MAX_COUNTER),
    now=st.integers(min_value=0, max_value=MAX_13_DIGITS),
)
def test_receive_is_after_both_clocks_and_not_behind_the_wall(last: Hlc, remote: Hlc, now: int) -> None:
    new = receive(last, remote, now)
    assert new > last
    assert new > remote
    assert new.wall_ms >= now
    assert new.wall_ms == max(last.wall_ms, remote.wall_ms, now)
    assert str(new) > str(last) and str(new) > str(remote)


@settings(max_examples=100)
@given(
    start=REALISTIC_NOW,
    events=st.lists(st.tuples(st.booleans(), wall_steps, st.integers(-HOUR_MS, HOUR_MS)), min_size=1, max_size=100),
)
def test_mixed_ticks_and_receives_stay_monotonic(start: int, events: list[tuple[bool, int, int]]) -> None:
    clock, now = ZERO, start
    for is_receive, step, remote_offset in events:
        now = max(0, now + step)
        if is_receive:
            remote = Hlc(max(0, now + remote_offset), 7)
            new = receive(clock, remote, now)
            assert new > remote
        else:
            new = tick(clock, now)
        assert new > clock
        assert new.wall_ms >= now
        clock = new


def test_receive_examples() -> None:
    assert receive(Hlc(100, 5), Hlc(100, 9), 50) == Hlc(100, 10)
    assert receive(Hlc(100, 5), Hlc(90, 9), 50) == Hlc(100, 6)
    assert receive(Hlc(90, 5), Hlc(100, 9), 50) == Hlc(100, 10)
    assert receive(Hlc(90, 5), Hlc(100, 9), 200) == Hlc(200, 0)
    assert receive(Hlc(200, 5), Hlc(100, 9), 200) == Hlc(200, 6)


# -- overflow -----------------------------------------------------------------------------------


def test_counter_overflow_at_a_frozen_wall_clock_refuses_the_write() -> None:
    now = 1_767_225_600_000
    clock = tick(ZERO, now)
    for _ in range(MAX_COUNTER):
        clock = tick(clock, now)
    assert clock == Hlc(now, MAX_COUNTER)
    with pytest.raises(ClockError):
        tick(clock, now)
    with pytest.raises(ClockError):
        tick(clock, now - HOUR_MS)  # a clock behind the last timestamp cannot help either
    # once the wall clock moves on, the clock works again
    assert tick(clock, now + 1) == Hlc(now + 1, 0)


@settings(max_examples=100)
@given(wall=st.integers(min_value=0, max_value=MAX_13_DIGITS), behind=st.integers(min_value=0, max_value=HOUR_MS))
def test_overflow_raises_for_any_wall_not_ahead(wall: int, behind: int) -> None:
    with pytest.raises(ClockError):
        tick(Hlc(wall, MAX_COUNTER), max(0, wall - behind))


def test_receive_overflow_raises() -> None:
    with pytest.raises(ClockError):
        receive(Hlc(100, 0), Hlc(100, MAX_COUNTER), 100)
    with pytest.raises(ClockError):
        receive(Hlc(100, MAX_COUNTER), Hlc(50, 0), 10)


def test_wall_clock_out_of_range_raises() -> None:
    with pytest.raises(ClockError):
        tick(ZERO, MAX_WALL_MS + 1)
