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

import math
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lrsched.base import Schedule
from lrsched.compose import join, product, warmup
from lrsched.cosine import cosine_decay, cosine_restarts
from lrsched.cyclic import cyclic
from lrsched.decay import constant, exponential, multi_step, step_decay
from lrsched.inverse import inverse_decay
from lrsched.one_cycle import one_cycle
from lrsched.polynomial import polynomial
from lrsched.restarts import Decay, restarts
from lrsched.sweep import range_sweep
from lrsched.tanh import tanh_decay
from lrsched.wsd import warmup_stable_decay

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
    if pct_start * total_steps <= 1:
        # torch's warmup then ends at or before step 0: a division by zero at exactly 1,
        # and below it a peak before the first step.
        raise ValueError(
            f"pct_start * total_steps must be above 1 (the warmup's last step, pct_start * total_steps - 1, "
            f"must come after step 0); got {pct_start} * {total_steps}"
        )
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


def _decay_factor(name: str, value: float) -> float:
    if not 0.0 < value <= 1.0:
        raise ValueError(f"{name} must be in (0, 1]; got {value!r} (above 1 the LR grows without bound)")
    return value


def torch_StepLR(lr: float, step_size: int, gamma: float = 0.1) -> Schedule:
    """`torch.optim.lr_scheduler.StepLR`."""
    return step_decay(initial_lr=lr, drop=_decay_factor("gamma", gamma), every=step_size)


def torch_MultiStepLR(lr: float, milestones: Sequence[int], gamma: float = 0.1) -> Schedule:
    """`torch.optim.lr_scheduler.MultiStepLR` (milestones in any order, as torch counts them)."""
    return multi_step(initial_lr=lr, milestones=sorted(milestones), gamma=gamma)


def torch_ExponentialLR(lr: float, gamma: float) -> Schedule:
    """`torch.optim.lr_scheduler.ExponentialLR`."""
    return exponential(initial_lr=lr, gamma=_decay_factor("gamma", gamma))


def torch_LinearLR(lr: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5) -> Schedule:
    """`torch.optim.lr_scheduler.LinearLR`: the factor moves linearly from `start_factor`
    to `end_factor` over `total_iters` steps, then holds."""
    start, end = lr * start_factor, lr * end_factor
    if total_iters <= 0:
        return constant(lr=start)  # torch's step 0 applies start_factor, and no later step changes it
    if start_factor <= end_factor:
        return warmup(schedule=constant(lr=end), steps=total_iters, start_lr=start)
    return polynomial(initial_lr=start, decay_steps=total_iters, final_lr=end, power=1.0)


def torch_ConstantLR(lr: float, factor: float = 1.0 / 3, total_iters: int = 5) -> Schedule:
    """`torch.optim.lr_scheduler.ConstantLR`: `lr * factor` until `total_iters`, then `lr`
    (with `total_iters=0`, `lr * factor` throughout, as torch's steps leave it)."""
    if total_iters <= 0:
        return constant(lr=lr * factor)
    return join(schedules=[constant(lr=lr * factor), constant(lr=lr)], boundaries=[total_iters])


def torch_PolynomialLR(lr: float, total_iters: int = 5, power: float = 1.0) -> Schedule:
    """`torch.optim.lr_scheduler.PolynomialLR` (with `total_iters=0`, `lr` throughout)."""
    if total_iters <= 0:
        return constant(lr=lr)
    return polynomial(initial_lr=lr, decay_steps=total_iters, power=power)


def torch_SequentialLR(schedulers: Sequence[Schedule], milestones: Sequence[int]) -> Schedule:
    """`torch.optim.lr_scheduler.SequentialLR` of the schedules given (each from the
    `torch_*` function of its scheduler): scheduler k runs from `milestones[k - 1]`,
    counting its own steps from 0."""
    return join(schedules=list(schedulers), boundaries=list(milestones))


