"""The one seam that decides how a schedule computes on a given step type.

A policy is written once against the small set of operations below. `namespace_for`
looks at the step's type and hands back the matching namespace:

| step                         | namespace | answer                          |
|------------------------------|-----------|---------------------------------|
| Python int / float           | `MATH`    | Python float                    |
| NumPy array / scalar, list   | `NUMPY`   | float64 array (NumPy scalar 0-d)|
| JAX array or tracer          | jax.numpy | JAX array of the default float  |
| torch tensor                 | torch     | tensor (floating dtype kept)    |
| TensorFlow tensor            | tf.math   | tensor (float32 for int steps)  |
| Keras variable / tensor      | converted by `keras.ops`, then as its backend's tensor |

A framework namespace is built only when a step of that framework arrives, so the
framework is already imported by the caller: this module never imports one itself.

`select(t, knots, branch, *args)` evaluates a piecewise function: `branch(k, t, xp,
*args)` holds on `[knots[k-1], knots[k])` (k = number of knots <= t). The scalar
namespace calls just the branch that applies (the fast path); NumPy evaluates each
branch on its own slice (a view when the steps are sorted); tracing frameworks evaluate
every branch and combine them with `where`, which keeps `jit`, `vmap` and `grad` safe.
Branches must therefore be finite for any `t >= 0` — policies clamp before dividing.

`per_index(fn, i)` is `fn(i)` for an array `i` of whole numbers (a cycle count): NumPy
evaluates `fn` once per whole number in `i`'s range and looks the values up, which gives
the same values (NumPy's functions answer each element alike whatever the array around
it) for a few passes over the steps instead of `fn`'s own.
"""

from __future__ import annotations

import bisect
import math
import sys
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

Branch = Callable[..., Any]
# A cycle computed from its formula: (steps, xp) -> (index, offset into the cycle, cycle length).
Cycle = Callable[[Any, Any], tuple[Any, Any, Any]]
_bisect_right = bisect.bisect_right


class Namespace(Protocol):
    """The operations a policy's math may use, on a step `t` of any supported type.

    Arguments and results are Python floats or arrays of the step's framework; a
    constant operand may be a Python number. Policies are written against this alone.
    """

    name: str

    def floor(self, x: Any, /) -> Any: ...
    def cos(self, x: Any, /) -> Any: ...
    def sin(self, x: Any, /) -> Any: ...
    def exp(self, x: Any, /) -> Any: ...
    def log(self, x: Any, /) -> Any: ...
    def expm1(self, x: Any, /) -> Any: ...
    def log1p(self, x: Any, /) -> Any: ...
    def abs(self, x: Any, /) -> Any: ...
    def minimum(self, a: Any, b: Any, /) -> Any: ...
    def maximum(self, a: Any, b: Any, /) -> Any: ...
    def where(self, cond: Any, a: Any, b: Any, /) -> Any: ...
    def clip(self, x: Any, low: float, high: float, /) -> Any: ...
    def between(self, low: float, high: float, fraction: Any, /) -> Any:
        """`low + (high - low) * fraction`, held inside [low, high] against rounding."""
        ...

    def fmod(self, x: Any, y: float, /) -> Any:
        """The remainder of x by y (x >= 0, y > 0), exact in every precision: IEEE's
        fmod rounds nothing, where `x - floor(x / y) * y` rounds the product."""
        ...

    def power(self, x: Any, p: float, /) -> Any:
        """`x**p` for x in [0, 1] and p > 0, and x itself for p = 1: Python steps and NumPy
        take libm's `pow`; traced frameworks exp(p log x) with 0 kept at 0 (no log(0)
        evaluated, which would give NaN gradients)."""
        ...

    def full_like(self, t: Any, value: float, /) -> Any:
        """`value` everywhere, in the shape and floating type of the step `t`."""
        ...

    def eps(self, t: Any, /) -> float:
        """The machine epsilon of the step's floating type."""
        ...

    def select(self, t: Any, knots: Sequence[float], branch: Branch, /, *args: Any) -> Any:
        """`branch(k, t, xp, *args)` on `[knots[k-1], knots[k])`, k = #knots <= t."""
        ...

    def select_pair(self, t: Any, knots: Sequence[float], branch: Branch, /, *args: Any) -> tuple[Any, Any]:
        """`select` for a branch that returns two values (e.g. a value and a shape)."""
        ...

    def per_index(self, fn: Callable[[Any], Any], index: Any, /) -> Any:
        """`fn(index)` for an `index` of whole numbers (a cycle count), elementwise in
        `index`: NumPy computes `fn` once per whole number in the index's range."""
        ...

    def tabled_cycle(self, starts: tuple[float, ...], t: Any, compute: Cycle, /) -> tuple[Any, Any, Any]:
        """(cycle index, offset into the cycle, cycle length) at `t`: from a table of the
        first cycles' `starts` (Python floats, the first 0) where a step lies before the
        last of them, by bisection (NumPy: `searchsorted`), and from `compute(steps, xp)`
        for the steps past it. Tracing frameworks compute every step."""
        ...


