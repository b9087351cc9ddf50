"""Running timm and transformers in a worker process, and comparing value sequences:
shared by the compat tests that check against those peers."""

import importlib.util
import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

from tests.support import WORKERS

LR = 0.1
WORKER = WORKERS / "peer_values_worker.py"


def run_worker(peer, cases, worker=WORKER):
    """Each case's values from `worker` (a script reading the request on stdin), run in a
    process of its own."""
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    module = "timm" if peer == "timm" else "transformers"
    if importlib.util.find_spec(module) is None:  # not imported here: see the worker
        pytest.skip(f"{module} is not installed; CI installs it")
    request = {"peer": peer, "lr": LR, "cases": cases}
    env = dict(os.environ, TRANSFORMERS_OFFLINE="1", HF_HUB_OFFLINE="1")
    done = subprocess.run(
        [sys.executable, str(worker)], input=json.dumps(request), capture_output=True, text=True, env=env, timeout=300
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def assert_close(ours, expected, steps, rtol, context=""):
    """`context` (the peer's call) is added to the message: drawn cases are not in their names."""
    ours, expected = np.asarray(ours, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    scale = np.max(np.abs(expected))
    bad = ~(np.abs(ours - expected) <= rtol * np.abs(expected) + rtol * 1e-3 * scale + 1e-300)
    if bad.any():
        i = int(np.argmax(bad))
        raise AssertionError(f"at step {steps[i]!r}: lrsched {ours[i]!r}, peer {expected[i]!r} {context}".rstrip())


def peer_lrs(make: object, steps: int, lr: float = LR) -> list[float]:
    """The LRs a torch scheduler `make(optimizer)` gives at steps 0..steps-1."""
    import torch

    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)
    scheduler = make(opt)
    values = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SequentialLR's own deprecation notes
        for _ in range(steps):
            values.append(opt.param_groups[0]["lr"])
            opt.step()
            scheduler.step()
    return values
