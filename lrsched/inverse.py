"""Inverse-time decay: the LR falls as a power of the elapsed time, with no horizon.

Power 1 is Keras' `InverseTimeDecay`; power 1/2 is the inverse square root of the
Transformer ("Noam") and T5 schedules and Hugging Face's `inverse_sqrt`.
"""

from __future__ import annotations

from typing import Annotated, Any

from lrsched._namespace import Namespace
from lrsched.base import INF, Piece, Shaped, clip_pieces, cycle_position, frozen_value, multiples, register
from lrsched.params import LR, Factor, Flag, Steps, check_repeating_length


@register
@frozen_value
class InverseDecay(Shaped):
    r"""`initial_lr` divided by a power of `1 + rate * t / D`.

    .. math::

        \mathrm{lr}(t) = \frac{i}{(1 + r\, p)^{a}}, \qquad
        p = t / D \;\; (\lfloor t / D \rfloor \text{ with staircase})

    It never reaches 0 and has no end: it suits training of open length.

    Args:
        initial_lr: i, the LR at step 0.
        decay_steps: D, the steps over which `1 + r p` grows by r (Keras `decay_steps`;
            Hugging Face's `timescale` with r = 1).
        decay_rate: r.
        power: a; 1 is Keras' `InverseTimeDecay`, 0.5 the inverse square root.
        staircase: p is the whole number of D-step periods elapsed.

    Reference: Keras `InverseTimeDecay`; Vaswani et al., "Attention Is All You Need",
    NeurIPS 2017, section 5.3 (lr proportional to step ** -0.5 after warmup); Raffel et
    al., "Exploring the Limits of Transfer Learning" (T5), JMLR 2020, section 3.1.2.

    >>> s = inverse_decay(initial_lr=1.0, decay_steps=10, power=0.5)
    >>> s(0), s(30), s(150)
    (1.0, 0.5, 0.25)
    """

    policy = "inverse_decay"
    initial_lr: Annotated[float, LR]
    decay_steps: Annotated[float, Steps]
    decay_rate: Annotated[float, Factor] = 1.0
    power: Annotated[float, Factor] = 1.0
    staircase: Annotated[bool, Flag()] = False

    @classmethod
    def example(cls) -> InverseDecay:
        return cls(initial_lr=0.1, decay_steps=50, power=0.5)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.staircase:
            check_repeating_length("decay_steps", self.decay_steps, "with staircase=True (each stair's length)")

    @property
    def levels(self) -> tuple[float, float]:
        return (0.0, self.initial_lr)

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        periods = cycle_position(t, self.decay_steps, xp)[0] if self.staircase else t / self.decay_steps
        if self.power == 1.0:
            return 1.0 / (1.0 + self.decay_rate * periods)
        return xp.exp(-self.power * xp.log1p(self.decay_rate * periods))

    @property
    def shape_slope(self) -> float:
        # d/dt (1 + r t / D)**-a is largest at t = 0: a r / D. A staircase is flat between drops.
        return 0.0 if self.staircase else self.power * self.decay_rate / self.decay_steps

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        return multiples(self.decay_steps, until, since) if self.staircase else ()

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        return clip_pieces([Piece(0.0, INF, -1)], until)


inverse_decay = InverseDecay
