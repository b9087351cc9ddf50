"""`RangeTestResult`: what every runner returns, a record and its analysis in one
value, with the plot, the schedules built from it, and JSON and CSV files."""

from __future__ import annotations

import csv
import io
import json
import math
from typing import Any

import numpy as np

from lrsched.rangetest.analysis import Analysis
from lrsched.rangetest.record import USES, Confirmation, RangeTestRecord
from lrsched.rangetest.settings import DEFAULT_DIVERGE, DEFAULT_SMOOTHING


class RangeTestResult(Analysis):
    """What a range test recorded, and the analysis of it.

    `lrs[i]` is the LR applied at optimizer step i and `losses[i]` the (training or
    validation) loss measured there; `stopped` says why the sweep ended. The record
    itself is `record` (a `RangeTestRecord`); `smoother`, `trim` and `span` say how it
    is read. A frozen value: equal results hold equal records read the same way.
    """

    def __init__(
        self,
        lrs: Any,
        losses: Any,
        smoothing: float = DEFAULT_SMOOTHING,
        diverge: float = DEFAULT_DIVERGE,
        trim: float = 0.1,
        log_lr: bool = True,
        stopped: str = "completed",
        smoother: str = "local",
        span: float = 0.2,
        optimizer: str | None = None,
        sweep: tuple[float, float, int] | None = None,
        confirmation: Confirmation | dict[str, Any] | None = None,
    ) -> None:
        record = RangeTestRecord(
            lrs=lrs,
            losses=losses,
            stopped=stopped,
            smoothing=smoothing,
            diverge=diverge,
            log_lr=log_lr,
            sweep=sweep,
            optimizer=optimizer,
            confirmation=confirmation,  # type: ignore[arg-type]  # a dict (from JSON) is read back
        )
        super().__init__(record, smoother=smoother, trim=trim, span=span)

    @classmethod
    def of(
        cls, record: RangeTestRecord, *, smoother: str = "local", trim: float = 0.1, span: float = 0.2
    ) -> RangeTestResult:
        """The result of `record`, read with `smoother`, `trim` and `span`."""
        result = cls.__new__(cls)
        Analysis.__init__(result, record, smoother=smoother, trim=trim, span=span)
        return result

    # -- the record -------------------------------------------------------------------
    @property
    def lrs(self) -> np.ndarray:
        """The LR applied at each step (read-only)."""
        return self.record.lrs

    @property
    def losses(self) -> np.ndarray:
        """The loss measured at each step (read-only)."""
        return self.record.losses

    @property
    def stopped(self) -> str:
        """Why the sweep ended."""
        return self.record.stopped

    @property
    def smoothing(self) -> float:
        """The beta of the EMA that watched the loss."""
        return self.record.smoothing

    @property
    def diverge(self) -> float:
        """The divergence ratio of the sweep."""
        return self.record.diverge

    @property
    def log_lr(self) -> bool:
        """Whether the LRs were swept on a log axis."""
        return self.record.log_lr

    @property
    def sweep(self) -> tuple[float, float, int] | None:
        """(start_lr, end_lr, num_steps) of the sweep, or None where unknown."""
        return self.record.sweep

    @property
    def optimizer(self) -> str | None:
        """The optimizer family the sweep ran with ("sgd", "adaptive"), or None."""
        return self.record.optimizer

    @property
    def confirmation(self) -> Confirmation | None:
        """What the confirmation stage measured (`range_test(confirm=k)`), or None."""
        return self.record.confirmation

    # -- schedules from the result ----------------------------------------------------
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
        curve, n = self.curve, self.reading().fit.end
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
        """The record's settings and how it is read: what the files write beside the curve."""
        return self.record.settings() | {"smoother": self.smoother, "trim": self.trim, "span": self.span}

    def to_json(self) -> str:
        """The record and how it is read, as JSON (NaN and inf losses as strings)."""
        # NaN and inf losses are part of the record: written as strings.
        losses = [v if math.isfinite(v) else repr(v) for v in self.losses.tolist()]
        return json.dumps({"lrs": self.lrs.tolist(), "losses": losses, **self._settings()})

    @classmethod
    def from_json(cls, text: str) -> RangeTestResult:
        """The result `to_json` wrote."""
        data = json.loads(text)
        data["losses"] = [float(v) for v in data["losses"]]
        return cls(**data)

    def to_csv(self) -> str:
        """One row per step (lr, loss, smoothed), after a comment line with the settings."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["# " + json.dumps(self._settings())])
        writer.writerow(["lr", "loss", "smoothed"])
        for row in zip(self.lrs.tolist(), self.losses.tolist(), self.smoothed.tolist(), strict=True):
            writer.writerow([repr(v) for v in row])
        return out.getvalue()

    @classmethod
    def from_csv(cls, text: str) -> RangeTestResult:
        """The result `to_csv` wrote."""
        rows = list(csv.reader(io.StringIO(text)))
        settings = json.loads(rows[0][0][2:])
        lrs = [float(r[0]) for r in rows[2:]]
        losses = [float(r[1]) for r in rows[2:]]
        return cls(lrs=np.array(lrs), losses=np.array(losses), **settings)

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self._settings().items())
        return f"{type(self).__name__}(lrs={self.lrs!r}, losses={self.losses!r}, {fields})"
