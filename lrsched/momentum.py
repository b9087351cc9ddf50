"""Cyclical momentum, inverse to the LR: Smith, "A disciplined approach to neural
network hyper-parameters: Part 1" (2018), section 4.2 — "cyclical momentum in the
opposite direction from cyclical LR" (seed 001)::

    momentum(t) = max_momentum - (max_momentum - base_momentum) * peak(t)

`peak(t)` in [0, 1] is where the LR stands between its cycle floor and its peak: for
`one_cycle` the position within the current phase (as torch's `OneCycleLR` with
`cycle_momentum=True`: down to base while the LR rises, up to max while it falls, held
at max through the annihilation phase), for `cyclic` torch `CyclicLR`'s `rise * scale`,
for `cosine_decay` and `cosine_restarts` the cosine wave (times the peak decay), for
`range_sweep` the position along the sweep (log-LR for "exp"), for other schedules
`(lr - low) / (high - low)` over their `bounds`; a warmup holds the
momentum of its schedule's step 0.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from lrsched import _checks
from lrsched.base import Piece, Schedule, between, require_schedule, set_field, shift_pieces


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class InverseMomentum(Schedule):
    """`inverse_momentum(schedule=, base_momentum=0.85, max_momentum=0.95)`."""

    policy = "inverse_momentum"
    schedule: Schedule
    base_momentum: float = 0.85
    max_momentum: float = 0.95

    def __post_init__(self) -> None:
        require_schedule("schedule", self.schedule)
        base = _checks.real("base_momentum", self.base_momentum, low=0.0, high=1.0)
        set_field(self, "base_momentum", base)
        set_field(self, "max_momentum", _checks.real("max_momentum", self.max_momentum, low=base, high=1.0))

    def _value(self, t: Any, xp: Any) -> Any:
        return between(self.max_momentum, self.base_momentum, self.schedule._peak_fraction(t, xp), xp)

    def _peak_fraction(self, t: Any, xp: Any) -> Any:
        return 1.0 - self.schedule._peak_fraction(t, xp)

    @property
    def _fraction_slope(self) -> float:
        return self.schedule._fraction_slope

    def _fraction_pieces(self, until: float) -> tuple[Piece, ...]:
        return self.pieces(until)

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.base_momentum, self.max_momentum)

    @property
    def max_slope(self) -> float:
        return (self.max_momentum - self.base_momentum) * self.schedule._fraction_slope

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        return self.schedule.breakpoints(until, since)

    def cycle_ends(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        return self.schedule.cycle_ends(until, since)

    def _cycle_state(self, t: Any, xp: Any) -> tuple[Any, Any]:
        return self.schedule._cycle_state(t, xp)

    def pieces(self, until: float) -> tuple[Piece, ...]:
        return tuple(shift_pieces(self.schedule._fraction_pieces(until), 0.0, trend_sign=-1))


inverse_momentum = InverseMomentum
