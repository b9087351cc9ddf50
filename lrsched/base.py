"""What every schedule is: a frozen value that maps a step to a number.

A schedule is a frozen dataclass. `schedule(step)` is a pure function of the step; the
step's type decides how it computes (see `lrsched._namespace`). Beside its values a
schedule declares its shape, which the property tests and users can check against:

- `bounds`: the lowest and highest value over all steps >= 0 (closed form; for
  compositions an enclosing interval built from the parts).
- `max_slope`: a Lipschitz bound |f(a) - f(b)| <= max_slope * |a - b| that holds
  between any two steps with no breakpoint between them.
- `breakpoints(until, since=0)`: the steps in [since, until] where the value may jump.
- `pieces(until)`: consecutive intervals covering [0, until] on each of which the
  value is monotone (trend +1 non-decreasing, -1 non-increasing, 0 constant, None no
  claim).

Most policies are a shape between two levels, `floor + (peak - floor) * shape(t)` with
`shape` in [0, 1]: they subclass `Shaped`, give the levels and the shape, and get the
value, `bounds`, `max_slope` and `pieces` derived from them. Every schedule has a public
`shape_at(t, xp)` (where its value stands between floor and peak); `inverse_momentum` reads it.
Parameters are declared once on the fields (`lrsched.params`); `register` makes a policy
loadable by name from configs and plottable from the command line.
"""

from __future__ import annotations

import dataclasses
import math
import sys
from collections.abc import Iterator
from typing import Annotated, Any, ClassVar, NamedTuple, TypeVar

from lrsched._frozen import FrozenValue, frozen_value as frozen_value
from lrsched._namespace import MATH, MAX_STEP, Namespace, check_scalar_step, evaluate
from lrsched.params import LR, DocumentedOnRead, LRFloor, Param, Steps, check_parameters, sequence_of

INF = math.inf
FLOAT_MAX = sys.float_info.max
#: Sizes outside this range are composed in logs on float32 steps: float32 (1.2e-38 to
#: 3.4e38) could overflow or underflow on the way to a value within its range.
FLOAT32_SAFE = (1e-30, 1e30)


def narrow(t: Any, xp: Namespace) -> bool:
    """Whether step `t` computes in a float narrower than float64 (float32: JAX's
    default, torch's, and half-precision steps)."""
    return xp.eps(t) > 1e-10


def log_of(x: float) -> float:
    """math.log, with log(0) = -inf."""
    return math.log(x) if x > 0.0 else -INF


class Piece(NamedTuple):
    """An interval [start, end) of steps on which a schedule is monotone."""

    start: float
    end: float
    trend: int | None


