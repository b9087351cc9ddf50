"""lrsched.compat for Keras, timm and Hugging Face, side by side with the real peer over
its horizon and past it (fractional epochs for timm's per-epoch mode).

timm and transformers run in a worker process (`peer_values_worker.py`): timm beside
TensorFlow-backed Keras and torch in one process has crashed here."""

import importlib.util
import re

import numpy as np
import pytest

from lrsched import compat
from tests.compat.peers import LR, assert_close, run_worker
from tests.support import ROOT


def _halves(until):
    return [k / 2 for k in range(2 * until + 1)]


def _quarters(until):
    return [k / 4 for k in range(4 * until + 1)]


# name: (timm class, its keyword arguments, clock, steps)
TIMM = {
    "cosine, per epoch (fractional), warmup on its own clock": (
        "CosineLRScheduler",
        dict(t_initial=40, lr_min=0.001, warmup_t=5, warmup_lr_init=1e-4),
        "epochs",
        _halves(80),
    ),
    "cosine, per update, warmup as a prefix": (
        "CosineLRScheduler",
        dict(t_initial=60, warmup_t=10, warmup_prefix=True, warmup_lr_init=0.01),
        "updates",
        list(range(141)),
    ),
    "cosine restarts: cycle_mul 2, cycle_decay 0.5, cycle_limit 3": (
        "CosineLRScheduler",
        dict(t_initial=10, cycle_mul=2.0, cycle_decay=0.5, cycle_limit=3),
        "updates",
        list(range(141)),
    ),
    "cosine restarts: 4 equal cycles above lr_min": (
        "CosineLRScheduler",
        dict(t_initial=15, cycle_limit=4, lr_min=0.005),
        "epochs",
        _halves(120),
    ),
    "poly, power 2, warmup": (
        "PolyLRScheduler",
        dict(t_initial=50, power=2.0, lr_min=0.001, warmup_t=5),
        "updates",
        list(range(101)),
    ),
    "poly, default power 0.5, per epoch": ("PolyLRScheduler", dict(t_initial=30), "epochs", _quarters(60)),
    "poly, k_decay 2": ("PolyLRScheduler", dict(t_initial=40, power=1.5, k_decay=2.0), "updates", list(range(81))),
    "cosine, k_decay 0.5, fractional epochs": (
        "CosineLRScheduler",
        dict(t_initial=30, lr_min=0.001, k_decay=0.5, warmup_t=2, warmup_lr_init=0.01),
        "epochs",
        _quarters(60),
    ),
    "tanh, per epoch (fractional), warmup": (
        "TanhLRScheduler",
        dict(t_initial=40, lr_min=0.002, warmup_t=3, warmup_lr_init=1e-3),
        "epochs",
        _halves(80),
    ),
    "tanh, per update, its own bounds": (
        "TanhLRScheduler",
        dict(t_initial=50, lb=-4.0, ub=5.0),
        "updates",
        list(range(101)),
    ),
    "cosine restarts: cycle_decay 0.6 scales the peak above lr_min 0.02, k_decay 1.5": (
        "CosineLRScheduler",
        dict(t_initial=12, lr_min=0.02, cycle_mul=1.5, cycle_decay=0.6, cycle_limit=4, k_decay=1.5, warmup_t=3),
        "epochs",
        _halves(130),
    ),
    "cosine restarts: peaks fall below lr_min (cycles turn upside down)": (
        "CosineLRScheduler",
        dict(t_initial=10, lr_min=0.05, cycle_decay=0.3, cycle_limit=4),
        "updates",
        list(range(101)),
    ),
    "cosine restarts: cycle_decay 1.5 grows the peak, cycle_limit 3": (
        "CosineLRScheduler",
        dict(t_initial=10, lr_min=0.01, cycle_decay=1.5, cycle_limit=3),
        "updates",
        list(range(61)),
    ),
    "cosine: cycle_limit 0 holds lr_min after the warmup": (
        "CosineLRScheduler",
        dict(t_initial=10, lr_min=0.01, cycle_limit=0, warmup_t=4, warmup_prefix=True),
        "updates",
        list(range(31)),
    ),
    "poly restarts: cycle_mul 2, cycle_decay 0.5 above lr_min, k_decay 2": (
        "PolyLRScheduler",
        dict(t_initial=8, power=2.0, lr_min=0.003, cycle_mul=2.0, cycle_decay=0.5, cycle_limit=4, k_decay=2.0),
        "epochs",
        _quarters(130),
    ),
    "tanh restarts: 3 cycles, cycle_decay 0.7, warmup on its own clock": (
        "TanhLRScheduler",
        dict(t_initial=20, lr_min=0.001, cycle_decay=0.7, cycle_limit=3, warmup_t=4, warmup_lr_init=0.002),
        "epochs",
        _halves(100),
    ),
    "step, warmup prefix, fractional epochs": (
        "StepLRScheduler",
        dict(decay_t=7, decay_rate=0.5, warmup_t=3, warmup_lr_init=0.01),
        "epochs",
        _quarters(40),
    ),
    "multistep, decay_rate 2 (steps up)": (
        "MultiStepLRScheduler",
        dict(decay_t=[6, 20], decay_rate=2.0, warmup_t=3, warmup_lr_init=0.001),
        "updates",
        list(range(41)),
    ),
    "multistep": (
        "MultiStepLRScheduler",
        dict(decay_t=[10, 25, 40], decay_rate=0.3, warmup_t=2),
        "epochs",
        _halves(60),
    ),
    "wsd, 1-sqrt cooldown (default), warmup": (
        "WSDLRScheduler",
        dict(t_initial=80, decay_t=20, warmup_t=10, lr_min=0.001),
        "updates",
        list(range(181)),
    ),
    "wsd, exp cooldown, fractional epochs": (
        "WSDLRScheduler",
        dict(t_initial=40, decay_t=10, decay_fn="exp", decay_ratio=0.05, warmup_t=4, warmup_lr_init=0.002),
        "epochs",
        _quarters(90),
    ),
    "wsd, rsqrt stable phase (timescale = warmup_t), linear cooldown": (
        "WSDLRScheduler",
        dict(t_initial=80, decay_t=20, stable_fn="rsqrt", decay_fn="linear", warmup_t=10, lr_min=0.002),
        "updates",
        list(range(181)),
    ),
    "wsd, power 1.5 stable phase held at lr_min, cosine cooldown, fractional epochs": (
        "WSDLRScheduler",
        dict(
            t_initial=60,
            decay_t=15,
            stable_fn="power",
            stable_power=1.5,
            stable_timescale=4.0,
            decay_fn="cosine",
            lr_min=0.01,
        ),
        "epochs",
        _quarters(130),
    ),
    "wsd, power 2 cooldown": (
        "WSDLRScheduler",
        dict(t_initial=40, decay_t=15, decay_fn="power", decay_power=2.0),
        "updates",
        list(range(81)),
    ),
    "wsd, cosine cooldown": (
        "WSDLRScheduler",
        dict(t_initial=40, decay_t=15, decay_fn="cosine"),
        "updates",
        list(range(81)),
    ),
    "wsd, linear cooldown": (
        "WSDLRScheduler",
        dict(t_initial=40, decay_t=15, decay_fn="linear"),
        "updates",
        list(range(81)),
    ),
    # what an outside differential run found (timm)
    "cosine restarts, cycles that shrink (cycle_mul 0.5)": (
        "CosineLRScheduler",
        dict(t_initial=16, cycle_mul=0.5, cycle_decay=0.8, cycle_limit=3, lr_min=0.01),
        "updates",
        list(range(32)),  # timm's log fails from t_initial / (1 - cycle_mul) = 32 on
    ),
    "poly restarts, cycle_mul 0.75, per epoch": (
        "PolyLRScheduler",
        dict(t_initial=16, cycle_mul=0.75, cycle_limit=4, power=2.0),
        "epochs",
        _quarters(63),
    ),
    "wsd, lr_min above lr": (
        "WSDLRScheduler",
        dict(t_initial=30, decay_t=10, lr_min=0.2, warmup_t=5),
        "updates",
        list(range(50)),
    ),
    "wsd, warmup_lr_init above lr": (
        "WSDLRScheduler",
        dict(t_initial=30, decay_t=10, warmup_t=5, warmup_lr_init=0.3, stable_fn="rsqrt"),
        "updates",
        list(range(50)),
    ),
    "step, decay_rate 0": ("StepLRScheduler", dict(decay_t=5, decay_rate=0.0), "updates", list(range(20))),
}

