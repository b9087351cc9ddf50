"""Extra peak memory of the torch range test for each `cache`, on a model of a few hundred MB.

Each mode runs in a fresh process: build a model of about 256 MB (float32) and SGD with
momentum (its state: another 256 MB), take one step (gradients: another 256 MB), note
the peak resident memory, run a short range test, and print how far the peak rose. The
copy the range test keeps is the parameters, gradients and optimizer state: about
768 MB here. On this CPU-only machine "device" is host memory too.

    python benchmarks/range_test_memory.py
"""

from __future__ import annotations

import json
import subprocess
import sys

CHILD = r"""
import json, resource, sys, torch
from lrsched.adapters.torch import range_test
torch.manual_seed(0)
model = torch.nn.Sequential(*[torch.nn.Linear(4096, 4096) for _ in range(4)])  # 67M parameters: 268 MB
opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
x = torch.randn(8, 4096)
data = [(x, x)]
loss_fn = lambda m, b: torch.nn.functional.mse_loss(m(b[0]), b[1])
loss_fn(model, data[0]).backward(); opt.step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
range_test(model, opt, loss_fn, data, start_lr=1e-6, end_lr=1e-4, num_steps=3, cache=sys.argv[1])
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"before_mb": before / 1024, "after_mb": after / 1024}))
"""


def main() -> None:
    for cache in ("device", "cpu", "disk"):
        done = subprocess.run([sys.executable, "-c", CHILD, cache], capture_output=True, text=True, check=True)
        result = json.loads(done.stdout)
        print(
            f"cache={cache!r:9} peak before {result['before_mb']:7.0f} MB, after {result['after_mb']:7.0f} MB: "
            f"+{result['after_mb'] - result['before_mb']:5.0f} MB"
        )


if __name__ == "__main__":
    main()