#: The last step a schedule answers for: float64 counts whole steps exactly up to it, and
#: beyond it a step's place within a cycle or a phase is lost to rounding (a cycle's
#: arithmetic overflows at the float range's end, NaN or an OverflowError).
MAX_STEP = 2.0**53


def check_scalar_step(step: float) -> float:
    """A Python step as a float: in [0, 2**53] (ValueError otherwise: NaN, inf, a
    negative step, one past 2**53)."""
    try:
        t = float(step)
    except OverflowError:
        raise ValueError("step must be a finite number in [0, 2**53]; got an integer beyond the float range") from None
    if not 0.0 <= t <= MAX_STEP:  # also False for NaN
        raise ValueError(f"step must be a finite number in [0, 2**53]; got {step!r}")
    return t


def _require(steps_ok: bool) -> None:
    if not steps_ok:
        raise ValueError("step must be finite and in [0, 2**53]; got a negative, non-finite or larger value")


def _dtype_error(dtype: Any) -> TypeError:
    return TypeError(f"step must be a number or an array of integers or floats; got dtype {dtype}")


# Steps of a floating type narrower than this are computed in float32: float16 overflows
# at 65504 and bfloat16 holds only 8 bits of the step.
MIN_FLOAT_BITS = 32


def _select_pair(xp: Any, t: Any, knots: Sequence[float], branch: Branch, *args: Any) -> tuple[Any, Any]:
    """Arrays: each of the two values selected on its own (a branch may be a number)."""

    def first(*call: Any) -> Any:
        return branch(*call)[0]

    def second(*call: Any) -> Any:
        return branch(*call)[1]

    return xp.select(t, knots, first, *args), xp.select(t, knots, second, *args)


def float32_edges(knots: Sequence[float]) -> list[float]:
    """Each knot as the first float32 at or above it: a float32 step lies before a knot
    exactly when it lies before that edge. Compared as itself, a knot float32 does not
    hold rounds to the nearest float32, which may lie below it: a drop at 2**25 + 2 came
    at the count 2**25, three updates early, though float32 holds 2**25 exactly."""
    with np.errstate(over="ignore"):  # a knot beyond float32's range: inf, after every step
        edges = np.asarray(knots, dtype=np.float64).astype(np.float32)
    below = edges.astype(np.float64) < np.asarray(knots, dtype=np.float64)
    edges[below] = np.nextafter(edges[below], np.float32(np.inf))
    return [float(edge) for edge in edges]


def _power(xp: Any, x: Any, p: float) -> Any:
    if p == 1.0:
        return x  # exactly: exp(log x) need not give x back
    positive = x > 0.0
    return xp.where(positive, xp.exp(p * xp.log(xp.where(positive, x, 1.0))), 0.0)


def _between(xp: Any, low: float, high: float, fraction: Any) -> Any:
    value = low + (high - low) * fraction
    return xp.clip(value, low, high) if low <= high else xp.clip(value, high, low)