def torch_ChainedScheduler(schedulers: Sequence[Schedule], lr: float) -> Schedule:
    """`torch.optim.lr_scheduler.ChainedScheduler` of multiplicative schedulers (StepLR,
    MultiStepLR, ExponentialLR, LinearLR, ConstantLR, PolynomialLR), each given by its
    `torch_*` function on the group's LR `lr`: the LR is `lr` times each one's factor."""
    parts = list(schedulers)
    return product(schedules=parts, scale=lr ** (1 - len(parts))) if len(parts) > 1 else parts[0]


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
    """`optax.polynomial_schedule`, a decay or a rise."""
    if transition_steps <= 0 or init_value == end_value:
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
    """`optax.exponential_decay`: with decay_rate < 1 an `end_value` is a floor, a
    constant from the step where the decay reaches it; with decay_rate > 1 it is the
    ceiling a growth needs (lrsched holds no schedule that grows without bound). As in
    optax, no transition steps or a zero rate hold `init_value`, and an `end_value` on
    the far side of `init_value` holds from step 0."""
    if transition_steps <= 0 or decay_rate == 0.0:
        return constant(lr=init_value)
    if not decay_rate > 0.0:
        raise ValueError(f"decay_rate must be in [0, inf); got {decay_rate!r}")
    if end_value is not None and (end_value >= init_value if decay_rate < 1.0 else end_value <= init_value):
        return constant(lr=end_value)  # optax clips every value, those before transition_begin too
    if decay_rate > 1.0:
        return _delayed(
            init_value, _growth(init_value, transition_steps, decay_rate, staircase, end_value), transition_begin
        )
    schedule: Schedule
    if staircase:
        schedule = step_decay(initial_lr=init_value, drop=decay_rate, every=transition_steps)
    else:
        schedule = exponential(initial_lr=init_value, gamma=decay_rate ** (1.0 / transition_steps))
    if end_value is not None and end_value > 0.0 and decay_rate < 1.0:
        periods = math.log(end_value / init_value) / math.log(decay_rate)
        # The floor takes over where the decay crosses it: at a whole period for a staircase.
        crossing = math.ceil(periods) * transition_steps if staircase else periods * transition_steps
        schedule = join(schedules=[schedule, constant(lr=end_value)], boundaries=[crossing])
    return _delayed(init_value, schedule, transition_begin)


MAX_STAIRS = 10_000


def _growth(init_value: float, every: float, rate: float, staircase: bool, ceiling: float | None) -> Schedule:
    """init_value * rate**(t / every) (floor(t / every) for a staircase), capped at `ceiling`."""
    if ceiling is None:
        raise ValueError(f"decay_rate {rate!r} > 1 grows the LR without bound: give end_value, the ceiling it grows to")
    periods = math.log(ceiling / init_value) / math.log(rate)  # where the growth meets the ceiling
    if not staircase:
        return range_sweep(start_lr=init_value, end_lr=ceiling, num_steps=periods * every, mode="exp")
    stairs = math.ceil(periods)
    if stairs > MAX_STAIRS:
        raise ValueError(f"a staircase of {stairs} growth steps to end_value is more than {MAX_STAIRS}")
    values = [init_value * rate**k for k in range(stairs)] + [ceiling]
    return join(schedules=[constant(lr=v) for v in values], boundaries=[k * every for k in range(1, stairs + 1)])


def optax_warmup_exponential_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
) -> Schedule:
    """`optax.warmup_exponential_decay_schedule`: a linear warmup, then `exponential_decay`."""
    decay = optax_exponential_decay(peak_value, transition_steps, decay_rate, transition_begin, staircase, end_value)
    return warmup(schedule=decay, steps=warmup_steps, start_lr=init_value) if warmup_steps > 0 else decay


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
    """`optax.warmup_constant_schedule`: a line to `peak_value`, held from there (up or down;
    with no warmup steps, optax holds `init_value`)."""
    return _line(init_value, peak_value, warmup_steps)


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
    if int(pct_start * transition_steps) == 0:  # the peak from step 0 on: no warmup, only the fall
        scales = {0: div_factor, transition_steps: 1.0 / (div_factor * final_div_factor)}
        return optax_piecewise_interpolate_schedule("cosine", peak_value / div_factor, scales)
    return one_cycle(
        max_lr=peak_value,
        total_steps=transition_steps,
        pct_start=int(pct_start * transition_steps) / transition_steps,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
    )


