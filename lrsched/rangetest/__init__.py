"""The LR range test, framework-free: its settings, the sweep the runners drive, the
record a sweep leaves and the analysis that reads it.

- `RangeTestSettings`: the sweep (start_lr, end_lr, num_steps, mode, smoothing,
  diverge, progress), one frozen value checked when built; every runner takes these as
  keyword arguments with its defaults.
- `run_sweep`: the loop every framework's runner drives (`lrsched.adapters.torch`,
  `.optax`, `.keras`).
- `RangeTestRecord`: what a sweep recorded (LRs, losses, why it stopped, its settings,
  the optimizer family), a frozen value.
- `candidate_lrs`, `short_schedule`, `Confirmation`: the optional confirmation stage
  (short trainings around the recommendation, scored on held-out batches).
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
from lrsched.rangetest.confirm import (
    CONFIRM_CANDIDATES,
    CONFIRM_SPREAD,
    candidate_lrs,
    check_confirm,
    check_confirmation,
    run_confirmation,
    short_schedule,
)
from lrsched.rangetest.record import (
    ADAPTIVE_OPTIMIZERS,
    OPTIMIZER_FAMILIES,
    USES,
    Confirmation,
    RangeTestRecord,
    optimizer_family,
)
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
from lrsched.rangetest.sweep import DataExhaustedError, EmptyDataError, cycle_batches, require_reiterable, run_sweep

__all__ = [
    "ADAPTIVE_OPTIMIZERS",
    "CONFIRM_CANDIDATES",
    "CONFIRM_SPREAD",
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
    "Confirmation",
    "CurveReading",
    "CurveTracker",
    "DataExhaustedError",
    "EmptyDataError",
    "Fit",
    "RangeTestRecord",
    "RangeTestResult",
    "RangeTestSettings",
    "SmoothedLoss",
    "Suggestion",
    "candidate_lrs",
    "check_confirm",
    "check_confirmation",
    "check_sweep_settings",
    "cycle_batches",
    "fastai_valley",
    "local_linear",
    "optimizer_family",
    "require_reiterable",
    "run_confirmation",
    "run_sweep",
    "short_schedule",
    "smoothed_loss",
]