class Schedule(FrozenValue):
    """Base of every policy. Subclasses are frozen keyword-only dataclasses.

    A subclass sets `policy` (its public name, also the config key) and implements
    `_value(t, xp)` on a non-negative float step `t` with array namespace `xp`.
    """

    policy: ClassVar[str] = ""
    # A peer's name for one of this policy's parameters, where lrsched's general hint
    # (PEER_NAMES) would be wrong for it: torch's StepLR says gamma where step_decay says drop.
    peer_names: ClassVar[dict[str, str]] = {}
    # Capabilities a policy declares, read by what composes it (no closed list of types):
    # `restartable`, one decay over `decay_steps` from its peak (`levels`, `shape_at`), which
    # `restarts` can repeat.
    restartable: ClassVar[bool] = False
    _registry: ClassVar[dict[str, type[Schedule]]] = {}

    @classmethod
    def example(cls) -> Schedule:
        """One valid instance, with the numbers of the policy's source where it has one.

        The gallery, the preview, the benchmarks and the per-policy test families start
        from it, so a registered policy declares it."""
        raise NotImplementedError(f"{cls.__qualname__} declares no example")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        inherited = next((p for p in (getattr(base, "policy", "") for base in cls.__mro__[1:]) if p), "")
        if "policy" not in cls.__dict__ or not cls.policy:
            if inherited:
                # Its config would name the parent's policy and load as the parent.
                raise TypeError(
                    f"{cls.__qualname__} subclasses the policy {inherited!r}: declare its own "
                    f'`policy = "..."` name, so that its config loads as {cls.__qualname__}'
                )
            return
        if not isinstance(cls.policy, str):
            raise TypeError(f"{cls.__qualname__}.policy must be a string; got {cls.policy!r}")
        _refuse_taken_name(cls)

    def __new__(cls, *args: Any, **kwargs: Any) -> Schedule:
        # Checked before the dataclass __init__, whose own message names neither the
        # valid parameters nor our name for a peer library's. (Unpickling and copying
        # call __new__ with no arguments.)
        if args:
            name = cls.policy or cls.__qualname__
            raise TypeError(f"{name} takes keyword arguments only; got {len(args)} positional")
        if kwargs and dataclasses.is_dataclass(cls):
            names = parameter_names(cls)
            for name in kwargs:
                if name not in names:
                    ours = cls.peer_names.get(name) or PEER_NAMES.get(name)
                    hint = f" (lrsched calls it {ours})" if ours else ""
                    raise TypeError(
                        f"{cls.policy or cls.__qualname__} got an unexpected keyword {name!r}{hint}; "
                        f"its parameters are {', '.join(names)}"
                    )
        return super().__new__(cls)

    def __post_init__(self) -> None:
        """Check every declared parameter (`lrsched.params`), in declaration order.

        A policy whose parameters constrain each other checks that after calling this.
        """
        check_parameters(self)
        self.__dict__["_parameters_checked"] = True

    def _constructed(self) -> None:
        # A policy's own __post_init__ that forgot to call this one's skipped every check
        # of its declared parameters, silently: they are checked once the value is whole.
        if "_parameters_checked" not in self.__dict__:
            check_parameters(self)

    # -- values ---------------------------------------------------------------------
    def __call__(self, step: Any) -> Any:
        """The value at `step` (>= 0), in the type of `step` (see the module docs)."""
        # `python_step` and `evaluate`'s fast path written in place: the hot path of direct
        # calls and `LambdaLR`, two calls shorter (a valid Python step is an int or float in
        # [0, 2**53]; anything else goes to `evaluate`, which checks it or names it).
        kind = type(step)
        if (kind is int or kind is float) and 0 <= step <= MAX_STEP:
            return float(self._value(float(step), MATH))
        return evaluate(self._value, step)

    def _value(self, t: Any, xp: Namespace) -> Any:
        raise NotImplementedError

    def _log_value(self, t: Any, xp: Namespace) -> Any:
        """The value's logarithm: what a product sums on float32 steps where its factors
        could leave float32's range on the way. A policy whose own value may leave that
        range while the value times a small factor is within it gives its own."""
        return xp.log(self._value(t, xp))

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        """Where the value stands between its floor (0) and its peak (1) at step `t`
        (a non-negative float or array), computed with the namespace `xp`.

        `inverse_momentum` reads this. The default normalises the value by `bounds`;
        cyclic policies give the per-phase position their peers drive momentum by.
        """
        low, high = self.bounds
        if high == low:
            return xp.full_like(t, 0.0)
        return normalised(self._value(t, xp), low, high, t, xp)

    @property
    def rises(self) -> bool:
        """Whether the shape's 1 (its "peak") is the lower level: a decay toward a higher
        `final_lr`, a `multi_step` with gamma above 1. False unless a policy says so."""
        return False

    def height_at(self, t: Any, xp: Namespace) -> Any:
        """Where the value stands between its lowest (0) and its highest (1) level at
        step `t`: `shape_at`, turned over for a schedule that `rises`.

        `inverse_momentum` reads this: momentum is highest where the LR is lowest,
        whichever way the schedule runs. Compositions build theirs from their parts'.
        """
        shape = self.shape_at(t, xp)  # `_height_of`, inlined: a call fewer on the hot path
        return 1.0 - shape if self.rises else shape

    def value_and_height(self, t: Any, xp: Namespace) -> tuple[Any, Any]:
        """`(_value(t), height_at(t))` from one `value_and_shape`."""
        value, shape = self.value_and_shape(t, xp)
        return value, self._height_of(shape)

    def _height_of(self, shape: Any) -> Any:
        return 1.0 - shape if self.rises else shape

    def height_pieces(self, until: float) -> tuple[Piece, ...]:
        """Monotone pieces of `height_at`: `shape_pieces`, turned over for a schedule that `rises`."""
        pieces = self.shape_pieces(until)
        return tuple(flip_trend(p) for p in pieces) if self.rises else pieces

    @property
    def shape_slope(self) -> float:
        """A Lipschitz bound of `shape` (and of `height_at`) between breakpoints."""
        low, high = self.bounds
        return 0.0 if high == low else self.max_slope / (high - low)

    def value_and_shape(self, t: Any, xp: Namespace) -> tuple[Any, Any]:
        """`(_value(t), shape_at(t))`; policies that compute both from one lookup override it."""
        return self._value(t, xp), self.shape_at(t, xp)

    # -- declared shape ----------------------------------------------------------
    @property
    def bounds(self) -> tuple[float, float]:
        raise NotImplementedError

    @property
    def max_slope(self) -> float:
        raise NotImplementedError

    def breakpoints(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        """The steps in [since, until] where the value may jump, in order."""
        return ()

    def pieces(self, until: float) -> tuple[Piece, ...]:
        raise NotImplementedError

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        """Monotone pieces of `shape`; the value's own unless overridden."""
        return self.pieces(until)

    # -- cycles (snapshot ensembles) -------------------------------------------------
    def cycle_ends(self, until: float, since: float = 0.0) -> tuple[float, ...]:
        """Step counts in [since, until] at which a cycle has just ended (the next begins).

        Snapshot ensembles keep the weights there: after that many optimizer updates the
        LR has just finished annealing. A policy without cycles raises `ValueError`.
        """
        raise ValueError(
            f"{self.policy} has no cycles: use cosine_restarts, restarts or cyclic (or a composition with one)"
        )

    def _cycle_state(self, t: Any, xp: Namespace) -> tuple[Any, Any]:
        """(cycle index, offset into the cycle) at step t, exact for whole steps.

        Raises `NoClosedFormError` where the cycle index is known only by counting
        `cycle_ends` (compositions): then only Python steps are answered.
        """
        raise NoClosedFormError(f"{self.policy} has no closed-form cycle index: use cycle_ends(until), Python steps")

    @property
    def has_cycles(self) -> bool:
        try:
            self.cycle_ends(0.0)
        except ValueError:
            return False
        return True

    def cycle_index(self, step: Any) -> Any:
        """How many cycles have ended by `step` (0 in the first cycle), in `step`'s type.

        Array-generic (works under `jax.jit`) for `cosine_restarts`, `restarts` and `cyclic`; for
        compositions, Python steps only.
        """
        self.cycle_ends(0.0)  # a schedule without cycles raises the ValueError that says so
        try:
            return evaluate(lambda t, xp: self._cycle_state(t, xp)[0], step)
        except NoClosedFormError:
            if not isinstance(step, (int, float)) or isinstance(step, bool):
                raise
            return float(len(self.cycle_ends(check_scalar_step(step))))

    def ends_cycle(self, step: Any) -> Any:
        """Whether `step` updates complete a cycle: True at each of `cycle_ends`.

        Array-generic (a boolean array, also inside `jax.jit`) for `cosine_restarts`, `restarts` and
        `cyclic`; for compositions, Python steps only.
        """

        def flag(t: Any, xp: Namespace) -> Any:
            index, offset = self._cycle_state(t, xp)
            return xp.where(offset == 0, xp.where(index >= 1, 1.0, 0.0), 0.0)

        self.cycle_ends(0.0)  # a schedule without cycles raises the ValueError that says so
        try:
            value = evaluate(flag, step)
        except NoClosedFormError:
            if not isinstance(step, (int, float)) or isinstance(step, bool):
                raise
            t = check_scalar_step(step)
            return bool(self.cycle_ends(t, t))
        return bool(value) if isinstance(value, float) else value > 0.5

    # -- value semantics ---------------------------------------------------------
    def to_config(self) -> dict[str, Any]:
        """A JSON-safe dict; `lrsched.from_config` turns it back into an equal schedule."""
        config: dict[str, Any] = {"policy": self.policy}
        for name in parameter_names(type(self)):
            config[name] = _to_plain(getattr(self, name))
        return config

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in parameter_names(type(self)))
        return f"{self.policy}({args})"


