"""The free-text gate of network export (SYNC.md 2.3 step 2).

``scan`` finds what looks like an identifier in text about to leave the center. Two layers:

- Patterns for the HIPAA Safe Harbor categories a pattern can find: record-number-like digit runs (5+
  digits), full dates, dates tied to a person ("born November 2012"), ages over 89, Social Security
  numbers, e-mail addresses (also written "name at example dot org"), web addresses, phone numbers
  (``phonenumbers``, and written out: "555 dot 123 dot 4567", "five five five ..."), ZIP codes and
  street addresses.
- ``KnownIdentifiers``: this center's own patients (names, record numbers, birth dates, phones and
  e-mail addresses), held only as keyed hashes under a random key made for one export review, so the
  gate keeps no second copy of them in the clear. Names are compared after folding case and accents,
  in either order, and as an initial with the other name ("A. Demoford", "Demoford, Ada", "Ada D.").

``masked`` shows a hit in its context without repeating it, for the review screen.

Ordinary improvement text passes: percentages, counts, measure names, "90-day goal", times, decimals,
ranges such as "1-2" or "100-200", months such as "March 2024" or "2024-03", years and year ranges.
A day and month without a year ("March 2") also passes: meeting and test days are everywhere in
PDSA notes, and the reviewer still reads every new or changed text before export.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

#: Words for a clinic team, per kind of finding.
LABELS = {
    "patient": "the name or details of a patient of this center",
    "mrn": "a record-number-like number (5+ digits)",
    "date": "a full date",
    "birth": "a date tied to a person (birth, death, admission)",
    "age": "an age over 89",
    "ssn": "a Social Security number",
    "email": "an e-mail address",
    "url": "a web address",
    "phone": "a phone number",
    "zip": "a ZIP code",
    "address": "a street address",
}
#: When hits overlap, the most specific kind names the merged finding (first wins).
_SPECIFICITY = ("patient", "email", "url", "ssn", "birth", "date", "address", "phone", "zip", "age", "mrn")

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


def scan(text: str, known: KnownIdentifiers | None = None) -> list[Finding]:
    """Every suspected identifier in ``text``, sorted by start, never overlapping.

    ``known`` adds this center's own patients (see ``KnownIdentifiers``).
    """
    if not isinstance(text, str):
        raise TypeError(f"scan() takes text, not {type(text).__name__}")
    return list(_scan(text, known))


def masked(text: str, finding: Finding, known: KnownIdentifiers | None = None) -> str:
    """A short piece of ``text`` around ``finding``, for the review screen.

    The hit is replaced by ``▇`` characters; any other hit in view is replaced by ``░`` so that the
    piece never repeats an identifier. The piece starts and ends on whole words, and ``…`` marks a cut.
    """
    if not 0 <= finding.start < finding.end <= len(text):
        raise ValueError("the finding does not lie in this text")
    spans = _union([(f.start, f.end) for f in _scan(text, known)] + [(finding.start, finding.end)])
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
def _scan(text: str, known: KnownIdentifiers | None = None) -> tuple[Finding, ...]:
    hits = [
        *_emails(text),
        *_spoken_emails(text),
        *_urls(text),
        *_ssns(text),
        *_dates(text),
        *_person_dates(text),
        *_ages(text),
        *_phones(text),
        *_spoken_numbers(text),
        *_zips(text),
        *_addresses(text),
        *_record_numbers(text),
        *(known.hits(text) if known is not None else ()),
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
        for found in pattern.finditer(text):
            yield "phone", found.start(), found.end()


# --- record-number-like digit runs ----------------------------------------------------------------

MIN_DIGITS = 5
#: Digit groups joined by spaces count only from this many digits: two counts side by side are common.
MIN_SPACED_DIGITS = 7
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
    # More digits than joined runs need: two counts side by side ("n=100 100 of ...") are common.
    return sum(map(len, chunks)) >= MIN_SPACED_DIGITS


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


# --- e-mail addresses written out: "name at example dot org", "name [at] example [dot] org" -----------

_AT = r"(?:\s*[\[({<]\s*at\s*[\])}>]\s*|\s+at\s+|\s*@\s*)"
_DOT = r"(?:\s*[\[({<]\s*dot\s*[\])}>]\s*|\s+dot\s+|\s*\.\s*)"
_TLD = r"(?:com|org|net|edu|gov|mil|int|io|co|us|uk|ca|au|de|fr|nl|info|biz|me|health)"
_SPOKEN_EMAIL = re.compile(
    rf"(?<![\w.%+-])([\w.%+-]{{1,64}}){_AT}((?:[a-z0-9-]{{1,63}}{_DOT}){{1,4}}){_TLD}(?![\w-])", re.IGNORECASE
)
_PLAIN_WORD = re.compile(r"[^\W\d_]+")


def _spoken_emails(text: str):
    for m in _SPOKEN_EMAIL.finditer(text):
        whole = m.group()
        if "@" in whole and not re.search(r"\s|\[|\(|\{|<", whole):
            continue  # an ordinary address: the e-mail rule has it
        spelled_dot = re.search(r"\bdot\b", whole[m.end(1) - m.start() :], re.IGNORECASE) is not None
        at_bracketed = re.search(r"[\[({<]\s*at\s*[\])}>]|@", whole, re.IGNORECASE) is not None
        # "available at improvecarenow.org" is a web site, not an address: a plain " at " before a real
        # dot counts only when the part before it looks like a mailbox (dots, digits, underscores).
        if spelled_dot or at_bracketed or not _PLAIN_WORD.fullmatch(m.group(1)):
            yield "email", m.start(), m.end()


# --- dates tied to a person, and ages over 89 (Safe Harbor C) ------------------------------------------

_PERSON_EVENT = r"(?:born|birth|birthday|birth\s*date|date\s+of\s+birth|d\.?o\.?b\.?|died|deceased|passed\s+away)"
_PARTIAL_DATE = (
    rf"(?:{_MONTH}\.?\s+(?:{_DAY},?\s+)?(?:of\s+)?(?:(?:19|20)\d{{2}}|'\d{{2}})(?!\d)"
    rf"|{_DAY}\s+(?:of\s+)?{_MONTH}\b\.?"
    rf"|{_MONTH}\.?\s+{_DAY}\b"
    rf"|(?:0?[1-9]|1[0-2])[/.-](?:19|20)\d{{2}}(?!\d))"
)
_PERSON_DATE = re.compile(
    rf"\b{_PERSON_EVENT}\b[\s:,-]*(?:(?:on|in|the|of|at|was|is)\s+){{0,3}}({_PARTIAL_DATE})", re.IGNORECASE
)
# "90+" and "90 or older" are how Safe Harbor asks ages to be written.
_OLD = r"(?:9\d|1[0-4]\d)(?!\s*\+|\s+(?:or|and)\s+(?:older|over|above|up|more))"
_AGES = [
    re.compile(rf"\b(?:age[ds]?|turn(?:ed|s)?)\s*(?:of\s+|:\s*)?({_OLD})\b(?!\s*(?:%|days?|weeks?|months?|-\w))", re.I),
    re.compile(rf"(?<![\d.,])({_OLD})\s*-?\s*(?:years?|yrs?|y)\.?\s*-?\s*(?:old|of\s+age)\b", re.IGNORECASE),
    re.compile(rf"(?<![\d.,])({_OLD})\s*(?:yo|y/o|y\.o\.?)(?!\w)", re.IGNORECASE),
]


def _person_dates(text: str):
    for m in _PERSON_DATE.finditer(text):
        yield "birth", m.start(1), m.end(1)


def _ages(text: str):
    for pattern in _AGES:
        for m in pattern.finditer(text):
            yield "age", m.start(1), m.end()


# --- numbers written out or spaced: "555 dot 123 dot 4567", "five five five one two ..." ---------------

_NUMBER_WORDS = {
    "zero": "0", "oh": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6",
    "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
_SEPARATOR_WORDS = frozenset({"dot", "dash", "hyphen", "point", "period"})
_NUMBER_TOKEN = re.compile(r"\d+|[A-Za-z]+|[-.()/]|\S")


def _digit_chains(text: str):
    """Runs of digits and digit words joined by separators: (start, end, digits, spelled, group sizes).

    A run is ``spelled`` when it uses a separator word ("dot", "dash") or at least three digit words: a
    single "two" next to a number is ordinary text.
    """
    chain: list = []  # [start, end, digits, digit words, separator words, groups]
    last_end = 0

    def close():
        if chain and chain[2]:
            yield chain[0], chain[1], chain[2], chain[3] >= 3 or chain[4] > 0, chain[5]

    for m in _NUMBER_TOKEN.finditer(text):
        token, low = m.group(), m.group().lower()
        gap = text[last_end : m.start()]
        joined = bool(chain) and (gap == "" or (gap.isspace() and len(gap) <= 3))
        if token.isdigit() or (low in _NUMBER_WORDS and (low != "oh" or chain)):
            digits = token if token.isdigit() else _NUMBER_WORDS[low]
            if not joined:
                yield from close()
                chain = [m.start(), m.end(), "", 0, 0, []]
            chain[1] = m.end()
            chain[2] += digits
            if token.isdigit() or not chain[5] or text[last_end - 1 : last_end] in "-.()/,":
                chain[5].append(len(digits))
            else:
                chain[5][-1] += 1  # "five five five": one group
            chain[3] += not token.isdigit()
        elif joined and (token in "-.()/," or low in _SEPARATOR_WORDS):
            chain[4] += low in _SEPARATOR_WORDS
            if token.isalpha():
                chain[5].append(0)  # a word between groups starts a new group
        else:
            yield from close()
            chain = []
        last_end = m.end()
    yield from close()


_ONE_BY_ONE = re.compile(rf"\d(?:[ \t]\d){{{MIN_DIGITS - 1},}}")


def _spoken_numbers(text: str):
    for start, end, digits, spelled, groups in _digit_chains(text):
        groups = [g for g in groups if g]
        span = text[start:end]
        # "614 - 555 - 0187": a phone's groups with spaced separators (a list of counts has commas)
        phone_shape = groups in ([3, 4], [3, 3, 4], [1, 3, 3, 4]) and span.count(" ") >= 2 and "," not in span
        one_by_one = _ONE_BY_ONE.fullmatch(span) is not None  # "7 3 4 1 9"
        if (spelled and 7 <= len(digits) <= 15) or phone_shape:
            yield "phone", start, end
        elif (spelled and len(digits) >= MIN_DIGITS) or one_by_one:
            yield "mrn", start, end


# --- ZIP codes and street addresses (Safe Harbor B) ----------------------------------------------------

_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|"
    "OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR"
)
_ZIP4 = re.compile(r"(?<![\d-])\d{5}-\d{4}(?![\d-])")
_ZIP_NAMED = re.compile(rf"(?:\b(?:{_STATES})\.?,?\s+|\b(?:zip|postal)(?:\s*code)?\W{{0,3}})(\d{{5}})(?![\d-])", re.I)
_STREET_ANY_CASE = r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|parkway|pkwy|highway|hwy|ln)"
_STREET_CAPITAL = (
    r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Parkway|Pkwy|Highway|Hwy|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl"
    r"|Terrace|Ter|Circle|Cir|Square|Sq|Trail|Trl|Crescent|Close|Row|Alley|Pike|Loop)"
)
_ADDRESSES = [
    re.compile(rf"(?<![\w.,])\d{{1,6}}[A-Za-z]?\s+(?:[A-Za-z][A-Za-z'-]*\s+){{1,3}}{_STREET_ANY_CASE}\b\.?", re.I),
    re.compile(
        rf"(?<![\w.,])\d{{1,6}}[A-Za-z]?\s+(?:[NSEW]\.?\s+)?(?:[A-Z][A-Za-z'-]*\s+){{1,3}}{_STREET_CAPITAL}\b\.?"
    ),
    re.compile(r"\bP\.?\s*O\.?\s*Box\s+\d+", re.IGNORECASE),
    re.compile(r"\b(?:apt|apartment)\.?\s*#?\s*\d+[A-Za-z]?\b", re.IGNORECASE),
]


def _zips(text: str):
    for m in _ZIP4.finditer(text):
        yield "zip", m.start(), m.end()
    for m in _ZIP_NAMED.finditer(text):
        yield "zip", m.start(1), m.end(1)


def _addresses(text: str):
    for pattern in _ADDRESSES:
        for m in pattern.finditer(text):
            yield "address", m.start(), m.end()


# --- this center's own patients, as keyed hashes ---------------------------------------------------------

#: Family names that are also everyday words: alone, they count only when written with a capital.
_EVERYDAY_WORDS = (
    "young white brown green black gray grey long little rich hope grant mark will bell hill wood king price love may "
    "day page bush fox ward cook baker lane rose short hall chase cross fields banks summer winter march best bright "
    "strong sharp hunt lord small large north south west east moss stone gold silver rice bass case cash frank "
    "miles rivers brooks parks waters walker carter major head hand field house church chance wise swift noble "
    "good moore more well wells post power joy faith gay hart free early late root branch bird crane swan"
)
_EVERYDAY = frozenset(_EVERYDAY_WORDS.split())
_WORD = re.compile(r"[^\W\d_]+")
_MRN_CANDIDATE = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{0,8}[-# ]?\d[\d\-./ ]*\d|(?<![A-Za-z0-9])\d+")
_NUMERIC_TRIPLE = re.compile(r"(?<!\d)(\d{1,4})[-/. ](\d{1,2})[-/. ](\d{1,4})(?!\d)")
_NAMED_TRIPLE = [
    re.compile(rf"\b({_MONTH})\.?[\s-]+(\d{{1,2}})(?:st|nd|rd|th)?(?:,\s*|[\s-]+)('?\d{{2,4}})(?!\d)", re.I),
    re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?(?:\s+of)?[\s-]*({_MONTH})\.?,?[\s-]*('?\d{{2,4}})(?!\d)", re.I),
]


#: Letters that no Unicode decomposition takes to a plain Latin letter.
_PLAIN_LATIN = str.maketrans({"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i"})


def fold(word: str) -> str:
    """A word as compared: accents removed, case folded ("Østergård" and "ostergard" are one word)."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).translate(_PLAIN_LATIN)


