"""Every Python example in the README runs as written."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

# Subprocesses, fresh interpreters or long searches: `pytest -m "not slow"` skips them locally; CI runs them.
pytestmark = pytest.mark.slow

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
BLOCKS = re.findall(r"```python\n(.*?)```", README, flags=re.S)


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index, tmp_path):
    code = BLOCKS[index]
    for name in ("torch", "jax", "keras"):
        if f"import {name}" in code:
            pytest.importorskip(name, reason=f"{name} is not installed; CI installs it")
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, env=dict(os.environ), timeout=300
    )
    assert done.returncode == 0, f"README example {index} failed:\n{code}\n{done.stderr[-3000:]}"
