"""lrsched.compat, side by side with the real peer: each torch scheduler and the schedule
its `compat.torch` function gives, step for step, over the horizon and past it."""

import re

import pytest

import lrsched as l
from lrsched import compat

torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
from tests.compat.peers import LR, peer_lrs  # noqa: E402

sched = torch.optim.lr_scheduler


def _assert_equal(ours, peer_values):
    for step, expected in enumerate(peer_values):
        assert ours(step) == pytest.approx(expected, rel=1e-9, abs=1e-15), (step, ours(step), expected)


CASES = {
    "OneCycleLR": (
        lambda o: sched.OneCycleLR(o, max_lr=0.3, total_steps=100),
        compat.torch.OneCycleLR(max_lr=0.3, total_steps=100),
        100,
    ),
    "OneCycleLR three-phase linear": (
        lambda o: sched.OneCycleLR(
            o, max_lr=0.3, total_steps=95, pct_start=0.4, anneal_strategy="linear", three_phase=True
        ),
        compat.torch.OneCycleLR(max_lr=0.3, total_steps=95, pct_start=0.4, anneal_strategy="linear", three_phase=True),
        95,
    ),
    "OneCycleLR epochs": (
        lambda o: sched.OneCycleLR(o, max_lr=0.3, epochs=4, steps_per_epoch=25, div_factor=10),
        compat.torch.OneCycleLR(max_lr=0.3, epochs=4, steps_per_epoch=25, div_factor=10),
        100,
    ),
    "CyclicLR exp_range": (
        lambda o: sched.CyclicLR(o, 0.01, 0.1, step_size_up=7, step_size_down=5, mode="exp_range", gamma=0.99),
        compat.torch.CyclicLR(0.01, 0.1, step_size_up=7, step_size_down=5, mode="exp_range", gamma=0.99),
        60,
    ),
    "CyclicLR triangular2": (
        lambda o: sched.CyclicLR(o, 0.01, 0.1, step_size_up=6, mode="triangular2"),
        compat.torch.CyclicLR(0.01, 0.1, step_size_up=6, mode="triangular2"),
        60,
    ),
    "CosineAnnealingWarmRestarts": (
        lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.001),
        compat.torch.CosineAnnealingWarmRestarts(LR, T_0=5, T_mult=2, eta_min=0.001),
        80,
    ),
    "CosineAnnealingLR (past T_max: climbs back)": (
        lambda o: sched.CosineAnnealingLR(o, T_max=30, eta_min=0.001),
        compat.torch.CosineAnnealingLR(LR, T_max=30, eta_min=0.001),
        130,
    ),
    "StepLR": (lambda o: sched.StepLR(o, step_size=7, gamma=0.5), compat.torch.StepLR(LR, step_size=7, gamma=0.5), 60),
    "MultiStepLR gamma 3 (steps up)": (
        lambda o: sched.MultiStepLR(o, milestones=[8, 30], gamma=3.0),
        compat.torch.MultiStepLR(LR, milestones=[8, 30], gamma=3.0),
        60,
    ),
    "MultiStepLR": (
        lambda o: sched.MultiStepLR(o, milestones=[20, 5, 20], gamma=0.5),
        compat.torch.MultiStepLR(LR, milestones=[20, 5, 20], gamma=0.5),
        60,
    ),
    "ExponentialLR": (lambda o: sched.ExponentialLR(o, gamma=0.9), compat.torch.ExponentialLR(LR, gamma=0.9), 60),
    "LinearLR up": (lambda o: sched.LinearLR(o, total_iters=10), compat.torch.LinearLR(LR, total_iters=10), 30),
    "LinearLR down": (
        lambda o: sched.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=10),
        compat.torch.LinearLR(LR, start_factor=1.0, end_factor=0.1, total_iters=10),
        30,
    ),
    "ConstantLR": (lambda o: sched.ConstantLR(o, factor=0.5, total_iters=4), compat.torch.ConstantLR(LR, 0.5, 4), 12),
    "PolynomialLR": (
        lambda o: sched.PolynomialLR(o, total_iters=20, power=2.0),
        compat.torch.PolynomialLR(LR, total_iters=20, power=2.0),
        50,
    ),
    "ChainedScheduler (linear warmup times exponential, times a step)": (
        lambda o: sched.ChainedScheduler(
            [
                sched.LinearLR(o, start_factor=0.1, total_iters=5),
                sched.ExponentialLR(o, gamma=0.95),
                sched.StepLR(o, step_size=12, gamma=0.5),
            ]
        ),
        compat.torch.ChainedScheduler(
            [
                compat.torch.LinearLR(LR, start_factor=0.1, total_iters=5),
                compat.torch.ExponentialLR(LR, gamma=0.95),
                compat.torch.StepLR(LR, step_size=12, gamma=0.5),
            ],
            lr=LR,
        ),
        60,
    ),
    "SequentialLR (linear warmup, then exponential)": (
        lambda o: sched.SequentialLR(
            o,
            [sched.LinearLR(o, start_factor=0.1, total_iters=5), sched.ExponentialLR(o, gamma=0.9)],
            milestones=[5],
        ),
        compat.torch.SequentialLR(
            [compat.torch.LinearLR(LR, start_factor=0.1, total_iters=5), compat.torch.ExponentialLR(LR, gamma=0.9)],
            milestones=[5],
        ),
        40,
    ),
    # torch runs first the scheduler after the milestones at or below 0, in its recursive form
    "SequentialLR, a milestone at 0: the second runs first": (
        lambda o: sched.SequentialLR(
            o, [sched.StepLR(o, 3), sched.ConstantLR(o, factor=0.5, total_iters=0)], milestones=[0]
        ),
        compat.torch.SequentialLR(
            [compat.torch.StepLR(LR, 3), compat.torch.ConstantLR(LR, factor=0.5, total_iters=0)], milestones=[0]
        ),
        20,
    ),
    "SequentialLR, milestones [0, 5] and a OneCycleLR last (it rewrites initial_lr)": (
        lambda o: sched.SequentialLR(
            o,
            [sched.StepLR(o, 3), sched.ExponentialLR(o, 0.9), sched.OneCycleLR(o, max_lr=0.5, total_steps=40)],
            milestones=[0, 5],
        ),
        compat.torch.SequentialLR(
            [
                compat.torch.StepLR(LR, 3),
                compat.torch.ExponentialLR(LR, 0.9),
                compat.torch.OneCycleLR(max_lr=0.5, total_steps=40),
            ],
            milestones=[0, 5],
        ),
        40,
    ),
    "SequentialLR, equal milestones: the one between never runs": (
        lambda o: sched.SequentialLR(
            o, [sched.StepLR(o, 3), sched.ExponentialLR(o, 0.9), sched.StepLR(o, 2, 0.5)], milestones=[4, 4]
        ),
        compat.torch.SequentialLR(
            [compat.torch.StepLR(LR, 3), compat.torch.ExponentialLR(LR, 0.9), compat.torch.StepLR(LR, 2, 0.5)],
            milestones=[4, 4],
        ),
        20,
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_torch_compat_equals_the_torch_scheduler(name):
    make, ours, steps = CASES[name]
    assert isinstance(ours, l.Schedule)
    _assert_equal(ours, peer_lrs(make, steps))


def test_torch_compat_refuses_what_has_no_frozen_equivalent():
    with pytest.raises(TypeError, match="scale_fn"):
        compat.torch.CyclicLR(0.01, 0.1, scale_fn=lambda x: 1.0)
    with pytest.raises(ValueError, match="epochs and steps_per_epoch"):
        compat.torch.OneCycleLR(max_lr=0.1)


def test_torch_compat_refuses_what_torch_never_reaches_or_nests():
    # A composition inside another: torch steps the inner one's schedulers through the
    # outer one's steps (0.05 at step 4 here where a product of the two gave 0.025).
    inner = compat.torch.SequentialLR(
        [compat.torch.ConstantLR(LR, 0.5, 3), compat.torch.ExponentialLR(LR, 0.9)], milestones=[4]
    )
    with pytest.raises(compat.RefusedError, match=r"schedulers=\['SequentialLR', 'StepLR'\].*a composition"):
        compat.torch.ChainedScheduler([inner, compat.torch.StepLR(LR, 2, 0.5)], LR)
    chained = compat.torch.ChainedScheduler([compat.torch.ConstantLR(LR, 0.5, 3), compat.torch.StepLR(LR, 2)], LR)
    with pytest.raises(compat.RefusedError, match=r"schedulers=\['ChainedScheduler', 'StepLR'\]"):
        compat.torch.SequentialLR([chained, compat.torch.StepLR(LR, 2, 0.5)], milestones=[5])
    # Milestones torch's whole step count never reaches, or bisects out of order.
    for milestones in ([2.5, 4], [-1]):
        with pytest.raises(compat.RefusedError, match=r"MultiStepLR: milestones=.*never reaches"):
            compat.torch.MultiStepLR(LR, milestones)
    for milestones in ([2.5], [5, 2]):
        with pytest.raises(compat.RefusedError, match=r"SequentialLR: milestones="):
            parts = [compat.torch.StepLR(LR, 3), compat.torch.StepLR(LR, 2)]
            compat.torch.SequentialLR([*parts, compat.torch.StepLR(LR, 4)][: len(milestones) + 1], milestones)


# -- optax ---------------------------------------------------------------------------------
def _optax_case(name):
    optax = pytest.importorskip("optax", reason="optax is not installed; CI installs it")
    cases = {
        "constant_schedule": (optax.constant_schedule(0.2), compat.optax.constant_schedule(0.2)),
        "linear_schedule down, delayed": (
            optax.linear_schedule(0.5, 0.01, 30, transition_begin=10),
            compat.optax.linear_schedule(0.5, 0.01, 30, transition_begin=10),
        ),
        "linear_schedule up": (optax.linear_schedule(0.0, 0.3, 20), compat.optax.linear_schedule(0.0, 0.3, 20)),
        "polynomial_schedule": (
            optax.polynomial_schedule(0.5, 0.01, 2.0, 40, transition_begin=5),
            compat.optax.polynomial_schedule(0.5, 0.01, 2.0, 40, transition_begin=5),
        ),
        "polynomial_schedule rise, power 0.5": (
            optax.polynomial_schedule(0.01, 0.5, 0.5, 40, transition_begin=3),
            compat.optax.polynomial_schedule(0.01, 0.5, 0.5, 40, transition_begin=3),
        ),
        "cosine_decay_schedule": (
            optax.cosine_decay_schedule(0.4, 50, alpha=0.1),
            compat.optax.cosine_decay_schedule(0.4, 50, alpha=0.1),
        ),
        "cosine_decay_schedule exponent": (
            optax.cosine_decay_schedule(0.4, 50, alpha=0.1, exponent=3.0),
            compat.optax.cosine_decay_schedule(0.4, 50, alpha=0.1, exponent=3.0),
        ),
        "exponential_decay": (
            optax.exponential_decay(0.4, 10, 0.5, transition_begin=7),
            compat.optax.exponential_decay(0.4, 10, 0.5, transition_begin=7),
        ),
        "exponential_decay staircase": (
            optax.exponential_decay(0.4, 10, 0.5, staircase=True),
            compat.optax.exponential_decay(0.4, 10, 0.5, staircase=True),
        ),
        "exponential_decay growth to end_value": (
            optax.exponential_decay(0.001, 10, 1.5, transition_begin=4, end_value=0.5),
            compat.optax.exponential_decay(0.001, 10, 1.5, transition_begin=4, end_value=0.5),
        ),
        "exponential_decay staircase growth to end_value": (
            optax.exponential_decay(0.001, 6, 2.0, staircase=True, end_value=0.3),
            compat.optax.exponential_decay(0.001, 6, 2.0, staircase=True, end_value=0.3),
        ),
        "exponential_decay end_value": (
            optax.exponential_decay(0.4, 10, 0.5, transition_begin=3, end_value=0.03),
            compat.optax.exponential_decay(0.4, 10, 0.5, transition_begin=3, end_value=0.03),
        ),
        "exponential_decay staircase end_value": (
            optax.exponential_decay(0.4, 10, 0.5, staircase=True, end_value=0.03),
            compat.optax.exponential_decay(0.4, 10, 0.5, staircase=True, end_value=0.03),
        ),
        "warmup_exponential_decay_schedule": (
            optax.warmup_exponential_decay_schedule(0.0, 0.4, 10, 15, 0.5, transition_begin=5, end_value=0.02),
            compat.optax.warmup_exponential_decay_schedule(0.0, 0.4, 10, 15, 0.5, transition_begin=5, end_value=0.02),
        ),
        "piecewise_constant_schedule": (
            optax.piecewise_constant_schedule(0.4, {10: 0.5, 30: 0.1}),
            compat.optax.piecewise_constant_schedule(0.4, {10: 0.5, 30: 0.1}),
        ),
        "piecewise_interpolate_schedule linear": (
            optax.piecewise_interpolate_schedule("linear", 0.1, {0: 2.0, 10: 3.0, 25: 0.1, 60: 1.0}),
            compat.optax.piecewise_interpolate_schedule("linear", 0.1, {0: 2.0, 10: 3.0, 25: 0.1, 60: 1.0}),
        ),
        "piecewise_interpolate_schedule cosine": (
            optax.piecewise_interpolate_schedule("cosine", 0.1, {10: 3.0, 25: 0.1, 60: 2.0}),
            compat.optax.piecewise_interpolate_schedule("cosine", 0.1, {10: 3.0, 25: 0.1, 60: 2.0}),
        ),
        "warmup_constant_schedule": (
            optax.warmup_constant_schedule(0.0, 0.3, 15),
            compat.optax.warmup_constant_schedule(0.0, 0.3, 15),
        ),
        "warmup_constant_schedule down, no warmup": (
            optax.warmup_constant_schedule(0.5, 0.3, 0),
            compat.optax.warmup_constant_schedule(0.5, 0.3, 0),
        ),
        "warmup_constant_schedule down": (
            optax.warmup_constant_schedule(0.5, 0.3, 10),
            compat.optax.warmup_constant_schedule(0.5, 0.3, 10),
        ),
        "warmup_cosine_decay_schedule": (
            optax.warmup_cosine_decay_schedule(0.0, 0.3, 10, 60, end_value=0.01),
            compat.optax.warmup_cosine_decay_schedule(0.0, 0.3, 10, 60, end_value=0.01),
        ),
        "cosine_onecycle_schedule": (
            optax.cosine_onecycle_schedule(75, 0.3, pct_start=0.25),
            compat.optax.cosine_onecycle_schedule(75, 0.3, pct_start=0.25),
        ),
        # int(2 p T) != 2 int(p T): no three-phase one_cycle is this schedule.
        "linear_onecycle_schedule": (
            optax.linear_onecycle_schedule(75, 0.3, pct_start=0.25, pct_final=0.5),
            compat.optax.linear_onecycle_schedule(75, 0.3, pct_start=0.25, pct_final=0.5),
        ),
        "sgdr_schedule": (
            optax.sgdr_schedule(
                [
                    dict(init_value=0.0, peak_value=0.3, warmup_steps=5, decay_steps=40, end_value=0.01),
                    dict(init_value=0.01, peak_value=0.2, warmup_steps=3, decay_steps=30),
                ]
            ),
            compat.optax.sgdr_schedule(
                [
                    dict(init_value=0.0, peak_value=0.3, warmup_steps=5, decay_steps=40, end_value=0.01),
                    dict(init_value=0.01, peak_value=0.2, warmup_steps=3, decay_steps=30),
                ]
            ),
        ),
        "join_schedules": (
            optax.join_schedules([optax.constant_schedule(0.3), optax.cosine_decay_schedule(0.3, 20)], [15]),
            compat.optax.join_schedules(
                [compat.optax.constant_schedule(0.3), compat.optax.cosine_decay_schedule(0.3, 20)], [15]
            ),
        ),
    }
    return cases[name]


OPTAX = [
    "constant_schedule", "linear_schedule down, delayed", "linear_schedule up", "polynomial_schedule",
    "polynomial_schedule rise, power 0.5",
    "cosine_decay_schedule", "cosine_decay_schedule exponent", "exponential_decay", "exponential_decay staircase",
    "exponential_decay growth to end_value", "exponential_decay staircase growth to end_value",
    "exponential_decay end_value", "exponential_decay staircase end_value", "warmup_exponential_decay_schedule",
    "piecewise_constant_schedule", "piecewise_interpolate_schedule linear", "piecewise_interpolate_schedule cosine",
    "warmup_constant_schedule", "warmup_constant_schedule down, no warmup", "warmup_constant_schedule down",
    "warmup_cosine_decay_schedule", "cosine_onecycle_schedule",
    "linear_onecycle_schedule", "sgdr_schedule", "join_schedules",
]  # fmt: skip


@pytest.mark.parametrize("name", OPTAX)
def test_optax_compat_equals_the_optax_schedule(name):
    import numpy as np

    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    peer, ours = _optax_case(name)
    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    steps = np.arange(0, 130)
    # one step at a time, as optax calls a schedule (its piecewise schedules index their
    # boundaries against a scalar count, not a vector of them)
    expected = np.asarray(jax.vmap(peer)(jnp.asarray(steps)), dtype=np.float64)
    # float32 peers: 1e-6 of the value, or of the schedule's scale where the value is
    # near zero (a float32 cosine near its floor holds only ~1e-8 of the peak).
    np.testing.assert_allclose(ours(steps), expected, rtol=1e-6, atol=1e-7 * np.max(np.abs(expected)))


def test_a_growing_factor_is_refused_with_the_peers_parameter_named():
    # torch and timm take a factor above 1 (the LR grows without bound); lrsched holds no such schedule.
    for call, name in [
        (lambda: compat.torch.StepLR(0.1, 10, gamma=2.0), "gamma"),
        (lambda: compat.torch.ExponentialLR(0.1, gamma=1.01), "gamma"),
        (lambda: compat.timm.StepLRScheduler(0.1, 10, decay_rate=2.0), "decay_rate"),
        (lambda: compat.keras.ExponentialDecay(0.1, 10, 1.5), "end_value"),
        (lambda: compat.keras.CosineDecayRestarts(0.1, 10, m_mul=1.5), "cycles"),
    ]:
        with pytest.raises(ValueError, match=name):
            call()


# -- each class an outside differential run found, against the real peer ------------------------
def _torch_case(make, ours, steps, lr=LR):
    peer = peer_lrs(make, steps, lr=lr)
    for step, expected in enumerate(peer):
        assert ours(step) == pytest.approx(expected, rel=1e-9, abs=1e-15), (step, ours(step), expected)


TORCH_FOUND = {
    # 17: OneCycleLR/CyclicLR rewrite the group's initial_lr, which the other schedulers start from
    "SequentialLR: ExponentialLR, then OneCycleLR": (
        lambda o: sched.SequentialLR(
            o, [sched.ExponentialLR(o, gamma=0.9), sched.OneCycleLR(o, max_lr=0.5, total_steps=30)], milestones=[10]
        ),
        lambda: compat.torch.SequentialLR(
            [compat.torch.ExponentialLR(LR, gamma=0.9), compat.torch.OneCycleLR(max_lr=0.5, total_steps=30)], [10]
        ),
        40,
    ),
    "SequentialLR: CyclicLR, then StepLR": (
        lambda o: sched.SequentialLR(
            o, [sched.CyclicLR(o, 0.01, 0.2, step_size_up=4), sched.StepLR(o, step_size=5, gamma=0.5)], milestones=[12]
        ),
        lambda: compat.torch.SequentialLR(
            [compat.torch.CyclicLR(0.01, 0.2, step_size_up=4), compat.torch.StepLR(LR, step_size=5, gamma=0.5)], [12]
        ),
        40,
    ),
    "SequentialLR: ConstantLR(total_iters=0) after a milestone": (
        lambda o: sched.SequentialLR(
            o, [sched.ExponentialLR(o, gamma=0.9), sched.ConstantLR(o, factor=0.5, total_iters=0)], milestones=[5]
        ),
        lambda: compat.torch.SequentialLR(
            [compat.torch.ExponentialLR(LR, gamma=0.9), compat.torch.ConstantLR(LR, factor=0.5, total_iters=0)], [5]
        ),
        20,
    ),
    "CosineAnnealingWarmRestarts(eta_min > lr)": (
        lambda o: sched.CosineAnnealingWarmRestarts(o, T_0=5, T_mult=2, eta_min=0.3),
        lambda: compat.torch.CosineAnnealingWarmRestarts(LR, T_0=5, T_mult=2, eta_min=0.3),
        40,
    ),
    "OneCycleLR(pct_start=1)": (
        lambda o: sched.OneCycleLR(o, max_lr=0.5, total_steps=20, pct_start=1.0),
        lambda: compat.torch.OneCycleLR(max_lr=0.5, total_steps=20, pct_start=1.0),
        19,  # torch divides by zero at step 20
    ),
    "OneCycleLR three-phase, pct_start 0.7": (
        lambda o: sched.OneCycleLR(o, max_lr=0.5, total_steps=20, pct_start=0.7, three_phase=True),
        lambda: compat.torch.OneCycleLR(max_lr=0.5, total_steps=20, pct_start=0.7, three_phase=True),
        20,
    ),
    "OneCycleLR div factors below 1": (
        lambda o: sched.OneCycleLR(o, max_lr=0.5, total_steps=20, div_factor=0.5, final_div_factor=0.8),
        lambda: compat.torch.OneCycleLR(max_lr=0.5, total_steps=20, div_factor=0.5, final_div_factor=0.8),
        20,
    ),
    "CyclicLR(base_lr > max_lr)": (
        lambda o: sched.CyclicLR(o, 0.3, 0.1, step_size_up=3, step_size_down=5),
        lambda: compat.torch.CyclicLR(0.3, 0.1, step_size_up=3, step_size_down=5),
        30,
    ),
    "StepLR(gamma=0)": (
        lambda o: sched.StepLR(o, step_size=4, gamma=0.0),
        lambda: compat.torch.StepLR(LR, step_size=4, gamma=0.0),
        12,
    ),
    "ExponentialLR(gamma=0)": (
        lambda o: sched.ExponentialLR(o, gamma=0.0),
        lambda: compat.torch.ExponentialLR(LR, gamma=0.0),
        5,
    ),
    # 18: torch's keywords
    "CyclicLR(scale_mode='iterations')": (
        lambda o: sched.CyclicLR(o, 0.01, 0.2, step_size_up=4, mode="triangular2", scale_mode="iterations"),
        lambda: compat.torch.CyclicLR(0.01, 0.2, step_size_up=4, mode="triangular2", scale_mode="iterations"),
        30,
    ),
}


@pytest.mark.parametrize("name", list(TORCH_FOUND))
def test_torch_classes_the_outside_run_found_equal_torch(name):
    make, ours, steps = TORCH_FOUND[name]
    _torch_case(make, ours(), steps)


def test_torch_chained_cosine_annealing_is_refused_by_name():
    # torch mixes its recursive form with the other factors: no product of schedules is it
    parts = [compat.torch.CosineAnnealingLR(LR, T_max=10), compat.torch.ExponentialLR(LR, gamma=0.9)]
    with pytest.raises(compat.RefusedError, match="schedulers=.*CosineAnnealingLR"):
        compat.torch.ChainedScheduler(parts, LR)


@pytest.mark.parametrize("cls", ["OneCycleLR", "CyclicLR"])
def test_torch_cycled_momentum_comes_with_the_schedule(cls):
    args = {"max_lr": 0.5, "total_steps": 40} if cls == "OneCycleLR" else {"base_lr": 0.01, "max_lr": 0.2}
    if cls == "CyclicLR":
        args["step_size_up"] = 5
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR, momentum=0.9)
    scheduler = getattr(sched, cls)(opt, **args)
    momenta = []
    for _ in range(40):
        momenta.append(opt.param_groups[0]["momentum"])
        opt.step()
        scheduler.step()
    momentum = compat.momentum_of(getattr(compat.torch, cls)(**args))
    assert momentum is not None
    assert [momentum(s) for s in range(40)] == pytest.approx(momenta, rel=1e-12)
    assert compat.momentum_of(getattr(compat.torch, cls)(**args, cycle_momentum=False)) is None


