"""The LR range test's analysis: framework-free, from the recorded LRs and losses.

Smith, "Cyclical Learning Rates for Training Neural Networks" (2017), §3.3, and the
seeds: train while the LR grows after every batch, record the loss, and use the LR just
before the loss explodes; then cycle between that LR and a tenth of it.

- Smoothing: an exponential moving average with bias correction,
  `avg_i = beta * avg_{i-1} + (1 - beta) * loss_i`, `smoothed_i = avg_i / (1 - beta**(i+1))`.
- Divergence: the first step whose smoothed loss exceeds the best so far by more than
  `(diverge - 1) * |best|` (for positive losses: `diverge` times the best), or whose
  loss is not finite. A ratio of losses would misbehave on negative losses; this does not.
- Suggestions (on the smoothed curve before divergence, against log-LR for exponential
  sweeps): `steepest` — where the loss falls fastest, after trimming the first and last
  `trim` fraction; `min_div_10` — the LR at the lowest loss, divided by 10 (the usual
  recipe); `valley` — fastai's rule: the longest stretch of falling loss, two thirds of
  the way down it; `min` — the LR at the lowest loss itself.
- `cyclic_bounds(rule, ratio)` — `(max_lr / ratio, max_lr)` for CLR and 1cycle, with
  `max_lr` from the rule (default `min`: "the LR just before the loss explodes").
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import io
import json
import math
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

import numpy as np

RULES = ("steepest", "min_div_10", "valley", "min")


class Suggestion(NamedTuple):
    """An LR suggested by a rule, or `lr=None` with the reason no LR can be suggested."""

    rule: str
    lr: float | None
    step: int | None
    reason: str


@dataclasses.dataclass(frozen=True, eq=False)
class RangeTestResult:
    """What a range test recorded, and the analysis of it.

    `lrs[i]` is the LR applied at optimizer step i and `losses[i]` the (training or
    validation) loss measured there; `stopped` says why the sweep ended.
    """

    lrs: np.ndarray
    losses: np.ndarray
    smoothing: float = 0.98
    diverge: float = 4.0
    trim: float = 0.1
    log_lr: bool = True
    stopped: str = "completed"

    def __post_init__(self) -> None:
        lrs = np.asarray(self.lrs, dtype=np.float64).ravel()
        losses = np.asarray(self.losses, dtype=np.float64).ravel()
        if lrs.shape != losses.shape:
            raise ValueError(f"lrs and losses must have the same length; got {lrs.size} and {losses.size}")
        if not np.all(np.isfinite(lrs) & (lrs > 0)):
            raise ValueError("lrs must be finite and > 0")
        if lrs.size > 1 and not np.all(np.diff(lrs) > 0):
            raise ValueError("lrs must be strictly increasing (a range sweep)")
        if not 0.0 <= self.smoothing < 1.0:
            raise ValueError(f"smoothing must be in [0, 1); got {self.smoothing!r}")
        if not (math.isfinite(self.diverge) and self.diverge > 1.0):
            raise ValueError(f"diverge must be a finite number in (1, inf); got {self.diverge!r}")
        if not 0.0 <= self.trim < 0.5:
            raise ValueError(f"trim must be in [0, 0.5); got {self.trim!r}")
        lrs.setflags(write=False)
        losses.setflags(write=False)
        object.__setattr__(self, "lrs", lrs)
        object.__setattr__(self, "losses", losses)

    # -- the curve ------------------------------------------------------------------
    # The record is frozen: the curve and its divergence are computed once, on first use.
    @functools.cached_property
    def _curve(self) -> tuple[np.ndarray, int | None]:
        tracker = CurveTracker(self.smoothing, self.diverge)
        out = np.full(self.losses.shape, np.nan)
        diverged_at = None
        for i, loss in enumerate(self.losses.tolist()):
            value, diverged = tracker.add(loss)
            out[i] = value
            if diverged and diverged_at is None:
                diverged_at = i
            if not math.isfinite(value):
                break
        out.setflags(write=False)
        return out, diverged_at

    @property
    def smoothed(self) -> np.ndarray:
        """Bias-corrected EMA of the losses; NaN from the first non-finite loss on."""
        return self._curve[0]

    @property
    def divergence_index(self) -> int | None:
        """The first index where the loss diverged (see module docs), or None."""
        return self._curve[1]

    def _usable(self) -> tuple[np.ndarray, np.ndarray, int]:
        """LRs and smoothed losses before divergence, and how many there are."""
        end = self.divergence_index
        end = self.losses.size if end is None else end
        return self.lrs[:end], self.smoothed[:end], end

    # -- suggestions ----------------------------------------------------------------
    def suggest(self, rule: str = "steepest") -> Suggestion:
        if rule not in RULES:
            raise ValueError(f"rule must be one of {', '.join(map(repr, RULES))}; got {rule!r}")
        lrs, smoothed, n = self._usable()
        if n < 3:
            return Suggestion(rule, None, None, f"only {n} finite points before divergence; need >= 3")
        if np.ptp(smoothed) <= 1e-12 * max(1.0, float(np.max(np.abs(smoothed)))):
            return Suggestion(rule, None, None, "the loss did not change over the sweep: widen the LR range")
        if rule in ("min", "min_div_10"):
            index = int(np.argmin(smoothed))
            divisor = 10.0 if rule == "min_div_10" else 1.0
            return Suggestion(
                rule, float(lrs[index] / divisor), index, "lowest smoothed loss" + (" / 10" if divisor != 1.0 else "")
            )
        if rule == "steepest":
            start, stop = int(n * self.trim), n - int(n * self.trim)
            if stop - start < 3:
                return Suggestion(rule, None, None, f"{stop - start} points left after trimming; need >= 3")
            x = np.log(lrs[start:stop]) if self.log_lr else lrs[start:stop]
            slope = np.gradient(smoothed[start:stop], x)
            index = start + int(np.argmin(slope))
            if slope[index - start] >= 0:
                return Suggestion(rule, None, None, "the loss never fell over the sweep: lower start_lr")
            return Suggestion(rule, float(lrs[index]), index, "steepest descent of the smoothed loss")
        return self._valley(lrs, smoothed)

    @staticmethod
    def _valley(lrs: np.ndarray, smoothed: np.ndarray) -> Suggestion:
        # fastai's valley: the longest decreasing run (not necessarily contiguous) of the
        # loss, then two thirds of the way down it.
        n = smoothed.size
        run = [1] * n
        best_end = 0
        for i in range(1, n):
            for j in range(i):
                if smoothed[i] < smoothed[j] and run[i] < run[j] + 1:
                    run[i] = run[j] + 1
            if run[best_end] < run[i]:
                best_end = i
        best_start = best_end - run[best_end]
        if run[best_end] < 2:
            return Suggestion("valley", None, None, "the loss never fell over the sweep: lower start_lr")
        section = (best_end - best_start) / 3
        index = max(0, best_start + int(section) + int(section / 2))
        return Suggestion("valley", float(lrs[index]), index, "fastai valley: 2/3 down the longest descent")

    def suggestions(self) -> dict[str, Suggestion]:
        return {rule: self.suggest(rule) for rule in RULES}

    def cyclic_bounds(self, rule: str = "min", ratio: float = 10.0) -> tuple[float, float]:
        """(base_lr, max_lr) for `cyclic` / `one_cycle`: max from `rule`, base = max / ratio."""
        if not (math.isfinite(ratio) and ratio > 1.0):
            raise ValueError(f"ratio must be a finite number in (1, inf); got {ratio!r}")
        found = self.suggest(rule)
        if found.lr is None:
            raise ValueError(f"no cyclic bounds: rule {rule!r} has no suggestion ({found.reason})")
        return (found.lr / ratio, found.lr)

    def plot(self, path: str | None = None, ax: Any = None) -> Any:
        """Loss vs LR (log axis): raw and smoothed, the suggestions marked. Needs matplotlib.

        Returns the figure; with `path`, also saves it (PNG by extension).
        """
        if ax is None:
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
        else:
            fig = ax.figure
        ax.plot(self.lrs, self.losses, color="0.7", linewidth=1, label="loss")
        ax.plot(self.lrs, self.smoothed, color="tab:blue", label=f"smoothed (beta={self.smoothing})")
        colors = {"steepest": "tab:green", "min_div_10": "tab:orange", "valley": "tab:purple", "min": "tab:red"}
        for rule, found in self.suggestions().items():
            if found.lr is not None:
                ax.axvline(found.lr, color=colors[rule], linestyle="--", label=f"{rule}: {found.lr:.3g}")
        if self.log_lr:
            ax.set_xscale("log")
        # Frame the smoothed curve before divergence: the explosion would flatten the rest.
        _, smoothed, end = self._usable()
        if end:
            low, high = float(np.min(smoothed)), float(np.max(smoothed))
            span = high - low + 1e-12
            ax.set_ylim(low - 0.5 * span, high + 0.5 * span)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title(f"LR range test ({self.stopped})")
        ax.legend(fontsize=8)
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig

    # -- serialisation --------------------------------------------------------------
    def _settings(self) -> dict[str, Any]:
        return {
            "smoothing": self.smoothing,
            "diverge": self.diverge,
            "trim": self.trim,
            "log_lr": self.log_lr,
            "stopped": self.stopped,
        }

    def to_json(self) -> str:
        # NaN and inf losses are part of the record: written as null / strings.
        losses = [v if math.isfinite(v) else repr(v) for v in self.losses.tolist()]
        return json.dumps({"lrs": self.lrs.tolist(), "losses": losses, **self._settings()})

    @classmethod
    def from_json(cls, text: str) -> RangeTestResult:
        data = json.loads(text)
        data["losses"] = [float(v) for v in data["losses"]]
        return cls(**data)

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["# " + json.dumps(self._settings())])
        writer.writerow(["lr", "loss", "smoothed"])
        for row in zip(self.lrs.tolist(), self.losses.tolist(), self.smoothed.tolist(), strict=True):
            writer.writerow([repr(v) for v in row])
        return out.getvalue()

    @classmethod
    def from_csv(cls, text: str) -> RangeTestResult:
        rows = list(csv.reader(io.StringIO(text)))
        settings = json.loads(rows[0][0][2:])
        lrs = [float(r[0]) for r in rows[2:]]
        losses = [float(r[1]) for r in rows[2:]]
        return cls(lrs=np.array(lrs), losses=np.array(losses), **settings)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RangeTestResult):
            return NotImplemented
        return (
            self._settings() == other._settings()
            and np.array_equal(self.lrs, other.lrs)
            and np.array_equal(self.losses, other.losses, equal_nan=True)
        )

    __hash__ = None  # type: ignore[assignment]


class CurveTracker:
    """The smoothed loss and the divergence test, one loss at a time (O(1) a step).

    The runners stop the sweep with it as the losses arrive, and `RangeTestResult`
    computes its curve with it: one definition of both.
    """

    def __init__(self, smoothing: float, diverge: float) -> None:
        self.smoothing, self.diverge = smoothing, diverge
        self.average, self.count, self.best = 0.0, 0, math.inf

    def add(self, loss: float) -> tuple[float, bool]:
        """The smoothed loss after `loss`, and whether the curve has diverged there
        (a non-finite loss counts as diverged, and its smoothed value is NaN)."""
        if not math.isfinite(loss):
            return math.nan, True
        self.count += 1
        self.average = self.smoothing * self.average + (1.0 - self.smoothing) * loss
        value = self.average / (1.0 - self.smoothing**self.count)
        diverged = self.best < math.inf and value - self.best > (self.diverge - 1.0) * abs(self.best)
        self.best = min(self.best, value)
        return value, diverged


# -- the sweep that every framework's runner drives -----------------------------------
class DataExhaustedError(Exception):
    """Single-pass data (a generator) ran out before the sweep ended."""


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
            raise ValueError("data is empty: the range test needs at least one batch")
        if empty:
            raise DataExhaustedError
        passes += 1


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
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    mode: str = "exp",
    smoothing: float = 0.98,
    diverge: float = 4.0,
    progress: bool | None = None,
) -> RangeTestResult:
    """Drive a range test: `train_step(lr, batches)` does one optimizer step at `lr` on
    batches drawn from the (cycled) data and returns (the LR it applied, the loss to
    record). Stops at a non-finite loss or when the smoothed loss diverges."""
    from lrsched.sweep import range_sweep

    if not isinstance(num_steps, int) or isinstance(num_steps, bool) or num_steps < 2:
        raise ValueError(f"num_steps must be a whole number >= 2; got {num_steps!r}")
    schedule = range_sweep(start_lr=start_lr, end_lr=end_lr, num_steps=num_steps - 1, mode=mode)
    settings: dict[str, Any] = {"smoothing": smoothing, "diverge": diverge, "log_lr": mode == "exp"}
    RangeTestResult(lrs=np.ones(1), losses=np.zeros(1), **settings)  # checks them before training
    lrs: list[float] = []
    losses: list[float] = []
    stopped = "completed"
    batches = cycle_batches(data)
    tracker = CurveTracker(smoothing, diverge)
    bar = _progress_bar(num_steps, progress)
    try:
        for step in range(num_steps):
            try:
                applied, loss = train_step(schedule(step), batches)
            except DataExhaustedError:
                stopped = (
                    f"data ran out after {step} steps: single-pass data (a generator) with fewer "
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
    return RangeTestResult(lrs=np.array(lrs), losses=np.array(losses), stopped=stopped, **settings)
