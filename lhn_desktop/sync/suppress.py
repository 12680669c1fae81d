"""Small-cell suppression for counts the network redistributes (SYNC.md 3.2).

A count from 1 to k-1 is never shown, and no shown number may let someone work one out. ``suppress``
hides the small cells of a count table (primary suppression) and then enough other cells that no hidden
value follows from the shown cells and the row, column and grand totals (complementary suppression).
``totals`` gives the totals to show with it. ``suppress_rate`` does the same for one numerator and
denominator.

The rule, in terms of the table with its totals around it (each row and column of that bordered table
is a line whose last number is the sum of the others):

1. Hidden first: every cell and every total from 1 to k-1. Zeros are always shown.
2. In a line whose total is shown, the hidden numbers must be two or more and add up to k or more,
   since total minus shown numbers gives their sum: a sum below k would itself be a small count.
   Missing ones are taken from the line's non-zero shown numbers, cheapest first (below); if none is
   left, the line's total is hidden.
3. No hidden number may be worked out from everything shown. Whoever knows this rule knows that a
   hidden number is at least 1, as zeros are always shown. A hidden number can be worked out exactly
   when it cannot move: it must lie on a cycle of hidden numbers that can change by +1 and -1 in turn,
   keeping every row and column sum and taking none below 1. Where one cannot move, the cheapest shown
   number that lets it move is hidden too.

Complementary numbers are chosen cheapest first: cells before totals, then a cell that would not be the
only non-zero number of its other line (that would give it away through that line's total), then the
smallest value, then one whose lines already hide something (hidden cells pair up in rectangles).

Complementary cells are never zeros. A hidden zero protects nothing: it adds no one to the sum in
rule 2, so a line whose only other hidden number is a zero still gives away the small count; and as
zeros are never hidden, everyone may read a hidden number as "at least 1" (rule 3 assumes it).

Complementary cells are shown with the same mark as small ones ("<11"); telling them apart would say
which hidden cells are large.
"""

from __future__ import annotations

from collections import deque

#: How a suppressed cell appears in output tables.
SUPPRESSED = None

DEFAULT_K = 11

Entry = tuple[int, int]


def suppress(table: list[list[int]], k: int = DEFAULT_K) -> list[list[int | None]]:
    """The table as it may be shown: every cell from 1 to k-1, and enough others, replaced by ``None``.

    Args:
        table: counts (non-negative integers) in rows of equal length, without totals.
        k: the smallest count that may be shown (network policy; CMS uses 11).
    """
    values, hidden = _plan(table, k)
    rows, cols = len(table), len(table[0]) if table else 0
    return [[SUPPRESSED if (i, j) in hidden else values[i][j] for j in range(cols)] for i in range(rows)]


def totals(
    table: list[list[int]], suppressed: list[list[int | None]], k: int = DEFAULT_K
) -> tuple[list[int | None], list[int | None], int | None]:
    """Row totals, column totals and grand total to show with ``suppressed``.

    Totals are those of the whole table, with any that the rule hides (a total from 1 to k-1, or one that
    would give a hidden cell away) as ``None``. ``suppressed`` must be ``suppress(table, k)``.
    """
    values, hidden = _plan(table, k)
    rows, cols = len(table), len(table[0]) if table else 0
    expected = [[SUPPRESSED if (i, j) in hidden else values[i][j] for j in range(cols)] for i in range(rows)]
    if suppressed != expected:
        raise ValueError("the suppressed table does not come from suppress(table, k) with this k")

    def shown(entry: Entry) -> int | None:
        return SUPPRESSED if entry in hidden else values[entry[0]][entry[1]]

    return (
        [shown((i, cols)) for i in range(rows)],
        [shown((rows, j)) for j in range(cols)],
        shown((rows, cols)),
    )


