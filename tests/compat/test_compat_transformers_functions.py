"""compat.transformers' `get_*_schedule*` functions, side by side with transformers' own
functions of the same name (run in a worker process, as in test_compat_peers.py): the
same parameters and defaults, `lr` for the optimizer, and the same LRs step for step."""

import inspect

import pytest

from lrsched import compat
from tests.compat.peers import LR, assert_close, run_worker
from tests.support import WORKERS

WORKER = WORKERS / "transformers_functions_worker.py"

# name: (function, its positional arguments after the optimizer / lr, its keyword arguments, steps)
FUNCTIONS = {
    "constant": ("get_constant_schedule", [], {}, 20),
    "constant with warmup": ("get_constant_schedule_with_warmup", [10], {}, 40),
    "linear": ("get_linear_schedule_with_warmup", [10, 100], {}, 150),
    "linear, no warmup": ("get_linear_schedule_with_warmup", [0, 50], {}, 80),
    "linear, num_training_steps below num_warmup_steps": ("get_linear_schedule_with_warmup", [10, 8], {}, 30),
    "cosine (climbs back past its horizon)": ("get_cosine_schedule_with_warmup", [10, 100], {}, 250),
    "cosine, 1.5 cycles": ("get_cosine_schedule_with_warmup", [5, 100, 1.5], {}, 200),
    "cosine, num_cycles 0": ("get_cosine_schedule_with_warmup", [5, 50, 0], {}, 60),
    "hard restarts, one cycle (default)": ("get_cosine_with_hard_restarts_schedule_with_warmup", [5, 95], {}, 150),
    "hard restarts, 3 cycles": ("get_cosine_with_hard_restarts_schedule_with_warmup", [5, 95, 3], {}, 200),
    "polynomial, defaults": ("get_polynomial_decay_schedule_with_warmup", [10, 100], {}, 150),
    "polynomial, lr_end and power 2": ("get_polynomial_decay_schedule_with_warmup", [10, 100, 1e-4, 2.0], {}, 200),
    "inverse sqrt": ("get_inverse_sqrt_schedule", [10], {}, 300),
    "inverse sqrt, timescale, no warmup": ("get_inverse_sqrt_schedule", [0, 50], {}, 300),
    "cosine with min_lr_rate": ("get_cosine_with_min_lr_schedule_with_warmup", [10, 100], {"min_lr_rate": 0.1}, 200),
    "cosine with min_lr, one cycle": (
        "get_cosine_with_min_lr_schedule_with_warmup",
        [10, 100, 1.0],
        {"min_lr": 0.005},
        200,
    ),
    "cosine warmup with min_lr_rate": (
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
        [10, 100],
        {"min_lr_rate": 0.1},
        200,
    ),
    "cosine warmup with min_lr_rate, warmup_lr_rate": (
        "get_cosine_with_min_lr_schedule_with_warmup_lr_rate",
        [10, 100, 0.5],
        {"min_lr_rate": 0.1, "warmup_lr_rate": 0.2},
        200,
    ),
    "wsd, defaults": ("get_wsd_schedule", [10, 20, 100], {}, 200),
    "wsd, num_stable_steps, 1-sqrt cooldown, min_lr_ratio": (
        "get_wsd_schedule",
        [8, 25, None, 50, "linear", "1-sqrt", 0.1],
        {},
        150,
    ),
    "wsd, cosine warmup, cosine cooldown of num_cycles 0.75": (
        "get_wsd_schedule",
        [10, 30, 100, None, "cosine", "cosine", 0.1, 0.75],
        {},
        200,
    ),
}


@pytest.fixture(scope="module")
def peer_runs():
    cases = {
        name: {"function": function, "args": args, "kwargs": kwargs, "steps": steps}
        for name, (function, args, kwargs, steps) in FUNCTIONS.items()
    }
    return run_worker("hf", cases, worker=WORKER)


def test_every_function_of_compat_transformers_has_a_case():
    module = compat.transformers
    functions = {name for name in module.__all__ if inspect.isfunction(getattr(module, name))}
    assert functions - {"get_scheduler"} == {function for function, *_ in FUNCTIONS.values()}


@pytest.mark.slow
@pytest.mark.parametrize("name", list(FUNCTIONS))
def test_compat_transformers_function_equals_transformers_own(name, peer_runs):
    function, args, kwargs, steps = FUNCTIONS[name]
    run = peer_runs[name]
    assert "error" not in run, run
    ours = getattr(compat.transformers, function)
    # transformers' parameters and defaults, `lr` for the optimizer, without last_epoch (a
    # resume); those transformers places after last_epoch are keyword-only
    theirs = [tuple(p) for p in run["parameters"] if p[0] != "optimizer"]
    names = [n for n, _ in theirs]
    after_resume = names[names.index("last_epoch") + 1 :]
    mine = inspect.signature(ours).parameters.values()
    defaults = [(p.name, "<required>" if p.default is p.empty else p.default) for p in mine]
    assert defaults == [("lr", "<required>"), *(p for p in theirs if p[0] != "last_epoch")]
    assert [p.name for p in mine if p.kind is p.KEYWORD_ONLY] == after_resume
    schedule = ours(LR, *args, **kwargs)
    assert_close([schedule(s) for s in range(steps)], run["values"], list(range(steps)), rtol=1e-9)
