"""The gallery: one curve per registered policy, drawn from its example below.

    python docs/make_gallery.py      # writes docs/gallery/*.png and docs/gallery/manifest.json

`manifest.json` holds each example's config and its values at nine steps; the test
`tests/test_gallery.py` recomputes it, so a policy whose values change, or a policy
added without an example, fails CI until the gallery is drawn again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

import lrsched as l

HERE = Path(__file__).parent / "gallery"


def examples() -> dict[str, tuple[l.Schedule, int]]:
    """policy name -> (an example schedule, the steps to draw)."""
    decay = l.cosine_decay(initial_lr=0.1, decay_steps=900, final_lr=0.001)
    one_cycle = l.one_cycle(max_lr=0.1, total_steps=1000)
    return {
        "range_sweep": (l.range_sweep(start_lr=1e-7, end_lr=10.0, num_steps=100), 100),
        "cyclic": (l.cyclic(base_lr=0.01, max_lr=0.1, step_size_up=100, mode="triangular2"), 800),
        "one_cycle": (one_cycle, 1000),
        "cosine_decay": (l.cosine_decay(initial_lr=0.1, decay_steps=500, final_lr=0.001, periodic=True), 1500),
        "cosine_restarts": (l.cosine_restarts(max_lr=0.1, first_cycle_steps=100, cycle_mult=2.0, min_lr=0.001), 1500),
        "step_decay": (l.step_decay(initial_lr=0.1, drop=0.5, every=200), 1000),
        "multi_step": (l.multi_step(initial_lr=0.1, milestones=[300, 600, 800], gamma=0.2), 1000),
        "exponential": (l.exponential(initial_lr=0.1, gamma=0.997), 1000),
        "constant": (l.constant(lr=0.05), 1000),
        "polynomial": (l.polynomial(initial_lr=0.1, decay_steps=300, final_lr=0.01, power=2.0, cycle=True), 1000),
        "inverse_decay": (l.inverse_decay(initial_lr=0.1, decay_steps=50, power=0.5), 1000),
        "tanh_decay": (l.tanh_decay(initial_lr=0.1, decay_steps=800, final_lr=0.001), 1000),
        "restarts": (
            l.restarts(
                decay=l.polynomial(initial_lr=0.1, decay_steps=150, final_lr=0.01, power=2.0),
                cycle_mult=1.5,
                peak_decay=0.7,
                scales="peak",
                cycles=4,
            ),
            1500,
        ),
        "warmup_stable_decay": (
            l.warmup_stable_decay(peak_lr=0.1, warmup_steps=100, stable_steps=650, decay_steps=200, final_lr=0.001),
            1000,
        ),
        "warmup": (l.warmup(schedule=decay, steps=100, start_lr=0.001), 1000),
        "join": (l.join(schedules=[l.constant(lr=0.1), decay], boundaries=[300]), 1200),
        "product": (
            l.product(schedules=[l.cyclic(base_lr=0.2, max_lr=1.0, step_size_up=50), decay]),
            1000,
        ),
        "inverse_momentum": (l.inverse_momentum(schedule=one_cycle), 1000),
    }


def manifest() -> dict[str, Any]:
    """Each example's config and its values at nine steps (10 significant digits)."""
    out = {}
    for name, (schedule, until) in examples().items():
        steps = np.linspace(0.0, until, 9)
        values = [float(f"{float(schedule(float(t))):.10g}") for t in steps]
        out[name] = {"config": schedule.to_config(), "until": until, "values": values}
    return out


def draw() -> None:
    import matplotlib

    matplotlib.use("Agg")
    HERE.mkdir(exist_ok=True)
    for name, (schedule, until) in examples().items():
        if isinstance(schedule, l.InverseMomentum):  # the momentum beside the LR it follows
            fig = l.plot(schedule.schedule, until, momentum=schedule, title=name)
        else:
            fig = l.plot(schedule, until, log=name == "range_sweep", title=name)
        fig.savefig(HERE / f"{name}.png", dpi=80, metadata={"Software": None})
        matplotlib.pyplot.close(fig)
    (HERE / "manifest.json").write_text(json.dumps(manifest(), indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    draw()
    sys.exit(0)