@pytest.mark.parametrize("cls", ["StepLR", "MultiStepLR", "ExponentialLR", "LinearLR", "ConstantLR", "PolynomialLR"])
def test_torch_last_epoch_resumes_where_the_run_left_off(cls):
    kwargs = {
        "StepLR": {"step_size": 4, "gamma": 0.5},
        "MultiStepLR": {"milestones": [3, 9, 9, 20], "gamma": 0.5},
        "ExponentialLR": {"gamma": 0.9},
        "LinearLR": {"start_factor": 0.2, "total_iters": 12},
        "ConstantLR": {"factor": 0.5, "total_iters": 12},
        "PolynomialLR": {"total_iters": 15, "power": 2.0},
    }[cls]
    fresh = peer_lrs(lambda o: getattr(sched, cls)(o, **kwargs), 40)
    for k in (0, 5, 10):
        ours = getattr(compat.torch, cls)(LR, **kwargs, last_epoch=k)
        assert [ours(t) for t in range(40 - k - 1)] == pytest.approx(fresh[k + 1 :], rel=1e-9)


# -- optax (15) and Keras (16) -----------------------------------------------------------------
def _optax_found():
    optax = pytest.importorskip("optax", reason="optax is not installed; CI installs it")
    wc = dict(init_value=0.1, peak_value=0.0, warmup_steps=5, decay_steps=20)
    return {
        "warmup_exponential_decay_schedule, end_value beyond peak_value": (
            optax.warmup_exponential_decay_schedule(0.0, 0.2, 10, 5, 0.5, end_value=0.4),
            compat.optax.warmup_exponential_decay_schedule(0.0, 0.2, 10, 5, 0.5, end_value=0.4),
        ),
        "warmup_cosine_decay_schedule, peak_value 0": (
            optax.warmup_cosine_decay_schedule(**wc),
            compat.optax.warmup_cosine_decay_schedule(**wc),
        ),
        "sgdr_schedule, peak_value 0": (optax.sgdr_schedule([wc, wc]), compat.optax.sgdr_schedule([wc, wc])),
        "polynomial_schedule from 0": (
            optax.polynomial_schedule(0.0, 0.3, 0.5, 20),
            compat.optax.polynomial_schedule(0.0, 0.3, 0.5, 20),
        ),
        "polynomial_schedule, power 0": (
            optax.polynomial_schedule(0.3, 0.01, 0.0, 20),
            compat.optax.polynomial_schedule(0.3, 0.01, 0.0, 20),
        ),
        "cosine_onecycle_schedule, pct_start 1": (
            optax.cosine_onecycle_schedule(40, 0.5, pct_start=1.0),
            compat.optax.cosine_onecycle_schedule(40, 0.5, pct_start=1.0),
        ),
    }