PolicyT = TypeVar("PolicyT", bound=type[Schedule])


def _refuse_taken_name(cls: type[Schedule]) -> None:
    taken = Schedule._registry.get(cls.policy)
    if taken is not None and (taken.__module__, taken.__qualname__) != (cls.__module__, cls.__qualname__):
        # Only a re-definition of the same class (a reloaded module, a notebook cell run
        # again) may use a registered name: otherwise configs would load as the wrong
        # schedule.
        raise TypeError(
            f"policy name {cls.policy!r} is taken by {taken.__module__}.{taken.__qualname__}; "
            f"give {cls.__qualname__} a name of its own"
        )


def register(cls: PolicyT) -> PolicyT:
    """Make a policy loadable by its `policy` name (`from_config`, checkpoints, the
    Keras adapter's saved models) and plottable by `lrsched plot`. Used as a class
    decorator; a policy that is not registered still works as a value."""
    if not (isinstance(cls, type) and issubclass(cls, Schedule) and cls.__dict__.get("policy")):
        raise TypeError(f"register takes a Schedule subclass with its own `policy` name; got {cls!r}")
    _refuse_taken_name(cls)
    Schedule._registry[cls.policy] = cls
    cls.__doc__ = DocumentedOnRead(cls.__doc__)  # type: ignore[assignment]  # each Arg gets its declared range
    return cls