def suppress_rate(numerator: int, denominator: int, k: int = DEFAULT_K) -> tuple[int | None, int | None]:
    """A monthly measure (numerator, denominator) as it may be redistributed.

    - A denominator from 1 to k-1 hides both: the whole group is small, and even "0 of them" or
      "all of them" would say something about each of its members.
    - Otherwise the numerator is hidden when it is from 1 to k-1, or when the patients without the
      outcome (denominator - numerator) are from 1 to k-1, since a shown numerator and denominator give
      that count away. The denominator stays: on its own it gives neither count.
    - The percentage is shown only when both are (see ``rate``).

    When several measures are shown together with their sum, use ``suppress`` on the table of counts.
    """
    _check_k(k)
    for value in (numerator, denominator):
        _check_count(value)
    if numerator > denominator:
        raise ValueError(f"numerator {numerator} is larger than denominator {denominator}")
    if _small(denominator, k):
        return SUPPRESSED, SUPPRESSED
    if _small(numerator, k) or _small(denominator - numerator, k):
        return SUPPRESSED, denominator
    return numerator, denominator


def rate(numerator: int | None, denominator: int | None) -> float | None:
    """numerator / denominator, or ``None`` when either is suppressed or the denominator is 0."""
    if numerator is SUPPRESSED or denominator is SUPPRESSED or denominator == 0:
        return None
    return numerator / denominator


def label(value: int | None, k: int = DEFAULT_K) -> str:
    """A shown count as text: suppressed is ``"<k"`` (``"<11"``), never ``"0"``."""
    if value is SUPPRESSED:
        return f"<{k}"
    return str(value)


def rate_labels(numerator: int, denominator: int, k: int = DEFAULT_K) -> tuple[str, str]:
    """Numerator and denominator as text after ``suppress_rate``, without misleading anyone.

    A numerator hidden because the patients without the outcome are few is shown as ``">d-k"`` (for
    example ``">39"`` out of 50) rather than ``"<11"``. It says no more than ``"<11"`` would about the
    count of patients without the outcome.
    """
    shown_numerator, shown_denominator = suppress_rate(numerator, denominator, k)
    if shown_numerator is SUPPRESSED and shown_denominator is not SUPPRESSED and not _small(numerator, k):
        return f">{denominator - k}", str(denominator)
    return label(shown_numerator, k), label(shown_denominator, k)


# --- the plan: which entries of the bordered table are hidden -------------------------------------


