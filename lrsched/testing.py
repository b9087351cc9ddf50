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

import contextlib
import inspect
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from lrsched import (
    Constant,
    CosineDecay,
    Exponential,
    InverseMomentum,
    MultiStep,
    Schedule,
    StepDecay,
    cosine_restarts,
    cyclic,
    inverse_momentum,
    join,
    one_cycle,
    product,
    range_sweep,
    restarts,
    warmup,
)
from lrsched.params import declared
from lrsched.restarts import Decay

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


def check_bounded(schedule: Schedule, steps: Any, *, rtol: float = 0.0) -> None:
    """Every value lies within the declared `bounds`: exactly, unless `rtol` allows more."""
    low, high = schedule.bounds
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise AssertionError(f"{schedule!r} declares bounds {(low, high)!r}")
    steps = np.asarray(steps, dtype=np.float64)
    values = np.asarray(schedule(steps), dtype=np.float64)
    tol = _tolerance(schedule, rtol)
    bad = (values < low - tol) | (values > high + tol)
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(f"{schedule!r} gives {values[i]!r} at step {steps[i]!r}, outside bounds {(low, high)!r}")


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
    # The steps themselves are exact only to a few ulp of their size: the position in a
    # cycle at step 9000 is off by ~1e-12 steps, which moves the value by max_slope times
    # that, however close two steps are.
    step_rounding = 8 * np.finfo(np.float64).eps * np.maximum(np.abs(a), np.abs(b))
    allowed = schedule.max_slope * ((b - a) * (1 + rtol) + step_rounding) + _tolerance(schedule, 1e-12)
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

    Float64 answers agree to a few ulp of the value, plus `max_slope` times a few ulp of
    the step (NumPy's vectorised exp/expm1/cos may differ from libm's in the last bit,
    also where they place a cycle start). Float32 answers (JAX by default) agree within `rtol32` of
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
    for name in ("float16", "bfloat16"):
        # Half-precision steps: the schedule computes in float32 at the step's own
        # (rounded) value; compared with the scalar call there.
        if name in frameworks and "torch" in sys.modules:
            import torch

            half = torch.tensor(steps, dtype=getattr(torch, name))
            rounded = half.double().numpy()
            values = schedule(half).double().numpy()
            reference = np.array([schedule(float(s)) for s in rounded])
            allowed = (
                rtol32 * np.maximum(np.abs(reference), _tolerance(schedule, 1.0))
                + 2.0**-125
                + (schedule.max_slope * 8 * 2.0**-24 * np.maximum(rounded, 1.0))
            )
            checked = np.array(
                [
                    not schedule.breakpoints(t * (1 + 2.0**-22) + 1e-6, max(t * (1 - 2.0**-22) - 1e-6, 0))
                    for t in rounded.tolist()
                ],
                dtype=bool,
            )
            bad = checked & ~(np.abs(values - reference) <= allowed) & ~_float32_overflow(reference, values)
            if bad.any():
                i = int(np.argmax(bad))
                raise AssertionError(
                    f"{schedule!r}: a torch {name} step {rounded[i]!r} gives {values[i]!r}, "
                    f"scalar gives {reference[i]!r}"
                )
    for name, (values, rtol) in answers.items():
        allowed = (
            rtol * np.maximum(np.abs(scalar), _tolerance(schedule, 1.0))
            + 4e-16 * np.abs(scalar)
            + (schedule.max_slope * 4 * 2.0**-52 * np.maximum(steps, 1.0))
        )
        # A step within a few ulp of a breakpoint may fall on either side of it: NumPy's
        # vectorised expm1/log1p may place a fractional cycle start an ulp from libm's.
        # (Whole-step restarts are exact on every backend: see check_cycles.)
        checked = _off_breakpoints(schedule, steps, 4 * 2.0**-52, whole=False)
        if rtol > 1e-15:
            # A float32 step holds t only to t * 2**-24: the value may move by up to
            # max_slope times that, and a breakpoint that close may fall either side.
            resolution = 8 * 2.0**-24 * np.maximum(steps, 1.0)
            # Float32 also flushes values below its smallest normal number (2**-126).
            allowed = allowed + schedule.max_slope * resolution + 2.0**-125
            checked = _off_breakpoints(schedule, steps, 8 * 2.0**-24, whole=True)
            checked = checked & ~_float32_overflow(scalar, values)
        bad = checked & (np.abs(values - scalar) > allowed)
        if bad.any():
            i = int(np.argmax(bad))
            raise AssertionError(
                f"{schedule!r}: {name} gives {values[i]!r} at step {steps[i]!r}, scalar gives {scalar[i]!r}"
            )