class _LevelsCache:
    """`Shaped._ends`, where construction did not store it: the levels, stored in the
    instance on first read. Lock-free (unlike `functools.cached_property` before Python
    3.12, whose lock a tracing compiler cannot follow); a race at worst computes the same
    tuple twice."""

    def __get__(self, obj: Any, cls: type | None = None) -> Any:
        if obj is None:
            return self
        ends = obj._checked_levels()
        obj.__dict__["_ends"] = ends
        return ends


class Shaped(Schedule):
    """A policy that moves between two levels along a shape in [0, 1]::

        value(t) = floor + (peak - floor) * shape(t)       (linear, the default)
        value(t) = floor * (peak / floor) ** shape(t)      (geometric: in log-LR)

    A subclass gives `levels` (floor, peak) and `shape_at(t, xp)`, and declares what it
    knows of the shape: `shape_slope` (a Lipschitz bound; default infinite, no claim),
    `shape_pieces(until)` (its monotone pieces; default one piece, no claim),
    `shape_range` (the part of [0, 1] it covers; default all of it) and `breakpoints`
    (where it may jump; default none). `bounds`, `max_slope` and `pieces` follow; the
    value is never outside `[floor, peak]`.
    """

    geometric: ClassVar[bool] = False
    #: Whether the policy computes its value itself, not from its levels and shape (set
    #: once a subclass is defined: read on the hot path of `value_and_shape`).
    _own_value_formula: ClassVar[bool] = False

    @property
    def levels(self) -> tuple[float, float]:
        """(floor, peak): the values at shape 0 and at shape 1."""
        raise NotImplementedError

    def _checked_levels(self) -> tuple[float, float]:
        """The levels, refused where a geometric shape (in log-LR) could not move between them."""
        floor, peak = self.levels
        if self.geometric and not (floor > 0.0 and peak > 0.0):
            raise ValueError(
                f"{self.policy or type(self).__qualname__} is geometric (it moves in log-LR): both levels must "
                f"be > 0; got floor={floor!r}, peak={peak!r}"
            )
        return floor, peak

    def _constructed(self) -> None:
        super()._constructed()
        # The levels are read on every call: stored in the instance once it is whole (not
        # a field, so == and repr skip it), so that a freshly built schedule is a plain
        # read-only value (a tracing compiler such as torch.compile(fullgraph=True) sees
        # no lazy cache); after every __post_init__, so levels that read a field a
        # subclass derives there are read as derived. A user's own dataclass (whose
        # __init__ the dataclass writes) stores them on first use instead.
        try:
            floor, peak = self.levels
        except Exception:  # an invalid schedule raises its own error on use
            return
        if self.geometric:
            self._checked_levels()
        self.__dict__["_ends"] = (floor, peak)

    _ends = _LevelsCache()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("geometric") is True and "_value" not in cls.__dict__:
            cls._value = Shaped._geometric_value  # type: ignore[method-assign]
        cls._own_value_formula = cls._value not in (Shaped._value, Shaped._geometric_value)

    @property
    def rises(self) -> bool:
        floor, peak = self._ends
        return bool(floor > peak)

    def _value(self, t: Any, xp: Namespace) -> Any:
        floor, peak = self._ends
        return xp.between(floor, peak, self.shape_at(t, xp))

    def _geometric_value(self, t: Any, xp: Namespace) -> Any:
        floor, peak = self._ends
        return self._from_shape(floor, peak, self.shape_at(t, xp), xp)

    def _from_shape(self, floor: float, peak: float, shape: Any, xp: Namespace) -> Any:
        if self.geometric:
            low, high = (floor, peak) if floor <= peak else (peak, floor)
            if narrow(shape, xp):
                # One exp of a sum of logs: floor and peak / floor may leave float32's range
                # (1e-300 flushes to 0, 1e297 to inf: 0 * inf was NaN) where the value does not.
                return xp.clip(xp.exp(math.log(floor) + (math.log(peak) - math.log(floor)) * shape), low, high)
            return xp.clip(floor * xp.exp(math.log(peak / floor) * shape), low, high)
        return xp.between(floor, peak, shape)

    def _log_value(self, t: Any, xp: Namespace) -> Any:
        if self._own_value_formula:
            return xp.log(self._value(t, xp))
        return self._levels_log_value(t, xp)

    def _levels_log_value(self, t: Any, xp: Namespace) -> Any:
        """The log of the value from the levels and the shape; a policy that writes that
        formula out in its own `_value` (for speed) takes this as its `_log_value`."""
        floor, peak = self._ends
        size = max(abs(floor), abs(peak))
        smallest, largest = FLOAT32_SAFE
        if not narrow(t, xp) or size == 0.0 or smallest <= size <= largest:
            return xp.log(self._value(t, xp))
        # Levels beyond float32's sizes (a factor of a product): the size taken out first.
        return math.log(size) + xp.log(self._from_shape(floor / size, peak / size, self.shape_at(t, xp), xp))

    def value_and_shape(self, t: Any, xp: Namespace) -> tuple[Any, Any]:
        if self._own_value_formula:
            return self._value(t, xp), self.shape_at(t, xp)
        shape = self.shape_at(t, xp)
        floor, peak = self._ends
        return self._from_shape(floor, peak, shape, xp), shape

    def shape_at(self, t: Any, xp: Namespace) -> Any:
        raise NotImplementedError

    @property
    def shape_slope(self) -> float:
        return INF

    def shape_pieces(self, until: float) -> tuple[Piece, ...]:
        return clip_pieces([Piece(0.0, INF, None)], until)

    @property
    def shape_range(self) -> tuple[float, float]:
        return (0.0, 1.0)

    @property
    def bounds(self) -> tuple[float, float]:
        floor, peak = self.levels

        def level(r: float) -> float:  # the levels themselves at 0 and 1, not a rounding of them
            return floor if r == 0.0 else peak if r == 1.0 else float(self._from_shape(floor, peak, r, MATH))

        ends = [level(r) for r in self.shape_range]
        return (min(ends), max(ends))

    @property
    def max_slope(self) -> float:
        floor, peak = self.levels
        if floor == peak:
            return 0.0
        if self.geometric:
            # d/dt floor * (peak/floor)**s = value * log(peak/floor) * s': largest at the top.
            return max(floor, peak) * abs(math.log(peak / floor)) * self.shape_slope
        return abs(peak - floor) * self.shape_slope

    def pieces(self, until: float) -> tuple[Piece, ...]:
        floor, peak = self.levels
        return tuple(shift_pieces(self.shape_pieces(until), 0.0, trend_sign=sign(peak - floor)))


