"""The 1cycle policy, with the annihilation phase.

Smith, "Super-Convergence: Very Fast Training of Neural Networks Using Large Learning
Rates" (2018), and "A disciplined approach to neural network hyper-parameters: Part 1"
(2018), section 4.1. torch's `OneCycleLR` puts every knot one step earlier (at p - 1,
2p - 2 and T - 1); `lrsched.compat`'s README table gives the call that reproduces it.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Annotated, Any

from lrsched._namespace import Namespace
from lrsched.base import INF, Piece, Schedule, clip_pieces, frozen_value, register, set_field, sign
from lrsched.params import LR, Flag, Growth, OneOf, OpenFraction, Steps


def anneal(kind: str, start: Any, end: Any, fraction: Any, xp: Namespace) -> Any:
    """Move from `start` (fraction 0) to `end` (fraction 1) along a cosine or a line."""
    if kind == "cos":
        return xp.between(end, start, 0.5 * (1.0 + xp.cos(math.pi * fraction)))
    return xp.between(start, end, fraction)


@register
@frozen_value
class OneCycle(Schedule):
    r"""One cycle up and down, then the annihilation tail far below the start.

    With :math:`i` = max_lr / div_factor, :math:`f = i` / final_div_factor and
    :math:`p` = pct_start * total_steps, the LR anneals between knots::

        two-phase (default):  i --[0, p]--> max_lr --[p, T]--> f
        three-phase (Smith):  i --[0, p]--> max_lr --[p, 2p]--> i --[2p, T]--> f

    .. math::

        \text{cos: } e + (s - e) \tfrac12 (1 + \cos \pi x), \qquad
        \text{linear: } s + (e - s) x, \qquad x \in [0, 1] \text{ through the phase}

    and holds :math:`f` from T = total_steps on. Its momentum shape (read by
    `inverse_momentum`) is torch's: down to base while the LR rises, back up while it
    falls, held at max through the annihilation phase.

    Args:
        max_lr: the peak.
        total_steps: T, where the final LR is reached.
        pct_start: the share of T spent rising (below 0.5 with three_phase).
        div_factor: max_lr over the initial LR.
        final_div_factor: the initial LR over the final one.
        anneal: the curve of each phase.
        three_phase: Smith's version (up, back down to the initial LR, then the tail).

    Reference: Smith, "A disciplined approach to neural network hyper-parameters: Part
    1", 2018, section 4.1. His ResNet-56 on CIFAR-10 (batch 512, momentum 0.9: the LR
    from 0.08 up to 0.8 over 41 epochs, back over 41, then 13 epochs down to 0.008;
    about 91.3% accuracy in 95 epochs) is the three-phase example below, per epoch.

    >>> s = one_cycle(max_lr=0.8, total_steps=95, pct_start=41/95, div_factor=10,
    ...               final_div_factor=10, anneal="linear", three_phase=True)
    >>> [round(s(k), 12) for k in (0, 41, 82, 95, 200)]
    [0.08, 0.8, 0.08, 0.008, 0.008]
    """

    policy = "one_cycle"
    max_lr: Annotated[float, LR]
    total_steps: Annotated[float, Steps]
    pct_start: Annotated[float, OpenFraction] = 0.3
    div_factor: Annotated[float, Growth] = 25.0
    final_div_factor: Annotated[float, Growth] = 1e4
    anneal: Annotated[str, OneOf(("cos", "linear"))] = "cos"
    three_phase: Annotated[bool, Flag()] = False

    @classmethod
    def example(cls) -> OneCycle:
        # Smith 2018's three phases over 95 steps, with the seeds' numbers.
        return cls(
            max_lr=0.8,
            total_steps=95,
            pct_start=41 / 95,
            div_factor=10,
            final_div_factor=10,
            anneal="linear",
            three_phase=True,
        )

    def __post_init__(self) -> None:
        super().__post_init__()
        pct, total, three = self.pct_start, self.total_steps, self.three_phase
        if three and 2 * pct >= 1.0:
            raise ValueError(f"pct_start must be in (0, 0.5) when three_phase=True; got {pct!r}")
        # Derived once: the scalar path reads these on every call.
        p = pct * total
        low, peak, end = self.initial_lr, self.max_lr, self.final_lr
        set_field(self, "_knots", (p, 2 * p, total) if three else (p, total))
        set_field(self, "_starts", (0.0, p, 2 * p) if three else (0.0, p))
        set_field(self, "_levels", (low, peak, low, end) if three else (low, peak, end))
        # torch's OneCycleLR momentum: down to base in phase 1, back up in phase 2,
        # held at max through the annihilation phase.
        set_field(self, "_peak_levels", (0.0, 1.0, 0.0, 0.0) if three else (0.0, 1.0, 0.0))

    @property
    def initial_lr(self) -> float:
        return self.max_lr / self.div_factor

    @property
    def final_lr(self) -> float:
        return self.initial_lr / self.final_div_factor

    _knots: tuple[float, ...] = dataclasses.field(init=False, repr=False, compare=False)
    _starts: tuple[float, ...] = dataclasses.field(init=False, repr=False, compare=False)
    _levels: tuple[float, ...] = dataclasses.field(init=False, repr=False, compare=False)
    _peak_levels: tuple[float, ...] = dataclasses.field(init=False, repr=False, compare=False)

    @property
    def knots(self) -> tuple[float, ...]:
        """The steps where the phases end; the last is `total_steps`."""
        return self._knots

    def _phase(self, k: int, t: Any, xp: Namespace, levels: tuple[float, ...]) -> Any:
        knots = self._knots
        if k == len(knots):
            return levels[-1]
        start = self._starts[k]
        fraction = xp.clip((t - start) / (knots[k] - start), 0.0, 1.0)
        return anneal(self.anneal, levels[k], levels[k + 1], fraction, xp)

    def _value(self, t: Any, xp: Namespace) -> Any:
        return xp.select(t, self._knots, self._phase, self._levels)

    def _phase_pair(self, k: int, t: Any, xp: Namespace) -> tuple[Any, Any]:
        knots, levels, shape = self._knots, self._levels, self._peak_levels
        if k == len(knots):
            return levels[-1], shape[-1]
        start = self._starts[k]
        fraction = xp.clip((t - start) / (knots[k] - start), 0.0, 1.0)
        kind = self.anneal
        return (
            anneal(kind, levels[k], levels[k + 1], fraction, xp),
            anneal(kind, shape[k], shape[k + 1], fraction, xp),
        )

    def value_and_shape(self, t: Any, xp: Namespace) -> tuple[Any, Any]:
        return xp.select_pair(t, self._knots, self._phase_pair)  # one phase lookup for both

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        return xp.select(t, self._knots, self._phase, self._peak_levels)

    # Its shape never runs upside down (`rises` is False): its height is its shape, read
    # without the turn-over's test (the hot path of its momentum).
    height_at = shape_at

    def _steepest(self, levels: tuple[float, ...]) -> float:
        factor = math.pi / 2 if self.anneal == "cos" else 1.0
        starts = (0.0, *self.knots[:-1])
        return max(
            factor * abs(levels[k + 1] - levels[k]) / (self.knots[k] - starts[k]) for k in range(len(self.knots))
        )

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.final_lr, self.max_lr)

    @property
    def max_slope(self) -> float:
        return self._steepest(self._levels)

    @property
    def shape_slope(self) -> float:
        return self._steepest(self._peak_levels)

    def _level_pieces(self, levels: tuple[float, ...], until: float) -> tuple[Piece, ...]:
        starts = (0.0, *self.knots)
        out = [Piece(starts[k], self.knots[k], sign(levels[k + 1] - levels[k])) for k in range(len(self.knots))]
        return clip_pieces([*out, Piece(self.total_steps, INF, 0)], until)

    def pieces(self, until: float) -> tuple[Piece, ...]:
        return self._level_pieces(self._levels, until)

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        return self._level_pieces(self._peak_levels, until)


one_cycle = OneCycle
