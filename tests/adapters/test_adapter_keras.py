"""The Keras adapter against Keras' own schedules, in fit, through .keras save/load."""

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import lrsched as l

keras = pytest.importorskip("keras", reason="keras is not installed; CI installs it")
pytest.importorskip("tensorflow", reason="tensorflow is not installed; CI installs it")
from lrsched.adapters.keras import CyclicalMomentum, KerasSchedule, to_keras  # noqa: E402
from tests.support import WORKERS  # noqa: E402


def _compare(ours, peer, horizon, scale):
    steps = np.arange(0, 3 * horizon + 1)
    mine = np.array([float(to_keras(ours)(keras.ops.convert_to_tensor(s, "int64"))) for s in steps])
    theirs = np.array([float(peer(keras.ops.convert_to_tensor(s, "int64"))) for s in steps])
    # Keras computes its cycle position in float32 from step / first_decay_steps: far into
    # training its own value drifts by up to max_slope * step * 2**-23. Ours stays on the
    # float64 value to float32 rounding (second check).
    drift = ours.max_slope * steps * 2.0**-23
    assert np.all(np.abs(mine - theirs) <= 1e-6 * np.abs(theirs) + 1e-6 * scale + drift)
    np.testing.assert_allclose(mine, ours(steps), rtol=1e-6, atol=1e-7 * scale)


@pytest.mark.parametrize("t_mul, m_mul, alpha", [(1.0, 1.0, 0.0), (2.0, 0.5, 0.1), (3.0, 0.8, 0.0)])
def test_cosine_decay_restarts(t_mul, m_mul, alpha):
    ours = l.cosine_restarts(max_lr=0.1, first_cycle_steps=10, min_lr=0.1 * alpha, cycle_mult=t_mul, peak_decay=m_mul)
    peer = keras.optimizers.schedules.CosineDecayRestarts(0.1, 10, t_mul=t_mul, m_mul=m_mul, alpha=alpha)
    _compare(ours, peer, 130, 0.1)


def test_exponential_decay_staircase():
    ours = l.step_decay(initial_lr=0.1, drop=0.9, every=7)
    peer = keras.optimizers.schedules.ExponentialDecay(0.1, decay_steps=7, decay_rate=0.9, staircase=True)
    _compare(ours, peer, 100, 0.1)


def test_piecewise_constant_decay():
    # Keras switches after a boundary (step > b): on whole steps that is join at b + 1.
    ours = l.join(schedules=[l.constant(lr=0.1), l.constant(lr=0.05), l.constant(lr=0.01)], boundaries=[11, 31])
    peer = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries=[10, 30], values=[0.1, 0.05, 0.01])
    _compare(ours, peer, 40, 0.1)


def _data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    return x, (x @ np.array([[1.0], [-2.0], [0.5], [0.0]], dtype="float32")).astype("float32")


class RecordLR(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.lrs = []

    def on_train_batch_begin(self, batch, logs=None):
        self.lrs.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))


def test_fit_save_load_and_continue_with_same_lr_sequence(tmp_path):
    schedule = l.one_cycle(max_lr=0.05, total_steps=32, three_phase=True, pct_start=0.25)
    x, y = _data()

    def model():
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
        m.compile(optimizer=keras.optimizers.SGD(learning_rate=to_keras(schedule)), loss="mse")
        return m

    straight = model()
    record = RecordLR()
    straight.fit(x, y, batch_size=8, epochs=4, verbose=0, shuffle=False, callbacks=[record])
    np.testing.assert_allclose(record.lrs, schedule(np.arange(32)), rtol=1e-6, atol=1e-7 * 0.05)

    first = model()
    first.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    path = tmp_path / "model.keras"
    first.save(path)
    # Load in a fresh process that imports only lrsched.adapters.keras: no custom_objects.
    script = textwrap.dedent(f"""
        import numpy as np, keras, lrsched.adapters.keras
        m = keras.saving.load_model({str(path)!r})
        rec = []
        class R(keras.callbacks.Callback):
            def on_train_batch_begin(self, b, logs=None):
                rec.append(float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate)))
        x = np.load({str(tmp_path / "x.npy")!r}); y = np.load({str(tmp_path / "y.npy")!r})
        m.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False, callbacks=[R()])
        print(repr(rec)); print(repr([w.tolist() for w in m.get_weights()]))
    """)
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", y)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=dict(os.environ))
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    resumed_lrs, resumed_weights = eval(lines[-2]), eval(lines[-1])
    assert resumed_lrs == pytest.approx(record.lrs[16:], rel=1e-6, abs=1e-12)
    for a, b in zip(straight.get_weights(), resumed_weights, strict=True):
        np.testing.assert_allclose(a, np.array(b), rtol=1e-5, atol=1e-6)


def test_config_round_trip_and_unknown_format():
    schedule = l.warmup(schedule=l.cosine_decay(initial_lr=0.1, decay_steps=10), steps=3)
    k = to_keras(schedule)
    again = keras.optimizers.schedules.deserialize(keras.optimizers.schedules.serialize(k))
    assert isinstance(again, KerasSchedule) and again.schedule == schedule
    with pytest.raises(ValueError, match="format must be 1"):
        KerasSchedule.from_config({"format": 99, "schedule": schedule.to_config()})
    with pytest.raises(TypeError, match="lrsched schedule"):
        to_keras(keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.9))


def _adam_weights(callbacks, beta_1):
    x, y = _data()
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01, beta_1=beta_1), loss="mse")
    m.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False, callbacks=callbacks)
    return m


