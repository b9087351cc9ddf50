"""The install paths: the distribution `lrsched-schedules` (import name `lrsched`) builds as a
wheel and an sdist, both install into a fresh virtual environment, `adapters/` installs as
`lrsched.adapters` (never as a top-level `adapters`, also from the editable install), and
mypy reads the installed package's type hints."""

import subprocess
import sys
import tarfile
import zipfile

import pytest

from tests.support import ROOT

# Subprocesses, fresh interpreters or long searches: `pytest -m "not slow"` skips them locally; CI runs them.
pytestmark = pytest.mark.slow

CHECK = (
    "import importlib.util, lrsched, lrsched.adapters; "
    "assert importlib.util.find_spec('adapters') is None, 'a top-level adapters package is installed'; "
    "print(lrsched.adapters.__file__)"
)


def _run(args, cwd):
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _build(kind, source, out):
    """`python -m build --wheel|--sdist` of source into out; the one file it made."""
    pytest.importorskip("build", reason="the build package is not installed; CI installs it")
    _run([sys.executable, "-m", "build", f"--{kind}", "--no-isolation", "--outdir", str(out), str(source)], out)
    (found,) = out.glob("lrsched_schedules-*.whl" if kind == "wheel" else "lrsched_schedules-*.tar.gz")
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    return _build("wheel", ROOT, tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def sdist(tmp_path_factory):
    return _build("sdist", ROOT, tmp_path_factory.mktemp("sdist"))


def _fresh_venv(tmp_path):
    venv = tmp_path / "venv"
    # System site-packages supply NumPy without a download; lrsched comes from the wheel.
    _run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], tmp_path)
    python = venv / "bin" / "python"
    has_numpy = subprocess.run([str(python), "-c", "import numpy"], capture_output=True).returncode == 0
    if not has_numpy:
        _run([str(python), "-m", "pip", "install", "-q", "numpy"], tmp_path)
    return venv, python


def test_wheel_maps_adapters_under_lrsched(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "lrsched/adapters/__init__.py" in names
    assert "lrsched/py.typed" in names
    assert not [n for n in names if n.startswith("adapters/")]


def test_wheel_installs_into_a_fresh_venv_and_type_checks(wheel, tmp_path):
    venv, python = _fresh_venv(tmp_path)
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)], tmp_path)
    location = _run([str(python), "-c", CHECK], tmp_path)
    assert str(venv) in location and "site-packages/lrsched/adapters" in location
    with zipfile.ZipFile(wheel) as archive:
        metadata = archive.read(next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))).decode()
    assert "Name: lrsched-schedules" in metadata and "License-Expression: MIT" in metadata, metadata
    assert "License-File: LICENSE" in metadata, metadata
    # mypy, run against the fresh venv's site-packages, sees lrsched's hints (py.typed) and
    # catches a positional argument, which every policy refuses.
    pytest.importorskip("mypy", reason="mypy is not installed; CI installs it")
    good = tmp_path / "good.py"
    good.write_text("import lrsched\nlr: float = lrsched.one_cycle(max_lr=0.1, total_steps=100)(3)\n")
    bad = tmp_path / "bad.py"
    bad.write_text("import lrsched\nlrsched.one_cycle(0.1, 100)\n")
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", str(python)]
    _run([*mypy, str(good)], tmp_path)
    done = subprocess.run([*mypy, str(bad)], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 1 and "Too many positional arguments" in done.stdout, done.stdout


def test_sdist_installs_into_a_fresh_venv(sdist, tmp_path):
    # The sdist alone builds a wheel (with this environment's setuptools: no download),
    # which installs into a fresh venv.
    out = tmp_path / "from_sdist"
    out.mkdir()
    built = _build("wheel", sdist, out)
    venv, python = _fresh_venv(tmp_path)
    _run([str(python), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(built)], tmp_path)
    location = _run([str(python), "-c", CHECK], tmp_path)
    assert str(venv) in location and "site-packages/lrsched/adapters" in location
    with tarfile.open(sdist) as archive:
        assert any(name.endswith("/LICENSE") for name in archive.getnames())


def test_editable_install_imports_adapters():
    location = _run([sys.executable, "-c", CHECK], "/")
    assert location.strip().endswith("adapters/__init__.py")
