"""The range test's recommendation, scored on tasks it was not chosen on.

Eleven small tasks of different kinds that run on a CPU with no download (MLPs with and
without BatchNorm / LayerNorm, label noise, regression, a 2-D and a 1-D CNN, a GRU and a
small transformer on synthetic sequences; depths and batch sizes differ), two optimizers
(SGD with momentum 0.9, Adam), three uses (a constant LR, 1cycle's `max_lr`, the top of
triangular CLR with base = top / 10), three seeds.

1. Curves: the range test with the library's default settings on each task, optimizer
   and seed (`range_test(model, optimizer, loss_fn, data)`, nothing else given).
2. Grids: each use trained at a half-decade grid of LRs, every seed; the grid's best
   mean score is the target.
3. Candidate rules: a rule of the range test (steepest, min_div_10, valley, min, on the
   zero-phase or the EMA curve) times a factor `k` (a quarter of an octave apart, 1/16
   to 16). A candidate's score on a task is read off the task's grid curve (linear in
   log-LR between grid points; the edge value outside).
4. Leave one task out: for each task, the candidate with the lowest mean regret on the
   other tasks (each capped at 20 points: a collapse counts 20; the worst case breaks
   ties) is chosen, then *trained* on the held-out
   task at the LRs it gives (every seed). The held-out regret is the grid's best mean
   minus that mean, in points (accuracy %, or R^2 x 100). The candidate chosen on all
   tasks is the one `recommend()` uses.

    python benchmarks/finder_heldout.py                 # the tables (see --help for options)
    python benchmarks/finder_heldout.py --smoke         # two tasks, one seed, a short grid
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from lrsched.adapters.torch import lambda_lr, range_test
from lrsched.rangetest import RULES, SMOOTHERS, Confirmation, RangeTestResult
from lrsched.rangetest.confirm import search, short_schedule

USES = ("constant", "one_cycle", "cyclic")
OPTIMIZERS = ("sgd", "adam")
FACTORS = tuple(float(2.0 ** (j / 4)) for j in range(-16, 17))


# -- tasks ---------------------------------------------------------------------------------
@dataclass
class Task:
    """Train and test tensors, a model factory, the batch size and epochs, and the score."""

    name: str
    train: tuple[torch.Tensor, torch.Tensor]
    test: tuple[torch.Tensor, torch.Tensor]
    make: Callable[[], nn.Module]
    classify: bool
    batch: int
    epochs: int

    def batches(self, seed: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
        order = torch.randperm(len(self.train[0]), generator=torch.Generator().manual_seed(seed))
        x, y = self.train[0][order], self.train[1][order]
        return [(x[i : i + self.batch], y[i : i + self.batch]) for i in range(0, len(x), self.batch)]

    def confirm_split(self, seed: int) -> tuple[list[Any], list[Any]]:
        """The confirmation stage's data: the short trainings' batches and held-out
        batches (the last 15% of the training rows: never the test set)."""
        cut = int(0.85 * len(self.train[0]))
        order = torch.randperm(cut, generator=torch.Generator().manual_seed(seed))
        x, y = self.train[0][:cut][order], self.train[1][:cut][order]
        train = [(x[i : i + self.batch], y[i : i + self.batch]) for i in range(0, len(x), self.batch)]
        hx, hy = self.train[0][cut:], self.train[1][cut:]
        held = [(hx[i : i + 256], hy[i : i + 256]) for i in range(0, len(hx), 256)]
        return train, held

    def loss(self, model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
        out = model(batch[0])
        if self.classify:
            return nn.functional.cross_entropy(out, batch[1])
        return nn.functional.mse_loss(out.squeeze(1), batch[1])

    @torch.no_grad()
    def score(self, model: nn.Module) -> float:
        model.eval()
        out = model(self.test[0])
        if self.classify:
            value = float((out.argmax(1) == self.test[1]).float().mean()) * 100
        else:
            y = self.test[1]
            value = float(1 - ((out.squeeze(1) - y) ** 2).sum() / ((y - y.mean()) ** 2).sum()) * 100
        return value if math.isfinite(value) else -100.0


def _standardised(x: np.ndarray, y: np.ndarray, classify: bool, seed: int = 0) -> tuple[Any, Any]:
    order = np.random.default_rng(seed).permutation(len(x))
    cut = int(0.7 * len(x))
    tr, te = order[:cut], order[cut:]
    mean, std = x[tr].mean(0), x[tr].std(0) + 1e-6
    as_y = torch.long if classify else torch.float32
    pack = lambda idx: (  # noqa: E731
        torch.tensor((x[idx] - mean) / std, dtype=torch.float32),
        torch.tensor(y[idx], dtype=as_y),
    )
    return pack(tr), pack(te)


def _sequences(x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
    cut = int(0.7 * len(x))
    return (torch.tensor(x[:cut]), torch.tensor(y[:cut])), (torch.tensor(x[cut:]), torch.tensor(y[cut:]))


def _mlp(inputs: int, outputs: int, width: int = 64, depth: int = 2, norm: str = "", act: Any = nn.ReLU) -> nn.Module:
    layers: list[nn.Module] = []
    for i in range(depth):
        layers.append(nn.Linear(inputs if i == 0 else width, width))
        if norm == "batch":
            layers.append(nn.BatchNorm1d(width))
        elif norm == "layer":
            layers.append(nn.LayerNorm(width))
        layers.append(act())
    layers.append(nn.Linear(width, outputs))
    return nn.Sequential(*layers)


class _SequenceClassifier(nn.Module):
    """Token embedding, then a GRU, a 1-D CNN or a transformer encoder, then a linear head."""

    def __init__(self, kind: str, vocab: int, classes: int, width: int = 32) -> None:
        super().__init__()
        self.kind = kind
        self.embed = nn.Embedding(vocab, width)
        if kind == "gru":
            self.body: nn.Module = nn.GRU(width, width, batch_first=True)
        elif kind == "cnn1d":
            self.body = nn.Sequential(
                nn.Conv1d(width, width, 5, padding=2), nn.ReLU(), nn.Conv1d(width, width, 5, padding=2), nn.ReLU()
            )
        else:
            layer = nn.TransformerEncoderLayer(width, nhead=2, dim_feedforward=64, dropout=0.0, batch_first=True)
            self.body = nn.TransformerEncoder(layer, num_layers=1, enable_nested_tensor=False)
            self.position = nn.Parameter(torch.zeros(1, 64, width))
        self.head = nn.Linear(width, classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        h = self.embed(tokens)
        if self.kind == "gru":
            return self.head(self.body(h)[0][:, -1])
        if self.kind == "cnn1d":
            return self.head(self.body(h.transpose(1, 2)).amax(2))
        return self.head(self.body(h + self.position[:, : h.shape[1]]).mean(1))


def tasks() -> list[Task]:
    from sklearn.datasets import load_breast_cancer, load_digits, make_classification, make_friedman1

    rng = np.random.default_rng(0)
    digits = load_digits()
    x_cls, y_cls = make_classification(
        n_samples=3000, n_features=20, n_informative=10, n_classes=4, class_sep=1.0, random_state=0
    )
    x_bn, y_bn = make_classification(
        n_samples=2400, n_features=30, n_informative=8, n_classes=3, class_sep=0.8, random_state=1
    )
    x_reg = rng.normal(size=(3000, 8))
    y_reg = (np.sin(x_reg[:, 0] * 1.5) + 0.5 * x_reg[:, 1] * x_reg[:, 2] + 0.1 * rng.normal(size=3000)).astype("f4")
    x_fr, y_fr = make_friedman1(n_samples=2000, n_features=10, noise=0.5, random_state=0)
    cancer = load_breast_cancer()
    noisy = digits.target.copy()
    flip = rng.random(len(noisy)) < 0.3
    noisy[flip] = rng.integers(0, 10, flip.sum())
    (noisy_train, _), (_, clean_test) = (
        _standardised(digits.data, noisy, True),
        _standardised(digits.data, digits.target, True),
    )
    # Sequences: the sign of a sum of +-1 tokens (GRU); which of 3 motifs is hidden in
    # noise (1-D CNN); the most frequent of 6 tokens (transformer).
    signs = rng.integers(0, 2, size=(2400, 21))
    signs[:, 0] = 0
    sign_y = (signs.sum(1) * 2 > 21).astype(np.int64)
    motifs = rng.integers(1, 9, size=(3, 4))
    hidden = rng.integers(0, 9, size=(2400, 32))
    motif_y = rng.integers(0, 3, size=2400)
    for i, k in enumerate(motif_y):
        at = rng.integers(0, 28)
        hidden[i, at : at + 4] = motifs[k]
    counts = rng.integers(0, 6, size=(2400, 16))
    majority_y = np.array([np.bincount(r, minlength=6).argmax() for r in counts])

    def digits_cnn() -> nn.Module:
        return nn.Sequential(
            nn.Unflatten(1, (1, 8, 8)),
            nn.Conv2d(1, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * 16, 10),
        )

    def task(name: str, data: tuple[Any, Any], make: Callable[[], nn.Module], classify: bool, batch: int, epochs: int):
        return Task(name, data[0], data[1], make, classify, batch, epochs)

    return [
        task("digits MLP", _standardised(digits.data, digits.target, True), lambda: _mlp(64, 10), True, 64, 8),
        task("digits CNN", _standardised(digits.data, digits.target, True), digits_cnn, True, 32, 6),
        task("classification MLP", _standardised(x_cls, y_cls, True), lambda: _mlp(20, 4), True, 128, 8),
        task("sin regression MLP", _standardised(x_reg, y_reg, False), lambda: _mlp(8, 1), False, 64, 8),
        task("BatchNorm MLP", _standardised(x_bn, y_bn, True), lambda: _mlp(30, 3, 64, 3, norm="batch"), True, 32, 6),
        task(
            "LayerNorm GELU regression",
            _standardised(x_fr, y_fr.astype("f4"), False),
            lambda: _mlp(10, 1, 64, 3, norm="layer", act=nn.GELU),
            False,
            64,
            8,
        ),
        task("noisy-label digits", (noisy_train, clean_test), lambda: _mlp(64, 10, 128, 3), True, 64, 8),
        task(
            "deep MLP, batch 16",
            _standardised(cancer.data, cancer.target, True),
            lambda: _mlp(30, 2, 32, 6),
            True,
            16,
            6,
        ),
        task("GRU sign of a sum", _sequences(signs, sign_y), lambda: _SequenceClassifier("gru", 2, 2), True, 64, 8),
        task("1-D CNN motifs", _sequences(hidden, motif_y), lambda: _SequenceClassifier("cnn1d", 9, 3), True, 64, 6),
        task(
            "transformer majority",
            _sequences(counts, majority_y),
            lambda: _SequenceClassifier("transformer", 6, 6),
            True,
            64,
            8,
        ),
    ]


# -- training --------------------------------------------------------------------------------
def make_optimizer(name: str, model: nn.Module, lr: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(model.parameters(), lr=lr)
    if name == "adamw":
        return torch.optim.AdamW(model.parameters(), lr=lr)  # torch's weight_decay 0.01
    return torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)


def train(task: Task, optimizer_name: str, use: str, lr: float, seed: int) -> float:
    torch.manual_seed(seed)
    model = task.make()
    optimizer = make_optimizer(optimizer_name, model, lr)
    total = task.epochs * len(task.batches(seed))
    scheduler = lambda_lr(optimizer, short_schedule(use, lr, total))
    model.train()
    for epoch in range(task.epochs):
        for batch in task.batches(seed * 1000 + epoch):
            loss = task.loss(model, batch)
            if not torch.isfinite(loss):
                return -100.0
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
    return task.score(model)


def confirm_score(task: Task, optimizer_name: str, use: str, lr: float, seed: int, steps: int) -> float:
    """The confirmation stage as a runner does it: from the state the sweep began at,
    `steps` steps of `use`'s schedule at `lr`, then the mean loss on the held-out batches."""
    torch.manual_seed(seed)
    model = task.make()
    optimizer = make_optimizer(optimizer_name, model, lr)
    scheduler = lambda_lr(optimizer, short_schedule(use, lr, steps))
    batches, held = task.confirm_split(seed)
    model.train()
    for i in range(steps):
        loss = task.loss(model, batches[i % len(batches)])
        if not torch.isfinite(loss):
            return math.inf
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
    model.eval()
    with torch.no_grad():
        total = sum(float(task.loss(model, b)) * len(b[0]) for b in held) / sum(len(b[0]) for b in held)
    return total if math.isfinite(total) else math.inf


