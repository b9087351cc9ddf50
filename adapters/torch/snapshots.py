"""Snapshot ensembles in torch: the model's weights at every cycle end of a cyclic
schedule (Huang et al. 2017), and the ensemble's prediction."""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

from lrsched import Schedule
from lrsched.adapters.torch.restore import _ModuleModes
from lrsched.snapshots import SnapshotKeeper


class Snapshots:
    """Keep the model's weights at every cycle end of a cyclic schedule (snapshot
    ensembles, Huang et al. 2017).

    Call `step()` beside `scheduler.step()`; after `k` calls, if `k` is one of
    `schedule.cycle_ends(...)`, the model's `state_dict` is kept: the last `keep` of them,
    in memory, or as `torch.save` files in `directory` (written to a temporary name, then
    renamed: an interrupted run never leaves a half-written snapshot; an existing file
    of the same name is never overwritten).

    A run resumed from a checkpoint gives `start_step`, the optimizer updates done
    before it (the count its scheduler resumed at): the snapshots go on at the same
    cycle ends, and in `directory` the run's own earlier snapshot files (those up to
    `start_step`) are taken up as kept.

    In a process group (DDP) with `directory`, rank 0 writes the files and every rank
    lists them (`state_dicts` reads those rank 0 has written); in memory each rank
    keeps its own.
    """

    def __init__(
        self,
        model: torch.nn.Module,
        schedule: Schedule,
        *,
        keep: int = 5,
        directory: str | os.PathLike[str] | None = None,
        prefix: str = "snapshot",
        start_step: int = 0,
    ) -> None:
        self.model = model
        self.keeper = SnapshotKeeper(
            schedule, keep=keep, directory=directory, prefix=prefix, suffix=".pt", start_step=start_step
        )

    @property
    def kept(self) -> list[tuple[int, Any]]:
        return self.keeper.kept

    def step(self) -> bool:
        """Count one optimizer update; keep a snapshot if it ends a cycle. True if kept."""
        if not self.keeper.step():
            return False
        if self.keeper.directory is not None and not _writes_files():
            self.keeper.keep_written_elsewhere()  # rank 0 writes the ranks' one file
            return True
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


def _writes_files() -> bool:
    """Whether this process writes snapshot files: rank 0 of a process group (every rank
    holds the same weights in data-parallel training, and all writing one file raced:
    one rank's write failed on the other's file), or a process outside one."""
    distributed = torch.distributed.is_available() and torch.distributed.is_initialized()
    return not distributed or torch.distributed.get_rank() == 0


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
