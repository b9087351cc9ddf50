"""Run by tests/range_test/test_distributed.py: `RangeTestCallback` under Lightning's `ddp_spawn` on 2
CPU processes (gloo).

    python lightning_worker.py OUT

Each rank writes OUT/rank{r}.json: the callback's result and applied LR, the weights at the
start of every sweep step and the batch each step trained on. Then this process runs the
same sweep on one process over each step's batches of both ranks put together (what a
data-parallel sweep computes: DDP averages the gradients of equal batches), and writes
OUT/single.json. Lightning's process group has a 20 s timeout: a rank that waits for
another that never comes fails within it.
"""

import datetime
import json
import sys
from pathlib import Path

import pytorch_lightning as pl
import torch

from lrsched.adapters.lightning import RangeTestCallback
from lrsched.adapters.torch import range_test

SWEEP = {"start_lr": 1e-5, "end_lr": 1.0, "num_steps": 30}


def _net():
    torch.manual_seed(0)  # the same initial weights on every rank
    return torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))


def _loss(net, batch):
    return torch.nn.functional.mse_loss(net(batch[0]), batch[1])


class Regression(pl.LightningModule):
    def __init__(self, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.net = _net()
        self.seen = None  # while recording: (weights, inputs) at each training step

    def training_step(self, batch, batch_idx):
        if self.seen is not None and torch.is_grad_enabled():
            weights = torch.cat([p.detach().flatten() for p in self.parameters()])
            self.seen.append((weights.tolist(), batch[0].tolist()))
        return _loss(self.net, batch)

    def configure_optimizers(self):
        return torch.optim.SGD(self.parameters(), lr=self.hparams.lr, momentum=0.9)


class Record(pl.Callback):
    """Before the range test callback: record every sweep step's weights and batch."""

    def on_fit_start(self, trainer, module):
        module.seen = []


class Report(pl.Callback):
    """After the range test callback: write what it found and what was recorded."""

    def __init__(self, callback, out):
        self.callback, self.out = callback, out

    def on_fit_start(self, trainer, module):
        found = {
            "result": self.callback.result.to_json(),
            "applied": self.callback.applied_lr,
            "weights": [w for w, _ in module.seen],
            "inputs": [x for _, x in module.seen],
        }
        module.seen = None
        with open(f"{self.out}/rank{trainer.global_rank}.json", "w") as f:
            json.dump(found, f)


def single_process_sweep(out):
    """The sweep a data-parallel run makes, on one process: each step's two rank batches as one."""
    ranks = [json.loads(Path(f"{out}/rank{r}.json").read_text()) for r in (0, 1)]
    batches = []
    for a, b in zip(ranks[0]["inputs"], ranks[1]["inputs"], strict=True):
        x = torch.tensor(a + b)
        batches.append((x, x.sum(1, keepdim=True)))
    net = _net()
    optimizer = torch.optim.SGD(net.parameters(), lr=1e-3, momentum=0.9)
    result = range_test(net, optimizer, _loss, batches, progress=False, **SWEEP)
    with open(f"{out}/single.json", "w") as f:
        json.dump({"result": result.to_json()}, f)


def main(out):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(512, 4, generator=gen)
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x, x.sum(1, keepdim=True)), batch_size=32)
    callback = RangeTestCallback(use="constant", **SWEEP)
    strategy = pl.strategies.DDPStrategy(start_method="spawn", timeout=datetime.timedelta(seconds=20))
    trainer = pl.Trainer(
        max_steps=1, callbacks=[Record(), callback, Report(callback, out)], logger=False, enable_checkpointing=False,
        enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", devices=2, strategy=strategy,
    )  # fmt: skip
    trainer.fit(Regression(), loader)
    single_process_sweep(out)


if __name__ == "__main__":
    main(sys.argv[1])
