"""Run by tests/adapters/test_scale.py and tests/range_test/test_distributed.py: the torch range test and
lambda_lr under DDP (gloo, 2 ranks). (Lightning's ddp_spawn: tests/workers/lightning_worker.py.)

    python ddp_worker.py PORT OUT                 # the equal-shards sweep and lambda_lr
    python ddp_worker.py PORT OUT SCENARIO ...    # the scenarios of tests/range_test/test_distributed.py

Every collective has a timeout (`TIMEOUT`): a rank that waits for another that never
comes fails within it instead of hanging.
"""

import datetime
import json
import sys
import traceback

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import lrsched as l
from lrsched.adapters.torch import lambda_lr, range_test

TIMEOUT = datetime.timedelta(seconds=20)


def _net():
    torch.manual_seed(0)  # the same initial weights on every rank
    return torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))


def _shard(rank, batches=8):
    gen = torch.Generator().manual_seed(100 + rank)  # each rank its own shard
    x = torch.randn(32 * batches, 4, generator=gen)
    return [(x[i : i + 32], x[i : i + 32].sum(1, keepdim=True)) for i in range(0, 32 * batches, 32)]


def loss_fn(model, batch):
    inputs, targets = batch
    return torch.nn.functional.mse_loss(model(inputs), targets)


def worker(rank: int, world: int, port: int, out: str) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world, timeout=TIMEOUT)
    model = torch.nn.parallel.DistributedDataParallel(_net())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    data = _shard(rank)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = range_test(model, optimizer, loss_fn, data, start_lr=1e-5, end_lr=100.0, num_steps=80, progress=False)
    restored = all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    schedule = l.one_cycle(max_lr=0.1, total_steps=30)
    scheduler = lambda_lr(optimizer, schedule, momentum=l.inverse_momentum(schedule=schedule))
    lrs = []
    for batch in data * 4:
        optimizer.zero_grad()
        loss_fn(model, batch).backward()
        optimizer.step()
        scheduler.step()
        lrs.append((optimizer.param_groups[0]["lr"], optimizer.param_groups[0]["momentum"]))
    with open(f"{out}/rank{rank}.json", "w") as f:
        json.dump(
            {
                "result": result.to_json(),
                "suggestions": {k: v.lr for k, v in result.suggestions().items()},
                "restored": restored,
                "lrs": lrs,
            },
            f,
        )
    dist.destroy_process_group()


# -- the scenarios of tests/range_test/test_distributed.py -------------------------------------------
def _sweep(model, data, **options):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = range_test(
        model, optimizer, loss_fn, data, start_lr=1e-4, end_lr=0.1, num_steps=20, progress=False, **options
    )
    restored = all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    return {"result": result.to_json(), "restored": restored}


def reduced_tensors(rank):
    """The loss reduced on the parameters' device in float32 (a CPU float64 tensor is what
    a group without a CPU backend, NCCL's, refuses): every tensor the range test hands to
    `all_reduce` is recorded on its way through."""
    seen = []
    real = dist.all_reduce

    def recording(tensor, *args, **kwargs):
        seen.append([str(tensor.dtype), str(tensor.device)])
        return real(tensor, *args, **kwargs)

    dist.all_reduce = recording
    try:
        out = _sweep(torch.nn.parallel.DistributedDataParallel(_net()), _shard(rank))
    finally:
        dist.all_reduce = real
    return {**out, "seen": sorted({tuple(s) for s in seen}), "device": "cpu"}


def uneven_data(rank, accumulation_steps=1):
    """Rank 0's data (a generator of 5 batches) runs out first; rank 1's (8, cycled) not."""
    data = (b for b in _shard(rank)[:5]) if rank == 0 else _shard(rank)
    model = torch.nn.parallel.DistributedDataParallel(_net())
    return _sweep(model, data, accumulation_steps=accumulation_steps)


def uneven_accumulated(rank):
    return uneven_data(rank, accumulation_steps=2)


def fsdp_uneven_data(rank):
    """As uneven_data, on FSDP models (per-module `fully_shard`, then the FSDP1 wrapper):
    the range test recognises both as data-parallel."""
    from torch.distributed.fsdp import FullyShardedDataParallel, fully_shard

    out = {}
    for kind in ("fully_shard", "FullyShardedDataParallel"):
        data = (b for b in _shard(rank)[:5]) if rank == 0 else _shard(rank)
        if kind == "fully_shard":
            model = fully_shard(_net())
        else:
            model = FullyShardedDataParallel(_net(), device_id=torch.device("cpu"))
        out[kind] = _sweep(model, data)
    return out


def one_rank_only(rank):
    """Rank 0 sweeps an unwrapped model alone; rank 1 waits for it at a barrier."""
    out = _sweep(_net(), _shard(rank)) if rank == 0 else {}
    dist.barrier()
    return out


def explicit_all_ranks(rank):
    """An unwrapped model with distributed=True: every rank sweeps, the losses averaged."""
    return _sweep(_net(), _shard(rank), distributed=True)


def fsdp1_clips_the_global_norm(rank):
    """max_grad_norm on an FSDP1 model clips by the norm over every rank's shard, as on
    the same model under DDP: the two curves agree."""
    from torch.distributed.fsdp import FullyShardedDataParallel

    losses = {}
    for kind in ("ddp", "fsdp1"):
        model = _net()
        model = (
            torch.nn.parallel.DistributedDataParallel(model)
            if kind == "ddp"
            else FullyShardedDataParallel(model, device_id=torch.device("cpu"))
        )
        out = _sweep(model, _shard(rank), max_grad_norm=0.05)
        losses[kind] = out["result"]
    return losses


def _raised(run):
    """The ValueError `run()` raises (every rank must raise it, none wait), or None."""
    try:
        run()
    except ValueError as error:
        return str(error)
    return None


