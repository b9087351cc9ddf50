"""The torch range-test runner: records the applied LRs, stops, and restores everything."""

import numpy as np
import pytest

import lrsched as l

torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
from lrsched.adapters.torch import range_test  # noqa: E402


def _setup(optimizer="adam", groups=False):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 1))
    params = (
        [{"params": model[0].parameters()}, {"params": model[3].parameters(), "lr": 0.005}]
        if groups
        else model.parameters()
    )
    opt = torch.optim.Adam(params, lr=0.01) if optimizer == "adam" else torch.optim.SGD(params, lr=0.01, momentum=0.9)
    # Existing optimizer state and gradients, as in the middle of training.
    x = torch.randn(16, 4)
    model(x).pow(2).mean().backward()
    opt.step()
    model(x).pow(2).mean().backward()
    gen = torch.Generator().manual_seed(1)
    xs = torch.randn(64, 4, generator=gen)
    data = [(xs[i : i + 16], xs[i : i + 16].sum(1, keepdim=True)) for i in range(0, 64, 16)]
    return model, opt, data


def _snapshot(model, opt):
    state = {k: v.clone() for k, v in model.state_dict().items()}
    grads = [p.grad.clone() for p in model.parameters()]
    opt_state = {
        id_: {k: (v.clone() if torch.is_tensor(v) else v) for k, v in s.items()}
        for id_, s in opt.state_dict()["state"].items()
    }
    groups = [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]
    return state, grads, opt_state, groups, torch.get_rng_state(), model.training


def _assert_restored(before, model, opt):
    state, grads, opt_state, groups, rng, training = before
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k]), k
    for p, g in zip(model.parameters(), grads, strict=True):
        assert torch.equal(p.grad, g)
    after = opt.state_dict()["state"]
    assert after.keys() == opt_state.keys()
    for id_, s in opt_state.items():
        for k, v in s.items():
            if torch.is_tensor(v):
                assert after[id_][k].dtype == v.dtype and torch.equal(after[id_][k], v), (id_, k)
            else:
                assert after[id_][k] == v
    assert [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups] == groups
    assert torch.equal(torch.get_rng_state(), rng) and model.training == training


def mse(model, batch):
    x, y = batch
    return torch.nn.functional.mse_loss(model(x), y)


def test_normal_run_records_the_sweep_and_restores():
    model, opt, data = _setup()
    before = _snapshot(model, opt)
    r = range_test(model, opt, mse, data, start_lr=1e-5, end_lr=1e-2, num_steps=20, progress=False)
    assert r.stopped == "completed" and len(r.lrs) == 20  # data cycled: 4 batches, 20 steps
    np.testing.assert_allclose(r.lrs, l.range_sweep(start_lr=1e-5, end_lr=1e-2, num_steps=19)(np.arange(20)))
    _assert_restored(before, model, opt)


def test_divergence_stops_early_and_restores():
    model, opt, data = _setup("sgd")
    before = _snapshot(model, opt)
    r = range_test(model, opt, mse, data, start_lr=1e-4, end_lr=1e4, num_steps=200, progress=False)
    assert r.stopped.startswith(("diverged", "non-finite")) and len(r.lrs) < 200
    _assert_restored(before, model, opt)


def test_nan_loss_from_the_first_batch_stops_with_no_suggestion():
    model, opt, data = _setup()
    before = _snapshot(model, opt)
    r = range_test(model, opt, lambda m, b: mse(m, b) * float("nan"), data, num_steps=10, progress=False)
    assert r.stopped == "non-finite loss at step 0" and r.suggest("min").lr is None
    _assert_restored(before, model, opt)


@pytest.mark.parametrize("error", [RuntimeError("loss failed"), KeyboardInterrupt()])
def test_exception_or_interrupt_in_the_loss_restores(error):
    model, opt, data = _setup()
    before = _snapshot(model, opt)
    calls = []

    def failing(model, batch):
        calls.append(1)
        if len(calls) == 5:
            raise error
        return mse(model, batch)

    with pytest.raises(type(error)):
        range_test(model, opt, failing, data, num_steps=10, progress=False)
    _assert_restored(before, model, opt)


