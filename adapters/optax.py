"""optax adapter: an lrsched schedule as an optax schedule (`count -> value`).

    optimizer = optax.sgd(learning_rate=to_optax(one_cycle(max_lr=0.1, total_steps=1000)))

The schedule runs under `jax.jit` on the int32 `count` that optax keeps and returns
float32. Momentum (SGD's `momentum`, Adam's `b1`) changes inside the jitted update
through `optax.inject_hyperparams`; `inject_schedules` wires that up:

    lr = one_cycle(max_lr=0.1, total_steps=1000)
    optimizer = inject_schedules(optax.sgd, learning_rate=lr, momentum=inverse_momentum(schedule=lr))
    # state.hyperparams["momentum"] holds the value used by the latest update.

The values all come from the core; no math here.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

import jax.numpy as jnp
import optax

from lrsched import Schedule
from lrsched.base import require_schedule


@dataclasses.dataclass(frozen=True)
class OptaxSchedule:
    """An optax schedule (a pure `count -> float32` function) that wraps an lrsched schedule."""

    schedule: Schedule

    def __post_init__(self) -> None:
        require_schedule("schedule", self.schedule, nonnegative=True)

    def __call__(self, count: Any) -> jnp.ndarray:
        return jnp.asarray(self.schedule(jnp.asarray(count)), dtype=jnp.float32)


def to_optax(schedule: Schedule) -> OptaxSchedule:
    """The optax schedule for `schedule`: jittable, float32 out, equal to the core's value."""
    return OptaxSchedule(schedule)


def inject_schedules(
    optimizer: Callable[..., optax.GradientTransformation],
    /,
    *,
    static_args: str | Iterable[str] = (),
    **hyperparams: Any,
) -> optax.GradientTransformationExtraArgs:
    """`optax.inject_hyperparams(optimizer)(**hyperparams)`, lrsched schedules converted.

    Each hyperparameter given as an lrsched schedule (learning_rate, momentum, b1, ...)
    is evaluated at the optimizer's step count inside the update; the values used by
    the latest update are in `state.hyperparams`.
    """
    converted = {k: to_optax(v) if isinstance(v, Schedule) else v for k, v in hyperparams.items()}
    return optax.inject_hyperparams(optimizer, static_args=static_args)(**converted)
