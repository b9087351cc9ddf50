"""A policy is its shape and its declared parameters: what follows from them."""

import dataclasses
import math
import subprocess
import sys
from typing import Annotated

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import lrsched as l
import lrsched.testing as lt
from lrsched._namespace import MATH, NUMPY
from lrsched.params import Interval, declared

POLICIES = sorted(l.Schedule._registry.items())
OURS = [(name, cls) for name, cls in POLICIES if cls.__module__.startswith("lrsched.")]


@pytest.mark.parametrize("name, cls", OURS, ids=[n for n, _ in OURS])
def test_every_policy_declares_a_valid_example_of_itself(name, cls):
    # The gallery, the preview, the benchmarks and the per-policy families start from it.
    example = cls.example()
    assert type(example) is cls and example.policy == name
    assert l.from_config(example.to_config()) == example
    lt.check_schedule(example)


@pytest.mark.parametrize("name, cls", POLICIES, ids=[n for n, _ in POLICIES])
def test_strategy_for_draws_valid_schedules_of_every_policy(name, cls):
    @settings(max_examples=25, deadline=None)
    @given(lt.strategy_for(cls))
    def check(schedule):
        assert type(schedule) is cls
        lt.check_schedule(schedule, samples=65)

    check()


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Ramp(l.Shaped):
    """A newcomer's policy: levels and a shape, nothing else declared."""

    policy = "test_ramp"
    peak_lr: Annotated[float, Interval(low=0.0, low_open=True, scale="lr")]
    steps: Annotated[float, Interval(low=0.0, low_open=True, scale="steps")]

    @property
    def levels(self):
        return (0.0, self.peak_lr)

    def shape_at(self, t, xp):
        return xp.minimum(t, self.steps) / self.steps


def test_a_shape_alone_passes_check_schedule_and_gets_a_strategy():
    s = Ramp(peak_lr=0.5, steps=10)
    assert s(5) == 0.25 and s.bounds == (0.0, 0.5)
    assert s.max_slope == math.inf and [p.trend for p in s.pieces(20)] == [None]  # no claims made
    lt.check_schedule(s)
    m = l.inverse_momentum(schedule=s)
    assert m(0) == 0.95 and m(10) == 0.85
    with pytest.raises(ValueError, match=r"steps must be in \(0, inf\); got 0"):
        Ramp(peak_lr=0.5, steps=0)

    @settings(max_examples=30, deadline=None)
    @given(lt.strategy_for(Ramp))
    def check(schedule):
        lt.check_schedule(schedule, samples=65)

    check()


def test_test_only_policies_stay_out_of_the_registry_and_the_cli():
    assert "test_ramp" not in l.Schedule._registry
    assert not any(name.startswith("test_") for name in l.Schedule._registry)
    done = subprocess.run([sys.executable, "-m", "lrsched", "plot", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "test_" not in done.stdout
    with pytest.raises(ValueError, match="must be one of"):
        l.from_config(Ramp(peak_lr=0.5, steps=10).to_config())


def test_register_refuses_what_is_not_a_named_policy():
    with pytest.raises(TypeError, match="register takes"):
        l.register(int)

    class Nameless(l.Shaped):
        pass

    with pytest.raises(TypeError, match="register takes"):
        l.register(Nameless)


def test_every_parameter_of_every_policy_is_declared():
    for name, cls in POLICIES:
        for item in declared(cls):
            assert item.param is not None, f"{name}.{item.name}"


@settings(max_examples=200, deadline=None)
@given(lt.schedules(), st.floats(0, 1e5))
def test_value_and_shape_are_the_value_and_the_shape(schedule, t):
    for xp, step in ((MATH, t), (NUMPY, np.array([t, t / 3]))):
        value, shape = schedule.value_and_shape(step, xp)
        assert np.array_equal(value, schedule._value(step, xp))
        assert np.array_equal(shape, schedule.shape_at(step, xp))
        assert np.all((np.asarray(shape) >= 0.0) & (np.asarray(shape) <= 1.0))


@settings(max_examples=200, deadline=None)
@given(lt.schedules(), lt.step_counts(0, 5000, huge=False))
def test_lr_and_momentum_from_one_shape_equal_the_two_calls(schedule, t):
    momentum = l.inverse_momentum(schedule=schedule, base_momentum=0.8, max_momentum=0.97)
    assert l.lr_and_momentum(schedule, momentum, t) == (schedule(t), momentum(t))
    steps = np.arange(0, 50.0)
    lr, mom = l.lr_and_momentum(schedule, momentum, steps)
    assert np.array_equal(lr, schedule(steps)) and np.array_equal(mom, momentum(steps))
    assert l.lr_and_momentum(schedule, None, t) == (schedule(t), None)


@pytest.mark.parametrize("name, cls", OURS, ids=[n for n, _ in OURS])
def test_every_declared_range_is_enforced_naming_the_parameter(name, cls):
    # Derived from the declarations, so a new policy is covered with no hand-written case.
    from lrsched.params import Interval as Range

    example = cls.example()  # the example the policy declares
    config = {item.name: getattr(example, item.name) for item in declared(cls)}
    checked = 0
    for item in declared(cls):
        if not isinstance(item.param, Range):
            continue
        low, high = item.param.limits(config)
        bad = []
        if low is not None:
            bad.append(low if item.param.low_open else low - max(1.0, abs(low)))
        if high is not None:
            bad.append(high if item.param.high_open else high + max(1.0, abs(high)))
        bad += [math.nan, math.inf]
        for value in bad:
            with pytest.raises(ValueError, match=rf"^{item.name} must be"):
                cls(**{**config, item.name: value})
            checked += 1
        with pytest.raises(TypeError, match=rf"^{item.name} must be a real number"):
            cls(**{**config, item.name: "0.1"})
    assert checked or not any(isinstance(item.param, Range) for item in declared(cls))
