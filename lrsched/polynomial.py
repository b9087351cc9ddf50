"""Polynomial decay: the LR falls as a power of the steps left.

The default decay of torch (`PolynomialLR`), optax (`polynomial_schedule`), Keras
(`PolynomialDecay`), timm (`PolyLRScheduler`) and Hugging Face (`polynomial`); power 1
is the linear decay most fine-tuning recipes use.
"""

from __future__ import annotations

from typing import Annotated, Any

from lrsched._namespace import Namespace
from lrsched.base import INF, Piece, RestartableDecay, clip_pieces, frozen_value, k_decayed, multiples, register
from lrsched.params import Factor, Flag, Length, Positive


@register
@frozen_value
class Polynomial(RestartableDecay):
    r"""From `initial_lr` down to `final_lr` as :math:`(1 - t/D)^p`, then flat (or up to
    it, for a `final_lr` above `initial_lr`: optax's rising `polynomial_schedule`).

    .. math::

        \mathrm{lr}(t) = f + (i - f) \left(1 - \left(\tfrac{\min(t, D)}{D}\right)^{k}\right)^{p}

    With `cycle` (Keras' `cycle=True`) the horizon grows to the next multiple of D
    instead: :math:`D_t = D \lceil t / D \rceil` (D at t = 0), so the LR climbs back at
    each multiple of D and decays again, each time from a lower point.

    Args:
        initial_lr: i, the LR at step 0.
        decay_steps: D, where the LR reaches final_lr.
        final_lr: f, the LR from step D on.
        power: p; 1 is a straight line, 2 a parabola, 0.5 a square root.
        cycle: restart the decay at every multiple of D (Keras).
        k_decay: k, the decay's clock runs as (t / D)**k (timm's `k_decay`).

    Reference: torch `PolynomialLR(total_iters=D, power=p)` (f = 0), optax
    `polynomial_schedule`, Keras `PolynomialDecay`; polynomial ("poly") decay
    popularised by Chen et al., "DeepLab", TPAMI 2018, section 4.1.

    >>> s = polynomial(initial_lr=1.0, decay_steps=10, power=2.0)
    >>> s(0), s(5), s(10), s(100)
    (1.0, 0.25, 0.0, 0.0)
    """

    policy = "polynomial"
    decay_steps: Annotated[float, Length]  # a cycle's length with `cycle`
    power: Annotated[float, Positive] = 1.0
    cycle: Annotated[bool, Flag()] = False
    k_decay: Annotated[float, Factor] = 1.0

    @classmethod
    def example(cls) -> Polynomial:
        return cls(initial_lr=0.1, decay_steps=300, final_lr=0.01, power=2.0, cycle=True)

    def _horizon(self, t: Any, xp: Namespace) -> Any:
        """With `cycle`: the next multiple of D at or after t (D itself at t = 0), counted
        exactly."""
        k = xp.floor(t / self.decay_steps)
        k = xp.where(k * self.decay_steps < t, k + 1.0, k)
        return xp.maximum(k, 1.0) * self.decay_steps

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        horizon = self._horizon(t, xp) if self.cycle else self.decay_steps
        # 1 - (t/H)**k without cancelling near H (a power below 1 magnified it: 2e-4 off
        # at 2 ulp from the end for p = 0.001): (H - t) / H, and for k != 1 `k_decayed`
        # (H - t rounds to H in float32 early in a long decay, where (t/H)**k for k < 1
        # does not: the LR stood at its peak for the first steps of a 2**31-step decay).
        along = xp.minimum(t, horizon)
        left = (horizon - along) / horizon
        if self.k_decay != 1.0:
            left = k_decayed(along / horizon, left, self.k_decay, xp)[1]
        return xp.power(left, self.power)

    @property
    def shape_slope(self) -> float:
        # d/dt (1 - (t/D)**k)**p is at most p k / D for p, k >= 1; below 1 either power
        # makes it unbounded (at t = D for p, at t = 0 for k).
        return self.power * self.k_decay / self.decay_steps if min(self.power, self.k_decay) >= 1.0 else INF

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        return multiples(self.decay_steps, until, since) if self.cycle else ()

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        if not self.cycle:
            return clip_pieces([Piece(0.0, self.decay_steps, -1), Piece(self.decay_steps, INF, 0)], until)
        ends = [0.0, *self.breakpoints(until), INF]
        return clip_pieces([Piece(a, b, -1) for a, b in zip(ends[:-1], ends[1:], strict=True)], until)


polynomial = Polynomial
