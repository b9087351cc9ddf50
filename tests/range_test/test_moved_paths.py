"""The range test's old import path keeps working for one release, with a
DeprecationWarning that names the new one; no product file is named like a test; the
torch adapter, a package named torch, imports torch itself."""

import fnmatch
import subprocess
import sys

import pytest

from tests.support import ROOT

TEST_PATTERNS = ("test_*.py", "*_test.py")  # pytest's python_files


def _run(code, cwd):
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_no_product_file_is_named_like_a_test():
    named = [
        path.relative_to(ROOT).as_posix()
        for folder in ("lrsched", "adapters")
        for path in (ROOT / folder).rglob("*.py")
        if any(fnmatch.fnmatch(path.name, pattern) for pattern in TEST_PATTERNS)
    ]
    assert named == []


@pytest.mark.slow
def test_the_old_range_test_path_imports_in_a_fresh_interpreter_and_warns_naming_the_new_one(tmp_path):
    code = """
import sys, warnings
import lrsched
assert "lrsched.rangetest" not in sys.modules, "import lrsched loads no range test"
import lrsched.range_test
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from lrsched.range_test import RangeTestResult, check_sweep_settings
    rules = lrsched.range_test.RULES
import lrsched.rangetest as new
assert RangeTestResult is new.RangeTestResult and check_sweep_settings is new.check_sweep_settings
assert rules is new.RULES
assert len(caught) == 3, caught
for warning in caught:
    assert warning.category is DeprecationWarning, warning
    assert "import from lrsched.rangetest" in str(warning.message), warning
    assert warning.filename == "<string>", warning  # the line that used the old path, not lrsched's
try:
    lrsched.range_test.no_such_name
except AttributeError as error:
    assert "lrsched.range_test" in str(error)
else:
    raise AssertionError("a name lrsched.rangetest lacks was found")
print("ok")
"""
    assert _run(code, tmp_path).strip() == "ok"


@pytest.mark.slow
def test_the_torch_adapter_package_imports_torch_itself(tmp_path):
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    code = """
import torch
import lrsched.adapters.torch as adapter
from lrsched.adapters.torch import range_test_runner, restore, scheduler, snapshots
for module in (scheduler, range_test_runner, restore, snapshots):
    assert module.torch is torch, module
assert adapter.lambda_lr is scheduler.lambda_lr and adapter.range_test is range_test_runner.range_test
assert adapter._rng_states is restore._rng_states and adapter.Snapshots is snapshots.Snapshots
print(adapter.__name__)
"""
    assert _run(code, tmp_path).strip() == "lrsched.adapters.torch"


def test_moved_names_answer_at_their_old_module_with_a_warning_naming_the_new_one():
    import lrsched.base
    import lrsched.params

    for name in ("Part", "Parts"):
        warning = rf"lrsched\.params\.{name} is deprecated: use lrsched\.base\.{name}"
        with pytest.warns(DeprecationWarning, match=warning):
            assert getattr(lrsched.params, name) is getattr(lrsched.base, name)
    with pytest.raises(AttributeError, match="'lrsched.params' has no attribute 'Nope'"):
        lrsched.params.Nope  # noqa: B018
