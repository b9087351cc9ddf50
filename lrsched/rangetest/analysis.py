"""The LR range test's analysis: framework-free, from a record's LRs and losses.

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

import dataclasses
import functools
import math
import warnings
from typing import NamedTuple

import numpy as np

from lrsched.rangetest.record import USES, Confirmation, RangeTestRecord, check_optimizer_family
from lrsched.rangetest.settings import DEFAULT_SMOOTHING, DEFAULT_SWEEP

RULES = ("steepest", "min_div_10", "valley", "min")
SMOOTHERS = ("local", "ema")
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
# What `benchmarks/finder_heldout.py --sweep` measured of the rules above at four other
# sweeps (start_lr 1e-5; 1e-8 to 1; 300 steps; smoothing 0.95), held out as at the default.
OFF_DEFAULT = {
    "sgd": "at four other sweeps the held-out benchmark measured the SGD rules' worst regret at 8-116 points "
    "(at the default, 36-66): sweep the default range, and confirm=k where you have held-out batches",
    "adaptive": "at four other sweeps the held-out benchmark measured the adaptive rules within 3.3 points, "
    "but for 1cycle 12.3 once (1e-8 to 1)",
}
MIN_POINTS = 10
NOISE_FALL = 7.0  # a fall of the running mean below NOISE_FALL * noise / sqrt(points) is noise
CURVE_NAMES = {"local": "zero-phase curve", "ema": "EMA", "held-out": "held-out loss of short trainings"}
NEVER_FELL = "the loss never fell over the sweep: lower start_lr"


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; got {value!r}")


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


def confirmed_suggestion(confirmed: Confirmation) -> Suggestion:
    """The LR the confirmation stage chose, as a suggestion whose reason says how."""
    tried = ", ".join(f"{lr:.3g}: {score:.4g}" for lr, score in zip(confirmed.lrs, confirmed.scores, strict=True))
    words = (
        f"{len(confirmed.lrs)} short trainings of {confirmed.steps} steps around the recommended "
        f"{confirmed.recommended:.3g} (held-out loss {tried}; cost {confirmed.cost:.2g}x the sweep's steps)"
    )
    lr = confirmed.lr
    if lr is None:
        return Suggestion("confirmed", None, None, f"no candidate kept a finite loss: {words}", "held-out")
    return Suggestion("confirmed", lr, None, f"the lowest held-out loss of {words}", "held-out")


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


class CurveTracker:
    """The smoothed loss and the divergence test, one loss at a time (O(1) a step).

    The runners stop the sweep with it as the losses arrive, and the analysis computes
    its curve with it: one definition of both.
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


@dataclasses.dataclass(frozen=True, eq=False)
class SmoothedLoss:
    """The causal EMA of a record's losses (what stops the sweep), NaN from the first
    non-finite loss on, and the first index where it diverged (or None)."""

    values: np.ndarray
    divergence_index: int | None


def smoothed_loss(record: RangeTestRecord) -> SmoothedLoss:
    """The record's losses through `CurveTracker`, with its smoothing and diverge."""
    tracker = CurveTracker(record.smoothing, record.diverge)
    out = np.full(record.losses.shape, np.nan)
    diverged_at = None
    for i, loss in enumerate(record.losses.tolist()):
        value, diverged = tracker.add(loss)
        out[i] = value
        if diverged and diverged_at is None:
            diverged_at = i
        if not math.isfinite(value):
            break
    out.setflags(write=False)
    return SmoothedLoss(values=out, divergence_index=diverged_at)


@dataclasses.dataclass(frozen=True, eq=False)
class Fit:
    """A smoother's curve of the losses before divergence, in units of `scale` (the
    largest |loss|, so no sum of losses near the float range overflows)."""

    curve: np.ndarray  # the smoothed loss at each point, over `scale`
    slope: np.ndarray  # its slope per log-LR (or per LR, on a linear sweep)
    noise: float  # the spread of one loss about its neighbours (a robust standard deviation), over `scale`
    end: int  # the points the analysis reads: those before divergence
    scale: float


