"""Policies and shapes at their edges: momentum against a rising LR, restarts that grow,
cycle ends at the horizon, the powered cosine's accuracy, float32 ranges, and a freshly
built schedule under torch.compile(fullgraph=True). Expected values come from the
definitions (and mpmath for the cosine); each test fails on the code before the fix."""

import dataclasses
import math
import sys

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

import lrsched as l
import lrsched.testing as lt
from lrsched.base import Piece, Schedule, horizon
from lrsched.restarts import restartable_policies


# -- a freshly built schedule is a plain value (no lazy cache for a tracer to trip on)
@given(lt.primitives())
def test_a_fresh_schedule_holds_its_levels_from_construction(schedule):
    if isinstance(schedule, l.base.Shaped):
        assert schedule.__dict__["_ends"] == schedule.levels


@pytest.mark.slow
def test_torch_compile_fullgraph_over_freshly_built_schedules():
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    # Built here and never called before the compile (a warmup would call its schedule).
    lr = l.cosine_decay(initial_lr=1.0, decay_steps=100, final_lr=0.1)
    momentum = l.inverse_momentum(schedule=l.cyclic(base_lr=0.1, max_lr=1.0, step_size_up=5))

    compiled = torch.compile(lambda t: (lr(t), momentum(t)), fullgraph=True)
    steps = torch.tensor([0.0, 5.0, 10.0, 50.0, 110.0], dtype=torch.float64)
    got_lr, got_m = compiled(steps)
    # 0.1 + 0.9 * (1 + cos(pi t / 100)) / 2, flat from 100; momentum 0.95 - 0.1 * triangle(t / 5).
    want_lr = [0.1 + 0.45 * (1 + math.cos(math.pi * t / 100)) for t in (0.0, 5.0, 10.0, 50.0)] + [0.1]
    want_m = [0.95, 0.85, 0.95, 0.95, 0.95]
    assert np.allclose(got_lr.numpy(), want_lr, rtol=1e-12, atol=1e-15)
    assert np.allclose(got_m.numpy(), want_m, rtol=1e-12)


# -- momentum against the LR, whichever way the LR runs
RISING = [
    l.cosine_decay(initial_lr=0.1, decay_steps=10, final_lr=1.0),
    l.polynomial(initial_lr=0.1, decay_steps=10, final_lr=1.0, power=2.0),
    l.multi_step(initial_lr=0.1, milestones=[5], gamma=10.0),
    l.tanh_decay(initial_lr=1.0, decay_steps=10, final_lr=1.0),  # flat: momentum holds
]


@pytest.mark.parametrize("schedule", RISING[:3], ids=lambda s: s.policy)
def test_momentum_is_highest_where_a_rising_lr_is_lowest(schedule):
    m = l.inverse_momentum(schedule=schedule, base_momentum=0.85, max_momentum=0.95)
    # The LR is 0.1 at step 0 (its lowest) and 1.0 from step 10 (its highest).
    assert m(0) == pytest.approx(0.95, abs=1e-12)
    assert m(10) == pytest.approx(0.85, abs=1e-12)
    assert m(1000) == pytest.approx(0.85, abs=1e-12)
    lt.check_opposes(m, np.linspace(0, 20, 201))
    lt.check_schedule(m)
    # One evaluation for both (the adapters' path) gives the same momentum.
    steps = np.linspace(0, 20, 41)
    _, both = l.momentum.lr_and_momentum(schedule, m, steps)
    assert np.array_equal(both, m(steps))


def test_momentum_of_a_join_of_rising_and_falling_parts_opposes_each():
    up = l.cosine_decay(initial_lr=0.1, decay_steps=10, final_lr=1.0)
    down = l.cosine_decay(initial_lr=1.0, decay_steps=10, final_lr=0.1)
    for schedule in (l.join(schedules=[up, down], boundaries=[10]), l.warmup(schedule=up, steps=5)):
        m = l.inverse_momentum(schedule=schedule)
        lt.check_opposes(m, np.linspace(0, 30, 301))
        lt.check_schedule(m)


def test_momentum_of_a_join_stands_where_its_lr_stands_between_the_joins_levels():
    # Flat-then-anneal (the join's own docstring example): while the LR holds its highest
    # level the momentum is at its lowest, as at the anneal's start; a flat part read at
    # its own floor gave the highest momentum until the boundary, then jumped.
    flat_anneal = l.join(schedules=[l.constant(lr=1.0), l.cosine_decay(initial_lr=1.0, decay_steps=10)], boundaries=[5])
    m = l.inverse_momentum(schedule=flat_anneal, base_momentum=0.85, max_momentum=0.95)
    assert [m(t) for t in (0, 4, 5)] == [0.85, 0.85, 0.85] and m(15) == 0.95
    # Two constants: as multi_step with the same values.
    two = l.join(schedules=[l.constant(lr=1.0), l.constant(lr=0.1)], boundaries=[5])
    same = l.multi_step(initial_lr=1.0, milestones=[5], gamma=0.1)
    for t in (0.0, 4.0, 5.0, 9.0):
        assert l.inverse_momentum(schedule=two)(t) == pytest.approx(l.inverse_momentum(schedule=same)(t), abs=1e-15)
    lt.check_schedule(m)


def _monotone_parts():
    """Parts whose height is their LR's place between their own levels: no cycles."""
    return st.one_of(
        lt.constants(),
        lt.strategy_for(l.CosineDecay).filter(lambda s: not s.periodic),
        lt.strategy_for(l.Polynomial).filter(lambda s: not s.cycle),
        lt.exponentials(),
        lt.multi_steps(),
    )


@given(lt.joins(_monotone_parts()), st.floats(0.0, 1.0))
def test_momentum_of_a_join_of_monotone_parts_is_inverse_to_its_lr(schedule, where):
    # InverseMomentum's formula: m = m_max - (m_max - m_base) * (lr - low) / (high - low),
    # with the join's own lowest and highest LR.
    m = l.inverse_momentum(schedule=schedule)
    low, high = schedule.bounds
    t = where * 2.0 * horizon(schedule)
    place = (schedule(t) - low) / (high - low) if high > low else 0.0
    expected = m.max_momentum - (m.max_momentum - m.base_momentum) * place
    # The place read back from LR values carries their rounding over the span: a few ulps
    # of the LR divided by a span of 2e-9 (a near-flat decay) is 1e-7 of the place.
    read_back = 8 * sys.float_info.epsilon * max(abs(low), abs(high)) / (high - low) if high > low else 0.0
    assert m(t) == pytest.approx(expected, abs=1e-9 + (m.max_momentum - m.base_momentum) * read_back)


