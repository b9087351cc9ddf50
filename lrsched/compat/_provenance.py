"""How a `compat.torch` function built a schedule: the scheduler, its arguments and the
momentum torch cycles beside it.

torch's schedulers share their optimizer's param group, so `SequentialLR` and
`ChainedScheduler` need to know which scheduler built each part, and `momentum_of` gives
the momentum a OneCycleLR or CyclicLR cycles. The schedule stays the plain lrsched value;
what built it is kept in the instance beside its fields (as a `Shaped` schedule keeps its
levels), so `==`, `hash` and `repr` skip it and `copy.copy`, `copy.deepcopy` and `pickle`
carry it.

It belongs to the object, not to its value: torch calls that differ only in their
momentum (`cycle_momentum`, `base_momentum`, `max_momentum`), or different schedulers that
happen to give the same LRs, build equal schedules with different provenance. A schedule
rebuilt from its config is a new value with none.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from lrsched.base import Schedule

_KEY = "_compat_built"


class Built(NamedTuple):
    """How a `compat.torch` function built a schedule: the scheduler, its arguments, its momentum."""

    cls: str
    lr: float | None
    kwargs: dict[str, Any]
    momentum: Schedule | None


def record(
    schedule: Schedule, cls: str, lr: float | None, kwargs: dict[str, Any], momentum: Schedule | None = None
) -> Schedule:
    """`schedule`, marked as built by torch's `cls` scheduler with these arguments."""
    schedule.__dict__[_KEY] = Built(cls, lr, kwargs, momentum)
    return schedule


def provenance(schedule: Schedule) -> Built | None:
    """How a `compat.torch` function built `schedule` (or a copy of it); None for any other."""
    found = getattr(schedule, "__dict__", {}).get(_KEY)
    return found if isinstance(found, Built) else None


def momentum_of(schedule: Schedule) -> Schedule | None:
    """The momentum torch cycles beside the LR of a `compat.torch.OneCycleLR` or
    `compat.torch.CyclicLR` schedule (`cycle_momentum=True`, torch's default: the group's
    `momentum`, or Adam's beta1), step for step; None where torch leaves momentum alone,
    and for a schedule no `compat.torch` function built. A copy or an unpickled schedule
    keeps it; a schedule rebuilt from its config (a new value) has none.

        lr = compat.torch.OneCycleLR(max_lr=0.1, total_steps=100)
        momentum = compat.momentum_of(lr)  # 0.95 down to 0.85 at the peak, back up to 0.95
    """
    found = provenance(schedule)
    return None if found is None else found.momentum
