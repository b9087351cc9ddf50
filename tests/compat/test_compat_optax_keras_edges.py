"""compat.optax and compat.keras at the edges of the peers' own domains (zero, equal,
reversed and negative arguments, no steps, boundaries below 0 or closer than a step,
fractional and large steps), side by side with the real optax and Keras: where the peer
gives values, compat gives the same; where the peer raises, compat raises a ValueError
naming the peer's argument; where compat has no equal (an LR below 0, a half cosine
entered part-way), it refuses with a `RefusedError` naming the peer's argument.

optax computes in float32 (compared at float32's precision, as the other compat tests
do); Keras computes in the dtype of the initial LR, float64 here."""

import numpy as np
import pytest

from lrsched import compat

INTS = [*range(0, 42), 99, 100, 101, 10**6, 2**24 + 1]
FRACS = [k / 4 for k in range(0, 170)]

# name: (optax function, arguments): optax gives values, compat the same ones
OPTAX_EQUAL = {
    "polynomial power below 0, no transition steps": ("polynomial_schedule", (0.1, 2.0, -1.0, 0)),
    "polynomial power 0": ("polynomial_schedule", (0.3, 0.01, 0.0, 10)),
    "polynomial end above init, begin below 0": ("polynomial_schedule", (0.1, 0.4, 2.0, 10, -3)),
    "linear equal values": ("linear_schedule", (0.1, 0.1, 10)),
    "linear transition_steps 0": ("linear_schedule", (0.1, 0.5, 0)),
    "cosine alpha above 1": ("cosine_decay_schedule", (0.1, 10, 2.0)),
    "cosine exponent 0": ("cosine_decay_schedule", (0.1, 10, 0.5, 0.0)),
    "cosine fractional decay_steps": ("cosine_decay_schedule", (0.1, 2.5, 0.1)),
    "exponential transition_steps 0 with end_value": ("exponential_decay", (0.1, 0, 0.5, 0, False, 0.5)),
    "exponential end_value above init": ("exponential_decay", (0.1, 10, 0.5, 0, False, 0.5)),
    "exponential staircase, end_value": ("exponential_decay", (0.4, 10, 0.5, -3, True, 0.05)),
    "exponential staircase, rate below 0, init 0": ("exponential_decay", (0.0, 10, -0.5, 0, True)),
    "piecewise constant boundary 0, large": ("piecewise_constant_schedule", (0.1, {0: 0.5, 2**24 + 1: 0.5})),
    "piecewise linear boundary below 0": ("piecewise_interpolate_schedule", ("linear", 0.1, {-5: 2.0, 10: 0.5})),
    "piecewise linear two boundaries below 0": (
        "piecewise_interpolate_schedule",
        ("linear", 0.1, {-10: 2.0, -5: 3.0, 10: 0.5}),
    ),
    "piecewise linear boundaries closer than a step": (
        "piecewise_interpolate_schedule",
        ("linear", 0.1, {0.5: 2.0, 10: 2.0, 10.5: 0.5, 20: 1.0}),
    ),
    "piecewise cosine boundaries closer than a step": (
        "piecewise_interpolate_schedule",
        ("cosine", 0.1, {0.5: 2.0, 10: 2.0, 10.5: 0.5, 20: 1.0}),
    ),
    "linear onecycle pct_start below 0": ("linear_onecycle_schedule", (10, 0.3, -0.25)),
    "cosine onecycle pct_start above 1": ("cosine_onecycle_schedule", (10, 0.3, 1.5)),
    "warmup cosine no warmup, end above peak": ("warmup_cosine_decay_schedule", (0.0, 0.3, 0, 10, 0.5)),
}

