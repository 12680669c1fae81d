"""The free-text gate (SYNC.md 2.3 step 2, acceptance test 28): what it finds and what passes."""

from __future__ import annotations

import itertools
import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lhn_desktop.sync.textgate import LABELS, MASK, OTHER_MASK, Finding, masked, scan

# Ordinary improvement text: nothing here may stop an export.
CLEAN = [
    "Remission rate rose from 72% to 85% between January and June 2024.",
    "12 of 40 patients had a documented physician global assessment at their last visit.",
    "Our 90-day goal is 80% of visits with a completed pre-visit plan.",
    "PDSA cycle 3: the nurse calls families 2 days before the visit.",
    "The huddle moved to 8:30 on Tuesdays and takes 10-15 minutes.",
    "Median time to biologic dropped from 14.5 to 9.2 weeks.",
    "We tested with 1-2 families per clinic day in March 2024.",
    "Data for 2024-03 were entered late; see the run chart.",
    "The baseline period was 2019-2024 and the target year is 2025.",
    "Fiscal year 2023-24 results were presented at the learning session.",
    "Measure 4b (growth screening) reached 92.3% for Q3 2024.",
    "We shifted the centre line after 8 consecutive points above the median.",
    "Adopted the change idea from site 14 after 3 cycles.",
    "Visits per month: 120, 135, 148, 160.",
    "About 1,250 patients are in the registry; 310 are on anti-TNF therapy.",
    "The team met on March 2 to plan the next cycle.",
    "Response was 3/4 in week 1 and 7/8 in week 2.",
    "Dose 5 mg/kg every 8 weeks; trough goal 5-10 µg/mL.",
    "Estimated savings of about $120000 per year from fewer admissions.",
    "Version 2.3.1 of the measure library went live this month.",
    "Wait time fell by 35 minutes (from 95 to 60).",
    "Goal: 90% by December 2025; currently at 78%.",
    "CMS122v12 and NQF 0059 align with our HbA1c measure.",
    "Two of 11 new patients missed the 30-day follow-up.",
    "The run chart shows 6 points in a row above the median since Sept 2024.",
    "We reached 100% for 3 months straight (Jan-Mar 2025).",
    "Between 100-200 referrals a quarter, 25-30% of them urgent.",
    "Scores range from 0 to 100; 40-60 is moderate.",
    "Week 12 of 52; cycle 4 of 6 completed.",
    "The 2024 Q1-Q2 dashboard had 8 measures and 3 balancing measures.",
    "PUCAI below 10 in 64.7% of patients at 12 months.",
    "Learning session in Chicago, 14-16 May; 23 centers attended.",
    "Ratio 1:4 nurses to patients with 24/7 on-call coverage.",
    "Phone outreach to 45 families took 6.5 hours.",
    "Percent with a documented plan went 0% → 50% → 75%.",
    "A 2.5-fold increase, p < 0.05, over 18 months.",
    "Registry visits in 2024: 1,842 (up from 1,610 in 2023).",
    "We will repeat the survey in Q2 2025 and again in 2026.",
    "Average of 0.8 flares per patient-year, down from 1.3.",
    "Cycle 2 ran March 4-8, cycle 3 ran March 11-15.",
    "Results of PDSA cycle 2 March 2024 were shared at the huddle.",
    "In 2024 120 patients were seen; Q1 2015 100 of 100 had a plan.",
    "Over 2019-2024 30 centers joined the network.",
]

# Text that names someone: each must be found, with the kind that names it best.
DIRTY = [
    ("Pt MRN 12345678 missed the infusion.", "mrn"),
    ("Chart 12-345-678 reviewed by the nurse.", "mrn"),
    ("MRN: 1234 5678 had a flare after the holidays.", "mrn"),
    ("Record no. A7654321 flagged for review.", "mrn"),
    ("Insurance ID 884 221 907 is on file.", "mrn"),
    ("Called mom at (617) 555-0123 to reschedule.", "phone"),
    ("Family prefers texts to 617-555-0199.", "phone"),
    ("Reach the dad at +44 20 7946 0958 while abroad.", "phone"),
    ("Call the clinic line 555-0142 and ask for the nurse.", "phone"),
    ("Her number is 617 555 0123 (cell).", "phone"),
    ("Fax results to 212.555.0100 by Friday.", "phone"),
    ("Text +1 (415) 867-5309 after 5 pm.", "phone"),
    ("Patient seen 3/2/2024 with abdominal pain.", "date"),
    ("Admitted 2024-03-02, discharged two days later.", "date"),
    ("DOB 02.03.2011 per chart.", "date"),
    ("Scope done on March 2, 2024.", "date"),
    ("Flare started 2 March 2024 after the dose change.", "date"),
    ("The infusion on Mar 2 2024 was delayed.", "date"),
    ("Surgery 14th of February, 2023 at the main campus.", "date"),
    ("Next visit 10/15/24 with the fellow.", "date"),
    ("Seen 02-Mar-24 in clinic B.", "date"),
    ("Born 20110302 per the registry export.", "date"),
    ("Plan reviewed Dec. 5th, '23 with the family.", "date"),
    ("Clinic visit 2 March 2024 went well for the child.", "date"),
    ("SSN 123-45-6789 was written on the intake form.", "ssn"),
    ("Social security number 078051120 entered in error.", "ssn"),
    ("Email jane.doe@gmail.com with the results.", "email"),
    ("Mom's address is parent_123@yahoo.com if the portal fails.", "email"),
    ("Photos are at https://drive.example.com/share/abc123.", "url"),
    ("Posted on www.facebook.com/janedoe.family by the family.", "url"),
    ("Contact form: http://portal.example.org/patient?id=77", "url"),
]