def _segment(kind: str, start: float, end: float, steps: float) -> Schedule:
    """From `start` to `end` over `steps` along a line or half a cosine, then `end`."""
    if kind == "linear" or start == end:
        return _line(start, end, steps)
    if start > end:
        return cosine_decay(initial_lr=start, decay_steps=steps, final_lr=end)
    return warmup(schedule=constant(lr=end), steps=steps, start_lr=start, shape="cosine")


def optax_piecewise_interpolate_schedule(
    interpolate_type: str, init_value: float, boundaries_and_scales: Mapping[int, float] | None = None
) -> Schedule:
    """`optax.piecewise_interpolate_schedule`: the value is multiplied by each scale by its
    boundary, reached along a line or half a cosine from the boundary before."""
    if interpolate_type not in ("linear", "cosine"):
        raise ValueError(f"interpolate_type must be 'linear' or 'cosine'; got {interpolate_type!r}")
    points = sorted((boundaries_and_scales or {}).items())
    if any(boundary < 0 or scale < 0 for boundary, scale in points):
        raise ValueError("boundaries and scales must be >= 0")
    bounds, values = [0.0], [init_value]
    for boundary, scale in points:
        bounds.append(float(boundary))
        values.append(values[-1] * scale)
    parts: list[Schedule] = []
    starts: list[float] = []
    for a, b, start, end in zip(bounds[:-1], bounds[1:], values[:-1], values[1:], strict=True):
        if b > a:  # an empty interval is never in force
            parts.append(_segment(interpolate_type, start, end, b - a))
            starts.append(a)
    parts.append(constant(lr=values[-1]))
    starts.append(bounds[-1])
    if len(parts) == 1:
        return parts[0]
    return join(schedules=parts, boundaries=starts[1:])


def optax_linear_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    pct_final: float = 0.85,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """`optax.linear_onecycle_schedule`, with its knots at the whole steps
    `int(pct_start * T)` and `int(pct_final * T)` (so it is `one_cycle(three_phase=True)`
    only where `int(2 * pct_start * T) == 2 * int(pct_start * T)`)."""
    return optax_piecewise_interpolate_schedule(
        "linear",
        peak_value / div_factor,
        {
            int(pct_start * transition_steps): div_factor,
            int(pct_final * transition_steps): 1.0 / div_factor,
            transition_steps: 1.0 / final_div_factor,
        },
    )


def optax_sgdr_schedule(cosine_kwargs: Iterable[Mapping[str, Any]]) -> Schedule:
    """`optax.sgdr_schedule`: `warmup_cosine_decay_schedule(**kwargs)` for each, back to back."""
    parts, boundaries, step = [], [], 0.0
    for kwargs in cosine_kwargs:
        parts.append(optax_warmup_cosine_decay_schedule(**kwargs))
        step += kwargs["decay_steps"]
        boundaries.append(step)
    return join(schedules=parts, boundaries=boundaries[:-1]) if len(parts) > 1 else parts[0]


# -- Keras (keras.optimizers.schedules) ------------------------------------------------
def keras_CosineDecay(
    initial_learning_rate: float,
    decay_steps: int,
    alpha: float = 0.0,
    name: str = "CosineDecay",
    warmup_target: float | None = None,
    warmup_steps: int = 0,
) -> Schedule:
    """`keras.optimizers.schedules.CosineDecay`: with `warmup_target`, a linear warmup
    from `initial_learning_rate` to it, then the cosine from there."""
    if warmup_target is None:
        return cosine_decay(
            initial_lr=initial_learning_rate, decay_steps=decay_steps, final_lr=alpha * initial_learning_rate
        )
    decay = cosine_decay(initial_lr=warmup_target, decay_steps=decay_steps, final_lr=alpha * warmup_target)
    return warmup(schedule=decay, steps=warmup_steps, start_lr=initial_learning_rate)


