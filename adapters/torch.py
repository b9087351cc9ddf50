"""PyTorch adapter: an lrsched schedule as a `torch.optim.lr_scheduler.LambdaLR`.

    scheduler = lambda_lr(optimizer, schedule, momentum=inverse_momentum(schedule=schedule))
    for batch in data:
        loss = ...; loss.backward(); optimizer.step(); optimizer.zero_grad()
        scheduler.step()

After `k` calls of `scheduler.step()` every param group's `lr` is `schedule(k)` (with
`calls_per_step=n`, for a library that calls it n times per optimizer step:
`schedule(k // n)`) times the group's factor: by default its LR's ratio to the first group's (a fine-tuning setup of
0.001 and 0.01 keeps its 1:10, as torch's `LambdaLR` keeps it; the first group follows the
schedule itself), or `group_factors=[1.0] * len(optimizer.param_groups)` for the same
absolute LR in every group. Its
`momentum` (SGD, RMSprop) or `betas[0]` (Adam, AdamW, NAdam, RAdam, Adamax, ...) is
`momentum(k)`. `state_dict()` holds the schedules as their configs (no pickled
callables), so `torch.load(..., weights_only=True)` reads it and `load_state_dict`
resumes the identical sequence. The values all come from the core; no math here.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import inspect
import math
import os
import shutil
import tempfile
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

from lrsched import InverseMomentum, Schedule, from_config, lr_and_momentum
from lrsched.base import require_schedule
from lrsched.range_test import (
    DataExhaustedError,
    RangeTestResult,
    check_sweep_settings,
    optimizer_family,
    require_reiterable,
    run_sweep,
)
from lrsched.snapshots import SnapshotKeeper

STATE_FORMAT = 1


def _momentum_key(group: dict[str, Any], index: int, optimizer: torch.optim.Optimizer) -> str:
    if "momentum" in group:
        return "momentum"
    if "betas" in group:
        return "betas"
    raise ValueError(
        f"momentum was given, but param group {index} of {type(optimizer).__name__} has neither "
        "'momentum' (SGD, RMSprop) nor 'betas' (Adam family) to drive"
    )


def _check_momentum_for(keys: Sequence[str], momentum: Schedule | None) -> None:
    """Adam's bias correction divides by 1 - beta1**t: beta1 = 1 makes every parameter
    NaN. SGD momentum 1.0 stays legal."""
    if momentum is not None and "betas" in keys and momentum.bounds[1] >= 1.0:
        raise ValueError(
            f"momentum reaches {momentum.bounds[1]!r} (max_momentum), but it drives Adam-family betas[0], "
            "which must stay below 1: use max_momentum < 1 (e.g. 0.95)"
        )


def _sharing_shape(schedule: Schedule, momentum: Schedule | None) -> Schedule | None:
    """`momentum`, holding this very `schedule` object when it is `inverse_momentum` of an
    equal one: then each step evaluates the schedule's shape once for LR and momentum."""
    if isinstance(momentum, InverseMomentum) and momentum.schedule is not schedule and momentum.schedule == schedule:
        return dataclasses.replace(momentum, schedule=schedule)
    return momentum


def _per_group(label: str, value: Any, groups: int) -> list[float]:
    """One finite number >= 0 per param group (group factors, LRs): the same rule at
    construction and on load; `label` names the value and what it holds."""
    ok = (
        isinstance(value, (list, tuple))
        and len(value) == groups
        and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v < float("inf") for v in value)
    )
    if not ok:
        raise ValueError(f"{label} >= 0 per param group ({groups}); got {value!r}")
    return [float(v) for v in value]


def _check_group_factors(value: Any, groups: int) -> list[float]:
    return _per_group("group_factors must hold one finite number", value, groups)


def _as_number(value: Any) -> Any:
    """A one-element tensor (a tensor LR) as its Python number; anything else as it is."""
    return value.item() if isinstance(value, torch.Tensor) and value.numel() == 1 else value


def _check_lrs(name: str, value: Any, groups: int) -> list[float]:
    if isinstance(value, (list, tuple)):
        value = [_as_number(v) for v in value]  # checkpoints of tensor LRs
    return _per_group(f"state_dict[{name!r}] must hold one finite LR", value, groups)


