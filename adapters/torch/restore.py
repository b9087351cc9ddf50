"""The torch range test's restore: a copy of everything a sweep may change (parameters,
buffers, gradients, the optimizer's state, every submodule's mode, the random
generators) and its exact restore."""

from __future__ import annotations

import contextlib
import copy
import os
import shutil
import tempfile
from typing import Any

import torch


class _ModuleModes:
    """Every submodule's own train/eval mode (a frozen BatchNorm in eval inside a model
    in train mode keeps its eval), and DistributedDataParallel's flag for broadcasting
    buffers in the next forward (a forward under no_grad, a validation's, clears it: the
    next training forward would skip the broadcast from rank 0)."""

    def __init__(self, model: torch.nn.Module) -> None:
        self.modes = [(module, module.training) for module in model.modules()]
        self.syncs = [
            (module, module.require_forward_param_sync)
            for module in model.modules()
            if isinstance(module, torch.nn.parallel.DistributedDataParallel)
        ]

    def restore(self) -> None:
        for module, training in self.modes:
            module.training = training
        for ddp, sync in self.syncs:
            ddp.require_forward_param_sync = sync


class _OptimizerObjects:
    """The optimizer's own objects, which `load_state_dict` replaces: its list of param
    groups and each group's dict (code that kept `optimizer.param_groups[1]` sets the
    LR of the optimizer), a group's tensor values (a tensor LR), the state's table and
    its tensors (a capturable optimizer's CUDA graph reads them). `load_state_dict`
    also casts floating state to the parameter's dtype (float32 master weights or
    moments of bfloat16 parameters came back as bfloat16): `restore` puts the saved
    values, in their own dtype, back into the tensors the optimizer held."""

    def __init__(self, optimizer: torch.optim.Optimizer) -> None:
        self.optimizer = optimizer
        self.group_list = optimizer.param_groups
        self.groups = list(optimizer.param_groups)
        self.group_tensors = [{k: v for k, v in g.items() if torch.is_tensor(v)} for g in self.groups]
        self.state_table = optimizer.state
        self.state_tensors = {p: {k: v for k, v in s.items() if torch.is_tensor(v)} for p, s in optimizer.state.items()}

    def restore(self, saved: dict[str, Any]) -> None:
        """After `load_state_dict(saved)`: the values it loaded, in the objects above."""
        optimizer = self.optimizer
        loaded = optimizer.param_groups
        if len(loaded) != len(self.groups):  # an optimizer of its own making: its load is final
            return
        for group, new, tensors in zip(self.groups, loaded, self.group_tensors, strict=True):
            values = dict(new)
            for key, old in tensors.items():
                value = values.get(key)
                if torch.is_tensor(value) and value.shape == old.shape and value.dtype == old.dtype:
                    old.copy_(value)
                    values[key] = old
            group.clear()
            group.update(values)
        loaded[:] = self.groups
        order = [p for g in self.groups for p in g["params"]]  # state_dict's numbering of the params
        for index, entries in saved.get("state", {}).items():
            if not (isinstance(index, int) and 0 <= index < len(order)) or order[index] not in optimizer.state:
                continue
            param = order[index]
            live, originals = optimizer.state[param], self.state_tensors.get(param, {})
            for key, value in entries.items():
                if not torch.is_tensor(value):
                    continue
                held = originals.get(key)
                if held is not None and held.shape == value.shape and held.dtype == value.dtype:
                    held.copy_(value)
                    live[key] = held
                elif torch.is_tensor(live.get(key)) and live[key].dtype != value.dtype:
                    live[key] = value.to(live[key].device, copy=True)
        if optimizer.state is not self.state_table and isinstance(optimizer.state, dict):
            self.state_table.clear()
            self.state_table.update(optimizer.state)
            optimizer.state = self.state_table
        if optimizer.param_groups is not self.group_list:
            self.group_list[:] = self.groups
            with contextlib.suppress(AttributeError):  # a wrapper's read-only view of its optimizer's
                optimizer.param_groups = self.group_list


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
        self.optimizer_objects = _OptimizerObjects(optimizer)
        self.modes = _ModuleModes(model)
        self.rng = _rng_states()

    def restore(self, keep: bool = False) -> None:
        """Put everything back. `keep=True` keeps the copy for another restore (the
        confirmation stage restores before each short training): what is handed back is
        then a copy of the copy, which training cannot change in place."""
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
                    if grad is not None and (keep or self.cache != "device"):  # a copy off the host / file
                        grad = grad.to(tensor.device, copy=True)
                    tensor.grad = grad
            if self.path is not None:
                optimizer_state = torch.load(os.path.join(self.path, "optimizer.pt"), weights_only=True, mmap=not keep)
            else:
                optimizer_state = copy.deepcopy(self.optimizer_state) if keep else self.optimizer_state
            self.optimizer.load_state_dict(optimizer_state)
            self.optimizer_objects.restore(optimizer_state)
            self.modes.restore()
            _set_rng_states(self.rng)
        finally:
            if self.path is not None and not keep:
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
