"""Migration: a peer library's scheduler, by its own argument names and defaults, as the
equal lrsched schedule — which then runs in any framework (a torch schedule in a jitted
JAX loop, in Keras).

`torch_*` functions mirror `torch.optim.lr_scheduler` (step-for-step equal: see
`tests/compat/test_compat.py`). torch schedulers read the initial LR from the optimizer's
param group: pass it as `lr`. Nothing here imports a framework.

    from lrsched import compat
    schedule = compat.torch_OneCycleLR(max_lr=0.1, total_steps=1000)   # == OneCycleLR
    momentum = compat.momentum_of(schedule)                             # its cycled momentum

Each function equals its peer over the peer's whole documented domain, or refuses the
configuration at construction with a `Refused` error (a ValueError) that names the
peer's parameter, the value given and why: `REFUSED` lists every such refusal.
"""

from __future__ import annotations

import math
import sys
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from lrsched.base import Schedule
from lrsched.compose import join, product, warmup
from lrsched.cosine import cosine_decay, cosine_restarts
from lrsched.cyclic import cyclic
from lrsched.decay import Constant, constant, exponential, multi_step, step_decay
from lrsched.inverse import inverse_decay
from lrsched.momentum import inverse_momentum
from lrsched.one_cycle import one_cycle
from lrsched.polynomial import polynomial
from lrsched.restarts import is_restartable, restarts
from lrsched.sweep import range_sweep
from lrsched.tanh import tanh_decay
from lrsched.wsd import warmup_stable_decay

# ruff: noqa: N802, N803 - the peers' own names (OneCycleLR, T_0, ...) are the point here.

_SHIFT = (
    "a resume at last_epoch >= 0 runs this scheduler from step last_epoch + 1, part-way into a cosine or a "
    "cycle: lrsched has no time shift (schedule(t + k)) to express that"
)

#: Every configuration a peer accepts that compat refuses, by (function, peer parameter): why.
REFUSED: dict[tuple[str, str], str] = {
    ("torch_OneCycleLR", "pct_start"): (
        "with anneal_strategy='cos', pct_start * total_steps < 1 puts torch's peak before step 0: step 0 lies "
        "part-way along a half cosine that started before it, which lrsched cannot shift into place"
    ),
    ("torch_OneCycleLR", "last_epoch"): _SHIFT,
    ("torch_CyclicLR", "scale_fn"): (
        "an arbitrary Python function has no frozen, configurable equal: lrsched's cyclic takes mode= (and gamma "
        "for exp_range)"
    ),
    ("timm_WSDLRScheduler", "decay_fn"): (
        "a callable is an arbitrary Python function, which has no frozen, configurable equal: give one of the "
        "named decay shapes"
    ),
    ("timm", "noise_range_t"): "a random LR noise is not a pure function of the step",
    ("hf_get_scheduler", "name"): (
        "reduce_lr_on_plateau and greedy follow a metric, not the step: they are not schedules"
    ),
    ("torch_CyclicLR", "base_lr"): (
        "base_lr above both max_lr and 1 with mode triangular2 or exp_range: the cycle upside down, which "
        "lrsched expresses (as a cycle's inverse) between levels in [0, 1] only"
    ),
    ("torch_CyclicLR", "gamma"): "exp_range with gamma > 1 grows the LR without bound",
    ("torch_CyclicLR", "last_epoch"): _SHIFT,
    ("torch_CosineAnnealingWarmRestarts", "last_epoch"): _SHIFT,
    ("torch_CosineAnnealingWarmRestarts", "lr"): (
        "a group LR of 0 below eta_min makes each cycle rise from 0; lrsched's restarts repeat a decay that "
        "starts above 0"
    ),
    ("torch_CosineAnnealingLR", "last_epoch"): _SHIFT,
    ("torch_StepLR", "gamma"): "gamma > 1 grows the LR without bound",
    ("torch_ExponentialLR", "gamma"): "gamma > 1 grows the LR without bound",
    ("timm_TanhLRScheduler", "lr_min"): (
        "lr_min above lr makes each tanh cycle rise; lrsched's tanh_decay falls only (final_lr <= initial_lr)"
    ),
    ("timm_StepLRScheduler", "decay_rate"): "decay_rate > 1 grows the LR without bound",
    ("timm_WSDLRScheduler", "decay_t"): (
        "decay_t above t_initial starts the decay part-way along its curve at the end of the warmup: lrsched "
        "has no time shift to express that"
    ),
    ("hf_get_scheduler", "num_training_steps"): (
        "warmup_stable_decay with num_training_steps below num_warmup_steps + num_decay_steps starts the decay "
        "part-way along its curve: lrsched has no time shift to express that"
    ),
    ("hf_get_scheduler", "num_stable_steps"): (
        "warmup_stable_decay with num_stable_steps < 0 starts the decay part-way along its curve: lrsched has "
        "no time shift to express that"
    ),
    ("hf_get_scheduler", "num_warmup_steps"): (
        "cosine_warmup_with_min_lr with num_warmup_steps=0 runs its cosine one step ahead of the step (progress "
        "(step + 1) / T): lrsched has no time shift to express that"
    ),
    ("timm_TanhLRScheduler", "cycle_decay"): (
        "with cycle_mul < 1, a cycle_decay that brings a cycle's peak below lr_min: that cycle's tanh rises, and "
        "lrsched's tanh_decay falls only (for cycle_mul >= 1 its restarts rise there, as timm does)"
    ),
    ("hf_get_scheduler", "min_lr_ratio"): (
        "warmup_stable_decay with min_lr_ratio > 1 and decay_type='1-sqrt': the cooldown then rises along "
        "sqrt(p), which no lrsched shape is (the 1-sqrt cooldown falls, the 1-sqrt warmup rises along 1 - sqrt(1 - p))"
    ),
    ("optax_polynomial_schedule", "init_value"): (
        "init_value=0 with a power other than 1 or 0.5 rises along 1 - (1 - r)**power from 0: lrsched's "
        "polynomial starts above 0 (initial_lr > 0) and its ramps are linear, cosine, 1-sqrt or exp"
    ),
    ("optax_exponential_decay", "decay_rate"): (
        "decay_rate > 1 without end_value grows the LR without bound: give end_value, the ceiling it grows to"
    ),
    ("optax_exponential_decay", "end_value"): f"a staircase growth of more than {10_000} stairs to end_value",
    ("keras_ExponentialDecay", "decay_rate"): (
        "decay_rate > 1 grows the LR without bound: give end_value (lrsched's own), the ceiling it grows to"
    ),
    ("keras_ExponentialDecay", "end_value"): f"a staircase growth of more than {10_000} stairs to end_value",
    ("keras_CosineDecayRestarts", "t_mul"): (
        "t_mul < 1 shrinks the cycles towards a finite end, past which Keras' logarithm is undefined; lrsched's "
        "restarts lengthen or keep their cycles (cycle_mult >= 1)"
    ),
    ("keras_CosineDecayRestarts", "m_mul"): (
        "m_mul > 1 grows each cycle's amplitude without bound: give cycles (lrsched's own), how many cycles run "
        "before the LR holds alpha * initial_learning_rate"
    ),
    ("keras_PolynomialDecay", "initial_learning_rate"): (
        "initial_learning_rate=0 rises along 1 - (1 - p)**power from 0: lrsched's polynomial starts above 0"
    ),
    ("torch_SequentialLR", "last_epoch"): "a resumed SequentialLR: resume its parts instead (their last_epoch)",
    ("torch_SequentialLR", "schedulers"): (
        "schedulers built on different group LRs (one optimizer has one LR), or a CosineAnnealingLR first whose "
        "group initial_lr a later OneCycleLR rewrites (torch then mixes its recursive form over two LRs)"
    ),
    ("torch_ChainedScheduler", "schedulers"): (
        "a CosineAnnealingLR in a chain mixes its recursive form with the other schedulers' factors (past "
        "T_max its value depends on theirs), and a OneCycleLR, CyclicLR or CosineAnnealingWarmRestarts that "
        "is not the last one sets the LR outright each step (the later ones multiply only their latest step's "
        "change): neither is a product of schedules"
    ),
}