FLOAT32_MAX = float(np.finfo(np.float32).max)


def _float32_overflow(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Where the value lies beyond float32's range (a restarts top that grows) and the
    float32 answer is beyond it too (infinity, or clipped at the largest float32)."""
    with np.errstate(invalid="ignore"):
        beyond: np.ndarray = (np.abs(reference) > FLOAT32_MAX) & (np.abs(values) >= FLOAT32_MAX * (1 - 2.0**-20))
    return beyond


def _off_breakpoints(schedule: Schedule, steps: np.ndarray, relative: float, *, whole: bool) -> np.ndarray:
    """Which steps lie farther than `relative * max(t, 1)` from every breakpoint (from
    every fractional one only, unless `whole`: whole-step breakpoints are exact)."""
    slack = relative * np.maximum(steps, 1.0)
    # A user's schedule may declare `breakpoints(until)` alone, without the `since` window.
    windowed = len(inspect.signature(schedule.breakpoints).parameters) >= 2

    def around(t: float, r: float) -> list[float]:
        found = schedule.breakpoints(t + r, max(t - r, 0.0)) if windowed else schedule.breakpoints(t + r)
        return [b for b in found if b >= t - r and (whole or not float(b).is_integer())]

    near = [around(t, r) for t, r in zip(steps.tolist(), slack.tolist(), strict=True)]
    return np.array([not found for found in near], dtype=bool).reshape(steps.shape)


def check_any_array(schedule: Schedule, steps: Any) -> None:
    """A NumPy array of steps of any dtype, shape and memory layout (Fortran order,
    strides, negative strides, broadcast views) gives the scalar value at every element,
    in the array's shape."""
    steps = np.asarray(steps)
    values = schedule(steps)
    if np.shape(values) != steps.shape:
        raise AssertionError(f"{schedule!r} answers shape {np.shape(values)} for steps of shape {steps.shape}")
    flat = np.asarray(values, dtype=np.float64).reshape(-1)
    scalar = np.array([schedule(float(t)) for t in steps.reshape(-1).tolist()], dtype=np.float64)
    # As in check_backends_agree: NumPy's vectorised expm1/log1p may place a cycle start
    # an ulp of the step from libm's, which moves the value by max_slope times that.
    where = np.maximum(steps.reshape(-1).astype(np.float64), 1.0)
    allowed = (
        1e-15 * np.abs(scalar)
        + 4e-16 * np.abs(scalar)
        + _tolerance(schedule, 1e-15)
        + schedule.max_slope * 4 * 2.0**-52 * where
    )
    # Within an ulp or so of a fractional breakpoint either side is right (see check_backends_agree).
    near = ~_off_breakpoints(schedule, steps.reshape(-1).astype(np.float64), 4 * 2.0**-52, whole=False)
    bad = ~(np.abs(flat - scalar) <= allowed) & ~near
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(
            f"{schedule!r} gives {flat[i]!r} at element {i} of a {steps.dtype} array of shape {steps.shape} "
            f"(strides {steps.strides}); the scalar call gives {scalar[i]!r}"
        )


def check_cycles(schedule: Schedule, until: float) -> None:
    """For a schedule with cycles: `ends_cycle` and `cycle_index` agree with
    `cycle_ends` at every whole step up to `until` (Python steps and NumPy arrays) and at
    every cycle end (Python steps; a fractional end computed by NumPy's vectorised
    `expm1` may differ from libm's in the last bit)."""
    from lrsched.base import NoClosedFormError

    ends = schedule.cycle_ends(until)
    whole = np.arange(0.0, math.floor(until) + 1.0)
    steps = np.unique(np.concatenate([whole, np.asarray(ends, dtype=np.float64)]))
    expected_index = np.searchsorted(np.asarray(ends, dtype=np.float64), steps, side="right")
    expected_end = np.isin(steps, np.asarray(ends, dtype=np.float64))
    answers = [
        (
            "Python",
            np.array([schedule.ends_cycle(float(t)) for t in steps]),
            np.array([schedule.cycle_index(float(t)) for t in steps]),
        )
    ]
    with contextlib.suppress(NoClosedFormError):  # compositions answer Python steps only
        answers.append(("NumPy", np.asarray(schedule.ends_cycle(steps)), np.asarray(schedule.cycle_index(steps))))
    is_whole = steps == np.floor(steps)
    for given, flags, index in answers:
        bad = ((flags != expected_end) | (index != expected_index)) & (is_whole | (given == "Python"))
        if bad.any():
            i = int(np.argmax(bad))
            raise AssertionError(
                f"{schedule!r} at step {steps[i]!r} ({given}): ends_cycle {flags[i]!r}, cycle_index {index[i]!r}; "
                f"cycle_ends says {bool(expected_end[i])!r} and {int(expected_index[i])}"
            )


def check_restarts_exact(schedule: Schedule, until: float) -> None:
    """For `cosine_restarts`: every restart that is a whole step in exact arithmetic
    (on the parameters as written: `cycle_mult=1.1` is 11/10) is exactly that step, and
    the schedule gives the cycle's peak there, `ends_cycle` is True and `cycle_index`
    counts it."""
    from fractions import Fraction

    if schedule.policy != "cosine_restarts":
        raise ValueError(f"check_restarts_exact takes a cosine_restarts schedule; got {schedule.policy}")
    p = schedule.to_config()
    mult, length = Fraction(repr(float(p["cycle_mult"]))), Fraction(repr(float(p["first_cycle_steps"])))
    start, i = Fraction(0), 0
    ends = schedule.cycle_ends(until)
    while True:
        start, length, i = start + length, length * mult, i + 1
        if start > until:
            break
        if start.denominator != 1:
            continue
        t = int(start)
        peak = p["min_lr"] + (p["max_lr"] - p["min_lr"]) * p["peak_decay"] ** i
        found = (float(t) in ends, schedule.ends_cycle(t), schedule.cycle_index(t), schedule(t))
        if found[:3] != (True, True, i) or not math.isclose(found[3], peak, rel_tol=1e-12, abs_tol=1e-300):
            raise AssertionError(
                f"{schedule!r}: restart {i} is step {t} exactly, but there cycle_ends holds it: {found[0]}, "
                f"ends_cycle {found[1]!r}, cycle_index {found[2]!r}, value {found[3]!r} (peak {peak!r})"
            )


def horizon(schedule: Schedule) -> float:
    """A span of steps worth checking: past the last declared phase change, or a few cycles.

    The pieces are asked for over growing spans, so a schedule with millions of tiny
    cycles costs no more than one with a few."""
    until = 1e-3
    while True:
        pieces = schedule.pieces(until)
        if len(pieces) > 64 or until >= 1e4:
            break
        until *= 10
    ends = [p.end for p in pieces[:64] if math.isfinite(p.end) and p.end < min(until, 1e4)]
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
    if isinstance(schedule, InverseMomentum):
        check_opposes(schedule, grid)


def check_opposes(momentum: InverseMomentum, steps: Any) -> None:
    """An `inverse_momentum` moves against its schedule's LR: between consecutive steps
    with no breakpoint between them, where the LR rises the momentum does not rise, and
    where it falls the momentum does not fall, whichever way the schedule runs (a decay
    toward a higher final LR, a `multi_step` with gamma above 1)."""
    steps = np.unique(np.asarray(steps, dtype=np.float64))
    lr = np.asarray(momentum.schedule(steps), dtype=np.float64)
    m = np.asarray(momentum(steps), dtype=np.float64)
    jumps = np.asarray(momentum.breakpoints(float(steps[-1])), dtype=np.float64)
    a, b = steps[:-1], steps[1:]
    slack = 1e-9 * np.maximum(1.0, np.abs(b))
    straddle = np.searchsorted(jumps, a - slack, side="left") != np.searchsorted(jumps, b + slack, side="right")
    # Moves beyond rounding: of the LR's scale, and of the momentum's.
    lr_noise = _tolerance(momentum.schedule, 1e-12)
    m_noise = 1e-12 * max(momentum.max_momentum, 1e-300)
    d_lr, d_m = np.diff(lr), np.diff(m)
    bad = ~straddle & (((d_lr > lr_noise) & (d_m > m_noise)) | ((d_lr < -lr_noise) & (d_m < -m_noise)))
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(
            f"{momentum!r} moves with its LR: from step {a[i]!r} to {b[i]!r} the LR goes {lr[i]!r} -> "
            f"{lr[i + 1]!r} and the momentum {m[i]!r} -> {m[i + 1]!r}"
        )


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


def step_counts(low: float = 1, high: float = 2000, *, huge: bool = True) -> Any:
    """Step counts: whole numbers mostly, fractional ones too (per-epoch schedules; decimal
    ones like 1.9 whose multiples are not binary fractions), and (with `huge`) integers
    from 2**31 to 2**64, beyond what JAX's int32 and torch's int64 hold: a parameter that
    size must still compute on every backend."""
    st = _st()
    decimals = st.integers(int(math.ceil(low * 10)), int(high * 10)).map(lambda k: k / 10)
    normal = st.one_of(st.integers(int(low), int(high)), st.floats(float(low), float(high)), decimals)
    return st.one_of(normal, normal, st.integers(2**31, 2**64)) if huge else normal


STEP_DTYPES = (
    "float64",
    "float32",
    "float16",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
)
LAYOUTS = ("C", "Fortran", "strided", "reversed", "transposed", "broadcast")


def step_arrays(max_step: float = 1e4) -> Any:
    """NumPy arrays of steps of every integer and float dtype, 0 to 3 dimensions, in
    every memory layout: C, Fortran order, a strided view, a negative-stride view, a
    transposed view, a broadcast view. Sorted values (an arange) are drawn often: the
    fast sorted path is where a layout bug hides."""
    st = _st()

    @st.composite  # type: ignore[untyped-decorator]
    def build(draw: Callable[[Any], Any]) -> np.ndarray:
        dtype = np.dtype(draw(st.sampled_from(STEP_DTYPES)))
        top = max_step if dtype.kind == "f" else min(max_step, float(np.iinfo(dtype).max))
        top = min(top, 65504.0) if dtype == np.float16 else top
        shape = tuple(draw(st.lists(st.integers(1, 4), max_size=3)))
        size = int(np.prod(shape, dtype=np.int64))
        number = st.integers(0, int(top)) if dtype.kind in "iu" else st.floats(0.0, top) | st.integers(0, int(top))
        values = draw(st.lists(number, min_size=size, max_size=size))
        if draw(st.booleans()):
            values = sorted(values)
        base = np.array(values, dtype=dtype).reshape(shape)
        return _lay_out(base, draw(st.sampled_from(LAYOUTS)))

    return build()


def _lay_out(base: np.ndarray, layout: str) -> np.ndarray:
    """The same values as `base`, in another memory layout (a view where one exists)."""
    if base.ndim == 0 or layout == "C":
        return base
    if layout == "Fortran":
        return np.asfortranarray(base)
    if layout == "strided":
        room = np.zeros((*base.shape[:-1], base.shape[-1] * 3), dtype=base.dtype)
        room[..., ::3] = base
        strided: np.ndarray = room[..., ::3]
        return strided
    if layout == "reversed":
        return np.ascontiguousarray(base[::-1])[::-1]
    if layout == "transposed":
        transposed: np.ndarray = np.ascontiguousarray(base.T).T
        return transposed
    # broadcast: a read-only view with a zero stride along a new leading axis
    return np.asarray(np.broadcast_to(base, (2, *base.shape)))


def _fractions(low: float, high: float) -> Any:
    return _st().floats(low, high)


def range_sweeps() -> Any:
    st = _st()
    return st.builds(
        lambda start, decades, n, mode: range_sweep(start_lr=start, end_lr=start * 10**decades, num_steps=n, mode=mode),
        learning_rates(-8, 0),
        _fractions(0.01, 10),
        step_counts(),
        st.sampled_from(["exp", "linear"]),
    )


def cyclics() -> Any:
    st = _st()

    def build(base: float, ratio: float, up: float, down: float | None, mode: str, gamma: float) -> Schedule:
        return cyclic(
            base_lr=base,
            max_lr=base * ratio,
            step_size_up=up,
            step_size_down=down,
            mode=mode,
            gamma=gamma if mode == "exp_range" else 1.0,
        )

    return st.builds(
        build,
        learning_rates(),
        _fractions(1.0, 100.0),
        step_counts(1, 500),
        st.none() | step_counts(1, 500),
        st.sampled_from(["triangular", "triangular2", "exp_range"]),
        _fractions(0.9, 1.0),
    )


def one_cycles() -> Any:
    st = _st()

    def build(lr: float, total: float, pct: float, div: float, final_div: float, kind: str, three: bool) -> Schedule:
        return one_cycle(
            max_lr=lr,
            total_steps=total,
            pct_start=pct * 0.5 if three else pct,
            div_factor=div,
            final_div_factor=final_div,
            anneal=kind,
            three_phase=three,
        )

    return st.builds(
        build,
        learning_rates(),
        step_counts(2, 5000),
        _fractions(0.01, 0.98),
        _fractions(1.0, 100.0),
        _fractions(1.0, 1e5),
        st.sampled_from(["cos", "linear"]),
        st.booleans(),
    )


def cosine_decays() -> Any:
    return strategy_for(CosineDecay)


def cosine_restarts_schedules() -> Any:
    st = _st()
    return st.builds(
        lambda lr, n, alpha, mult, decay: cosine_restarts(
            max_lr=lr, first_cycle_steps=n, min_lr=lr * alpha, cycle_mult=mult, peak_decay=decay
        ),
        learning_rates(),
        step_counts(1, 500),
        _fractions(0.0, 1.0),
        cycle_mults(),
        _fractions(0.1, 1.0),
    )


def cycle_mults() -> Any:
    """SGDR cycle multipliers: whole (1, 2, 3), decimal (1.1 ... 4.0, 1.25, ...: whole
    cycle starts in exact arithmetic that binary floats miss by an ulp), near-whole
    (2 +- a few ulp) and arbitrary."""
    st = _st()
    return st.one_of(
        st.sampled_from([1.0, 2.0, 3.0]),
        st.integers(11, 40).map(lambda k: k / 10),
        st.integers(101, 400).map(lambda k: k / 100),
        st.sampled_from([1.0, 2.0, 3.0]).flatmap(lambda m: st.integers(1, 8).map(lambda k: m + k * 2.0**-51)),
        _fractions(1.0, 4.0),
    )


def restart_schedules() -> Any:
    """`cosine_restarts` with whole first cycles and decimal multipliers: the inputs
    whose restarts are whole steps in exact arithmetic (see `check_restarts_exact`)."""
    st = _st()
    return st.builds(
        lambda lr, n, alpha, mult, decay: cosine_restarts(
            max_lr=lr, first_cycle_steps=n, min_lr=lr * alpha, cycle_mult=mult, peak_decay=decay
        ),
        learning_rates(),
        st.integers(1, 100),
        _fractions(0.0, 1.0),
        st.one_of(
            st.integers(10, 40).map(lambda k: k / 10),
            st.integers(100, 400).map(lambda k: k / 100),
            st.integers(4, 16).map(lambda k: k / 4),
        ),
        _fractions(0.1, 1.0),
    )


def one_decays() -> Any:
    """The decays `restarts` repeats: a cosine, polynomial or tanh decay."""
    from lrsched.polynomial import Polynomial
    from lrsched.tanh import TanhDecay

    return _st().one_of(cosine_decays(), strategy_for(Polynomial), strategy_for(TanhDecay))


def restarts_of_decays() -> Any:
    """`restarts` of a cosine, polynomial or tanh decay: cycle multipliers as
    `cycle_mults`, a peak or amplitude that falls or grows (growth with a cycle limit)."""
    st = _st()

    def build(decay: Decay, mult: float, factor: float, scales: str, cycles: int | None) -> Schedule:
        from hypothesis import reject

        if factor > 1.0 and cycles is None:
            cycles = 3
        try:
            return restarts(decay=decay, cycle_mult=mult, peak_decay=factor, scales=scales, cycles=cycles)
        except ValueError:  # a top that grows beyond the float range, or below 0
            reject()

    return st.builds(
        build,
        one_decays(),
        cycle_mults(),
        st.one_of(st.just(1.0), _fractions(0.05, 1.0), _fractions(1.0, 3.0)),
        st.sampled_from(["amplitude", "peak"]),
        # Many cycles too: a growing top near and beyond the float range.
        st.one_of(st.none(), st.integers(1, 12), st.integers(13, 2000)),
    )


def step_decays() -> Any:
    return strategy_for(StepDecay)


def multi_steps() -> Any:
    return strategy_for(MultiStep)


def exponentials() -> Any:
    return strategy_for(Exponential)


def constants() -> Any:
    return strategy_for(Constant)


def strategy_for(policy: type[Schedule]) -> Any:
    """Valid schedules of `policy`, drawn from its parameters' declarations
    (`lrsched.params`): each parameter in order, a bound that names an earlier parameter
    drawn against that parameter's value. A user's own policy gets one for free.

    Draws that a check tying parameters together refuses are rejected; where such ties
    refuse most draws, a hand-written strategy is used instead (see `TIED`)."""
    st = _st()
    if policy.policy in TIED and Schedule._registry.get(policy.policy) is policy:
        return TIED[policy.policy]()
    items = declared(policy)

    @st.composite  # type: ignore[untyped-decorator]
    def build(draw: Callable[[Any], Any]) -> Schedule:
        from hypothesis import reject

        known: dict[str, Any] = {}
        for item in items:
            if item.param is None:
                if item.required:
                    raise TypeError(f"{policy.__qualname__}.{item.name} has no declaration to draw from")
                known[item.name] = item.default
                continue
            known[item.name] = draw(item.param.strategy(known))
        try:
            return policy(**known)
        except ValueError:
            reject()

    return build()


def primitives() -> Any:
    """Any single registered policy (no composition: none that takes any schedule; a
    `restarts` of one decay is one policy), each drawn by `strategy_for`: a newly
    registered policy is drawn with no change here."""
    from lrsched.params import Part, Parts

    policies = [
        cls
        for _, cls in sorted(Schedule._registry.items())
        if not any(type(item.param) in (Part, Parts) for item in declared(cls))
    ]
    return _st().one_of(*(strategy_for(cls) for cls in policies))


def warmups(inner: Any | None = None) -> Any:
    st = _st()

    def build(
        schedule: Schedule, steps: float, start_frac: float, shape: str, prefix: bool, end_frac: float | None
    ) -> Schedule:
        target = float(schedule(0.0)) if end_frac is None else float(schedule(0.0)) * end_frac
        start = target * start_frac if shape == "exp" else target * start_frac * (start_frac > 0.05)
        if shape == "exp" and start <= 0:
            shape = "linear"
        end_lr = None if end_frac is None else target
        return warmup(schedule=schedule, steps=steps, start_lr=start, shape=shape, prefix=prefix, end_lr=end_lr)

    return st.builds(
        build,
        inner if inner is not None else primitives(),
        st.one_of(st.just(0.0), step_counts(1, 500)),  # 0: no ramp (Hugging Face's and timm's default)
        _fractions(0.0, 1.0),
        st.sampled_from(["linear", "cosine", "1-sqrt", "exp", "constant"]),
        st.booleans(),  # on the schedule's own clock too (timm's warmup_prefix=False)
        st.one_of(st.none(), _fractions(0.5, 2.0)),  # a ramp to an LR of its own (timm's tanh)
    )


def joins(inner: Any | None = None) -> Any:
    st = _st()

    @st.composite  # type: ignore[untyped-decorator]
    def build(draw: Callable[[Any], Any]) -> Schedule:
        parts = draw(st.lists(inner if inner is not None else primitives(), min_size=1, max_size=3))
        gaps = draw(st.lists(step_counts(1, 500, huge=False), min_size=len(parts) - 1, max_size=len(parts) - 1))
        boundaries = list(np.cumsum(gaps, dtype=float))
        if boundaries and draw(st.booleans()):
            boundaries = [0.0, *boundaries[1:]]  # a first part that never runs (optax allows it)
        return join(schedules=parts, boundaries=boundaries)

    return build()


def products(inner: Any | None = None) -> Any:
    st = _st()
    return st.builds(
        lambda parts, scale: product(schedules=parts, scale=scale),
        st.lists(inner if inner is not None else primitives(), min_size=1, max_size=3),
        # A scale float32 cannot hold too: the value flushes to 0 there, the momentum must not.
        st.one_of(st.just(1.0), _fractions(1e-3, 1e3), st.just(1e-140)),
    )


def inverse_momentums(inner: Any | None = None) -> Any:
    st = _st()
    return st.builds(
        lambda schedule, low, span: inverse_momentum(
            schedule=schedule, base_momentum=low, max_momentum=min(1.0, low + span)
        ),
        inner if inner is not None else primitives(),
        _fractions(0.0, 0.95),
        _fractions(0.0, 0.2),
    )


# Policies whose parameters are tied by more than a bound naming another parameter: their
# strategies are written by hand, so that draws are not mostly rejected.
TIED: dict[str, Callable[[], Any]] = {
    "range_sweep": range_sweeps,
    "cyclic": cyclics,
    "one_cycle": one_cycles,
    "cosine_restarts": cosine_restarts_schedules,
    "restarts": restarts_of_decays,
    "warmup": warmups,
    "join": joins,
    "product": products,
    "inverse_momentum": inverse_momentums,
}


def schedules(max_depth: int = 2) -> Any:
    """Any valid policy or composition of policies, nested up to `max_depth` deep."""
    st = _st()
    return st.recursive(
        primitives(),
        lambda inner: st.one_of(warmups(inner), joins(inner), products(inner), inverse_momentums(inner)),
        max_leaves=max_depth * 3,
    )
