"""optax's schedules as lrsched schedules, step for step.

Each function is the optax schedule of the same name, with optax's argument names and
defaults: `cosine_decay_schedule(init_value=0.1, decay_steps=1000)` is
`optax.cosine_decay_schedule(init_value=0.1, decay_steps=1000)`. optax computes in
float32; these compute in float64 and agree with it to float32's precision.
`join_schedules` joins lrsched schedules, as optax's joins optax's.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lrsched.base import Schedule
from lrsched.compat._common import after_warmup, line, refuse_negative, segment
from lrsched.compat._refused import MAX_STAIRS, RefusedError, bad
from lrsched.compose import join, warmup
from lrsched.cosine import cosine_decay
from lrsched.decay import constant, exponential, step_decay
from lrsched.one_cycle import one_cycle
from lrsched.polynomial import polynomial
from lrsched.sweep import range_sweep

__all__ = [
    "constant_schedule",
    "cosine_decay_schedule",
    "cosine_onecycle_schedule",
    "exponential_decay",
    "join_schedules",
    "linear_onecycle_schedule",
    "linear_schedule",
    "piecewise_constant_schedule",
    "piecewise_interpolate_schedule",
    "polynomial_schedule",
    "sgdr_schedule",
    "warmup_constant_schedule",
    "warmup_cosine_decay_schedule",
    "warmup_exponential_decay_schedule",
]


def _delayed(init_value: float, schedule: Schedule, transition_begin: int) -> Schedule:
    """optax's `transition_begin`: `init_value` until then, the schedule from then on."""
    if transition_begin <= 0:
        return schedule
    return join(schedules=[constant(lr=init_value), schedule], boundaries=[transition_begin])


def constant_schedule(value: float) -> Schedule:
    """`optax.constant_schedule`."""
    refuse_negative("optax.constant_schedule", value=value)
    return constant(lr=value)


def linear_schedule(init_value: float, end_value: float, transition_steps: int, transition_begin: int = 0) -> Schedule:
    """`optax.linear_schedule` (up or down)."""
    refuse_negative(
        "optax.linear_schedule", init_value=init_value, **({"end_value": end_value} if transition_steps > 0 else {})
    )
    return _delayed(init_value, line(init_value, end_value, transition_steps), transition_begin)


def polynomial_schedule(
    init_value: float, end_value: float, power: float, transition_steps: int, transition_begin: int = 0
) -> Schedule:
    """`optax.polynomial_schedule`, a decay or a rise (`power=0`: `init_value` throughout,
    as optax's `0 ** 0 = 1` gives; no transition steps hold `init_value`, whatever the power)."""
    if transition_steps <= 0:
        refuse_negative("optax.polynomial_schedule", init_value=init_value)
        return constant(lr=init_value)
    refuse_negative(
        "optax.polynomial_schedule", init_value=init_value, **({"end_value": end_value} if power != 0.0 else {})
    )
    if not power >= 0.0:
        raise bad("optax.polynomial_schedule", "power", power, "in [0, inf) (a negative power is infinite at the end)")
    if transition_steps <= 0 or init_value == end_value or power == 0.0:
        ramp = line(init_value, end_value, transition_steps) if power != 0.0 else constant(lr=init_value)
        return _delayed(init_value, ramp, transition_begin)
    decay: Schedule
    if init_value == 0.0 and power in (1.0, 0.5):  # a rise from 0: a linear or 1-sqrt ramp
        shape = "linear" if power == 1.0 else "1-sqrt"
        decay = warmup(schedule=constant(lr=end_value), steps=transition_steps, shape=shape)
    elif init_value == 0.0:
        raise RefusedError("optax.polynomial_schedule", "init_value", init_value, f" (power={power!r})")
    else:
        decay = polynomial(initial_lr=init_value, decay_steps=transition_steps, final_lr=end_value, power=power)
    return _delayed(init_value, decay, transition_begin)


