"""The SPC analysis, case by case from SPC.md: numbers worked by hand, rules, refusals and the JSON contract."""

from __future__ import annotations

import math

import pytest

from lhn_desktop.spc import SpcInput, SpcInputError, SpcOptions, analyze, rmath
from lhn_desktop.spc.analysis import category_key
from lhn_desktop.spc.contract import loads, parse_request, result_to_json
from lhn_desktop.spc.rules import anhoej, crossings_limit, ihi, longest_run_limit, western_electric


def run(chart: str, y, **kwargs):
    options = kwargs.pop("options", {})
    return analyze(SpcInput(chart=chart, y=tuple(y), options=SpcOptions(**options), **kwargs))


# -- R arithmetic ---------------------------------------------------------------------------------------------


def test_mean_is_correctly_rounded_like_r():
    assert rmath.mean([0.1] * 10) == 0.1
    assert sum([0.1] * 10) / 10 != 0.1  # the trap SPC.md section 8 warns about
    assert math.isnan(rmath.mean([math.nan, math.nan]))
    assert rmath.mean([1.0, math.nan, 3.0]) == 2.0


def test_median_sd_and_division_follow_r():
    assert rmath.median([4.0, 1.0, 3.0, 2.0]) == 2.5
    assert math.isnan(rmath.median([]))
    assert rmath.sd([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]) == pytest.approx(2.138089935, rel=1e-9)
    assert math.isnan(rmath.sd([3.0]))
    assert math.isnan(rmath.sd_strict([1.0, math.nan, 2.0]))
    assert rmath.div(3.0, 0.0) == math.inf
    assert math.isnan(rmath.div(0.0, 0.0))
    assert math.isnan(rmath.sqrt(-1.0))
    assert math.isnan(rmath.power(-8.0, 1 / 3.6))


# SPC.md section 5: (n, longest run max, crossings min), including the values below 10.
CRITICAL = {
    2: (4, 0),
    3: (5, 0),
    5: (5, 0),
    6: (6, 1),
    8: (6, 1),
    9: (6, 2),
    10: (6, 2),
    11: (6, 2),
    12: (7, 3),
    14: (7, 4),
    17: (7, 5),
    19: (7, 6),
    22: (7, 7),
    23: (8, 7),
    24: (8, 8),
    27: (8, 9),
    29: (8, 10),
    31: (8, 11),
    34: (8, 12),
    36: (8, 13),
    38: (8, 14),
    41: (8, 15),
    43: (8, 16),
    45: (8, 17),
    46: (9, 17),
    48: (9, 18),
    50: (9, 19),
    52: (9, 20),
    54: (9, 21),
    56: (9, 21),
    57: (9, 22),
    59: (9, 23),
    60: (9, 23),
}


@pytest.mark.parametrize("n", sorted(CRITICAL))
def test_anhoej_critical_values_match_the_published_table(n):
    assert (longest_run_limit(n), crossings_limit(n)) == CRITICAL[n]


def test_exact_constants_not_table_values():
    assert rmath.a3(5, 3) == pytest.approx(1.4273, abs=5e-5)
    assert rmath.b4(5, 3) == pytest.approx(2.0890, abs=5e-5)
    assert rmath.b3(5, 3) == 0.0
    assert rmath.b3(6, 3) > 0
    assert math.isnan(rmath.a3(1, 3)) and math.isnan(rmath.c4(0))


# -- runs analysis ----------------------------------------------------------------------------------------------


def test_a_point_on_the_centre_line_neither_breaks_nor_extends_a_run():
    analysis = anhoej([2.0, 1.0, 2.0], 1.0)  # + 0 +
    assert (analysis.n_useful, analysis.longest_run, analysis.n_crossings) == (2, 2, 0)


def test_repeated_tenths_are_all_on_the_centre_line():
    result = run("run", [0.1] * 10)
    assert result.summary[0].n_useful == 0
    assert result.summary[0].runs_signal is False
    assert result.summary[0].longest_run is None


