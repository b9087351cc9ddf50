"""The torch state a range test and a scheduler touch: restore of everything, frozen groups, checkpoint
validation, Adam's beta1, single-pass data, snapshots. The setups come from a
Hypothesis strategy that draws the classes of input that broke these."""

import numpy as np
import pytest
from hypothesis import given, settings

import lrsched as l
import lrsched.rangetest as rt

torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
from lrsched.adapters.torch import Snapshots, ensemble_predict, lambda_lr, range_test  # noqa: E402
from tests.adapters.torch_setups import assert_same, everything, loss_fn_for, training_setups  # noqa: E402


@settings(max_examples=60)
@given(training_setups())
def test_range_test_restores_everything_and_keeps_frozen_groups_frozen(setup):
    before = everything(setup)
    frozen = [p.detach().clone() for part in setup["frozen"] for p in part.parameters()]
    seen_frozen = []

    def loss(model, batch):
        seen_frozen.append([p.detach().clone() for part in setup["frozen"] for p in part.parameters()])
        return loss_fn_for(setup)(model, batch)

    data = iter(setup["batches"]) if setup["single_pass"] else setup["batches"]
    result = range_test(
        setup["model"], setup["optimizer"], loss, data, start_lr=1e-4, end_lr=1e-1, num_steps=20, progress=False
    )
    assert_same(before, everything(setup))
    for values in seen_frozen:  # a group at lr 0 never moved during the sweep
        for a, b in zip(frozen, values, strict=True):
            assert torch.equal(a, b)
    if setup["single_pass"] and len(setup["batches"]) < 20 and result.stopped.startswith("data ran out"):
        assert result.lrs.size == len(setup["batches"])
    elif setup["single_pass"] and len(setup["batches"]) < 20:
        assert "diverged" in result.stopped or "non-finite" in result.stopped


def test_the_lr_recorded_is_the_reference_groups_and_frozen_groups_stay_at_zero():
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.Linear(3, 1))
    optimizer = torch.optim.SGD(
        [{"params": model[0].parameters(), "lr": 0.0}, {"params": model[1].parameters(), "lr": 0.01}]
    )
    frozen = [p.detach().clone() for p in model[0].parameters()]
    applied = []

    def loss(m, batch):
        applied.append([g["lr"] for g in optimizer.param_groups])
        assert all(torch.equal(a, b) for a, b in zip(frozen, m[0].parameters(), strict=True))
        return torch.mean(m(batch) ** 2)

    result = range_test(
        model, optimizer, loss, [torch.randn(4, 3)], start_lr=1e-5, end_lr=1e-2, num_steps=5, progress=False
    )
    assert all(lrs[0] == 0.0 for lrs in applied)
    np.testing.assert_allclose(result.lrs, [lrs[1] for lrs in applied])
    assert optimizer.param_groups[0]["lr"] == 0.0 and optimizer.param_groups[1]["lr"] == 0.01
    with pytest.raises(ValueError, match="every param group has lr=0"):
        range_test(model, torch.optim.SGD(model.parameters(), lr=0.0), loss, [torch.randn(4, 3)], progress=False)


def test_single_pass_data_keeps_the_partial_curve():
    # One batch seen seven times: fresh random batches can quadruple the loss by chance,
    # which the divergence rule rightly stops at before the data runs out.
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    batch = torch.randn(4, 3)
    batches = (batch for _ in range(7))
    result = range_test(
        model,
        optimizer,
        lambda m, b: torch.mean(m(b) ** 2),
        batches,
        num_steps=50,
        start_lr=1e-6,
        end_lr=1e-5,
        progress=False,
    )
    assert result.lrs.size == 7 and result.stopped.startswith("data ran out after 7 steps")
    with pytest.raises(ValueError, match="data is empty"):
        range_test(model, optimizer, lambda m, b: torch.mean(m(b) ** 2), iter([]), progress=False)


def test_ensemble_predict_restores_each_submodules_mode():
    model = torch.nn.Sequential(torch.nn.Linear(3, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 2))
    model.train()
    model[1].eval()
    ensemble_predict(model, [model.state_dict()], torch.randn(4, 3))
    assert [m.training for m in model.modules()] == [True, True, False, True]


