"""The LR range sweep: the learning rate of Smith's LR range test.

Exponential (the default), after Smith, "Cyclical Learning Rates for Training Neural
Networks" (2017), section 3.3, and the seeds' formula::

    lr_i = start_lr * q**i,   q = (end_lr / start_lr) ** (1 / num_steps)

computed as `start_lr * exp(i * log(end_lr / start_lr) / num_steps)`. Linear::

    lr_i = start_lr + (end_lr - start_lr) * i / num_steps

From step `num_steps` on the sweep is `end_lr` exactly, and no step gives a value
outside `[start_lr, end_lr]`: rounding in `exp` (or in the sum) would otherwise put the
last step a few ulp above its bound.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from lrsched import _checks
from lrsched.base import INF, Piece, Schedule, between, clip_pieces, set_field


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class RangeSweep(Schedule):
    """`range_sweep(start_lr=, end_lr=, num_steps=, mode="exp"|"linear")`."""

    policy = "range_sweep"
    start_lr: float
    end_lr: float
    num_steps: float
    mode: str = "exp"

    def __post_init__(self) -> None:
        start = _checks.real("start_lr", self.start_lr, low=0.0, low_open=True)
        set_field(self, "start_lr", start)
        end = _checks.real("end_lr", self.end_lr, low=start, low_open=True)
        if not math.isfinite(end / start):
            raise ValueError(f"end_lr / start_lr must be a finite ratio; got {end!r} / {start!r}")
        set_field(self, "end_lr", end)
        set_field(self, "num_steps", _checks.real("num_steps", self.num_steps, low=0.0, low_open=True))
        set_field(self, "mode", _checks.choice("mode", self.mode, ("exp", "linear")))

    def _peak_fraction(self, t: Any, xp: Any) -> Any:
        # The position along the sweep: in log-LR for "exp", in LR for "linear".
        return xp.minimum(t, self.num_steps) / self.num_steps

    @property
    def _fraction_slope(self) -> float:
        return 1.0 / self.num_steps

    def _value(self, t: Any, xp: Any) -> Any:
        done = self._peak_fraction(t, xp)
        if self.mode == "exp":
            value = self.start_lr * xp.exp(math.log(self.end_lr / self.start_lr) * done)
            inside = xp.clip(value, self.start_lr, self.end_lr)
        else:
            inside = between(self.start_lr, self.end_lr, done, xp)
        return xp.where(t >= self.num_steps, self.end_lr, inside)

    @property
    def ratio(self) -> float:
        """q, the factor between consecutive steps of the exponential sweep."""
        return float((self.end_lr / self.start_lr) ** (1.0 / self.num_steps))

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.start_lr, self.end_lr)

    @property
    def max_slope(self) -> float:
        if self.mode == "exp":
            return self.end_lr * math.log(self.end_lr / self.start_lr) / self.num_steps
        return (self.end_lr - self.start_lr) / self.num_steps

    def pieces(self, until: float) -> tuple[Piece, ...]:
        return clip_pieces([Piece(0.0, self.num_steps, 1), Piece(self.num_steps, INF, 0)], until)


range_sweep = RangeSweep
