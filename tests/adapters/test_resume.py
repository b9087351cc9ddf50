"""Resume proofs: train N steps, checkpoint, continue in a fresh process — the LR and
momentum sequence and the weights equal an uninterrupted run's. (Keras: see
test_adapter_keras.test_fit_save_load_and_continue_with_same_lr_sequence.)"""

import json
import subprocess
import sys

import pytest

from tests.support import WORKERS

# Subprocesses, fresh interpreters or long searches: `pytest -m "not slow"` skips them locally; CI runs them.
pytestmark = pytest.mark.slow

WORKER = WORKERS / "resume_worker.py"


def _run(framework, start, stop, checkpoint_in="", checkpoint_out=""):
    done = subprocess.run(
        [sys.executable, str(WORKER), framework, str(start), str(stop), checkpoint_in, checkpoint_out],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("framework", ["torch", "optax"])
def test_resume_in_a_new_process_is_identical(framework, tmp_path):
    pytest.importorskip(
        "torch" if framework == "torch" else "optax", reason=f"{framework} is not installed; CI installs it"
    )
    straight = _run(framework, 0, 50)
    checkpoint = str(tmp_path / "checkpoint")
    first = _run(framework, 0, 20, checkpoint_out=checkpoint)
    second = _run(framework, 20, 50, checkpoint_in=checkpoint)
    assert first["record"] + second["record"] == straight["record"]
    assert second["weights"] == straight["weights"]