def empty_data_on_one_rank(rank):
    """Rank 1's data (and, next, its val_data) gives no batch: every rank raises."""
    data = _shard(rank) if rank == 0 else []
    model = torch.nn.parallel.DistributedDataParallel(_net())
    no_data = _raised(lambda: _sweep(model, data))
    val_data = _shard(rank)[:2] if rank == 0 else []
    no_val = _raised(lambda: _sweep(model, _shard(rank), val_data=val_data))
    # A model with buffers: DDP broadcasts them in a forward, a collective of its own that
    # the rank without batches never joined (both waited out the group's timeout).
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.BatchNorm1d(16), torch.nn.Linear(16, 1))
    buffered = torch.nn.parallel.DistributedDataParallel(net)
    no_val_buffered = _raised(lambda: _sweep(buffered, _shard(rank), val_data=val_data))
    no_confirm_buffered = _raised(lambda: _sweep(buffered, _shard(rank), confirm=2, confirm_data=val_data))
    return {
        "no_data": no_data,
        "no_val": no_val,
        "no_val_buffered": no_val_buffered,
        "no_confirm_buffered": no_confirm_buffered,
    }


def snapshots_in_one_folder(rank):
    """Every rank keeps snapshots in one shared folder: all writing the same file raced
    (one rank's write failed on the other's file, or overwrote it)."""
    import os
    import shutil
    import tempfile

    from lrsched.adapters.torch import Snapshots

    folder = [tempfile.mkdtemp(prefix="lrsched-ddp-snaps-") if rank == 0 else None]
    dist.broadcast_object_list(folder, src=0)
    model = torch.nn.parallel.DistributedDataParallel(_net())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    schedule = l.cosine_restarts(max_lr=0.05, first_cycle_steps=2, cycle_mult=1.5)
    keeper = Snapshots(model, schedule, keep=3, directory=folder[0])
    for batch in _shard(rank, batches=12):
        optimizer.zero_grad()
        loss_fn(model, batch).backward()
        optimizer.step()
        keeper.step()
    dist.barrier()
    files = sorted(os.listdir(folder[0]))
    read = [sorted(state) for state in keeper.state_dicts]
    dist.barrier()  # every rank has read them
    if rank == 0:
        shutil.rmtree(folder[0])
    return {"kept": [step for step, _ in keeper.kept], "files": files, "read": len(read)}


def zero_redundancy_is_refused(rank):
    """ZeroRedundancyOptimizer's state is sharded and read whole on one rank only: refused
    on every rank before any training (it failed in state_dict with torch's advice to
    consolidate, which could not work)."""
    from torch.distributed.optim import ZeroRedundancyOptimizer

    model = torch.nn.parallel.DistributedDataParallel(_net())
    optimizer = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=torch.optim.SGD, lr=0.01)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    try:
        range_test(model, optimizer, loss_fn, _shard(rank), num_steps=20, progress=False)
    except TypeError as error:
        raised = str(error)
    else:
        raised = None
    unchanged = all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    return {"raised": raised, "unchanged": unchanged}


def fsdp_with_validation_is_refused(rank):
    from torch.distributed.fsdp import FullyShardedDataParallel

    model = FullyShardedDataParallel(_net(), device_id=torch.device("cpu"))
    return {"raised": _raised(lambda: _sweep(model, _shard(rank), val_data=_shard(rank)[:2]))}


def ddp_keeps_its_buffer_sync(rank):
    """A validation forward (under no_grad) clears DDP's flag to broadcast buffers in the
    next forward: the restore sets it back."""
    model = torch.nn.parallel.DistributedDataParallel(_net())
    before = model.require_forward_param_sync
    out = _sweep(model, _shard(rank), val_data=_shard(rank)[:2])
    return {**out, "sync": [before, model.require_forward_param_sync]}


def lbfgs_line_search_under_ddp(rank):
    """LBFGS's line search decides how often to evaluate the closure from the loss: with
    each rank's own loss the ranks' counts (and DDP's all-reduces) differed."""
    model = torch.nn.parallel.DistributedDataParallel(_net())
    optimizer = torch.optim.LBFGS(model.parameters(), lr=0.01, line_search_fn="strong_wolfe", max_iter=5)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    result = range_test(model, optimizer, loss_fn, _shard(rank), start_lr=1e-3, end_lr=1.0, num_steps=6, progress=False)
    restored = all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    return {"result": result.to_json(), "restored": restored}


SCENARIOS = {
    f.__name__: f
    for f in (
        reduced_tensors,
        uneven_data,
        uneven_accumulated,
        fsdp_uneven_data,
        one_rank_only,
        explicit_all_ranks,
        fsdp1_clips_the_global_norm,
        empty_data_on_one_rank,
        fsdp_with_validation_is_refused,
        zero_redundancy_is_refused,
        snapshots_in_one_folder,
        ddp_keeps_its_buffer_sync,
        lbfgs_line_search_under_ddp,
    )
}


def scenarios(rank: int, world: int, port: int, out: str, names: list[str]) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world, timeout=TIMEOUT)
    for name in names:
        try:
            found = SCENARIOS[name](rank)
        except Exception:
            found = {"error": traceback.format_exc()}
        with open(f"{out}/{name}.rank{rank}.json", "w") as f:
            json.dump(found, f)
        if "error" in found:
            break  # the group may be unusable after a failed collective
    dist.destroy_process_group()


if __name__ == "__main__":
    port, out = int(sys.argv[1]), sys.argv[2]
    if len(sys.argv) > 3:
        mp.spawn(scenarios, args=(2, port, out, sys.argv[3:]), nprocs=2, join=True)
    else:
        mp.spawn(worker, args=(2, port, out), nprocs=2, join=True)
