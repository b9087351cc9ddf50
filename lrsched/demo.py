"""The demo: the range test and the schedules it feeds, on scikit-learn's digits, with a small torch network.

1. Run the LR range test and print its suggestions (plot: `range_test.png`).
2. Train five arms on the same epoch budget, several seeds each:
   (a) a constant LR of 0.01 (an untuned default), (b) the recommended constant LR
   (`recommend("constant")`) held constant, (c) 1cycle with annihilation between the suggested
   bounds, with inverse cyclical momentum (Smith 2018's shape), (d) triangular CLR between
   the same bounds,
   (e) SGDR (`cosine_restarts`, 4 cycles) with a snapshot ensemble (Huang et al. 2017):
   the weights at each cycle end, softmax outputs averaged, against that run's final model.
3. Print final test accuracy (mean +- std) and the epochs each arm takes to reach arm
   (a)'s final accuracy; plot accuracy per epoch (`demo_accuracy.png`).

Needs torch and scikit-learn (the digits ship inside scikit-learn: no download).
"""

from __future__ import annotations

import contextlib
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import lrsched as l

EPOCHS = 20
SEEDS = (0, 1, 2)
BATCH = 64
SNAPSHOTS = 4  # arm (e): SGDR cycles, one snapshot at the end of each


def _data() -> tuple[Any, Any, Any, Any]:
    import torch
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x / 16.0, y, test_size=0.25, random_state=0, stratify=y)

    def as_x(a: Any) -> Any:
        return torch.tensor(a, dtype=torch.float32)

    def as_y(a: Any) -> Any:
        return torch.tensor(a, dtype=torch.long)

    return as_x(x_train), as_y(y_train), as_x(x_test), as_y(y_test)


def _model(seed: int) -> Any:
    import torch

    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))


def _batches(x: Any, y: Any, seed: int) -> list[tuple[Any, Any]]:
    import torch

    order = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed))
    return [(x[order[i : i + BATCH]], y[order[i : i + BATCH]]) for i in range(0, len(x), BATCH)]


def _loss(model: Any, batch: tuple[Any, Any]) -> Any:
    import torch

    return torch.nn.functional.cross_entropy(model(batch[0]), batch[1])


def _train(
    arm: Callable[[int], tuple[l.Schedule, l.Schedule | None]],
    seed: int,
    epochs: int,
    data: tuple[Any, Any, Any, Any],
    ensemble: list[float] | None = None,
) -> list[float]:
    """Train one arm; return test accuracy after each epoch. With `ensemble` (a list),
    keep snapshots at the schedule's cycle ends and append the snapshot ensemble's
    final test accuracy to it."""
    import torch

    from lrsched.adapters.torch import Snapshots, ensemble_predict, lambda_lr

    x_train, y_train, x_test, y_test = data
    steps_per_epoch = len(_batches(x_train, y_train, 0))
    schedule, momentum = arm(steps_per_epoch)
    model = _model(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=schedule(0), momentum=0.9)
    scheduler = lambda_lr(optimizer, schedule, momentum=momentum)
    keeper = Snapshots(model, schedule, keep=SNAPSHOTS) if ensemble is not None else None
    accuracy = []
    for epoch in range(epochs):
        model.train()
        for batch in _batches(x_train, y_train, seed * 1000 + epoch):
            optimizer.zero_grad()
            _loss(model, batch).backward()
            optimizer.step()
            scheduler.step()
            if keeper is not None:
                keeper.step()
        model.eval()
        with torch.no_grad():
            accuracy.append(float((model(x_test).argmax(1) == y_test).float().mean()))
    if keeper is not None and ensemble is not None:
        probabilities = ensemble_predict(model, keeper.state_dicts, x_test)
        ensemble.append(float((probabilities.argmax(1) == y_test).float().mean()))
    return accuracy