def rising_decays():
    """Decays toward a higher final LR: cosine, polynomial, a multi_step with gamma > 1."""
    return st.one_of(
        lt.strategy_for(l.CosineDecay).filter(lambda s: s.final_lr > s.initial_lr),
        lt.strategy_for(l.Polynomial).filter(lambda s: s.final_lr > s.initial_lr),
        lt.strategy_for(l.MultiStep).filter(lambda s: s.gamma > 1.0 and s.milestones),
    )


@given(lt.inverse_momentums(st.one_of(rising_decays(), lt.restarts_of_decays(), lt.primitives())))
def test_drawn_inverse_momentum_moves_against_its_lr(momentum):
    lt.check_schedule(momentum)


@pytest.mark.parametrize("policy", restartable_policies())
@pytest.mark.parametrize("scales", ["peak", "amplitude"])
def test_momentum_opposes_restarts_whose_first_top_is_the_floor(policy, scales):
    # A decay whose peak equals its floor (a flat first cycle) under peak scaling: later
    # tops fall below the floor and those cycles run upside down. Cycle 0's top, computed
    # as exp(log p), rounded an ulp below the floor, so that it read as upside down while
    # the orientations said not: the momentum of every later cycle moved with its LR.
    example = Schedule._registry[policy].example()
    # LRs of the log grid drawn, some of which exp(log(x)) rounds below and some not.
    for lr in (10**-1.25, 10**-1.375, 0.1, 10**-2.5):
        flat = dataclasses.replace(example, initial_lr=lr, final_lr=lr)
        for peak_decay in (0.5, 0.9):
            m = l.inverse_momentum(schedule=l.restarts(decay=flat, peak_decay=peak_decay, scales=scales, cycles=None))
            lt.check_schedule(m)
            lt.check_opposes(m, np.linspace(0.0, 4 * flat.decay_steps, 401))


def test_every_composition_declares_step_0s_piece_and_nests_in_another():
    # A join's pieces up to step 0 dropped step 0's own piece: a product of it then had no
    # piece to read (IndexError), in horizon(), check_schedule and the plots, whenever an
    # outer join asked it for the pieces up to its own start.
    single = l.join(schedules=[l.constant(lr=1.0)], boundaries=[])
    for part in (
        single,
        l.product(schedules=[single]),
        l.warmup(schedule=single, steps=2),
        l.inverse_momentum(schedule=single),
    ):
        assert [(p.start, p.end) for p in part.pieces(0.0)] == [(0.0, 0.0)]
        outer = l.join(schedules=[l.constant(lr=1.0), l.product(schedules=[part], scale=1.0)], boundaries=[1.0])
        horizon(outer)
        lt.check_schedule(outer)
    # A part before a boundary at 0 never runs: step 0's piece is the part that does.
    dead_first = l.join(schedules=[l.cosine_decay(initial_lr=1.0, decay_steps=10), l.constant(lr=0.5)], boundaries=[0])
    assert dead_first.pieces(0.0) == (Piece(0.0, 0.0, 0),)


def test_a_product_whose_scale_underflows_declares_itself_flat():
    # Scales of 1e-140 three times carry 1e-420: every value is 0 in float64. Its slope
    # was 0 * inf (a warmup's infinite slope) = NaN, which no check could compare with.
    warm = l.product(schedules=[l.warmup(schedule=l.constant(lr=1.0), steps=1, shape="1-sqrt")], scale=1e-140)
    tiny = l.product(schedules=[l.product(schedules=[l.constant(lr=1.0)], scale=1e-140)], scale=1e-140)
    s = l.product(schedules=[l.constant(lr=1e20), tiny, warm, l.constant(lr=1e-20)])
    assert s.max_slope == 0.0 and s.bounds == (0.0, 0.0) and s(0.5) == 0.0
    lt.check_schedule(s)
    lt.check_backends_agree(s, np.array([0.0, 0.5, 1.0, 3.0]))


# -- restarts whose tops grow
def test_a_growing_amplitude_below_zero_or_beyond_the_float_range_is_refused_by_name():
    rising = l.cosine_decay(initial_lr=0.1, decay_steps=10, final_lr=1.0)
    with pytest.raises(ValueError, match=r"peak_decay=2 over cycles=5 .*below 0"):
        l.restarts(decay=rising, peak_decay=2, cycles=5)
    with pytest.raises(ValueError, match=r"peak_decay=2 over cycles=1100 .*float range"):
        l.restarts(decay=rising, peak_decay=2, cycles=1100)
    with pytest.raises(ValueError, match=r"peak_decay=2 over cycles=1100"):
        l.restarts(decay=l.polynomial(initial_lr=1.0, decay_steps=10), peak_decay=2, cycles=1100, scales="peak")
    # The amplitude 0.9 below the floor 1.0 doubles each cycle: one cycle (top 0.1) is fine.
    assert l.restarts(decay=rising, peak_decay=2, cycles=1)(0) == pytest.approx(0.1, rel=1e-15)
    # Growing cycle lengths whose last end lies beyond the float range: the cycles never end.
    s = l.restarts(decay=l.cosine_decay(initial_lr=1.0, decay_steps=10), cycle_mult=2, cycles=2000)
    assert s.cycle_ends(100) == (10.0, 30.0, 70.0)
    lt.check_finite(s, lt.LARGE_STEPS)


