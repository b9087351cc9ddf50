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
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import jax
import jax.numpy as jnp
import optax

from lrsched import Schedule
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


@dataclasses.dataclass(frozen=True)
class OptaxSchedule:
    """An optax schedule (a pure `count -> value` function) that wraps an lrsched schedule:
    values in `dtype`, float32 by default. A float wider than float32 (float64 under
    `jax_enable_x64`) is computed at that width; a narrower one (bfloat16, float16) is
    the float32 value rounded to it."""

    schedule: Schedule
    dtype: Any = jnp.float32

    def __post_init__(self) -> None:
        require_schedule("schedule", self.schedule, nonnegative=True)
        if not jnp.issubdtype(self.dtype, jnp.floating):
            raise TypeError(f"dtype must be a float dtype (float32, bfloat16, ...); got {self.dtype!r}")

    def __call__(self, count: Any) -> jnp.ndarray:
        step = jnp.asarray(count)
        if jnp.dtype(self.dtype).itemsize > 4:
            step = step.astype(self.dtype)
        return jnp.asarray(self.schedule(step), dtype=self.dtype)


def to_optax(schedule: Schedule, dtype: Any = jnp.float32) -> OptaxSchedule:
    """The optax schedule for `schedule`: jittable, `dtype` out (float32 by default),
    equal to the core's value."""
    return OptaxSchedule(schedule, dtype)


def inject_schedules(
    optimizer: Callable[..., optax.GradientTransformation],
    /,
    *,
    static_args: str | Iterable[str] = (),
    hyperparam_dtype: Any = None,
    **hyperparams: Any,
) -> optax.GradientTransformationExtraArgs:
    """`optax.inject_hyperparams(optimizer, static_args, hyperparam_dtype)(**hyperparams)`,
    lrsched schedules converted.

    Each hyperparameter given as an lrsched schedule (learning_rate, momentum, b1, ...)
    is evaluated at the optimizer's step count inside the update; the values used by
    the latest update are in `state.hyperparams`, in `hyperparam_dtype` (None: float32
    for the schedules; optax gives its own schedules the widest float of the params).
    """
    if isinstance(optimizer, optax.GradientTransformation):
        raise TypeError(
            "optimizer must be the optax constructor itself (e.g. optax.sgd), not an optimizer built from "
            "it (optax.sgd(0.1)): inject_schedules builds it with the schedules"
        )
    for name in ADAM_BETAS:
        value = hyperparams.get(name)
        if isinstance(value, Schedule):
            check_drives_beta(name, value)
    # optax casts its own schedules' values (weakly typed) to hyperparam_dtype; an lrsched
    # schedule gives its values in that dtype itself (float32 where none is given).
    dtype = jnp.float32 if hyperparam_dtype is None else hyperparam_dtype
    converted = {k: to_optax(v, dtype) if isinstance(v, Schedule) else v for k, v in hyperparams.items()}
    return optax.inject_hyperparams(optimizer, static_args=static_args, hyperparam_dtype=hyperparam_dtype)(**converted)


# The hyperparameters of Adam-family optimizers that 1.0 would break (momentum 1.0 for
# SGD stays legal).
ADAM_BETAS = ("b1", "b2")


def _is_injected(node: Any) -> bool:
    return isinstance(getattr(node, "hyperparams", None), dict)


def _injected_states(state: Any) -> list[Any]:
    """The `inject_hyperparams` states inside an optimizer state (a chain, a
    multi_transform, ...) that hold a learning_rate."""
    found = [node for node in jax.tree_util.tree_leaves(state, is_leaf=_is_injected) if _is_injected(node)]
    return [node for node in found if "learning_rate" in node.hyperparams]


def _set_learning_rate(state: Any, lr: Any) -> Any:
    def put(node: Any) -> Any:
        if _is_injected(node) and "learning_rate" in node.hyperparams:
            return node._replace(hyperparams={**node.hyperparams, "learning_rate": lr})
        return node

    return jax.tree_util.tree_map(put, state, is_leaf=_is_injected)


