"""compat.torch and compat.transformers at the edges of the peers' own domains (zero,
equal, reversed, negative and fractional arguments, milestones at 0 and repeated, no
steps, warmups as long as training or longer), side by side with the real torch and
transformers: where the peer gives values, compat gives the same; where the peer raises
(or fails at a step its schedule passes through), compat raises a ValueError naming the
peer's argument; where compat has no equal (an LR below 0, a cycle no lrsched policy
draws), it refuses with a `RefusedError` naming the peer's argument.

torch runs in this process; transformers in a process of its own (as in `peers.py`)."""

import warnings

import pytest

from lrsched import compat
from tests.compat.peers import LR, assert_close, peer_lrs, run_worker
from tests.support import WORKERS

# name: (torch class, group LR or None (the class takes its LRs), keyword arguments, steps)
TORCH_EQUAL = {
    "StepLR gamma 0": ("StepLR", LR, dict(step_size=3, gamma=0.0), 12),
    "StepLR gamma 1": ("StepLR", LR, dict(step_size=3, gamma=1.0), 12),
    "StepLR step_size 1": ("StepLR", LR, dict(step_size=1, gamma=0.5), 30),
    "StepLR step_size below 0": ("StepLR", LR, dict(step_size=-3, gamma=0.5), 30),
    "StepLR whole float step_size": ("StepLR", LR, dict(step_size=4.0, gamma=0.5), 30),
    "MultiStepLR unsorted": ("MultiStepLR", LR, dict(milestones=[10, 3, 7], gamma=0.5), 15),
    "MultiStepLR repeated": ("MultiStepLR", LR, dict(milestones=[3, 3, 7], gamma=0.5), 15),
    "MultiStepLR milestone 0, repeated": ("MultiStepLR", LR, dict(milestones=[0, 0, 5], gamma=0.5), 10),
    "MultiStepLR gamma 0, milestone 0": ("MultiStepLR", LR, dict(milestones=[0, 4], gamma=0.0), 10),
    "MultiStepLR gamma above 1": ("MultiStepLR", LR, dict(milestones=[3, 6], gamma=3.0), 10),
    "MultiStepLR no milestones": ("MultiStepLR", LR, dict(milestones=[], gamma=0.5), 5),
    "MultiStepLR late milestones": ("MultiStepLR", LR, dict(milestones=[150, 199], gamma=0.5), 202),
    "ExponentialLR gamma 0": ("ExponentialLR", LR, dict(gamma=0.0), 5),
    "ExponentialLR gamma 1": ("ExponentialLR", LR, dict(gamma=1.0), 5),
    "CosineAnnealingLR T_max 1": ("CosineAnnealingLR", LR, dict(T_max=1, eta_min=0.01), 8),
    "CosineAnnealingLR fractional T_max": ("CosineAnnealingLR", LR, dict(T_max=2.5, eta_min=0.02), 30),
    "CosineAnnealingLR T_max below 1": ("CosineAnnealingLR", LR, dict(T_max=0.5), 10),
    "CosineAnnealingLR T_max below 0": ("CosineAnnealingLR", LR, dict(T_max=-3, eta_min=0.02), 60),
    "CosineAnnealingLR fractional T_max below 0": ("CosineAnnealingLR", LR, dict(T_max=-2.5, eta_min=0.3), 60),
    "CosineAnnealingLR T_max -1": ("CosineAnnealingLR", LR, dict(T_max=-1), 10),
    "CosineAnnealingLR eta_min above lr": ("CosineAnnealingLR", LR, dict(T_max=10, eta_min=0.3), 45),
    "CosineAnnealingLR eta_min above lr, T_max 1": ("CosineAnnealingLR", LR, dict(T_max=1, eta_min=0.3), 8),
    "CosineAnnealingWarmRestarts T_0 1": ("CosineAnnealingWarmRestarts", LR, dict(T_0=1, eta_min=0.01), 8),
    "CosineAnnealingWarmRestarts T_0 1, T_mult 2": (
        "CosineAnnealingWarmRestarts",
        LR,
        dict(T_0=1, T_mult=2, eta_min=0.01),
        70,
    ),
    "CosineAnnealingWarmRestarts T_mult 1000": ("CosineAnnealingWarmRestarts", LR, dict(T_0=2, T_mult=1000), 40),
    "CosineAnnealingWarmRestarts eta_min above lr": (
        "CosineAnnealingWarmRestarts",
        LR,
        dict(T_0=5, T_mult=2, eta_min=0.3),
        40,
    ),
    "CyclicLR step_size_down 0": (
        "CyclicLR",
        None,
        dict(base_lr=0.01, max_lr=0.1, step_size_up=5, step_size_down=0),
        23,
    ),
    "CyclicLR step_size_down 0, base_lr above max_lr": (
        "CyclicLR",
        None,
        dict(base_lr=0.1, max_lr=0.01, step_size_up=4, step_size_down=0),
        23,
    ),
    "CyclicLR step_size_down 0, fractional step_size_up": (
        "CyclicLR",
        None,
        dict(base_lr=0.01, max_lr=0.1, step_size_up=2.5, step_size_down=0, cycle_momentum=False),
        23,
    ),
    "CyclicLR fractional step sizes": (
        "CyclicLR",
        None,
        dict(base_lr=0.01, max_lr=0.1, step_size_up=2.5, step_size_down=1.5),
        30,
    ),
    "CyclicLR exp_range gamma 0": (
        "CyclicLR",
        None,
        dict(base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range", gamma=0.0),
        12,
    ),
    "CyclicLR exp_range gamma 1": (
        "CyclicLR",
        None,
        dict(base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range", gamma=1.0),
        30,
    ),
    "CyclicLR base_lr above max_lr, triangular2": (
        "CyclicLR",
        None,
        dict(base_lr=0.1, max_lr=0.01, step_size_up=5, mode="triangular2"),
        40,
    ),
    "CyclicLR base_lr above max_lr, exp_range": (
        "CyclicLR",
        None,
        dict(base_lr=0.1, max_lr=0.01, step_size_up=5, mode="exp_range", gamma=0.95),
        40,
    ),
    "CyclicLR base_lr 0, triangular2": (
        "CyclicLR",
        None,
        dict(base_lr=0.0, max_lr=0.1, step_size_up=3, mode="triangular2"),
        20,
    ),
    "CyclicLR no momentum": (
        "CyclicLR",
        None,
        dict(base_lr=0.01, max_lr=0.1, step_size_up=5, cycle_momentum=False),
        20,
    ),
    # OneCycleLR: steps 0 to total_steps - 1 (torch raises past them)
    "OneCycleLR pct_start 0, linear": (
        "OneCycleLR",
        None,
        dict(max_lr=0.1, total_steps=20, pct_start=0.0, anneal_strategy="linear"),
        20,
    ),
    # torch divides by zero stepping past the peak at step 19 (its last): steps 0 to 18
    "OneCycleLR pct_start 1": ("OneCycleLR", None, dict(max_lr=0.1, total_steps=20, pct_start=1.0), 19),
    "OneCycleLR three_phase, pct_start 0.5": (
        "OneCycleLR",
        None,
        dict(max_lr=0.1, total_steps=20, three_phase=True, pct_start=0.5),
        20,
    ),
    "OneCycleLR three_phase, pct_start 0.7": (
        "OneCycleLR",
        None,
        dict(max_lr=0.1, total_steps=20, three_phase=True, pct_start=0.7),
        20,
    ),
    "OneCycleLR three_phase, pct_start 0, linear": (
        "OneCycleLR",
        None,
        dict(max_lr=0.1, total_steps=20, three_phase=True, pct_start=0.0, anneal_strategy="linear"),
        20,
    ),
    "OneCycleLR div_factor below 1": ("OneCycleLR", None, dict(max_lr=0.1, total_steps=20, div_factor=0.5), 20),
    "OneCycleLR final_div_factor below 1": (
        "OneCycleLR",
        None,
        dict(max_lr=0.1, total_steps=20, final_div_factor=0.5),
        20,
    ),
    "OneCycleLR both factors below 1, three_phase, linear": (
        "OneCycleLR",
        None,
        dict(
            max_lr=0.1,
            total_steps=20,
            div_factor=0.5,
            final_div_factor=0.25,
            anneal_strategy="linear",
            three_phase=True,
        ),
        20,
    ),
    "OneCycleLR total_steps 1": ("OneCycleLR", None, dict(max_lr=0.1, total_steps=1), 1),
    "OneCycleLR max_lr 0": ("OneCycleLR", None, dict(max_lr=0.0, total_steps=20), 20),
    "LinearLR end_factor 0, total_iters 1": ("LinearLR", LR, dict(start_factor=0.5, end_factor=0.0, total_iters=1), 5),
    "LinearLR total_iters 0": ("LinearLR", LR, dict(start_factor=0.5, total_iters=0), 5),
    "LinearLR total_iters below 0": ("LinearLR", LR, dict(start_factor=0.5, total_iters=-2), 5),
    "LinearLR fractional total_iters": ("LinearLR", LR, dict(start_factor=0.5, total_iters=2.5), 8),
    "LinearLR fractional total_iters, end_factor 0": (
        "LinearLR",
        LR,
        dict(start_factor=0.5, end_factor=0.0, total_iters=3.5),
        8,
    ),
    "LinearLR total_iters below 1": ("LinearLR", LR, dict(start_factor=0.5, total_iters=0.5), 5),
    "ConstantLR factor 1": ("ConstantLR", LR, dict(factor=1.0, total_iters=5), 8),
    "ConstantLR factor 0, total_iters 0": ("ConstantLR", LR, dict(factor=0.0, total_iters=0), 5),
    "ConstantLR total_iters below 0": ("ConstantLR", LR, dict(factor=0.5, total_iters=-1), 5),
    "ConstantLR fractional total_iters": ("ConstantLR", LR, dict(factor=0.5, total_iters=2.5), 8),
    "ConstantLR total_iters below 1": ("ConstantLR", LR, dict(factor=0.5, total_iters=0.5), 5),
    "PolynomialLR power 0": ("PolynomialLR", LR, dict(total_iters=5, power=0.0), 8),
    "PolynomialLR power below 1": ("PolynomialLR", LR, dict(total_iters=5, power=0.5), 8),
    "PolynomialLR total_iters 0": ("PolynomialLR", LR, dict(total_iters=0), 5),
    "PolynomialLR total_iters 1": ("PolynomialLR", LR, dict(total_iters=1, power=0.5), 5),
    "PolynomialLR fractional total_iters": ("PolynomialLR", LR, dict(total_iters=2.5), 8),
    "PolynomialLR fractional total_iters, power 2": ("PolynomialLR", LR, dict(total_iters=3.5, power=2.0), 8),
    "PolynomialLR total_iters below 1": ("PolynomialLR", LR, dict(total_iters=0.5), 5),
}

# name: (torch class, group LR, keyword arguments, the argument compat's error names): torch
# raises, at construction or at a step the schedule passes through
TORCH_BAD = {
    "StepLR step_size 0": ("StepLR", LR, dict(step_size=0), "step_size"),
    "CosineAnnealingLR T_max 0": ("CosineAnnealingLR", LR, dict(T_max=0), "T_max"),
    "CyclicLR step_size_up 0": (
        "CyclicLR",
        None,
        dict(base_lr=0.01, max_lr=0.1, step_size_up=0, step_size_down=5),
        "step_size_up",
    ),
    "CyclicLR step sizes summing to 0": (
        "CyclicLR",
        None,
        dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=-3),
        "step_size_up",
    ),
    "OneCycleLR div_factor 0": ("OneCycleLR", None, dict(max_lr=0.1, total_steps=20, div_factor=0.0), "div_factor"),
    "PolynomialLR power below 0": ("PolynomialLR", LR, dict(total_iters=5, power=-1.0), "power"),
}

# name: (torch class, group LR, keyword arguments, refused argument): torch gives values
TORCH_REFUSED = {
    "StepLR fractional step_size": ("StepLR", LR, dict(step_size=2.5, gamma=0.5), "step_size"),
    "StepLR gamma below 0": ("StepLR", LR, dict(step_size=2, gamma=-0.5), "gamma"),
    "MultiStepLR gamma below 0": ("MultiStepLR", LR, dict(milestones=[2, 4], gamma=-0.5), "gamma"),
    "ExponentialLR gamma below 0": ("ExponentialLR", LR, dict(gamma=-0.5), "gamma"),
    "CosineAnnealingLR eta_min below 0": ("CosineAnnealingLR", LR, dict(T_max=10, eta_min=-0.02), "eta_min"),
    "CosineAnnealingWarmRestarts eta_min below 0": (
        "CosineAnnealingWarmRestarts",
        LR,
        dict(T_0=3, eta_min=-0.01),
        "eta_min",
    ),
    "CyclicLR base_lr below 0": ("CyclicLR", None, dict(base_lr=-0.01, max_lr=0.1, step_size_up=3), "base_lr"),
    "CyclicLR max_lr below 0": ("CyclicLR", None, dict(base_lr=0.01, max_lr=-0.1, step_size_up=3), "max_lr"),
    "CyclicLR step_size_up below 0": (
        "CyclicLR",
        None,
        dict(base_lr=0.01, max_lr=0.1, step_size_up=-2),
        "step_size_up",
    ),
    "CyclicLR step_size_down below 0": (
        "CyclicLR",
        None,
        dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=-1),
        "step_size_down",
    ),
    "CyclicLR step_size_down 0, triangular2": (
        "CyclicLR",
        None,
        dict(base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=0, mode="triangular2"),
        "step_size_down",
    ),
    "CyclicLR exp_range gamma below 0": (
        "CyclicLR",
        None,
        dict(base_lr=0.01, max_lr=0.1, step_size_up=5, mode="exp_range", gamma=-0.5),
        "gamma",
    ),
    "OneCycleLR max_lr below 0": ("OneCycleLR", None, dict(max_lr=-0.1, total_steps=20), "max_lr"),
    "OneCycleLR div_factor below 0": (
        "OneCycleLR",
        None,
        dict(max_lr=0.1, total_steps=20, div_factor=-2.0),
        "div_factor",
    ),
    "OneCycleLR final_div_factor below 0": (
        "OneCycleLR",
        None,
        dict(max_lr=0.1, total_steps=10, final_div_factor=-2.0),
        "final_div_factor",
    ),
}