# name: (get_scheduler name, num_warmup_steps, num_training_steps, scheduler_specific_kwargs, steps)
HF = {
    # what an outside differential run found (transformers)
    "linear, num_training_steps below num_warmup_steps": ("linear", 10, 8, None, 30),
    "cosine, num_cycles 0": ("cosine", 5, 50, {"num_cycles": 0}, 60),
    "cosine_with_restarts, num_cycles 0": ("cosine_with_restarts", 5, 50, {"num_cycles": 0}, 60),
    "polynomial, num_training_steps below num_warmup_steps": ("polynomial", 10, 6, {"lr_end": 0.01}, 30),
    "warmup_stable_decay, no decay steps": (
        "warmup_stable_decay",
        5,
        30,
        {"num_decay_steps": 0, "min_lr_ratio": 0.1},
        40,
    ),
    "warmup_stable_decay, min_lr_ratio above 1": (
        "warmup_stable_decay",
        5,
        40,
        {"num_decay_steps": 10, "min_lr_ratio": 1.5, "warmup_type": "cosine"},
        50,
    ),
    "linear": ("linear", 10, 100, None, 200),
    "linear, no warmup": ("linear", 0, 100, None, 150),
    "cosine (climbs back past its horizon)": ("cosine", 10, 100, None, 250),
    "cosine, 1.5 cycles": ("cosine", 5, 100, {"num_cycles": 1.5}, 200),
    "cosine_with_restarts": ("cosine_with_restarts", 5, 95, {"num_cycles": 3}, 200),
    "polynomial": ("polynomial", 10, 100, {"lr_end": 1e-4, "power": 2.0}, 200),
    "polynomial, defaults": ("polynomial", 10, 100, None, 150),
    "constant": ("constant", None, None, None, 50),
    "constant_with_warmup": ("constant_with_warmup", 10, None, None, 50),
    "inverse_sqrt": ("inverse_sqrt", 10, None, None, 300),
    "inverse_sqrt, timescale, no warmup": ("inverse_sqrt", 0, None, {"timescale": 50}, 300),
    "cosine_with_min_lr, rate": ("cosine_with_min_lr", 10, 100, {"min_lr_rate": 0.1}, 200),
    "cosine_with_min_lr, min_lr": ("cosine_with_min_lr", 10, 100, {"min_lr": 0.005}, 200),
    "cosine_warmup_with_min_lr": ("cosine_warmup_with_min_lr", 10, 100, {"min_lr_rate": 0.1}, 200),
    "cosine_warmup_with_min_lr, warmup_lr_rate": (
        "cosine_warmup_with_min_lr",
        10,
        100,
        {"min_lr_rate": 0.1, "warmup_lr_rate": 0.2},
        200,
    ),
    "cosine_warmup_with_min_lr, one warmup step at warmup_lr_rate": (
        "cosine_warmup_with_min_lr",
        1,
        60,
        {"min_lr": 0.01, "warmup_lr_rate": 0.3},
        130,
    ),
    "cosine_warmup_with_min_lr, one warmup step": ("cosine_warmup_with_min_lr", 1, 60, {"min_lr_rate": 0.2}, 130),
    "warmup_stable_decay, cosine cooldown of num_cycles 0.75, cosine warmup": (
        "warmup_stable_decay",
        10,
        100,
        {"num_decay_steps": 30, "num_cycles": 0.75, "min_lr_ratio": 0.1, "warmup_type": "cosine"},
        200,
    ),
    "warmup_stable_decay, cosine cooldown of num_cycles 0.25": (
        "warmup_stable_decay",
        0,
        100,
        {"num_decay_steps": 40, "num_cycles": 0.25},
        200,
    ),
    "warmup_stable_decay, cosine (default)": ("warmup_stable_decay", 10, 100, {"num_decay_steps": 20}, 200),
    "warmup_stable_decay, 1-sqrt, cosine warmup, min_lr_ratio": (
        "warmup_stable_decay",
        10,
        100,
        {"num_decay_steps": 20, "decay_type": "1-sqrt", "warmup_type": "cosine", "min_lr_ratio": 0.1},
        200,
    ),
    "warmup_stable_decay, linear, 1-sqrt warmup, num_stable_steps": (
        "warmup_stable_decay",
        8,
        None,
        {"num_decay_steps": 25, "num_stable_steps": 50, "decay_type": "linear", "warmup_type": "1-sqrt"},
        150,
    ),
}


