"""Warm restarts of any single decay: cosine, polynomial or tanh cycles, growing cycle
lengths, a peak (or an amplitude) that decays or grows from cycle to cycle, a cycle limit.

Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with Warm Restarts", ICLR 2017,
section 3 (restarts, cycle i m**i times as long); timm's schedulers carry the same
restarts over their cosine, polynomial and tanh decays (`cycle_mul`, `cycle_decay`,
`cycle_limit`), Keras' `CosineDecayRestarts` over the cosine (`t_mul`, `m_mul`). The cycle
clock is `cosine_restarts`' own (exact restarts, see `lrsched.cosine`).
"""

from __future__ import annotations

import dataclasses
import math
from bisect import bisect_right
from typing import Annotated, Any, Protocol, TypeGuard

from lrsched._namespace import MATH, Namespace
from lrsched.base import (
    FLOAT32_SAFE,
    FLOAT_MAX,
    INF,
    Part,
    Piece,
    Schedule,
    frozen_value,
    log_of,
    narrow,
    register,
    require_schedule,
    set_field,
    sign,
)
from lrsched.cosine import CosineRestarts
from lrsched.params import MIN_LENGTH, Count, Factor, Growth, OneOf
from lrsched.polynomial import Polynomial


class Decay(Protocol):
    """What `restarts` repeats: one decay over `decay_steps` from its peak, a policy that
    declares `restartable = True` (`cosine_decay`, `polynomial`, `tanh_decay`, and any
    policy of a user's that declares it and these members)."""

    @property
    def decay_steps(self) -> float: ...
    @property
    def levels(self) -> tuple[float, float]: ...
    @property
    def shape_slope(self) -> float: ...
    @property
    def shape_range(self) -> tuple[float, float]: ...
    def shape_at(self, t: Any, xp: Namespace) -> Any: ...
    def shape_pieces(self, until: float) -> tuple[Piece, ...]: ...


def is_restartable(schedule: Schedule) -> TypeGuard[Decay]:
    """Whether `restarts` can repeat `schedule`: its policy declares `restartable`."""
    return type(schedule).restartable


def restartable_policies() -> list[str]:
    """The registered policies that declare they can be restarted."""
    return sorted(name for name, cls in Schedule._registry.items() if cls.restartable)


class OneDecay(Part):
    """One decay over its `decay_steps` that starts at its peak: a registered policy that
    declares `restartable` (a cycle is that decay, stretched)."""

    __slots__ = ()

    def check(self, name: str, value: Any, known: dict[str, Any]) -> Any:
        schedule = require_schedule(name, value)
        if not is_restartable(schedule):
            raise TypeError(
                f"{name} must be one decay over its decay_steps: one of {', '.join(restartable_policies())}; "
                f"got {type(schedule).__name__}"
            )
        return schedule

    def describe(self) -> str:
        return f"one of {', '.join(restartable_policies())} (one decay over its decay_steps)"


#: The tops of the first cycles a Python step looks up rather than computes.
TABLED_TOPS = 64


