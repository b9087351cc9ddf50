"""lrsched: learning-rate and momentum schedules as pure functions of the step.

Every policy is a frozen value: `schedule(step)` answers in the type of `step` (Python
number, NumPy array, JAX array, torch or TensorFlow tensor). Adapters for torch, optax
and Keras live in `lrsched.adapters`; Hypothesis strategies and checks in
`lrsched.testing`; the LR range test's analysis in `lrsched.rangetest`; peers' scheduler
calls in `lrsched.compat`.
"""

# One line a module: `import X as X` marks each name as the package's own (PEP 484), so
# a new policy is exported by one line here and nothing else.
from lrsched._deprecated import install as _install_moved_paths
from lrsched.base import (
    Piece as Piece,
    Schedule as Schedule,
    Shaped as Shaped,
    from_config as from_config,
    horizon as horizon,
    register as register,
)
from lrsched.compose import (
    Join as Join,
    Product as Product,
    Warmup as Warmup,
    join as join,
    product as product,
    warmup as warmup,
)
from lrsched.cosine import (
    CosineDecay as CosineDecay,
    CosineRestarts as CosineRestarts,
    cosine_decay as cosine_decay,
    cosine_restarts as cosine_restarts,
)
from lrsched.cyclic import Cyclic as Cyclic, cyclic as cyclic
from lrsched.decay import (
    Constant as Constant,
    Exponential as Exponential,
    MultiStep as MultiStep,
    StepDecay as StepDecay,
    constant as constant,
    exponential as exponential,
    multi_step as multi_step,
    step_decay as step_decay,
)
from lrsched.inverse import InverseDecay as InverseDecay, inverse_decay as inverse_decay
from lrsched.momentum import (
    InverseMomentum as InverseMomentum,
    inverse_momentum as inverse_momentum,
    lr_and_momentum as lr_and_momentum,
)
from lrsched.one_cycle import OneCycle as OneCycle, one_cycle as one_cycle
from lrsched.plotting import plot as plot
from lrsched.polynomial import Polynomial as Polynomial, polynomial as polynomial
from lrsched.restarts import Restarts as Restarts, restarts as restarts
from lrsched.rex import Rex as Rex, rex as rex
from lrsched.sweep import RangeSweep as RangeSweep, range_sweep as range_sweep
from lrsched.tanh import TanhDecay as TanhDecay, tanh_decay as tanh_decay
from lrsched.wsd import WarmupStableDecay as WarmupStableDecay, warmup_stable_decay as warmup_stable_decay

__version__ = "0.2.0"

_install_moved_paths()  # lrsched.range_test: the old path of lrsched.rangetest, with a DeprecationWarning
