"""PyTorch Lightning: the LR range test at the start of `fit`, its recommendation applied.

    trainer = pl.Trainer(max_epochs=10, callbacks=[RangeTestCallback(use="constant")])
    trainer.fit(model)          # model.lr (or .learning_rate, or hparams) set before training

The callback runs lrsched's torch range test (`lrsched.adapters.torch.range_test`) on the
module's own `training_step` and optimizer, restores everything, then sets the module's
LR attribute and the optimizer's param groups (their ratios kept) to
`result.recommend(use)`, as Lightning's own `LearningRateFinder` does with its rule.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from typing import Any

import pytorch_lightning as pl
import torch
from pytorch_lightning.utilities.parsing import lightning_getattr, lightning_hasattr, lightning_setattr

from lrsched.adapters.torch import check_range_test_options, range_test
from lrsched.range_test import USES, RangeTestResult


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


class RangeTestCallback(pl.Callback):
    """Run the LR range test when `fit` starts and apply `result.recommend(use)`.

    Args:
        use: "constant", "one_cycle" or "cyclic": which recommendation to apply.
        attr_name: the module's LR field ("lr" or "learning_rate" by default, on the
            module or its hparams); it is set, and so is each param group's LR.
        data: batches to sweep on (default: the trainer's training dataloader).
        range_test_options: passed to `range_test` (start_lr, end_lr, num_steps,
            max_grad_norm, cache, ...), checked here as `range_test` checks them: a
            misspelt name is a TypeError, a value out of range a ValueError, before
            any `fit`.

    After `fit` starts, `callback.result` holds the `RangeTestResult` and
    `callback.applied_lr` the LR applied (None where no LR could be suggested: the
    reason is in `callback.result.recommend(use).reason`, and nothing is changed).
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
        attr = self._attr(pl_module)
        optimizer = trainer.optimizers[0]
        data = self.data
        if data is None:
            trainer.fit_loop.setup_data()
            data = trainer.train_dataloader
        if data is None:
            raise ValueError("no training data to sweep on: give RangeTestCallback(data=...)")

        def loss_fn(module: torch.nn.Module, batch: Any) -> torch.Tensor:
            return _loss_of(pl_module.training_step(trainer.strategy.batch_to_device(batch), 0))

        options = dict(self.options)
        if trainer.world_size > 1 and torch.distributed.is_available() and torch.distributed.is_initialized():
            # Every rank runs this callback: the ranks average their losses and stop together.
            options.setdefault("distributed", True)
        with _quiet_logging(pl_module):
            self.result = range_test(pl_module, optimizer, loss_fn, data, **options)
        found = self.result.recommend(self.use)
        if found.lr is None:
            return
        current = lightning_getattr(pl_module, attr)
        old = float(current) if current is not None else 0.0
        lightning_setattr(pl_module, attr, found.lr)
        for opt in trainer.optimizers:
            for group in opt.param_groups:
                group["lr"] = group["lr"] * (found.lr / old) if old else found.lr
        self.applied_lr = found.lr