def test_dict_batches_accumulation_groups_and_validation_loss():
    model, opt, data = _setup("sgd", groups=True)
    before = _snapshot(model, opt)
    dict_data = [{"inputs": x, "targets": y} for x, y in data]

    def loss(model, batch):
        return torch.nn.functional.mse_loss(model(batch["inputs"]), batch["targets"])

    r = range_test(
        model,
        opt,
        loss,
        dict_data,
        start_lr=1e-4,
        end_lr=1e-2,
        num_steps=6,
        accumulation_steps=2,
        val_data=dict_data[:2],
        progress=False,
    )
    np.testing.assert_allclose(r.lrs, l.range_sweep(start_lr=1e-4, end_lr=1e-2, num_steps=5)(np.arange(6)))
    assert len(r.losses) == 6 and np.all(np.isfinite(r.losses))
    _assert_restored(before, model, opt)


def test_bad_input_leaves_model_and_optimizer_alone():
    model, opt, data = _setup()
    before = _snapshot(model, opt)
    with pytest.raises(ValueError, match="data is empty"):
        range_test(model, opt, mse, [], num_steps=5, progress=False)
    with pytest.raises(ValueError, match="num_steps"):
        range_test(model, opt, mse, data, num_steps=1, progress=False)
    with pytest.raises(ValueError, match="end_lr"):
        range_test(model, opt, mse, data, start_lr=1.0, end_lr=0.1, progress=False)
    with pytest.raises(ValueError, match="no parameters"):
        range_test(torch.nn.ReLU(), opt, mse, data, progress=False)
    # An optimizer of another model: the sweep ran to its end on a flat, meaningless curve.
    other = torch.optim.SGD([torch.nn.Parameter(torch.zeros(4, 1))], lr=0.1)
    with pytest.raises(ValueError, match="none of the optimizer's parameters is a parameter of model"):
        range_test(model, other, mse, data, num_steps=5, progress=False)
    _assert_restored(before, model, opt)


# -- training loops as practitioners write them ---------------------------------------
def test_bf16_autocast_runs_the_loss_in_bf16_and_restores():
    model, opt, data = _setup(optimizer="sgd")
    before = _snapshot(model, opt)
    dtypes = []

    def loss_fn(model, batch):
        out = model[0](batch[0])  # a Linear under autocast computes in bfloat16
        dtypes.append(out.dtype)
        return torch.nn.functional.mse_loss(model[3](model[2](model[1](out.float()))), batch[1])

    r = range_test(model, opt, loss_fn, data, start_lr=1e-5, end_lr=1e-2, num_steps=12, autocast=torch.bfloat16)
    assert len(r.losses) == 12 and np.all(np.isfinite(r.losses))
    assert set(dtypes) == {torch.bfloat16}
    _assert_restored(before, model, opt)


def test_a_grad_scaler_steps_through_the_scaler_and_its_state_is_restored():
    model, opt, data = _setup(optimizer="sgd")
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**10)
    scaler_before = scaler.state_dict()
    before = _snapshot(model, opt)
    r = range_test(model, opt, mse, data, start_lr=1e-5, end_lr=1e-2, num_steps=12, grad_scaler=scaler)
    assert len(r.losses) == 12
    assert scaler.state_dict() == scaler_before
    _assert_restored(before, model, opt)


def test_gradient_clipping_bounds_every_update():
    # Plain SGD: each update is lr * the clipped gradient, so its norm is <= lr * max_grad_norm.
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    xs = 100.0 * torch.randn(64, 4)  # large gradients: clipping is active
    data = [(xs[i : i + 16], xs[i : i + 16].sum(1, keepdim=True)) for i in range(0, 64, 16)]
    seen = []

    def loss_fn(model, batch):
        seen.append(torch.cat([p.detach().flatten().clone() for p in model.parameters()]))
        return mse(model, batch)

    r = range_test(model, opt, loss_fn, data, start_lr=1e-3, end_lr=1e-1, num_steps=10, max_grad_norm=0.5)
    steps = [float((b - a).norm()) for a, b in zip(seen, seen[1:], strict=False)]
    assert len(steps) == len(r.lrs) - 1
    for norm, lr in zip(steps, r.lrs, strict=False):
        assert norm <= lr * 0.5 * (1 + 1e-4)  # float32 parameters
    assert max(n / lr for n, lr in zip(steps, r.lrs, strict=False)) > 0.49  # clipping at 0.5, not below


