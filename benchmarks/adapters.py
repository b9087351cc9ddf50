"""Adapter overhead, measured side by side against each framework's own scheduler.

Prints: torch `scheduler.step()` median time, lrsched's adapter / the native scheduler
(OneCycleLR, CyclicLR, CosineAnnealingWarmRestarts; target <= 1.0x); a jitted optax SGD
update driven by `to_optax(one_cycle(...))` / by `optax.cosine_onecycle_schedule(...)`
(target <= 1.02x for the update, <= 1.2x for compile time).

    python benchmarks/adapters.py
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import lrsched as l


def _median_us(fn: Callable[[], Any], calls: int, repeats: int = 9) -> float:
    runs = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        runs.append((time.perf_counter() - start) / calls)
    return statistics.median(runs) * 1e6


def torch_steps() -> None:
    import torch

    from lrsched.adapters.torch import lambda_lr

    total = 200_000

    def optimizer() -> torch.optim.Optimizer:
        return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1, momentum=0.9)

    one = l.one_cycle(max_lr=0.1, total_steps=total - 1, pct_start=(0.3 * total - 1) / (total - 1))
    clr = l.cyclic(base_lr=0.01, max_lr=0.1, step_size_up=2000, mode="triangular2")
    pairs = {
        "OneCycleLR (+momentum)": (
            lambda o: torch.optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=total),
            lambda o: lambda_lr(o, one, momentum=l.inverse_momentum(schedule=one)),
        ),
        "CyclicLR triangular2 (+momentum)": (
            lambda o: torch.optim.lr_scheduler.CyclicLR(o, 0.01, 0.1, step_size_up=2000, mode="triangular2"),
            lambda o: lambda_lr(o, clr, momentum=l.inverse_momentum(schedule=clr, base_momentum=0.8, max_momentum=0.9)),
        ),
        "CosineAnnealingWarmRestarts T_mult=2": (
            lambda o: torch.optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=100, T_mult=2),
            lambda o: lambda_lr(o, l.cosine_restarts(max_lr=0.1, first_cycle_steps=100, cycle_mult=2)),
        ),
    }
    print("torch scheduler.step(), median over 9 x 20000 steps")
    for name, (native, ours) in pairs.items():
        times = {}
        for label, make in (("native", native), ("lrsched", ours)):
            opt = optimizer()
            sched = make(opt)
            opt.step()
            times[label] = _median_us(sched.step, 20_000)
        ratio = times["lrsched"] / times["native"]
        print(
            f"  {name:38} native {times['native']:6.2f} us  lrsched {times['lrsched']:6.2f} us  "
            f"ratio {ratio:.2f}x (target <= 1.0x)"
        )


def optax_updates() -> None:
    import jax
    import jax.numpy as jnp
    import optax

    from lrsched.adapters.optax import to_optax

    steps = 10_000
    schedules = {
        "optax.cosine_onecycle_schedule": optax.cosine_onecycle_schedule(steps, 0.1),
        "to_optax(one_cycle)": to_optax(l.one_cycle(max_lr=0.1, total_steps=steps, pct_start=int(0.3 * steps) / steps)),
    }
    params = {"w": jnp.ones((256, 256)), "b": jnp.ones(256)}
    results = {}
    for name, schedule in schedules.items():
        opt = optax.sgd(learning_rate=schedule, momentum=0.9)
        state = opt.init(params)

        def update(params: Any, state: Any, opt: Any = opt) -> Any:
            grads = jax.tree_util.tree_map(jnp.ones_like, params)
            updates, state = opt.update(grads, state, params)
            return optax.apply_updates(params, updates), state

        start = time.perf_counter()
        compiled = jax.jit(update).lower(params, state).compile()
        compile_s = time.perf_counter() - start
        p, s = compiled(params, state)
        jax.block_until_ready(p)

        def run(p: Any = p, s: Any = s, compiled: Any = compiled) -> None:
            jax.block_until_ready(compiled(p, s)[0])

        results[name] = (_median_us(run, 2000), compile_s)
    native, ours = results["optax.cosine_onecycle_schedule"], results["to_optax(one_cycle)"]
    print("jitted optax SGD update (256x256 params), median over 9 x 2000 updates")
    for name, (us, compile_s) in results.items():
        print(f"  {name:32} update {us:7.2f} us  compile {compile_s * 1e3:7.1f} ms")
    print(
        f"  ratio update {ours[0] / native[0]:.3f}x (target <= 1.02x), "
        f"compile {ours[1] / native[1]:.2f}x (target <= 1.2x)"
    )


if __name__ == "__main__":
    torch_steps()
    optax_updates()