def cosine_decay_schedule(
    init_value: float,
    decay_steps: int,
    alpha: float = 0.0,
    exponent: float = 1.0,
    *,
    _function: str = "optax.cosine_decay_schedule",
) -> Schedule:
    """`optax.cosine_decay_schedule` (an `alpha` above 1 rises; `exponent=0` holds `init_value`)."""
    function = _function
    if not decay_steps > 0:
        raise bad(function, "decay_steps", decay_steps, "in (0, inf)")
    refuse_negative(function, init_value=init_value)
    for key, value in (("alpha", alpha), ("exponent", exponent)):
        if value < 0.0 and init_value != 0.0:
            raise RefusedError(function, key, value)
    if init_value == 0.0 or alpha == 1.0 or exponent == 0.0:
        return constant(lr=init_value)
    return cosine_decay(initial_lr=init_value, decay_steps=decay_steps, final_lr=alpha * init_value, exponent=exponent)


def exponential_decay(
    init_value: float,
    transition_steps: int,
    decay_rate: float,
    transition_begin: int = 0,
    staircase: bool = False,
    end_value: float | None = None,
    *,
    _function: str = "optax.exponential_decay",
) -> Schedule:
    """`optax.exponential_decay`: with decay_rate < 1 an `end_value` is a floor, a
    constant from the step where the decay reaches it; with decay_rate > 1 it is the
    ceiling a growth needs (lrsched holds no schedule that grows without bound). As in
    optax, no transition steps or a zero rate hold `init_value`, and an `end_value` on
    the far side of `init_value` holds from step 0."""
    function = _function
    init_name = {
        "keras.ExponentialDecay": "initial_learning_rate",
        "optax.warmup_exponential_decay_schedule": "peak_value",
    }.get(function, "init_value")

    def held(value: float, name: str) -> Schedule:
        if value < 0.0:
            raise RefusedError(function, name, value)
        return constant(lr=value)

    if transition_steps <= 0 or decay_rate == 0.0:
        return held(init_value, init_name)
    if decay_rate < 0.0 and not staircase:
        raise bad(function, "decay_rate", decay_rate, "in [0, inf) (a negative rate to a fractional power is NaN)")
    if init_value == 0.0 or decay_rate == 1.0:  # init_value throughout, clipped
        if end_value is None:
            return held(init_value, init_name)
        low = max(init_value, end_value) if decay_rate < 1.0 else min(init_value, end_value)
        return held(low, init_name if low == init_value else "end_value")
    if decay_rate < 0.0:  # a staircase whose stairs alternate in sign
        raise RefusedError(function, "decay_rate", decay_rate)
    if end_value is not None and (end_value >= init_value if decay_rate < 1.0 else end_value <= init_value):
        return held(end_value, "end_value")  # optax clips every value, those before transition_begin too
    if init_value < 0.0:
        raise RefusedError(function, init_name, init_value)
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