@pytest.mark.parametrize("text", CLEAN)
def test_ordinary_improvement_text_passes(text):
    assert scan(text) == []


@pytest.mark.parametrize(("text", "kind"), DIRTY)
def test_identifiers_are_found(text, kind):
    findings = scan(text)
    assert [f.kind for f in findings] == [kind], findings
    hit = findings[0]
    assert hit.label == LABELS[kind]
    # The review screen shows the place without the identifier itself.
    shown = masked(text, hit)
    assert MASK in shown
    assert text[hit.start : hit.end] not in shown
    assert not re.search(r"\d{3}", shown), shown


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("MRN 12345678", "12345678"),
        ("chart 12-345-678.", "12-345-678"),
        ("at (617) 555-0123, ext", "(617) 555-0123"),
        ("see 3/2/2024.", "3/2/2024"),
        ("on March 2nd, 2024 we", "March 2nd, 2024"),
        ("mail a.b@c.org.", "a.b@c.org"),
        ("(see https://x.org/a_(b))", "https://x.org/a_(b)"),
        ("(see https://x.org/a).", "https://x.org/a"),
        ("SSN: 123 45 6789", "123 45 6789"),
    ],
)
def test_a_finding_covers_exactly_the_identifier(text, expected):
    (hit,) = scan(text)
    assert text[hit.start : hit.end] == expected


def test_a_month_and_year_or_a_bare_year_is_not_a_full_date():
    for text in ["March 2024", "in Mar 2024", "2024", "Sept. 2023", "2024-03", "03/2024", "Q1 2024", "2 Marches"]:
        assert scan(text) == [], text


def test_numbers_that_are_not_record_numbers():
    for text in ["1234", "1,234,567", "0.1234567", "3.14159265", "$250000", "2019-2024", "2023-24", "100-200"]:
        assert scan(text) == [], text
    # 5 digits are enough for a record number (issue 18: 5-digit MRNs left unflagged)
    for text in [
        "12345",
        "123456",
        "1234567",
        "1-2-3-4-5-6",
        "12 345 678",
        "1234-5678",
        "200-100000",
        "1234567%",
        "1234567 of",
    ]:
        assert [f.kind for f in scan(text)] == ["mrn"], text


def test_numbers_that_cannot_be_social_security_numbers_are_still_record_numbers():
    assert [f.kind for f in scan("ID 987-65-4321")] == ["mrn"]
    assert [f.kind for f in scan("ID 000-12-3456")] == ["mrn"]


def test_invalid_calendar_dates_are_not_dates():
    assert [f.kind for f in scan("ref 2024-13-45")] == ["mrn"]
    assert scan("score 13/14/15") == []


def test_findings_are_sorted_and_do_not_overlap():
    text = (
        "Seen 2024-03-02 (MRN 1234567), call 617-555-0123 or mail x@y.org; "
        "SSN 123-45-6789, see www.example.org and 1/2/2024."
    )
    findings = scan(text)
    assert [f.kind for f in findings] == ["date", "mrn", "phone", "email", "ssn", "url", "date"]
    for a, b in itertools.pairwise(findings):
        assert a.end <= b.start


def test_overlapping_hits_merge_under_the_most_specific_kind():
    # an ISO date is also a run of 8 digits; a formatted SSN is also 9 digits; an address holds digits
    assert [f.kind for f in scan("2024-03-02")] == ["date"]
    assert [f.kind for f in scan("123-45-6789")] == ["ssn"]
    assert [f.kind for f in scan("12345678@example.org")] == ["email"]
    assert [f.kind for f in scan("https://example.org/chart/12345678")] == ["url"]


def test_finding_is_a_frozen_value():
    (hit,) = scan("MRN 12345678")
    assert hit == Finding("mrn", 4, 12, LABELS["mrn"])
    with pytest.raises(AttributeError):
        hit.start = 0


def test_masked_shows_context_on_whole_words_and_hides_other_hits():
    text = "The infusion nurse called 617-555-0123 about the missed dose and wrote 12345678 in the note."
    phone, mrn = scan(text)
    shown = masked(text, phone)
    assert shown.startswith("The infusion nurse called ▇▇▇▇")
    assert shown.endswith("…")
    assert "missed" in shown
    assert "12345678" not in shown
    shown = masked(text, mrn)
    assert "▇▇▇▇▇▇▇▇" in shown
    assert "617" not in shown and "555" not in shown
    assert OTHER_MASK in shown or "called" not in shown


