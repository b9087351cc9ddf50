"""The range test's settings: the sweep every runner follows, one frozen value checked
when it is built.

Every runner (torch, optax, Keras, the Lightning callback) and the `lrsched find`
command take these seven settings as keyword arguments, with the defaults written here
only: `RangeTestSettings()` holds them, and the runners' own defaults read
`DEFAULT_SETTINGS`.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
from typing import Any

from lrsched.sweep import RangeSweep, range_sweep


def check_smoothing(value: float) -> None:
    """`smoothing`, the EMA's beta: in [0, 1)."""
    if not 0.0 <= value < 1.0:
        raise ValueError(f"smoothing must be in [0, 1); got {value!r}")


def check_diverge(value: float) -> None:
    """`diverge`, the ratio over the best smoothed loss that ends the sweep: in (1, inf)."""
    if not (math.isfinite(value) and value > 1.0):
        raise ValueError(f"diverge must be a finite number in (1, inf); got {value!r}")


@dataclasses.dataclass(frozen=True)
class RangeTestSettings:
    """The LR range test's sweep, as every runner takes it.

    Args:
        start_lr: the LR of the first step, > 0.
        end_lr: the LR of the last step, > start_lr (their ratio finite).
        num_steps: the optimizer steps of the sweep, a whole number >= 2.
        mode: "exp" (geometric steps, a log-LR axis) or "linear".
        smoothing: the beta of the bias-corrected EMA that watches the loss, in [0, 1).
        diverge: the sweep stops where the smoothed loss exceeds the best so far by
            `(diverge - 1) * |best|`; in (1, inf).
        progress: show a progress bar (None: when stderr is a terminal).

    Built with a value out of range, it raises the ValueError that names the setting,
    the value and the range; nothing is trained before it is built. The runners build
    it from their keyword arguments of the same names, in this order.
    """

    start_lr: float = 1e-7
    end_lr: float = 10.0
    num_steps: int = 100
    mode: str = "exp"
    smoothing: float = 0.98
    diverge: float = 4.0
    progress: bool | None = None

    def __post_init__(self) -> None:
        steps = self.num_steps
        if not isinstance(steps, numbers.Integral) or isinstance(steps, bool) or steps < 2:
            raise ValueError(f"num_steps must be a whole number >= 2; got {steps!r}")
        object.__setattr__(self, "num_steps", int(steps))  # a NumPy integer taken as the int it is
        _ = self.schedule  # built (and kept) here: range_sweep checks start_lr, end_lr and mode
        check_smoothing(self.smoothing)
        check_diverge(self.diverge)

    @functools.cached_property
    def schedule(self) -> RangeSweep:
        """The LR of each step: `schedule(i)` for i in 0 .. num_steps - 1, from start_lr
        to end_lr."""
        return range_sweep(start_lr=self.start_lr, end_lr=self.end_lr, num_steps=self.num_steps - 1, mode=self.mode)

    @property
    def sweep(self) -> tuple[float, float, int]:
        """(start_lr, end_lr, num_steps), as a record keeps them."""
        return (float(self.start_lr), float(self.end_lr), self.num_steps)

    @property
    def log_lr(self) -> bool:
        """Whether the LR axis is logarithmic (an "exp" sweep)."""
        return self.mode == "exp"

    def recorded(self) -> dict[str, Any]:
        """What a record of this sweep keeps of it: `RangeTestRecord(..., **settings.recorded())`."""
        return {"smoothing": self.smoothing, "diverge": self.diverge, "log_lr": self.log_lr, "sweep": self.sweep}

    @classmethod
    def of(cls, settings: RangeTestSettings | None = None, **changes: Any) -> RangeTestSettings:
        """`settings` (by default the defaults) with `changes` (start_lr=..., ...) made, checked."""
        if settings is None:
            return cls(**changes)
        return dataclasses.replace(settings, **changes) if changes else settings


DEFAULT_SETTINGS = RangeTestSettings()
DEFAULT_SWEEP = DEFAULT_SETTINGS.sweep  # (start_lr, end_lr, num_steps): every runner's default
DEFAULT_SMOOTHING = DEFAULT_SETTINGS.smoothing
DEFAULT_DIVERGE = DEFAULT_SETTINGS.diverge
# The names of the settings, as the runners take them (keyword arguments).
SETTING_NAMES = tuple(field.name for field in dataclasses.fields(RangeTestSettings))


def check_sweep_settings(**settings: Any) -> tuple[RangeSweep, dict[str, Any]]:
    """Check the sweep's settings (`start_lr=`, `end_lr=`, `num_steps=`, `mode=`,
    `smoothing=`, `diverge=`; the others at their defaults) as `run_sweep` does before
    any training: the LR sweep to follow and what the record keeps of the settings, or
    a ValueError naming the one that is out of range. `RangeTestSettings(...)` checks
    the same, as one value."""
    checked = RangeTestSettings(**settings)
    return checked.schedule, checked.recorded()
