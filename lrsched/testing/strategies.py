"""Hypothesis strategies for schedules: ours, yours, and compositions.

    from hypothesis import given
    import lrsched.testing as lt

    @given(lt.schedules())
    def test_any_schedule(schedule):
        lt.check_schedule(schedule, until=lt.horizon(schedule))

`strategy_for(policy)` draws any policy from its parameters' declarations: each
parameter kind (`lrsched.params`) has a strategy registered here by its type
(`kind_strategy`); a user's own kind registers one with `@draws_kind(MyKind)`. Policies
whose parameters are tied by more than a bound naming another parameter have a strategy
written by hand, registered with `@draws_policy(Cls)`. Needs `hypothesis` (the `test`
extra).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

from lrsched.base import Part, Parts, RestartableDecay, Schedule
from lrsched.compose import Join, Product, Warmup, join, product, warmup
from lrsched.cosine import CosineDecay, CosineRestarts, cosine_restarts
from lrsched.cyclic import Cyclic, cyclic
from lrsched.decay import Constant, Exponential, MultiStep, StepDecay
from lrsched.momentum import InverseMomentum, inverse_momentum
from lrsched.one_cycle import OneCycle, one_cycle
from lrsched.params import Count, Flag, Interval, OneOf, Param, StepList, declared
from lrsched.restarts import Decay, OneDecay, Restarts, restartable_policies, restarts
from lrsched.sweep import RangeSweep, range_sweep

StrategyT = TypeVar("StrategyT", bound=Callable[..., Any])
KindStrategy = Callable[[Any, dict[str, Any]], Any]

_BY_KIND: dict[type[Param], KindStrategy] = {}
_BY_HAND: dict[type[Schedule], Callable[[], Any]] = {}
# Strategies built once and reused (they are immutable descriptions): building one
# reads its functions' source, which cost most of a draw when done on every draw.
_BUILT: dict[Any, Any] = {}


def _st() -> Any:
    try:
        from hypothesis import strategies
    except ImportError as error:  # pragma: no cover - exercised only without hypothesis
        raise ImportError(
            "lrsched.testing strategies need hypothesis: pip install 'lrsched-schedules[test]'"
        ) from error
    return strategies


def draws_kind(kind: type[Param]) -> Callable[[KindStrategy], KindStrategy]:
    """Register `strategy(kind_instance, known)`: the values of a parameter kind, given
    the parameters drawn before it. A subclass of a registered kind uses its parent's
    strategy unless it registers its own."""

    def register(strategy: KindStrategy) -> KindStrategy:
        _BY_KIND[kind] = strategy
        return strategy

    return register


def draws_policy(policy: type[Schedule]) -> Callable[[StrategyT], StrategyT]:
    """Register a hand-written strategy for `policy`: for parameters tied so that
    drawing each from its declaration would mostly be refused."""

    def register(strategy: StrategyT) -> StrategyT:
        _BY_HAND[policy] = strategy
        _BUILT.clear()  # a strategy built before the registration is stale
        return strategy

    return register


def kind_strategy(kind: Param, known: dict[str, Any]) -> Any:
    """Valid values of one parameter kind, given the parameters drawn before it."""
    # A kind whose bounds name no earlier parameter draws the same values every time.
    depends = any(isinstance(getattr(kind, end, None), str) for end in ("low", "high"))
    key = ("kind", type(kind), kind)
    if not depends and key in _BUILT:
        return _BUILT[key]
    for cls in type(kind).__mro__:
        if cls in _BY_KIND:
            drawn = _BY_KIND[cls](kind, known)
            if not depends:
                _BUILT[key] = drawn
            return drawn
    raise TypeError(f"no strategy is registered for the kind {type(kind).__name__}: use @draws_kind")


# -- parameter kinds ------------------------------------------------------------------
@draws_kind(Interval)
def _intervals(kind: Interval, known: dict[str, Any]) -> Any:
    st = _st()
    low, high = kind.limits(known)
    lo = -1e6 if low is None else low
    if kind.scale == "steps" and high is None:
        drawn = step_counts(max(math.ceil(lo), 1), max(math.ceil(lo), 1) + 2000)
    elif kind.scale in ("lr", "factor") and lo >= 0 and (high is None or high > 0):
        # Spread over decades, across the whole declared range: from the low end (or
        # 1e-6 above an open 0) to the high end (or 10 for an LR, 1e4 x for a factor).
        # A factor's range below 1 is drawn too (a power of 0.5, an exponent of 0.1).
        bottom = max(lo, 1e-6)
        unbounded = 10.0 if kind.scale == "lr" and lo < 10.0 else max(lo, 1.0) * 1e4
        top = high if high is not None else unbounded
        bottom = min(bottom, top)
        drawn = st.floats(math.log10(bottom), math.log10(top)).map(lambda e: 10.0**e)
        # The boundaries themselves, or the nearest values inside an open one.
        ends = [
            bottom if lo == 0.0 and kind.low_open else math.nextafter(lo, math.inf) if kind.low_open else lo,
            math.nextafter(top, -math.inf) if high is not None and kind.high_open else top,
            1.0,
        ]
        if isinstance(kind.high, str) and kind.scale == "lr" and top * (1 - 2.4e-7) > bottom:
            # Just below a bound set by another LR: levels 2.4e-7 of their size apart, a
            # range whose float64 rounding an inverse momentum magnifies 4e6 times.
            ends.append(top * (1 - 2.4e-7))
        drawn = st.one_of(drawn, st.sampled_from(ends))
    else:
        hi = lo + 1e6 if high is None else high
        drawn = st.floats(lo, hi, exclude_min=kind.low_open, exclude_max=kind.high_open and hi > lo)

    def allowed(x: float) -> bool:
        above = low is None or (x > low if kind.low_open else x >= low)
        below = high is None or (x < high if kind.high_open else x <= high)
        return math.isfinite(x) and above and below

    drawn = drawn.filter(allowed)
    return st.one_of(st.none(), drawn) if kind.optional else drawn


@draws_kind(OneOf)
def _names(kind: OneOf, known: dict[str, Any]) -> Any:
    # NumPy's str_ too (a name read from an array or a config loaded by NumPy).
    st = _st()
    return st.sampled_from(kind.options).flatmap(lambda name: st.sampled_from([name, np.str_(name)]))


@draws_kind(Flag)
def _flags(kind: Flag, known: dict[str, Any]) -> Any:
    st = _st()
    return st.booleans().flatmap(lambda flag: st.sampled_from([flag, np.bool_(flag)]))


@draws_kind(Count)
def _counts(kind: Count, known: dict[str, Any]) -> Any:
    st = _st()
    drawn = st.integers(kind.low, kind.low + 20)
    return st.one_of(st.none(), drawn) if kind.optional else drawn


@draws_kind(StepList)
def _step_lists(kind: StepList, known: dict[str, Any]) -> Any:
    st = _st()
    low = 1 if kind.positive else 0
    return st.lists(st.integers(low, 2000), max_size=6, unique=kind.strict).map(sorted)


@draws_kind(Part)
def _parts(kind: Part, known: dict[str, Any]) -> Any:
    return primitives()


@draws_kind(Parts)
def _part_lists(kind: Parts, known: dict[str, Any]) -> Any:
    return _st().lists(primitives(), min_size=1, max_size=3)


@draws_kind(OneDecay)
def _one_decay(kind: OneDecay, known: dict[str, Any]) -> Any:
    return one_decays()


# -- policies -------------------------------------------------------------------------
def strategy_for(policy: type[Schedule]) -> Any:
    """Valid schedules of `policy`, drawn from its parameters' declarations
    (`lrsched.params`): each parameter in order, a bound that names an earlier parameter
    drawn against that parameter's value. A user's own policy gets one for free.

    Draws that a check tying parameters together refuses are rejected; where such ties
    refuse most draws, the strategy registered with `draws_policy` is used instead."""
    if policy not in _BUILT:
        _BUILT[policy] = _BY_HAND[policy]() if policy in _BY_HAND else _declared_strategy(policy)
    return _BUILT[policy]


def _declared_strategy(policy: type[Schedule]) -> Any:
    st = _st()
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
            known[item.name] = draw(kind_strategy(item.param, known))
        try:
            return policy(**known)
        except ValueError:
            reject()

    return build()


def single_policies() -> list[type[Schedule]]:
    """The registered policies that take no schedule as a parameter (no composition; a
    `restarts` of one decay counts as one policy) and can be drawn: a user's policy with
    a required parameter it declares nothing for (and no strategy registered with
    `draws_policy`) is left out, not an error in every draw of every test."""
    return [
        cls
        for _, cls in sorted(Schedule._registry.items())
        if not any(
            isinstance(item.param, (Part, Parts)) and not isinstance(item.param, OneDecay) for item in declared(cls)
        )
        and (cls in _BY_HAND or not any(item.param is None and item.required for item in declared(cls)))
    ]


def primitives() -> Any:
    """Any single registered policy (see `single_policies`), each drawn by
    `strategy_for`: a newly registered policy is drawn with no change here."""
    # Keyed by the registry's contents: a policy registered later joins the draw.
    key = ("primitives", tuple(sorted(Schedule._registry.items())))
    if key not in _BUILT:
        _BUILT[key] = _st().one_of(*(strategy_for(cls) for cls in single_policies()))
    return _BUILT[key]


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


@draws_policy(RangeSweep)
def range_sweeps() -> Any:
    st = _st()
    return st.builds(
        lambda start, decades, n, mode: range_sweep(start_lr=start, end_lr=start * 10**decades, num_steps=n, mode=mode),
        learning_rates(-8, 0),
        _fractions(0.01, 10),
        step_counts(),
        st.sampled_from(["exp", "linear"]),
    )


@draws_policy(Cyclic)
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


@draws_policy(OneCycle)
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


@draws_policy(CosineRestarts)
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
    (2 +- a few ulp), arbitrary, and far past any run's (1e10: cycles that start beyond
    float64's range, powers of m that leave it; at 1e30 a k-decayed cycle's fraction,
    1e-29, is past what float32 reads to its rtol)."""
    st = _st()
    return st.one_of(
        st.sampled_from([1.0, 2.0, 3.0]),
        st.just(1e10),
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
    """The decays `restarts` repeats: every registered policy that declares `restartable`,
    each drawn by `strategy_for`, and those from `initial_lr` to `final_lr`
    (`RestartableDecay`) also flat (the floor raised to the peak: a flat first cycle,
    whose later tops cross the floor under peak scaling)."""
    drawn = [strategy_for(Schedule._registry[name]) for name in restartable_policies()]
    return _st().one_of(*drawn, *(decays.map(_flat) for decays in drawn))


def _flat(decay: Decay) -> Decay:
    if isinstance(decay, RestartableDecay):
        return dataclasses.replace(decay, final_lr=decay.initial_lr)
    return decay


@draws_policy(Restarts)
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


@draws_policy(Warmup)
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
        # A start an ulp or two below the end too: an exp ramp whose ends' logs round together.
        st.one_of(_fractions(0.0, 1.0), st.integers(1, 2).map(lambda k: 1.0 - k * 2.0**-53)),
        st.sampled_from(["linear", "cosine", "1-sqrt", "exp", "constant"]),
        st.booleans(),  # on the schedule's own clock too (timm's warmup_prefix=False)
        # A ramp to an LR of its own (timm's tanh), one float32 cannot hold too: its span
        # flushes to 0 there, and its momentum must still move.
        st.one_of(st.none(), _fractions(0.5, 2.0), st.just(1e-140)),
    )


