"""GAS T-scores and collaboRATE scoring against examples worked by hand."""

from __future__ import annotations

import pytest

from lhn_desktop.services.scoring import (
    check_item,
    gas_reported,
    gas_t_score,
    summarize_collaborate,
)


def test_t_score_is_50_when_every_goal_is_met_as_expected():
    assert gas_t_score([0, 0, 0]) == 50


def test_unweighted_t_score_worked_example():
    # sum x = 2, n = 3: sqrt(0.7*3 + 0.3*9) = sqrt(4.8) = 2.190890; T = 50 + 20 / 2.190890
    assert gas_t_score([1, -1, 2]) == pytest.approx(59.128709, abs=1e-6)


def test_weighted_t_score_worked_example():
    # sum wx = 1 - 3 = -2; sum w^2 = 14; (sum w)^2 = 36; sqrt(0.7*14 + 0.3*36) = sqrt(20.6) = 4.538722
    assert gas_t_score([1, 0, -1], weights=[1, 2, 3]) == pytest.approx(45.593474, abs=1e-6)


def test_weights_of_one_give_the_unweighted_form():
    assert gas_t_score([2, -1, 0, 1], weights=[1, 1, 1, 1]) == gas_t_score([2, -1, 0, 1])


def test_one_goal_and_partial_progress():
    assert gas_t_score([-1]) == pytest.approx(40.0)
    assert gas_reported(-0.5) == -1
    # (-0.5, 0) is reported as (-1, 0): sqrt(0.7*2 + 0.3*4) = sqrt(2.6) = 1.612452; T = 50 - 10 / 1.612452
    assert gas_t_score([-0.5, 0]) == pytest.approx(43.798263, abs=1e-6)


@pytest.mark.parametrize(("scores", "weights"), [([], None), ([3], None), ([0.5], None), ([1, 0], [1]), ([1], [0])])
def test_t_score_refuses_what_cannot_be_scored(scores, weights):
    with pytest.raises(ValueError):
        gas_t_score(scores, weights)


def test_collaborate_top_box_and_mean_exclude_incomplete_responses():
    responses = [(9, 9, 9)] * 20 + [(9, 9, 8)] * 6 + [(9, None, 9), (None, None, None), (9, 9), (0, 0, None)]
    summary = summarize_collaborate(responses)
    assert (summary.responses, summary.complete, summary.top_box) == (30, 26, 20)
    assert summary.top_box_percent == pytest.approx(100 * 20 / 26)  # 76.9%
    # response means: 9 (x20) and 26/3 (x6): (180 + 52) / 26
    assert summary.mean == pytest.approx(232 / 26)
    assert summary.reported and summary.text.startswith("top box 77% · mean 8.9")


def test_fewer_than_25_complete_responses_are_not_reported():
    summary = summarize_collaborate([(9, 9, 9)] * 24 + [(9, None, 9)] * 10)
    assert not summary.reported
    assert summary.top_box_percent is None and summary.mean is None
    assert summary.text == "fewer than 25, not reported (24 complete)"
    assert summarize_collaborate([(9, 9, 9)] * 25).reported


@pytest.mark.parametrize("value", [-1, 10, 4.5, True, "9"])
def test_collaborate_answers_are_whole_numbers_0_to_9(value):
    with pytest.raises(ValueError):
        check_item(value)
    assert check_item(0) == 0 and check_item(None) is None