def curve(task: Task, optimizer_name: str, seed: int, sweep: dict[str, Any] | None = None) -> RangeTestResult:
    """The range test as a user runs it: the library's default settings, or `sweep`'s."""
    torch.manual_seed(seed)
    model = task.make()
    optimizer = make_optimizer(optimizer_name, model, 1e-3)
    return range_test(model, optimizer, task.loss, task.batches(seed), progress=False, **(sweep or {}))


# -- rules and their scores ------------------------------------------------------------------
def rule_lrs(result: RangeTestResult) -> dict[tuple[str, str], float | None]:
    out: dict[tuple[str, str], float | None] = {}
    for smoother in SMOOTHERS:
        analysed = RangeTestResult.of(result.record, smoother=smoother)  # the sweep's own smoothing too
        for rule in RULES:
            out[(rule, smoother)] = analysed.suggest(rule).lr
    return out


def interpolated(grid: list[float], scores: list[float], lr: float) -> float:
    """The grid's mean-score curve at `lr`: linear in log-LR, the edge value outside."""
    return float(np.interp(math.log10(lr), np.log10(grid), scores))


@dataclass(frozen=True)
class Candidate:
    rule: str
    smoother: str
    factor: float

    def label(self) -> str:
        return f"{self.rule} ({self.smoother}) x {self.factor:.3g}"