@pytest.fixture(scope="module")
def timm_values():
    cases = {
        name: {"cls": c, "kwargs": kw, "clock": clock, "steps": steps} for name, (c, kw, clock, steps) in TIMM.items()
    }
    return run_worker("timm", cases)


@pytest.fixture(scope="module")
def hf_values():
    cases = {
        name: {"name": n, "num_warmup_steps": w, "num_training_steps": t, "kwargs": kw, "steps": steps}
        for name, (n, w, t, kw, steps) in HF.items()
    }
    return run_worker("hf", cases)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(TIMM))
def test_timm_compat_equals_the_timm_scheduler(name, timm_values):
    cls, kwargs, _, steps = TIMM[name]
    ours = getattr(compat.timm, cls)(LR, **kwargs)
    assert_close(ours(np.asarray(steps, dtype=np.float64)), timm_values[name], steps, rtol=1e-9)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(HF))
def test_hf_compat_equals_get_scheduler(name, hf_values):
    hf_name, warm, total, kwargs, steps = HF[name]
    ours = compat.transformers.get_scheduler(hf_name, LR, warm, total, kwargs)
    assert_close([ours(s) for s in range(steps)], hf_values[name], list(range(steps)), rtol=1e-9)


# -- Keras, in this process (float32) ----------------------------------------------------
def _keras_cases():
    keras = pytest.importorskip("keras", reason="keras is not installed; CI installs it")
    k = keras.optimizers.schedules
    # Keras computes in the dtype of the initial LR: float64 here, so the comparison sees
    # lrsched's math rather than float32's rounding of the step (a float32 step near the
    # end of a cycle of PolynomialDecay(power=0.5) is off by 5e-6 relative). The other
    # constants Keras still takes in float32 (end_learning_rate, alpha): hence 1e-6.
    f64 = np.float64
    return {
        "CosineDecay": (k.CosineDecay(f64(0.4), 50, alpha=0.1), compat.keras.CosineDecay(0.4, 50, alpha=0.1)),
        "CosineDecay with warmup": (
            k.CosineDecay(f64(0.01), 50, alpha=0.1, warmup_target=0.4, warmup_steps=10),
            compat.keras.CosineDecay(0.01, 50, alpha=0.1, warmup_target=0.4, warmup_steps=10),
        ),
        "CosineDecayRestarts": (
            k.CosineDecayRestarts(f64(0.4), 10, t_mul=2.0, m_mul=0.8, alpha=0.1),
            compat.keras.CosineDecayRestarts(0.4, 10, t_mul=2.0, m_mul=0.8, alpha=0.1),
        ),
        "CosineDecayRestarts m_mul 1.25 (growth, 5 cycles)": (
            k.CosineDecayRestarts(f64(0.2), 10, t_mul=2.0, m_mul=1.25, alpha=0.1),
            compat.keras.CosineDecayRestarts(0.2, 10, t_mul=2.0, m_mul=1.25, alpha=0.1, cycles=5),
        ),
        "ExponentialDecay": (k.ExponentialDecay(f64(0.4), 10, 0.5), compat.keras.ExponentialDecay(0.4, 10, 0.5)),
        "ExponentialDecay decay_rate 1.5 (growth; ceiling past the steps compared)": (
            k.ExponentialDecay(f64(1e-3), 10, 1.5),
            compat.keras.ExponentialDecay(1e-3, 10, 1.5, end_value=1e6),
        ),
        "ExponentialDecay staircase decay_rate 1.2 (growth)": (
            k.ExponentialDecay(f64(1e-3), 7, 1.2, staircase=True),
            compat.keras.ExponentialDecay(1e-3, 7, 1.2, staircase=True, end_value=1e6),
        ),
        "ExponentialDecay staircase": (
            k.ExponentialDecay(f64(0.4), 10, 0.5, staircase=True),
            compat.keras.ExponentialDecay(0.4, 10, 0.5, staircase=True),
        ),
        "InverseTimeDecay": (k.InverseTimeDecay(f64(0.4), 10, 0.5), compat.keras.InverseTimeDecay(0.4, 10, 0.5)),
        "InverseTimeDecay staircase": (
            k.InverseTimeDecay(f64(0.4), 10, 0.5, staircase=True),
            compat.keras.InverseTimeDecay(0.4, 10, 0.5, staircase=True),
        ),
        "PiecewiseConstantDecay": (
            k.PiecewiseConstantDecay([10, 30], [f64(0.4), f64(0.2), f64(0.05)]),
            compat.keras.PiecewiseConstantDecay([10, 30], [0.4, 0.2, 0.05]),
        ),
        "PolynomialDecay": (
            k.PolynomialDecay(f64(0.4), 40, power=2.0),
            compat.keras.PolynomialDecay(0.4, 40, power=2.0),
        ),
        "PolynomialDecay rising to end_learning_rate": (
            k.PolynomialDecay(f64(0.01), 40, end_learning_rate=0.4, power=3.0),
            compat.keras.PolynomialDecay(0.01, 40, end_learning_rate=0.4, power=3.0),
        ),
        "PolynomialDecay cycle": (
            k.PolynomialDecay(f64(0.4), 40, end_learning_rate=0.01, power=0.5, cycle=True),
            compat.keras.PolynomialDecay(0.4, 40, end_learning_rate=0.01, power=0.5, cycle=True),
        ),
    }


