"""compat.timm at the edges of timm's own domain (zero, equal, reversed, negative and
out-of-range arguments of CosineLRScheduler, PolyLRScheduler, TanhLRScheduler,
WSDLRScheduler, StepLRScheduler and MultiStepLRScheduler), side by side with the real
timm: where timm gives values, compat gives the same; where timm raises (or fails at a
step its schedule passes through), compat raises a ValueError naming timm's argument;
where compat has no equal, it refuses with a `RefusedError` naming timm's argument.

timm runs in a process of its own (as in `peers.py`), through the same loader as
`peer_values_worker.py`; its assertions count as refusals here."""

import importlib.util
import json
import subprocess
import sys

import numpy as np
import pytest

from lrsched import compat
from tests.compat.peers import LR, assert_close
from tests.support import WORKERS

UPDATES = list(range(41))
EPOCHS = [k / 4 for k in range(161)]

# timm's per-step values, or {"error": ...} where timm refuses the arguments (it raises
# or asserts at construction); a step timm fails at (0 to a negative power) gives None,
# as does a value that is not a float (a negative number to a fractional power).
_RUNNER = """
import json, sys
sys.path.insert(0, sys.argv[1])
import peer_values_worker as worker
request = json.load(sys.stdin)
out = {}
for name, case in request["cases"].items():
    try:
        values = worker.timm_values(request["lr"], case)
        out[name] = [v if isinstance(v, float) else None for v in values]
    except (AssertionError, ValueError, ZeroDivisionError, TypeError, OverflowError) as error:
        out[name] = {"error": f"{type(error).__name__}: {error}"}
json.dump(out, sys.stdout)
"""

POLY, TANH, WSD = "PolyLRScheduler", "TanhLRScheduler", "WSDLRScheduler"
COS, STEP, MSTEP = "CosineLRScheduler", "StepLRScheduler", "MultiStepLRScheduler"

