"""Every Python example in the README and on the documentation site runs as written, and
the site builds with no warning (MkDocs in strict mode: broken links, unknown
references and pages outside the navigation all fail)."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import ROOT

# Subprocesses, fresh interpreters or long searches: `pytest -m "not slow"` skips them locally; CI runs them.
pytestmark = pytest.mark.slow

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
BLOCKS = [
    (page.relative_to(ROOT).as_posix(), index, code)
    for page in PAGES
    for index, code in enumerate(re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.S))
]


@pytest.mark.parametrize("page, index, code", BLOCKS, ids=[f"{page}:{index}" for page, index, _ in BLOCKS])
def test_example_runs(page, index, code, tmp_path, monkeypatch):
    for name in ("torch", "jax", "keras"):
        if f"import {name}" in code:
            pytest.importorskip(name, reason=f"{name} is not installed; CI installs it")
    # As a script in its own namespace and folder, in this process: the frameworks start
    # once per worker, not once per example.
    monkeypatch.chdir(tmp_path)
    from lrsched.base import Schedule

    # A policy an example defines is registered for that example only.
    monkeypatch.setattr(Schedule, "_registry", dict(Schedule._registry))
    exec(compile(code, f"{page} example {index}", "exec"), {"__name__": "__main__"})


def test_the_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs", reason="the docs extra is not installed; CI installs it")
    mkdocs = shutil.which("mkdocs", path=str(Path(sys.executable).parent)) or "mkdocs"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    done = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    policies = (tmp_path / "site" / "policies" / "index.html").read_text()
    import lrsched  # noqa: F401
    from lrsched import base

    for name, cls in base.Schedule._registry.items():
        assert f"gallery/{name}.png" in policies, f"the Policies page lacks {name}'s picture"
        assert (tmp_path / "site" / "gallery" / f"{name}.png").stat().st_size > 5_000, f"the site lacks {name}.png"
        first_line = (cls.__doc__ or "").strip().split("\n")[0].split("`")[0][:30]
        assert first_line in policies, f"the Policies page lacks {name}'s docstring"
