"""The sweep every framework's runner drives: the LR of each step, the data cycled as
often as needed, the divergence test, and the record it leaves."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from lrsched.rangetest.analysis import CurveTracker
from lrsched.rangetest.record import RangeTestRecord
from lrsched.rangetest.result import RangeTestResult
from lrsched.rangetest.settings import RangeTestSettings


class DataExhaustedError(Exception):
    """Single-pass data (a generator) ran out before the sweep ended; the message, if
    any, says where (on which of several ranks)."""


class EmptyDataError(ValueError):
    """The data gave no batch at all (on this rank)."""


def cycle_batches(data: Iterable[Any]) -> Iterator[Any]:
    """Cycle through `data` as often as needed. Empty data is an error; data that gave
    batches once and none on a later pass (a generator) raises `DataExhaustedError`."""
    passes = 0
    while True:
        empty = True
        for batch in data:
            empty = False
            yield batch
        if empty and passes == 0:
            raise EmptyDataError("data is empty: the range test needs at least one batch")
        if empty:
            raise DataExhaustedError
        passes += 1


def require_reiterable(name: str, value: Iterable[Any]) -> None:
    """Refuse data the range test reads on every step but that gives its batches once
    (a generator, an iterator): its second pass would be empty."""
    if iter(value) is value:
        raise TypeError(
            f"{name} must be re-iterable (a list, a tuple, a DataLoader): it is read after every step, and "
            f"{type(value).__name__} {value!r} gives its batches once; pass list({name}) instead"
        )


def _progress_bar(total: int, progress: bool | None) -> Any:
    show = sys.stderr.isatty() if progress is None else progress
    if show:
        try:
            from tqdm.auto import tqdm

            return tqdm(total=total, desc="LR range test", leave=False)
        except ImportError:
            pass
    return None


def run_sweep(
    train_step: Callable[[float, Iterator[Any]], tuple[float, float]],
    data: Iterable[Any],
    settings: RangeTestSettings | None = None,
    *,
    optimizer: str | None = None,
    **changes: Any,
) -> RangeTestResult:
    """Drive a range test: `train_step(lr, batches)` does one optimizer step at `lr` on
    batches drawn from the (cycled) data and returns (the LR it applied, the loss to
    record). Stops at a non-finite loss or when the smoothed loss diverges. The sweep
    follows `settings` (by default `RangeTestSettings()`), with `changes` to its fields
    made (`num_steps=50`, ...). `optimizer` is the family recorded for `recommend`
    ("sgd", "adaptive" or None: unknown)."""
    settings = RangeTestSettings.of(settings, **changes)
    schedule, num_steps = settings.schedule, settings.num_steps
    lrs: list[float] = []
    losses: list[float] = []
    stopped = "completed"
    batches = cycle_batches(data)
    tracker = CurveTracker(settings.smoothing, settings.diverge)
    bar = _progress_bar(num_steps, settings.progress)
    try:
        for step in range(num_steps):
            try:
                applied, loss = train_step(schedule(step), batches)
            except DataExhaustedError as error:
                where = f" {error}" if str(error) else ""
                stopped = (
                    f"data ran out after {step} steps{where}: single-pass data (a generator) with fewer "
                    f"batches than num_steps={num_steps}; the curve so far is kept"
                )
                break
            lrs.append(float(applied))
            losses.append(float(loss))
            if bar is not None:
                bar.update(1)
            if not math.isfinite(losses[-1]):
                stopped = f"non-finite loss at step {step}"
                break
            if tracker.add(losses[-1])[1]:
                stopped = f"diverged at step {step}"
                break
    finally:
        if bar is not None:
            bar.close()
    record = RangeTestRecord(
        lrs=np.array(lrs), losses=np.array(losses), stopped=stopped, optimizer=optimizer, **settings.recorded()
    )
    return RangeTestResult.of(record)
