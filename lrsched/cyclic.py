"""Cyclical learning rates (CLR): Smith, "Cyclical Learning Rates for Training Neural
Networks", WACV 2017, section 3.1. Equal to `torch.optim.lr_scheduler.CyclicLR` step
for step (its `scale_mode` is fixed by `mode`, as in torch's defaults).

With `total = step_size_up + step_size_down`, cycle `k = floor(t / total)` and
position `p = t - k * total` in the cycle::

    rise(t) = p / step_size_up                     if p <= step_size_up
            = (total - p) / step_size_down         otherwise
    lr(t)   = base_lr + (max_lr - base_lr) * rise(t) * scale(t)

    scale = 1               (triangular)
          = 1 / 2**k        (triangular2: the amplitude halves every cycle)
          = gamma**t        (exp_range: decays per iteration)
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from lrsched import _checks
from lrsched.base import Piece, Schedule, between, clip_pieces, cycle_position, set_field


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Cyclic(Schedule):
    """`cyclic(base_lr=, max_lr=, step_size_up=, step_size_down=None, mode=, gamma=1.0)`."""

    policy = "cyclic"
    base_lr: float
    max_lr: float
    step_size_up: float
    step_size_down: float | None = None
    mode: str = "triangular"
    gamma: float = 1.0

    def __post_init__(self) -> None:
        base = _checks.real("base_lr", self.base_lr, low=0.0)
        set_field(self, "base_lr", base)
        set_field(self, "max_lr", _checks.real("max_lr", self.max_lr, low=base))
        up = _checks.length("step_size_up", self.step_size_up)
        set_field(self, "step_size_up", up)
        if self.step_size_down is not None:
            down = _checks.length("step_size_down", self.step_size_down)
            set_field(self, "step_size_down", down)
        mode = _checks.choice("mode", self.mode, ("triangular", "triangular2", "exp_range"))
        set_field(self, "mode", mode)
        gamma = _checks.real("gamma", self.gamma, low=0.0, high=1.0, low_open=True)
        if mode != "exp_range" and gamma != 1.0:
            raise ValueError(f"gamma applies to mode='exp_range' only; got gamma={gamma!r} with mode={mode!r}")
        set_field(self, "gamma", gamma)

    @property
    def _down(self) -> float:
        return self.step_size_up if self.step_size_down is None else self.step_size_down

    def _peak_fraction(self, t: Any, xp: Any) -> Any:
        # torch's CyclicLR drives momentum by this same product: rise * scale.
        up, down = self.step_size_up, self._down
        k, p = cycle_position(t, up + down, xp)
        rise = xp.where(p <= up, p / up, (up + down - p) / down)
        if self.mode == "triangular2":
            return rise * 0.5**k
        if self.mode == "exp_range":
            return rise * xp.exp(t * math.log(self.gamma))
        return rise

    def _cycle_state(self, t: Any, xp: Any) -> tuple[Any, Any]:
        return cycle_position(t, self.step_size_up + self._down, xp)

    def cycle_ends(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        total = self.step_size_up + self._down
        first = max(1, math.ceil(since / total))
        return tuple(float(k * total) for k in range(first, int(until // total) + 1))

    def _value(self, t: Any, xp: Any) -> Any:
        return between(self.base_lr, self.max_lr, self._peak_fraction(t, xp), xp)

    @property
    def bounds(self) -> tuple[float, float]:
        peak = 1.0
        if self.mode == "exp_range" and self.gamma < 1.0:
            # (t / up) * gamma**t peaks at t = 1 / |log gamma|, or at the first top.
            top = min(self.step_size_up, -1.0 / math.log(self.gamma))
            peak = top / self.step_size_up * self.gamma**top
        return (self.base_lr, self.base_lr + (self.max_lr - self.base_lr) * peak)

    @property
    def _fraction_slope(self) -> float:
        return 1.0 / min(self.step_size_up, self._down) + abs(math.log(self.gamma))

    @property
    def max_slope(self) -> float:
        return (self.max_lr - self.base_lr) * self._fraction_slope

    def pieces(self, until: float) -> tuple[Piece, ...]:
        # In exp_range the rising half multiplies a rise by a decay: no monotone claim.
        rising = None if self.mode == "exp_range" and self.gamma < 1.0 else 1
        out, start, up, down = [], 0.0, self.step_size_up, self._down
        while start <= until:
            out += [Piece(start, start + up, rising), Piece(start + up, start + up + down, -1)]
            start += up + down
        return clip_pieces(out, until)


cyclic = Cyclic
