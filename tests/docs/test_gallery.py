"""The gallery: a picture for every registered policy, drawn from the example it declares
(the site draws it when it is built; `tests/docs/test_docs_examples.py` checks the site has
every picture)."""

import importlib.util

import pytest

from lrsched.base import Schedule
from tests.support import ROOT

DOCS = ROOT / "docs"


def _gallery():
    spec = importlib.util.spec_from_file_location("make_gallery", DOCS / "make_gallery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_registered_policy_gets_a_picture_of_its_declared_example(tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed; CI installs it")
    gallery = _gallery()
    examples = gallery.examples()
    registered = {name for name, cls in Schedule._registry.items() if cls.__module__.startswith("lrsched.")}
    assert set(examples) == registered, "a picture per registered policy, from the example it declares"
    for name, (schedule, _) in examples.items():
        assert schedule.policy == name and schedule == Schedule._registry[name].example()
    written = gallery.draw(tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{name}.png" for name in registered)
    for picture in written:
        assert picture.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and picture.stat().st_size > 5_000, picture.name
