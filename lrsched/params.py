"""Parameters declared once: a field's annotation carries the values it accepts.

    @register
    @dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
    class CosineDecay(Shaped):
        policy = "cosine_decay"
        initial_lr: Annotated[float, LR]
        decay_steps: Annotated[float, Steps]
        final_lr: Annotated[float, Interval(ge=0.0, le="initial_lr", scale="lr")] = 0.0

A kind is a declaration only: what it accepts (`check`) and how that reads (`describe`).
Everything else is derived from the declarations by the floor that needs it: the
constructor's checks and their messages (`Schedule.__post_init__` runs
`check_parameters`), the ranges in each docstring, the options of `lrsched plot` (the
command line reads each kind's values), and the Hypothesis strategies of
`lrsched.testing` (registered by kind). A bound may name an earlier parameter
(`high="initial_lr"`): the check and the strategy then use that parameter's value.

The named kinds (`LR`, `Steps`, `Length`, `Factor`, `Fraction`, ...) are the ones the
policies share; bounds read as annotated-types' `gt`/`ge`/`lt`/`le`.

Nothing is clamped or coerced silently: a value outside its range raises `ValueError`,
a value of the wrong kind `TypeError`, each naming the parameter and what it allows.
NumPy scalars are accepted and stored as Python numbers so configs stay JSON-safe.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
import typing
from collections.abc import Callable, Sequence
from typing import Any

# The shortest cycle or step interval a policy accepts: below it, step / length
# overflows for the large steps (up to 2**53) that every schedule must survive.
MIN_LENGTH = 1e-6

Bound = float | str | None


class Param:
    """What one parameter accepts: subclasses check values and describe what they accept.

    Plain classes with `__slots__` rather than dataclasses: `import lrsched` builds a
    few dozen of them, and a dataclass costs a compile of its methods per class.
    """

    __slots__: tuple[str, ...] = ()
    optional: bool = False

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __repr__(self) -> str:
        args = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({args})"

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((type(self), self._fields()))

    def check(self, name: str, value: Any, known: dict[str, Any]) -> Any:
        raise NotImplementedError

    def describe(self) -> str:
        raise NotImplementedError


def _real(
    name: str, value: Any, allowed: str, too_low: Callable[[float], bool], too_high: Callable[[float], bool]
) -> Any:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    try:
        number = float(value)
    except OverflowError:
        message = f"{name} must be a finite number in {allowed}; got an integer beyond the float range"
        raise ValueError(message) from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number in {allowed}; got {value!r}")
    if too_low(number) or too_high(number):
        raise ValueError(f"{name} must be in {allowed}; got {value!r}")
    # An int below 2**31 in size stays an int (step counts read naturally in reprs and
    # configs); every other real becomes a float, which every backend computes with
    # (JAX takes Python ints as int32 and torch as int64: a larger one would overflow).
    if isinstance(value, numbers.Integral) and abs(number) < 2**31:
        return int(value)
    return number


class Interval(Param):
    """A finite real number between two ends, each given as annotated-types reads them:
    `gt`/`ge` (the low end, open or closed), `lt`/`le` (the high end); an end not given
    is unbounded. An end given as a string is the value of that earlier parameter
    (`le="initial_lr"`).

    `scale` tells strategies what kind of number it is: "lr" (spread over decades),
    "steps" (step counts, huge ones too), "factor" (a ratio or power, spread over decades
    on both sides of 1), "linear" (uniform).
    `optional`: None is accepted too (e.g. `step_size_down`: None means "as up");
    `kind.or_none()` is the same kind with None accepted.

    The ends are kept as `low`/`high` with `low_open`/`high_open`, the older spelling,
    which the constructor still takes.
    """

    __slots__ = ("low", "high", "low_open", "high_open", "scale", "optional")

    def __init__(
        self,
        *,
        gt: Bound = None,
        ge: Bound = None,
        lt: Bound = None,
        le: Bound = None,
        scale: str = "linear",
        optional: bool = False,
        low: Bound = None,
        high: Bound = None,
        low_open: bool = False,
        high_open: bool = False,
    ) -> None:
        if sum(end is not None for end in (gt, ge, low)) > 1 or sum(end is not None for end in (lt, le, high)) > 1:
            raise TypeError("Interval takes one low end (gt, ge or low) and one high end (lt, le or high)")
        if gt is not None or ge is not None:
            low, low_open = (gt, True) if gt is not None else (ge, False)
        if lt is not None or le is not None:
            high, high_open = (lt, True) if lt is not None else (le, False)
        self.low, self.high, self.low_open, self.high_open = low, high, low_open, high_open
        self.scale, self.optional = scale, optional

    def __call__(self, *, optional: bool = False) -> Interval:
        """`Length()` and `Length(optional=True)`: the older spelling of `Length` and
        `Length.or_none()`, still accepted."""
        return self.or_none() if optional else self

    def or_none(self) -> Interval:
        """This kind, with None accepted too."""
        return Interval(
            low=self.low,
            high=self.high,
            low_open=self.low_open,
            high_open=self.high_open,
            scale=self.scale,
            optional=True,
        )

    def limits(self, known: dict[str, Any]) -> tuple[float | None, float | None]:
        def resolve(end: Bound) -> float | None:
            if not isinstance(end, str):
                return None if end is None else float(end)
            if end not in known:
                raise TypeError(
                    f"a bound names the parameter {end!r}, which is not declared before this one: declare "
                    f"{end!r} first (a bound reads the parameters declared before it)"
                )
            # An optional parameter left at None sets no bound.
            return None if known[end] is None else float(known[end])

        return resolve(self.low), resolve(self.high)

    def _text(self, low: float | str | None, high: float | str | None) -> str:
        left = "(" if self.low_open or low is None else "["
        right = ")" if self.high_open or high is None else "]"
        lo = "-inf" if low is None else low if isinstance(low, str) else f"{low:g}"
        hi = "inf" if high is None else high if isinstance(high, str) else f"{high:g}"
        return f"{left}{lo}, {hi}{right}"

    def check(self, name: str, value: Any, known: dict[str, Any]) -> Any:
        if value is None and self.optional:
            return None
        low, high = self.limits(known)
        return _real(
            name,
            value,
            self._text(low, high),
            lambda x: low is not None and (x <= low if self.low_open else x < low),
            lambda x: high is not None and (x >= high if self.high_open else x > high),
        )

    def describe(self) -> str:
        text = f"a real number in {self._text(self.low, self.high)}"
        return f"{text}, or None" if self.optional else text


# The kinds the policies share.
LR = Interval(gt=0.0, scale="lr")
"""A learning rate: > 0."""
LRFloor = Interval(ge=0.0, scale="lr")
"""A learning rate that may be 0 (a floor, an end value)."""
Steps = Interval(gt=0.0, scale="steps")
"""A span of steps: > 0 (a decay's length, a horizon)."""
StepsOrZero = Interval(ge=0.0, scale="steps")
"""A span of steps that may be 0 (a warmup that may be absent, a delay)."""
Length = Interval(ge=MIN_LENGTH, scale="steps")
"""A cycle length or interval in steps: finite and >= MIN_LENGTH (1e-6), so that
step / length stays finite for every step up to 2**53."""
Positive = Interval(gt=0.0, scale="lr")
"""A positive number that is not an LR but is drawn like one, over decades up to 10
(a multiplier at each milestone, a polynomial's power)."""
NonNegative = Interval(ge=0.0, scale="lr")
"""As `Positive`, 0 allowed."""
Factor = Interval(gt=0.0, scale="factor")
"""A positive ratio or power (a gamma, a decay rate, an exponent)."""
Growth = Interval(ge=1.0, scale="factor")
"""A multiplier of cycle lengths: >= 1."""
Fraction = Interval(gt=0.0, le=1.0)
"""A fraction in (0, 1]: a multiplier that keeps or shrinks."""
OpenFraction = Interval(gt=0.0, lt=1.0)
"""A fraction strictly between 0 and 1 (a phase's share of the steps)."""
UnitInterval = Interval(ge=0.0, le=1.0)
"""A number in [0, 1] (a momentum, a share that may be 0 or all)."""


class OneOf(Param):
    """One of a few names."""

    __slots__ = ("options",)

    def __init__(self, options: tuple[str, ...]) -> None:
        self.options = tuple(options)

    def check(self, name: str, value: Any, known: dict[str, Any]) -> str:
        if not isinstance(value, str) or value not in self.options:
            allowed = ", ".join(repr(o) for o in self.options)
            raise ValueError(f"{name} must be one of {allowed}; got {value!r}")
        # A str subclass (NumPy's str_, an enum's str mixin) is stored as the plain name:
        # its repr would not read back, and torch's weights_only loading refuses it.
        return str.__str__(value)

    def describe(self) -> str:
        return "one of " + ", ".join(repr(o) for o in self.options)


class Flag(Param):
    """True or False."""

    __slots__ = ()

    def check(self, name: str, value: Any, known: dict[str, Any]) -> bool:
        if isinstance(value, bool):
            return value
        if type(value).__name__ == "bool" and getattr(value, "shape", None) == ():
            return bool(value)  # NumPy's bool (numpy.True_), stored as Python's
        raise TypeError(f"{name} must be True or False; got {type(value).__name__} {value!r}")

    def describe(self) -> str:
        return "True or False"


class Count(Param):
    """A whole number >= `low` (a float with a whole value is taken as that int);
    `optional`: None is accepted too (no limit)."""

    __slots__ = ("low", "optional")

    def __init__(self, *, low: int = 0, optional: bool = False) -> None:
        self.low, self.optional = low, optional

    def check(self, name: str, value: Any, known: dict[str, Any]) -> Any:
        if value is None and self.optional:
            return None
        allowed = f"whole numbers >= {self.low}" + (", or None" if self.optional else "")
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise TypeError(f"{name} must be one of the {allowed}; got {type(value).__name__} {value!r}")
        try:
            number = float(value)
        except OverflowError:
            number = math.inf  # an integer beyond the float range
        if not (math.isfinite(number) and number.is_integer() and self.low <= number < 2**31):
            raise ValueError(f"{name} must be one of the {allowed} (below 2**31); got {value!r}")
        return int(number)

    def describe(self) -> str:
        return f"a whole number >= {self.low}" + (", or None" if self.optional else "")


def sequence_of(name: str, value: Any) -> tuple[Any, ...]:
    """`value` as a tuple, if it is a list or tuple (not a string): a list parameter's first check."""
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a list or tuple; got {type(value).__name__} {value!r}")
    return tuple(value)


class StepList(Param):
    """A sorted list of finite steps >= 0 (> 0 with `positive`), strictly increasing
    with `strict`. Stored as a tuple."""

    __slots__ = ("strict", "positive")

    def __init__(self, *, strict: bool = False, positive: bool = False) -> None:
        self.strict, self.positive = strict, positive

    def check(self, name: str, value: Any, known: dict[str, Any]) -> tuple[Any, ...]:
        step = Interval(low=0.0)
        items = tuple(step.check(f"{name}[{i}]", v, known) for i, v in enumerate(sequence_of(name, value)))
        if self.positive and items and items[0] <= 0:
            raise ValueError(f"{name} must be > 0; got {list(value)!r}")
        for i in range(1, len(items)):
            if items[i] < items[i - 1] or (self.strict and items[i] == items[i - 1]):
                order = "strictly increasing" if self.strict else "sorted (non-decreasing)"
                raise ValueError(f"{name} must be {order}; got {list(value)!r}")
        return items

    def describe(self) -> str:
        order = "strictly increasing" if self.strict else "sorted"
        return f"a {order} list of steps {'> 0' if self.positive else '>= 0'}"


class Declared(typing.NamedTuple):
    """One declared parameter of a policy."""

    name: str
    param: Param | None  # None: a field without a declaration (a user's plain field)
    default: Any  # dataclasses.MISSING when required

    @property
    def required(self) -> bool:
        return self.default is dataclasses.MISSING


_declarations: dict[type, tuple[Declared, ...]] = {}


def declared(cls: type) -> tuple[Declared, ...]:
    """The constructor's parameters of a dataclass policy, in order, with their declarations."""
    found = _declarations.get(cls)
    if found is None:
        try:
            hints = typing.get_type_hints(cls, include_extras=True)
        except Exception as error:  # a user's annotation naming something not importable
            declaring = [f.name for f in dataclasses.fields(cls) if f.init and "Annotated[" in str(f.type)]
            if declaring:
                # Its declarations would be skipped, and with them every check and draw.
                raise TypeError(
                    f"{cls.__qualname__}'s annotations cannot be read ({type(error).__name__}: {error}), so the "
                    f"kinds declared on {', '.join(declaring)} would be skipped: define the names they use "
                    "where the class is defined (at module level, not in a function)"
                ) from error
            hints = {}
        out = []
        for field in dataclasses.fields(cls):
            if not field.init:
                continue
            metadata = getattr(hints.get(field.name), "__metadata__", ())
            for kind in metadata:
                if isinstance(kind, type) and issubclass(kind, Param):
                    # The class itself declares nothing: validation and draws would skip it silently.
                    raise TypeError(
                        f"{cls.__qualname__}.{field.name} is annotated with the class {kind.__name__}: declare "
                        f"an instance of it, {kind.__name__}(...) (as Flag(), Count(low=1), OneOf(...))"
                    )
            param = next((m for m in metadata if isinstance(m, Param)), None)
            default = field.default
            if default is dataclasses.MISSING and field.default_factory is not dataclasses.MISSING:
                default = field.default_factory()
            out.append(Declared(field.name, param, default))
        found = _declarations[cls] = tuple(out)
    return found


def check_parameters(obj: Any) -> None:
    """Check every declared parameter of `obj` in order; store the normalised values."""
    known: dict[str, Any] = {}
    for item in declared(type(obj)):
        value = getattr(obj, item.name)
        if item.param is not None:
            value = item.param.check(item.name, value, known)
            object.__setattr__(obj, item.name, value)
        known[item.name] = value


def _allowed(item: Declared) -> str:
    what = item.param.describe() if item.param is not None else "any value"
    return f"{what}; " + ("required" if item.required else f"default {item.default!r}")


class DocumentedOnRead:
    """A policy's `__doc__`, completed by `document` when first read: reading the
    declarations at import would cost `import lrsched` a few milliseconds."""

    def __init__(self, raw: str | None) -> None:
        self.raw: str | None = raw
        self.text: str | None = None

    def __get__(self, obj: Any, cls: type | None = None) -> str | None:
        if self.text is None and cls is not None:
            self.text = document(cls, self.raw)
        return self.text if self.text is not None else self.raw


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _arg_entries(lines: list[str]) -> dict[str, list[int]]:
    """The line numbers of each entry of a docstring's "Args:" section, by parameter
    name: an entry is `name: text` one level in, continued by deeper lines."""
    start = next((i for i, line in enumerate(lines) if line.strip() == "Args:"), None)
    if start is None:
        return {}
    entry_indent = _indent(lines[start]) + 4
    entries: dict[str, list[int]] = {}
    name = ""
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if not line.strip():
            break
        head, colon, _ = line.strip().partition(":")
        if _indent(line) == entry_indent and colon and head.isidentifier():
            name = head
            entries[name] = [i]
        elif _indent(line) <= entry_indent:
            break
        elif name:
            entries[name].append(i)
    return entries


def document(cls: type, doc: str | None) -> str | None:
    """The docstring `doc` of a policy with each parameter's entry in "Args:" followed by
    what its declaration accepts, so the docs state the ranges the constructor checks."""
    if not doc or "Args:" not in doc:
        return doc
    allowed = {item.name: _allowed(item) for item in declared(cls)}
    lines = doc.split("\n")
    for name, where in _arg_entries(lines).items():
        if name in allowed:
            lines[where[-1]] += f" [{allowed[name]}]"
    return "\n".join(lines)


def argument_docs(cls: type) -> dict[str, str]:
    """Each parameter's text from the "Args:" section of the policy's docstring."""
    import inspect

    lines = inspect.cleandoc(cls.__doc__ or "").splitlines()
    return {
        name: " ".join([lines[where[0]].strip().partition(":")[2].strip()] + [lines[i].strip() for i in where[1:]])
        for name, where in _arg_entries(lines).items()
    }


def describe(cls: type) -> str:
    """The parameters of a policy, one per line: name, what it accepts, the default."""
    return "\n".join(f"{item.name}: {_allowed(item)}" for item in declared(cls))


def check_repeating_length(name: str, value: float, because: str) -> None:
    """A length that repeats without end (a period, a stair) must be a `Length` (>= MIN_LENGTH):
    a shorter one has more breakpoints in a horizon than memory holds."""
    if not value >= MIN_LENGTH:
        raise ValueError(f"{name} must be in [{MIN_LENGTH!r}, inf) {because}; got {value!r}")
