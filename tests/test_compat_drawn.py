"""lrsched.compat against the real timm and transformers on drawn arguments: beside the
hand-picked cases of test_compat_peers.py, configurations drawn from each argument's
whole valid range (seeded, so a failure reproduces), each run side by side over its
horizon and past it. The hand-picked cases missed timm's `cycle_limit=0`; these draw it.

Decimal `cycle_mul` is left out: timm finds its cycle from a float `log`, which can put
a restart a step late (documented in lrsched.compat); lrsched's restarts are exact.
"""

import numpy as np
import pytest

from lrsched import compat
from tests.test_compat_peers import LR, _assert_close, _run_worker

pytestmark = pytest.mark.slow

DRAWS = 12  # per scheduler


def _warmup(rng, prefix_default):
    warm = int(rng.choice([0, 0, rng.integers(1, 9)]))
    kwargs = {"warmup_t": warm, "warmup_lr_init": float(rng.uniform(0, LR))}
    if prefix_default is not None:
        kwargs["warmup_prefix"] = bool(rng.integers(2))
    return kwargs


def _cycles(rng):
    return {
        "lr_min": float(rng.choice([0.0, rng.uniform(0, LR)])),
        "cycle_mul": float(rng.choice([1.0, 2.0, 3.0])),
        "cycle_decay": float(rng.choice([1.0, rng.uniform(0.2, 1.6)])),
        "cycle_limit": int(rng.integers(0, 5)),
    }


def _draw_timm(rng):
    cases = {}
    for k in range(DRAWS):
        first = int(rng.integers(1, 30))
        k_decay = {"k_decay": float(rng.choice([1.0, rng.uniform(0.4, 2.5)]))}
        cosine = {"t_initial": first, **_cycles(rng), **_warmup(rng, False), **k_decay}
        poly = {"t_initial": first, "power": float(rng.uniform(0.3, 3.0)), **_cycles(rng), **_warmup(rng, False)}
        poly["k_decay"] = float(rng.choice([1.0, rng.uniform(0.4, 2.5)]))
        tanh = {"t_initial": first, "lb": float(rng.uniform(-8, -1)), "ub": float(rng.uniform(1, 6))}
        tanh.update(_cycles(rng), **_warmup(rng, False))
        step = {"decay_t": int(rng.integers(1, 15)), "decay_rate": float(rng.uniform(0.1, 1.0)), **_warmup(rng, True)}
        milestones = sorted(int(m) for m in rng.integers(1, 50, size=int(rng.integers(1, 5))))
        multi = {"decay_t": milestones, "decay_rate": float(rng.uniform(0.1, 2.5)), **_warmup(rng, True)}
        total = int(rng.integers(2, 60))
        stable_fn = str(rng.choice(["constant", "rsqrt", "power"]))
        wsd = {
            "t_initial": total,
            "decay_t": int(rng.integers(1, total + 1)),
            "lr_min": float(rng.uniform(0, LR / 2)),
            "stable_fn": stable_fn,
            "stable_power": float(rng.uniform(0.2, 2.0)),
            "decay_fn": str(rng.choice(["linear", "1-sqrt", "cosine", "power", "exp"])),
            "decay_power": float(rng.uniform(0.3, 3.0)),
            "decay_ratio": float(rng.uniform(0.01, 0.9)),
            **_warmup(rng, None),
        }
        if stable_fn != "constant" and wsd["warmup_t"] == 0:
            wsd["stable_timescale"] = float(rng.uniform(1, 20))
        for cls, kwargs in [
            ("CosineLRScheduler", cosine),
            ("PolyLRScheduler", poly),
            ("TanhLRScheduler", tanh),
            ("StepLRScheduler", step),
            ("MultiStepLRScheduler", multi),
            ("WSDLRScheduler", wsd),
        ]:
            clock = str(rng.choice(["epochs", "updates"]))
            span = min(400, int(2.2 * (kwargs.get("t_initial", 30) * 3.0 ** kwargs.get("cycle_limit", 1))) + 20)
            steps = [k / 4 for k in range(4 * span + 1)] if clock == "epochs" else list(range(span + 1))
            cases[f"{cls} #{k} {clock}"] = {"cls": cls, "kwargs": kwargs, "clock": clock, "steps": steps}
    return cases


