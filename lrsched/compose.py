"""Compositions: a warmup prefix, and schedules run back to back."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Annotated, Any

from lrsched._namespace import MATH, Namespace
from lrsched.base import (
    FLOAT32_SAFE,
    INF,
    Part,
    Parts,
    Piece,
    Schedule,
    Shaped,
    clip_pieces,
    frozen_value,
    log_of,
    narrow,
    normalised,
    register,
    set_field,
    shift_pieces,
    sign,
)
from lrsched.cosine import CosineDecay
from lrsched.cyclic import Cyclic
from lrsched.decay import Constant
from lrsched.params import Factor, Flag, LRFloor, OneOf, StepList, StepsOrZero

# The smallest normal float32 number: a step computed in float32 (JAX's default, half
# precision steps) holds nothing smaller at full precision.
FLOAT32_TINY = 2.0**-126


def _inner_window(since: float, until: float, shift: float) -> tuple[float, float]:
    """The inner schedule's steps [since - shift, until - shift], widened by the rounding
    of the subtraction: the caller filters on the shifted values themselves, so an end
    that shifts to exactly `since` or `until` is neither lost nor double-counted."""
    slack = 4 * math.ulp(max(abs(until), abs(shift), 1.0))
    return max(since - shift - slack, 0.0), until - shift + slack


RAMPS = ("linear", "cosine", "1-sqrt", "exp", "constant")


def ramp(shape: str, start: float, end: float, fraction: Any, xp: Namespace) -> Any:
    """From `start` toward `end` along a warmup's shape, at `fraction` in [0, 1] of it.

    linear r, cosine (1 - cos(pi r)) / 2, 1-sqrt 1 - sqrt(1 - r) (as a share of the way),
    exp start * (end / start) ** r (start > 0), constant (start throughout)."""
    if shape in ("linear", "cosine", "1-sqrt"):
        return xp.between(start, end, ramp_share(shape, start, end, fraction, xp))
    if shape == "exp":
        # start * (end / start) ** fraction, with the logs taken apart (the ratio may
        # overflow). Where float32 holds start and exp(gap), exp's argument stays within
        # the gap; exp(log(start) + ...) would lose |log start| float32 ulps. Otherwise in
        # logs, which no float range can break.
        gap = math.log(end) - math.log(start)
        low, high = sorted((start, end))
        if start >= FLOAT32_TINY and abs(gap) < 80.0:
            return xp.clip(start * xp.exp(gap * fraction), low, high)
        return xp.clip(xp.exp(math.log(start) + gap * fraction), low, high)
    return xp.full_like(fraction, start)


def ramp_share(shape: str, start: float, end: float, fraction: Any, xp: Namespace) -> Any:
    """How far along `ramp` is at `fraction`: 0 at `start`, 1 at `end` — `(ramp - start) /
    (end - start)` in exact arithmetic, computed without the LRs themselves (a ramp to
    1e-140 has no span float32 can read, and its share is still its own)."""
    if shape == "linear":
        return fraction
    if shape == "cosine":
        return 0.5 * (1.0 - xp.cos(math.pi * fraction))
    if shape == "1-sqrt":
        return 1.0 - xp.power(1.0 - fraction, 0.5)
    if shape == "exp":
        # (r**f - 1) / (r - 1) for r = end / start, as expm1s of the gap g = log r, taken
        # so that nothing overflows: exp(g (f - 1)) (1 - exp(-g f)) / (1 - exp(-g)) for g > 0.
        gap = math.log(end) - math.log(start)
        if gap == 0.0:  # ends an ulp apart, whose logs round together: the linear limit
            return fraction
        if gap > 0.0:
            return xp.clip(xp.exp(gap * (fraction - 1.0)) * (xp.expm1(-gap * fraction) / math.expm1(-gap)), 0.0, 1.0)
        return xp.clip(xp.expm1(gap * fraction) / math.expm1(gap), 0.0, 1.0)
    return xp.full_like(fraction, 0.0)


def ramp_slope(shape: str, start: float, end: float, steps: float) -> float:
    """The steepest slope of `ramp` laid over `steps` steps."""
    rise = abs(end - start)
    if steps == 0.0 or shape == "constant" or rise == 0.0:
        return 0.0
    if shape == "linear":
        return rise / steps
    if shape == "cosine":
        return math.pi / 2 * rise / steps
    if shape == "1-sqrt":
        return INF  # d/dr (1 - sqrt(1 - r)) is unbounded at r = 1
    return max(start, end) * abs(math.log(end) - math.log(start)) / steps


@register
@frozen_value
class Warmup(Schedule):
    r"""A ramp from `start_lr` up to the schedule's first value, then the schedule.

    For t < n the LR ramps to :math:`\tau` = schedule(0), along :math:`r = t / n`; from
    n on the schedule runs, from its own step 0 (`prefix`, the default: `schedule(t - n)`)
    or on its own clock (`schedule(t)`: the ramp covers its first n steps, timm's
    `warmup_prefix=False`):

    .. math::

        \text{linear: } s + (\tau - s)\, r \qquad
        \text{cosine: } s + (\tau - s)\, \tfrac12 (1 - \cos \pi r) \qquad
        \text{1-sqrt: } s + (\tau - s) (1 - \sqrt{1 - r})

        \text{exp: } s\, (\tau / s)^{r} \qquad
        \text{constant: } s, \text{ then the schedule at } n

    `steps=0` is no ramp at all (the default of Hugging Face and timm). Momentum
    (`inverse_momentum`) moves against the ramp: highest at a ramp's lowest LR, reaching
    the schedule's step-0 momentum where the ramp reaches its LR (Smith's 1cycle warm-up,
    fastai's `fit_one_cycle`).

    Args:
        schedule: the schedule that follows the ramp.
        steps: n, the length of the ramp.
        start_lr: s, where the ramp starts (> 0 for "exp").
        shape: the ramp's shape.
        prefix: the schedule starts after the ramp (else the ramp lies over its first n steps).
        end_lr: where the ramp ends (:math:`\tau`); None: schedule(0). timm ramps to the
            group's LR, which a tanh decay only approaches.

    Reference: Goyal et al., "Accurate, Large Minibatch SGD: Training ImageNet in 1 Hour",
    2017, section 2.2: "constant warmup" (a low constant LR) and "gradual warmup" (a
    linear ramp); "exp" grows by a constant factor per step; "cosine" and "1-sqrt" are
    the warmups of Hugging Face's warmup-stable-decay.

    >>> s = warmup(schedule=constant(lr=1.0), steps=10)
    >>> s(0), s(5), s(10), s(11)
    (0.0, 0.5, 1.0, 1.0)
    >>> s = warmup(schedule=cosine_decay(initial_lr=1.0, decay_steps=20), steps=10, prefix=False)
    >>> s(5), s(10), s(20)
    (0.5, 0.5, 0.0)
    """

    policy = "warmup"
    schedule: Annotated[Schedule, Part()]
    steps: Annotated[float, StepsOrZero]
    start_lr: Annotated[float, LRFloor] = 0.0
    shape: Annotated[str, OneOf(RAMPS)] = "linear"
    prefix: Annotated[bool, Flag()] = True
    end_lr: Annotated[float | None, LRFloor.or_none()] = None
    _target: float = dataclasses.field(init=False, repr=False, compare=False)
    _ends_apart: bool = dataclasses.field(init=False, repr=False, compare=False)
    _knots: tuple[float] = dataclasses.field(init=False, repr=False, compare=False)
    _shift: float = dataclasses.field(init=False, repr=False, compare=False)
    _start_height: float = dataclasses.field(init=False, repr=False, compare=False)

    @classmethod
    def example(cls) -> Warmup:
        return cls(schedule=CosineDecay(initial_lr=0.1, decay_steps=900, final_lr=0.001), steps=100, start_lr=0.001)

    def __post_init__(self) -> None:
        super().__post_init__()
        # Derived once: every call reads them.
        first = float(self.schedule(0.0))
        set_field(self, "_start_height", float(self.schedule.height_at(0.0, MATH)))
        set_field(self, "_target", first if self.end_lr is None else float(self.end_lr))
        set_field(self, "_ends_apart", self._target != first)  # the ramp ends off the schedule
        set_field(self, "_knots", (self.steps,))
        set_field(self, "_shift", self.steps if self.prefix else 0.0)
        if self.shape == "exp" and self.steps > 0.0:
            if self.start_lr <= 0.0:
                raise ValueError(f"start_lr must be in (0, inf) for shape='exp'; got {self.start_lr!r}")
            if self.target <= 0.0:
                raise ValueError(f"shape='exp' needs schedule(0) > 0 to ramp to; got {self.target!r}")

    @property
    def target(self) -> float:
        """The value the ramp reaches: `end_lr`, by default the wrapped schedule's value
        at its step 0."""
        return self._target

    def _ramp(self, t: Any, xp: Namespace, size: float = 1.0) -> Any:
        """The ramp's LR at `t`, divided by `size` (a ramp is the same shape at any scale)."""
        # steps = 0: this branch is never chosen, but tracing frameworks evaluate it.
        fraction = xp.minimum(t, self.steps) / (self.steps or 1.0)
        return ramp(self.shape, self.start_lr / size, self.target / size, fraction, xp)

    def _value_of(self, k: int, t: Any, xp: Namespace) -> Any:
        return self._ramp(t, xp) if k == 0 else self.schedule._value(xp.maximum(t - self._shift, 0.0), xp)

    def _value(self, t: Any, xp: Namespace) -> Any:
        return xp.select(t, self._knots, self._value_of)

    def _log_value(self, t: Any, xp: Namespace) -> Any:
        # In float32, each part's own log (a factor of a product beyond float32's sizes:
        # the log of a flushed value was -inf).
        if not narrow(t, xp):
            return xp.log(self._value(t, xp))
        return xp.select(t, self._knots, self._log_value_of)

    def _log_value_of(self, k: int, t: Any, xp: Namespace) -> Any:
        if k:
            return self.schedule._log_value(xp.maximum(t - self._shift, 0.0), xp)
        size = max(abs(self.start_lr), abs(self.target))
        if size == 0.0:
            return xp.log(self._ramp(t, xp))
        return math.log(size) + xp.log(self._ramp(t, xp, size))  # its size taken out first

    def _ramp_height(self, t: Any, xp: Namespace) -> Any:
        # The ramp's LR between its two ends, mapped onto [0, h0] (a ramp up: its start is
        # the lowest LR) or [h0, 1] (a ramp down), h0 the schedule's height at its step 0,
        # so momentum opposes the ramp and meets the schedule's where the ramp ends.
        s, end, h0 = self.start_lr, self.target, self._start_height
        if s == end:
            return xp.full_like(t, h0)
        # The ramp's own share of the way, not read back from its LR: a ramp to 1e-140 has no
        # span in float32 (0 / 0, then read as flat), and its momentum still moves.
        share = ramp_share(self.shape, s, end, xp.minimum(t, self.steps) / (self.steps or 1.0), xp)
        if s < end:
            return h0 * share
        return h0 + (1.0 - h0) * (1.0 - share)

    def _shape_of(self, k: int, t: Any, xp: Namespace) -> Any:
        if k == 0:
            return self._ramp_height(t, xp)
        return self.schedule.height_at(xp.maximum(t - self._shift, 0.0), xp)

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        return xp.select(t, self._knots, self._shape_of)

    @property
    def shape_slope(self) -> float:
        s, end, h0 = self.start_lr, self.target, self._start_height
        if s == end:
            return self.schedule.shape_slope
        span = h0 if s < end else 1.0 - h0
        return max(self.schedule.shape_slope, ramp_slope(self.shape, s, end, self.steps) / abs(end - s) * span)

    @property
    def bounds(self) -> tuple[float, float]:
        low, high = self.schedule.bounds
        if self.steps == 0.0:
            return (low, high)
        return (min(low, self.start_lr, self.target), max(high, self.start_lr, self.target))

    @property
    def max_slope(self) -> float:
        return max(ramp_slope(self.shape, self.start_lr, self.target, self.steps), self.schedule.max_slope)

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        jump: tuple[float, ...] = ()
        if self.steps > 0.0 and (
            not self.prefix or self._ends_apart or (self.shape == "constant" and self.start_lr != self.target)
        ):
            jump = (self.steps,)  # on its own clock, the schedule resumes wherever it has got to
        inner: tuple[float, ...] = ()
        if until >= self.steps:
            inner = self.schedule.breakpoints(until - self._shift, max(since - self._shift, 0.0))
        later = (b + self._shift for b in inner if b + self._shift > self.steps or self.steps == 0.0)
        return tuple(b for b in (*jump, *later) if since <= b <= until)

    def cycle_ends(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        if until < self.steps:
            self.schedule.cycle_ends(0.0)  # raises for a schedule without cycles
            return ()
        low, high = _inner_window(since, until, self._shift)
        inner = self.schedule.cycle_ends(high, low)
        # On its own clock, an end the ramp covers is no end.
        return tuple(
            e + self._shift for e in inner if since <= e + self._shift <= until and e + self._shift > self.steps
        )

    def _pieces(self, until: float, trend: int, fraction: bool) -> tuple[Piece, ...]:
        pieces = self.schedule.height_pieces if fraction else self.schedule.pieces
        if self.steps == 0.0:  # no ramp: the schedule's own pieces (step 0's too)
            return pieces(until)
        head = [Piece(0.0, self.steps, trend)]
        if until <= self.steps:
            return clip_pieces(head, until)
        tail = [
            Piece(max(p.start, self.steps), p.end, p.trend)
            for p in shift_pieces(pieces(until - self._shift), self._shift)
            if p.end > self.steps
        ]
        return clip_pieces(head + tail, until)

    def pieces(self, until: float) -> tuple[Piece, ...]:
        trend = 0 if self.shape == "constant" else sign(self.target - self.start_lr)
        return self._pieces(until, trend, fraction=False)

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        # The ramp's height moves as its LR does (both ways map the LR onto the height).
        trend = 0 if self.shape == "constant" else sign(self.target - self.start_lr)
        return self._pieces(until, trend, fraction=True)


@register
@frozen_value
class Join(Schedule):
    r"""Schedules run back to back, each from its own step 0.

    .. math::

        \mathrm{lr}(t) = \mathrm{schedules}_k(t - b_{k-1}), \qquad b_{k-1} \le t < b_k,\; b_{-1} = 0

    Args:
        schedules: the parts, in order.
        boundaries: b, where each next part starts: one fewer than the parts.

    Reference: optax's `join_schedules`. Flat-then-anneal is
    `join([constant(lr=a), cosine_decay(initial_lr=a, ...)], [n])`.

    >>> s = join(schedules=[constant(lr=1.0), cosine_decay(initial_lr=1.0, decay_steps=10)], boundaries=[5])
    >>> s(4), s(5), s(10), s(15)
    (1.0, 1.0, 0.5, 0.0)
    """

    policy = "join"
    schedules: Annotated[Sequence[Schedule], Parts()]  # stored as a tuple
    # A boundary at 0 is allowed (optax's join takes one): the part before it never runs.
    boundaries: Annotated[Sequence[float], StepList(strict=True)]  # stored as a tuple
    # Each part's lowest level and range, over the join's own (see `_shape_of`).
    _placements: tuple[tuple[float, float], ...] = dataclasses.field(init=False, repr=False, compare=False)

    @classmethod
    def example(cls) -> Join:
        decay = CosineDecay(initial_lr=0.1, decay_steps=900, final_lr=0.001)
        return cls(schedules=(Constant(lr=0.1), decay), boundaries=(300,))

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.boundaries) != len(self.schedules) - 1:
            raise ValueError(
                f"boundaries must hold len(schedules) - 1 = {len(self.schedules) - 1} steps; got {len(self.boundaries)}"
            )
        # Each part's height runs over its own levels (a shape between floor and peak,
        # whose LR may not reach either: tanh's clip), or its bounds (a composition):
        # placed where those lie within the span of all the live parts'.
        spans = [_height_span(s) for s in self.schedules]
        running = self._live()
        live = [span for span, s in zip(spans, self.schedules, strict=True) if s in running]
        low, high = min(a for a, _ in live), max(b for _, b in live)
        width = high - low
        placements = tuple(((a - low) / width, (b - a) / width) if width > 0.0 else (0.0, 0.0) for a, b in spans)
        set_field(self, "_placements", placements)

    def _starts(self) -> tuple[float, ...]:
        return (0.0, *self.boundaries)

    def _value_of(self, k: int, t: Any, xp: Namespace) -> Any:
        start = self.boundaries[k - 1] if k else 0.0
        return self.schedules[k]._value(xp.maximum(t - start, 0.0), xp)

    def _shape_of(self, k: int, t: Any, xp: Namespace) -> Any:
        # A part's own height (a cyclic part's per-cycle swing kept), placed where the
        # part's levels lie within the join's: a constant part at its LR's place between
        # the join's lowest and highest LR, not at its own floor (flat-then-anneal held
        # the highest momentum while its LR was at its highest).
        start = self.boundaries[k - 1] if k else 0.0
        height = self.schedules[k].height_at(xp.maximum(t - start, 0.0), xp)
        offset, scale = self._placements[k]
        return height if (offset, scale) == (0.0, 1.0) else xp.clip(offset + scale * height, 0.0, 1.0)

    def _value(self, t: Any, xp: Namespace) -> Any:
        return xp.select(t, self.boundaries, self._value_of)

    def _log_value(self, t: Any, xp: Namespace) -> Any:
        # In float32, each part's own log (see Warmup._log_value).
        if not narrow(t, xp):
            return xp.log(self._value(t, xp))
        return xp.select(t, self.boundaries, self._log_value_of)

    def _log_value_of(self, k: int, t: Any, xp: Namespace) -> Any:
        start = self.boundaries[k - 1] if k else 0.0
        return self.schedules[k]._log_value(xp.maximum(t - start, 0.0), xp)

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        return xp.select(t, self.boundaries, self._shape_of)

    def _live(self) -> list[Schedule]:
        """The parts that run: a part between equal starts (a boundary at 0) never does."""
        ends = (*self.boundaries, math.inf)
        return [s for s, a, b in zip(self.schedules, self._starts(), ends, strict=True) if b > a]

    @property
    def shape_slope(self) -> float:
        return max(s.shape_slope for s in self._live())

    @property
    def bounds(self) -> tuple[float, float]:
        live = self._live()
        return (min(s.bounds[0] for s in live), max(s.bounds[1] for s in live))

    @property
    def max_slope(self) -> float:
        return max(s.max_slope for s in self._live())

    def _segments(self, until: float) -> list[tuple[Schedule, float, float]]:
        """The parts that run by `until`, with where each starts and ends (a part between
        equal starts never runs)."""
        ends = (*self.boundaries, math.inf)
        return [(s, a, b) for s, a, b in zip(self.schedules, self._starts(), ends, strict=True) if a <= until and b > a]

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        out = [b for b in self.boundaries if since <= b <= until]
        for schedule, start, end in self._segments(until):
            inner = schedule.breakpoints(min(until, end) - start, max(since - start, 0.0))
            out += [start + b for b in inner if since <= start + b < end]
        return tuple(sorted(set(out)))

    def cycle_ends(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        """The ends of the cycles of the parts that have them, each within its segment. A
        cycle that the next part's boundary cuts short is no end (it never reached its
        floor: no snapshot is taken there)."""
        cyclic = [s for s in self.schedules if s.has_cycles]
        if not cyclic:
            raise ValueError("join has no cycles: none of its schedules has any")
        out: list[float] = []
        for schedule, start, end in self._segments(until):
            if schedule.has_cycles:
                low, high = _inner_window(since, min(until, end), start)
                inner = schedule.cycle_ends(high, low)
                out += [start + e for e in inner if since <= start + e <= min(until, end)]
        return tuple(out)

    def _pieces(self, until: float, fraction: bool) -> tuple[Piece, ...]:
        out: list[Piece] = []
        for schedule, start, end in self._segments(until):
            pieces = schedule.height_pieces if fraction else schedule.pieces
            for p in shift_pieces(pieces(min(until, end) - start), start):
                out.append(Piece(p.start, min(p.end, end), p.trend))
        return clip_pieces(out, until)  # which keeps step 0's own piece where until = 0

    def pieces(self, until: float) -> tuple[Piece, ...]:
        return self._pieces(until, fraction=False)

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        return self._pieces(until, fraction=True)


def _product_trend(trends: Sequence[int | None]) -> int | None:
    """The trend of a product of non-negative factors with these trends."""
    if None in trends:
        return None
    moving = {t for t in trends if t}
    return moving.pop() if len(moving) == 1 else (0 if not moving else None)


@register
@frozen_value
class Product(Schedule):
    r"""Schedules multiplied together on one clock, times a constant.

    .. math::

        \mathrm{lr}(t) = c \prod_k \mathrm{schedules}_k(t)

    A warmup times a decay, a decay times a staircase, a cyclical LR whose amplitude
    follows any schedule (`cyclic(base_lr=0, max_lr=1, ...)` times it).

    Args:
        schedules: the factors.
        scale: c.

    Reference: torch's `ChainedScheduler` (each scheduler multiplies the LR by its own
    factor: schedules written with the group's LR `lr`, and c = lr ** (1 - k)).

    >>> decay = cosine_decay(initial_lr=1.0, decay_steps=10)
    >>> s = product(schedules=[decay, step_decay(initial_lr=0.1, drop=0.5, every=5)])
    >>> s(0), s(5), s(10)
    (0.1, 0.025, 0.0)
    """

    policy = "product"
    schedules: Annotated[Sequence[Schedule], Parts()]  # stored as a tuple
    scale: Annotated[float, Factor] = 1.0

    @classmethod
    def example(cls) -> Product:
        cycles = Cyclic(base_lr=0.2, max_lr=1.0, step_size_up=50)
        return cls(schedules=(cycles, CosineDecay(initial_lr=0.1, decay_steps=900, final_lr=0.001)))

    # The factors with nested products opened up, and every scale multiplied into one
    # constant: a scale float32 cannot hold (1e-140) inside a product inside a product
    # leaves the position within the bounds readable, as at one level.
    _factors: tuple[Schedule, ...] = dataclasses.field(init=False, repr=False, compare=False)
    _carried: float = dataclasses.field(init=False, repr=False, compare=False)
    _in_logs: bool = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        factors: list[Schedule] = []
        carried = self.scale
        for schedule in self.schedules:
            if isinstance(schedule, Product):
                factors.extend(schedule._factors)
                carried *= schedule._carried
            else:
                factors.append(schedule)
        set_field(self, "_factors", tuple(factors))
        set_field(self, "_carried", carried)
        set_field(self, "_in_logs", self._leaves_float32())

    def _leaves_float32(self) -> bool:
        """Whether a factor, a running product or the scale is beyond the sizes float32
        multiplies safely: then float32 steps multiply in logs (1e-30 * 1e-30 * 1e40
        was 0 * inf = NaN)."""
        sizes, low, high = [self._carried], 1.0, 1.0
        for schedule in self._factors:
            low, high = low * schedule.bounds[0], high * schedule.bounds[1]
            sizes += [*schedule.bounds, low, high]
        smallest, largest = FLOAT32_SAFE
        return any(size != 0.0 and not smallest <= abs(size) <= largest for size in sizes)

    def _unscaled(self, t: Any, xp: Namespace) -> Any:
        if self._in_logs and narrow(t, xp):
            return xp.exp(self._log_unscaled(t, xp))
        value = self._factors[0]._value(t, xp)
        for schedule in self._factors[1:]:
            value = value * schedule._value(t, xp)
        return value

    def _log_unscaled(self, t: Any, xp: Namespace) -> Any:
        total = self._factors[0]._log_value(t, xp)
        for schedule in self._factors[1:]:
            total = total + schedule._log_value(t, xp)
        return total

    def _value(self, t: Any, xp: Namespace) -> Any:
        if self._in_logs and narrow(t, xp):
            return xp.exp(self._log_value(t, xp))
        value = self._unscaled(t, xp)
        return value * self._carried if self._carried != 1.0 else value

    def _log_value(self, t: Any, xp: Namespace) -> Any:
        if not (self._in_logs and narrow(t, xp)):
            return xp.log(self._value(t, xp))
        return self._log_unscaled(t, xp) + log_of(self._carried)

    def _unscaled_bounds(self) -> tuple[float, float]:
        # Every factor is >= 0: the product's extremes are the products of theirs,
        # multiplied in the value's order (so each rounding is monotone alike).
        low, high = self._factors[0].bounds
        for schedule in self._factors[1:]:
            low, high = low * schedule.bounds[0], high * schedule.bounds[1]
        return low, high

    @property
    def bounds(self) -> tuple[float, float]:
        low, high = self._unscaled_bounds()
        return (low * self._carried, high * self._carried) if self._carried != 1.0 else (low, high)

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        # The value's place within the bounds, with the scale left out of both (it cancels):
        # a scale of 1e-140, which float32 cannot hold, leaves the position readable.
        low, high = self._unscaled_bounds()
        if high == low:
            return xp.full_like(t, 0.0)
        return normalised(self._unscaled(t, xp), low, high, t, xp)

    @property
    def shape_slope(self) -> float:
        low, high = self._unscaled_bounds()
        return 0.0 if high == low else self._unscaled_slope() / (high - low)

    def _unscaled_slope(self) -> float:
        # (f g)' = f' g + f g': each factor's slope times the others' highs.
        highs = [s.bounds[1] for s in self._factors]
        total = 0.0
        for i, schedule in enumerate(self._factors):
            others = math.prod(highs[:i] + highs[i + 1 :])
            total += schedule.max_slope * others if others else 0.0
        return total

    @property
    def max_slope(self) -> float:
        # A carried scale below float64's range (1e-140 three times) makes every value 0:
        # flat, whatever its factors' slopes (an infinite one would give 0 * inf = NaN).
        return 0.0 if self._carried == 0.0 else self._carried * self._unscaled_slope()

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        return tuple(sorted({b for s in self.schedules for b in s.breakpoints(until, since)}))

    def cycle_ends(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        """The cycle ends of the factors that have cycles."""
        cyclic = [s for s in self.schedules if s.has_cycles]
        if not cyclic:
            raise ValueError("product has no cycles: none of its schedules has any")
        return tuple(sorted({e for s in cyclic for e in s.cycle_ends(until, since)}))

    def pieces(self, until: float) -> tuple[Piece, ...]:
        each = [s.pieces(until) for s in self.schedules]
        cuts = sorted(
            {p.start for pieces in each for p in pieces} | {min(p.end, until) for pieces in each for p in pieces}
        )
        # Each factor's pieces are in order: walk them alongside the cuts (a search from
        # the start for every cut was quadratic in the number of cycles).
        at = [0] * len(each)
        out = []
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            trends = []
            for k, pieces in enumerate(each):
                while at[k] < len(pieces) and pieces[at[k]].end <= a:
                    at[k] += 1
                here = pieces[at[k]] if at[k] < len(pieces) else None
                trends.append(here.trend if here is not None and here.start <= a else None)
            out.append(Piece(a, b, _product_trend(trends)))
        if not out:  # until = 0: the one step 0
            return (Piece(0.0, 0.0, _product_trend([pieces[0].trend for pieces in each])),)
        return clip_pieces(out, until)


def _height_span(schedule: Schedule) -> tuple[float, float]:
    """The LRs a schedule's height 0 and 1 stand for: a shape's levels (lowest first), or
    the bounds that `Schedule.shape_at` normalises by."""
    if isinstance(schedule, Shaped):
        floor, peak = schedule.levels
        return (min(floor, peak), max(floor, peak))
    return schedule.bounds


warmup = Warmup
join = Join
product = Product