def test_masked_flattens_line_breaks_and_rejects_a_finding_from_another_text():
    text = "line one\n\nMRN 12345678\tend"
    (hit,) = scan(text)
    assert masked(text, hit) == "line one MRN ▇▇▇▇▇▇▇▇ end"
    with pytest.raises(ValueError, match="does not lie"):
        masked("short", hit)


def test_scan_takes_text_only():
    with pytest.raises(TypeError):
        scan(12345678)  # type: ignore[arg-type]
    assert scan("") == []


def test_long_text_is_scanned_quickly():
    words = " ".join(CLEAN) + " "
    text = (words * (100_000 // len(words) + 1))[:100_000] + " MRN 12345678"
    start = time.perf_counter()
    findings = scan(text)
    assert time.perf_counter() - start < 5
    assert [f.kind for f in findings] == ["mrn"]
    # runs of address characters without an @ must not make the e-mail search quadratic
    start = time.perf_counter()
    assert scan("a" * 100_000) == []
    assert scan("a." * 50_000) == []
    assert time.perf_counter() - start < 2


@settings(max_examples=200, deadline=None)
@given(
    before=st.sampled_from(CLEAN),
    after=st.sampled_from(CLEAN),
    identifier=st.sampled_from(["12345678", "(617) 555-0123", "3/2/2024", "jane@example.org", "123-45-6789"]),
    joiner=st.sampled_from([" ", "\n", " (", ": ", "\t"]),
)
def test_an_identifier_anywhere_in_clean_text_is_found_and_never_shown(before, after, identifier, joiner):
    text = before + joiner + identifier + " " + after
    findings = scan(text)
    assert len(findings) == 1
    hit = findings[0]
    at = len(before + joiner)
    # A hit may take in a neighbouring number ("123-45-6789 12" reads as a phone number too): never less.
    assert hit.start <= at and at + len(identifier) <= hit.end <= at + len(identifier) + 3
    assert identifier not in masked(text, hit)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("0123456789 -./:,@abcMr()+\n"), max_size=80))
def test_findings_are_well_formed_for_any_text(text):
    findings = scan(text)
    last_end = 0
    for f in findings:
        assert last_end <= f.start < f.end <= len(text)
        assert f.label == LABELS[f.kind]
        last_end = f.end
        shown = masked(text, f)
        assert MASK in shown


_MONTHS = ["January", "Feb", "March", "Apr", "May", "June", "Jul", "August", "Sept", "October", "Nov", "December"]
_n = st.integers(0, 999)
_year = st.integers(2015, 2030)
_QI_PIECES = st.one_of(
    st.builds(lambda a, b: f"{min(a, b)} of {max(a, b)} patients", _n, _n),
    st.builds(lambda p: f"{p}%", st.integers(0, 100)),
    st.builds(lambda p: f"{p / 10:.1f}%", st.integers(0, 1000)),
    st.builds(lambda m, y: f"{m} {y}", st.sampled_from(_MONTHS), _year),
    st.builds(lambda m, d: f"{m} {d} huddle", st.sampled_from(_MONTHS), st.integers(1, 28)),
    st.builds(lambda y, m: f"{y}-{m:02d}", _year, st.integers(1, 12)),
    st.builds(lambda y, z: f"{y}-{z}", _year, _year),
    st.builds(lambda c: f"PDSA cycle {c}", st.integers(1, 30)),
    st.builds(lambda c, m, y: f"cycle {c} {m} {y}", st.integers(1, 9), st.sampled_from(_MONTHS), _year),
    st.builds(lambda h, m: f"{h}:{m:02d}", st.integers(0, 23), st.integers(0, 59)),
    st.builds(lambda a, b: f"{a}-{b}", st.integers(0, 20), st.integers(21, 99)),
    st.builds(lambda d: f"{d}-day goal", st.sampled_from([30, 60, 90, 180, 365])),
    st.builds(lambda a: f"{a:,} visits", st.integers(0, 10**7)),
    st.builds(lambda a, b: f"{a}/{b}", st.integers(0, 99), st.integers(1, 99)),
    st.builds(lambda a: f"n={a}", st.integers(0, 9999)),
    st.builds(lambda q, y: f"Q{q} {y}", st.integers(1, 4), _year),
    st.builds(lambda y: f"FY{y}", _year),
    st.builds(lambda a: f"p={a / 1000:.3f}", st.integers(0, 999)),
    st.builds(lambda a, b: f"CI {a / 10:.1f}-{b / 10:.1f}", st.integers(0, 9), st.integers(10, 30)),
    st.builds(lambda a, b: f"site #{a} had {b} visits", st.integers(1, 60), _n),
    st.builds(lambda a: f"HbA1c {a / 10:.1f}%", st.integers(50, 140)),
    st.builds(lambda a, b, c: f"{a}, {b} and {c} sites", _n, _n, _n),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_QI_PIECES, min_size=1, max_size=6), st.sampled_from([" ", ", ", "; ", " and ", " to "]))
def test_numbers_of_improvement_work_pass_in_any_combination(pieces, joiner):
    text = joiner.join(pieces)
    assert scan(text) == []