TIMM_DRAWN = _draw_timm(np.random.default_rng(20261124))


@pytest.fixture(scope="module")
def timm_drawn_values():
    return _run_worker("timm", TIMM_DRAWN)


@pytest.mark.parametrize("name", list(TIMM_DRAWN))
def test_timm_compat_equals_timm_on_drawn_arguments(name, timm_drawn_values):
    case = TIMM_DRAWN[name]
    ours = getattr(compat, f"timm_{case['cls']}")(LR, **case["kwargs"])
    steps = case["steps"]
    try:
        _assert_close(ours(np.asarray(steps, dtype=np.float64)), timm_drawn_values[name], steps, rtol=1e-9)
    except AssertionError as error:
        raise AssertionError(f"{error} with {case['kwargs']}") from None


def _draw_hf(rng):
    cases = {}
    for k in range(DRAWS):
        total = int(rng.integers(5, 120))
        warm = int(rng.choice([0, rng.integers(1, total // 2 + 2)]))
        floor = (
            {"min_lr_rate": float(rng.uniform(0, 0.5))}
            if rng.integers(2)
            else {"min_lr": float(rng.uniform(0, LR / 2))}
        )
        decay_steps = int(rng.integers(1, total + 1))
        wsd = {
            "num_decay_steps": decay_steps,
            "min_lr_ratio": float(rng.choice([0.0, rng.uniform(0, 0.5)])),
            "warmup_type": str(rng.choice(["linear", "cosine", "1-sqrt"])),
            "decay_type": str(rng.choice(["linear", "cosine", "1-sqrt"])),
            "num_cycles": float(rng.choice([0.5, rng.uniform(0.1, 1.5)])),
        }
        with_min_lr = {**floor, "num_cycles": float(rng.choice([0.5, rng.uniform(0.1, 1.5)]))}
        warmup_rate = {"warmup_lr_rate": float(rng.uniform(0, 1))} if rng.integers(2) else {}
        for name, w, kwargs in [
            ("linear", warm, {}),
            ("cosine", warm, {"num_cycles": float(rng.choice([0.5, rng.uniform(0.1, 1.5)]))}),
            ("cosine_with_restarts", warm, {"num_cycles": int(rng.integers(1, 5))}),
            ("polynomial", warm, {"lr_end": float(rng.uniform(1e-7, LR / 2)), "power": float(rng.uniform(0.3, 3))}),
            ("constant", warm, {}),
            ("constant_with_warmup", warm, {}),
            ("inverse_sqrt", warm, {"timescale": int(rng.integers(1, 40))} if rng.integers(2) or warm == 0 else {}),
            ("cosine_with_min_lr", warm, with_min_lr),
            ("cosine_warmup_with_min_lr", max(warm, 1), {**with_min_lr, **warmup_rate}),
            ("warmup_stable_decay", min(warm, total - decay_steps), wsd),
        ]:
            cases[f"{name} #{k}"] = {
                "name": name,
                "num_warmup_steps": w,
                "num_training_steps": total,
                "kwargs": kwargs,
                "steps": 2 * total + 10,
            }
    return cases


HF_DRAWN = _draw_hf(np.random.default_rng(20261125))


@pytest.fixture(scope="module")
def hf_drawn_values():
    return _run_worker("hf", HF_DRAWN)


@pytest.mark.parametrize("name", list(HF_DRAWN))
def test_hf_compat_equals_get_scheduler_on_drawn_arguments(name, hf_drawn_values):
    case = HF_DRAWN[name]
    ours = compat.hf_get_scheduler(
        case["name"], LR, case["num_warmup_steps"], case["num_training_steps"], case["kwargs"]
    )
    steps = list(range(case["steps"]))
    try:
        _assert_close([ours(s) for s in steps], hf_drawn_values[name], steps, rtol=1e-9)
    except AssertionError as error:
        raise AssertionError(f"{error} with {case}") from None
