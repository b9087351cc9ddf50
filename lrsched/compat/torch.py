"""torch's schedulers (`torch.optim.lr_scheduler`) as lrsched schedules, step for step.

Each function is the torch class of the same name, with torch's argument names and
defaults, less the optimizer: `OneCycleLR(max_lr=0.1, total_steps=1000)` is
`torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)`. A torch
scheduler reads the initial LR from the optimizer's param group: where it does, pass it
as `lr`. `last_epoch=k` resumes a run from step k + 1. `SequentialLR` and
`ChainedScheduler` take the schedules these functions built, in the order torch would
build them, and reproduce how torch's schedulers share the param group.
`lrsched.compat.momentum_of` gives the momentum a OneCycleLR or CyclicLR cycles.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from lrsched.base import Schedule
from lrsched.compat._common import drops, line, segment, staircase
from lrsched.compat._provenance import Built, provenance, record
from lrsched.compat._refused import RefusedCallableError, RefusedError, bad
from lrsched.compose import join, product, warmup
from lrsched.cosine import cosine_decay, cosine_restarts
from lrsched.cyclic import cyclic
from lrsched.decay import constant, exponential
from lrsched.momentum import inverse_momentum
from lrsched.one_cycle import one_cycle
from lrsched.polynomial import polynomial
from lrsched.restarts import restarts

# ruff: noqa: N803 - torch's own argument names (T_0, T_max, ...) are the point here.

__all__ = [
    "ChainedScheduler",
    "ConstantLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "ExponentialLR",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "PolynomialLR",
    "SequentialLR",
    "StepLR",
]


def _anneal(kind: str, start: float, end: float, pct: float) -> float:
    if kind == "cos":
        return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
    return (end - start) * pct + start


def _phases(
    kind: str, knots: Sequence[float], values: Sequence[float], last: float, function: str, pct: float
) -> Schedule:
    """torch's anneal phases: phase i runs from knots[i] to knots[i + 1], from values[i]
    to values[i + 1]; the first phase whose end is at or after the step holds it. Steps
    0 to `last` as torch computes them, then the value at `last` held."""

    def at(step: float) -> float:
        start = knots[0]
        for i in range(len(knots) - 1):
            end = knots[i + 1]
            if step <= end or i == len(knots) - 2:
                return _anneal(kind, values[i], values[i + 1], (step - start) / (end - start))
            start = end
        raise AssertionError("unreachable")

    parts: list[Schedule] = []
    starts: list[float] = []
    for i in range(len(knots) - 1):
        s, e = knots[i], min(knots[i + 1], last)
        if i > 0:
            s = max(s, knots[i])
        if e <= max(s, 0.0) or s >= last:
            continue
        a, b = values[i], values[i + 1]
        if s < 0.0:
            if kind == "cos":
                raise RefusedError(function, "pct_start", pct)
            a, s = at(0.0), 0.0
        # a whole phase from a to b over its own length; the next part cuts it at e
        length = knots[i + 1] - s
        parts.append(segment("linear" if kind == "linear" else "cosine", a, b, length))
        starts.append(s)
    hold = at(last) if last > 0 else at(0.0)
    parts.append(constant(lr=hold))
    starts.append(max(last, 0.0))
    if starts[0] > 0.0:  # nothing ran before the first part: start it at 0
        starts[0] = 0.0
    keep = [k for k in range(len(starts)) if k == 0 or starts[k] > starts[k - 1]]
    parts = [parts[k] for k in keep] if len(keep) < len(parts) else parts
    starts = [starts[k] for k in keep]
    return parts[0] if len(parts) == 1 else join(schedules=parts, boundaries=starts[1:])


def OneCycleLR(
    max_lr: float,
    total_steps: int | None = None,
    epochs: int | None = None,
    steps_per_epoch: int | None = None,
    pct_start: float = 0.3,
    anneal_strategy: str = "cos",
    cycle_momentum: bool = True,
    base_momentum: float = 0.85,
    max_momentum: float = 0.95,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
    three_phase: bool = False,
    last_epoch: int = -1,
) -> Schedule:
    """`torch.optim.lr_scheduler.OneCycleLR`: its knots sit one step before Smith's
    (at `pct_start * T - 1`, `2 * pct_start * T - 2` and `T - 1`). Past `T - 1` torch
    runs its last phase on past its end for one step (at step T) and then raises;
    lrsched holds the last LR. Its momentum (`cycle_momentum=True`, torch's
    default): `compat.momentum_of(schedule)`."""
    name = "torch.OneCycleLR"
    if total_steps is None:
        if epochs is None or steps_per_epoch is None:
            raise ValueError(f"{name}: give total_steps, or both epochs and steps_per_epoch (as OneCycleLR)")
        total_steps = epochs * steps_per_epoch
    if not isinstance(total_steps, int) or isinstance(total_steps, bool) or total_steps < 1:
        raise bad(name, "total_steps", total_steps, "a whole number >= 1")
    if not 0.0 <= pct_start <= 1.0:
        raise bad(name, "pct_start", pct_start, "in [0, 1]")
    if anneal_strategy not in ("cos", "linear"):
        raise bad(name, "anneal_strategy", anneal_strategy, "one of 'cos', 'linear'")
    if not isinstance(max_lr, (int, float)) or isinstance(max_lr, bool):
        raise bad(name, "max_lr", max_lr, "a number (one schedule per param group: build one for each group's max_lr)")
    for key, value in (("div_factor", div_factor), ("final_div_factor", final_div_factor)):
        if value == 0.0 or math.isnan(value):
            raise bad(name, key, value, "in (0, inf) (torch divides by it)")
        if value < 0.0:
            raise RefusedError(name, key, value)
    if max_lr < 0.0:
        raise RefusedError(name, "max_lr", max_lr)
    if not max_lr >= 0.0:
        raise bad(name, "max_lr", max_lr, "in [0, inf)")
    if last_epoch != -1:
        raise RefusedError(name, "last_epoch", last_epoch)
    kwargs: dict[str, Any] = {"max_lr": max_lr, "total_steps": total_steps, "pct_start": pct_start}
    kwargs["anneal_strategy"] = anneal_strategy
    kwargs.update(div_factor=div_factor, final_div_factor=final_div_factor, three_phase=three_phase)
    initial = max_lr / div_factor
    levels = (initial, max_lr, initial / final_div_factor)
    schedule = _one_cycle_lr(
        levels, total_steps, pct_start, anneal_strategy, three_phase, (div_factor, final_div_factor)
    )
    momentum = None
    if cycle_momentum:
        momentum = _one_cycle_phases(
            (max_momentum, base_momentum, max_momentum), total_steps, pct_start, anneal_strategy, three_phase
        )
    return record(schedule, "OneCycleLR", None, kwargs, momentum)


def _one_cycle_phases(
    levels: tuple[float, float, float], total_steps: int, pct_start: float, anneal: str, three_phase: bool
) -> Schedule:
    """torch's OneCycleLR phases between `levels` (start, peak, end), for its LR or its momentum."""
    start, peak, end = levels
    up, last = pct_start * total_steps - 1, float(total_steps - 1)
    if three_phase:
        knots, values = [0.0, up, 2 * pct_start * total_steps - 2, last], [start, peak, start, end]
    else:
        knots, values = [0.0, up, last], [start, peak, end]
    return _phases(anneal, knots, values, last, "torch.OneCycleLR", pct_start)


