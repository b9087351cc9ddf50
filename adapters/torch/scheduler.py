"""The PyTorch scheduler: an lrsched schedule as a `torch.optim.lr_scheduler.LambdaLR`.

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

import dataclasses
import warnings
from collections.abc import Sequence
from typing import Any

import torch

from lrsched import InverseMomentum, Schedule, from_config, lr_and_momentum
from lrsched.base import require_schedule
from lrsched.momentum import check_drives_beta

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
    if momentum is not None and "betas" in keys:
        check_drives_beta("momentum", momentum)


def _refuse_unmade_buffers(optimizer: torch.optim.Optimizer, momentum: Schedule, first: int) -> None:
    """torch's RMSprop makes a parameter's momentum buffer only if its momentum is above
    0 when it makes the parameter's state (its first step), and reads the buffer whenever
    momentum is above 0: a momentum schedule from 0 failed at its second step (KeyError
    'momentum_buffer'). Refused here, naming the step."""
    if not isinstance(optimizer, torch.optim.RMSprop) or not momentum.bounds[1] > 0.0:
        return
    params = [p for group in optimizer.param_groups for p in group["params"]]
    unmade = [p for p in params if optimizer.state.get(p) and "momentum_buffer" not in optimizer.state[p]]
    if unmade or (float(momentum(first)) == 0.0 and any(not optimizer.state.get(p) for p in params)):
        where = "the optimizer's state was made with momentum 0" if unmade else f"momentum is 0 at step {first}"
        raise ValueError(
            f"{where}, but the momentum schedule rises above 0 later: torch's RMSprop makes a parameter's momentum "
            "buffer only if momentum is above 0 at its first step, and fails without it (KeyError "
            "'momentum_buffer'); start the momentum above 0 (e.g. warmup(..., start_lr=0.01))"
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


def _groups_changed(groups: int, made_for: int) -> ValueError:
    return ValueError(
        f"the optimizer has {groups} param groups; the scheduler was made for {made_for}: make it after "
        "add_param_group (each group's LR is a factor of the schedule, set when the scheduler is made)"
    )


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


def _refuse_shared_tensor_lrs(groups: list[dict[str, Any]], factors: list[float]) -> None:
    """Groups that share one LR tensor hold one LR: they cannot follow different factors
    (each fill would overwrite the others', leaving every group the last one's LR)."""
    first_of: dict[int, int] = {}
    for index, group in enumerate(groups):
        lr = group["lr"]
        if isinstance(lr, torch.Tensor):
            other = first_of.setdefault(id(lr), index)
            if factors[other] != factors[index]:
                raise ValueError(
                    f"group_factors gives param groups {other} and {index} different LRs "
                    f"({factors[other]!r} and {factors[index]!r}), but they share one LR tensor: "
                    "give each group its own tensor (lr=torch.tensor(...) per group)"
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
        _refuse_shared_tensor_lrs(groups, self.group_factors)
        self._momentum_keys = [] if momentum is None else [_momentum_key(g, i, optimizer) for i, g in enumerate(groups)]
        _check_momentum_for(self._momentum_keys, self.momentum)
        if self.momentum is not None:
            _refuse_unmade_buffers(optimizer, self.momentum, (last_epoch + 1) // calls_per_step)
        lambdas = [self._absolute_lr(i) for i in range(len(groups))]
        super().__init__(optimizer, lambdas, last_epoch=last_epoch)

    def _absolute_lr(self, group: int) -> Any:
        # LambdaLR's per-group callables; here they give the absolute LR after `calls` calls.
        return lambda calls: self.schedule(calls // self.calls_per_step) * self.group_factors[group]

    def _values(self, step: int) -> list[float]:
        """Set the momentum of every group for `step`; return every group's LR."""
        if len(self.optimizer.param_groups) != len(self.group_factors):
            raise _groups_changed(len(self.optimizer.param_groups), len(self.group_factors))
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
        if epoch is not None and (isinstance(epoch, bool) or not float(epoch).is_integer() or epoch < 0):
            # A fractional epoch gave the floor's LR, the next step() the fraction's, and a
            # state_dict that no longer loaded (its last_epoch must be whole).
            raise ValueError(f"epoch must be a whole number of steps >= 0; got {epoch!r}")
        if epoch is not None or self._step_count == 1:
            super().step(epoch)
            return
        self._step_count += 1
        self.last_epoch += 1
        step = self.last_epoch if self.calls_per_step == 1 else self.last_epoch // self.calls_per_step
        factors = self.group_factors
        if self.momentum is None and len(factors) == 1 and factors[0] == 1.0 and len(self.optimizer.param_groups) == 1:
            lrs = [self.schedule(step)]  # the common case, without the general path's call
        else:
            lrs = self._values(step)
        groups = self.optimizer.param_groups  # as many as lrs: checked in _values
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
        schedule = _saved_schedule("schedule", state_dict["schedule"], self.schedule)
        loaded_momentum = None if momentum is None else _saved_schedule("momentum", momentum, self.momentum)
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


def _saved_schedule(name: str, config: Any, mine: Schedule | None) -> Schedule:
    """The schedule a checkpoint holds: the scheduler's own where its config is the saved
    one (so a policy of one's own loads without being registered), else rebuilt from it."""
    if mine is not None and config == mine.to_config():
        return mine
    return require_schedule(name, from_config(config), nonnegative=True)


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