def candidates() -> list[Candidate]:
    return [Candidate(r, s, k) for r in RULES for s in SMOOTHERS for k in FACTORS]


def readable(lrs: dict[str, Any]) -> bool:
    """Whether any rule reads this curve (a curve no rule can read is the curve's doing,
    not a rule's: such seeds are set aside, and counted in the tables)."""
    return any(v is not None for k, v in lrs.items() if not k.startswith("_"))


def estimated_regret(cell: dict[str, Any], candidate: Candidate) -> float:
    """Grid best minus the candidate's interpolated mean over the readable seeds (inf:
    no LR on a seed that another rule reads)."""
    found = [lrs[f"{candidate.rule}|{candidate.smoother}"] for lrs in cell["rule_lrs"] if readable(lrs)]
    if not found:
        return 0.0
    if any(lr is None for lr in found):
        return math.inf
    means = cell["grid_means"]
    scores = [interpolated(cell["grid"], means, lr * candidate.factor) for lr in found]
    return max(means) - float(np.mean(scores))


CAP = 20.0  # a failure counts as 20 points: one task's collapse must not decide every choice


def choose(cells: list[dict[str, Any]]) -> Candidate:
    """The candidate with the lowest mean estimated regret over `cells`, each capped at
    CAP points (a rule that fails where others read the curve counts CAP); the worst case
    breaks ties, then the factor nearest 1 (the least extrapolation from the rule)."""

    def key(c: Candidate) -> tuple[float, float, float]:
        regrets = [min(estimated_regret(cell, c), CAP) for cell in cells]
        return (round(float(np.mean(regrets)), 6), round(max(regrets), 6), abs(math.log(c.factor)))

    return min(candidates(), key=key)


