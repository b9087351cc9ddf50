"""Every constructor validates at construction; the message names the parameter,
its value and the allowed range. Bad steps raise too."""

import math
import re

import numpy as np
import pytest

import lrsched as l

OK_ONE_CYCLE = dict(max_lr=1.0, total_steps=100)
CASES = [
    # (factory, kwargs, exception, words the message must hold)
    (l.range_sweep, dict(start_lr=0.0, end_lr=1.0, num_steps=10), ValueError, ["start_lr", "(0, inf)", "0.0"]),
    (l.range_sweep, dict(start_lr=1.0, end_lr=0.5, num_steps=10), ValueError, ["end_lr", "(1, inf)", "0.5"]),
    (l.range_sweep, dict(start_lr=1e-7, end_lr=1.0, num_steps=0), ValueError, ["num_steps", "(0, inf)"]),
    (l.range_sweep, dict(start_lr=1e-7, end_lr=1.0, num_steps=10, mode="log"), ValueError, ["mode", "'exp'"]),
    (l.range_sweep, dict(start_lr=1e-310, end_lr=1e308, num_steps=10), ValueError, ["finite ratio"]),
    (l.cyclic, dict(base_lr=1.0, max_lr=0.5, step_size_up=4), ValueError, ["max_lr", "[1, inf)", "0.5"]),
    (l.cyclic, dict(base_lr=-0.1, max_lr=0.5, step_size_up=4), ValueError, ["base_lr", "[0, inf)"]),
    (l.cyclic, dict(base_lr=0.1, max_lr=0.5, step_size_up=0), ValueError, ["step_size_up", "[1e-06, inf)"]),
    (l.cyclic, dict(base_lr=0.1, max_lr=0.5, step_size_up=2, step_size_down=-1), ValueError, ["step_size_down"]),
    (l.cyclic, dict(base_lr=0.1, max_lr=0.5, step_size_up=2, mode="tri"), ValueError, ["mode", "'triangular2'"]),
    (
        l.cyclic,
        dict(base_lr=0.1, max_lr=0.5, step_size_up=2, mode="exp_range", gamma=1.5),
        ValueError,
        ["gamma", "(0, 1]", "1.5"],
    ),
    (l.cyclic, dict(base_lr=0.1, max_lr=0.5, step_size_up=2, gamma=0.9), ValueError, ["gamma", "exp_range"]),
    (l.one_cycle, dict(OK_ONE_CYCLE, max_lr=math.inf), ValueError, ["max_lr", "finite", "inf"]),
    (l.one_cycle, dict(OK_ONE_CYCLE, max_lr=math.nan), ValueError, ["max_lr", "finite"]),
    (l.one_cycle, dict(OK_ONE_CYCLE, max_lr=-1.0), ValueError, ["max_lr", "(0, inf)"]),
    (l.one_cycle, dict(OK_ONE_CYCLE, pct_start=1.0), ValueError, ["pct_start", "(0, 1)", "1.0"]),
    (l.one_cycle, dict(OK_ONE_CYCLE, pct_start=0.0), ValueError, ["pct_start", "(0, 1)"]),
    (l.one_cycle, dict(OK_ONE_CYCLE, pct_start=0.5, three_phase=True), ValueError, ["pct_start", "(0, 0.5)"]),
    (l.one_cycle, dict(OK_ONE_CYCLE, div_factor=0.5), ValueError, ["div_factor", "[1, inf)"]),
    (l.one_cycle, dict(OK_ONE_CYCLE, final_div_factor=0.1), ValueError, ["final_div_factor", "[1, inf)"]),
    (l.one_cycle, dict(OK_ONE_CYCLE, anneal="cosine"), ValueError, ["anneal", "'cos'", "'linear'"]),
    (l.one_cycle, dict(OK_ONE_CYCLE, three_phase="yes"), TypeError, ["three_phase", "True or False"]),
    (l.one_cycle, dict(OK_ONE_CYCLE, total_steps="100"), TypeError, ["total_steps", "real number", "str"]),
    (l.one_cycle, dict(OK_ONE_CYCLE, total_steps=True), TypeError, ["total_steps", "bool"]),
    (l.cosine_decay, dict(initial_lr=0.1, decay_steps=0), ValueError, ["decay_steps", "(0, inf)"]),
    (l.cosine_decay, dict(initial_lr=0.1, decay_steps=10, final_lr=-0.2), ValueError, ["final_lr", "[0, inf)"]),
    (l.cosine_restarts, dict(max_lr=0.1, first_cycle_steps=10, min_lr=0.2), ValueError, ["min_lr", "[0, 0.1]"]),
    (l.cosine_restarts, dict(max_lr=0.1, first_cycle_steps=10, cycle_mult=0.5), ValueError, ["cycle_mult", "[1, inf)"]),
    (l.cosine_restarts, dict(max_lr=0.1, first_cycle_steps=10, peak_decay=1.5), ValueError, ["peak_decay", "(0, 1]"]),
    (l.cosine_restarts, dict(max_lr=0.1, first_cycle_steps=-10), ValueError, ["first_cycle_steps"]),
    (l.step_decay, dict(initial_lr=0.1, drop=0.0, every=3), ValueError, ["drop", "(0, 1]"]),
    (l.step_decay, dict(initial_lr=0.1, drop=0.5, every=0), ValueError, ["every", "[1e-06, inf)"]),
    (l.multi_step, dict(initial_lr=0.1, milestones=[5, 3]), ValueError, ["milestones", "sorted", "[5, 3]"]),
    (l.multi_step, dict(initial_lr=0.1, milestones=[-1, 3]), ValueError, ["milestones[0]", "[0, inf)"]),
    (l.multi_step, dict(initial_lr=0.1, milestones=5), TypeError, ["milestones", "list or tuple"]),
    (l.multi_step, dict(initial_lr=0.1, milestones=[3], gamma=0.0), ValueError, ["gamma", "(0, inf)"]),
    (l.multi_step, dict(initial_lr=0.1, milestones=[3] * 400, gamma=10.0), ValueError, ["gamma", "float range"]),
    (l.exponential, dict(initial_lr=0.1, gamma=1.01), ValueError, ["gamma", "(0, 1]", "1.01"]),
    (l.exponential, dict(initial_lr=0.0, gamma=0.9), ValueError, ["initial_lr", "(0, inf)"]),
    (l.constant, dict(lr=-1.0), ValueError, ["lr", "[0, inf)"]),
    (l.warmup, dict(schedule=lambda t: 0.1, steps=5), TypeError, ["schedule", "lrsched schedule"]),
    (l.warmup, dict(schedule=l.constant(lr=0.1), steps=-1), ValueError, ["steps", "[0, inf)"]),
    (l.warmup, dict(schedule=l.constant(lr=0.1), steps=5, shape="cos"), ValueError, ["shape", "'exp'"]),
    (l.warmup, dict(schedule=l.constant(lr=0.1), steps=5, shape="exp"), ValueError, ["start_lr", "(0, inf)"]),
    (l.warmup, dict(schedule=l.constant(lr=0.0), steps=5, start_lr=0.1, shape="exp"), ValueError, ["schedule(0) > 0"]),
    (l.join, dict(schedules=[], boundaries=[]), ValueError, ["schedules", "at least one"]),
    (l.join, dict(schedules=[l.constant(lr=1)], boundaries=[3]), ValueError, ["boundaries", "len(schedules) - 1"]),
    (
        l.join,
        dict(schedules=[l.constant(lr=1)] * 3, boundaries=[5, 5]),
        ValueError,
        ["boundaries", "strictly increasing"],
    ),
    (l.join, dict(schedules=[l.constant(lr=1)] * 2, boundaries=[-1]), ValueError, ["boundaries", "[0, inf)"]),
    (l.join, dict(schedules=[l.constant(lr=1), 0.1], boundaries=[3]), TypeError, ["schedules[1]"]),
    (
        l.inverse_momentum,
        dict(schedule=l.constant(lr=1), base_momentum=0.95, max_momentum=0.85),
        ValueError,
        ["max_momentum", "[0.95, 1]", "0.85"],
    ),
    (l.inverse_momentum, dict(schedule=l.constant(lr=1), base_momentum=-0.1), ValueError, ["base_momentum", "[0, 1]"]),
]