@frozen_value
class RestartableDecay(Shaped):
    """One decay from `initial_lr` at step 0 to `final_lr` at `decay_steps`, which
    `restarts` can repeat: the parameters and levels that `cosine_decay`, `polynomial`,
    `rex` and `tanh_decay` share, declared once. A subclass narrows a parameter by
    declaring it again (its place in the signature stays)."""

    restartable = True
    initial_lr: Annotated[float, LR]
    decay_steps: Annotated[float, Steps]
    final_lr: Annotated[float, LRFloor] = 0.0

    @property
    def levels(self) -> tuple[float, float]:
        return (self.final_lr, self.initial_lr)


# Parameter names of torch, optax, Keras and timm schedulers, and lrsched's name for each.
PEER_NAMES = {
    "T_0": "first_cycle_steps",
    "T_mult": "cycle_mult",
    "eta_min": "min_lr / final_lr",
    "T_max": "decay_steps",
    "base_momentum": "inverse_momentum(base_momentum=...)",
    "max_momentum": "inverse_momentum(max_momentum=...)",
    "cycle_momentum": "inverse_momentum(...)",
    "anneal_strategy": "anneal",
    "step_size": "every",
    "init_value": "initial_lr / start_lr",
    "end_value": "final_lr / end_lr",
    "decay_rate": "gamma / drop",
    "peak_value": "max_lr",
    "transition_steps": "decay_steps / num_steps",
    "first_decay_steps": "first_cycle_steps",
    "t_mul": "cycle_mult",
    "m_mul": "peak_decay",
    "initial_learning_rate": "initial_lr",
    "learning_rate": "initial_lr",
    "lr": "initial_lr / max_lr",
    "t_initial": "first_cycle_steps",
    "lr_min": "min_lr",
    "cycle_mul": "cycle_mult",
    "cycle_decay": "peak_decay",
    "warmup_t": "warmup(steps=...)",
    "warmup_steps": "warmup(steps=...)",
    "boundaries_and_scales": "multi_step(milestones=...)",
    "scale_mode": "mode",
    "scale_fn": "mode",
}


