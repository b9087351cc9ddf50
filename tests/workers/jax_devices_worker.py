"""Run by tests/adapters/test_scale.py with XLA_FLAGS=--xla_force_host_platform_device_count=2:
optax schedules in a pmapped update, the JAX range test on a sharded batch and on the
replicated (pmap) layout."""

import json
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, NamedSharding, PartitionSpec as P

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
# 3. The range test with the replicated (pmap) layout: params, batches and the LR one copy
# per device. A pmapped update as users write it (default in_axes=0), and the built-in one;
# the reference is the same sweep on one device over the whole batches.
n = jax.local_device_count()
replicate = lambda tree: jax.tree_util.tree_map(lambda a: jnp.stack([a] * n), tree)  # noqa: E731
split = lambda tree: jax.tree_util.tree_map(lambda a: a.reshape(n, a.shape[0] // n, *a.shape[1:]), tree)  # noqa: E731
whole = [(jax.random.normal(jax.random.PRNGKey(200 + i), (32, 4)),) for i in range(6)]
whole = [(x, x.sum(1)) for (x,) in whole]
sgd = inject_schedules(optax.sgd, learning_rate=0.0, momentum=0.9)


def pmapped_step(params, state, batch, lr):
    state.hyperparams["learning_rate"] = lr
    loss, grads = jax.value_and_grad(loss_fn)(params, batch)
    grads, loss = jax.lax.pmean((grads, loss), "devices")
    updates, state = sgd.update(grads, state, params)
    return optax.apply_updates(params, updates), state, loss


sweep = {"start_lr": 1e-4, "end_lr": 1.0, "num_steps": 12, "progress": False}
pmapped_update = jax.pmap(pmapped_step, axis_name="devices")
replicated_results = {}
for name, update in (("user_pmap", pmapped_update), ("built_in", None)):
    try:
        found = range_test(
            loss_fn, replicate({"w": jnp.zeros(4)}), sgd, [split(b) for b in whole], update=update, replicated=True,
            **sweep,
        )  # fmt: skip
        replicated_results[name] = found.to_json()
    except Exception as error:  # reported by the test that reads it
        replicated_results[name] = {"error": f"{type(error).__name__}: {error}"}
one_device = range_test(loss_fn, {"w": jnp.zeros(4)}, sgd, whole, **sweep).to_json()

print(
    json.dumps(
        {
            "per_device": per_device,
            "pmapped": np.asarray(pmapped).tolist(),
            "expected": [schedule(k) for k in range(8)],
            "result": result.to_json(),
            "devices": len(data[0][0].sharding.device_set),
            "replicated": replicated_results,
            "one_device": one_device,
        }
    )
)
sys.exit(0)
