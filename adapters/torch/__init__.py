"""PyTorch adapter: lrsched schedules as torch LR schedulers, the LR range test, and
snapshot ensembles.

    scheduler = lambda_lr(optimizer, schedule, momentum=inverse_momentum(schedule=schedule))
    for batch in data:
        loss = ...; loss.backward(); optimizer.step(); optimizer.zero_grad()
        scheduler.step()

- `lambda_lr` / `ScheduleLR` (`lrsched.adapters.torch.scheduler`): a `LambdaLR` whose
  param groups follow an lrsched schedule (and momentum schedule), resumable from its
  `state_dict()`.
- `range_test` (`lrsched.adapters.torch.range_test_runner`): Smith's LR range test on a
  torch model, on one rank or many; `check_range_test_options` checks its options
  without running it. Everything it changes is restored (`lrsched.adapters.torch.restore`).
- `Snapshots` / `ensemble_predict` (`lrsched.adapters.torch.snapshots`): snapshot
  ensembles at a cyclic schedule's cycle ends.
"""

from lrsched.adapters.torch.range_test_runner import (
    _data_parallel as _data_parallel,
    _Ranks as _Ranks,
    _ranks as _ranks,
    _validation_loss as _validation_loss,
    check_range_test_options,
    range_test,
)
from lrsched.adapters.torch.restore import (
    CACHES,
    _ModuleModes as _ModuleModes,
    _rng_states as _rng_states,
    _set_rng_states as _set_rng_states,
    _TrainingState as _TrainingState,
)
from lrsched.adapters.torch.scheduler import STATE_FORMAT, ScheduleLR, lambda_lr
from lrsched.adapters.torch.snapshots import Snapshots, ensemble_predict

__all__ = [
    "CACHES",
    "STATE_FORMAT",
    "ScheduleLR",
    "Snapshots",
    "check_range_test_options",
    "ensemble_predict",
    "lambda_lr",
    "range_test",
]