@given(
    lt.one_decays(),
    st.floats(1.0, 10.0),
    st.integers(1, 5000),
    st.sampled_from(["amplitude", "peak"]),
    st.sampled_from([1.0, 1.5, 2.0]),
)
def test_restarts_with_any_growth_build_a_valid_schedule_or_raise_a_value_error(decay, factor, cycles, scales, mult):
    try:
        s = l.restarts(decay=decay, peak_decay=factor, cycles=cycles, scales=scales, cycle_mult=mult)
    except ValueError as error:
        assert "peak_decay" in str(error)
        return
    lt.check_finite(s, np.concatenate([np.linspace(0, 1e4, 257), lt.LARGE_STEPS]))
    lt.check_bounded(s, np.concatenate([np.linspace(0, 1e4, 257), lt.LARGE_STEPS]))


# -- restarts declare their own shape, so a momentum over them keeps its slope
def test_momentum_over_restarts_keeps_its_declared_slope():
    cases = [
        # Peak-scaled cycles whose tops fall below the floor, and a flat decay.
        l.restarts(decay=l.cosine_decay(initial_lr=1.0, decay_steps=10, final_lr=0.5), peak_decay=0.3, scales="peak"),
        l.restarts(decay=l.cosine_decay(initial_lr=1.0, decay_steps=10, final_lr=1.0), cycles=3),
    ]
    for schedule in cases:
        lt.check_schedule(l.inverse_momentum(schedule=schedule), until=60)


# -- arrays and scalars agree at the end of the last cycle
@given(lt.restarts_of_decays().filter(lambda s: s.cycles is not None and s._end < 2.0**53))  # steps end at 2**53
def test_restarts_arrays_give_the_scalar_value_beside_the_last_end(schedule):
    end = schedule._end
    steps = np.array([math.nextafter(end, 0.0), end, math.nextafter(end, math.inf)])
    scalar = np.array([schedule(float(t)) for t in steps])
    low, high = schedule.bounds
    floor = schedule.decay.levels[0]
    # Within an ulp of the end an array may place it either side (NumPy's expm1 against
    # libm's): the scalar's value there, or the floor that holds past the end; never the
    # top of a cycle that does not exist.
    allowed = 1e-12 * max(abs(low), abs(high)) + schedule.max_slope * 4 * math.ulp(end)
    values = schedule(steps)
    assert np.all((np.abs(values - scalar) <= allowed) | (np.abs(values - floor) <= allowed))
    assert abs(scalar[1] - floor) <= allowed


# -- a cycle that ends exactly at the horizon
def test_cycle_ends_and_drops_at_the_horizon_count():
    c = l.cyclic(base_lr=0.1, max_lr=1.0, step_size_up=1.1)  # 5 * 2.2 == 11.0 in floats
    assert c.cycle_ends(11) == (2.2, 4.4, 6.6000000000000005, 8.8, 11.0)
    assert c.cycle_ends(11, 11) == (11.0,)
    assert l.step_decay(initial_lr=1.0, drop=0.5, every=2.2).breakpoints(11, 9) == (11.0,)
    p = l.product(schedules=[c, l.constant(lr=1.0)])
    assert (p.cycle_index(11.0), p.ends_cycle(11.0)) == (c.cycle_index(11.0), c.ends_cycle(11.0)) == (5.0, True)
    lt.check_cycles(p, 40.0)


@given(lt.products(lt.cyclics()).filter(lambda s: s.has_cycles))
def test_products_of_cyclic_schedules_count_cycles_as_their_factors(schedule):
    lt.check_cycles(schedule, 300.0)


# -- the powered cosine, against 50-digit arithmetic
def exact_cosine(t, length, exponent, k_decay, periodic):
    """(cos(pi d**k / 2)**2)**e at d = t / D (min(t, D) / D unless periodic), to 50 digits."""
    import mpmath

    with mpmath.workdps(50):
        t, length = mpmath.mpf(t), mpmath.mpf(length)
        done = (t if periodic else min(t, length)) / length
        return float((mpmath.cospi(done**k_decay / 2) ** 2) ** exponent)


@given(
    st.floats(1.0, 1e7),
    st.one_of(st.floats(1e-3, 1.0), st.floats(1.0, 20.0)),
    st.one_of(st.just(1.0), st.floats(0.1, 4.0)),
    st.one_of(st.floats(0.0, 1.0), st.integers(1, 12).map(lambda j: 1.0 - 10.0**-j)),
)
def test_powered_cosine_is_within_1e12_of_the_exact_value(length, exponent, k_decay, where):
    pytest.importorskip("mpmath")
    s = l.cosine_decay(initial_lr=1.0, decay_steps=length, exponent=exponent, k_decay=k_decay)
    t = length * where
    assert abs(s(t) - exact_cosine(t, length, exponent, k_decay, False)) <= 1e-12
    # Near the end in whole steps too: D - 1, D - 2 of a long decay.
    for back in (1.0, 2.0, 0.5):
        u = max(length - back, 0.0)
        assert abs(s(u) - exact_cosine(u, length, exponent, k_decay, False)) <= 1e-12


@given(st.integers(1, 1000), st.floats(1e-3, 5.0), st.integers(0, 10**6))
def test_periodic_powered_cosine_is_within_1e12_of_the_exact_value(length, exponent, t):
    pytest.importorskip("mpmath")
    s = l.cosine_decay(initial_lr=1.0, decay_steps=length, exponent=exponent, periodic=True)
    assert abs(s(t) - exact_cosine(t, length, exponent, 1.0, True)) <= 1e-12


def test_the_long_decay_of_the_issue_is_exact():
    # exponent 0.5, a decay of 10**6 steps, one step before its end: c = sin(pi / 2e6)**2.
    s = l.cosine_decay(initial_lr=1.0, decay_steps=10**6, exponent=0.5)
    assert s(10**6 - 1) == pytest.approx(math.sin(math.pi / 2e6), rel=1e-12)


# -- every declared range drawn across its whole extent
FACTORS_BELOW_ONE = [
    (l.CosineDecay, "exponent"),
    (l.CosineDecay, "k_decay"),
    (l.Polynomial, "k_decay"),
    (l.InverseDecay, "power"),
    (l.InverseDecay, "decay_rate"),
    (l.WarmupStableDecay, "decay_power"),
]


