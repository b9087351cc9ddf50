"""One seam for step types: each answers in its own type; frameworks are never imported."""

import math
import subprocess
import sys
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import lrsched as l
import lrsched.testing as lt

SEED_004 = l.one_cycle(
    max_lr=0.8, total_steps=95, pct_start=41 / 95, div_factor=10, final_div_factor=10, anneal="linear", three_phase=True
)


def test_import_lrsched_imports_no_framework():
    code = (
        "import sys, lrsched, lrsched.testing; s = lrsched.one_cycle(max_lr=1.0, total_steps=10); s(3); "
        "import numpy as np; s(np.arange(3)); "
        "bad = [m for m in ('torch', 'jax', 'tensorflow', 'keras', 'optax', 'matplotlib') if m in sys.modules]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_python_numbers_give_python_floats():
    assert type(SEED_004(41)) is float and type(SEED_004(41.0)) is float
    assert SEED_004(41) == pytest.approx(0.8, rel=1e-15)


def test_numpy_gives_float64_arrays_and_scalars():
    out = SEED_004(np.arange(96))
    assert isinstance(out, np.ndarray) and out.dtype == np.float64 and out.shape == (96,)
    assert out[41] == pytest.approx(0.8, rel=1e-15)
    grid = SEED_004(np.arange(12, dtype=np.int32).reshape(3, 4))
    assert grid.shape == (3, 4)
    zero_d = SEED_004(np.int64(41))
    assert isinstance(zero_d, np.float64) and zero_d == pytest.approx(0.8)
    assert SEED_004([0, 41]).tolist() == pytest.approx([0.08, 0.8])


@pytest.mark.parametrize(
    "schedule",
    [
        SEED_004,
        l.inverse_momentum(schedule=SEED_004),
        l.cosine_restarts(max_lr=1.0, first_cycle_steps=7, cycle_mult=2),
        l.multi_step(initial_lr=1.0, milestones=[3, 9]),
        l.constant(lr=0.2),
        l.join(schedules=[l.constant(lr=0.5), l.constant(lr=0.1)], boundaries=[4]),
    ],
)
def test_jax_jit_vmap_int32_count_and_grad(schedule):
    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    jnp = jax.numpy
    count = jnp.int32(41)  # what optax passes
    jitted = jax.jit(schedule)
    out = jitted(count)
    assert isinstance(out, jax.Array) and out.dtype == jnp.float32 and out.shape == ()
    assert float(out) == pytest.approx(schedule(41), rel=1e-6)
    steps = jnp.arange(0, 200, dtype=jnp.int32)
    batched = jax.vmap(schedule)(steps)
    assert batched.shape == (200,)
    np.testing.assert_allclose(np.asarray(batched), schedule(np.arange(200)), rtol=2e-6, atol=1e-7)
    grad = jax.grad(lambda t: schedule(t))(jnp.float32(10.5))
    assert np.isfinite(float(grad))


def test_seed_004_under_jit_is_0_8():
    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    assert float(jax.jit(SEED_004)(jax.numpy.int32(41))) == pytest.approx(0.8, rel=1e-6)


def test_jax_grad_matches_slope_of_linear_phase():
    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    slope = float(jax.grad(SEED_004)(20.0))
    assert slope == pytest.approx((0.8 - 0.08) / 41, rel=1e-5)


def test_jax_concrete_negative_step_raises():
    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    with pytest.raises(ValueError, match="step must be"):
        SEED_004(jax.numpy.array([1.0, -1.0]))


def test_torch_tensors_give_tensors():
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    out = SEED_004(torch.arange(96))
    assert isinstance(out, torch.Tensor) and out.dtype == torch.get_default_dtype()
    out64 = SEED_004(torch.arange(96, dtype=torch.float64))
    assert out64.dtype == torch.float64
    np.testing.assert_allclose(out64.numpy(), SEED_004(np.arange(96)), rtol=1e-15)
    with pytest.raises(ValueError, match="step must be"):
        SEED_004(torch.tensor([-1.0]))
    compiled = torch.compile(lambda t: SEED_004(t), fullgraph=False)
    assert float(compiled(torch.tensor(41.0))) == pytest.approx(0.8, rel=1e-6)


def test_tensorflow_and_keras_tensors():
    tf = pytest.importorskip("tensorflow", reason="tensorflow is not installed; CI installs it")
    keras = pytest.importorskip("keras", reason="keras is not installed; CI installs it")
    out = SEED_004(tf.constant([0, 41, 82, 95], dtype=tf.int64))
    assert tf.is_tensor(out) and out.dtype == tf.float32
    np.testing.assert_allclose(out.numpy(), [0.08, 0.8, 0.08, 0.008], rtol=1e-6)
    traced = tf.function(SEED_004)(tf.constant(41))
    assert float(traced) == pytest.approx(0.8, rel=1e-6)
    variable = keras.Variable(82.0)
    assert float(SEED_004(variable)) == pytest.approx(0.08, rel=1e-6)
    assert float(SEED_004(keras.ops.convert_to_tensor(95))) == pytest.approx(0.008, rel=1e-6)


def test_large_steps_never_raise_or_give_nan():
    from hypothesis import given

    @given(lt.schedules())
    def run(schedule):
        values = schedule(lt.LARGE_STEPS)
        assert np.all(np.isfinite(values)) and np.all(values >= 0)
        for step in (2**53, 2**53 - 1, 10**15 + 1):
            value = schedule(step)
            assert np.isfinite(value) and value >= 0

    run()


@pytest.mark.parametrize("decay", ["rex", "polynomial"])
def test_momentum_of_a_nested_product_with_a_scale_float32_cannot_hold(decay):
    # A product inside a product carrying 1e-140: in float32 every value flushes to 0, and
    # the momentum read the flushed values (max_momentum at every step). The scales now
    # multiply into one constant, so the place within the bounds is read unscaled.
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    linear = {"beta": 0.0} if decay == "rex" else {"power": 1.0}  # both straight lines here
    inner = getattr(l, decay)(initial_lr=1.0, decay_steps=1, final_lr=10.0, **linear)  # rising: 1 -> 10
    lr = l.product(schedules=[l.product(schedules=[inner], scale=1e-140)])
    momentum = l.inverse_momentum(schedule=lr, base_momentum=0.0, max_momentum=0.125)
    steps = [0.0, 0.5, 1.0]
    # Linear from 1 to 10: the LR's place is t, so the momentum is 0.125 (1 - t).
    expected = [0.125, 0.0625, 0.0]
    for dtype in (torch.float16, torch.float32):
        assert momentum(torch.tensor(steps, dtype=dtype)).tolist() == pytest.approx(expected, abs=1e-7)
    assert [momentum(t) for t in steps] == pytest.approx(expected, abs=1e-15)


def test_momentum_of_a_product_whose_top_grows_past_float32_computes_on_torch_steps():
    # The top grows by 3 a cycle for 82 cycles: 3**81, beyond float32's range. Reading the
    # LR's place between its bounds filled a float32 tensor with the range, which torch
    # refuses ("value cannot be converted to type float without overflow").
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    grows = l.restarts(decay=l.polynomial(initial_lr=1.0, decay_steps=1, final_lr=0.1), peak_decay=3.0, cycles=82)
    momentum = l.inverse_momentum(schedule=l.product(schedules=[grows]), base_momentum=0.8, max_momentum=0.9)
    steps = [0.0, 0.5, 1.0, 1.5]
    for dtype in (torch.float16, torch.float32, torch.float64):
        values = momentum(torch.tensor(steps, dtype=dtype)).tolist()
        # Against a range of 3**81 the first cycles' LRs (0.1 to 2.8) sit at its very bottom.
        assert values == pytest.approx([momentum(t) for t in steps], abs=1e-7)
        assert values == pytest.approx([0.9] * 4, abs=1e-7)


def test_momentum_of_restarts_whose_tops_near_the_floor_keeps_each_cycles_orientation_in_float32():
    # A rising decay (0.1 up to 1.0) restarted with its amplitude quartered each cycle: the
    # tops 1 - 0.9 / 4**i approach the floor 1.0 from below, and in float32 they round onto
    # it, so comparing top and floor turned cycle 16 the right way up: at step 70000 the
    # momentum was 0.0085 where it is 0.1165. Every cycle runs upside down, whatever i.
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    decay = l.polynomial(initial_lr=0.1, decay_steps=1, final_lr=1.0)
    lr = l.restarts(decay=decay, cycle_mult=2.0, peak_decay=0.25, scales="amplitude")
    momentum = l.inverse_momentum(schedule=lr, base_momentum=0.0, max_momentum=0.125)
    steps = np.array([50.0, 1000.0, 70000.0, 100000.0])
    # Cycle i starts at 2**i - 1 and lasts 2**i steps; the LR rises from its top, so the
    # momentum falls from 0.125 along the cycle: 0.125 (1 - (t - s_i) / 2**i).
    starts = 2.0 ** np.floor(np.log2(steps + 1)) - 1
    expected = 0.125 * (1 - (steps - starts) / (starts + 1))
    np.testing.assert_allclose([momentum(float(t)) for t in steps], expected, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(momentum(jnp.asarray(steps, dtype=jnp.float32))), expected, atol=1e-6)


@pytest.mark.parametrize("mult", [1.1, 1.3, 1.7, 2.9, 1.0039])
@pytest.mark.parametrize("first", [7.0, 13.5, 1000.0])
def test_numpy_arrays_and_python_steps_agree_to_the_bit_at_decimal_restarts(mult, first):
    # A decimal multiplier's restarts are computed with expm1 and log1p: NumPy's
    # vectorised functions and libm's may differ in the last bit, and a step an ulp from
    # a restart fell on either side of it (NumPy gave the next cycle's peak, Python the
    # floor). Before the last of the clock's tabled starts both read the same table.
    s = l.cosine_restarts(max_lr=1.0, first_cycle_steps=first, cycle_mult=mult, min_lr=0.1)
    for schedule in (s, l.restarts(decay=l.polynomial(initial_lr=1.0, decay_steps=first), cycle_mult=mult)):
        ends = np.asarray(schedule.cycle_ends(first * 60.0), dtype=np.float64)
        steps = np.concatenate([ends, np.nextafter(ends, 0.0), np.nextafter(ends, np.inf)])
        python = np.array([schedule(float(t)) for t in steps])
        assert np.array_equal(schedule(steps), python)
        # Whatever else the array holds: a step far past the table beside them.
        far = np.append(steps, 1e7)
        assert np.array_equal(schedule(far)[:-1], python)


class _Epoch(int):
    pass


class _Progress(float):
    pass


_PYTHON_STEPS = [0, 7, 2.5, -0.0, 2**1023, 2**1100, 1e308, True, False, -1, -0.5, math.nan, math.inf, -math.inf]
_OTHER_STEPS = [_Epoch(3), _Progress(2.5), Fraction(5, 2), Decimal("2.5"), np.int64(3), np.float32(2.5), "3", None]


@pytest.mark.parametrize("step", _PYTHON_STEPS + _OTHER_STEPS, ids=repr)
def test_a_direct_call_answers_as_the_seam_does_for_every_kind_of_step(step):
    # `Schedule.__call__` writes the seam's Python fast path in place (the hot path of
    # direct calls): for any step it answers, or refuses, exactly as `evaluate` does.
    from lrsched._namespace import evaluate

    schedule = l.cosine_decay(initial_lr=0.1, decay_steps=1000.0, final_lr=0.001)
    outcomes = []
    for call in (schedule, lambda s: evaluate(schedule._value, s)):
        try:
            value = call(step)
        except Exception as error:  # noqa: BLE001  # the refusal itself is compared
            outcomes.append((type(error), str(error)))
        else:
            outcomes.append((type(value), float(np.asarray(value)) if np.ndim(value) == 0 else value))
    assert outcomes[0] == outcomes[1]


@settings(deadline=None)  # a new array length compiles under JAX
@given(
    st.lists(st.one_of(st.integers(2**24, 2**31), st.floats(2.0**24, 2.0**31)), min_size=1, max_size=3, unique=True),
    st.sampled_from(["multi_step", "join", "warmup", "one_cycle"]),
)
def test_a_float32_step_past_2_24_meets_each_knot_where_its_own_value_does(knots, policy):
    # A float32 step (optax's int32 count, Keras' iterations) holds a count past 2**24 to
    # its rounding: the value is the one of the rounded step. A knot float32 does not hold
    # was rounded too, to the nearest float32, and steps before it took the value after
    # it (a drop at 2**25 + 2 came at the counts 2**25 - 1 to 2**25 + 1).
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    knots = sorted(knots)
    if policy == "multi_step":
        schedule = l.multi_step(initial_lr=1.0, milestones=knots, gamma=0.5)
    elif policy == "join":
        parts = [l.constant(lr=0.5**i) for i in range(len(knots) + 1)]
        schedule = l.join(schedules=parts, boundaries=knots)
    elif policy == "warmup":
        schedule = l.warmup(schedule=l.constant(lr=1.0), steps=knots[0], start_lr=0.5, shape="constant")
    else:
        schedule = l.one_cycle(max_lr=1.0, total_steps=knots[0], pct_start=0.5, anneal="linear")
    edges = np.array(schedule.breakpoints(2.0**32), dtype=np.float64)
    around = np.concatenate([np.floor(edges) + d for d in range(-4, 5)])
    steps = np.unique(around[around >= 0].astype(np.float32)).astype(np.float64)  # float32 steps
    expected = np.array([schedule(float(t)) for t in steps])
    got_jax = np.asarray(schedule(jnp.asarray(steps, dtype=jnp.float32)), dtype=np.float64)
    got_torch = schedule(torch.tensor(steps, dtype=torch.float32)).double().numpy()
    for got in (got_jax, got_torch):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=0)


