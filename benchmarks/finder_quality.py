"""The range test's suggestions, judged by training.

For small tasks that run on a CPU without downloads, each seed: run the LR range test
(lrsched's torch runner), read every rule's LR off the recorded curve — lrsched's rules
on its zero-phase curve ("local") and on the causal EMA ("ema"), and the peers' rules
reimplemented from their documented math on the same losses — then train with each LR
as a constant LR and as 1cycle's max_lr. A log-spaced grid of LRs, trained the same
way, gives the best each use can reach. Regret = the grid's best mean score minus the
rule's mean score over the seeds, in points (accuracy %, or R^2 x 100).

    python benchmarks/finder_quality.py            # the README's tables (about 3 min on 2 cores)
    python benchmarks/finder_quality.py --smoke    # one task, one seed, a short grid
    python benchmarks/finder_quality.py --optimizer adam   # the same with Adam
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from torch import nn

import lrsched as l
from lrsched.adapters.torch import lambda_lr, range_test
from lrsched.rangetest import RULES, RangeTestResult, fastai_valley

torch.set_num_threads(1)


# -- tasks: (train X, y, test X, y, model factory, loss, score) ---------------------------
def _split(x: np.ndarray, y: np.ndarray, seed: int = 0) -> tuple[Any, ...]:
    order = np.random.default_rng(seed).permutation(len(x))
    cut = int(0.7 * len(x))
    train, test = order[:cut], order[cut:]
    return x[train], y[train], x[test], y[test]


def _accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    return float((model(x).argmax(1) == y).float().mean()) * 100


def _r2(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    pred = model(x).squeeze(1)
    return float(1 - ((pred - y) ** 2).sum() / ((y - y.mean()) ** 2).sum()) * 100


class Task:
    def __init__(self, name: str, x: np.ndarray, y: np.ndarray, make: Callable[[], nn.Module], classify: bool) -> None:
        xtr, ytr, xte, yte = _split(x, y)
        mean, std = xtr.mean(0), xtr.std(0) + 1e-6
        as_y = torch.long if classify else torch.float32
        self.name = name
        self.train = (torch.tensor((xtr - mean) / std, dtype=torch.float32), torch.tensor(ytr, dtype=as_y))
        self.test = (torch.tensor((xte - mean) / std, dtype=torch.float32), torch.tensor(yte, dtype=as_y))
        self.make = make
        self.loss = nn.CrossEntropyLoss() if classify else nn.MSELoss()
        self.score = _accuracy if classify else _r2
        self.squeeze = not classify

    def batches(self, seed: int, batch: int = 64) -> list[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.randperm(len(self.train[0]), generator=torch.Generator().manual_seed(seed))
        x, y = self.train[0][order], self.train[1][order]
        return [(x[i : i + batch], y[i : i + batch]) for i in range(0, len(x), batch)]

    def batch_loss(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        out = model(batch[0])
        return self.loss(out.squeeze(1) if self.squeeze else out, batch[1])


def tasks() -> list[Task]:
    from sklearn.datasets import load_digits, make_classification

    digits = load_digits()
    x_cls, y_cls = make_classification(
        n_samples=3000, n_features=20, n_informative=10, n_classes=4, class_sep=1.0, random_state=0
    )
    rng = np.random.default_rng(0)
    x_reg = rng.normal(size=(3000, 8))
    y_reg = np.sin(x_reg[:, 0] * 1.5) + 0.5 * x_reg[:, 1] * x_reg[:, 2] + 0.1 * rng.normal(size=3000)

    def digits_cnn() -> nn.Module:
        return nn.Sequential(
            nn.Unflatten(1, (1, 8, 8)),
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(32 * 16, 10),
        )

    return [
        Task("digits MLP", digits.data, digits.target, lambda: _mlp(64, 10), classify=True),
        Task("digits CNN", digits.data, digits.target, digits_cnn, classify=True),
        Task("make_classification MLP", x_cls, y_cls, lambda: _mlp(20, 4), classify=True),
        Task("regression MLP", x_reg, y_reg.astype(np.float32), lambda: _mlp(8, 1), classify=False),
    ]


def _mlp(inputs: int, outputs: int) -> nn.Module:
    return nn.Sequential(nn.Linear(inputs, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, outputs))


# -- training ----------------------------------------------------------------------------
def make_optimizer(name: str, model: nn.Module, lr: float) -> torch.optim.Optimizer:
    """SGD with momentum 0.9 (Smith's setting), or Adam with torch's defaults."""
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr)
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def train(task: Task, seed: int, use: str, lr: float, epochs: int, optimizer_name: str = "sgd") -> float:
    torch.manual_seed(seed)
    model = task.make()
    optimizer = make_optimizer(optimizer_name, model, lr)
    steps_per_epoch = len(task.batches(seed))
    schedule = l.constant(lr=lr) if use == "constant" else l.one_cycle(max_lr=lr, total_steps=epochs * steps_per_epoch)
    scheduler = lambda_lr(optimizer, schedule)
    for epoch in range(epochs):
        for batch in task.batches(seed * 1000 + epoch):
            loss = task.batch_loss(model, batch)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
    with torch.no_grad():
        score = task.score(model, *task.test)
    return score if math.isfinite(score) else -100.0


# -- the peers' rules, from their documented math, on the recorded losses ---------------
def _undebiased_ema(losses: np.ndarray, beta: float) -> np.ndarray:
    """torch-lr-finder's smoothing: an EMA that starts at the first loss."""
    out, average = np.empty_like(losses), 0.0
    for i, loss in enumerate(losses):
        average = loss if i == 0 else (1 - beta) * loss + beta * average
        out[i] = average
    return out


def peer_rules(result: RangeTestResult) -> dict[str, float | None]:
    """torch-lr-finder's steepest gradient (EMA 0.95 undebiased; gradient per step; skip
    10 and 5), Lightning's suggestion (EMA 0.98; gradient per LR; skip 10 and 1), fastai's
    valley / minimum / steep (EMA 0.98; skip num_it // 10 and 5). Each on the losses
    before lrsched's divergence point (each peer stops at its own threshold near it)."""
    # fastai and Lightning smooth with the bias-corrected EMA at 0.98: the result's own.
    assert result.smoothing == 0.98
    lrs, ema, n = result._usable()
    raw = result.losses[:n]
    out: dict[str, float | None] = {}

    smoothed = _undebiased_ema(raw, 0.95)[10 : n - 5]
    out["torch-lr-finder"] = float(lrs[10 : n - 5][np.argmin(np.gradient(smoothed))]) if smoothed.size >= 2 else None

    smoothed = ema
    part, part_lrs = smoothed[10 : n - 1], lrs[10 : n - 1]
    out["lightning"] = float(part_lrs[np.argmin(np.gradient(part, part_lrs))]) if part.size >= 2 else None

    skip = max(1, n // 10)
    part, part_lrs = smoothed[skip : n - 5], lrs[skip : n - 5]
    if part.size >= 2:
        found = fastai_valley(part)
        out["fastai valley"] = None if found is None else float(part_lrs[found])
        out["fastai minimum"] = float(part_lrs[np.argmin(part)] / 10)
        grads = np.diff(part) / np.diff(np.log(part_lrs))
        out["fastai steep"] = float(part_lrs[np.argmin(grads)])
    else:
        out.update({"fastai valley": None, "fastai minimum": None, "fastai steep": None})
    return out


def suggestions(task: Task, seed: int, num_steps: int, optimizer_name: str = "sgd") -> dict[str, float | None]:
    torch.manual_seed(seed)
    model = task.make()
    optimizer = make_optimizer(optimizer_name, model, 0.1)
    result = range_test(
        model, optimizer, task.batch_loss, task.batches(seed), start_lr=1e-5, end_lr=10.0, num_steps=num_steps
    )
    found: dict[str, float | None] = {
        f'lrsched recommend("{use}")': result.recommend(use).lr for use in ("constant", "one_cycle")
    }
    for smoother in ("local", "ema"):
        analysed = RangeTestResult.of(result.record, smoother=smoother)  # the sweep's own smoothing too
        for rule in RULES:
            found[f"lrsched {rule} ({smoother})"] = analysed.suggest(rule).lr
    found.update(peer_rules(result))
    return found


# -- the benchmark -------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="one task, one seed, a short grid")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd", help="SGD momentum 0.9, or Adam")
    args = parser.parse_args()
    name = args.optimizer
    chosen = tasks()[:1] if args.smoke else tasks()
    seeds = list(range(1 if args.smoke else args.seeds))
    epochs = 2 if args.smoke else args.epochs
    lowest = -5 if name == "adam" else -4  # Adam's best LRs lie about a decade lower
    grid = [10.0**e for e in (np.arange(-3, 0.75, 0.75) if args.smoke else np.arange(lowest, 0.75, 0.25))]
    began = time.perf_counter()
    tables: dict[str, dict[str, dict[str, float]]] = {"constant": {}, "one_cycle": {}}
    for task in chosen:
        found = [suggestions(task, seed, num_steps=100, optimizer_name=name) for seed in seeds]
        for use in tables:
            per_seed = {lr: [train(task, s, use, lr, epochs, name) for s in seeds] for lr in grid}
            grid_scores = {lr: float(np.mean(scores)) for lr, scores in per_seed.items()}
            best = max(grid_scores.values())
            best_lr = max(grid_scores, key=lambda lr: grid_scores[lr])
            row: dict[str, float] = {"grid best": best, "grid best lr": best_lr}
            # How much a point of regret is: the seeds' standard error of the best mean, and
            # the regret of the better grid neighbour (a quarter decade off).
            scores = per_seed[best_lr]
            spread = float(np.std(scores, ddof=1) / math.sqrt(len(scores))) if len(scores) > 1 else math.nan
            row["grid: standard error of the best"] = spread
            k = grid.index(best_lr)
            neighbours = [grid_scores[grid[j]] for j in (k - 1, k + 1) if 0 <= j < len(grid)]
            row["grid: the better neighbour of the best"] = best - max(neighbours)
            for rule in found[0]:
                if rule.startswith("lrsched recommend") and f'"{use}"' not in rule:
                    continue
                lrs = [f[rule] for f in found]
                if any(lr is None for lr in lrs):
                    row[rule] = math.nan  # no suggestion on some seed
                    continue
                row[rule] = best - float(
                    np.mean([train(task, s, use, lr, epochs, name) for s, lr in zip(seeds, lrs, strict=True)])
                )
            tables[use][task.name] = row
            print(f"# {task.name} / {use}: done at {time.perf_counter() - began:.0f} s", file=sys.stderr)
    for use, table in tables.items():
        names = list(table)
        print(f"\n### {use} ({name}): regret in points (grid's best minus the rule's mean over {len(seeds)} seeds)\n")
        print("| rule | " + " | ".join(names) + " | worst |")
        print("|---|" + "---|" * (len(names) + 1))
        print(
            "| grid best (lr) | "
            + " | ".join(f"{table[n]['grid best']:.1f} ({table[n]['grid best lr']:.2g})" for n in names)
            + " | |"
        )
        for label in ("grid: standard error of the best", "grid: the better neighbour of the best"):
            cells = ["n/a" if math.isnan(table[n][label]) else f"{table[n][label]:.1f}" for n in names]
            print(f"| {label} | " + " | ".join(cells) + " | |")
        for rule in [r for r in table[names[0]] if not r.startswith("grid")]:  # recommend first
            values = [table[n][rule] for n in names]
            worst = max(values) if not any(math.isnan(v) for v in values) else math.nan
            cells = ["no LR" if math.isnan(v) else f"{v:.1f}" for v in values]
            print(f"| {rule} | " + " | ".join(cells) + f" | {'no LR' if math.isnan(worst) else f'{worst:.1f}'} |")
    print(f"\n{time.perf_counter() - began:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
