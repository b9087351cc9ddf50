"""PyTorch Lightning: the LR range test at the start of `fit`, its recommendation applied.

    trainer = pl.Trainer(max_epochs=10, callbacks=[RangeTestCallback(use="constant")])
    trainer.fit(model)          # model.lr (or .learning_rate, or hparams) set before training

The callback runs lrsched's torch range test (`lrsched.adapters.torch.range_test`) on the
module's own `training_step` and optimizer, restores everything, then sets the module's
LR attribute and the optimizer's param groups (their ratios kept) to
`result.recommend(use)`, as Lightning's own `LearningRateFinder` does with its rule.

The sweep trains as `fit` trains: `training_step` is called through the trainer's
strategy, so under DDP (`strategy="ddp"`, `"ddp_spawn"`) the gradients are averaged over
the ranks at every sweep step and every rank holds the same weights; the recorded loss is
the ranks' mean. A scheduler from `configure_optimizers` built with
`lrsched.adapters.torch.lambda_lr` is rescaled so that its peak is the recommended LR (a
1cycle's `max_lr`, a CLR's top; the shape, the step count and the group ratios kept).
Schedulers that multiply the param groups' current LR (`StepLR`, `MultiStepLR`,
`ExponentialLR`, `MultiplicativeLR`, `ReduceLROnPlateau`) follow the applied LR as they
are; any other scheduler would set the LR from its own settings at the next step, so the
callback refuses it before the sweep with a ValueError that says what to do.
"""

from __future__ import annotations

import contextlib
import dataclasses
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities.parsing import lightning_getattr, lightning_hasattr, lightning_setattr

from lrsched import OneCycle, Product, Schedule
from lrsched.adapters.torch import ScheduleLR, check_range_test_options, range_test
from lrsched.rangetest import USES, RangeTestResult

# torch schedulers whose next LR is the param group's current LR times a factor: they
# carry on from the LR the callback applies.
_FOLLOWING = (
    torch.optim.lr_scheduler.StepLR,
    torch.optim.lr_scheduler.MultiStepLR,
    torch.optim.lr_scheduler.ExponentialLR,
    torch.optim.lr_scheduler.MultiplicativeLR,
    torch.optim.lr_scheduler.ReduceLROnPlateau,
)


def _loss_of(output: Any) -> torch.Tensor:
    """The loss a `training_step` returned: a tensor, or a dict's "loss"."""
    if isinstance(output, dict):
        output = output.get("loss")
    if not isinstance(output, torch.Tensor):
        raise TypeError("training_step must return the loss, or a dict with a 'loss' tensor, for the range test")
    return output


@contextlib.contextmanager
def _quiet_logging(module: pl.LightningModule) -> Iterator[None]:
    """`self.log` outside Lightning's loops has no results to write to: drop it while the
    range test calls `training_step`."""

    def drop(*args: Any, **kwargs: Any) -> None:
        return None

    module.log, module.log_dict = drop, drop  # type: ignore[method-assign]
    try:
        yield
    finally:
        del module.log, module.log_dict


def _peaking_at(schedule: Schedule, lr: float) -> Schedule:
    """`schedule` rescaled so that its peak (`bounds[1]`) is `lr`: a 1cycle with `max_lr=lr`,
    anything else times the constant lr / peak (`Product`)."""
    peak = schedule.bounds[1]
    if isinstance(schedule, OneCycle):
        return dataclasses.replace(schedule, max_lr=lr)
    if isinstance(schedule, Product):
        return dataclasses.replace(schedule, scale=schedule.scale * (lr / peak))
    return Product(schedules=[schedule], scale=lr / peak)


def _check_schedulers(trainer: pl.Trainer) -> None:
    """Refuse, before the sweep, a scheduler that would undo the applied LR."""
    for config in trainer.lr_scheduler_configs:
        scheduler = config.scheduler
        if isinstance(scheduler, ScheduleLR):
            if not scheduler.schedule.bounds[1] > 0.0:
                raise ValueError(
                    "the scheduler from configure_optimizers follows a schedule that stays at 0: there is no "
                    "peak for RangeTestCallback to rescale to the recommended LR"
                )
        elif not isinstance(scheduler, _FOLLOWING):
            raise ValueError(
                f"RangeTestCallback cannot apply its LR under the {type(scheduler).__name__} from "
                "configure_optimizers: that scheduler sets the LR from its own settings at its next step, so "
                "training would go on at the old LR. Build the scheduler with lrsched.adapters.torch.lambda_lr "
                "(the callback rescales its schedule's peak to the recommended LR), or run "
                "lrsched.adapters.torch.range_test before fit and build the scheduler from its result"
            )