def test_a_long_run_is_a_signal_and_marks_every_point_of_the_part():
    y = [1, 2, 1, 2, 1, 2, 1, 2, 9, 9, 9, 9, 9, 9, 9, 9]  # eight above the median in a row at the end
    result = run("run", y)
    summary = result.summary[0]
    assert summary.longest_run == 8 and summary.longest_run_max == 7
    assert summary.runs_signal and all(p.runs_signal for p in result.points)


def test_single_point_has_its_own_value_as_centre_and_no_signal():
    result = run("run", [7])
    assert result.points[0].cl == 7 and result.summary[0].n_useful == 0
    assert run("i", [7]).points[0].ucl is None


def test_categorical_x_never_raises_a_runs_signal_but_still_counts():
    y = [1, 1, 1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9, 9, 9]
    labels = tuple(f"ward {chr(97 + k)}" for k in range(16))
    result = run("run", y, x=labels)
    assert result.dots_only
    assert result.summary[0].longest_run == 8
    assert not result.summary[0].runs_signal and not any(p.runs_signal for p in result.points)
    assert not result.ihi[0].shift


def test_mr_chart_never_raises_a_runs_signal():
    result = run("mr", [1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 1, 9, 1, 9])
    assert result.points[0].y is None
    assert not any(p.runs_signal for p in result.points)


# -- centre lines and limits, by hand ---------------------------------------------------------------------------


def test_i_chart_limits_by_hand():
    # mean 5; moving ranges 2, 2, 2 -> AMR 2 -> sigma 2/1.128
    result = run("i", [4, 6, 4, 6], options={"screened_mr": False})
    point = result.points[0]
    sigma = 2 / 1.128
    assert point.cl == 5
    assert point.ucl == pytest.approx(5 + 3 * sigma, rel=1e-12)
    assert point.lcl_95 == pytest.approx(5 - 2 * sigma, rel=1e-12)


def test_i_chart_all_equal_has_no_limits_when_screened_and_flat_limits_when_not():
    assert run("i", [5] * 8).points[0].ucl is None
    flat = run("i", [5] * 8, options={"screened_mr": False}).points[0]
    assert flat.lcl == flat.ucl == flat.cl == 5


def test_screening_drops_a_large_moving_range():
    y = [2, 4, 3, 5, 4, 6, 5, 30, 6, 5, 7, 6, 8, 7, 6, 5]
    screened = run("i", y).points[0]
    unscreened = run("i", y, options={"screened_mr": False}).points[0]
    assert screened.ucl < unscreened.ucl


def test_p_chart_limits_by_hand_and_zero_denominator():
    result = run("p", [5, 0, 10], n=(50, 0, 50))
    first, empty = result.points[0], result.points[1]
    cl = 15 / 100
    assert first.cl == pytest.approx(cl)
    assert first.ucl == pytest.approx(cl + 3 * math.sqrt(cl * (1 - cl) / 50))
    assert first.lcl == 0.0  # clipped
    assert empty.y is None and empty.n == 0 and empty.ucl is None
    assert first.numerator == 5


def test_missing_numerator_or_denominator_makes_both_missing():
    result = run("p", [5, None, 10], n=(50, 40, None))
    assert [p.n for p in result.points] == [50, 0, 0]
    assert result.points[1].y is None and result.points[2].y is None
    # all three count as observations; the one value left is the centre line itself, so none is useful
    assert result.summary[0].n_obs == 3 and result.summary[0].n_useful == 0


def test_c_and_u_chart_by_hand():
    c = run("c", [4, 9, 2]).points[0]
    assert c.cl == 5 and c.ucl == pytest.approx(5 + 3 * math.sqrt(5)) and c.lcl == 0
    u = run("u", [3, 6], n=(10, 20)).points[0]
    assert u.cl == pytest.approx(0.3) and u.ucl == pytest.approx(0.3 + 3 * math.sqrt(0.3 / 10))