def _one_cycle_lr(
    levels: tuple[float, float, float],
    total_steps: int,
    pct_start: float,
    anneal: str,
    three_phase: bool,
    factors: tuple[float, float] | None = None,
) -> Schedule:
    """torch's OneCycleLR LR from `levels` (initial_lr, max_lr, min_lr): lrsched's one_cycle
    where it is one, else its phases."""
    initial, peak, low = levels
    up, last = pct_start * total_steps - 1, float(total_steps - 1)
    if up == 0.0:  # torch divides by zero at step 0 (a warmup of no length)
        raise bad(
            "torch.OneCycleLR", "pct_start", pct_start, "such that pct_start * total_steps != 1 (torch divides by zero)"
        )
    pct = up / last if last > 0 else 0.0
    if factors is None and peak > 0 and initial > 0 and low > 0:
        factors = (peak / initial, initial / low)
    if factors is not None and 0.0 < pct < (0.5 if three_phase else 1.0) and min(factors) >= 1.0 and peak > 0:
        return one_cycle(
            max_lr=peak,
            total_steps=last,
            pct_start=pct,
            div_factor=factors[0],
            final_div_factor=factors[1],
            anneal=anneal,
            three_phase=three_phase,
        )
    return _one_cycle_phases((initial, peak, low), total_steps, pct_start, anneal, three_phase)


