"""`lrsched.plot`: any schedule over a span of steps, with a momentum schedule on a twin axis."""

from __future__ import annotations

from typing import Any

import numpy as np

from lrsched.base import Schedule, growing_spans, horizon, require_schedule

CYCLES_SHOWN = 4
CHANGES_SHOWN = 8
LONGEST_SPAN = 1e4


def default_span(schedule: Schedule) -> float:
    """The steps a plot shows by default: its first CYCLES_SHOWN cycles for a schedule
    with cycles, else a quarter past its CHANGES_SHOWN-th change (a phase ending, a
    jump), or past the last change if it has fewer; with no change, `horizon`. Dozens of
    cycles or stairs would be unreadable. At most LONGEST_SPAN steps."""
    if schedule.has_cycles:
        ends = schedule.cycle_ends(horizon(schedule))
        if len(ends) > CYCLES_SHOWN:
            return float(ends[CYCLES_SHOWN - 1])
        return horizon(schedule)
    changes: list[float] = []
    for until in growing_spans(LONGEST_SPAN):
        phase_ends = {p.end for p in schedule.pieces(until) if 0.0 < p.end < until}
        changes = sorted(phase_ends | {b for b in schedule.breakpoints(until) if 0.0 < b < until})
        if len(changes) >= CHANGES_SHOWN:
            break
    if not changes:
        return horizon(schedule)
    last = changes[min(len(changes), CHANGES_SHOWN) - 1]
    return float(min(max(1.25 * last, 10.0), LONGEST_SPAN))


def plot(
    schedule: Schedule,
    steps: int | Any = None,
    *,
    momentum: Schedule | None = None,
    path: str | None = None,
    log: bool = False,
    title: str | None = None,
) -> Any:
    """Draw `schedule` over `steps` (an int N for 0..N, or an array of steps; by default
    `default_span`: the whole shape, or the first four cycles of a cyclical schedule).

    Returns the matplotlib figure; with `path`, also saves it (PNG by extension).
    Needs matplotlib (`pip install 'lrsched[plot]'`).
    """
    import matplotlib.pyplot as plt

    require_schedule("schedule", schedule)
    if momentum is not None:
        require_schedule("momentum", momentum)
    if steps is None:
        steps = default_span(schedule)
    xs = np.linspace(0.0, float(steps), 2001) if np.ndim(steps) == 0 else np.asarray(steps, dtype=np.float64)
    fig, ax = plt.subplots(figsize=(7, 4), constrained_layout=True)
    ax.plot(xs, schedule(xs), color="tab:blue")
    ax.set_xlabel("step")
    ax.set_ylabel("learning rate", color="tab:blue")
    if log:
        ax.set_yscale("log")
    ax.set_title(title if title is not None else repr(schedule), fontsize=8, wrap=True)
    if momentum is not None:
        twin = ax.twinx()
        twin.plot(xs, momentum(xs), color="tab:orange", linestyle="--")
        twin.set_ylabel("momentum", color="tab:orange")
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig
