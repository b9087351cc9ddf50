"""Migration: a peer library's scheduler, by its own argument names and defaults, as the
equal lrsched schedule — which then runs in any framework (a torch schedule in a jitted
JAX loop, in Keras).

`torch_*` functions mirror `torch.optim.lr_scheduler` (step-for-step equal: see
`tests/test_compat.py`). torch schedulers read the initial LR from the optimizer's
param group: pass it as `lr`. Nothing here imports a framework.

    from lrsched import compat
    schedule = compat.torch_OneCycleLR(max_lr=0.1, total_steps=1000)   # == OneCycleLR
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lrsched.base import Schedule
from lrsched.compose import join, warmup
from lrsched.cosine import cosine_decay, cosine_restarts
from lrsched.cyclic import cyclic
from lrsched.decay import constant, exponential, multi_step, step_decay
from lrsched.one_cycle import one_cycle
from lrsched.polynomial import polynomial

# ruff: noqa: N802, N803 - the peers' own names (OneCycleLR, T_0, ...) are the point here.


def torch_OneCycleLR(
    max_lr: float,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
) -> Schedule:
    """`torch.optim.lr_scheduler.OneCycleLR`: its knots sit one step before Smith's
    (at `pct_start * T - 1`, `2 * pct_start * T - 2` and `T - 1`). Past `T - 1` torch
    raises; lrsched holds the final LR. Its momentum (`cycle_momentum=True`, base 0.85,
    max 0.95) is `inverse_momentum(schedule=this, base_momentum=..., max_momentum=...)`."""
    if total_steps is None:
        if epochs is None or steps_per_epoch is None:
            raise ValueError("give total_steps, or both epochs and steps_per_epoch (as OneCycleLR)")
        total_steps = epochs * steps_per_epoch
    if not isinstance(total_steps, int) or isinstance(total_steps, bool) or total_steps < 2:
        raise ValueError(f"total_steps must be a whole number >= 2; got {total_steps!r}")
    if anneal_strategy not in ("cos", "linear"):
        raise ValueError(f"anneal_strategy must be one of 'cos', 'linear'; got {anneal_strategy!r}")
    last = total_steps - 1
    return one_cycle(
        max_lr=max_lr,
        total_steps=last,
        pct_start=(pct_start * total_steps - 1) / last,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
        anneal=anneal_strategy,
        three_phase=three_phase,
    )


def torch_CyclicLR(
    base_lr: float,
    max_lr: float,
    step_size_up: float = 2000,
    step_size_down: float | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: Any = None,
) -> Schedule:
    """`torch.optim.lr_scheduler.CyclicLR` (momentum: `inverse_momentum(schedule=this,
    base_momentum=0.8, max_momentum=0.9)`, torch's defaults). A custom `scale_fn` is an
    arbitrary Python function: it has no frozen, configurable equivalent."""
    if scale_fn is not None:
        raise TypeError("scale_fn is an arbitrary function: lrsched's cyclic takes mode= (and gamma for exp_range)")
    return cyclic(
        base_lr=base_lr,
        max_lr=max_lr,
        step_size_up=step_size_up,
        step_size_down=step_size_down,
        mode=mode,
        gamma=gamma if mode == "exp_range" else 1.0,
    )


def torch_CosineAnnealingWarmRestarts(lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0) -> Schedule:
    """`torch.optim.lr_scheduler.CosineAnnealingWarmRestarts` on a group with LR `lr`."""
    return cosine_restarts(max_lr=lr, first_cycle_steps=T_0, cycle_mult=T_mult, min_lr=eta_min)


def torch_CosineAnnealingLR(lr: float, T_max: int, eta_min: float = 0.0) -> Schedule:
    """`torch.optim.lr_scheduler.CosineAnnealingLR`: past `T_max` the cosine climbs back
    up (period `2 * T_max`), as torch's does."""
    return cosine_decay(initial_lr=lr, decay_steps=T_max, final_lr=eta_min, periodic=True)


def torch_StepLR(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """`torch.optim.lr_scheduler.StepLR`."""
    return step_decay(initial_lr=lr, drop=gamma, every=step_size)


def torch_MultiStepLR(lr: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    """`torch.optim.lr_scheduler.MultiStepLR` (milestones in any order, as torch counts them)."""
    return multi_step(initial_lr=lr, milestones=sorted(milestones), gamma=gamma)


def torch_ExponentialLR(lr: float, gamma: float) -> Schedule:
    """`torch.optim.lr_scheduler.ExponentialLR`."""
    return exponential(initial_lr=lr, gamma=gamma)


def torch_LinearLR(lr: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5) -> Schedule:
    """`torch.optim.lr_scheduler.LinearLR`: the factor moves linearly from `start_factor`
    to `end_factor` over `total_iters` steps, then holds."""
    start, end = lr * start_factor, lr * end_factor
    if start_factor <= end_factor:
        return warmup(schedule=constant(lr=end), steps=total_iters, start_lr=start)
    return polynomial(initial_lr=start, decay_steps=total_iters, final_lr=end, power=1.0)


def torch_ConstantLR(lr: float, factor: float = 1.0 / 3, total_iters: int = 5) -> Schedule:
    """`torch.optim.lr_scheduler.ConstantLR`: `lr * factor` until `total_iters`, then `lr`."""
    return join(schedules=[constant(lr=lr * factor), constant(lr=lr)], boundaries=[total_iters])


def torch_PolynomialLR(lr: float, total_iters: int = 5, power: float = 1.0) -> Schedule:
    """`torch.optim.lr_scheduler.PolynomialLR`."""
    return polynomial(initial_lr=lr, decay_steps=total_iters, power=power)


def torch_SequentialLR(schedulers: Sequence[Schedule], milestones: Sequence[int]) -> Schedule:
    """`torch.optim.lr_scheduler.SequentialLR` of the schedules given (each from the
    `torch_*` function of its scheduler): scheduler k runs from `milestones[k - 1]`,
    counting its own steps from 0."""
    return join(schedules=list(schedulers), boundaries=list(milestones))


# -- optax ----------------------------------------------------------------------------
def _delayed(init_value: float, schedule: Schedule, transition_begin: int) -> Schedule:
    """optax's `transition_begin`: `init_value` until then, the schedule from then on."""
    if transition_begin <= 0:
        return schedule
    return join(schedules=[constant(lr=init_value), schedule], boundaries=[transition_begin])


def _line(start: float, end: float, steps: float) -> Schedule:
    """From `start` to `end` in a straight line over `steps`, then `end`."""
    if steps <= 0 or start == end:
        return constant(lr=start if steps <= 0 else end)
    if start < end:
        return warmup(schedule=constant(lr=end), steps=steps, start_lr=start)
    return polynomial(initial_lr=start, decay_steps=steps, final_lr=end, power=1.0)


def optax_constant_schedule(value: float) -> Schedule:
    """`optax.constant_schedule`."""
    return constant(lr=value)


def optax_linear_schedule(
    init_value: float, end_value: float, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    """`optax.linear_schedule` (up or down)."""
    return _delayed(init_value, _line(init_value, end_value, transition_steps), transition_begin)


def optax_polynomial_schedule(
    init_value: float, end_value: float, power: float, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    """`optax.polynomial_schedule`: a decay for any power; a rise for power 1 (a rise
    along another power has no lrsched policy yet: ValueError)."""
    if transition_steps <= 0 or init_value == end_value:
        return _delayed(init_value, _line(init_value, end_value, transition_steps), transition_begin)
    if init_value < end_value and power != 1.0:
        raise ValueError("a polynomial rise with power != 1 has no lrsched policy yet; power=1 is a linear warmup")
    if init_value < end_value:
        return _delayed(init_value, _line(init_value, end_value, transition_steps), transition_begin)
    decay = polynomial(initial_lr=init_value, decay_steps=transition_steps, final_lr=end_value, power=power)
    return _delayed(init_value, decay, transition_begin)


def optax_cosine_decay_schedule(
    init_value: float, decay_steps: int, alpha: float = 0.0, exponent: float = 1.0
) -> Schedule:
    """`optax.cosine_decay_schedule`."""
    return cosine_decay(initial_lr=init_value, decay_steps=decay_steps, final_lr=alpha * init_value, exponent=exponent)


def optax_exponential_decay(
    init_value: float,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    """`optax.exponential_decay` with decay_rate <= 1 and no `end_value` floor."""
    if end_value is not None:
        raise ValueError("exponential_decay's end_value floor has no lrsched policy yet; leave it None")
    schedule: Schedule
    if staircase:
        schedule = step_decay(initial_lr=init_value, drop=decay_rate, every=transition_steps)
    else:
        schedule = exponential(initial_lr=init_value, gamma=decay_rate ** (1.0 / transition_steps))
    return _delayed(init_value, schedule, transition_begin)


def optax_join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """`optax.join_schedules` of lrsched schedules."""
    return join(schedules=list(schedules), boundaries=list(boundaries))


def optax_piecewise_constant_schedule(
    init_value: float, boundaries_and_scales: dict[int, float] | None = None
) -> Schedule:
    """`optax.piecewise_constant_schedule`: the value is multiplied by each scale from its boundary on."""
    value, values, boundaries = init_value, [], []
    for boundary, scale in sorted((boundaries_and_scales or {}).items()):
        if boundary <= 0:
            value *= scale  # in force from step 0
            continue
        values.append(value)
        boundaries.append(boundary)
        value *= scale
    if not boundaries:
        return constant(lr=value)
    return join(schedules=[constant(lr=v) for v in (*values, value)], boundaries=boundaries)


def optax_warmup_constant_schedule(init_value: float, peak_value: float, warmup_steps: int) -> Schedule:
    """`optax.warmup_constant_schedule`."""
    return (
        _line(init_value, peak_value, warmup_steps)
        if init_value <= peak_value
        else join(
            schedules=[_line(init_value, peak_value, warmup_steps), constant(lr=peak_value)], boundaries=[warmup_steps]
        )
    )


def optax_warmup_cosine_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    decay_steps: int,
    end_value: float = 0.0,
    exponent: float = 1.0,
) -> Schedule:
    """`optax.warmup_cosine_decay_schedule`: `decay_steps` counts the warmup too."""
    decay = optax_cosine_decay_schedule(peak_value, decay_steps - warmup_steps, end_value / peak_value, exponent)
    if warmup_steps <= 0:
        return decay
    return warmup(schedule=decay, steps=warmup_steps, start_lr=init_value)


def optax_cosine_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """`optax.cosine_onecycle_schedule`: optax puts the peak at the whole step `int(pct_start * T)`."""
    return one_cycle(
        max_lr=peak_value,
        total_steps=transition_steps,
        pct_start=int(pct_start * transition_steps) / transition_steps,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
    )
