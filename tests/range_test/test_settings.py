"""The range test's settings object, the record it leaves and the analysis that reads it:
one set of defaults and one set of checks for every runner."""

import dataclasses
import importlib
import inspect

import numpy as np
import pytest

import lrsched as l
from lrsched.rangetest import (
    DEFAULT_SETTINGS,
    SETTING_NAMES,
    CurveTracker,
    RangeTestRecord,
    RangeTestResult,
    RangeTestSettings,
    check_sweep_settings,
    run_sweep,
)

# Each setting out of range, and the message that names it, the value and the range.
REFUSED = [
    ({"num_steps": 1}, "num_steps must be a whole number >= 2; got 1"),
    ({"num_steps": 2.5}, "num_steps must be a whole number >= 2; got 2.5"),
    ({"num_steps": True}, "num_steps must be a whole number >= 2; got True"),
    ({"start_lr": 0.0}, r"start_lr must be in \(0, inf\); got 0.0"),
    ({"end_lr": 1e-9}, r"end_lr must be in \(1e-07, inf\); got 1e-09"),
    ({"mode": "log"}, "mode must be one of 'exp', 'linear'; got 'log'"),
    ({"smoothing": 1.0}, r"smoothing must be in \[0, 1\); got 1.0"),
    ({"smoothing": -0.1}, r"smoothing must be in \[0, 1\); got -0.1"),
    ({"diverge": 1.0}, r"diverge must be a finite number in \(1, inf\); got 1.0"),
    ({"diverge": float("inf")}, r"diverge must be a finite number in \(1, inf\); got inf"),
]


@pytest.mark.parametrize(
    "settings, message", REFUSED, ids=[next(iter(s)) + f"={v}" for s, _ in REFUSED for v in s.values()]
)
def test_a_setting_out_of_range_is_refused_when_the_settings_are_built(settings, message):
    with pytest.raises(ValueError, match=f"^{message}$"):
        RangeTestSettings(**settings)
    with pytest.raises(ValueError, match=f"^{message}$"):  # the old check delegates to the same rules
        check_sweep_settings(**settings)


