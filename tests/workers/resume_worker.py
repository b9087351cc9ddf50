"""Run by tests/adapters/test_resume.py: train, checkpoint, and continue in a fresh process."""

import json
import pickle
import sys

import lrsched as l

LR = l.one_cycle(max_lr=0.2, total_steps=40, pct_start=0.25, three_phase=True)
MOMENTUM = l.inverse_momentum(schedule=LR)


def torch_run(start: int, stop: int, checkpoint_in: str | None, checkpoint_out: str | None) -> dict:
    import torch

    from lrsched.adapters.torch import lambda_lr

    torch.manual_seed(0)
    model = torch.nn.Linear(4, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    scheduler = lambda_lr(optimizer, LR, momentum=MOMENTUM)
    if checkpoint_in:
        saved = torch.load(checkpoint_in, weights_only=True)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        scheduler.load_state_dict(saved["scheduler"])
    record = []
    for step in range(start, stop):
        x = torch.randn(8, 4, generator=torch.Generator().manual_seed(step))
        loss = (model(x) - x.sum(1, keepdim=True)).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        record.append([optimizer.param_groups[0]["lr"], optimizer.param_groups[0]["momentum"]])
    if checkpoint_out:
        torch.save(
            {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
            checkpoint_out,
        )
    return {"record": record, "weights": [p.detach().tolist() for p in model.parameters()]}


def optax_run(start: int, stop: int, checkpoint_in: str | None, checkpoint_out: str | None) -> dict:
    import jax
    import jax.numpy as jnp
    import numpy as np
    import optax

    from lrsched.adapters.optax import inject_schedules

    optimizer = inject_schedules(optax.sgd, learning_rate=LR, momentum=MOMENTUM)
    params = {"w": jnp.zeros(4)}
    state = optimizer.init(params)
    if checkpoint_in:
        with open(checkpoint_in, "rb") as f:
            params, state = pickle.load(f)

    @jax.jit
    def step_fn(params, state, x):
        grads = jax.grad(lambda p: jnp.mean((x @ p["w"] - x.sum(1)) ** 2))(params)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state

    record = []
    for step in range(start, stop):
        x = jax.random.normal(jax.random.PRNGKey(step), (8, 4))
        params, state = step_fn(params, state, x)
        record.append([float(state.hyperparams["learning_rate"]), float(state.hyperparams["momentum"])])
    if checkpoint_out:
        with open(checkpoint_out, "wb") as f:
            pickle.dump(jax.tree_util.tree_map(np.asarray, (params, state)), f)
    return {"record": record, "weights": np.asarray(params["w"]).tolist()}


if __name__ == "__main__":
    framework, start, stop, checkpoint_in, checkpoint_out = sys.argv[1:6]
    run = {"torch": torch_run, "optax": optax_run}[framework]
    print(json.dumps(run(int(start), int(stop), checkpoint_in or None, checkpoint_out or None)))