class RefusedError(ValueError):
    """A configuration the peer accepts that compat has no equal for: names the peer's
    parameter, the value given and why (every reason is listed in `REFUSED`)."""

    def __init__(self, function: str, parameter: str, value: Any, detail: str = "") -> None:
        self.function, self.parameter, self.value = function, parameter, value
        reason = REFUSED[(function, parameter)]
        super().__init__(f"{function}: {parameter}={value!r} is refused: {reason}{detail}")


class RefusedCallableError(RefusedError, TypeError):
    """A refused peer argument that is an arbitrary Python function (also a TypeError)."""


def _bad(function: str, parameter: str, value: Any, allowed: str) -> ValueError:
    """A value outside the peer's own domain (the peer raises, or divides by zero, too)."""
    return ValueError(f"{function}: {parameter} must be {allowed}; got {parameter}={value!r}")


# -- torch (torch.optim.lr_scheduler) ---------------------------------------------------
class _Built(NamedTuple):
    """How a torch_* function built a schedule: the scheduler, its arguments, its momentum."""

    cls: str
    lr: float | None
    kwargs: dict[str, Any]
    momentum: Schedule | None


_BUILT: dict[int, tuple[weakref.ref[Schedule], _Built]] = {}


def _record(
    schedule: Schedule, cls: str, lr: float | None, kwargs: dict[str, Any], momentum: Schedule | None = None
) -> Schedule:
    _BUILT[id(schedule)] = (weakref.ref(schedule), _Built(cls, lr, kwargs, momentum))
    weakref.finalize(schedule, _BUILT.pop, id(schedule), None)
    return schedule


def _built(schedule: Schedule) -> _Built | None:
    entry = _BUILT.get(id(schedule))
    return entry[1] if entry is not None and entry[0]() is schedule else None


def momentum_of(schedule: Schedule) -> Schedule | None:
    """The momentum torch cycles beside the LR of a `torch_OneCycleLR` or `torch_CyclicLR`
    schedule (`cycle_momentum=True`, torch's default: the group's `momentum`, or Adam's
    beta1), step for step; None where torch leaves momentum alone.

    >>> lr = torch_OneCycleLR(max_lr=0.1, total_steps=100)
    >>> momentum = momentum_of(lr)   # 0.95 down to 0.85 at the peak, back up to 0.95
    """
    built = _built(schedule)
    return None if built is None else built.momentum


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
        parts.append(_segment("linear" if kind == "linear" else "cosine", a, b, length))
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