def _triangle(start: float, other: float, up: float, down: float) -> Schedule:
    """From `start` to `other` over `up` steps, back over `down`, and again (torch's
    triangular cycle, either way up)."""
    if start == other:
        return constant(lr=start)
    if start < other:
        return cyclic(base_lr=start, max_lr=other, step_size_up=up, step_size_down=down)
    first = line(start, other, up)
    return join(
        schedules=[first, cyclic(base_lr=other, max_lr=start, step_size_up=down, step_size_down=up)], boundaries=[up]
    )


def _sawtooth(start: float, other: float, up: float) -> Schedule:
    """From `start` toward `other` in a straight line over `up` steps, back to `start` at
    the end of each: torch's triangular cycle with `step_size_down=0`."""
    if start == other:
        return constant(lr=start)
    return restarts(decay=polynomial(initial_lr=start, decay_steps=up, final_lr=other, power=1.0))


def CyclicLR(
    base_lr: float,
    max_lr: float,
    step_size_up: float = 2000,
    step_size_down: float | None = None,
    mode: str = "triangular",
    gamma: float = 1.0,
    scale_fn: Any = None,
    scale_mode: str = "cycle",
    cycle_momentum: bool = True,
    base_momentum: float = 0.8,
    max_momentum: float = 0.9,
    last_epoch: int = -1,
) -> Schedule:
    """`torch.optim.lr_scheduler.CyclicLR`. Its momentum (`cycle_momentum=True`, torch's
    default): `compat.momentum_of(schedule)`. `scale_mode` acts only with a custom `scale_fn`,
    an arbitrary Python function, which has no frozen, configurable equivalent."""
    name = "torch.CyclicLR"
    if scale_fn is not None:
        raise RefusedCallableError(name, "scale_fn", scale_fn)
    if scale_mode not in ("cycle", "iterations"):
        raise bad(name, "scale_mode", scale_mode, "one of 'cycle', 'iterations'")
    if mode not in ("triangular", "triangular2", "exp_range"):
        raise bad(name, "mode", mode, "one of 'triangular', 'triangular2', 'exp_range'")
    down = step_size_up if step_size_down is None else step_size_down
    for key, value in (("step_size_up", step_size_up), ("step_size_down", down)):
        if math.isnan(value) or (key == "step_size_up" and value == 0.0) or step_size_up + down == 0.0:
            raise bad(name, key, value, "in (0, inf), and step_size_up + step_size_down != 0 (torch divides by them)")
        if value < 0.0:
            raise RefusedError(name, key, value)
    for key, value in (("base_lr", base_lr), ("max_lr", max_lr)):
        if value < 0.0:
            raise RefusedError(name, key, value)
        if not value >= 0.0:
            raise bad(name, key, value, "in [0, inf)")
    if last_epoch != -1:
        raise RefusedError(name, "last_epoch", last_epoch)
    if mode == "exp_range" and (gamma > 1.0 or gamma < 0.0):
        raise RefusedError(name, "gamma", gamma)
    if down == 0.0 and mode != "triangular" and base_lr != max_lr:
        raise RefusedError(name, "step_size_down", down, f" (mode={mode!r})")
    if mode == "exp_range" and not gamma >= 0.0:
        raise bad(name, "gamma", gamma, "in [0, 1] for mode='exp_range'")
    kwargs: dict[str, Any] = {"base_lr": base_lr, "max_lr": max_lr, "step_size_up": step_size_up}
    kwargs["step_size_down"] = down
    kwargs.update(mode=mode, gamma=gamma)
    flat = mode == "exp_range" and gamma == 0.0  # 0 ** 0 = 1 at step 0, where the cycle is at its base
    up, rate = float(step_size_up), gamma if mode == "exp_range" else 1.0
    schedule: Schedule
    momentum: Schedule | None = None
    if flat or base_lr == max_lr:
        schedule = constant(lr=base_lr)
    elif down == 0.0:  # no way down: a sawtooth, from base_lr toward max_lr over each cycle
        schedule = _sawtooth(base_lr, max_lr, up)
    elif mode == "triangular":
        schedule = _triangle(base_lr, max_lr, up, float(down))
    elif base_lr > max_lr:
        if base_lr > 1.0:
            raise RefusedError(name, "base_lr", base_lr, f" (max_lr={max_lr!r}, mode={mode!r})")
        # base_lr - (base_lr - max_lr) * rise * scale: the cycle's shape, upside down
        shape = cyclic(base_lr=0.0, max_lr=1.0, step_size_up=up, step_size_down=down, mode=mode, gamma=rate)
        schedule = inverse_momentum(schedule=shape, base_momentum=max_lr, max_momentum=base_lr)
    else:
        schedule = cyclic(base_lr=base_lr, max_lr=max_lr, step_size_up=up, step_size_down=down, mode=mode, gamma=rate)
    if cycle_momentum and flat:
        momentum = constant(lr=max_momentum)
    elif cycle_momentum and down == 0.0:
        momentum = _sawtooth(max_momentum, base_momentum, up)
    elif cycle_momentum and mode == "triangular":
        momentum = _triangle(max_momentum, base_momentum, up, float(down))
    elif cycle_momentum and base_momentum > max_momentum:  # it rises with the cycle, as an LR does
        momentum = cyclic(
            base_lr=max_momentum, max_lr=base_momentum, step_size_up=up, step_size_down=down, mode=mode, gamma=rate
        )
    elif cycle_momentum:
        # the cycle's own shape (rise times scale), whatever the LRs
        shape = cyclic(base_lr=0.0, max_lr=1.0, step_size_up=up, step_size_down=down, mode=mode, gamma=rate)
        momentum = inverse_momentum(schedule=shape, base_momentum=base_momentum, max_momentum=max_momentum)
    return record(schedule, "CyclicLR", None, kwargs, momentum)