def test_lbfgs_steps_with_a_closure_and_restores():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    opt = torch.optim.LBFGS(model.parameters(), lr=1.0, max_iter=3)
    gen = torch.Generator().manual_seed(1)
    xs = torch.randn(64, 4, generator=gen)
    data = [(xs[i : i + 16], xs[i : i + 16].sum(1, keepdim=True)) for i in range(0, 64, 16)]
    weights = [p.detach().clone() for p in model.parameters()]
    state = opt.state_dict()
    r = range_test(model, opt, mse, data, start_lr=1e-4, end_lr=0.05, num_steps=15)
    # LBFGS on changing minibatches diverges early; the sweep records up to there.
    assert len(r.losses) >= 5 and min(r.losses) < r.losses[0]
    for p, w in zip(model.parameters(), weights, strict=True):
        assert torch.equal(p.detach(), w)
    assert opt.state_dict()["state"] == state["state"]
    with pytest.raises(ValueError, match="closure"):
        range_test(model, opt, mse, data, num_steps=5, accumulation_steps=2)


def test_bad_loop_options_are_named():
    model, opt, data = _setup(optimizer="sgd")
    with pytest.raises(ValueError, match="max_grad_norm"):
        range_test(model, opt, mse, data, max_grad_norm=0.0)
    with pytest.raises(TypeError, match="autocast"):
        range_test(model, opt, mse, data, autocast="bf16")


@pytest.mark.parametrize("cache", ["cpu", "disk"])
def test_each_cache_restores_exactly_and_disk_leaves_no_file(cache, tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))

    def copies():
        return [p for p in tmp_path.iterdir() if p.name.startswith("lrsched-range-test-")]

    model, opt, data = _setup()
    before = _snapshot(model, opt)
    r = range_test(model, opt, mse, data, start_lr=1e-5, end_lr=1e-2, num_steps=12, cache=cache)
    assert len(r.losses) == 12
    _assert_restored(before, model, opt)
    assert copies() == []

    calls = []

    def failing(model, batch):
        calls.append(1)
        if len(calls) == 4:
            assert len(copies()) == (1 if cache == "disk" else 0)  # the copy, mid-run
            raise RuntimeError("out of memory")
        return mse(model, batch)

    with pytest.raises(RuntimeError, match="out of memory"):
        range_test(model, opt, failing, data, num_steps=12, cache=cache)
    _assert_restored(before, model, opt)
    assert copies() == []  # the file is gone after the exception too
    with pytest.raises(ValueError, match="cache must be one of"):
        range_test(model, opt, mse, data, cache="gpu")


class _MasterWeightsSGD(torch.optim.Optimizer):
    """SGD with momentum that keeps a float32 copy of each (bfloat16) parameter and its
    momentum in float32: the state of a mixed-precision optimizer."""

    def __init__(self, params, lr=0.01, momentum=0.9):
        super().__init__(params, {"lr": lr, "momentum": momentum})

    @torch.no_grad()
    def step(self, closure=None):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["master"] = p.detach().float().clone()
                    state["momentum_buffer"] = torch.zeros_like(state["master"])
                state["momentum_buffer"].mul_(group["momentum"]).add_(p.grad.float())
                state["master"].add_(state["momentum_buffer"], alpha=-group["lr"])
                p.copy_(state["master"])


