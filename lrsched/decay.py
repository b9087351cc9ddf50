"""Decay policies: constant, step, multi-step and exponential.

Step decay ("drop the LR by a factor every few epochs") is the annealing most networks
were trained with before cyclical schedules (Smith 2017, section 3.1, calls it the most
popular); these equal torch's `StepLR`, `MultiStepLR` and `ExponentialLR`. Powers are
computed as `exp(k * log(gamma))`, not `gamma**k`: in float32 the rounding of gamma
would otherwise grow k-fold.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from typing import Annotated, Any

from lrsched._namespace import Namespace
from lrsched.base import FLOAT_MAX, INF, Piece, Shaped, clip_pieces, cycle_position, frozen_value, multiples, register
from lrsched.params import LR, Fraction, Length, LRFloor, Positive, StepList


@frozen_value
class FactorPerPeriod(Shaped):
    r"""The LR times a `factor` r <= 1 each period: :math:`\mathrm{lr}_0 \cdot r^{n(t)}`,
    n(t) the periods passed by step t. What `step_decay` (a period of `every` steps,
    counted whole) and `exponential` (a period of one step, fractional steps too) share:
    a subclass gives `factor` and `periods`. r = 1 is flat, held at the floor as every
    flat policy; otherwise the shape falls from 1 toward 0 and never rises."""

    initial_lr: Annotated[float, LR]

    @property
    def factor(self) -> float:
        """r, the factor each period."""
        raise NotImplementedError

    def periods(self, t: Any, xp: Namespace) -> Any:
        """n(t), the periods passed by step `t`."""
        raise NotImplementedError

    @property
    def levels(self) -> tuple[float, float]:
        return (0.0 if self.factor < 1.0 else self.initial_lr, self.initial_lr)

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        factor = self.factor
        if factor == 1.0:
            return xp.full_like(t, 0.0)
        return xp.exp(self.periods(t, xp) * math.log(factor))

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        return clip_pieces([Piece(0.0, INF, -1)], until)


@register
@frozen_value
class Constant(Shaped):
    """The same LR at every step: ``lr(t) = lr``.

    Args:
        lr: the LR.

    Reference: torch `ConstantLR(factor=1)`, optax `constant_schedule`; the baseline
    every schedule is measured against.

    >>> s = constant(lr=0.1)
    >>> s(0), s(10**6)
    (0.1, 0.1)
    """

    policy = "constant"
    lr: Annotated[float, LRFloor]

    @classmethod
    def example(cls) -> Constant:
        return cls(lr=0.05)

    @property
    def levels(self) -> tuple[float, float]:
        return (self.lr, self.lr)

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        return xp.full_like(t, 0.0)

    @property
    def shape_slope(self) -> float:
        return 0.0

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        return clip_pieces([Piece(0.0, INF, 0)], until)


@register
@frozen_value
class StepDecay(FactorPerPeriod):
    r"""Multiply the LR by `drop` every `every` steps.

    .. math::

        \mathrm{lr}(t) = \mathrm{lr}_0 \cdot \mathrm{drop}^{\lfloor t / \mathrm{every} \rfloor}

    Args:
        initial_lr: lr_0, the LR at step 0.
        drop: the factor applied at each drop (torch `gamma`).
        every: the steps between drops (torch `step_size`).

    Reference: torch `StepLR(step_size=every, gamma=drop)`.

    >>> s = step_decay(initial_lr=1.0, drop=0.5, every=10)
    >>> s(9), s(10), s(25)
    (1.0, 0.5, 0.25)
    """

    policy = "step_decay"
    peer_names = {"gamma": "drop", "step_size": "every"}  # torch's StepLR
    drop: Annotated[float, Fraction]
    every: Annotated[float, Length]

    @classmethod
    def example(cls) -> StepDecay:
        return cls(initial_lr=0.8, drop=0.5, every=20)  # halved every 20 epochs

    @property
    def factor(self) -> float:
        return self.drop

    def periods(self, t: Any, xp: Namespace) -> Any:
        return cycle_position(t, self.every, xp)[0]  # the drops so far

    @property
    def shape_slope(self) -> float:
        return 0.0  # flat between drops

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        return () if self.drop == 1.0 else multiples(self.every, until, since)


@register
@frozen_value
class MultiStep(Shaped):
    r"""Multiply the LR by `gamma` at each milestone (a repeated milestone applies it twice).

    .. math::

        \mathrm{lr}(t) = \mathrm{lr}_0 \cdot \gamma^{\#\{m \in \mathrm{milestones} : m \le t\}}

    Args:
        initial_lr: lr_0, the LR at step 0.
        milestones: the steps of the drops.
        gamma: the factor applied at each milestone (above 1 the LR steps up).

    Reference: torch `MultiStepLR(milestones, gamma)`.

    >>> s = multi_step(initial_lr=1.0, milestones=[30, 80], gamma=0.1)
    >>> s(29), s(30), round(s(80), 12)
    (1.0, 0.1, 0.01)
    """

    policy = "multi_step"
    initial_lr: Annotated[float, LR]
    milestones: Annotated[Sequence[float], StepList()]  # stored as a tuple
    gamma: Annotated[float, Positive] = 0.1

    @classmethod
    def example(cls) -> MultiStep:
        return cls(initial_lr=0.1, milestones=(300, 600, 800), gamma=0.2)

    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            last = self.initial_lr * self.gamma ** len(self.milestones)
        except OverflowError:
            last = INF
        if not last < FLOAT_MAX:
            raise ValueError(
                f"gamma={self.gamma!r} over {len(self.milestones)} milestones takes the LR beyond the float range"
            )

    @property
    def levels(self) -> tuple[float, float]:
        return (self.initial_lr * self.gamma ** len(self.milestones), self.initial_lr)

    def _value(self, t: Any, xp: Namespace) -> Any:
        # initial_lr * gamma**passed directly: exact where the levels' difference is not.
        return xp.select(t, self.milestones, lambda passed, t, xp: self.initial_lr * self.gamma**passed)

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        # Per phase, in float64 before any float32 step sees it: with gamma near 1 the
        # range high - low is below float32's resolution of the values themselves.
        low = self.gamma ** len(self.milestones)

        def fraction(passed: int, t: Any, xp: Namespace) -> Any:
            return 0.0 if low == 1.0 else (self.gamma**passed - low) / (1.0 - low)

        return xp.select(t, self.milestones, fraction)

    @property
    def shape_slope(self) -> float:
        return 0.0  # flat between milestones

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        if self.gamma == 1.0:
            return ()
        low, high = bisect.bisect_left(self.milestones, since), bisect.bisect_right(self.milestones, until)
        inside = self.milestones[low:high]
        return tuple(sorted({float(m) for m in inside}))

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        return clip_pieces([Piece(0.0, INF, -1)], until)


@register
@frozen_value
class Exponential(FactorPerPeriod):
    r"""Multiply the LR by `gamma` at every step.

    .. math::

        \mathrm{lr}(t) = \mathrm{lr}_0 \cdot \gamma^{t}

    Args:
        initial_lr: lr_0, the LR at step 0.
        gamma: the factor per step. Per epoch, step it once an epoch:
            `exponential(initial_lr=0.1, gamma=0.97)` is "x0.97 after each epoch".

    Reference: torch `ExponentialLR(gamma)`.

    >>> s = exponential(initial_lr=1.0, gamma=0.5)
    >>> s(0), s(1), round(s(3), 12), round(s(0.5), 12)
    (1.0, 0.5, 0.125, 0.707106781187)
    """

    policy = "exponential"
    gamma: Annotated[float, Fraction]

    @classmethod
    def example(cls) -> Exponential:
        return cls(initial_lr=0.01, gamma=0.97)  # x0.97 an epoch

    @property
    def factor(self) -> float:
        return self.gamma

    def periods(self, t: Any, xp: Namespace) -> Any:
        return t  # a factor at every step, fractional steps too

    @property
    def shape_slope(self) -> float:
        return abs(math.log(self.gamma))


constant = Constant
step_decay = StepDecay
multi_step = MultiStep
exponential = Exponential
