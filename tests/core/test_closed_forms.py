"""Values from the math: closed forms of each policy and the seeds' worked examples."""

import math

import numpy as np
import pytest

import lrsched as l


def test_seed_004_three_phase_one_cycle():
    # Seed 004: 0.08 -> 0.8 over 41 epochs, back to 0.08 over 41, then 13 to 1/10th.
    s = l.one_cycle(
        max_lr=0.8,
        total_steps=95,
        pct_start=41 / 95,
        div_factor=10,
        final_div_factor=10,
        anneal="linear",
        three_phase=True,
    )
    assert [round(s(i), 6) for i in (0, 41, 82, 95, 200)] == [0.08, 0.8, 0.08, 0.008, 0.008]
    # Linear in between: halfway up, halfway down, halfway through annihilation.
    assert s(20.5) == pytest.approx(0.44, rel=1e-12)
    assert s(61.5) == pytest.approx(0.44, rel=1e-12)
    assert s(88.5) == pytest.approx(0.044, rel=1e-12)


def test_one_cycle_two_phase_cos():
    s = l.one_cycle(max_lr=1.0, total_steps=100, pct_start=0.25)
    initial, final = 1 / 25, 1 / 25 / 1e4
    assert s(0) == pytest.approx(initial, rel=1e-14)
    assert s(25) == pytest.approx(1.0, rel=1e-14)
    t = 10
    assert s(t) == pytest.approx(1.0 + (initial - 1.0) * (1 + math.cos(math.pi * t / 25)) / 2, rel=1e-14)
    t = 60
    f = (t - 25) / 75
    assert s(t) == pytest.approx(final + (1.0 - final) * (1 + math.cos(math.pi * f)) / 2, rel=1e-14)
    assert s(100) == pytest.approx(final, rel=1e-12) and s(10**9) == s(100)


def test_range_sweep_exp_reaches_end_with_ratio_q():
    s = l.range_sweep(start_lr=1e-7, end_lr=10.0, num_steps=100)
    q = (10.0 / 1e-7) ** (1 / 100)
    assert s.ratio == pytest.approx(q, rel=1e-15)
    lrs = s(np.arange(101))
    assert lrs[0] == 1e-7
    assert lrs[100] == pytest.approx(10.0, rel=1e-14)
    np.testing.assert_allclose(lrs[1:] / lrs[:-1], q, rtol=1e-12)
    np.testing.assert_allclose(lrs, 1e-7 * q ** np.arange(101), rtol=1e-12)
    assert s(500) == lrs[100]


def test_range_sweep_linear():
    s = l.range_sweep(start_lr=0.01, end_lr=1.0, num_steps=99, mode="linear")
    lrs = s(np.arange(100))
    np.testing.assert_allclose(np.diff(lrs), 0.01, rtol=1e-12)
    assert lrs[-1] == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("mode", ["triangular", "triangular2", "exp_range"])
def test_cyclic_formula(mode):
    base, peak, up, down, gamma = 0.001, 0.006, 4, 6, 0.99
    s = l.cyclic(
        base_lr=base,
        max_lr=peak,
        step_size_up=up,
        step_size_down=down,
        mode=mode,
        gamma=gamma if mode == "exp_range" else 1.0,
    )
    for t in range(0, 60):
        k, p = divmod(t, up + down)
        rise = p / up if p <= up else (up + down - p) / down
        scale = {"triangular": 1.0, "triangular2": 0.5**k, "exp_range": gamma**t}[mode]
        assert s(t) == pytest.approx(base + (peak - base) * rise * scale, rel=1e-13)


def test_cyclic_symmetric_default_and_peaks():
    s = l.cyclic(base_lr=0.1, max_lr=1.0, step_size_up=5)
    assert [s(t) for t in (0, 5, 10, 15, 20)] == [0.1, 1.0, 0.1, 1.0, 0.1]


@pytest.mark.parametrize("mult", [1, 2, 3])
def test_cosine_restarts_formula(mult):
    s = l.cosine_restarts(max_lr=1.0, first_cycle_steps=10, min_lr=0.1, cycle_mult=mult, peak_decay=0.5)
    start, length, i = 0, 10, 0
    for t in range(300):
        while t >= start + length:
            start, length, i = start + length, length * mult, i + 1
        expect = 0.1 + 0.9 * 0.5**i * (1 + math.cos(math.pi * (t - start) / length)) / 2
        assert s(t) == pytest.approx(expect, rel=1e-13), t


