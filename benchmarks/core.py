"""Speed of the core, measured side by side in one run (figures, not tests).

Prints, for each policy, each figure next to its target and whether it is met:

- the median time of one scalar call (a Python int step): target <= 1 us;
- the time to evaluate 1e6 NumPy steps (`np.arange(1_000_000)`): target <= 30 ms;
- `import lrsched` as a ratio to `import numpy`, each timed in fresh interpreters
  (interleaved, median of the runs): target <= 1.2x.

The import is timed on whichever `lrsched` this interpreter imports, and the report says
which kind that is: a regular install (a wheel in site-packages), an editable install
(`pip install -e`: its import hook costs time of its own), or a source tree on the path
(PYTHONPATH). The import target is for a regular install.

    python benchmarks/core.py                 # everything
    python benchmarks/core.py --quick         # fewer repeats: a rough look
    python benchmarks/core.py --only restarts --no-import
    python benchmarks/core.py --check         # exit status 1 if a target is not met
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from importlib import metadata
from pathlib import Path

import numpy as np

import lrsched as l

SCALAR_TARGET_US = 1.0
NUMPY_TARGET_MS = 30.0
IMPORT_TARGET_RATIO = 1.2

POLICIES = {
    "range_sweep": l.range_sweep(start_lr=1e-7, end_lr=10.0, num_steps=1000),
    "cyclic triangular2": l.cyclic(base_lr=0.01, max_lr=0.1, step_size_up=2000, mode="triangular2"),
    "cyclic exp_range": l.cyclic(base_lr=0.01, max_lr=0.1, step_size_up=2000, mode="exp_range", gamma=0.9999),
    "one_cycle cos": l.one_cycle(max_lr=0.1, total_steps=1_000_000),
    "one_cycle 3-phase": l.one_cycle(max_lr=0.1, total_steps=1_000_000, pct_start=0.25, three_phase=True),
    "cosine_restarts x2": l.cosine_restarts(max_lr=0.1, first_cycle_steps=1000, cycle_mult=2, min_lr=1e-4),
    "cosine_restarts x1.5": l.cosine_restarts(max_lr=0.1, first_cycle_steps=1000, cycle_mult=1.5, min_lr=1e-4),
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
    """The median over `repeats` runs of the mean time of one call, over steps spread
    across 0..1e6 (every cycle and phase of the policies above)."""
    steps = list(range(0, 1_000_000, 1_000_000 // calls))[:calls]
    per_call = []
    for _ in range(repeats):
        start = time.perf_counter()
        for s in steps:
            schedule(s)
        per_call.append((time.perf_counter() - start) / len(steps))
    return statistics.median(per_call) * 1e6


def numpy_ms(schedule: l.Schedule, repeats: int = 7) -> float:
    """The best of `repeats` evaluations of 1e6 consecutive integer steps."""
    steps = np.arange(1_000_000)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        schedule(steps)
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


_IMPORT_CODE = (
    "import time; t = time.perf_counter(); import {module}; elapsed = time.perf_counter() - t; "
    "print(elapsed); print({module}.__file__)"
)


def _import_once(module: str, env: dict[str, str], cwd: str) -> tuple[float, str]:
    out = subprocess.check_output(
        [sys.executable, "-c", _IMPORT_CODE.format(module=module)], env=env, cwd=cwd, text=True
    )
    seconds, path = out.strip().splitlines()[-2:]
    return float(seconds), path


def import_seconds(modules: list[str], repeats: int = 15) -> dict[str, tuple[float, str]]:
    """Per module, the median import time in fresh interpreters and the file imported.

    The runs alternate between the modules (a machine that slows down mid-run slows
    both alike), and run from an empty directory: from the repository root, the
    interpreter's first path entry would import the source tree over the install.
    Bytecode is cached as an installed package's is (the first run writes it).
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    runs: dict[str, list[float]] = {m: [] for m in modules}
    paths: dict[str, str] = {}
    with tempfile.TemporaryDirectory() as cwd:
        for module in modules:
            _, paths[module] = _import_once(module, env, cwd)  # writes the bytecode cache
        for _ in range(repeats):
            for module in modules:
                runs[module].append(_import_once(module, env, cwd)[0])
    return {m: (statistics.median(runs[m]), paths[m]) for m in modules}


def install_kind(imported: str) -> str:
    """What kind of install the `lrsched` at `imported` (its __init__.py) is."""
    package = Path(imported).resolve().parent
    site_dirs = {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    for name in ("lrsched-schedules", "lrsched"):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        direct = dist.read_text("direct_url.json")
        info = json.loads(direct) if direct else {}
        if info.get("dir_info", {}).get("editable"):
            source = Path(info.get("url", "").removeprefix("file://")).resolve()
            if package.is_relative_to(source):
                return f"editable install of {source}"
    if package.parent in site_dirs:
        return f"regular install in {package.parent}"
    return f"source tree {package.parent}, not installed (on the path)"


def verdict(value: float, target: float) -> str:
    return "met" if value <= target else "NOT MET"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats: a rough look, in a few seconds")
    parser.add_argument("--only", metavar="TEXT", help="only the policies whose name contains TEXT")
    parser.add_argument("--no-import", action="store_true", help="skip the import timing")
    parser.add_argument("--check", action="store_true", help="exit with status 1 if a target is not met")
    args = parser.parse_args(argv)
    scalar_repeats, numpy_repeats, import_repeats = (5, 3, 5) if args.quick else (15, 7, 15)

    chosen = {name: s for name, s in POLICIES.items() if args.only is None or args.only in name}
    met = True
    width = max(len(name) for name in POLICIES)
    print(f"{'policy':{width}}  {'scalar call (<= 1 us)':>24}  {'numpy 1e6 (<= 30 ms)':>24}")
    worst_scalar, worst_numpy = ("", 0.0), ("", 0.0)
    for name, schedule in chosen.items():
        us = scalar_call_us(schedule, repeats=scalar_repeats)
        ms = numpy_ms(schedule, repeats=numpy_repeats)
        worst_scalar = max(worst_scalar, (name, us), key=lambda pair: pair[1])
        worst_numpy = max(worst_numpy, (name, ms), key=lambda pair: pair[1])
        print(
            f"{name:{width}}  {us:8.2f} us {verdict(us, SCALAR_TARGET_US):>12}  "
            f"{ms:8.1f} ms {verdict(ms, NUMPY_TARGET_MS):>12}"
        )
    if chosen:
        print()
        for what, (name, value), target, unit in (
            ("scalar call", worst_scalar, SCALAR_TARGET_US, "us"),
            ("NumPy 1e6 steps", worst_numpy, NUMPY_TARGET_MS, "ms"),
        ):
            print(f"worst {what}: {value:.2f} {unit} ({name}); target <= {target:g} {unit}: {verdict(value, target)}")
            met = met and value <= target
    if not args.no_import:
        timed = import_seconds(["numpy", "lrsched"], repeats=import_repeats)
        (numpy_s, _), (lrsched_s, imported) = timed["numpy"], timed["lrsched"]
        ratio = lrsched_s / numpy_s
        print(
            f"import numpy {numpy_s * 1e3:.1f} ms, import lrsched {lrsched_s * 1e3:.1f} ms: ratio {ratio:.2f}x; "
            f"target <= {IMPORT_TARGET_RATIO}x: {verdict(ratio, IMPORT_TARGET_RATIO)}"
        )
        kind = install_kind(imported)
        note = "" if kind.startswith("regular") else " (the target is for a regular install)"
        print(f"  measured on: {kind}{note}")
        met = met and ratio <= IMPORT_TARGET_RATIO
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
