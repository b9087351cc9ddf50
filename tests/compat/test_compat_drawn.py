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
from tests.compat.peers import LR, assert_close, peer_lrs, run_worker

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
    return run_worker("timm", TIMM_DRAWN)


@pytest.mark.parametrize("name", list(TIMM_DRAWN))
def test_timm_compat_equals_timm_on_drawn_arguments(name, timm_drawn_values):
    case = TIMM_DRAWN[name]
    ours = getattr(compat.timm, case["cls"])(LR, **case["kwargs"])
    steps = case["steps"]
    assert_close(
        ours(np.asarray(steps, dtype=np.float64)),
        timm_drawn_values[name],
        steps,
        rtol=1e-9,
        context=f"with {case['kwargs']}",
    )


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
    return run_worker("hf", HF_DRAWN)


@pytest.mark.parametrize("name", list(HF_DRAWN))
def test_hf_compat_equals_get_scheduler_on_drawn_arguments(name, hf_drawn_values):
    case = HF_DRAWN[name]
    ours = compat.transformers.get_scheduler(
        case["name"], LR, case["num_warmup_steps"], case["num_training_steps"], case["kwargs"]
    )
    steps = list(range(case["steps"]))
    assert_close([ours(s) for s in steps], hf_drawn_values[name], steps, rtol=1e-9, context=f"with {case}")


def _draw_torch(rng):
    sched_args = []
    for _ in range(DRAWS):
        total = int(rng.integers(2, 120))
        pct = float(rng.uniform(0.05, 0.95))
        one_cycle = {
            "max_lr": float(rng.uniform(0.01, 1.0)),
            "total_steps": total,
            "pct_start": pct if rng.integers(2) else min(pct, 0.49),
            "anneal_strategy": str(rng.choice(["cos", "linear"])),
            "div_factor": float(rng.uniform(2, 50)),
            "final_div_factor": float(rng.uniform(2, 1e4)),
            "three_phase": bool(rng.integers(2)),
        }
        if one_cycle["three_phase"]:
            one_cycle["pct_start"] = min(one_cycle["pct_start"], 0.49)
        if one_cycle["pct_start"] * total <= 1:  # refused (torch's warmup would end by step 0): tested apart
            one_cycle["total_steps"] = total = max(total, 8)
            one_cycle["pct_start"] = float(rng.uniform(1.01, 3.9)) / total
        base = float(rng.uniform(1e-4, 0.05))
        cyclic = {
            "base_lr": base,
            "max_lr": base + float(rng.uniform(0, 0.5)),
            "step_size_up": float(rng.integers(1, 20)),
            "step_size_down": None if rng.integers(2) else float(rng.integers(1, 20)),
            "mode": str(rng.choice(["triangular", "triangular2", "exp_range"])),
            "gamma": float(rng.uniform(0.9, 1.0)),
        }
        lr = float(rng.uniform(0.01, 1.0))
        milestones = [int(m) for m in rng.integers(0, 60, size=int(rng.integers(1, 5)))]
        sched_args += [
            ("OneCycleLR", one_cycle, total),
            ("CyclicLR", cyclic, 120),
            ("CosineAnnealingLR", {"T_max": int(rng.integers(1, 40)), "eta_min": float(rng.uniform(0, 2 * lr))}, 120),
            (
                "CosineAnnealingWarmRestarts",
                {
                    "T_0": int(rng.integers(1, 20)),
                    "T_mult": int(rng.integers(1, 4)),
                    "eta_min": float(rng.uniform(0, lr)),
                },
                150,
            ),
            ("StepLR", {"step_size": int(rng.integers(1, 20)), "gamma": float(rng.uniform(0.05, 1))}, 100),
            ("MultiStepLR", {"milestones": milestones, "gamma": float(rng.uniform(0.05, 3))}, 80),
            ("ExponentialLR", {"gamma": float(rng.uniform(0.8, 1.0))}, 80),
            (
                "LinearLR",
                {
                    "start_factor": float(rng.uniform(0.01, 1.0)),
                    "end_factor": float(rng.uniform(0.0, 1.0)),
                    "total_iters": int(rng.choice([0, 1, rng.integers(2, 40)])),
                },
                80,
            ),
            (
                "ConstantLR",
                {"factor": float(rng.uniform(0.0, 1.0)), "total_iters": int(rng.choice([0, 1, rng.integers(2, 40)]))},
                80,
            ),
            (
                "PolynomialLR",
                {"total_iters": int(rng.choice([0, 1, rng.integers(2, 40)])), "power": float(rng.uniform(0.2, 3))},
                80,
            ),
        ]
        for name, kwargs, _ in sched_args[-10:]:
            if name not in ("OneCycleLR", "CyclicLR"):  # these two take their LRs as arguments
                kwargs["_lr"] = lr
    return {f"{name} #{i // 10}": (name, kwargs, steps) for i, (name, kwargs, steps) in enumerate(sched_args)}


