"""The gallery: one curve per registered policy, drawn from the example it declares.

    python docs/make_gallery.py      # writes docs/gallery/*.png and docs/gallery/manifest.json

`manifest.json` holds each example's config and its values at nine steps; the test
`tests/docs/test_gallery.py` recomputes it, so a policy whose values change, or a policy
added without an example, fails CI until the gallery is drawn again.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

import lrsched as l
from lrsched.plotting import default_span

HERE = Path(__file__).parent / "gallery"


def examples() -> dict[str, tuple[l.Schedule, float]]:
    """policy name -> (its declared example, the steps to draw: `default_span`), for every
    policy of lrsched: a policy added to the registry appears here with no edit."""
    registry = sorted(l.Schedule._registry.items())
    ours = [(name, cls.example()) for name, cls in registry if cls.__module__.startswith("lrsched.")]
    return {name: (example, default_span(example)) for name, example in ours}


def manifest() -> dict[str, Any]:
    """Each example's config and its values at nine steps (10 significant digits)."""
    out = {}
    for name, (schedule, until) in examples().items():
        steps = np.linspace(0.0, until, 9)
        values = [float(f"{float(schedule(float(t))):.10g}") for t in steps]
        out[name] = {"config": schedule.to_config(), "until": until, "values": values}
    return out


def draw() -> None:
    import matplotlib

    matplotlib.use("Agg")
    HERE.mkdir(exist_ok=True)
    for name, (schedule, until) in examples().items():
        if isinstance(schedule, l.InverseMomentum):  # the momentum beside the LR it follows
            fig = l.plot(schedule.schedule, until, momentum=schedule, title=name)
        else:
            fig = l.plot(schedule, until, log=name == "range_sweep", title=name)
        fig.savefig(HERE / f"{name}.png", dpi=80, metadata={"Software": None})
        matplotlib.pyplot.close(fig)
    (HERE / "manifest.json").write_text(json.dumps(manifest(), indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    draw()
    sys.exit(0)
