"""timm's schedulers (`timm.scheduler`) as lrsched schedules, per epoch or per update.

Each function is the timm class of the same name, with timm's argument names and
defaults, less the optimizer, whose LR is passed as `lr`:
`CosineLRScheduler(lr=0.1, t_initial=300)` is `timm.scheduler.CosineLRScheduler(optimizer,
t_initial=300)` on a group with LR 0.1. Call the schedule with the epoch (fractional too)
or with the update count, as timm's `t_in_epochs` says; `t_in_epochs` itself changes
nothing here. timm's restarts (`cycle_mul`, `cycle_decay`, `cycle_limit`) carry over.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from lrsched.base import Schedule
from lrsched.compat._common import MAX_CYCLES, drops, staircase
from lrsched.compat._refused import RefusedCallableError, RefusedError, bad
from lrsched.compose import join, warmup
from lrsched.cosine import cosine_decay
from lrsched.decay import constant
from lrsched.polynomial import polynomial
from lrsched.restarts import is_restartable, restarts
from lrsched.tanh import TANH_LIMIT, tanh_decay
from lrsched.wsd import COOLDOWNS, warmup_stable_decay

__all__ = [
    "CosineLRScheduler",
    "MultiStepLRScheduler",
    "PolyLRScheduler",
    "StepLRScheduler",
    "TanhLRScheduler",
    "WSDLRScheduler",
]


def _plain(noise_range_t: Any) -> None:
    if noise_range_t is not None:
        raise RefusedError("timm", "noise_range_t", noise_range_t)


def _warmup(schedule: Schedule, end_lr: float, warmup_t: float, warmup_lr_init: float, warmup_prefix: bool) -> Schedule:
    # timm ramps linearly from warmup_lr_init to the base LR: lr_init + t * (lr - lr_init) / warmup_t.
    _refuse_warmup(warmup_t, warmup_lr_init, warmup_prefix, " (warmup_prefix=True)")
    if warmup_t <= 0:  # no step lies before it: no warmup, whatever warmup_lr_init
        return schedule
    return warmup(schedule=schedule, steps=warmup_t, start_lr=warmup_lr_init, prefix=warmup_prefix, end_lr=end_lr)


def _refuse_warmup(warmup_t: float, warmup_lr_init: float, warmup_prefix: bool, detail: str = "") -> None:
    """A warmup timm accepts that has no lrsched equal: a negative prefix (a time shift),
    or a ramp from a negative LR."""
    if warmup_t < 0 and warmup_prefix:
        raise RefusedError("timm", "warmup_t", warmup_t, detail)
    if warmup_t > 0 and warmup_lr_init < 0:
        raise RefusedError("timm", "warmup_lr_init", warmup_lr_init, f" (warmup_t={warmup_t!r})")


def _check_cycle_args(function: str, t_initial: float, lr_min: float) -> None:
    """timm's own checks (it asserts them), by its argument names."""
    if not t_initial > 0:
        raise bad(function, "t_initial", t_initial, "in (0, inf)")
    if not lr_min >= 0:
        raise bad(function, "lr_min", lr_min, "in [0, inf)")


def _check_cycle_mul(function: str, cycle_mul: float) -> None:
    """timm finds the cycle index as a `log` to base cycle_mul, which fails at every step
    after the warmup for cycle_mul <= 0 (before it looks at cycle_limit)."""
    if not cycle_mul > 0:
        raise bad(function, "cycle_mul", cycle_mul, "in (0, inf) (timm takes a logarithm to base cycle_mul)")


def _check_k_decay(function: str, k_decay: float, cycle_limit: int, warmup_t: float, warmup_prefix: bool) -> None:
    """timm raises each cycle's time into it, t**k_decay, which for k_decay < 0 fails at a
    cycle's start (0 to a negative power). Its only cycle may start inside a warmup that
    is no prefix: it then gives values, which lrsched's k_decay (> 0) has no equal for."""
    if not k_decay < 0 or cycle_limit <= 0:
        return
    if cycle_limit <= 1 and warmup_t > 0 and not warmup_prefix:
        raise RefusedError(function, "k_decay", k_decay, f" (warmup_t={warmup_t!r}, cycle_limit={cycle_limit!r})")
    raise bad(function, "k_decay", k_decay, "in [0, inf) (timm raises 0 to a negative power at each cycle's start)")