def test_the_settings_are_a_frozen_value_holding_the_sweep_they_describe():
    settings = RangeTestSettings(start_lr=1e-4, end_lr=1.0, num_steps=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.num_steps = 6
    # 5 steps from 1e-4 to 1 on a log axis: a factor of 10 a step.
    assert [settings.schedule(i) for i in range(5)] == pytest.approx([1e-4, 1e-3, 1e-2, 1e-1, 1.0], rel=1e-12)
    assert settings.sweep == (1e-4, 1.0, 5) and settings.log_lr
    assert not RangeTestSettings(mode="linear").log_lr
    assert RangeTestSettings.of(settings, num_steps=9) == RangeTestSettings(start_lr=1e-4, end_lr=1.0, num_steps=9)
    assert RangeTestSettings.of(settings) is settings
    with pytest.raises(ValueError, match="num_steps"):  # a change is checked like a new value
        RangeTestSettings.of(settings, num_steps=1)
    schedule, recorded = check_sweep_settings(start_lr=1e-4, end_lr=1.0, num_steps=5)
    assert schedule == settings.schedule and recorded == settings.recorded()


@pytest.mark.parametrize("framework", ["torch", "optax", "keras"])
def test_every_runner_takes_the_settings_with_their_own_defaults(framework):
    pytest.importorskip(framework, reason=f"{framework} is not installed; CI installs it")
    parameters = inspect.signature(importlib.import_module(f"lrsched.adapters.{framework}").range_test).parameters
    for name in SETTING_NAMES:
        assert parameters[name].kind is inspect.Parameter.KEYWORD_ONLY, name
        assert parameters[name].default == getattr(DEFAULT_SETTINGS, name), name


def test_run_sweep_takes_the_settings_or_their_fields():
    settings = RangeTestSettings(start_lr=1e-3, end_lr=1.0, num_steps=20, smoothing=0.9, progress=False)

    def train_step(lr, batches):
        return lr, 10.0 - np.log10(lr) + next(batches)

    data = [0.0, 0.01]
    given = run_sweep(train_step, data, settings, optimizer="adaptive")
    spelt = run_sweep(
        train_step, data, start_lr=1e-3, end_lr=1.0, num_steps=20, smoothing=0.9, progress=False, optimizer="adaptive"
    )
    assert given == spelt
    lrs = [settings.schedule(i) for i in range(20)]
    assert given.record == RangeTestRecord(
        lrs=lrs,
        losses=[10.0 - np.log10(lr) + data[i % 2] for i, lr in enumerate(lrs)],
        optimizer="adaptive",
        **settings.recorded(),
    )
    with pytest.raises(ValueError, match="num_steps must be a whole number >= 2; got 1"):
        run_sweep(train_step, data, settings, num_steps=1)


def test_a_result_is_its_record_read_by_the_analysis():
    lrs = np.geomspace(1e-5, 1.0, 60)
    losses = (np.log10(lrs) + 2.5) ** 2
    result = RangeTestResult(lrs=lrs, losses=losses, smoother="ema", trim=0.2, optimizer="sgd", sweep=(1e-5, 1.0, 60))
    assert result == RangeTestResult.of(result.record, smoother="ema", trim=0.2)
    assert result != RangeTestResult.of(result.record, trim=0.2)  # read on another curve
    assert np.array_equal(result.lrs, lrs) and result.record.lrs is result.lrs
    assert (result.optimizer, result.sweep, result.stopped) == ("sgd", (1e-5, 1.0, 60), "completed")
    fit = result.reading().fit
    assert fit.end == 60 and np.allclose(result.curve, fit.curve * fit.scale)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.smoother = "local"
    with pytest.raises(AttributeError):
        result.lrs = lrs


def test_reading_the_other_smoother_smooths_the_losses_no_second_time(monkeypatch):
    # The EMA of the losses is computed once per result and shared by both smoothers'
    # curves (recommend() reads the EMA's, suggestions() the zero-phase one's).
    calls = []
    add = CurveTracker.add
    monkeypatch.setattr(CurveTracker, "add", lambda self, loss: calls.append(1) or add(self, loss))
    lrs = np.geomspace(1e-6, 1.0, 80)
    result = RangeTestResult(lrs=lrs, losses=1.0 + (np.log10(lrs) + 3.0) ** 2)
    result.suggestions()
    for use in ("constant", "one_cycle", "cyclic"):
        result.recommend(use)
    assert len(calls) == 80
    assert result.reading("ema").record is result.record is result.reading("local").record


def test_the_schedules_from_a_result_are_the_core_policies_at_its_lr():
    lrs = np.geomspace(1e-5, 1.0, 60)
    result = RangeTestResult(lrs=lrs, losses=(np.log10(lrs) + 2.5) ** 2)
    peak = result.recommend("one_cycle").lr
    assert result.one_cycle(total_steps=100) == l.one_cycle(max_lr=peak, total_steps=100)


def test_the_runners_settings_reach_the_record_each_in_its_place():
    # The runners pass their keyword arguments to RangeTestSettings in its field order.
    assert SETTING_NAMES == ("start_lr", "end_lr", "num_steps", "mode", "smoothing", "diverge", "progress")
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    from lrsched.adapters.torch import range_test

    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    x = torch.randn(16, 3)
    result = range_test(
        model,
        torch.optim.SGD(model.parameters(), lr=0.1),
        lambda m, b: torch.nn.functional.mse_loss(m(b[0]), b[1]),
        [(x, x.sum(1, keepdim=True))],
        start_lr=1e-5,
        end_lr=1e-2,
        num_steps=7,
        mode="linear",
        smoothing=0.5,
        diverge=1e6,
        progress=False,
    )
    assert (result.sweep, result.log_lr, result.smoothing, result.diverge) == ((1e-5, 1e-2, 7), False, 0.5, 1e6)
    # A linear sweep from 1e-5 to 1e-2 in 7 steps: a step of (1e-2 - 1e-5) / 6.
    assert result.lrs == pytest.approx([1e-5 + i * (1e-2 - 1e-5) / 6 for i in range(7)], rel=1e-12)
