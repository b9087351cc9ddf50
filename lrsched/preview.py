"""A preview of the policies with the numbers their sources use: a table and, with matplotlib, a plot."""

from __future__ import annotations

from typing import TextIO

import numpy as np

import lrsched as l

# Each policy with the numbers of the paper or practice it comes from.
SEED_POLICIES: dict[str, l.Schedule] = {
    "range_sweep 1e-7 -> 10 (LR finder)": l.range_sweep(start_lr=1e-7, end_lr=10.0, num_steps=95),
    "exponential x0.97/epoch": l.exponential(initial_lr=0.01, gamma=0.97),
    "cyclic triangular 0.08-0.8 (Smith 2017)": l.cyclic(base_lr=0.08, max_lr=0.8, step_size_up=20),
    "one_cycle 3-phase (Smith 2018)": l.one_cycle(
        max_lr=0.8,
        total_steps=95,
        pct_start=41 / 95,
        div_factor=10,
        final_div_factor=10,
        anneal="linear",
        three_phase=True,
    ),
    "cosine_restarts (SGDR, 2017)": l.cosine_restarts(max_lr=0.8, first_cycle_steps=15, cycle_mult=2),
    "step_decay /2 every 20": l.step_decay(initial_lr=0.8, drop=0.5, every=20),
}
MOMENTUM = l.inverse_momentum(schedule=SEED_POLICIES["one_cycle 3-phase (Smith 2018)"])


def table(steps: list[int], out: TextIO) -> None:
    names = [*SEED_POLICIES, "inverse momentum of the 1cycle"]
    schedules = [*SEED_POLICIES.values(), MOMENTUM]
    width = max(len(n) for n in names)
    out.write(f"{'policy'.ljust(width)} | " + " ".join(f"{s:>9}" for s in steps) + "\n")
    out.write("-" * (width + 3 + 10 * len(steps)) + "\n")
    for name, schedule in zip(names, schedules, strict=True):
        out.write(f"{name.ljust(width)} | " + " ".join(f"{schedule(s):9.4g}" for s in steps) + "\n")


def plot(path: str, horizon: int = 100) -> bool:
    """Save a PNG of every seed policy; False if matplotlib is not installed."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    steps = np.linspace(0, horizon, 1001)
    fig, axes = plt.subplots(2, 3, figsize=(13, 7), constrained_layout=True)
    for ax, (name, schedule) in zip(axes.flat, SEED_POLICIES.items(), strict=False):
        ax.plot(steps, schedule(steps), color="tab:blue")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("step (epoch or batch)")
        ax.set_ylabel("learning rate")
        if schedule.policy == "range_sweep":
            ax.set_yscale("log")
        if schedule.policy == "one_cycle":
            twin = ax.twinx()
            twin.plot(steps, MOMENTUM(steps), color="tab:orange", linestyle="--")
            twin.set_ylabel("momentum", color="tab:orange")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True