@register
@frozen_value
class Restarts(Schedule):
    r"""Warm restarts of one decay: cycle i is the decay stretched over D * m**i steps.

    Each cycle runs the decay's shape between the floor f and a top that changes by d
    per cycle:

    .. math::

        s_i = D \frac{m^i - 1}{m - 1} \;(D i \text{ for } m = 1), \qquad
        c(t) = \mathrm{shape}\left(D \tfrac{t - s_i}{T_i}\right), \quad s_i \le t < s_{i+1}

        \mathrm{lr}(t) = f + (\mathrm{top}_i - f)\, c(t), \qquad
        \mathrm{top}_i = \begin{cases} f + (p - f)\, d^{\,i} & \text{amplitude (SGDR, Keras)} \\
                                       p\, d^{\,i} & \text{peak (timm)} \end{cases}

    where p and f are the decay's start and end levels and shape its position between
    them (1 at the start). After `cycles` cycles the LR holds f (timm's `cycle_limit`).

    Args:
        decay: the first cycle: a `cosine_decay`, `polynomial` or `tanh_decay`; its
            `decay_steps` D is the first cycle's length, its levels the peak and floor.
        cycle_mult: m, each cycle's length over the one before (timm `cycle_mul`).
        peak_decay: d, what each cycle's top is multiplied by (timm `cycle_decay`, Keras
            `m_mul`); above 1 it grows, which needs a finite `cycles`.
        scales: "amplitude" (d scales top - floor: SGDR, Keras) or "peak" (d scales the top
            itself and the floor stays: timm, where a top below the floor turns the
            cycle upside down).
        cycles: how many cycles run before the LR holds the floor; None: no end.

    Reference: Loshchilov & Hutter, "SGDR", ICLR 2017, section 3.

    >>> s = restarts(decay=polynomial(initial_lr=1.0, decay_steps=10), peak_decay=0.5, cycles=2)
    >>> s(0), s(5), s(10), s(15), s(20), s(99)
    (1.0, 0.5, 0.5, 0.25, 0.0, 0.0)
    """

    policy = "restarts"
    decay: Annotated[Decay, OneDecay()]
    cycle_mult: Annotated[float, Growth] = 1.0
    peak_decay: Annotated[float, Factor] = 1.0
    scales: Annotated[str, OneOf(("amplitude", "peak"))] = "amplitude"
    cycles: Annotated[int | None, Count(low=1, optional=True)] = None

    _clock: CosineRestarts = dataclasses.field(init=False, repr=False, compare=False)
    _levels: tuple[float, float] = dataclasses.field(init=False, repr=False, compare=False)
    _log_decay: float = dataclasses.field(init=False, repr=False, compare=False)
    _end: float = dataclasses.field(init=False, repr=False, compare=False)
    _bounds: tuple[float, float] = dataclasses.field(init=False, repr=False, compare=False)
    _upside_down: str = dataclasses.field(init=False, repr=False, compare=False)
    _first_upside_down: bool = dataclasses.field(init=False, repr=False, compare=False)
    _turn: float = dataclasses.field(init=False, repr=False, compare=False)
    _past_float32: bool = dataclasses.field(init=False, repr=False, compare=False)
    # What a Python step reads (`_python_value`), in one tuple: the first cycle's length,
    # whether cycles stretch, the floor, the cycle count (inf: no end), the end, the first
    # cycles' tops, the bounds, and the clock's tabled starts.
    _python_constants: tuple[float, bool, float, float, float, tuple[float, ...], float, float, tuple[float, ...]] = (
        dataclasses.field(init=False, repr=False, compare=False)
    )

    @classmethod
    def example(cls) -> Restarts:
        decay = Polynomial(initial_lr=0.1, decay_steps=150, final_lr=0.01, power=2.0)
        return cls(decay=decay, cycle_mult=1.5, peak_decay=0.7, scales="peak", cycles=4)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.peak_decay > 1.0 and self.cycles is None:
            raise ValueError(
                f"peak_decay above 1 ({self.peak_decay!r}) grows the LR without bound: give cycles, "
                "the number of cycles after which it holds the floor"
            )
        first = float(self.decay.decay_steps)
        if first < MIN_LENGTH:
            raise ValueError(
                f"decay.decay_steps is the first cycle's length: it must be >= {MIN_LENGTH:g}; got {first!r}"
            )
        clock = CosineRestarts(max_lr=1.0, first_cycle_steps=first, cycle_mult=self.cycle_mult)
        set_field(self, "_clock", clock)
        set_field(self, "_levels", self.decay.levels)
        set_field(self, "_log_decay", math.log(self.peak_decay))
        set_field(self, "_end", INF if self.cycles is None else self._last_end(clock, self.cycles))
        self._check_last_top()
        set_field(self, "_bounds", self._find_bounds())
        floor = self._levels[0]
        set_field(self, "_past_float32", max(abs(top - floor) for top in self._tops()) > FLOAT32_SAFE[1])
        tabled = range(min(self.cycles or TABLED_TOPS, TABLED_TOPS))
        peak = self._levels[1]
        tops = (peak if self.peak_decay == 1.0 else self._top(float(i), MATH) for i in tabled)
        count = INF if self.cycles is None else float(self.cycles)
        starts = clock._first_starts or (0.0,)  # none tabled (m = 1): every step asks the clock
        constants = (first, self.cycle_mult != 1.0, floor, count, self._end, tuple(tops), *self._bounds, starts)
        set_field(self, "_python_constants", constants)
        set_field(self, "_upside_down", self._orientation())
        # Cycle 0's top is the peak itself: compared exactly, as `_orientation` compares it
        # (its exp-log form may round an ulp below a floor equal to the peak).
        set_field(self, "_first_upside_down", self._levels[1] < self._levels[0])
        set_field(self, "_turn", self._turning_cycle() if self._upside_down == "some" else 0.0)

    def _orientation(self) -> str:
        """Which cycles run upside down (a top below the floor: the LR is highest at the
        floor): none, all, or those whose top has crossed it (tops move monotonely)."""
        floor, peak = self._levels
        if self.scales == "amplitude" or self.peak_decay == 1.0:
            # top_i - floor = (peak - floor) d**i keeps the sign of peak - floor: all cycles
            # alike, however close to the floor the tops come (in float32 they round onto it).
            return "all" if peak < floor else "none"
        low_top, high_top = self._tops()
        return "none" if low_top >= floor else "all" if high_top < floor else "some"

    def _turning_cycle(self) -> float:
        """The first cycle whose orientation differs from cycle 0's: read by the cycle's
        index (exact on every backend), never by comparing a rounded top with the floor."""
        floor, first = self._levels[0], self._first_upside_down

        def below(i: float) -> bool:
            return bool(self._top(i, MATH) < floor)

        # top_i = p d**i crosses the floor where i = log(floor / p) / log(d): the first
        # cycle past that estimate, checked exactly a few cycles either side (no search).
        estimate = math.ceil(math.log(floor / self._levels[1]) / self._log_decay)
        window = range(max(estimate - 3, 1), estimate + 4)
        k = next((i for i in window if below(float(i)) != first), estimate)
        return float(k)

    @staticmethod
    def _last_end(clock: CosineRestarts, cycles: int) -> float:
        """Where the last cycle ends: beyond the float range (many growing cycles), never
        (`cycle_start` is infinite there)."""
        return clock.cycle_start(cycles)

    def _check_last_top(self) -> None:
        """Refuse a growing top that leaves the float range or (amplitude scaling of a
        rising decay, whose top lies below the floor) falls below 0."""
        if self.peak_decay <= 1.0 or self.cycles is None:
            return
        floor, peak = self._levels
        growth = (self.cycles - 1) * self._log_decay
        # The top's distance from the floor (amplitude) or the top itself (peak) grows by
        # exp(growth): beyond the float range where its logarithm passes the largest float's.
        reach = abs(peak - floor) if self.scales == "amplitude" else peak
        last = growth + max(math.log(reach), 0.0) if reach > 0.0 else growth  # the factor itself must be finite
        if last >= math.log(FLOAT_MAX) - 1.0:
            raise ValueError(
                f"peak_decay={self.peak_decay!r} over cycles={self.cycles!r} grows the last cycle's top "
                f"{self.peak_decay!r}**{self.cycles - 1} times: beyond the float range; give fewer cycles "
                "or a smaller peak_decay"
            )
        top = float(self._top(float(self.cycles - 1), MATH))
        if top < 0.0:
            raise ValueError(
                f"peak_decay={self.peak_decay!r} over cycles={self.cycles!r} with scales='amplitude' takes the "
                f"last cycle's top to {top!r}: below 0 (the decay rises, from {peak!r} to its floor {floor!r}, "
                "and the amplitude grows below it). An LR must stay >= 0: give fewer cycles, peak_decay <= 1 "
                "or scales='peak'"
            )

    def _top(self, i: Any, xp: Namespace) -> Any:
        """Cycle i's top: where the decay's shape 1 lands."""
        floor, peak = self._levels
        if self.peak_decay == 1.0:
            return peak  # read with a float i only: _value takes the peak itself then
        if self.cycles is not None:
            i = xp.minimum(i, float(self.cycles - 1))  # past the last cycle the floor holds
        # exp-log, the size and the growth in one exponent: well-conditioned in float32, and
        # no factor d**i overflows where the top itself is within range.
        reach = peak - floor if self.scales == "amplitude" else peak
        if reach == 0.0:
            return floor if self.scales == "amplitude" else 0.0 * i
        grown = xp.exp(i * self._log_decay + math.log(abs(reach)))
        return (floor if self.scales == "amplitude" else 0.0) + (grown if reach > 0.0 else -grown)

    def _cycle(self, t: Any, xp: Namespace) -> tuple[Any, Any]:
        """(cycle index, the decay's own step) at step t within the cycles."""
        i, offset, length = self._clock._cycle(t, xp)
        first = self._clock.first_cycle_steps
        inner = offset if self.cycle_mult == 1.0 else offset / length * first
        return i, xp.minimum(inner, first)

    def _within(self, t: Any, i: Any) -> Any:
        """Whether step t (in cycle i by the clock, in the step's own precision) lies
        within the cycles: a clock that places the last end an ulp before `_end` (NumPy's
        vectorised expm1) has ended them there too."""
        return (t < self._end) & (i < float(self.cycles)) if self.cycles is not None else True

    def _height(self, i: Any, shape: Any, xp: Namespace) -> Any:
        """Where the LR stands between the cycle's lowest and highest level: the decay's
        shape, turned over in a cycle that runs upside down (its top below the floor)."""
        if self._upside_down == "none":
            return shape
        if self._upside_down == "all":
            return 1.0 - shape
        before, after = (1.0 - shape, shape) if self._first_upside_down else (shape, 1.0 - shape)
        return xp.where(i < self._turn, before, after)

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        # Momentum follows each cycle's own fall and rise, whatever its top: the LR's height
        # within the cycle. Past the last cycle the floor holds, at the last cycle's end.
        i, inner = self._cycle(t, xp)
        height = self._height(i, self.decay.shape_at(inner, xp), xp)
        if self.cycles is None:
            return height
        last = float(self._top(float(self.cycles - 1), MATH)) if self.peak_decay != 1.0 else self._levels[1]
        return xp.where(self._within(t, i), height, 1.0 if last < self._levels[0] else 0.0)

    @property
    def shape_slope(self) -> float:
        # Each cycle is the decay stretched m**i >= 1 times: its height moves no faster than
        # the decay's shape, whatever the cycle's top (a flat cycle's shape moves too).
        return self.decay.shape_slope

    def _value(self, t: Any, xp: Namespace) -> Any:
        if xp is MATH:
            return self._python_value(t)
        if self._past_float32 and narrow(t, xp):
            return xp.exp(self._log_value(t, xp))
        i, inner = self._cycle(t, xp)
        floor = self._levels[0]
        top = self._levels[1] if self.peak_decay == 1.0 else self._top(i, xp)
        # Clipped only against rounding (a float32 step): the bounds enclose the formula.
        value = xp.clip(floor + (top - floor) * self.decay.shape_at(inner, xp), *self._bounds)
        return value if self.cycles is None else xp.where(self._within(t, i), value, floor)

    def _python_value(self, t: float) -> float:
        """`_value` for a Python step, the same arithmetic in the same order, with the
        first cycles' tops looked up: the hot path of direct calls and `LambdaLR`."""
        first, stretches, floor, count, end, tops, low, high, starts = self._python_constants
        # _cycle and _within, inlined, with the seam's `tabled_cycle`: the clock's table of
        # starts read here, the clock asked past its end.
        if t < starts[-1]:
            k = bisect_right(starts, t)  # >= 1: the first start is 0
            start = starts[k - 1]
            i, offset, length = float(k - 1), t - start, starts[k] - start
        else:
            i, offset, length = self._clock._cycle(t, MATH)
        if not (t < end and i < count):
            return floor
        inner = offset / length * first if stretches else offset
        inner = first if inner > first else inner
        top = tops[int(i)] if i < len(tops) else self._top(i, MATH)
        value = floor + (top - floor) * self.decay.shape_at(inner, MATH)
        return low if value < low else high if value > high else value

    def _log_value(self, t: Any, xp: Namespace) -> Any:
        if not (self._past_float32 and narrow(t, xp)):
            return xp.log(self._value(t, xp))
        # Tops past float32's range: the value is A + s exp(G), with A = f (amplitude) or
        # f (1 - c) (peak), s the sign of the reach and G = i log d + log|reach| + log c,
        # the shape c inside the exponent; so a top that overflows float32 while the shape
        # (or a product's other factor) brings the value back within range stays finite.
        floor, peak = self._levels
        i, inner = self._cycle(t, xp)
        shape = xp.maximum(self.decay.shape_at(inner, xp), 0.0)  # below 0 by rounding only
        reach = peak - floor if self.scales == "amplitude" else peak
        last = xp.minimum(i, float(self.cycles - 1)) if self.cycles is not None else i
        rises = shape > 0.0
        grown = last * self._log_decay + math.log(abs(reach)) + xp.log(xp.where(rises, shape, 1.0))
        grown = xp.where(rises, grown, -INF)  # log G: no rise
        rest = log_of(floor) + (0.0 * shape if self.scales == "amplitude" else xp.log1p(-xp.minimum(shape, 1.0)))
        if reach > 0.0:  # log(exp(G) + exp(rest)), the larger taken out
            high, low = xp.maximum(grown, rest), xp.minimum(grown, rest)
            logged = xp.where(high > -INF, high + xp.log1p(xp.exp(low - high)), -INF)
        else:  # log(exp(rest) - exp(G)): a rising decay's floor above its peak, so rest > -inf
            logged = rest + xp.log1p(-xp.exp(xp.minimum(grown - rest, 0.0)))
        low_bound, high_bound = self._bounds
        logged = xp.clip(logged, log_of(low_bound), log_of(high_bound))
        return logged if self.cycles is None else xp.where(self._within(t, i), logged, log_of(floor))

    def _tops(self) -> tuple[float, float]:
        """The lowest and highest top over the cycles (a limit where never reached)."""
        floor, peak = self._levels
        if self.cycles is not None:
            last = float(self._top(float(self.cycles - 1), MATH))
        else:  # d <= 1: the tops fall toward the floor (amplitude) or toward 0 (peak)
            last = peak if self.peak_decay == 1.0 else floor if self.scales == "amplitude" else 0.0
        return (min(peak, last), max(peak, last))

    @property
    def bounds(self) -> tuple[float, float]:
        return self._bounds

    def _find_bounds(self) -> tuple[float, float]:
        floor = self._levels[0]
        low_shape, high_shape = self.decay.shape_range
        corners = [floor + (top - floor) * s for top in self._tops() for s in (low_shape, high_shape)]
        if self.cycles is not None:
            corners.append(floor)
        return (min(corners), max(corners))

    @property
    def max_slope(self) -> float:
        # Cycle i is the decay stretched m**i >= 1 times between f and top_i: its slope is
        # at most |top_i - f| * shape_slope.
        floor = self._levels[0]
        reach = max(abs(top - floor) for top in self._tops())
        slope = self.decay.shape_slope
        return 0.0 if reach == 0.0 or slope == 0.0 else reach * slope

    def _starts(self, until: float, since: float = 0.0) -> list[float]:
        return [s for s in self._clock._starts(min(until, self._end), since) if s <= self._end]

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        return tuple(s for s in self._starts(until, since) if since <= s <= until)

    def cycle_ends(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        return self.breakpoints(until, since)  # a cycle ends where the next one restarts

    def _cycle_state(self, t: Any, xp: Namespace) -> tuple[Any, Any]:
        index, offset, _ = self._clock._cycle(t, xp)
        if self.cycles is None:
            return index, offset
        within = self._within(t, index)
        return xp.where(within, index, float(self.cycles)), xp.where(within, offset, xp.maximum(t - self._end, 0.0))

    def pieces(self, until: float) -> tuple[Piece, ...]:
        # The shape falls toward the floor: the value falls if the top is above it.
        return self._cycle_pieces(until, lambda i: sign(float(self._top(i, MATH)) - self._levels[0]))

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        # The height: the shape's own trend, turned over in a cycle that runs upside down,
        # by the cycle's index as `_height` turns it (not by a rounded top).
        return self._cycle_pieces(until, lambda i: -1 if self._upside_down_in(i) else 1)

    def _upside_down_in(self, i: float) -> bool:
        """Whether cycle i runs upside down: `_height`'s rule for one cycle."""
        if self._upside_down != "some":
            return self._upside_down == "all"
        return self._first_upside_down if i < self._turn else not self._first_upside_down

    def _cycle_pieces(self, until: float, direction: Any) -> tuple[Piece, ...]:
        first = self._clock.first_cycle_steps
        inner = [p for p in self.decay.shape_pieces(first) if p.start < first]
        edges = [0.0, *(s for s in self._starts(until) if s > 0.0)]
        if self._end > edges[-1]:
            edges.append(INF)
        out: list[Piece] = []
        for i, (a, b) in enumerate(zip(edges[:-1], edges[1:], strict=True)):
            toward = direction(float(i))
            # A cycle running past `until` stretches to where the clock ends it (infinite
            # where that lies beyond float range).
            stretch = ((b if b < INF else self._clock.cycle_start(i + 1)) - a) / first
            for p in inner:
                trend = None if p.trend is None else p.trend * toward
                # (A cycle start is its own: 0 * an infinite stretch would be NaN.)
                start = a + p.start * stretch if p.start > 0.0 else a
                # (A cycle end is its own: a + (b - a) / T0 * T0 may round below b.)
                end = min(b if p.end >= first else a + p.end * stretch, b, until)
                if start <= until:
                    out.append(Piece(start, end, trend))
        if self._end <= until:
            out.append(Piece(self._end, until, 0))
        return tuple(p for p in out if p.end > p.start or p.start == until == 0.0)


restarts = Restarts
