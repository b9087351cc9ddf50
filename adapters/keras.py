"""Keras 3 adapter: an lrsched schedule as a `keras.optimizers.schedules.LearningRateSchedule`.

    model.compile(optimizer=keras.optimizers.SGD(learning_rate=to_keras(schedule)), ...)

The schedule computes on whatever the optimizer passes (its `iterations` variable on the
TensorFlow backend, an array on JAX or torch) through the core's one seam. It is
registered as `lrsched>KerasSchedule`: its `get_config()` holds the schedule's config,
so a `.keras` file saves and loads it with only `import lrsched.adapters.keras` (no
`custom_objects`), and training resumes on the same LR sequence.

Momentum: `CyclicalMomentum` (a callback) drives Adam-family `beta_1` from a momentum
schedule in `fit`. Keras 3's SGD cannot be driven: its `update_step` branches in Python
on `self.momentum != 0` and reads the float as a constant when the train step is traced,
so a changed value never reaches the compiled step. The nearest working alternative is
an Adam-family optimizer with `beta_1` driven (SGD with momentum m is close to Adam's
first moment with beta_1 = m), or a torch or optax loop, where both adapters drive SGD
momentum.
"""

from __future__ import annotations

from typing import Any

import keras

from lrsched import Schedule, from_config
from lrsched.base import require_schedule

CONFIG_FORMAT = 1


@keras.saving.register_keras_serializable(package="lrsched")
class KerasSchedule(keras.optimizers.schedules.LearningRateSchedule):  # type: ignore[misc]
    """A Keras learning-rate schedule whose values come from an lrsched schedule."""

    def __init__(self, schedule: Schedule) -> None:
        super().__init__()
        self.schedule = require_schedule("schedule", schedule, nonnegative=True)

    def __call__(self, step: Any) -> Any:
        return self.schedule(keras.ops.convert_to_tensor(step))

    def get_config(self) -> dict[str, Any]:
        return {"format": CONFIG_FORMAT, "schedule": self.schedule.to_config()}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> KerasSchedule:
        if config.get("format") != CONFIG_FORMAT:
            raise ValueError(
                f"KerasSchedule config format must be {CONFIG_FORMAT}; got {config.get('format')!r} "
                "(saved by another lrsched version?)"
            )
        return cls(from_config(config["schedule"]))


def to_keras(schedule: Schedule) -> KerasSchedule:
    """The Keras `LearningRateSchedule` for `schedule`."""
    return KerasSchedule(schedule)


class CyclicalMomentum(keras.callbacks.Callback):  # type: ignore[misc]
    """Drive an Adam-family optimizer's `beta_1` from a momentum schedule during `fit`.

    Before each batch, `beta_1` is set to `momentum(iterations)`. It lives in a Keras
    variable while training (read by the compiled step at run time) and is a plain float
    again after `fit`, so the model saves as usual.
    """

    def __init__(self, momentum: Schedule) -> None:
        super().__init__()
        self.momentum = require_schedule("momentum", momentum, nonnegative=True)
        if self.momentum.bounds[1] >= 1.0:
            raise ValueError(f"momentum must stay below 1 to drive beta_1; bounds {self.momentum.bounds!r}")
        self._variable: Any = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        optimizer = self.model.optimizer
        if not hasattr(optimizer, "beta_1"):
            raise ValueError(
                f"CyclicalMomentum drives beta_1, which {type(optimizer).__name__} does not have; "
                "use an Adam-family optimizer (Adam, AdamW, Nadam, Adamax, Lion)"
            )
        if self._variable is None:
            self._variable = keras.Variable(float(optimizer.beta_1), trainable=False, name="lrsched_beta_1")
        # Set past Keras' attribute tracking: the variable must not become one of the
        # optimizer's saved variables, or a saved optimizer state no longer loads.
        object.__setattr__(optimizer, "beta_1", self._variable)
        # A train step traced before (an earlier fit) holds the old beta_1: retrace.
        self.model.make_train_function(force=True)

    def on_train_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        step = int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))
        self._variable.assign(self.momentum(step))

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        object.__setattr__(self.model.optimizer, "beta_1", float(keras.ops.convert_to_numpy(self._variable)))