def keras_CosineDecayRestarts(
    initial_learning_rate: float,
    first_decay_steps: int,
    t_mul: float = 2.0,
    m_mul: float = 1.0,
    alpha: float = 0.0,
    name: str = "SGDRDecay",
    *,
    cycles: int | None = None,
) -> Schedule:
    """`keras.optimizers.schedules.CosineDecayRestarts`. Keras finds the cycle from a
    float32 logarithm, which can put a restart a step late far into training; lrsched's
    restarts are exact. With m_mul > 1 each cycle's amplitude grows: give `cycles`
    (lrsched's own), how many cycles run before the LR holds `alpha * initial`."""
    lr, floor = initial_learning_rate, alpha * initial_learning_rate
    if m_mul <= 1.0 and cycles is None:
        return cosine_restarts(
            max_lr=lr, first_cycle_steps=first_decay_steps, cycle_mult=t_mul, peak_decay=m_mul, min_lr=floor
        )
    decay = cosine_decay(initial_lr=lr, decay_steps=first_decay_steps, final_lr=floor)
    return restarts(decay=decay, cycle_mult=t_mul, peak_decay=m_mul, scales="amplitude", cycles=cycles)


def keras_ExponentialDecay(
    initial_learning_rate: float,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str = "ExponentialDecay",
    *,
    end_value: float | None = None,
) -> Schedule:
    """`keras.optimizers.schedules.ExponentialDecay`. With decay_rate > 1 the LR grows:
    give `end_value` (lrsched's own, as optax's), the ceiling it grows to. Keras rounds
    `decay_rate` to float32 even beside a float64 LR, which puts its value p * 3e-8
    (relative) off after p periods; lrsched computes with the rate given."""
    return optax_exponential_decay(
        initial_learning_rate, decay_steps, decay_rate, staircase=staircase, end_value=end_value
    )


def keras_InverseTimeDecay(
    initial_learning_rate: float,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str = "InverseTimeDecay",
) -> Schedule:
    """`keras.optimizers.schedules.InverseTimeDecay`."""
    return inverse_decay(
        initial_lr=initial_learning_rate, decay_steps=decay_steps, decay_rate=decay_rate, power=1.0, staircase=staircase
    )


def keras_PiecewiseConstantDecay(
    boundaries: Sequence[int], values: Sequence[float], name: str = "PiecewiseConstant"
) -> Schedule:
    """`keras.optimizers.schedules.PiecewiseConstantDecay`: Keras switches after a
    boundary (`values[k+1]` from step `boundaries[k] + 1` on whole steps)."""
    if len(values) != len(boundaries) + 1:
        raise ValueError("values must hold one more entry than boundaries")
    return join(schedules=[constant(lr=v) for v in values], boundaries=[b + 1 for b in boundaries])


def keras_PolynomialDecay(
    initial_learning_rate: float,
    decay_steps: int,
    end_learning_rate: float = 0.0001,
    power: float = 1.0,
    cycle: bool = False,
    name: str = "PolynomialDecay",
) -> Schedule:
    """`keras.optimizers.schedules.PolynomialDecay`."""
    return polynomial(
        initial_lr=initial_learning_rate, decay_steps=decay_steps, final_lr=end_learning_rate, power=power, cycle=cycle
    )


# -- Hugging Face transformers (get_scheduler) ----------------------------------------
HF_NAMES = (
    "linear",
    "cosine",
    "cosine_with_restarts",
    "polynomial",
    "constant",
    "constant_with_warmup",
    "inverse_sqrt",
    "cosine_with_min_lr",
    "cosine_warmup_with_min_lr",
    "warmup_stable_decay",
)