def neighbour_gap(cell: dict[str, Any]) -> float:
    """How much a point of regret is: the regret of the grid's better neighbour of its best."""
    means = cell["grid_means"]
    k = int(np.argmax(means))
    return max(means) - max(means[j] for j in (k - 1, k + 1) if 0 <= j < len(means))


# -- the runs --------------------------------------------------------------------------------
def _job(args: tuple[str, ...] | tuple[Any, ...]) -> Any:
    torch.set_num_threads(1)
    kind, task_index, optimizer_name, *rest = args
    task = TASKS[task_index]
    if kind == "curve":
        seed, *sweep = rest
        result = curve(task, optimizer_name, seed, dict(sweep[0]) if sweep else None)
        return {f"{r}|{s}": lr for (r, s), lr in rule_lrs(result).items()} | {
            "_stopped": result.stopped,
            "_points": len(result.lrs),
            "_sweep_steps": result.sweep[2] if result.sweep is not None else len(result.lrs),
        }
    if kind == "confirm":
        use, lr, seed, k, steps, spread = rest
        return search(lr, k, lambda c: confirm_score(task, optimizer_name, use, c, seed, steps), spread)
    use, lr, seed = rest
    return train(task, optimizer_name, use, lr, seed)


TASKS: list[Task] = []


def _init(smoke: bool = False) -> None:
    TASKS[:] = tasks()
    if smoke:  # a smoke run checks that every path runs: one epoch a training
        for task in TASKS:
            task.epochs = 1


