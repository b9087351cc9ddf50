"""The range test's optional confirmation stage, framework-free: after the sweep, `k`
short trainings at LRs around the recommendation, each from the state the sweep began
at, scored on held-out batches; the LR with the lowest held-out loss is the one to use.

- Candidates: `k` LRs a `spread` apart on a log axis, centred on the recommendation:
  `lr * spread ** (j - (k - 1) / 2)` for j = 0 .. k-1 (k = 3, spread = sqrt(10): the
  recommendation and half a decade either side).
- Each short training follows the schedule of the use over `steps` steps
  (`short_schedule`): a constant LR; 1cycle peaking at the candidate; triangular CLR
  from a tenth of the candidate to it, two cycles.
- Score: the mean loss over the held-out batches after the short training; a loss that
  is not finite, in training or on the held-out batches, scores inf (the candidate is
  out of the running). Where every candidate blew up, the search goes on a `spread`
  below the lowest, up to `k` more, until one stays finite (`search`).
- Cost: `k * steps` training steps and `k` passes over the held-out batches, reported
  as a multiple of the sweep's steps (`Confirmation.cost`).

The runners (`lrsched.adapters.torch.range_test(confirm=k)`) train; this module holds the
candidates and the schedules, `Confirmation` (in the record) what was measured and
the choice.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from lrsched.base import Schedule
from lrsched.cyclic import cyclic
from lrsched.decay import constant
from lrsched.one_cycle import one_cycle
from lrsched.rangetest.analysis import _one_of
from lrsched.rangetest.record import USES, Confirmation
from lrsched.rangetest.result import RangeTestResult
from lrsched.rangetest.sweep import cycle_batches, require_reiterable

CONFIRM_SPREAD = math.sqrt(10.0)  # half a decade between candidates
CONFIRM_CANDIDATES = 3


def check_confirm(k: int, steps: int, spread: float = CONFIRM_SPREAD) -> None:
    """`k` (candidates) a whole number >= 2, `steps` a whole number >= 1, `spread` a
    finite number > 1."""
    if not isinstance(k, int) or isinstance(k, bool) or k < 2:
        raise ValueError(f"confirm must be 0 (no confirmation) or a whole number of candidates >= 2; got {k!r}")
    if not isinstance(steps, int) or isinstance(steps, bool) or steps < 1:
        raise ValueError(f"confirm_steps must be a whole number >= 1; got {steps!r}")
    if not (isinstance(spread, (int, float)) and math.isfinite(spread) and spread > 1.0):
        raise ValueError(f"spread must be a finite number in (1, inf); got {spread!r}")


def candidate_lrs(lr: float, k: int = CONFIRM_CANDIDATES, spread: float = CONFIRM_SPREAD) -> tuple[float, ...]:
    """`k` LRs `spread` apart on a log axis, centred on `lr` (lowest first)."""
    if not (math.isfinite(lr) and lr > 0.0):
        raise ValueError(f"lr must be a finite number > 0; got {lr!r}")
    check_confirm(k, 1, spread)
    return tuple(lr * spread ** (j - (k - 1) / 2) for j in range(k))


def short_schedule(use: str, lr: float, steps: int) -> Schedule:
    """The schedule a short training of `use` follows at candidate `lr` for `steps` steps."""
    _one_of("use", use, USES)
    if use == "constant":
        return constant(lr=lr)
    if use == "one_cycle":
        return one_cycle(max_lr=lr, total_steps=max(2, steps))
    return cyclic(base_lr=lr / 10, max_lr=lr, step_size_up=max(1.0, steps / 4))  # two cycles


def check_confirmation(
    k: int, use: str, steps: int | None, confirm_data: Iterable[Any] | None, val_data: Iterable[Any] | None
) -> Iterable[Any]:
    """A runner's confirmation options, checked before any training: `k` 0 (none) or a
    whole number >= 2, `use` one of `USES`, `steps` None (the sweep's) or a whole
    number >= 1, and held-out batches (`confirm_data`, else `val_data`) that can be read
    once per candidate. Returns those batches (none without a confirmation)."""
    if isinstance(k, int) and not isinstance(k, bool) and k == 0:
        return ()
    check_confirm(k, 1 if steps is None else steps)
    held_out = confirm_data if confirm_data is not None else val_data
    _one_of("confirm_use", use, USES)
    if held_out is None:
        raise ValueError(
            "confirm=k scores each short training by its loss on held-out batches: give confirm_data "
            "(or val_data), batches the model does not train on"
        )
    require_reiterable("confirm_data", held_out)
    return held_out


def search(
    recommended: float, k: int, score: Callable[[float], float], spread: float = CONFIRM_SPREAD
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The candidates tried and their held-out losses (lowest LR first): `k` around
    `recommended`, then, while every loss so far blew up (not finite), one more `spread`
    below the lowest, up to `k` more (a recommendation past the edge of stability still
    ends with a finite LR where one is near)."""
    lrs = list(candidate_lrs(recommended, k, spread))
    scores = [score(lr) for lr in lrs]
    for _ in range(k):
        if any(math.isfinite(v) for v in scores):
            break
        lrs.insert(0, lrs[0] / spread)
        scores.insert(0, score(lrs[0]))
    return tuple(lrs), tuple(scores)


def run_confirmation(
    result: RangeTestResult,
    k: int,
    use: str,
    steps: int | None,
    train_step: Callable[[float, Iterator[Any]], tuple[float, float]],
    data: Iterable[Any],
    held_out_loss: Callable[[], float],
    restart: Callable[[], None],
) -> RangeTestResult:
    """Drive the confirmation stage after a sweep: `search` around
    `result.recommend(use)`, each candidate scored by `restart()` (back to the state the
    sweep began at), `steps` calls of `train_step(lr, batches)` (the runner's, as in the
    sweep; `steps` None: as many as the sweep's) following `short_schedule(use, candidate,
    steps)` on the cycled `data`, then `held_out_loss()`. Returns the result with the
    `Confirmation` in its record; where the sweep gave no recommendation, the result
    unchanged (its reason says why)."""
    found = result.recommend(use)
    if found.lr is None:
        return result
    sweep_steps = result.sweep[2] if result.sweep is not None else max(2, len(result.lrs))
    steps = sweep_steps if steps is None else steps

    def score(lr: float) -> float:
        restart()
        schedule, batches = short_schedule(use, lr, steps), cycle_batches(data)
        for step in range(steps):
            if not math.isfinite(train_step(float(schedule(step)), batches)[1]):
                return math.inf
        return held_out_loss()

    lrs, scores = search(found.lr, k, score)
    confirmation = Confirmation(use, lrs, scores, steps, sweep_steps, found.lr)
    record = dataclasses.replace(result.record, confirmation=confirmation)
    return RangeTestResult.of(record, smoother=result.smoother, trim=result.trim, span=result.span)