def _hf_required(name: str, value: int | None, what: str) -> int:
    if value is None:
        raise ValueError(f"{name} requires `{what}`, as transformers' get_scheduler does")
    return value


def hf_get_scheduler(
    name: str,
    lr: float,
    num_warmup_steps: int | None = None,
    num_training_steps: int | None = None,
    scheduler_specific_kwargs: Mapping[str, Any] | None = None,
) -> Schedule:
    """`transformers.get_scheduler(name, optimizer, ...)` on an optimizer whose LR is `lr`:
    every name but the metric-driven `reduce_lr_on_plateau` and `greedy`. Warmups ramp
    from 0 (`step / num_warmup_steps`) before the schedule, which then counts from the
    end of the warmup."""
    name = getattr(name, "value", name)  # a SchedulerType member
    kwargs = dict(scheduler_specific_kwargs or {})
    if name not in HF_NAMES:
        raise ValueError(
            f"name must be one of {', '.join(HF_NAMES)} (the metric-driven ones are not schedules); got {name!r}"
        )
    if name == "constant":
        return constant(lr=lr)
    warm = _hf_required(name, num_warmup_steps, "num_warmup_steps")
    after: Schedule
    whole: Schedule | None = None  # a schedule that brings its own warmup
    if name == "constant_with_warmup":
        after = constant(lr=lr)
    elif name == "inverse_sqrt":
        timescale = kwargs.pop("timescale", None) or warm or 10_000
        after = inverse_decay(initial_lr=lr, decay_steps=timescale, power=0.5)
    elif name == "warmup_stable_decay":
        return _hf_wsd(lr, warm, num_training_steps, **kwargs)
    else:
        total = _hf_required(name, num_training_steps, "num_training_steps")
        horizon = max(1, total - warm)
        if name == "linear":
            after = polynomial(initial_lr=lr, decay_steps=horizon, power=1.0)
        elif name == "polynomial":
            lr_end, power = kwargs.pop("lr_end", 1e-7), kwargs.pop("power", 1.0)
            if not lr_end < lr:
                raise ValueError(f"lr_end ({lr_end}) must be smaller than the initial lr ({lr})")
            after = polynomial(initial_lr=lr, decay_steps=total - warm, final_lr=lr_end, power=power)
        elif name == "cosine_with_restarts":
            cycles = kwargs.pop("num_cycles", 1)
            hard = cosine_restarts(max_lr=lr, first_cycle_steps=horizon / cycles)
            after = join(schedules=[hard, constant(lr=0.0)], boundaries=[horizon])
        else:
            cycles = kwargs.pop("num_cycles", 0.5)
            floor = _hf_min_lr(name, lr, kwargs)
            cosine = cosine_decay(initial_lr=lr, decay_steps=horizon / (2 * cycles), final_lr=floor, periodic=True)
            if name == "cosine_warmup_with_min_lr":
                whole = _hf_cosine_warmup_with_min_lr(cosine, lr, warm, kwargs.pop("warmup_lr_rate", None))
            after = cosine
    if kwargs:
        raise TypeError(f"{name} takes no scheduler_specific_kwargs {sorted(kwargs)}")
    return whole if whole is not None else warmup(schedule=after, steps=warm)


def _hf_min_lr(name: str, lr: float, kwargs: dict[str, Any]) -> float:
    if name == "cosine":
        return 0.0
    min_lr, min_lr_rate = kwargs.pop("min_lr", None), kwargs.pop("min_lr_rate", None)
    if (min_lr is None) == (min_lr_rate is None):
        raise ValueError(f"{name} takes one of min_lr or min_lr_rate")
    return float(min_lr) if min_lr is not None else lr * min_lr_rate