@pytest.mark.parametrize(
    "factory, kwargs, error, words", CASES, ids=[f"{c[0].policy}-{i}" for i, c in enumerate(CASES)]
)
def test_bad_parameters_raise_naming_parameter_and_range(factory, kwargs, error, words):
    with pytest.raises(error) as caught:
        factory(**kwargs)
    for word in words:
        assert word in str(caught.value), (word, str(caught.value))


def test_every_policy_has_a_validation_case():
    # Hand-written cases for the policies of 0.1; every registered policy's declared ranges
    # are also checked from its declarations (test_shape_and_params), new policies by that alone.
    covered = {c[0].policy for c in CASES}
    assert covered <= set(l.Schedule._registry)
    assert {"range_sweep", "cyclic", "one_cycle", "cosine_restarts", "warmup", "join"} <= covered


def test_parameters_are_keyword_only():
    with pytest.raises(TypeError):
        l.one_cycle(1.0, 100)  # type: ignore[misc]


@pytest.mark.parametrize("step", [-1, -0.5, math.nan, math.inf, -math.inf])
def test_bad_scalar_steps_raise(step):
    s = l.one_cycle(max_lr=1.0, total_steps=100)
    with pytest.raises(ValueError, match="step must be"):
        s(step)


def test_bad_array_steps_raise():
    s = l.cyclic(base_lr=0.1, max_lr=1.0, step_size_up=5)
    with pytest.raises(ValueError, match="step must be"):
        s(np.array([0.0, 1.0, -2.0]))
    with pytest.raises(ValueError, match="step must be"):
        s(np.array([0.0, np.nan]))
    with pytest.raises(TypeError, match="step must be"):
        s("3")
    with pytest.raises(TypeError, match="step must be"):
        s(True)
    with pytest.raises(TypeError, match="dtype"):
        s(np.array([True, False]))