@pytest.mark.parametrize(("cls", "name"), FACTORS_BELOW_ONE, ids=lambda x: getattr(x, "policy", x))
def test_strategy_for_draws_factors_below_one_and_at_the_boundaries(cls, name):
    from hypothesis import Phase, find, settings

    # The first draw in the class is enough: shrinking it would cost most of the time.
    search = settings(max_examples=2000, database=None, derandomize=True, phases=[Phase.generate])
    assert getattr(find(lt.strategy_for(cls), lambda s: getattr(s, name) < 0.5, settings=search), name) < 0.5
    assert getattr(find(lt.strategy_for(cls), lambda s: getattr(s, name) <= 1e-6, settings=search), name) > 0.0
    # The square root of inverse_decay (power 0.5 is drawn near, 1 itself too).
    assert getattr(find(lt.strategy_for(cls), lambda s: getattr(s, name) == 1.0, settings=search), name) == 1.0


def test_strategy_for_draws_a_closed_low_end_itself():
    from hypothesis import Phase, find, settings

    search = settings(max_examples=2000, database=None, derandomize=True, phases=[Phase.generate])
    found = find(lt.strategy_for(l.CosineRestarts), lambda s: s.cycle_mult == 1.0, settings=search)
    assert found.cycle_mult == 1.0


# -- a range float32 cannot hold
def test_momentum_over_a_product_with_a_tiny_range_is_finite_in_float32():
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    inner = l.product(schedules=[l.inverse_momentum(schedule=l.cyclic(base_lr=0.1, max_lr=1.0, step_size_up=10))])
    tiny = l.product(schedules=inner.schedules, scale=1e-140)
    m = l.inverse_momentum(schedule=tiny)
    steps = np.arange(0.0, 21.0)
    got = np.asarray(m(jnp.asarray(steps, dtype=jnp.float32)), dtype=np.float64)
    assert np.all(np.isfinite(got))
    # The scale cancels from the position: the momentum of the unscaled product.
    assert np.allclose(got, l.inverse_momentum(schedule=inner)(steps), atol=1e-6)
    # A range that float32 flushes to 0 outright reads as flat, not 0 / 0.
    flat = l.inverse_momentum(schedule=l.product(schedules=[l.constant(lr=1e-140), tiny]))
    assert np.all(np.isfinite(np.asarray(flat(jnp.asarray(steps, dtype=jnp.float32)))))


@given(lt.warmups())
def test_momentum_opposes_a_warmup_ramp_and_is_highest_at_its_lowest_lr(schedule):
    # A warmup's ramp is part of the LR: momentum moves against it (it held the schedule's
    # step-0 momentum, its lowest for a decay, while the LR ramped up from 0), and meets
    # the schedule's momentum where the ramp reaches the schedule's first LR.
    momentum = l.inverse_momentum(schedule=schedule)
    n = schedule.steps
    if n == 0.0:
        return
    # Within the ramp: the schedule's own breakpoints (perhaps millions of tiny cycles on
    # its own clock) are not asked for.
    steps = np.linspace(0.0, min(n, 2.0**53), 33)[:-1]  # steps end at 2**53
    lt.check_opposes(momentum, steps)
    if schedule.start_lr < schedule.target and schedule.shape != "constant":
        assert momentum(0.0) == pytest.approx(momentum.max_momentum, abs=1e-12)
    if schedule.prefix and schedule.end_lr is None and schedule.shape != "constant" and n <= 2.0**53:
        # Where the ramp ends, the schedule's own step-0 momentum: no jump.
        inner = l.inverse_momentum(schedule=schedule.schedule)
        assert momentum(n) == pytest.approx(inner(0.0), abs=1e-9)


def test_a_warmup_of_no_steps_has_its_schedules_pieces_at_step_0_too():
    # A warmup of 0 steps gave no piece at all up to step 0 (its empty ramp cut away),
    # and a product of it failed to read its pieces: horizon and plotting raised
    # IndexError on join(constant, product([warmup(steps=0)])), which the property
    # families drew once the LR draws near a bound shifted their sequence.
    ramp_free = l.warmup(schedule=l.constant(lr=1.0), steps=0.0)
    assert ramp_free.pieces(0.0) == l.constant(lr=1.0).pieces(0.0) == (Piece(0.0, 0.0, 0),)
    assert ramp_free.shape_pieces(0.0) == (Piece(0.0, 0.0, 0),)
    decay = l.cosine_decay(initial_lr=1.0, decay_steps=10)
    for prefix in (True, False):
        assert l.warmup(schedule=decay, steps=0.0, prefix=prefix).pieces(20.0) == decay.pieces(20.0)
    joined = l.join(schedules=[l.constant(lr=1.0), l.product(schedules=[ramp_free])], boundaries=[1.0])
    assert l.product(schedules=[ramp_free]).pieces(0.0) == (Piece(0.0, 0.0, 0),)
    lt.check_schedule(joined)