KERAS = [
    "CosineDecay", "CosineDecay with warmup", "CosineDecayRestarts",
    "CosineDecayRestarts m_mul 1.25 (growth, 5 cycles)", "ExponentialDecay",
    "ExponentialDecay decay_rate 1.5 (growth; ceiling past the steps compared)",
    "ExponentialDecay staircase decay_rate 1.2 (growth)", "ExponentialDecay staircase",
    "InverseTimeDecay", "InverseTimeDecay staircase", "PiecewiseConstantDecay", "PolynomialDecay",
    "PolynomialDecay cycle", "PolynomialDecay rising to end_learning_rate",
]  # fmt: skip


@pytest.mark.parametrize("name", KERAS)
def test_keras_compat_equals_the_keras_schedule(name):
    peer, ours = _keras_cases()[name]
    steps = list(range(160))
    expected = [float(np.asarray(peer(s))) for s in steps]
    assert_close(ours(np.asarray(steps, dtype=np.float64)), expected, steps, rtol=1e-6)


def test_every_compat_function_and_name_is_checked_against_its_peer():
    import inspect

    from tests.compat.test_compat import CASES, OPTAX
    from tests.compat.test_compat_transformers_functions import FUNCTIONS

    peers = [name for name in compat.__all__ if inspect.ismodule(getattr(compat, name))]
    functions = {
        f"{peer}.{name}"
        for peer in peers
        for name in getattr(compat, peer).__all__
        if inspect.isfunction(getattr(getattr(compat, peer), name))
    }
    checked = (
        {f"timm.{cls}" for cls, *_ in TIMM.values()}
        | {f"keras.{name.split()[0]}" for name in KERAS}
        | {f"torch.{name.split()[0]}" for name in CASES}
        | {f"optax.{name.split()[0]}" for name in OPTAX}
        | {"transformers.get_scheduler"}
        | {f"transformers.{function}" for function, *_ in FUNCTIONS.values()}
    )
    assert sorted(peers) == ["keras", "optax", "timm", "torch", "transformers"]
    assert functions <= checked, sorted(functions - checked)
    assert {hf_name for hf_name, *_ in HF.values()} == set(compat.HF_NAMES)
    # compat's own functions: momentum_of against torch's momentum (test_compat.py and
    # test_compat_domain.py), the table and the refusals against the docs (below)
    shared = {name for name, _ in inspect.getmembers(compat, inspect.isfunction) if not name.startswith("_")}
    assert shared == {"momentum_of", "migration_table", "refusal_list"}