@dataclasses.dataclass(frozen=True, eq=False)
class CurveReading:
    """One smoother's reading of a record: its curve and what each rule reads on it.

    `ema` is the record's `smoothed_loss`, computed once and shared by every smoother's
    reading.
    """

    record: RangeTestRecord
    ema: SmoothedLoss
    smoother: str = "local"
    trim: float = 0.1
    span: float = 0.2

    def usable(self) -> tuple[np.ndarray, np.ndarray, int]:
        """LRs and EMA-smoothed losses before divergence, and how many there are."""
        end = self.ema.divergence_index
        end = self.record.losses.size if end is None else end
        return self.record.lrs[:end], self.ema.values[:end], end

    @functools.cached_property
    def fit(self) -> Fit:
        """The analysed curve. The zero-phase curve finds divergence again, without the
        EMA's lag (the EMA can miss a blow-up that recovers), and is refitted without
        what follows."""
        lrs, ema, n = self.usable()
        if n < 3:
            return Fit(curve=ema, slope=np.zeros(n), noise=0.0, end=n, scale=1.0)
        x = np.log(lrs) if self.record.log_lr else lrs
        # In units of the largest loss (every test below is unchanged by a positive scale).
        scale = _loss_scale(self.record.losses[:n])
        raw = self.record.losses[:n] / scale
        # The spread of one loss about its neighbours: a robust standard deviation from
        # the second differences of the losses (blind to a locally straight trend).
        noise = float(1.4826 * np.median(np.abs(np.diff(raw, 2))) / math.sqrt(6.0))
        if self.smoother == "ema":
            return Fit(curve=ema / scale, slope=np.gradient(ema / scale, x), noise=noise, end=n, scale=scale)
        fit, slope = local_linear(x, raw, self.span)
        best = np.minimum.accumulate(fit)
        over = fit - best > (self.record.diverge - 1.0) * np.abs(best)
        if over.any() and int(np.argmax(over)) >= 2:
            n = int(np.argmax(over))
            x, raw = x[:n], raw[:n]
            fit, slope = local_linear(x, raw, self.span)
        return Fit(curve=fit, slope=slope, noise=noise, end=n, scale=scale)

    @functools.cached_property
    def _readable(self) -> tuple[int, int] | str:
        """What every rule reads first: (the first step a rule may suggest, the lowest
        point of the curve), or the reason the curve supports no suggestion at all."""
        fit = self.fit
        curve, noise, n, scale = fit.curve, fit.noise, fit.end, fit.scale
        if n < MIN_POINTS:
            return f"only {n} points before the loss diverged ({self.record.stopped}); need >= {MIN_POINTS}"
        start = int(n * self.trim)
        lowest = start + int(np.argmin(curve[start:]))
        fall = float(np.max(curve[start : lowest + 1]) - curve[lowest])
        if lowest == start or fall <= 0.0:
            return NEVER_FELL
        # Is the fall more than noise? The running mean of k losses holds noise / sqrt(k);
        # over pure noise, its largest fall (a peak to a later trough) exceeded 7 times
        # that in 0.1% of 2,000 draws (50 to 300 points). A smaller fall is no fall.
        window = min(n, max(5, math.ceil(self.span * n)))
        means = np.convolve(self.record.losses[:n] / scale, np.ones(window) / window, mode="valid")
        trough = int(np.argmin(means))
        mean_fall = float(np.max(means[: trough + 1]) - means[trough])
        if mean_fall <= NOISE_FALL * noise / math.sqrt(window):  # a flat loss (no noise, no fall) too
            return (
                f"the loss fell by {mean_fall * scale:.3g}, within its noise "
                f"({NOISE_FALL:g} x {noise * scale:.3g} / sqrt({window})): "
                "no fall to read; widen the LR range or take more steps"
            )
        return start, lowest

    def suggest(self, rule: str) -> Suggestion:
        """The LR `rule` reads from this curve, or `lr=None` and the reason it cannot."""
        _one_of("rule", rule, RULES)
        readable = self._readable
        if isinstance(readable, str):
            return Suggestion(rule, None, None, readable, self.smoother)
        start, lowest = readable
        fit = self.fit
        n, lrs = fit.end, self.record.lrs
        if rule in ("min", "min_div_10"):
            index, divisor, reason = lowest, (10.0 if rule == "min_div_10" else 1.0), "lowest smoothed loss"
        elif rule == "steepest":
            stop = n - max(1, n // 20)
            index = start + int(np.argmin(fit.slope[start:stop]))
            if fit.slope[index] >= 0:
                return Suggestion(rule, None, None, NEVER_FELL, self.smoother)
            divisor, reason = 1.0, "steepest fall of the smoothed loss"
        else:
            found = fastai_valley(fit.curve[start:])
            if found is None:
                return Suggestion(rule, None, None, NEVER_FELL, self.smoother)
            index, divisor, reason = start + found, 1.0, "fastai valley: 2/3 down the longest descent"
        lr = float(lrs[index] / divisor)
        if divisor != 1.0:
            reason += f" / {divisor:g}"
        if lr < lrs[0]:
            return Suggestion(
                rule, None, index, f"{reason} is below start_lr ({lrs[0]:.3g}): lower start_lr", self.smoother
            )
        if lowest >= n - 2 and n == lrs.size and not self.record.stopped_by_loss:
            # Only where nothing in the loss ended the sweep (it ran to end_lr, or the data
            # ran out) can the lowest loss lie beyond it; before a blow-up it cannot.
            reason += f"; the loss was still falling at the end of the sweep ({self.record.stopped}): raise end_lr"
        return Suggestion(rule, lr, index, reason, self.smoother)


@dataclasses.dataclass(frozen=True)
class Analysis:
    """A record read by the rules: suggestions on either smoother's curve and the
    recommended LR for each use.

    Args:
        record: the range test's record.
        smoother: the curve the suggestions read by default: "local" (zero-phase) or "ema".
        trim: the first fraction of the points never suggested, in [0, 0.5).
        span: the fraction of the points each local fit spans, in (0, 1].

    Each smoother's curve is computed once, on first use, from the one record.
    """

    record: RangeTestRecord
    smoother: str = "local"
    trim: float = 0.1
    span: float = 0.2

    def __post_init__(self) -> None:
        if not 0.0 <= self.trim < 0.5:
            raise ValueError(f"trim must be in [0, 0.5); got {self.trim!r}")
        _one_of("smoother", self.smoother, SMOOTHERS)
        if not 0.0 < self.span <= 1.0:
            raise ValueError(f"span must be in (0, 1]; got {self.span!r}")

    __hash__ = None  # type: ignore[assignment]

    @functools.cached_property
    def _ema(self) -> SmoothedLoss:
        return smoothed_loss(self.record)

    @functools.cached_property
    def _readings(self) -> dict[str, CurveReading]:
        return {}

    def reading(self, smoother: str | None = None) -> CurveReading:
        """The reading on `smoother`'s curve (by default the analysis's own)."""
        name = self.smoother if smoother is None else smoother
        _one_of("smoother", name, SMOOTHERS)
        if name not in self._readings:
            self._readings[name] = CurveReading(self.record, self._ema, name, self.trim, self.span)
        return self._readings[name]

    @property
    def smoothed(self) -> np.ndarray:
        """The causal, bias-corrected EMA of the losses (what stops the sweep); NaN from
        the first non-finite loss on."""
        return self._ema.values

    @property
    def divergence_index(self) -> int | None:
        """The first index where the loss diverged (see module docs), or None."""
        return self._ema.divergence_index

    def _usable(self) -> tuple[np.ndarray, np.ndarray, int]:
        """LRs and EMA-smoothed losses before divergence, and how many there are."""
        return self.reading().usable()

    @property
    def curve(self) -> np.ndarray:
        """The smoothed loss the suggestions read, up to where the analysis ends."""
        fit = self.reading().fit
        with np.errstate(over="ignore"):  # a fit may overshoot losses at the float range's edge
            return fit.curve * fit.scale

    def suggest(self, rule: str | None = None, smoother: str | None = None) -> Suggestion:
        """The LR `rule` reads from the curve (of `smoother`, by default the result's
        own), or `lr=None` and the reason it cannot.

        Without a rule: `recommend("constant")`, the LR to use, with a
        DeprecationWarning (until 0.2 the default rule was `steepest`, which the held-out
        benchmark found no use's best); name a rule, or call `recommend(use)`."""
        if rule is None:
            warnings.warn(
                "suggest() without a rule returns recommend('constant') (it read 'steepest' until 0.2) and will "
                "need a rule in 0.4: call recommend(use) for the LR to use, or name a rule: suggest('steepest')",
                DeprecationWarning,
                stacklevel=2,
            )
            return self.recommend("constant")
        _one_of("rule", rule, RULES)
        return self.reading(smoother).suggest(rule)

    def suggestions(self) -> dict[str, Suggestion]:
        """Every rule's suggestion on the analysis's own curve."""
        return {rule: self.suggest(rule) for rule in RULES}

    def _off_default(self, family: str) -> str:
        """Where the sweep was not the default the rules were chosen at, say so, and what
        the held-out benchmark measured at four other sweeps (OFF_DEFAULT)."""
        record = self.record
        at_default = (record.sweep, record.smoothing, record.log_lr) == (DEFAULT_SWEEP, DEFAULT_SMOOTHING, True)
        if record.sweep is None or at_default:
            return ""

        def said(sweep: tuple[float, float, int], log_lr: bool, smoothing: float) -> str:
            start, end, steps = sweep
            return f"{start:.3g} to {end:.3g}, {steps} steps, {'exp' if log_lr else 'linear'}, smoothing {smoothing:g}"

        default = said(DEFAULT_SWEEP, True, DEFAULT_SMOOTHING)
        this = said(record.sweep, record.log_lr, record.smoothing)
        return f"; chosen at the default sweep ({default}), not at this one ({this}): {OFF_DEFAULT[family]}"

    def recommend(self, use: str = "one_cycle", optimizer: str | None = None) -> Suggestion:
        """The LR for `use` — "constant" (a constant LR), "one_cycle" (its `max_lr`) or
        "cyclic" (the top of CLR) — with `optimizer`'s family: "sgd" (SGD, with or without
        momentum) or "adaptive" (Adam and its kin). By default the family of the
        optimizer the range test ran with (recorded by the runners), else "sgd". The rule,
        curve and factor of each pair are those `benchmarks/finder_heldout.py` chose by
        leave-one-task-out cross-validation, with the range test's default settings."""
        _one_of("use", use, USES)
        check_optimizer_family(optimizer)
        recorded = self.record.optimizer
        family = optimizer or recorded or "sgd"
        confirmed = self.record.confirmation
        if confirmed is not None and confirmed.use == use and optimizer in (None, recorded):
            return confirmed_suggestion(confirmed)
        rule, smoother, factor = RECOMMENDED[(use, family)]
        found = self.suggest(rule, smoother)
        said = "" if optimizer or recorded else "; optimizer family not recorded: SGD assumed"
        if found.lr is None:
            return found._replace(reason=found.reason + said)
        scaled = f" x {factor:.3g}" if factor != 1.0 else ""
        reason = f"{found.reason}{scaled}, the rule for {use} with {family} optimizers{said}{self._off_default(family)}"
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