@pytest.mark.parametrize(
    "name",
    [
        "warmup_exponential_decay_schedule, end_value beyond peak_value",
        "warmup_cosine_decay_schedule, peak_value 0",
        "sgdr_schedule, peak_value 0",
        "polynomial_schedule from 0",
        "polynomial_schedule, power 0",
        "cosine_onecycle_schedule, pct_start 1",
    ],
)
def test_optax_classes_the_outside_run_found_equal_optax(name):
    import numpy as np

    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    peer, ours = _optax_found()[name]
    steps = np.arange(0, 60)
    expected = np.asarray(jax.vmap(peer)(jax.numpy.asarray(steps)), dtype=np.float64)
    np.testing.assert_allclose(ours(steps), expected, rtol=1e-6, atol=1e-7 * max(np.max(np.abs(expected)), 1e-30))


KERAS_FOUND = {
    "ExponentialDecay(decay_rate=0)": ("ExponentialDecay", dict(decay_steps=5, decay_rate=0.0)),
    "ExponentialDecay(decay_rate=0, staircase)": (
        "ExponentialDecay",
        dict(decay_steps=5, decay_rate=0.0, staircase=True),
    ),
    "InverseTimeDecay(decay_rate=0)": ("InverseTimeDecay", dict(decay_steps=5, decay_rate=0.0)),
    "PolynomialDecay(power=0)": ("PolynomialDecay", dict(decay_steps=20, power=0.0)),
    "CosineDecayRestarts(alpha=1.5)": ("CosineDecayRestarts", dict(first_decay_steps=8, alpha=1.5, m_mul=0.5)),
    "CosineDecayRestarts(m_mul=0)": ("CosineDecayRestarts", dict(first_decay_steps=8, m_mul=0.0, alpha=0.1)),
}


