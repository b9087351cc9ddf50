"""PyTorch adapter: an lrsched schedule as a `torch.optim.lr_scheduler.LambdaLR`.

    scheduler = lambda_lr(optimizer, schedule, momentum=inverse_momentum(schedule=schedule))
    for batch in data:
        loss = ...; loss.backward(); optimizer.step(); optimizer.zero_grad()
        scheduler.step()

After `k` calls of `scheduler.step()` every param group's `lr` is `schedule(k)` times the
group's factor (absolute values, not multiples of the optimizer's initial LR), and its
`momentum` (SGD, RMSprop) or `betas[0]` (Adam, AdamW, NAdam, RAdam, Adamax, ...) is
`momentum(k)`. `state_dict()` holds the schedules as their configs (no pickled
callables), so `torch.load(..., weights_only=True)` reads it and `load_state_dict`
resumes the identical sequence. The values all come from the core; no math here.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import torch

from lrsched import Schedule, from_config
from lrsched.base import require_schedule
from lrsched.range_test import RangeTestResult, run_sweep
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


class ScheduleLR(torch.optim.lr_scheduler.LambdaLR):
    """A `LambdaLR` whose param groups follow an lrsched schedule (and momentum schedule)."""

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedule: Schedule,
        *,
        momentum: Schedule | None = None,
        group_factors: Sequence[float] | None = None,
        last_epoch: int = -1,
    ) -> None:
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer must be a torch.optim.Optimizer; got {type(optimizer).__name__}")
        self.schedule = require_schedule("schedule", schedule, nonnegative=True)
        self.momentum = momentum if momentum is None else require_schedule("momentum", momentum, nonnegative=True)
        groups = optimizer.param_groups
        factors = [1.0] * len(groups) if group_factors is None else list(group_factors)
        if len(factors) != len(groups) or not all(
            isinstance(f, (int, float)) and not isinstance(f, bool) and 0 <= f < float("inf") for f in factors
        ):
            raise ValueError(
                f"group_factors must hold one finite number >= 0 per param group ({len(groups)}); got {group_factors!r}"
            )
        self.group_factors = [float(f) for f in factors]
        self._momentum_keys = (
            [] if momentum is None else [_momentum_key(g, i, optimizer) for i, g in enumerate(groups)]
        )
        lambdas = [self._absolute_lr(i) for i in range(len(groups))]
        super().__init__(optimizer, lambdas, last_epoch=last_epoch)

    def _absolute_lr(self, group: int) -> Any:
        # LambdaLR's per-group callables; here they give the absolute LR at a step.
        return lambda step: self.schedule(step) * self.group_factors[group]

    def get_lr(self) -> list[float]:  # type: ignore[override]
        step = self.last_epoch
        lr = self.schedule(step)
        if self.momentum is not None:
            value = self.momentum(step)
            for group, key in zip(self.optimizer.param_groups, self._momentum_keys, strict=True):
                if key == "betas":
                    group["betas"] = (value, *group["betas"][1:])
                else:
                    group["momentum"] = value
        return [lr * factor for factor in self.group_factors]

    _get_closed_form_lr = get_lr

    def state_dict(self) -> dict[str, Any]:
        """Steps taken and the schedules' configs: plain data, loadable with `weights_only=True`."""
        return {
            "format": STATE_FORMAT,
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "base_lrs": list(self.base_lrs),
            "_last_lr": list(self._last_lr),
            "schedule": self.schedule.to_config(),
            "momentum": None if self.momentum is None else self.momentum.to_config(),
            "group_factors": list(self.group_factors),
        }

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume: the step count and the schedules come from the checkpoint."""
        if state_dict.get("format") != STATE_FORMAT:
            raise ValueError(
                f"state_dict format must be {STATE_FORMAT} (an lrsched ScheduleLR state); "
                f"got {state_dict.get('format')!r}"
            )
        momentum = state_dict["momentum"]
        if (momentum is None) != (self.momentum is None):
            raise ValueError("state_dict and this scheduler disagree on whether momentum is scheduled")
        if len(state_dict["group_factors"]) != len(self.optimizer.param_groups):
            raise ValueError("state_dict has a different number of param groups than this optimizer")
        self.schedule = require_schedule("schedule", from_config(state_dict["schedule"]), nonnegative=True)
        if momentum is not None:
            self.momentum = require_schedule("momentum", from_config(momentum), nonnegative=True)
        self.group_factors = [float(f) for f in state_dict["group_factors"]]
        self.last_epoch = int(state_dict["last_epoch"])
        self._step_count = int(state_dict["_step_count"])
        self.base_lrs = list(state_dict["base_lrs"])
        self._last_lr = list(state_dict["_last_lr"])


def lambda_lr(
    optimizer: torch.optim.Optimizer,
    schedule: Schedule,
    *,
    momentum: Schedule | None = None,
    group_factors: Sequence[float] | None = None,
) -> ScheduleLR:
    """Drive `optimizer` from `schedule` (and `momentum`), one value per `scheduler.step()`."""
    return ScheduleLR(optimizer, schedule, momentum=momentum, group_factors=group_factors)


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
) -> RangeTestResult:
    """Smith's LR range test: train `num_steps` optimizer steps while the LR sweeps from
    `start_lr` to `end_lr` (`range_sweep`), record the loss, stop early on divergence or a
    non-finite loss, and return the analysis. `loss_fn(model, batch)` returns the loss of
    one batch, whatever the batch is (a tuple, a dict, ...). With `val_data`, the loss
    recorded is the mean validation loss after each step. Param groups keep their LR
    ratios; the LR recorded is the one group 0 applied. The model's parameters and
    buffers (and gradients), the optimizer's state and param groups, the model's
    train/eval mode and torch's RNG state are restored exactly afterwards, also when the
    loss function raises or the run is interrupted. Under `torch.distributed` (a
    `DistributedDataParallel` model, each rank with its shard of the data) the recorded
    loss is averaged over the ranks, so every rank gets the same result.
    """
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer; got {type(optimizer).__name__}")
    if not isinstance(accumulation_steps, int) or accumulation_steps < 1:
        raise ValueError(f"accumulation_steps must be a whole number >= 1; got {accumulation_steps!r}")
    if not any(True for _ in model.parameters()):
        raise ValueError("model has no parameters: there is nothing for the range test to train")

    first_lr = optimizer.param_groups[0]["lr"]
    ratios = [group["lr"] / first_lr if first_lr else 1.0 for group in optimizer.param_groups]

    def train_step(lr: float, batches: Iterator[Any]) -> tuple[float, float]:
        for group, ratio in zip(optimizer.param_groups, ratios, strict=True):
            group["lr"] = lr * ratio
        optimizer.zero_grad()
        total = 0.0
        for _ in range(accumulation_steps):
            loss = loss_fn(model, next(batches))
            (loss / accumulation_steps).backward()  # type: ignore[no-untyped-call]
            total += float(loss.detach()) / accumulation_steps
        optimizer.step()
        if val_data is not None:
            total = _validation_loss(model, loss_fn, val_data)
        return float(optimizer.param_groups[0]["lr"]), _mean_over_ranks(total)

    saved_model = copy.deepcopy(model.state_dict())
    saved_grads = [None if p.grad is None else p.grad.detach().clone() for p in model.parameters()]
    saved_optimizer = copy.deepcopy(optimizer.state_dict())
    saved_rng = torch.get_rng_state()
    was_training = model.training
    try:
        model.train()
        return run_sweep(train_step, data, start_lr=start_lr, end_lr=end_lr, num_steps=num_steps, mode=mode,
                         smoothing=smoothing, diverge=diverge, progress=progress)
    finally:
        model.load_state_dict(saved_model)
        for parameter, grad in zip(model.parameters(), saved_grads, strict=True):
            parameter.grad = grad
        optimizer.load_state_dict(saved_optimizer)
        torch.set_rng_state(saved_rng)
        model.train(was_training)


def _mean_over_ranks(loss: float) -> float:
    """Under torch.distributed, the loss averaged over all ranks: every rank then records
    the same curve, stops at the same step and makes the same suggestion."""
    distributed = torch.distributed
    if not (distributed.is_available() and distributed.is_initialized()):
        return loss
    total = torch.tensor([loss], dtype=torch.float64)
    distributed.all_reduce(total)
    return float(total.item()) / distributed.get_world_size()


def _validation_loss(model: torch.nn.Module, loss_fn: Callable[[torch.nn.Module, Any], torch.Tensor],
                     val_data: Iterable[Any]) -> float:
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for batch in val_data:
            total += float(loss_fn(model, batch))
            count += 1
    model.train()
    if count == 0:
        raise ValueError("val_data is empty")
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

    def __init__(self, model: torch.nn.Module, schedule: Schedule, *, keep: int = 5,
                 directory: str | os.PathLike[str] | None = None, prefix: str = "snapshot") -> None:
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
        """The kept snapshots' state dicts, oldest first."""
        return [torch.load(s, weights_only=True) if isinstance(s, Path) else s for _, s in self.kept]


def ensemble_predict(model: torch.nn.Module, state_dicts: Sequence[dict[str, torch.Tensor]], inputs: Any,
                     *, average: str = "softmax") -> torch.Tensor:
    """The snapshot ensemble's prediction: the mean over snapshots of softmax(outputs)
    (`average="softmax"`, class probabilities) or of the raw outputs (`"logits"`). The
    model's own weights and train/eval mode are restored afterwards."""
    if average not in ("softmax", "logits"):
        raise ValueError(f"average must be 'softmax' or 'logits'; got {average!r}")
    if not state_dicts:
        raise ValueError("state_dicts is empty: there are no snapshots to average")
    original = copy.deepcopy(model.state_dict())
    was_training = model.training
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
        model.train(was_training)
    return torch.stack(outputs).mean(dim=0)
