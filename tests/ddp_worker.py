"""Run by tests/test_scale.py: the torch range test and lambda_lr under DDP (gloo, 2 ranks)."""

import json
import sys

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import lrsched as l
from lrsched.adapters.torch import lambda_lr, range_test


def worker(rank: int, world: int, port: int, out: str) -> None:
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=world)
    torch.manual_seed(0)  # the same initial weights on every rank
    model = torch.nn.parallel.DistributedDataParallel(
        torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    gen = torch.Generator().manual_seed(100 + rank)  # each rank its own shard
    x = torch.randn(256, 4, generator=gen)
    data = [(x[i : i + 32], x[i : i + 32].sum(1, keepdim=True)) for i in range(0, 256, 32)]
    before = {k: v.clone() for k, v in model.state_dict().items()}

    def loss_fn(model, batch):
        inputs, targets = batch
        return torch.nn.functional.mse_loss(model(inputs), targets)

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


if __name__ == "__main__":
    port, out = int(sys.argv[1]), sys.argv[2]
    mp.spawn(worker, args=(2, port, out), nprocs=2, join=True)
