"""Hugging Face transformers' schedules (`transformers.get_scheduler` and the
`get_*_schedule*` functions it dispatches to) as lrsched schedules, step for step.

The functions take transformers' names and argument names, with `lr`, the optimizer's
LR, where transformers takes the optimizer: `get_scheduler("cosine", 3e-4, 500, 10_000)`
is `transformers.get_scheduler("cosine", optimizer, 500, 10_000)`, and
`get_cosine_schedule_with_warmup(3e-4, 500, 10_000)` is
`transformers.get_cosine_schedule_with_warmup(optimizer, 500, 10_000)`. Each
`get_*_schedule*` function is `get_scheduler` of its name (transformers' own dispatch),
so a refusal names `get_scheduler`. `last_epoch` (a resume) is not taken; the
parameters transformers places after it are keyword-only here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from lrsched.base import Schedule
from lrsched.compat._common import line
from lrsched.compat._refused import RefusedError, bad
from lrsched.compose import join, warmup
from lrsched.cosine import cosine_decay, cosine_restarts
from lrsched.decay import Constant, constant
from lrsched.inverse import inverse_decay
from lrsched.polynomial import polynomial
from lrsched.wsd import warmup_stable_decay

__all__ = [
    "HF_NAMES",
    "get_constant_schedule",
    "get_constant_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    "get_cosine_with_hard_restarts_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup",
    "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
    "get_inverse_sqrt_schedule",
    "get_linear_schedule_with_warmup",
    "get_polynomial_decay_schedule_with_warmup",
    "get_scheduler",
    "get_wsd_schedule",
]

_FUNCTION = "transformers.get_scheduler"  # how refusals name it

#: The `get_scheduler` names compat takes: every one but the metric-driven
#: `reduce_lr_on_plateau` and `greedy`.
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


def _required(name: str, value: int | None, what: str) -> int:
    if value is None:
        raise ValueError(f"{name} requires `{what}`, as transformers' get_scheduler does")
    return value


def get_scheduler(
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
            raise RefusedError(_FUNCTION, "name", name)
        raise bad(_FUNCTION, "name", name, f"one of {', '.join(HF_NAMES)}")
    if name == "constant":
        return constant(lr=lr)
    warm = _required(name, num_warmup_steps, "num_warmup_steps")
    after: Schedule
    whole: Schedule | None = None  # a schedule that brings its own warmup
    if name == "constant_with_warmup":
        after = constant(lr=lr)
    elif name == "inverse_sqrt":
        timescale = kwargs.pop("timescale", None)
        if timescale is None:
            timescale = warm or 10_000
        elif not timescale > 0:  # transformers divides by 0 at the step where (step + shift) / timescale is 0
            raise bad(_FUNCTION, "timescale", timescale, "in (0, inf) (transformers divides by zero past the warmup)")
        after = inverse_decay(initial_lr=lr, decay_steps=timescale, power=0.5)
    elif name == "warmup_stable_decay":
        return _wsd(lr, warm, num_training_steps, **kwargs)
    else:
        total = _required(name, num_training_steps, "num_training_steps")
        horizon = max(1, total - warm)
        if name == "linear":
            if total <= warm:  # 0 from the end of the warmup on
                return _rest(kwargs, name, warmup(schedule=constant(lr=0.0), steps=warm, end_lr=lr))
            after = polynomial(initial_lr=lr, decay_steps=horizon, power=1.0)
        elif name == "polynomial":
            lr_end, power = kwargs.pop("lr_end", 1e-7), kwargs.pop("power", 1.0)
            if not lr_end < lr:
                raise bad(_FUNCTION, "lr_end", lr_end, f"smaller than the initial lr ({lr!r})")
            if not power >= 0.0:
                raise bad(_FUNCTION, "power", power, "in [0, inf) (a negative power divides by zero)")
            if total <= warm:  # lr_end from the end of the warmup on (at total == warm, from step warm + 1)
                after = constant(lr=lr_end)
                return _rest(kwargs, name, warmup(schedule=after, steps=warm, end_lr=lr))
            if power == 0.0:  # lr through step num_training_steps, lr_end after it
                after = join(
                    schedules=[constant(lr=lr), constant(lr=lr_end)],
                    boundaries=[math.nextafter(float(total - warm), math.inf)],
                )
            else:
                after = polynomial(initial_lr=lr, decay_steps=total - warm, final_lr=lr_end, power=power)
        elif name == "cosine_with_restarts":
            cycles = kwargs.pop("num_cycles", 1)
            if cycles < 0:  # (c p) % 1 of a negative c runs each cycle's cosine upward
                raise RefusedError(_FUNCTION, "num_cycles", cycles, " with 'cosine_with_restarts'")
            if cycles == 0:
                hard: Schedule = constant(lr=lr)
            else:
                hard = cosine_restarts(max_lr=lr, first_cycle_steps=horizon / cycles)
            after = join(schedules=[hard, constant(lr=0.0)], boundaries=[horizon])
        else:
            cycles = abs(kwargs.pop("num_cycles", 0.5))
            floor = _min_lr(name, lr, kwargs)
            if cycles == 0 or floor == lr:
                cosine: Schedule = constant(lr=lr)
            else:
                cosine = cosine_decay(initial_lr=lr, decay_steps=horizon / (2 * cycles), final_lr=floor, periodic=True)
            if name == "cosine_warmup_with_min_lr":
                whole = _cosine_warmup_with_min_lr(cosine, lr, warm, kwargs.pop("warmup_lr_rate", None))
            after = cosine
    if kwargs:
        raise TypeError(f"{name} takes no scheduler_specific_kwargs {sorted(kwargs)}")
    return whole if whole is not None else warmup(schedule=after, steps=warm)


def _rest(kwargs: Mapping[str, Any], name: str, schedule: Schedule) -> Schedule:
    if kwargs:
        raise TypeError(f"{name} takes no scheduler_specific_kwargs {sorted(kwargs)}")
    return schedule


def _min_lr(name: str, lr: float, kwargs: dict[str, Any]) -> float:
    if name == "cosine":
        return 0.0
    min_lr, min_lr_rate = kwargs.pop("min_lr", None), kwargs.pop("min_lr_rate", None)
    if (min_lr is None) == (min_lr_rate is None):
        raise bad(_FUNCTION, "min_lr", min_lr, f"given, or else min_lr_rate (one of them: {name})")
    for key, value in (("min_lr", min_lr), ("min_lr_rate", min_lr_rate)):
        if value is not None and value < 0.0:
            raise RefusedError(_FUNCTION, key, value)
    return float(min_lr) if min_lr is not None else lr * min_lr_rate


def _cosine_warmup_with_min_lr(cosine: Schedule, lr: float, warm: int, warmup_lr_rate: float | None) -> Schedule:
    # Its warmup reaches lr one step early ((step + 1) / W, or rate + (1 - rate) step / (W - 1)),
    # and its cosine counts from step W - 1.
    if warm < 1:
        if isinstance(cosine, Constant):
            return cosine
        raise RefusedError(_FUNCTION, "num_warmup_steps", warm, " (cosine_warmup_with_min_lr)")
    if warmup_lr_rate is not None and warm == 1:
        # lr * rate at step 0, then the cosine on its own clock, which has counted step 0.
        return warmup(schedule=cosine, steps=1, start_lr=lr * warmup_lr_rate, shape="constant", prefix=False)
    start = lr / warm if warmup_lr_rate is None else lr * warmup_lr_rate
    return warmup(schedule=cosine, steps=warm - 1, start_lr=start)


def _wsd(
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
    name = _FUNCTION
    if num_decay_steps is None or num_decay_steps < 0:
        raise bad(name, "num_decay_steps", num_decay_steps, "a whole number >= 0")
    if num_stable_steps is None:
        if num_training_steps is None:
            raise ValueError(f"{name}: warmup_stable_decay needs num_training_steps or num_stable_steps")
        num_stable_steps = num_training_steps - num_warmup_steps - num_decay_steps
        if num_stable_steps < 0:
            raise RefusedError(
                _FUNCTION,
                "num_training_steps",
                num_training_steps,
                f" (num_warmup_steps={num_warmup_steps!r}, num_decay_steps={num_decay_steps!r})",
            )
    if num_stable_steps < 0:
        raise RefusedError(_FUNCTION, "num_stable_steps", num_stable_steps)
    for key, value in (("warmup_type", warmup_type), ("decay_type", decay_type)):
        if value not in ("linear", "cosine", "1-sqrt"):
            raise bad(name, key, value, "one of 'linear', 'cosine', '1-sqrt'")
    if min_lr_ratio < 0.0:
        raise RefusedError(_FUNCTION, "min_lr_ratio", min_lr_ratio)
    if not min_lr_ratio >= 0.0:
        raise bad(name, "min_lr_ratio", min_lr_ratio, "in [0, inf)")
    floor = lr * min_lr_ratio
    if min_lr_ratio > 1.0 and decay_type == "1-sqrt" and num_decay_steps > 0:
        raise RefusedError(_FUNCTION, "min_lr_ratio", min_lr_ratio, " (decay_type='1-sqrt')")
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
                wave = line(lr, floor, num_decay_steps)
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


# -- transformers' own functions, each `get_scheduler` of its name ----------------------
def get_constant_schedule(lr: float) -> Schedule:
    """`transformers.get_constant_schedule`: `get_scheduler("constant", lr)`."""
    return get_scheduler("constant", lr)


def get_constant_schedule_with_warmup(lr: float, num_warmup_steps: int) -> Schedule:
    """`transformers.get_constant_schedule_with_warmup`: `get_scheduler("constant_with_warmup", ...)`."""
    return get_scheduler("constant_with_warmup", lr, num_warmup_steps)


def get_linear_schedule_with_warmup(lr: float, num_warmup_steps: int, num_training_steps: int) -> Schedule:
    """`transformers.get_linear_schedule_with_warmup`: `get_scheduler("linear", ...)`."""
    return get_scheduler("linear", lr, num_warmup_steps, num_training_steps)


def get_cosine_schedule_with_warmup(
    lr: float, num_warmup_steps: int, num_training_steps: int, num_cycles: float = 0.5
) -> Schedule:
    """`transformers.get_cosine_schedule_with_warmup`: `get_scheduler("cosine", ...)`."""
    return get_scheduler("cosine", lr, num_warmup_steps, num_training_steps, {"num_cycles": num_cycles})


def get_cosine_with_hard_restarts_schedule_with_warmup(
    lr: float, num_warmup_steps: int, num_training_steps: int, num_cycles: int = 1
) -> Schedule:
    """`transformers.get_cosine_with_hard_restarts_schedule_with_warmup`:
    `get_scheduler("cosine_with_restarts", ...)`."""
    kwargs = {"num_cycles": num_cycles}
    return get_scheduler("cosine_with_restarts", lr, num_warmup_steps, num_training_steps, kwargs)


def get_polynomial_decay_schedule_with_warmup(
    lr: float, num_warmup_steps: int, num_training_steps: int, lr_end: float = 1e-7, power: float = 1.0
) -> Schedule:
    """`transformers.get_polynomial_decay_schedule_with_warmup`: `get_scheduler("polynomial", ...)`."""
    kwargs = {"lr_end": lr_end, "power": power}
    return get_scheduler("polynomial", lr, num_warmup_steps, num_training_steps, kwargs)


def get_inverse_sqrt_schedule(lr: float, num_warmup_steps: int, timescale: int | None = None) -> Schedule:
    """`transformers.get_inverse_sqrt_schedule`: `get_scheduler("inverse_sqrt", ...)`."""
    return get_scheduler("inverse_sqrt", lr, num_warmup_steps, None, {"timescale": timescale})


def get_cosine_with_min_lr_schedule_with_warmup(
    lr: float,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    *,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
) -> Schedule:
    """`transformers.get_cosine_with_min_lr_schedule_with_warmup`: `get_scheduler("cosine_with_min_lr", ...)`."""
    kwargs = {"num_cycles": num_cycles, "min_lr": min_lr, "min_lr_rate": min_lr_rate}
    return get_scheduler("cosine_with_min_lr", lr, num_warmup_steps, num_training_steps, kwargs)


def get_cosine_with_min_lr_schedule_with_warmup_lr_rate(
    lr: float,
    num_warmup_steps: int,
    num_training_steps: int,
    num_cycles: float = 0.5,
    *,
    min_lr: float | None = None,
    min_lr_rate: float | None = None,
    warmup_lr_rate: float | None = None,
) -> Schedule:
    """`transformers.get_cosine_with_min_lr_schedule_with_warmup_lr_rate`:
    `get_scheduler("cosine_warmup_with_min_lr", ...)`."""
    kwargs = {"num_cycles": num_cycles, "min_lr": min_lr, "min_lr_rate": min_lr_rate, "warmup_lr_rate": warmup_lr_rate}
    return get_scheduler("cosine_warmup_with_min_lr", lr, num_warmup_steps, num_training_steps, kwargs)


def get_wsd_schedule(
    lr: float,
    num_warmup_steps: int,
    num_decay_steps: int,
    num_training_steps: int | None = None,
    num_stable_steps: int | None = None,
    warmup_type: str = "linear",
    decay_type: str = "cosine",
    min_lr_ratio: float = 0,
    num_cycles: float = 0.5,
) -> Schedule:
    """`transformers.get_wsd_schedule`: `get_scheduler("warmup_stable_decay", ...)`."""
    kwargs = {
        "num_decay_steps": num_decay_steps,
        "num_stable_steps": num_stable_steps,
        "warmup_type": warmup_type,
        "decay_type": decay_type,
        "min_lr_ratio": min_lr_ratio,
        "num_cycles": num_cycles,
    }
    return get_scheduler("warmup_stable_decay", lr, num_warmup_steps, num_training_steps, kwargs)
