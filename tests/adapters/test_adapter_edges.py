"""The optax and Keras adapters on inputs users reach and the other adapter tests do not:
optax's int32 count near 2**31 - 1 under jit, scan and vmap, with x64 off and on, inside
`optax.chain` and `optax.MultiSteps`; Keras configs of every registered policy, the LR each
compiled step really applies (also with `steps_per_execution` and mixed precision), a `.keras`
file, and a checkpoint written while `CyclicalMomentum` drives `beta_1`.

Expected values come from the core's float64 scalar value of the step each framework gives
the schedule: optax's count as float32 rounds it (JAX without x64 computes an int32 count
in float32, see docs/numerics.md), so the reference is the schedule at that rounded step.
"""

import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import lrsched as l
from lrsched.base import Schedule

POLICIES = sorted(Schedule._registry)
# Counts past float32's exact integers, up to the largest int32 (optax's count saturates there).
FAR = [2**24 - 1, 2**24, 2**24 + 1, 2**24 + 3, 2**25 + 2, 2**30 + 5, 2**31 - 2, 2**31 - 1]


def _peak(schedule):
    return max(abs(b) for b in schedule.bounds if math.isfinite(b))


def _at_float32_count(schedule, counts):
    """The core's float64 value at each count as float32 rounds it (JAX without x64)."""
    return schedule(np.asarray(counts, dtype=np.float32).astype(np.float64))


# --- optax ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def jx():
    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    pytest.importorskip("optax", reason="optax is not installed; CI installs it")
    if jax.config.jax_enable_x64:
        pytest.skip("these expectations are for JAX's default float32; x64 runs in its own interpreter below")
    return jax


