"""The gallery under docs/ is current: an example for every registered policy, its image,
and values equal to what the policy gives today (`python docs/make_gallery.py` redraws)."""

import importlib.util
import json

from lrsched.base import Schedule
from tests.support import ROOT

DOCS = ROOT / "docs"


def _gallery():
    spec = importlib.util.spec_from_file_location("make_gallery", DOCS / "make_gallery.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_policy_has_a_current_picture_in_the_gallery():
    gallery = _gallery()
    examples = gallery.examples()
    registered = {name for name, cls in Schedule._registry.items() if cls.__module__.startswith("lrsched.")}
    assert set(examples) == registered, "a picture per registered policy, from the example it declares"
    for name, (schedule, _) in examples.items():
        assert schedule.policy == name
        assert (DOCS / "gallery" / f"{name}.png").stat().st_size > 5_000, name
    committed = json.loads((DOCS / "gallery" / "manifest.json").read_text())
    assert committed == gallery.manifest(), "the gallery is stale: run python docs/make_gallery.py"
