"""compat.timm at the edges of timm's own domain (zero, equal, reversed, negative and
out-of-range arguments of PolyLRScheduler, TanhLRScheduler and WSDLRScheduler), side by
side with the real timm: where timm gives values, compat gives the same; where timm
raises, compat raises a ValueError naming timm's argument; where compat has no equal,
it refuses with a `RefusedError` naming timm's argument.

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
}

# timm accepts it but fails at every cycle's start (0 to a negative power)
FAILING = {"poly k_decay below 0": (POLY, dict(t_initial=10, k_decay=-1.0), "k_decay")}


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


@pytest.mark.parametrize("name", list(FAILING))
def test_what_timm_fails_at_compat_refuses_by_timms_argument(name, timm_values):
    cls, kwargs, parameter = FAILING[name]
    assert timm_values[name][0] is None  # timm fails at step 0
    with pytest.raises(ValueError, match=rf"^timm\.{cls}: {parameter} must be "):
        getattr(compat.timm, cls)(LR, **kwargs)
