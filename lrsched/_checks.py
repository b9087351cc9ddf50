"""Constructor checks: each names the parameter, its value and the allowed range.

Nothing is clamped or coerced silently: a value outside its range raises `ValueError`,
a value of the wrong kind raises `TypeError`. NumPy scalars are accepted and stored as
Python numbers so that configs stay JSON-safe.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any


def _interval(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    left = "(" if low_open or low is None else "["
    right = ")" if high_open or high is None else "]"
    lo = "-inf" if low is None else f"{low:g}"
    hi = "inf" if high is None else f"{high:g}"
    return f"{left}{lo}, {hi}{right}"


def real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
) -> Any:
    """Check a finite real number in the given interval; return it as int or float.

    An int below 2**31 in size stays an int (step counts read naturally in reprs and
    configs); every other real becomes a float, which every backend can compute with
    (JAX takes Python ints as int32 and torch as int64: a larger one would overflow).
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {type(value).__name__} {value!r}")
    allowed = _interval(low, high, low_open, high_open)
    try:
        number = float(value)
    except OverflowError:
        message = f"{name} must be a finite number in {allowed}; got an integer beyond the float range"
        raise ValueError(message) from None
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite number in {allowed}; got {value!r}")
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be in {allowed}; got {value!r}")
    if isinstance(value, numbers.Integral) and abs(number) < 2**31:
        return int(value)
    return number


# The shortest cycle or step interval a policy accepts: below it, step / length
# overflows for the large steps (up to 2**53) that every schedule must survive.
MIN_LENGTH = 1e-6


def length(name: str, value: Any) -> Any:
    """A cycle length or interval, in steps: finite and >= MIN_LENGTH."""
    return real(name, value, low=MIN_LENGTH)


def choice(name: str, value: Any, options: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in options:
        allowed = ", ".join(repr(o) for o in options)
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}")
    return value


def boolean(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False; got {type(value).__name__} {value!r}")
    return value


def sequence(name: str, value: Any) -> tuple[Any, ...]:
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a list or tuple; got {type(value).__name__} {value!r}")
    return tuple(value)


def sorted_steps(name: str, value: Any, *, strict: bool) -> tuple[Any, ...]:
    """A non-decreasing (or strictly increasing) sequence of finite steps >= 0."""
    items = tuple(real(f"{name}[{i}]", v, low=0.0) for i, v in enumerate(sequence(name, value)))
    for i in range(1, len(items)):
        if items[i] < items[i - 1] or (strict and items[i] == items[i - 1]):
            order = "strictly increasing" if strict else "sorted (non-decreasing)"
            raise ValueError(f"{name} must be {order}; got {list(value)!r}")
    return items