@pytest.mark.parametrize("policy", POLICIES)
def test_optax_schedule_under_jit_vmap_and_scan_on_int32_counts(jx, policy):
    import jax.numpy as jnp

    from lrsched.adapters.optax import to_optax

    schedule = Schedule._registry[policy].example()
    f = to_optax(schedule)
    near = list(range(0, 8)) + [99, 100, 101, 1000]
    counts = np.array(near + FAR, dtype=np.int32)
    vmapped = jx.jit(jx.vmap(f))(jnp.asarray(counts))
    one_by_one = np.array([float(jx.jit(f)(jnp.int32(c))) for c in counts[:: len(counts) // 4]])
    assert vmapped.dtype == jnp.float32
    tol = {"rtol": 1e-6, "atol": 1e-7 * _peak(schedule)}
    # Below 2**24 float32 holds the count: the value is the schedule's own.
    np.testing.assert_allclose(np.asarray(vmapped)[: len(near)], schedule(np.asarray(near, np.float64)), **tol)
    np.testing.assert_allclose(np.asarray(vmapped), _at_float32_count(schedule, counts), **tol)
    np.testing.assert_allclose(one_by_one, _at_float32_count(schedule, counts[:: len(counts) // 4]), **tol)

    def body(count, _):
        return count + 1, f(count)

    start = 2**31 - 6
    _, scanned = jx.jit(lambda c: jx.lax.scan(body, c, None, length=5))(jnp.int32(start))
    np.testing.assert_allclose(np.asarray(scanned), _at_float32_count(schedule, start + np.arange(5)), **tol)


X64_SCRIPT = textwrap.dedent("""
    import json, sys
    import jax, jax.numpy as jnp, numpy as np
    import lrsched.base as b
    from lrsched.adapters.optax import to_optax
    assert jax.config.jax_enable_x64
    counts = jnp.asarray(json.loads(sys.argv[1]), dtype=jnp.int32)
    out = {}
    for name in json.loads(sys.argv[2]):
        values = jax.jit(jax.vmap(to_optax(b.Schedule._registry[name].example())))(counts)
        wide = jax.jit(jax.vmap(to_optax(b.Schedule._registry[name].example(), jnp.float64)))(counts)
        out[name] = {"dtype": str(values.dtype), "values": np.asarray(values, np.float64).tolist(),
                     "wide_dtype": str(wide.dtype), "wide": np.asarray(wide).tolist()}
    print(json.dumps(out))
""")


@pytest.mark.slow
def test_optax_schedule_with_x64_is_exact_at_far_int32_counts(jx):
    # With x64 the int32 count is computed in float64: no rounded step, float32 out.
    names = ["cosine_restarts", "cyclic", "step_decay", "cosine_decay", "one_cycle", "warmup_stable_decay"]
    counts = [0, 1, 7, *FAR]
    env = dict(os.environ, JAX_ENABLE_X64="1", JAX_PLATFORMS="cpu")
    done = subprocess.run(
        [sys.executable, "-c", X64_SCRIPT, json.dumps(counts), json.dumps(names)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    for name in names:
        schedule = Schedule._registry[name].example()
        assert got[name]["dtype"] == "float32"
        want = schedule(np.asarray(counts, dtype=np.float64))
        np.testing.assert_allclose(got[name]["values"], want, rtol=1e-6, atol=1e-7 * _peak(schedule), err_msg=name)
        # Asked for float64 (inject_schedules' hyperparam_dtype): computed at that width.
        assert got[name]["wide_dtype"] == "float64"
        np.testing.assert_allclose(got[name]["wide"], want, rtol=1e-12, atol=1e-15 * _peak(schedule), err_msg=name)


def test_inject_schedules_inside_chain_under_scan_uses_each_count(jx):
    import jax.numpy as jnp
    import optax

    from lrsched.adapters.optax import inject_schedules

    lr = l.one_cycle(max_lr=0.05, total_steps=12, three_phase=True, pct_start=0.25)
    b1 = l.inverse_momentum(schedule=lr, base_momentum=0.85, max_momentum=0.95)
    opt = optax.chain(optax.clip_by_global_norm(1.0), inject_schedules(optax.adam, learning_rate=lr, b1=b1))
    params = {"w": jnp.arange(3.0)}

    def step(carry, _):
        params, state = carry
        grads = jx.grad(lambda p: jnp.sum((p["w"] - 1.0) ** 2))(params)
        updates, state = opt.update(grads, state, params)
        used = state[1].hyperparams
        return (optax.apply_updates(params, updates), state), (used["learning_rate"], used["b1"])

    _, (lrs, b1s) = jx.jit(lambda c: jx.lax.scan(step, c, None, length=20))((params, opt.init(params)))
    steps = np.arange(20, dtype=np.float64)
    np.testing.assert_allclose(np.asarray(lrs), lr(steps), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(np.asarray(b1s), b1(steps), rtol=1e-6)


def test_inject_schedules_passes_hyperparam_dtype_as_optax_does(jx):
    # optax.inject_hyperparams(hyperparam_dtype=...) keeps the hyperparameters in that
    # dtype whatever the params' (bfloat16 LRs beside float32 params): inject_schedules
    # took no such argument. Side by side with optax's own schedule of the same math.
    import jax.numpy as jnp
    import optax

    from lrsched.adapters.optax import inject_schedules

    params = {"w": jnp.arange(3.0, dtype=jnp.float32)}
    ours = inject_schedules(
        optax.sgd, learning_rate=l.cosine_decay(initial_lr=0.1, decay_steps=8), hyperparam_dtype=jnp.bfloat16
    )
    theirs = optax.inject_hyperparams(optax.sgd, hyperparam_dtype=jnp.bfloat16)(
        learning_rate=optax.cosine_decay_schedule(0.1, 8)
    )
    grads = {"w": jnp.ones(3, dtype=jnp.float32)}
    with pytest.raises(TypeError, match="dtype must be a float dtype"):
        inject_schedules(optax.sgd, learning_rate=l.constant(lr=0.1), hyperparam_dtype=jnp.int32)
    used = []
    for opt in (ours, theirs):
        state, lrs = opt.init(params), []
        for _ in range(10):
            _, state = opt.update(grads, state, params)
            lrs.append(state.hyperparams["learning_rate"])
        used.append(lrs)
    for a, b in zip(*used, strict=True):
        assert a.dtype == b.dtype == jnp.bfloat16
        assert float(a) == float(b)


def test_inject_schedules_under_multisteps_advances_once_per_applied_update(jx):
    # optax.MultiSteps steps its inner optimizer once every k mini-batches: the schedule
    # counts applied updates, so the j-th update (after j*k mini-batches) uses lr(j).
    import jax.numpy as jnp
    import optax

    from lrsched.adapters.optax import inject_schedules

    lr = l.cyclic(base_lr=0.01, max_lr=0.1, step_size_up=2)
    every = 3
    opt = optax.MultiSteps(inject_schedules(optax.sgd, learning_rate=lr, momentum=0.9), every_k_schedule=every)
    params = {"w": jnp.ones(2)}
    state = opt.init(params)
    update = jx.jit(opt.update)
    applied = []
    for _ in range(every * 6):
        updates, state = update({"w": jnp.ones(2)}, state, params)
        params = optax.apply_updates(params, updates)
        if int(state.mini_step) == 0:  # this mini-batch applied an update
            applied.append(float(state.inner_opt_state.hyperparams["learning_rate"]))
    np.testing.assert_allclose(applied, lr(np.arange(6, dtype=np.float64)), rtol=1e-6)


def test_inject_schedules_at_the_saturated_int32_count(jx):
    # optax's counts stop at 2**31 - 1 (a saturating increment): updates there keep
    # using the schedule's value at that count (float32: rounded to 2**31).
    import jax.numpy as jnp
    import optax

    from lrsched.adapters.optax import inject_schedules

    lr = l.cyclic(base_lr=0.1, max_lr=1.0, step_size_up=3)
    opt = inject_schedules(optax.sgd, learning_rate=lr)
    params = {"w": jnp.zeros(2)}
    fresh = opt.init(params)
    start = jnp.int32(2**31 - 3)
    state = fresh._replace(
        count=start, hyperparams_states={k: s._replace(count=start) for k, s in fresh.hyperparams_states.items()}
    )
    update = jx.jit(opt.update)
    used = []
    for _ in range(5):
        _, state = update({"w": jnp.ones(2)}, state, params)
        used.append(float(state.hyperparams["learning_rate"]))
    assert int(state.count) == 2**31 - 1
    counts = [2**31 - 3, 2**31 - 2, 2**31 - 1, 2**31 - 1, 2**31 - 1]
    np.testing.assert_allclose(used, _at_float32_count(lr, counts), rtol=1e-6)


# --- Keras ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ks():
    keras = pytest.importorskip("keras", reason="keras is not installed; CI installs it")
    pytest.importorskip("tensorflow", reason="tensorflow is not installed; CI installs it")
    return keras


@pytest.mark.parametrize("policy", POLICIES)
def test_keras_configs_round_trip_through_json_for_every_policy(ks, policy):
    from lrsched.adapters.keras import KerasSchedule, to_keras

    schedule = Schedule._registry[policy].example()
    wrapped = to_keras(schedule)
    assert KerasSchedule.from_config(json.loads(json.dumps(wrapped.get_config()))).schedule == schedule
    text = json.dumps(ks.optimizers.schedules.serialize(wrapped))
    again = ks.optimizers.schedules.deserialize(json.loads(text))
    assert isinstance(again, KerasSchedule) and again.schedule == schedule
    optimizer = ks.optimizers.Adam(learning_rate=wrapped)
    rebuilt = ks.optimizers.deserialize(json.loads(json.dumps(ks.optimizers.serialize(optimizer))))
    assert rebuilt._learning_rate.schedule == schedule  # the optimizer's schedule itself, not a value
    steps = [0, 1, 7, 99, 100, 101, 1000]
    got = [float(ks.ops.convert_to_numpy(again(ks.ops.convert_to_tensor(s, "int64")))) for s in steps]
    np.testing.assert_allclose(got, schedule(np.asarray(steps, np.float64)), rtol=1e-6, atol=1e-7 * _peak(schedule))
    assert float(ks.ops.convert_to_numpy(optimizer.learning_rate)) == pytest.approx(schedule(0), rel=1e-6, abs=1e-12)


KERAS_SCRIPT = textwrap.dedent("""
    import json, sys
    import keras, numpy as np
    import lrsched as l
    from lrsched.adapters.keras import CyclicalMomentum, to_keras

    lr = l.cyclic(base_lr=1e-3, max_lr=1e-2, step_size_up=3)
    momentum = l.cyclic(base_lr=0.8, max_lr=0.95, step_size_up=3)
    N = 12
    x, y = np.ones((N, 1), "float32"), np.full((N, 1), 1e4, "float32")  # mae: every gradient is -1
    out = {"backend": keras.backend.backend()}

    def model(policy="float32", spe=1, optimizer=None):
        keras.mixed_precision.set_global_policy(policy)
        m = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
        m.compile(optimizer=optimizer or keras.optimizers.SGD(learning_rate=to_keras(lr)), loss="mae",
                  steps_per_execution=spe)
        keras.mixed_precision.set_global_policy("float32")
        return m

    def kernel(m):
        return float(np.ravel(keras.ops.convert_to_numpy(m.trainable_variables[0]))[0])

    def fit(m, callbacks=()):
        seen = []
        class Read(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                seen.append(kernel(self.model))
        m.fit(x, y, batch_size=1, epochs=1, verbose=0, shuffle=False, callbacks=[Read(), *callbacks])
        return seen

    def lr_now(m):
        return float(keras.ops.convert_to_numpy(m.optimizer.learning_rate))

    # SGD with gradient -1: the kernel after batch k is the sum of the LRs steps 0..k applied.
    runs = [("plain", "float32", 1), ("mixed_float16", "mixed_float16", 1)]
    if keras.backend.backend() != "torch":  # Keras' torch trainer refuses steps_per_execution > 1
        runs += [("spe4", "float32", 4), ("mixed_spe3", "mixed_float16", 3)]
    for name, policy, spe in runs:
        m = model(policy, spe)
        before = lr_now(m)
        out[name] = {"kernels": fit(m), "lr_before": before, "lr_after": lr_now(m),
                     "optimizer": type(m.optimizer).__name__,
                     "iterations": int(keras.ops.convert_to_numpy(m.optimizer.iterations))}

    m = model()
    fit(m)
    m.save(sys.argv[1])
    loaded = keras.saving.load_model(sys.argv[1])
    start = kernel(loaded)
    out["loaded"] = {"schedule": loaded.optimizer._learning_rate.schedule.to_config(), "lr": lr_now(loaded),
                     "iterations": int(keras.ops.convert_to_numpy(loaded.optimizer.iterations)),
                     "increments": list(np.diff([start] + fit(loaded)))}

    # A checkpoint written mid-fit while CyclicalMomentum drives beta_1.
    m = model(optimizer=keras.optimizers.Adam(learning_rate=to_keras(lr), beta_1=0.9))
    fit(m, [CyclicalMomentum(momentum), keras.callbacks.ModelCheckpoint(sys.argv[2], save_freq=5)])
    back = keras.saving.load_model(sys.argv[2])
    out["checkpoint"] = {"beta_1": back.optimizer.beta_1, "type": type(back.optimizer.beta_1).__name__,
                         "iterations": int(keras.ops.convert_to_numpy(back.optimizer.iterations))}
    print(json.dumps(out))
""")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_keras_compiled_steps_apply_the_schedule_on_every_backend(ks, backend, tmp_path):
    pytest.importorskip(backend, reason=f"{backend} is not installed; CI installs it")
    lr = l.cyclic(base_lr=1e-3, max_lr=1e-2, step_size_up=3)
    momentum = l.cyclic(base_lr=0.8, max_lr=0.95, step_size_up=3)
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run(
        [sys.executable, "-c", KERAS_SCRIPT, str(tmp_path / "m.keras"), str(tmp_path / "ck.keras")],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["backend"] == backend
    applied = np.cumsum(lr(np.arange(12, dtype=np.float64)))  # the kernel after each step
    tol = {"rtol": 1e-6, "atol": 1e-8}
    runs = ["plain", "mixed_float16"] + ([] if backend == "torch" else ["spe4", "mixed_spe3"])
    for name in runs:
        run = got[name]
        spe = {"spe4": 4, "mixed_spe3": 3}.get(name, 1)
        # Callbacks see the end of each execution of spe steps.
        np.testing.assert_allclose(run["kernels"], applied[spe - 1 :: spe], **tol, err_msg=name)
        assert run["iterations"] == 12
        assert run["lr_before"] == pytest.approx(lr(0), rel=1e-6)
        assert run["lr_after"] == pytest.approx(lr(12), rel=1e-6)
        assert run["optimizer"] == ("LossScaleOptimizer" if name.startswith("mixed") else "SGD")
    loaded = got["loaded"]
    assert loaded["schedule"] == lr.to_config() and loaded["iterations"] == 12
    assert loaded["lr"] == pytest.approx(lr(12), rel=1e-6)
    # Training on resumes on the same sequence: steps 12..23.
    np.testing.assert_allclose(loaded["increments"], lr(np.arange(12, 24, dtype=np.float64)), rtol=2e-5, atol=1e-8)
    # The checkpoint at step 10 holds beta_1 as a number: the momentum of the next step.
    checkpoint = got["checkpoint"]
    assert checkpoint["type"] == "float" and checkpoint["iterations"] == 10
    assert checkpoint["beta_1"] == pytest.approx(momentum(10), rel=1e-6)
