"""JAX / optax: a schedule and momentum inverse to it, changing inside a jitted update.

python examples/optax_loop.py
"""

import jax
import jax.numpy as jnp
import optax

import lrsched as l
from lrsched.adapters.optax import inject_schedules

lr = l.one_cycle(max_lr=0.1, total_steps=200)
optimizer = inject_schedules(optax.sgd, learning_rate=lr, momentum=l.inverse_momentum(schedule=lr))
params = {"w": jnp.zeros(4), "b": jnp.zeros(())}
state = optimizer.init(params)


def loss_fn(params, x, y):
    return jnp.mean((x @ params["w"] + params["b"] - y) ** 2)


@jax.jit
def train_step(params, state, x, y):
    loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
    updates, state = optimizer.update(grads, state, params)
    return optax.apply_updates(params, updates), state, loss


key = jax.random.PRNGKey(0)
for step in range(200):
    key, sub = jax.random.split(key)
    x = jax.random.normal(sub, (32, 4))
    params, state, loss = train_step(params, state, x, x.sum(1) + 1.0)
    if step in (0, 60, 199):
        hyper = state.hyperparams
        print(
            f"step {step}: loss {float(loss):.4f} lr {float(hyper['learning_rate']):.4g} "
            f"momentum {float(hyper['momentum']):.4g}"
        )
assert float(loss) < 0.01, float(loss)