def _refuse_negative_peaks(function: str, lr: float, cycle_decay: float, cycle_limit: int) -> None:
    """Cycle i's peak is lr * cycle_decay**i: below 0 for odd i when cycle_decay < 0."""
    if cycle_decay < 0 and cycle_limit > 1 and lr > 0:
        raise RefusedError(function, "cycle_decay", cycle_decay, f" (cycle_limit={cycle_limit!r})")


def _refuse_rising_cycles(function: str, lr: float, lr_min: float, cycle_decay: float, cycle_limit: int) -> None:
    """Cycles that rise from 0 to lr_min (a peak of 0 below the floor): lrsched's decays
    start above 0."""
    if lr == 0.0 and lr_min > 0.0:
        raise RefusedError(function, "lr", lr, f" (lr_min={lr_min!r})")
    if cycle_decay == 0.0 and lr_min > 0.0 and cycle_limit > 1:
        raise RefusedError(function, "cycle_decay", cycle_decay, f" (lr_min={lr_min!r})")


def _cycles(
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
    if cycle_limit <= 0:
        return constant(lr=lr_min)  # timm's first cycle is already past its limit
    if cycle_limit == 1 and holds:
        return decay
    first = float(getattr(decay, "decay_steps", 0.0)) or t_initial
    if cycle_decay == 0.0 and (lr_min == 0.0 or cycle_limit == 1):
        # every later cycle's peak is 0: at lr_min = 0 (decays' callers refuse more), 0 throughout
        return join(schedules=[decay, constant(lr=lr_min)], boundaries=[first])
    if cycle_mul >= 1.0 and is_restartable(decay):
        return restarts(decay=decay, cycle_mult=cycle_mul, peak_decay=cycle_decay, scales="peak", cycles=cycle_limit)
    if make is None or not cycle_mul > 0.0:  # the callers check cycle_mul first
        raise bad("timm", "cycle_mul", cycle_mul, "in (0, inf)")
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


def CosineLRScheduler(
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
    a decimal cycle_mul; lrsched's restarts are exact. With k_decay=0, or cycle_limit <= 0,
    the LR is lr_min after the warmup."""
    function = "timm.CosineLRScheduler"
    _plain(noise_range_t)
    _check_cycle_args(function, t_initial, lr_min)
    _check_cycle_mul(function, cycle_mul)
    _check_k_decay(function, k_decay, cycle_limit, warmup_t, warmup_prefix)
    if k_decay == 0.0 or cycle_limit <= 0:
        # the cosine's clock stands at its end (t**0 / t_i**0 = 1), or no cycle runs
        return _warmup(constant(lr=lr_min), lr, warmup_t, warmup_lr_init, warmup_prefix)
    _refuse_negative_peaks(function, lr, cycle_decay, cycle_limit)
    _refuse_rising_cycles(function, lr, lr_min, cycle_decay, cycle_limit)

    def make(peak: float, length: float) -> Schedule:
        if peak == lr_min:
            return constant(lr=lr_min)
        return cosine_decay(initial_lr=peak, decay_steps=length, final_lr=lr_min, k_decay=k_decay)

    cycles = _cycles(make(lr, t_initial), lr_min, cycle_mul, cycle_decay, cycle_limit, True, make, lr, t_initial)
    return _warmup(cycles, lr, warmup_t, warmup_lr_init, warmup_prefix)


def PolyLRScheduler(
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
    """`timm.scheduler.PolyLRScheduler`, its restarts too. With power=0 each cycle holds
    its peak (lr * cycle_decay**i) and then lr_min follows; with k_decay=0 (and a power
    above 0) the LR is lr_min after the warmup."""
    function = "timm.PolyLRScheduler"
    _plain(noise_range_t)
    _check_cycle_args(function, t_initial, lr_min)
    _check_cycle_mul(function, cycle_mul)
    _check_k_decay(function, k_decay, cycle_limit, warmup_t, warmup_prefix)
    if power < 0 and cycle_limit > 0 and (lr != lr_min or (cycle_decay != 1.0 and cycle_limit > 1)):
        raise RefusedError(function, "power", power, f" (lr={lr!r}, lr_min={lr_min!r})")
    cycles: Schedule
    if cycle_limit <= 0:
        cycles = constant(lr=lr_min)  # no cycle runs
    elif power == 0.0:
        _refuse_negative_peaks(function, lr, cycle_decay, cycle_limit)
        cycles = _held_cycles(lr, t_initial, lr_min, cycle_mul, cycle_decay, cycle_limit)
    elif k_decay == 0.0:
        cycles = constant(lr=lr_min)  # the decay's clock stands at its end: every cycle at lr_min
    else:
        _refuse_negative_peaks(function, lr, cycle_decay, cycle_limit)
        _refuse_rising_cycles(function, lr, lr_min, cycle_decay, cycle_limit)

        def make(peak: float, length: float) -> Schedule:
            if peak == lr_min:
                return constant(lr=lr_min)
            return polynomial(initial_lr=peak, decay_steps=length, final_lr=lr_min, power=power, k_decay=k_decay)

        cycles = _cycles(make(lr, t_initial), lr_min, cycle_mul, cycle_decay, cycle_limit, True, make, lr, t_initial)
    return _warmup(cycles, lr, warmup_t, warmup_lr_init, warmup_prefix)


def _held_cycles(
    lr: float, t_initial: float, lr_min: float, cycle_mul: float, cycle_decay: float, cycle_limit: int
) -> Schedule:
    """timm's cycles of power 0: cycle i holds lr * cycle_decay**i throughout, then lr_min."""
    if cycle_mul == 1.0 and 0.0 <= cycle_decay <= 1.0 and cycle_limit > 0:
        held = staircase(lr, cycle_decay, t_initial, 0)
        return join(schedules=[held, constant(lr=lr_min)], boundaries=[cycle_limit * t_initial])

    def hold(peak: float, length: float) -> Schedule:
        return constant(lr=peak)

    return _cycles(constant(lr=lr), lr_min, cycle_mul, cycle_decay, cycle_limit, False, hold, lr, t_initial)


def TanhLRScheduler(
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
    the schedule's own clock ends at the schedule's value there. timm's bounds lb < ub
    are taken within +-20."""
    function = "timm.TanhLRScheduler"
    _plain(noise_range_t)
    _check_cycle_args(function, t_initial, lr_min)
    if not lb < ub:
        raise bad(function, "ub", ub, f"above lb={lb!r}")
    _check_cycle_mul(function, cycle_mul)
    for name, value in (("cycle_limit", cycle_limit), ("warmup_t", warmup_t), ("warmup_lr_init", warmup_lr_init)):
        if not value >= 0:
            raise bad(function, name, value, "in [0, inf)")
    if not lb >= -TANH_LIMIT:
        raise RefusedError(function, "lb", lb)
    if not ub <= TANH_LIMIT:
        raise RefusedError(function, "ub", ub)
    if lr == 0.0 and lr_min == 0.0:  # 0 after the warmup (from warmup_lr_init down to 0)
        return _warmup(constant(lr=0.0), 0.0, warmup_t, warmup_lr_init, warmup_prefix)
    if lr_min > lr:
        raise RefusedError(function, "lr_min", lr_min, f" (lr={lr!r})")
    _refuse_negative_peaks(function, lr, cycle_decay, cycle_limit)
    last = min(cycle_limit, MAX_CYCLES) - 1
    if (cycle_mul < 1.0 or cycle_decay == 0.0) and last > 0 and lr * min(cycle_decay**last, 1.0) < lr_min:
        raise RefusedError(function, "cycle_decay", cycle_decay, f" (lr_min={lr_min!r})")

    def make(peak: float, length: float) -> Schedule:
        return tanh_decay(initial_lr=peak, decay_steps=length, final_lr=lr_min, lower=lb, upper=ub)

    tanh = _cycles(make(lr, t_initial), lr_min, cycle_mul, cycle_decay, cycle_limit, False, make, lr, t_initial)
    # Its warmup on the schedule's own clock ramps to the schedule's value at warmup_t
    # (timm's other schedulers ramp to the group's LR).
    return _warmup(tanh, lr if warmup_prefix else float(tanh(warmup_t)), warmup_t, warmup_lr_init, warmup_prefix)


def _steps(lr: float, decay_t: float, decay_rate: float) -> Schedule:
    """lr * decay_rate**(t // decay_t), timm's stairs."""
    function = "timm.StepLRScheduler"
    if decay_t == 0:
        raise bad(function, "decay_t", decay_t, "other than 0 (timm divides by it)")
    if decay_t < 0:
        # t // decay_t counts down from 0: -1 just after step 0, -2 just after -decay_t, ...
        if decay_rate == 1.0:
            return constant(lr=lr)
        if decay_rate == 0.0:
            allowed = "above 0 with decay_rate=0 (timm raises 0 to a negative power after step 0)"
            raise bad(function, "decay_t", decay_t, allowed)
        raise RefusedError(function, "decay_t", decay_t, f" (decay_rate={decay_rate!r})")
    if decay_rate > 1.0 or decay_rate < 0.0:
        raise RefusedError(function, "decay_rate", decay_rate)
    if not decay_rate >= 0.0:
        raise bad(function, "decay_rate", decay_rate, "a number")
    if not decay_t > 0:
        raise bad(function, "decay_t", decay_t, "a number")
    return staircase(lr, decay_rate, decay_t, 0)


def StepLRScheduler(
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
    _plain(noise_range_t)
    return _warmup(
        _steps(lr, decay_t, decay_rate),
        lr,
        warmup_t,
        warmup_lr_init,
        warmup_prefix,
    )


def MultiStepLRScheduler(
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
    function = "timm.MultiStepLRScheduler"
    _plain(noise_range_t)
    if list(decay_t) != sorted(decay_t):
        raise RefusedError(function, "decay_t", list(decay_t))
    if decay_rate < 0.0 and len(decay_t) > 0:
        raise RefusedError(function, "decay_rate", decay_rate)
    steps_down = drops(lr, [m - 1 for m in decay_t], decay_rate, 0)
    return _warmup(steps_down, lr, warmup_t, warmup_lr_init, warmup_prefix)


def WSDLRScheduler(
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
    function = "timm.WSDLRScheduler"
    _plain(noise_range_t)
    if not isinstance(decay_fn, str):
        raise RefusedCallableError(function, "decay_fn", decay_fn)
    _check_wsd_args(t_initial, decay_t, lr_min, stable_fn, decay_fn, decay_power, decay_ratio, stable_power)
    if stable_fn != "constant" and not (warmup_t if stable_timescale is None else stable_timescale) > 0:
        allowed = f"in (0, inf) for stable_fn={stable_fn!r} (it defaults to warmup_t={warmup_t!r})"
        raise bad(function, "stable_timescale", stable_timescale, allowed)
    _refuse_warmup(warmup_t, warmup_lr_init, True)
    stable_power = {"constant": 0.0, "rsqrt": 0.5}.get(stable_fn, stable_power)
    timescale = (warmup_t if stable_timescale is None else stable_timescale) if stable_power > 0.0 else None
    if lr_min > lr or lr == 0.0:
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


def _check_wsd_args(
    t_initial: float,
    decay_t: float,
    lr_min: float,
    stable_fn: str,
    decay_fn: str,
    decay_power: float,
    decay_ratio: float,
    stable_power: float,
) -> None:
    """`WSDLRScheduler`'s arguments as timm checks them (it raises on each), by its names."""
    function = "timm.WSDLRScheduler"
    if not t_initial > 0:
        raise bad(function, "t_initial", t_initial, "in (0, inf)")
    if not 0 < decay_t <= t_initial:
        raise bad(function, "decay_t", decay_t, f"in (0, t_initial] (t_initial={t_initial!r})")
    if not lr_min >= 0:
        raise bad(function, "lr_min", lr_min, "in [0, inf)")
    if stable_fn not in ("constant", "rsqrt", "power"):
        raise bad(function, "stable_fn", stable_fn, "one of 'constant', 'rsqrt', 'power'")
    if decay_fn not in COOLDOWNS:
        raise bad(function, "decay_fn", decay_fn, f"one of {', '.join(map(repr, COOLDOWNS))} or a callable")
    if not 0 < decay_ratio < 1:
        raise bad(function, "decay_ratio", decay_ratio, "in (0, 1)")
    if not decay_power > 0:
        raise bad(function, "decay_power", decay_power, "in (0, inf)")
    if not stable_power > 0:
        raise bad(function, "stable_power", stable_power, "in (0, inf) (timm checks it whatever stable_fn)")