def test_g_chart_plots_the_median_and_uses_the_mean_for_limits():
    y = [1, 2, 3, 10]  # mean 4, median 2.5
    point = run("g", y).points[0]
    assert point.cl == 2.5
    assert point.ucl == pytest.approx(4 + 3 * math.sqrt(4 * 5))
    given = run("g", y, options={"cl": 10}).points[0]
    assert given.cl == pytest.approx(6.93) and given.ucl == pytest.approx(10 + 3 * math.sqrt(110))


def test_t_chart_round_trips_y_and_sets_a_missing_lower_limit_to_zero():
    result = run("t", [12.5, 30, 4, 18, 22, 9, 40, 15, 11, 27])
    assert result.points[0].y == pytest.approx(12.5, rel=1e-12)
    assert all(p.lcl is not None and p.lcl >= 0 for p in result.points)


def test_xbar_subgroup_of_one_has_no_limits_and_makes_sizes_variable():
    x = (1, 1, 1, 2, 3, 3, 4, 4, 4, 4)
    y = (5, 6, 7, 4, 5, 8, 6, 5, 7, 6)
    result = run("xbar", y, x=x)
    single = result.points[1]
    assert single.y == 4 and single.ucl is None
    assert result.points[0].cl == pytest.approx(sum(y) / len(y))
    s_chart = run("s", y, x=x)
    assert s_chart.points[1].y is None


def test_unsorted_repeated_x_are_sorted_and_averaged_or_medianed():
    x = (5, 3, 1, 3, 2, 4, 1)
    y = (10, 12, 8, 14, 9, 11, 7)
    result = run("run", y, x=x)
    assert [p.x for p in result.points] == [1, 2, 3, 4, 5]
    assert [p.y for p in result.points] == [7.5, 9, 13, 11, 10]
    median = run("run", (1, 2, 10), x=(1, 1, 1), options={"agg_fun": "median"})
    assert median.points[0].y == 2


def test_dates_sort_as_time_and_count_as_numeric():
    import datetime as dt

    x = (dt.date(2024, 3, 1), dt.date(2024, 1, 1), dt.date(2024, 2, 1))
    result = run("run", (3, 1, 2), x=x)
    assert [p.y for p in result.points] == [1, 2, 3]
    assert not result.dots_only


def test_category_order_follows_locale_collation():
    labels = ["b", "A", "a", "B", "10", "2", "_x"]
    assert sorted(labels, key=category_key) == ["_x", "10", "2", "a", "A", "b", "B"]


def test_freeze_fixes_the_centre_from_the_baseline_only():
    result = run("run", [1, 2, 3, 4, 100, 200, 300], options={"freeze": 4})
    assert all(p.cl == 2.5 for p in result.points)
    assert [p.baseline for p in result.points] == [True] * 4 + [False] * 3
    assert result.summary[0].n_obs == 7  # the runs analysis covers the whole part


def test_parts_each_get_their_own_centre_line_and_freeze_is_then_ignored():
    result = run("run", list(range(1, 13)), options={"part": (6,), "freeze": 3})
    assert {p.part for p in result.points} == {1, 2}
    assert result.points[0].cl == 3.5 and result.points[-1].cl == 9.5
    assert result.points[-1].baseline
    assert any("freeze is ignored" in note for note in result.notes)


def test_excluded_points_are_plotted_and_tested_but_not_used():
    y = [4, 5, 30, 6, 5, 4, 6, 5, 7, 5]
    result = run("i", y, options={"exclude": (3,)})
    assert result.points[2].include is False and result.points[2].y == 30
    assert result.points[0].cl == pytest.approx((sum(y) - 30) / 9)
    assert result.points[2].sigma_signal
    assert result.summary[0].n_obs == 9


def test_multiply_scales_values_and_limits_but_not_signals():
    plain = run("p", [8, 9, 7, 10], n=(20, 20, 20, 20))
    percent = run("p", [8, 9, 7, 10], n=(20, 20, 20, 20), options={"multiply": 100})
    assert percent.points[0].y == pytest.approx(plain.points[0].y * 100)
    assert percent.points[0].ucl == pytest.approx(plain.points[0].ucl * 100)
    assert percent.summary == plain.summary