class MathNamespace:
    """Python floats through `math`: the fast path for direct calls and `LambdaLR`."""

    name = "math"
    floor = staticmethod(math.floor)
    cos = staticmethod(math.cos)
    sin = staticmethod(math.sin)
    exp = staticmethod(math.exp)
    log = staticmethod(math.log)
    expm1 = staticmethod(math.expm1)
    log1p = staticmethod(math.log1p)
    fmod = staticmethod(math.fmod)
    abs = staticmethod(abs)

    # Written out, not the builtins: `min(a, b)` costs three times as much on two floats
    # (it takes any iterable), and this is the hot path. The same answer as the builtins
    # to the letter, a NaN included: the first argument unless the second is beyond it.
    @staticmethod
    def minimum(a: Any, b: Any) -> Any:
        return b if b < a else a

    @staticmethod
    def maximum(a: Any, b: Any) -> Any:
        return b if b > a else a

    @staticmethod
    def where(cond: Any, a: Any, b: Any) -> Any:
        return a if cond else b

    @staticmethod
    def clip(x: Any, low: float, high: float) -> Any:
        return low if x < low else high if x > high else x

    @staticmethod
    def between(low: float, high: float, fraction: Any) -> Any:
        x = low + (high - low) * fraction
        if low > high:
            low, high = high, low
        return low if x < low else high if x > high else x

    @staticmethod
    def power(x: Any, p: float) -> Any:
        return x**p  # pow (x in [0, 1], p > 0: 0 stays 0, 1 stays 1, x**1 is x)

    @staticmethod
    def full_like(t: Any, value: float) -> float:
        return float(value)

    @staticmethod
    def eps(t: Any) -> float:
        return sys.float_info.epsilon

    @staticmethod
    def select(t: float, knots: Sequence[float], branch: Branch, *args: Any) -> Any:
        # Plain calls for none or one extra argument: unpacking `*args` costs a third more.
        if not args:
            return branch(_bisect_right(knots, t), t, MATH)
        if len(args) == 1:
            return branch(_bisect_right(knots, t), t, MATH, args[0])
        return branch(_bisect_right(knots, t), t, MATH, *args)

    select_pair = select  # one branch call gives both values

    @staticmethod
    def per_index(fn: Callable[[Any], Any], index: Any) -> Any:
        return fn(index)

    @staticmethod
    def tabled_cycle(starts: tuple[float, ...], t: float, compute: Cycle) -> tuple[Any, Any, Any]:
        if not t < starts[-1]:
            return compute(t, MATH)
        k = bisect.bisect_right(starts, t)  # >= 1: the first start is 0
        start = starts[k - 1]
        return float(k - 1), t - start, starts[k] - start

    @staticmethod
    def prepare(step: Any) -> float:
        return check_scalar_step(step)

    @staticmethod
    def finish(value: Any) -> float:
        return float(value)

    @staticmethod
    def run(value_fn: Callable[[Any, Any], Any], t: Any) -> Any:
        return float(value_fn(t, MATH))


# NumPy steps are computed in blocks of this many (512 KiB of float64 per temporary).
CHUNK = 65536

# `NumpyNamespace.per_index` looks values up for arrays of at least this many steps
# holding at most one whole number per this many steps (else it computes them in place).
PER_INDEX_MIN = 64


def _holds_bool(sequence: list[Any] | tuple[Any, ...]) -> bool:
    """Whether a (nested) list or tuple of steps holds a bool, which NumPy would take as 0 or 1."""
    return any(isinstance(x, (bool, np.bool_)) or (isinstance(x, (list, tuple)) and _holds_bool(x)) for x in sequence)