TORCH_DRAWN = _draw_torch(np.random.default_rng(20261126))


@pytest.mark.parametrize("name", list(TORCH_DRAWN))
def test_torch_compat_equals_torch_on_drawn_arguments(name):
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    sched = torch.optim.lr_scheduler

    cls, kwargs, steps = TORCH_DRAWN[name]
    kwargs = dict(kwargs)
    lr = kwargs.pop("_lr", None)
    if lr is None:
        ours = getattr(compat.torch, cls)(**kwargs)
        peer = peer_lrs(lambda o: getattr(sched, cls)(o, **kwargs), steps)
    else:
        ours = getattr(compat.torch, cls)(lr, **kwargs)
        peer = peer_lrs(lambda o: getattr(sched, cls)(o, **kwargs), steps, lr=lr)
    values = [ours(s) for s in range(steps)]
    assert_close(values, peer, list(range(steps)), rtol=1e-9, context=f"with {cls}({kwargs}, lr={lr})")


def test_torch_onecycle_whose_warmup_ends_by_step_0():
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    sched = torch.optim.lr_scheduler

    # pct_start * total_steps == 1: torch divides by zero at step 0
    with pytest.raises(ValueError, match="pct_start=0.25"):
        compat.torch.OneCycleLR(max_lr=0.1, total_steps=4, pct_start=0.25)
    for pct, total in [(0.3, 3), (0.05, 10)]:
        # below 1 torch's peak lies before step 0: part-way along a cosine is refused by name...
        with pytest.raises(compat.RefusedError, match=f"pct_start={pct}"):
            compat.torch.OneCycleLR(max_lr=0.1, total_steps=total, pct_start=pct)
        # ...and along a line it is the line torch draws
        ours = compat.torch.OneCycleLR(max_lr=0.1, total_steps=total, pct_start=pct, anneal_strategy="linear")
        linear = {"max_lr": 0.1, "total_steps": total, "pct_start": pct, "anneal_strategy": "linear"}
        peer = peer_lrs(lambda o, kw=linear: sched.OneCycleLR(o, **kw), total)
        assert_close([ours(s) for s in range(total)], peer, list(range(total)), rtol=1e-9, context=f"{pct} {total}")


