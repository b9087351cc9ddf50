"""lrsched: learning-rate and momentum schedules as pure functions of the step.

Every policy is a frozen value: `schedule(step)` answers in the type of `step` (Python
number, NumPy array, JAX array, torch or TensorFlow tensor). Adapters for torch, optax
and Keras live in `lrsched.adapters`; Hypothesis strategies and checks in
`lrsched.testing`.
"""

from lrsched.base import Piece, Schedule, Shaped, from_config, register
from lrsched.compose import Join, Product, Warmup, join, product, warmup
from lrsched.cosine import CosineDecay, CosineRestarts, cosine_decay, cosine_restarts
from lrsched.cyclic import Cyclic, cyclic
from lrsched.decay import (
    Constant,
    Exponential,
    MultiStep,
    StepDecay,
    constant,
    exponential,
    multi_step,
    step_decay,
)
from lrsched.inverse import InverseDecay, inverse_decay
from lrsched.momentum import InverseMomentum, inverse_momentum, lr_and_momentum
from lrsched.one_cycle import OneCycle, one_cycle
from lrsched.plotting import plot
from lrsched.polynomial import Polynomial, polynomial
from lrsched.restarts import Restarts, restarts
from lrsched.sweep import RangeSweep, range_sweep
from lrsched.tanh import TanhDecay, tanh_decay
from lrsched.wsd import WarmupStableDecay, warmup_stable_decay

__version__ = "0.2.0"

__all__ = [
    "Constant",
    "CosineDecay",
    "CosineRestarts",
    "Cyclic",
    "Exponential",
    "InverseDecay",
    "InverseMomentum",
    "Join",
    "MultiStep",
    "OneCycle",
    "Piece",
    "Polynomial",
    "Product",
    "RangeSweep",
    "Restarts",
    "Schedule",
    "Shaped",
    "StepDecay",
    "TanhDecay",
    "Warmup",
    "WarmupStableDecay",
    "constant",
    "cosine_decay",
    "cosine_restarts",
    "cyclic",
    "exponential",
    "from_config",
    "inverse_decay",
    "inverse_momentum",
    "join",
    "lr_and_momentum",
    "multi_step",
    "one_cycle",
    "plot",
    "polynomial",
    "product",
    "range_sweep",
    "register",
    "restarts",
    "step_decay",
    "tanh_decay",
    "warmup",
    "warmup_stable_decay",
]