def measure(
    args: argparse.Namespace, pool: ProcessPoolExecutor, optimizers: tuple[str, ...] = OPTIMIZERS
) -> tuple[list[int], dict[str, dict[str, Any]]]:
    """Curves and grids: every task, optimizer, use, grid LR and seed."""
    chosen = list(range(2)) if args.smoke else list(range(len(TASKS)))
    seeds = list(range(1 if args.smoke else args.seeds))
    step = 1.0 if args.smoke else 0.5
    adaptive = [float(10.0**e) for e in np.arange(-5, 0.0 + 1e-9, step)]
    grids = {"sgd": [float(10.0**e) for e in np.arange(-4, 1.0 + 1e-9, step)], "adam": adaptive, "adamw": adaptive}
    began = time.perf_counter()
    cells: dict[str, dict[str, Any]] = {}
    for opt in optimizers:
        curve_jobs = [("curve", t, opt, s) for t in chosen for s in seeds]
        curves = dict(zip(curve_jobs, pool.map(_job, curve_jobs), strict=True))
        grid_jobs = [("train", t, opt, u, lr, s) for t in chosen for u in USES for lr in grids[opt] for s in seeds]
        scores = dict(zip(grid_jobs, pool.map(_job, grid_jobs, chunksize=4), strict=True))
        for t in chosen:
            for u in USES:
                means = [float(np.mean([scores[("train", t, opt, u, lr, s)] for s in seeds])) for lr in grids[opt]]
                cells[f"{opt}|{u}|{t}"] = {
                    "task": TASKS[t].name,
                    "grid": grids[opt],
                    "grid_means": means,
                    "rule_lrs": [curves[("curve", t, opt, s)] for s in seeds],
                }
        print(f"# {opt}: curves and grids done at {time.perf_counter() - began:.0f} s", file=sys.stderr)
    return seeds, cells


def swept(
    cells: dict[str, dict[str, Any]], seeds: list[int], sweep: dict[str, Any], pool: ProcessPoolExecutor
) -> dict[str, dict[str, Any]]:
    """The cells with their curves run again at `sweep` (start_lr=..., num_steps=...)."""
    keys = sorted({(opt, int(t)) for opt, _, t in (k.split("|") for k in cells)})
    jobs = [("curve", t, opt, s, tuple(sorted(sweep.items()))) for opt, t in keys for s in seeds]
    curves = dict(zip(jobs, pool.map(_job, jobs), strict=True))
    out = {}
    for key, cell in cells.items():
        opt, _, t = key.split("|")
        rule_lrs = [curves[("curve", int(t), opt, s, tuple(sorted(sweep.items())))] for s in seeds]
        out[key] = cell | {"rule_lrs": rule_lrs}
    return out