def _torch_peer(cls, lr, kwargs, steps):
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    make = getattr(torch.optim.lr_scheduler, cls)
    return peer_lrs(lambda o: make(o, **kwargs), steps, lr=LR if lr is None else lr)


def _ours(cls, lr, kwargs):
    function = getattr(compat.torch, cls)
    return function(**kwargs) if lr is None else function(lr, **kwargs)


@pytest.mark.parametrize("name", list(TORCH_EQUAL))
def test_compat_equals_torch_at_the_edges_of_its_domain(name):
    cls, lr, kwargs, steps = TORCH_EQUAL[name]
    expected = _torch_peer(cls, lr, kwargs, steps)
    ours = _ours(cls, lr, kwargs)
    assert_close([ours(s) for s in range(steps)], expected, list(range(steps)), rtol=1e-9, context=f"{cls}{kwargs}")


def test_compat_cyclic_sawtooth_momentum_equals_torchs():
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=LR, momentum=0.9)
    kwargs = dict(base_lr=0.01, max_lr=0.1, step_size_up=4, step_size_down=0)
    scheduler = torch.optim.lr_scheduler.CyclicLR(opt, **kwargs)
    expected = []
    for _ in range(20):
        expected.append(opt.param_groups[0]["momentum"])
        opt.step()
        scheduler.step()
    momentum = compat.momentum_of(compat.torch.CyclicLR(**kwargs))
    assert_close([momentum(s) for s in range(20)], expected, list(range(20)), rtol=1e-9)