@pytest.mark.parametrize("scales", ["peak", "amplitude"])
def test_tops_past_float32_brought_back_by_the_shape_are_finite_in_float32(scales):
    # Cycle i's top 1.5**i passes float32's range (3.4e38) near cycle 219 while a cosine
    # to the 10th power brings the value back within it late in each cycle: JAX and torch
    # float32 gave inf (the top overflowed before the shape multiplied it), 3.3e36 exact.
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    decay = l.cosine_decay(initial_lr=1.0, decay_steps=24.0, final_lr=1.0 if scales == "peak" else 0.0, exponent=10.0)
    schedule = l.restarts(decay=decay, peak_decay=1.5, scales=scales, cycles=289)
    steps = np.arange(0.0, 289 * 24 + 10)
    cycle, inner = np.minimum(steps // 24, 288), np.where(steps < 289 * 24, steps % 24, 24)
    shape = ((1 + np.cos(np.pi * inner / 24)) / 2) ** 10
    # Peak scaling of a peak of 1 over a floor of 1, or amplitude scaling of 1 over 0: top 1.5**i.
    top, floor = 1.5**cycle, 1.0 if scales == "peak" else 0.0
    exact = np.where(steps < 289 * 24, floor + (top - floor) * shape, floor)
    assert schedule(6933.0) == pytest.approx(exact[6933], rel=1e-12)
    largest = float(np.finfo(np.float32).max)
    within, beyond = exact < largest * (1 - 1e-5), exact > largest * (1 + 1e-5)
    for name, values in {
        "jax": np.asarray(schedule(jnp.asarray(steps, dtype=jnp.float32)), dtype=np.float64),
        "torch": schedule(torch.tensor(steps, dtype=torch.float32)).double().numpy(),
    }.items():
        assert not np.isnan(values).any(), name
        # exp of an argument up to 88 in float32: relative error up to 88 * 2**-24.
        np.testing.assert_allclose(values[within], exact[within], rtol=1e-5, err_msg=name)
        assert np.isinf(values[beyond]).all(), name


@given(
    lt.one_decays(),
    st.floats(1.05, 3.0),
    st.sampled_from(["amplitude", "peak"]),
    st.integers(0, 30),
    st.lists(st.floats(0.5, 1.0), min_size=4, max_size=4),
)
def test_tops_grown_past_float32_agree_on_every_backend(decay, factor, scales, extra, fractions):
    # The class of the example above, drawn: cycles enough that the last tops pass
    # float32's range, and steps late in the last cycles, where a decay's shape brings
    # the value back within it.
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    floor, peak = decay.levels
    reach = abs(peak - floor) if scales == "amplitude" else peak
    assume(reach > 0.0)
    cycles = max(math.ceil((math.log(3.5e38) - math.log(reach)) / math.log(factor)), 0) + 1 + extra
    try:
        schedule = l.restarts(decay=decay, peak_decay=factor, scales=scales, cycles=cycles)
    except ValueError:  # beyond float64's range too
        assume(False)
    length = float(decay.decay_steps)
    steps = [(cycles - k + f) * length for k in (1, 2) for f in fractions] + [(cycles - 1) * length + 0.5]
    assume(max(steps) <= 2.0**53)  # steps end there
    # Float32 (JAX) tops are exp of an argument up to 88: relative error up to ~88 * 2**-23.
    lt.check_backends_agree(schedule, np.array(steps), frameworks=("numpy", "jax", "torch"), rtol32=2e-5)


def test_products_whose_factors_leave_float32_are_finite_in_float32():
    # Factors beyond float32's range (3.4e38 .. 1.2e-38) whose product is within it: float32
    # gave 0 * inf = NaN (1e-30 * 1e-30 * 1e40), or inf (a restarts top of 7.8e38 times
    # a cosine at 0.05: the first was found by the property families, the second is its class).
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    growing = l.restarts(
        decay=l.cosine_decay(initial_lr=1.0, decay_steps=24.0, final_lr=1.0, exponent=10.0),
        peak_decay=1.5,
        scales="peak",
        cycles=295,
    )
    cases = [
        (l.product(schedules=[l.constant(lr=1e-30), l.constant(lr=1e-30), l.constant(lr=1e40)]), 0.0, 1e-20),
        (l.product(schedules=[l.constant(lr=1e30), l.constant(lr=1e30), l.constant(lr=1e-40)]), 0.0, 1e20),
        (l.product(schedules=[l.cosine_decay(initial_lr=1e39, decay_steps=10), l.constant(lr=1e-10)]), 5.0, 5e28),
        # top 1.5**294 = 7.8e38 a fifth of the way into the cycle, times 0.05 (half a cycle of 1 step)
        (l.product(schedules=[l.cosine_restarts(max_lr=0.1, first_cycle_steps=1), growing]), 7076.5, None),
    ]
    for schedule, step, exact in cases:
        if exact is None:
            shape = ((1 + math.cos(math.pi * 20.5 / 24)) / 2) ** 10
            exact = 0.05 * (1.0 + (1.5**294 - 1.0) * shape)
        assert schedule(step) == pytest.approx(exact, rel=1e-12)
        for value in (schedule(jnp.float32(step)), schedule(torch.tensor(step, dtype=torch.float32))):
            # Logs of sizes up to 90 summed in float32: relative error up to ~1e-5.
            assert float(value) == pytest.approx(exact, rel=4e-5), (schedule, value)


@given(
    lt.schedules(),
    lt.schedules(),
    st.floats(20.0, 60.0),
    st.floats(-8.0, 8.0),
    st.lists(st.floats(0, 1e4), min_size=4, max_size=4),
)
def test_products_with_factors_beyond_float32_agree_on_every_backend(first, second, size, rest, steps):
    # The class above, drawn: any two schedules times constants of 10**size and
    # 10**-(size + rest), whose running products leave float32's range on the way.
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    big, small = l.constant(lr=10.0**size), l.constant(lr=10.0 ** -(size + rest))
    schedule = l.product(schedules=[big, first, big, second, small, small])
    assume(schedule.bounds[1] < 1e30)
    all_steps = np.concatenate([[0.0, 1.0, 10.0, 1000.0], steps])
    # Logs of sizes up to ~140 summed in float32: relative error up to ~4e-5.
    lt.check_backends_agree(schedule, all_steps, frameworks=("numpy", "jax", "torch"), rtol32=1e-4)


@pytest.mark.parametrize("wrap", ["warmup", "ramp", "join", "plain"])
def test_a_product_of_a_momentum_below_float32s_sizes_inside_a_composition_is_its_value(wrap):
    # A factor whose value is below float32's smallest (a momentum of max 3.7e-51) inside
    # a warmup or a join: its log was taken of the flushed value, -inf, and the product,
    # 3.7e-37 (a float32 normal), came out 0 in float32.
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    pytest.importorskip("jax", reason="jax is not installed; CI installs it")  # float32 steps
    import jax  # noqa: F401  # check_backends_agree compares the frameworks imported

    tiny = l.inverse_momentum(schedule=l.constant(lr=1.0), base_momentum=0.0, max_momentum=3.746325573099403e-51)
    part = {
        "warmup": l.warmup(schedule=tiny, steps=0.0, prefix=False),
        "ramp": l.warmup(schedule=tiny, steps=10.0),  # a linear ramp from 0 to 3.7e-51
        "join": l.join(schedules=[tiny, tiny], boundaries=[5.0]),
        "plain": tiny,
    }[wrap]
    big, small = l.constant(lr=1e20), l.constant(lr=1e-13)
    schedule = l.product(schedules=[big, big, part, small, small])
    steps = np.array([0.0, 1.0, 7.0])
    lt.check_backends_agree(schedule, steps, frameworks=("numpy", "jax", "torch"), rtol32=1e-4)


@given(
    st.sampled_from(["polynomial", "cosine_decay", "rex"]),
    st.floats(1e31, 1e37),
    st.floats(1e-3, 1e3),
    st.floats(0.05, 1.0),
    st.sampled_from(["amplitude", "peak"]),
)
def test_restarts_of_a_decay_rising_past_float32_sizes_agree_on_every_backend(name, floor, peak, factor, scales):
    # A rising decay (its floor, final_lr, far above its peak) beside float32's range: the
    # float32 log form took every value as floor + rise (10x too high at 1e35) and gave
    # NaN where rounding put floor - rise below 0 (step 0 at 1e34).
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    decay = l.Schedule._registry[name](initial_lr=peak, decay_steps=10, final_lr=floor)
    try:
        schedule = l.restarts(decay=decay, peak_decay=factor, scales=scales)
    except ValueError:  # a top below 0 (peak scaling of a rising decay past its floor)
        assume(False)
    steps = np.array([0.0, 0.25, 1.0, 2.0, 5.0, 9.5, 10.0, 15.0, 33.3, 1000.0])
    lt.check_backends_agree(schedule, steps, frameworks=("numpy", "jax", "torch"), rtol32=2e-5)


# -- float32 steps past 2**24: a cycle's phase from the exact remainder -------------------
def _float32_cyclic() -> st.SearchStrategy:
    """Cyclic schedules whose lengths float32 holds exactly (whole steps): their float32
    value at a float32 step is the float64 value there, to float32's rounding."""
    lr, floor = st.floats(1e-4, 1.0), st.floats(0.0, 1e-4)
    length = st.integers(1, 5000).map(float)
    return st.one_of(
        st.builds(l.cosine_restarts, max_lr=lr, first_cycle_steps=length, min_lr=floor, peak_decay=st.floats(0.5, 1.0)),
        st.builds(
            l.cyclic,
            base_lr=floor,
            max_lr=lr,
            step_size_up=length,
            step_size_down=st.none() | length,
            mode=st.sampled_from(["triangular", "triangular2"]),
        ),
        st.builds(
            l.cosine_decay,
            initial_lr=lr,
            decay_steps=length,
            final_lr=floor,
            periodic=st.just(True),
            exponent=st.sampled_from([1.0, 0.5, 3.0]),
        ),  # fmt: skip
        st.builds(l.step_decay, initial_lr=lr, drop=st.floats(0.5, 1.0), every=length),
        st.builds(
            l.restarts,
            decay=st.builds(l.polynomial, initial_lr=lr, decay_steps=length, final_lr=floor, power=st.floats(0.5, 3)),
            cycle_mult=st.just(1.0),
        ),
    )


@given(_float32_cyclic(), st.integers(24, 30), st.lists(st.integers(0, 2**23 - 1), min_size=8, max_size=8))
def test_cyclic_values_at_float32_steps_past_2_24_are_in_place(schedule, exponent, offsets):
    # A count float32 holds exactly (2**24 + 4 is one): the cycle position was k * length
    # in float32, which rounds past 2**24 / length, and cosine_restarts(first=3) at step
    # 2**24 + 4 gave 0.075 where it is 0.025 (JAX, torch; optax's and Keras' counts).
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    steps = np.array([2.0**exponent + j * 2.0 ** (exponent - 23) for j in offsets])
    assert np.array_equal(steps.astype(np.float32).astype(np.float64), steps)  # float32 holds them
    exact = np.array([schedule(float(t)) for t in steps])
    low, high = schedule.bounds
    for name, values in {
        "jax": np.asarray(schedule(jnp.asarray(steps, dtype=jnp.float32)), dtype=np.float64),
        "torch": schedule(torch.tensor(steps, dtype=torch.float32)).double().numpy(),
    }.items():
        np.testing.assert_allclose(values, exact, rtol=1e-5, atol=1e-5 * (high - low), err_msg=name)


def test_sums_of_whole_parameters_past_2_31_compute_under_jax():
    # Each parameter is below 2**31 (an int in reprs), their sum is not: JAX took the
    # Python int knot as an int32 and raised OverflowError at any count, even 0.
    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    big = 2**30 + 3
    for schedule in [
        l.warmup_stable_decay(peak_lr=0.1, warmup_steps=100, stable_steps=big, decay_steps=big),
        l.cyclic(base_lr=0.01, max_lr=0.1, step_size_up=big, step_size_down=big + 5),
    ]:
        counts = np.array([0, 5, 2**31 - 1], dtype=np.int32)
        got = np.asarray(jax.jit(schedule)(jax.numpy.asarray(counts)), dtype=np.float64)
        rounded = counts.astype(np.float32).astype(np.float64)  # the count float32 computes at
        np.testing.assert_allclose(got, [schedule(float(t)) for t in rounded], rtol=1e-5, atol=1e-6 * 0.1)


@settings(max_examples=100)  # TensorFlow's eager ops are slow; the class is in every draw
@given(lt.schedules())
def test_tensorflow_float64_steps_agree_with_numpy(schedule):
    # A Python number beside a float64 tensor went through tf.cast, which makes it a
    # float32 tensor first: multi_step(0.1, ...) gave 0.10000000149011612 at a float64 step.
    pytest.importorskip("tensorflow", reason="tensorflow is not installed; CI installs it")
    steps = np.concatenate([np.arange(0.0, 40.0, 3.0), [horizon(schedule) * f for f in (0.3, 0.7, 1.1)]])
    lt.check_backends_agree(schedule, steps, frameworks=("numpy", "tensorflow"))


SHORT_MULTIPLIERS = (1.25, 1.5, 1.75, 2.5, 1.375, 3.25)  # powers float64 holds exactly


@given(
    st.integers(1, 400).map(lambda quarters: quarters / 4),
    st.one_of(st.sampled_from(SHORT_MULTIPLIERS), st.floats(1.01, 3.0)),
    st.integers(1, 8),
)
def test_a_restart_that_float64_holds_exactly_is_exactly_there(first, m, i):
    # The first restart is the first cycle's length, T0 itself; for a multiplier whose
    # powers float64 holds (1.5 = 3/2) later starts are exact too. The expm1 formula put
    # them an ulp late: cosine_restarts(first_cycle_steps=7.5, cycle_mult=1.7)(7.5) was the
    # cycle's floor, 0.0, not its peak, and (T0 = 10, m = 1.5) started cycle 5 at
    # 131.87500000000003, not 131.875.
    from fractions import Fraction

    if m not in SHORT_MULTIPLIERS:
        i = 1  # the first restart, whatever m; later ones only where m**i is exact
    exact = Fraction(first) * (Fraction(m) ** i - 1) / (Fraction(m) - 1)
    assume(Fraction(float(exact)) == exact)  # a start float64 holds
    start = float(exact)
    for schedule in (
        l.cosine_restarts(max_lr=1.0, first_cycle_steps=first, cycle_mult=m),
        l.restarts(decay=l.cosine_decay(initial_lr=1.0, decay_steps=first), cycle_mult=m),
    ):
        assert schedule(start) == 1.0 and float(schedule(np.array([start]))[0]) == 1.0
        assert schedule.ends_cycle(start) and schedule.cycle_index(start) == i
        assert start in schedule.cycle_ends(start)


@given(st.floats(1e-3, 1.0), st.sampled_from([1, 2, 3]), st.integers(1, 10_000).map(float), st.integers(1, 40))
def test_polynomial_below_power_1_is_exact_near_its_end(power, k_decay, length, ulps):
    # 1 - t/D cancels near D, and a power below 1 magnified the rounding: polynomial(
    # decay_steps=10, power=0.001) two ulp before 10 gave 0.96460 for 0.96438.
    from fractions import Fraction

    s = l.polynomial(initial_lr=1.0, decay_steps=length, power=power, k_decay=float(k_decay))
    t = length
    for _ in range(ulps):
        t = math.nextafter(t, 0.0)
    exact = float(1 - (Fraction(t) / Fraction(length)) ** k_decay) ** power  # the base exactly, then one rounding
    assert s(t) == pytest.approx(exact, rel=1e-9)


@pytest.mark.parametrize(
    "schedule",
    [
        l.polynomial(initial_lr=1.0, decay_steps=2.0**31, final_lr=10.0, k_decay=0.1),
        l.polynomial(initial_lr=1.0, decay_steps=1e8, power=2.0, k_decay=0.5),
        l.cosine_decay(initial_lr=1.0, decay_steps=125, final_lr=10.0, exponent=10.0, k_decay=1e-6),
        l.cosine_decay(initial_lr=1.0, decay_steps=1e8, exponent=2.0, k_decay=0.3),
    ],
    ids=["poly-2**31", "poly-1e8", "cos-e10-k1e-6", "cos-1e8"],
)
def test_k_decay_below_1_holds_early_in_a_long_decay_in_float32(schedule):
    # (D - t) / D rounds to 1 in float32 from t / D < 2**-24, while (t / D)**k for k < 1
    # is still far from 0: float32 steps gave the peak (polynomial) or the start level
    # (a powered cosine near the end of its clock) for the first steps of the decay.
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    steps = np.array([1e-5, 0.5, 1.0, 3.0, 100.0])
    got = np.asarray(schedule(jnp.asarray(steps, dtype=jnp.float32)), dtype=np.float64)
    expected = [schedule(float(np.float32(t))) for t in steps]
    np.testing.assert_allclose(got, expected, rtol=2e-5)
    lt.check_backends_agree(schedule, steps, frameworks=("numpy", "jax"))


def test_a_multiplier_within_ulps_of_1_stays_finite_in_float32_far_out():
    # Cycles of about one step at step 2**24 and beyond: float32 rounds consecutive starts
    # onto each other, and the offset into the cycle was 0 / 0 (NaN) under jit.
    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    s = l.cosine_restarts(max_lr=1.0, first_cycle_steps=1, cycle_mult=1.0000000000000004)
    counts = np.array([0, 1, 5, 100, 2**24 + 3, 2**30, 2**31 - 1], dtype=np.int32)
    values = np.asarray(jax.jit(s)(jax.numpy.asarray(counts)), dtype=np.float64)
    assert np.all(np.isfinite(values)) and np.all((values >= 0.0) & (values <= 1.0))
    np.testing.assert_array_equal(values[:4], [s(float(c)) for c in counts[:4]])


def test_a_framework_that_flushes_float64_subnormals_to_zero_agrees():
    # TensorFlow flushes values below float64's smallest normal number (2**-1022) to 0:
    # a momentum of 2.2e-308 times 0.1 is 2.2e-309 in Python and NumPy, 0 there.
    pytest.importorskip("tensorflow", reason="tensorflow is not installed; CI installs it")
    tiny = l.inverse_momentum(schedule=l.constant(lr=1.0), base_momentum=0.0, max_momentum=2.2250738585072014e-308)
    s = l.product(schedules=[l.constant(lr=0.1), tiny])
    lt.check_backends_agree(s, np.array([0.0, 3.0, 10.0]), frameworks=("numpy", "tensorflow"))


def test_momentum_of_a_warmup_whose_ramp_float32_flushes_is_not_nan():
    # A ramp from 0 to 1e-140 has no span in float32: its height was 0 / 0 (NaN), and
    # the momentum NaN, even with base = max.
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    tiny = l.product(schedules=[l.constant(lr=1.0)], scale=1e-140)
    # Into a cycle whose peak is its step 0 (height 1), the ramp's momentum moves from the
    # top to the base in float32 too (read back from the flushed LR, it stood still).
    restarting = l.product(schedules=[l.cosine_restarts(max_lr=1.0, first_cycle_steps=1)], scale=1e-140)
    for schedule, base, top in ((tiny, 0.0, 0.0), (tiny, 0.85, 0.95), (restarting, 0.0, 0.125)):
        m = l.inverse_momentum(schedule=l.warmup(schedule=schedule, steps=4), base_momentum=base, max_momentum=top)
        steps = np.array([0.0, 1.0, 2.0, 5.0])
        got = np.asarray(m(jnp.asarray(steps)), dtype=np.float64)
        assert np.all(np.isfinite(got))
        lt.check_backends_agree(m, steps, frameworks=("numpy", "jax"))


def test_a_product_computed_in_logs_agrees_within_what_its_logs_hold():
    # A factor whose floor is far below float32's range (min_lr 1e-154) sends float32
    # steps through logs: exp of a sum of logs is exact to |log v| * 2**-24 of the value
    # (2.6e-6 at v = 2.6e-10), beyond the 1e-6 a direct product keeps.
    pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    restarting = l.cosine_restarts(
        max_lr=8.347772037285981e-05,
        first_cycle_steps=156,
        min_lr=1.3257342279107321e-154,
        peak_decay=0.22741702384945225,
    )
    saturated = l.tanh_decay(
        initial_lr=1.0, decay_steps=1, final_lr=3.162277660168379e-06, lower=15.476869428002608, upper=20.0
    )
    rising = l.polynomial(
        initial_lr=2.4407152518777923e-05,
        decay_steps=1308.249548982177,
        final_lr=1.0,
        power=0.4265540384633391,
        k_decay=3.162277660168379e-06,
    )
    s = l.product(schedules=[l.constant(lr=1.0), l.product(schedules=[restarting, saturated, rising])])
    assert s._in_logs
    steps = np.array([0, 0.5, 1, 2, 3, 7, 10, 33.3, 100, 257, 1000, 4096, 1e5])
    lt.check_backends_agree(s, steps, frameworks=("numpy", "jax", "torch"))
    lt.check_backends_agree(s, np.array([0.0, 1.0, 2048.0, 60000.0, 65504.0]), frameworks=("float16", "bfloat16"))


def test_momentum_of_an_exp_warmup_between_ends_an_ulp_apart_is_finite():
    # Ends whose logs round to the same number: the exp ramp's share was 0 / 0 (NaN).
    wsd = l.warmup_stable_decay(peak_lr=1.0, stable_steps=1, decay_steps=1, warmup_steps=1, start_lr=0.001)
    m = l.inverse_momentum(schedule=l.warmup(schedule=wsd, steps=1, start_lr=0.0009999999999999998, shape="exp"))
    lt.check_schedule(m)


@given(st.one_of(lt.cosine_restarts_schedules(), lt.restarts_of_decays()).filter(lambda s: s.cycle_mult >= 1e10))
def test_cycles_that_would_start_beyond_float_range_never_start_and_nothing_overflows(schedule):
    # A multiplier far past any run's (1e155: m**2 overflows): the scalar call raised
    # OverflowError, NumPy answered NaN, and cycle_ends, pieces and horizon raised.
    far = np.array([0.0, 5.0, 2.0**31, 1e15 + 1, 2.0**53])  # the last step answered
    values = np.array([schedule(float(t)) for t in far])
    assert np.all(np.isfinite(values))
    lt.check_backends_agree(schedule, far)
    ends = schedule.cycle_ends(1e300)
    assert all(math.isfinite(e) for e in ends) and list(ends) == sorted(ends)
    # The pieces cover [0, until] end to end (a last cycle of infinite length dropped out).
    pieces = schedule.pieces(1e300)
    assert pieces[0].start == 0.0 and pieces[-1].end == 1e300
    assert all(p.end == q.start for p, q in zip(pieces, pieces[1:], strict=False))
    assert math.isfinite(horizon(schedule))


@pytest.mark.parametrize("first", [10.0, 7.5, 1e-6, 1e295])
@pytest.mark.parametrize("mult", [2.0, 1.5, 1e10, 1e155, 1e300])
def test_a_cycle_start_is_the_closed_form_past_float_range_too(first, mult):
    # s_i = T0 (m**i - 1) / (m - 1), in exact rational arithmetic; infinite where it
    # passes float64's range.
    from fractions import Fraction

    schedule = l.cosine_restarts(max_lr=1.0, first_cycle_steps=first, cycle_mult=mult)
    m, t0 = Fraction(mult), Fraction(first)
    for i in (0, 1, 2, 3, 10, 40, 200, 2000):
        exact = t0 * (m**i - 1) / (m - 1)
        start = schedule.cycle_start(i)
        if exact > Fraction(1.7976931348623157e308):
            assert start == math.inf, (i, start)
        else:
            assert math.isclose(start, float(exact), rel_tol=2e-13), (i, start, float(exact))


@pytest.mark.parametrize("mult", [1e40, 1e155, 1e300])
def test_a_multiplier_past_float32s_range_answers_in_float32(mult):
    # m - 1 is infinite in float32: the cycle's guess was log1p(0 * inf), NaN at step 0.
    pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    import jax.numpy as jnp

    schedule = l.cosine_restarts(max_lr=1.0, first_cycle_steps=10, cycle_mult=mult, min_lr=0.1)
    steps = np.array([0.0, 5.0, 10.0, 20.0, 1e6])
    values = np.asarray(schedule(jnp.asarray(steps, dtype=jnp.float32)), dtype=np.float64)
    expected = np.array([schedule(float(t)) for t in steps])
    np.testing.assert_allclose(values, expected, rtol=1e-6)


def test_restarts_traced_in_float32_raise_no_numpy_warning():
    # A float64-only constant (the largest float64) cast to float32 warned "overflow
    # encountered in cast" on every JAX trace of a decimal multiplier's restarts.
    import warnings

    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    import jax.numpy as jnp

    decay = l.polynomial(initial_lr=0.1, decay_steps=7.5, power=2.0)
    for schedule in (
        l.cosine_restarts(max_lr=0.1, first_cycle_steps=10, cycle_mult=1.5),
        l.restarts(decay=decay, cycle_mult=1.5),
    ):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            values = np.asarray(jax.jit(schedule)(jnp.asarray([0.0, 5.0, 1e6], dtype=jnp.float32)))  # traced
        assert np.all(np.isfinite(values))
