"""Small-cell suppression (SYNC.md 3.2, acceptance test 29).

Besides hand-worked tables, random tables go through three derivation checkers written here without
the module's help. Each plays someone who sees the shown cells and totals, knows every row and column
adds up, and knows a hidden number is at least 1 (zeros are always shown):

- interval propagation: bounds from "total minus the others", repeated until nothing narrows;
- a witness search: for every hidden number, another table that shows exactly the same numbers and
  differs there, checked by adding everything up again;
- brute force on tables up to 3x3: every table whose hidden cells lie within 1 of the true ones. That
  window is enough: if any other table shows the same numbers, one within 1 of the true table does
  (the difference splits into cycles of +1/-1 changes that each keep every sum).
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lhn_desktop.sync.suppress import SUPPRESSED, label, rate, rate_labels, suppress, suppress_rate, totals


def publish(table, k=11):
    shown = suppress(table, k)
    return shown, totals(table, shown, k)


def bordered(table):
    """The table with its row totals as the last column and column totals (and grand) as the last row."""
    rows = [[*row, sum(row)] for row in table]
    cols = len(table[0])
    rows.append([sum(r[j] for r in table) for j in range(cols)] + [sum(map(sum, table))])
    return rows


def bordered_shown(shown, row_totals, col_totals, grand):
    return [[*row, t] for row, t in zip(shown, row_totals, strict=True)] + [[*col_totals, grand]]


def lines(n_rows, n_cols):
    """Every row and column of the bordered table: (entries, total entry)."""
    out = [([(i, j) for j in range(n_cols)], (i, n_cols)) for i in range(n_rows + 1)]
    out += [([(i, j) for i in range(n_rows)], (n_rows, j)) for j in range(n_cols + 1)]
    return out


# --- checker 1: interval propagation ------------------------------------------------------------


def propagated_bounds(view):
    """Bounds on every hidden entry of a bordered view (None = hidden) from the line sums alone."""
    n_rows, n_cols = len(view) - 1, len(view[0]) - 1
    big = 10**9
    lo = {(a, b): 1 for a in range(n_rows + 1) for b in range(n_cols + 1) if view[a][b] is None}
    hi = dict.fromkeys(lo, big)

    def bounds(e):
        v = view[e[0]][e[1]]
        return (v, v) if v is not None else (lo[e], hi[e])

    changed = True
    while changed:
        changed = False
        for entries, total in lines(n_rows, n_cols):
            # total = sum(entries)
            t_lo, t_hi = bounds(total)
            s_lo = sum(bounds(e)[0] for e in entries)
            s_hi = sum(bounds(e)[1] for e in entries)
            updates = []
            if total in lo:
                updates.append((total, s_lo, s_hi))
            for e in entries:
                if e in lo:
                    e_lo, e_hi = bounds(e)
                    updates.append((e, t_lo - (s_hi - e_hi), t_hi - (s_lo - e_lo)))
            for e, new_lo, new_hi in updates:
                new_lo, new_hi = max(lo[e], new_lo), min(hi[e], new_hi)
                if (new_lo, new_hi) != (lo[e], hi[e]):
                    assert new_lo <= new_hi, "the shown numbers contradict each other"
                    lo[e], hi[e] = new_lo, new_hi
                    changed = True
    return lo, hi


# --- checker 2: a witness for every hidden entry ------------------------------------------------


def consistent(view, candidate):
    """Whether a full bordered table shows exactly ``view`` and adds up, with hidden numbers >= 1."""
    n_rows, n_cols = len(view) - 1, len(view[0]) - 1
    for a in range(n_rows + 1):
        for b in range(n_cols + 1):
            if view[a][b] is None:
                if candidate[a][b] < 1:
                    return False
            elif candidate[a][b] != view[a][b]:
                return False
    return all(sum(candidate[a][b] for a, b in entries) == candidate[total[0]][total[1]]
               for entries, total in lines(n_rows, n_cols))  # fmt: skip


def witness(view, truth, entry):
    """Another table showing the same numbers with a different value at ``entry``, or None.

    Searches cycles of hidden entries: changing one entry unbalances its two lines, each of which is
    rebalanced by changing another hidden entry of that line, until the chain comes back.
    """
    n_rows, n_cols = len(view) - 1, len(view[0]) - 1
    hidden = [(a, b) for a in range(n_rows + 1) for b in range(n_cols + 1) if view[a][b] is None]

    def coef(e, line):  # +1 for a part of the line, -1 for its total
        kind = line[0]
        return -1 if (kind == "row" and e[1] == n_cols) or (kind == "col" and e[0] == n_rows) else 1

    for step in (1, -1):
        if truth[entry[0]][entry[1]] + step < 1:
            continue
        start_line, goal_line = ("col", entry[1]), ("row", entry[0])
        # breadth-first over lines; each arrival remembers the change that unbalanced the line
        came = {start_line: (entry, step)}
        queue = [start_line]
        while queue:
            line = queue.pop(0)
            by, change = came[line]
            for e in hidden:
                if e == by or (e == entry and line != goal_line):
                    continue
                if (line[0] == "row" and e[0] != line[1]) or (line[0] == "col" and e[1] != line[1]):
                    continue
                need = -coef(by, line) * change * coef(e, line)
                if truth[e[0]][e[1]] + need < 1:
                    continue
                if e == entry:
                    if need != step:
                        continue
                    changes = {}
                    at = line
                    while True:
                        e_by, e_change = came[at]
                        changes[e_by] = e_change
                        if e_by == entry:
                            break
                        at = ("col", e_by[1]) if at[0] == "row" else ("row", e_by[0])
                    candidate = [row[:] for row in truth]
                    for (a, b), d in changes.items():
                        candidate[a][b] += d
                    if consistent(view, candidate) and candidate[entry[0]][entry[1]] != truth[entry[0]][entry[1]]:
                        return candidate
                    continue
                nxt = ("col", e[1]) if line[0] == "row" else ("row", e[0])
                if nxt not in came:
                    came[nxt] = (e, need)
                    queue.append(nxt)
    return None


# --- checker 3: brute force on small tables -----------------------------------------------------


def brute_force_free(view, truth):
    """Hidden entries that take another value in some table within 1 of the truth; all of them if free."""
    n_rows, n_cols = len(view) - 1, len(view[0]) - 1
    cells = [(i, j) for i in range(n_rows) for j in range(n_cols) if view[i][j] is None]
    hidden = [(a, b) for a in range(n_rows + 1) for b in range(n_cols + 1) if view[a][b] is None]
    free = set()
    for deltas in itertools.product((-1, 0, 1), repeat=len(cells)):
        interior = [row[:n_cols] for row in truth[:n_rows]]
        for (i, j), d in zip(cells, deltas, strict=True):
            interior[i][j] += d
        candidate = bordered(interior)
        if consistent(view, candidate):
            free.update(e for e in hidden if candidate[e[0]][e[1]] != truth[e[0]][e[1]])
            if len(free) == len(hidden):
                break
    return free


# --- hand-worked tables -------------------------------------------------------------------------


def test_a_table_without_small_cells_is_unchanged():
    table = [[0, 12, 40], [15, 0, 33]]
    assert publish(table) == (table, ([52, 48], [15, 12, 73], 100))


def test_one_small_cell_in_a_two_by_two_hides_all_four_cells():
    # 3 is small; its row and its column each need a second hidden cell (20 and 20), and those two
    # then need one more each: 30. The totals stay shown and no cell can be worked out.
    shown, margins = publish([[3, 20], [20, 30]])
    assert shown == [[None, None], [None, None]]
    assert margins == ([23, 50], [23, 50], 73)


def test_complementary_cells_form_the_smallest_rectangle():
    table = [[3, 20, 40], [20, 30, 50], [40, 50, 60]]
    shown, margins = publish(table)
    assert shown == [[None, None, 40], [None, None, 50], [40, 50, 60]]
    assert margins == ([63, 100, 150], [63, 100, 150], 313)


def test_hidden_cells_of_a_line_must_add_up_to_k():
    # 3 and 4 hide each other, but the row total 47 minus 40 would show that they add up to 7
    shown, margins = publish([[3, 4, 40], [30, 30, 30]])
    assert shown[0] == [None, None, None]
    assert margins[0] == [47, 90]


def test_a_small_row_total_is_hidden_with_another_total():
    # the only non-zero cell of row 0 is 5: its total is 5 too, so it is hidden, and so is the other row
    # total (else grand total minus it would give 5)
    shown, margins = publish([[0, 0, 5], [30, 40, 50]])
    assert shown == [[0, 0, None], [30, 40, None]]
    assert margins == ([None, None], [30, 40, 55], 125)


def test_an_all_small_table_hides_everything_but_zeros():
    shown, margins = publish([[1, 0], [2, 3]])
    assert shown == [[None, 0], [None, None]]
    assert margins == ([None, None], [None, None], None)


def test_edge_shapes():
    assert publish([[5]]) == ([[None]], ([None], [None], None))
    assert publish([[50]]) == ([[50]], ([50], [50], 50))
    assert publish([[0]]) == ([[0]], ([0], [0], 0))
    assert suppress([]) == []
    assert totals([], []) == ([], [], 0)
    assert publish([[3, 30, 40]]) == ([[None, None, 40]], ([73], [None, None, 40], 73))


def test_k_is_configurable():
    table = [[5, 20], [20, 30]]
    assert suppress(table, k=5) == table
    assert suppress(table, k=6) == [[None, None], [None, None]]
    assert suppress(table, k=1) == table
    assert suppress([[3, 20], [20, 30]], k=3) == [[3, 20], [20, 30]]
    with pytest.raises(ValueError, match="k must be"):
        suppress(table, k=0)


def test_bad_tables_are_refused():
    with pytest.raises(ValueError, match="same number"):
        suppress([[1, 2], [3]])
    with pytest.raises(ValueError, match="negative"):
        suppress([[1, -2]])
    with pytest.raises(TypeError):
        suppress([[1.5, 2]])  # type: ignore[list-item]
    with pytest.raises(TypeError):
        suppress([[True, 2]])


def test_totals_must_come_with_their_own_suppressed_table():
    table = [[3, 20], [20, 30]]
    with pytest.raises(ValueError, match="does not come from"):
        totals(table, table)
    with pytest.raises(ValueError, match="does not come from"):
        totals(table, suppress(table, k=11), k=3)


def test_labels():
    assert label(SUPPRESSED) == "<11"
    assert label(None, k=5) == "<5"
    assert label(0) == "0"
    assert label(42) == "42"


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (0, 0, (0, 0)),
        (0, 40, (0, 40)),
        (20, 40, (20, 40)),
        (40, 40, (40, 40)),
        (11, 22, (11, 22)),
        (5, 40, (None, 40)),  # small numerator
        (35, 40, (None, 40)),  # 5 patients without the outcome
        (1, 11, (None, 11)),
        (10, 11, (None, 11)),
        (0, 5, (None, None)),  # small denominator hides both
        (5, 5, (None, None)),
        (3, 7, (None, None)),
    ],
)
def test_suppress_rate(numerator, denominator, expected):
    assert suppress_rate(numerator, denominator) == expected


def test_suppress_rate_k_and_bad_input():
    assert suppress_rate(5, 40, k=5) == (5, 40)
    assert suppress_rate(35, 40, k=5) == (35, 40)
    assert suppress_rate(36, 40, k=5) == (None, 40)
    with pytest.raises(ValueError, match="larger"):
        suppress_rate(5, 4)
    with pytest.raises(ValueError, match="negative"):
        suppress_rate(-1, 4)
    with pytest.raises(ValueError, match="k must be"):
        suppress_rate(1, 4, k=-3)


def test_rate_and_rate_labels():
    assert rate(20, 40) == 0.5
    assert rate(None, 40) is None and rate(5, None) is None and rate(0, 0) is None
    assert rate_labels(20, 40) == ("20", "40")
    assert rate_labels(5, 40) == ("<11", "40")
    assert rate_labels(45, 50) == (">39", "50")
    assert rate_labels(3, 7) == ("<11", "<11")
    assert rate_labels(0, 5, k=5) == ("0", "5")


@settings(max_examples=200, deadline=None)
@given(denominator=st.integers(0, 80), data=st.data(), k=st.integers(1, 15))
def test_a_shown_rate_never_gives_away_a_small_count(denominator, data, k):
    numerator = data.draw(st.integers(0, denominator))
    shown_n, shown_d = suppress_rate(numerator, denominator, k)
    assert shown_d in (denominator, None)
    assert shown_n in (numerator, None)
    if shown_d is None:
        assert shown_n is None
    # every count that can be read off what is shown: numerator, denominator, the patients without
    shown_counts = [c for c in (shown_n, shown_d) if c is not None]
    if shown_n is not None and shown_d is not None:
        shown_counts.append(shown_d - shown_n)
    assert not any(1 <= c < k for c in shown_counts)
    assert (rate(shown_n, shown_d) is None) == (shown_n is None or shown_d is None or denominator == 0)
    assert rate_labels(numerator, denominator, k)[0] != "0" or numerator == 0


# --- random tables ------------------------------------------------------------------------------

counts = st.one_of(st.just(0), st.integers(1, 10), st.integers(11, 60), st.integers(0, 60))


def tables(max_rows=6, max_cols=6, values=counts):
    return st.integers(1, max_rows).flatmap(
        lambda rows: st.integers(1, max_cols).flatmap(
            lambda cols: st.lists(st.lists(values, min_size=cols, max_size=cols), min_size=rows, max_size=rows)
        )
    )


def check_shown_numbers(table, k):
    shown, margins = publish(table, k)
    truth = bordered(table)
    view = bordered_shown(shown, *margins)
    for a, row in enumerate(view):
        for b, value in enumerate(row):
            if value is None:
                assert truth[a][b] != 0, "a zero is hidden"
                assert label(value, k) == f"<{k}" != "0"
            else:
                assert value == truth[a][b], "a shown number was changed"
                assert not 1 <= value < k, "a small number is shown"
    # the hidden numbers of a line with a shown total are two or more and add up to k or more
    for entries, total in lines(len(table), len(table[0])):
        hidden = [truth[a][b] for a, b in entries if view[a][b] is None]
        if view[total[0]][total[1]] is not None and hidden:
            assert len(hidden) >= 2 and sum(hidden) >= k
    return view, truth


@settings(max_examples=200, deadline=None)
@given(table=tables(), k=st.sampled_from([11, 11, 5, 3, 20]))
def test_no_hidden_number_can_be_worked_out(table, k):
    view, truth = check_shown_numbers(table, k)
    lo, hi = propagated_bounds(view)
    for entry in lo:
        assert lo[entry] <= truth[entry[0]][entry[1]] <= hi[entry]
        assert lo[entry] < hi[entry], f"{entry} is pinned to {lo[entry]} by the totals"
        alternative = witness(view, truth, entry)
        assert alternative is not None, f"{entry} can be worked out"


@settings(max_examples=150, deadline=None)
@given(table=tables(3, 3, st.integers(0, 30)), k=st.integers(2, 12))
def test_no_hidden_number_can_be_worked_out_by_brute_force(table, k):
    view, truth = check_shown_numbers(table, k)
    hidden = {(a, b) for a, row in enumerate(view) for b, value in enumerate(row) if value is None}
    assert brute_force_free(view, truth) == hidden


@settings(max_examples=100, deadline=None)
@given(table=tables())
def test_suppression_is_deterministic(table):
    assert suppress(table) == suppress([row[:] for row in table])


def test_checkers_catch_what_they_should():
    # one small cell hidden alone: its row total gives it away
    table = [[3, 20], [20, 30]]
    view = bordered_shown([[None, 20], [20, 30]], [23, 50], [23, 50], 73)
    truth = bordered(table)
    lo, hi = propagated_bounds(view)
    assert lo[(0, 0)] == hi[(0, 0)] == 3
    assert witness(view, truth, (0, 0)) is None
    assert brute_force_free(view, truth) == set()
    # two cells that are each 1, hidden together in a row and a column each: they cannot move down, and
    # moving up would need another hidden cell to move down
    view = bordered_shown([[None, None], [None, 30]], [2, 31], [2, 31], 33)
    truth = bordered([[1, 1], [1, 30]])
    assert brute_force_free(view, truth) == set()
    assert witness(view, truth, (0, 0)) is None