def _draw_optax(rng):
    """Real arguments are float32 numbers, as optax computes: a decay rate rounded to
    float32 drifts by about 3e-8 relative per period, which beyond 30 periods passes the
    1e-6 the comparison allows (a peer quirk lrsched does not copy)."""

    def lr():
        return float(rng.uniform(1e-3, 1.0))

    def steps(low=0):
        return int(rng.choice([low, low + 1, rng.integers(low + 2, 60)]))

    def scales():
        keys = sorted({int(b) for b in rng.integers(0, 80, size=int(rng.integers(0, 4)))})
        return {b: float(rng.uniform(0.1, 3.0)) for b in keys}

    cases = []
    for _ in range(DRAWS):
        init, peak, end = lr(), lr(), lr()
        rate = float(rng.choice([rng.uniform(0.05, 1.0), rng.uniform(1.0, 3.0)]))
        growth_end = max(init, end) * float(rng.uniform(1.0, 50.0))
        warmup_cosine = {
            "init_value": init,
            "peak_value": peak,
            "warmup_steps": steps(),
            "end_value": float(rng.uniform(0, peak)),
            "exponent": float(rng.choice([1.0, rng.uniform(0.3, 3.0)])),
        }
        warmup_cosine["decay_steps"] = warmup_cosine["warmup_steps"] + steps(1)
        cases += [
            ("constant_schedule", {"value": init}),
            (
                "linear_schedule",
                {"init_value": init, "end_value": end, "transition_steps": steps(), "transition_begin": steps()},
            ),
            (
                "polynomial_schedule",
                {
                    "init_value": init,
                    "end_value": end,
                    "power": float(rng.uniform(0.3, 3.0)),
                    "transition_steps": steps(),
                    "transition_begin": steps(),
                },
            ),
            (
                "cosine_decay_schedule",
                {
                    "init_value": init,
                    "decay_steps": steps(1),  # optax refuses 0
                    "alpha": float(rng.uniform(0, 1)),
                    "exponent": float(rng.choice([1.0, rng.uniform(0.3, 3.0)])),
                },
            ),
            (
                "exponential_decay",
                {
                    "init_value": init,
                    "transition_steps": steps(),
                    "decay_rate": rate,
                    "transition_begin": steps(),
                    "staircase": bool(rng.integers(2)),
                    "end_value": float(rng.choice([growth_end, rng.uniform(0, init)]))
                    if rate > 1
                    else float(rng.choice([0.0, rng.uniform(0, init), rng.uniform(init, 2 * init)])) or None,
                },
            ),
            ("warmup_cosine_decay_schedule", warmup_cosine),
            (
                "warmup_exponential_decay_schedule",
                {
                    "init_value": init,
                    "peak_value": peak,
                    "warmup_steps": steps(),
                    "transition_steps": steps(),
                    "decay_rate": float(rng.choice([0.0] + [min(rate, 1.0)] * 3)),
                    "transition_begin": steps(),
                    "staircase": bool(rng.integers(2)),
                },
            ),
            ("piecewise_constant_schedule", {"init_value": init, "boundaries_and_scales": scales()}),
            (
                "piecewise_interpolate_schedule",
                {
                    "interpolate_type": str(rng.choice(["linear", "cosine"])),
                    "init_value": init,
                    "boundaries_and_scales": scales(),
                },
            ),
            ("warmup_constant_schedule", {"init_value": init, "peak_value": peak, "warmup_steps": steps()}),
            (
                "cosine_onecycle_schedule",
                {
                    "transition_steps": steps(2),
                    "peak_value": peak,
                    "pct_start": float(rng.uniform(0.05, 0.95)),
                    "div_factor": float(rng.uniform(2, 50)),
                    "final_div_factor": float(rng.uniform(2, 1e4)),
                },
            ),
            (
                "linear_onecycle_schedule",
                {
                    "transition_steps": steps(4),
                    "peak_value": peak,
                    "pct_start": float(rng.uniform(0.05, 0.45)),
                    "pct_final": float(rng.uniform(0.5, 0.95)),
                    "div_factor": float(rng.uniform(2, 50)),
                    "final_div_factor": float(rng.uniform(2, 1e4)),
                },
            ),
        ]
    for _, kwargs in cases:
        for key, value in kwargs.items():
            if isinstance(value, float):
                kwargs[key] = float(np.float32(value))
            elif isinstance(value, dict):
                kwargs[key] = {b: float(np.float32(v)) for b, v in value.items()}
    return {f"{name} #{i // 12}": (name, kwargs) for i, (name, kwargs) in enumerate(cases)}


OPTAX_DRAWN = _draw_optax(np.random.default_rng(20261127))