def _name_parts(name: str | None) -> list[str]:
    return [fold(w) for w in _WORD.findall(name or "")]


def _month_number(word: str) -> int:
    return ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec").index(
        word.lower()[:3]
    ) + 1


class KnownIdentifiers:
    """What identifies this center's own patients, as keyed hashes only (never the values in the clear).

    Made for one export review with a random key (``os.urandom``) that lives only in this object: the
    digests cannot be compared with any other run's, and nothing of it is written anywhere. Each value
    is folded first (case, accents, punctuation), and names are hashed as single family names, as
    given-family pairs in either order and as an initial with the other name.
    """

    __slots__ = ("_colleagues", "_digests", "_key", "patients")

    def __init__(self, key: bytes | None = None) -> None:
        self._key = key if key is not None else os.urandom(32)
        self._digests: set[bytes] = set()
        self._colleagues: set[bytes] = set()
        self.patients = 0

    def __repr__(self) -> str:  # never the digests, never a value
        return f"<KnownIdentifiers of {self.patients} patients>"

    def _h(self, tag: str, *parts: str) -> bytes:
        data = "\x1f".join((tag, *parts)).encode()
        return hashlib.blake2b(data, key=self._key, digest_size=16).digest()

    def _add(self, tag: str, *parts: str) -> None:
        self._digests.add(self._h(tag, *parts))

    def _has(self, tag: str, *parts: str) -> bool:
        return self._h(tag, *parts) in self._digests

    def add_patient(self, given_name: str | None, family_name: str | None, mrn: str | None = None,
                    birth_date: date | None = None, phone: str | None = None,
                    email: str | None = None) -> None:  # fmt: skip
        """Hash one patient's identifiers in; the caller drops the clear values."""
        self.patients += 1
        given = [g for g in _name_parts(given_name) if len(g) >= 2]
        parts = _name_parts(family_name)
        family = [f for f in parts if len(f) >= 2]
        # "O'Brien" is also written "OBrien": every run of two or more parts, joined
        family += ["".join(parts[i:j]) for i in range(len(parts)) for j in range(i + 2, len(parts) + 1)]
        for f in family:
            self._add("f", f)
            for g in given:
                self._add("p", *sorted((g, f)))
                self._add("i", g[0], f)  # A. Demoford
                self._add("j", g, f[0])  # Ada D.
        if mrn:
            for form in _mrn_forms(mrn):
                self._add("m", form)
        if birth_date:
            self._add("d", birth_date.isoformat())
        digits = re.sub(r"\D", "", phone or "")
        if len(digits) >= 7:
            self._add("t", digits[-7:])
            if len(digits) >= 10:
                self._add("t", digits[-10:])
        if email and "@" in email:
            self._add("e", fold(email.strip()))

    def add_colleague(self, name: str | None) -> None:
        """A team member's name: "Casey Testwood, RN" does not flag a patient whose family name is Testwood
        (a patient's full name still does)."""
        words = _name_parts(name)
        for a, b in itertools.pairwise(words):
            self._colleagues.add(self._h("c", a, b))

    def _colleague(self, words: list, i: int) -> bool:
        pairs = [(i - 1, i), (i, i + 1)]
        return any(a >= 0 and b < len(words) and self._h("c", words[a][3], words[b][3]) in self._colleagues
                   for a, b in pairs)  # fmt: skip

    def hits(self, text: str):
        """(kind, start, end) of every match in ``text``; the kind is always ``"patient"``."""
        if not self._digests:
            return
        yield from self._names(text)
        for m in _MRN_CANDIDATE.finditer(text):
            raw = m.group()
            if any(self._has("m", form) for form in _mrn_forms(raw)):
                yield "patient", m.start(), m.end()
        yield from self._dates(text)
        for start, end, digits, _, _ in _digit_chains(text):
            windows = {digits[i : i + n] for n in (7, 10) for i in range(len(digits) - n + 1)}
            if any(self._has("t", w) for w in windows):
                yield "patient", start, end
        for pattern in (_EMAIL, _SPOKEN_EMAIL):
            for m in pattern.finditer(text):
                address = re.sub(r"\s+|[\[\](){}<>]", " ", m.group())
                address = re.sub(r"\s*(?:\bat\b|@)\s*", "@", address, count=1, flags=re.IGNORECASE)
                address = re.sub(r"\s*(?:\bdot\b|\.)\s*", ".", address, flags=re.IGNORECASE).strip()
                if self._has("e", fold(address)):
                    yield "patient", m.start(), m.end()

    def _names(self, text: str):
        words = [(m.start(), m.end(), m.group(), fold(m.group())) for m in _WORD.finditer(text)]
        for i, (start, end, raw, word) in enumerate(words):
            alone = len(word) >= 2 and self._has("f", word) and (word not in _EVERYDAY or raw[0].isupper())
            if alone and not self._colleague(words, i):
                yield "patient", start, end
            # the next word, and the one after a middle initial ("Ada J. Demoford")
            for j in (i + 1, i + 2):
                if j >= len(words) or not re.fullmatch(r"[\s,.]{0,4}", text[words[j - 1][1] : words[j][0]]):
                    break
                if j == i + 2 and len(words[i + 1][3]) != 1:
                    break
                _, other_end, other_raw, other = words[j]
                found = len(word) >= 2 and len(other) >= 2 and self._has("p", *sorted((word, other)))
                found = found or (len(word) == 1 and raw.isupper() and self._has("i", word, other))  # A. Demoford
                found = found or (
                    len(other) == 1
                    and other_raw.isupper()
                    and (self._has("i", other, word) or self._has("j", word, other))
                )  # Demoford, A. / Ada D.
                if found:
                    stop = other_end + (1 if text[other_end : other_end + 1] == "." and len(other) == 1 else 0)
                    yield "patient", start, stop

    def _dates(self, text: str):
        for m in _NUMERIC_TRIPLE.finditer(text):
            a, b, c = (int(x) for x in m.groups())
            orders = [(a, b, c), (c, a, b), (c, b, a)]  # year first; month/day/year; day/month/year
            if self._any_date(orders):
                yield "patient", m.start(), m.end()
        for i, pattern in enumerate(_NAMED_TRIPLE):
            for m in pattern.finditer(text):
                month_word, day = (m.group(1), m.group(2)) if i == 0 else (m.group(2), m.group(1))
                year = int(m.group(3).lstrip("'"))
                if self._any_date([(year, _month_number(month_word), int(day))]):
                    yield "patient", m.start(), m.end()

    def _any_date(self, triples: Iterable[tuple[int, int, int]]) -> bool:
        for year, month, day in triples:
            for full in (year,) if year >= 1000 else (1900 + year, 2000 + year) if year < 100 else ():
                try:
                    when = date(full, month, day)
                except ValueError:
                    continue
                if self._has("d", when.isoformat()):
                    return True
        return False


def _mrn_forms(raw: str) -> set[str]:
    """A record number as compared: letters and digits only, upper case; and its digits, with and without
    leading zeros, when there are at least 4."""
    forms = set()
    alnum = re.sub(r"[\W_]", "", raw).upper()
    if len(alnum) >= 4:
        forms.add(alnum)
    digits = re.sub(r"\D", "", raw)
    for form in (digits, digits.lstrip("0")):
        if len(form) >= 4:
            forms.add(form)
    return forms
