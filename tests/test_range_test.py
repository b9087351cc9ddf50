"""The range test: the core's analysis from the math, and the torch runner's restore."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import lrsched as l
from lrsched.range_test import RangeTestResult


def _u_curve(n=100, best=1e-2):
    """A loss that falls, bottoms at `best` in log-LR, then climbs past 4x its minimum."""
    lrs = l.range_sweep(start_lr=1e-6, end_lr=10.0, num_steps=n - 1)(np.arange(n))
    x = np.log10(lrs) - math.log10(best)
    return lrs, 1.0 + x**2


def test_min_div_10_and_min_from_the_curve():
    lrs, losses = _u_curve()
    r = RangeTestResult(lrs=lrs, losses=losses, smoothing=0.0)
    i = int(np.argmin(losses))
    assert r.suggest("min") == (("min", lrs[i], i, "lowest smoothed loss"))
    assert r.suggest("min_div_10").lr == pytest.approx(lrs[i] / 10, rel=1e-15)
    assert r.cyclic_bounds() == (pytest.approx(lrs[i] / 10), lrs[i])
    assert r.cyclic_bounds(ratio=5)[0] == pytest.approx(lrs[i] / 5)


def test_steepest_is_where_the_loss_falls_fastest_in_log_lr():
    lrs = l.range_sweep(start_lr=1e-6, end_lr=1.0, num_steps=199)(np.arange(200))
    x = np.log10(lrs)
    losses = 2.0 - np.tanh(2 * (x + 3))  # falls fastest at log10(lr) = -3
    r = RangeTestResult(lrs=lrs, losses=losses, smoothing=0.0)
    assert r.suggest("steepest").lr == pytest.approx(1e-3, rel=0.05)


def test_smoothing_is_a_bias_corrected_ema():
    losses = np.array([4.0, 2.0, 3.0, 1.0])
    r = RangeTestResult(lrs=np.array([1e-3, 1e-2, 1e-1, 1.0]), losses=losses, smoothing=0.9)
    avg, expect = 0.0, []
    for i, loss in enumerate(losses):
        avg = 0.9 * avg + 0.1 * loss
        expect.append(avg / (1 - 0.9 ** (i + 1)))
    np.testing.assert_allclose(r.smoothed, expect, rtol=1e-15)
    assert r.smoothed[0] == 4.0  # bias correction: the first value is the first loss


def test_divergence_and_non_finite_losses():
    lrs, losses = _u_curve()
    r = RangeTestResult(lrs=lrs, losses=losses, smoothing=0.0, diverge=4.0)
    d = r.divergence_index
    assert losses[d] > 4.0 * losses[:d].min() and losses[d - 1] <= 4.0 * losses[: d - 1].min()
    nan = losses.copy()
    nan[30] = np.nan
    r = RangeTestResult(lrs=lrs, losses=nan)
    assert r.divergence_index == 30 and np.isnan(r.smoothed[30:]).all()
    # Suggestions only look before divergence: the NaN never becomes the minimum.
    assert r.suggest("min").step < 30


def test_negative_losses_diverge_sensibly():
    lrs, losses = _u_curve()
    r = RangeTestResult(lrs=lrs, losses=losses - 10.0, smoothing=0.0, diverge=1.5)
    d = r.divergence_index
    best = (losses - 10.0)[:d].min()
    assert d is not None and (losses - 10.0)[d] - best > 0.5 * abs(best)
    assert r.suggest("min").lr == RangeTestResult(lrs=lrs, losses=losses, smoothing=0.0).suggest("min").lr


def test_valley_follows_fastai_rule():
    lrs = np.geomspace(1e-5, 1, 50)
    losses = np.concatenate([np.linspace(3, 1, 30), np.linspace(1.05, 2, 20)])
    r = RangeTestResult(lrs=lrs, losses=losses, smoothing=0.0, diverge=10)
    # Longest descent: indices 0..29 (length 30, end 29, start 29 - 30 = -1), then
    # -1 + int(10) + int(5) = 14.
    assert r.suggest("valley") == ("valley", lrs[14], 14, "fastai valley: 2/3 down the longest descent")


@pytest.mark.parametrize(
    "losses, reason",
    [
        ([1.0, 2.0], "need >= 3"),
        ([np.nan, np.nan, np.nan, np.nan], "need >= 3"),
        ([2.0] * 20, "did not change"),
    ],
)
def test_no_suggestion_says_why(losses, reason):
    r = RangeTestResult(lrs=np.geomspace(1e-4, 1, len(losses)), losses=np.array(losses))
    for rule in ("steepest", "min", "min_div_10", "valley"):
        found = r.suggest(rule)
        assert found.lr is None and reason in found.reason
    with pytest.raises(ValueError, match="no cyclic bounds"):
        r.cyclic_bounds()


def test_rising_curve_has_no_steepest_descent():
    r = RangeTestResult(lrs=np.geomspace(1e-4, 1, 20), losses=np.linspace(1, 1.5, 20))
    assert r.suggest("steepest").lr is None and "never fell" in r.suggest("steepest").reason


def test_bad_records_are_rejected():
    with pytest.raises(ValueError, match="same length"):
        RangeTestResult(lrs=np.ones(3), losses=np.ones(2))
    with pytest.raises(ValueError, match="strictly increasing"):
        RangeTestResult(lrs=np.array([1.0, 0.5]), losses=np.ones(2))
    with pytest.raises(ValueError, match="smoothing"):
        RangeTestResult(lrs=np.ones(1), losses=np.ones(1), smoothing=1.0)
    with pytest.raises(ValueError, match="diverge"):
        RangeTestResult(lrs=np.ones(1), losses=np.ones(1), diverge=1.0)
    with pytest.raises(ValueError, match="rule"):
        RangeTestResult(lrs=np.ones(1), losses=np.ones(1)).suggest("best")


def test_json_and_csv_round_trip_with_nan_and_inf():
    lrs, losses = _u_curve(40)
    losses = losses.copy()
    losses[35], losses[36] = np.inf, np.nan
    r = RangeTestResult(lrs=lrs, losses=losses, stopped="non-finite loss at step 35")
    assert RangeTestResult.from_json(r.to_json()) == r
    assert RangeTestResult.from_csv(r.to_csv()) == r


@given(st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.floats(-1e300, 1e300)), max_size=60))
def test_any_curve_gives_a_suggestion_or_a_reason(losses):
    lrs = np.geomspace(1e-6, 10, max(len(losses), 1))[: len(losses)]
    r = RangeTestResult(lrs=lrs, losses=np.array(losses, dtype=float))
    for found in r.suggestions().values():
        assert (found.lr is None and found.reason) or (found.lr > 0 and math.isfinite(found.lr))
