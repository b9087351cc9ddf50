"""The LR range test, framework-free: its settings, the sweep the runners drive, the
record a sweep leaves and the analysis that reads it.

- `RangeTestSettings`: the sweep (start_lr, end_lr, num_steps, mode, smoothing,
  diverge, progress), one frozen value checked when built; every runner takes these as
  keyword arguments with its defaults.
- `run_sweep`: the loop every framework's runner drives (`lrsched.adapters.torch`,
  `.optax`, `.keras`).
- `RangeTestRecord`: what a sweep recorded (LRs, losses, why it stopped, its settings,
  the optimizer family), a frozen value.
- `Analysis`: a record read by the rules (`suggest`, `recommend`); `RangeTestResult`,
  what every runner returns, is a record and its analysis with the plot and files.

The smoothing, the divergence test and the rules are described in
`lrsched.rangetest.analysis`.
"""

from lrsched.rangetest.analysis import (
    CURVE_NAMES,
    MIN_POINTS,
    NOISE_FALL,
    RECOMMENDED,
    RULES,
    SMOOTHERS,
    USES,
    Analysis,
    CurveReading,
    CurveTracker,
    Fit,
    SmoothedLoss,
    Suggestion,
    fastai_valley,
    local_linear,
    smoothed_loss,
)
from lrsched.rangetest.record import ADAPTIVE_OPTIMIZERS, OPTIMIZER_FAMILIES, RangeTestRecord, optimizer_family
from lrsched.rangetest.result import RangeTestResult
from lrsched.rangetest.settings import (
    DEFAULT_DIVERGE,
    DEFAULT_SETTINGS,
    DEFAULT_SMOOTHING,
    DEFAULT_SWEEP,
    SETTING_NAMES,
    RangeTestSettings,
    check_sweep_settings,
)
from lrsched.rangetest.sweep import DataExhaustedError, cycle_batches, require_reiterable, run_sweep

__all__ = [
    "ADAPTIVE_OPTIMIZERS",
    "CURVE_NAMES",
    "DEFAULT_DIVERGE",
    "DEFAULT_SETTINGS",
    "DEFAULT_SMOOTHING",
    "DEFAULT_SWEEP",
    "MIN_POINTS",
    "NOISE_FALL",
    "OPTIMIZER_FAMILIES",
    "RECOMMENDED",
    "RULES",
    "SETTING_NAMES",
    "SMOOTHERS",
    "USES",
    "Analysis",
    "CurveReading",
    "CurveTracker",
    "DataExhaustedError",
    "Fit",
    "RangeTestRecord",
    "RangeTestResult",
    "RangeTestSettings",
    "SmoothedLoss",
    "Suggestion",
    "check_sweep_settings",
    "cycle_batches",
    "fastai_valley",
    "local_linear",
    "optimizer_family",
    "require_reiterable",
    "run_sweep",
    "smoothed_loss",
]