def CosineAnnealingWarmRestarts(
    lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1
) -> Schedule:
    """`torch.optim.lr_scheduler.CosineAnnealingWarmRestarts` on a group with LR `lr`
    (an `eta_min` above `lr`: each cycle rises from `lr` to it)."""
    name = "torch.CosineAnnealingWarmRestarts"
    if not isinstance(T_0, int) or T_0 < 1:
        raise bad(name, "T_0", T_0, "a whole number >= 1")
    if not isinstance(T_mult, int) or T_mult < 1:
        raise bad(name, "T_mult", T_mult, "a whole number >= 1")
    if last_epoch != -1:
        raise RefusedError(name, "last_epoch", last_epoch)
    if eta_min < 0.0:
        raise RefusedError(name, "eta_min", eta_min)
    schedule: Schedule
    if lr == eta_min:
        schedule = constant(lr=lr)
    elif lr == 0.0:
        raise RefusedError(name, "lr", lr, f" (eta_min={eta_min!r})")
    elif eta_min < lr:
        schedule = cosine_restarts(max_lr=lr, first_cycle_steps=T_0, cycle_mult=T_mult, min_lr=eta_min)
    else:
        schedule = restarts(decay=cosine_decay(initial_lr=lr, decay_steps=T_0, final_lr=eta_min), cycle_mult=T_mult)
    return record(schedule, "CosineAnnealingWarmRestarts", lr, {"T_0": T_0, "T_mult": T_mult, "eta_min": eta_min})


