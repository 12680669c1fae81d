"""Funnel plot limits (Spiegelhalter 2005, exact binomial with interpolation), against examples worked by hand."""

from __future__ import annotations

import math

import pytest

from lhn_desktop.spc import funnel


def test_the_limits_of_four_patients_around_a_quarter_worked_by_hand():
    # Binomial(4, 0.25): P(R<=r) = 0.31640625, 0.73828125, 0.94921875, 0.99609375, 1.
    # Upper 95% (p = 0.975): r_p = 3; alpha = (0.99609375 - 0.975) / (0.99609375 - 0.94921875) = 0.45;
    # limit (3 - 0.45) / 4 = 0.6375. Lower (p = 0.025): r_p = 0, alpha = 0.92..., (0 - 0.92) / 4 < 0, kept at 0.
    assert funnel.binomial_limit(4, 0.25, 0.975) == pytest.approx(0.6375)
    assert funnel.binomial_limit(4, 0.25, 0.025) == 0.0


def test_the_limits_of_four_patients_around_a_half_worked_by_hand():
    # Binomial(4, 0.5): P(R<=r) = 1/16, 5/16, 11/16, 15/16, 1.
    # 95% upper: r_p = 4, alpha = (1 - 0.975) / (1 - 15/16) = 0.4, (4 - 0.4) / 4 = 0.9.
    # 99.8% upper: r_p = 4, alpha = 0.001 / 0.0625 = 0.016, (4 - 0.016) / 4 = 0.996.
    limits = funnel.limits(4, 0.5)
    assert limits.limits["95"] == pytest.approx((0.0, 0.9))
    assert limits.limits["99.8"] == pytest.approx((0.0, 0.996))
    assert limits.outside(1.0) == "above" and limits.outside(0.5) is None


def test_large_units_meet_the_normal_approximation():
    # n = 1000 around 0.83: 0.83 +/- 1.96 * sqrt(0.83 * 0.17 / 1000) = 0.83 +/- 0.02328
    low, high = funnel.limits(1000, 0.83).limits["95"]
    half = 1.96 * math.sqrt(0.83 * 0.17 / 1000)
    assert low == pytest.approx(0.83 - half, abs=0.001) and high == pytest.approx(0.83 + half, abs=0.001)
    low, high = funnel.limits(1000, 0.83).limits["99.8"]
    half = 3.09 * math.sqrt(0.83 * 0.17 / 1000)
    assert low == pytest.approx(0.83 - half, abs=0.0015) and high == pytest.approx(0.83 + half, abs=0.0015)


def test_the_funnel_narrows_as_units_grow_and_stays_between_0_and_1():
    steps = funnel.curve(0.6, 500)
    widths = [s.limits["99.8"][1] - s.limits["99.8"][0] for s in steps]
    assert steps[0].n == 1 and steps[-1].n == 500
    assert widths[-1] < widths[len(widths) // 2] < widths[5]
    assert all(0.0 <= lo <= hi <= 1.0 for s in steps for lo, hi in s.limits.values())


def test_a_funnel_needs_a_denominator_and_a_proportion():
    with pytest.raises(ValueError, match="at least 1"):
        funnel.limits(0, 0.5)
    with pytest.raises(ValueError, match="proportion"):
        funnel.binomial_limit(10, 1.5, 0.975)
    assert funnel.limits(10, 0.0).limits["95"] == (0.0, 0.0)  # nobody anywhere: nothing else is expected
    assert funnel.limits(10, 1.0).limits["95"][1] == 1.0