# name: (timm class, lr, keyword arguments): timm gives values, compat the same ones
EQUAL = {
    "poly power 0": (POLY, LR, dict(t_initial=10, power=0.0)),
    "poly power 0, lr_min, 3 cycles decaying": (
        POLY,
        LR,
        dict(t_initial=10, power=0.0, lr_min=0.01, cycle_limit=3, cycle_decay=0.5),
    ),
    "poly power 0, warmup": (POLY, LR, dict(t_initial=10, power=0.0, lr_min=0.01, warmup_t=3)),
    "poly power 0, downward warmup prefix": (
        POLY,
        LR,
        dict(t_initial=10, power=0.0, warmup_t=4, warmup_prefix=True, warmup_lr_init=0.3),
    ),
    "poly power 0, cycle_mul 2": (
        POLY,
        LR,
        dict(t_initial=10, power=0.0, cycle_mul=2.0, cycle_limit=3, cycle_decay=0.5, lr_min=0.02),
    ),
    "poly power 0, cycle_mul 0.5": (
        POLY,
        LR,
        dict(t_initial=10, power=0.0, cycle_mul=0.5, cycle_limit=5, cycle_decay=0.5, lr_min=0.02),
    ),
    "poly power 0, cycle_decay 0 above lr_min": (
        POLY,
        LR,
        dict(t_initial=10, power=0.0, cycle_decay=0.0, cycle_limit=3, lr_min=0.02),
    ),
    "poly power 0, cycle_decay above 1": (
        POLY,
        LR,
        dict(t_initial=10, power=0.0, cycle_decay=1.5, cycle_limit=3, lr_min=0.02),
    ),
    "poly power 0, lr_min above lr": (POLY, LR, dict(t_initial=10, power=0.0, lr_min=0.2)),
    "poly power 0, lr 0 below lr_min": (POLY, 0.0, dict(t_initial=10, power=0.0, lr_min=0.02)),
    "poly power 0, cycle_limit 0": (POLY, LR, dict(t_initial=10, power=0.0, cycle_limit=0, lr_min=0.02)),
    "poly power 0, k_decay 0": (POLY, LR, dict(t_initial=10, power=0.0, k_decay=0.0, lr_min=0.01)),
    "poly power below 0, lr at lr_min": (POLY, LR, dict(t_initial=10, power=-0.5, lr_min=LR)),
    "poly k_decay 0": (POLY, LR, dict(t_initial=10, k_decay=0.0, lr_min=0.01, cycle_limit=3, warmup_t=2)),
    "poly k_decay 0, lr 0 below lr_min": (POLY, 0.0, dict(t_initial=10, k_decay=0.0, lr_min=0.02)),
    "poly cycle_limit below 0": (POLY, LR, dict(t_initial=10, cycle_limit=-1, lr_min=0.01)),
    "poly warmup_t below 0, no prefix": (POLY, LR, dict(t_initial=10, warmup_t=-2, warmup_lr_init=0.3)),
    "poly k_decay below 0, cycle_limit 0": (POLY, LR, dict(t_initial=10, k_decay=-1.0, cycle_limit=0, lr_min=0.01)),
    "poly cycle_limit 0, lr 0 below lr_min": (POLY, 0.0, dict(t_initial=10, cycle_limit=0, lr_min=0.02)),
    "poly cycle_decay below 0, k_decay 0": (
        POLY,
        LR,
        dict(t_initial=10, cycle_decay=-0.5, cycle_limit=3, k_decay=0.0, lr_min=0.01),
    ),
    "cosine lr_min above lr": (COS, LR, dict(t_initial=10, lr_min=0.2, cycle_limit=3)),
    "cosine lr_min above lr, cycle_mul 0.5": (COS, LR, dict(t_initial=10, lr_min=0.2, cycle_mul=0.5, cycle_limit=4)),
    "cosine lr_min equal to lr, cycles decaying": (
        COS,
        LR,
        dict(t_initial=10, lr_min=LR, cycle_limit=3, cycle_decay=0.5),
    ),
    "cosine lr 0": (COS, 0.0, dict(t_initial=10, cycle_limit=3)),
    "cosine k_decay 0": (COS, LR, dict(t_initial=10, k_decay=0.0, lr_min=0.01, cycle_limit=3, warmup_t=2)),
    "cosine k_decay 0, lr_min above lr": (COS, LR, dict(t_initial=10, k_decay=0.0, lr_min=0.2)),
    "cosine k_decay 0, lr 0 below lr_min": (COS, 0.0, dict(t_initial=10, k_decay=0.0, lr_min=0.02)),
    "cosine k_decay below 0, cycle_limit 0": (COS, LR, dict(t_initial=10, k_decay=-1.0, cycle_limit=0, lr_min=0.01)),
    "cosine k_decay 2, cycles": (COS, LR, dict(t_initial=10, k_decay=2.0, lr_min=0.01, cycle_limit=3)),
    "cosine k_decay 0.5, cycle_mul 0.5": (
        COS,
        LR,
        dict(t_initial=10, k_decay=0.5, cycle_mul=0.5, cycle_limit=4, cycle_decay=0.5),
    ),
    "cosine cycle_limit 0": (COS, LR, dict(t_initial=10, cycle_limit=0, lr_min=0.01)),
    "cosine cycle_limit below 0, warmup": (COS, LR, dict(t_initial=10, cycle_limit=-1, lr_min=0.01, warmup_t=3)),
    "cosine cycle_limit 0, lr 0 below lr_min": (COS, 0.0, dict(t_initial=10, cycle_limit=0, lr_min=0.02)),
    "cosine cycle_decay 0": (COS, LR, dict(t_initial=10, cycle_decay=0.0, cycle_limit=3)),
    "cosine cycle_decay 0, cycle_mul 0.5": (COS, LR, dict(t_initial=10, cycle_decay=0.0, cycle_limit=3, cycle_mul=0.5)),
    "cosine cycle_decay 0, one cycle above lr_min": (
        COS,
        LR,
        dict(t_initial=10, cycle_decay=0.0, cycle_limit=1, lr_min=0.01),
    ),
    "cosine cycle_decay above 1": (COS, LR, dict(t_initial=10, cycle_decay=1.5, cycle_limit=3, lr_min=0.01)),
    "cosine cycle_decay above 1, cycle_mul 2": (
        COS,
        LR,
        dict(t_initial=10, cycle_decay=1.5, cycle_limit=3, cycle_mul=2.0),
    ),
    "cosine cycle_decay above 1, cycle_mul 0.5": (
        COS,
        LR,
        dict(t_initial=10, cycle_decay=1.5, cycle_limit=3, cycle_mul=0.5),
    ),
    "cosine cycle_decay below 0, one cycle": (COS, LR, dict(t_initial=10, cycle_decay=-0.5)),
    "cosine cycle_decay below 0, lr 0": (COS, 0.0, dict(t_initial=10, cycle_decay=-0.5, cycle_limit=3)),
    "cosine cycle_mul 1, peaks below lr_min": (
        COS,
        LR,
        dict(t_initial=10, cycle_limit=4, cycle_decay=0.3, lr_min=0.04),
    ),
    "cosine cycle_mul 2, peaks below lr_min": (
        COS,
        LR,
        dict(t_initial=10, cycle_mul=2.0, cycle_limit=4, cycle_decay=0.3, lr_min=0.04),
    ),
    "cosine cycle_mul 0.5, peaks below lr_min": (
        COS,
        LR,
        dict(t_initial=10, cycle_mul=0.5, cycle_limit=4, cycle_decay=0.3, lr_min=0.04),
    ),
    "cosine cycle_mul 3": (COS, LR, dict(t_initial=4, cycle_mul=3.0, cycle_limit=4, lr_min=0.01, cycle_decay=0.7)),
    "cosine cycle_mul 0.5, one cycle": (COS, LR, dict(t_initial=10, cycle_mul=0.5, cycle_limit=1, lr_min=0.01)),
    "cosine t_initial 1": (COS, LR, dict(t_initial=1, cycle_limit=5)),
    "cosine warmup_t below 0, no prefix": (COS, LR, dict(t_initial=10, warmup_t=-2, warmup_lr_init=0.3)),
    "cosine downward warmup prefix": (
        COS,
        LR,
        dict(t_initial=10, warmup_t=4, warmup_lr_init=0.3, warmup_prefix=True, cycle_limit=2),
    ),
    "cosine warmup longer than t_initial": (COS, LR, dict(t_initial=10, warmup_t=15, warmup_lr_init=0.01, lr_min=0.01)),
    "cosine warmup_lr_init below 0, no warmup": (COS, LR, dict(t_initial=10, warmup_lr_init=-0.1)),
    "step decay_rate 0": (STEP, LR, dict(decay_t=5, decay_rate=0.0)),
    "step decay_rate 1": (STEP, LR, dict(decay_t=5, decay_rate=1.0)),
    "step decay_t fractional": (STEP, LR, dict(decay_t=2.5, decay_rate=0.5)),
    "step decay_t below 0, decay_rate 1": (STEP, LR, dict(decay_t=-5, decay_rate=1.0)),
    "step warmup_t below 0, no prefix": (
        STEP,
        LR,
        dict(decay_t=5, decay_rate=0.5, warmup_t=-2, warmup_prefix=False, warmup_lr_init=0.3),
    ),
    "step downward warmup": (STEP, LR, dict(decay_t=5, decay_rate=0.5, warmup_t=3, warmup_lr_init=0.3)),
    "step downward warmup, no prefix": (
        STEP,
        LR,
        dict(decay_t=5, decay_rate=0.5, warmup_t=7, warmup_lr_init=0.3, warmup_prefix=False),
    ),
    "step warmup_lr_init below 0, no warmup": (STEP, LR, dict(decay_t=5, decay_rate=0.5, warmup_lr_init=-0.1)),
    "step lr 0": (STEP, 0.0, dict(decay_t=5, decay_rate=0.5, warmup_t=3, warmup_lr_init=0.05)),
    "multistep no milestones": (MSTEP, LR, dict(decay_t=[], decay_rate=0.5)),
    "multistep milestone repeated": (MSTEP, LR, dict(decay_t=[5, 5, 12], decay_rate=0.5)),
    "multistep milestone 0": (MSTEP, LR, dict(decay_t=[0, 8], decay_rate=0.5)),
    "multistep milestone 1": (MSTEP, LR, dict(decay_t=[1, 8], decay_rate=0.5)),
    "multistep milestone below 0": (MSTEP, LR, dict(decay_t=[-3, 8], decay_rate=0.5)),
    "multistep milestone fractional": (MSTEP, LR, dict(decay_t=[2.5, 8], decay_rate=0.5)),
    "multistep decay_rate 0": (MSTEP, LR, dict(decay_t=[5, 8], decay_rate=0.0)),
    "multistep decay_rate 0, milestone repeated": (MSTEP, LR, dict(decay_t=[5, 5], decay_rate=0.0)),
    "multistep decay_rate 0, milestone 0": (MSTEP, LR, dict(decay_t=[0], decay_rate=0.0)),
    "multistep decay_rate 1": (MSTEP, LR, dict(decay_t=[5, 8], decay_rate=1.0)),
    "multistep decay_rate above 1": (MSTEP, LR, dict(decay_t=[5, 8], decay_rate=2.0)),
    "multistep decay_rate below 0, no milestones": (MSTEP, LR, dict(decay_t=[], decay_rate=-0.5)),
    "multistep warmup_t below 0, no prefix": (
        MSTEP,
        LR,
        dict(decay_t=[5, 8], decay_rate=0.5, warmup_t=-2, warmup_prefix=False),
    ),
    "multistep downward warmup, no prefix": (
        MSTEP,
        LR,
        dict(decay_t=[2, 8], decay_rate=0.5, warmup_t=4, warmup_lr_init=0.3, warmup_prefix=False),
    ),
    "multistep warmup_lr_init below 0, no warmup": (
        MSTEP,
        LR,
        dict(decay_t=[5, 8], decay_rate=0.5, warmup_lr_init=-0.1),
    ),
}

