"""The network measures on a hand-built center of 14 patients, February 2026, every count worked out by hand.

The look-back window of the patient measures is the 395 days ending 28 February 2026: 29 January 2025 is
outside, 30 January 2025 inside. Who is who (age on 28 February 2026; visits in the window with their PGA):

- c1, Crohn, 11: Mar, Jul, Nov 2025 and 5 Feb 2026, all quiescent; wPCDAI 10; height 152 cm (z +0.17),
  weight 40 kg (BMI z -0.29).
- c2, Crohn, 13: Jun, Dec 2025, 10 Feb 2026, all quiescent; wPCDAI 12.5; prednisone since 15 Jan 2026;
  height 140 (z -2.62), weight 40 (BMI z +0.52).
- c3, Crohn, 15: May 2025 moderate, 20 Jan 2026 quiescent; wPCDAI 40 then 7.5; TPMT 1 May 2025 and
  azathioprine from 2 May 2025; height 160 (z -0.29), weight 38 (BMI z -2.67).
- c4, Crohn, 12: Aug 2025 mild, 20 Feb 2026 quiescent; azathioprine from Jan 2024, TPMT only in Feb 2024.
- c5, Crohn, 15: Apr 2025 quiescent, Sep 2025 mild, 10 Jan 2026 quiescent; wPCDAI 5 in Dec 2024 (outside);
  mercaptopurine from Oct 2025, no TPMT.
- c6, Crohn, 14: Oct 2025 quiescent; moved to adult care on 10 Feb 2026, so out of February.
- u1, UC, 11: Jun, Oct 2025, 1 Feb 2026, all quiescent; PUCAI 5; a corticosteroid stopping on 28 Feb (not
  taken that day); height 140 (z -0.55), weight 34 (BMI z -0.04).
- u2, UC, 16: 15 Feb 2026 mild; PUCAI 10.
- u3, UC, 19: Sep 2025 severe; PUCAI 35; height 165 (z +0.28), no weight.
- i1, IBD unclassified, 9: 25 Feb 2026 quiescent; PUCAI 0.
- n1, Crohn, 21: 5 Jan 2026 quiescent; no wPCDAI; too old for the growth measures.
- n2, Crohn, 12: no visit since Nov 2024, so in no patient population.
- s1, Crohn, 7: 3 Feb 2026 quiescent; sex not recorded, so a height cannot be placed on a chart.
- p1, Crohn, 10: 28 Feb 2026 mild; azathioprine to start 1 Mar 2026, so not taken in February.
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from lhn_desktop.errors import LhnError
from lhn_desktop.services.facts import PatientFacts, fill
from lhn_desktop.services.measure_library import build_clinical_data, count_month, load_library, parse_library

FEBRUARY = (date(2026, 2, 1), date(2026, 2, 28))
CROHN, UC, IBDU = "Crohn disease", "Ulcerative colitis", "IBD unclassified"


def _center():
    people = [
        PatientFacts("c1", date(2014, 3, 1), CROHN, date(2020, 1, 1), sex="female"),
        PatientFacts("c2", date(2012, 6, 1), CROHN, date(2020, 1, 1), sex="male"),
        PatientFacts("c3", date(2011, 1, 15), CROHN, date(2020, 1, 1), sex="female"),
        PatientFacts("c4", date(2013, 9, 9), CROHN, date(2020, 1, 1), sex="male"),
        PatientFacts("c5", date(2010, 4, 4), CROHN, date(2020, 1, 1), sex="female"),
        PatientFacts("c6", date(2011, 5, 5), CROHN, date(2020, 1, 1), inactive_from=date(2026, 2, 10), sex="male"),
        PatientFacts("u1", date(2015, 2, 2), UC, date(2021, 1, 1), sex="female"),
        PatientFacts("u2", date(2009, 12, 12), UC, date(2021, 1, 1), sex="male"),
        PatientFacts("u3", date(2007, 1, 1), UC, date(2021, 1, 1), sex="female"),
        PatientFacts("i1", date(2016, 5, 5), IBDU, date(2022, 1, 1), sex="male"),
        PatientFacts("n1", date(2005, 1, 1), CROHN, date(2015, 1, 1), sex="female"),
        PatientFacts("n2", date(2013, 1, 1), CROHN, date(2020, 1, 1), sex="male"),
        PatientFacts("s1", date(2018, 7, 7), CROHN, date(2024, 1, 1), sex=None),
        PatientFacts("p1", date(2015, 8, 8), CROHN, date(2025, 6, 1), sex="female"),
    ]
    visits = {  # patient: [(date, PGA)]
        "c1": [(date(2025, 3, 10), "quiescent"), (date(2025, 7, 15), "quiescent"), (date(2025, 11, 20), "quiescent"),
               (date(2026, 2, 5), "quiescent")],
        "c2": [(date(2025, 6, 1), "quiescent"), (date(2025, 12, 1), "quiescent"), (date(2026, 2, 10), "quiescent")],
        "c3": [(date(2025, 5, 1), "moderate"), (date(2026, 1, 20), "quiescent")],
        "c4": [(date(2025, 8, 1), "mild"), (date(2026, 2, 20), "quiescent")],
        "c5": [(date(2025, 4, 1), "quiescent"), (date(2025, 9, 1), "mild"), (date(2026, 1, 10), "quiescent")],
        "c6": [(date(2025, 10, 1), "quiescent")],
        "u1": [(date(2025, 6, 1), "quiescent"), (date(2025, 10, 1), "quiescent"), (date(2026, 2, 1), "quiescent")],
        "u2": [(date(2026, 2, 15), "mild")],
        "u3": [(date(2025, 9, 9), "severe")],
        "i1": [(date(2026, 2, 25), "quiescent")],
        "n1": [(date(2026, 1, 5), "quiescent")],
        "n2": [(date(2024, 11, 1), "quiescent")],
        "s1": [(date(2026, 2, 3), "quiescent")],
        "p1": [(date(2026, 2, 28), "mild")],
    }  # fmt: skip
    visit_rows, observations = [], []
    for pid, seen in visits.items():
        for k, (on, pga) in enumerate(seen):
            vid = f"{pid}-v{k}"
            visit_rows.append((vid, pid, on))
            observations.append((pid, vid, "PGA", pga, on))
    last_visit = {pid: f"{pid}-v{len(seen) - 1}" for pid, seen in visits.items()}

    def at_last(pid: str, code: str, value: str) -> None:
        observations.append((pid, last_visit[pid], code, value, visits[pid][-1][0]))

    for pid, code, value in (
        ("c1", "WPCDAI", "10"), ("c1", "HEIGHT", "152"), ("c1", "WEIGHT", "40"),
        ("c2", "WPCDAI", "12.5"), ("c2", "HEIGHT", "140"), ("c2", "WEIGHT", "40"),
        ("c3", "WPCDAI", "7.5"), ("c3", "HEIGHT", "160"), ("c3", "WEIGHT", "38"),
        ("u1", "PUCAI", "5"), ("u1", "HEIGHT", "140"), ("u1", "WEIGHT", "34"),
        ("u2", "PUCAI", "10"), ("u3", "PUCAI", "35"), ("u3", "HEIGHT", "165"), ("i1", "PUCAI", "0"),
        ("s1", "HEIGHT", "125"),
    ):  # fmt: skip
        at_last(pid, code, value)
    observations += [
        ("c3", "c3-v0", "WPCDAI", "40", date(2025, 5, 1)),
        ("c3", "c3-v0", "TPMT", "normal", date(2025, 5, 1)),
        ("c4", None, "TPMT", "normal", date(2024, 2, 1)),
        ("c5", None, "WPCDAI", "5", date(2024, 12, 1)),
    ]
    medications = [
        ("c2", "prednisone", "corticosteroid", "20 mg daily", date(2026, 1, 15), None),
        ("c3", "azathioprine", "thiopurine", "50 mg daily", date(2025, 5, 2), None),
        ("c4", "azathioprine", "thiopurine", "50 mg daily", date(2024, 1, 1), None),
        ("c5", "mercaptopurine", "thiopurine", "25 mg daily", date(2025, 10, 1), None),
        ("u1", "budesonide", "corticosteroid", "9 mg daily", date(2026, 1, 1), date(2026, 2, 28)),
        ("p1", "azathioprine", "thiopurine", "25 mg daily", date(2026, 3, 1), None),
    ]
    return build_clinical_data(fill(people, visits=visit_rows, observations=observations, medications=medications))


def count(code: str, data=None) -> tuple[int, int]:
    spec = load_library().get(code)
    assert spec is not None, code
    return count_month(spec, data or _center(), *FEBRUARY)


def test_remission_by_the_weighted_pcdai_counts_crohn_disease_only():
    # Crohn patients seen and followed in February: c1-c5, n1, s1, p1 (c6 left on 10 February, n2 not seen)
    # below 12.5: c1 (10) and c3 (latest 7.5); not c2 (12.5 is not below), nor c5 (outside the window)
    assert count("remission_wpcdai") == (2, 8)


def test_remission_by_pucai_counts_ulcerative_colitis_and_ibd_unclassified():
    # u1 (5) and i1 (0) are below 10; u2 (10) and u3 (35) are not
    assert count("remission_pucai") == (2, 4)


def test_steroid_free_remission_needs_both_quiescence_and_no_corticosteroid():
    # seen: c1-c5, u1-u3, i1, n1, s1, p1 = 12; latest PGA quiescent: c1, c2, c3, c4, c5, u1, i1, n1, s1 = 9;
    # of those c2 takes prednisone; u1's budesonide stops on 28 February, so it is not taken that day
    assert count("steroid_free_remission") == (8, 12)
    assert count("remission_pga") == (9, 12)


def test_sustained_remission_needs_three_visits_all_quiescent_in_twelve_months():
    # 12 months back from 28 February is 28 February 2025: c1 (4 quiescent), c2 (3), u1 (3) qualify;
    # c5 had a mild visit, c3 and c4 only two visits, the rest one
    assert count("sustained_remission") == (3, 12)


def test_growth_and_nutrition_by_cdc_z_scores_for_ages_2_to_19():
    # ages 2-19 and seen: c1, c2, c3, c4, c5, u1, u2, u3 (19, included), i1, s1, p1 = 11 (n1 is 21)
    # height z at least -1: c1 (+0.17), c3 (-0.29), u1 (-0.55), u3 (+0.28); not c2 (-2.62); s1 has no sex
    assert count("satisfactory_growth") == (4, 11)
    # BMI z at least -1 (a height and a weight of the same day): c1 (-0.29), c2 (+0.52), u1 (-0.04); not c3 (-2.67)
    assert count("satisfactory_nutrition") == (3, 11)


def test_tpmt_before_a_thiopurine_counts_those_who_took_one():
    # took a thiopurine by 28 February and seen: c3, c4, c5 (p1 starts in March); TPMT before the first dose: c3
    assert count("tpmt_before_thiopurine") == (1, 3)


def test_the_minimum_data_rule_and_an_exclusion_with_its_reason():
    library = json.loads((load_library_path()).read_text(encoding="utf-8"))
    spec = next(m for m in library["measures"] if m["code"] == "steroid_free_remission")
    spec |= {
        "code": "sfr_without_transition",
        "min_denominator": 5,
        "exclusions": [{"reason": "A flare under review at the end of the month (latest PGA mild)",
                        "criterion": {"kind": "latest_observation_is", "code": "PGA", "values": ["mild"]}}],
    }  # fmt: skip
    custom = parse_library(json.dumps({"library": "test", "version": 1, "measures": [spec]})).measures[0]
    assert custom.min_denominator == 5 and custom.exclusions[0].reason.startswith("A flare under review")
    # the exclusion removes u2 and p1 (latest PGA mild) from the 12 seen; none of them was in the numerator
    assert count_month(custom, _center(), *FEBRUARY) == (8, 10)


def load_library_path():
    from lhn_desktop.paths import content_dir

    return content_dir() / "measures.json"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"numerator": {"kind": "latest_value_in_range", "code": "PUCAI"}}, "at_least"),
        ({"numerator": {"kind": "latest_value_in_range", "code": "PUCAI", "at_least": 10, "below": 5}}, "below"),
        ({"numerator": {"kind": "all_of", "criteria": [{"kind": "seen_within", "days": 30}]}}, "criteria"),
        ({"population": {"kind": "visits_in_month"}, "numerator": {"kind": "visit_planned"},
          "exclusions": [{"reason": "Not here", "criterion": {"kind": "seen_within", "days": 30}}]}, "exclusions"),
        ({"numerator": {"kind": "latest_growth_at_least", "chart": "weight", "at_least": -1}}, "chart"),
        ({"population": {"kind": "patients_seen", "lookback_days": 395, "min_age": -1}}, "min_age"),
    ],
)  # fmt: skip
def test_a_definition_that_cannot_count_is_refused_with_the_measure_and_field(change, words):
    library = json.loads(load_library_path().read_text(encoding="utf-8"))
    spec = next(m for m in library["measures"] if m["code"] == "remission_pucai") | change
    with pytest.raises(LhnError) as caught:
        parse_library(json.dumps({"library": "test", "version": 1, "measures": [spec]}))
    assert "remission_pucai" in str(caught.value) and words in str(caught.value)