def _rescale_schedulers(trainer: pl.Trainer, lr: float) -> None:
    """Every lrsched scheduler's schedule peaks at `lr`; its param groups take the new
    schedule's LR at the step it is at."""
    for config in trainer.lr_scheduler_configs:
        scheduler = config.scheduler
        if not isinstance(scheduler, ScheduleLR):
            continue
        scheduler.schedule = _peaking_at(scheduler.schedule, lr)
        lrs = scheduler.get_lr()
        for group, value in zip(scheduler.optimizer.param_groups, lrs, strict=True):
            _set_lr(group, value)
        scheduler._last_lr = list(lrs)


def _set_lr(group: dict[str, Any], value: float) -> None:
    """A param group's LR, in place where it is a tensor (an optimizer built with a tensor LR keeps it)."""
    if isinstance(group["lr"], torch.Tensor):
        group["lr"].fill_(value)
    else:
        group["lr"] = value


@contextlib.contextmanager
def _groups_in_ratio(trainer: pl.Trainer, optimizer: torch.optim.Optimizer) -> Iterator[None]:
    """While the sweep runs: where an lrsched scheduler holds every group of `optimizer`
    at 0 (a warmup from 0 at step 0, Hugging Face's default), the groups at its factors,
    so the sweep has their ratios to keep (it refuses groups that are all at 0)."""
    groups = optimizer.param_groups
    scheduler = next(
        (c.scheduler for c in trainer.lr_scheduler_configs if isinstance(c.scheduler, ScheduleLR)
         and c.scheduler.optimizer is optimizer),
        None,
    )  # fmt: skip
    if scheduler is None or any(float(group["lr"]) != 0.0 for group in groups):
        yield
        return
    held = [float(group["lr"]) for group in groups]
    for group, factor in zip(groups, scheduler.group_factors, strict=True):
        _set_lr(group, factor)
    try:
        yield
    finally:
        for group, lr in zip(groups, held, strict=True):
            _set_lr(group, lr)


def _training_as_fit_trains(trainer: pl.Trainer) -> dict[str, Any]:
    """The sweep's options that make one of its steps what one of `fit`'s optimizer steps
    is: the trainer's gradient accumulation and norm clipping (options given to the
    callback win). Clipping by value, which `range_test` does not do, is refused."""
    options: dict[str, Any] = {}
    if trainer.accumulate_grad_batches != 1:
        options["accumulation_steps"] = trainer.accumulate_grad_batches
    if trainer.gradient_clip_val:
        algorithm = getattr(trainer.gradient_clip_algorithm, "value", trainer.gradient_clip_algorithm) or "norm"
        if algorithm != "norm":
            raise ValueError(
                f"RangeTestCallback sweeps as fit trains, and range_test clips gradients by norm only; the trainer "
                f"clips by {algorithm} (gradient_clip_algorithm={algorithm!r}): run lrsched.adapters.torch.range_test "
                "before fit, or clip by norm"
            )
        options["max_grad_norm"] = float(trainer.gradient_clip_val)
    return options