def test_cosine_decay_and_constant_after():
    s = l.cosine_decay(initial_lr=0.5, decay_steps=20, final_lr=0.05)
    for t in range(0, 40):
        c = min(t, 20)
        assert s(t) == pytest.approx(0.05 + 0.45 * (1 + math.cos(math.pi * c / 20)) / 2, rel=1e-14)


def test_step_multi_step_exponential_constant():
    assert [l.step_decay(initial_lr=1.0, drop=0.5, every=3)(t) for t in (0, 2, 3, 5, 6, 9)] == pytest.approx(
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.125], rel=1e-15
    )
    m = l.multi_step(initial_lr=1.0, milestones=[2, 5, 5], gamma=0.1)  # 5 twice: gamma twice
    assert [m(t) for t in (0, 1, 2, 4)] == [1.0, 1.0, 0.1, 0.1]
    assert m(5) == pytest.approx(1e-3, rel=1e-15)
    # Seed 000: x0.97 after each epoch.
    e = l.exponential(initial_lr=0.01, gamma=0.97)
    for epoch in range(100):
        assert e(epoch) == pytest.approx(0.01 * 0.97**epoch, rel=1e-13)
    assert l.constant(lr=0.3)(12345) == 0.3


def test_warmup_shapes():
    inner = l.cosine_decay(initial_lr=1.0, decay_steps=100)
    lin = l.warmup(schedule=inner, steps=10)
    assert [lin(t) for t in (0, 5, 10)] == [0.0, 0.5, 1.0]
    assert lin(60) == pytest.approx(inner(50), rel=1e-15)
    exp = l.warmup(schedule=inner, steps=4, start_lr=1e-4, shape="exp")
    np.testing.assert_allclose([exp(t) for t in range(5)], [1e-4, 1e-3, 1e-2, 1e-1, 1.0], rtol=1e-12)
    const = l.warmup(schedule=inner, steps=5, start_lr=0.1, shape="constant")
    assert [const(t) for t in (0, 4.99, 5)] == [0.1, 0.1, 1.0]
    assert const.breakpoints(100) == (5,)


def test_join_runs_each_from_its_own_zero():
    a = l.constant(lr=0.5)
    b = l.cosine_decay(initial_lr=0.5, decay_steps=10)
    s = l.join(schedules=[a, b], boundaries=[20])
    assert s(19.9) == 0.5 and s(20) == 0.5
    assert s(25) == pytest.approx(b(5), rel=1e-15)
    assert s(1000) == pytest.approx(0.0, abs=1e-18)


def test_inverse_momentum_one_cycle_and_cyclic():
    s = l.one_cycle(
        max_lr=0.8,
        total_steps=95,
        pct_start=41 / 95,
        div_factor=10,
        final_div_factor=10,
        anneal="linear",
        three_phase=True,
    )
    m = l.inverse_momentum(schedule=s, base_momentum=0.85, max_momentum=0.95)
    assert m(0) == pytest.approx(0.95) and m(41) == pytest.approx(0.85) and m(82) == pytest.approx(0.95)
    assert m(90) == pytest.approx(0.95) and m(20.5) == pytest.approx(0.90)
    c = l.cyclic(base_lr=0.1, max_lr=1.0, step_size_up=4)
    mc = l.inverse_momentum(schedule=c, base_momentum=0.8, max_momentum=0.9)
    for t in range(30):
        frac = (c(t) - 0.1) / 0.9
        assert mc(t) == pytest.approx(0.9 - 0.1 * frac, rel=1e-13)


def test_cosine_restarts_cycle_index_at_large_steps():
    # Exact integer cycle starts for cycle_mult=2: s_i = T0 * (2**i - 1).
    s = l.cosine_restarts(max_lr=1.0, first_cycle_steps=7, cycle_mult=2)
    for i in (20, 30, 40, 49):
        start = 7 * (2**i - 1)
        assert s(start) == 1.0  # a restart: exactly the peak
        assert s(start - 1) < 1e-6  # the end of the previous cycle
    big = 2**53 - 1
    assert 0.0 <= s(big) <= 1.0


def test_exp_range_bound_holds_at_its_own_peak():
    # The top of exp_range's first rise, computed as the schedule computes it: a decimal
    # step_size_up put the value one ulp above the declared bound (gamma**t vs exp(t log gamma)).
    s = l.cyclic(base_lr=1.0, max_lr=2.0, step_size_up=21.6, mode="exp_range", gamma=0.9812406424137488)
    low, high = s.bounds
    steps = np.linspace(0.0, 200.0, 20001)
    values = np.asarray(s(np.concatenate([steps, [21.6]])))
    assert low <= values.min() and values.max() <= high
    assert high - values.max() <= 1e-14  # a bound, not a loose one
