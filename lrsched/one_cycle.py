"""The 1cycle policy: Smith, "Super-Convergence: Very Fast Training of Neural Networks
Using Large Learning Rates" (2018) and "A disciplined approach to neural network
hyper-parameters: Part 1" (2018), section 4.

With `initial = max_lr / div_factor`, `final = initial / final_div_factor` and
`p = pct_start * total_steps`, the LR anneals between knots::

    two-phase (default):  initial --[0, p]--> max_lr --[p, T]--> final
    three-phase (Smith):  initial --[0, p]--> max_lr --[p, 2p]--> initial --[2p, T]--> final

    anneal cos:     end + (start - end) * (1 + cos(pi * f)) / 2,  f in [0, 1]
    anneal linear:  start + (end - start) * f

and holds `final` from `T = total_steps` on. The last phase is the annihilation tail.
torch's `OneCycleLR` puts every knot one step earlier (at p - 1, 2p - 2 and T - 1); the
README gives the call that reproduces it. Seed 004: `one_cycle(max_lr=0.8,
total_steps=95, pct_start=41/95, div_factor=10, final_div_factor=10, anneal="linear",
three_phase=True)` is 0.08 at 0, 0.8 at 41, 0.08 at 82 and 0.008 at 95.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from lrsched import _checks
from lrsched.base import INF, Piece, Schedule, between, clip_pieces, set_field, sign


def anneal(kind: str, start: Any, end: Any, fraction: Any, xp: Any) -> Any:
    """Move from `start` (fraction 0) to `end` (fraction 1) along a cosine or a line."""
    if kind == "cos":
        return between(end, start, 0.5 * (1.0 + xp.cos(math.pi * fraction)), xp)
    return between(start, end, fraction, xp)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class OneCycle(Schedule):
    """`one_cycle(max_lr=, total_steps=, pct_start=0.3, div_factor=25.0,
    final_div_factor=1e4, anneal="cos"|"linear", three_phase=False)`."""

    policy = "one_cycle"
    max_lr: float
    total_steps: float
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    anneal: str = "cos"
    three_phase: bool = False

    def __post_init__(self) -> None:
        set_field(self, "max_lr", _checks.real("max_lr", self.max_lr, low=0.0, low_open=True))
        total = _checks.real("total_steps", self.total_steps, low=0.0, low_open=True)
        set_field(self, "total_steps", total)
        pct = _checks.real("pct_start", self.pct_start, low=0.0, high=1.0, low_open=True, high_open=True)
        set_field(self, "pct_start", pct)
        set_field(self, "div_factor", _checks.real("div_factor", self.div_factor, low=1.0))
        set_field(self, "final_div_factor", _checks.real("final_div_factor", self.final_div_factor, low=1.0))
        set_field(self, "anneal", _checks.choice("anneal", self.anneal, ("cos", "linear")))
        three = _checks.boolean("three_phase", self.three_phase)
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

    def _phase(self, k: int, t: Any, xp: Any, levels: tuple[float, ...]) -> Any:
        if k == len(self._knots):
            return levels[-1]
        start = self._starts[k]
        fraction = xp.minimum(xp.maximum((t - start) / (self._knots[k] - start), 0.0), 1.0)
        return anneal(self.anneal, levels[k], levels[k + 1], fraction, xp)

    def _value(self, t: Any, xp: Any) -> Any:
        return xp.select(t, self._knots, self._phase, self._levels)

    def _peak_fraction(self, t: Any, xp: Any) -> Any:
        return xp.select(t, self._knots, self._phase, self._peak_levels)

    def _steepest(self, levels: tuple[float, ...]) -> float:
        factor = math.pi / 2 if self.anneal == "cos" else 1.0
        starts = (0.0, *self.knots[:-1])
        return max(
            factor * abs(levels[k + 1] - levels[k]) / (self.knots[k] - starts[k])
            for k in range(len(self.knots))
        )

    @property
    def bounds(self) -> tuple[float, float]:
        return (self.final_lr, self.max_lr)

    @property
    def max_slope(self) -> float:
        return self._steepest(self._levels)

    @property
    def _fraction_slope(self) -> float:
        return self._steepest(self._peak_levels)

    def _level_pieces(self, levels: tuple[float, ...], until: float) -> tuple[Piece, ...]:
        starts = (0.0, *self.knots)
        out = [
            Piece(starts[k], self.knots[k], sign(levels[k + 1] - levels[k]))
            for k in range(len(self.knots))
        ]
        return clip_pieces([*out, Piece(self.total_steps, INF, 0)], until)

    def pieces(self, until: float) -> tuple[Piece, ...]:
        return self._level_pieces(self._levels, until)

    def _fraction_pieces(self, until: float) -> tuple[Piece, ...]:
        return self._level_pieces(self._peak_levels, until)


one_cycle = OneCycle