def evaluate(
    seeds: list[int],
    cells: dict[str, dict[str, Any]],
    pool: ProcessPoolExecutor,
    confirm: tuple[tuple[int, int, float], ...] = (),
    chosen_on: dict[str, dict[str, Any]] | None = None,
    rules_of: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Leave one task out, per optimizer and use: the held-out task is trained at the LRs
    the candidate chosen without it gives, on each seed whose curve a rule reads. The
    candidates are chosen on `chosen_on`'s curves (by default the cells' own): the
    default sweep's, to score them on the curves of another sweep; `rules_of` names the
    optimizer whose cells choose for another (AdamW's held-out tasks scored by the rules
    chosen on Adam's other tasks)."""
    picks: dict[str, Candidate] = {}
    jobs: list[tuple[Any, ...]] = []
    chosen_on = cells if chosen_on is None else chosen_on
    rules_of = rules_of or {}

    def others(opt: str, use: str, t: str | None) -> list[dict[str, Any]]:
        source = rules_of.get(opt, opt)
        return [c for k, c in chosen_on.items() if k.startswith(f"{source}|{use}|") and k.split("|")[2] != t]

    for key, cell in cells.items():
        opt, use, t = key.split("|")
        pick = choose(others(opt, use, t))
        picks[key] = pick
        for s, lrs in zip(seeds, cell["rule_lrs"], strict=True):
            lr = lrs[f"{pick.rule}|{pick.smoother}"]
            if lr is not None:
                jobs.append(("train", int(t), opt, use, lr * pick.factor, s))
    trained = dict(zip(jobs, pool.map(_job, jobs), strict=True))
    report: dict[str, Any] = {"seeds": seeds, "cells": {}, "chosen": {}}
    for key, cell in cells.items():
        opt, use, t = key.split("|")
        pick = picks[key]
        runs = [(s, lrs) for s, lrs in zip(seeds, cell["rule_lrs"], strict=True) if readable(lrs)]
        found = [(s, lrs[f"{pick.rule}|{pick.smoother}"]) for s, lrs in runs]
        if not found or any(lr is None for _, lr in found):
            held = math.nan
        else:
            scores = [trained[("train", int(t), opt, use, lr * pick.factor, s)] for s, lr in found]
            held = max(cell["grid_means"]) - float(np.mean(scores))
        best = int(np.argmax(cell["grid_means"]))
        report["cells"][key] = cell | {
            "grid_best": max(cell["grid_means"]),
            "grid_best_lr": cell["grid"][best],
            "held_out_pick": pick.label(),
            "held_out_regret": held,
            "unreadable_seeds": len(seeds) - len(runs),
        }
    for opt in dict.fromkeys(k.split("|")[0] for k in cells):
        for use in USES:
            pick = choose(others(opt, use, None))
            report["chosen"][f"{opt}|{use}"] = {"rule": pick.rule, "smoother": pick.smoother, "factor": pick.factor}
    for setting in confirm:
        confirmed(report, picks, seeds, setting, trained, pool)
    return report


def confirmed(
    report: dict[str, Any],
    picks: dict[str, Candidate],
    seeds: list[int],
    setting: tuple[int, int, float],
    trained: dict[tuple[Any, ...], float],
    pool: ProcessPoolExecutor,
) -> None:
    """The confirmation stage after the held-out recommendation, as the runners do it
    (`lrsched.rangetest.confirm.search`): on each seed, `k` short trainings of `steps`
    steps at LRs `spread` apart around it (more below where all blew up), scored on
    held-out batches of the training rows; the best is trained, and its regret reported
    beside the recommendation's."""
    k, steps, spread = setting
    label = f"k={k}, {steps} steps, spread {spread:.3g}"
    jobs: dict[tuple[str, int], tuple[Any, ...]] = {}
    sweep_steps: dict[tuple[str, int], int] = {}
    for key, cell in report["cells"].items():
        opt, use, t = key.split("|")
        pick = picks[key]
        for s, lrs in zip(seeds, cell["rule_lrs"], strict=True):
            lr = lrs[f"{pick.rule}|{pick.smoother}"]
            if readable(lrs) and lr is not None:
                jobs[(key, s)] = ("confirm", int(t), opt, use, lr * pick.factor, s, k, steps, spread)
                sweep_steps[(key, s)] = int(lrs.get("_sweep_steps", 100))  # reports before it was kept: 100
    searched = dict(zip(jobs, pool.map(_job, jobs.values()), strict=True))
    chosen: dict[tuple[str, int], Confirmation] = {}
    finals: list[tuple[Any, ...]] = []
    for (key, s), (lrs, held) in searched.items():
        opt, use, t = key.split("|")
        found = Confirmation(use, lrs, held, steps, sweep_steps[(key, s)], jobs[(key, s)][4])
        chosen[(key, s)] = found
        if found.lr is not None:
            finals.append(("train", int(t), opt, use, found.lr, s))
    todo = [job for job in dict.fromkeys(finals) if job not in trained]
    trained.update(zip(todo, pool.map(_job, todo), strict=True))
    for key, cell in report["cells"].items():
        opt, use, t = key.split("|")
        runs = [chosen[(key, s)] for s in seeds if (key, s) in chosen]
        if not runs or len(runs) < len(seeds) - cell["unreadable_seeds"]:
            regret = math.nan
        else:
            got = [
                trained[("train", int(t), opt, use, c.lr, s)] if c.lr is not None else -100.0
                for s, c in zip([s for s in seeds if (key, s) in chosen], runs, strict=True)
            ]
            regret = cell["grid_best"] - float(np.mean(got))
        moved = [round(math.log10(c.lr / c.recommended) * 2) / 2 if c.lr else None for c in runs]
        cell.setdefault("confirmed", {})[label] = {
            "regret": regret,
            "moved_decades": moved,
            "cost": runs[0].cost if runs else 0,
        }


def run(args: argparse.Namespace) -> dict[str, Any]:
    _init(args.smoke)
    began = time.perf_counter()
    # spawn, not fork: a forked child of a process that has used torch can hang.
    with ProcessPoolExecutor(
        args.jobs, mp_context=multiprocessing.get_context("spawn"), initializer=_init, initargs=(args.smoke,)
    ) as pool:
        if args.from_json:
            with open(args.from_json) as saved:
                old = json.load(saved)
            seeds = old["seeds"]
            keep = ("task", "grid", "grid_means", "rule_lrs")
            cells = {k: {f: c[f] for f in keep} for k, c in old["cells"].items()}
        else:
            seeds, cells = measure(args, pool)
        default_cells, rules_of = None, None
        if args.transfer:
            # A new optimizer's curves and grids, scored by the rules chosen on another's.
            new, base = args.transfer.split("=")
            args.seeds = len(seeds)
            default_cells, rules_of = cells, {new: base}
            cells = measure(args, pool, (new,))[1]
        if args.sweep:
            # The rules chosen on the default sweep's curves, scored on another sweep's.
            default_cells, cells = cells, swept(cells, seeds, args.sweep, pool)
        report = evaluate(seeds, cells, pool, tuple(args.confirm), default_cells, rules_of)
        report["sweep"] = args.sweep
    report["seconds"] = time.perf_counter() - began
    return report


def print_tables(report: dict[str, Any]) -> None:
    for opt in dict.fromkeys(k.split("|")[0] for k in report["cells"]):
        for use in USES:
            rows = [(k, c) for k, c in report["cells"].items() if k.startswith(f"{opt}|{use}|")]
            chosen = report["chosen"][f"{opt}|{use}"]
            print(f"\n### {use} ({opt}): held-out regret in points, {len(report['seeds'])} seeds\n")
            print(
                f"Chosen on all tasks (what `recommend` uses): {chosen['rule']} ({chosen['smoother']}) "
                f"x {chosen['factor']:.3g}\n"
            )
            print(
                "| task | grid best (lr) | grid neighbour's regret | rule chosen without the task | held-out regret |"
            )
            print("|---|---|---|---|---|")
            for _, c in rows:
                regret = "no LR" if math.isnan(c["held_out_regret"]) else f"{c['held_out_regret']:.1f}"
                best = f"{c['grid_best']:.1f} ({c['grid_best_lr']:.2g})"
                if c["unreadable_seeds"]:
                    regret += f" ({c['unreadable_seeds']} seed(s) no rule reads)"
                gap = f"{neighbour_gap(c):.1f}"
                print(f"| {c['task']} | {best} | {gap} | {c['held_out_pick']} | {regret} |")
            finite = [c["held_out_regret"] for _, c in rows if not math.isnan(c["held_out_regret"])]
            if finite:
                within = sum(r <= 1.0 for r in finite)
                summary = f"{max(finite):.1f} / {np.mean(finite):.1f} / {within} of {len(rows)}"
                print(f"| worst / mean / within 1 point | | | | {summary} |")
    print_confirmations(report)
    print(f"\n{report['seconds']:.0f} s", file=sys.stderr)


def print_confirmations(report: dict[str, Any]) -> None:
    """Per confirmation setting: the held-out regret without and with it, per use and optimizer."""
    labels = list(dict.fromkeys(label for c in report["cells"].values() for label in c.get("confirmed", {})))
    for label in labels:
        cost = max(c["confirmed"][label]["cost"] for c in report["cells"].values() if label in c.get("confirmed", {}))
        print(f"\n### Confirmation stage ({label}; {cost:.2g}x the sweep's steps): held-out regret in points\n")
        print(
            "| optimizer, use | worst / mean / within 1 point, recommended | the same, confirmed "
            "| tasks better / worse by > 1 point |"
        )
        print("|---|---|---|---|")
        for opt in OPTIMIZERS:
            for use in USES:
                rows = [c for k, c in report["cells"].items() if k.startswith(f"{opt}|{use}|")]
                pairs = [(c["held_out_regret"], c["confirmed"][label]["regret"]) for c in rows]
                pairs = [(a, b) for a, b in pairs if not (math.isnan(a) or math.isnan(b))]
                if not pairs:
                    continue

                def summary(values: list[float]) -> str:
                    return (
                        f"{max(values):.1f} / {np.mean(values):.1f} / {sum(v <= 1.0 for v in values)} of {len(values)}"
                    )

                better = sum(b < a - 1.0 for a, b in pairs)
                worse = sum(b > a + 1.0 for a, b in pairs)
                print(
                    f"| {opt}, {use} | {summary([a for a, _ in pairs])} | {summary([b for _, b in pairs])} "
                    f"| {better} / {worse} |"
                )
        for key, c in report["cells"].items():
            found = c["confirmed"][label]
            print(
                f"<!-- {key} {c['task']}: {c['held_out_regret']:.1f} -> {found['regret']:.1f} "
                f"moved {found['moved_decades']} -->"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--smoke", action="store_true", help="two tasks, one seed, a decade grid")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--json", help="also write the whole report (curves' rule LRs, grids) here")
    parser.add_argument(
        "--confirm",
        nargs="*",
        default=[],
        type=lambda text: (int(text.split(",")[0]), int(text.split(",")[1]), float(text.split(",")[2])),
        help="confirmation stages to measure after the recommendation, each k,steps,spread (3,100,3.162)",
    )
    parser.add_argument(
        "--sweep",
        type=lambda text: {
            k: (v if k == "mode" else float(v) if "." in v or "e" in v else int(v))
            for k, v in (pair.split("=") for pair in text.split(","))
        },
        help="run the curves at another sweep (start_lr=1e-5,num_steps=200,...) and score the rules chosen "
        "on the default sweep's curves there",
    )
    parser.add_argument(
        "--transfer",
        help="with --from-json: run a new optimizer's curves and grids (adamw) and score on them the rules "
        "chosen on another's tasks (adamw=adam), each task held out",
    )
    parser.add_argument("--from-json", help="reuse the curves and grids of an earlier --json report: choose and train")
    args = parser.parse_args()
    report = run(args)
    print_tables(report)
    if args.json:
        with open(args.json, "w") as out:
            json.dump(report, out, indent=1)


if __name__ == "__main__":
    main()