def _hf_cosine_warmup_with_min_lr(cosine: Schedule, lr: float, warm: int, warmup_lr_rate: float | None) -> Schedule:
    # Its warmup reaches lr one step early ((step + 1) / W, or rate + (1 - rate) step / (W - 1)),
    # and its cosine counts from step W - 1.
    if warm < 1:
        raise ValueError(
            "cosine_warmup_with_min_lr with num_warmup_steps=0 runs its cosine one step ahead of the step "
            "(progress (step + 1) / T); lrsched has no time shift: give num_warmup_steps >= 1"
        )
    if warmup_lr_rate is not None and warm == 1:
        # lr * rate at step 0, then the cosine on its own clock, which has counted step 0.
        return warmup(schedule=cosine, steps=1, start_lr=lr * warmup_lr_rate, shape="constant", prefix=False)
    start = lr / warm if warmup_lr_rate is None else lr * warmup_lr_rate
    return warmup(schedule=cosine, steps=warm - 1, start_lr=start)


def _hf_wsd(
    lr: float,
    num_warmup_steps: int,
    num_training_steps: int | None = None,
    num_decay_steps: int | None = None,
    num_stable_steps: int | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: float = 0.0,
    num_cycles: float = 0.5,
) -> Schedule:
    if num_decay_steps is None or num_decay_steps <= 0:
        raise ValueError(f"warmup_stable_decay needs num_decay_steps > 0; got {num_decay_steps!r}")
    if num_stable_steps is None:
        if num_training_steps is None:
            raise ValueError("warmup_stable_decay needs num_training_steps or num_stable_steps")
        num_stable_steps = num_training_steps - num_warmup_steps - num_decay_steps
    if num_stable_steps < 0:
        raise ValueError("num_training_steps must cover num_warmup_steps + num_decay_steps")
    if decay_type == "cosine" and num_cycles != 0.5:
        # A cooldown along num_cycles periods of the cosine, cut at num_decay_steps.
        floor, cooldown = lr * min_lr_ratio, num_warmup_steps + num_stable_steps
        ramp = warmup(schedule=constant(lr=lr), steps=num_warmup_steps, start_lr=floor, shape=warmup_type)
        wave = cosine_decay(
            initial_lr=lr, decay_steps=num_decay_steps / (2 * num_cycles), final_lr=floor, periodic=True
        )
        return join(schedules=[ramp, wave, constant(lr=floor)], boundaries=[cooldown, cooldown + num_decay_steps])
    return warmup_stable_decay(
        peak_lr=lr,
        warmup_steps=num_warmup_steps,
        stable_steps=num_stable_steps,
        decay_steps=num_decay_steps,
        start_lr=lr * min_lr_ratio,
        final_lr=lr * min_lr_ratio,
        warmup_shape=warmup_type,
        decay_shape=decay_type,
    )


# -- timm (timm.scheduler) -------------------------------------------------------------
def _timm_plain(noise_range_t: Any) -> None:
    if noise_range_t is not None:
        raise ValueError("noise_range_t: a random LR noise is not a pure function of the step")


def _timm_warmup(
    schedule: Schedule, end_lr: float, warmup_t: float, warmup_lr_init: float, warmup_prefix: bool
) -> Schedule:
    # timm ramps linearly from warmup_lr_init to the base LR: lr_init + t * (lr - lr_init) / warmup_t.
    return warmup(schedule=schedule, steps=warmup_t, start_lr=warmup_lr_init, prefix=warmup_prefix, end_lr=end_lr)


def _timm_cycles(
    decay: Decay, lr_min: float, cycle_mul: float, cycle_decay: float, cycle_limit: int, holds: bool
) -> Schedule:
    """timm's cycles of `decay`: cycle i is cycle_mul**i times as long, its peak times
    cycle_decay**i above the fixed lr_min; after cycle_limit cycles, lr_min. `holds`: the
    decay itself ends at lr_min (one cycle is then the decay alone)."""
    if cycle_limit == 0:
        return constant(lr=lr_min)  # timm's first cycle is already past its limit
    if cycle_limit == 1 and holds:
        return decay
    return restarts(decay=decay, cycle_mult=cycle_mul, peak_decay=cycle_decay, scales="peak", cycles=cycle_limit)


