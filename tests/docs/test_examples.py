"""Every script in examples/ runs as written, on small data, in a fresh interpreter."""

import os
import subprocess
import sys

import pytest

from tests.support import ROOT

# Subprocesses, fresh interpreters or long searches: `pytest -m "not slow"` skips them locally; CI runs them.
pytestmark = pytest.mark.slow

SCRIPTS = sorted((ROOT / "examples").glob("*.py"))
NEEDS = {"keras_fit.py": "keras", "optax_loop.py": "optax", "range_test_then_one_cycle.py": "sklearn"}


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.name for s in SCRIPTS])
def test_example_script_runs(script, tmp_path):
    for name in ("torch", NEEDS.get(script.name, "torch")):
        pytest.importorskip(name, reason=f"{name} is not installed; CI installs it")
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, env=dict(os.environ), timeout=300
    )
    assert done.returncode == 0, f"{script.name} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"


def test_there_is_an_example_per_use():
    names = {s.name for s in SCRIPTS}
    assert {
        "torch_one_cycle_resume.py",
        "optax_loop.py",
        "keras_fit.py",
        "custom_policy_checks.py",
        "range_test_then_one_cycle.py",
        "migrate_from_peers.py",
    } <= names
