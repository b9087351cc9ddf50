"""Scale: the torch range test and adapter under DDP (2 gloo ranks), optax schedules and
the JAX range test on 2 (forced host) devices. Each runs in its own processes."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from lrsched.rangetest import RangeTestResult
from tests.support import WORKERS

# Subprocesses, fresh interpreters or long searches: `pytest -m "not slow"` skips them locally; CI runs them.
pytestmark = pytest.mark.slow

HERE = WORKERS


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_ddp_ranks_record_the_same_curve_and_suggestion(tmp_path):
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    done = subprocess.run(
        [sys.executable, str(HERE / "ddp_worker.py"), str(_free_port()), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    ranks = [json.loads((tmp_path / f"rank{r}.json").read_text()) for r in (0, 1)]
    results = [RangeTestResult.from_json(r["result"]) for r in ranks]
    assert results[0] == results[1] and len(results[0].lrs) > 10
    assert ranks[0]["suggestions"] == ranks[1]["suggestions"]
    assert ranks[0]["restored"] and ranks[1]["restored"]
    assert ranks[0]["lrs"] == ranks[1]["lrs"] and len(ranks[0]["lrs"]) == 32


@pytest.fixture(scope="module")
def two_devices():
    """tests/workers/jax_devices_worker.py's output, on 2 forced host devices."""
    pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    env = dict(os.environ, XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
    done = subprocess.run(
        [sys.executable, str(HERE / "jax_devices_worker.py")], capture_output=True, text=True, timeout=300, env=env
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_jax_two_devices_same_lr_everywhere_and_sharded_range_test(two_devices):
    out = two_devices
    for k, lrs in enumerate(out["per_device"]):
        assert lrs[0] == lrs[1] == pytest.approx(out["expected"][k], rel=1e-6)
    pmapped = np.array(out["pmapped"])
    np.testing.assert_array_equal(pmapped[0], pmapped[1])
    np.testing.assert_allclose(pmapped[0], out["expected"], rtol=1e-6)
    result = RangeTestResult.from_json(out["result"])
    assert out["devices"] == 2 and len(result.lrs) > 5 and result.suggest("min").lr is not None


@pytest.mark.parametrize("update", ["user_pmap", "built_in"])
def test_jax_range_test_on_the_replicated_pmap_layout(two_devices, update):
    # replicated=True: params, batches and LR one copy per device; a pmapped update with the
    # default in_axes=0 (and the built-in one) sweeps as one device does on the whole batches.
    found = two_devices["replicated"][update]
    assert "error" not in found, found["error"]
    result, reference = RangeTestResult.from_json(found), RangeTestResult.from_json(two_devices["one_device"])
    assert result.stopped == reference.stopped == "completed" and len(result.lrs) == 12
    np.testing.assert_allclose(result.lrs, reference.lrs, rtol=1e-6)
    np.testing.assert_allclose(result.losses, reference.losses, rtol=1e-5)
