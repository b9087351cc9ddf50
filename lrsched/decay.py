"""Decay policies: constant, step, multi-step and exponential.

    constant(lr):                       lr(t) = lr
    step_decay(initial_lr, drop, every):  lr(t) = initial_lr * drop ** floor(t / every)
    multi_step(initial_lr, milestones, gamma):
                                        lr(t) = initial_lr * gamma ** #{m in milestones : m <= t}
    exponential(initial_lr, gamma):     lr(t) = initial_lr * gamma ** t

Step decay is the "most popular" annealing of seed 002 and torch's `StepLR`;
`multi_step` is torch's `MultiStepLR` (a repeated milestone applies gamma twice, as
there); `exponential` is torch's `ExponentialLR` and seed 000's "x0.97 after each
epoch" (`exponential(initial_lr=..., gamma=0.97)` stepped per epoch).
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Sequence
from typing import Any

from lrsched import _checks
from lrsched.base import INF, Piece, Schedule, clip_pieces, cycle_position, set_field


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Constant(Schedule):
    """`constant(lr=)`."""

    policy = "constant"
    lr: float

    def __post_init__(self) -> None:
        set_field(self, "lr", _checks.real("lr", self.lr, low=0.0))

    def _value(self, t: Any, xp: Any) -> Any:
        return t * 0.0 + self.lr

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.lr, self.lr)

    @property
    def max_slope(self) -> float:
        return 0.0

    def pieces(self, until: float) -> tuple[Piece, ...]:
        return clip_pieces([Piece(0.0, INF, 0)], until)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class StepDecay(Schedule):
    """`step_decay(initial_lr=, drop=, every=)`."""

    policy = "step_decay"
    initial_lr: float
    drop: float
    every: float

    def __post_init__(self) -> None:
        set_field(self, "initial_lr", _checks.real("initial_lr", self.initial_lr, low=0.0, low_open=True))
        set_field(self, "drop", _checks.real("drop", self.drop, low=0.0, high=1.0, low_open=True))
        set_field(self, "every", _checks.length("every", self.every))

    def _value(self, t: Any, xp: Any) -> Any:
        drops, _ = cycle_position(t, self.every, xp)
        # exp(k log drop), not drop**k: in float32 the rounding of drop would grow k-fold.
        return self.initial_lr * xp.exp(drops * math.log(self.drop))

    @property
    def bounds(self) -> tuple[float, float]:
        return (0.0 if self.drop < 1.0 else self.initial_lr, self.initial_lr)

    @property
    def max_slope(self) -> float:
        return 0.0

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        if self.drop == 1.0 or until < since:
            return ()
        first = max(1, math.ceil(since / self.every))
        return tuple(float(k * self.every) for k in range(first, int(until // self.every) + 1))

    def pieces(self, until: float) -> tuple[Piece, ...]:
        return clip_pieces([Piece(0.0, INF, -1)], until)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class MultiStep(Schedule):
    """`multi_step(initial_lr=, milestones=, gamma=0.1)`."""

    policy = "multi_step"
    initial_lr: float
    milestones: Sequence[float]  # stored as a tuple
    gamma: float = 0.1

    def __post_init__(self) -> None:
        set_field(self, "initial_lr", _checks.real("initial_lr", self.initial_lr, low=0.0, low_open=True))
        set_field(self, "milestones", _checks.sorted_steps("milestones", self.milestones, strict=False))
        set_field(self, "gamma", _checks.real("gamma", self.gamma, low=0.0, high=1.0, low_open=True))

    def _value(self, t: Any, xp: Any) -> Any:
        return xp.select(t, self.milestones, lambda passed, t, xp: self.initial_lr * self.gamma**passed)

    def _peak_fraction(self, t: Any, xp: Any) -> Any:
        # Per phase, in float64 before any float32 step sees it: with gamma near 1 the
        # range high - low is below float32's resolution of the values themselves.
        low = self.gamma ** len(self.milestones)

        def fraction(passed: int, t: Any, xp: Any) -> Any:
            return 0.0 if low == 1.0 else (self.gamma**passed - low) / (1.0 - low)

        return xp.select(t, self.milestones, fraction)

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.initial_lr * self.gamma ** len(self.milestones), self.initial_lr)

    @property
    def max_slope(self) -> float:
        return 0.0

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        if self.gamma == 1.0:
            return ()
        low, high = bisect.bisect_left(self.milestones, since), bisect.bisect_right(self.milestones, until)
        inside = self.milestones[low:high]
        return tuple(sorted({float(m) for m in inside}))

    def pieces(self, until: float) -> tuple[Piece, ...]:
        return clip_pieces([Piece(0.0, INF, -1)], until)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Exponential(Schedule):
    """`exponential(initial_lr=, gamma=)`."""

    policy = "exponential"
    initial_lr: float
    gamma: float

    def __post_init__(self) -> None:
        set_field(self, "initial_lr", _checks.real("initial_lr", self.initial_lr, low=0.0, low_open=True))
        set_field(self, "gamma", _checks.real("gamma", self.gamma, low=0.0, high=1.0, low_open=True))

    def _value(self, t: Any, xp: Any) -> Any:
        return self.initial_lr * xp.exp(t * math.log(self.gamma))

    @property
    def bounds(self) -> tuple[float, float]:
        return (0.0 if self.gamma < 1.0 else self.initial_lr, self.initial_lr)

    @property
    def max_slope(self) -> float:
        return self.initial_lr * abs(math.log(self.gamma))

    def pieces(self, until: float) -> tuple[Piece, ...]:
        return clip_pieces([Piece(0.0, INF, -1)], until)


constant = Constant
step_decay = StepDecay
multi_step = MultiStep
exponential = Exponential