@pytest.mark.parametrize("name", list(TORCH_BAD))
def test_what_torch_refuses_compat_refuses_by_torchs_argument(name):
    cls, lr, kwargs, parameter = TORCH_BAD[name]
    steps = 30
    try:  # torch raises at construction, or fails at a step before `steps`
        values = _torch_peer(cls, lr, kwargs, steps)
    except (ValueError, ZeroDivisionError):
        pass
    else:
        pytest.fail(f"torch gave {values[:5]}... for {cls}{kwargs}")
    with pytest.raises(ValueError, match=rf"^torch\.{cls}: {parameter} must be ") as raised:
        _ours(cls, lr, kwargs)
    assert not isinstance(raised.value, compat.RefusedError)


@pytest.mark.parametrize("name", list(TORCH_REFUSED))
def test_what_compat_has_no_equal_for_it_refuses_by_torchs_argument(name):
    cls, lr, kwargs, parameter = TORCH_REFUSED[name]
    steps = kwargs.get("total_steps", 12)
    assert len(_torch_peer(cls, lr, kwargs, steps)) == steps  # torch gives values
    with pytest.raises(compat.RefusedError) as raised:
        _ours(cls, lr, kwargs)
    assert (raised.value.function, raised.value.parameter) == (f"torch.{cls}", parameter)
    assert (f"torch.{cls}", parameter) in compat.REFUSED