@pytest.mark.parametrize("cache", ["device", "cpu", "disk"])
def test_float32_state_of_bfloat16_parameters_is_restored_in_float32(cache):
    # The restore went through optimizer.load_state_dict, which casts floating state to
    # its parameter's dtype: the float32 master weights and momentum came back as
    # bfloat16, rounded, with no word.
    torch.manual_seed(0)
    model = torch.nn.Linear(8, 1).to(torch.bfloat16)
    opt = _MasterWeightsSGD(model.parameters())
    x = torch.randn(64, 8, dtype=torch.bfloat16)
    data = [(x[i : i + 16], x[i : i + 16].sum(1, keepdim=True)) for i in range(0, 64, 16)]

    def loss_fn(model, batch):
        return torch.nn.functional.mse_loss(model(batch[0]).float(), batch[1].float())

    for batch in data[:3]:
        opt.zero_grad()
        loss_fn(model, batch).backward()
        opt.step()
    before = _snapshot(model, opt)
    range_test(model, opt, loss_fn, data, num_steps=10, progress=False, cache=cache)
    _assert_restored(before, model, opt)
    assert all(s["master"].dtype == torch.float32 for s in opt.state.values())


def test_the_optimizer_keeps_its_own_groups_state_and_tensors():
    # The restore replaced them (load_state_dict builds new ones): a group kept from
    # before the test no longer set the optimizer's LR, and a tensor LR or a state
    # tensor held elsewhere (a capturable optimizer's graph) was no longer the one used.
    model, opt, data = _setup()
    opt = torch.optim.Adam(
        [{"params": model[0].parameters()}, {"params": model[3].parameters(), "lr": torch.tensor(0.005)}], lr=0.01
    )
    model(data[0][0]).pow(2).mean().backward()
    opt.step()
    groups, head, lr_tensor, table = opt.param_groups, opt.param_groups[1], opt.param_groups[1]["lr"], opt.state
    held = {id(t) for s in opt.state.values() for t in s.values() if torch.is_tensor(t)}
    before = _snapshot(model, opt)
    range_test(model, opt, mse, data, num_steps=10, progress=False)
    _assert_restored(before, model, opt)
    assert opt.param_groups is groups and opt.param_groups[1] is head and head["lr"] is lr_tensor
    assert opt.state is table
    assert {id(t) for s in opt.state.values() for t in s.values() if torch.is_tensor(t)} == held
    head["lr"] = 0.5  # set through the kept group: the optimizer's
    assert opt.param_groups[1]["lr"] == 0.5


FACTORY = """
import torch

def make():
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(512, 4)
    data = [(x[i:i + 32], x[i:i + 32].sum(1, keepdim=True)) for i in range(0, 512, 32)]
    loss_fn = lambda model, batch: torch.nn.functional.mse_loss(model(batch[0]), batch[1])
    return model, optimizer, loss_fn, data
"""