_ORDERED = st.one_of(st.floats(allow_nan=True), st.integers(-(2**60), 2**60), st.sampled_from([0.0, -0.0, math.nan]))


@given(_ORDERED, _ORDERED)
def test_the_python_paths_minimum_and_maximum_answer_as_the_builtins(a, b):
    # The Python path writes min and max out (the builtins cost three times as much on
    # two floats): the same object back as the builtins give, a NaN or a signed zero too.
    from lrsched._namespace import MATH

    assert MATH.minimum(a, b) is min(a, b)
    assert MATH.maximum(a, b) is max(a, b)


@given(
    st.one_of(st.floats(0.0, 1e300), st.integers(0, 2**53).map(float)),
    st.one_of(st.floats(1e-6, 1e12), st.sampled_from([2.9, 0.1, 1e-6, 3.0, 7.7])),
)
def test_cycle_position_of_a_python_step_is_the_float64_arrays_to_the_bit(t, length):
    # Python steps take a path of their own through `cycle_position` (no namespace
    # calls): the same cycle and offset, to the bit, as a float64 array's.
    from lrsched._namespace import MATH, NUMPY
    from lrsched.base import cycle_position

    k, offset = cycle_position(t, length, MATH)
    k_array, offset_array = cycle_position(np.array([t]), length, NUMPY)
    assert (float(k), float(offset)) == (float(k_array[0]), float(offset_array[0]))
    if t / length < 2.0**52:  # while k counts whole cycles exactly
        assert 0.0 <= offset < length * (1.0 + 1e-15) + 1e-300