class NoClosedFormError(ValueError):
    """The schedule has cycles, but no closed-form (array-generic) cycle index."""


def parameter_names(cls: type[Schedule]) -> list[str]:
    """The constructor's parameters: the dataclass fields set by `__init__`."""
    return [f.name for f in dataclasses.fields(cls) if f.init]


def _to_plain(value: Any) -> Any:
    if isinstance(value, Schedule):
        return value.to_config()
    if isinstance(value, tuple):
        return [_to_plain(v) for v in value]
    return value


def _from_plain(value: Any, depth: int) -> Any:
    if isinstance(value, dict):
        return _from_config(value, depth + 1)
    if isinstance(value, (list, tuple)):  # a tuple too: a config written in Python, or loaded as one
        return tuple(_from_plain(v, depth + 1) for v in value)
    return value


# Deeper configs are refused with a ValueError before Python's recursion limit is hit.
MAX_CONFIG_DEPTH = 64


def from_config(config: dict[str, Any]) -> Schedule:
    """Rebuild a schedule from `Schedule.to_config()` output (nested configs too, up to
    `MAX_CONFIG_DEPTH` levels of dicts and lists or tuples)."""
    return _from_config(config, 0)


def _from_config(config: dict[str, Any], depth: int) -> Schedule:
    if depth > MAX_CONFIG_DEPTH:
        raise ValueError(f"config is nested more than {MAX_CONFIG_DEPTH} levels deep; refusing to load it")
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict; got {type(config).__name__}")
    policy = config.get("policy")
    cls = Schedule._registry.get(policy) if isinstance(policy, str) else None
    if cls is None:
        known = ", ".join(sorted(Schedule._registry))
        raise ValueError(
            f"config['policy'] must be one of {known}; got {policy!r} (a policy of your own loads once its "
            "class is registered with @lrsched.register and its module imported)"
        )
    names = set(parameter_names(cls))
    unknown = sorted(set(config) - names - {"policy"})
    if unknown:
        raise ValueError(f"config for {policy} has unknown keys {unknown}; allowed: {sorted(names)}")
    kwargs = {k: _from_plain(v, depth) for k, v in config.items() if k != "policy"}
    return cls(**kwargs)


