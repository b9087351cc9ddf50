"""The optax adapter against optax's own schedules, side by side, and injected momentum."""

import numpy as np
import pytest

import lrsched as l

jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
optax = pytest.importorskip("optax", reason="optax is not installed; CI installs it")
import jax.numpy as jnp  # noqa: E402

from lrsched.adapters.optax import OptaxSchedule, inject_schedules, to_optax  # noqa: E402


def _compare(ours, peer, horizon, scale):
    """Both jitted on optax's int32 count, over the horizon and 2x past it."""
    counts = jnp.arange(0, 3 * horizon + 1, dtype=jnp.int32)
    mine = jax.jit(jax.vmap(to_optax(ours)))(counts)
    theirs = jax.jit(jax.vmap(peer))(counts)
    assert mine.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(mine), np.asarray(theirs), rtol=1e-6, atol=1e-6 * scale)
    # ... and both equal the core's float64 value to float32 rounding.
    np.testing.assert_allclose(np.asarray(mine), ours(np.asarray(counts)), rtol=1e-6, atol=1e-7 * scale)


def optax_cosine_onecycle(transition_steps, peak_value, pct_start=0.3, div_factor=25.0, final_div_factor=1e4):
    """The lrsched call equal to optax.cosine_onecycle_schedule (its knot is int(pct*T))."""
    return l.one_cycle(
        max_lr=peak_value,
        total_steps=transition_steps,
        pct_start=int(pct_start * transition_steps) / transition_steps,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
    )


def optax_linear_onecycle(
    transition_steps, peak_value, pct_start=0.3, pct_final=0.85, div_factor=25.0, final_div_factor=1e4
):
    """The lrsched composition equal to optax.linear_onecycle_schedule: up and back down
    to the initial LR (knots at int(pct_start*T), int(pct_final*T)), then a linear
    annihilation to initial/final_div_factor at T."""
    up, back = int(pct_start * transition_steps), int(pct_final * transition_steps)
    initial = peak_value / div_factor
    return l.join(
        schedules=[
            l.one_cycle(
                max_lr=peak_value,
                total_steps=back,
                pct_start=up / back,
                div_factor=div_factor,
                final_div_factor=1.0,
                anneal="linear",
            ),
            l.warmup(
                schedule=l.constant(lr=initial / final_div_factor),
                steps=transition_steps - back,
                start_lr=initial,
                shape="linear",
            ),
        ],
        boundaries=[back],
    )


@pytest.mark.parametrize("steps, pct", [(100, 0.3), (257, 0.25)])
def test_cosine_onecycle(steps, pct):
    _compare(optax_cosine_onecycle(steps, 0.5, pct), optax.cosine_onecycle_schedule(steps, 0.5, pct), steps, 0.5)


@pytest.mark.parametrize("steps, pct_start, pct_final", [(100, 0.3, 0.85), (200, 0.25, 0.5)])
def test_linear_onecycle(steps, pct_start, pct_final):
    ours = optax_linear_onecycle(steps, 0.5, pct_start, pct_final)
    _compare(ours, optax.linear_onecycle_schedule(steps, 0.5, pct_start, pct_final), steps, 0.5)
    if pct_final == 2 * pct_start:  # Smith's symmetric three-phase 1cycle is the same schedule
        three = l.one_cycle(max_lr=0.5, total_steps=steps, pct_start=pct_start, anneal="linear", three_phase=True)
        _compare(three, optax.linear_onecycle_schedule(steps, 0.5, pct_start, pct_final), steps, 0.5)


def test_cosine_decay_schedule():
    ours = l.cosine_decay(initial_lr=0.2, decay_steps=150, final_lr=0.2 * 0.05)
    _compare(ours, optax.cosine_decay_schedule(0.2, 150, alpha=0.05), 150, 0.2)


def test_exponential_decay_staircase_and_smooth():
    _compare(
        l.step_decay(initial_lr=0.2, drop=0.5, every=30),
        optax.exponential_decay(0.2, transition_steps=30, decay_rate=0.5, staircase=True),
        300,
        0.2,
    )
    _compare(
        l.exponential(initial_lr=0.2, gamma=0.5 ** (1 / 30)),
        optax.exponential_decay(0.2, transition_steps=30, decay_rate=0.5),
        300,
        0.2,
    )


def test_join_schedules():
    ours = l.join(
        schedules=[
            l.constant(lr=0.1),
            l.cosine_decay(initial_lr=0.1, decay_steps=50),
            l.exponential(initial_lr=0.05, gamma=0.99),
        ],
        boundaries=[20, 70],
    )
    peer = optax.join_schedules(
        [
            optax.constant_schedule(0.1),
            optax.cosine_decay_schedule(0.1, 50),
            optax.exponential_decay(0.05, transition_steps=1, decay_rate=0.99),
        ],
        boundaries=[20, 70],
    )
    _compare(ours, peer, 100, 0.1)


def test_jit_int32_count_float32_out():
    s = l.OneCycle.example()  # the seed's three phases: 0.08 -> 0.8 at 41 -> 0.08 at 82 -> 0.008 at 95
    out = jax.jit(to_optax(s))(jnp.int32(41))
    assert out.dtype == jnp.float32 and float(out) == pytest.approx(0.8, rel=1e-6)
    assert to_optax(s) == to_optax(s)  # a value, not a closure


@pytest.mark.parametrize("optimizer, key", [(optax.sgd, "momentum"), (optax.adam, "b1")])
def test_injected_momentum_follows_inverse_momentum_in_jitted_training(optimizer, key):
    lr = l.one_cycle(max_lr=0.05, total_steps=12, three_phase=True, pct_start=0.25)
    momentum = l.inverse_momentum(schedule=lr, base_momentum=0.85, max_momentum=0.95)
    opt = inject_schedules(optimizer, learning_rate=lr, **{key: momentum})
    params = {"w": jnp.arange(3.0)}
    state = opt.init(params)

    @jax.jit
    def train_step(params, state):
        grads = jax.grad(lambda p: jnp.sum((p["w"] - 1.0) ** 2))(params)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    for k in range(20):
        params, state = train_step(params, state)
        # The hyperparameters used by update k are the schedules at count k.
        assert float(state.hyperparams["learning_rate"]) == pytest.approx(lr(k), rel=1e-6)
        assert float(state.hyperparams[key]) == pytest.approx(momentum(k), rel=1e-6)
    assert np.all(np.isfinite(np.asarray(params["w"])))


def test_bad_input():
    with pytest.raises(TypeError, match="schedule must be an lrsched schedule"):
        to_optax(optax.constant_schedule(0.1))

    class Negative(l.Constant):
        policy = "test_negative_optax"

        @property
        def bounds(self):
            return (-1.0, 0.1)

    with pytest.raises(ValueError, match="negative"):
        OptaxSchedule(Negative(lr=0.1))
