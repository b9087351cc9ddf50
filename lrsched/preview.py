"""A preview of the seeds' policies with the numbers their sources use: a table and, with
matplotlib, a plot. Each is the example its policy declares (`Schedule.example`)."""

from __future__ import annotations

from typing import TextIO

import numpy as np

from lrsched.base import Schedule
from lrsched.momentum import inverse_momentum
from lrsched.plotting import default_span

# The policies of the seeds: the LR finder's sweep, per-epoch decays, the cyclical LR,
# 1cycle, SGDR and step decay.
SEEDS = ("range_sweep", "exponential", "cyclic", "one_cycle", "cosine_restarts", "step_decay")


def seed_policies() -> dict[str, Schedule]:
    """Each seed policy's declared example, by policy name."""
    return {name: Schedule._registry[name].example() for name in SEEDS}


def table(steps: list[int], out: TextIO) -> None:
    policies = seed_policies()
    rows = {**policies, "inverse_momentum of one_cycle": inverse_momentum(schedule=policies["one_cycle"])}
    width = max(len(n) for n in rows)
    out.write(f"{'policy'.ljust(width)} | " + " ".join(f"{s:>9}" for s in steps) + "\n")
    out.write("-" * (width + 3 + 10 * len(steps)) + "\n")
    for name, schedule in rows.items():
        out.write(f"{name.ljust(width)} | " + " ".join(f"{schedule(s):9.4g}" for s in steps) + "\n")


def plot(path: str) -> bool:
    """Save a PNG of every seed policy over its default span; False if matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    fig, axes = plt.subplots(2, 3, figsize=(13, 7), constrained_layout=True)
    for ax, (name, schedule) in zip(axes.flat, seed_policies().items(), strict=True):
        steps = np.linspace(0, default_span(schedule), 1001)
        ax.plot(steps, schedule(steps), color="tab:blue")
        ax.set_title(repr(schedule), fontsize=7, wrap=True)
        ax.set_xlabel("step (epoch or batch)")
        ax.set_ylabel("learning rate")
        if name == "range_sweep":
            ax.set_yscale("log")
        if name == "one_cycle":
            twin = ax.twinx()
            twin.plot(steps, inverse_momentum(schedule=schedule)(steps), color="tab:orange", linestyle="--")
            twin.set_ylabel("momentum", color="tab:orange")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True