def test_cyclical_momentum_drives_adam_beta_1_inside_the_compiled_step():
    # The compiled step really reads the driven value: a constant 0.5 through the
    # callback trains exactly as beta_1=0.5 set directly, unlike the 0.9 it started with.
    driven = _adam_weights([CyclicalMomentum(l.constant(lr=0.5))], beta_1=0.9)
    direct = _adam_weights([], beta_1=0.5)
    default = _adam_weights([], beta_1=0.9)
    for a, b, c in zip(driven.get_weights(), direct.get_weights(), default.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6)
        assert not np.allclose(a, c, rtol=1e-6)
    # With a cyclic schedule, beta_1 before each batch is momentum(iterations).
    schedule = l.one_cycle(max_lr=0.01, total_steps=16)
    momentum = l.inverse_momentum(schedule=schedule)
    seen = []

    class Read(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            seen.append(float(keras.ops.convert_to_numpy(self.model.optimizer.beta_1)))

    model = _adam_weights([CyclicalMomentum(momentum), Read()], beta_1=0.9)
    np.testing.assert_allclose(seen, momentum(np.arange(16)), rtol=1e-6)
    assert isinstance(model.optimizer.beta_1, float)  # plain again after fit: saves as usual


def test_cyclical_momentum_drives_the_inner_optimizer_under_mixed_precision():
    # Keras wraps the compiled Adam in a LossScaleOptimizer, which has no beta_1 of its
    # own: the callback refused it ("use an Adam-family optimizer").
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        momentum = l.inverse_momentum(schedule=l.one_cycle(max_lr=0.01, total_steps=16))
        seen, steps = [], []

        class Read(keras.callbacks.Callback):
            def on_train_batch_begin(self, batch, logs=None):
                inner = self.model.optimizer.inner_optimizer
                seen.append(float(keras.ops.convert_to_numpy(inner.beta_1)))
                # the updates applied so far: a step the loss scale skips is not one
                steps.append(int(keras.ops.convert_to_numpy(inner.iterations)))

        model = _adam_weights([CyclicalMomentum(momentum), Read()], beta_1=0.9)
        assert type(model.optimizer).__name__ == "LossScaleOptimizer"
    finally:
        keras.mixed_precision.set_global_policy("float32")
    np.testing.assert_allclose(seen, momentum(np.asarray(steps, dtype=np.float64)), rtol=1e-6)
    assert len(set(steps)) > 8  # most batches were applied updates


def test_cyclical_momentum_rejects_sgd():
    x, y = _data()
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    m.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), loss="mse")
    with pytest.raises(ValueError, match="beta_1"):
        m.fit(x, y, epochs=1, verbose=0, callbacks=[CyclicalMomentum(l.constant(lr=0.9))])
    with pytest.raises(ValueError, match="below 1"):
        CyclicalMomentum(l.constant(lr=1.0))


def _triangle(step, low, high, step_size):
    """Smith's triangular cycle (CLR, 2017, section 3.1), from its formula."""
    cycle = np.floor(1 + step / (2 * step_size))
    x = np.abs(step / step_size - 2 * cycle + 1)
    return low + (high - low) * np.maximum(0.0, 1 - x)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["tensorflow", "jax", "torch"])
def test_cyclical_momentum_is_the_beta_1_each_step_uses_on_every_backend(backend):
    # Each backend in its own interpreter (KERAS_BACKEND is read when keras is imported;
    # torch and TensorFlow-backed Keras in one process are not safe). The worker reads back,
    # from Adam's first moment, the beta_1 each step really used: the JAX train step once
    # kept the beta_1 it was traced with (0.9 at every step).
    pytest.importorskip(backend, reason=f"{backend} is not installed; CI installs it")
    worker = WORKERS / "keras_backend_worker.py"
    env = dict(os.environ, KERAS_BACKEND=backend)
    done = subprocess.run([sys.executable, str(worker)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    steps = np.arange(12)
    assert got["backend"] == backend and got["iterations"] == 12
    np.testing.assert_allclose(got["betas"], _triangle(steps, 0.8, 0.95, 3), rtol=0, atol=2e-5)
    np.testing.assert_allclose(got["lrs"], _triangle(steps, 1e-4, 1e-3, 4), rtol=1e-6)
    assert got["beta_1_after"] == pytest.approx(float(_triangle(12, 0.8, 0.95, 3)), abs=1e-6)  # the next step's
    # Accumulating gradients over 3 batches, each update uses momentum and LR at the count
    # Keras' own LR schedule is given (its batches so far): beta_1 stood still at
    # momentum(0) (read once from the count of updates, a value, at the start of fit).
    assert got["accumulated_updates"] == [2, 5, 8, 11]
    counts = np.array(got["accumulated_updates"])
    np.testing.assert_allclose(got["accumulated_betas"], _triangle(counts, 0.8, 0.95, 3), rtol=0, atol=2e-5)
    np.testing.assert_allclose(got["accumulated_lrs"], _triangle(steps, 1e-4, 1e-3, 4), rtol=1e-6)
    assert got["nadam_driven_is_direct"]
    # Four steps an execution: the first moment at the end of each execution is Adam's
    # m_k = b_k m_(k-1) + (1 - b_k) (every gradient 1) with b_k = momentum(k) at every
    # step, the steps between callbacks included.
    if backend != "torch":
        first_moment = [0.0]
        for beta in _triangle(steps, 0.8, 0.95, 3):
            first_moment.append(beta * first_moment[-1] + (1.0 - beta))
        np.testing.assert_allclose(got["execution_moments"], first_moment[::4], rtol=0, atol=1e-6)