def CosineAnnealingLR(lr: float, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> Schedule:
    """`torch.optim.lr_scheduler.CosineAnnealingLR`: past `T_max` the cosine climbs back
    up (period `2 * T_max`), as torch's does. A `T_max` below 0 gives the LRs of
    `abs(T_max)`, as in torch (its cosine is even in `T_max`)."""
    name = "torch.CosineAnnealingLR"
    if T_max == 0 or math.isnan(T_max):
        raise bad(name, "T_max", T_max, "!= 0 (torch divides by it)")
    if last_epoch != -1:
        raise RefusedError(name, "last_epoch", last_epoch)
    if eta_min < 0.0:
        raise RefusedError(name, "eta_min", eta_min)
    period = abs(T_max)
    schedule: Schedule
    if lr == eta_min or lr == 0.0:
        schedule = constant(lr=lr) if lr == eta_min else _cosine_from_zero(eta_min, period)
    else:
        schedule = cosine_decay(initial_lr=lr, decay_steps=period, final_lr=eta_min, periodic=True)
    return record(schedule, "CosineAnnealingLR", lr, {"T_max": T_max, "eta_min": eta_min})


def _cosine_from_zero(top: float, steps: float) -> Schedule:
    # 0 up to `top` along half a cosine and back, period 2 * steps: a cyclic shape of its own
    rise = warmup(schedule=constant(lr=top), steps=steps, start_lr=0.0, shape="cosine")
    return join(
        schedules=[rise, cosine_decay(initial_lr=top, decay_steps=steps, final_lr=0.0, periodic=True)],
        boundaries=[steps],
    )


def _resume(last_epoch: int, name: str) -> int:
    """The steps a resume at `last_epoch` has run: it continues at step last_epoch + 1."""
    if not isinstance(last_epoch, int) or isinstance(last_epoch, bool) or last_epoch < -1:
        raise bad(name, "last_epoch", last_epoch, "a whole number >= -1")
    return last_epoch + 1


def _steps(name: str, key: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise bad(name, key, value, "a whole number >= 1 (torch divides by it)")


def StepLR(lr: float, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> Schedule:
    """`torch.optim.lr_scheduler.StepLR` (with `last_epoch`, the resumed run from step
    `last_epoch + 1` on; `gamma=0`: 0 from `step_size` on; a `step_size` below 0 drops at
    the multiples of `abs(step_size)`, as torch's does)."""
    name = "torch.StepLR"
    if isinstance(step_size, float) and step_size != 0.0:
        if not float(step_size).is_integer():
            raise RefusedError(name, "step_size", step_size)
        step_size = int(step_size)
    if isinstance(step_size, int) and not isinstance(step_size, bool):
        step_size = abs(step_size)
    _steps(name, "step_size", step_size)
    if gamma > 1.0 or gamma < 0.0:
        raise RefusedError(name, "gamma", gamma)
    if not gamma >= 0.0:
        raise bad(name, "gamma", gamma, "in [0, 1]")
    offset = _resume(last_epoch, name)
    schedule = staircase(lr, gamma, step_size, offset)
    return record(schedule, "StepLR", lr, {"step_size": step_size, "gamma": gamma})


def MultiStepLR(lr: float, milestones: Sequence[int], gamma: float = 0.1, last_epoch: int = -1) -> Schedule:
    """`torch.optim.lr_scheduler.MultiStepLR` (milestones in any order, as torch counts them;
    a repeated milestone drops twice; `gamma=0`: 0 from the first milestone on)."""
    name = "torch.MultiStepLR"
    if gamma < 0.0:
        raise RefusedError(name, "gamma", gamma)
    if not gamma >= 0.0:
        raise bad(name, "gamma", gamma, "in [0, inf)")
    if any(not m >= 0 or m != math.floor(m) for m in milestones):
        raise RefusedError(name, "milestones", list(milestones))
    offset = _resume(last_epoch, name)
    schedule = drops(lr, milestones, gamma, offset)
    return record(schedule, "MultiStepLR", lr, {"milestones": list(milestones), "gamma": gamma})


def ExponentialLR(lr: float, gamma: float, last_epoch: int = -1) -> Schedule:
    """`torch.optim.lr_scheduler.ExponentialLR` (`gamma=0`: 0 from step 1 on)."""
    name = "torch.ExponentialLR"
    if gamma > 1.0 or gamma < 0.0:
        raise RefusedError(name, "gamma", gamma)
    if not gamma >= 0.0:
        raise bad(name, "gamma", gamma, "in [0, 1]")
    offset = _resume(last_epoch, name)
    first = lr * gamma**offset
    schedule: Schedule
    if first == 0.0 or gamma == 1.0:
        schedule = constant(lr=first)
    elif gamma == 0.0:
        schedule = join(schedules=[constant(lr=first), constant(lr=0.0)], boundaries=[1.0])
    else:
        schedule = exponential(initial_lr=first, gamma=gamma)
    return record(schedule, "ExponentialLR", lr, {"gamma": gamma})


def LinearLR(
    lr: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1
) -> Schedule:
    """`torch.optim.lr_scheduler.LinearLR`: the factor moves linearly from `start_factor`
    to `end_factor` over `total_iters` steps, then holds."""
    name = "torch.LinearLR"
    if not 0.0 < start_factor <= 1.0:
        raise bad(name, "start_factor", start_factor, "in (0, 1]")
    if not 0.0 <= end_factor <= 1.0:
        raise bad(name, "end_factor", end_factor, "in [0, 1]")
    offset = _resume(last_epoch, name)
    kwargs = {"start_factor": start_factor, "end_factor": end_factor, "total_iters": total_iters}
    if total_iters <= 0:
        # torch's step 0 applies start_factor, and no later step changes it
        return record(constant(lr=lr * start_factor), "LinearLR", lr, kwargs)
    # torch moves the factor at the whole steps up to total_iters only: with a fractional
    # total_iters it holds short of end_factor from floor(total_iters) on
    last = math.floor(total_iters)
    done = min(offset, last)
    factor = start_factor + (end_factor - start_factor) * done / total_iters
    held = start_factor + (end_factor - start_factor) * last / total_iters if last != total_iters else end_factor
    return record(line(lr * factor, lr * held, last - done), "LinearLR", lr, kwargs)


def ConstantLR(lr: float, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1) -> Schedule:
    """`torch.optim.lr_scheduler.ConstantLR`: `lr * factor` until `total_iters`, then `lr`
    (with `total_iters=0`, `lr * factor` throughout, as torch's steps leave it; after a
    `SequentialLR` milestone torch starts it at `lr`, and `compat.torch.SequentialLR` does too;
    with a fractional `total_iters`, which torch's whole steps never reach, `lr * factor`
    throughout too)."""
    name = "torch.ConstantLR"
    if not 0.0 <= factor <= 1.0:
        raise bad(name, "factor", factor, "in [0, 1]")
    offset = _resume(last_epoch, name)
    kwargs = {"factor": factor, "total_iters": total_iters}
    reached = total_iters > 0 and total_iters == math.floor(total_iters)
    schedule: Schedule
    if not reached:
        schedule = constant(lr=lr * factor)
    elif offset >= total_iters:
        schedule = constant(lr=lr)
    else:
        schedule = join(schedules=[constant(lr=lr * factor), constant(lr=lr)], boundaries=[total_iters - offset])
    return record(schedule, "ConstantLR", lr, kwargs)


def PolynomialLR(lr: float, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1) -> Schedule:
    """`torch.optim.lr_scheduler.PolynomialLR` (with `total_iters=0` or `power=0`, `lr`
    throughout, as torch's `0 ** 0 = 1` gives; with a fractional `total_iters`, the decay
    holds from `floor(total_iters)` on, short of 0, as torch's whole steps leave it)."""
    name = "torch.PolynomialLR"
    offset = _resume(last_epoch, name)
    kwargs = {"total_iters": total_iters, "power": power}
    schedule: Schedule
    left = total_iters - offset
    last = math.floor(total_iters) if total_iters > 0 else 0
    if total_iters <= 0 or power == 0.0:
        schedule = constant(lr=lr)
    elif not power > 0.0 and left > 0:
        raise bad(name, "power", power, "in [0, inf)")
    elif last != total_iters and offset >= last:  # torch's whole steps stopped short of 0
        schedule = constant(lr=lr * (1.0 - last / total_iters) ** power)
    elif left <= 0:
        schedule = constant(lr=0.0)
    else:
        first = lr * (left / total_iters) ** power
        schedule = polynomial(initial_lr=first, decay_steps=left, power=power) if first > 0 else constant(lr=0.0)
        if last != total_iters and first > 0:  # torch's whole steps stop at floor(total_iters), short of 0
            held = constant(lr=lr * (1.0 - last / total_iters) ** power)
            schedule = join(schedules=[schedule, held], boundaries=[float(last - offset)])
    return record(schedule, "PolynomialLR", lr, kwargs)


_MULTIPLIERS = ("StepLR", "MultiStepLR", "ExponentialLR", "LinearLR", "ConstantLR", "PolynomialLR")
_BY_NAME: dict[str, Callable[..., Schedule]] = {
    "StepLR": StepLR,
    "MultiStepLR": MultiStepLR,
    "ExponentialLR": ExponentialLR,
    "LinearLR": LinearLR,
    "ConstantLR": ConstantLR,
    "PolynomialLR": PolynomialLR,
    "CosineAnnealingLR": CosineAnnealingLR,
    "CosineAnnealingWarmRestarts": CosineAnnealingWarmRestarts,
}


class _Group(NamedTuple):
    """The param group's LRs as torch leaves them once every scheduler is built (in order):
    `bases[k]` is scheduler k's `initial_lr` when it was built; OneCycleLR rewrites
    `initial_lr` (and sets `max_lr`, `min_lr`), the first scheduler built sets it."""

    bases: list[float | None]
    initial: float | None
    one_cycle: tuple[float, float, float] | None


def _group(function: str, built: Sequence[Built | None]) -> _Group:
    lrs = {b.lr for b in built if b is not None and b.lr is not None}
    if len(lrs) > 1:
        raise RefusedError(function, "schedulers", [b.lr if b is not None else None for b in built])
    group_lr = lrs.pop() if lrs else None
    initial: float | None = None
    one: tuple[float, float, float] | None = None
    bases: list[float | None] = []
    for b in built:
        if b is not None and b.cls == "OneCycleLR":
            initial = b.kwargs["max_lr"] / b.kwargs["div_factor"]
            one = (initial, b.kwargs["max_lr"], initial / b.kwargs["final_div_factor"])
        elif b is not None and initial is None:
            initial = b.kwargs["base_lr"] if b.cls == "CyclicLR" else group_lr
        bases.append(initial)
    return _Group(bases, initial, one)


def _one_cycle_in(b: Built, group: _Group) -> Schedule:
    """A OneCycleLR among others reads initial_lr, max_lr and min_lr from the group at each step."""
    assert group.one_cycle is not None and group.initial is not None
    _, peak, low = group.one_cycle
    k = b.kwargs
    return _one_cycle_lr(
        (group.initial, peak, low), k["total_steps"], k["pct_start"], k["anneal_strategy"], k["three_phase"]
    )


def SequentialLR(schedulers: Sequence[Schedule], milestones: Sequence[int], last_epoch: int = -1) -> Schedule:
    """`torch.optim.lr_scheduler.SequentialLR` of the schedules given (each from the
    `compat.torch` function of its scheduler, built in the order listed, as torch's are):
    scheduler k runs from `milestones[k - 1]`, counting its own steps from 0, from the
    group's `initial_lr` as torch leaves it (a OneCycleLR or CyclicLR in the list rewrites
    it: the first scheduler then starts from it, and so do those built after it). The
    first to run is the one after the milestones at or below 0 (torch's
    `bisect_right(milestones, 0)`); one between two equal milestones never runs."""
    name = "torch.SequentialLR"
    if last_epoch != -1:
        raise RefusedError(name, "last_epoch", last_epoch)
    parts = list(schedulers)
    if len(milestones) != len(parts) - 1:
        raise bad(name, "milestones", list(milestones), f"{len(parts) - 1} steps, one fewer than the schedulers")
    if any(m != math.floor(m) for m in milestones) or list(milestones) != sorted(milestones):
        raise RefusedError(name, "milestones", list(milestones))
    built = [provenance(p) for p in parts]
    _refuse_nested(name, built)
    group = _group(name, built)
    first = bisect.bisect_right(milestones, 0)
    runs: list[Schedule] = []
    starts: list[float] = []
    for k in range(first, len(parts)):
        part, b = parts[k], built[k]
        if k > first and k < len(milestones) and milestones[k] == milestones[k - 1]:
            continue  # between equal milestones: torch never steps it
        starts.append(float(milestones[k - 1]) if k > first else 0.0)
        if b is None or b.cls == "CyclicLR":
            runs.append(part)
        elif b.cls == "OneCycleLR":
            runs.append(_one_cycle_in(b, group))
        else:
            # the first runs on from the group's LR as the last rewrite left it, the others
            # from a closed form of the initial_lr they were built with
            lr = group.initial if k == first and b.cls != "CosineAnnealingWarmRestarts" else group.bases[k]
            assert lr is not None
            if k == first and b.cls == "CosineAnnealingLR" and lr != group.bases[k]:
                raise RefusedError(name, "schedulers", [b.cls if b is not None else None for b in built])
            if k > first and b.cls == "ConstantLR" and b.kwargs["total_iters"] <= 0:
                runs.append(constant(lr=lr))  # its closed form at the milestone: total_iters has passed
            else:
                runs.append(_BY_NAME[b.cls](lr, **b.kwargs))
    return _composition(
        runs[0] if len(runs) == 1 else join(schedules=runs, boundaries=starts[1:]), parts, "SequentialLR"
    )


def _composition(schedule: Schedule, parts: Sequence[Schedule], cls: str) -> Schedule:
    """`schedule`, marked as built by the composition `cls` (so that nesting it is refused),
    unless it is one of the parts itself, whose own provenance stays."""
    return schedule if any(schedule is part for part in parts) else record(schedule, cls, None, {})


def _refuse_nested(function: str, built: Sequence[Built | None]) -> None:
    """A SequentialLR or ChainedScheduler among the parts: torch steps the inner one's
    schedulers through the outer one's steps and milestones, which compat does not map."""
    if any(b is not None and b.cls in ("SequentialLR", "ChainedScheduler") for b in built):
        names = [b.cls if b is not None else None for b in built]
        raise RefusedError(function, "schedulers", names, " (here: a composition among the schedulers)")


def ChainedScheduler(schedulers: Sequence[Schedule], lr: float) -> Schedule:
    """`torch.optim.lr_scheduler.ChainedScheduler` of multiplicative schedulers (StepLR,
    MultiStepLR, ExponentialLR, LinearLR, ConstantLR, PolynomialLR), each given by its
    `compat.torch` function on the group's LR `lr`: the LR is `lr` times each one's factor. A
    OneCycleLR, CyclicLR or CosineAnnealingWarmRestarts sets the LR outright: last in the
    chain, it is the chain."""
    parts = list(schedulers)
    return _composition(_chained("torch.ChainedScheduler", parts, lr), parts, "ChainedScheduler")


def _chained(name: str, parts: list[Schedule], lr: float) -> Schedule:
    """`ChainedScheduler`'s schedule, before it is marked as built by the composition."""
    built = [provenance(p) for p in parts]
    _refuse_nested(name, built)
    absolute = [k for k, b in enumerate(built) if b is not None and b.cls not in _MULTIPLIERS]
    if absolute:
        k = absolute[-1]
        cls = built[k].cls  # type: ignore[union-attr]
        if k != len(parts) - 1 or (cls == "CosineAnnealingLR" and len(parts) > 1):
            raise RefusedError(
                name,
                "schedulers",
                [b.cls if b is not None else type(p).__name__ for p, b in zip(parts, built, strict=True)],
            )
        b = built[k]
        assert b is not None
        if cls == "CosineAnnealingWarmRestarts":
            base = _group(name, [*built[:k], b]).bases[k]
            return CosineAnnealingWarmRestarts(base if base is not None else lr, **b.kwargs)
        if cls == "OneCycleLR":
            group = _group(name, built)
            return _one_cycle_in(b, group) if group.initial is not None else parts[k]
        if k > 0 and cls == "CyclicLR":
            # built after another scheduler, it computes its first LR from the group's
            # initial_lr (its own base_lr is set only after that first step)
            first = _group(name, built).bases[k]
            if first is not None and first != b.kwargs["base_lr"]:
                return warmup(schedule=parts[k], steps=1.0, start_lr=first, shape="constant", prefix=False)
        return parts[k]
    if len(parts) == 1:
        return parts[0]
    scale = lr
    for b in built:
        scale = scale / b.lr if b is not None and b.lr else scale / lr if lr else 0.0
    if not scale > 0.0 or lr == 0.0:
        return constant(lr=0.0)
    return product(schedules=parts, scale=scale)