# name: (optax function, arguments, the argument compat's error names): optax raises too
OPTAX_BAD = {
    "piecewise constant scale below 0": ("piecewise_constant_schedule", (0.0, {10: -0.5}), "boundaries_and_scales"),
    "linear onecycle transition_steps 0": ("linear_onecycle_schedule", (0, 0.3), "transition_steps"),
    "linear onecycle div_factor below 0": ("linear_onecycle_schedule", (10, 0.3, 0.3, 0.85, -2.0), "div_factor"),
    "warmup cosine decay_steps at warmup_steps": ("warmup_cosine_decay_schedule", (0.0, 0.3, 5, 5), "decay_steps"),
}

# name: (optax function, arguments, (REFUSED function, argument, value)): optax gives values
OPTAX_REFUSED = {
    "constant below 0": ("constant_schedule", (-0.1,), ("optax.constant_schedule", "value", -0.1)),
    "linear init below 0": ("linear_schedule", (-0.1, 0.2, 10), ("optax.linear_schedule", "init_value", -0.1)),
    "warmup constant init below 0": (
        "warmup_constant_schedule",
        (-0.1, 0.3, 5),
        ("optax.warmup_constant_schedule", "init_value", -0.1),
    ),
    "exponential staircase rate below 0": (
        "exponential_decay",
        (0.1, 10, -0.5, 0, True),
        ("optax.exponential_decay", "decay_rate", -0.5),
    ),
    "piecewise cosine boundary below 0": (
        "piecewise_interpolate_schedule",
        ("cosine", 0.1, {-5: 2.0, 10: 0.5}),
        ("optax.piecewise_interpolate_schedule", "boundaries_and_scales", {-5: 2.0, 10: 0.5}),
    ),
    "cosine onecycle pct_start below 0": (
        "cosine_onecycle_schedule",
        (10, 0.3, -0.25),
        ("optax.cosine_onecycle_schedule", "pct_start", -0.25),
    ),
}


def _optax_values(function, args):
    optax = pytest.importorskip("optax", reason="optax is not installed; CI installs it")
    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    peer = getattr(optax, function)(*args)
    ints = np.asarray(jax.vmap(peer)(jax.numpy.asarray(INTS, dtype=jax.numpy.int32)), dtype=np.float64)
    fracs = np.asarray(jax.vmap(peer)(jax.numpy.asarray(FRACS, dtype=jax.numpy.float32)), dtype=np.float64)
    return ints, fracs


def _assert_float32_close(ours, expected, steps, context):
    """optax's float32: 1e-6 of the value, or 1e-6 of the schedule's scale near 0."""
    bad = ~np.isclose(ours, expected, rtol=1e-6, atol=1e-6 * np.max(np.abs(expected)))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise AssertionError(f"at step {steps[i]!r}: lrsched {ours[i]!r}, optax {expected[i]!r} ({context})")


@pytest.mark.parametrize("name", list(OPTAX_EQUAL))
def test_compat_equals_optax_at_the_edges_of_its_domain(name):
    function, args = OPTAX_EQUAL[name]
    ints, fracs = _optax_values(function, args)
    ours = getattr(compat.optax, function)(*args)
    for steps, expected in ((INTS, ints), (FRACS, fracs)):
        assert np.isfinite(expected).all()
        _assert_float32_close(ours(np.asarray(steps, dtype=np.float64)), expected, steps, f"{function}{args}")


@pytest.mark.parametrize("name", list(OPTAX_BAD))
def test_what_optax_refuses_compat_refuses_by_optaxs_argument(name):
    function, args, parameter = OPTAX_BAD[name]
    with pytest.raises(ValueError):  # optax refuses it too
        _optax_values(function, args)
    with pytest.raises(ValueError, match=rf"^optax\.{function}: {parameter} must be ") as raised:
        getattr(compat.optax, function)(*args)
    assert not isinstance(raised.value, compat.RefusedError)


