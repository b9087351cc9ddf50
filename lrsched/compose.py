"""Compositions: a warmup prefix, and schedules run back to back.

`warmup(schedule, steps, start_lr=0.0, shape=)`: for t < steps the LR ramps from
`start_lr` to `target = schedule(0)`, then `schedule(t - steps)` runs::

    linear:    start_lr + (target - start_lr) * t / steps      (Goyal et al., 2017)
    exp:       start_lr * (target / start_lr) ** (t / steps)   ("gradual warmup", seed 003)
    constant:  start_lr, then a jump to target at `steps`       (constant warmup, seed 003)

`join(schedules, boundaries)`: schedule k runs on [b_{k-1}, b_k), each from its own step
0 (optax's `join_schedules`): lr(t) = schedules[k](t - b_{k-1}), b_{-1} = 0.
Flat-then-anneal is `join([constant(lr=a), cosine_decay(initial_lr=a, ...)], [n])`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from lrsched import _checks
from lrsched.base import Piece, Schedule, between, clip_pieces, require_schedule, set_field, shift_pieces, sign


def _inner_window(since: float, until: float, shift: float) -> tuple[float, float]:
    """The inner schedule's steps [since - shift, until - shift], widened by the rounding
    of the subtraction: the caller filters on the shifted values themselves, so an end
    that shifts to exactly `since` or `until` is neither lost nor double-counted."""
    slack = 4 * math.ulp(max(abs(until), abs(shift), 1.0))
    return max(since - shift - slack, 0.0), until - shift + slack


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Warmup(Schedule):
    """`warmup(schedule=, steps=, start_lr=0.0, shape="linear"|"exp"|"constant")`."""

    policy = "warmup"
    schedule: Schedule
    steps: float
    start_lr: float = 0.0
    shape: str = "linear"
    _target: float = dataclasses.field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        require_schedule("schedule", self.schedule)
        # Derived once: the ramp reads it on every call.
        set_field(self, "_target", float(self.schedule(0.0)))
        set_field(self, "steps", _checks.real("steps", self.steps, low=0.0, low_open=True))
        shape = _checks.choice("shape", self.shape, ("linear", "exp", "constant"))
        if shape == "exp":
            start = _checks.real("start_lr", self.start_lr, low=0.0, low_open=True)
            if self.target <= 0.0:
                raise ValueError(f"shape='exp' needs schedule(0) > 0 to ramp to; got {self.target!r}")
        else:
            start = _checks.real("start_lr", self.start_lr, low=0.0)
        set_field(self, "start_lr", start)

    @property
    def target(self) -> float:
        """The value the ramp reaches: the wrapped schedule's value at its step 0."""
        return self._target

    def _ramp(self, t: Any, xp: Any) -> Any:
        fraction = xp.minimum(t, self.steps) / self.steps
        if self.shape == "linear":
            return between(self.start_lr, self.target, fraction, xp)
        if self.shape == "exp":
            # In logs: target / start_lr may overflow for a tiny start_lr.
            low, high = math.log(self.start_lr), math.log(self.target)
            ends = sorted((self.start_lr, self.target))
            return xp.clip(xp.exp(low + (high - low) * fraction), ends[0], ends[1])
        return t * 0.0 + self.start_lr

    def _value(self, t: Any, xp: Any) -> Any:
        def part(k: int, t: Any, xp: Any) -> Any:
            return self._ramp(t, xp) if k == 0 else self.schedule._value(xp.maximum(t - self.steps, 0.0), xp)

        return xp.select(t, (self.steps,), part)

    def _peak_fraction(self, t: Any, xp: Any) -> Any:
        # Momentum holds its start value through the ramp, then follows the schedule.
        def part(k: int, t: Any, xp: Any) -> Any:
            shifted = xp.maximum(t - self.steps, 0.0)
            return self.schedule._peak_fraction(shifted if k else shifted * 0.0, xp)

        return xp.select(t, (self.steps,), part)

    @property
    def _fraction_slope(self) -> float:
        return self.schedule._fraction_slope

    @property
    def bounds(self) -> tuple[float, float]:
        low, high = self.schedule.bounds
        return (min(low, self.start_lr), max(high, self.start_lr))

    @property
    def max_slope(self) -> float:
        ramp = 0.0
        if self.shape == "linear":
            ramp = abs(self.target - self.start_lr) / self.steps
        elif self.shape == "exp":
            log_gap = abs(math.log(self.target) - math.log(self.start_lr))
            ramp = max(self.start_lr, self.target) * log_gap / self.steps
        return max(ramp, self.schedule.max_slope)

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        jump = (self.steps,) if self.shape == "constant" and self.start_lr != self.target else ()
        shifted: tuple[float, ...] = ()
        if until >= self.steps:
            shifted = self.schedule.breakpoints(until - self.steps, max(since - self.steps, 0.0))
        return tuple(b for b in (*jump, *(b + self.steps for b in shifted)) if since <= b <= until)

    def cycle_ends(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        if until < self.steps:
            self.schedule.cycle_ends(0.0)  # raises for a schedule without cycles
            return ()
        low, high = _inner_window(since, until, self.steps)
        inner = self.schedule.cycle_ends(high, low)
        return tuple(e + self.steps for e in inner if since <= e + self.steps <= until)

    def _pieces(self, until: float, trend: int, fraction: bool) -> tuple[Piece, ...]:
        head = [Piece(0.0, self.steps, trend)]
        if until <= self.steps:
            return clip_pieces(head, until)
        pieces = self.schedule._fraction_pieces if fraction else self.schedule.pieces
        return clip_pieces(head + shift_pieces(pieces(until - self.steps), self.steps), until)

    def pieces(self, until: float) -> tuple[Piece, ...]:
        trend = 0 if self.shape == "constant" else sign(self.target - self.start_lr)
        return self._pieces(until, trend, fraction=False)

    def _fraction_pieces(self, until: float) -> tuple[Piece, ...]:
        return self._pieces(until, 0, fraction=True)  # held through the ramp


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Join(Schedule):
    """`join(schedules=[...], boundaries=[...])`, len(boundaries) == len(schedules) - 1."""

    policy = "join"
    schedules: Sequence[Schedule]  # stored as a tuple
    boundaries: Sequence[float]  # stored as a tuple

    def __post_init__(self) -> None:
        parts = _checks.sequence("schedules", self.schedules)
        if not parts:
            raise ValueError("schedules must hold at least one schedule; got []")
        set_field(self, "schedules", tuple(require_schedule(f"schedules[{i}]", s) for i, s in enumerate(parts)))
        bounds = _checks.sorted_steps("boundaries", self.boundaries, strict=True)
        if len(bounds) != len(parts) - 1:
            raise ValueError(
                f"boundaries must hold len(schedules) - 1 = {len(parts) - 1} steps; got {len(bounds)}"
            )
        if bounds and bounds[0] <= 0:
            raise ValueError(f"boundaries must be > 0; got {list(bounds)!r}")
        set_field(self, "boundaries", bounds)

    def _starts(self) -> tuple[float, ...]:
        return (0.0, *self.boundaries)

    def _part(self, method: str, t: Any, xp: Any) -> Any:
        starts = self._starts()

        def part(k: int, t: Any, xp: Any) -> Any:
            return getattr(self.schedules[k], method)(xp.maximum(t - starts[k], 0.0), xp)

        return xp.select(t, self.boundaries, part)

    def _value(self, t: Any, xp: Any) -> Any:
        return self._part("_value", t, xp)

    def _peak_fraction(self, t: Any, xp: Any) -> Any:
        return self._part("_peak_fraction", t, xp)

    @property
    def _fraction_slope(self) -> float:
        return max(s._fraction_slope for s in self.schedules)

    @property
    def bounds(self) -> tuple[float, float]:
        return (min(s.bounds[0] for s in self.schedules), max(s.bounds[1] for s in self.schedules))

    @property
    def max_slope(self) -> float:
        return max(s.max_slope for s in self.schedules)

    def _segments(self, until: float) -> list[tuple[Schedule, float, float]]:
        ends = (*self.boundaries, math.inf)
        return [(s, a, b) for s, a, b in zip(self.schedules, self._starts(), ends, strict=True) if a <= until]

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        out = [b for b in self.boundaries if since <= b <= until]
        for schedule, start, end in self._segments(until):
            inner = schedule.breakpoints(min(until, end) - start, max(since - start, 0.0))
            out += [start + b for b in inner if since <= start + b < end]
        return tuple(sorted(set(out)))

    def cycle_ends(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        """The ends of the cycles of the parts that have them, each within its segment."""
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
            pieces = schedule._fraction_pieces if fraction else schedule.pieces
            for p in shift_pieces(pieces(min(until, end) - start), start):
                out.append(Piece(p.start, min(p.end, end), p.trend))
        return clip_pieces([p for p in out if p.end > p.start], until)

    def pieces(self, until: float) -> tuple[Piece, ...]:
        return self._pieces(until, fraction=False)

    def _fraction_pieces(self, until: float) -> tuple[Piece, ...]:
        return self._pieces(until, fraction=True)


warmup = Warmup
join = Join
