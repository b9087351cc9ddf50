"""lrsched.compat against each real peer over the PEER's whole documented domain.

Every argument is drawn from the range the peer documents and accepts, not from what
lrsched supports: boundaries, zero, equal and reversed pairs, values above and below
the LR, factors below 1, torch compositions holding every torch scheduler (OneCycleLR
and CyclicLR included), resumes (`last_epoch`). Each draw ends one of three ways:

- the peer refuses it too (raises at construction): not counted;
- compat equals the peer at every step the peer computes (to the tolerance below);
- compat refuses it with a `RefusedError` naming the peer's parameter and the value
  given, for a reason listed in `compat.REFUSED` (the README lists them).

Anything else fails: a mismatch, or a refusal that is not a documented one.

Tolerances: torch, timm and transformers compute in float64 (rtol 1e-9, and 1e-12 of
the schedule's scale near 0); optax computes in float32, with float32 arguments drawn
(rtol 1e-6, 1e-7 of the scale); Keras casts its constants to float32 (rtol 1e-6).
timm finds a cycle index from a float `log`, which can put a restart a step late: its
`cycle_mul` is drawn from binary fractions, for which that log is exact.
"""

# ruff: noqa: B023, E731 - each draw's lambdas run at once, inside the iteration that made them

import math
import warnings

import numpy as np
import pytest

from lrsched import compat
from tests.compat.peers import run_worker

pytestmark = pytest.mark.slow

REFUSED_ERROR = compat.RefusedError
PER_PEER = 300  # configurations drawn per peer (seeded)
COUNTS: dict[str, dict[str, int]] = {}


def _f32(x):
    return float(np.float32(x))


class Draw:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def pick(self, *options):
        choice = options[int(self.rng.integers(len(options)))]
        return choice() if callable(choice) else choice

    def u(self, low, high):
        return float(self.rng.uniform(low, high))

    def i(self, low, high):
        return int(self.rng.integers(low, high + 1))


def _function(path):
    """compat's function at `path` under lrsched.compat ("torch.OneCycleLR")."""
    module, name = path.split(".")
    return getattr(getattr(compat, module), name)


def _build(function, *args, **kwargs):
    """compat's schedule, or its refusal (checked to be a documented one)."""
    try:
        make = _function(function) if isinstance(function, str) else function
        return make(*args, **kwargs), None
    except REFUSED_ERROR as error:
        key = (error.function, error.parameter)
        assert key in compat.REFUSED, f"undocumented refusal {key}: {error}"
        message = str(error)
        assert f"{error.parameter}=" in message and repr(error.value) in message, message
        return None, error
    except (ValueError, TypeError, ZeroDivisionError, OverflowError) as error:
        # the peer accepted it: an undocumented refusal, reported as a mismatch
        return None, error


def _refusal(error, context):
    if isinstance(error, REFUSED_ERROR):
        return ("refused", f"{error.function}({error.parameter})")
    return ("mismatch", f"{context}: compat raised {type(error).__name__}: {error}")


def _close(ours, peer, rtol, atol_scale, context, scale_floor=0.0):
    ours, peer = np.asarray(ours, dtype=np.float64), np.asarray(peer, dtype=object)
    # None: the peer failed at that step; not finite: its float32 overflowed (0 * inf is NaN)
    keep = np.array([v is not None and math.isfinite(v) for v in peer])
    if not keep.any():
        return None
    expected = np.asarray(list(peer[keep]), dtype=np.float64)
    got = ours[keep]
    scale = max(float(np.max(np.abs(expected[np.isfinite(expected)]), initial=0.0)), scale_floor)
    bad = ~np.isclose(got, expected, rtol=rtol, atol=atol_scale * scale, equal_nan=True)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        step = int(np.flatnonzero(keep)[k])
        return f"{context}: step {step}: ours {got[k]!r}, peer {expected[k]!r}"
    return None


def _tally(peer, outcomes):
    counts = {"drawn": len(outcomes)}
    for outcome in outcomes:
        counts[outcome[0]] = counts.get(outcome[0], 0) + 1
    COUNTS[peer] = counts
    mismatches = [o[1] for o in outcomes if o[0] == "mismatch"]
    refused = sorted({o[1] for o in outcomes if o[0] == "refused"})
    raised = sum(1 for m in mismatches if ": compat raised " in m)
    print(f"\n{peer}: {counts} ({raised} of the mismatches raised where the peer ran); refused: {refused}")
    assert not mismatches, f"{len(mismatches)} of {len(outcomes)} differ from {peer}:\n" + "\n".join(mismatches[:15])
    assert counts.get("equal", 0) >= len(outcomes) // 3, counts  # the draws mostly run, not refuse


