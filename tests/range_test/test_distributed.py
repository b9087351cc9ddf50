"""The torch range test on many processes (2 gloo ranks, tests/workers/ddp_worker.py): the loss
reduced in a dtype and on a device every backend serves, ranks whose data runs out at
different steps stopping together, a sweep on one rank alone, an explicit
`distributed=True`; and Lightning's RangeTestCallback under `ddp_spawn` sweeping
data-parallel (tests/workers/lightning_worker.py). Each collective has a 20 s timeout and each run
a 150 s or 180 s one, so a deadlock fails instead of hanging."""

import json
import socket
import subprocess
import sys

import numpy as np
import pytest

from lrsched.rangetest import RangeTestResult
from tests.support import WORKERS

pytest.importorskip("torch", reason="torch is not installed; CI installs it")
pytestmark = pytest.mark.slow

HERE = WORKERS
SCENARIOS = (
    "reduced_tensors",
    "uneven_data",
    "uneven_accumulated",
    "fsdp_uneven_data",
    "one_rank_only",
    "explicit_all_ranks",
    "fsdp1_clips_the_global_norm",
    "empty_data_on_one_rank",
    "fsdp_with_validation_is_refused",
    "zero_redundancy_is_refused",
    "snapshots_in_one_folder",
    "ddp_keeps_its_buffer_sync",
    "lbfgs_line_search_under_ddp",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def ranks(tmp_path_factory):
    """Every scenario's output per rank (one run of 2 ranks for all of them)."""
    out = tmp_path_factory.mktemp("ddp")
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / "ddp_worker.py"), str(_free_port()), str(out), *SCENARIOS],
            capture_output=True,
            text=True,
            timeout=150,
        )
        log = done.stderr[-3000:]
    except subprocess.TimeoutExpired as error:
        log = f"the ranks hung past 150 s: {error}"

    def read(name):
        files = [out / f"{name}.rank{r}.json" for r in (0, 1)]
        if not all(f.exists() for f in files):
            pytest.fail(f"scenario {name} left no output on every rank:\n{log}")
        found = [json.loads(f.read_text()) for f in files]
        for r, rank in enumerate(found):
            assert "error" not in rank, f"rank {r}:\n{rank['error']}"
        return found

    return read


def _results(found):
    return [RangeTestResult.from_json(rank["result"]) for rank in found]


def test_the_loss_is_reduced_in_float32_on_the_parameters_device(ranks):
    # A CPU float64 tensor is what a process group without a CPU backend (NCCL) refuses.
    found = ranks("reduced_tensors")
    for rank in found:
        assert [tuple(s) for s in rank["seen"]] == [("torch.float32", rank["device"])]
        assert rank["restored"]
    a, b = _results(found)
    assert a == b and a.stopped == "completed" and len(a.lrs) == 20


@pytest.mark.parametrize(("scenario", "steps"), [("uneven_data", 5), ("uneven_accumulated", 2)])
def test_ranks_whose_data_runs_out_at_different_steps_stop_together(ranks, scenario, steps):
    found = ranks(scenario)
    a, b = _results(found)
    assert a == b and len(a.lrs) == steps
    assert a.stopped.startswith(f"data ran out after {steps} steps on at least one rank")
    assert found[0]["restored"] and found[1]["restored"]


@pytest.mark.parametrize("kind", ["fully_shard", "FullyShardedDataParallel"])
def test_fsdp_models_are_reduced_over_and_stop_together(ranks, kind):
    found = [rank[kind] for rank in ranks("fsdp_uneven_data")]
    a, b = _results(found)
    assert a == b and len(a.lrs) == 5 and a.stopped.startswith("data ran out after 5 steps on at least one rank")
    assert found[0]["restored"] and found[1]["restored"]


def test_a_range_test_on_one_rank_alone_reduces_nothing(ranks):
    found = ranks("one_rank_only")
    (result,) = _results(found[:1])
    assert result.stopped == "completed" and len(result.lrs) == 20 and found[0]["restored"]
    assert found[1] == {}


def test_distributed_true_averages_an_unwrapped_models_loss_over_the_ranks(ranks):
    a, b = _results(ranks("explicit_all_ranks"))
    assert a == b and len(a.lrs) == 20


@pytest.fixture(scope="module")
def lightning_ranks(tmp_path_factory):
    """RangeTestCallback under Lightning's ddp_spawn (2 CPU processes, tests/workers/lightning_worker.py):
    each rank's output, and the same sweep on one process over both ranks' batches."""
    pytest.importorskip("pytorch_lightning", reason="pytorch-lightning is not installed; CI installs it")
    out = tmp_path_factory.mktemp("lightning")
    try:
        done = subprocess.run(
            [sys.executable, str(HERE / "lightning_worker.py"), str(out)], capture_output=True, text=True, timeout=180
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"the ranks hung past 180 s: {error}")
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((out / f"rank{r}.json").read_text()) for r in (0, 1)]
    return ranks, json.loads((out / "single.json").read_text())