class NumpyNamespace:
    """NumPy float64, vectorised; each branch of `select` sees only its own slice."""

    name = "numpy"
    floor = staticmethod(np.floor)
    cos = staticmethod(np.cos)
    sin = staticmethod(np.sin)
    exp = staticmethod(np.exp)
    log = staticmethod(np.log)
    expm1 = staticmethod(np.expm1)
    log1p = staticmethod(np.log1p)
    fmod = staticmethod(np.fmod)
    abs = staticmethod(np.abs)
    minimum = staticmethod(np.minimum)
    maximum = staticmethod(np.maximum)
    where = staticmethod(np.where)
    clip = staticmethod(np.clip)

    @classmethod
    def between(cls, low: float, high: float, fraction: Any) -> Any:
        return _between(cls, low, high, fraction)

    @staticmethod
    def power(x: Any, p: float) -> Any:
        return np.power(x, p)  # pow (NumPy's may differ from libm's in the last bit); no gradient here

    @classmethod
    def select_pair(cls, t: Any, knots: Sequence[float], branch: Branch, *args: Any) -> tuple[Any, Any]:
        return _select_pair(cls, t, knots, branch, *args)

    @staticmethod
    def full_like(t: Any, value: float) -> Any:
        return np.full_like(t, value, dtype=np.float64)

    @staticmethod
    def eps(t: Any) -> float:
        return float(np.finfo(np.float64).eps)

    @classmethod
    def select(cls, t: np.ndarray, knots: Sequence[float], branch: Branch, *args: Any) -> Any:
        if t.ndim == 0:
            return branch(bisect.bisect_right(knots, float(t)), t, cls, *args)
        # Work on a fresh C-ordered copy of the steps and a fresh C-ordered answer, so any
        # layout of the input (Fortran order, strides, negative strides, broadcast
        # views) gives exactly the scalar values: `ravel` of a non-contiguous array is a
        # copy, and writing into it would leave the answer unset.
        flat = np.array(t, dtype=np.float64, order="C").reshape(-1)
        out = np.empty(flat.size, dtype=np.float64)
        if flat.size > 1 and not np.all(flat[1:] >= flat[:-1]):
            index = np.searchsorted(np.asarray(knots, dtype=np.float64), flat, side="right")
            for k in range(len(knots) + 1):
                mask = index == k
                if mask.any():
                    out[mask] = branch(k, flat[mask], cls, *args)
            return out.reshape(t.shape)
        # Sorted steps (the usual arange): each branch works on a contiguous slice.
        edges = [0, *np.searchsorted(flat, knots, side="left").tolist(), flat.size]
        for k in range(len(knots) + 1):
            if edges[k + 1] > edges[k]:
                out[edges[k] : edges[k + 1]] = branch(k, flat[edges[k] : edges[k + 1]], cls, *args)
        return out.reshape(t.shape)

    @staticmethod
    def per_index(fn: Callable[[Any], Any], index: Any) -> Any:
        """`fn` over the whole numbers from the index's lowest to its highest, then
        looked up: a cycle count of a block of steps spans a few values, and `fn` (a
        cycle's start, its top) costs several transcendental passes over the steps.
        The values are `fn(index)`'s own, element for element (NumPy's functions
        answer each element alike whatever the array around it)."""
        if np.size(index) < PER_INDEX_MIN:  # a 0-d step, or a Python number
            return fn(index)
        low, high = float(index.min()), float(index.max())
        # Few values, all exact in float64 (an infinite or NaN index is computed in place).
        if not (high - low < index.size // PER_INDEX_MIN and low > -(2.0**52) and high < 2.0**52):
            return fn(index)
        values = np.broadcast_to(fn(np.arange(low, high + 1.0)), (int(high - low) + 1,))
        return np.take(values, (index - low).astype(np.intp))

    @classmethod
    def tabled_cycle(cls, starts: tuple[float, ...], t: Any, compute: Cycle) -> tuple[Any, Any, Any]:
        below = t < starts[-1]
        if not np.any(below):
            return compute(t, cls)
        table = np.asarray(starts)
        k = np.searchsorted(table, np.where(below, t, 0.0), side="right")  # >= 1: the first start is 0
        start = np.take(table, k - 1)
        index, offset, length = (k - 1).astype(np.float64), t - start, np.take(table, k) - start
        if np.all(below):
            return index, offset, length
        # Each step by itself, as a Python step is: the table before its last start, the
        # computed cycle past it (whatever other steps the array holds).
        past = ~below
        for out, computed in zip((index, offset, length), compute(t[past], cls), strict=True):
            out[past] = computed
        return index, offset, length

    @staticmethod
    def prepare(step: Any) -> np.ndarray:
        if isinstance(step, (list, tuple)) and _holds_bool(step):
            raise TypeError("step must be a number or an array of numbers; got a bool in the sequence")
        t = np.asarray(step)
        # Kinds: signed and unsigned integers, floats (a timedelta64 counts as an integer
        # to issubdtype, and its unit would be dropped).
        if t.dtype.kind not in "iuf":
            raise _dtype_error(t.dtype)
        t = t.astype(np.float64, copy=False)
        valid = (t >= 0.0) & (t <= MAX_STEP)  # False for NaN
        if not np.all(valid):
            bad = t[~valid].ravel()[0]
            raise ValueError(f"step must be finite and in [0, 2**53]; got {bad!r} in the array")
        return t

    @staticmethod
    def finish(value: Any) -> Any:
        out = np.asarray(value, dtype=np.float64)
        return out[()] if out.ndim == 0 else out

    @classmethod
    def run(cls, value_fn: Callable[[Any, Any], Any], t: np.ndarray) -> Any:
        """`value_fn` over the steps in blocks of CHUNK: each block's temporaries stay in
        cache and their memory is reused, where whole-array temporaries of a million
        steps would each be fresh memory (1.5-2x faster for 1e6 steps)."""
        if t.size <= CHUNK:
            return cls.finish(value_fn(t, cls))
        flat = np.ascontiguousarray(t).reshape(-1)
        out = np.empty(flat.size, dtype=np.float64)
        for start in range(0, flat.size, CHUNK):
            out[start : start + CHUNK] = value_fn(flat[start : start + CHUNK], cls)
        return out.reshape(t.shape)


class _ArrayNamespace:
    """Tracing frameworks: every branch is evaluated and the results merged by `where`.

    Subclasses supply the framework's functions, and the vocabulary `prepare` is written
    in: how a step becomes the framework's array (`_as_array`), what kind of number its
    dtype holds (`_kind`), its floating width (`_bits`), a cast (`_cast`), the float type
    of integer steps (`_int_float`), and whether the step has values to check
    (`_has_values`: not while a compiler traces it).
    """

    name = "array"
    _float32: Any
    _all: Callable[[Any], Any]

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        raise NotImplementedError

    def full_like(self, t: Any, value: float) -> Any:
        raise NotImplementedError

    def eps(self, t: Any) -> float:
        raise NotImplementedError

    def between(self, low: float, high: float, fraction: Any) -> Any:
        return _between(self, low, high, fraction)

    def power(self, x: Any, p: float) -> Any:
        return _power(self, x, p)

    def select_pair(self, t: Any, knots: Sequence[float], branch: Branch, *args: Any) -> tuple[Any, Any]:
        return _select_pair(self, t, knots, branch, *args)

    def select(self, t: Any, knots: Sequence[float], branch: Branch, *args: Any) -> Any:
        # A branch may be a plain number: give the first the step's shape and dtype,
        # so that every `where` below has an array on one side.
        out = branch(len(knots), t, self, *args) + self.full_like(t, 0.0)
        edges = knots if self.eps(t) < 1e-10 else float32_edges(knots)
        for k in range(len(knots) - 1, -1, -1):
            out = self.where(t < edges[k], branch(k, t, self, *args), out)
        return out

    @staticmethod
    def per_index(fn: Callable[[Any], Any], index: Any) -> Any:
        return fn(index)  # traced: no values to look up by

    def tabled_cycle(self, starts: tuple[float, ...], t: Any, compute: Cycle) -> tuple[Any, Any, Any]:
        return compute(t, self)  # traced: no values to bisect by

    def prepare(self, step: Any) -> Any:
        """The step as a floating array of the framework: integers become `_int_float`,
        floats narrower than MIN_FLOAT_BITS float32; bool, complex and other dtypes are
        refused, and a step with values must be finite and >= 0."""
        t = self._as_array(step)
        kind = self._kind(t)
        if kind is None:
            raise _dtype_error(self._dtype_name(t))
        if kind == "integer":
            t = self._cast(t, self._int_float())
        elif self._bits(t) < MIN_FLOAT_BITS:
            t = self._cast(t, self._float32)
        if self._has_values(t):
            _require(bool(self._all((t >= 0) & (t <= MAX_STEP))))  # False for NaN
        return t

    def _as_array(self, step: Any) -> Any:
        raise NotImplementedError

    def _kind(self, t: Any) -> str | None:
        """The kind of number the step's dtype holds: "integer", "floating", or None (no step)."""
        raise NotImplementedError

    def _dtype_name(self, t: Any) -> Any:
        return t.dtype

    def _bits(self, t: Any) -> int:
        raise NotImplementedError

    def _cast(self, t: Any, dtype: Any) -> Any:
        raise NotImplementedError

    def _int_float(self) -> Any:
        raise NotImplementedError

    def _has_values(self, t: Any) -> bool:
        raise NotImplementedError

    @staticmethod
    def finish(value: Any) -> Any:
        return value

    def run(self, value_fn: Callable[[Any, Any], Any], t: Any) -> Any:
        return self.finish(value_fn(t, self))


class JaxNamespace(_ArrayNamespace):
    name = "jax"

    def __init__(self) -> None:
        import jax
        import jax.numpy as jnp

        self._jax, self._jnp = jax, jnp
        self.floor, self.cos, self.exp, self.log = jnp.floor, jnp.cos, jnp.exp, jnp.log
        self.sin = jnp.sin
        self.expm1, self.log1p, self.abs = jnp.expm1, jnp.log1p, jnp.abs
        self.fmod = jnp.fmod
        self.minimum, self.maximum, self.clip = jnp.minimum, jnp.maximum, jnp.clip
        self._float32, self._all = jnp.float32, jnp.all

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        return self._jnp.where(cond, a, b)

    def full_like(self, t: Any, value: float) -> Any:
        return self._jnp.full_like(t, value)

    def eps(self, t: Any) -> float:
        return float(self._jnp.finfo(t.dtype).eps)  # type: ignore[no-untyped-call]

    def _as_array(self, step: Any) -> Any:
        return self._jnp.asarray(step)

    def _kind(self, t: Any) -> str | None:
        jnp = self._jnp
        if t.dtype == jnp.bool_:
            return None
        if jnp.issubdtype(t.dtype, jnp.integer):
            return "integer"
        return "floating" if jnp.issubdtype(t.dtype, jnp.floating) else None

    def _bits(self, t: Any) -> int:
        return int(self._jnp.finfo(t.dtype).bits)  # type: ignore[no-untyped-call]

    def _cast(self, t: Any, dtype: Any) -> Any:
        return t.astype(dtype)

    def _int_float(self) -> Any:
        # An int32 optax count becomes the default float (float32 unless x64 is on).
        return self._jnp.result_type(float)

    def _has_values(self, t: Any) -> bool:
        return not isinstance(t, self._jax.core.Tracer)  # a traced step has no value to check


def _dtype_rounded(bound: float, largest: float) -> float:
    """`bound` as a dtype whose largest finite number is `largest` rounds it: infinite beyond."""
    return bound if abs(bound) <= largest else math.copysign(math.inf, bound)


class TorchNamespace(_ArrayNamespace):
    name = "torch"

    def __init__(self) -> None:
        import torch

        self._torch = torch
        self.floor, self.cos, self.exp, self.log = torch.floor, torch.cos, torch.exp, torch.log
        self.sin = torch.sin
        self.expm1, self.log1p, self.abs = torch.expm1, torch.log1p, torch.abs
        self.fmod = torch.fmod
        self._float32, self._all = torch.float32, torch.all

    def clip(self, x: Any, low: float, high: float) -> Any:
        if isinstance(x, self._torch.Tensor):
            if x.is_floating_point():
                # A bound beyond the dtype's range (an LR above float32's largest number) is
                # that dtype's infinity, as its rounding would make it: torch refuses it as is.
                largest = float(self._torch.finfo(x.dtype).max)
                low, high = (_dtype_rounded(bound, largest) for bound in (low, high))
            return self._torch.clamp(x, low, high)
        return MathNamespace.clip(x, low, high)

    def eps(self, t: Any) -> float:
        return float(self._torch.finfo(t.dtype).eps)

    def full_like(self, t: Any, value: float) -> Any:
        try:
            return self._torch.full_like(t, value)
        except RuntimeError:  # beyond the dtype's range: torch refuses, NumPy/JAX/TF give inf
            return self._torch.full_like(t, math.copysign(math.inf, value))

    def _tensors(self, a: Any, b: Any) -> tuple[Any, Any]:
        """Both operands as tensors of the tensor side's dtype (float64 steps stay float64)."""
        tensor = self._torch.Tensor
        ref = a if isinstance(a, tensor) else b
        a = a if isinstance(a, tensor) else self._torch.as_tensor(a, dtype=ref.dtype, device=ref.device)
        b = b if isinstance(b, tensor) else self._torch.as_tensor(b, dtype=ref.dtype, device=ref.device)
        return a, b

    def minimum(self, a: Any, b: Any) -> Any:
        return self._torch.minimum(*self._tensors(a, b))

    def maximum(self, a: Any, b: Any) -> Any:
        return self._torch.maximum(*self._tensors(a, b))

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        if not isinstance(a, self._torch.Tensor) and not isinstance(b, self._torch.Tensor):
            a = self._torch.as_tensor(a, dtype=self._torch.get_default_dtype(), device=cond.device)
        return self._torch.where(cond, *self._tensors(a, b))

    def _as_array(self, step: Any) -> Any:
        return step  # a tensor already

    def _kind(self, t: Any) -> str | None:
        if t.dtype == self._torch.bool or t.is_complex():
            return None
        if t.is_meta:
            raise TypeError("step is a tensor on the meta device: it has no values to compute a schedule from")
        return "floating" if t.is_floating_point() else "integer"

    def _bits(self, t: Any) -> int:
        return int(self._torch.finfo(t.dtype).bits)

    def _cast(self, t: Any, dtype: Any) -> Any:
        return t.to(dtype)

    def _int_float(self) -> Any:
        return self._torch.get_default_dtype()

    def _has_values(self, t: Any) -> bool:
        return not getattr(self._torch.compiler, "is_compiling", lambda: False)()


class TensorflowNamespace(_ArrayNamespace):
    name = "tensorflow"

    def __init__(self) -> None:
        import tensorflow as tf

        self._tf = tf
        self.floor, self.cos, self.exp = tf.math.floor, tf.math.cos, tf.math.exp
        self.sin = tf.math.sin
        self.log, self.minimum, self.maximum = tf.math.log, tf.math.minimum, tf.math.maximum
        self.expm1, self.log1p, self.abs = tf.math.expm1, tf.math.log1p, tf.math.abs
        self.fmod = tf.math.floormod  # fmod for the non-negative operands it is given
        self._float32, self._all = tf.float32, tf.reduce_all

    def clip(self, x: Any, low: float, high: float) -> Any:
        return self._tf.clip_by_value(x, low, high)

    def eps(self, t: Any) -> float:
        return float(np.finfo(t.dtype.as_numpy_dtype).eps)

    def _in(self, x: Any, dtype: Any) -> Any:
        """`x` as a tensor of `dtype`: a Python number converted straight to it (tf.cast
        would make it a float32 tensor first, rounding 0.1 for a float64 step)."""
        tf = self._tf
        return tf.cast(x, dtype) if tf.is_tensor(x) else tf.constant(x, dtype=dtype)

    def full_like(self, t: Any, value: float) -> Any:
        return self._tf.fill(self._tf.shape(t), self._in(value, t.dtype))

    def where(self, cond: Any, a: Any, b: Any) -> Any:
        # tf.where neither broadcasts Python numbers nor mixes dtypes: bring both to
        # the dtype of whichever side is a tensor, and to the condition's shape.
        tf = self._tf
        dtype = a.dtype if tf.is_tensor(a) else b.dtype if tf.is_tensor(b) else tf.float32
        a, b = self._in(a, dtype), self._in(b, dtype)
        shape = tf.broadcast_dynamic_shape(tf.shape(cond), tf.broadcast_dynamic_shape(tf.shape(a), tf.shape(b)))
        return tf.where(tf.broadcast_to(cond, shape), tf.broadcast_to(a, shape), tf.broadcast_to(b, shape))

    def _as_array(self, step: Any) -> Any:
        return self._tf.convert_to_tensor(step)

    def _kind(self, t: Any) -> str | None:
        if t.dtype == self._tf.bool:
            return None
        if t.dtype.is_integer:
            return "integer"
        return "floating" if t.dtype.is_floating else None

    def _dtype_name(self, t: Any) -> Any:
        return t.dtype.name

    def _bits(self, t: Any) -> int:
        return int(t.dtype.size * 8)

    def _cast(self, t: Any, dtype: Any) -> Any:
        return self._tf.cast(t, dtype)

    def _int_float(self) -> Any:
        return self._tf.float32  # Keras' and TensorFlow's step counters: float32

    def _has_values(self, t: Any) -> bool:
        return bool(self._tf.executing_eagerly())


_cache: dict[str, Any] = {}
MATH = MathNamespace()
NUMPY = NumpyNamespace()


def _framework(name: str, factory: Callable[[], Any]) -> Any:
    ns = _cache.get(name)
    if ns is None:
        ns = _cache[name] = factory()
    return ns


def namespace_for(step: Any) -> Any:
    """Return the namespace that computes on `step`'s type (see the module docstring)."""
    kind = type(step)
    if kind is int or kind is float:
        return MATH
    if isinstance(step, bool):
        raise TypeError(f"step must be a number or an array of numbers; got bool {step!r}")
    if isinstance(step, (int, float)):  # subclasses, np.float64 among them
        return MATH
    if isinstance(step, (np.ndarray, np.generic, list, tuple)):
        return NUMPY
    module = kind.__module__.split(".", 1)[0]
    if module in ("jax", "jaxlib") and "jax" in sys.modules:
        return _framework("jax", JaxNamespace)
    if module == "torch" and "torch" in sys.modules:
        return _framework("torch", TorchNamespace)
    if module == "keras" and "tensorflow" in sys.modules and sys.modules["keras"].backend.backend() == "tensorflow":
        # On the TensorFlow backend a keras Variable stays itself after conversion;
        # it is a tf.Tensor too, which the TensorFlow namespace takes in.
        return _framework("tensorflow", TensorflowNamespace)
    if module == "tensorflow" and "tensorflow" in sys.modules:
        return _framework("tensorflow", TensorflowNamespace)
    raise TypeError(
        "step must be a Python number, a NumPy array, a JAX array, a torch tensor or a "
        f"TensorFlow tensor; got {kind.__module__}.{kind.__qualname__}"
    )


def python_step(step: Any) -> float | None:
    """`step` as a float where it is a valid Python int or float, else None.

    The fast path of direct calls and `LambdaLR`: one type test and one comparison admit
    every valid Python step. NaN, inf, negative steps and steps past 2**53 get None, and
    go on to `MATH.prepare`, which names them.
    """
    kind = type(step)
    if (kind is int or kind is float) and 0 <= step <= MAX_STEP:
        return float(step)
    return None


def _prepare_any(step: Any) -> tuple[Any, Any]:
    """`prepare` for any step: Keras tensors are converted first."""
    module = type(step).__module__.split(".", 1)[0]
    if module == "keras" and "keras" in sys.modules:
        import keras

        step = keras.ops.convert_to_tensor(step)
    xp = namespace_for(step)
    return xp.prepare(step), xp


def prepare(step: Any) -> tuple[Any, Any]:
    """`(t, xp)`: the step as the namespace `xp` computes on it — the one entry point
    from a step of any type to a schedule's math."""
    t = python_step(step)
    return (t, MATH) if t is not None else _prepare_any(step)


def evaluate(value_fn: Callable[[Any, Any], Any], step: Any) -> Any:
    """`value_fn(t, xp)` on `step`, answered in `step`'s type (see the module docs)."""
    t = python_step(step)
    if t is not None:
        return float(value_fn(t, MATH))  # `MATH.run`, without looking it up
    t, xp = _prepare_any(step)
    return xp.run(value_fn, t)