@pytest.mark.slow
def test_the_find_command_runs_a_factory_prints_the_suggestions_and_plots(tmp_path):
    import os
    import subprocess
    import sys

    from lrsched.rangetest import RangeTestResult

    (tmp_path / "my_task.py").write_text(FACTORY)
    env = dict(os.environ, PYTHONPATH=str(tmp_path), MPLBACKEND="Agg")
    done = subprocess.run(
        [sys.executable, "-m", "lrsched", "find", "my_task:make", "--start-lr", "1e-6", "-o", "curve.png",
         "--json", "curve.json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "recommended for constant:" in done.stdout and "steepest" in done.stdout
    assert (tmp_path / "curve.png").stat().st_size > 10_000
    result = RangeTestResult.from_json((tmp_path / "curve.json").read_text())
    assert f"{result.recommend('constant').lr:.4g}" in done.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "lrsched", "find", "my_task"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert bad.returncode == 2 and "module:function" in bad.stderr


def test_a_disk_cache_that_cannot_be_written_leaves_no_files(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    model, opt, data = _setup()
    before = _snapshot(model, opt)
    real_save, calls = torch.save, []

    def full_disk(obj, path, *args, **kwargs):
        calls.append(path)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real_save(obj, path, *args, **kwargs)

    monkeypatch.setattr(torch, "save", full_disk)
    with pytest.raises(OSError, match="No space left"):
        range_test(model, opt, mse, data, num_steps=5, cache="disk")
    assert [p for p in tmp_path.iterdir() if p.name.startswith("lrsched-range-test-")] == []
    _assert_restored(before, model, opt)  # nothing was trained


def test_one_shot_val_data_is_refused_before_any_training():
    model, opt, data = _setup()
    before = _snapshot(model, opt)
    calls = []

    def counted(model, batch):
        calls.append(1)
        return mse(model, batch)

    for one_shot in ((b for b in data[:1]), iter(data[:1])):
        with pytest.raises(TypeError, match="val_data must be re-iterable"):
            range_test(model, opt, counted, data, num_steps=10, val_data=one_shot, progress=False)
    assert calls == []
    _assert_restored(before, model, opt)

    class Batches:  # any re-iterable is read after every step
        def __iter__(self):
            return iter(data[:2])

    r = range_test(model, opt, mse, data, start_lr=1e-5, end_lr=1e-3, num_steps=6, val_data=Batches(), progress=False)
    assert r.stopped == "completed" and len(r.losses) == 6


class _FakeDeviceGenerator:
    """A device generator's state as the range test reads and writes it through torch's
    own functions (`torch.cuda.get_rng_state_all`, `torch.mps.get_rng_state`): a loss
    that draws on the device advances it."""

    def __init__(self):
        self.state = torch.tensor([7], dtype=torch.uint8)

    def advance(self):
        self.state = self.state + 1

    def get(self):
        return self.state.clone()

    def set(self, state):
        self.state = state.clone()


@pytest.mark.parametrize("device", ["cuda", "mps"])
def test_every_device_generator_the_sweep_advanced_is_restored(device, monkeypatch):
    generator = _FakeDeviceGenerator()
    if device == "cuda":
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "is_initialized", lambda: True)
        monkeypatch.setattr(torch.cuda, "get_rng_state_all", lambda: [generator.get()])
        monkeypatch.setattr(torch.cuda, "set_rng_state_all", lambda states: generator.set(states[0]))
    else:
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
        monkeypatch.setattr(torch.mps, "get_rng_state", generator.get)
        monkeypatch.setattr(torch.mps, "set_rng_state", generator.set)
    model, opt, data = _setup()
    before = _snapshot(model, opt)

    def drawing(model, batch):
        generator.advance()  # dropout on the device
        return mse(model, batch)

    r = range_test(model, opt, drawing, data, start_lr=1e-5, end_lr=1e-3, num_steps=8, progress=False)
    assert len(r.lrs) == 8
    assert torch.equal(generator.state, torch.tensor([7], dtype=torch.uint8))
    _assert_restored(before, model, opt)


def test_a_cuda_backend_not_started_is_not_started_by_the_restore(monkeypatch):
    # Reading CUDA's generators would initialise CUDA (memory on every GPU, no fork after it).
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_initialized", lambda: False)

    def started():
        raise AssertionError("the range test started CUDA")

    monkeypatch.setattr(torch.cuda, "get_rng_state_all", started)
    monkeypatch.setattr(torch.cuda, "set_rng_state_all", lambda states: started())
    model, opt, data = _setup()
    range_test(model, opt, mse, data, start_lr=1e-5, end_lr=1e-3, num_steps=4, progress=False)


def test_the_distributed_option_is_checked_before_any_training():
    model, opt, data = _setup(optimizer="sgd")
    before = _snapshot(model, opt)
    with pytest.raises(TypeError, match="distributed must be True, False or None; got 'yes'"):
        range_test(model, opt, mse, data, distributed="yes", progress=False)
    assert not torch.distributed.is_initialized()
    with pytest.raises(ValueError, match="distributed=True, but torch.distributed is not initialized"):
        range_test(model, opt, mse, data, distributed=True, progress=False)
    _assert_restored(before, model, opt)
    r = range_test(model, opt, mse, data, start_lr=1e-5, end_lr=1e-3, num_steps=5, distributed=False, progress=False)
    assert len(r.lrs) == 5