def test_a_wrong_keyword_lists_the_parameters_and_points_from_a_peers_name_to_ours():
    with pytest.raises(TypeError, match=r"'T_0' \(lrsched calls it first_cycle_steps\); its parameters are max_lr"):
        l.cosine_restarts(max_lr=1.0, T_0=10)
    with pytest.raises(TypeError, match="'lr2'; its parameters are lr$"):
        l.constant(lr=1.0, lr2=3)
    with pytest.raises(TypeError, match="keyword arguments only"):
        l.constant(1.0)
    # torch's StepLR names: gamma is step_decay's drop (exponential and multi_step say gamma).
    with pytest.raises(TypeError, match=r"'gamma' \(lrsched calls it drop\); its parameters are initial_lr, drop"):
        l.step_decay(initial_lr=0.1, gamma=0.5, step_size=10)
    with pytest.raises(TypeError, match=r"'step_size' \(lrsched calls it every\)"):
        l.step_decay(initial_lr=0.1, drop=0.5, step_size=10)
    with pytest.raises(TypeError, match=r"'drop'; its parameters are initial_lr, gamma"):
        l.exponential(initial_lr=0.1, drop=0.5)


def test_restarts_refuses_what_is_not_one_decay_an_unbounded_growth_and_a_partial_cycle_count():
    with pytest.raises(TypeError, match="decay must be one decay"):
        l.restarts(decay=l.exponential(initial_lr=1.0, gamma=0.9))
    with pytest.raises(TypeError, match="decay must be an lrsched schedule"):
        l.restarts(decay=0.1)
    with pytest.raises(TypeError, match="decay must be one decay"):  # its decay_steps is the cooldown's
        l.restarts(decay=l.warmup_stable_decay(peak_lr=1.0, warmup_steps=0, stable_steps=5, decay_steps=5))
    with pytest.raises(ValueError, match=r"peak_decay above 1 .* give cycles"):
        l.restarts(decay=l.cosine_decay(initial_lr=1.0, decay_steps=10), peak_decay=1.5)
    with pytest.raises(ValueError, match=r"cycles must be one of the whole numbers >= 1"):
        l.restarts(decay=l.cosine_decay(initial_lr=1.0, decay_steps=10), cycles=2.5)
    with pytest.raises(TypeError, match="cycles must be"):
        l.restarts(decay=l.cosine_decay(initial_lr=1.0, decay_steps=10), cycles=True)
    with pytest.raises(ValueError, match=r"decay.decay_steps is the first cycle's length: it must be >= 1e-06"):
        l.restarts(decay=l.cosine_decay(initial_lr=1.0, decay_steps=1e-9))


def test_a_policy_whose_post_init_forgot_super_still_checks_its_declared_parameters():
    # Its __post_init__ replaced the one that checks: lr=-1 was accepted silently.
    from typing import Annotated

    from lrsched.base import Schedule, frozen_value
    from lrsched.params import LR, Length

    @frozen_value
    class FlatThenZero(Schedule):
        lr: Annotated[float, LR]
        steps: Annotated[float, Length]

        def __post_init__(self) -> None:
            object.__setattr__(self, "_end", float(self.steps))  # derived, without super()

        def _value(self, t, xp):
            return xp.where(t < self._end, xp.full_like(t, self.lr), xp.full_like(t, 0.0))

    with pytest.raises(ValueError, match=r"lr must be in \(0, inf\); got -1.0"):
        FlatThenZero(lr=-1.0, steps=10)
    with pytest.raises(ValueError, match="steps must be"):
        FlatThenZero(lr=0.1, steps=math.nan)
    schedule = FlatThenZero(lr=0.1, steps=10)
    assert (schedule(3), schedule(10)) == (0.1, 0.0)


@pytest.mark.parametrize(
    ("build", "flag"),
    [
        (lambda d: l.cosine_decay(initial_lr=0.1, decay_steps=d, periodic=True), "periodic=True"),
        (lambda d: l.inverse_decay(initial_lr=0.1, decay_steps=d, staircase=True), "staircase=True"),
    ],
)
def test_a_length_that_repeats_is_a_length_as_every_other_period(build, flag):
    # decay_steps > 0 alone let 1e-300 through: its horizon and breakpoints asked for
    # 1e301 periods (MemoryError). Every other period (a cycle, a stair) is >= 1e-6.
    with pytest.raises(ValueError, match=rf"decay_steps must be in \[1e-06, inf\) with {re.escape(flag)}.*got 1e-300"):
        build(1e-300)
    schedule = build(1e-6)
    assert l.horizon(schedule) > 0 and schedule(3.0) >= 0.0
