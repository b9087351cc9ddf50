"""Run by tests/adapters/test_accelerate.py: `lambda_lr` handed to `accelerator.prepare`, on 2 CPU
processes (accelerate's `debug_launcher`, gloo).

    python accelerate_worker.py OUT

Each process trains 2 epochs of its shard (8 optimizer steps per epoch) three ways and
writes OUT/rank{r}.json with the LR every optimizer step used:

- "per_process": a 1cycle sized for the steps each process takes (16), prepared as it is;
- "global_steps": the 1cycle sized for the global steps (16 * 2 processes), prepared;
- "step_with_optimizer_false": sized for the steps each process takes, with
  `Accelerator(step_scheduler_with_optimizer=False)`, stepped after each optimizer step;
- "calls_per_step": sized for the steps each process takes, prepared, built with
  `lambda_lr(..., calls_per_step=accelerator.num_processes)`.
"""

import json
import sys

import torch
from accelerate import Accelerator, debug_launcher

import lrsched as l
from lrsched.adapters.torch import lambda_lr

BATCHES, BATCH = 16, 8  # 16 batches in all: 8 per process per epoch on 2 processes
EPOCHS = 2


def schedule(total_steps):
    return l.one_cycle(max_lr=0.1, total_steps=total_steps, anneal="linear")


def run(accelerator, total_steps, calls_per_step=1):
    torch.manual_seed(0)
    x = torch.randn(BATCHES * BATCH, 4)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True)), batch_size=BATCH)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    options = {} if calls_per_step == 1 else {"calls_per_step": calls_per_step}
    scheduler = lambda_lr(optimizer, schedule(total_steps), **options)
    model, optimizer, loader, scheduler = accelerator.prepare(model, optimizer, loader, scheduler)
    lrs = []
    for _ in range(EPOCHS):
        for inputs, targets in loader:
            lrs.append(optimizer.param_groups[0]["lr"])  # the LR this optimizer step uses
            loss = torch.nn.functional.mse_loss(model(inputs), targets)
            accelerator.backward(loss)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
    return lrs


def main(out):
    steps = EPOCHS * BATCHES // 2  # optimizer steps each of the 2 processes takes
    default = Accelerator(cpu=True)
    found = {
        "num_processes": default.num_processes,
        "per_process": run(default, steps),
        "global_steps": run(default, steps * default.num_processes),
        "step_with_optimizer_false": run(Accelerator(cpu=True, step_scheduler_with_optimizer=False), steps),
    }
    try:
        found["calls_per_step"] = run(default, steps, calls_per_step=default.num_processes)
    except Exception as error:  # reported by the test that reads it
        found["calls_per_step"] = {"error": f"{type(error).__name__}: {error}"}
    with open(f"{out}/rank{default.process_index}.json", "w") as f:
        json.dump(found, f)


if __name__ == "__main__":
    debug_launcher(main, args=(sys.argv[1],), num_processes=2)
