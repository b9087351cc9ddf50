"""The LR range test for torch: `range_test` trains a model while the LR sweeps, on one
rank or on many (DDP, FSDP), and restores everything afterwards."""

from __future__ import annotations

import copy
import difflib
import inspect
import itertools
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import torch

from lrsched.adapters.torch.restore import CACHES, _TrainingState
from lrsched.rangetest import (
    DEFAULT_SETTINGS,
    SETTING_NAMES,
    DataExhaustedError,
    EmptyDataError,
    RangeTestResult,
    RangeTestSettings,
    check_confirmation,
    optimizer_family,
    require_reiterable,
    run_confirmation,
    run_sweep,
)


def range_test(
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: Callable[[torch.nn.Module, Any], torch.Tensor],
    data: Iterable[Any],
    *,
    start_lr: float = DEFAULT_SETTINGS.start_lr,
    end_lr: float = DEFAULT_SETTINGS.end_lr,
    num_steps: int = DEFAULT_SETTINGS.num_steps,
    mode: str = DEFAULT_SETTINGS.mode,
    smoothing: float = DEFAULT_SETTINGS.smoothing,
    diverge: float = DEFAULT_SETTINGS.diverge,
    val_data: Iterable[Any] | None = None,
    accumulation_steps: int = 1,
    progress: bool | None = DEFAULT_SETTINGS.progress,
    autocast: torch.dtype | None = None,
    grad_scaler: torch.amp.GradScaler | None = None,
    max_grad_norm: float | None = None,
    closure: bool | None = None,
    cache: str = "device",
    distributed: bool | None = None,
    confirm: int = 0,
    confirm_use: str = "constant",
    confirm_steps: int | None = None,
    confirm_data: Iterable[Any] | None = None,
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

    Confirmation (`confirm=k`, k >= 2; off by default): after the sweep, `k` short
    trainings of `confirm_steps` steps (by default the sweep's `num_steps`) at LRs half
    a decade apart around `recommend(confirm_use)`, each from the state the sweep began
    at (restored as exactly as at the end) and following `confirm_use`'s schedule
    (`lrsched.rangetest.short_schedule`); each is scored by its mean loss over the
    held-out batches `confirm_data` (by default `val_data`; one of them is required), and
    `recommend(confirm_use)` then gives the candidate with the lowest held-out loss
    (`result.confirmation` holds every candidate's score and the cost, `k *
    confirm_steps` training steps, a multiple of the sweep's). `data` must then be
    re-iterable.
    """
    if not isinstance(optimizer, torch.optim.Optimizer):
        raise TypeError(f"optimizer must be a torch.optim.Optimizer; got {type(optimizer).__name__}")
    model_params = {id(p) for p in model.parameters()}
    trained = [p for group in optimizer.param_groups for p in group["params"]]
    if model_params and trained and not any(id(p) in model_params for p in trained):
        raise ValueError(
            "none of the optimizer's parameters is a parameter of model: the sweep would train something the "
            "loss may not read (an optimizer built for another model, or before the model was wrapped)"
        )
    if _is_zero_redundancy(optimizer):
        raise TypeError(
            "optimizer is a ZeroRedundancyOptimizer, whose state is sharded over the ranks and read whole on "
            "one rank only (consolidate_state_dict), so the range test could not restore it: run the test with "
            "the optimizer it wraps built over the same parameters (e.g. torch.optim.AdamW(model.parameters())), "
            "then the ZeroRedundancyOptimizer for training"
        )
    settings = RangeTestSettings(start_lr, end_lr, num_steps, mode, smoothing, diverge, progress)
    held_out = _check_options(
        val_data=val_data,
        accumulation_steps=accumulation_steps,
        autocast=autocast,
        grad_scaler=grad_scaler,
        max_grad_norm=max_grad_norm,
        closure=closure,
        cache=cache,
        distributed=distributed,
        confirm=confirm,
        confirm_use=confirm_use,
        confirm_steps=confirm_steps,
        confirm_data=confirm_data,
    )
    if confirm:
        require_reiterable("data", data)
    if not any(True for _ in model.parameters()):
        raise ValueError("model has no parameters: there is nothing for the range test to train")
    use_closure = isinstance(optimizer, torch.optim.LBFGS) if closure is None else bool(closure)
    if use_closure and (accumulation_steps != 1 or grad_scaler is not None):
        raise ValueError("closure=True steps optimizer.step(closure): it takes no accumulation_steps or grad_scaler")
    device = next(model.parameters()).device
    device_type = device.type
    wrapper = _data_parallel(model)
    ranks = _ranks(wrapper, distributed, device)
    if _is_fsdp(wrapper) and (val_data is not None or confirm):
        # FSDP keeps its root's parameters unsharded after a forward under no_grad: the
        # restore would write the shards back under stale full weights (or, per-module
        # fully_shard, leave DTensors the next forward cannot mix).
        raise ValueError(
            "val_data and confirm evaluate the model under no_grad, after which FSDP keeps its full parameters "
            "unsharded and the restore cannot reach them: run the range test without them on an FSDP model, or "
            "on the model wrapped in DistributedDataParallel"
        )
    # FSDP1 holds each rank's shard of the gradients: only its own clip_grad_norm_ clips
    # by the global norm (torch's clips each rank by its shard's).
    clip_grad_norm = getattr(wrapper, "clip_grad_norm_", None)
    # A closure's loss, the same on every rank where a data-parallel model syncs the
    # gradients: LBFGS then decides alike on every rank (its line search counts closure
    # calls from the loss, and each call's backward is a collective).
    closure_ranks = ranks if wrapper is not None else None
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
            if clip_grad_norm is not None:
                clip_grad_norm(max_grad_norm)
            else:
                torch.nn.utils.clip_grad_norm_(trained, max_grad_norm)

    drawn_any = False  # whether every rank has drawn a batch yet

    def draw(batches: Iterator[Any]) -> Any:
        """The next batch; across ranks, only if every rank has one (else all stop here)."""
        nonlocal drawn_any
        empty: EmptyDataError | None = None
        try:
            batch, has = next(batches), True
        except DataExhaustedError:
            batch, has = None, False
        except EmptyDataError as error:
            if ranks is None:
                raise
            batch, has, empty = None, False, error  # raised once every rank knows
        if ranks is None and not has:
            raise DataExhaustedError
        if ranks is not None and not ranks.all_have(has):
            if empty is not None or not drawn_any:
                raise EmptyDataError("data is empty on at least one rank: the range test needs a batch on every rank")
            raise DataExhaustedError("on at least one rank (every rank stops at this step)")
        drawn_any = True
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
                return loss if closure_ranks is None else closure_ranks.mean_tensor(loss)

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
        if val_data is not None and sweeping:
            total = _validation_loss(model, loss_fn, val_data, ranks)
        return float(optimizer.param_groups[reference]["lr"]), total if ranks is None else ranks.mean(total)

    def held_out_loss(batches: Iterable[Any]) -> float:
        loss = _validation_loss(model, loss_fn, batches, ranks)
        return loss if ranks is None else ranks.mean(loss)

    def restore(keep: bool) -> None:
        saved.restore(keep=keep)
        if grad_scaler is not None and scaler_state is not None:
            grad_scaler.load_state_dict(copy.deepcopy(scaler_state))

    def restart() -> None:
        """Back to the state the sweep began at, for the next short training."""
        restore(keep=True)
        _train_as_given(model)

    sweeping = True
    saved = _TrainingState(model, optimizer, cache)
    scaler_state = None if grad_scaler is None else copy.deepcopy(grad_scaler.state_dict())
    try:
        _train_as_given(model)
        result = run_sweep(train_step, data, settings, optimizer=optimizer_family(optimizer))
        if confirm:
            sweeping = False  # the short trainings record no validation loss per step
            result = run_confirmation(
                result, confirm, confirm_use, confirm_steps, train_step, data, lambda: held_out_loss(held_out), restart
            )
        return result
    finally:
        restore(keep=False)


def _check_options(
    *,
    val_data: Iterable[Any] | None,
    accumulation_steps: int,
    autocast: torch.dtype | None,
    grad_scaler: torch.amp.GradScaler | None,
    max_grad_norm: float | None,
    closure: bool | None,
    cache: str,
    distributed: bool | None,
    confirm: int = 0,
    confirm_use: str = "constant",
    confirm_steps: int | None = None,
    confirm_data: Iterable[Any] | None = None,
) -> Iterable[Any]:
    """The torch runner's own options (beside the sweep's `RangeTestSettings`) checked
    before anything is touched (the same rules for `range_test` and for those who hold
    its options until later, as the Lightning callback does): a ValueError or TypeError
    naming the option, the value and the range. Returns the confirmation's held-out
    batches (none without a confirmation)."""
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
    return check_confirmation(confirm, confirm_use, confirm_steps, confirm_data, val_data)


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
    RangeTestSettings(**{name: value for name, value in options.items() if name in SETTING_NAMES})
    _check_options(**{name: options.get(name, parameters[name].default) for name in known if name not in SETTING_NAMES})


def _fsdp_kinds() -> tuple[type, ...]:
    """FSDP's module types in this torch: the FSDP1 wrapper and per-module `fully_shard`'s."""
    kinds: list[type] = []
    try:
        from torch.distributed.fsdp import FullyShardedDataParallel

        kinds.append(FullyShardedDataParallel)
        from torch.distributed.fsdp import FSDPModule  # type: ignore[attr-defined,unused-ignore]

        kinds.append(FSDPModule)
    except ImportError:  # a torch without FSDP (or without its per-module form)
        pass
    return tuple(kinds)


def _data_parallel(model: torch.nn.Module) -> torch.nn.Module | None:
    """The model, or the first of its submodules, that synchronises ranks in its forward
    or backward pass (DistributedDataParallel, FSDP), or None."""
    kinds = (torch.nn.parallel.DistributedDataParallel, *_fsdp_kinds())
    return next((module for module in model.modules() if isinstance(module, kinds)), None)


def _is_fsdp(module: torch.nn.Module | None) -> bool:
    """Whether `module` is an FSDP module (the FSDP1 wrapper or per-module fully_shard)."""
    return module is not None and isinstance(module, _fsdp_kinds())


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

    def mean_tensor(self, loss: torch.Tensor) -> torch.Tensor:
        """`mean`, as a tensor (what an optimizer's closure returns)."""
        return torch.tensor(self.mean(float(loss.detach())), dtype=loss.dtype, device=loss.device)

    def all_have(self, has: bool) -> bool:
        """Whether every rank has `has` true (each rank's data has a next batch)."""
        return self._reduce(1.0 if has else 0.0, torch.distributed.ReduceOp.MIN) == 1.0


def _ranks(wrapper: torch.nn.Module | None, distributed: bool | None, device: torch.device) -> _Ranks | None:
    """The ranks to reduce over: with torch.distributed initialized, those of the model's
    data-parallel `wrapper` (`distributed=None`), all of them (`True`), or none (`False`,
    or no wrapper: a range test on one rank alone)."""
    available = torch.distributed.is_available() and torch.distributed.is_initialized()
    if distributed and not available:
        raise ValueError(
            "distributed=True, but torch.distributed is not initialized: call init_process_group first "
            "(or leave distributed=None)"
        )
    if distributed is False or not available:
        return None
    if wrapper is None and not distributed:
        return None
    group = getattr(wrapper, "process_group", None) if wrapper is not None and not distributed else None
    return _Ranks(group, device)


def _train_as_given(model: torch.nn.Module) -> None:
    """The sweep trains the model in the modes it was given, as its training does: a
    BatchNorm or dropout the user set to eval mode in a model in training mode stays so
    (its running statistics are not updated). A model given in eval mode as a whole is
    put in training mode."""
    if not model.training:
        model.train()


def _is_zero_redundancy(optimizer: torch.optim.Optimizer) -> bool:
    """Whether `optimizer` is (or derives from) torch's ZeroRedundancyOptimizer."""
    return any(cls.__name__ == "ZeroRedundancyOptimizer" for cls in type(optimizer).__mro__)


def _validation_loss(
    model: torch.nn.Module,
    loss_fn: Callable[[torch.nn.Module, Any], torch.Tensor],
    val_data: Iterable[Any],
    ranks: _Ranks | None = None,
) -> float:
    batches = iter(val_data)
    first = next(batches, _NO_BATCH)
    # Agreed before any forward: a DDP forward may be a collective of its own (a buffer
    # broadcast), which a rank with no batch would never join while the others wait in it.
    if ranks is not None and not ranks.all_have(first is not _NO_BATCH):  # every rank raises, none waits
        raise ValueError("val_data is empty on at least one rank: every rank needs a held-out batch")
    if first is _NO_BATCH:
        raise ValueError("val_data is empty: it gave no batch")
    modes = [(module, module.training) for module in model.modules()]
    model.eval()
    total, count = 0.0, 0
    try:
        with torch.no_grad():
            for batch in itertools.chain([first], batches):
                total += float(loss_fn(model, batch))
                count += 1
    finally:
        for module, training in modes:  # the sweep's own modes, a frozen BatchNorm's included
            module.training = training
    return total / count


_NO_BATCH = object()  # what an exhausted iterator gives `next`