def test_y_neg_false_clips_negative_lower_limits_when_all_values_are_positive():
    y = [1, 2, 1, 2, 1, 2, 1, 2]
    assert run("i", y).points[0].lcl < 0
    assert run("i", y, options={"y_neg": False}).points[0].lcl == 0


def test_a_fixed_centre_line_replaces_the_computed_one():
    result = run("i", [4, 6, 4, 6], options={"cl": 10})
    assert all(p.cl == 10 for p in result.points)
    assert result.summary[0].longest_run == 4


# -- IHI and Western Electric rules -----------------------------------------------------------------------------


def test_ihi_shift_skips_points_on_the_median():
    positions = list(range(1, 9))
    values = [5, 6, 6, 5, 6, 6, 6, 6]  # six above, with two on the median (5) skipped
    rules = ihi(positions, values, 5)
    assert rules.shift_points == [2, 3, 5, 6, 7, 8]
    assert rules.n_runs == 1
    assert ihi(positions, [5, 6, 6, 5, 6, 6, 6, 4], 5).shift_points == []


def test_ihi_trend_counts_points_and_repeated_values_once():
    assert ihi([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], 0).trend_points == [1, 2, 3, 4, 5]
    assert ihi([1, 2, 3, 4], [1, 2, 3, 4], 0).trend_points == []  # four points, three rises: not a trend
    tied = ihi([1, 2, 3, 4, 5, 6], [1, 2, 2, 3, 4, 5], 0)
    assert tied.trend_points == [1, 2, 3, 4, 5, 6]
    assert ihi([1, 2, 3, 4, 5, 6], [1, 2, 2, 3, 4, 3], 0).trend_points == []


def test_ihi_in_the_result_uses_included_points_of_each_part():
    y = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    result = run("run", y, options={"exclude": (3,)})
    assert 3 not in result.ihi[0].trend_points
    assert result.ihi[0].trend


def test_western_electric_rules_each_fire():
    positions = list(range(1, 11))
    sigma = [1.0] * 10
    assert western_electric(positions, [0, 0, 3.5, 0, 0, 0, 0, 0, 0, 0], 0, sigma).rule_1 == [3]
    assert western_electric(positions, [0, 2.5, 0, 2.5, 0, 0, 0, 0, 0, -1], 0, sigma).rule_2 == [2, 4]
    four_of_five = [0, 1.5, 1.5, -0.5, 1.5, 1.5, 0, 0, 0, 0]
    assert western_electric(positions, four_of_five, 0, sigma).rule_3 == [2, 3, 5, 6]
    eight = [0.5] * 8 + [-0.5, -0.5]
    assert western_electric(positions, eight, 0, sigma).rule_4 == list(range(1, 9))
    quiet = western_electric(positions, [0.5, -0.5] * 5, 0, sigma)
    assert not (quiet.rule_1 or quiet.rule_2 or quiet.rule_3 or quiet.rule_4)


def test_western_electric_is_an_option_for_control_charts():
    y = [5, 5, 6, 5, 4, 5, 6, 5, 5, 4, 5, 6, 14]
    result = run("i", y, options={"western_electric": True, "screened_mr": False})
    assert result.western_electric[0].rule_1 == [13]
    assert run("i", y).western_electric is None
    assert run("run", y, options={"western_electric": True}).western_electric == []