def test_sgdr_with_no_cycles_is_refused_as_optax_fails_on_it():
    optax = pytest.importorskip("optax", reason="optax is not installed; CI installs it")
    with pytest.raises(IndexError):  # optax builds it and fails at its first step
        optax.sgdr_schedule([])(0)
    with pytest.raises(ValueError, match=r"^optax\.sgdr_schedule: cosine_kwargs must be "):
        compat.optax.sgdr_schedule([])


@pytest.mark.parametrize("name", list(OPTAX_REFUSED))
def test_what_compat_has_no_equal_for_is_refused_by_optaxs_argument(name):
    function, args, (key, parameter, value) = OPTAX_REFUSED[name]
    ints, _ = _optax_values(function, args)  # optax gives values (below 0 somewhere)
    assert np.isfinite(ints).all()
    with pytest.raises(compat.RefusedError) as raised:
        getattr(compat.optax, function)(*args)
    refusal = raised.value
    assert (refusal.function, refusal.parameter, refusal.value) == (key, parameter, value)
    assert compat.REFUSED[(key, parameter)] in str(refusal)


def test_negative_lrs_are_what_optax_gives_where_compat_refuses():
    ints, _ = _optax_values("exponential_decay", (0.1, 10, -0.5, 0, True))
    assert ints[10] == pytest.approx(-0.05) and ints[20] == pytest.approx(0.025)


# -- Keras ---------------------------------------------------------------------------------
KERAS_STEPS = [0, 1, 9, 10, 11, 19, 20, 21, 99, 10**6, 2**24 + 1]
KERAS_FRACS = [0.25, 0.5, 9.5, 10.25, 10.5, 19.75, 20.5]

# name: (Keras class, arguments): Keras gives values, compat the same ones
KERAS_EQUAL = {
    "piecewise whole boundaries": ("PiecewiseConstantDecay", ([10, 20], [0.1, 0.05, 0.01])),
    "piecewise boundary 0": ("PiecewiseConstantDecay", ([0], [0.1, 0.2])),
    "piecewise repeated boundary": ("PiecewiseConstantDecay", ([10, 10], [0.1, 0.2, 0.05])),
    "exponential decay_rate 0": ("ExponentialDecay", (0.1, 10, 0.0)),
    "exponential decay_rate 0, staircase": ("ExponentialDecay", (0.1, 10, 0.0, True)),
    "polynomial rise from 0, linear": ("PolynomialDecay", (0.0, 10, 0.3, 1.0)),
    "polynomial rise from 0, power 0.5": ("PolynomialDecay", (0.0, 10, 0.3, 0.5)),
    "polynomial power 0": ("PolynomialDecay", (0.1, 10, 0.3, 0.0, True)),
    "cosine alpha above 1, fractional decay_steps": ("CosineDecay", (0.1, 2.5, 2.0)),
    "restarts m_mul 0": ("CosineDecayRestarts", (0.1, 10, 1.0, 0.0, 0.1)),
    "inverse time decay_rate 0": ("InverseTimeDecay", (0.1, 10, 0.0, True)),
}

# name: (Keras class, arguments, keyword arguments, (REFUSED function, argument, value))
KERAS_REFUSED = {
    "piecewise value below 0": (
        "PiecewiseConstantDecay",
        ([10], [-0.1, 0.2]),
        {},
        ("keras.PiecewiseConstantDecay", "values", [-0.1, 0.2]),
    ),
    "cosine warmup_target below 0": (
        "CosineDecay",
        (0.1, 10),
        {"warmup_target": -0.1, "warmup_steps": 5},
        ("keras.CosineDecay", "warmup_target", -0.1),
    ),
    "cosine alpha below 0": ("CosineDecay", (0.1, 10, -0.5), {}, ("keras.CosineDecay", "alpha", -0.5)),
    "restarts m_mul below 0": (
        "CosineDecayRestarts",
        (0.1, 10, 1.0, -0.5),
        {},
        ("keras.CosineDecayRestarts", "m_mul", -0.5),
    ),
    "exponential staircase rate below 0": (
        "ExponentialDecay",
        (0.1, 10, -0.5, True),
        {},
        ("keras.ExponentialDecay", "decay_rate", -0.5),
    ),
}