def timm_CosineLRScheduler(
    lr: float,
    t_initial: float,
    lr_min: float = 0.0,
    cycle_mul: float = 1.0,
    cycle_decay: float = 1.0,
    cycle_limit: int = 1,
    warmup_t: float = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = False,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    k_decay: float = 1.0,
) -> Schedule:
    """`timm.scheduler.CosineLRScheduler` on a group with LR `lr`, per epoch or per
    update alike: call the schedule with the epoch (fractional too) or the update count.
    Its cycle index comes from a float `log`, which can put a restart one step late for
    a decimal cycle_mul; lrsched's restarts are exact."""
    _timm_plain(noise_range_t)
    decay = cosine_decay(initial_lr=lr, decay_steps=t_initial, final_lr=lr_min, k_decay=k_decay)
    cycles = _timm_cycles(decay, lr_min, cycle_mul, cycle_decay, cycle_limit, holds=True)
    return _timm_warmup(cycles, lr, warmup_t, warmup_lr_init, warmup_prefix)


def timm_PolyLRScheduler(
    lr: float,
    t_initial: float,
    power: float = 0.5,
    lr_min: float = 0.0,
    cycle_mul: float = 1.0,
    cycle_decay: float = 1.0,
    cycle_limit: int = 1,
    warmup_t: float = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = False,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
    k_decay: float = 1.0,
) -> Schedule:
    """`timm.scheduler.PolyLRScheduler`, its restarts too."""
    _timm_plain(noise_range_t)
    decay = polynomial(initial_lr=lr, decay_steps=t_initial, final_lr=lr_min, power=power, k_decay=k_decay)
    cycles = _timm_cycles(decay, lr_min, cycle_mul, cycle_decay, cycle_limit, holds=True)
    return _timm_warmup(cycles, lr, warmup_t, warmup_lr_init, warmup_prefix)


def timm_TanhLRScheduler(
    lr: float,
    t_initial: float,
    lb: float = -7.0,
    ub: float = 3.0,
    lr_min: float = 0.0,
    cycle_mul: float = 1.0,
    cycle_decay: float = 1.0,
    cycle_limit: int = 1,
    warmup_t: float = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = False,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
) -> Schedule:
    """`timm.scheduler.TanhLRScheduler`, its restarts too: each cycle the tanh, and after
    the last exactly `lr_min` (timm drops the tanh's last 0.25% there). Its warmup on
    the schedule's own clock ends at the schedule's value there."""
    _timm_plain(noise_range_t)
    decay = tanh_decay(initial_lr=lr, decay_steps=t_initial, final_lr=lr_min, lower=lb, upper=ub)
    tanh = _timm_cycles(decay, lr_min, cycle_mul, cycle_decay, cycle_limit, holds=False)
    # Its warmup on the schedule's own clock ramps to the schedule's value at warmup_t
    # (timm's other schedulers ramp to the group's LR).
    return _timm_warmup(tanh, lr if warmup_prefix else float(tanh(warmup_t)), warmup_t, warmup_lr_init, warmup_prefix)


def timm_StepLRScheduler(
    lr: float,
    decay_t: float,
    decay_rate: float = 1.0,
    warmup_t: float = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = True,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
) -> Schedule:
    """`timm.scheduler.StepLRScheduler`."""
    _timm_plain(noise_range_t)
    return _timm_warmup(
        step_decay(initial_lr=lr, drop=_decay_factor("decay_rate", decay_rate), every=decay_t),
        lr,
        warmup_t,
        warmup_lr_init,
        warmup_prefix,
    )