# -- torch ---------------------------------------------------------------------------------
def _torch_kwargs(d, cls, lr):
    """One torch scheduler's keyword arguments, drawn from torch's documented domain."""
    steps = lambda: d.pick(1, 2, lambda: d.i(3, 40))
    if cls == "OneCycleLR":
        total = d.pick(1, 2, 3, lambda: d.i(4, 90))
        return {
            "max_lr": d.pick(0.0, lambda: d.u(1e-3, 1.0)),
            "total_steps": total,
            "pct_start": d.pick(0.0, 1.0, 0.5, 1.0 / total, 2.0 / total, lambda: d.u(0, 1), lambda: d.u(0.5, 1)),
            "anneal_strategy": d.pick("cos", "linear"),
            "div_factor": d.pick(1.0, 0.5, lambda: d.u(0.1, 1), lambda: d.u(1, 50)),
            "final_div_factor": d.pick(1.0, 0.5, lambda: d.u(1, 1e4)),
            "three_phase": d.pick(False, True),
            "cycle_momentum": d.pick(True, True, False),
            **d.pick(
                {},
                {"base_momentum": 0.95, "max_momentum": 0.85},
                {"base_momentum": 0.9, "max_momentum": 0.9},
                lambda: {"base_momentum": d.u(0, 1), "max_momentum": d.u(0, 1)},
            ),  # fmt: skip
        }
    if cls == "CyclicLR":
        base = d.pick(0.0, lambda: d.u(1e-4, 0.5))
        top = d.pick(base, lambda: base + d.u(0, 0.5), lambda: d.u(0, base) if base else 0.0)
        return {
            "base_lr": base,
            "max_lr": top,
            "step_size_up": d.pick(1, lambda: d.i(2, 20), lambda: d.u(0.5, 15)),
            "step_size_down": d.pick(None, 1, lambda: d.i(2, 20), lambda: d.u(0.5, 15)),
            "mode": d.pick("triangular", "triangular2", "exp_range"),
            "gamma": d.pick(1.0, 0.0, lambda: d.u(0.9, 1.0), 1.02),
            "scale_mode": d.pick("cycle", "iterations"),
            "cycle_momentum": d.pick(True, False),
            **d.pick({}, {"base_momentum": 0.9, "max_momentum": 0.8}, lambda: {"base_momentum": d.u(0, 1)}),
        }
    if cls == "CosineAnnealingWarmRestarts":
        return {"T_0": steps(), "T_mult": d.pick(1, 2, 3), "eta_min": d.pick(0.0, lr, lambda: d.u(0, 2 * lr))}
    if cls == "CosineAnnealingLR":
        return {"T_max": steps(), "eta_min": d.pick(0.0, lr, lambda: d.u(0, 2 * lr))}
    if cls == "StepLR":
        return {"step_size": steps(), "gamma": d.pick(0.0, 1.0, lambda: d.u(0, 1), 1.5)}
    if cls == "MultiStepLR":
        # torch accepts any numbers: below 0 or fractional, its whole step count never reaches them
        whole = lambda: d.i(0, 40)
        milestones = [d.pick(whole, whole, whole, whole, whole, -1, lambda: whole() + 0.5) for _ in range(d.i(1, 4))]
        return {"milestones": milestones + d.pick([], milestones[:1]), "gamma": d.pick(0.0, 1.0, lambda: d.u(0, 3))}
    if cls == "ExponentialLR":
        return {"gamma": d.pick(0.0, 1.0, lambda: d.u(0.8, 1.0), 1.01)}
    if cls == "LinearLR":
        return {
            "start_factor": d.pick(1.0, lambda: d.u(0.01, 1)),
            "end_factor": d.pick(0.0, 1.0, lambda: d.u(0, 1)),
            "total_iters": d.pick(0, 1, lambda: d.i(2, 30)),
        }
    if cls == "ConstantLR":
        return {"factor": d.pick(0.0, 1.0, lambda: d.u(0, 1)), "total_iters": d.pick(0, 1, lambda: d.i(2, 30))}
    assert cls == "PolynomialLR"
    return {"total_iters": d.pick(0, 1, lambda: d.i(2, 30)), "power": d.pick(0.0, 1.0, lambda: d.u(0.2, 3))}


TORCH_ALL = [
    "OneCycleLR", "CyclicLR", "CosineAnnealingWarmRestarts", "CosineAnnealingLR", "StepLR", "MultiStepLR",
    "ExponentialLR", "LinearLR", "ConstantLR", "PolynomialLR",
]  # fmt: skip
_TAKES_LR = set(TORCH_ALL) - {"OneCycleLR", "CyclicLR"}
_KEEPS_GROUP_LR = {"ExponentialLR", "LinearLR", "PolynomialLR", "CosineAnnealingLR"}


def _past_one_cycle(kind, parts, milestones, steps):
    """The steps at or past a OneCycleLR's total_steps, on its own clock: torch extrapolates
    its last phase there (its documented cycle ends at total_steps - 1)."""
    starts = [0, *milestones] if kind == "SequentialLR" else [0] * len(parts)
    ends = [*milestones, steps] if kind == "SequentialLR" else [steps] * len(parts)
    past = set()
    for (cls, kwargs), start, end in zip(parts, starts, ends, strict=True):
        if cls == "OneCycleLR":
            past.update(range(math.ceil(start + kwargs["total_steps"]), math.ceil(end)))
    return past


