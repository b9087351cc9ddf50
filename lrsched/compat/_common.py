"""Pieces more than one peer's mapping is built from: straight lines, half-cosine
segments, staircases and milestone drops (torch's StepLR and MultiStepLR, timm's step
schedulers), and the limits on what compat lays out piece by piece."""

from __future__ import annotations

from collections.abc import Sequence

from lrsched.base import Schedule
from lrsched.compat._refused import RefusedError
from lrsched.compose import join, warmup
from lrsched.cosine import cosine_decay
from lrsched.decay import constant, multi_step, step_decay
from lrsched.polynomial import polynomial

#: The most cycles of timm's shrinking cycles (cycle_mul < 1) laid out one by one.
MAX_CYCLES = 10_000


def refuse_negative(function: str, **values: float) -> None:
    """Refuse an LR below 0 that `function` would give (the peer computes with any sign)."""
    for name, value in values.items():
        if value < 0.0:
            raise RefusedError(function, name, value)


def line(start: float, end: float, steps: float) -> Schedule:
    """From `start` to `end` in a straight line over `steps`, then `end`."""
    if steps <= 0 or start == end:
        return constant(lr=start if steps <= 0 else end)
    if start < end:
        return warmup(schedule=constant(lr=end), steps=steps, start_lr=start)
    return polynomial(initial_lr=start, decay_steps=steps, final_lr=end, power=1.0)


def after_warmup(function: str, decay: Schedule, start_lr: float, end_lr: float, steps: float) -> Schedule:
    """`decay` after a linear warmup from `start_lr` to `end_lr` over `steps` (none when
    `steps == 0`): optax's and Keras' warmup-then-decay schedules. A negative `steps`
    runs their decay that many steps ahead, a time shift: refused."""
    if steps < 0:
        raise RefusedError(function, "warmup_steps", steps)
    if steps == 0:
        return decay
    return warmup(schedule=decay, steps=steps, start_lr=start_lr, end_lr=end_lr)


def segment(kind: str, start: float, end: float, steps: float) -> Schedule:
    """From `start` to `end` over `steps` along a line or half a cosine, then `end`."""
    if kind == "linear" or start == end:
        return line(start, end, steps)
    if start > end:
        return cosine_decay(initial_lr=start, decay_steps=steps, final_lr=end)
    return warmup(schedule=constant(lr=end), steps=steps, start_lr=start, shape="cosine")


def staircase(lr: float, gamma: float, every: float, offset: float) -> Schedule:
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


def drops(lr: float, milestones: Sequence[float], gamma: float, offset: int) -> Schedule:
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