@draws_policy(Join)
def joins(inner: Any | None = None) -> Any:
    st = _st()

    parts_drawn = st.lists(inner if inner is not None else primitives(), min_size=1, max_size=3)

    @st.composite  # type: ignore[untyped-decorator]
    def build(draw: Callable[[Any], Any]) -> Schedule:
        parts = draw(parts_drawn)
        gaps = draw(st.lists(step_counts(1, 500, huge=False), min_size=len(parts) - 1, max_size=len(parts) - 1))
        boundaries = list(np.cumsum(gaps, dtype=float))
        if boundaries and draw(st.booleans()):
            boundaries = [0.0, *boundaries[1:]]  # a first part that never runs (optax allows it)
        return join(schedules=parts, boundaries=boundaries)

    return build()


@draws_policy(Product)
def products(inner: Any | None = None) -> Any:
    st = _st()
    return st.builds(
        lambda parts, scale: product(schedules=parts, scale=scale),
        st.lists(inner if inner is not None else primitives(), min_size=1, max_size=3),
        # A scale float32 cannot hold too: the value flushes to 0 there, the momentum must not.
        st.one_of(st.just(1.0), _fractions(1e-3, 1e3), st.just(1e-140)),
    )


@draws_policy(InverseMomentum)
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


def schedules(max_depth: int = 2) -> Any:
    """Any valid policy or composition of policies, nested up to `max_depth` deep."""
    st = _st()
    return st.recursive(
        primitives(),
        lambda inner: st.one_of(warmups(inner), joins(inner), products(inner), inverse_momentums(inner)),
        max_leaves=max_depth * 3,
    )
