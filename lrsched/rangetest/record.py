"""What a range test recorded: a frozen value, read by the analysis.

`lrs[i]` is the LR applied at optimizer step i and `losses[i]` the (training or
validation) loss measured there; `stopped` says why the sweep ended. The sweep's own
settings (`smoothing` and `diverge`, which stopped it; `log_lr`, its axis; `sweep`,
its start, end and steps) and the optimizer family it ran with travel with the curve.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from lrsched.rangetest.settings import DEFAULT_DIVERGE, DEFAULT_SMOOTHING, check_diverge, check_smoothing

OPTIMIZER_FAMILIES = ("sgd", "adaptive")
USES = ("constant", "one_cycle", "cyclic")  # what an LR is recommended for
# Optimizers that scale each step by running statistics of the gradients (Adam and its
# kin): their best LRs sit lower, relative to the range test's curve, than SGD's. Read as
# parts of a class's name, so that subclasses and other libraries' variants count
# (AdamW8bit, FusedAdam, AdaBelief, RMSpropTF), and of optax's state classes
# (ScaleByAdamState, ScaleByRssState of Adagrad, FactoredState of Adafactor). LARS and
# LBFGS, whose states hold no such statistics, are SGD's family.
ADAPTIVE_OPTIMIZERS = frozenset(
    {
        "adam",  # Adam, AdamW, NAdam, RAdam, Adamax, SparseAdam, AdamP, ...
        "adagrad",
        "adadelta",
        "adafactor",
        "adabelief",
        "adan",
        "adopt",
        "rmsprop",
        "scalebyrms",  # optax's RMSprop
        "rstddev",  # optax's centered RMSprop
        "scalebyrss",  # optax's Adagrad
        "belief",
        "lion",
        "lamb",
        "laprop",
        "madgrad",
        "novograd",
        "yogi",
        "amsgrad",
        "sm3",
        "factored",  # optax's Adafactor
        "ftrl",
    }
)
# Attributes by which a wrapper holds the optimizer it steps: Keras' LossScaleOptimizer,
# torch's ZeroRedundancyOptimizer, Lightning's LightningOptimizer, accelerate's
# AcceleratedOptimizer.
WRAPPED_OPTIMIZER = ("inner_optimizer", "optim", "_optimizer", "optimizer")


def _names(optimizer: object, seen: set[int], depth: int = 0) -> list[str]:
    """The class names of `optimizer` and its bases, of what it wraps, and (a tuple,
    list or dict: an optax state) of every part. A wrapper is followed a few levels deep
    (an object answering every attribute, a mock, would go on forever)."""
    if id(optimizer) in seen or depth > 8:
        return []
    seen.add(id(optimizer))
    if isinstance(optimizer, (tuple, list)):
        parts: list[object] = list(optimizer)
    elif isinstance(optimizer, dict):
        parts = list(optimizer.values())
    else:
        # A wrapper holds one optimizer: the first of its attributes that names one.
        wrapped = (getattr(optimizer, name, None) for name in WRAPPED_OPTIMIZER)
        parts = [inner for inner in wrapped if inner is not None][:1]
    own = [cls.__name__ for cls in type(optimizer).__mro__]
    return own + [name for part in parts if not isinstance(part, str) for name in _names(part, seen, depth + 1)]


def optimizer_family(optimizer: object) -> str:
    """ "adaptive" for Adam and its kin, "sgd" for the rest: read from an optimizer's
    class name, its base classes' and those of an optimizer it wraps (any framework), or
    from every part of an optax optimizer state; a string is read as a class name."""
    found = [optimizer] if isinstance(optimizer, str) else _names(optimizer, set())
    names = [name.lower() for name in found]
    return "adaptive" if any(token in name for name in names for token in ADAPTIVE_OPTIMIZERS) else "sgd"


def check_optimizer_family(value: str | None) -> None:
    """None (unknown) or one of `OPTIMIZER_FAMILIES`."""
    if value is not None and value not in OPTIMIZER_FAMILIES:
        raise ValueError(f"optimizer must be None or one of {', '.join(map(repr, OPTIMIZER_FAMILIES))}; got {value!r}")


@dataclasses.dataclass(frozen=True)
class Confirmation:
    """What the confirmation stage measured after a sweep: for `use`, the candidate LRs
    around the recommendation `recommended` (lowest first), the held-out loss after a
    short training of `steps` steps at each (inf where a loss was not finite), and the
    steps of the sweep (the unit of its cost). See `lrsched.rangetest.confirm`."""

    use: str
    lrs: tuple[float, ...]
    scores: tuple[float, ...]
    steps: int
    sweep_steps: int
    recommended: float

    def __post_init__(self) -> None:
        if self.use not in USES:
            raise ValueError(f"use must be one of {', '.join(map(repr, USES))}; got {self.use!r}")
        if len(self.lrs) != len(self.scores) or len(self.lrs) < 2:
            raise ValueError(f"lrs and scores must be two or more, as many; got {len(self.lrs)} and {len(self.scores)}")
        if not all(math.isfinite(v) and v > 0 for v in self.lrs):
            raise ValueError(f"lrs must be finite and > 0; got {self.lrs!r}")
        for name in ("steps", "sweep_steps"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a whole number >= 1; got {value!r}")
        object.__setattr__(self, "lrs", tuple(float(v) for v in self.lrs))
        scores = tuple(float(v) if math.isfinite(float(v)) else math.inf for v in self.scores)
        object.__setattr__(self, "scores", scores)
        object.__setattr__(self, "recommended", float(self.recommended))

    @property
    def lr(self) -> float | None:
        """The candidate with the lowest held-out loss (the lower LR on a tie), or None
        where no candidate's loss stayed finite."""
        finite = [(score, lr) for lr, score in zip(self.lrs, self.scores, strict=True) if math.isfinite(score)]
        return min(finite)[1] if finite else None

    @property
    def cost(self) -> float:
        """The short trainings' steps as a multiple of the sweep's steps."""
        return len(self.lrs) * self.steps / self.sweep_steps

    def to_dict(self) -> dict[str, object]:
        """A plain dict (JSON: an inf score as the string "inf")."""
        scores = [v if math.isfinite(v) else "inf" for v in self.scores]
        return dataclasses.asdict(self) | {"lrs": list(self.lrs), "scores": scores}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Confirmation:
        """The confirmation `to_dict` wrote."""
        scores = tuple(float(v) for v in data["scores"])
        return cls(**(data | {"lrs": tuple(data["lrs"]), "scores": scores}))


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
        confirmation: what the confirmation stage measured after the sweep, or None.
    """

    lrs: np.ndarray
    losses: np.ndarray
    stopped: str = "completed"
    smoothing: float = DEFAULT_SMOOTHING
    diverge: float = DEFAULT_DIVERGE
    log_lr: bool = True
    sweep: tuple[float, float, int] | None = None
    optimizer: str | None = None
    confirmation: Confirmation | None = None

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
        if isinstance(self.confirmation, dict):
            object.__setattr__(self, "confirmation", Confirmation.from_dict(self.confirmation))
        if self.confirmation is not None and not isinstance(self.confirmation, Confirmation):
            raise TypeError(f"confirmation must be a Confirmation or None; got {type(self.confirmation).__name__}")
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
            "confirmation": None if self.confirmation is None else self.confirmation.to_dict(),
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