def _draw_torch(seed=20261202):
    d = Draw(seed)
    cases = []
    for k in range(PER_PEER):
        lr = d.pick(0.1, lambda: d.u(1e-3, 1.0))
        kind = d.pick("single", "single", "resume", "SequentialLR", "ChainedScheduler", "nested")
        if kind in ("single", "resume"):
            cls = TORCH_ALL[k % len(TORCH_ALL)]
            kwargs = _torch_kwargs(d, cls, lr)
            if kind == "resume":
                kwargs["last_epoch"] = d.pick(0, lambda: d.i(1, 60), lambda: d.i(100, 300))
            cases.append((kind, lr, [(cls, kwargs)], None))
        elif kind == "nested":
            # torch runs a composition inside another (the first part: torch refuses a later one)
            inner_kind = d.pick("SequentialLR", "ChainedScheduler")
            inner = [(c, _torch_kwargs(d, c, lr)) for c in (d.pick(*_MULTIPLIERS) for _ in range(2))]
            inner_milestones = _torch_milestones(d, 2) if inner_kind == "SequentialLR" else None
            kind = d.pick("SequentialLR", "ChainedScheduler")
            parts = [(inner_kind, {"parts": inner, "milestones": inner_milestones})]
            parts.append((d.pick(*_MULTIPLIERS), {}))
            parts[-1] = (parts[-1][0], _torch_kwargs(d, parts[-1][0], lr))
            cases.append((kind, lr, parts, _torch_milestones(d, 2) if kind == "SequentialLR" else None))
        else:
            parts = [(c, _torch_kwargs(d, c, lr)) for c in (d.pick(*TORCH_ALL) for _ in range(d.i(2, 3)))]
            for _, kwargs in parts:
                kwargs.pop("cycle_momentum", None)
            cases.append((kind, lr, parts, _torch_milestones(d, len(parts))))
    return cases


_MULTIPLIERS = ["StepLR", "MultiStepLR", "ExponentialLR", "LinearLR", "ConstantLR", "PolynomialLR"]


def _torch_milestones(d, count):
    """SequentialLR's milestones over torch's accepted domain: mostly increasing, at or
    below 0 too (a later scheduler runs first), repeated (one never runs), and now and
    then out of order or fractional (torch bisects them all the same)."""
    ordered = sorted(d.pick(0, -2, lambda: d.i(1, 49), lambda: d.i(1, 49)) for _ in range(count - 1))
    return d.pick(ordered, ordered, ordered, ordered[::-1], [m + 0.5 for m in ordered], ordered[:1] * (count - 1))


def _torch_peer(kind, lr, parts, milestones, steps):
    """torch's LRs (and momentum, where a single scheduler cycles it), step by step; None
    from the step torch fails at; an Exception where torch refuses to build."""
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    sched = torch.optim.lr_scheduler

    def optimizer():
        return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            if kind == "resume":
                # A resume from a run whose epoch k has passed: the group's LR as that run
                # left it for this scheduler's first step (torch's ExponentialLR, LinearLR,
                # PolynomialLR and CosineAnnealingLR keep the group's LR at that step, the
                # others compute epoch k + 1 from it).
                ((cls, kwargs),) = parts
                k = kwargs["last_epoch"]
                fresh = {**kwargs, "last_epoch": -1}
                before, _ = _torch_run(optimizer(), lambda o: getattr(sched, cls)(o, **fresh), k + 2)
                opt = optimizer()
                opt.param_groups[0]["initial_lr"] = lr
                opt.param_groups[0]["lr"] = before[k + 1 if cls in _KEEPS_GROUP_LR else k]
                return _torch_run(opt, lambda o: getattr(sched, cls)(o, **kwargs), steps)
            opt = optimizer()
            inner = lambda o: [_torch_scheduler(sched, o, c, kw) for c, kw in parts]
            if kind == "single":
                return _torch_run(opt, lambda o: inner(o)[0], steps)
            if kind == "ChainedScheduler":
                return _torch_run(opt, lambda o: sched.ChainedScheduler(inner(o)), steps)
            return _torch_run(opt, lambda o: sched.SequentialLR(o, inner(o), milestones), steps)
        except (ValueError, ZeroDivisionError, TypeError, KeyError, OverflowError) as error:
            return error


def _torch_scheduler(sched, o, cls, kwargs):
    """torch's scheduler `cls` on optimizer `o`; a composition's parts built in order."""
    if cls in ("SequentialLR", "ChainedScheduler"):
        inner = [_torch_scheduler(sched, o, c, kw) for c, kw in kwargs["parts"]]
        return (
            sched.ChainedScheduler(inner)
            if cls == "ChainedScheduler"
            else sched.SequentialLR(o, inner, kwargs["milestones"])
        )
    return getattr(sched, cls)(o, **kwargs)


