"""Run by tests/test_scale.py with XLA_FLAGS=--xla_force_host_platform_device_count=2."""

import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

import lrsched as l
from lrsched.adapters.optax import inject_schedules, range_test, to_optax

assert jax.device_count() == 2, jax.devices()
schedule = l.one_cycle(max_lr=0.1, total_steps=50)

# 1. The optax schedule inside a pmapped update: the same LR on every device.
optimizer = inject_schedules(optax.sgd, learning_rate=schedule, momentum=0.9)
params = {"w": jnp.zeros(4)}
replicated = jax.tree_util.tree_map(lambda a: jnp.stack([a, a]), params)  # one copy per device
state = jax.pmap(optimizer.init)(replicated)


def step(params, state, x):
    grads = jax.grad(lambda p: jnp.mean((x @ p["w"] - x.sum(1)) ** 2))(params)
    grads = jax.lax.pmean(grads, "devices")
    updates, state = optimizer.update(grads, state, params)
    return optax.apply_updates(params, updates), state


pstep = jax.pmap(step, axis_name="devices")
per_device = []
for k in range(8):
    x = jax.random.normal(jax.random.PRNGKey(k), (2, 16, 4))  # one shard per device
    replicated, state = pstep(replicated, state, x)
    per_device.append(np.asarray(state.hyperparams["learning_rate"]).tolist())
counts = jnp.arange(8, dtype=jnp.int32)
pmapped = jax.pmap(jax.vmap(to_optax(schedule)))(jnp.stack([counts, counts]))

# 2. The range test with a data-parallel update: batches sharded over a 2-device mesh.
mesh = Mesh(np.array(jax.devices()), ("data",))
shard = NamedSharding(mesh, P("data"))
data = []
for i in range(6):
    x = jax.random.normal(jax.random.PRNGKey(100 + i), (32, 4))
    data.append((jax.device_put(x, shard), jax.device_put(x.sum(1), shard)))


def loss_fn(params, batch):
    inputs, targets = batch
    return jnp.mean((inputs @ params["w"] - targets) ** 2)


result = range_test(
    loss_fn,
    {"w": jnp.zeros(4)},
    inject_schedules(optax.sgd, learning_rate=0.0),
    data,
    start_lr=1e-4,
    end_lr=10.0,
    num_steps=40,
    progress=False,
)
print(
    json.dumps(
        {
            "per_device": per_device,
            "pmapped": np.asarray(pmapped).tolist(),
            "expected": [schedule(k) for k in range(8)],
            "result": result.to_json(),
            "devices": len(data[0][0].sharding.device_set),
        }
    )
)
sys.exit(0)