# name: (timm class, lr, keyword arguments, the timm argument compat's error names):
# timm refuses these too (it raises or asserts)
BAD = {
    "wsd decay_t 0": (WSD, dict(t_initial=20, decay_t=0), "decay_t"),
    "wsd decay_t below 0": (WSD, dict(t_initial=20, decay_t=-1), "decay_t"),
    "wsd decay_t above t_initial": (WSD, dict(t_initial=20, decay_t=25), "decay_t"),
    "wsd t_initial 0": (WSD, dict(t_initial=0, decay_t=0), "t_initial"),
    "wsd lr_min below 0": (WSD, dict(t_initial=20, decay_t=5, lr_min=-0.1), "lr_min"),
    "wsd stable_power 0, constant": (WSD, dict(t_initial=20, decay_t=5, stable_power=0.0), "stable_power"),
    "wsd stable_power 0, power": (
        WSD,
        dict(t_initial=20, decay_t=5, stable_fn="power", stable_power=0.0, stable_timescale=3),
        "stable_power",
    ),
    "wsd decay_fn unknown": (WSD, dict(t_initial=20, decay_t=5, decay_fn="bogus"), "decay_fn"),
    "wsd decay_power 0": (WSD, dict(t_initial=20, decay_t=5, decay_fn="power", decay_power=0.0), "decay_power"),
    "wsd decay_ratio 0": (WSD, dict(t_initial=20, decay_t=5, decay_fn="exp", decay_ratio=0.0), "decay_ratio"),
    "wsd rsqrt with no timescale": (WSD, dict(t_initial=20, decay_t=5, stable_fn="rsqrt"), "stable_timescale"),
    "tanh lb equal to ub": (TANH, dict(t_initial=10, lb=1.0, ub=1.0), "ub"),
    "tanh lb above ub": (TANH, dict(t_initial=10, lb=2.0, ub=1.0), "ub"),
    "tanh t_initial 0": (TANH, dict(t_initial=0), "t_initial"),
    "tanh lr_min below 0": (TANH, dict(t_initial=10, lr_min=-0.1), "lr_min"),
    "tanh cycle_limit below 0": (TANH, dict(t_initial=10, cycle_limit=-1), "cycle_limit"),
    "tanh warmup_t below 0": (TANH, dict(t_initial=10, warmup_t=-1), "warmup_t"),
    "tanh warmup_lr_init below 0": (TANH, dict(t_initial=10, warmup_t=3, warmup_lr_init=-0.1), "warmup_lr_init"),
    "poly t_initial 0": (POLY, dict(t_initial=0), "t_initial"),
    "poly lr_min below 0": (POLY, dict(t_initial=10, lr_min=-0.1), "lr_min"),
    "cosine t_initial 0": (COS, dict(t_initial=0), "t_initial"),
    "cosine t_initial below 0": (COS, dict(t_initial=-5), "t_initial"),
    "cosine lr_min below 0": (COS, dict(t_initial=10, lr_min=-0.1), "lr_min"),
}