def _torch_run(opt, make, steps):
    scheduler = make(opt)
    lrs, moms = [], []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        moms.append(opt.param_groups[0]["momentum"])
        opt.step()
        try:
            scheduler.step()
        except (ValueError, ZeroDivisionError, OverflowError):  # past OneCycleLR's total_steps, a 0 division
            pad = [None] * (steps - len(lrs))
            return lrs + pad, moms + pad
    return lrs, moms


def _ours_torch(kind, lr, parts, milestones):
    built = []
    for cls, kwargs in parts:
        if cls in ("SequentialLR", "ChainedScheduler"):
            schedule, refusal = _ours_torch(cls, lr, kwargs["parts"], kwargs["milestones"])
        else:
            schedule, refusal = _build(f"torch.{cls}", *([lr] if cls in _TAKES_LR else []), **kwargs)
        if refusal is not None:
            return None, refusal
        built.append(schedule)
    if kind == "SequentialLR":
        return _build("torch.SequentialLR", built, milestones)
    if kind == "ChainedScheduler":
        return _build("torch.ChainedScheduler", built, lr)
    return built[0], None


def test_torch_compat_equals_torch_over_its_domain():
    outcomes = []
    for kind, lr, parts, milestones in _draw_torch():
        steps = 80 if kind != "single" or parts[0][0] != "OneCycleLR" else parts[0][1]["total_steps"]
        context = f"{kind} lr={lr} {parts} milestones={milestones}"
        peer = _torch_peer(kind, lr, parts, milestones, steps)
        if isinstance(peer, Exception):
            continue
        ours, refusal = _ours_torch(kind, lr, parts, milestones)
        if refusal is not None:
            outcomes.append(_refusal(refusal, context))
            continue
        peer_lrs, peer_moms = peer
        past = _past_one_cycle(kind, parts, milestones, steps)
        peer_lrs = [None if s in past else v for s, v in enumerate(peer_lrs)]
        # scale floor lr: torch's recursive forms leave ~1e-17 * lr where the exact value is 0
        problem = _close([ours(s) for s in range(steps)], peer_lrs, 1e-9, 1e-12, context, scale_floor=lr)
        momentum = compat.momentum_of(ours)
        cycles = kind == "single" and any(
            c in ("OneCycleLR", "CyclicLR") and kw.get("cycle_momentum", True) for c, kw in parts[-1:]
        )
        if problem is None and cycles:
            if momentum is None:
                problem = f"{context}: no momentum, torch cycles it"
            else:
                problem = _close([momentum(s) for s in range(steps)], peer_moms, 1e-9, 1e-12, "momentum " + context)
        outcomes.append(("mismatch", problem) if problem else ("equal", ""))
    _tally("torch", outcomes)