# -- helpers shared by policies and adapters ---------------------------------------
def require_schedule(name: str, value: Any, *, nonnegative: bool = False) -> Schedule:
    """`value` if it is a schedule (TypeError otherwise); with `nonnegative`, one whose
    bounds allow no negative value (an LR or momentum must be >= 0)."""
    if not isinstance(value, Schedule):
        raise TypeError(f"{name} must be an lrsched schedule; got {type(value).__name__} {value!r}")
    if nonnegative and value.bounds[0] < 0:
        raise ValueError(f"{name} gives negative values (bounds {value.bounds!r}); it must stay >= 0")
    return value


class Part(Param):
    """An lrsched schedule (with `nonnegative`, one whose bounds stay >= 0)."""

    __slots__ = ("nonnegative",)

    def __init__(self, *, nonnegative: bool = False) -> None:
        self.nonnegative = nonnegative

    def check(self, name: str, value: Any, known: dict[str, Any]) -> Any:
        return require_schedule(name, value, nonnegative=self.nonnegative)

    def describe(self) -> str:
        return "an lrsched schedule"


class Parts(Param):
    """A non-empty list of lrsched schedules. Stored as a tuple."""

    __slots__ = ()

    def check(self, name: str, value: Any, known: dict[str, Any]) -> tuple[Any, ...]:
        parts = sequence_of(name, value)
        if not parts:
            raise ValueError(f"{name} must hold at least one schedule; got []")
        return tuple(require_schedule(f"{name}[{i}]", s) for i, s in enumerate(parts))

    def describe(self) -> str:
        return "a non-empty list of lrsched schedules"


def growing_spans(longest: float) -> Iterator[float]:
    """The spans 1e-3, 1e-2, ... up to `longest` (a power of ten) to ask a schedule's
    pieces over until enough are found: one with millions of tiny pieces then costs no
    more than one with a few."""
    until = 1e-3
    while until <= longest:
        yield until
        until *= 10


def horizon(schedule: Schedule) -> float:
    """A span of steps that shows the whole schedule: past its last declared phase
    change (a piece's end or a breakpoint), or a few cycles (at most 1e4 steps; at least
    10), and at least 200 where the last piece still moves (an exponential, a decay
    that declares one falling piece, such a decay behind a warmup).

    The pieces are asked for over growing spans, so a schedule with millions of tiny
    cycles costs no more than one with a few."""
    last_moves = False  # a few cycles show a schedule of many: its last piece is cut at `until`
    for until in growing_spans(1e4):
        pieces = schedule.pieces(until)
        jumps = schedule.breakpoints(until)
        if len(pieces) + len(jumps) > 64:
            break
    else:  # every piece up to 1e4 read: where the last one still moves, show at least 200 steps
        if pieces and pieces[-1].trend != 0:
            last_moves = True
    within = min(until, 1e4)
    changes = sorted(
        {p.end for p in pieces if math.isfinite(p.end) and p.end < within} | {b for b in jumps if b < within}
    )
    last = changes[:64][-1] if changes else 100.0
    if last_moves:
        last = max(last, 100.0)
    return float(min(max(2 * last, 10.0), 1e4))


def set_field(obj: Schedule, name: str, value: Any) -> None:
    """Store a checked, normalised parameter on a frozen dataclass."""
    object.__setattr__(obj, name, value)


def clip_pieces(pieces: list[Piece], until: float) -> tuple[Piece, ...]:
    """Keep the pieces that start at or before `until`, the last one cut at `until`."""
    out = [Piece(p.start, min(p.end, until), p.trend) for p in pieces if p.start <= until]
    return tuple(p for p in out if p.end > p.start or p.start == until == 0.0)