def _check_k(k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a whole number of at least 1, not {k!r}")


def _check_count(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"counts must be whole numbers, not {value!r}")
    if value < 0:
        raise ValueError(f"counts cannot be negative ({value})")


def _small(value: int, k: int) -> bool:
    return 1 <= value <= k - 1


def _plan(table: list[list[int]], k: int) -> tuple[list[list[int]], set[Entry]]:
    """The bordered table (totals in row ``rows`` and column ``cols``) and the set of hidden entries."""
    _check_k(k)
    rows = len(table)
    cols = len(table[0]) if rows else 0
    for row in table:
        if len(row) != cols:
            raise ValueError("every row of the table must have the same number of cells")
        for value in row:
            _check_count(value)
    values = [[*row, sum(row)] for row in table]
    values.append([sum(table[i][j] for i in range(rows)) for j in range(cols)] + [sum(map(sum, table))])
    hidden = {(a, b) for a in range(rows + 1) for b in range(cols + 1) if _small(values[a][b], k)}
    lines = _lines(rows, cols)
    while True:
        if _complete_lines(values, hidden, lines, k):
            continue
        stuck = _first_determined(values, hidden, rows, cols)
        if stuck is None:
            return values, hidden
        hidden.add(_freeing_entry(values, hidden, rows, cols, stuck))


def _lines(rows: int, cols: int) -> list[tuple[list[Entry], Entry]]:
    """Each line of the bordered table: its entries and its total."""
    out = [([(i, j) for j in range(cols)], (i, cols)) for i in range(rows + 1)]
    out += [([(i, j) for i in range(rows)], (rows, j)) for j in range(cols + 1)]
    return out


def _complete_lines(values, hidden: set[Entry], lines, k: int) -> bool:
    """Rule 2 for every line; True if something more was hidden."""
    changed = False
    for entries, total in lines:
        if total in hidden:
            continue
        hid = [e for e in entries if e in hidden]
        if not hid or (len(hid) >= 2 and sum(values[a][b] for a, b in hid) >= k):
            continue
        candidates = [e for e in entries if e not in hidden and values[e[0]][e[1]] > 0]
        if candidates:
            hidden.add(min(candidates, key=lambda e: _cost(values, hidden, e)))
        else:
            hidden.add(total)
        changed = True
    return changed


def _cost(values, hidden: set[Entry], entry: Entry) -> tuple:
    """Order of preference among shown non-zero entries: cells before totals; a cell that would not be
    left the only non-zero number of a line; smaller values; a cell whose lines already hide more."""
    a, b = entry
    rows, cols = len(values) - 1, len(values[0]) - 1
    if a == rows or b == cols:
        return (1, 0, values[a][b], 0, entry)
    strands = company = 0
    for others, total in (
        ([(a, j) for j in range(cols) if j != b], (a, cols)),
        ([(i, b) for i in range(rows) if i != a], (rows, b)),
    ):
        if total not in hidden and not any(values[i][j] > 0 for i, j in others):
            strands = 1
        company += sum(e in hidden for e in others)
    return (0, strands, values[a][b], -company, entry)


def _first_determined(values, hidden: set[Entry], rows: int, cols: int) -> Entry | None:
    graph = _graph(values, hidden, rows, cols)
    for entry in sorted(hidden):
        if not _free(values, graph, rows, cols, entry):
            return entry
    return None


def _freeing_entry(values, hidden: set[Entry], rows: int, cols: int, stuck: Entry) -> Entry:
    """The cheapest shown non-zero entry whose hiding frees ``stuck``; else the cheapest near it."""
    shown = [(a, b) for a in range(rows + 1) for b in range(cols + 1) if (a, b) not in hidden and values[a][b] > 0]
    shown.sort(key=lambda e: _cost(values, hidden, e))
    for entry in shown:
        if _free(values, _graph(values, hidden | {entry}, rows, cols), rows, cols, stuck):
            return entry
    near = [e for e in shown if e[0] == stuck[0] or e[1] == stuck[1]]
    return (near or shown)[0]


def _graph(values, hidden: set[Entry], rows: int, cols: int) -> dict[int, list[tuple[int, Entry]]]:
    """The moves of hidden entries in the zero-sum form (see ``_free``).

    Nodes are rows ``0..rows`` and columns ``rows+1..rows+cols+1`` of the bordered table; going from a
    row to a column raises the entry where they cross by 1, going back lowers it.
    """
    graph: dict[int, list[tuple[int, Entry]]] = {}
    for entry in hidden:
        up, down = _moves(values, rows, cols, entry)
        r, c = entry[0], rows + 1 + entry[1]
        if up:
            graph.setdefault(r, []).append((c, entry))
        if down:
            graph.setdefault(c, []).append((r, entry))
    return graph


def _free(values, graph, rows: int, cols: int, entry: Entry) -> bool:
    """Whether hidden ``entry`` can take another value while every shown number and every sum stays.

    Writing the bordered table with its row and column totals negated makes every row and column add up
    to zero, so the other tables that show the same numbers differ from this one by moves along cycles of
    hidden entries (alternately +1 and -1 in that form). A hidden count can always grow; it can shrink
    only while it is 2 or more. ``entry`` is free when one of its allowed moves closes into a cycle of
    allowed moves through other hidden entries.
    """
    up, down = _moves(values, rows, cols, entry)
    row_node, col_node = entry[0], rows + 1 + entry[1]
    return (up and _reaches(graph, col_node, row_node, entry)) or (down and _reaches(graph, row_node, col_node, entry))


def _moves(values, rows: int, cols: int, entry: Entry) -> tuple[bool, bool]:
    """Whether the entry, in the zero-sum form, may go up by 1 and down by 1."""
    a, b = entry
    count_can_shrink = values[a][b] >= 2
    if (a == rows) != (b == cols):  # a row or column total, negated in the zero-sum form
        return count_can_shrink, True
    return True, count_can_shrink


def _reaches(graph, start: int, goal: int, without: Entry) -> bool:
    seen = {start}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            return True
        for nxt, entry in graph.get(node, ()):
            if entry != without and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return False