@pytest.mark.parametrize("name", list(KERAS_FOUND))
def test_keras_classes_the_outside_run_found_equal_keras(name):
    import numpy as np

    keras = pytest.importorskip("keras", reason="keras is not installed; CI installs it")
    cls, kwargs = KERAS_FOUND[name]
    peer = getattr(keras.optimizers.schedules, cls)(initial_learning_rate=np.float64(0.1), **kwargs)
    ours = getattr(compat.keras, cls)(0.1, **kwargs)
    steps = list(range(60))
    expected = [float(np.asarray(peer(s))) for s in steps]
    assert [ours(s) for s in steps] == pytest.approx(expected, rel=1e-6, abs=1e-12)


# -- 21: every refusal names the peer's parameter and the value given ------------------------------
@pytest.mark.parametrize(
    "call, text",
    [
        (lambda: compat.torch.OneCycleLR(max_lr=0.1, total_steps=100, pct_start=1.5), "pct_start=1.5"),
        (lambda: compat.torch.StepLR(LR, step_size=0), "step_size=0"),
        (lambda: compat.torch.CyclicLR(1.5, 0.5, mode="exp_range", gamma=0.99), "base_lr=1.5"),
        (lambda: compat.torch.CyclicLR(0.1, 0.5, scale_fn=lambda x: 1.0), "scale_fn=<function"),
        (lambda: compat.torch.CosineAnnealingLR(LR, T_max=10, last_epoch=3), "last_epoch=3"),
        (lambda: compat.optax.polynomial_schedule(0.0, 0.3, 2.0, 20), "init_value=0.0"),
        (lambda: compat.keras.CosineDecayRestarts(0.1, 10, t_mul=0.5), "t_mul=0.5"),
        (lambda: compat.timm.TanhLRScheduler(0.1, 10, lr_min=0.2), "lr_min=0.2"),
        (lambda: compat.transformers.get_scheduler("polynomial", LR, 5, 50, {"lr_end": 0.5}), "lr_end=0.5"),
        (
            lambda: compat.transformers.get_scheduler("warmup_stable_decay", LR, 10, 20, {"num_decay_steps": 15}),
            "num_training_steps=20",
        ),
    ],
)
def test_a_refusal_names_the_peers_parameter_and_the_value_given(call, text):
    with pytest.raises(ValueError, match=re.escape(text)):
        call()