def test_lightning_ddp_spawn_ranks_record_one_curve_and_apply_one_lr(lightning_ranks):
    # Every rank runs the callback: the ranks average their losses and apply one LR.
    found, _ = lightning_ranks
    a, b = _results(found)
    assert a == b and len(a.lrs) >= 10
    lr = a.recommend("constant").lr
    assert lr is not None and found[0]["applied"] == found[1]["applied"] == lr


def test_lightning_ddp_spawn_sweep_is_data_parallel(lightning_ranks):
    # The sweep trains as fit does: gradients averaged over the ranks, so the ranks hold
    # the same weights at every sweep step, and the curve is the one a single process
    # records on each step's batches of both ranks together.
    found, single = lightning_ranks
    w0, w1 = (np.array(rank["weights"]) for rank in found)
    assert w0.shape == w1.shape and len(w0) == 30
    assert not np.array_equal(w0[0], w0[-1])  # the sweep trained
    differ = [k for k in range(len(w0)) if not np.allclose(w0[k], w1[k], rtol=1e-6, atol=1e-7)]
    assert differ == [], f"the ranks' weights differ at sweep steps {differ}"
    dp, reference = _results(found)[0], RangeTestResult.from_json(single["result"])
    assert dp.stopped == reference.stopped and len(dp.losses) == len(reference.losses)
    np.testing.assert_allclose(dp.losses, reference.losses, rtol=1e-4)
    assert dp.recommend("constant").lr == pytest.approx(reference.recommend("constant").lr, rel=1e-3)


# -- found by a probe from outside: each failed on the code before its fix -------------------------
def test_fsdp1_clips_by_the_global_gradient_norm(ranks):
    # torch.nn.utils.clip_grad_norm_ clipped each rank's FSDP1 shard by its own norm
    # (1.09 and 2.92 for a global 3.12): the curve drifted from DDP's on the same data.
    for rank in ranks("fsdp1_clips_the_global_norm"):
        ddp, fsdp1 = (RangeTestResult.from_json(rank[kind]) for kind in ("ddp", "fsdp1"))
        np.testing.assert_array_equal(fsdp1.lrs, ddp.lrs)
        np.testing.assert_allclose(fsdp1.losses, ddp.losses, rtol=1e-5)


def test_a_rank_without_batches_makes_every_rank_raise(ranks):
    # The empty rank raised alone, before the ranks agreed: the others crashed on a
    # closed connection or waited out the group's timeout.
    for rank in ranks("empty_data_on_one_rank"):
        assert "data is empty" in rank["no_data"]
        assert "val_data is empty" in rank["no_val"]
        assert "val_data is empty" in rank["no_val_buffered"]
        assert "val_data is empty" in rank["no_confirm_buffered"]


def test_zero_redundancy_optimizer_is_refused_on_every_rank_before_training(ranks):
    for rank in ranks("zero_redundancy_is_refused"):
        assert "ZeroRedundancyOptimizer" in rank["raised"] and "optimizer it wraps" in rank["raised"]
        assert rank["unchanged"]


def test_snapshots_in_one_folder_are_written_by_rank_0_and_listed_by_every_rank(ranks):
    # Cycle ends 2, 5, 9.5, 16.25 within 12 updates: 2, 5 and 10 kept on both ranks.
    found = ranks("snapshots_in_one_folder")
    for rank in found:
        assert rank["kept"] == [2, 5, 10] and rank["read"] == 3
        assert rank["files"] == [f"snapshot-{step:012d}.pt" for step in (2, 5, 10)]


def test_fsdp_with_held_out_batches_is_refused_on_every_rank(ranks):
    # After a forward under no_grad FSDP keeps its full parameters unsharded, and the
    # restore wrote the shards back under stale full weights (the forward after the test
    # was the sweep's end, silently; fully_shard's raised on mixing DTensors).
    for rank in ranks("fsdp_with_validation_is_refused"):
        assert "val_data and confirm" in rank["raised"] and "FSDP" in rank["raised"]


def test_ddp_broadcasts_buffers_again_after_a_validated_range_test(ranks):
    for rank in ranks("ddp_keeps_its_buffer_sync"):
        assert rank["sync"] == [True, True] and rank["restored"]


def test_lbfgs_line_search_decides_alike_on_every_rank(ranks):
    # The closure's loss is the ranks' mean: the line search makes the same number of
    # closure calls (each a DDP all-reduce) on every rank; gloo aborted on the mismatch.
    found = ranks("lbfgs_line_search_under_ddp")
    results = _results(found)
    np.testing.assert_array_equal(results[0].losses, results[1].losses)
    np.testing.assert_array_equal(results[0].lrs, results[1].lrs)
    assert all(rank["restored"] for rank in found)
