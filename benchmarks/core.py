"""Speed of the core, measured side by side in one run (figures, not tests).

Prints, for each policy: the median time of one scalar call (target <= 1 us), the time
to evaluate 1e6 NumPy steps (target <= 30 ms), and `import lrsched` time as a ratio to
`import numpy` (target <= 1.2x), each import timed in fresh interpreters.

    python benchmarks/core.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import numpy as np

import lrsched as l

POLICIES = {
    "range_sweep": l.range_sweep(start_lr=1e-7, end_lr=10.0, num_steps=1000),
    "cyclic triangular2": l.cyclic(base_lr=0.01, max_lr=0.1, step_size_up=2000, mode="triangular2"),
    "cyclic exp_range": l.cyclic(base_lr=0.01, max_lr=0.1, step_size_up=2000, mode="exp_range", gamma=0.9999),
    "one_cycle cos": l.one_cycle(max_lr=0.1, total_steps=1_000_000),
    "one_cycle 3-phase": l.one_cycle(max_lr=0.1, total_steps=1_000_000, pct_start=0.25, three_phase=True),
    "cosine_restarts x2": l.cosine_restarts(max_lr=0.1, first_cycle_steps=1000, cycle_mult=2, min_lr=1e-4),
    "restarts(polynomial) x1.5, peak 0.8": l.restarts(
        decay=l.polynomial(initial_lr=0.1, decay_steps=1000, final_lr=1e-4, power=2.0),
        cycle_mult=1.5,
        peak_decay=0.8,
        scales="peak",
        cycles=20,
    ),
    "cosine_decay": l.cosine_decay(initial_lr=0.1, decay_steps=1_000_000),
    "step_decay": l.step_decay(initial_lr=0.1, drop=0.5, every=30_000),
    "multi_step": l.multi_step(initial_lr=0.1, milestones=[300_000, 600_000, 900_000]),
    "exponential": l.exponential(initial_lr=0.1, gamma=0.99999),
    "constant": l.constant(lr=0.1),
    "warmup(cosine_decay)": l.warmup(schedule=l.cosine_decay(initial_lr=0.1, decay_steps=900_000), steps=10_000),
    "join(constant, cosine)": l.join(
        schedules=[l.constant(lr=0.1), l.cosine_decay(initial_lr=0.1, decay_steps=500_000)], boundaries=[500_000]
    ),
    "inverse_momentum(1cycle)": l.inverse_momentum(schedule=l.one_cycle(max_lr=0.1, total_steps=1_000_000)),
}


def scalar_call_us(schedule: l.Schedule, calls: int = 2000, repeats: int = 15) -> float:
    steps = list(range(0, 1_000_000, 1_000_000 // calls))[:calls]
    per_call = []
    for _ in range(repeats):
        start = time.perf_counter()
        for s in steps:
            schedule(s)
        per_call.append((time.perf_counter() - start) / len(steps))
    return statistics.median(per_call) * 1e6


def numpy_ms(schedule: l.Schedule, repeats: int = 7) -> float:
    steps = np.arange(1_000_000)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        schedule(steps)
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def import_seconds(module: str, repeats: int = 15) -> float:
    # As an installed package is: with its bytecode cached (the first run writes it).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    runs = [float(subprocess.check_output([sys.executable, "-c", code], env=env)) for _ in range(repeats + 1)]
    return statistics.median(runs[1:])


def main() -> None:
    print(f"{'policy':28} {'scalar call':>12} {'numpy 1e6':>10}")
    worst_scalar, worst_numpy = 0.0, 0.0
    for name, schedule in POLICIES.items():
        us, ms = scalar_call_us(schedule), numpy_ms(schedule)
        worst_scalar, worst_numpy = max(worst_scalar, us), max(worst_numpy, ms)
        print(f"{name:28} {us:9.2f} us {ms:7.1f} ms")
    numpy_s, lrsched_s = import_seconds("numpy"), import_seconds("lrsched")
    print(
        f"\nworst scalar call {worst_scalar:.2f} us (target <= 1 us); "
        f"worst NumPy 1e6 steps {worst_numpy:.1f} ms (target <= 30 ms)"
    )
    print(
        f"import numpy {numpy_s * 1e3:.1f} ms, import lrsched {lrsched_s * 1e3:.1f} ms: "
        f"ratio {lrsched_s / numpy_s:.2f}x (target <= 1.2x)"
    )


if __name__ == "__main__":
    main()
