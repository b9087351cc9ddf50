"""Cyclical momentum, inverse to the LR.

Smith, "A disciplined approach to neural network hyper-parameters: Part 1" (2018),
section 4.2: "cyclical momentum in the opposite direction from cyclical LR" — momentum
at its highest where the LR is at its floor, at its lowest where the LR peaks.
"""

from __future__ import annotations

from typing import Annotated, Any

from lrsched._namespace import MATH, Namespace, prepare
from lrsched.base import Part, Piece, Schedule, Shaped, flip_trend, frozen_value, register
from lrsched.one_cycle import OneCycle
from lrsched.params import Interval, UnitInterval


@register
@frozen_value
class InverseMomentum(Shaped):
    r"""Momentum that moves opposite to a schedule's shape.

    .. math::

        m(t) = m_{max} - (m_{max} - m_{base}) \cdot \mathrm{shape}(t)

    where shape(t) in [0, 1] is the schedule's public `height_at`: where its LR stands
    between its lowest and its highest level (its `shape_at`, turned over for a schedule
    that rises: momentum is highest where the LR is lowest, whichever way the LR runs).
    For `one_cycle` that is the position within the current phase (torch's `OneCycleLR`
    with `cycle_momentum=True`: down to base while the LR rises, up to max while it falls,
    held at max through the annihilation phase);
    for `cyclic` torch `CyclicLR`'s `rise * scale`; for the cosine policies the cosine
    wave (times the peak decay); for `range_sweep` the position along the sweep (log-LR
    for "exp"); a warmup holds the momentum of its schedule's step 0.

    Args:
        schedule: the LR schedule to move against.
        base_momentum: the lowest momentum (at the LR's peak).
        max_momentum: the highest momentum (at the LR's floor).

    Reference: Smith, "A disciplined approach to neural network hyper-parameters: Part
    1", 2018, section 4.2 (0.85 to 0.95 are his recommended bounds).

    >>> lr = cyclic(base_lr=0.1, max_lr=1.0, step_size_up=10)
    >>> m = inverse_momentum(schedule=lr)
    >>> m(0), m(10), round(m(5), 12)
    (0.95, 0.85, 0.9)
    """

    policy = "inverse_momentum"
    schedule: Annotated[Schedule, Part()]
    base_momentum: Annotated[float, UnitInterval] = 0.85
    max_momentum: Annotated[float, Interval(ge="base_momentum", le=1.0)] = 0.95

    @classmethod
    def example(cls) -> InverseMomentum:
        return cls(schedule=OneCycle(max_lr=0.1, total_steps=1000))

    @property
    def levels(self) -> tuple[float, float]:
        return (self.base_momentum, self.max_momentum)

    def _value(self, t: Any, xp: Namespace) -> Any:
        # `from_lr_shape`, inlined: a call fewer on the hot path
        return xp.between(self.max_momentum, self.base_momentum, self.schedule.height_at(t, xp))

    # Its `_value` is the levels' formula written out: a max_momentum below float32's
    # sizes (a factor of a product) takes its log from the levels, the size taken out
    # first (the log of the flushed value was -inf).
    _log_value = Shaped._levels_log_value

    def from_lr_shape(self, shape: Any, xp: Namespace = MATH) -> Any:
        """The momentum where the schedule's height is `shape` (e.g. from its
        `value_and_height`: one evaluation serves the LR and the momentum)."""
        return xp.between(self.max_momentum, self.base_momentum, shape)

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        return 1.0 - self.schedule.height_at(t, xp)

    @property
    def shape_slope(self) -> float:
        return self.schedule.shape_slope

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        return tuple(flip_trend(p) for p in self.schedule.height_pieces(until))

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        return self.schedule.breakpoints(until, since)

    def cycle_ends(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        return self.schedule.cycle_ends(until, since)

    def _cycle_state(self, t: Any, xp: Namespace) -> tuple[Any, Any]:
        return self.schedule._cycle_state(t, xp)


inverse_momentum = InverseMomentum


def check_drives_beta(name: str, momentum: Schedule) -> Schedule:
    """`momentum`, if it can drive an Adam-family beta1 (ValueError otherwise): Adam's bias
    correction divides by 1 - beta1**t, so beta1 = 1 makes every update NaN. (SGD's
    momentum 1.0 stays legal: this check is for betas only.)"""
    top = momentum.bounds[1]
    if top >= 1.0:
        raise ValueError(
            f"{name} reaches {top!r} (max_momentum), but it drives an Adam-family beta1, which must stay "
            f"below 1 (the bias correction divides by 1 - beta1**t): use max_momentum < 1 (e.g. 0.95)"
        )
    return momentum


def lr_and_momentum(schedule: Schedule, momentum: Schedule | None, step: Any) -> tuple[Any, Any]:
    """`(schedule(step), momentum(step))` (momentum None: `(schedule(step), None)`).

    Where `momentum` is `inverse_momentum` of this very schedule, the schedule's shape
    is evaluated once for both: the values are the same, the work half.
    """
    if momentum is None:
        return schedule(step), None
    if isinstance(momentum, InverseMomentum) and momentum.schedule is schedule:
        t, xp = prepare(step)
        value, height = schedule.value_and_height(t, xp)
        return xp.finish(value), xp.finish(momentum.from_lr_shape(height, xp))
    return schedule(step), momentum(step)