@pytest.mark.parametrize("name", list(OPTAX_DRAWN))
def test_optax_compat_equals_optax_on_drawn_arguments(name):
    optax = pytest.importorskip("optax", reason="optax is not installed; CI installs it")
    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    function, kwargs = OPTAX_DRAWN[name]
    peer = getattr(optax, function)(**kwargs)
    ours = getattr(compat.optax, function)(**kwargs)
    steps = np.arange(0, 150)
    expected = np.asarray(jax.vmap(peer)(jax.numpy.asarray(steps)), dtype=np.float64)
    try:  # float32 peer: 1e-6 of the value, or of the schedule's scale near zero
        np.testing.assert_allclose(ours(steps), expected, rtol=1e-6, atol=1e-7 * np.max(np.abs(expected)))
    except AssertionError as error:
        raise AssertionError(f"{error}\nwith optax.{function}({kwargs})") from None


def _draw_keras(rng):
    """Real arguments are drawn as float32 numbers: Keras takes its constants (a decay
    rate, alpha, an end LR) as float32 even beside a float64 LR, so a float32 number is
    what both sides compute with; the error that rounding alone brings grows with the
    periods passed (a decay rate 1.073 is off by 1e-6 after 23 periods)."""
    cases = []
    for _ in range(DRAWS // 2):
        lr = float(rng.uniform(1e-3, 1.0))
        m_mul = float(rng.choice([1.0, rng.uniform(0.2, 1.0), rng.uniform(1.0, 1.5)]))
        cosine = {"decay_steps": int(rng.integers(1, 60)), "alpha": float(rng.uniform(0, 1))}
        if rng.integers(2):
            cosine.update(warmup_target=float(rng.uniform(lr, 2 * lr)), warmup_steps=int(rng.integers(0, 30)))
        restarts = {
            "first_decay_steps": int(rng.integers(1, 30)),
            "t_mul": float(rng.choice([1.0, 2.0, 3.0])),
            "m_mul": m_mul,
            "alpha": float(rng.uniform(0, 1)),
        }
        boundaries = sorted({int(b) for b in rng.integers(0, 90, size=int(rng.integers(1, 4)))})
        rate = float(rng.choice([rng.uniform(0.05, 1.0), rng.uniform(1.0, 1.3)]))
        cases += [
            ("CosineDecay", cosine, {}),
            ("CosineDecayRestarts", restarts, {"cycles": 100} if m_mul > 1 else {}),
            (
                "ExponentialDecay",
                {"decay_steps": int(rng.integers(1, 30)), "decay_rate": rate, "staircase": bool(rng.integers(2))},
                {"end_value": 1e9} if rate > 1 else {},
            ),
            (
                "InverseTimeDecay",
                {
                    "decay_steps": int(rng.integers(1, 30)),
                    "decay_rate": float(rng.uniform(0, 3)),
                    "staircase": bool(rng.integers(2)),
                },
                {},
            ),
            (
                "PiecewiseConstantDecay",
                {
                    "boundaries": boundaries,
                    "values": [float(v) for v in rng.uniform(1e-3, 1, size=len(boundaries) + 1)],
                },
                {},
            ),
            (
                "PolynomialDecay",
                {
                    "decay_steps": int(rng.integers(1, 60)),
                    "end_learning_rate": float(rng.uniform(0, 2 * lr)),
                    "power": float(rng.uniform(0.3, 3)),
                    "cycle": bool(rng.integers(2)),
                },
                {},
            ),
        ]
        for _, kwargs, _ in cases[-6:]:
            for key, value in kwargs.items():
                if isinstance(value, float):
                    kwargs[key] = float(np.float32(value))
            if "values" not in kwargs:
                kwargs["initial_learning_rate"] = lr
    return {f"{name} #{i // 6}": case for i, case in enumerate(cases) for name in [case[0]]}


KERAS_DRAWN = _draw_keras(np.random.default_rng(20261128))


@pytest.mark.parametrize("name", list(KERAS_DRAWN))
def test_keras_compat_equals_keras_on_drawn_arguments(name):
    keras = pytest.importorskip("keras", reason="keras is not installed; CI installs it")
    cls, kwargs, ours_only = KERAS_DRAWN[name]
    # Keras computes in the dtype of the initial LR: float64 here (see test_compat_peers.py).
    as_f64 = {k: np.float64(v) if k == "initial_learning_rate" else v for k, v in kwargs.items()}
    if "values" in as_f64:
        as_f64["values"] = [np.float64(v) for v in as_f64["values"]]
    peer = getattr(keras.optimizers.schedules, cls)(**as_f64)
    ours = getattr(compat.keras, cls)(**kwargs, **ours_only)
    steps = list(range(100))
    expected = [float(np.asarray(peer(s))) for s in steps]
    assert_close(
        ours(np.asarray(steps, dtype=np.float64)), expected, steps, rtol=1e-6, context=f"with keras {cls}({kwargs})"
    )


def _draw_torch_part(rng, multiplicative):
    """(name, keyword arguments) of one scheduler for a composition."""
    names = ["StepLR", "MultiStepLR", "ExponentialLR", "LinearLR", "ConstantLR", "PolynomialLR"]
    name = str(rng.choice(names if multiplicative else [*names, "CosineAnnealingLR"]))
    # SequentialLR steps its schedulers with an epoch, the closed form, which divides by
    # total_iters: torch raises there for 0.
    iters = int(rng.choice([0 if multiplicative else 1, 1, rng.integers(2, 30)]))
    return name, {
        "StepLR": {"step_size": int(rng.integers(1, 15)), "gamma": float(rng.uniform(0.1, 1))},
        "MultiStepLR": {
            "milestones": [int(m) for m in rng.integers(0, 40, size=int(rng.integers(1, 4)))],
            "gamma": float(rng.uniform(0.1, 2)),
        },
        "ExponentialLR": {"gamma": float(rng.uniform(0.8, 1))},
        "LinearLR": {
            "start_factor": float(rng.uniform(0.05, 1)),
            "end_factor": float(rng.uniform(0, 1)),
            "total_iters": iters,
        },
        "ConstantLR": {"factor": float(rng.uniform(0, 1)), "total_iters": iters},
        "PolynomialLR": {"total_iters": iters, "power": float(rng.uniform(0.3, 3))},
        "CosineAnnealingLR": {"T_max": int(rng.integers(1, 30)), "eta_min": float(rng.uniform(0, 0.1))},
    }[name]


def _draw_torch_compositions(rng):
    cases = {}
    for k in range(DRAWS):
        lr = float(rng.uniform(0.01, 1.0))
        parts = [_draw_torch_part(rng, multiplicative=True) for _ in range(int(rng.integers(2, 4)))]
        cases[f"ChainedScheduler #{k}"] = ("ChainedScheduler", lr, parts, None)
        parts = [_draw_torch_part(rng, multiplicative=False) for _ in range(int(rng.integers(2, 4)))]
        milestones = sorted(int(m) for m in rng.choice(np.arange(1, 60), size=len(parts) - 1, replace=False))
        cases[f"SequentialLR #{k}"] = ("SequentialLR", lr, parts, milestones)
    return cases


TORCH_COMPOSED = _draw_torch_compositions(np.random.default_rng(20261129))


@pytest.mark.parametrize("name", list(TORCH_COMPOSED))
def test_torch_compositions_equal_torch_on_drawn_arguments(name):
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    sched = torch.optim.lr_scheduler

    kind, lr, parts, milestones = TORCH_COMPOSED[name]
    ours_parts = [getattr(compat.torch, cls)(lr, **kwargs) for cls, kwargs in parts]

    def make(o):
        inner = [getattr(sched, cls)(o, **kwargs) for cls, kwargs in parts]
        return sched.ChainedScheduler(inner) if kind == "ChainedScheduler" else sched.SequentialLR(o, inner, milestones)

    if kind == "ChainedScheduler":
        ours = compat.torch.ChainedScheduler(ours_parts, lr)
    else:
        ours = compat.torch.SequentialLR(ours_parts, milestones)
    steps = 100
    assert_close(
        [ours(s) for s in range(steps)],
        peer_lrs(make, steps, lr=lr),
        list(range(steps)),
        rtol=1e-9,
        context=f"with {kind}({parts}, milestones={milestones}, lr={lr})",
    )