# name: (timm class, lr, keyword arguments, the timm argument refused, the REFUSED key's
# function): timm gives values, compat has no equal
REFUSED = {
    "poly power below 0": (POLY, dict(t_initial=10, power=-1.0), "power", "timm.PolyLRScheduler"),
    "poly power below 0, cycles below lr_min": (
        POLY,
        dict(t_initial=10, power=-1.0, lr_min=LR, cycle_decay=0.5, cycle_limit=3),
        "power",
        "timm.PolyLRScheduler",
    ),
    "poly warmup_t below 0, prefix": (
        POLY,
        dict(t_initial=10, warmup_t=-2, warmup_prefix=True),
        "warmup_t",
        "timm",
    ),
    "poly warmup_lr_init below 0": (
        POLY,
        dict(t_initial=10, warmup_t=3, warmup_lr_init=-0.1),
        "warmup_lr_init",
        "timm",
    ),
    "wsd warmup_t below 0": (WSD, dict(t_initial=20, decay_t=5, warmup_t=-2), "warmup_t", "timm"),
    "wsd warmup_lr_init below 0": (
        WSD,
        dict(t_initial=20, decay_t=5, warmup_t=3, warmup_lr_init=-0.1),
        "warmup_lr_init",
        "timm",
    ),
    "tanh lb below -20": (TANH, dict(t_initial=10, lb=-30.0, ub=3.0), "lb", "timm.TanhLRScheduler"),
    "tanh both bounds below -20": (TANH, dict(t_initial=10, lb=-25.0, ub=-21.0), "lb", "timm.TanhLRScheduler"),
    "tanh ub above 20": (TANH, dict(t_initial=10, lb=-7.0, ub=25.0), "ub", "timm.TanhLRScheduler"),
    "tanh cycle_decay below 0": (
        TANH,
        dict(t_initial=10, cycle_decay=-0.5, cycle_limit=3),
        "cycle_decay",
        "timm.TanhLRScheduler",
    ),
    "poly cycle_decay below 0": (
        POLY,
        dict(t_initial=10, cycle_decay=-0.5, cycle_limit=3),
        "cycle_decay",
        "timm.PolyLRScheduler",
    ),
    "poly power 0, cycle_decay below 0": (
        POLY,
        dict(t_initial=10, power=0.0, cycle_decay=-0.5, cycle_limit=3),
        "cycle_decay",
        "timm.PolyLRScheduler",
    ),
    "cosine k_decay below 0, one cycle after a warmup": (
        COS,
        dict(t_initial=10, k_decay=-1.0, warmup_t=3),
        "k_decay",
        "timm.CosineLRScheduler",
    ),
    "cosine cycle_decay below 0": (
        COS,
        dict(t_initial=10, cycle_decay=-0.5, cycle_limit=3),
        "cycle_decay",
        "timm.CosineLRScheduler",
    ),
    "cosine cycle_decay 0 above lr_min": (
        COS,
        dict(t_initial=10, cycle_decay=0.0, cycle_limit=3, lr_min=0.01),
        "cycle_decay",
        "timm.CosineLRScheduler",
    ),
    "cosine warmup_t below 0, prefix": (COS, dict(t_initial=10, warmup_t=-2, warmup_prefix=True), "warmup_t", "timm"),
    "cosine warmup_lr_init below 0": (
        COS,
        dict(t_initial=10, warmup_t=3, warmup_lr_init=-0.1),
        "warmup_lr_init",
        "timm",
    ),
    "step decay_rate above 1": (STEP, dict(decay_t=5, decay_rate=2.0), "decay_rate", "timm.StepLRScheduler"),
    "step decay_rate below 0": (STEP, dict(decay_t=5, decay_rate=-0.5), "decay_rate", "timm.StepLRScheduler"),
    "step decay_t below 0": (STEP, dict(decay_t=-5, decay_rate=0.5), "decay_t", "timm.StepLRScheduler"),
    "step decay_t below 0, decay_rate above 1": (
        STEP,
        dict(decay_t=-5, decay_rate=2.0),
        "decay_t",
        "timm.StepLRScheduler",
    ),
    "step warmup_t below 0, prefix": (STEP, dict(decay_t=5, decay_rate=0.5, warmup_t=-2), "warmup_t", "timm"),
    "step warmup_lr_init below 0": (
        STEP,
        dict(decay_t=5, decay_rate=0.5, warmup_t=3, warmup_lr_init=-0.1),
        "warmup_lr_init",
        "timm",
    ),
    "multistep milestones out of order": (
        MSTEP,
        dict(decay_t=[10, 5], decay_rate=0.5),
        "decay_t",
        "timm.MultiStepLRScheduler",
    ),
    "multistep decay_rate below 0": (
        MSTEP,
        dict(decay_t=[5, 8], decay_rate=-0.5),
        "decay_rate",
        "timm.MultiStepLRScheduler",
    ),
    "multistep warmup_t below 0, prefix": (
        MSTEP,
        dict(decay_t=[5, 8], decay_rate=0.5, warmup_t=-2),
        "warmup_t",
        "timm",
    ),
}

