"""Cyclical learning rates (CLR): triangular, triangular2 and exp_range.

Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017, section 3.1.
Equal to `torch.optim.lr_scheduler.CyclicLR` step for step, momentum included (its
`scale_mode` is fixed by `mode`, as in torch's defaults).
"""

from __future__ import annotations

import dataclasses
import math
import sys
from typing import Annotated, Any

from lrsched._namespace import Namespace
from lrsched.base import Piece, Shaped, clip_pieces, cycle_position, frozen_value, multiples, register, set_field
from lrsched.params import Fraction, Interval, Length, LRFloor, OneOf


@register
@frozen_value
class Cyclic(Shaped):
    r"""The LR climbs linearly from `base_lr` to `max_lr` and back, cycle after cycle.

    With :math:`u` = step_size_up, :math:`d` = step_size_down, cycle
    :math:`k = \lfloor t / (u + d) \rfloor` and position :math:`p = t - k (u + d)`:

    .. math::

        \mathrm{rise}(t) = p / u \ (p \le u), \qquad (u + d - p) / d \ (p > u)

        \mathrm{lr}(t) = \mathrm{base} + (\mathrm{max} - \mathrm{base}) \cdot \mathrm{rise}(t) \cdot \mathrm{scale}(t)

    where scale is 1 (triangular), :math:`2^{-k}` (triangular2: the amplitude halves
    every cycle) or :math:`\gamma^t` (exp_range: decays per step).

    Args:
        base_lr: the floor of every cycle.
        max_lr: the first cycle's peak.
        step_size_up: u, steps from floor to peak.
        step_size_down: d, steps from peak to floor; None: equal to u.
        mode: how the amplitude changes from cycle to cycle.
        gamma: the per-step decay of exp_range; 1 for the other modes.

    Reference: Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017,
    section 3.1 (the triangular policy; triangular2 and exp_range in its figure 2).

    >>> s = cyclic(base_lr=0.1, max_lr=1.0, step_size_up=10, mode="triangular2")
    >>> s(0), s(10), s(20), s(30), s.cycle_ends(60)
    (0.1, 1.0, 0.1, 0.55, (20.0, 40.0, 60.0))
    """

    policy = "cyclic"
    base_lr: Annotated[float, LRFloor]
    max_lr: Annotated[float, Interval(ge="base_lr", scale="lr")]
    step_size_up: Annotated[float, Length]
    step_size_down: Annotated[float | None, Length.or_none()] = None
    mode: Annotated[str, OneOf(("triangular", "triangular2", "exp_range"))] = "triangular"
    gamma: Annotated[float, Fraction] = 1.0

    @classmethod
    def example(cls) -> Cyclic:
        return cls(base_lr=0.08, max_lr=0.8, step_size_up=20)  # Smith 2017, triangular

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mode != "exp_range" and self.gamma != 1.0:
            raise ValueError(
                f"gamma applies to mode='exp_range' only; got gamma={self.gamma!r} with mode={self.mode!r}"
            )
        # Derived once: every call reads them.
        # A float: up + down of whole parameters may pass 2**31, which JAX would take as an int32.
        set_field(self, "_down", float(self.step_size_up if self.step_size_down is None else self.step_size_down))
        set_field(self, "_log_gamma", math.log(self.gamma))

    _down: float = dataclasses.field(init=False, repr=False, compare=False)
    _log_gamma: float = dataclasses.field(init=False, repr=False, compare=False)

    @property
    def levels(self) -> tuple[float, float]:
        return (self.base_lr, self.max_lr)

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        # torch's CyclicLR drives momentum by this same product: rise * scale.
        up, down = self.step_size_up, self._down
        k, p = cycle_position(t, up + down, xp)
        rise = xp.where(p <= up, p / up, (up + down - p) / down)
        if self.mode == "triangular2":
            return rise * 0.5**k
        if self.mode == "exp_range":
            return rise * xp.exp(t * self._log_gamma)
        return rise

    def _cycle_state(self, t: Any, xp: Namespace) -> tuple[Any, Any]:
        return cycle_position(t, self.step_size_up + self._down, xp)

    def cycle_ends(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        return multiples(self.step_size_up + self._down, until, since)

    @property
    def shape_range(self) -> tuple[float, float]:
        if self.mode == "exp_range" and self.gamma < 1.0:
            # (t / up) * gamma**t peaks at t = 1 / |log gamma|, or at the first top.
            # Computed as shape_at computes it (exp of t log gamma, not gamma**t, which
            # differ in the last bit), and widened by a few ulps: steps beside the top
            # round their own way on so flat a peak.
            top = min(self.step_size_up, -1.0 / self._log_gamma)
            peak = top / self.step_size_up * math.exp(top * self._log_gamma)
            return (0.0, min(1.0, peak * (1.0 + 8 * sys.float_info.epsilon)))
        return (0.0, 1.0)

    @property
    def shape_slope(self) -> float:
        return 1.0 / min(self.step_size_up, self._down) + abs(math.log(self.gamma))

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        # In exp_range the rising half multiplies a rise by a decay: no monotone claim.
        rising = None if self.mode == "exp_range" and self.gamma < 1.0 else 1
        out, start, up, down = [], 0.0, self.step_size_up, self._down
        while start <= until:
            out += [Piece(start, start + up, rising), Piece(start + up, start + up + down, -1)]
            start += up + down
        return clip_pieces(out, until)


cyclic = Cyclic
