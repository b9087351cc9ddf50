"""Cosine annealing: a single decay, and SGDR's warm restarts.

Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017,
section 3, eq. 5. `cosine_restarts` equals torch's `CosineAnnealingWarmRestarts` and
Keras' `CosineDecayRestarts`; `cosine_decay` equals optax's `cosine_decay_schedule`.

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
from typing import Annotated, Any

from lrsched._namespace import MATH, Namespace
from lrsched.base import (
    FLOAT_MAX,
    INF,
    Piece,
    RestartableDecay,
    Shaped,
    clip_pieces,
    cycle_position,
    frozen_value,
    k_decayed,
    multiples,
    register,
    set_field,
)
from lrsched.params import LR, Factor, Flag, Fraction, Growth, Interval, Length, check_repeating_length

# `cosine_restarts` keeps the starts of up to this many first cycles for Python steps.
TABLED_CYCLES = 128
LOG_FLOAT_MAX = math.log(FLOAT_MAX)
# A restart past e**690 steps, or with m**i past it, is taken from logarithms (see
# CosineRestarts._start): below it, T0 m**i / (m - 1) cannot overflow for T0 >= 1e-6.
GROWN_EXP = 690.0


def _exact_powers(m: float) -> float:
    """The largest i for which float64 holds m**i exactly: m = p / 2**q with p odd, and
    p**i below 2**53 (at least 1: m itself)."""
    odd = m.as_integer_ratio()[0]
    while odd % 2 == 0:
        odd //= 2
    return float(max(1, int(52.99 / math.log2(odd))) if odd > 1 else 1 << 30)


@register
@frozen_value
class CosineDecay(RestartableDecay):
    r"""Half a cosine from `initial_lr` to `final_lr` over `decay_steps`, then flat.

    Down, or up for a `final_lr` above `initial_lr` (torch's `CosineAnnealingLR` with an
    `eta_min` above the LR).

    .. math::

        c(t) = \tfrac12 \left(1 + \cos\left(\pi \left(\tfrac{\min(t, D)}{D}\right)^{k}\right)\right), \qquad
        \mathrm{lr}(t) = f + (i - f)\, c(t)^{e}

    With `periodic` the cosine goes on past D instead of holding: it climbs back to `i`
    at 2D, and so on with period 2D (torch's `CosineAnnealingLR` past `T_max`, Hugging
    Face's cosine past its horizon).

    Args:
        initial_lr: i, the LR at step 0.
        decay_steps: D, the steps the decay takes.
        final_lr: f, the LR from step D on (optax's `alpha * initial_lr`).
        exponent: e, a power on the cosine (optax's `exponent`); 1 is the plain cosine.
        periodic: go on along the cosine past D rather than hold f.
        k_decay: k, the cosine's clock runs as (t / D)**k (timm's `k_decay`; Zhang et al.,
            "k-decay", 2020): above 1 the LR stays high longer.

    Reference: Loshchilov & Hutter, "SGDR", ICLR 2017, eq. 5 (one cycle, no restart).

    >>> s = cosine_decay(initial_lr=0.1, decay_steps=100, final_lr=0.001)
    >>> s(0), round(s(50), 6), s(100), s(10**9)
    (0.1, 0.0505, 0.001, 0.001)
    >>> cosine_decay(initial_lr=1.0, decay_steps=10, periodic=True)(20)
    1.0
    """

    policy = "cosine_decay"
    exponent: Annotated[float, Factor] = 1.0
    periodic: Annotated[bool, Flag()] = False
    k_decay: Annotated[float, Factor] = 1.0

    @classmethod
    def example(cls) -> CosineDecay:
        return cls(initial_lr=0.1, decay_steps=500, final_lr=0.001, periodic=True)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.periodic and self.k_decay != 1.0:
            raise ValueError(f"k_decay must be 1 with periodic=True (it bends one decay over D); got {self.k_decay!r}")
        if self.periodic:
            check_repeating_length("decay_steps", self.decay_steps, "with periodic=True (half its period)")

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        if self.periodic:
            # The cosine's period is 2D: the phase as the exact remainder (t / D itself
            # loses it at large steps, float32's from 2**24 / D on).
            t = xp.fmod(t, 2.0 * self.decay_steps)
        if self.exponent == 1.0:
            done = (t if self.periodic else xp.minimum(t, self.decay_steps)) / self.decay_steps
            if self.k_decay != 1.0:
                done = xp.power(done, self.k_decay)
            return 0.5 * (1.0 + xp.cos(math.pi * done))
        return self._powered_cosine(t, xp)

    def _powered_cosine(self, t: Any, xp: Namespace) -> Any:
        """c**e for c = cos(pi d / 2)**2, accurate to a few ulps of c**e at every d.

        Near d = 0, c = 1 - sin(pi d / 2)**2 and c**e = exp(e log1p(-sin**2)): a large e
        magnifies no rounding of c. Near d = 1, c = sin(pi (1 - d) / 2)**2 with 1 - d
        computed as (D - t) / D, not 1 - t / D: the form 1 - sin**2 cancels there, and an
        e below 1 magnifies that into errors of 1e-5 for a long decay.
        """
        length = self.decay_steps
        # A periodic t is within one period [0, 2D) (shape_at), symmetric about D: folded into [0, D].
        along = xp.minimum(t, 2.0 * length - t) if self.periodic else xp.minimum(t, length)
        done, left = along / length, (length - along) / length
        if self.k_decay != 1.0:
            # (t/D)**k and 1 - (t/D)**k from one logarithm, neither by subtraction: (D - t)/D
            # alone rounds to 1 early in a long decay in float32, and (t/D)**k (k < 1) not.
            done, left = k_decayed(done, left, self.k_decay, xp)
        half_sine = xp.sin(0.5 * math.pi * done)
        half_cosine = xp.sin(0.5 * math.pi * left)  # cos(pi d / 2), accurate near d = 1
        near_start = done <= 0.5
        log_c = xp.where(
            near_start,
            xp.log1p(-xp.minimum(half_sine * half_sine, 0.5)),
            2.0 * xp.log(xp.where(half_cosine > 0.0, half_cosine, 1.0)),
        )
        return xp.where(near_start | (half_cosine > 0.0), xp.exp(self.exponent * log_c), 0.0)

    @property
    def shape_slope(self) -> float:
        # d/dt c**e = e c**(e-1) c' with |c'| <= pi / 2D: bounded by e pi / 2D for e >= 1;
        # below 1 it is unbounded where c reaches 0. k-decay's (t/D)**k grows at most
        # k / D for k >= 1 (at t = D), and without bound at t = 0 for k < 1.
        if self.exponent < 1.0 or self.k_decay < 1.0:
            return INF
        return self.exponent * self.k_decay * math.pi / (2 * self.decay_steps)

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        if not self.periodic:
            return clip_pieces([Piece(0.0, self.decay_steps, -1), Piece(self.decay_steps, INF, 0)], until)
        ends = [0.0, *multiples(self.decay_steps, until), INF]
        return clip_pieces(
            [Piece(a, b, -1 if k % 2 == 0 else 1) for k, (a, b) in enumerate(zip(ends[:-1], ends[1:], strict=True))],
            until,
        )


@register
@frozen_value
class CosineRestarts(Shaped):
    r"""SGDR: cosine cycles, each restarting at the peak; cycle i is m**i times the first.

    .. math::

        s_i = T_0 \frac{m^i - 1}{m - 1} \;(T_0 i \text{ for } m = 1), \qquad T_i = T_0 m^i

        \mathrm{lr}(t) = \eta_{min} + (\eta_{max} - \eta_{min})\, d^{\,i}\,
            \tfrac12 \left(1 + \cos\left(\pi \tfrac{t - s_i}{T_i}\right)\right),
            \quad s_i \le t < s_{i+1}

    Args:
        max_lr: the peak of the first cycle (torch's group LR).
        first_cycle_steps: T0, the first cycle's length (torch `T_0`).
        min_lr: the floor (torch `eta_min`; Keras `alpha * max_lr`).
        cycle_mult: m, each cycle's length over the one before (torch `T_mult`).
        peak_decay: d, each cycle's amplitude over the one before (Keras `m_mul`).

    Reference: Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm
    Restarts", ICLR 2017, section 3, eq. 5.

    >>> s = cosine_restarts(max_lr=1.0, first_cycle_steps=10, cycle_mult=2)
    >>> s(0), s(5), s(10), s(20), s(30), s.cycle_ends(80)
    (1.0, 0.5, 1.0, 0.5, 1.0, (10.0, 30.0, 70.0))
    """

    policy = "cosine_restarts"
    max_lr: Annotated[float, LR]
    first_cycle_steps: Annotated[float, Length]
    min_lr: Annotated[float, Interval(ge=0.0, le="max_lr", scale="lr")] = 0.0
    cycle_mult: Annotated[float, Growth] = 1.0
    peak_decay: Annotated[float, Fraction] = 1.0

    @classmethod
    def example(cls) -> CosineRestarts:
        return cls(max_lr=0.8, first_cycle_steps=15, cycle_mult=2)  # SGDR, cycles doubling

    def __post_init__(self) -> None:
        super().__post_init__()
        # Derived once: the scalar path reads these on every call.
        set_field(self, "_whole_mult", float(self.cycle_mult).is_integer())
        set_field(self, "_whole_starts", self._whole_mult and float(self.first_cycle_steps).is_integer())
        set_field(self, "_log_mult", math.log1p(self.cycle_mult - 1.0))
        set_field(self, "_log_grown_by", math.log(self.cycle_mult - 1.0) if self.cycle_mult > 1.0 else -INF)
        set_field(self, "_exact_powers", _exact_powers(float(self.cycle_mult)))
        set_field(self, "_first_starts", self._tabulate_starts())

    _whole_mult: bool = dataclasses.field(init=False, repr=False, compare=False)
    _whole_starts: bool = dataclasses.field(init=False, repr=False, compare=False)
    _log_mult: float = dataclasses.field(init=False, repr=False, compare=False)
    _log_grown_by: float = dataclasses.field(init=False, repr=False, compare=False)
    _exact_powers: float = dataclasses.field(init=False, repr=False, compare=False)
    _first_starts: tuple[float, ...] = dataclasses.field(init=False, repr=False, compare=False)

    def _tabulate_starts(self) -> tuple[float, ...]:
        """The starts of the first cycles, as `_start` gives them for Python steps: a
        Python step before the last is found among them by bisection (what the
        logarithm and its correction give, for the price of one comparison chain).
        Up to TABLED_CYCLES of them, below 2**50 / m (where the whole-number starts,
        their lengths and powers of a whole m are exact); none for m = 1."""
        if self.cycle_mult == 1.0:
            return ()
        eps, bound = MATH.eps(0.0), 2.0**50 / self.cycle_mult
        starts = []
        for i in range(TABLED_CYCLES + 1):
            start = float(self._start(float(i), MATH, eps))
            if start > bound:
                break
            starts.append(start)
        return tuple(starts)

    def cycle_start(self, i: Any) -> float:
        """The step where cycle `i` (0-based, a whole number) starts."""
        return float(self._start(float(i), MATH, MATH.eps(0.0)))

    def _start(self, i: Any, xp: Namespace, eps: float) -> Any:
        m, first = self.cycle_mult, self.first_cycle_steps
        if m == 1.0:
            return first * i
        exponent = i * self._log_mult
        # The start's logarithm, log T0 + log(m**i - 1) - log(m - 1) (m**i - 1 by expm1:
        # exact to ulps for any m and i >= 1). Where the start or m**i passes e**GROWN_EXP
        # the start is taken from it, and is infinite past float64's range: a cycle that
        # would start there never does. Below, no part of the formula overflows.
        grown_log = exponent + xp.log(-xp.expm1(-xp.maximum(exponent, self._log_mult)))
        logged = (math.log(first) - self._log_grown_by) + grown_log
        far = (i > 1.0) & (xp.maximum(exponent, logged) > GROWN_EXP)
        near = xp.where(far, 0.0, i)
        far_start = xp.where(logged < LOG_FLOAT_MAX, xp.exp(xp.minimum(logged, LOG_FLOAT_MAX)), INF)
        start = self._near_start(near, xp, eps)
        # The first restart is the first cycle's length itself, whatever m.
        return xp.where(i == 1.0, first, xp.where(far, far_start, start))

    def _near_start(self, i: Any, xp: Namespace, eps: float) -> Any:
        """Cycle i's start (m**i and the start below e**GROWN_EXP): whole starts exactly,
        a start that may be a fraction snapped to a whole step within its rounding."""
        m, first = self.cycle_mult, self.first_cycle_steps
        if self._whole_starts:
            return first * ((m**i - 1.0) / (m - 1.0))  # whole, and exact while below 2**53
        exponent = i * self._log_mult
        if self._whole_mult:
            grown = m**i - 1.0
        else:
            # m**i while float64 holds it exactly (m = 1.5: 3**i / 2**i, to i = 33), so an
            # exact start is exact (131.875 for T0 = 10, i = 5); past that, expm1.
            exact = self._exact_powers
            grown = xp.where(i <= exact, m ** xp.minimum(i, exact) - 1.0, xp.expm1(exponent))
        # (Divided first: T0 m**i may pass float64's range where the start does not.)
        start = first * (grown / (m - 1.0))
        # (An infinite start, past the range, stays infinite: floor(inf) raises for Python
        # floats, and its slack would be infinite too.)
        finite = start < INF
        whole = xp.floor(xp.where(finite, start, 0.0) + 0.5)
        slack = (2.0 * eps * (4.0 + exponent) + 4.0 * 2.0**-52 * (i + 1.0)) * xp.maximum(start, 1.0)
        return xp.where(finite & (xp.abs(start - whole) <= slack), whole, start)

    def _cycle(self, t: Any, xp: Namespace) -> tuple[Any, Any, Any]:
        """(index, offset into the cycle, cycle length) at step t."""
        m, first = self.cycle_mult, self.first_cycle_steps
        if m == 1.0:
            i, offset = cycle_position(t, first, xp)
            return i, offset, first
        # Steps before the last tabled start: their cycle by bisection of the starts (what
        # the logarithm and its correction give, for Python steps and NumPy arrays).
        return xp.tabled_cycle(self._first_starts, t, self._computed_cycle)

    def _computed_cycle(self, t: Any, xp: Namespace) -> tuple[Any, Any, Any]:
        """`_cycle` from the starts' formula, for a cycle_mult other than 1."""
        first = self.first_cycle_steps
        # log1p(t (m - 1) / T0) as softplus(log t + log((m - 1) / T0)): no product that could
        # leave the float range (float32's from m = 3.4e38), and 0 at t = 0, not 0 * inf.
        logged = xp.log(xp.maximum(t, 1e-30)) + (self._log_grown_by - math.log(first))
        grown = xp.maximum(logged, 0.0) + xp.log1p(xp.exp(-xp.abs(logged)))
        guess = xp.floor(grown / self._log_mult)
        eps = xp.eps(t)

        def start_of(i: Any) -> Any:
            return xp.per_index(lambda whole: self._start(whole, xp, eps), i)

        # The logarithm may land one cycle off near a start: correct it against the starts.
        i = xp.where(t < start_of(guess), guess - 1.0, xp.where(t >= start_of(guess + 1.0), guess + 1.0, guess))
        start = start_of(i)
        length = start_of(i + 1.0) - start
        # Far out, float32 rounds the starts of cycles shorter than its resolution there (a
        # multiplier within ulps of 1) onto each other: such a step cannot tell where in
        # its cycle it is, and is read at the cycle's start rather than as 0 / 0 (NaN).
        resolved = length > 0.0
        return i, xp.where(resolved, t - start, 0.0), xp.where(resolved, length, first)

    @property
    def levels(self) -> tuple[float, float]:
        return (self.min_lr, self.max_lr)

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        i, offset, length = self._cycle(t, xp)
        wave = 0.5 * (1.0 + xp.cos(math.pi * offset / length))
        if self.peak_decay == 1.0:
            return wave
        return xp.exp(i * math.log(self.peak_decay)) * wave  # exp-log: well-conditioned in float32

    @property
    def shape_slope(self) -> float:
        return math.pi / (2 * self.first_cycle_steps)

    def _starts(self, until: float, since: float = 0.0) -> list[float]:
        """Restart steps in [since, until], found from the cycle index at `since`."""
        starts, i = [], max(int(self._cycle(float(since), MATH)[0]), 0) + 1
        if self.cycle_start(i - 1) >= since and i > 1:
            starts.append(float(self.cycle_start(i - 1)))
        while (s := self.cycle_start(i)) <= until and s < INF:  # a start past float range never comes
            starts.append(float(s))
            i += 1
        return starts

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        # Declared even when max_lr == min_lr: the momentum driven by the cycle jumps.
        return tuple(s for s in self._starts(until, since) if s <= until)

    def cycle_ends(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        return self.breakpoints(until, since)  # a cycle ends where the next one restarts

    def _cycle_state(self, t: Any, xp: Namespace) -> tuple[Any, Any]:
        index, offset, _ = self._cycle(t, xp)
        return index, offset

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        edges = [0.0, *self._starts(until), INF]
        return clip_pieces([Piece(a, b, -1) for a, b in zip(edges[:-1], edges[1:], strict=True)], until)


cosine_decay = CosineDecay
cosine_restarts = CosineRestarts
