"""What a range test recorded: a frozen value, read by the analysis.

`lrs[i]` is the LR applied at optimizer step i and `losses[i]` the (training or
validation) loss measured there; `stopped` says why the sweep ended. The sweep's own
settings (`smoothing` and `diverge`, which stopped it; `log_lr`, its axis; `sweep`,
its start, end and steps) and the optimizer family it ran with travel with the curve.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from lrsched.rangetest.settings import DEFAULT_DIVERGE, DEFAULT_SMOOTHING, check_diverge, check_smoothing

OPTIMIZER_FAMILIES = ("sgd", "adaptive")
# Optimizers that scale each step by running statistics of the gradients (Adam and its
# kin): their best LRs sit lower, relative to the range test's curve, than SGD's.
ADAPTIVE_OPTIMIZERS = frozenset(
    {
        "adam",
        "adamw",
        "nadam",
        "radam",
        "adamax",
        "sparseadam",
        "adagrad",
        "adadelta",
        "rmsprop",
        "adafactor",
        "lamb",
        "lion",
        "nadamw",
    }
)


def check_optimizer_family(value: str | None) -> None:
    """None (unknown) or one of `OPTIMIZER_FAMILIES`."""
    if value is not None and value not in OPTIMIZER_FAMILIES:
        raise ValueError(f"optimizer must be None or one of {', '.join(map(repr, OPTIMIZER_FAMILIES))}; got {value!r}")


def optimizer_family(name: str) -> str:
    """ "adaptive" for Adam and its kin (by the optimizer's class name, any framework),
    "sgd" for the rest."""
    return "adaptive" if name.lower() in ADAPTIVE_OPTIMIZERS else "sgd"


@dataclasses.dataclass(frozen=True, eq=False)
class RangeTestRecord:
    """The curve a range test recorded, and how it was recorded.

    Args:
        lrs: the LR of each step, finite, > 0 and strictly increasing.
        losses: the loss measured at each step (NaN and inf included: they end a sweep).
        stopped: why the sweep ended ("completed", "diverged at step 41", ...).
        smoothing: the beta of the EMA that watched the loss, in [0, 1).
        diverge: the divergence ratio that would stop the sweep, in (1, inf).
        log_lr: whether the LRs were swept on a log axis ("exp").
        sweep: (start_lr, end_lr, num_steps) of the sweep, or None where unknown.
        optimizer: the optimizer family ("sgd", "adaptive"), or None where unknown.
    """

    lrs: np.ndarray
    losses: np.ndarray
    stopped: str = "completed"
    smoothing: float = DEFAULT_SMOOTHING
    diverge: float = DEFAULT_DIVERGE
    log_lr: bool = True
    sweep: tuple[float, float, int] | None = None
    optimizer: str | None = None

    def __post_init__(self) -> None:
        lrs = np.asarray(self.lrs, dtype=np.float64).ravel()
        losses = np.asarray(self.losses, dtype=np.float64).ravel()
        if lrs.shape != losses.shape:
            raise ValueError(f"lrs and losses must have the same length; got {lrs.size} and {losses.size}")
        if not np.all(np.isfinite(lrs) & (lrs > 0)):
            raise ValueError("lrs must be finite and > 0")
        if lrs.size > 1 and not np.all(np.diff(lrs) > 0):
            raise ValueError("lrs must be strictly increasing (a range sweep)")
        check_smoothing(self.smoothing)
        check_diverge(self.diverge)
        if self.sweep is not None:
            start, end, steps = self.sweep
            if not (0.0 < start < end < math.inf and isinstance(steps, int) and steps >= 2):
                raise ValueError(
                    f"sweep must be (start_lr, end_lr, num_steps) with 0 < start < end, steps >= 2; got {self.sweep!r}"
                )
            object.__setattr__(self, "sweep", (float(start), float(end), int(steps)))
        check_optimizer_family(self.optimizer)
        lrs.setflags(write=False)
        losses.setflags(write=False)
        object.__setattr__(self, "lrs", lrs)
        object.__setattr__(self, "losses", losses)

    @property
    def stopped_by_loss(self) -> bool:
        """Whether the loss ended the sweep (it diverged or was not finite)."""
        return self.stopped.startswith(("diverged", "non-finite"))

    def settings(self) -> dict[str, object]:
        """Everything but the curve: what the JSON and CSV files write beside it."""
        return {
            "smoothing": self.smoothing,
            "diverge": self.diverge,
            "log_lr": self.log_lr,
            "stopped": self.stopped,
            "optimizer": self.optimizer,
            "sweep": self.sweep,
        }

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RangeTestRecord):
            return NotImplemented
        return (
            self.settings() == other.settings()
            and np.array_equal(self.lrs, other.lrs)
            and np.array_equal(self.losses, other.losses, equal_nan=True)
        )

    __hash__ = None  # type: ignore[assignment]
