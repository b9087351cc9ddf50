"""Keras' schedules (`keras.optimizers.schedules`) as lrsched schedules, step for step.

Each function is the Keras class of the same name, with Keras' argument names and
defaults: `CosineDecay(initial_learning_rate=0.1, decay_steps=1000)` is
`keras.optimizers.schedules.CosineDecay(initial_learning_rate=0.1, decay_steps=1000)`.
`name` is accepted and has no effect. Where a Keras schedule grows without bound, a
keyword of lrsched's own bounds it (`end_value`, `cycles`). Keras rounds its constants to
float32; these compute with the values given.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

from lrsched.base import Schedule
from lrsched.compat._common import after_warmup, refuse_negative
from lrsched.compat._refused import RefusedError, bad
from lrsched.compat.optax import cosine_decay_schedule, exponential_decay, polynomial_schedule
from lrsched.compose import join
from lrsched.cosine import cosine_decay, cosine_restarts
from lrsched.decay import constant
from lrsched.inverse import inverse_decay
from lrsched.polynomial import polynomial
from lrsched.restarts import restarts

__all__ = [
    "CosineDecay",
    "CosineDecayRestarts",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
]


def _float_lr(function: str, initial_learning_rate: float) -> None:
    """Refuse an int initial LR: Keras computes the whole schedule in its integer dtype."""
    if isinstance(initial_learning_rate, numbers.Integral) and not isinstance(initial_learning_rate, bool):
        raise RefusedError(function, "initial_learning_rate", initial_learning_rate)


def _divides_by(decay_steps: float, function: str) -> str:
    """`function`, once its `decay_steps` is checked: Keras divides by it."""
    if not decay_steps > 0:
        raise bad(function, "decay_steps", decay_steps, "in (0, inf) (Keras divides by it)")
    return function


def CosineDecay(
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
    _float_lr("keras.CosineDecay", initial_learning_rate)
    top = initial_learning_rate if warmup_target is None else warmup_target
    refuse_negative(
        "keras.CosineDecay",
        initial_learning_rate=initial_learning_rate,
        **({"warmup_target": top} if top is not None else {}),
    )
    decay = cosine_decay_schedule(top, decay_steps, alpha, _function="keras.CosineDecay")
    return after_warmup(
        "keras.CosineDecay", decay, initial_learning_rate, top, warmup_steps if warmup_target is not None else 0
    )


def CosineDecayRestarts(
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
    function = "keras.CosineDecayRestarts"
    lr, floor = initial_learning_rate, alpha * initial_learning_rate
    _float_lr(function, initial_learning_rate)
    if not first_decay_steps > 0:
        raise bad(function, "first_decay_steps", first_decay_steps, "in (0, inf)")
    if t_mul < 1.0:
        raise RefusedError(function, "t_mul", t_mul)
    refuse_negative("keras.CosineDecayRestarts", initial_learning_rate=lr)
    if m_mul < 0.0 or (floor < 0.0 and lr > 0.0):
        raise RefusedError(function, "m_mul" if m_mul < 0.0 else "alpha", m_mul if m_mul < 0.0 else alpha)
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


def ExponentialDecay(
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
    function = _divides_by(decay_steps, "keras.ExponentialDecay")
    _float_lr(function, initial_learning_rate)
    if decay_rate == 0.0:  # 0 ** 0 = 1 at p = 0 only: 0 from the first step after 0
        refuse_negative("keras.ExponentialDecay", initial_learning_rate=initial_learning_rate)
        drop = float(decay_steps) if staircase else math.nextafter(0.0, 1.0)
        return join(schedules=[constant(lr=initial_learning_rate), constant(lr=0.0)], boundaries=[drop])
    return exponential_decay(
        initial_learning_rate, decay_steps, decay_rate, staircase=staircase, end_value=end_value, _function=function
    )


def InverseTimeDecay(
    initial_learning_rate: float,
    decay_steps: int,
    decay_rate: float,
    staircase: bool = False,
    name: str = "InverseTimeDecay",
) -> Schedule:
    """`keras.optimizers.schedules.InverseTimeDecay` (`decay_rate=0`: the LR throughout)."""
    function = _divides_by(decay_steps, "keras.InverseTimeDecay")
    _float_lr(function, initial_learning_rate)
    if not decay_rate >= 0.0:
        raise bad(function, "decay_rate", decay_rate, "in [0, inf)")
    refuse_negative("keras.InverseTimeDecay", initial_learning_rate=initial_learning_rate)
    if decay_rate == 0.0 or initial_learning_rate == 0.0:
        return constant(lr=initial_learning_rate)
    return inverse_decay(
        initial_lr=initial_learning_rate, decay_steps=decay_steps, decay_rate=decay_rate, power=1.0, staircase=staircase
    )


def PiecewiseConstantDecay(
    boundaries: Sequence[int], values: Sequence[float], name: str = "PiecewiseConstant"
) -> Schedule:
    """`keras.optimizers.schedules.PiecewiseConstantDecay`: Keras switches just after a
    boundary: `values[k+1]` from step `trunc(boundaries[k]) + 1` on its whole-number steps
    (the optimizer's iterations; Keras casts each boundary to the step's integer type),
    and just after a whole-number boundary at a fractional step too. A value between two
    boundaries that cast to one step never shows, nor one whose range ends before step 0."""
    function = "keras.PiecewiseConstantDecay"
    if len(values) != len(boundaries) + 1:
        raise bad(function, "values", list(values), "one more entry than boundaries")
    # just after trunc(b): on whole steps from trunc(b) + 1, and just after b at a
    # fractional step where b is a whole number (a fractional step casts b to float)
    switches = [math.nextafter(float(math.trunc(b)), math.inf) for b in boundaries]
    if switches != sorted(switches):
        raise RefusedError(function, "boundaries", list(boundaries))
    # values[k] holds on [switches[k - 1], switches[k]) of the steps from 0
    starts = [0.0, *(max(b, 0.0) for b in switches)]
    ends = [*starts[1:], math.inf]
    shown = [k for k in range(len(values)) if ends[k] > starts[k]]
    if any(values[k] < 0.0 for k in shown):
        raise RefusedError(function, "values", list(values))
    if len(shown) == 1:
        return constant(lr=values[shown[0]])
    return join(schedules=[constant(lr=values[k]) for k in shown], boundaries=[starts[k] for k in shown[1:]])


def PolynomialDecay(
    initial_learning_rate: float,
    decay_steps: int,
    end_learning_rate: float = 0.0001,
    power: float = 1.0,
    cycle: bool = False,
    name: str = "PolynomialDecay",
) -> Schedule:
    """`keras.optimizers.schedules.PolynomialDecay` (`power=0`: the initial LR throughout,
    as Keras' `0 ** 0 = 1` gives)."""
    function = _divides_by(decay_steps, "keras.PolynomialDecay")
    _float_lr(function, initial_learning_rate)
    if not power >= 0.0:
        raise bad(function, "power", power, "in [0, inf) (a negative power is infinite at the end)")
    refuse_negative("keras.PolynomialDecay", initial_learning_rate=initial_learning_rate)
    if power == 0.0 or initial_learning_rate == end_learning_rate:
        return constant(lr=initial_learning_rate)
    refuse_negative("keras.PolynomialDecay", end_learning_rate=end_learning_rate)
    if initial_learning_rate == 0.0:
        if not cycle:  # a rise from 0: optax's polynomial_schedule is the same curve
            try:
                return polynomial_schedule(0.0, end_learning_rate, power, decay_steps)
            except RefusedError:
                pass
        raise RefusedError(function, "initial_learning_rate", initial_learning_rate)
    return polynomial(
        initial_lr=initial_learning_rate, decay_steps=decay_steps, final_lr=end_learning_rate, power=power, cycle=cycle
    )
