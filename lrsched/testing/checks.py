"""Checks of a schedule's declarations against its values: bounds, continuity, monotone
pieces, backends that agree, any array layout, cycles, restarts, momentum against the LR.

Each raises `AssertionError` naming the step and the values that broke it. They need
only NumPy; `lrsched.testing.strategies` draws the schedules to check.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from lrsched._namespace import MAX_STEP, NUMPY
from lrsched.base import NoClosedFormError, Schedule, Shaped, horizon
from lrsched.cosine import CosineRestarts
from lrsched.momentum import InverseMomentum

# Large steps that every schedule must survive: up to 2**53, the last integer a
# float64 step holds exactly.
LARGE_STEPS = np.array([2.0**k for k in range(10, 54)] + [2.0**53 - 1, 1e9 + 1, 12345678.5])


def _tolerance(schedule: Schedule, rtol: float) -> float:
    low, high = schedule.bounds
    return rtol * max(abs(low), abs(high), 1e-300)


def _float64_noise(schedule: Schedule) -> float:
    """What float64 rounding moves a value by: 1e-12 of its scale, or, for an inverse
    momentum (anywhere inside), the LR's rounding (a few ulp) magnified as the momentum
    places it between the LR's bounds: an LR range 2.4e-7 of its size wide places the
    momentum only to about eps / 2.4e-7."""
    return _tolerance(schedule, max(1e-12, 32 * np.finfo(np.float64).eps * _momentum_magnification(schedule)))


def _first(bad: np.ndarray) -> int | None:
    """The first index where `bad` holds (None where nowhere): what a failed check names."""
    return int(np.argmax(bad)) if bad.any() else None


def check_finite(schedule: Schedule, steps: Any) -> None:
    """Every value is finite and >= 0."""
    steps = np.asarray(steps, dtype=np.float64)
    values = np.asarray(schedule(steps), dtype=np.float64)
    bad = ~np.isfinite(values) | (values < 0)
    if (i := _first(bad)) is not None:
        raise AssertionError(f"{schedule!r} gives {values[i]!r} at step {steps[i]!r}")


def check_bounded(schedule: Schedule, steps: Any, *, rtol: float = 0.0) -> None:
    """Every value lies within the declared `bounds`: exactly, unless `rtol` allows more."""
    low, high = schedule.bounds
    if not (math.isfinite(low) and math.isfinite(high) and low <= high):
        raise AssertionError(f"{schedule!r} declares bounds {(low, high)!r}")
    steps = np.asarray(steps, dtype=np.float64)
    values = np.asarray(schedule(steps), dtype=np.float64)
    tol = _tolerance(schedule, rtol)
    bad = ~((values >= low - tol) & (values <= high + tol))  # NaN is outside too
    if (i := _first(bad)) is not None:
        raise AssertionError(f"{schedule!r} gives {values[i]!r} at step {steps[i]!r}, outside bounds {(low, high)!r}")


def check_continuous(schedule: Schedule, steps: Any, *, rtol: float = 1e-9) -> None:
    """Between consecutive steps with no breakpoint between them, the change is within
    `max_slope * distance` (a Lipschitz bound): no undeclared jumps."""
    steps = np.unique(np.asarray(steps, dtype=np.float64))
    values = np.asarray(schedule(steps), dtype=np.float64)
    jumps = np.asarray(schedule.breakpoints(float(steps[-1])), dtype=np.float64)
    _check_pairs(schedule, steps[:-1], steps[1:], values[:-1], values[1:], jumps, rtol)


def check_continuous_far(schedule: Schedule, steps: Any = None, *, rtol: float = 1e-9) -> None:
    """`check_continuous` over t, t + 0.5 and t + 1 for each far step t (by default
    `LARGE_STEPS`, up to 2**53), asking for the breakpoints of those windows alone
    (`breakpoints(until, since)`; a schedule whose `breakpoints` takes no `since` is not
    checked here: it would list every breakpoint from step 0)."""
    if len(inspect.signature(schedule.breakpoints).parameters) < 2:
        return
    far = np.asarray(LARGE_STEPS if steps is None else steps, dtype=np.float64)
    far = far[far <= MAX_STEP - 1.0]
    a = np.concatenate([far, far + 0.5])
    b = np.concatenate([far + 0.5, far + 1.0])
    values = np.asarray(schedule(np.concatenate([far, far + 0.5, far + 1.0])), dtype=np.float64)
    n = far.size
    jumps = np.unique(np.asarray([j for t in far.tolist() for j in schedule.breakpoints(t + 1.0, t)], dtype=np.float64))
    _check_pairs(schedule, a, b, values[: 2 * n], values[n:], jumps, rtol)


def _check_pairs(
    schedule: Schedule, a: np.ndarray, b: np.ndarray, at_a: np.ndarray, at_b: np.ndarray, jumps: np.ndarray, rtol: float
) -> None:
    """Each pair of steps a < b with no breakpoint between them moves within the slope bound."""
    # A jump at j changes the value between a < j and b >= j. A shifted breakpoint
    # (warmup, join) is only as exact as the subtraction of the shift: allow rounding.
    slack = 1e-9 * np.maximum(1.0, np.abs(b))
    straddle = np.searchsorted(jumps, a - slack, side="left") != np.searchsorted(jumps, b + slack, side="right")
    # The steps themselves are exact only to a few ulp of their size: the position in a
    # cycle at step 9000 is off by ~1e-12 steps, which moves the value by max_slope times
    # that, however close two steps are.
    step_rounding = 8 * np.finfo(np.float64).eps * np.maximum(np.abs(a), np.abs(b))
    allowed = schedule.max_slope * ((b - a) * (1 + rtol) + step_rounding) + _float64_noise(schedule)
    bad = ~straddle & ~(np.abs(at_b - at_a) <= allowed)  # a NaN moves more than any bound
    if (i := _first(bad)) is not None:
        raise AssertionError(
            f"{schedule!r} moves from {at_a[i]!r} at step {a[i]!r} to {at_b[i]!r} at step "
            f"{b[i]!r}: more than max_slope={schedule.max_slope!r} allows, and no breakpoint between"
        )


def check_shape(schedule: Shaped, steps: Any) -> None:
    """A `Shaped` policy's shape lies in [0, 1] (its value is clipped to its levels,
    which would hide a shape that leaves them)."""
    steps = np.asarray(steps, dtype=np.float64)
    shape = np.asarray(schedule.shape_at(steps, NUMPY), dtype=np.float64)
    bad = ~((shape >= -1e-12) & (shape <= 1.0 + 1e-12))  # NaN is outside too
    if (i := _first(bad)) is not None:
        raise AssertionError(f"{schedule!r}: shape_at({steps[i]!r}) is {shape[i]!r}, outside [0, 1]")


def check_monotone(schedule: Schedule, until: float, *, samples: int = 65, whole_steps: int = 1024) -> None:
    """Within each declared piece the value moves only in the declared direction: at
    `samples` steps spread over the piece and at its first `whole_steps` whole steps
    (the steps an optimizer's count takes: a turn between two of them is found)."""
    tol = _float64_noise(schedule)
    for piece in schedule.pieces(until):
        if piece.trend is None or piece.end <= piece.start:
            continue
        # Stay off the piece's ends by rounding slack: a neighbour (or a jump) starts there.
        start = piece.start + 1e-9 * max(1.0, piece.start)
        end = min(piece.end, until) - 1e-9 * max(1.0, piece.end if math.isfinite(piece.end) else until)
        if end <= start:
            continue
        whole = np.arange(math.ceil(start), min(math.floor(end), math.ceil(start) + whole_steps - 1) + 1.0)
        steps = np.unique(np.concatenate([np.linspace(start, end, samples), whole]))
        values = np.asarray(schedule(steps), dtype=np.float64)
        change = np.diff(values) * (piece.trend if piece.trend else 1)
        bad = ~(change >= -tol) if piece.trend else ~(np.abs(np.diff(values)) <= tol)  # NaN keeps no trend
        if (i := _first(bad)) is not None:
            raise AssertionError(
                f"{schedule!r} is declared trend {piece.trend} on [{piece.start}, {piece.end}) but goes "
                f"from {values[i]!r} at {steps[i]!r} to {values[i + 1]!r} at {steps[i + 1]!r}"
            )


# torch's and TensorFlow's vectorised float64 exp, log and expm1 are within an ulp, not
# correctly rounded, and a formula magnifies that (10 - 9 x**10: 32 ulp where NumPy is
# off 4; a shape x**10 one ulp from 1): their float64 answers agree to this much of the
# value (or scale), which still tells a float32-rounded constant (1e-8) apart.
FRAMEWORK_FLOAT64 = 1e-13


#: The names `check_backends_agree` takes (the half types are torch's).
FRAMEWORKS = ("numpy", "jax", "torch", "tensorflow", "float16", "bfloat16")


def check_backends_agree(
    schedule: Schedule, steps: Any, *, frameworks: Sequence[str] = ("numpy",), rtol32: float = 1e-6
) -> None:
    """Scalar calls, NumPy arrays and (if named and imported) JAX, torch and TensorFlow agree.

    Float64 answers agree to a few ulp of the value, plus `max_slope` times a few ulp of
    the step (NumPy's vectorised exp/expm1/cos may differ from libm's in the last bit,
    also where they place a cycle start; where the slope is unbounded, what the value
    itself moves over those ulps); torch's and TensorFlow's to 1e-13 of the value (their
    vectorised float64 functions are within an ulp, not correctly rounded). Float32
    answers (JAX by default) agree within `rtol32` of the value (or of the schedule's
    scale near zero), plus what the float32 rounding of the step itself allows:
    `max_slope * 8 * 2**-24 * t`; steps that close to a breakpoint are not compared.

    Each framework named is imported (ModuleNotFoundError where it is not installed: a
    named framework is never skipped); a name outside `FRAMEWORKS` raises ValueError.
    "float16" and "bfloat16" compare torch steps of that type, at the steps the type
    holds (float16's end at 65504).
    """
    unknown = sorted(set(frameworks) - set(FRAMEWORKS))
    if unknown:
        raise ValueError(f"frameworks must be among {', '.join(FRAMEWORKS)}; got {', '.join(map(repr, unknown))}")
    for name in frameworks:
        module = {"float16": "torch", "bfloat16": "torch"}.get(name, name)
        if module != "numpy":
            try:
                importlib.import_module(module)
            except ImportError as error:
                message = f"frameworks names {name!r}, but {module} cannot be imported: {error}"
                raise ModuleNotFoundError(message) from None
    steps = np.asarray(steps, dtype=np.float64)
    scalar = np.array([schedule(float(s)) for s in steps])
    answers: dict[str, tuple[np.ndarray, float, bool]] = {}  # values, rtol, computed in float32
    if "numpy" in frameworks:
        answers["numpy"] = (np.asarray(schedule(steps)), 1e-15, False)
    if "jax" in frameworks:
        import jax.numpy as jnp

        answers["jax"] = (np.asarray(schedule(jnp.asarray(steps)), dtype=np.float64), rtol32, True)
    if "torch" in frameworks:
        import torch

        answers["torch"] = (schedule(torch.tensor(steps, dtype=torch.float64)).numpy(), FRAMEWORK_FLOAT64, False)
    if "tensorflow" in frameworks:
        import tensorflow as tf

        answers["tensorflow"] = (schedule(tf.constant(steps, dtype=tf.float64)).numpy(), FRAMEWORK_FLOAT64, False)
    for name in ("float16", "bfloat16"):
        # Half-precision steps: the schedule computes in float32 at the step's own
        # (rounded) value; compared with the scalar call there.
        if name in frameworks:
            import torch

            # Steps the half type holds (float16 ends at 65504; a larger one is inf there).
            held = steps[steps <= float(torch.finfo(getattr(torch, name)).max)]
            half = torch.tensor(held, dtype=getattr(torch, name))
            rounded = half.double().numpy()
            values = schedule(half).double().numpy()
            reference = np.array([schedule(float(s)) for s in rounded])
            placed = np.maximum(8 * 2.0**-24, _float32_placement(schedule, rounded))
            allowed = (
                rtol32 * np.maximum(np.abs(reference), _float32_scale(schedule))
                + 2.0**-125
                + _moves_within(schedule, rounded, placed * np.maximum(rounded, 1.0))
                + _log_path_rounding(schedule, reference)
            )
            checked = _off_breakpoints(schedule, rounded, np.maximum(2.0**-22, placed), whole=True, absolute=1e-6)
            bad = checked & ~(np.abs(values - reference) <= allowed) & ~_float32_overflow(reference, values)
            if (i := _first(bad)) is not None:
                raise AssertionError(
                    f"{schedule!r}: a torch {name} step {rounded[i]!r} gives {values[i]!r}, "
                    f"scalar gives {reference[i]!r}"
                )
    for name, (values, rtol, narrow) in answers.items():
        allowed = (
            rtol * np.maximum(np.abs(scalar), _tolerance(schedule, 1.0))
            + 4e-16 * np.abs(scalar)
            + 2.0**-1022  # below float64's smallest normal number a framework may flush to 0 (TensorFlow does)
            + _moves_within(schedule, steps, 4 * 2.0**-52 * np.maximum(steps, 1.0))
        )
        # A step within a few ulp of a breakpoint may fall on either side of it: NumPy's
        # vectorised expm1/log1p may place a fractional cycle start an ulp from libm's.
        # (Whole-step restarts are exact on every backend: see check_cycles.)
        checked = _off_breakpoints(schedule, steps, 4 * 2.0**-52, whole=False)
        if narrow:
            # A float32 step holds t only to t * 2**-24: the value may move by up to
            # max_slope times that, and a breakpoint that close may fall either side.
            # So may a decimal multiplier's restart (see _float32_placement).
            placed = np.maximum(8 * 2.0**-24, _float32_placement(schedule, steps))
            resolution = placed * np.maximum(steps, 1.0)
            # Float32 also flushes values below its smallest normal number (2**-126).
            allowed = allowed + _moves_within(schedule, steps, resolution) + 2.0**-125 + rtol * _float32_scale(schedule)
            allowed = allowed + _log_path_rounding(schedule, scalar)
            checked = _off_breakpoints(schedule, steps, placed, whole=True)
            checked = checked & ~_float32_overflow(scalar, values)
        bad = checked & ~(np.abs(values - scalar) <= allowed)  # a NaN agrees with nothing
        if (i := _first(bad)) is not None:
            raise AssertionError(
                f"{schedule!r}: {name} gives {values[i]!r} at step {steps[i]!r}, scalar gives {scalar[i]!r}"
            )


FLOAT32_MAX = float(np.finfo(np.float32).max)


def _moves_within(schedule: Schedule, steps: np.ndarray, window: Any) -> np.ndarray:
    """How far the value may move within `window` steps of each step: `max_slope` times
    the window, or, for a slope declared unbounded (a power below 1 at its end, a 1-sqrt
    warmup at its start; a composition holding one), how far the scalar value itself
    moves across the window (sampled). An unbounded slope must not excuse every answer."""
    window = np.broadcast_to(np.asarray(window, dtype=np.float64), steps.shape)
    if math.isfinite(schedule.max_slope):
        with np.errstate(over="ignore"):  # steps near float64's top: an infinite allowance there
            return np.asarray(schedule.max_slope * window)
    # Sampled across the window, not at its ends alone: a periodic part (a cosine of
    # period 2 behind a 1-sqrt warmup, at a float32 step past 2**24) swings within a
    # window and returns to the same value at both ends. A window of up to
    # _WHOLE_STEPS_SAMPLED steps is sampled at every whole step too: a cycle's turns
    # (a triangle's 1-step rise) sit on whole steps, between evenly spread samples.
    moved = []
    for t, w in zip(np.ravel(steps).tolist(), np.ravel(window).tolist(), strict=True):
        low, high = max(t - w, 0.0), min(t + w, MAX_STEP)  # within the steps a schedule answers
        here = schedule(float(t))
        around = np.linspace(low, high, _WINDOW_SAMPLES)
        if high - low <= _WHOLE_STEPS_SAMPLED:
            around = np.concatenate([around, np.arange(math.ceil(low), math.floor(high) + 1.0)])
        moved.append(max(abs(schedule(float(p)) - here) for p in around))
    return np.reshape(np.asarray(moved, dtype=np.float64), np.shape(steps))


_WINDOW_SAMPLES = 65  # an odd count: the step itself is among them
_WHOLE_STEPS_SAMPLED = 4096


def _float32_scale(schedule: Schedule) -> float:
    """The scale of a float32 answer's rounding: the schedule's own, times the most any
    inverse momentum inside it magnifies its LR's rounding. A momentum places its LR
    between the LR's bounds: an LR that spans 1.6% of its size (0.484 to 0.5) is placed
    only to float32's precision / 0.016, and the momentum (and what holds it) is exact
    to no better."""
    return _tolerance(schedule, 1.0) * _momentum_magnification(schedule)


def _log_path_rounding(schedule: Schedule, values: np.ndarray) -> np.ndarray:
    """What float32 may be off where a schedule computes its value in logs (a product
    whose factors' sizes leave float32's range, restarts whose tops do): exp of a sum of
    logs is exact to a few ulp of that sum, |log v| * 2**-24 of the value; and where a
    part moves in log-LR (`geometric`: floor * (peak / floor)**shape), its shape's
    rounding, 2**-24, is magnified by |log(peak / floor)|. 0 elsewhere."""
    parts = _every_part(schedule)
    logged = any(getattr(part, "_in_logs", False) or getattr(part, "_past_float32", False) for part in parts)
    spans = [_log_span(part) for part in parts if isinstance(part, Shaped) and part.geometric]
    size = np.abs(values)
    out = 4 * 2.0**-24 * size * max(spans, default=0.0)
    if logged:
        with np.errstate(divide="ignore"):
            out = out + np.where(size > 0.0, 4 * 2.0**-24 * size * np.abs(np.log(np.where(size > 0.0, size, 1.0))), 0.0)
    return np.asarray(out, dtype=np.float64)


def _log_span(part: Shaped) -> float:
    """|log(peak / floor)| of a geometric part (its levels are both > 0)."""
    floor, peak = part.levels
    return abs(math.log(peak) - math.log(floor))


def _momentum_magnification(schedule: Schedule) -> float:
    """The most a momentum inside `schedule` magnifies its LR's rounding: the LR's size
    over its span, for the LR and for every part of it (a composition places each part's
    own height: a warmup into a decay that spans 3% of its size is read to 1/0.03 of the
    decay's precision, however wide the whole LR's span)."""
    found = 1.0
    for part in _every_part(schedule):
        if isinstance(part, InverseMomentum):
            for inner in _every_part(part.schedule):
                low, high = inner.bounds
                if high > low:
                    size = max(abs(low), abs(high))
                    # An LR whose whole size is below float32's smallest normal number
                    # (a momentum's range of 6e-235) holds no position float32 can read.
                    found = max(found, math.inf if size < FLOAT32_TINY else size / (high - low))
    return found


FLOAT32_TINY = float(np.finfo(np.float32).tiny)


def _every_part(schedule: Schedule) -> list[Schedule]:
    """The schedule and every schedule it holds, at any depth (a restarts' clock too),
    each once: a product holds its factors twice (as given and flattened), so a walk
    that revisited them would double at every level of nesting."""
    found: dict[int, Schedule] = {}
    pending = [schedule]
    while pending:
        part = pending.pop()
        if id(part) in found:
            continue
        found[id(part)] = part
        for value in vars(part).values():
            pending += [p for p in (value if isinstance(value, tuple) else (value,)) if isinstance(p, Schedule)]
    return list(found.values())


def _float32_placement(schedule: Schedule, steps: np.ndarray) -> np.ndarray:
    """How far (relative to the step) float32 may place a fractional restart from its
    exact step: a decimal multiplier's restart is expm1 of the cycle index times log m,
    computed to 2 eps32 (4 + E) of the step with E = log1p(t (m - 1) / D) — the
    window within which `CosineRestarts` takes a start for the whole step it is near.
    A float32 step that close to a fractional restart may fall either side of it, and
    a cycle's offset (so its value) moves by as much. The window is taken at the
    schedule's own step, so a composition's other parts are allowed it too (a bound
    from above: a part's own clock never runs ahead of the schedule's)."""
    found = np.zeros(np.shape(steps))
    for part in _every_part(schedule):
        # (Whole starts, from a whole multiplier and first length, are exact: no window.)
        if isinstance(part, CosineRestarts) and part.cycle_mult != 1.0 and not part._whole_starts:
            m, first = part.cycle_mult, part.first_cycle_steps
            exponent = np.log1p(np.asarray(steps, dtype=np.float64) * (m - 1.0) / first)
            cycles = exponent / math.log(m) + 1.0
            # The window, plus the float32 rounding of the start it is measured from.
            snap = 2 * 2.0**-23 * (4.0 + exponent) + 4 * 2.0**-52 * (cycles + 1.0)
            found = np.maximum(found, snap + 8 * 2.0**-24)
    return found


def _float32_overflow(reference: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Where the value lies beyond float32's range (a restarts top that grows) and the
    float32 answer is beyond it too (infinity, or clipped at the largest float32)."""
    with np.errstate(invalid="ignore"):
        beyond: np.ndarray = (np.abs(reference) > FLOAT32_MAX) & (np.abs(values) >= FLOAT32_MAX * (1 - 2.0**-20))
    return beyond


def _off_breakpoints(
    schedule: Schedule, steps: np.ndarray, relative: Any, *, whole: bool, absolute: float = 0.0
) -> np.ndarray:
    """Which steps lie farther than `relative * max(t, 1) + absolute` (`relative` a
    number or one per step) from every breakpoint (from every fractional one only,
    unless `whole`: whole-step breakpoints are exact)."""
    slack = np.broadcast_to(relative * np.maximum(steps, 1.0) + absolute, np.shape(steps))
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
        + _moves_within(schedule, steps.reshape(-1).astype(np.float64), 4 * 2.0**-52 * where)
    )
    # Within an ulp or so of a fractional breakpoint either side is right (see check_backends_agree).
    near = ~_off_breakpoints(schedule, steps.reshape(-1).astype(np.float64), 4 * 2.0**-52, whole=False)
    bad = ~(np.abs(flat - scalar) <= allowed) & ~near
    if (i := _first(bad)) is not None:
        raise AssertionError(
            f"{schedule!r} gives {flat[i]!r} at element {i} of a {steps.dtype} array of shape {steps.shape} "
            f"(strides {steps.strides}); the scalar call gives {scalar[i]!r}"
        )


def check_cycles(schedule: Schedule, until: float) -> None:
    """For a schedule with cycles: `ends_cycle` and `cycle_index` agree with
    `cycle_ends` at every whole step up to `until` (Python steps and NumPy arrays) and at
    every cycle end (Python steps; a fractional end computed by NumPy's vectorised
    `expm1` may differ from libm's in the last bit). And each end is where the schedule
    can restart: a breakpoint, or the edge of a declared piece, never inside a piece
    declared rising or falling (a cycle's end placed off its restart)."""
    ends = schedule.cycle_ends(until)
    _check_ends_are_turns(schedule, ends, until)
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
        if (i := _first(bad)) is not None:
            raise AssertionError(
                f"{schedule!r} at step {steps[i]!r} ({given}): ends_cycle {flags[i]!r}, cycle_index {index[i]!r}; "
                f"cycle_ends says {bool(expected_end[i])!r} and {int(expected_index[i])}"
            )


def _check_ends_are_turns(schedule: Schedule, ends: Sequence[float], until: float) -> None:
    """No cycle end strictly inside a piece declared monotone (trend -1 or 1) with no
    breakpoint there: within such a piece the schedule does not restart."""
    if not ends:
        return
    beyond = 2.0 * until + 1.0  # the piece after an end at `until` too
    pieces = schedule.pieces(beyond)
    starts = np.array([p.start for p in pieces], dtype=np.float64)
    stops = np.array([p.end for p in pieces], dtype=np.float64)
    monotone = np.array([p.trend in (-1, 1) for p in pieces])
    jumps = np.sort(np.asarray(schedule.breakpoints(beyond), dtype=np.float64))
    at = np.asarray(ends, dtype=np.float64)
    slack = 1e-9 * np.maximum(1.0, np.abs(at))
    k = np.clip(np.searchsorted(starts, at, side="right") - 1, 0, len(pieces) - 1)
    inside = monotone[k] & (starts[k] + slack < at) & (at < stops[k] - slack)
    near = np.searchsorted(jumps, at - slack, side="left") != np.searchsorted(jumps, at + slack, side="right")
    if (i := _first(inside & ~near)) is not None:
        piece = pieces[int(k[i])]
        raise AssertionError(
            f"{schedule!r}: cycle_ends holds {float(at[i])!r}, inside a piece declared trend {piece.trend} on "
            f"[{piece.start}, {piece.end}) with no breakpoint there: the schedule cannot restart at it"
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
    ends = frozenset(schedule.cycle_ends(until))  # asked once per restart: a set, not a scan
    # With mult = p/q in lowest terms and the first length a/b, restart n is
    # a (p^n - q^n) / (b q^(n-1) (p - q)); q shares no factor with p^n - q^n, so it is a
    # whole step only if q^(n-1) divides a: past q^(n-1) > a none is (and the exact
    # fractions' digits would grow without end).
    q, a = mult.denominator, length.numerator
    while True:
        start, length, i = start + length, length * mult, i + 1
        if start > until or (q > 1 and q ** (i - 1) > a):
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


def check_schedule(
    schedule: Schedule, until: float | None = None, *, samples: int = 513, whole_steps: int = 1024
) -> None:
    """All checks over [0, until] and at large steps. Over [0, until] (by default the
    `horizon`): a grid of `samples` points, every whole step up to `whole_steps` (the
    steps an optimizer's count takes: a value wrong at one of them is found), the
    breakpoints and their neighbours. At `LARGE_STEPS`: finite, bounded, and continuous
    over the step after each (`check_continuous_far`)."""
    until = horizon(schedule) if until is None else until
    jumps = np.asarray(schedule.breakpoints(until), dtype=np.float64)
    edges = np.asarray([p.start for p in schedule.pieces(until)], dtype=np.float64)
    special = np.concatenate([jumps, edges])
    near = np.concatenate([special, np.maximum(special - 1e-6 * max(until, 1.0), 0.0)])
    whole = np.arange(0.0, math.floor(min(until, whole_steps)) + 1.0)
    grid = np.unique(np.concatenate([np.linspace(0.0, until, samples), whole, near[near <= until]]))
    check_finite(schedule, grid)
    check_finite(schedule, LARGE_STEPS)
    check_bounded(schedule, grid)
    check_bounded(schedule, LARGE_STEPS)
    check_continuous(schedule, grid)
    check_continuous_far(schedule)
    if isinstance(schedule, Shaped):
        check_shape(schedule, grid)
    check_monotone(schedule, until)
    if isinstance(schedule, InverseMomentum):
        check_opposes(schedule, grid)


def check_opposes(momentum: InverseMomentum, steps: Any) -> None:
    """An `inverse_momentum` moves against its schedule's LR: between consecutive steps
    with no breakpoint between them, where the LR rises the momentum does not rise, and
    where it falls the momentum does not fall, whichever way the schedule runs (a decay
    toward a higher final LR, a `multi_step` with gamma above 1). The LR's and the
    momentum's piece edges are compared at too, so that no pair of steps spans a change
    of trend (a flat warmup's end, where the momentum turns from its phase's descent)."""
    steps = np.unique(np.asarray(steps, dtype=np.float64))
    first, until = float(steps[0]), float(steps[-1])
    edges = [p.start for part in (momentum, momentum.schedule) for p in part.pieces(until) if first < p.start < until]
    steps = np.unique(np.concatenate([steps, np.asarray(edges, dtype=np.float64)]))
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
    if (i := _first(bad)) is not None:
        raise AssertionError(
            f"{momentum!r} moves with its LR: from step {a[i]!r} to {b[i]!r} the LR goes {lr[i]!r} -> "
            f"{lr[i + 1]!r} and the momentum {m[i]!r} -> {m[i + 1]!r}"
        )