def run(
    epochs: int = EPOCHS,
    seeds: tuple[int, ...] = SEEDS,
    output_dir: str | Path = ".",
    range_steps: int = 100,
    bounds_rule: str | None = None,
    out: TextIO = sys.stdout,
) -> dict[str, list[list[float]]]:
    import torch

    from lrsched.adapters.torch import range_test

    torch.set_num_threads(min(2, torch.get_num_threads()))
    started = time.perf_counter()
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    data = _data()
    x_train, y_train = data[0], data[1]

    # 1. The range test, on a fresh model (restored afterwards), with the default sweep
    # (1e-7 .. 10): the one the recommendation was chosen at.
    model = _model(0)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    result = range_test(
        model,
        optimizer,
        _loss,
        _batches(x_train, y_train, 0),
        num_steps=range_steps,
        progress=False,
    )
    out.write(f"LR range test: {len(result.lrs)} steps, {result.stopped}\n")
    for found in result.suggestions().values():
        out.write(f"  {found.describe()}\n")
    for use in ("constant", "one_cycle"):
        out.write(f"  recommended for {use}: {result.recommend(use).describe()}\n")
    base_lr, max_lr = result.cyclic_bounds(bounds_rule, ratio=10.0)
    suggested = result.recommend("constant").lr
    assert suggested is not None
    rule = repr(bounds_rule) if bounds_rule is not None else "the recommended rule"
    out.write(f"  CLR / 1cycle bounds (max by {rule}, base = max / 10): base_lr {base_lr:.4g}, max_lr {max_lr:.4g}\n\n")
    with contextlib.suppress(ImportError):
        result.plot(str(output / "range_test.png"))

    def one_cycle_arm(steps_per_epoch: int) -> tuple[l.Schedule, l.Schedule | None]:
        total = epochs * steps_per_epoch
        # Smith 2018's ResNet-56 shape: up over ~43%, back down over ~43%, annihilate to 1/10 of base.
        schedule = l.one_cycle(
            max_lr=max_lr,
            total_steps=total,
            pct_start=0.43,
            div_factor=max_lr / base_lr,
            final_div_factor=10.0,
            anneal="linear",
            three_phase=True,
        )
        return schedule, l.inverse_momentum(schedule=schedule, base_momentum=0.85, max_momentum=0.95)

    arms: dict[str, Callable[[int], tuple[l.Schedule, l.Schedule | None]]] = {
        "(a) constant 0.01": lambda n: (l.constant(lr=0.01), None),
        f"(b) constant suggested {suggested:.3g}": lambda n: (l.constant(lr=suggested), None),
        "(c) 1cycle + inverse momentum": one_cycle_arm,
        "(d) triangular CLR": lambda n: (l.cyclic(base_lr=base_lr, max_lr=max_lr, step_size_up=2 * n), None),
    }

    def trained(name: str, arm: Callable[[int], tuple[l.Schedule, l.Schedule | None]], seed: int, **kw: Any) -> Any:
        # Training takes a while: say what runs, on stderr (stdout holds the table).
        print(f"training {name}, seed {seed} ({time.perf_counter() - started:.0f} s)", file=sys.stderr, flush=True)
        return _train(arm, seed, epochs, data, **kw)

    curves = {name: [trained(name, arm, seed) for seed in seeds] for name, arm in arms.items()}

    def restarts_arm(steps_per_epoch: int) -> tuple[l.Schedule, l.Schedule | None]:
        # SNAPSHOTS equal cycles over the budget (whole epochs each where possible).
        cycle = max(1, epochs // SNAPSHOTS) * steps_per_epoch
        return l.cosine_restarts(max_lr=max_lr, first_cycle_steps=cycle), None

    ensemble_finals: list[float] = []
    curves["(e) SGDR, its final model"] = [
        trained("(e) SGDR", restarts_arm, seed, ensemble=ensemble_finals) for seed in seeds
    ]

    target = statistics.mean(c[-1] for c in curves["(a) constant 0.01"])
    out.write(
        f"Digits test accuracy after {epochs} epochs, {len(seeds)} seeds each "
        f"(target = (a)'s final mean {target:.4f})\n"
    )
    out.write(f"{'arm':36} {'final accuracy':>18} {'epochs to target':>18}\n")
    for name, runs in curves.items():
        finals = [c[-1] for c in runs]
        reach = [next((e + 1 for e, a in enumerate(c) if a >= target), None) for c in runs]
        reached = [r for r in reach if r is not None]
        reach_text = (
            (
                f"{statistics.mean(reached):.1f}"
                + ("" if len(reached) == len(runs) else f" ({len(reached)}/{len(runs)} seeds)")
            )
            if reached
            else "never"
        )
        spread = statistics.stdev(finals) if len(finals) > 1 else 0.0
        out.write(f"{name:36} {statistics.mean(finals):10.4f} +- {spread:.4f} {reach_text:>18}\n")
    spread = statistics.stdev(ensemble_finals) if len(ensemble_finals) > 1 else 0.0
    out.write(
        f"{f'(e) SGDR, ensemble of {SNAPSHOTS} snapshots':36} "
        f"{statistics.mean(ensemble_finals):10.4f} +- {spread:.4f} {'-':>18}\n"
    )
    out.write(f"\ntook {time.perf_counter() - started:.1f} s\n")
    _plot_curves(
        curves,
        output / "demo_accuracy.png",
        ensemble_finals,
        f"Digits: test accuracy per epoch ({len(seeds)} seeds, {epochs} epochs per arm)",
    )
    return curves


def _plot_curves(
    curves: dict[str, list[list[float]]], path: Path, ensemble: list[float] | None = None, title: str = ""
) -> Any:
    """Accuracy per epoch of every arm (mean over seeds), the snapshot ensemble's final
    accuracy as a point with its spread; the y-range shows every arm from its first epoch.
    Returns the figure (None without matplotlib)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        from matplotlib.ticker import MaxNLocator
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 4.8), constrained_layout=True)
    lowest = 1.0
    epochs = 0
    for name, runs in curves.items():
        mean = [statistics.mean(values) for values in zip(*runs, strict=True)]
        epochs = max(epochs, len(mean))
        lowest = min(lowest, *mean)
        ax.plot(range(1, len(mean) + 1), mean, label=name, marker="." if len(mean) <= 30 else None)
    if ensemble:
        spread = statistics.stdev(ensemble) if len(ensemble) > 1 else 0.0
        ax.errorbar(
            [epochs],
            [statistics.mean(ensemble)],
            yerr=[spread],
            fmt="*",
            markersize=12,
            capsize=4,
            color="black",
            label=f"(e) SGDR, ensemble of {SNAPSHOTS} snapshots (final)",
        )
        lowest = min(lowest, statistics.mean(ensemble) - spread)
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy (mean over seeds)")
    ax.set_title(title or "Digits: test accuracy per epoch, each arm on the same budget")
    ax.set_ylim(max(0.0, lowest - 0.02), 1.0)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return fig
