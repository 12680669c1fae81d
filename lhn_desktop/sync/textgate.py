"""The free-text gate of network export (SYNC.md 2.3 step 2).

``scan`` finds what looks like an identifier in text about to leave the center: record-number-like
digit runs, full dates, Social Security numbers, e-mail and web addresses, and phone numbers
(``phonenumbers``). ``masked`` shows a hit in its context without repeating it, for the review screen.

Ordinary improvement text passes: percentages, counts, measure names, "90-day goal", times, decimals,
ranges such as "1-2" or "100-200", months such as "March 2024" or "2024-03", years and year ranges.
A day and month without a year ("March 2") also passes: meeting and test days are everywhere in
PDSA notes, and the reviewer still reads every new or changed text before export.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

#: Words for a clinic team, per kind of finding.
LABELS = {
    "mrn": "a record-number-like number (6+ digits)",
    "date": "a full date",
    "ssn": "a Social Security number",
    "email": "an e-mail address",
    "url": "a web address",
    "phone": "a phone number",
}
#: When hits overlap, the most specific kind names the merged finding (first wins).
_SPECIFICITY = ("email", "url", "ssn", "date", "phone", "mrn")

MASK = "▇"
OTHER_MASK = "░"
#: Characters of context shown on each side of a hit.
CONTEXT = 30
_MAX_MASK = 12


@dataclass(frozen=True, slots=True)
class Finding:
    """One suspected identifier: its kind, where it is in the text, and words for the review screen."""

    kind: str
    start: int
    end: int
    label: str


def scan(text: str) -> list[Finding]:
    """Every suspected identifier in ``text``, sorted by start, never overlapping."""
    if not isinstance(text, str):
        raise TypeError(f"scan() takes text, not {type(text).__name__}")
    return list(_scan(text))


def masked(text: str, finding: Finding) -> str:
    """A short piece of ``text`` around ``finding``, for the review screen.

    The hit is replaced by ``▇`` characters; any other hit in view is replaced by ``░`` so that the
    piece never repeats an identifier. The piece starts and ends on whole words, and ``…`` marks a cut.
    """
    if not 0 <= finding.start < finding.end <= len(text):
        raise ValueError("the finding does not lie in this text")
    spans = _union([(f.start, f.end) for f in _scan(text)] + [(finding.start, finding.end)])
    hit = next(s for s in spans if s[0] <= finding.start < s[1])
    lo = max(0, hit[0] - CONTEXT)
    hi = min(len(text), hit[1] + CONTEXT)
    # Other hits cut by the window are left out rather than shown in part.
    for start, end in spans:
        if start < lo < end:
            lo = end
        if start < hi < end:
            hi = start
    # Whole words only.
    if lo > 0 and not text[lo - 1].isspace():
        gap = _next_space(text, lo, hit[0])
        lo = hit[0] if gap is None else gap + 1
    if hi < len(text) and not text[hi].isspace():
        gap = _last_space(text, hit[1], hi)
        hi = hit[1] if gap is None else gap
    out = []
    pos = lo
    for start, end in spans:
        if end <= lo or start >= hi:
            continue
        out.append(text[pos:start])
        out.append((MASK if (start, end) == hit else OTHER_MASK) * min(end - start, _MAX_MASK))
        pos = end
    out.append(text[pos:hi])
    shown = re.sub(r"\s+", " ", "".join(out)).strip()
    return ("…" if lo > 0 else "") + shown + ("…" if hi < len(text) else "")


def _next_space(text: str, lo: int, limit: int) -> int | None:
    for i in range(lo, limit):
        if text[i].isspace():
            return i
    return None


def _last_space(text: str, limit: int, hi: int) -> int | None:
    for i in range(hi - 1, limit - 1, -1):
        if text[i].isspace():
            return i
    return None


def _union(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if out and start < out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


@functools.lru_cache(maxsize=64)
def _scan(text: str) -> tuple[Finding, ...]:
    hits = [
        *_emails(text),
        *_urls(text),
        *_ssns(text),
        *_dates(text),
        *_phones(text),
        *_record_numbers(text),
    ]
    hits.sort(key=lambda h: (h[1], h[2]))
    merged: list[list] = []
    for kind, start, end in hits:
        if merged and start < merged[-1][2]:
            last = merged[-1]
            last[2] = max(last[2], end)
            if _SPECIFICITY.index(kind) < _SPECIFICITY.index(last[0]):
                last[0] = kind
        else:
            merged.append([kind, start, end])
    return tuple(Finding(kind, start, end, LABELS[kind]) for kind, start, end in merged)


# --- e-mail and web addresses -------------------------------------------------------------------

# The lookbehind makes a match start only at the beginning of a run of address characters, which keeps
# the search linear on long runs of letters.
_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}(?![A-Za-z0-9-])"
)
_CLOSERS = {")": "(", "]": "["}
_URL = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"']+", re.IGNORECASE)


def _emails(text: str):
    for m in _EMAIL.finditer(text):
        yield "email", m.start(), m.end()


def _unopened(url: str) -> bool:
    last = url[-1]
    return last in _CLOSERS and url.count(last) > url.count(_CLOSERS[last])


def _urls(text: str):
    for m in _URL.finditer(text):
        url = m.group()
        # Sentence punctuation after an address is not part of it; nor is a closing bracket it did not open.
        while url and (url[-1] in ".,;:!?" or _unopened(url)):
            url = url[:-1]
        if len(url) > len("www."):
            yield "url", m.start(), m.start() + len(url)


# --- Social Security numbers --------------------------------------------------------------------

_SSN = re.compile(r"(?<![\d-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\d-])")
_SSN_NAMED = re.compile(
    r"\b(?:ssn|social\s+security(?:\s+(?:number|no\.?|#))?)\W{0,5}(\d{3}[- ]?\d{2}[- ]?\d{4})(?!\d)", re.IGNORECASE
)


def _ssns(text: str):
    for m in _SSN.finditer(text):
        area, group, serial = m.group(1), m.group(3), m.group(4)
        # Numbers the Social Security Administration never issues are left to the record-number rule.
        if area not in ("000", "666") and not area.startswith("9") and group != "00" and serial != "0000":
            yield "ssn", m.start(), m.end()
    for m in _SSN_NAMED.finditer(text):
        yield "ssn", m.start(1), m.end(1)


# --- dates ----------------------------------------------------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DAY = r"(?:0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?:(?:19|20)\d{2}|'\d{2})(?!\d)"
_NAMED_DATES = [
    # March 2, 2024 / Mar. 2 2024 / March 2nd, '24
    re.compile(rf"\b{_MONTH}\.?[\s-]+{_DAY}(?:,\s*|[\s-]+){_YEAR}", re.IGNORECASE),
    # 2 March 2024 / 2nd of March, 2024 / 02-Mar-2024 / 02Mar2024
    re.compile(rf"(?<!\d[-/.,:])\b{_DAY}(?:\s+of)?[\s-]*{_MONTH}\.?,?[\s-]*{_YEAR}", re.IGNORECASE),
    # 02-Mar-24, as some record systems print dates
    re.compile(rf"\b{_DAY}-{_MONTH}-\d{{2}}(?!\d)", re.IGNORECASE),
]
_ISO_DATE = re.compile(r"(?<![\d./-])((?:19|20)\d{2})([-/.])(\d{1,2})\2(\d{1,2})(?!\d|[-/.]\d)")
_NUMERIC_DATE = re.compile(r"(?<![\d./-])(\d{1,2})([-/.])(\d{1,2})\2((?:19|20)\d{2}|\d{2})(?!\d|[-/.]\d)")
_COMPACT_DATE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?!\d)")


# "PDSA cycle 2 March 2024" is the second cycle, run in March 2024, not the second of March. Words that
# may come before a patient's date ("visit 2 March 2024") are not in the list.
_COUNTED = re.compile(
    r"\b(?:cycles?|weeks?|wk|steps?|phases?|rounds?|tests?|sessions?|stages?|grades?|levels?|versions?|v|no|"
    r"n|numbers?|sites?|cent(?:er|re)s?|measures?|items?|groups?|teams?|tiers?|#)\W{0,2}$",
    re.IGNORECASE,
)


def _dates(text: str):
    for i, pattern in enumerate(_NAMED_DATES):
        for m in pattern.finditer(text):
            if i == 1 and _COUNTED.search(text, max(0, m.start() - 12), m.start()):
                continue
            yield "date", m.start(), m.end()
    for m in _ISO_DATE.finditer(text):
        if 1 <= int(m.group(3)) <= 12 and 1 <= int(m.group(4)) <= 31:
            yield "date", m.start(), m.end()
    for m in _NUMERIC_DATE.finditer(text):
        a, b, sep, year = int(m.group(1)), int(m.group(3)), m.group(2), m.group(4)
        # Two-digit years only with slashes (3/2/24); 1.2.24 is more likely a version number.
        if len(year) == 2 and sep != "/":
            continue
        if a >= 1 and b >= 1 and ((a <= 12 and b <= 31) or (b <= 12 and a <= 31)):
            yield "date", m.start(), m.end()
    for m in _COMPACT_DATE.finditer(text):
        yield "date", m.start(), m.end()


# --- phone numbers --------------------------------------------------------------------------------

# North American shapes even when the number is not a real one (555 area codes, made-up exchanges).
_US_PHONE = re.compile(r"(?<![\d-])(?:\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\d-])")
_LOCAL_PHONE = re.compile(r"(?<![\d-])[2-9]\d{2}-\d{4}(?![\d-])")


def _phones(text: str):
    import phonenumbers  # 30 ms to import; only the export review needs it

    for m in phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.VALID):
        # A valid number read across unrelated numbers ("2019-2024 30 centers" holds the digits of a New
        # Jersey number) is kept only if its digits are grouped the way that country writes them.
        # Digit runs that are grouped oddly still meet the record-number rule.
        raw = m.raw_string
        if raw.startswith("+") or any(
            s.raw_string == raw
            for s in phonenumbers.PhoneNumberMatcher(raw, "US", leniency=phonenumbers.Leniency.STRICT_GROUPING)
        ):
            yield "phone", m.start, m.end
    for pattern in (_US_PHONE, _LOCAL_PHONE):
        for m in pattern.finditer(text):
            yield "phone", m.start(), m.end()


# --- record-number-like digit runs ----------------------------------------------------------------

MIN_DIGITS = 6
# A run of digit groups joined by single spaces or hyphens. It never starts inside a number, nor after a
# decimal point, a thousands comma, a colon or a slash.
_RUN = re.compile(r"(?<!\d)(?<!\d[.,:/])\d+(?:[ -]\d+)*")
_CURRENCY = "$€£"
_COUNT_AFTER = re.compile(r"(?:[.,]\d+)?\s?%|\s+(?:of|out\s+of)\s", re.IGNORECASE)


def _record_numbers(text: str):
    for m in _RUN.finditer(text):
        if m.start() > 0 and text[m.start() - 1] in _CURRENCY:
            continue
        chunks = m.group().split(" ")
        if len(chunks[-1]) <= 4 and _COUNT_AFTER.match(text, m.end()):
            chunks.pop()  # "... 85%", "... 12 of 40": a count, not part of a number
        pos = m.start()
        if m.start() > 0 and text[m.start() - 1].isalpha() and len(chunks) > 1:
            # "Q1 2015 100": the first group belongs to the word before it
            first = chunks.pop(0)
            if _hyphenated_number(first.split("-")):
                yield "mrn", pos, pos + len(first)
            pos += len(first) + 1
        if _spaced_number(chunks):
            yield "mrn", pos, pos + len(" ".join(chunks))
            continue
        for chunk in chunks:
            if _hyphenated_number(chunk.split("-")):
                yield "mrn", pos, pos + len(chunk)
            pos += len(chunk) + 1


def _is_year(group: str) -> bool:
    return len(group) == 4 and group[:2] in ("19", "20")


def _spaced_number(chunks: list[str]) -> bool:
    """Digit groups written like one number: "123 456 789", "12 345 678", "1234 5678" (7 digits or more)."""
    if len(chunks) < 2 or any("-" in c for c in chunks):
        return False
    if any(map(_is_year, chunks)):
        return False  # "in 2024 120 patients"
    # Fixed-width groups after the first, which is no longer than they are.
    width = len(chunks[1])
    if width not in (3, 4) or not 1 <= len(chunks[0]) <= width or any(len(c) != width for c in chunks[1:]):
        return False
    # One more digit than joined runs need: two counts side by side ("n=100 100 of ...") are common.
    return sum(map(len, chunks)) > MIN_DIGITS


def _hyphenated_number(groups: list[str]) -> bool:
    if sum(map(len, groups)) < MIN_DIGITS or all(map(_is_year, groups)):
        return False
    if len(groups) == 2:
        first, second = groups
        # 2024-03, 2023-24, 2019-2024
        if _is_year(first) and len(second) in (2, 4):
            return False
        # a range such as 100-200
        if len(first) <= 3 and len(second) <= 3 and int(first) < int(second):
            return False
    return True
