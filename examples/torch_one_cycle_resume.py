"""PyTorch: 1cycle with momentum inverse to the LR, a checkpoint halfway, and a resume in
a fresh model and optimizer that continues on the same LR and momentum sequence.

    python examples/torch_one_cycle_resume.py
"""

import tempfile
from pathlib import Path

import torch

import lrsched as l
from lrsched.adapters.torch import lambda_lr

TOTAL = 200


def build() -> tuple[torch.nn.Module, torch.optim.Optimizer, torch.optim.lr_scheduler.LRScheduler]:
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    lr = l.one_cycle(max_lr=0.1, total_steps=TOTAL)
    return model, optimizer, lambda_lr(optimizer, lr, momentum=l.inverse_momentum(schedule=lr))


def train(model, optimizer, scheduler, steps: int, seed: int) -> float:
    generator = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(32, 4, generator=generator)
        loss = (model(x) - x.sum(1, keepdim=True)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    return loss.item()


model, optimizer, scheduler = build()
train(model, optimizer, scheduler, TOTAL // 2, seed=1)
with tempfile.TemporaryDirectory() as folder:
    path = Path(folder) / "checkpoint.pt"
    torch.save(
        {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()}, path
    )
    # A fresh process would build everything again, then load the checkpoint.
    model2, optimizer2, scheduler2 = build()
    state = torch.load(path, weights_only=True)
    model2.load_state_dict(state["model"])
    optimizer2.load_state_dict(state["optimizer"])
    scheduler2.load_state_dict(state["scheduler"])

group = optimizer2.param_groups[0]
print(f"resumed at step {scheduler2.last_epoch}: lr {group['lr']:.4g}, momentum {group['momentum']:.4g}")
assert group["lr"] == optimizer.param_groups[0]["lr"]
loss = train(model2, optimizer2, scheduler2, TOTAL - TOTAL // 2, seed=2)
print(f"final loss {loss:.4f}, final lr {optimizer2.param_groups[0]['lr']:.3g}")
