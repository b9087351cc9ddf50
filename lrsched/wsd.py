"""Warmup-stable-decay: a warmup, a long flat stretch at the peak, and a short cooldown.

The shape of most recent large-model training (and timm's and Hugging Face's WSD): the
flat stretch can be extended or branched from without knowing the run's length, and
the cooldown recovers what a cosine would have given.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Annotated, Any

from lrsched._namespace import Namespace
from lrsched.base import INF, Piece, Schedule, Shaped, clip_pieces, frozen_value, register, set_field
from lrsched.compose import RAMPS, ramp, ramp_slope
from lrsched.params import LR, Factor, Interval, NonNegative, OneOf, OpenFraction, Steps, StepsOrZero

COOLDOWNS = ("linear", "cosine", "1-sqrt", "power", "exp")


@register
@frozen_value
class WarmupStableDecay(Shaped):
    r"""A warmup to `peak_lr` over W steps, the peak for S steps, a cooldown to `final_lr`
    over D steps, then `final_lr`.

    .. math::

        \mathrm{lr}(t) = \begin{cases}
            \mathrm{ramp}(s \to p,\; t / W) & t < W \\
            \sigma(t) & W \le t < W + S \\
            f + (\sigma(t) - f)\, d\left(\tfrac{t - W - S}{D}\right) & W + S \le t < W + S + D \\
            f & \text{after}
        \end{cases}

    The stable stretch holds the peak, :math:`\sigma(t) = p`, or with a `stable_power`
    q > 0 decays as :math:`\sigma(t) = \max(p\,(1 + (t - W)/\tau)^{-q}, f)` (q = 1/2 is the
    reciprocal square root of Big Vision; timm's `stable_fn` "rsqrt" and "power"), on
    through the cooldown, which scales what is left above f.

    Cooldowns d(x), from 1 at x = 0 to 0 at x = 1: linear 1 - x; cosine
    :math:`\tfrac12(1 + \cos \pi x)`; 1-sqrt :math:`1 - \sqrt{x}`; power
    :math:`1 - x^{q}`; exp :math:`(\rho^x - \rho) / (1 - \rho)`. The warmup's shapes are
    `warmup`'s: linear, cosine, 1-sqrt, exp, constant.

    Args:
        peak_lr: p, the LR of the stable stretch.
        stable_steps: S.
        decay_steps: D, the cooldown's length.
        warmup_steps: W (0: none).
        start_lr: s, where the warmup starts (> 0 for an "exp" warmup).
        final_lr: f, where the cooldown ends.
        warmup_shape: the warmup's shape.
        decay_shape: the cooldown's shape d.
        decay_power: q, for decay_shape "power".
        decay_ratio: rho, for decay_shape "exp".
        stable_power: q, how the stable stretch decays; 0 holds the peak.
        stable_timescale: tau, its timescale in steps; None: warmup_steps.

    Reference: Hu et al., "MiniCPM", 2024, section 4 (warmup-stable-decay); Hägele et
    al., "Scaling Laws and Compute-Optimal Training Beyond Fixed Training Durations",
    NeurIPS 2024, section 3 (the 1-sqrt cooldown). timm `WSDLRScheduler`, Hugging Face
    `warmup_stable_decay`.

    >>> s = warmup_stable_decay(peak_lr=1.0, warmup_steps=10, stable_steps=70, decay_steps=20)
    >>> s(5), s(10), s(79), s(85), s(100)
    (0.5, 1.0, 1.0, 0.5, 0.0)
    """

    policy = "warmup_stable_decay"
    peak_lr: Annotated[float, LR]
    stable_steps: Annotated[float, StepsOrZero]
    decay_steps: Annotated[float, Steps]
    warmup_steps: Annotated[float, StepsOrZero] = 0.0
    start_lr: Annotated[float, Interval(ge=0.0, le="peak_lr", scale="lr")] = 0.0
    final_lr: Annotated[float, Interval(ge=0.0, le="peak_lr", scale="lr")] = 0.0
    warmup_shape: Annotated[str, OneOf(RAMPS)] = "linear"
    decay_shape: Annotated[str, OneOf(COOLDOWNS)] = "1-sqrt"
    decay_power: Annotated[float, Factor] = 0.5
    decay_ratio: Annotated[float, OpenFraction] = 0.1
    stable_power: Annotated[float, NonNegative] = 0.0
    stable_timescale: Annotated[float | None, Steps.or_none()] = None
    _timescale: float = dataclasses.field(init=False, repr=False, compare=False)
    _knots: tuple[float, float, float] = dataclasses.field(init=False, repr=False, compare=False)

    @classmethod
    def example(cls) -> WarmupStableDecay:
        return cls(peak_lr=0.1, warmup_steps=100, stable_steps=650, decay_steps=200, final_lr=0.001)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.warmup_shape == "exp" and self.warmup_steps > 0.0 and self.start_lr <= 0.0:
            raise ValueError(f"start_lr must be in (0, peak_lr] for warmup_shape='exp'; got {self.start_lr!r}")
        timescale = self.warmup_steps if self.stable_timescale is None else self.stable_timescale
        if self.stable_power > 0.0 and timescale <= 0.0:
            raise ValueError(
                "stable_timescale must be in (0, inf) for stable_power > 0 (it defaults to warmup_steps, "
                f"here {self.warmup_steps!r})"
            )
        set_field(self, "_timescale", timescale)
        cooldown = self.warmup_steps + self.stable_steps
        # Floats: sums of whole parameters may pass 2**31, which JAX would take as an int32.
        set_field(self, "_knots", (float(self.warmup_steps), float(cooldown), float(cooldown + self.decay_steps)))

    @property
    def levels(self) -> tuple[float, float]:
        low = min(self.start_lr, self.final_lr) if self.warmup_steps > 0.0 else self.final_lr
        return (low, self.peak_lr)

    def _cooldown(self, x: Any, xp: Namespace) -> Any:
        """d(x): from 1 at x = 0 to 0 at x = 1."""
        if self.decay_shape == "linear":
            return 1.0 - x
        if self.decay_shape == "cosine":
            return 0.5 * (1.0 + xp.cos(math.pi * x))
        if self.decay_shape in ("1-sqrt", "power"):
            return 1.0 - xp.power(x, 0.5 if self.decay_shape == "1-sqrt" else self.decay_power)
        # (rho**x - rho) / (1 - rho) = rho**x expm1(L (1 - x)) / expm1(L), L = log(rho): no
        # cancellation for rho near 1 (where the plain form gives 0 for every float32 x),
        # and nothing overflows for rho near 0 (every factor is at most 1 in size).
        log_rho = math.log(self.decay_ratio)
        return (1.0 / math.expm1(log_rho)) * xp.exp(log_rho * x) * xp.expm1(log_rho * (1.0 - x))

    def _phase(self, k: int, t: Any, xp: Namespace) -> Any:
        warmup_end, cooldown_start, _ = self._knots
        if k == 0:
            # warmup_steps = 0: never chosen, but tracing frameworks evaluate it.
            fraction = xp.minimum(t, warmup_end) / (warmup_end or 1.0)
            return ramp(self.warmup_shape, self.start_lr, self.peak_lr, fraction, xp)
        if k == 1:
            return self._stable(t, xp)
        if k == 2:
            x = xp.clip((t - cooldown_start) / self.decay_steps, 0.0, 1.0)
            if self.stable_power == 0.0:
                return xp.between(self.final_lr, self.peak_lr, self._cooldown(x, xp))
            above = self._stable(t, xp) - self.final_lr
            return xp.clip(self.final_lr + above * self._cooldown(x, xp), self.final_lr, self.peak_lr)
        return xp.full_like(t, self.final_lr)

    def _stable(self, t: Any, xp: Namespace) -> Any:
        """sigma(t): the peak, or its decay (1 + (t - W)/tau)**-q held above final_lr."""
        if self.stable_power == 0.0:
            return xp.full_like(t, self.peak_lr)
        since = xp.maximum(t - self.warmup_steps, 0.0) / self._timescale
        return xp.maximum(self.peak_lr * xp.exp(-self.stable_power * xp.log1p(since)), self.final_lr)

    def _value(self, t: Any, xp: Namespace) -> Any:
        return xp.select(t, self._knots, self._phase)

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        low, peak = self.levels
        if peak == low:
            return xp.full_like(t, 1.0)  # flat at the peak
        # The value between its levels, as any schedule's default shape reads it.
        return Schedule.shape_at(self, t, xp)

    @property
    def shape_slope(self) -> float:
        low, peak = self.levels
        if peak == low:
            return 0.0
        fall = self.peak_lr - self.final_lr
        if fall == 0.0:
            cooldown = 0.0
        elif self.decay_shape == "linear":
            cooldown = fall / self.decay_steps
        elif self.decay_shape == "cosine":
            cooldown = math.pi / 2 * fall / self.decay_steps
        elif self.decay_shape == "1-sqrt" or (self.decay_shape == "power" and self.decay_power < 1.0):
            cooldown = INF  # d/dx x**q is unbounded at x = 0 for q < 1
        elif self.decay_shape == "power":
            cooldown = self.decay_power * fall / self.decay_steps
        else:
            rho = self.decay_ratio
            cooldown = abs(math.log(rho)) / (1.0 - rho) * fall / self.decay_steps
        warmup = ramp_slope(self.warmup_shape, self.start_lr, self.peak_lr, self.warmup_steps)
        # sigma falls fastest at its start: p q / tau; in the cooldown both factors move.
        stable = self.peak_lr * self.stable_power / self._timescale if self.stable_power > 0.0 else 0.0
        return max(warmup, cooldown + stable) / (peak - low)

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        jumps = self.warmup_shape == "constant" and self.warmup_steps > 0.0 and self.start_lr != self.peak_lr
        return (self.warmup_steps,) if jumps and since <= self.warmup_steps <= until else ()

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        warmup_end, cooldown_start, end = self._knots
        rising = 0 if self.warmup_shape == "constant" or self.start_lr == self.peak_lr else 1
        falling = -1 if self.final_lr < self.peak_lr else 0
        pieces = [
            Piece(0.0, warmup_end, rising),
            Piece(warmup_end, cooldown_start, falling if self.stable_power > 0.0 else 0),
            Piece(cooldown_start, end, falling),
            Piece(end, INF, 0),
        ]
        return clip_pieces([p for p in pieces if p.end > p.start], until)


warmup_stable_decay = WarmupStableDecay
