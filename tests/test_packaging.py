"""`adapters/` installs as `lrsched.adapters` (never as a top-level `adapters`), from a
wheel into a fresh virtual environment and from the editable install."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

# Subprocesses, fresh interpreters or long searches: `pytest -m "not slow"` skips them locally; CI runs them.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
CHECK = (
    "import importlib.util, lrsched, lrsched.adapters; "
    "assert importlib.util.find_spec('adapters') is None, 'a top-level adapters package is installed'; "
    "print(lrsched.adapters.__file__)"
)


def _run(args, cwd):
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    pytest.importorskip("build", reason="the build package is not installed; CI installs it")
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(out), str(ROOT)], ROOT)
    (found,) = out.glob("lrsched-*.whl")
    return found


def test_wheel_maps_adapters_under_lrsched(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "lrsched/adapters/__init__.py" in names
    assert "lrsched/py.typed" in names
    assert not [n for n in names if n.startswith("adapters/")]


def test_wheel_installs_into_a_fresh_venv(wheel, tmp_path):
    venv = tmp_path / "venv"
    # System site-packages supply NumPy without a download; lrsched comes from the wheel.
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], tmp_path)
    has_numpy = subprocess.run([str(python), "-c", "import numpy"], capture_output=True).returncode == 0
    if not has_numpy:
        _run([str(python), "-m", "pip", "install", "-q", "numpy"], tmp_path)
    location = _run([str(python), "-c", CHECK], tmp_path)
    assert str(venv) in location and "site-packages/lrsched/adapters" in location


def test_editable_install_imports_adapters():
    location = _run([sys.executable, "-c", CHECK], "/")
    assert location.strip().endswith("adapters/__init__.py")