@given(
    lt.schedules(),
    st.one_of(
        st.floats(0.0, sys.float_info.max),
        st.sampled_from([2.0**53, 2**53, 2**53 + 2, 1e16, 1e303, sys.float_info.max]),
        st.integers(0, 2**1030),
    ),
)
def test_every_step_up_to_2_53_is_answered_and_every_step_past_it_is_refused(schedule, step):
    # Steps past 2**53 were taken and computed: NaN at the float range's end, an
    # OverflowError where step / period overflowed (step_decay with every=1e-6 at 1e303),
    # "math domain error" in a join. Float64 counts whole steps exactly up to 2**53: a
    # step is answered up to there and refused past it, on every path.
    as_float = float(step) if step <= sys.float_info.max else math.inf  # the step as float64 holds it
    if as_float <= 2.0**53:
        value = schedule(step)
        low, high = schedule.bounds
        assert math.isfinite(value) and low - 1e-9 * abs(low) <= value <= high + 1e-9 * abs(high)
        assert np.isfinite(schedule(np.array([as_float]))[0])
    else:
        with pytest.raises(ValueError, match=r"in \[0, 2\*\*53\]"):
            schedule(step)
        with pytest.raises(ValueError, match=r"in \[0, 2\*\*53\]"):
            schedule(np.array([0.0, min(as_float, sys.float_info.max)]))


@pytest.mark.parametrize("framework", ["jax", "torch", "tensorflow"])
def test_framework_steps_past_2_53_are_refused_and_2_53_answered(framework):
    pytest.importorskip(framework, reason=f"{framework} is not installed; CI installs it")
    schedule = l.step_decay(initial_lr=1.0, drop=0.5, every=1e-6)
    if framework == "jax":
        import jax.numpy as jnp

        make = jnp.asarray
    elif framework == "torch":
        import torch

        make = lambda a: torch.tensor(a, dtype=torch.float64)  # noqa: E731
    else:
        import tensorflow as tf

        make = lambda a: tf.constant(a, dtype=tf.float64)  # noqa: E731
    assert float(np.asarray(schedule(make([2.0**24]))).ravel()[0]) == 0.0
    with pytest.raises(ValueError, match=r"in \[0, 2\*\*53\]"):
        schedule(make([1.0, 1e303]))