_AXIS = "lrsched_devices"  # the axis name of the built-in pmapped step


def _check_replicated(params: Any, devices: int) -> None:
    """replicated=True: every array of `params` holds one copy per local device."""
    for leaf in jax.tree_util.tree_leaves(params):
        shape = tuple(getattr(leaf, "shape", ()))
        if not shape or shape[0] != devices:
            raise ValueError(
                f"replicated=True needs every params array to have a leading axis of one copy per local device "
                f"({devices}); got an array of shape {shape}: replicate them with "
                "jax.tree_util.tree_map(lambda a: jnp.stack([a] * jax.local_device_count()), params)"
            )


def range_test(
    loss_fn: Callable[[Any, Any], Any],
    params: Any,
    optimizer: optax.GradientTransformation,
    data: Iterable[Any],
    *,
    start_lr: float = DEFAULT_SETTINGS.start_lr,
    end_lr: float = DEFAULT_SETTINGS.end_lr,
    num_steps: int = DEFAULT_SETTINGS.num_steps,
    mode: str = DEFAULT_SETTINGS.mode,
    smoothing: float = DEFAULT_SETTINGS.smoothing,
    diverge: float = DEFAULT_SETTINGS.diverge,
    val_data: Iterable[Any] | None = None,
    update: Callable[[Any, Any, Any, Any], tuple[Any, Any, Any]] | None = None,
    replicated: bool = False,
    progress: bool | None = DEFAULT_SETTINGS.progress,
    confirm: int = 0,
    confirm_use: str = "constant",
    confirm_steps: int | None = None,
    confirm_data: Iterable[Any] | None = None,
) -> RangeTestResult:
    """The LR range test for JAX: `loss_fn(params, batch)` is a scalar loss, `optimizer`
    an optax optimizer whose learning rate is an injected hyperparameter (built with
    `inject_schedules(optax.sgd, learning_rate=0.0, momentum=0.9)` or
    `optax.inject_hyperparams`, alone or inside `optax.chain` (with gradient clipping,
    say): exactly one injected `learning_rate`). Each step runs a jitted update with the sweep's LR set
    in `state.hyperparams["learning_rate"]`; the LR recorded is the one the update read
    back. JAX arrays are immutable, so `params` (and any state you hold) are untouched.

    `update(params, state, batch, lr) -> (params, state, loss)` replaces the built-in
    jitted step: for data-parallel (`pmap` / sharded) updates, whose loss it must return
    averaged across devices.

    `replicated=True` is the `pmap` layout: every array of `params` has a leading axis
    with one copy per local device (`jax.tree_util.tree_map(lambda a: jnp.stack([a] * n),
    params)`, n = `jax.local_device_count()`), and so does every batch (its shard per
    device). The runner
    then initializes the optimizer state per device (`jax.pmap(optimizer.init)`: its step
    count and hyperparameters replicated too) and passes `lr` as one copy per device, so
    an `update` pmapped with the default `in_axes=0` takes all four arguments as they
    are. Without `update`, the built-in step is pmapped, averaging gradients and loss
    over the devices (`jax.lax.pmean`). `val_data` batches are then whole batches,
    evaluated on the first device's copy of the params.

    The injected learning rate must be a number, not a schedule: an update computes a
    scheduled LR from its step count and would ignore the sweep's (refused at the start).
    `val_data` is read after every step: a list, not a generator.

    `confirm=k` adds the confirmation stage after the sweep, as the torch runner's
    (`lrsched.adapters.torch.range_test`): `k` short trainings of `confirm_steps` steps
    around `recommend(confirm_use)`, each from `params` and a fresh optimizer state,
    scored by the mean `loss_fn` over `confirm_data` (by default `val_data`).
    """
    settings = RangeTestSettings(start_lr, end_lr, num_steps, mode, smoothing, diverge, progress)
    if val_data is not None:
        require_reiterable("val_data", val_data)
    held_out = check_confirmation(confirm, confirm_use, confirm_steps, confirm_data, val_data)
    if confirm:
        require_reiterable("data", data)
    if not isinstance(replicated, bool):
        raise TypeError(f"replicated must be True or False; got {replicated!r}")
    devices = jax.local_device_count()
    if replicated:
        _check_replicated(params, devices)
        state = jax.pmap(optimizer.init)(params)
    else:
        state = optimizer.init(params)
    injected = _injected_states(state)
    if len(injected) != 1:
        problem = "no" if not injected else f"{len(injected)}"
        raise ValueError(
            f"optimizer must take its learning rate as exactly one injected hyperparameter (found {problem}): "
            "build it with inject_schedules(optax.sgd, learning_rate=0.0, ...) or optax.inject_hyperparams, "
            "alone or inside optax.chain"
        )
    if "learning_rate" in getattr(injected[0], "hyperparams_states", {}):
        raise ValueError(
            "optimizer's learning_rate is a schedule: each update computes it from the step count, so the "
            "range test could not set the sweep's LR; build the optimizer for the range test with a number, "
            "inject_schedules(optax.sgd, learning_rate=0.0, ...), and the schedule for training afterwards"
        )
    if not any(True for _ in jax.tree_util.tree_leaves(params)):
        raise ValueError("params has no arrays: there is nothing for the range test to train")

    @jax.jit
    def default_update(params: Any, state: Any, batch: Any, lr: Any) -> tuple[Any, Any, Any]:
        state = _set_learning_rate(state, lr)
        loss, grads = jax.value_and_grad(loss_fn)(params, batch)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    def replicated_update(params: Any, state: Any, batch: Any, lr: Any) -> tuple[Any, Any, Any]:
        state = _set_learning_rate(state, lr)
        loss, grads = jax.value_and_grad(loss_fn)(params, batch)
        grads, loss = jax.lax.pmean((grads, loss), _AXIS)  # type: ignore[no-untyped-call]
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    if update is not None:
        step_fn = update
    else:
        step_fn = jax.pmap(replicated_update, axis_name=_AXIS) if replicated else default_update
    validation = jax.jit(loss_fn)
    current = {"params": params, "state": state}
    sweeping = [True]  # the short trainings of the confirmation record no validation loss per step

    def held_out_loss(batches: Iterable[Any], name: str) -> float:
        evaluated = jax.tree_util.tree_map(lambda a: a[0], current["params"]) if replicated else current["params"]
        losses = [float(validation(evaluated, batch)) for batch in batches]
        if not losses:
            raise ValueError(f"{name} is empty: it gave no batch")
        return sum(losses) / len(losses)

    def restart() -> None:
        current["params"], current["state"] = params, state

    def train_step(lr: float, batches: Iterator[Any]) -> tuple[float, float]:
        rate = jnp.asarray(lr, dtype=jnp.float32)
        if replicated:
            rate = jnp.broadcast_to(rate, (devices,))
        batch = next(batches)
        try:
            new_params, new_state, loss = step_fn(current["params"], current["state"], batch, rate)
        except ValueError as error:
            if update is not None and not replicated and hasattr(error, "add_note"):  # notes: Python 3.11+
                error.add_note(
                    "lrsched range_test: if update is pmapped over params with one copy per device (the pmap "
                    "layout), pass replicated=True: the optimizer state and the LR are then replicated too"
                )
            raise
        current["params"], current["state"] = new_params, new_state
        applied = float(jnp.ravel(jnp.asarray(_injected_states(new_state)[0].hyperparams["learning_rate"]))[0])
        if val_data is not None and sweeping[0]:
            return applied, held_out_loss(val_data, "val_data")
        return applied, float(jnp.mean(loss))

    result = run_sweep(
        train_step,
        data,
        settings,
        # optax names no optimizer: its state's classes say what it keeps (ScaleByAdamState,
        # ScaleByRssState, ...), however the transformations are chained or injected.
        optimizer=optimizer_family(state),
    )
    if not confirm:
        return result
    sweeping[0] = False
    return run_confirmation(
        result,
        confirm,
        confirm_use,
        confirm_steps,
        train_step,
        data,
        lambda: held_out_loss(held_out, "confirm_data"),
        restart,
    )
