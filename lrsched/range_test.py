"""The LR range test's analysis: framework-free, from the recorded LRs and losses.

Smith, "Cyclical Learning Rates for Training Neural Networks" (2017), §3.3, and the
seeds: train while the LR grows after every batch, record the loss, and use the LR just
before the loss explodes; then cycle between that LR and a tenth of it.

- Smoothing: an exponential moving average with bias correction,
  `avg_i = beta * avg_{i-1} + (1 - beta) * loss_i`, `smoothed_i = avg_i / (1 - beta**(i+1))`.
- Divergence: the first step whose smoothed loss exceeds the best so far by more than
  `(diverge - 1) * |best|` (for positive losses: `diverge` times the best), or whose
  loss is not finite. A ratio of losses would misbehave on negative losses; this does not.
- Analysis (after the sweep, so it need not be causal): the curve before divergence is
  smoothed by a zero-phase local linear regression of the loss against log-LR (tricube
  weights over the nearest `span` fraction of the points; `smoother="local"`), which
  gives the curve and its slope at each point without the EMA's lag of tens of steps.
  `smoother="ema"` reads the causal EMA instead (the analysis of lrsched 0.1, and of
  fastai and Lightning), kept for comparison. The first `trim` fraction of the points
  (and the last 5% for `steepest`) is never suggested.
- Suggestions: `steepest` — where the smoothed loss falls fastest per log-LR;
  `min_div_10` — the LR at the lowest smoothed loss, divided by 10; `valley` — fastai's
  rule: the longest stretch of falling loss, two thirds of the way down it; `min` — the
  LR at the lowest loss itself. A rule gives `lr=None` with the reason where the curve
  cannot support it: fewer than 10 points before divergence, a loss that never falls or
  falls by less than its noise (the running mean of k = span * n losses falls by under
  7 sigma / sqrt(k), sigma from the second differences of the losses),
  or an LR below `start_lr`. Where the sweep stopped while the loss was still falling,
  the reason says so.
- `recommend(use, optimizer)` gives the LR for each use (a constant LR, 1cycle's `max_lr`,
  CLR's top) and optimizer family (SGD, or adaptive: Adam and its kin) as a rule read on
  a curve times a factor, each pair chosen by `benchmarks/finder_heldout.py` with leave-one-
  task-out cross-validation over eleven tasks, at the range test's default settings.
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
SMOOTHERS = ("local", "ema")
USES = ("constant", "one_cycle", "cyclic")
OPTIMIZER_FAMILIES = ("sgd", "adaptive")
# Optimizers that scale each step by running statistics of the gradients (Adam and its
# kin): their best LRs sit lower, relative to the range test's curve, than SGD's.
ADAPTIVE_OPTIMIZERS = frozenset(
    {
        "adam",
        "adamw",
        "nadam",
        "radam",
        "adamax",
        "sparseadam",
        "adagrad",
        "adadelta",
        "rmsprop",
        "adafactor",
        "lamb",
        "lion",
        "nadamw",
    }
)
# The (rule, smoother, factor) of each use and optimizer family: chosen by
# `benchmarks/finder_heldout.py` as the lowest mean regret over its eleven tasks (a
# collapse counted as 20 points), and scored on each task by the choice made without it
# (leave one task out). CLR's top is its own.
# The factors are a quarter of an octave apart (2 ** (j / 4)), as the benchmark draws them.
RECOMMENDED: dict[tuple[str, str], tuple[str, str, float]] = {
    ("constant", "sgd"): ("valley", "ema", 2.0**1.75),  # 3.36
    ("one_cycle", "sgd"): ("valley", "ema", 2.0**2.75),  # 6.73
    ("cyclic", "sgd"): ("valley", "ema", 2.0**3.25),  # 9.51
    ("constant", "adaptive"): ("min_div_10", "ema", 2.0**-1.25),  # 0.42
    ("one_cycle", "adaptive"): ("min", "ema", 2.0**-2.75),  # 0.149
    ("cyclic", "adaptive"): ("valley", "ema", 2.0**2.5),  # 5.66
}


def _check_optimizer_family(value: str | None) -> None:
    if value is not None and value not in OPTIMIZER_FAMILIES:
        raise ValueError(f"optimizer must be None or one of {', '.join(map(repr, OPTIMIZER_FAMILIES))}; got {value!r}")


def optimizer_family(name: str) -> str:
    """ "adaptive" for Adam and its kin (by the optimizer's class name, any framework),
    "sgd" for the rest."""
    return "adaptive" if name.lower() in ADAPTIVE_OPTIMIZERS else "sgd"


DEFAULT_SWEEP = (1e-7, 10.0, 100)  # (start_lr, end_lr, num_steps): every runner's default
DEFAULT_SMOOTHING = 0.98
MIN_POINTS = 10
NOISE_FALL = 7.0  # a fall of the running mean below NOISE_FALL * noise / sqrt(points) is noise


CURVE_NAMES = {"local": "zero-phase curve", "ema": "EMA"}


class Suggestion(NamedTuple):
    """An LR suggested by a rule read on a curve (`smoother`: "local", the zero-phase
    curve, or "ema"), or `lr=None` with the reason no LR can be suggested."""

    rule: str
    lr: float | None
    step: int | None
    reason: str
    smoother: str = "local"

    def lr_text(self) -> str:
        """The LR to 4 significant digits, or "none (reason)"."""
        return f"{self.lr:.4g}" if self.lr is not None else f"none ({self.reason})"

    @property
    def label(self) -> str:
        """The rule and the curve it read: "min_div_10 on the EMA", say."""
        return f"{self.rule} on the {CURVE_NAMES.get(self.smoother, self.smoother)}"

    def describe(self) -> str:
        """One line in words: the rule, the curve, the LR and why."""
        if self.lr is None:
            return f"{self.label}: no LR ({self.reason})"
        return f"{self.label}: {self.lr:.4g} ({self.reason})"


def local_linear(x: np.ndarray, y: np.ndarray, span: float) -> tuple[np.ndarray, np.ndarray]:
    """A zero-phase smoother: at each x_i, the weighted least-squares line through the
    nearest `span` fraction of the points (at least 5), tricube weights; returns the
    line's value and slope there (Cleveland's LOESS, degree 1)."""
    n = x.size
    k = min(n, max(5, math.ceil(span * n)))
    fit, slope = np.empty(n), np.empty(n)
    for lo in range(0, n, 256):  # rows in blocks: n x n distances would not fit for long sweeps
        d = np.abs(x[None, :] - x[lo : lo + 256, None])
        h = np.partition(d, k - 1, axis=1)[:, k - 1 : k] * (1 + 1e-9) + 1e-300
        w = np.clip(1.0 - (d / h) ** 3, 0.0, None) ** 3
        total = w.sum(axis=1, keepdims=True)
        xm = (w * x).sum(axis=1, keepdims=True) / total
        ym = (w * y).sum(axis=1, keepdims=True) / total
        sxx = (w * (x - xm) ** 2).sum(axis=1, keepdims=True)
        b = np.where(sxx > 0, (w * (x - xm) * (y - ym)).sum(axis=1, keepdims=True) / np.where(sxx > 0, sxx, 1.0), 0.0)
        rows = slice(lo, lo + d.shape[0])
        fit[rows] = (ym + b * (x[rows, None] - xm))[:, 0]
        slope[rows] = b[:, 0]
    return fit, slope


def _loss_scale(losses: np.ndarray) -> float:
    """The largest |loss| (1 for none or all zero): the unit the analysis works in."""
    largest = float(np.max(np.abs(losses))) if losses.size else 0.0
    return largest if largest > 0.0 else 1.0


def fastai_valley(losses: np.ndarray) -> int | None:
    """fastai's valley: the longest decreasing run (not necessarily contiguous) of the
    losses, then two thirds of the way down it; None where the loss never falls."""
    n = losses.size
    run = [1] * n
    best_end = 0
    for i in range(1, n):
        for j in range(i):
            if losses[i] < losses[j] and run[i] < run[j] + 1:
                run[i] = run[j] + 1
        if run[best_end] < run[i]:
            best_end = i
    if run[best_end] < 2:
        return None
    best_start = best_end - run[best_end]
    section = (best_end - best_start) / 3
    return max(0, best_start + int(section) + int(section / 2))


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
    smoother: str = "local"
    span: float = 0.2
    optimizer: str | None = None
    sweep: tuple[float, float, int] | None = None

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
        if self.smoother not in SMOOTHERS:
            raise ValueError(f"smoother must be one of {', '.join(map(repr, SMOOTHERS))}; got {self.smoother!r}")
        if not 0.0 < self.span <= 1.0:
            raise ValueError(f"span must be in (0, 1]; got {self.span!r}")
        if self.sweep is not None:
            start, end, steps = self.sweep
            if not (0.0 < start < end < math.inf and isinstance(steps, int) and steps >= 2):
                raise ValueError(
                    f"sweep must be (start_lr, end_lr, num_steps) with 0 < start < end, steps >= 2; got {self.sweep!r}"
                )
            object.__setattr__(self, "sweep", (float(start), float(end), int(steps)))
        _check_optimizer_family(self.optimizer)
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
        """The causal, bias-corrected EMA of the losses (what stops the sweep); NaN from
        the first non-finite loss on."""
        return self._curve[0]

    @property
    def divergence_index(self) -> int | None:
        """The first index where the loss diverged (see module docs), or None."""
        return self._curve[1]

    def _usable(self) -> tuple[np.ndarray, np.ndarray, int]:
        """LRs and EMA-smoothed losses before divergence, and how many there are."""
        end = self.divergence_index
        end = self.losses.size if end is None else end
        return self.lrs[:end], self.smoothed[:end], end

    @functools.cached_property
    def _analysis(self) -> tuple[np.ndarray, np.ndarray, float, int, float]:
        """The analysed curve, its slope per log-LR (or per LR) and the noise of the
        losses (a robust standard deviation), all in units of `scale`, the largest loss;
        where the analysis ends; and `scale`. The zero-phase curve finds divergence
        again, without the EMA's lag (the EMA can miss a blow-up that recovers), and is
        refitted without what follows."""
        lrs, ema, n = self._usable()
        if n < 3:
            return ema, np.zeros(n), 0.0, n, 1.0
        x = np.log(lrs) if self.log_lr else lrs
        # In units of the largest loss, so no sum of losses near the float range overflows
        # (every test below is unchanged by a positive scale).
        scale = _loss_scale(self.losses[:n])
        raw = self.losses[:n] / scale
        # The spread of one loss about its neighbours: a robust standard deviation from
        # the second differences of the losses (blind to a locally straight trend).
        noise = float(1.4826 * np.median(np.abs(np.diff(raw, 2))) / math.sqrt(6.0))
        if self.smoother == "ema":
            return ema / scale, np.gradient(ema / scale, x), noise, n, scale
        fit, slope = local_linear(x, raw, self.span)
        best = np.minimum.accumulate(fit)
        over = fit - best > (self.diverge - 1.0) * np.abs(best)
        if over.any() and int(np.argmax(over)) >= 2:
            n = int(np.argmax(over))
            x, raw = x[:n], raw[:n]
            fit, slope = local_linear(x, raw, self.span)
        return fit, slope, noise, n, scale

    @property
    def curve(self) -> np.ndarray:
        """The smoothed loss the suggestions read, up to where the analysis ends."""
        curve, _, _, _, scale = self._analysis
        with np.errstate(over="ignore"):  # a fit may overshoot losses at the float range's edge
            return curve * scale

    # -- suggestions ----------------------------------------------------------------
    @functools.cached_property
    def _reading(self) -> tuple[int, int] | str:
        """What every rule reads first: (the first step a rule may suggest, the lowest
        point of the curve), or the reason the curve supports no suggestion at all."""
        curve, _, noise, n, scale = self._analysis
        if n < MIN_POINTS:
            return f"only {n} points before the loss diverged ({self.stopped}); need >= {MIN_POINTS}"
        start = int(n * self.trim)
        lowest = start + int(np.argmin(curve[start:]))
        fall = float(np.max(curve[start : lowest + 1]) - curve[lowest])
        if lowest == start or fall <= 0.0:
            return "the loss never fell over the sweep: lower start_lr"
        # Is the fall more than noise? The running mean of k losses holds noise / sqrt(k);
        # over pure noise, its largest fall (a peak to a later trough) exceeded 7 times
        # that in 0.1% of 2,000 draws (50 to 300 points). A smaller fall is no fall.
        window = min(n, max(5, math.ceil(self.span * n)))
        means = np.convolve(self.losses[:n] / scale, np.ones(window) / window, mode="valid")
        trough = int(np.argmin(means))
        mean_fall = float(np.max(means[: trough + 1]) - means[trough])
        if mean_fall <= NOISE_FALL * noise / math.sqrt(window):  # a flat loss (no noise, no fall) too
            return (
                f"the loss fell by {mean_fall * scale:.3g}, within its noise "
                f"({NOISE_FALL:g} x {noise * scale:.3g} / sqrt({window})): "
                "no fall to read; widen the LR range or take more steps"
            )
        return start, lowest

    @functools.cached_property
    def _other_smoothers(self) -> dict[str, RangeTestResult]:
        return {name: dataclasses.replace(self, smoother=name) for name in SMOOTHERS if name != self.smoother}

    def suggest(self, rule: str = "steepest", smoother: str | None = None) -> Suggestion:
        """The LR `rule` reads from the curve (of `smoother`, by default the result's
        own), or `lr=None` and the reason it cannot."""
        if rule not in RULES:
            raise ValueError(f"rule must be one of {', '.join(map(repr, RULES))}; got {rule!r}")
        if smoother is not None and smoother != self.smoother:
            if smoother not in SMOOTHERS:
                raise ValueError(f"smoother must be one of {', '.join(map(repr, SMOOTHERS))}; got {smoother!r}")
            return self._other_smoothers[smoother].suggest(rule)
        reading = self._reading
        if isinstance(reading, str):
            return Suggestion(rule, None, None, reading, self.smoother)
        start, lowest = reading
        curve, slope, _, n, _ = self._analysis
        lrs = self.lrs
        if rule in ("min", "min_div_10"):
            index, divisor, reason = lowest, (10.0 if rule == "min_div_10" else 1.0), "lowest smoothed loss"
        elif rule == "steepest":
            stop = n - max(1, n // 20)
            index = start + int(np.argmin(slope[start:stop]))
            if slope[index] >= 0:
                return Suggestion(rule, None, None, "the loss never fell over the sweep: lower start_lr", self.smoother)
            divisor, reason = 1.0, "steepest fall of the smoothed loss"
        else:
            found = fastai_valley(curve[start:])
            if found is None:
                return Suggestion(rule, None, None, "the loss never fell over the sweep: lower start_lr", self.smoother)
            index, divisor, reason = start + found, 1.0, "fastai valley: 2/3 down the longest descent"
        lr = float(lrs[index] / divisor)
        if divisor != 1.0:
            reason += f" / {divisor:g}"
        if lr < self.lrs[0]:
            return Suggestion(
                rule, None, index, f"{reason} is below start_lr ({self.lrs[0]:.3g}): lower start_lr", self.smoother
            )
        if lowest >= n - 2 and n == self.losses.size and not self._loss_stopped_the_sweep:
            # Only where nothing in the loss ended the sweep (it ran to end_lr, or the data
            # ran out) can the lowest loss lie beyond it; before a blow-up it cannot.
            reason += f"; the loss was still falling at the end of the sweep ({self.stopped}): raise end_lr"
        return Suggestion(rule, lr, index, reason, self.smoother)

    def _off_default(self) -> str:
        """Where the sweep was not the default the rules were chosen at, say so: their
        factors were measured at the default sweep only."""
        if self.sweep is None or (self.sweep, self.smoothing, self.log_lr) == (DEFAULT_SWEEP, DEFAULT_SMOOTHING, True):
            return ""

        def said(sweep: tuple[float, float, int], log_lr: bool, smoothing: float) -> str:
            start, end, steps = sweep
            return f"{start:.3g} to {end:.3g}, {steps} steps, {'exp' if log_lr else 'linear'}, smoothing {smoothing:g}"

        default, this = said(DEFAULT_SWEEP, True, DEFAULT_SMOOTHING), said(self.sweep, self.log_lr, self.smoothing)
        return f"; chosen at the default sweep ({default}), not measured at this one ({this})"

    @property
    def _loss_stopped_the_sweep(self) -> bool:
        return self.stopped.startswith(("diverged", "non-finite"))

    def suggestions(self) -> dict[str, Suggestion]:
        return {rule: self.suggest(rule) for rule in RULES}

    def recommend(self, use: str = "one_cycle", optimizer: str | None = None) -> Suggestion:
        """The LR for `use` — "constant" (a constant LR), "one_cycle" (its `max_lr`) or
        "cyclic" (the top of CLR) — with `optimizer`'s family: "sgd" (SGD, with or without
        momentum) or "adaptive" (Adam and its kin). By default the family of the
        optimizer the range test ran with (recorded by the runners), else "sgd". The rule,
        curve and factor of each pair are those `benchmarks/finder_heldout.py` chose by
        leave-one-task-out cross-validation, with the range test's default settings."""
        if use not in USES:
            raise ValueError(f"use must be one of {', '.join(map(repr, USES))}; got {use!r}")
        _check_optimizer_family(optimizer)
        family = optimizer or self.optimizer or "sgd"
        rule, smoother, factor = RECOMMENDED[(use, family)]
        found = self.suggest(rule, smoother)
        said = "" if optimizer or self.optimizer else "; optimizer family not recorded: SGD assumed"
        if found.lr is None:
            return found._replace(reason=found.reason + said)
        scaled = f" x {factor:.3g}" if factor != 1.0 else ""
        reason = f"{found.reason}{scaled}, the rule for {use} with {family} optimizers{said}{self._off_default()}"
        return found._replace(lr=found.lr * factor, reason=reason)

    def cyclic_bounds(self, rule: str | None = None, ratio: float = 10.0) -> tuple[float, float]:
        """(base_lr, max_lr) for `cyclic` / `one_cycle`: max from `rule` (by default the
        rule recommended for "cyclic"), base = max / ratio."""
        if not (math.isfinite(ratio) and ratio > 1.0):
            raise ValueError(f"ratio must be a finite number in (1, inf); got {ratio!r}")
        found = self.recommend("cyclic") if rule is None else self.suggest(rule)
        if found.lr is None:
            raise ValueError(f"no cyclic bounds: rule {found.rule!r} has no suggestion ({found.reason})")
        return (found.lr / ratio, found.lr)

    def _lr_for(self, use: str) -> float:
        found = self.recommend(use)
        if found.lr is None:
            raise ValueError(f"no LR to use: rule {found.rule!r} has no suggestion ({found.reason})")
        return found.lr

    def one_cycle(self, total_steps: float, **options: Any) -> Any:
        """`lrsched.one_cycle` with `max_lr` from `recommend("one_cycle")`; `options` go
        to `one_cycle` (pct_start, div_factor, ...)."""
        from lrsched.one_cycle import one_cycle

        return one_cycle(max_lr=self._lr_for("one_cycle"), total_steps=total_steps, **options)

    def cyclic(self, step_size_up: float, ratio: float = 10.0, **options: Any) -> Any:
        """`lrsched.cyclic` between `cyclic_bounds(ratio=ratio)`; `options` go to `cyclic`."""
        from lrsched.cyclic import cyclic

        base_lr, max_lr = self.cyclic_bounds(ratio=ratio)
        return cyclic(base_lr=base_lr, max_lr=max_lr, step_size_up=step_size_up, **options)

    def plot(self, path: str | None = None, ax: Any = None) -> Any:
        """Loss vs LR (log axis): the raw losses, the causal EMA and the analysed curve,
        each suggestion a point on the curve with its LR, the recommended LR of each use
        a solid line, the divergence marked. The
        y-range shows the curve from its start to a little below its lowest point, not
        the blow-up. Needs matplotlib. Returns the figure; with `path`, also saves it."""
        if ax is None:
            import matplotlib.pyplot as plt

            fig, ax = plt.subplots(figsize=(7, 4.5), constrained_layout=True)
        else:
            fig = ax.figure
        curve, n = self.curve, self._analysis[3]
        ax.plot(self.lrs, self.losses, color="0.75", linewidth=1, label="loss")
        ax.plot(self.lrs, self.smoothed, color="0.45", linewidth=1, linestyle=":", label=f"EMA (beta={self.smoothing})")
        if n:
            ax.plot(self.lrs[:n], curve, color="tab:blue", linewidth=2, label=f"analysed ({self.smoother})")
        colors = {"steepest": "tab:green", "min_div_10": "tab:orange", "valley": "tab:purple", "min": "tab:red"}
        for rule, found in self.suggestions().items():
            if found.lr is not None:
                # On the curve at the LR suggested (min_div_10 lies a decade left of its step).
                where = np.log(self.lrs[:n]) if self.log_lr else self.lrs[:n]
                y = np.interp(math.log(found.lr) if self.log_lr else found.lr, where, curve)
                ax.plot([found.lr], [y], "o", color=colors[rule], label=f"{found.label}: {found.lr:.3g}")
        # The LR to use, per use (the recommendation may read another curve, times a factor).
        recommended: dict[float, list[str]] = {}
        for use in USES:
            chosen = self.recommend(use)
            if chosen.lr is not None:
                recommended.setdefault(chosen.lr, []).append(use)
        for lr, uses in recommended.items():
            ax.axvline(
                lr, color="black", linewidth=1.5, alpha=0.7, label=f"recommended for {', '.join(uses)}: {lr:.3g}"
            )
        if n < self.losses.size:
            ax.axvline(self.lrs[n], color="0.3", linestyle="--", linewidth=1, label=f"diverged at {self.lrs[n]:.3g}")
        if self.log_lr:
            ax.set_xscale("log")
        if n >= 2:
            low, high = float(np.min(curve)), float(max(curve[0], np.max(curve[: max(1, n // 2)])))
            span = max(high - low, 1e-12)
            ax.set_ylim(low - 0.15 * span, high + 0.15 * span)
        ax.set_xlabel("learning rate")
        ax.set_ylabel("loss")
        ax.set_title(f"LR range test ({self.stopped})")
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
        if path is not None:
            fig.savefig(path, dpi=100, bbox_inches="tight")
        return fig

    # -- serialisation --------------------------------------------------------------
    def _settings(self) -> dict[str, Any]:
        return {
            "smoothing": self.smoothing,
            "diverge": self.diverge,
            "trim": self.trim,
            "log_lr": self.log_lr,
            "stopped": self.stopped,
            "smoother": self.smoother,
            "span": self.span,
            "optimizer": self.optimizer,
            "sweep": self.sweep,
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
    """Single-pass data (a generator) ran out before the sweep ended; the message, if
    any, says where (on which of several ranks)."""


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


def require_reiterable(name: str, value: Iterable[Any]) -> None:
    """Refuse data the range test reads on every step but that gives its batches once
    (a generator, an iterator): its second pass would be empty."""
    if iter(value) is value:
        raise TypeError(
            f"{name} must be re-iterable (a list, a tuple, a DataLoader): it is read after every step, and "
            f"{type(value).__name__} {value!r} gives its batches once; pass list({name}) instead"
        )


def check_sweep_settings(
    *,
    start_lr: float = 1e-7,
    end_lr: float = 10.0,
    num_steps: int = 100,
    mode: str = "exp",
    smoothing: float = 0.98,
    diverge: float = 4.0,
) -> tuple[Callable[[Any], Any], dict[str, Any]]:
    """Check the sweep's settings as `run_sweep` does before any training: the LR sweep
    to follow and the settings of the result to record, or a ValueError naming the one
    that is out of range."""
    from lrsched.sweep import range_sweep

    if not isinstance(num_steps, int) or isinstance(num_steps, bool) or num_steps < 2:
        raise ValueError(f"num_steps must be a whole number >= 2; got {num_steps!r}")
    schedule = range_sweep(start_lr=start_lr, end_lr=end_lr, num_steps=num_steps - 1, mode=mode)
    settings: dict[str, Any] = {
        "smoothing": smoothing,
        "diverge": diverge,
        "log_lr": mode == "exp",
        "sweep": (start_lr, end_lr, num_steps),
    }
    RangeTestResult(lrs=np.ones(1), losses=np.zeros(1), **settings)  # checks them before training
    return schedule, settings


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
    optimizer: str | None = None,
) -> RangeTestResult:
    """Drive a range test: `train_step(lr, batches)` does one optimizer step at `lr` on
    batches drawn from the (cycled) data and returns (the LR it applied, the loss to
    record). Stops at a non-finite loss or when the smoothed loss diverges. `optimizer`
    is the family recorded for `recommend` ("sgd", "adaptive" or None: unknown)."""
    schedule, settings = check_sweep_settings(
        start_lr=start_lr, end_lr=end_lr, num_steps=num_steps, mode=mode, smoothing=smoothing, diverge=diverge
    )
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
    return RangeTestResult(lrs=np.array(lrs), losses=np.array(losses), stopped=stopped, optimizer=optimizer, **settings)
