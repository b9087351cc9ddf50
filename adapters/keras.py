"""Keras 3 adapter: an lrsched schedule as a `keras.optimizers.schedules.LearningRateSchedule`.

    model.compile(optimizer=keras.optimizers.SGD(learning_rate=to_keras(schedule)), ...)

The schedule computes on whatever the optimizer passes (its `iterations` variable on the
TensorFlow backend, an array on JAX or torch) through the core's one seam. It is
registered as `lrsched>KerasSchedule`: its `get_config()` holds the schedule's config,
so a `.keras` file saves and loads it with only `import lrsched.adapters.keras` (no
`custom_objects`), and training resumes on the same LR sequence.

Momentum: `CyclicalMomentum` (a callback) drives Adam-family `beta_1` from a momentum
schedule in `fit`, on every backend: inside the compiled train step `beta_1` is computed
from the optimizer's step count, as a schedule's learning rate is. Keras 3's SGD cannot
be driven: its `update_step` branches in Python on `self.momentum != 0` and reads the
float as a constant when the train step is traced, so a changed value never reaches the
compiled step. The nearest working alternative is an Adam-family optimizer with `beta_1`
driven (SGD with momentum m is close to Adam's first moment with beta_1 = m), or a torch
or optax loop, where both adapters drive SGD momentum.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, cast

import keras

from lrsched import Schedule, from_config
from lrsched.base import require_schedule
from lrsched.momentum import check_drives_beta
from lrsched.rangetest import (
    DEFAULT_SETTINGS,
    RangeTestResult,
    RangeTestSettings,
    check_confirmation,
    optimizer_family,
    require_reiterable,
    run_confirmation,
    run_sweep,
)
from lrsched.snapshots import SnapshotKeeper

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


def _refuse_multi_step_execution(model: Any, callback: str) -> None:
    """Callbacks run once per `steps_per_execution` steps: per-step work would see only
    every k-th step (snapshots and momentum changes silently skipped)."""
    steps = getattr(model, "steps_per_execution", 1)
    steps = int(keras.ops.convert_to_numpy(steps)) if steps is not None else 1
    if steps != 1:
        raise ValueError(
            f"{callback} acts on every optimizer step, but the model was compiled with steps_per_execution="
            f"{steps}, so Keras calls callbacks only every {steps} steps: compile with steps_per_execution=1"
        )


class _MomentumOfSteps(keras.Variable):  # type: ignore[misc]
    """A scalar whose value, wherever it is read, is `momentum(iterations)` of an optimizer.

    Read inside the compiled train step it is computed there from the step count that step
    sees, as a schedule's learning rate is: the value cannot be one the step was traced or
    compiled with (a JAX train step reads no variable outside the state it is passed, so a
    variable assigned between steps would keep its traced value). Never assigned, never
    saved: it is nobody's tracked variable.
    """

    def __init__(self, momentum: Schedule, iterations: Any) -> None:
        super().__init__(float(momentum(0)), trainable=False, dtype="float32", name="lrsched_beta_1")
        self._lrsched_momentum = momentum
        self._lrsched_iterations = iterations

    @property
    def value(self) -> Any:
        step = keras.ops.convert_to_tensor(self._lrsched_iterations)
        return keras.ops.cast(self._lrsched_momentum(step), self.dtype)


def _stepping(optimizer: Any) -> Any:
    """The optimizer whose update reads beta_1: under mixed precision Keras wraps the
    compiled one in a LossScaleOptimizer, which steps its `inner_optimizer`."""
    return getattr(optimizer, "inner_optimizer", optimizer)


def _schedule_count(optimizer: Any) -> Any:
    """The count Keras gives an LR schedule: the optimizer's `_iterations`, one a batch.
    With `gradient_accumulation_steps`, `iterations` is the count of updates instead, a
    value computed when read (a momentum driven by it stood still through fit)."""
    return getattr(optimizer, "_iterations", optimizer.iterations)


class CyclicalMomentum(keras.callbacks.Callback):  # type: ignore[misc]
    """Drive an Adam-family optimizer's `beta_1` from a momentum schedule during `fit`.

    From the start of `fit`, `beta_1` is a Keras variable whose value is
    `momentum(iterations)`: the compiled train step computes it from the optimizer's step
    count, so step k uses `momentum(k)` on the TensorFlow, JAX and torch backends alike
    (with `gradient_accumulation_steps`, at the count of batches Keras gives the LR
    schedule too).
    After `fit` it is a plain float again (the momentum of the next step). Should `fit`
    end by an exception (an interrupt), the optimizer keeps following the schedule, and
    its config reports `beta_1` as the number the variable reads, so the model still
    saves and loads. Any `steps_per_execution`: the value is computed inside each step,
    not set by the callback between steps.
    """

    def __init__(self, momentum: Schedule) -> None:
        super().__init__()
        self.momentum = check_drives_beta("momentum", require_schedule("momentum", momentum, nonnegative=True))

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        optimizer = _stepping(self.model.optimizer)
        if not hasattr(optimizer, "beta_1"):
            raise ValueError(
                f"CyclicalMomentum drives beta_1, which {type(optimizer).__name__} does not have; "
                "use an Adam-family optimizer (Adam, AdamW, Nadam, Adamax, Lion)"
            )
        variable = _MomentumOfSteps(self.momentum, _schedule_count(optimizer))
        # Set past Keras' attribute tracking: the variable must not become one of the
        # optimizer's saved variables, or a saved optimizer state no longer loads.
        object.__setattr__(optimizer, "beta_1", variable)
        class_get_config = type(optimizer).get_config

        def get_config() -> dict[str, Any]:
            config: dict[str, Any] = class_get_config(optimizer)
            config["beta_1"] = float(keras.ops.convert_to_numpy(variable))
            return config

        object.__setattr__(optimizer, "get_config", get_config)
        # A train step traced before (an earlier fit) holds the old beta_1: retrace.
        self.model.make_train_function(force=True)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        optimizer = _stepping(self.model.optimizer)
        object.__setattr__(optimizer, "beta_1", float(keras.ops.convert_to_numpy(optimizer.beta_1)))
        optimizer.__dict__.pop("get_config", None)


def _is_arrays(x: Any) -> bool:
    """Whether `x` is an array (NumPy, a framework's tensor), or a dict or list of them
    (several inputs): inputs that `fit` cuts into batches, as opposed to batches already
    made (a dataset, a list of `(x, y)` tuples)."""
    if isinstance(x, dict):
        return True
    if isinstance(x, list):
        return bool(x) and all(not isinstance(item, tuple) and _is_arrays(item) for item in x)
    return hasattr(x, "shape") and hasattr(x, "__getitem__") and not isinstance(x, keras.utils.PyDataset)


def _batches_of(x: Any, y: Any, batch_size: int) -> Iterable[Any]:
    """The batches the sweep trains on, read as `Model.fit` reads `x` and `y`: arrays cut
    into `batch_size` rows (`x` a list or dict of arrays for several inputs, `y` for
    several outputs; `x` alone for a model that adds its own loss), or `x` itself as
    batches (a `tf.data.Dataset`, a `PyDataset`, a list of `(x, y)` or
    `(x, y, sample_weight)` tuples) when `y` is None and `x` is no array."""
    if not _is_arrays(x):
        if y is not None:
            # Model.fit refuses this too: each batch would be read as x with this y (the
            # first batch trained on again and again, with a structure warning alone).
            raise ValueError(
                "y is given, but x is not arrays: x holds batches already (a list of (x, y) tuples, a "
                "tf.data.Dataset, a PyDataset), which carry their targets; give y=None"
            )
        return cast(Iterable[Any], x)
    rows = len(keras.tree.flatten(x)[0])

    def cut(arrays: Any, start: int) -> Any:
        return keras.tree.map_structure(lambda a: a[start : start + batch_size], arrays)

    return [(cut(x, i), None if y is None else cut(y, i)) for i in range(0, rows, batch_size)]


def _held_out_loss(model: Any, held_out: Any) -> float:
    """`evaluate`'s loss on held-out data given as `fit`'s `validation_data`."""
    if isinstance(held_out, tuple):
        x, y, weights = keras.utils.unpack_x_y_sample_weight(held_out)
        return float(model.evaluate(x, y, sample_weight=weights, verbose=0, return_dict=True)["loss"])
    return float(model.evaluate(held_out, verbose=0, return_dict=True)["loss"])


def _check_held_out(name: str, value: Any) -> None:
    """Held-out data as `fit`'s `validation_data` takes it, and re-iterable: a tuple of
    arrays `(x, y)` or `(x, y, sample_weight)`, or batches `evaluate` reads (a
    `tf.data.Dataset`, a `PyDataset`)."""
    if value is None:
        return
    if isinstance(value, tuple):
        if not 2 <= len(value) <= 3:
            raise ValueError(f"{name} as a tuple must be (x, y) or (x, y, sample_weight); got {len(value)} items")
        return
    if isinstance(value, (list, dict)) or _is_arrays(value):
        raise TypeError(
            f"{name} must be (x, y) or (x, y, sample_weight), or a tf.data.Dataset or keras.utils.PyDataset of "
            f"batches, as Model.fit's validation_data; got {type(value).__name__}"
        )
    require_reiterable(name, value)


def range_test(
    model: Any,
    x: Any,
    y: Any = None,
    *,
    batch_size: int = 32,
    start_lr: float = DEFAULT_SETTINGS.start_lr,
    end_lr: float = DEFAULT_SETTINGS.end_lr,
    num_steps: int = DEFAULT_SETTINGS.num_steps,
    mode: str = DEFAULT_SETTINGS.mode,
    smoothing: float = DEFAULT_SETTINGS.smoothing,
    diverge: float = DEFAULT_SETTINGS.diverge,
    val_data: Any = None,
    progress: bool | None = DEFAULT_SETTINGS.progress,
    confirm: int = 0,
    confirm_use: str = "constant",
    confirm_steps: int | None = None,
    confirm_data: Any = None,
) -> RangeTestResult:
    """The LR range test for a compiled Keras model, on data as `Model.fit` takes it:
    arrays `x, y` cut into `batch_size` batches (a list or dict of arrays for several
    inputs or outputs; `x` alone for a model that adds its own loss), or `x` alone as
    batches (a `tf.data.Dataset`, a `PyDataset`, a list of `(x, y)` or
    `(x, y, sample_weight)`); `val_data` and `confirm_data` as `fit`'s `validation_data`:
    `(x, y)`, `(x, y, sample_weight)`, or a dataset of batches.

    Each step sets the optimizer's learning rate and runs `train_on_batch`, which resets
    the loss metric first, so the loss recorded is that batch's loss — not the running
    mean of the epoch that `fit` reports in `logs["loss"]`, which would bias the curve.
    With `val_data` the recorded loss is `evaluate` on it. The model's variables
    and the optimizer's variables (the LR included) are restored exactly afterwards,
    also when training raises or is interrupted. An optimizer not yet built is built
    first (its fresh state is what is restored). The optimizer's learning rate must be
    a number, not a schedule.

    `confirm=k` adds the confirmation stage after the sweep, as the torch runner's
    (`lrsched.adapters.torch.range_test`): `k` short trainings of `confirm_steps` steps
    around `recommend(confirm_use)`, each from the variables the sweep began with,
    scored by `evaluate` on `confirm_data` (x, y) (by default `val_data`).
    """
    settings = RangeTestSettings(start_lr, end_lr, num_steps, mode, smoothing, diverge, progress)
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise ValueError("model must be compiled (model.compile(optimizer=..., loss=...)) before the range test")
    stepping = getattr(optimizer, "inner_optimizer", optimizer)  # mixed precision: the loss-scale wrapper's
    if isinstance(stepping._learning_rate, keras.optimizers.schedules.LearningRateSchedule):
        raise ValueError("the optimizer's learning_rate is a schedule; compile with a number for the range test")
    if callable(stepping._learning_rate):  # Keras reads a callable anew at each step: the sweep could not set it
        raise ValueError("the optimizer's learning_rate is a callable; compile with a number for the range test")
    if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) or batch_size < 1:
        raise ValueError(f"batch_size must be a whole number >= 1; got {batch_size!r}")
    batch_size = int(batch_size)
    if not model.trainable_variables:
        raise ValueError("model has no trainable variables: there is nothing for the range test to train")
    _check_held_out("val_data", val_data)
    _check_held_out("confirm_data", confirm_data)
    held_out = check_confirmation(confirm, confirm_use, confirm_steps, confirm_data, val_data)
    data = _batches_of(x, y, batch_size)  # checked before any training
    if confirm:
        require_reiterable("x", data)
    if not optimizer.built:
        optimizer.build(model.trainable_variables)
    sweeping = [True]  # the short trainings of the confirmation record no validation loss per step

    def train_step(lr: float, batches: Iterator[Any]) -> tuple[float, float]:
        optimizer.learning_rate = lr
        inputs, targets, weights = keras.utils.unpack_x_y_sample_weight(next(batches))
        logs = model.train_on_batch(inputs, targets, sample_weight=weights, return_dict=True)
        applied = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
        if val_data is not None and sweeping[0]:
            return applied, _held_out_loss(model, val_data)
        return applied, float(logs["loss"])

    saved_model = [v.numpy() for v in model.variables]
    saved_optimizer = [v.numpy() for v in optimizer.variables]

    def restart() -> None:
        for variable, value in zip(model.variables, saved_model, strict=True):
            variable.assign(value)
        for variable, value in zip(optimizer.variables, saved_optimizer, strict=True):
            variable.assign(value)

    try:
        result = run_sweep(train_step, data, settings, optimizer=optimizer_family(optimizer))
        if not confirm:
            return result
        sweeping[0] = False

        def held_out_loss() -> float:
            return _held_out_loss(model, held_out)

        return run_confirmation(result, confirm, confirm_use, confirm_steps, train_step, data, held_out_loss, restart)
    finally:
        restart()


class SnapshotCallback(keras.callbacks.Callback):  # type: ignore[misc]
    """Keep the model's weights at every cycle end of a cyclic schedule during `fit`
    (snapshot ensembles): the last `keep`, in memory (`get_weights()` lists) or as
    `.weights.h5` files in `directory`, written atomically, never over an existing file.
    The step count is the one the optimizer gives its LR schedule (its `iterations`, or
    with `gradient_accumulation_steps` its count of batches), so a resumed `fit` keeps
    counting. A new callback for a resumed run gives `start_step` (that count at the
    checkpoint): the run's own earlier files in `directory`, up to it, are taken up as
    kept (other files there are refused, as for a new run).
    """

    def __init__(
        self,
        schedule: Schedule,
        *,
        keep: int = 5,
        directory: str | None = None,
        prefix: str = "snapshot",
        start_step: int = 0,
    ) -> None:
        super().__init__()
        self.keeper = SnapshotKeeper(
            schedule, keep=keep, directory=directory, prefix=prefix, suffix=".weights.h5", start_step=start_step
        )

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        _refuse_multi_step_execution(self.model, "SnapshotCallback")

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        count = _schedule_count(_stepping(self.model.optimizer))
        self.keeper.steps = int(keras.ops.convert_to_numpy(count)) - 1
        if not self.keeper.step():
            return
        if self.keeper.directory is None:
            self.keeper.keep_in_memory(self.model.get_weights())
        else:
            self.keeper.keep_file(self.model.save_weights)

    @property
    def weights(self) -> list[list[Any]]:
        """The kept snapshots as `get_weights()` lists, oldest first."""
        out = []
        for _, snapshot in self.keeper.existing:
            if isinstance(snapshot, Path):
                clone = keras.models.clone_model(self.model)
                clone.load_weights(snapshot)
                snapshot = clone.get_weights()
            out.append(snapshot)
        return out


def ensemble_predict(
    model: Any, weights: list[list[Any]], x: Any, *, average: str = "softmax", batch_size: int = 256
) -> Any:
    """The snapshot ensemble's prediction: the mean over snapshots of softmax(outputs)
    (`"softmax"`; use it for a model that outputs logits) or of the raw outputs
    (`"logits"`, also right for a model that already ends in a softmax). The model's
    own weights are restored afterwards."""
    if average not in ("softmax", "logits"):
        raise ValueError(f"average must be 'softmax' or 'logits'; got {average!r}")
    if not weights:
        raise ValueError("weights is empty: there are no snapshots to average")
    original = model.get_weights()
    outputs = []
    try:
        for snapshot in weights:
            model.set_weights(snapshot)
            out = model.predict(x, batch_size=batch_size, verbose=0)
            outputs.append(keras.ops.convert_to_numpy(keras.ops.softmax(out, axis=-1)) if average == "softmax" else out)
    finally:
        model.set_weights(original)
    return sum(outputs) / len(outputs)