class RangeTestCallback(pl.Callback):
    """Run the LR range test when `fit` starts and apply `result.recommend(use)`.

    Args:
        use: "constant", "one_cycle" or "cyclic": which recommendation to apply.
        attr_name: the module's LR field ("lr" or "learning_rate" by default, on the
            module or its hparams). The curve's LR is that of the optimizer's first param
            group with a nonzero LR (the others sweep in proportion): every group's LR and
            this field are scaled by the one factor that takes that group to the
            recommended LR (a field of 0 or None is set to it).
        data: batches to sweep on (default: the trainer's training dataloader).
        range_test_options: passed to `range_test` (start_lr, end_lr, num_steps,
            max_grad_norm, cache, ...), checked here as `range_test` checks them: a
            misspelt name is a TypeError, a value out of range a ValueError, before
            any `fit`. With `confirm=k` (and `confirm_data`), the confirmation stage
            confirms the LR of `use` unless `confirm_use` says otherwise.

    The sweep steps as `fit` steps: over the trainer's `accumulate_grad_batches` batches
    and with its `gradient_clip_val` (by norm) unless `range_test_options` say otherwise.
    Under DDP every rank runs the sweep on its own batches through the strategy's model,
    as `fit` trains: the gradients are averaged, the weights stay equal on every rank,
    and every rank records the same curve and applies the same LR. A scheduler from
    `configure_optimizers` built with `lambda_lr` is rescaled so that its schedule's
    highest level (`bounds[1]`: a 1cycle's `max_lr`, timm's `lr`) is the applied LR, as
    one would set that parameter; one that would undo it is refused before the sweep
    (ValueError).

    After `fit` starts, `callback.result` holds the `RangeTestResult` and
    `callback.applied_lr` the LR applied (None where no LR could be suggested: the
    reason is in `callback.result.recommend(use).reason`, and nothing is changed). A fit
    resumed from a checkpoint (`ckpt_path`) goes on at the checkpoint's LR: no sweep,
    a `UserWarning` says so.
    """

    def __init__(
        self,
        *,
        use: str = "constant",
        attr_name: str = "",
        data: Iterable[Any] | None = None,
        **range_test_options: Any,
    ) -> None:
        if use not in USES:
            raise ValueError(f"use must be one of {', '.join(map(repr, USES))}; got {use!r}")
        if range_test_options.get("confirm") and "confirm_use" not in range_test_options:
            range_test_options["confirm_use"] = use  # confirm the LR the callback applies
        check_range_test_options(**range_test_options)
        self.use, self.attr_name, self.data, self.options = use, attr_name, data, range_test_options
        self.result: RangeTestResult | None = None
        self.applied_lr: float | None = None

    def _attr(self, module: pl.LightningModule) -> str:
        names = (self.attr_name,) if self.attr_name else ("lr", "learning_rate")
        for name in names:
            if lightning_hasattr(module, name):
                return name
        raise AttributeError(
            f"the module (or its hparams) has no LR field {' or '.join(map(repr, names))}: set attr_name"
        )

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.ckpt_path is not None:
            # A resumed fit restores the optimizer, the schedulers and the module's LR
            # after this hook: a sweep now would be overwritten (and report an LR that
            # training does not use). The checkpoint's LR goes on.
            warnings.warn(
                f"RangeTestCallback: fit resumes from {trainer.ckpt_path!r}, whose LR and schedule are restored; "
                "the range test is not run again (callback.result stays None)",
                UserWarning,
                stacklevel=2,
            )
            return
        attr = self._attr(pl_module)
        _check_schedulers(trainer)
        optimizer = trainer.optimizers[0]
        data = self.data
        if data is None:
            trainer.fit_loop.setup_data()
            data = trainer.train_dataloader
        if data is None:
            raise ValueError("no training data to sweep on: give RangeTestCallback(data=...)")

        strategy = trainer.strategy
        # The model as `fit` trains it: under DDP the wrapper, whose forward prepares the
        # gradients' all-reduce (the strategy's training_step calls training_step through it).
        model = strategy.model if isinstance(strategy.model, torch.nn.Module) else pl_module

        def loss_fn(module: torch.nn.Module, batch: Any) -> torch.Tensor:
            batch = strategy.batch_to_device(batch)
            if torch.is_grad_enabled():
                return _loss_of(strategy.training_step(batch, 0))
            # val_data: no gradient to synchronise, so no collective (ranks may hold different counts)
            return _loss_of(pl_module.training_step(batch, 0))

        options = {**_training_as_fit_trains(trainer), **self.options}
        if trainer.world_size > 1 and torch.distributed.is_available() and torch.distributed.is_initialized():
            # Every rank runs this callback: the ranks average their losses and stop together.
            options.setdefault("distributed", True)
        with _quiet_logging(pl_module), _groups_in_ratio(trainer, optimizer):
            self.result = range_test(model, optimizer, loss_fn, data, **options)
        found = self.result.recommend(self.use)
        if found.lr is None:
            return
        # The curve's LR is the swept optimizer's first group that trains (its other
        # groups ran in proportion): one factor takes that group to the recommendation,
        # and every group and the module's field scale by it. Under an lrsched scheduler
        # the groups hold the schedule's value at its step, not the field: the schedule
        # is rescaled to peak at the recommendation instead, and the field (its peak) is it.
        reference = next((float(g["lr"]) for g in optimizer.param_groups if float(g["lr"]) != 0.0), 0.0)
        factor = found.lr / reference if reference else None
        current = lightning_getattr(pl_module, attr)
        old = float(current) if current is not None else 0.0
        scheduled = any(isinstance(config.scheduler, ScheduleLR) for config in trainer.lr_scheduler_configs)
        field = old * factor if factor is not None and old and not scheduled else found.lr
        lightning_setattr(pl_module, attr, field)
        for opt in trainer.optimizers:
            lrs = [float(group["lr"]) for group in opt.param_groups]  # read before any shared tensor is set
            for group, lr in zip(opt.param_groups, lrs, strict=True):
                _set_lr(group, lr * factor if factor is not None else found.lr)
        _rescale_schedulers(trainer, found.lr)
        self.applied_lr = found.lr
