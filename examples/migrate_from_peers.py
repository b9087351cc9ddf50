"""Migrating: a peer's scheduler call, by its own argument names, as an lrsched schedule that
runs in any framework; each checked here against the peer that is installed.

    python examples/migrate_from_peers.py
"""

import importlib.util

import numpy as np

from lrsched import compat

steps = np.arange(0, 1200)

# PyTorch: torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=1000)
schedule = compat.torch.OneCycleLR(max_lr=0.1, total_steps=1000)
if importlib.util.find_spec("torch"):
    import torch

    optimizer = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)
    peer = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=1000, cycle_momentum=False)
    values = []
    for _ in range(1000):
        values.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        peer.step()
    assert np.allclose(values, schedule(steps[:1000]), rtol=1e-9, atol=0), "torch"
    print("torch OneCycleLR: equal over 1000 steps")

# optax: optax.warmup_cosine_decay_schedule(0.0, 0.1, 100, 1000, end_value=1e-4)
schedule = compat.optax.warmup_cosine_decay_schedule(
    init_value=0.0, peak_value=0.1, warmup_steps=100, decay_steps=1000, end_value=1e-4
)
if importlib.util.find_spec("optax"):
    import optax

    peer = optax.warmup_cosine_decay_schedule(0.0, 0.1, 100, 1000, end_value=1e-4)
    assert np.allclose(np.asarray(peer(steps)), schedule(steps), rtol=1e-5, atol=1e-8), "optax"
    print("optax warmup_cosine_decay_schedule: equal over 1200 steps (float32)")

# Hugging Face: transformers.get_scheduler("cosine", optimizer, num_warmup_steps=50, num_training_steps=1000)
schedule = compat.transformers.get_scheduler("cosine", lr=3e-4, num_warmup_steps=50, num_training_steps=1000)
print("transformers cosine with warmup at steps 0, 50, 1000:", schedule(0), schedule(50), schedule(1000))