def torch_OneCycleLR(
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
    raises; lrsched holds the last LR. Its momentum (`cycle_momentum=True`, torch's
    default): `momentum_of(schedule)`."""
    name = "torch_OneCycleLR"
    if total_steps is None:
        if epochs is None or steps_per_epoch is None:
            raise ValueError(f"{name}: give total_steps, or both epochs and steps_per_epoch (as OneCycleLR)")
        total_steps = epochs * steps_per_epoch
    if not isinstance(total_steps, int) or isinstance(total_steps, bool) or total_steps < 1:
        raise _bad(name, "total_steps", total_steps, "a whole number >= 1")
    if not 0.0 <= pct_start <= 1.0:
        raise _bad(name, "pct_start", pct_start, "in [0, 1]")
    if anneal_strategy not in ("cos", "linear"):
        raise _bad(name, "anneal_strategy", anneal_strategy, "one of 'cos', 'linear'")
    for key, value in (("div_factor", div_factor), ("final_div_factor", final_div_factor)):
        if not value > 0.0:
            raise _bad(name, key, value, "in (0, inf)")
    if not max_lr >= 0.0:
        raise _bad(name, "max_lr", max_lr, "in [0, inf)")
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
    return _record(schedule, "OneCycleLR", None, kwargs, momentum)


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
    return _phases(anneal, knots, values, last, "torch_OneCycleLR", pct_start)


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
        raise _bad(
            "torch_OneCycleLR", "pct_start", pct_start, "such that pct_start * total_steps != 1 (torch divides by zero)"
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
    first = _line(start, other, up)
    return join(
        schedules=[first, cyclic(base_lr=other, max_lr=start, step_size_up=down, step_size_down=up)], boundaries=[up]
    )


def torch_CyclicLR(
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
    """`torch.optim.lr_scheduler.CyclicLR`; its momentum (`cycle_momentum=True`, torch's
    default): `momentum_of(schedule)`. `scale_mode` acts only with a custom `scale_fn`,
    an arbitrary Python function, which has no frozen, configurable equivalent."""
    name = "torch_CyclicLR"
    if scale_fn is not None:
        raise RefusedCallableError(name, "scale_fn", scale_fn)
    if scale_mode not in ("cycle", "iterations"):
        raise _bad(name, "scale_mode", scale_mode, "one of 'cycle', 'iterations'")
    if mode not in ("triangular", "triangular2", "exp_range"):
        raise _bad(name, "mode", mode, "one of 'triangular', 'triangular2', 'exp_range'")
    down = step_size_up if step_size_down is None else step_size_down
    for key, value in (("step_size_up", step_size_up), ("step_size_down", down)):
        if not value > 0.0:
            raise _bad(name, key, value, "in (0, inf)")
    for key, value in (("base_lr", base_lr), ("max_lr", max_lr)):
        if not value >= 0.0:
            raise _bad(name, key, value, "in [0, inf)")
    if last_epoch != -1:
        raise RefusedError(name, "last_epoch", last_epoch)
    if mode == "exp_range" and gamma > 1.0:
        raise RefusedError(name, "gamma", gamma)
    if mode == "exp_range" and not gamma >= 0.0:
        raise _bad(name, "gamma", gamma, "in [0, 1] for mode='exp_range'")
    kwargs: dict[str, Any] = {"base_lr": base_lr, "max_lr": max_lr, "step_size_up": step_size_up}
    kwargs["step_size_down"] = down
    kwargs.update(mode=mode, gamma=gamma)
    flat = mode == "exp_range" and gamma == 0.0  # 0 ** 0 = 1 at step 0, where the cycle is at its base
    up, rate = float(step_size_up), gamma if mode == "exp_range" else 1.0
    schedule: Schedule
    momentum: Schedule | None = None
    if flat or base_lr == max_lr:
        schedule = constant(lr=base_lr)
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
    return _record(schedule, "CyclicLR", None, kwargs, momentum)


def torch_CosineAnnealingWarmRestarts(
    lr: float, T_0: int, T_mult: int = 1, eta_min: float = 0.0, last_epoch: int = -1
) -> Schedule:
    """`torch.optim.lr_scheduler.CosineAnnealingWarmRestarts` on a group with LR `lr`
    (an `eta_min` above `lr`: each cycle rises from `lr` to it)."""
    name = "torch_CosineAnnealingWarmRestarts"
    if not isinstance(T_0, int) or T_0 < 1:
        raise _bad(name, "T_0", T_0, "a whole number >= 1")
    if not isinstance(T_mult, int) or T_mult < 1:
        raise _bad(name, "T_mult", T_mult, "a whole number >= 1")
    if last_epoch != -1:
        raise RefusedError(name, "last_epoch", last_epoch)
    schedule: Schedule
    if lr == eta_min:
        schedule = constant(lr=lr)
    elif lr == 0.0:
        raise RefusedError(name, "lr", lr, f" (eta_min={eta_min!r})")
    elif eta_min < lr:
        schedule = cosine_restarts(max_lr=lr, first_cycle_steps=T_0, cycle_mult=T_mult, min_lr=eta_min)
    else:
        schedule = restarts(decay=cosine_decay(initial_lr=lr, decay_steps=T_0, final_lr=eta_min), cycle_mult=T_mult)
    return _record(schedule, "CosineAnnealingWarmRestarts", lr, {"T_0": T_0, "T_mult": T_mult, "eta_min": eta_min})


def torch_CosineAnnealingLR(lr: float, T_max: int, eta_min: float = 0.0, last_epoch: int = -1) -> Schedule:
    """`torch.optim.lr_scheduler.CosineAnnealingLR`: past `T_max` the cosine climbs back
    up (period `2 * T_max`), as torch's does."""
    name = "torch_CosineAnnealingLR"
    if not T_max > 0:
        raise _bad(name, "T_max", T_max, "in (0, inf) (torch divides by it)")
    if last_epoch != -1:
        raise RefusedError(name, "last_epoch", last_epoch)
    schedule: Schedule
    if lr == eta_min or lr == 0.0:
        schedule = constant(lr=lr) if lr == eta_min else _cosine_from_zero(eta_min, T_max)
    else:
        schedule = cosine_decay(initial_lr=lr, decay_steps=T_max, final_lr=eta_min, periodic=True)
    return _record(schedule, "CosineAnnealingLR", lr, {"T_max": T_max, "eta_min": eta_min})


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
        raise _bad(name, "last_epoch", last_epoch, "a whole number >= -1")
    return last_epoch + 1


def _steps(name: str, key: str, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _bad(name, key, value, "a whole number >= 1 (torch divides by it)")


def _staircase(lr: float, gamma: float, every: float, offset: float) -> Schedule:
    """lr * gamma ** floor((t + offset) / every): the LR `offset` steps into torch's StepLR."""
    done, into = divmod(offset, every)
    first = lr * gamma**done
    if first == 0.0 or gamma == 1.0:
        return constant(lr=first)
    if into == 0 and gamma > 0.0:
        return step_decay(initial_lr=first, drop=gamma, every=every)
    after = first * gamma
    rest = step_decay(initial_lr=after, drop=gamma, every=every) if after > 0.0 else constant(lr=0.0)
    return join(schedules=[constant(lr=first), rest], boundaries=[every - into])


def torch_StepLR(lr: float, step_size: int, gamma: float = 0.1, last_epoch: int = -1) -> Schedule:
    """`torch.optim.lr_scheduler.StepLR` (with `last_epoch`, the resumed run from step
    `last_epoch + 1` on; `gamma=0`: 0 from `step_size` on)."""
    name = "torch_StepLR"
    _steps(name, "step_size", step_size)
    if gamma > 1.0:
        raise RefusedError(name, "gamma", gamma)
    if not gamma >= 0.0:
        raise _bad(name, "gamma", gamma, "in [0, 1]")
    offset = _resume(last_epoch, name)
    schedule = _staircase(lr, gamma, step_size, offset)
    return _record(schedule, "StepLR", lr, {"step_size": step_size, "gamma": gamma})


def _drops(lr: float, milestones: Sequence[float], gamma: float, offset: int) -> Schedule:
    """lr times gamma for each milestone at or before t + offset (a repeated one counts twice)."""
    ordered = sorted(milestones)
    done = sum(1 for m in ordered if m <= offset)
    first = lr * gamma**done
    later = [float(m - offset) for m in ordered if m > offset]
    if not later or first == 0.0 or gamma == 1.0:
        return constant(lr=first)
    if gamma == 0.0:
        return join(schedules=[constant(lr=first), constant(lr=0.0)], boundaries=[later[0]])
    return multi_step(initial_lr=first, milestones=later, gamma=gamma)


def torch_MultiStepLR(lr: float, milestones: Sequence[int], gamma: float = 0.1, last_epoch: int = -1) -> Schedule:
    """`torch.optim.lr_scheduler.MultiStepLR` (milestones in any order, as torch counts them;
    a repeated milestone drops twice; `gamma=0`: 0 from the first milestone on)."""
    name = "torch_MultiStepLR"
    if not gamma >= 0.0:
        raise _bad(name, "gamma", gamma, "in [0, inf)")
    offset = _resume(last_epoch, name)
    schedule = _drops(lr, milestones, gamma, offset)
    return _record(schedule, "MultiStepLR", lr, {"milestones": list(milestones), "gamma": gamma})


def torch_ExponentialLR(lr: float, gamma: float, last_epoch: int = -1) -> Schedule:
    """`torch.optim.lr_scheduler.ExponentialLR` (`gamma=0`: 0 from step 1 on)."""
    name = "torch_ExponentialLR"
    if gamma > 1.0:
        raise RefusedError(name, "gamma", gamma)
    if not gamma >= 0.0:
        raise _bad(name, "gamma", gamma, "in [0, 1]")
    offset = _resume(last_epoch, name)
    first = lr * gamma**offset
    schedule: Schedule
    if first == 0.0 or gamma == 1.0:
        schedule = constant(lr=first)
    elif gamma == 0.0:
        schedule = join(schedules=[constant(lr=first), constant(lr=0.0)], boundaries=[1.0])
    else:
        schedule = exponential(initial_lr=first, gamma=gamma)
    return _record(schedule, "ExponentialLR", lr, {"gamma": gamma})


def torch_LinearLR(
    lr: float, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5, last_epoch: int = -1
) -> Schedule:
    """`torch.optim.lr_scheduler.LinearLR`: the factor moves linearly from `start_factor`
    to `end_factor` over `total_iters` steps, then holds."""
    name = "torch_LinearLR"
    if not 0.0 < start_factor <= 1.0:
        raise _bad(name, "start_factor", start_factor, "in (0, 1]")
    if not 0.0 <= end_factor <= 1.0:
        raise _bad(name, "end_factor", end_factor, "in [0, 1]")
    offset = _resume(last_epoch, name)
    kwargs = {"start_factor": start_factor, "end_factor": end_factor, "total_iters": total_iters}
    if total_iters <= 0:
        # torch's step 0 applies start_factor, and no later step changes it
        return _record(constant(lr=lr * start_factor), "LinearLR", lr, kwargs)
    done = min(offset, total_iters)
    factor = start_factor + (end_factor - start_factor) * done / total_iters
    return _record(_line(lr * factor, lr * end_factor, total_iters - done), "LinearLR", lr, kwargs)


def torch_ConstantLR(lr: float, factor: float = 1.0 / 3, total_iters: int = 5, last_epoch: int = -1) -> Schedule:
    """`torch.optim.lr_scheduler.ConstantLR`: `lr * factor` until `total_iters`, then `lr`
    (with `total_iters=0`, `lr * factor` throughout, as torch's steps leave it; after a
    `SequentialLR` milestone torch starts it at `lr`, and `torch_SequentialLR` does too)."""
    name = "torch_ConstantLR"
    if not 0.0 <= factor <= 1.0:
        raise _bad(name, "factor", factor, "in [0, 1]")
    offset = _resume(last_epoch, name)
    kwargs = {"factor": factor, "total_iters": total_iters}
    schedule: Schedule
    if total_iters <= 0:
        schedule = constant(lr=lr * factor)
    elif offset >= total_iters:
        schedule = constant(lr=lr)
    else:
        schedule = join(schedules=[constant(lr=lr * factor), constant(lr=lr)], boundaries=[total_iters - offset])
    return _record(schedule, "ConstantLR", lr, kwargs)


def torch_PolynomialLR(lr: float, total_iters: int = 5, power: float = 1.0, last_epoch: int = -1) -> Schedule:
    """`torch.optim.lr_scheduler.PolynomialLR` (with `total_iters=0` or `power=0`, `lr`
    throughout, as torch's `0 ** 0 = 1` gives)."""
    name = "torch_PolynomialLR"
    offset = _resume(last_epoch, name)
    kwargs = {"total_iters": total_iters, "power": power}
    schedule: Schedule
    left = total_iters - offset
    if total_iters <= 0 or power == 0.0:
        schedule = constant(lr=lr)
    elif left <= 0:
        schedule = constant(lr=0.0)
    elif not power > 0.0:
        raise _bad(name, "power", power, "in [0, inf)")
    else:
        first = lr * (left / total_iters) ** power
        schedule = polynomial(initial_lr=first, decay_steps=left, power=power) if first > 0 else constant(lr=0.0)
    return _record(schedule, "PolynomialLR", lr, kwargs)


_MULTIPLIERS = ("StepLR", "MultiStepLR", "ExponentialLR", "LinearLR", "ConstantLR", "PolynomialLR")
_BY_NAME: dict[str, Callable[..., Schedule]] = {
    "StepLR": torch_StepLR,
    "MultiStepLR": torch_MultiStepLR,
    "ExponentialLR": torch_ExponentialLR,
    "LinearLR": torch_LinearLR,
    "ConstantLR": torch_ConstantLR,
    "PolynomialLR": torch_PolynomialLR,
    "CosineAnnealingLR": torch_CosineAnnealingLR,
    "CosineAnnealingWarmRestarts": torch_CosineAnnealingWarmRestarts,
}


class _Group(NamedTuple):
    """The param group's LRs as torch leaves them once every scheduler is built (in order):
    `bases[k]` is scheduler k's `initial_lr` when it was built; OneCycleLR rewrites
    `initial_lr` (and sets `max_lr`, `min_lr`), the first scheduler built sets it."""

    bases: list[float | None]
    initial: float | None
    one_cycle: tuple[float, float, float] | None


def _group(function: str, built: Sequence[_Built | None]) -> _Group:
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


def _one_cycle_in(b: _Built, group: _Group) -> Schedule:
    """A OneCycleLR among others reads initial_lr, max_lr and min_lr from the group at each step."""
    assert group.one_cycle is not None and group.initial is not None
    _, peak, low = group.one_cycle
    k = b.kwargs
    return _one_cycle_lr(
        (group.initial, peak, low), k["total_steps"], k["pct_start"], k["anneal_strategy"], k["three_phase"]
    )


def torch_SequentialLR(schedulers: Sequence[Schedule], milestones: Sequence[int], last_epoch: int = -1) -> Schedule:
    """`torch.optim.lr_scheduler.SequentialLR` of the schedules given (each from the
    `torch_*` function of its scheduler, built in the order listed, as torch's are):
    scheduler k runs from `milestones[k - 1]`, counting its own steps from 0, from the
    group's `initial_lr` as torch leaves it (a OneCycleLR or CyclicLR in the list rewrites
    it: the first scheduler then starts from it, and so do those built after it)."""
    name = "torch_SequentialLR"
    if last_epoch != -1:
        raise RefusedError(name, "last_epoch", last_epoch)
    parts = list(schedulers)
    if len(milestones) != len(parts) - 1:
        raise _bad(name, "milestones", list(milestones), f"{len(parts) - 1} steps, one fewer than the schedulers")
    built = [_built(p) for p in parts]
    group = _group(name, built)
    runs: list[Schedule] = []
    for k, (part, b) in enumerate(zip(parts, built, strict=True)):
        if b is None or b.cls == "CyclicLR":
            runs.append(part)
        elif b.cls == "OneCycleLR":
            runs.append(_one_cycle_in(b, group))
        else:
            # the first runs on from the group's LR as the last rewrite left it, the others
            # from a closed form of the initial_lr they were built with
            lr = group.initial if k == 0 and b.cls != "CosineAnnealingWarmRestarts" else group.bases[k]
            assert lr is not None
            if k == 0 and b.cls == "CosineAnnealingLR" and lr != group.bases[0]:
                raise RefusedError(name, "schedulers", [b.cls if b is not None else None for b in built])
            if k > 0 and b.cls == "ConstantLR" and b.kwargs["total_iters"] <= 0:
                runs.append(constant(lr=lr))  # its closed form at the milestone: total_iters has passed
            else:
                runs.append(_BY_NAME[b.cls](lr, **b.kwargs))
    if len(runs) == 1:
        return runs[0]
    return join(schedules=runs, boundaries=[float(m) for m in milestones])


def torch_ChainedScheduler(schedulers: Sequence[Schedule], lr: float) -> Schedule:
    """`torch.optim.lr_scheduler.ChainedScheduler` of multiplicative schedulers (StepLR,
    MultiStepLR, ExponentialLR, LinearLR, ConstantLR, PolynomialLR), each given by its
    `torch_*` function on the group's LR `lr`: the LR is `lr` times each one's factor. A
    OneCycleLR, CyclicLR or CosineAnnealingWarmRestarts sets the LR outright: last in the
    chain, it is the chain."""
    name = "torch_ChainedScheduler"
    parts = list(schedulers)
    built = [_built(p) for p in parts]
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
            return torch_CosineAnnealingWarmRestarts(base if base is not None else lr, **b.kwargs)
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
    """`optax.polynomial_schedule`, a decay or a rise (`power=0`: `init_value` throughout,
    as optax's `0 ** 0 = 1` gives)."""
    if not power >= 0.0:
        raise _bad("optax_polynomial_schedule", "power", power, "in [0, inf) (a negative power is infinite at the end)")
    if transition_steps <= 0 or init_value == end_value or power == 0.0:
        line = _line(init_value, end_value, transition_steps) if power != 0.0 else constant(lr=init_value)
        return _delayed(init_value, line, transition_begin)
    decay: Schedule
    if init_value == 0.0 and power in (1.0, 0.5):  # a rise from 0: a linear or 1-sqrt ramp
        shape = "linear" if power == 1.0 else "1-sqrt"
        decay = warmup(schedule=constant(lr=end_value), steps=transition_steps, shape=shape)
    elif init_value == 0.0:
        raise RefusedError("optax_polynomial_schedule", "init_value", init_value, f" (power={power!r})")
    else:
        decay = polynomial(initial_lr=init_value, decay_steps=transition_steps, final_lr=end_value, power=power)
    return _delayed(init_value, decay, transition_begin)


def optax_cosine_decay_schedule(
    init_value: float, decay_steps: int, alpha: float = 0.0, exponent: float = 1.0
) -> Schedule:
    """`optax.cosine_decay_schedule` (an `alpha` above 1 rises; `exponent=0` holds `init_value`)."""
    if not decay_steps > 0:
        raise _bad("optax_cosine_decay_schedule", "decay_steps", decay_steps, "in (0, inf)")
    if init_value == 0.0 or alpha == 1.0 or exponent == 0.0:
        return constant(lr=init_value)
    return cosine_decay(initial_lr=init_value, decay_steps=decay_steps, final_lr=alpha * init_value, exponent=exponent)


def optax_exponential_decay(
    init_value: float,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
    *,
    _function: str = "optax_exponential_decay",
) -> Schedule:
    """`optax.exponential_decay`: with decay_rate < 1 an `end_value` is a floor, a
    constant from the step where the decay reaches it; with decay_rate > 1 it is the
    ceiling a growth needs (lrsched holds no schedule that grows without bound). As in
    optax, no transition steps or a zero rate hold `init_value`, and an `end_value` on
    the far side of `init_value` holds from step 0."""
    function = _function
    if transition_steps <= 0 or decay_rate == 0.0:
        return constant(lr=init_value)
    if not decay_rate > 0.0:
        raise _bad("optax_exponential_decay", "decay_rate", decay_rate, "in [0, inf)")
    if init_value == 0.0 or decay_rate == 1.0:  # init_value throughout, clipped
        if end_value is None:
            return constant(lr=init_value)
        return constant(lr=max(init_value, end_value) if decay_rate < 1.0 else min(init_value, end_value))
    if end_value is not None and (end_value >= init_value if decay_rate < 1.0 else end_value <= init_value):
        return constant(lr=end_value)  # optax clips every value, those before transition_begin too
    if decay_rate > 1.0:
        return _delayed(
            init_value,
            _growth(init_value, transition_steps, decay_rate, staircase, end_value, function),
            transition_begin,
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


def _growth(
    init_value: float, every: float, rate: float, staircase: bool, ceiling: float | None, function: str
) -> Schedule:
    """init_value * rate**(t / every) (floor(t / every) for a staircase), capped at `ceiling`."""
    if ceiling is None:
        raise RefusedError(function, "decay_rate", rate)
    periods = math.log(ceiling / init_value) / math.log(rate)  # where the growth meets the ceiling
    if not staircase:
        return range_sweep(start_lr=init_value, end_lr=ceiling, num_steps=periods * every, mode="exp")
    stairs = math.ceil(periods)
    if stairs > MAX_STAIRS:
        raise RefusedError(function, "end_value", ceiling, f" ({stairs} stairs)")
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
    """`optax.warmup_exponential_decay_schedule`: a linear warmup to `peak_value`, then
    `exponential_decay` (which an `end_value` beyond `peak_value` clips from its start)."""
    decay = optax_exponential_decay(peak_value, transition_steps, decay_rate, transition_begin, staircase, end_value)
    if warmup_steps <= 0:
        return decay
    return warmup(schedule=decay, steps=warmup_steps, start_lr=init_value, end_lr=peak_value)


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
    """`optax.warmup_cosine_decay_schedule`: `decay_steps` counts the warmup too (with
    `peak_value=0`, 0 after the warmup, as optax's)."""
    alpha = 0.0 if peak_value == 0.0 else end_value / peak_value
    decay = optax_cosine_decay_schedule(peak_value, decay_steps - warmup_steps, alpha, exponent)
    if warmup_steps <= 0:
        return decay
    return warmup(schedule=decay, steps=warmup_steps, start_lr=init_value, end_lr=peak_value)


def optax_cosine_onecycle_schedule(
    transition_steps: int,
    peak_value: float,
    pct_start: float = 0.3,
    div_factor: float = 25.0,
    final_div_factor: float = 1e4,
) -> Schedule:
    """`optax.cosine_onecycle_schedule`: optax puts the peak at the whole step `int(pct_start * T)`
    (with `pct_start=1` its two knots fall on one step, and the fall's scale replaces the rise's:
    a fall from `peak_value / div_factor` over the whole run, as optax's)."""
    if not transition_steps > 0:
        raise _bad("optax_cosine_onecycle_schedule", "transition_steps", transition_steps, "in (0, inf)")
    for key, value in (("div_factor", div_factor), ("final_div_factor", final_div_factor)):
        if not value > 0.0:
            raise _bad("optax_cosine_onecycle_schedule", key, value, "in (0, inf) (optax divides by it)")
    peak_step = int(pct_start * transition_steps)
    if not (0 < peak_step < transition_steps and min(div_factor, final_div_factor) >= 1.0 and peak_value > 0):
        # the same knots as optax's (a dict: a repeated step keeps its last scale)
        scales = {peak_step: div_factor, int(transition_steps): 1.0 / (div_factor * final_div_factor)}
        return optax_piecewise_interpolate_schedule("cosine", peak_value / div_factor, scales)
    return one_cycle(
        max_lr=peak_value,
        total_steps=transition_steps,
        pct_start=peak_step / transition_steps,
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
        raise _bad("optax_piecewise_interpolate_schedule", "interpolate_type", interpolate_type, "'linear' or 'cosine'")
    points = sorted((boundaries_and_scales or {}).items())
    if any(boundary < 0 or scale < 0 for boundary, scale in points):
        raise _bad(
            "optax_piecewise_interpolate_schedule", "boundaries_and_scales", dict(points), "boundaries and scales >= 0"
        )
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
    from `initial_learning_rate` to it, then the cosine from there (an `alpha` above 1
    rises)."""
    top = initial_learning_rate if warmup_target is None else warmup_target
    decay = optax_cosine_decay_schedule(top, decay_steps, alpha)
    if warmup_target is None or warmup_steps <= 0:
        return decay
    return warmup(schedule=decay, steps=warmup_steps, start_lr=initial_learning_rate, end_lr=warmup_target)


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
    (lrsched's own), how many cycles run before the LR holds `alpha * initial`. An
    `alpha` above 1 rises to `alpha * initial` each cycle; `m_mul=0` holds it after the
    first."""
    function = "keras_CosineDecayRestarts"
    lr, floor = initial_learning_rate, alpha * initial_learning_rate
    if not first_decay_steps > 0:
        raise _bad(function, "first_decay_steps", first_decay_steps, "in (0, inf)")
    if t_mul < 1.0:
        raise RefusedError(function, "t_mul", t_mul)
    if not m_mul >= 0.0:
        raise _bad(function, "m_mul", m_mul, "in [0, inf)")
    if m_mul > 1.0 and cycles is None:
        raise RefusedError(function, "m_mul", m_mul)
    if lr == floor or lr == 0.0:
        return constant(lr=floor if m_mul != 1.0 or lr == floor else lr)
    decay = cosine_decay(initial_lr=lr, decay_steps=first_decay_steps, final_lr=floor)
    if m_mul == 0.0:  # 0 ** 0 = 1: the first cycle whole, then the floor
        return join(schedules=[decay, constant(lr=floor)], boundaries=[float(first_decay_steps)])
    if m_mul <= 1.0 and cycles is None and floor < lr:
        return cosine_restarts(
            max_lr=lr, first_cycle_steps=first_decay_steps, cycle_mult=t_mul, peak_decay=m_mul, min_lr=floor
        )
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
    give `end_value` (lrsched's own, as optax's), the ceiling it grows to. `decay_rate=0`:
    the LR at step 0, then 0 (from `decay_steps` on with a staircase). Keras rounds
    `decay_rate` to float32 even beside a float64 LR, which puts its value p * 3e-8
    (relative) off after p periods; lrsched computes with the rate given."""
    function = "keras_ExponentialDecay"
    if not decay_steps > 0:
        raise _bad(function, "decay_steps", decay_steps, "in (0, inf) (Keras divides by it)")
    if decay_rate == 0.0:  # 0 ** 0 = 1 at p = 0, then 0 on Keras' whole steps
        drop = float(decay_steps) if staircase else 1.0
        return join(schedules=[constant(lr=initial_learning_rate), constant(lr=0.0)], boundaries=[drop])
    return optax_exponential_decay(
        initial_learning_rate, decay_steps, decay_rate, staircase=staircase, end_value=end_value, _function=function
    )


def keras_InverseTimeDecay(
    initial_learning_rate: float,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str = "InverseTimeDecay",
) -> Schedule:
    """`keras.optimizers.schedules.InverseTimeDecay` (`decay_rate=0`: the LR throughout)."""
    function = "keras_InverseTimeDecay"
    if not decay_steps > 0:
        raise _bad(function, "decay_steps", decay_steps, "in (0, inf) (Keras divides by it)")
    if not decay_rate >= 0.0:
        raise _bad(function, "decay_rate", decay_rate, "in [0, inf)")
    if decay_rate == 0.0 or initial_learning_rate == 0.0:
        return constant(lr=initial_learning_rate)
    return inverse_decay(
        initial_lr=initial_learning_rate, decay_steps=decay_steps, decay_rate=decay_rate, power=1.0, staircase=staircase
    )


def keras_PiecewiseConstantDecay(
    boundaries: Sequence[int], values: Sequence[float], name: str = "PiecewiseConstant"
) -> Schedule:
    """`keras.optimizers.schedules.PiecewiseConstantDecay`: Keras switches after a
    boundary (`values[k+1]` from step `boundaries[k] + 1` on whole steps)."""
    if len(values) != len(boundaries) + 1:
        raise _bad("keras_PiecewiseConstantDecay", "values", list(values), "one more entry than boundaries")
    return join(schedules=[constant(lr=v) for v in values], boundaries=[b + 1 for b in boundaries])


def keras_PolynomialDecay(
    initial_learning_rate: float,
    decay_steps: int,
    end_learning_rate: float = 0.0001,
    power: float = 1.0,
    cycle: bool = False,
    name: str = "PolynomialDecay",
) -> Schedule:
    """`keras.optimizers.schedules.PolynomialDecay` (`power=0`: the initial LR throughout,
    as Keras' `0 ** 0 = 1` gives)."""
    function = "keras_PolynomialDecay"
    if not decay_steps > 0:
        raise _bad(function, "decay_steps", decay_steps, "in (0, inf) (Keras divides by it)")
    if not power >= 0.0:
        raise _bad(function, "power", power, "in [0, inf) (a negative power is infinite at the end)")
    if power == 0.0 or initial_learning_rate == end_learning_rate:
        return constant(lr=initial_learning_rate)
    if initial_learning_rate == 0.0:
        raise RefusedError(function, "initial_learning_rate", initial_learning_rate)
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
        if name in ("reduce_lr_on_plateau", "greedy"):
            raise RefusedError("hf_get_scheduler", "name", name)
        raise _bad("hf_get_scheduler", "name", name, f"one of {', '.join(HF_NAMES)}")
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
            if total <= warm:  # 0 from the end of the warmup on
                return _hf_rest(kwargs, name, warmup(schedule=constant(lr=0.0), steps=warm, end_lr=lr))
            after = polynomial(initial_lr=lr, decay_steps=horizon, power=1.0)
        elif name == "polynomial":
            lr_end, power = kwargs.pop("lr_end", 1e-7), kwargs.pop("power", 1.0)
            if not lr_end < lr:
                raise _bad("hf_get_scheduler", "lr_end", lr_end, f"smaller than the initial lr ({lr!r})")
            if not power >= 0.0:
                raise _bad("hf_get_scheduler", "power", power, "in [0, inf) (a negative power divides by zero)")
            if total <= warm:  # lr_end from the end of the warmup on (at total == warm, from step warm + 1)
                after = constant(lr=lr_end)
                return _hf_rest(kwargs, name, warmup(schedule=after, steps=warm, end_lr=lr))
            if power == 0.0:  # lr through step num_training_steps, lr_end after it
                after = join(
                    schedules=[constant(lr=lr), constant(lr=lr_end)],
                    boundaries=[math.nextafter(float(total - warm), math.inf)],
                )
            else:
                after = polynomial(initial_lr=lr, decay_steps=total - warm, final_lr=lr_end, power=power)
        elif name == "cosine_with_restarts":
            cycles = abs(kwargs.pop("num_cycles", 1))
            if cycles == 0:
                hard: Schedule = constant(lr=lr)
            else:
                hard = cosine_restarts(max_lr=lr, first_cycle_steps=horizon / cycles)
            after = join(schedules=[hard, constant(lr=0.0)], boundaries=[horizon])
        else:
            cycles = abs(kwargs.pop("num_cycles", 0.5))
            floor = _hf_min_lr(name, lr, kwargs)
            if cycles == 0 or floor == lr:
                cosine: Schedule = constant(lr=lr)
            else:
                cosine = cosine_decay(initial_lr=lr, decay_steps=horizon / (2 * cycles), final_lr=floor, periodic=True)
            if name == "cosine_warmup_with_min_lr":
                whole = _hf_cosine_warmup_with_min_lr(cosine, lr, warm, kwargs.pop("warmup_lr_rate", None))
            after = cosine
    if kwargs:
        raise TypeError(f"{name} takes no scheduler_specific_kwargs {sorted(kwargs)}")
    return whole if whole is not None else warmup(schedule=after, steps=warm)


def _hf_rest(kwargs: Mapping[str, Any], name: str, schedule: Schedule) -> Schedule:
    if kwargs:
        raise TypeError(f"{name} takes no scheduler_specific_kwargs {sorted(kwargs)}")
    return schedule


def _hf_min_lr(name: str, lr: float, kwargs: dict[str, Any]) -> float:
    if name == "cosine":
        return 0.0
    min_lr, min_lr_rate = kwargs.pop("min_lr", None), kwargs.pop("min_lr_rate", None)
    if (min_lr is None) == (min_lr_rate is None):
        raise _bad("hf_get_scheduler", "min_lr", min_lr, f"given, or else min_lr_rate (one of them: {name})")
    return float(min_lr) if min_lr is not None else lr * min_lr_rate


def _hf_cosine_warmup_with_min_lr(cosine: Schedule, lr: float, warm: int, warmup_lr_rate: float | None) -> Schedule:
    # Its warmup reaches lr one step early ((step + 1) / W, or rate + (1 - rate) step / (W - 1)),
    # and its cosine counts from step W - 1.
    if warm < 1:
        if isinstance(cosine, Constant):
            return cosine
        raise RefusedError("hf_get_scheduler", "num_warmup_steps", warm, " (cosine_warmup_with_min_lr)")
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
    name = "hf_get_scheduler"
    if num_decay_steps is None or num_decay_steps < 0:
        raise _bad(name, "num_decay_steps", num_decay_steps, "a whole number >= 0")
    if num_stable_steps is None:
        if num_training_steps is None:
            raise ValueError(f"{name}: warmup_stable_decay needs num_training_steps or num_stable_steps")
        num_stable_steps = num_training_steps - num_warmup_steps - num_decay_steps
        if num_stable_steps < 0:
            raise RefusedError(
                "hf_get_scheduler",
                "num_training_steps",
                num_training_steps,
                f" (num_warmup_steps={num_warmup_steps!r}, num_decay_steps={num_decay_steps!r})",
            )
    if num_stable_steps < 0:
        raise RefusedError("hf_get_scheduler", "num_stable_steps", num_stable_steps)
    if not min_lr_ratio >= 0.0:
        raise _bad(name, "min_lr_ratio", min_lr_ratio, "in [0, inf)")
    floor = lr * min_lr_ratio
    if min_lr_ratio > 1.0 and decay_type == "1-sqrt" and num_decay_steps > 0:
        raise RefusedError("hf_get_scheduler", "min_lr_ratio", min_lr_ratio, " (decay_type='1-sqrt')")
    if num_decay_steps == 0 or min_lr_ratio > 1.0 or (decay_type == "cosine" and num_cycles != 0.5):
        # The phases one by one: a cooldown along num_cycles periods of the cosine, cut at
        # num_decay_steps; or none; or one that rises to a floor above lr.
        cooldown = num_warmup_steps + num_stable_steps
        ramp = warmup(schedule=constant(lr=lr), steps=num_warmup_steps, start_lr=floor, shape=warmup_type)
        parts: list[Schedule] = [ramp]
        bounds: list[float] = []
        if num_decay_steps > 0:
            wave: Schedule
            if decay_type == "linear":
                wave = _line(lr, floor, num_decay_steps)
            elif num_cycles == 0 or floor == lr:
                wave = constant(lr=lr)
            else:
                half = num_decay_steps / (2 * abs(num_cycles))
                wave = cosine_decay(initial_lr=lr, decay_steps=half, final_lr=floor, periodic=True)
            parts.append(wave)
            bounds.append(float(cooldown))
        parts.append(constant(lr=floor))
        bounds.append(float(cooldown + num_decay_steps))
        return join(schedules=parts, boundaries=bounds)
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
        raise RefusedError("timm", "noise_range_t", noise_range_t)


def _timm_warmup(
    schedule: Schedule, end_lr: float, warmup_t: float, warmup_lr_init: float, warmup_prefix: bool
) -> Schedule:
    # timm ramps linearly from warmup_lr_init to the base LR: lr_init + t * (lr - lr_init) / warmup_t.
    return warmup(schedule=schedule, steps=warmup_t, start_lr=warmup_lr_init, prefix=warmup_prefix, end_lr=end_lr)


def _timm_cycles(
    decay: Schedule,
    lr_min: float,
    cycle_mul: float,
    cycle_decay: float,
    cycle_limit: int,
    holds: bool,
    make: Callable[[float, float], Schedule] | None = None,
    top: float = 0.0,
    t_initial: float = 1.0,
) -> Schedule:
    """timm's cycles of `decay`: cycle i is cycle_mul**i times as long, its peak times
    cycle_decay**i above the fixed lr_min; after cycle_limit cycles, lr_min. `holds`: the
    decay itself ends at lr_min (one cycle is then the decay alone). Cycles that shrink
    (cycle_mul < 1) are laid out one by one, `make(peak, length)` each, until they are
    shorter than 1e-6 step (timm's cycles end at t_initial / (1 - cycle_mul), where its
    `log` fails)."""
    if cycle_limit == 0:
        return constant(lr=lr_min)  # timm's first cycle is already past its limit
    if cycle_limit == 1 and holds:
        return decay
    if cycle_mul >= 1.0 and is_restartable(decay):
        return restarts(decay=decay, cycle_mult=cycle_mul, peak_decay=cycle_decay, scales="peak", cycles=cycle_limit)
    if make is None or not cycle_mul > 0.0:
        raise _bad("timm", "cycle_mul", cycle_mul, "in (0, inf)")
    first = float(getattr(decay, "decay_steps", 0.0)) or t_initial
    parts: list[Schedule] = []
    starts: list[float] = []
    start, length = 0.0, first
    for i in range(min(cycle_limit, MAX_CYCLES)):
        if length < 1e-6:
            break
        parts.append(make(top * cycle_decay**i, length))
        starts.append(start)
        start, length = start + length, length * cycle_mul
    parts.append(constant(lr=lr_min))
    starts.append(start)
    return join(schedules=parts, boundaries=starts[1:])


MAX_CYCLES = 10_000


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

    def make(peak: float, length: float) -> Schedule:
        if peak == lr_min:
            return constant(lr=lr_min)
        return cosine_decay(initial_lr=peak, decay_steps=length, final_lr=lr_min, k_decay=k_decay)

    cycles = _timm_cycles(make(lr, t_initial), lr_min, cycle_mul, cycle_decay, cycle_limit, True, make, lr, t_initial)
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

    def make(peak: float, length: float) -> Schedule:
        if peak == lr_min:
            return constant(lr=lr_min)
        return polynomial(initial_lr=peak, decay_steps=length, final_lr=lr_min, power=power, k_decay=k_decay)

    cycles = _timm_cycles(make(lr, t_initial), lr_min, cycle_mul, cycle_decay, cycle_limit, True, make, lr, t_initial)
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
    if lr_min > lr:
        raise RefusedError("timm_TanhLRScheduler", "lr_min", lr_min, f" (lr={lr!r})")
    last = min(cycle_limit, MAX_CYCLES) - 1
    if cycle_mul < 1.0 and last > 0 and lr * min(cycle_decay**last, 1.0) < lr_min:
        raise RefusedError("timm_TanhLRScheduler", "cycle_decay", cycle_decay, f" (lr_min={lr_min!r})")

    def make(peak: float, length: float) -> Schedule:
        return tanh_decay(initial_lr=peak, decay_steps=length, final_lr=lr_min, lower=lb, upper=ub)

    tanh = _timm_cycles(make(lr, t_initial), lr_min, cycle_mul, cycle_decay, cycle_limit, False, make, lr, t_initial)
    # Its warmup on the schedule's own clock ramps to the schedule's value at warmup_t
    # (timm's other schedulers ramp to the group's LR).
    return _timm_warmup(tanh, lr if warmup_prefix else float(tanh(warmup_t)), warmup_t, warmup_lr_init, warmup_prefix)


def _timm_steps(lr: float, decay_t: float, decay_rate: float) -> Schedule:
    if decay_rate > 1.0:
        raise RefusedError("timm_StepLRScheduler", "decay_rate", decay_rate)
    if not decay_rate >= 0.0:
        raise _bad("timm_StepLRScheduler", "decay_rate", decay_rate, "in [0, 1]")
    if not decay_t > 0:
        raise _bad("timm_StepLRScheduler", "decay_t", decay_t, "in (0, inf) (timm divides by it)")
    return _staircase(lr, decay_rate, decay_t, 0)


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
        _timm_steps(lr, decay_t, decay_rate),
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
    drops = _drops(lr, [m - 1 for m in decay_t], decay_rate, 0)
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
        raise RefusedCallableError("timm_WSDLRScheduler", "decay_fn", decay_fn)
    if stable_fn not in ("constant", "rsqrt", "power"):
        raise _bad("timm_WSDLRScheduler", "stable_fn", stable_fn, "one of 'constant', 'rsqrt', 'power'")
    stable_power = {"constant": 0.0, "rsqrt": 0.5}.get(stable_fn, stable_power)
    if decay_t > t_initial:
        raise RefusedError("timm_WSDLRScheduler", "decay_t", decay_t, f" (t_initial={t_initial!r})")
    timescale = (warmup_t if stable_timescale is None else stable_timescale) if stable_power > 0.0 else None
    if lr_min > lr:
        # timm holds every value at or above lr_min: after its warmup to lr, lr_min throughout
        return warmup(schedule=constant(lr=lr_min), steps=warmup_t, start_lr=warmup_lr_init, end_lr=lr)
    outside = warmup_lr_init > lr  # a warmup down to lr: lrsched's warmup, before the rest
    schedule = warmup_stable_decay(
        peak_lr=lr,
        warmup_steps=0.0 if outside else warmup_t,
        stable_steps=t_initial - decay_t,
        decay_steps=decay_t,
        start_lr=0.0 if outside else warmup_lr_init,
        final_lr=lr_min,
        decay_shape=decay_fn,
        decay_power=decay_power,
        decay_ratio=decay_ratio,
        stable_power=stable_power,
        stable_timescale=timescale,
    )
    return warmup(schedule=schedule, steps=warmup_t, start_lr=warmup_lr_init, end_lr=lr) if outside else schedule


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
    call, and what its docstring says of the match. `tests/compat/test_compat_peers.py` checks
    that each function equals its peer and that the README holds this very text."""
    import inspect

    rows = ["| peer | lrsched | notes |", "|---|---|---|"]
    for name, function in inspect.getmembers(sys.modules[__name__], inspect.isfunction):
        prefix = next((p for p in _PEER_PREFIXES if name.startswith(p)), None)
        if prefix is None or function.__module__ != __name__ or name == "migration_table":
            continue
        peer = _PEER_PREFIXES[prefix] + name.removeprefix(prefix)
        parameters = inspect.signature(function).parameters.values()
        names = [p.name for p in parameters if not (prefix == "keras_" and p.name == "name") and p.name[0] != "_"]
        paragraph = " ".join((function.__doc__ or "").split("\n\n")[0].split())
        notes = paragraph.split("`", 2)[-1].lstrip(":., ") if paragraph.startswith("`") else paragraph
        rows.append(f"| `{peer}` | `compat.{name}({', '.join(names)})` | {notes.replace('|', '/')} |")
    if HF_NAMES:
        rows.append(f"| | `hf_get_scheduler` names | {', '.join(f'`{n}`' for n in HF_NAMES)} |")
    return "\n".join(rows) + "\n"


def refusal_list() -> str:
    """The README's list of what compat refuses and why, one line per (function, peer
    parameter) of `REFUSED`."""
    lines = []
    for (function, parameter), reason in sorted(REFUSED.items()):
        where = "every `timm_*`" if function == "timm" else f"`compat.{function}`"
        lines.append(f"- {where}, `{parameter}`: {reason}.")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(migration_table(), end="")
