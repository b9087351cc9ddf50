"""Fuzzing every public constructor with arbitrary arguments, and the numeric limits."""

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import lrsched as l
import lrsched.testing as lt
from lrsched.base import parameter_names

POLICIES = [cls for name, cls in sorted(l.Schedule._registry.items()) if not name.startswith("test_")]

ANYTHING = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**6), 10**20),
    st.booleans(),
    st.none(),
    # Beyond int32 / int64 (stored as floats) and beyond the float range (a named ValueError).
    st.integers(2**31, 2**64),
    st.integers(-(10**400), 10**400),
    st.sampled_from([10**400, -(10**400), 2**63]),
    st.text(max_size=6),
    st.sampled_from(["exp", "linear", "cos", "triangular2", "exp_range", "constant"]),
    st.lists(st.floats(-10, 1e4, allow_nan=False), max_size=4),
    lt.constants(),
    lt.one_cycles(),
    st.floats(0, 1),
    st.floats(1, 1e4),
)


@pytest.mark.parametrize("cls", POLICIES, ids=lambda c: c.policy)
def test_arbitrary_arguments_construct_a_valid_schedule_or_raise_a_named_error(cls):
    names = parameter_names(cls)

    @settings(max_examples=300)
    @given(st.fixed_dictionaries({}, optional={name: ANYTHING for name in names}))
    def run(kwargs):
        try:
            schedule = cls(**kwargs)
        except (ValueError, TypeError) as error:
            message = str(error)
            missing_argument = "required keyword-only argument" in message or "missing" in message
            assert missing_argument or any(name in message for name in names), message
            return
        # Whatever constructed is valid: finite, >= 0 and within bounds everywhere.
        lt.check_finite(schedule, lt.LARGE_STEPS)
        lt.check_bounded(schedule, np.concatenate([np.linspace(0, 1e4, 97), lt.LARGE_STEPS]))

    run()


def test_cosine_restarts_picks_the_right_cycle_near_1e9_with_cycle_mult_2():
    first = 3
    s = l.cosine_restarts(max_lr=1.0, first_cycle_steps=first, cycle_mult=2)
    # Exact integer arithmetic: cycle i starts at first * (2**i - 1).
    i = 28
    start = first * (2**i - 1)
    assert 7e8 < start < 1e9
    length = first * 2**i
    for t in (start - 1, start, start + 1, start + length // 2, start + length - 1, start + length):
        j = max(k for k in range(64) if first * (2**k - 1) <= t)
        offset = t - first * (2**j - 1)
        expect = 0.5 * (1 + math.cos(math.pi * offset / (first * 2**j)))
        assert s(t) == pytest.approx(expect, rel=1e-12, abs=1e-15), t
        assert float(s(np.array([t]))[0]) == pytest.approx(expect, rel=1e-12, abs=1e-15), t


def test_range_sweep_with_an_extreme_ratio_stays_monotone():
    s = l.range_sweep(start_lr=1e-10, end_lr=1e3, num_steps=10_000)
    values = s(np.arange(10_001))
    assert np.all(np.diff(values) > 0)
    assert values[0] == 1e-10 and values[-1] == pytest.approx(1e3, rel=1e-13)
    scalar = np.array([s(i) for i in range(0, 10_001, 97)])
    assert np.all(np.diff(scalar) > 0)


def test_float32_counts_lose_integer_resolution_past_2_24():
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    s = l.exponential(initial_lr=1.0, gamma=1 - 1e-9)
    # 2**24 + 1 is not a float32: it rounds to 2**24, so the two counts give one value.
    assert float(s(jnp.float32(2**24 + 1))) == float(s(jnp.float32(2**24)))
    assert s(2**24 + 1) != s(2**24)  # the float64 path keeps them apart


@settings(max_examples=60)  # each example compiles a jitted function
@given(lt.schedules())
def test_float32_under_jax_within_tolerance_up_to_int32_max(schedule):
    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    counts = np.array([0, 1, 1000, 2**20, 2**24, 2**28, 2**31 - 1], dtype=np.int32)
    values = np.asarray(jax.jit(schedule)(jax.numpy.asarray(counts)), dtype=np.float64)
    assert np.all(np.isfinite(values)) and np.all(values >= 0)
    # float32 holds the bounds to its rounding of the schedule's scale; an exponential
    # sweep's exp(x) carries the rounding of its exponent x too (|x| up to ~30): 4e-6 of
    # the scale covers both. XLA flushes values below float32's smallest normal number
    # (2**-126) to zero: a schedule whose bounds lie that low is held to 2**-125.
    low, high = schedule.bounds
    tolerance = 4e-6 * max(abs(low), abs(high)) + 2.0**-125
    assert np.all(values >= low - tolerance) and np.all(values <= high + tolerance)
    lt.check_backends_agree(schedule, counts.astype(np.float64), frameworks=("jax",))


def test_frozen_fields_cannot_be_changed():
    s = l.one_cycle(max_lr=1.0, total_steps=10)
    for field in dataclasses.fields(s):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(s, field.name, 1)
