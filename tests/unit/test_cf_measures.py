"""The cystic fibrosis measures on a hand-built center of 12 patients, February 2026, every count worked out by hand.

The CF measures look back 365 days from 28 February 2026: 28 February 2025 is outside, 1 March 2025 inside. Ages
are on 28 February 2026. Who is who:

- a1, 8, F: visits 10 Mar, 10 Jun, 10 Sep, 10 Dec 2025; FEV1 90 (Mar) and 95 (Sep), best 95; a respiratory
  culture at each visit (4 days); height 130 cm and weight 30 kg on 10 Dec (BMI 17.75, z +0.73).
- a2, 10, M: visits 10 May, 10 Aug, 10 Nov 2025 (three); FEV1 80 and 85; 3 cultures; OGTT 10 Oct 2025;
  135 cm 35 kg in May (BMI z above 0), then 140 cm 30 kg on 10 Nov (BMI 15.31, z -0.92): the latest counts.
- a3, 12, F: visits 15 Mar, 1 Jun, 1 Sep 2025, 15 Jan 2026 (four); FEV1 100; cultures on 3 different days
  (two on 1 Jun count as one day); insulin since 2024 (CF-related diabetes); PHQ-9 score and a GAD-7
  screening recorded 1 Jun 2025; 155 cm 50 kg on 15 Jan (BMI 20.81, z +0.76).
- a4, 14, M: visits 10 Apr 2025, 20 Jan 2026; FEV1 70 then 60, best 70; OGTT on 28 Feb 2025 (a day outside);
  a PHQ-9 score only; 160 cm 49 kg on 20 Jan (BMI 19.14, z -0.07: just below the 50th percentile).
- a5, 16, F: visit 10 Feb 2026; no FEV1; OGTT 15 Jan 2026; a PHQ-9 screening and a GAD-7 score.
- a6, 17, M (18 on 3 March): visit 1 Jul 2025; FEV1 110; no OGTT, no screening.
- a7, 18, F: visit 1 Aug 2025; FEV1 50 (too old for the FEV1 measure); OGTT 1 Aug 2025; PHQ-9 on 1 Feb
  2025 (outside) and GAD-7 on 1 Aug 2025.
- a8, 5, M: visit 1 Oct 2025; FEV1 99 (too young for the FEV1 measure); 110 cm 20 kg (BMI 16.53, z +0.83).
- a9, 9, F: visit 11 Nov 2025; FEV1 88 on 28 Feb 2025, a day outside the year.
- a10, 11, M: last seen 20 Feb 2025: in no population.
- a11, 13, F: four visits, but moved to adult care on 1 Feb 2026: out of February.
- i1, 12, Crohn disease: four visits, an FEV1 and four cultures, but not a CF patient: counted by no CF measure.

Populations in February: CF patients seen in the year are a1-a9 (9); aged 6-17: a1-a6 and a9 (7); aged 2-19: a1-a9
(9); aged 10 and older: a2-a7 (6), of whom a3 takes insulin (excluded from the OGTT measure: 5); aged 12 and older:
a3-a7 (5).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from lhn_desktop.access import Actor
from lhn_desktop.errors import LhnError, PermissionDenied, ValidationError
from lhn_desktop.services.facts import PatientFacts, fill
from lhn_desktop.services.measure_library import (
    build_clinical_data,
    count_month,
    load_library,
    measure_month,
    parse_library,
)
from lhn_desktop.services.measures import MeasureService
from lhn_desktop.store.database import Database

FEBRUARY = (date(2026, 2, 1), date(2026, 2, 28))
CF = "Cystic fibrosis"


def _center():
    people = [
        PatientFacts("a1", date(2017, 6, 1), CF, date(2017, 7, 1), sex="female"),
        PatientFacts("a2", date(2015, 5, 1), CF, date(2015, 6, 1), sex="male"),
        PatientFacts("a3", date(2013, 9, 1), CF, date(2013, 10, 1), sex="female"),
        PatientFacts("a4", date(2011, 10, 10), CF, date(2011, 11, 1), sex="male"),
        PatientFacts("a5", date(2009, 7, 7), CF, date(2009, 8, 1), sex="female"),
        PatientFacts("a6", date(2008, 3, 3), CF, date(2008, 4, 1), sex="male"),
        PatientFacts("a7", date(2007, 8, 8), CF, date(2007, 9, 1), sex="female"),
        PatientFacts("a8", date(2020, 6, 6), CF, date(2020, 7, 1), sex="male"),
        PatientFacts("a9", date(2016, 11, 11), CF, date(2016, 12, 1), sex="female"),
        PatientFacts("a10", date(2014, 12, 12), CF, date(2015, 1, 1), sex="male"),
        PatientFacts("a11", date(2012, 12, 12), CF, date(2013, 1, 1), inactive_from=date(2026, 2, 1), sex="female"),
        PatientFacts("i1", date(2013, 5, 5), "Crohn disease", date(2020, 1, 1), sex="male"),
    ]
    seen = {
        "a1": [date(2025, 3, 10), date(2025, 6, 10), date(2025, 9, 10), date(2025, 12, 10)],
        "a2": [date(2025, 5, 10), date(2025, 8, 10), date(2025, 11, 10)],
        "a3": [date(2025, 3, 15), date(2025, 6, 1), date(2025, 9, 1), date(2026, 1, 15)],
        "a4": [date(2025, 4, 10), date(2026, 1, 20)],
        "a5": [date(2026, 2, 10)],
        "a6": [date(2025, 7, 1)],
        "a7": [date(2025, 8, 1)],
        "a8": [date(2025, 10, 1)],
        "a9": [date(2025, 11, 11)],
        "a10": [date(2025, 2, 20)],
        "a11": [date(2025, 3, 1), date(2025, 6, 1), date(2025, 9, 1), date(2025, 12, 1)],
        "i1": [date(2025, 3, 1), date(2025, 6, 1), date(2025, 9, 1), date(2025, 12, 1)],
    }
    visits = [(f"{pid}-{on}", pid, on) for pid, days in seen.items() for on in days]
    observations = [
        ("a1", None, "FEV1", "90", date(2025, 3, 10)), ("a1", None, "FEV1", "95", date(2025, 9, 10)),
        ("a1", None, "HEIGHT", "130", date(2025, 12, 10)), ("a1", None, "WEIGHT", "30", date(2025, 12, 10)),
        ("a2", None, "FEV1", "80", date(2025, 5, 10)), ("a2", None, "FEV1", "85", date(2025, 11, 10)),
        ("a2", None, "OGTT", "120", date(2025, 10, 10)),
        ("a2", None, "HEIGHT", "135", date(2025, 5, 10)), ("a2", None, "WEIGHT", "35", date(2025, 5, 10)),
        ("a2", None, "HEIGHT", "140", date(2025, 11, 10)), ("a2", None, "WEIGHT", "30", date(2025, 11, 10)),
        ("a3", None, "FEV1", "100", date(2025, 9, 1)), ("a3", None, "PHQ9", "4", date(2025, 6, 1)),
        ("a3", None, "HEIGHT", "155", date(2026, 1, 15)), ("a3", None, "WEIGHT", "50", date(2026, 1, 15)),
        ("a4", None, "FEV1", "70", date(2025, 4, 10)), ("a4", None, "FEV1", "60", date(2026, 1, 20)),
        ("a4", None, "OGTT", "110", date(2025, 2, 28)), ("a4", None, "PHQ9", "2", date(2025, 4, 10)),
        ("a4", None, "HEIGHT", "160", date(2026, 1, 20)), ("a4", None, "WEIGHT", "49", date(2026, 1, 20)),
        ("a5", None, "OGTT", "130", date(2026, 1, 15)), ("a5", None, "GAD7", "3", date(2026, 2, 10)),
        ("a6", None, "FEV1", "110", date(2025, 7, 1)),
        ("a7", None, "FEV1", "50", date(2025, 8, 1)), ("a7", None, "OGTT", "100", date(2025, 8, 1)),
        ("a7", None, "PHQ9", "1", date(2025, 2, 1)), ("a7", None, "GAD7", "1", date(2025, 8, 1)),
        ("a8", None, "FEV1", "99", date(2025, 10, 1)),
        ("a8", None, "HEIGHT", "110", date(2025, 10, 1)), ("a8", None, "WEIGHT", "20", date(2025, 10, 1)),
        ("a9", None, "FEV1", "88", date(2025, 2, 28)),
        ("a11", None, "FEV1", "75", date(2025, 9, 1)),
        ("i1", None, "FEV1", "90", date(2025, 9, 1)),
    ]  # fmt: skip
    for pid in ("a1", "a11", "i1"):
        observations += [(pid, None, "RESP_CULTURE", "no growth", on) for on in seen[pid]]
    observations += [("a2", None, "RESP_CULTURE", "no growth", on) for on in seen["a2"]]
    observations += [("a3", None, "RESP_CULTURE", "P. aeruginosa", on) for on in seen["a3"][:3]]
    observations.append(("a3", None, "RESP_CULTURE", "S. aureus", date(2025, 6, 1)))  # a second one that day
    medications = [("a3", "insulin", "insulin", None, date(2024, 1, 1), None)]
    events = [
        ("a3", "GAD-7", date(2025, 6, 1), "done"),
        ("a5", "PHQ-9", date(2026, 2, 10), "done"),
    ]
    facts = fill(people, visits=visits, observations=observations, medications=medications, events=events)
    return build_clinical_data(facts)


@pytest.fixture(scope="module")
def center():
    return _center()


def _count(code: str, data) -> tuple[int, int]:
    spec = load_library().get(code)
    assert spec is not None
    return count_month(spec, data, *FEBRUARY)


def test_median_fev1_is_the_median_of_each_patients_best_in_the_year(center):
    spec = load_library().get("cf_fev1_median")
    assert spec is not None and spec.kind == "continuous" and spec.chart == "i"
    # values: a1 95 (best of 90, 95), a2 85, a3 100, a4 70 (best of 70, 60), a6 110; a5 has none, a9's is a day
    # outside the year; a7 (18) and a8 (5) are outside the ages; a11 moved on; i1 is not a CF patient
    assert measure_month(spec, center, *FEBRUARY) == (5, 7, 95.0)


def test_bmi_at_or_above_the_50th_percentile(center):
    # a1 (z +0.73), a3 (+0.76) and a8 (+0.83); a2's latest is below (-0.92), a4 just below (-0.07); no BMI for
    # a5, a6, a7, a9
    assert _count("cf_bmi_50th", center) == (3, 9)


def test_four_visits_and_four_cultures_a_year(center):
    assert _count("cf_four_visits", center) == (2, 9)  # a1 and a3; a11 has four but has moved on
    assert _count("cf_four_cultures", center) == (1, 9)  # a1; a3's four cultures fall on three days, a2 has three


def test_yearly_ogtt_from_age_10_leaves_out_patients_with_cf_related_diabetes(center):
    # a2, a5, a7 had one; a4's was a day outside the year; a6 had none; a3 takes insulin and is excluded
    assert _count("cf_ogtt", center) == (3, 5)
    spec = load_library().get("cf_ogtt")
    assert spec is not None and spec.exclusions[0].reason.startswith("Has CF-related diabetes")


def test_phq9_and_gad7_from_age_12_count_a_score_or_a_screening(center):
    # a3 (PHQ-9 score, GAD-7 screening) and a5 (PHQ-9 screening, GAD-7 score); a4 only the PHQ-9; a7's PHQ-9 was
    # outside the year; a6 none
    assert _count("cf_mental_health_screening", center) == (2, 5)


def test_the_ibd_measures_count_only_ibd_patients(center):
    # of the whole center, only i1 has IBD: the CF patients' visits are no IBD measure's concern
    assert _count("remission_pga", center) == (0, 1)  # i1 was seen, with no PGA recorded
    assert _count("visit_200d", center) == (1, 1)


def test_a_continuous_month_with_too_few_values_is_not_reported_and_never_a_zero(center):
    spec = load_library().get("cf_fev1_median")
    assert spec is not None and spec.min_values == 5
    # 31 August 2025: seen in the year and aged 6-17 were a1, a2, a3, a4, a6, a10 (seen 20 Feb 2025) and a11 (not yet
    # moved on); a7 turned 18 on 8 August. Their values: a1 90, a2 80, a4 70, a6 110; a3's and a11's came in
    # September. Four values: a median of 85, which the chart shows as too few (fewer than 5; see the chart test)
    assert measure_month(spec, center, date(2025, 8, 1), date(2025, 8, 31)) == (4, 7, 85.0)
    # 30 April 2025: a1 90 and a4 70 of a1, a3, a4, a10 and a11
    assert measure_month(spec, center, date(2025, 4, 1), date(2025, 4, 30)) == (2, 5, 80.0)
    # a month with no value at all has no median, not 0
    assert measure_month(spec, center, date(2024, 1, 1), date(2024, 1, 31))[2] is None


def _library(**measure) -> str:
    base = {
        "code": "median_fev1", "version": 1, "title": "Median FEV1", "kind": "continuous", "chart": "i",
        "direction": "up", "population": {"kind": "active_patients"},
        "value": {"kind": "value_of", "code": "FEV1"}, "statistic": "median", "unit": "FEV1 % predicted",
        "numerator_text": "The median FEV1", "denominator_text": "Active patients",
    }  # fmt: skip
    base.update(measure)
    return json.dumps({"library": "test", "version": 1, "measures": [base]})


def test_a_mean_over_the_latest_values(center):
    spec = parse_library(
        _library(statistic="mean", lookback_days=365, population={"kind": "patients_seen", "lookback_days": 365,
                 "diagnoses": [CF], "min_age": 6, "max_age": 17}, value={"kind": "value_of", "code": "FEV1"})
    ).measures[0]  # fmt: skip
    # the latest values: a1 95, a2 85, a3 100, a4 60, a6 110 -> mean 90
    assert measure_month(spec, center, *FEBRUARY) == (5, 7, 90.0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"value": None}, "a continuous measure needs 'value'"),
        ({"unit": None, "statistic": None}, "needs 'statistic' and 'unit'"),
        ({"numerator": {"kind": "seen_within", "days": 30}}, "not a 'numerator'"),
        ({"chart": "p"}, "charted as 'i' or 'run'"),
        ({"population": {"kind": "visits_in_month"}}, "summarises patients"),
        ({"kind": "proportion", "numerator": {"kind": "seen_within", "days": 30}}, "belong to continuous measures"),
        ({"adjustable": [{"name": "x_1", "label": "Threshold", "path": "value.code", "lowest": 0, "highest": 1}]},
         "does not name a number"),
    ],
)  # fmt: skip
def test_a_mistaken_continuous_definition_is_refused_with_what_to_fix(change, message):
    with pytest.raises(LhnError, match=message) as caught:
        parse_library(_without(change))
    assert "median_fev1" in str(caught.value)


def _without(change: dict) -> str:
    data = json.loads(_library())
    for key, value in change.items():
        if value is None:
            del data["measures"][0][key]
        else:
            data["measures"][0][key] = value
    return json.dumps(data)


# -- at the center: the chart and the thresholds it may set ---------------------------------------------------


@pytest.fixture
def measures(db: Database) -> MeasureService:
    service = MeasureService(db, today=lambda: date(2026, 3, 5))
    service.install_library(Actor.workstation())
    return service


def test_the_chart_of_a_continuous_measure_shows_too_few_as_a_gap(measures: MeasureService, admin: Actor):
    months = ["2025-09", "2025-10", "2025-11", "2025-12", "2026-01", "2026-02"]
    entered = {"2025-09": (6, 8, 91.5), "2025-10": (7, 8, 93.0), "2025-11": (4, 8, 70.0), "2025-12": (6, 9, 94.0),
               "2026-01": (5, 9, 92.25), "2026-02": (6, 9, 95.0)}  # fmt: skip
    for month in months:
        numerator, denominator, value = entered[month]
        measures.enter_value(admin, "cf_fev1_median", month, numerator, denominator, value)
    chart = measures.chart("cf_fev1_median")
    assert chart.measure.continuous and chart.measure.unit == "FEV1 % predicted" and not chart.measure.percent
    assert [p.y for p in chart.result.points] == [91.5, 93.0, None, 94.0, 92.25, 95.0]  # November: 4 readings
    assert [chart.reported(v) for v in chart.values] == [True, True, False, True, True, True]
    assert chart.result.points[0].cl == pytest.approx(93.15)  # an I chart's centre: the mean of the reported months
    assert chart.spec.marks.y_label == "FEV1 % predicted"
    assert "among" in chart.spec.marks.subtitle
    assert "\n2025-11,4,8,entered,,1," in "\n" + measures.chart_csv("cf_fev1_median")


def test_entering_a_continuous_month_checks_the_value_and_the_counts(measures: MeasureService, admin: Actor):
    with pytest.raises(ValidationError, match="enter the month's value .FEV1 % predicted. as well"):
        measures.enter_value(admin, "cf_fev1_median", "2026-01", 5, 9)
    with pytest.raises(ValidationError, match="covers 10 patients, more than the 9"):
        measures.enter_value(admin, "cf_fev1_median", "2026-01", 10, 9, 90.0)
    with pytest.raises(ValidationError, match="how many patients the value covers"):
        measures.enter_value(admin, "cf_fev1_median", "2026-01", 0, 9, 90.0)
    with pytest.raises(ValidationError, match="count of patients or visits"):
        measures.enter_value(admin, "cf_four_visits", "2026-01", 5, 9, 90.0)
    assert measures.values("cf_fev1_median") == []  # nothing was written
    stored = measures.enter_value(admin, "cf_fev1_median", "2026-01", 5, 9, 91.256)
    assert stored.value == 91.26 and measures.values("cf_fev1_median")[0].value == 91.26


def test_a_center_sets_its_own_threshold_where_the_network_has_none_public(measures: MeasureService, admin: Actor):
    assert measures.thresholds("remission_pga") == []  # the network's own definition: nothing to set
    (height,) = measures.thresholds("satisfactory_growth")
    assert (height.label, height.default, height.value, height.in_use) == (
        "Height-for-age z-score at least", -1.0, None, -1.0)  # fmt: skip
    with pytest.raises(ValidationError, match="from -2.5 to 0; -3 is outside"):
        measures.set_threshold(admin, "satisfactory_growth", "height_z", -3.0, "Our network's rule")
    with pytest.raises(ValidationError, match="Say why"):
        measures.set_threshold(admin, "satisfactory_growth", "height_z", -1.5, " ")
    with pytest.raises(ValidationError, match="whole number"):
        measures.set_threshold(admin, "sustained_remission", "min_visits", 2.5, "Two visits a year")
    with pytest.raises(LhnError, match="no threshold 'weight_z' a center may set. Its thresholds: height_z[.]"):
        measures.set_threshold(admin, "satisfactory_growth", "weight_z", -1.5, "Our network's rule")
    partner = Actor("p1", "Pat Partner", _partner_role())
    with pytest.raises(PermissionDenied):
        measures.set_threshold(partner, "satisfactory_growth", "height_z", -1.5, "Our network's rule")
    own = measures.set_threshold(admin, "satisfactory_growth", "height_z", -1.5, "the network's definition as sent")
    assert (own.value, own.in_use) == (-1.5, -1.5)
    (again,) = measures.thresholds("satisfactory_growth")
    assert (again.value, again.reason) == (-1.5, "the network's definition as sent")
    back = measures.set_threshold(admin, "satisfactory_growth", "height_z", None)
    assert back.value is None and measures.thresholds("satisfactory_growth")[0].value is None


def _partner_role():
    from lhn_desktop.models.team import Role

    return next(r for r in Role if not r.sees_patient_data)


def test_values_counted_with_a_centers_threshold_say_so(demo_db: Database, admin: Actor):
    from tests.conftest import DEMO_TODAY

    service = MeasureService(demo_db, today=lambda: DEMO_TODAY)
    service.compute(admin, months=3)
    before = service.values("satisfactory_growth")[-3:]
    service.set_threshold(admin, "satisfactory_growth", "height_z", -2.5, "a looser rule for this audit")
    service.compute(admin, months=3)
    after = service.values("satisfactory_growth")[-3:]
    assert all(v.source == "adjusted" for v in after) and all(v.source == "computed" for v in before)
    assert all(
        a.denominator == b.denominator and a.numerator >= b.numerator for a, b in zip(after, before, strict=True)
    )
    assert sum(a.numerator for a in after) > sum(b.numerator for b in before)  # z from -2.5 to -1 now counts
    chart = service.chart("satisfactory_growth")
    assert [t.in_use for t in chart.own_thresholds] == [-2.5]
    assert service.values("remission_pga")[-1].source == "computed"  # other measures keep the library's rules