def test_onecycle_max_lr_of_several_param_groups_is_one_schedule_per_group():
    # torch takes a list (one max_lr per param group); compat builds one schedule per group
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in (0.1, 0.02)]
    opt = torch.optim.SGD(params, lr=LR, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[0.1, 0.4], total_steps=20)
    expected = [[], []]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(20):
            for k in range(2):
                expected[k].append(opt.param_groups[k]["lr"])
            opt.step()
            scheduler.step()
    for k, max_lr in enumerate((0.1, 0.4)):
        ours = compat.torch.OneCycleLR(max_lr=max_lr, total_steps=20)
        assert_close([ours(s) for s in range(20)], expected[k], list(range(20)), rtol=1e-9)
    with pytest.raises(ValueError, match=r"^torch\.OneCycleLR: max_lr must be a number"):
        compat.torch.OneCycleLR(max_lr=[0.1, 0.4], total_steps=20)


def test_several_param_groups_each_follow_their_own_lr():
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    lrs = (0.1, 0.03, 0.0)
    params = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    opt = torch.optim.SGD(params, lr=LR)
    sched = torch.optim.lr_scheduler
    scheduler = sched.SequentialLR(
        opt, [sched.LinearLR(opt, 0.25, total_iters=4), sched.CosineAnnealingLR(opt, T_max=7, eta_min=0.01)], [4]
    )
    expected = [[] for _ in lrs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(30):
            for k in range(len(lrs)):
                expected[k].append(opt.param_groups[k]["lr"])
            opt.step()
            scheduler.step()
    for k, lr in enumerate(lrs):
        ct = compat.torch
        ours = ct.SequentialLR(
            [ct.LinearLR(lr, 0.25, total_iters=4), ct.CosineAnnealingLR(lr, T_max=7, eta_min=0.01)], [4]
        )
        assert_close([ours(s) for s in range(30)], expected[k], list(range(30)), rtol=1e-9, context=f"group {k}")


# name: (torch schedulers, as (class, keyword arguments), milestones or None for a chain, steps)
COMPOSITIONS = {
    "SequentialLR milestone 0": (
        [("ConstantLR", dict(factor=0.5, total_iters=3)), ("StepLR", dict(step_size=2))],
        [0],
        12,
    ),
    "SequentialLR repeated milestones": (
        [
            ("LinearLR", dict(start_factor=0.5, total_iters=3)),
            ("ConstantLR", dict(factor=0.5, total_iters=2)),
            ("ExponentialLR", dict(gamma=0.9)),
        ],
        [4, 4],
        14,
    ),
    "SequentialLR milestones 0 and repeated": (
        [
            ("ExponentialLR", dict(gamma=0.5)),
            ("ConstantLR", dict(factor=0.5, total_iters=2)),
            ("PolynomialLR", dict(total_iters=4, power=2.0)),
        ],
        [0, 0],
        10,
    ),
    "ChainedScheduler, gamma 0 and total_iters 0": (
        [("ExponentialLR", dict(gamma=0.0)), ("ConstantLR", dict(factor=0.5, total_iters=0))],
        None,
        6,
    ),
    "ChainedScheduler, fractional total_iters": (
        [("LinearLR", dict(start_factor=0.5, total_iters=2.5)), ("MultiStepLR", dict(milestones=[0, 3, 3]))],
        None,
        10,
    ),
}


@pytest.mark.parametrize("name", list(COMPOSITIONS))
def test_compat_compositions_equal_torch_at_the_edges(name):
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    sched = torch.optim.lr_scheduler
    parts, milestones, steps = COMPOSITIONS[name]

    def make(o):
        built = [getattr(sched, cls)(o, **kwargs) for cls, kwargs in parts]
        return sched.ChainedScheduler(built) if milestones is None else sched.SequentialLR(o, built, milestones)

    expected = peer_lrs(make, steps)
    ours_parts = [getattr(compat.torch, cls)(LR, **kwargs) for cls, kwargs in parts]
    if milestones is None:
        ours = compat.torch.ChainedScheduler(ours_parts, LR)
    else:
        ours = compat.torch.SequentialLR(ours_parts, milestones)
    assert_close([ours(s) for s in range(steps)], expected, list(range(steps)), rtol=1e-9, context=name)


# -- transformers ---------------------------------------------------------------------
HF_WORKER = WORKERS / "transformers_functions_worker.py"
LIN, COS, HARD = (
    "get_linear_schedule_with_warmup",
    "get_cosine_schedule_with_warmup",
    ("get_cosine_with_hard_restarts_schedule_with_warmup"),
)
POLY, MIN_LR = "get_polynomial_decay_schedule_with_warmup", "get_cosine_with_min_lr_schedule_with_warmup"
WLR, CONST_W = "get_cosine_with_min_lr_schedule_with_warmup_lr_rate", "get_constant_schedule_with_warmup"
INV, WSD = "get_inverse_sqrt_schedule", "get_wsd_schedule"

# name: (function, arguments after the optimizer / lr, keyword arguments, steps)
HF_EQUAL = {
    **{
        f"{short} warmup {w}, training {t}": (function, [w, t], kwargs, 45)
        for w, t in ((0, 20), (20, 20), (25, 20), (5, 0), (0, 0), (1, 1), (19, 20), (21, 20))
        for short, function, kwargs in (
            ("linear", LIN, {}),
            ("cosine", COS, {}),
            ("hard restarts", HARD, {}),
            ("min_lr", MIN_LR, {"min_lr": 0.01}),
            ("min_lr_rate", MIN_LR, {"min_lr_rate": 0.1}),
        )
    },
    **{
        f"polynomial warmup {w}, training {t}": (POLY, [w, t, 1e-3, 2.0], {}, 45)
        for w, t in ((0, 20), (25, 20), (5, 0), (19, 20), (21, 20))
    },
    **{f"constant with warmup {w}": (CONST_W, [w], {}, 10) for w in (0, 1, 5)},
    **{
        f"{short} num_cycles {c}": (function, [5, 50, c], kwargs, 110)
        for c in (0, 0.25, 1.5, -0.5, 2.7)
        for short, function, kwargs in (
            ("cosine", COS, {}),
            ("min_lr", MIN_LR, {"min_lr": 0.01}),
            ("warmup min_lr", WLR, {"min_lr": 0.01}),
        )
    },
    **{
        f"wsd num_cycles {c}": (WSD, [5, 20, 60], {"min_lr_ratio": 0.1, "num_cycles": c}, 90)
        for c in (0, 0.25, 1.5, -0.5, 2.7)
    },
    **{f"hard restarts num_cycles {c}": (HARD, [5, 50, c], {}, 110) for c in (0, 0.25, 1.5, 2.7)},
    **{
        f"wsd {warm} warmup, {decay} cooldown": (WSD, [5, 20, 60, None, warm, decay, 0.1], {}, 70)
        for warm in ("linear", "cosine", "1-sqrt")
        for decay in ("linear", "cosine", "1-sqrt")
    },
    "polynomial lr_end 0": (POLY, [5, 50, 0.0], {}, 60),
    "polynomial power 0": (POLY, [5, 50, 1e-3, 0.0], {}, 60),
    "polynomial power below 1": (POLY, [5, 50, 1e-3, 0.5], {}, 60),
    "min_lr above the lr": (MIN_LR, [5, 50], {"min_lr": 0.3}, 110),
    "min_lr_rate above 1": (MIN_LR, [5, 50], {"min_lr_rate": 2.0}, 110),
    "min_lr 0": (MIN_LR, [5, 50], {"min_lr": 0.0}, 60),
    "min_lr equal to the lr": (MIN_LR, [5, 50], {"min_lr": LR}, 60),
    "warmup_lr_rate 0": (WLR, [5, 50], {"min_lr": 0.01, "warmup_lr_rate": 0.0}, 60),
    "warmup_lr_rate above 1": (WLR, [5, 50], {"min_lr": 0.01, "warmup_lr_rate": 2.0}, 60),
    "warmup_lr_rate, warmup 1": (WLR, [1, 50], {"min_lr": 0.01, "warmup_lr_rate": 0.5}, 60),
    "warmup min_lr above the lr": (WLR, [5, 50], {"min_lr": 0.3}, 60),
    "warmup min_lr, warmup 20, training 20": (WLR, [20, 20], {"min_lr_rate": 0.1, "warmup_lr_rate": 0.3}, 45),
    "inverse sqrt timescale 1": (INV, [5, 1], {}, 60),
    "inverse sqrt fractional timescale": (INV, [3, 2.5], {}, 60),
    "inverse sqrt no warmup, default timescale": (INV, [0], {}, 30),
    "inverse sqrt warmup 1": (INV, [1], {}, 30),
    "wsd num_decay_steps 0": (WSD, [5, 0, 60], {}, 70),
    "wsd num_decay_steps 0, min_lr_ratio": (WSD, [5, 0, 60], {"min_lr_ratio": 0.2}, 70),
    "wsd no warmup, all cooldown": (WSD, [0, 60, 60], {}, 70),
    "wsd no steps at all": (WSD, [0, 0, 0], {}, 5),
    "wsd min_lr_ratio 1": (WSD, [5, 20, 60], {"min_lr_ratio": 1.0}, 70),
    "wsd min_lr_ratio above 1, cosine": (WSD, [5, 20, 60], {"min_lr_ratio": 2.0}, 70),
    "wsd min_lr_ratio above 1, linear": (WSD, [5, 20, 60], {"min_lr_ratio": 2.0, "decay_type": "linear"}, 70),
    "wsd num_stable_steps 0": (WSD, [5, 20], {"num_stable_steps": 0}, 40),
    "wsd num_decay_steps 1": (WSD, [5, 1, 20], {}, 25),
    "wsd warmup 1, cosine": (WSD, [1, 5, 20], {"warmup_type": "cosine"}, 25),
}

# name: (function, arguments, keyword arguments, steps, the argument compat's error names):
# transformers raises, at construction or at a step before `steps`
HF_BAD = {
    "polynomial lr_end equal to the lr": (POLY, [5, 50, LR], {}, 5, "lr_end"),
    "polynomial power below 0": (POLY, [5, 50, 1e-3, -1.0], {}, 60, "power"),
    "inverse sqrt timescale 0": (INV, [5, 0], {}, 10, "timescale"),
    "inverse sqrt timescale 0, no warmup": (INV, [0, 0], {}, 5, "timescale"),
    "inverse sqrt timescale below 0": (INV, [3, -4], {}, 12, "timescale"),
    "wsd unknown decay_type": (WSD, [5, 20, 60], {"decay_type": "exp"}, 5, "decay_type"),
    "wsd unknown warmup_type": (WSD, [5, 20, 60], {"warmup_type": "exp"}, 5, "warmup_type"),
}

# name: (function, arguments, keyword arguments, steps, refused argument): transformers gives values
HF_REFUSED = {
    "wsd min_lr_ratio below 0": (WSD, [5, 20, 60], {"min_lr_ratio": -0.5}, 70, "min_lr_ratio"),
    "hard restarts num_cycles below 0": (HARD, [5, 50, -1], {}, 60, "num_cycles"),
    "warmup min_lr, no warmup": (WLR, [0, 20], {"min_lr_rate": 0.1}, 30, "num_warmup_steps"),
}


@pytest.fixture(scope="module")
def hf_runs():
    cases = {}
    for table in (HF_EQUAL, HF_BAD, HF_REFUSED):
        for name, (function, args, kwargs, steps, *_) in table.items():
            cases[name] = {"function": function, "args": args, "kwargs": kwargs, "steps": steps}
    return run_worker("hf", cases, worker=HF_WORKER)


@pytest.mark.parametrize("name", list(HF_EQUAL))
def test_compat_equals_transformers_at_the_edges_of_its_domain(name, hf_runs):
    function, args, kwargs, steps = HF_EQUAL[name]
    run = hf_runs[name]
    assert "error" not in run and None not in run["values"], run
    ours = getattr(compat.transformers, function)(LR, *args, **kwargs)
    context = f"{function}{tuple(args)} {kwargs}"
    assert_close([ours(s) for s in range(steps)], run["values"], list(range(steps)), rtol=1e-9, context=context)


@pytest.mark.parametrize("name", list(HF_BAD))
def test_what_transformers_refuses_compat_refuses_by_its_argument(name, hf_runs):
    function, args, kwargs, _, parameter = HF_BAD[name]
    run = hf_runs[name]
    assert "error" in run or None in run["values"], run  # transformers raises, or fails at a step
    with pytest.raises(ValueError, match=rf"^transformers\.get_scheduler: {parameter} must be ") as raised:
        getattr(compat.transformers, function)(LR, *args, **kwargs)
    assert not isinstance(raised.value, compat.RefusedError)


@pytest.mark.parametrize("name", list(HF_REFUSED))
def test_what_compat_has_no_equal_for_it_refuses_by_transformers_argument(name, hf_runs):
    function, args, kwargs, _, parameter = HF_REFUSED[name]
    run = hf_runs[name]
    assert "error" not in run and None not in run["values"], run  # transformers gives values
    with pytest.raises(compat.RefusedError) as raised:
        getattr(compat.transformers, function)(LR, *args, **kwargs)
    assert (raised.value.function, raised.value.parameter) == ("transformers.get_scheduler", parameter)
    assert ("transformers.get_scheduler", parameter) in compat.REFUSED
