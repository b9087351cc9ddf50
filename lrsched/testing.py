"""Hypothesis strategies and checks for schedules: ours, yours, and compositions.

Checks raise `AssertionError` with the step and values that broke them::

    from hypothesis import given
    import lrsched.testing as lt

    @given(lt.schedules())
    def test_any_schedule(schedule):
        lt.check_schedule(schedule, until=lt.horizon(schedule))

A user's own policy subclasses `lrsched.Schedule` (declaring `bounds`, `max_slope`,
`breakpoints` and `pieces`) and is checked the same way. Needs `hypothesis` (the
`test` extra) for the strategies; the checks need only NumPy.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lrsched import (
    Schedule,
    constant,
    cosine_decay,
    cosine_restarts,
    cyclic,
    exponential,
    inverse_momentum,
    join,
    multi_step,
    one_cycle,
    range_sweep,
    step_decay,
    warmup,
)

# Large steps that every schedule must survive: up to 2**53, the last integer a
# float64 step holds exactly.
LARGE_STEPS = np.array([2.0**k for k in range(10, 54)] + [2.0**53 - 1, 1e9 + 1, 12345678.5])


def _tolerance(schedule: Schedule, rtol: float) -> float:
    low, high = schedule.bounds
    return rtol * max(abs(low), abs(high), 1e-300)


# -- checks ---------------------------------------------------------------------------
def check_finite(schedule: Schedule, steps: Any) -> None:
    """Every value is finite and >= 0."""
    steps = np.asarray(steps, dtype=np.float64)
    values = np.asarray(schedule(steps), dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(f"{schedule!r} gives {values[i]!r} at step {steps[i]!r}")


def check_bounded(schedule: Schedule, steps: Any, *, rtol: float = 1e-12) -> None:
    """Every value lies within the declared `bounds` (to rounding)."""
    low, high = schedule.bounds
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise AssertionError(f"{schedule!r} declares bounds {(low, high)!r}")
    steps = np.asarray(steps, dtype=np.float64)
    values = np.asarray(schedule(steps), dtype=np.float64)
    tol = _tolerance(schedule, rtol)
    bad = (values < low - tol) | (values > high + tol)
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(
            f"{schedule!r} gives {values[i]!r} at step {steps[i]!r}, outside bounds {(low, high)!r}"
        )


def check_continuous(schedule: Schedule, steps: Any, *, rtol: float = 1e-9) -> None:
    """Between consecutive steps with no breakpoint between them, the change is within
    `max_slope * distance` (a Lipschitz bound): no undeclared jumps."""
    steps = np.unique(np.asarray(steps, dtype=np.float64))
    values = np.asarray(schedule(steps), dtype=np.float64)
    jumps = np.asarray(schedule.breakpoints(float(steps[-1])), dtype=np.float64)
    a, b = steps[:-1], steps[1:]
    # A jump at j changes the value between a < j and b >= j. A shifted breakpoint
    # (warmup, join) is only as exact as the subtraction of the shift: allow rounding.
    slack = 1e-9 * np.maximum(1.0, np.abs(b))
    straddle = np.searchsorted(jumps, a - slack, side="left") != np.searchsorted(jumps, b + slack, side="right")
    allowed = schedule.max_slope * (b - a) * (1 + rtol) + _tolerance(schedule, 1e-12)
    bad = ~straddle & (np.abs(values[1:] - values[:-1]) > allowed)
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(
            f"{schedule!r} moves from {values[i]!r} at step {a[i]!r} to {values[i + 1]!r} at step "
            f"{b[i]!r}: more than max_slope={schedule.max_slope!r} allows, and no breakpoint between"
        )


def check_monotone(schedule: Schedule, until: float, *, samples: int = 65) -> None:
    """Within each declared piece the value moves only in the declared direction."""
    tol = _tolerance(schedule, 1e-12)
    for piece in schedule.pieces(until):
        if piece.trend is None or piece.end <= piece.start:
            continue
        # Stay off the piece's ends by rounding slack: a neighbour (or a jump) starts there.
        start = piece.start + 1e-9 * max(1.0, piece.start)
        end = min(piece.end, until) - 1e-9 * max(1.0, piece.end if math.isfinite(piece.end) else until)
        if end <= start:
            continue
        steps = np.linspace(start, end, samples)
        values = np.asarray(schedule(steps), dtype=np.float64)
        change = np.diff(values) * (piece.trend if piece.trend else 1)
        bad = change < -tol if piece.trend else np.abs(np.diff(values)) > tol
        if bad.any():
            i = int(np.argmax(bad))
            raise AssertionError(
                f"{schedule!r} is declared trend {piece.trend} on [{piece.start}, {piece.end}) but goes "
                f"from {values[i]!r} at {steps[i]!r} to {values[i + 1]!r} at {steps[i + 1]!r}"
            )


def check_backends_agree(
    schedule: Schedule, steps: Any, *, frameworks: Sequence[str] = ("numpy",), rtol32: float = 1e-6
) -> None:
    """Scalar calls, NumPy arrays and (if named and installed) JAX and torch agree.

    Float64 answers agree to a few ulp (NumPy's vectorised exp/cos may differ from
    libm's in the last bit). Float32 answers (JAX by default) agree within `rtol32` of
    the value (or of the schedule's scale near zero), plus what the float32 rounding of
    the step itself allows: `max_slope * 8 * 2**-24 * t`; steps that close to a
    breakpoint are not compared.
    """
    steps = np.asarray(steps, dtype=np.float64)
    scalar = np.array([schedule(float(s)) for s in steps])
    answers: dict[str, tuple[np.ndarray, float]] = {}
    if "numpy" in frameworks:
        answers["numpy"] = (np.asarray(schedule(steps)), 1e-15)
    if "jax" in frameworks and "jax" in sys.modules:
        import jax.numpy as jnp

        answers["jax"] = (np.asarray(schedule(jnp.asarray(steps)), dtype=np.float64), rtol32)
    if "torch" in frameworks and "torch" in sys.modules:
        import torch

        answers["torch"] = (schedule(torch.tensor(steps, dtype=torch.float64)).numpy(), 1e-15)
    for name, (values, rtol) in answers.items():
        allowed = rtol * np.maximum(np.abs(scalar), _tolerance(schedule, 1.0)) + 4e-16 * np.abs(scalar)
        checked = np.ones(steps.shape, dtype=bool)
        if rtol > 1e-15:
            # A float32 step holds t only to t * 2**-24: the value may move by up to
            # max_slope times that, and a breakpoint that close may fall either side.
            resolution = 8 * 2.0**-24 * np.maximum(steps, 1.0)
            # Float32 also flushes values below its smallest normal number (2**-126).
            allowed = allowed + schedule.max_slope * resolution + 2.0**-125
            checked = np.array([not schedule.breakpoints(t + r, max(t - r, 0.0))
                                for t, r in zip(steps.tolist(), resolution.tolist(), strict=True)], dtype=bool)
        bad = checked & (np.abs(values - scalar) > allowed)
        if bad.any():
            i = int(np.argmax(bad))
            raise AssertionError(
                f"{schedule!r}: {name} gives {values[i]!r} at step {steps[i]!r}, scalar gives {scalar[i]!r}"
            )


def horizon(schedule: Schedule) -> float:
    """A span of steps worth checking: past the last declared phase change, or a few cycles."""
    pieces = schedule.pieces(1e4)
    ends = [p.end for p in pieces[:64] if math.isfinite(p.end) and p.end < 1e4]
    last = ends[-1] if ends else 100.0
    return float(min(max(2 * last, 10.0), 1e4))


def check_schedule(schedule: Schedule, until: float | None = None, *, samples: int = 513) -> None:
    """All checks over [0, until] (a grid, the breakpoints and their neighbours) and at large steps."""
    until = horizon(schedule) if until is None else until
    jumps = np.asarray(schedule.breakpoints(until), dtype=np.float64)
    edges = np.asarray([p.start for p in schedule.pieces(until)], dtype=np.float64)
    special = np.concatenate([jumps, edges])
    near = np.concatenate([special, np.maximum(special - 1e-6 * max(until, 1.0), 0.0)])
    grid = np.unique(np.concatenate([np.linspace(0.0, until, samples), near[near <= until]]))
    check_finite(schedule, grid)
    check_finite(schedule, LARGE_STEPS)
    check_bounded(schedule, grid)
    check_bounded(schedule, LARGE_STEPS)
    check_continuous(schedule, grid)
    check_monotone(schedule, until)


# -- strategies -----------------------------------------------------------------------
def _st() -> Any:
    try:
        from hypothesis import strategies
    except ImportError as error:  # pragma: no cover - exercised only without hypothesis
        raise ImportError("lrsched.testing strategies need hypothesis: pip install 'lrsched[test]'") from error
    return strategies


def learning_rates(low_exp: float = -6.0, high_exp: float = 1.0) -> Any:
    """Positive LRs spread over decades: 10**e for e in [low_exp, high_exp]."""
    return _st().floats(low_exp, high_exp).map(lambda e: 10.0**e)


def step_counts(low: float = 1, high: float = 2000) -> Any:
    """Step counts: whole numbers mostly, fractional ones too (per-epoch schedules)."""
    st = _st()
    return st.one_of(st.integers(int(low), int(high)), st.floats(float(low), float(high)))


def _fractions(low: float, high: float) -> Any:
    return _st().floats(low, high)


def range_sweeps() -> Any:
    st = _st()
    return st.builds(
        lambda start, decades, n, mode: range_sweep(start_lr=start, end_lr=start * 10**decades, num_steps=n, mode=mode),
        learning_rates(-8, 0), _fractions(0.01, 10), step_counts(), st.sampled_from(["exp", "linear"]),
    )


def cyclics() -> Any:
    st = _st()

    def build(base: float, ratio: float, up: float, down: float | None, mode: str, gamma: float) -> Schedule:
        return cyclic(
            base_lr=base, max_lr=base * ratio, step_size_up=up, step_size_down=down, mode=mode,
            gamma=gamma if mode == "exp_range" else 1.0,
        )

    return st.builds(
        build, learning_rates(), _fractions(1.0, 100.0), step_counts(1, 500),
        st.none() | step_counts(1, 500), st.sampled_from(["triangular", "triangular2", "exp_range"]),
        _fractions(0.9, 1.0),
    )


def one_cycles() -> Any:
    st = _st()

    def build(lr: float, total: float, pct: float, div: float, final_div: float, kind: str, three: bool) -> Schedule:
        return one_cycle(
            max_lr=lr, total_steps=total, pct_start=pct * 0.5 if three else pct, div_factor=div,
            final_div_factor=final_div, anneal=kind, three_phase=three,
        )

    return st.builds(
        build, learning_rates(), step_counts(2, 5000), _fractions(0.01, 0.98), _fractions(1.0, 100.0),
        _fractions(1.0, 1e5), st.sampled_from(["cos", "linear"]), st.booleans(),
    )


def cosine_decays() -> Any:
    return _st().builds(
        lambda lr, n, alpha: cosine_decay(initial_lr=lr, decay_steps=n, final_lr=lr * alpha),
        learning_rates(), step_counts(), _fractions(0.0, 1.0),
    )


def cosine_restarts_schedules() -> Any:
    st = _st()
    return st.builds(
        lambda lr, n, alpha, mult, decay: cosine_restarts(
            max_lr=lr, first_cycle_steps=n, min_lr=lr * alpha, cycle_mult=mult, peak_decay=decay
        ),
        learning_rates(), step_counts(1, 500), _fractions(0.0, 1.0),
        st.sampled_from([1.0, 2.0, 3.0]) | _fractions(1.0, 4.0), _fractions(0.1, 1.0),
    )


def step_decays() -> Any:
    return _st().builds(
        lambda lr, drop, every: step_decay(initial_lr=lr, drop=drop, every=every),
        learning_rates(), _fractions(0.01, 1.0), step_counts(1, 500),
    )


def multi_steps() -> Any:
    st = _st()
    return st.builds(
        lambda lr, ms, gamma: multi_step(initial_lr=lr, milestones=sorted(ms), gamma=gamma),
        learning_rates(), st.lists(st.integers(0, 2000), max_size=6), _fractions(0.01, 1.0),
    )


def exponentials() -> Any:
    return _st().builds(
        lambda lr, gamma: exponential(initial_lr=lr, gamma=gamma), learning_rates(), _fractions(0.5, 1.0)
    )


def constants() -> Any:
    return _st().builds(lambda lr: constant(lr=lr), learning_rates())


def primitives() -> Any:
    """Any single policy (no composition)."""
    return _st().one_of(
        range_sweeps(), cyclics(), one_cycles(), cosine_decays(), cosine_restarts_schedules(),
        step_decays(), multi_steps(), exponentials(), constants(),
    )


def warmups(inner: Any | None = None) -> Any:
    st = _st()

    def build(schedule: Schedule, steps: float, start_frac: float, shape: str) -> Schedule:
        target = float(schedule(0.0))
        start = target * start_frac if shape == "exp" else target * start_frac * (start_frac > 0.05)
        if shape == "exp" and start <= 0:
            shape = "linear"
        return warmup(schedule=schedule, steps=steps, start_lr=start, shape=shape)

    return st.builds(
        build, inner if inner is not None else primitives(), step_counts(1, 500),
        _fractions(0.0, 1.0), st.sampled_from(["linear", "exp", "constant"]),
    )


def joins(inner: Any | None = None) -> Any:
    st = _st()

    @st.composite  # type: ignore[untyped-decorator]
    def build(draw: Callable[[Any], Any]) -> Schedule:
        parts = draw(st.lists(inner if inner is not None else primitives(), min_size=1, max_size=3))
        gaps = draw(st.lists(step_counts(1, 500), min_size=len(parts) - 1, max_size=len(parts) - 1))
        return join(schedules=parts, boundaries=list(np.cumsum(gaps, dtype=float)))

    return build()


def inverse_momentums(inner: Any | None = None) -> Any:
    st = _st()
    return st.builds(
        lambda schedule, low, span: inverse_momentum(
            schedule=schedule, base_momentum=low, max_momentum=min(1.0, low + span)
        ),
        inner if inner is not None else primitives(), _fractions(0.0, 0.95), _fractions(0.0, 0.2),
    )


def schedules(max_depth: int = 2) -> Any:
    """Any valid policy or composition of policies, nested up to `max_depth` deep."""
    st = _st()
    return st.recursive(
        primitives(),
        lambda inner: st.one_of(warmups(inner), joins(inner), inverse_momentums(inner)),
        max_leaves=max_depth * 3,
    )