# -- refusals ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "words"),
    [
        ({"chart": "p", "y": [3, 5], "n": [10, 0]}, "position 2"),
        ({"chart": "t", "y": [3, 0, 2]}, "position 2"),
        ({"chart": "t", "y": [3, -1, 2]}, "position 2"),
        ({"chart": "bar", "y": [1]}, "Unknown chart type"),
        ({"chart": "run", "y": [1, 2], "x": [1]}, "x has 1 labels"),
        ({"chart": "p", "y": [1, 2], "n": [3]}, "n has 1"),
        ({"chart": "p", "y": [1, 2]}, "needs denominators"),
        ({"chart": "p", "y": [4, 2], "n": [3, 3]}, "position 1"),
        ({"chart": "c", "y": [4, -2]}, "position 2"),
        ({"chart": "u", "y": [4, 2], "n": [3, -3]}, "position 2"),
        ({"chart": "run", "y": []}, "empty"),
        ({"chart": "run", "y": [1, "two"]}, "position 2"),
        ({"chart": "run", "y": [1, True]}, "position 2"),
        ({"chart": "run", "y": [1, 2], "x": [1, "a"]}, "position 2"),
        ({"chart": "run", "y": [1, 2], "x": ["2024-01-01", "2024-02-30"]}, "position 2"),
        ({"chart": "run", "y": [1, 2], "x": [None, None]}, "missing"),
        ({"chart": "run", "y": [1, 2], "options": {"freeze": 0}}, "before the first point"),
        ({"chart": "run", "y": [1, 2], "options": {"part": [1.5]}}, "whole positions"),
        ({"chart": "run", "y": [1, 2], "options": {"exclude": [-1]}}, "before the first point"),
        ({"chart": "run", "y": [1, 2], "options": {"multiply": 0}}, "multiply"),
        ({"chart": "run", "y": [1, 2], "options": {"agg_fun": "max"}}, "agg_fun"),
        ({"chart": "run", "y": [1, 2], "options": {"freez": 1}}, "Unknown option 'freez'"),
        ({"chart": "run", "y": [1, 2], "options": {"y_neg": "no"}}, "true or false"),
        ({"chart": "run", "y": [1, 2], "colour": "red"}, "Unknown field 'colour'"),
        ({"y": [1, 2]}, "needs 'chart'"),
        ({"chart": "t", "y": [3, 3], "x": [1, 1], "options": {"agg_fun": "sd"}}, "Point 1"),
    ],
)
def test_refused_inputs_name_the_problem(request_, words):
    with pytest.raises(SpcInputError) as caught:
        analyze(parse_request(request_))
    assert words in str(caught.value)


def test_strict_json_refuses_nan_and_reports_where_it_breaks():
    with pytest.raises(SpcInputError, match="strict JSON"):
        loads('{"chart": "run", "y": [1, NaN]}')
    with pytest.raises(SpcInputError, match="line 1, column"):
        loads('{"chart": "run", "y": [1, }')


def test_positions_past_the_end_are_ignored_with_a_note_as_qicharts2_does():
    result = analyze(parse_request({"chart": "run", "y": [1, 2, 3], "options": {"freeze": 9, "exclude": [7]}}))
    assert all(p.baseline and p.include for p in result.points)
    assert len(result.notes) == 2


# -- the JSON contract ------------------------------------------------------------------------------------------


def test_result_json_has_exactly_the_contract_fields():
    result = result_to_json(analyze(parse_request({"chart": "run", "y": [12, 15, None, 9]})))
    assert set(result) == {"points", "summary", "ihi"}
    assert list(result["points"][0]) == [
        "xx", "x", "part", "baseline", "include", "y", "n", "cl", "lcl", "ucl", "lcl_95", "ucl_95",
        "runs_signal", "sigma_signal",
    ]  # fmt: skip
    assert list(result["summary"][0]) == [
        "part", "n_obs", "n_useful", "longest_run", "longest_run_max", "n_crossings", "n_crossings_min",
        "runs_signal", "sigma_signal",
    ]  # fmt: skip
    assert list(result["ihi"][0]) == ["part", "n_runs", "shift", "shift_points", "trend", "trend_points"]
    assert result["points"][2]["y"] is None and result["points"][0]["x"] == 1


def test_labels_come_back_as_given():
    result = result_to_json(analyze(parse_request({"chart": "run", "y": [1, 2], "x": ["2024-02-01", "2024-01-01"]})))
    assert [p["x"] for p in result["points"]] == ["2024-01-01", "2024-02-01"]
    result = result_to_json(analyze(parse_request({"chart": "run", "y": [1, 2], "x": ["Ward B", "Ward A"]})))
    assert [p["x"] for p in result["points"]] == ["Ward A", "Ward B"]