def timm_MultiStepLRScheduler(
    lr: float,
    decay_t: Sequence[int],
    decay_rate: float = 1.0,
    warmup_t: float = 0,
    warmup_lr_init: float = 0.0,
    warmup_prefix: bool = True,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
) -> Schedule:
    """`timm.scheduler.MultiStepLRScheduler`: timm applies milestone m at t = m - 1 (its
    documented convention, one step before torch's MultiStepLR)."""
    _timm_plain(noise_range_t)
    drops = multi_step(initial_lr=lr, milestones=sorted(max(m - 1, 0) for m in decay_t), gamma=decay_rate)
    return _timm_warmup(drops, lr, warmup_t, warmup_lr_init, warmup_prefix)


def timm_WSDLRScheduler(
    lr: float,
    t_initial: float,
    decay_t: float,
    lr_min: float = 0.0,
    stable_fn: str = "constant",
    stable_timescale: float | None = None,
    stable_power: float = 0.5,
    decay_fn: str = "1-sqrt",
    decay_power: float = 0.5,
    decay_ratio: float = 0.1,
    warmup_t: float = 0,
    warmup_lr_init: float = 0.0,
    t_in_epochs: bool = True,
    noise_range_t: Any = None,
) -> Schedule:
    """`timm.scheduler.WSDLRScheduler`, its stable functions too ('rsqrt': stable_power 0.5).
    Its warmup is a prefix: the schedule lasts warmup_t + t_initial. A callable decay_fn
    is an arbitrary Python function: it has no frozen, configurable equal."""
    _timm_plain(noise_range_t)
    if not isinstance(decay_fn, str):
        raise TypeError("decay_fn: a callable is an arbitrary Python function; give one of lrsched's decay shapes")
    if stable_fn not in ("constant", "rsqrt", "power"):
        raise ValueError(f"stable_fn must be one of 'constant', 'rsqrt', 'power'; got {stable_fn!r}")
    stable_power = {"constant": 0.0, "rsqrt": 0.5}.get(stable_fn, stable_power)
    return warmup_stable_decay(
        peak_lr=lr,
        warmup_steps=warmup_t,
        stable_steps=t_initial - decay_t,
        decay_steps=decay_t,
        start_lr=warmup_lr_init,
        final_lr=lr_min,
        decay_shape=decay_fn,
        decay_power=decay_power,
        decay_ratio=decay_ratio,
        stable_power=stable_power,
        stable_timescale=stable_timescale if stable_power > 0.0 else None,
    )


# -- the README's migration table --------------------------------------------------------
_PEER_PREFIXES = {
    "torch_": "torch.optim.lr_scheduler.",
    "optax_": "optax.",
    "keras_": "keras.optimizers.schedules.",
    "timm_": "timm.scheduler.",
    "hf_": "transformers.",
}


def migration_table() -> str:
    """The README's migration table, one row per function of this module: the peer, the
    call, and what its docstring says of the match. `tests/test_compat_peers.py` checks
    that each function equals its peer and that the README holds this very text."""
    import inspect

    rows = ["| peer | lrsched | notes |", "|---|---|---|"]
    for name, function in inspect.getmembers(sys.modules[__name__], inspect.isfunction):
        prefix = next((p for p in _PEER_PREFIXES if name.startswith(p)), None)
        if prefix is None or function.__module__ != __name__ or name == "migration_table":
            continue
        peer = _PEER_PREFIXES[prefix] + name.removeprefix(prefix)
        parameters = inspect.signature(function).parameters.values()
        names = [p.name for p in parameters if not (prefix == "keras_" and p.name == "name")]
        paragraph = " ".join((function.__doc__ or "").split("\n\n")[0].split())
        notes = paragraph.split("`", 2)[-1].lstrip(":., ") if paragraph.startswith("`") else paragraph
        rows.append(f"| `{peer}` | `compat.{name}({', '.join(names)})` | {notes.replace('|', '/')} |")
    if HF_NAMES:
        rows.append(f"| | `hf_get_scheduler` names | {', '.join(f'`{n}`' for n in HF_NAMES)} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":
    print(migration_table(), end="")
