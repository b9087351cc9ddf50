"""The LR range sweep: the learning rate of Smith's LR range test.

Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017, section 3.3
("run the model for several epochs while letting the learning rate increase linearly
between low and high LR values"); the exponential sweep is the one fastai and
torch-lr-finder run by default. From step `num_steps` on the sweep is `end_lr` exactly,
and no step gives a value outside `[start_lr, end_lr]`: rounding in `exp` (or in the
sum) would otherwise put the last step a few ulp above its bound.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from lrsched._namespace import Namespace
from lrsched.base import INF, Piece, Shaped, clip_pieces, frozen_value, register
from lrsched.params import LR, Interval, OneOf, Steps


@register
@frozen_value
class RangeSweep(Shaped):
    r"""The LR grows from `start_lr` to `end_lr` over `num_steps`, then holds `end_lr`.

    .. math::

        \text{exp: } \mathrm{lr}_i = s \, q^i, \quad q = (e / s)^{1/n}
        \qquad \text{linear: } \mathrm{lr}_i = s + (e - s) \, i / n

    computed as :math:`s \exp(\min(i, n) \log(e / s) / n)`. The shape (read by
    `inverse_momentum`) is the position along the sweep: in log-LR for "exp".

    Args:
        start_lr: s, the LR at step 0.
        end_lr: e, the LR from step n on (e / s must be finite).
        num_steps: n, the steps of the sweep.
        mode: geometric ("exp") or arithmetic ("linear") steps.

    Reference: Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017,
    section 3.3.

    >>> s = range_sweep(start_lr=1e-7, end_lr=10.0, num_steps=8)
    >>> [f"{s(i):.0e}" for i in range(0, 9, 2)], s(100)
    (['1e-07', '1e-05', '1e-03', '1e-01', '1e+01'], 10.0)
    """

    policy = "range_sweep"
    start_lr: Annotated[float, LR]
    end_lr: Annotated[float, Interval(gt="start_lr", scale="lr")]
    num_steps: Annotated[float, Steps]
    mode: Annotated[str, OneOf(("exp", "linear"))] = "exp"

    @classmethod
    def example(cls) -> RangeSweep:
        return cls(start_lr=1e-7, end_lr=10.0, num_steps=95)  # the seeds' LR finder

    def __post_init__(self) -> None:
        super().__post_init__()
        if not math.isfinite(self.end_lr / self.start_lr):
            raise ValueError(f"end_lr / start_lr must be a finite ratio; got {self.end_lr!r} / {self.start_lr!r}")

    @property
    def geometric(self) -> bool:  # type: ignore[override]
        return self.mode == "exp"

    @property
    def levels(self) -> tuple[float, float]:
        return (self.start_lr, self.end_lr)

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        return xp.minimum(t, self.num_steps) / self.num_steps

    @property
    def shape_slope(self) -> float:
        return 1.0 / self.num_steps

    def _value(self, t: Any, xp: Namespace) -> Any:
        inside = self._from_shape(self.start_lr, self.end_lr, self.shape_at(t, xp), xp)
        return xp.where(t >= self.num_steps, self.end_lr, inside)

    @property
    def ratio(self) -> float:
        """q, the factor between consecutive steps of the exponential sweep."""
        return float((self.end_lr / self.start_lr) ** (1.0 / self.num_steps))

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        return clip_pieces([Piece(0.0, self.num_steps, 1), Piece(self.num_steps, INF, 0)], until)


range_sweep = RangeSweep
