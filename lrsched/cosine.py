"""Cosine annealing: a single decay, and SGDR's warm restarts.

`cosine_decay`: Loshchilov & Hutter, "SGDR" (ICLR 2017), eq. 5 with one cycle; equal to
optax's `cosine_decay_schedule` (with `final_lr = alpha * initial_lr`)::

    lr(t) = final_lr + (initial_lr - final_lr) * (1 + cos(pi * min(t, D) / D)) / 2

`cosine_restarts`: SGDR with warm restarts. Cycle i starts at
`s_i = T0 * (m**i - 1) / (m - 1)` (or `T0 * i` for m = 1), lasts `T_i = T0 * m**i`::

    lr(t) = min_lr + (max_lr - min_lr) * peak_decay**i * (1 + cos(pi * (t - s_i) / T_i)) / 2

Equal to torch's `CosineAnnealingWarmRestarts(T_0=T0, T_mult=m, eta_min=min_lr)` and to
Keras' `CosineDecayRestarts(max_lr, T0, t_mul=m, m_mul=peak_decay, alpha=min_lr/max_lr)`.

Exact restarts. For m != 1 the start is `T0 * (m**i - 1) / (m - 1)`, computed as
`T0 * expm1(i * log1p(m - 1)) / (m - 1)` with `m - 1` and `log1p(m - 1)` in float64 (no
cancellation near m = 1, and in float32 only one rounding of the exponent), or with an
exact `m**i` where m is a whole number. A start within the formula's rounding error of a
whole number is that whole number: `m = 1.1, T0 = 43` restarts at step 43 exactly, not at
43.00000000000001 (which gave step 43 the cycle's floor instead of its peak and missed
the snapshot there). The error bound counts the rounding of the working precision
(`2 * eps * (4 + i * log(m))`) and of a decimal m (`4 * 2**-52 * (i + 1)`, since 1.1 is
not a binary fraction), relative to the start. The cycle index comes from a logarithm
and is then corrected against these starts, so value, `cycle_index`, `ends_cycle` and
`cycle_ends` agree, on every backend and at large steps.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from lrsched import _checks
from lrsched._namespace import MATH
from lrsched.base import INF, Piece, Schedule, between, clip_pieces, cycle_position, set_field


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class CosineDecay(Schedule):
    """`cosine_decay(initial_lr=, decay_steps=, final_lr=0.0)`."""

    policy = "cosine_decay"
    initial_lr: float
    decay_steps: float
    final_lr: float = 0.0

    def __post_init__(self) -> None:
        initial = _checks.real("initial_lr", self.initial_lr, low=0.0, low_open=True)
        set_field(self, "initial_lr", initial)
        set_field(self, "decay_steps", _checks.real("decay_steps", self.decay_steps, low=0.0, low_open=True))
        set_field(self, "final_lr", _checks.real("final_lr", self.final_lr, low=0.0, high=initial))

    def _peak_fraction(self, t: Any, xp: Any) -> Any:
        done = xp.minimum(t, self.decay_steps) / self.decay_steps
        return 0.5 * (1.0 + xp.cos(math.pi * done))

    def _value(self, t: Any, xp: Any) -> Any:
        return between(self.final_lr, self.initial_lr, self._peak_fraction(t, xp), xp)

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.final_lr, self.initial_lr)

    @property
    def _fraction_slope(self) -> float:
        return math.pi / (2 * self.decay_steps)

    @property
    def max_slope(self) -> float:
        return (self.initial_lr - self.final_lr) * self._fraction_slope

    def pieces(self, until: float) -> tuple[Piece, ...]:
        return clip_pieces([Piece(0.0, self.decay_steps, -1), Piece(self.decay_steps, INF, 0)], until)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class CosineRestarts(Schedule):
    """`cosine_restarts(max_lr=, first_cycle_steps=, min_lr=0.0, cycle_mult=1.0, peak_decay=1.0)`."""

    policy = "cosine_restarts"
    max_lr: float
    first_cycle_steps: float
    min_lr: float = 0.0
    cycle_mult: float = 1.0
    peak_decay: float = 1.0

    def __post_init__(self) -> None:
        peak = _checks.real("max_lr", self.max_lr, low=0.0, low_open=True)
        set_field(self, "max_lr", peak)
        first = _checks.length("first_cycle_steps", self.first_cycle_steps)
        set_field(self, "first_cycle_steps", first)
        set_field(self, "min_lr", _checks.real("min_lr", self.min_lr, low=0.0, high=peak))
        set_field(self, "cycle_mult", _checks.real("cycle_mult", self.cycle_mult, low=1.0))
        decay = _checks.real("peak_decay", self.peak_decay, low=0.0, high=1.0, low_open=True)
        set_field(self, "peak_decay", decay)
        # Derived once: the scalar path reads these on every call.
        set_field(self, "_whole_mult", float(self.cycle_mult).is_integer())
        set_field(self, "_whole_starts", self._whole_mult and float(first).is_integer())

    _whole_mult: bool = dataclasses.field(init=False, repr=False, compare=False)
    _whole_starts: bool = dataclasses.field(init=False, repr=False, compare=False)

    def cycle_start(self, i: Any) -> float:
        """The step where cycle `i` (0-based, a whole number) starts."""
        return float(self._start(float(i), MATH, MATH.eps(0.0)))

    def _start(self, i: Any, xp: Any, eps: float) -> Any:
        m, first = self.cycle_mult, self.first_cycle_steps
        if m == 1.0:
            return first * i
        if self._whole_starts:
            return first * (m**i - 1.0) / (m - 1.0)  # whole, and exact while below 2**53
        exponent = i * math.log1p(m - 1.0)
        grown = m**i - 1.0 if self._whole_mult else xp.expm1(exponent)
        start = first * grown / (m - 1.0)
        whole = xp.floor(start + 0.5)
        slack = (2.0 * eps * (4.0 + exponent) + 4.0 * 2.0**-52 * (i + 1.0)) * xp.maximum(start, 1.0)
        return xp.where(xp.abs(start - whole) <= slack, whole, start)

    def _cycle(self, t: Any, xp: Any) -> tuple[Any, Any, Any]:
        """(index, offset into the cycle, cycle length) at step t."""
        m, first = self.cycle_mult, self.first_cycle_steps
        if m == 1.0:
            i, offset = cycle_position(t, first, xp)
            return i, offset, first
        guess = xp.floor(xp.log1p(t * (m - 1.0) / first) / math.log1p(m - 1.0))
        if self._whole_starts:
            # Whole starts, exact from one pow: m**(i -+ 1) is m**i / m or m**i * m exactly.
            power = m**guess
            below = t < first * (power - 1.0) / (m - 1.0)
            above = t >= first * (power * m - 1.0) / (m - 1.0)
            i = xp.where(below, guess - 1.0, xp.where(above, guess + 1.0, guess))
            power = xp.where(below, power / m, xp.where(above, power * m, power))
            return i, t - first * (power - 1.0) / (m - 1.0), first * power
        eps = xp.eps(t)
        # The logarithm may land one cycle off near a start: correct it against the starts.
        i = xp.where(t < self._start(guess, xp, eps), guess - 1.0,
                     xp.where(t >= self._start(guess + 1.0, xp, eps), guess + 1.0, guess))
        start = self._start(i, xp, eps)
        return i, t - start, self._start(i + 1.0, xp, eps) - start

    def _peak_fraction(self, t: Any, xp: Any) -> Any:
        i, offset, length = self._cycle(t, xp)
        wave = 0.5 * (1.0 + xp.cos(math.pi * offset / length))
        if self.peak_decay == 1.0:
            return wave
        return xp.exp(i * math.log(self.peak_decay)) * wave  # exp-log: well-conditioned in float32

    def _value(self, t: Any, xp: Any) -> Any:
        return between(self.min_lr, self.max_lr, self._peak_fraction(t, xp), xp)

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.min_lr, self.max_lr)

    @property
    def _fraction_slope(self) -> float:
        return math.pi / (2 * self.first_cycle_steps)

    @property
    def max_slope(self) -> float:
        return (self.max_lr - self.min_lr) * self._fraction_slope

    def _starts(self, until: float, since: float = 0.0) -> list[float]:
        """Restart steps in [since, until], found from the cycle index at `since`."""
        starts, i = [], max(int(self._cycle(float(since), MATH)[0]), 0) + 1
        if self.cycle_start(i - 1) >= since and i > 1:
            starts.append(float(self.cycle_start(i - 1)))
        while (s := self.cycle_start(i)) <= until:
            starts.append(float(s))
            i += 1
        return starts

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        # Declared even when max_lr == min_lr: the momentum driven by the cycle jumps.
        return tuple(s for s in self._starts(until, since) if s <= until)

    def cycle_ends(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        return self.breakpoints(until, since)  # a cycle ends where the next one restarts

    def _cycle_state(self, t: Any, xp: Any) -> tuple[Any, Any]:
        index, offset, _ = self._cycle(t, xp)
        return index, offset

    def pieces(self, until: float) -> tuple[Piece, ...]:
        edges = [0.0, *self._starts(until), INF]
        return clip_pieces([Piece(a, b, -1) for a, b in zip(edges[:-1], edges[1:], strict=True)], until)


cosine_decay = CosineDecay
cosine_restarts = CosineRestarts
