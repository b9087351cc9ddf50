"""Hyperbolic-tangent decay: a long high plateau, a fall, a long low tail.

Hsueh et al., "Stochastic Gradient Descent with Hyperbolic-Tangent Decay on
Classification", WACV 2019, section 3 (their HTD schedule); timm's `TanhLRScheduler`.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from typing import Annotated, Any

from lrsched._namespace import Namespace
from lrsched.base import INF, Piece, RestartableDecay, clip_pieces, frozen_value, register, set_field
from lrsched.params import Interval


def _half_one_minus_tanh(x: float) -> float:
    """(1 - tanh(x)) / 2 = 1 / (1 + exp(2x)), without overflow."""
    return 1.0 / (1.0 + math.exp(2.0 * x)) if x < 350.0 else 0.0


#: The most either tanh bound may lie from 0.
TANH_LIMIT = 20.0


@register
@frozen_value
class TanhDecay(RestartableDecay):
    r"""From near `initial_lr` to near `final_lr` along a tanh over `decay_steps`, then flat.

    .. math::

        f = \min(t, D) / D, \qquad
        \mathrm{lr}(t) = \mathrm{final} + (i - \mathrm{final})\,
            \tfrac12 \left(1 - \tanh\left(L (1 - f) + U f\right)\right)

    The tanh runs from L (`lower`) to U (`upper`): with timm's -7 and 3 the LR starts a
    hair below `initial_lr` (the factor is 0.9999992) and ends at 0.25% of the way above
    `final_lr`, where it stays.

    Args:
        initial_lr: i, the LR the tanh falls from.
        decay_steps: D.
        final_lr: the LR it falls toward.
        lower: L, the tanh's argument at step 0 (< upper).
        upper: U, its argument at step D.

    Reference: Hsueh et al., "Stochastic Gradient Descent with Hyperbolic-Tangent Decay
    on Classification", WACV 2019, eq. 2 (L = -6, U = 3 there); timm `TanhLRScheduler`
    (lb=-7, ub=3).

    >>> s = tanh_decay(initial_lr=1.0, decay_steps=10, lower=-3.0, upper=3.0)
    >>> round(s(0), 4), round(s(5), 4), round(s(10), 4), round(s(99), 4)
    (0.9975, 0.5, 0.0025, 0.0025)
    """

    policy = "tanh_decay"
    final_lr: Annotated[float, Interval(ge=0.0, le="initial_lr", scale="lr")] = 0.0
    # Within +-TANH_LIMIT, where tanh is not yet +-1 in float64, and exp(2x) fits float32.
    lower: Annotated[float, Interval(ge=-TANH_LIMIT, lt=TANH_LIMIT)] = -7.0
    upper: Annotated[float, Interval(gt="lower", le=TANH_LIMIT)] = 3.0

    _exp_lower: float = dataclasses.field(init=False, repr=False, compare=False)

    @classmethod
    def example(cls) -> TanhDecay:
        return cls(initial_lr=0.1, decay_steps=800, final_lr=0.001)

    def __post_init__(self) -> None:
        super().__post_init__()
        set_field(self, "_exp_lower", math.exp(2.0 * self.lower))

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        f = xp.minimum(t, self.decay_steps) / self.decay_steps
        # (1 - tanh x) / 2 = 1 / (1 + exp(2x)), x = L + (U - L) f, as exp(2L) exp(2 (U - L) f):
        # exp(2L) in float64, so a float32 step does not round L itself (19.3 in float32 is
        # off by 1e-6, which exp(2x) would magnify to 2e-6 of the value).
        return 1.0 / (1.0 + self._exp_lower * xp.exp((2.0 * (self.upper - self.lower)) * f))

    @property
    def shape_range(self) -> tuple[float, float]:
        # Widened by the rounding of exp(2L) exp(2 (U - L)) against exp(2U) (arguments up to
        # 80) and of each backend's exp.
        low, high = _half_one_minus_tanh(self.upper), _half_one_minus_tanh(self.lower)
        slack = 128 * sys.float_info.epsilon
        return (low * (1.0 - slack), min(1.0, high * (1.0 + slack)))

    @property
    def shape_slope(self) -> float:
        # d/dt (1 - tanh x)/2 = -(1 - tanh^2 x)/2 * (U - L)/D: at most (U - L) / 2D.
        return (self.upper - self.lower) / (2.0 * self.decay_steps)

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        return clip_pieces([Piece(0.0, self.decay_steps, -1), Piece(self.decay_steps, INF, 0)], until)


tanh_decay = TanhDecay