# name: (timm class, keyword arguments, the timm argument compat's error names, the first
# update timm fails at): timm accepts it but fails at a step its schedule passes through
# (0 to a negative power at a cycle's start, a `log` to a base <= 0, a division by 0)
FAILING = {
    "poly k_decay below 0": (POLY, dict(t_initial=10, k_decay=-1.0), "k_decay", 0),
    "poly cycle_mul 0, cycle_limit 0": (POLY, dict(t_initial=10, cycle_mul=0.0, cycle_limit=0), "cycle_mul", 0),
    "tanh cycle_mul 0": (TANH, dict(t_initial=10, cycle_mul=0.0), "cycle_mul", 0),
    "cosine k_decay below 0": (COS, dict(t_initial=10, k_decay=-1.0), "k_decay", 0),
    "cosine k_decay below 0, warmup prefix": (
        COS,
        dict(t_initial=10, k_decay=-1.0, warmup_t=3, warmup_prefix=True),
        "k_decay",
        3,
    ),
    "cosine k_decay below 0, second cycle after a warmup": (
        COS,
        dict(t_initial=10, k_decay=-1.0, warmup_t=3, cycle_limit=2),
        "k_decay",
        10,
    ),
    "cosine cycle_mul 0": (COS, dict(t_initial=10, cycle_mul=0.0, cycle_limit=3), "cycle_mul", 0),
    "cosine cycle_mul below 0": (COS, dict(t_initial=10, cycle_mul=-1.0, cycle_limit=3), "cycle_mul", 0),
    "cosine cycle_mul 0, cycle_limit 0": (COS, dict(t_initial=10, cycle_mul=0.0, cycle_limit=0), "cycle_mul", 0),
    "cosine cycle_mul 0, k_decay 0": (COS, dict(t_initial=10, cycle_mul=0.0, k_decay=0.0), "cycle_mul", 0),
    "cosine cycle_mul 0, warmup": (COS, dict(t_initial=10, cycle_mul=0.0, warmup_t=3), "cycle_mul", 3),
    "step decay_t 0": (STEP, dict(decay_t=0, decay_rate=0.5), "decay_t", 0),
    "step decay_t 0, decay_rate above 1": (STEP, dict(decay_t=0, decay_rate=2.0), "decay_t", 0),
    "step decay_t 0, warmup": (STEP, dict(decay_t=0, decay_rate=0.5, warmup_t=3), "decay_t", 3),
    "step decay_t below 0, decay_rate 0": (STEP, dict(decay_t=-5, decay_rate=0.0), "decay_t", 1),
}