def k_decayed(done: Any, left: Any, k: float, xp: Namespace) -> tuple[Any, Any]:
    """(d**k, 1 - d**k) for a fraction d = t / H in [0, 1], given also 1 - d as (H - t) / H:
    both from one log d, read from d itself below 1/2 (1 - d rounds d away in float32
    from d < 2**-24, where d**k for a k below 1 is still far from 0) and as
    log1p(-(1 - d)) above (no cancellation near 1); 1 - d**k as -expm1, not by subtraction."""
    early = done < 0.5
    log_done = xp.where(early, xp.log(xp.where(done > 0.0, done, 1.0)), xp.log1p(-xp.where(early, 0.0, left)))
    started = done > 0.0
    return xp.where(started, xp.exp(k * log_done), 0.0), xp.where(started, -xp.expm1(k * log_done), 1.0)


def normalised(value: Any, low: float, high: float, t: Any, xp: Namespace) -> Any:
    """(value - low) / (high - low) for a value within [low, high], in [0, 1]."""
    # The range in the step's own precision: one that float32 flushes to 0 (a range of
    # 1e-140) holds no position to read, and is read as flat (0) rather than 0 / 0; one
    # beyond float32's range (a top that grew past it) is infinite, and no value reads as
    # a place within it.
    span = xp.full_like(t, high - low)
    wide = span > 0.0
    # Clipped only against rounding: the value itself lies within bounds.
    shape = xp.clip((value - low) / xp.where(wide, span, 1.0), 0.0, 1.0)
    return xp.where(wide, shape, 0.0)


def flip_trend(piece: Piece) -> Piece:
    """The piece with its trend turned over (None stays None)."""
    return Piece(piece.start, piece.end, None if piece.trend is None else -piece.trend)


def shift_pieces(pieces: tuple[Piece, ...], offset: float, trend_sign: int = 1) -> list[Piece]:
    def flip(trend: int | None) -> int | None:
        return None if trend is None else trend * trend_sign

    return [Piece(p.start + offset, p.end + offset, flip(p.trend)) for p in pieces]


def multiples(every: float, until: float, since: float = 0.0) -> tuple[float, ...]:
    """The multiples k * every (k >= 1) in [since, until]: the steps where a staircase or a
    cyclic policy jumps, as the same float products that `cycle_position` counts against."""
    if until < since:
        return ()
    # Counted against the products themselves, as `cycle_position` counts: an exact
    # floor (`until // every`) misses the end 5 * 2.2 == 11.0 at until = 11, since 2.2 is
    # a hair above 11/5 and 11 // 2.2 is 4.
    last = math.floor(until / every)
    last = last + 1 if (last + 1) * every <= until else last - 1 if last * every > until else last
    first = max(1, math.ceil(since / every))
    first = first - 1 if first > 1 and (first - 1) * every >= since else first + 1 if first * every < since else first
    return tuple(float(k * every) for k in range(first, last + 1))


def sign(x: float) -> int:
    return (x > 0) - (x < 0)


def cycle_position(t: Any, length: float, xp: Any) -> tuple[Any, Any]:
    """Cycle index k and offset t - k * length: k is the cycle whose start, the float
    product `k * length`, is the last at or before t.

    The float quotient can round across a cycle boundary (for large t, or a length that
    is not a binary fraction: 13 * 2.9 is 37.699999999999996, whose quotient by 2.9 is
    12.999999999999998); one correction either way against the same products that
    `cycle_ends` and `breakpoints` give makes them agree at every step.

    A step narrower than float64 (float32) takes the offset as the exact remainder
    `fmod(t, length)` and k from it: past 2**24 / length the product `k * length` rounds
    in float32, and a step that float32 holds exactly (2**24 + 4) was put in the wrong
    place of its cycle (a whole LR range off).
    """
    if xp is MATH:  # a Python float: the same arithmetic without the namespace's calls (the hot path)
        k = math.floor(t / length)
        if t < k * length:
            k = k - 1.0
        elif t >= (k + 1.0) * length:
            k = k + 1.0
        return k, t - k * length
    if narrow(t, xp):
        offset = xp.fmod(t, length)
        return xp.floor((t - offset) / length + 0.5), offset
    k = xp.floor(t / length)
    k = xp.where(t < k * length, k - 1.0, xp.where(t >= (k + 1.0) * length, k + 1.0, k))
    return k, t - k * length
