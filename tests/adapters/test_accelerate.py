"""`lambda_lr` under Hugging Face accelerate with 2 CPU processes (tests/workers/accelerate_worker.py).

A scheduler handed to `accelerator.prepare` is stepped once per process at every optimizer
step (unless `split_batches=True` or `step_scheduler_with_optimizer=False`), so lrsched's
step count runs num_processes times faster than the optimizer's. The three recipes the
README gives are checked against the 1cycle written out: `lambda_lr(...,
calls_per_step=accelerator.num_processes)`, the schedule sized by the global steps (the
steps of every process together), or `Accelerator(step_scheduler_with_optimizer=False)`.
The run has a 120 s timeout; `calls_per_step` alone is also checked against torch's
LambdaLR in this process."""

import json
import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")

import lrsched as l  # noqa: E402
from lrsched.adapters.torch import lambda_lr  # noqa: E402
from tests.support import WORKERS  # noqa: E402

HERE = WORKERS
STEPS = 16  # optimizer steps each of the 2 processes takes (tests/workers/accelerate_worker.py)


def one_cycle_linear(k, total, max_lr=0.1, pct=0.3, div=25.0, final_div=1e4):
    """The two-phase 1cycle with linear anneal: max_lr / div up to max_lr over pct * total
    steps, down to that start / final_div at total, held afterwards."""
    start, peak, final = max_lr / div, pct * total, max_lr / div / final_div
    if k <= peak:
        return start + (max_lr - start) * k / peak
    return max_lr + (final - max_lr) * (min(k, total) - peak) / (total - peak)


@pytest.fixture(scope="module")
def processes(tmp_path_factory):
    pytest.importorskip("accelerate", reason="accelerate is not installed; CI installs it")
    out = tmp_path_factory.mktemp("accelerate")
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / "accelerate_worker.py"), str(out)], capture_output=True, text=True, timeout=120
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"the processes hung past 120 s: {error}")
    assert done.returncode == 0, done.stderr[-3000:]
    found = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]
    assert found[0] == found[1]  # every process follows the same LRs
    assert found[0]["num_processes"] == 2
    return found[0]


@pytest.mark.slow
def test_a_schedule_sized_per_process_ends_halfway_under_prepare(processes):
    # The pitfall the README warns of: stepped twice per optimizer step, the 1cycle sized
    # for 16 steps is at its end after 8 and the second half trains at its final LR.
    lrs = processes["per_process"]
    np.testing.assert_allclose(lrs, [one_cycle_linear(2 * j, STEPS) for j in range(STEPS)], rtol=1e-9)
    assert lrs[STEPS // 2] == pytest.approx(one_cycle_linear(STEPS, STEPS), rel=1e-9)


@pytest.mark.slow
def test_a_schedule_sized_by_global_steps_runs_its_whole_course(processes):
    # total_steps = steps per process * num_processes: optimizer step j uses schedule(2 j).
    lrs = processes["global_steps"]
    total = STEPS * 2
    np.testing.assert_allclose(lrs, [one_cycle_linear(2 * j, total) for j in range(STEPS)], rtol=1e-9)
    assert max(lrs) == pytest.approx(0.1, rel=0.2) and lrs[-1] > one_cycle_linear(total, total)


@pytest.mark.slow
def test_step_scheduler_with_optimizer_false_steps_once_per_optimizer_step(processes):
    lrs = processes["step_with_optimizer_false"]
    np.testing.assert_allclose(lrs, [one_cycle_linear(j, STEPS) for j in range(STEPS)], rtol=1e-9)


@pytest.mark.slow
def test_calls_per_step_runs_a_schedule_sized_per_process_under_prepare(processes):
    lrs = processes["calls_per_step"]
    assert "error" not in lrs, lrs
    np.testing.assert_allclose(lrs, [one_cycle_linear(j, STEPS) for j in range(STEPS)], rtol=1e-9)


@pytest.mark.parametrize("calls", [1, 2, 3])
def test_calls_per_step_matches_torch_lambdalr_on_the_call_count_divided(calls):
    # The peer: torch's LambdaLR with lr = base * f(k), f(k) = schedule(k // calls) / base.
    schedule = l.one_cycle(max_lr=0.1, total_steps=10)
    ours = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    peer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = lambda_lr(ours, schedule, calls_per_step=calls)
    reference = torch.optim.lr_scheduler.LambdaLR(peer, lambda k: schedule(k // calls) / 0.1)
    for _ in range(3 * 12):
        assert ours.param_groups[0]["lr"] == pytest.approx(peer.param_groups[0]["lr"], rel=1e-12)
        ours.step(), peer.step()
        scheduler.step(), reference.step()


def test_calls_per_step_resumes_and_is_checked():
    schedule = l.one_cycle(max_lr=0.1, total_steps=10)
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    scheduler = lambda_lr(optimizer, schedule, calls_per_step=2)
    for _ in range(5):
        optimizer.step()
        scheduler.step()
    state = scheduler.state_dict()
    assert state["calls_per_step"] == 2
    fresh = lambda_lr(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1), schedule)
    fresh.load_state_dict(state)
    assert fresh.calls_per_step == 2
    for _ in range(4):
        scheduler.step(), fresh.step()
        assert fresh.get_last_lr() == scheduler.get_last_lr()
    older = {k: v for k, v in state.items() if k != "calls_per_step"}  # a state saved before the option
    fresh.load_state_dict(older)
    assert fresh.calls_per_step == 1
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match=rf"calls_per_step must be a whole number >= 1; got {bad!r}"):
            lambda_lr(optimizer, schedule, calls_per_step=bad)