def warmup_exponential_decay_schedule(
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
    function = "optax.warmup_exponential_decay_schedule"
    if warmup_steps > 0:
        refuse_negative("optax.warmup_exponential_decay_schedule", init_value=init_value, peak_value=peak_value)
    decay = exponential_decay(
        peak_value, transition_steps, decay_rate, transition_begin, staircase, end_value, _function=function
    )
    return after_warmup(function, decay, init_value, peak_value, warmup_steps)


def join_schedules(schedules: Sequence[Schedule], boundaries: Sequence[int]) -> Schedule:
    """`optax.join_schedules` of lrsched schedules: schedule k + 1 runs from
    `boundaries[k]` on, counting its own steps from there. optax applies the boundaries
    in the order listed, so one at or above a later one never shows its schedule."""
    parts, cuts = list(schedules), list(boundaries)
    if len(cuts) != len(parts) - 1:
        raise RefusedError("optax.join_schedules", "boundaries", cuts, f" ({len(parts)} schedules)")
    shown = [k for k in range(len(cuts)) if all(cuts[k] < later for later in cuts[k + 1 :])]
    if any(cuts[k] < 0 for k in shown):
        raise RefusedError("optax.join_schedules", "boundaries", cuts)
    if not shown:
        return parts[0]
    return join(schedules=[parts[0], *(parts[k + 1] for k in shown)], boundaries=[cuts[k] for k in shown])


def piecewise_constant_schedule(init_value: float, boundaries_and_scales: dict[int, float] | None = None) -> Schedule:
    """`optax.piecewise_constant_schedule`: the value is multiplied by each scale from its boundary on."""
    points = sorted((boundaries_and_scales or {}).items())
    if any(scale < 0 for _, scale in points):
        raise bad("optax.piecewise_constant_schedule", "boundaries_and_scales", dict(points), "scales >= 0")
    refuse_negative("optax.piecewise_constant_schedule", init_value=init_value)
    value, values, boundaries = init_value, [], []
    for boundary, scale in points:
        if boundary <= 0:
            value *= scale  # in force from step 0
            continue
        values.append(value)
        boundaries.append(boundary)
        value *= scale
    if not boundaries:
        return constant(lr=value)
    return join(schedules=[constant(lr=v) for v in (*values, value)], boundaries=boundaries)


def warmup_constant_schedule(init_value: float, peak_value: float, warmup_steps: int) -> Schedule:
    """`optax.warmup_constant_schedule`: a line to `peak_value`, held from there (up or down;
    with no warmup steps, optax holds `init_value`)."""
    refuse_negative(
        "optax.warmup_constant_schedule",
        init_value=init_value,
        **({"peak_value": peak_value} if warmup_steps > 0 else {}),
    )
    return line(init_value, peak_value, warmup_steps)


def warmup_cosine_decay_schedule(
    init_value: float,
    peak_value: float,
    warmup_steps: int,
    decay_steps: int,
    end_value: float = 0.0,
    exponent: float = 1.0,
) -> Schedule:
    """`optax.warmup_cosine_decay_schedule`: `decay_steps` counts the warmup too (with
    `peak_value=0`, 0 after the warmup, as optax's)."""
    function = "optax.warmup_cosine_decay_schedule"
    if not decay_steps > warmup_steps:
        raise bad(
            function, "decay_steps", decay_steps, f"above warmup_steps={warmup_steps!r} (optax's cosine runs the rest)"
        )
    if warmup_steps > 0:
        refuse_negative("optax.warmup_cosine_decay_schedule", init_value=init_value)
    refuse_negative("optax.warmup_cosine_decay_schedule", peak_value=peak_value, end_value=end_value)
    alpha = 0.0 if peak_value == 0.0 else end_value / peak_value
    decay = cosine_decay_schedule(peak_value, decay_steps - warmup_steps, alpha, exponent, _function=function)
    return after_warmup(function, decay, init_value, peak_value, warmup_steps)


def cosine_onecycle_schedule(
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
        raise bad("optax.cosine_onecycle_schedule", "transition_steps", transition_steps, "in (0, inf)")
    for key, value in (("div_factor", div_factor), ("final_div_factor", final_div_factor)):
        if not value > 0.0:
            raise bad("optax.cosine_onecycle_schedule", key, value, "in (0, inf) (optax divides by it)")
    refuse_negative("optax.cosine_onecycle_schedule", peak_value=peak_value)
    peak_step = int(pct_start * transition_steps)
    if not (0 < peak_step < transition_steps and min(div_factor, final_div_factor) >= 1.0 and peak_value > 0):
        # the same knots as optax's (a dict: a repeated step keeps its last scale)
        scales = {peak_step: div_factor, int(transition_steps): 1.0 / (div_factor * final_div_factor)}
        try:
            return piecewise_interpolate_schedule("cosine", peak_value / div_factor, scales)
        except RefusedError:  # a peak before step 0 (pct_start < 0): part-way along a half cosine
            raise RefusedError("optax.cosine_onecycle_schedule", "pct_start", pct_start) from None
    return one_cycle(
        max_lr=peak_value,
        total_steps=transition_steps,
        pct_start=peak_step / transition_steps,
        div_factor=div_factor,
        final_div_factor=final_div_factor,
    )


def piecewise_interpolate_schedule(
    interpolate_type: str, init_value: float, boundaries_and_scales: Mapping[int, float] | None = None
) -> Schedule:
    """`optax.piecewise_interpolate_schedule`: the value is multiplied by each scale by its
    boundary, reached along a line or half a cosine from the boundary before."""
    if interpolate_type not in ("linear", "cosine"):
        raise bad("optax.piecewise_interpolate_schedule", "interpolate_type", interpolate_type, "'linear' or 'cosine'")
    function = "optax.piecewise_interpolate_schedule"
    points = sorted((boundaries_and_scales or {}).items())
    if any(scale < 0 for _, scale in points):
        raise bad(function, "boundaries_and_scales", dict(points), "scales >= 0")
    refuse_negative("optax.piecewise_interpolate_schedule", init_value=init_value)
    bounds, values = [0.0], [init_value]
    for boundary, scale in points:
        bounds.append(float(boundary))
        values.append(values[-1] * scale)
    parts: list[Schedule] = []
    starts: list[float] = []
    for a, b, start, end in zip(bounds[:-1], bounds[1:], values[:-1], values[1:], strict=True):
        if b <= max(a, 0.0):  # an interval never in force from step 0 on
            continue
        size = max(b - a, 1.0)  # optax's interval length: at least 1, a fractional interval runs cut short
        if a >= 0.0:
            parts.append(segment(interpolate_type, start, end, size))
        elif interpolate_type == "linear" or start == end:
            # from step 0, part-way along the line from `a`: a line from its value at 0
            slope = (end - start) / size
            parts.append(line(start - a * slope, start + (b - a) * slope, b))
        else:  # part-way along a half cosine at step 0
            raise RefusedError(function, "boundaries_and_scales", dict(points))
        starts.append(max(a, 0.0))
    parts.append(constant(lr=values[-1]))
    starts.append(max(bounds[-1], 0.0))
    if len(parts) == 1:
        return parts[0]
    return join(schedules=parts, boundaries=starts[1:])


def linear_onecycle_schedule(
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
    function = "optax.linear_onecycle_schedule"
    if not transition_steps > 0:
        raise bad(function, "transition_steps", transition_steps, "in (0, inf)")
    for key, value in (("div_factor", div_factor), ("final_div_factor", final_div_factor)):
        if not value > 0.0:
            raise bad(function, key, value, "in (0, inf) (optax divides by it, or scales by a negative)")
    refuse_negative("optax.linear_onecycle_schedule", peak_value=peak_value)
    return piecewise_interpolate_schedule(
        "linear",
        peak_value / div_factor,
        {
            int(pct_start * transition_steps): div_factor,
            int(pct_final * transition_steps): 1.0 / div_factor,
            transition_steps: 1.0 / final_div_factor,
        },
    )


def sgdr_schedule(cosine_kwargs: Iterable[Mapping[str, Any]]) -> Schedule:
    """`optax.sgdr_schedule`: `warmup_cosine_decay_schedule(**kwargs)` for each, back to back."""
    parts, boundaries, step = [], [], 0.0
    cosine_kwargs = list(cosine_kwargs)
    if not cosine_kwargs:
        raise bad("optax.sgdr_schedule", "cosine_kwargs", cosine_kwargs, "at least one cycle's arguments")
    for kwargs in cosine_kwargs:
        parts.append(warmup_cosine_decay_schedule(**kwargs))
        step += kwargs["decay_steps"]
        boundaries.append(step)
    return join(schedules=parts, boundaries=boundaries[:-1]) if len(parts) > 1 else parts[0]