def _keras_peer(cls, args, kwargs):
    keras = pytest.importorskip("keras", reason="keras is not installed; CI installs it")
    if cls == "PiecewiseConstantDecay":
        args = (args[0], [np.float64(v) for v in args[1]])
    else:
        args = (np.float64(args[0]), *args[1:])
    return getattr(keras.optimizers.schedules, cls)(*args, **kwargs)


@pytest.mark.parametrize("name", list(KERAS_EQUAL))
def test_compat_equals_keras_at_the_edges_of_its_domain(name):
    cls, args = KERAS_EQUAL[name]
    peer = _keras_peer(cls, args, {})
    ours = getattr(compat.keras, cls)(*args)
    for steps, cast in ((KERAS_STEPS, int), (KERAS_FRACS, np.float64)):
        expected = np.asarray([float(np.asarray(peer(cast(s)))) for s in steps])
        got = ours(np.asarray(steps, dtype=np.float64))
        bad = ~np.isclose(got, expected, rtol=1e-6, atol=1e-9)
        assert not bad.any(), f"{cls}{args} at steps {np.asarray(steps)[bad]}: {got[bad]} vs Keras {expected[bad]}"


@pytest.mark.parametrize("name", list(KERAS_REFUSED))
def test_what_compat_has_no_equal_for_is_refused_by_keras_argument(name):
    cls, args, kwargs, (key, parameter, value) = KERAS_REFUSED[name]
    peer = _keras_peer(cls, args, kwargs)
    values = [float(np.asarray(peer(s))) for s in (0, 5, 10, 25)]
    assert np.isfinite(values).all() and min(values) < 0.0  # Keras gives values, some below 0
    with pytest.raises(compat.RefusedError) as raised:
        getattr(compat.keras, cls)(*args, **kwargs)
    refusal = raised.value
    assert (refusal.function, refusal.parameter, refusal.value) == (key, parameter, value)
    assert compat.REFUSED[(key, parameter)] in str(refusal)


@pytest.mark.parametrize(
    ("cls", "args"),
    [
        ("CosineDecay", (1, 10)),
        ("CosineDecayRestarts", (1, 10)),
        ("ExponentialDecay", (1, 10, 0.5)),
        ("InverseTimeDecay", (1, 10, 0.5)),
        ("PolynomialDecay", (1, 10)),
    ],
)
def test_an_int_initial_lr_that_keras_computes_in_integers_is_refused(cls, args):
    # Keras computes in the int's dtype: its values differ from the same schedule from 1.0.
    keras = pytest.importorskip("keras", reason="keras is not installed; CI installs it")
    schedules = keras.optimizers.schedules
    steps = [0, 1, 2, 5, 9, 10, 11, 15, 20, 25]
    from_float = np.array([float(np.asarray(getattr(schedules, cls)(float(args[0]), *args[1:])(s))) for s in steps])
    try:
        from_int = np.array([float(np.asarray(getattr(schedules, cls)(*args)(s))) for s in steps])
    except TypeError:  # on some backends (TensorFlow's cond) Keras cannot mix the int with floats at all
        from_int = None
    assert from_int is None or not np.allclose(from_int, from_float, rtol=1e-6, atol=1e-7)
    with pytest.raises(compat.RefusedError) as raised:
        getattr(compat.keras, cls)(*args)
    assert (raised.value.function, raised.value.parameter, raised.value.value) == (
        f"keras.{cls}",
        "initial_learning_rate",
        1,
    )
    ours = getattr(compat.keras, cls)(float(args[0]), *args[1:])  # the float one matches Keras' float one
    np.testing.assert_allclose(ours(np.asarray(steps, dtype=np.float64)), from_float, rtol=1e-5, atol=1e-7)