def _cases():
    cases = {}
    for name, (cls, lr, kwargs) in EQUAL.items():
        for clock, steps in (("updates", UPDATES), ("epochs", EPOCHS)):
            cases[f"{name} {clock}"] = {"cls": cls, "lr": lr, "kwargs": kwargs, "clock": clock, "steps": steps}
    for table in (BAD, REFUSED, FAILING):
        for name, (cls, kwargs, *_) in table.items():
            cases[name] = {"cls": cls, "lr": LR, "kwargs": kwargs, "clock": "updates", "steps": UPDATES}
    return cases


@pytest.fixture(scope="module")
def timm_values():
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    # not imported here: `import timm` imports torchvision, which the schedulers do not need
    if importlib.util.find_spec("timm") is None:
        pytest.skip("timm is not installed; CI installs it")
    request = json.dumps({"lr": LR, "cases": _cases()})
    done = subprocess.run(
        [sys.executable, "-c", _RUNNER, str(WORKERS)], input=request, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("clock", ["updates", "epochs"])
@pytest.mark.parametrize("name", list(EQUAL))
def test_compat_equals_timm_at_the_edges_of_its_domain(name, clock, timm_values):
    cls, lr, kwargs = EQUAL[name]
    expected = timm_values[f"{name} {clock}"]
    assert isinstance(expected, list), expected
    # the steps timm computes (with cycle_mul < 1 its cycle index fails once the cycles end)
    every = UPDATES if clock == "updates" else EPOCHS
    steps = [t for t, v in zip(every, expected, strict=True) if v is not None]
    expected = [v for v in expected if v is not None]
    assert len(steps) > 15
    ours = getattr(compat.timm, cls)(lr, **kwargs)
    assert_close(ours(np.asarray(steps, dtype=np.float64)), expected, steps, rtol=1e-9, context=f"{cls}{kwargs}")


@pytest.mark.parametrize("name", list(BAD))
def test_what_timm_refuses_compat_refuses_by_timms_argument(name, timm_values):
    cls, kwargs, parameter = BAD[name]
    assert "error" in timm_values[name], timm_values[name]  # timm refuses it too
    with pytest.raises(ValueError) as raised:
        getattr(compat.timm, cls)(LR, **kwargs)
    assert not isinstance(raised.value, compat.RefusedError)  # outside timm's domain: not a refusal
    assert str(raised.value).startswith(f"timm.{cls}: {parameter} must be "), str(raised.value)


@pytest.mark.parametrize("name", list(REFUSED))
def test_what_compat_has_no_equal_for_is_refused_by_timms_argument(name, timm_values):
    cls, kwargs, parameter, key = REFUSED[name]
    values = timm_values[name]
    assert isinstance(values, list) and all(v is not None for v in values), values  # timm accepts it
    with pytest.raises(compat.RefusedError) as raised:
        getattr(compat.timm, cls)(LR, **kwargs)
    refusal = raised.value
    assert (refusal.function, refusal.parameter, refusal.value) == (key, parameter, kwargs[parameter])
    assert str(refusal).startswith(f"{key}: {parameter}={kwargs[parameter]!r} is refused: ")
    assert compat.REFUSED[(key, parameter)] in str(refusal)


def test_poly_negative_power_is_refused_because_timms_lr_grows(timm_values):
    # what the refusal says: timm's LR climbs toward the end of the cycle (to 10 * lr here)
    values = timm_values["poly power below 0"]
    assert values[0] == LR and max(values[:10]) == pytest.approx(10 * LR) and values[:10] == sorted(values[:10])


def test_step_negative_decay_t_is_refused_because_timms_stairs_change_just_after_each_multiple(timm_values):
    # what the refusal says: t // -5 is -1 on (0, 5], -2 on (5, 10]: with decay_rate 2 the LR
    # halves just after 0 and just after 5, not at them
    values = timm_values["step decay_t below 0, decay_rate above 1"]
    assert values[:7] == [LR, LR / 2, LR / 2, LR / 2, LR / 2, LR / 2, LR / 4]


@pytest.mark.parametrize("name", list(FAILING))
def test_what_timm_fails_at_compat_refuses_by_timms_argument(name, timm_values):
    cls, kwargs, parameter, first = FAILING[name]
    values = timm_values[name]
    assert isinstance(values, list), values  # timm builds it
    assert values[first] is None and all(v is not None for v in values[:first]), values  # and fails there
    with pytest.raises(ValueError, match=rf"^timm\.{cls}: {parameter} must be ") as raised:
        getattr(compat.timm, cls)(LR, **kwargs)
    assert not isinstance(raised.value, compat.RefusedError)  # outside timm's domain: not a refusal