# -- ScheduleLR: checkpoints and Adam's beta1 -----------------------------------------------
def _scheduler(**kwargs):
    model = torch.nn.Linear(2, 1)
    return lambda_lr(
        torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), l.one_cycle(max_lr=0.1, total_steps=100), **kwargs
    )


@pytest.mark.parametrize(
    "key, value",
    [
        ("group_factors", [-2.0]),
        ("group_factors", [float("nan")]),
        ("group_factors", ["3"]),
        ("group_factors", [1.0, 1.0]),
        ("group_factors", "1"),
        ("last_epoch", -5),
        ("last_epoch", 2.5),
        ("last_epoch", True),
        ("_step_count", -1),
        ("base_lrs", [float("inf")]),
        ("_last_lr", [-0.1]),
        ("_last_lr", ["x"]),
        ("schedule", {"policy": "constant", "lr": -1.0}),
        ("schedule", {"policy": "nope"}),
    ],
)
def test_loaded_state_is_checked_like_the_constructor(key, value):
    scheduler = _scheduler()
    for _ in range(3):
        scheduler.step()
    good = scheduler.state_dict()
    fresh = _scheduler()
    before = fresh.state_dict()
    with pytest.raises((ValueError, TypeError)):
        fresh.load_state_dict({**good, key: value})
    assert fresh.state_dict() == before  # nothing half-loaded
    fresh.load_state_dict(good)
    assert fresh.state_dict() == good


def test_a_checkpoint_without_a_key_is_refused():
    state = _scheduler().state_dict()
    del state["base_lrs"]
    with pytest.raises(ValueError, match="lacks"):
        _scheduler().load_state_dict(state)


def test_adam_beta1_is_never_driven_to_one():
    model = torch.nn.Linear(2, 1)
    lr = l.one_cycle(max_lr=0.1, total_steps=100)
    to_one = l.inverse_momentum(schedule=lr, base_momentum=0.85, max_momentum=1.0)
    with pytest.raises(ValueError, match="max_momentum"):
        lambda_lr(torch.optim.Adam(model.parameters()), lr, momentum=to_one)
    lambda_lr(torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9), lr, momentum=to_one)  # SGD may reach 1
    adam = lambda_lr(torch.optim.Adam(model.parameters()), lr, momentum=l.inverse_momentum(schedule=lr))
    state = adam.state_dict()
    state["momentum"] = to_one.to_config()
    with pytest.raises(ValueError, match="max_momentum"):
        adam.load_state_dict(state)


# -- snapshots ----------------------------------------------------------------------------------
def test_snapshots_refuse_an_occupied_directory_and_survive_a_deleted_file(tmp_path):
    schedule = l.cosine_restarts(max_lr=0.1, first_cycle_steps=2)
    model = torch.nn.Linear(2, 1)
    snaps = Snapshots(model, schedule, keep=2, directory=tmp_path)
    for _ in range(4):
        snaps.step()
    with pytest.raises(ValueError, match="already holds snapshots"):
        Snapshots(model, schedule, directory=tmp_path)
    Snapshots(model, schedule, directory=tmp_path, prefix="other")  # another prefix is free
    snaps.kept[0][1].unlink()  # the user deletes a kept file
    for _ in range(4):
        snaps.step()  # rotation goes on
    assert len(snaps.state_dicts) == 2


# -- run_sweep is O(N) ----------------------------------------------------------------------------
def test_sweep_bookkeeping_smooths_each_loss_once(monkeypatch):
    # The old bookkeeping re-smoothed the whole curve after every step: n*(n+1)/2 losses
    # for n steps (8,000 steps cost ~18 s before any training). Counted, not timed.
    calls = []
    add = rt.CurveTracker.add
    monkeypatch.setattr(rt.CurveTracker, "add", lambda self, loss: calls.append(1) or add(self, loss))
    result = rt.run_sweep(
        lambda lr, batches: (lr, 1.0 + next(batches)), [0.0], num_steps=8000, end_lr=1e-6, progress=False
    )
    assert result.lrs.size == 8000 and len(calls) == 8000
    result.suggestions()
    assert len(calls) == 16000  # the analysis smooths the finished curve once more, once