def _ratios(optimizer: torch.optim.Optimizer) -> list[float]:
    """Each group's LR over the first nonzero one (torch's `initial_lr` where a scheduler
    set it, as `LambdaLR` reads it): the default group factors. A group at 0 stays at 0;
    with every group at 0, each follows the schedule itself."""
    lrs = [float(group.get("initial_lr", group["lr"])) for group in optimizer.param_groups]
    reference = next((lr for lr in lrs if lr != 0.0), None)
    if reference is None:
        return [1.0] * len(lrs)
    return [lr / reference for lr in lrs]


def _check_count(name: str, value: Any, low: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < low:
        raise ValueError(f"state_dict[{name!r}] must be a whole number >= {low}; got {value!r}")
    return value


class ScheduleLR(torch.optim.lr_scheduler.LambdaLR):
    """A `LambdaLR` whose param groups follow an lrsched schedule (and momentum schedule)."""

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedule: Schedule,
        *,
        momentum: Schedule | None = None,
        group_factors: Sequence[float] | None = None,
        calls_per_step: int = 1,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer; got {type(optimizer).__name__}")
        self.schedule = require_schedule("schedule", schedule, nonnegative=True)
        if not isinstance(calls_per_step, int) or isinstance(calls_per_step, bool) or calls_per_step < 1:
            raise ValueError(f"calls_per_step must be a whole number >= 1; got {calls_per_step!r}")
        self.calls_per_step = calls_per_step
        momentum = momentum if momentum is None else require_schedule("momentum", momentum, nonnegative=True)
        self.momentum = _sharing_shape(self.schedule, momentum)
        groups = optimizer.param_groups
        factors = _ratios(optimizer) if group_factors is None else group_factors
        self.group_factors = _check_group_factors(factors, len(groups))
        self._momentum_keys = [] if momentum is None else [_momentum_key(g, i, optimizer) for i, g in enumerate(groups)]
        _check_momentum_for(self._momentum_keys, self.momentum)
        lambdas = [self._absolute_lr(i) for i in range(len(groups))]
        super().__init__(optimizer, lambdas, last_epoch=last_epoch)

    def _absolute_lr(self, group: int) -> Any:
        # LambdaLR's per-group callables; here they give the absolute LR after `calls` calls.
        return lambda calls: self.schedule(calls // self.calls_per_step) * self.group_factors[group]

    def _values(self, step: int) -> list[float]:
        """Set the momentum of every group for `step`; return every group's LR."""
        if self.momentum is None:
            lr = self.schedule(step)
        else:
            lr, momentum = lr_and_momentum(self.schedule, self.momentum, step)
            for group, key in zip(self.optimizer.param_groups, self._momentum_keys, strict=True):
                if key == "betas":
                    group["betas"] = (momentum, *group["betas"][1:])
                else:
                    group["momentum"] = momentum
        factors = self.group_factors
        return [lr] if len(factors) == 1 and factors[0] == 1.0 else [lr * factor for factor in factors]

    def get_lr(self) -> list[float]:  # type: ignore[override]
        return self._values(self.last_epoch // self.calls_per_step)

    def step(self, epoch: int | None = None) -> None:
        """One step, as `LambdaLR.step()` does, without its per-call machinery.

        The first call (torch's checks of the call order) and the deprecated `epoch`
        argument go through torch's own `step`.
        """
        if epoch is not None or self._step_count == 1:
            super().step(epoch)
            return
        self._step_count += 1
        self.last_epoch += 1
        step = self.last_epoch if self.calls_per_step == 1 else self.last_epoch // self.calls_per_step
        factors = self.group_factors
        if self.momentum is None and len(factors) == 1 and factors[0] == 1.0:
            lrs = [self.schedule(step)]  # the common case, without the general path's call
        else:
            lrs = self._values(step)
        groups = self.optimizer.param_groups  # as many as lrs: checked at construction and on load
        tensors = False
        for index, group in enumerate(groups):
            current = group["lr"]
            if type(current) is not float and isinstance(current, torch.Tensor):
                current.fill_(lrs[index])  # a tensor LR (capturable optimizers) is filled in place
                tensors = True
            else:
                group["lr"] = lrs[index]
        # What the groups hold after every fill (groups may share one LR tensor), never aliased.
        self._last_lr = (
            [g["lr"].clone() if isinstance(g["lr"], torch.Tensor) else g["lr"] for g in groups] if tensors else lrs
        )

    _get_closed_form_lr = get_lr

    def state_dict(self) -> dict[str, Any]:
        """Steps taken and the schedules' configs: plain data, loadable with `weights_only=True`."""
        return {
            "format": STATE_FORMAT,
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "base_lrs": [float(lr) for lr in self.base_lrs],  # a tensor LR as its number: plain data
            "_last_lr": [float(lr) for lr in self._last_lr],
            "schedule": self.schedule.to_config(),
            "momentum": None if self.momentum is None else self.momentum.to_config(),
            "group_factors": list(self.group_factors),
            "calls_per_step": self.calls_per_step,
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume: the step count and the schedules come from the checkpoint.

        Everything loaded is checked as strictly as the constructor checks its
        arguments, and nothing changes unless all of it is valid.
        """
        if not isinstance(state_dict, dict) or state_dict.get("format") != STATE_FORMAT:
            found = state_dict.get("format") if isinstance(state_dict, dict) else type(state_dict).__name__
            raise ValueError(f"state_dict format must be {STATE_FORMAT} (an lrsched ScheduleLR state); got {found!r}")
        missing = sorted(
            {"momentum", "schedule", "group_factors", "last_epoch", "_step_count", "base_lrs", "_last_lr"}
            - set(state_dict)
        )
        if missing:
            raise ValueError(f"state_dict lacks {missing}: it is not a complete lrsched ScheduleLR state")
        groups = len(self.optimizer.param_groups)
        momentum = state_dict["momentum"]
        if (momentum is None) != (self.momentum is None):
            raise ValueError(
                "state_dict and this scheduler disagree on whether momentum is scheduled: build the scheduler "
                "with momentum=... as it was when the checkpoint was saved (or without it), then load"
            )
        factors = state_dict["group_factors"]
        if isinstance(factors, (list, tuple)) and len(factors) != groups:
            raise ValueError(f"state_dict has {len(factors)} param groups; this optimizer has {groups}")
        group_factors = _check_group_factors(factors, groups)
        schedule = require_schedule("schedule", from_config(state_dict["schedule"]), nonnegative=True)
        loaded_momentum = (
            None if momentum is None else require_schedule("momentum", from_config(momentum), nonnegative=True)
        )
        _check_momentum_for(self._momentum_keys, loaded_momentum)
        last_epoch = _check_count("last_epoch", state_dict["last_epoch"], -1)
        calls_per_step = _check_count("calls_per_step", state_dict.get("calls_per_step", 1), 1)  # 1: older states
        step_count = _check_count("_step_count", state_dict["_step_count"], 0)
        base_lrs = _check_lrs("base_lrs", state_dict["base_lrs"], groups)
        last_lr = _check_lrs("_last_lr", state_dict["_last_lr"], groups)
        changed = [
            f"{name}: {mine!r} -> {theirs!r}"
            for name, mine, theirs in (
                ("schedule", self.schedule, schedule),
                ("momentum", self.momentum, loaded_momentum),
            )
            if mine != theirs
        ]
        if changed:
            # A resume continues the run that was saved; a changed schedule must not be lost in silence.
            warnings.warn(
                "the checkpoint's schedules replace the ones this scheduler was built with ("
                + "; ".join(changed)
                + "): the resumed run follows what was saved. To train on a new schedule, build a new "
                "scheduler after loading the optimizer, with last_epoch set by hand if it should start part-way",
                UserWarning,
                stacklevel=2,
            )
        self.schedule, self.group_factors = schedule, group_factors
        self.momentum = _sharing_shape(schedule, loaded_momentum)
        self.last_epoch, self._step_count, self.calls_per_step = last_epoch, step_count, calls_per_step
        self.base_lrs, self._last_lr = list[float | torch.Tensor](base_lrs), list[float | torch.Tensor](last_lr)


def lambda_lr(
    optimizer: torch.optim.Optimizer,
    schedule: Schedule,
    *,
    momentum: Schedule | None = None,
    group_factors: Sequence[float] | None = None,
    calls_per_step: int = 1,
) -> ScheduleLR:
    """Drive `optimizer` from `schedule` (and `momentum`), one value per `scheduler.step()`.

    The schedule's step is the number of `scheduler.step()` calls divided by
    `calls_per_step` (rounded down): 1 by default, one step per call. Where a training
    library calls `scheduler.step()` several times per optimizer step, say how many:
    Hugging Face accelerate steps a scheduler handed to `accelerator.prepare` once per
    process at every optimizer step (unless `Accelerator(split_batches=True)`), so with
    `calls_per_step=accelerator.num_processes` optimizer step `j` uses `schedule(j)`, a
    schedule sized in the optimizer steps each process takes. The other ways that are
    right: size the schedule in calls (`total_steps` and every other step count times
    the number of processes: step `j` uses `schedule(N * j)`), or build
    `Accelerator(step_scheduler_with_optimizer=False)` and call `scheduler.step()` once
    per optimizer step (with gradient accumulation, only when `accelerator.sync_gradients`).
    """
    return ScheduleLR(
        optimizer, schedule, momentum=momentum, group_factors=group_factors, calls_per_step=calls_per_step
    )


# -- the LR range test ------------------------------------------------------------------
def range_test(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.nn.Module, Any], torch.Tensor],
    data: Iterable[Any],
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    mode: str = "exp",
    smoothing: float = 0.98,
    diverge: float = 4.0,
    val_data: Iterable[Any] | None = None,
    accumulation_steps: int = 1,
    progress: bool | None = None,
    autocast: torch.dtype | None = None,
    grad_scaler: torch.amp.GradScaler | None = None,
    max_grad_norm: float | None = None,
    closure: bool | None = None,
    cache: str = "device",
    distributed: bool | None = None,
) -> RangeTestResult:
    """Smith's LR range test: train `num_steps` optimizer steps while the LR sweeps from
    `start_lr` to `end_lr` (`range_sweep`), record the loss, stop early on divergence or a
    non-finite loss, and return the analysis. `loss_fn(model, batch)` returns the loss of
    one batch, whatever the batch is (a tuple, a dict, ...). With `val_data`, the loss
    recorded is the mean validation loss after each step. Param groups keep their LR
    ratios, taken against the first group with a nonzero LR (whose LR is the one
    recorded); a group at lr 0 (a frozen backbone) stays at 0. Every parameter and buffer
    of every submodule (non-persistent buffers too) and every parameter the optimizer
    trains outside the model, their gradients, the optimizer's state and param groups,
    each submodule's own train/eval mode and torch's RNG state are restored exactly
    afterwards, also when the loss function raises or the run is interrupted. Data that
    runs out (a generator shorter than `num_steps`) ends the sweep with the curve so far.
    `val_data` is read after every step: a list, a DataLoader, not a generator.

    Many processes: with `torch.distributed` initialized and a data-parallel model (a
    `DistributedDataParallel` or FSDP module, or a model holding one; each rank with its
    shard of the data), every rank must call `range_test` with the same settings: the
    recorded loss is averaged over the ranks (on the parameters' device, in float32, so
    any backend, NCCL included, reduces it), and the ranks agree before every batch
    whether each still has data, so all stop at the same step with the same result. An
    unwrapped model is swept on its own rank alone, nothing reduced (a range test on
    rank 0 only). `distributed=True` reduces over all ranks whatever the model (every
    rank must then run it), `False` never reduces.

    Training loops as practitioners write them: `autocast` (e.g. `torch.bfloat16`) runs
    `loss_fn` under `torch.autocast` on the parameters' device; `grad_scaler` (a
    `torch.amp.GradScaler`, for float16) scales the loss, unscales before clipping and
    steps through the scaler (its state is restored afterwards too); `max_grad_norm`
    clips the gradients' global norm before each step; `closure` steps
    `optimizer.step(closure)` (LBFGS and other optimizers that evaluate the loss
    themselves; by default for `torch.optim.LBFGS`), recording the loss the closure
    first returns.

    `cache` says where the copy kept for the restore lives: "device" (beside the model:
    fastest, one more model and optimizer state in accelerator memory), "cpu" (host
    memory) or "disk" (temporary files, removed afterwards, also after an exception),
    for a model that fills its accelerator.
    """
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer; got {type(optimizer).__name__}")
    _check_settings(
        start_lr=start_lr,
        end_lr=end_lr,
        num_steps=num_steps,
        mode=mode,
        smoothing=smoothing,
        diverge=diverge,
        val_data=val_data,
        accumulation_steps=accumulation_steps,
        autocast=autocast,
        grad_scaler=grad_scaler,
        max_grad_norm=max_grad_norm,
        closure=closure,
        cache=cache,
        distributed=distributed,
    )
    if not any(True for _ in model.parameters()):
        raise ValueError("model has no parameters: there is nothing for the range test to train")
    use_closure = isinstance(optimizer, torch.optim.LBFGS) if closure is None else bool(closure)
    if use_closure and (accumulation_steps != 1 or grad_scaler is not None):
        raise ValueError("closure=True steps optimizer.step(closure): it takes no accumulation_steps or grad_scaler")
    device = next(model.parameters()).device
    device_type = device.type
    ranks = _ranks(model, distributed, device)
    trained = [p for group in optimizer.param_groups for p in group["params"]]

    # Ratios against the first group that trains: a group at lr 0 (a frozen backbone)
    # stays at 0, and the LR recorded is the reference group's.
    group_lrs = [float(group["lr"]) for group in optimizer.param_groups]
    reference = next((i for i, lr in enumerate(group_lrs) if lr != 0.0), None)
    if reference is None:
        raise ValueError(
            "every param group has lr=0, so none would train: give the groups to sweep a nonzero lr "
            "(their ratios are kept; groups at 0 stay frozen)"
        )
    ratios = [lr / group_lrs[reference] for lr in group_lrs]

    def forward(batch: Any) -> torch.Tensor:
        if autocast is None:
            return loss_fn(model, batch)
        with torch.autocast(device_type=device_type, dtype=autocast):
            return loss_fn(model, batch)

    def clip() -> None:
        if max_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(trained, max_grad_norm)

    def draw(batches: Iterator[Any]) -> Any:
        """The next batch; across ranks, only if every rank has one (else all stop here)."""
        try:
            batch, has = next(batches), True
        except DataExhaustedError:
            batch, has = None, False
        if ranks is None and not has:
            raise DataExhaustedError
        if ranks is not None and not ranks.all_have(has):
            raise DataExhaustedError("on at least one rank (every rank stops at this step)")
        return batch

    def train_step(lr: float, batches: Iterator[Any]) -> tuple[float, float]:
        for group, ratio in zip(optimizer.param_groups, ratios, strict=True):
            group["lr"] = lr * ratio
        if use_closure:
            batch = draw(batches)

            def evaluate() -> torch.Tensor:
                optimizer.zero_grad()
                loss = forward(batch)
                loss.backward()  # type: ignore[no-untyped-call]
                clip()
                return loss

            first = optimizer.step(evaluate)  # type: ignore[arg-type]  # the first evaluation's loss
            total = float(torch.as_tensor(first).detach())
        else:
            optimizer.zero_grad()
            total = 0.0
            for _ in range(accumulation_steps):
                loss = forward(draw(batches))
                scaled = loss / accumulation_steps
                (scaled if grad_scaler is None else grad_scaler.scale(scaled)).backward()  # type: ignore[no-untyped-call]
                total += float(loss.detach()) / accumulation_steps
            if grad_scaler is not None:
                grad_scaler.unscale_(optimizer)
                clip()
                grad_scaler.step(optimizer)
                grad_scaler.update()
            else:
                clip()
                optimizer.step()
        if val_data is not None:
            total = _validation_loss(model, loss_fn, val_data)
        return float(optimizer.param_groups[reference]["lr"]), total if ranks is None else ranks.mean(total)

    saved = _TrainingState(model, optimizer, cache)
    scaler_state = None if grad_scaler is None else copy.deepcopy(grad_scaler.state_dict())
    try:
        model.train()
        return run_sweep(
            train_step,
            data,
            start_lr=start_lr,
            end_lr=end_lr,
            num_steps=num_steps,
            mode=mode,
            smoothing=smoothing,
            diverge=diverge,
            progress=progress,
            optimizer=optimizer_family(type(optimizer).__name__),
        )
    finally:
        saved.restore()
        if grad_scaler is not None and scaler_state is not None:
            grad_scaler.load_state_dict(scaler_state)


def _check_settings(
    *,
    start_lr: float,
    end_lr: float,
    num_steps: int,
    mode: str,
    smoothing: float,
    diverge: float,
    val_data: Iterable[Any] | None,
    accumulation_steps: int,
    autocast: torch.dtype | None,
    grad_scaler: torch.amp.GradScaler | None,
    max_grad_norm: float | None,
    closure: bool | None,
    cache: str,
    distributed: bool | None,
) -> None:
    """The range test's settings checked before anything is touched (the same rules for
    `range_test` and for those who hold its options until later, as the Lightning
    callback does): a ValueError or TypeError naming the setting, the value and the range."""
    check_sweep_settings(
        start_lr=start_lr, end_lr=end_lr, num_steps=num_steps, mode=mode, smoothing=smoothing, diverge=diverge
    )
    if val_data is not None:
        require_reiterable("val_data", val_data)
    if not isinstance(accumulation_steps, int) or isinstance(accumulation_steps, bool) or accumulation_steps < 1:
        raise ValueError(f"accumulation_steps must be a whole number >= 1; got {accumulation_steps!r}")
    if max_grad_norm is not None and not (
        isinstance(max_grad_norm, (int, float)) and math.isfinite(max_grad_norm) and max_grad_norm > 0
    ):
        raise ValueError(f"max_grad_norm must be a finite number in (0, inf) or None; got {max_grad_norm!r}")
    if autocast is not None and not (isinstance(autocast, torch.dtype) and autocast.is_floating_point):
        raise TypeError(f"autocast must be a floating torch.dtype (e.g. torch.bfloat16) or None; got {autocast!r}")
    if grad_scaler is not None and not isinstance(grad_scaler, torch.amp.GradScaler):
        raise TypeError(f"grad_scaler must be a torch.amp.GradScaler or None; got {type(grad_scaler).__name__}")
    if cache not in CACHES:
        raise ValueError(f"cache must be one of {', '.join(map(repr, CACHES))}; got {cache!r}")
    if closure is not None and not isinstance(closure, bool):
        raise TypeError(f"closure must be True, False or None; got {closure!r}")
    if closure and (accumulation_steps != 1 or grad_scaler is not None):
        raise ValueError("closure=True steps optimizer.step(closure): it takes no accumulation_steps or grad_scaler")
    if distributed is not None and not isinstance(distributed, bool):
        raise TypeError(f"distributed must be True, False or None; got {distributed!r}")


def check_range_test_options(**options: Any) -> None:
    """Check the keyword options of `range_test` (`start_lr=`, `num_steps=`, `cache=`, ...)
    without running it: a misspelt name is a TypeError that lists the options, a value out
    of range the ValueError `range_test` itself would raise."""
    parameters = inspect.signature(range_test).parameters
    known = [name for name, p in parameters.items() if p.kind is inspect.Parameter.KEYWORD_ONLY]
    for name in options:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise TypeError(f"range_test takes no option {name!r}{hint}; its options are {', '.join(known)}")
    settings = {name: options.get(name, parameters[name].default) for name in known}
    del settings["progress"]
    _check_settings(**settings)


class _ModuleModes:
    """Every submodule's own train/eval mode (a frozen BatchNorm in eval inside a model
    in train mode keeps its eval)."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.modes = [(module, module.training) for module in model.modules()]

    def restore(self) -> None:
        for module, training in self.modes:
            module.training = training


CACHES = ("device", "cpu", "disk")


def _to_cpu(value: Any) -> Any:
    """A copy of a (nested) state dict with every tensor copied to the CPU."""
    if torch.is_tensor(value):
        return value.detach().to("cpu", copy=True)
    if isinstance(value, dict):
        return {k: _to_cpu(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_cpu(v) for v in value)
    return copy.deepcopy(value)


class _TrainingState:
    """A copy of everything a range test may change, and its exact restore.

    Every parameter and buffer of every submodule (persistent or not; the tensor
    objects themselves stay in place, in case a module reassigned one), every parameter
    the optimizer trains outside the model (a learnable loss temperature), their
    gradients, the optimizer's state and param groups, each submodule's mode and torch's
    RNG state. `cache` says where the copy of the tensors lives: beside them
    ("device"), in host memory ("cpu") or in temporary files ("disk", removed by
    `restore`, which the runner calls also after an exception).
    """

    def __init__(self, model: torch.nn.Module, optimizer: torch.optim.Optimizer, cache: str = "device") -> None:
        self.slots: list[tuple[dict[str, Any], str, torch.Tensor]] = []
        for module in model.modules():
            for table in (module._parameters, module._buffers):
                self.slots += [(table, name, tensor) for name, tensor in table.items() if tensor is not None]
        tensors = {id(t): t for _, _, t in self.slots}
        for group in optimizer.param_groups:
            tensors.update((id(p), p) for p in group["params"])
        self.tensors, self.optimizer, self.cache = tensors, optimizer, cache
        self.path: str | None = None
        values = {key: t.detach() for key, t in tensors.items()}
        grads = {key: None if t.grad is None else t.grad.detach() for key, t in tensors.items()}
        if cache == "device":
            self.values = {key: v.clone() for key, v in values.items()}
            self.grads = {key: None if g is None else g.clone() for key, g in grads.items()}
            self.optimizer_state = copy.deepcopy(optimizer.state_dict())
        elif cache == "cpu":
            self.values, self.grads = _to_cpu(values), _to_cpu(grads)
            self.optimizer_state = _to_cpu(optimizer.state_dict())
        else:
            # One file per tensor, so the restore holds one tensor at a time in memory.
            self.path = tempfile.mkdtemp(prefix="lrsched-range-test-")
            try:
                for index, key in enumerate(tensors):
                    torch.save((values[key], grads[key]), os.path.join(self.path, f"{index}.pt"))
                torch.save(optimizer.state_dict(), os.path.join(self.path, "optimizer.pt"))
            except BaseException:  # a full disk: nothing half-written stays behind
                shutil.rmtree(self.path, ignore_errors=True)
                raise
        self.modes = _ModuleModes(model)
        self.rng = _rng_states()

    def restore(self) -> None:
        try:
            for table, name, tensor in self.slots:
                table[name] = tensor
            with torch.no_grad():
                for index, (key, tensor) in enumerate(self.tensors.items()):
                    if self.path is not None:
                        value, grad = torch.load(os.path.join(self.path, f"{index}.pt"), weights_only=True)
                    else:
                        value, grad = self.values[key], self.grads[key]
                    tensor.copy_(value)
                    if grad is not None and self.cache != "device":  # a copy off the host / file
                        grad = grad.to(tensor.device, copy=True)
                    tensor.grad = grad
            if self.path is not None:
                optimizer_state = torch.load(os.path.join(self.path, "optimizer.pt"), weights_only=True, mmap=True)
            else:
                optimizer_state = self.optimizer_state
            self.optimizer.load_state_dict(optimizer_state)
            self.modes.restore()
            _set_rng_states(self.rng)
        finally:
            if self.path is not None:
                shutil.rmtree(self.path, ignore_errors=True)
                self.path = None


def _rng_states() -> dict[str, Any]:
    """The state of every random generator a range test may advance: the CPU's, and each
    CUDA device's and the MPS device's where that back-end is in use (CUDA initialized,
    MPS available). Reading them starts no back-end that is not already running."""
    states: dict[str, Any] = {"cpu": torch.get_rng_state()}
    if torch.cuda.is_available() and torch.cuda.is_initialized():  # type: ignore[no-untyped-call]
        states["cuda"] = torch.cuda.get_rng_state_all()
    if torch.backends.mps.is_available():
        states["mps"] = torch.mps.get_rng_state()
    return states


def _set_rng_states(states: dict[str, Any]) -> None:
    """Put back what `_rng_states` read."""
    torch.set_rng_state(states["cpu"])
    if "cuda" in states:
        torch.cuda.set_rng_state_all(states["cuda"])
    if "mps" in states:
        torch.mps.set_rng_state(states["mps"])


def _data_parallel(model: torch.nn.Module) -> torch.nn.Module | None:
    """The model, or the first of its submodules, that synchronises ranks in its forward
    or backward pass (DistributedDataParallel, FSDP), or None."""
    kinds: list[type] = [torch.nn.parallel.DistributedDataParallel]
    try:
        from torch.distributed.fsdp import FullyShardedDataParallel

        kinds.append(FullyShardedDataParallel)
        from torch.distributed.fsdp import FSDPModule  # type: ignore[attr-defined,unused-ignore]

        kinds.append(FSDPModule)
    except ImportError:  # a torch without FSDP (or without its per-module form)
        pass
    return next((module for module in model.modules() if isinstance(module, tuple(kinds))), None)


class _Ranks:
    """The ranks a range test runs on, and the two things they agree on: the loss to
    record and whether every rank still has a batch. Tensors live on the parameters'
    device, in float32: the device and dtype every backend (gloo, NCCL, ...) reduces."""

    def __init__(self, group: Any, device: torch.device) -> None:
        self.group, self.device = group, device
        self.size = torch.distributed.get_world_size(group)

    def _reduce(self, value: float, op: Any) -> float:
        tensor = torch.tensor([value], dtype=torch.float32, device=self.device)
        torch.distributed.all_reduce(tensor, op=op, group=self.group)
        return float(tensor.item())

    def mean(self, loss: float) -> float:
        """The loss averaged over the ranks: every rank then records the same curve,
        stops at the same step and makes the same suggestion."""
        return self._reduce(loss, torch.distributed.ReduceOp.SUM) / self.size

    def all_have(self, has: bool) -> bool:
        """Whether every rank has `has` true (each rank's data has a next batch)."""
        return self._reduce(1.0 if has else 0.0, torch.distributed.ReduceOp.MIN) == 1.0


def _ranks(model: torch.nn.Module, distributed: bool | None, device: torch.device) -> _Ranks | None:
    """The ranks to reduce over: with torch.distributed initialized, those of a
    data-parallel model (`distributed=None`), all of them (`True`), or none (`False`,
    or an unwrapped model: a range test on one rank alone)."""
    available = torch.distributed.is_available() and torch.distributed.is_initialized()
    if distributed and not available:
        raise ValueError(
            "distributed=True, but torch.distributed is not initialized: call init_process_group first "
            "(or leave distributed=None)"
        )
    if distributed is False or not available:
        return None
    wrapper = _data_parallel(model)
    if wrapper is None and not distributed:
        return None
    group = getattr(wrapper, "process_group", None) if wrapper is not None and not distributed else None
    return _Ranks(group, device)


def _validation_loss(
    model: torch.nn.Module, loss_fn: Callable[[torch.nn.Module, Any], torch.Tensor], val_data: Iterable[Any]
) -> float:
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in val_data:
            total += float(loss_fn(model, batch))
            count += 1
    model.train()
    if count == 0:
        raise ValueError("val_data is empty: it gave no batch")
    return total / count


# -- snapshot ensembles -------------------------------------------------------------------
class Snapshots:
    """Keep the model's weights at every cycle end of a cyclic schedule (snapshot
    ensembles, Huang et al. 2017).

    Call `step()` beside `scheduler.step()`; after `k` calls, if `k` is one of
    `schedule.cycle_ends(...)`, the model's `state_dict` is kept: the last `keep` of them,
    in memory, or as `torch.save` files in `directory` (written to a temporary name, then
    renamed: an interrupted run never leaves a half-written snapshot; an existing file
    of the same name is never overwritten).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        schedule: Schedule,
        *,
        keep: int = 5,
        directory: str | os.PathLike[str] | None = None,
        prefix: str = "snapshot",
    ) -> None:
        self.model = model
        self.keeper = SnapshotKeeper(schedule, keep=keep, directory=directory, prefix=prefix, suffix=".pt")

    @property
    def kept(self) -> list[tuple[int, Any]]:
        return self.keeper.kept

    def step(self) -> bool:
        """Count one optimizer update; keep a snapshot if it ends a cycle. True if kept."""
        if not self.keeper.step():
            return False
        state = {k: v.detach().clone().cpu() for k, v in self.model.state_dict().items()}
        if self.keeper.directory is None:
            self.keeper.keep_in_memory(state)
        else:
            self.keeper.keep_file(lambda path: torch.save(state, path))
        return True

    @property
    def state_dicts(self) -> list[dict[str, torch.Tensor]]:
        """The kept snapshots. state dicts, oldest first (files deleted since are left out)."""
        return [torch.load(s, weights_only=True) if isinstance(s, Path) else s for _, s in self.keeper.existing]


def ensemble_predict(
    model: torch.nn.Module, state_dicts: Sequence[dict[str, torch.Tensor]], inputs: Any, *, average: str = "softmax"
) -> torch.Tensor:
    """The snapshot ensemble's prediction: the mean over snapshots of softmax(outputs)
    (`average="softmax"`, class probabilities) or of the raw outputs (`"logits"`). The
    model's own weights and train/eval mode are restored afterwards."""
    if average not in ("softmax", "logits"):
        raise ValueError(f"average must be 'softmax' or 'logits'; got {average!r}")
    if not state_dicts:
        raise ValueError("state_dicts is empty: there are no snapshots to average")
    original = copy.deepcopy(model.state_dict())
    modes = _ModuleModes(model)
    outputs = []
    try:
        model.eval()
        with torch.no_grad():
            for state in state_dicts:
                model.load_state_dict(state)
                out = model(inputs)
                outputs.append(torch.softmax(out, dim=-1) if average == "softmax" else out)
    finally:
        model.load_state_dict(original)
        modes.restore()
    return torch.stack(outputs).mean(dim=0)