def test_a_torch_resume_far_into_training_is_exact_in_float32():
    # last_epoch shifts the schedule by whole periods, not by adding k to a float32 step
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    k = 10_000_000
    for schedule, exact in [
        (compat.torch.ExponentialLR(0.1, gamma=0.9999999, last_epoch=k), lambda t: 0.1 * 0.9999999 ** (t + k + 1)),
        (compat.torch.StepLR(0.1, 7, gamma=0.999999, last_epoch=k), lambda t: 0.1 * 0.999999 ** ((t + k + 1) // 7)),
    ]:
        steps = np.arange(0, 40)
        got = np.asarray(schedule(jnp.asarray(steps, dtype=jnp.float32)), dtype=np.float64)
        np.testing.assert_allclose(got, [exact(int(t)) for t in steps], rtol=1e-6)


# -- optax ---------------------------------------------------------------------------------
def _draw_optax(seed=20261203):
    d = Draw(seed)
    value = lambda: d.pick(0.0, lambda: d.u(1e-3, 1.0))
    steps = lambda low=0: d.pick(low, low + 1, lambda: d.i(low + 2, 50))
    cases = []
    for k in range(PER_PEER):
        init, peak, end = value(), value(), value()
        end = d.pick(end, init, peak)
        rate = d.pick(0.0, 1.0, lambda: d.u(0.05, 1.0), lambda: d.u(1.0, 3.0))
        end_value = d.pick(None, 0.0, lambda: d.u(0, 2 * max(init, peak, 1e-3)), lambda: 50 * max(init, peak, 1e-3))
        warm = d.pick(steps, steps, steps, -2)
        warm = warm() if callable(warm) else warm
        cosine = lambda: {
            "init_value": value(), "peak_value": d.pick(0.0, peak), "warmup_steps": warm,
            "decay_steps": warm + steps(1), "end_value": d.pick(0.0, end),
            "exponent": d.pick(1.0, 0.0, lambda: d.u(0.3, 3)),
        }  # fmt: skip
        function, kwargs = [
            ("constant_schedule", lambda: {"value": init}),
            ("linear_schedule", lambda: {"init_value": init, "end_value": end, "transition_steps": steps(),
                                         "transition_begin": d.pick(-3, 0, steps())}),
            ("polynomial_schedule", lambda: {"init_value": init, "end_value": end, "transition_steps": steps(),
                                             "power": d.pick(0.0, 0.5, 1.0, lambda: d.u(0.1, 3)),
                                             "transition_begin": d.pick(-3, 0, steps())}),
            ("cosine_decay_schedule", lambda: {"init_value": init, "decay_steps": steps(1),
                                               "alpha": d.pick(0.0, 1.0, lambda: d.u(0, 1), lambda: d.u(1, 2), -0.5),
                                               "exponent": d.pick(1.0, 0.0, lambda: d.u(0.3, 3), -1.0)}),
            ("exponential_decay", lambda: {"init_value": init, "transition_steps": steps(), "decay_rate": rate,
                                           "transition_begin": d.pick(-3, 0, steps()),
                                           "staircase": d.pick(False, True), "end_value": end_value}),
            ("warmup_exponential_decay_schedule", lambda: {"init_value": init, "peak_value": peak, "warmup_steps": warm,
                                                           "transition_steps": steps(), "decay_rate": min(rate, 1.0),
                                                           "transition_begin": steps(),
                                                           "staircase": d.pick(False, True), "end_value": end_value}),
            ("warmup_cosine_decay_schedule", cosine),
            ("sgdr_schedule", lambda: {"cosine_kwargs": [cosine() for _ in range(d.i(1, 3))]}),
            ("piecewise_constant_schedule", lambda: {"init_value": init, "boundaries_and_scales": {
                d.i(-2, 60): d.pick(0.0, 1.0, lambda: d.u(0, 3)) for _ in range(d.i(0, 3))}}),
            ("piecewise_interpolate_schedule", lambda: {"interpolate_type": d.pick("linear", "cosine"),
                                                        "init_value": init, "boundaries_and_scales": {
                d.i(0, 60): d.pick(0.0, 1.0, lambda: d.u(0, 3)) for _ in range(d.i(0, 3))}}),
            ("warmup_constant_schedule", lambda: {"init_value": init, "peak_value": peak, "warmup_steps": warm}),
            ("cosine_onecycle_schedule", lambda: {"transition_steps": steps(1), "peak_value": peak,
                                                  "pct_start": d.pick(0.0, 1.0, lambda: d.u(0, 1)),
                                                  "div_factor": d.pick(1.0, 0.5, lambda: d.u(1, 50)),
                                                  "final_div_factor": d.pick(1.0, 0.5, lambda: d.u(1, 1e4))}),
            ("linear_onecycle_schedule", lambda: {"transition_steps": steps(1), "peak_value": peak,
                                                  "pct_start": d.pick(0.0, lambda: d.u(0, 0.5)),
                                                  "pct_final": d.pick(1.0, lambda: d.u(0.5, 1)),
                                                  "div_factor": d.pick(1.0, 0.5, lambda: d.u(1, 50)),
                                                  "final_div_factor": d.pick(1.0, 0.5, lambda: d.u(1, 1e4))}),
            # boundaries as optax takes them: in order, equal, out of order, below 0
            ("join_schedules", lambda: {"peak": peak, "steps": steps(1), "boundaries": d.pick(
                lambda: sorted([steps(), steps()]), lambda: [steps()] * 2, lambda: sorted([steps(1), steps(1)])[::-1],
                lambda: [-2, steps()])}),
        ][k % 14]  # fmt: skip
        cases.append((function, _as_f32(kwargs())))
    return cases


def _as_f32(value):
    if isinstance(value, float):
        return _f32(value)
    if isinstance(value, dict):
        return {key: _as_f32(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_as_f32(v) for v in value]
    return value


def test_optax_compat_equals_optax_over_its_domain():
    optax = pytest.importorskip("optax", reason="optax is not installed; CI installs it")
    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    steps = np.arange(0, 130)
    outcomes = []
    for function, kwargs in _draw_optax():
        context = f"optax.{function}({kwargs})"
        try:
            if function == "join_schedules":  # a constant, a cosine from `peak` (0 included), half the peak
                p, n, b = kwargs["peak"], kwargs["steps"], kwargs["boundaries"]
                peer = optax.join_schedules(
                    [optax.constant_schedule(p), optax.cosine_decay_schedule(p, n), optax.constant_schedule(p / 2)], b
                )
            else:
                peer = getattr(optax, function)(**kwargs)
            expected = np.asarray(jax.vmap(peer)(jax.numpy.asarray(steps)), dtype=np.float64)
        except (ValueError, ZeroDivisionError, TypeError) as error:
            assert "ZeroDivision" not in type(error).__name__ or True
            continue
        if function == "join_schedules":
            p, n, b = kwargs["peak"], kwargs["steps"], kwargs["boundaries"]
            parts = lambda: [
                compat.optax.constant_schedule(p),
                compat.optax.cosine_decay_schedule(p, n),
                compat.optax.constant_schedule(p / 2),
            ]
            ours, refusal = _build(lambda: compat.optax.join_schedules(parts(), b))
        else:
            ours, refusal = _build(f"optax.{function}", **kwargs)
        if refusal is not None:
            outcomes.append(_refusal(refusal, context))
            continue
        got = ours(steps)
        if function == "polynomial_schedule" and 0 < kwargs["power"] < 1 and kwargs["transition_steps"] > 0:
            # optax's float32 `1 - count / T` is a few ulps off, which a power below 1
            # magnifies where it nears 0: allow what 3e-7 in that fraction moves the value
            p, span = kwargs["power"], abs(kwargs["init_value"] - kwargs["end_value"])
            count = np.clip(steps - max(kwargs["transition_begin"], 0), 0, kwargs["transition_steps"])
            frac = 1 - count / kwargs["transition_steps"]
            slack = span * (np.abs((frac + 3e-7) ** p - frac**p) + np.abs(frac**p - np.maximum(frac - 3e-7, 0) ** p))
            got = np.where(np.abs(got - expected) <= slack, expected, got)
        problem = _close(got, expected, 1e-6, 1e-7, context)
        outcomes.append(("mismatch", problem) if problem else ("equal", ""))
    _tally("optax", outcomes)


# -- Keras ---------------------------------------------------------------------------------
def _draw_keras(seed=20261204):
    d = Draw(seed)
    cases = []
    for k in range(PER_PEER // 3):  # Keras evaluates one step at a time, slowly
        lr = d.pick(0.1, lambda: d.u(1e-3, 1.0))
        steps = lambda: d.pick(1, lambda: d.i(2, 30))
        boundaries = sorted({d.i(0, 80) for _ in range(d.i(1, 3))})
        # Keras casts boundaries to the step's integer type: fractional, negative, repeated, unsorted
        boundaries = d.pick(
            boundaries, boundaries, [b + d.pick(0.5, 0.25, -0.5) for b in boundaries], [-1.5, *boundaries],
            boundaries[:1] * 2 + boundaries[1:], boundaries[::-1],
        )  # fmt: skip
        cls, kwargs = [
            ("CosineDecay", lambda: {"initial_learning_rate": lr, "decay_steps": steps(),
                                     "alpha": d.pick(0.0, 1.0, lambda: d.u(0, 1), lambda: d.u(1, 2)),
                                     **d.pick({}, lambda: {"warmup_target": d.pick(lr, lambda: d.u(0, 2 * lr)),
                                                           "warmup_steps": d.pick(0, steps(), -2)})}),
            ("CosineDecayRestarts", lambda: {"initial_learning_rate": lr, "first_decay_steps": steps(),
                                             "t_mul": d.pick(1.0, 2.0, 3.0, 0.5, 1.5),
                                             "m_mul": d.pick(1.0, 0.0, lambda: d.u(0.2, 1), 1.25),
                                             "alpha": d.pick(0.0, 1.0, lambda: d.u(0, 1), lambda: d.u(1, 2))}),
            ("ExponentialDecay", lambda: {"initial_learning_rate": lr, "decay_steps": steps(),
                                          "decay_rate": d.pick(0.0, 1.0, lambda: d.u(0.05, 1), 1.1),
                                          "staircase": d.pick(False, True)}),
            ("InverseTimeDecay", lambda: {"initial_learning_rate": lr, "decay_steps": steps(),
                                          "decay_rate": d.pick(0.0, lambda: d.u(0, 3)),
                                          "staircase": d.pick(False, True)}),
            ("PiecewiseConstantDecay", lambda: {"boundaries": boundaries,
                                                "values": [d.pick(0.0, lambda: d.u(0, 1))
                                                           for _ in range(len(boundaries) + 1)]}),
            ("PolynomialDecay", lambda: {"initial_learning_rate": lr, "decay_steps": steps(),
                                         "end_learning_rate": d.pick(0.0, lr, lambda: d.u(0, 2 * lr)),
                                         "power": d.pick(0.0, 1.0, lambda: d.u(0.3, 3)), "cycle": d.pick(False, True)}),
        ][k % 6]  # fmt: skip
        cases.append((cls, _as_f32(kwargs())))
    return cases


def test_keras_compat_equals_keras_over_its_domain():
    keras = pytest.importorskip("keras", reason="keras is not installed; CI installs it")
    steps = list(range(70))
    outcomes = []
    for cls, kwargs in _draw_keras():
        context = f"keras {cls}({kwargs})"
        # Keras computes in the dtype of the initial LR: float64 here (see test_compat_peers.py).
        as_f64 = {k: np.float64(v) if k == "initial_learning_rate" else v for k, v in kwargs.items()}
        if "values" in as_f64:
            as_f64["values"] = [np.float64(v) for v in as_f64["values"]]
        try:
            peer = getattr(keras.optimizers.schedules, cls)(**as_f64)
            expected = [float(np.asarray(peer(s))) for s in steps]
        except (ValueError, ZeroDivisionError, TypeError):
            continue
        ours, refusal = _build(f"keras.{cls}", **kwargs)
        if refusal is not None:
            outcomes.append(_refusal(refusal, context))
            continue
        problem = _close(ours(np.asarray(steps, dtype=np.float64)), expected, 1e-6, 1e-7, context)
        outcomes.append(("mismatch", problem) if problem else ("equal", ""))
    _tally("keras", outcomes)


# -- timm ----------------------------------------------------------------------------------
def _sorted_mostly(d, values):
    """`values` sorted, or now and then out of order (timm takes them so)."""
    return d.pick(sorted(values), sorted(values), sorted(values, reverse=True))


def _draw_timm(seed=20261205):
    d = Draw(seed)
    cases = {}
    for k in range(PER_PEER):
        lr = d.pick(0.1, lambda: d.u(1e-3, 1.0), 0.0)
        first = d.pick(1, lambda: d.i(2, 25))
        warm = {
            "warmup_t": d.pick(0, 1, lambda: d.i(2, 8)),
            "warmup_lr_init": d.pick(0.0, lr, lambda: d.u(0, lr), lambda: d.u(lr, 2 * lr)),
        }
        cycles = lambda: {
            "lr_min": d.pick(0.0, lr, lambda: d.u(0, lr), lambda: d.u(lr, 2 * lr)),
            "cycle_mul": d.pick(1.0, 2.0, 3.0, 0.5, 0.75, 0.25, 1.5),
            "cycle_decay": d.pick(1.0, lambda: d.u(0.2, 1), lambda: d.u(1, 1.6), 0.0),
            "cycle_limit": d.pick(0, 1, 2, lambda: d.i(3, 6)),
            "warmup_prefix": d.pick(False, True),
        }
        total = d.i(2, 50)
        cls, kwargs = [
            ("CosineLRScheduler", lambda: {"t_initial": first, **cycles(), **warm,
                                           "k_decay": d.pick(1.0, lambda: d.u(0.4, 2.5))}),
            ("PolyLRScheduler", lambda: {"t_initial": first, "power": d.pick(0.5, 1.0, lambda: d.u(0.1, 3)),
                                         **cycles(), **warm, "k_decay": d.pick(1.0, lambda: d.u(0.4, 2.5))}),
            ("TanhLRScheduler", lambda: {"t_initial": first, "lb": d.u(-8, -1), "ub": d.u(1, 6), **cycles(), **warm}),
            ("StepLRScheduler", lambda: {"decay_t": d.pick(1, lambda: d.i(2, 15)),
                                         "decay_rate": d.pick(0.0, 1.0, lambda: d.u(0, 1), 1.5), **warm,
                                         "warmup_prefix": d.pick(False, True)}),
            ("MultiStepLRScheduler", lambda: {"decay_t": _sorted_mostly(d, [d.i(0, 40) for _ in range(d.i(1, 4))]),
                                              "decay_rate": d.pick(0.0, 1.0, lambda: d.u(0, 2.5)), **warm,
                                              "warmup_prefix": d.pick(False, True)}),
            ("WSDLRScheduler", lambda: {"t_initial": total,
                                        "decay_t": d.pick(total, 1, lambda: d.i(1, total), total + 3),
                                        "lr_min": d.pick(0.0, lambda: d.u(0, lr), lambda: d.u(lr, 2 * lr)),
                                        "stable_fn": d.pick("constant", "rsqrt", "power"),
                                        "stable_timescale": d.pick(None, lambda: d.u(1, 20)),
                                        "decay_fn": d.pick("linear", "1-sqrt", "cosine", "power", "exp"), **warm}),
        ][k % 6]  # fmt: skip
        clock = d.pick("epochs", "updates")
        kwargs = kwargs()
        span = 150
        steps = [j / 4 for j in range(4 * span + 1)] if clock == "epochs" else list(range(span + 1))
        cases[f"{cls} #{k} {clock}"] = {"cls": cls, "kwargs": kwargs, "clock": clock, "steps": steps, "lr": lr}
    return cases


def _timm_log_quirk(case):
    """The steps where timm's float `log` puts a cycle index other than the exact one (a
    restart a step late: a documented peer quirk, not copied)."""
    from fractions import Fraction

    kwargs = case["kwargs"]
    m = kwargs.get("cycle_mul", 1.0)
    if m == 1.0 or "t_initial" not in kwargs or case["cls"] == "WSDLRScheduler":
        return set()
    first, warm = kwargs["t_initial"], kwargs.get("warmup_t", 0)
    quirk = set()
    for k, t in enumerate(case["steps"]):
        if t < warm:
            continue
        u = t - warm if kwargs.get("warmup_prefix", False) else t
        inside = 1 - u / first * (1 - m)
        if inside <= 0:
            continue
        timm_index = math.floor(math.log(inside, m))
        exact, start, length = 0, Fraction(0), Fraction(first)
        while start + length <= Fraction(u) and exact < 10_000:
            start, length, exact = start + length, length * Fraction(m), exact + 1
        if exact != timm_index:
            quirk.add(k)
    return quirk


def test_timm_compat_equals_timm_over_its_domain():
    cases = _draw_timm()
    values = run_worker("timm", cases)
    outcomes = []
    for name, case in cases.items():
        if isinstance(values[name], dict):  # timm refuses it too
            continue
        context = f"{name} lr={case['lr']} {case['kwargs']}"
        ours, refusal = _build(f"timm.{case['cls']}", case["lr"], **case["kwargs"])
        if refusal is not None:
            outcomes.append(_refusal(refusal, context))
            continue
        steps = np.asarray(case["steps"], dtype=np.float64)
        quirk = _timm_log_quirk(case)
        peer = [None if k in quirk else v for k, v in enumerate(values[name])]
        problem = _close(ours(steps), peer, 1e-9, 1e-12, context)
        outcomes.append(("mismatch", problem) if problem else ("equal", ""))
    _tally("timm", outcomes)


# -- transformers --------------------------------------------------------------------------
HF_NAMES = [
    "linear", "cosine", "cosine_with_restarts", "polynomial", "constant", "constant_with_warmup", "inverse_sqrt",
    "cosine_with_min_lr", "cosine_warmup_with_min_lr", "warmup_stable_decay",
]  # fmt: skip


def _draw_hf(seed=20261206):
    d = Draw(seed)
    cases = {}
    for k in range(PER_PEER):
        lr = d.pick(0.1, lambda: d.u(1e-3, 1.0))
        total = d.pick(1, lambda: d.i(2, 80))
        warm = d.pick(0, 1, total, total + 3, lambda: d.i(0, total))
        name = HF_NAMES[k % len(HF_NAMES)]
        cycles = d.pick(0.0, 0.5, 1.0, lambda: d.u(0, 2))
        floor = d.pick(
            {"min_lr_rate": d.pick(0.0, 1.0, d.u(0, 1), -0.1)}, {"min_lr": d.pick(0.0, lr, d.u(0, lr), -0.01)}
        )
        kwargs = {
            "cosine": lambda: {"num_cycles": cycles},
            "cosine_with_restarts": lambda: {"num_cycles": d.pick(0, 1, lambda: d.i(2, 5), -1)},
            "polynomial": lambda: {"lr_end": d.pick(0.0, lambda: d.u(0, lr)),
                                   "power": d.pick(0.0, 1.0, lambda: d.u(0.2, 3))},
            "inverse_sqrt": lambda: d.pick({}, {"timescale": d.i(1, 40)}),
            "cosine_with_min_lr": lambda: {**floor, "num_cycles": cycles},
            "cosine_warmup_with_min_lr": lambda: {**floor, "num_cycles": cycles,
                                                  **d.pick({}, {"warmup_lr_rate": d.u(0, 1)})},
            "warmup_stable_decay": lambda: {
                "num_decay_steps": d.pick(0, 1, lambda: d.i(0, total), total + 2),
                "min_lr_ratio": d.pick(0.0, 1.0, lambda: d.u(0, 1), lambda: d.u(1, 2)),
                "warmup_type": d.pick("linear", "cosine", "1-sqrt"),
                "decay_type": d.pick("linear", "cosine", "1-sqrt"),
                "num_cycles": d.pick(0.5, cycles),
                **d.pick({}, {"num_stable_steps": d.pick(0, lambda: d.i(1, 30))}),
            },
        }.get(name, lambda: {})()  # fmt: skip
        cases[f"{name} #{k}"] = {
            "name": name, "lr": lr, "num_warmup_steps": warm, "num_training_steps": total, "kwargs": kwargs,
            "steps": 2 * total + warm + 10,
        }  # fmt: skip
    return cases


def test_hf_compat_equals_transformers_over_its_domain():
    cases = _draw_hf()
    values = run_worker("hf", cases)
    outcomes = []
    for key, case in cases.items():
        if isinstance(values[key], dict):  # transformers refuses it too
            continue
        context = f"{case}"
        args = [case["name"], case["lr"], case["num_warmup_steps"], case["num_training_steps"], case["kwargs"]]
        ours, refusal = _build("transformers.get_scheduler", *args)
        if refusal is not None:
            outcomes.append(_refusal(refusal, context))
            continue
        steps = list(range(case["steps"]))
        problem = _close([ours(s) for s in steps], values[key], 1e-9, 1e-12, context)
        outcomes.append(("mismatch", problem) if problem else ("equal", ""))
    _tally("hf", outcomes)


def test_every_documented_refusal_names_a_parameter_of_its_function():
    import inspect

    for (function, parameter), reason in compat.REFUSED.items():
        # "timm": every compat.timm function; get_scheduler's own and its scheduler_specific_kwargs
        paths = [f"timm.{name}" for name in compat.timm.__all__] if function == "timm" else [function]
        for path in paths:
            parameters = inspect.signature(_function(path)).parameters
            assert parameter in parameters or path == "transformers.get_scheduler", (function, parameter)
        assert reason and not reason.endswith("."), reason
    assert math.isfinite(len(compat.REFUSED))
