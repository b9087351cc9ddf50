"""REX, the reflected exponential decay: a budgeted schedule that stays near its peak
longer than a straight line and falls to its end value by the end of the budget.

Chen, Wolfe & Kyrillidis, "REX: Revisiting Budgeted Training with an Improved Schedule",
MLSys 2022. Popular implementations use the paper's profile with a factor 0.9 in the
denominator; `beta` gives both.
"""

from __future__ import annotations

from typing import Annotated, Any

from lrsched._namespace import Namespace
from lrsched.base import INF, Piece, RestartableDecay, clip_pieces, frozen_value, register
from lrsched.params import Length, UnitInterval


@register
@frozen_value
class Rex(RestartableDecay):
    r"""From `initial_lr` to `final_lr` over `decay_steps` along the REX profile, then flat.

    .. math::

        z = \tfrac{\min(t, D)}{D}, \qquad
        \mathrm{lr}(t) = f + (i - f)\, \frac{1 - z}{1 - \beta z / 2}

    With beta = 1 (the paper's profile) the LR is 2/3 of the way up at half the budget,
    where a linear decay is at 1/2; beta = 0 is the linear decay.

    Args:
        initial_lr: i, the LR at step 0.
        decay_steps: D, the budget: the LR reaches final_lr at step D.
        final_lr: f, the LR from step D on.
        beta: beta, the profile's curvature; 1 is the paper's, 0.9 the common code's.

    Reference: Chen, Wolfe & Kyrillidis, "REX: Revisiting Budgeted Training with an
    Improved Schedule", MLSys 2022, section 3.

    >>> s = rex(initial_lr=1.0, decay_steps=10)
    >>> s(0), round(s(5), 6), s(10), s(100)
    (1.0, 0.666667, 0.0, 0.0)
    """

    policy = "rex"
    decay_steps: Annotated[float, Length]
    beta: Annotated[float, UnitInterval] = 1.0

    @classmethod
    def example(cls) -> Rex:
        return cls(initial_lr=0.1, decay_steps=1000)

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        z = xp.minimum(t, self.decay_steps) / self.decay_steps
        return (1.0 - z) / (1.0 - 0.5 * self.beta * z)

    @property
    def shape_slope(self) -> float:
        # |d/dz (1 - z) / (1 - c z)| = (1 - c) / (1 - c z)**2, largest at z = 1: 1 / (1 - c).
        return 1.0 / ((1.0 - 0.5 * self.beta) * self.decay_steps)

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        return clip_pieces([Piece(0.0, self.decay_steps, -1), Piece(self.decay_steps, INF, 0)], until)


rex = Rex