def test_the_docs_migration_table_and_refusals_are_the_generated_ones():
    # docs/migration.md holds placeholders that docs/hooks.py fills from compat when the
    # site is built, so no row can go stale.

    root = ROOT
    page = (root / "docs" / "migration.md").read_text()
    spec = importlib.util.spec_from_file_location("docs_hooks", root / "docs" / "hooks.py")
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    built = hooks.on_page_markdown(page, None, None, None)
    table, refusals = compat.migration_table(), compat.refusal_list()
    assert table in built and refusals in built
    assert "<!-- migration table -->" not in built and "<!-- refusals -->" not in built
    # one row per function, by its path in the peer's module of compat
    rows = 0
    for module in (compat.torch, compat.optax, compat.keras, compat.timm, compat.transformers):
        peer = module.__name__.rsplit(".", 1)[-1]
        for name in module.__all__:
            if callable(getattr(module, name)):
                rows += 1
                assert f"`compat.{peer}.{name}(" in table, (peer, name)
    assert table.count("\n") == 2 + rows + 1  # the header, its rule, the rows, get_scheduler's names
    assert "`compat.transformers.get_scheduler`" in refusals and "every `compat.timm` function" in refusals
    # neither names a function by its deprecated flat name (compat.torch_OneCycleLR)
    assert not re.search(r"compat\.(torch|optax|keras|timm|hf)_", table + refusals)


def test_hf_unknown_scheduler_kwargs_are_refused_for_every_name():
    # transformers' get_scheduler raises TypeError for a keyword its scheduler does not take.
    for name, (_, warm, total, kwargs, _) in HF.items():
        if name == "constant":
            continue  # get_scheduler ignores scheduler_specific_kwargs for "constant"
        bad = dict(kwargs or {}, warmpu_lr_rate=0.2)
        with pytest.raises(TypeError, match="warmpu_lr_rate"):
            compat.transformers.get_scheduler(HF[name][0], LR, warm, total, bad)
