"""The Keras range-test runner: per-batch losses, and exact restore."""

import numpy as np
import pytest

import lrsched as l

keras = pytest.importorskip("keras", reason="keras is not installed; CI installs it")
pytest.importorskip("tensorflow", reason="tensorflow is not installed; CI installs it")
from lrsched.adapters.keras import range_test, to_keras  # noqa: E402


def _model(optimizer=None):
    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [
            keras.Input((4,)),
            keras.layers.Dense(8, activation="relu"),
            keras.layers.BatchNormalization(),
            keras.layers.Dropout(0.1),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate=0.01), loss="mse")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(96, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [0.0]])).astype("float32")
    model.fit(x, y, batch_size=32, epochs=1, verbose=0)  # mid-training: built optimizer with state
    return model, x, y


def _snapshot(model):
    return [v.numpy().copy() for v in model.variables], [v.numpy().copy() for v in model.optimizer.variables]


def _assert_restored(model, before):
    for variable, value in zip(model.variables, before[0], strict=True):
        np.testing.assert_array_equal(variable.numpy(), value)
    for variable, value in zip(model.optimizer.variables, before[1], strict=True):
        np.testing.assert_array_equal(variable.numpy(), value)


def test_records_applied_lr_and_per_batch_loss_then_restores():
    model, x, y = _model()
    before = _snapshot(model)
    r = range_test(model, x, y, batch_size=32, start_lr=1e-4, end_lr=1e-2, num_steps=9, progress=False)
    np.testing.assert_allclose(r.lrs, l.range_sweep(start_lr=1e-4, end_lr=1e-2, num_steps=8)(np.arange(9)), rtol=1e-6)
    _assert_restored(model, before)
    # Step 0's loss is batch 0's own loss: the restored model, trained once on batch 0 at
    # the sweep's first LR, reports the same value.
    model.optimizer.learning_rate = 1e-4
    logs = model.train_on_batch(x[:32], y[:32], return_dict=True)
    assert r.losses[0] == pytest.approx(logs["loss"], rel=1e-5)


def test_per_batch_losses_are_not_running_means():
    # Batches of very different difficulty: a running mean would smear them together.
    model, x, y = _model(keras.optimizers.SGD(learning_rate=1e-9))
    y2 = y.copy()
    y2[32:64] *= 100.0
    r = range_test(model, x, y2, batch_size=32, start_lr=1e-9, end_lr=1e-8, num_steps=3, progress=False, diverge=1e9)
    assert r.losses[1] > 100 * r.losses[0] and r.losses[2] < r.losses[1] / 100


def test_divergence_stops_and_restores():
    model, x, y = _model(keras.optimizers.SGD(learning_rate=0.01, momentum=0.9))
    before = _snapshot(model)
    r = range_test(model, x, y, start_lr=1e-3, end_lr=1e4, num_steps=200, progress=False)
    assert r.stopped.startswith(("diverged", "non-finite")) and len(r.lrs) < 200
    _assert_restored(model, before)


@pytest.mark.parametrize("error", [RuntimeError("data failed"), KeyboardInterrupt()])
def test_an_exception_or_interrupt_mid_sweep_restores(error):
    model, x, y = _model(keras.optimizers.SGD(learning_rate=0.01, momentum=0.9))
    before = _snapshot(model)

    def batches():
        for i in range(0, 96, 32):
            yield x[i : i + 32], y[i : i + 32]
        raise error  # after two optimizer steps' worth of training

    with pytest.raises(type(error)):
        range_test(model, batches(), num_steps=10, progress=False)
    _assert_restored(model, before)


def test_bad_input():
    model, x, y = _model()
    with pytest.raises(ValueError, match="data is empty"):
        range_test(model, [], num_steps=5, progress=False)
    with pytest.raises(ValueError, match="end_lr"):
        range_test(model, x, y, start_lr=1.0, end_lr=0.1, progress=False)
    scheduled, _, _ = _model(keras.optimizers.SGD(learning_rate=to_keras(l.constant(lr=0.1))))
    with pytest.raises(ValueError, match="schedule"):
        range_test(scheduled, x, y, progress=False)
    uncompiled = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="compiled"):
        range_test(uncompiled, x, y, progress=False)


def test_batches_with_a_y_and_a_callable_lr_are_refused_before_training():
    # A list of (x, y) batches with y as well trained on the first batch again and again
    # (a structure warning alone; Model.fit refuses it); a callable LR failed at step 0
    # with AttributeError ('function' object has no attribute 'assign').
    model, x, y = _model()
    before = _snapshot(model)
    batches = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 96, 32)]
    with pytest.raises(ValueError, match="y is given, but x is not arrays"):
        range_test(model, batches, y, num_steps=5, progress=False)
    _assert_restored(model, before)
    called, _, _ = _model(keras.optimizers.SGD(learning_rate=lambda: 0.01))
    with pytest.raises(ValueError, match="learning_rate is a callable"):
        range_test(called, x, y, num_steps=5, progress=False)


def test_numpy_integers_are_whole_numbers():
    model, x, y = _model()
    result = range_test(model, x, y, num_steps=np.int64(6), batch_size=np.int64(16), progress=False)
    assert len(result.lrs) == 6 and result.sweep[2] == 6 and type(result.sweep[2]) is int


def test_nan_loss_and_an_exception_inside_the_loss_restore():
    import tensorflow as tf

    model, x, y = _model(keras.optimizers.SGD(learning_rate=0.01, momentum=0.9))
    before = _snapshot(model)
    nan_model = keras.Sequential(model.layers)
    nan_model.compile(optimizer=model.optimizer, loss=lambda t, p: keras.ops.mean((t - p) ** 2) * float("nan"))
    r = range_test(nan_model, x, y, num_steps=10, progress=False)
    assert r.stopped == "non-finite loss at step 0" and r.suggest("min").lr is None
    _assert_restored(model, before)

    def failing_loss(targets, predictions):
        tf.debugging.assert_less(tf.reduce_max(targets), -1e9, message="loss refused the batch")
        return keras.ops.mean((targets - predictions) ** 2)

    failing_model = keras.Sequential(model.layers)
    failing_model.compile(optimizer=model.optimizer, loss=failing_loss)
    with pytest.raises(Exception, match="loss refused the batch"):
        range_test(failing_model, x, y, num_steps=10, progress=False)
    _assert_restored(model, before)


def test_single_pass_data_keeps_the_partial_curve():
    model, x, y = _model()
    before = _snapshot(model)
    batches = ((x[i : i + 32], y[i : i + 32]) for i in range(0, 96, 32))
    r = range_test(model, batches, start_lr=1e-5, end_lr=1e-4, num_steps=20, progress=False)
    assert r.lrs.size == 3 and r.stopped.startswith("data ran out after 3 steps")
    _assert_restored(model, before)


def test_snapshots_refuse_steps_per_execution_above_one():
    # Snapshots are taken by the callback at cycle ends, which it would not see between
    # executions. (CyclicalMomentum computes beta_1 inside each step: it takes any
    # steps_per_execution; test_adapter_keras checks its every step.)
    from lrsched.adapters.keras import SnapshotCallback

    schedule = l.cosine_restarts(max_lr=0.01, first_cycle_steps=3)
    x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
    y = x[:, :1]
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse", steps_per_execution=3)
    with pytest.raises(ValueError, match="steps_per_execution=3"):
        model.fit(x, y, batch_size=4, epochs=1, verbose=0, callbacks=[SnapshotCallback(schedule)])


def test_an_interrupted_fit_with_cyclical_momentum_leaves_the_model_saveable(tmp_path):
    from lrsched.adapters.keras import CyclicalMomentum

    class Interrupt(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 2:
                raise KeyboardInterrupt

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    x = np.random.default_rng(0).random((64, 3)).astype("float32")
    y = x[:, :1]
    momentum = l.inverse_momentum(schedule=l.one_cycle(max_lr=0.1, total_steps=100))
    with pytest.raises(KeyboardInterrupt):
        model.fit(x, y, batch_size=8, verbose=0, callbacks=[CyclicalMomentum(momentum), Interrupt()])
    model.fit(x, y, batch_size=8, verbose=0)  # still trains
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded.optimizer.beta_1, float) and 0.85 <= loaded.optimizer.beta_1 <= 0.95
    loaded.fit(x, y, batch_size=8, verbose=0)


def test_the_readme_keras_example_suggests_where_the_loss_falls():
    # The README's Keras example (linear regression, SGD with momentum 0.9): the loss falls
    # from about 1e-3 on and blows up near 1. lrsched 0.1's steepest read early noise (6e-6).
    from lrsched.adapters.keras import range_test as keras_range_test

    x = np.random.default_rng(0).normal(size=(512, 4)).astype("float32")
    y = x.sum(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), loss="mse")
    result = keras_range_test(model, x, y, batch_size=32, start_lr=1e-6, end_lr=10)
    assert 1e-3 < result.suggest("steepest").lr < 0.3
    for use in ("constant", "one_cycle"):
        assert 1e-3 < result.recommend(use).lr < 0.5, result.recommend(use)


def test_confirmation_trains_from_the_sweeps_start_and_scores_as_by_hand():
    from lrsched.rangetest import candidate_lrs, short_schedule

    def fresh():
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="tanh"), keras.layers.Dense(1)])
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9), loss="mse")
        model.optimizer.build(model.trainable_variables)
        return model

    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 4)).astype("float32")
    y = (x @ np.array([[1.0], [-2.0], [0.5], [0.0]])).astype("float32")
    held = (x[96:], y[96:])
    model = fresh()
    before = _snapshot(model)
    r = range_test(model, x[:96], y[:96], confirm=3, confirm_use="cyclic", confirm_steps=20, confirm_data=held)
    _assert_restored(model, before)
    confirmed = r.confirmation
    assert confirmed is not None and confirmed.lrs == pytest.approx(candidate_lrs(confirmed.recommended), rel=1e-12)

    def by_hand(lr):
        trained = fresh()
        schedule = short_schedule("cyclic", lr, 20)
        for step in range(20):
            trained.optimizer.learning_rate = float(schedule(step))
            i = (step % 3) * 32
            trained.train_on_batch(x[i : i + 32], y[i : i + 32])
        value = float(trained.evaluate(*held, verbose=0, return_dict=True)["loss"])
        return value if np.isfinite(value) else np.inf

    expected = [by_hand(lr) for lr in confirmed.lrs]
    np.testing.assert_allclose(confirmed.scores, expected, rtol=1e-4)
    assert r.recommend("cyclic").lr == confirmed.lrs[int(np.argmin(expected))]
    with pytest.raises(ValueError, match="confirm_data"):
        range_test(model, x, y, confirm=3)


def _first_losses_by_keras(model, batches, lrs):
    """What Keras reports training the restored model on the same batches at the same LRs."""
    losses = []
    for (inputs, targets, weights), lr in zip(batches, lrs, strict=False):
        model.optimizer.learning_rate = lr
        losses.append(model.train_on_batch(inputs, targets, sample_weight=weights, return_dict=True)["loss"])
    return losses


def test_the_input_kinds_fit_takes_record_each_batchs_own_loss():
    # As Model.fit reads them: batches with sample weights, several inputs as a list or a
    # dict of arrays, and a model that adds its own loss given x alone.
    tf = pytest.importorskip("tensorflow", reason="tensorflow is not installed; CI installs it")
    rng = np.random.default_rng(1)
    x1, x2 = rng.normal(size=(64, 3)).astype("float32"), rng.normal(size=(64, 2)).astype("float32")
    y = (x1.sum(1, keepdims=True) - x2[:, :1]).astype("float32")
    weights = rng.uniform(0.5, 2.0, size=64).astype("float32")

    def two_inputs():
        keras.utils.set_random_seed(0)
        a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
        out = keras.layers.Dense(1)(keras.layers.Concatenate()([a, b]))
        model = keras.Model([a, b], out)
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
        return model

    def by_name():
        keras.utils.set_random_seed(0)
        a, b = keras.Input((3,), name="a"), keras.Input((2,), name="b")
        out = keras.layers.Dense(1)(keras.layers.Concatenate()([a, b]))
        model = keras.Model({"a": a, "b": b}, out)
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
        return model

    def adds_its_own_loss():
        keras.utils.set_random_seed(0)

        class Reconstruct(keras.Model):
            def __init__(self):
                super().__init__()
                self.dense = keras.layers.Dense(3)

            def call(self, inputs):
                out = self.dense(inputs)
                self.add_loss(keras.ops.mean((out - inputs) ** 2))
                return out

        model = Reconstruct()
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01))
        model(x1[:1])
        return model

    weighted = tf.data.Dataset.from_tensor_slices((x1, y, weights)).batch(16)
    cases = [
        (
            two_inputs,
            ([x1, x2], y),
            [((x1[i : i + 16], x2[i : i + 16]), y[i : i + 16], None) for i in range(0, 64, 16)],
        ),
        (
            by_name,
            ({"a": x1, "b": x2}, y),
            [({"a": x1[i : i + 16], "b": x2[i : i + 16]}, y[i : i + 16], None) for i in range(0, 64, 16)],
        ),
        (adds_its_own_loss, (x1, None), [(x1[i : i + 16], None, None) for i in range(0, 64, 16)]),
    ]
    dense = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    for make, (x, targets), batches in cases:
        model = make()
        before = _snapshot(model)
        r = range_test(model, x, targets, batch_size=16, start_lr=1e-3, end_lr=1e-1, num_steps=4, progress=False)
        _assert_restored(model, before)
        np.testing.assert_allclose(r.losses, _first_losses_by_keras(model, batches, r.lrs), rtol=1e-5)
    keras.utils.set_random_seed(0)
    dense.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01), loss="mse")
    before = _snapshot(dense)
    r = range_test(dense, weighted, start_lr=1e-3, end_lr=1e-1, num_steps=4, progress=False)
    _assert_restored(dense, before)
    batches = [(x1[i : i + 16], y[i : i + 16], weights[i : i + 16]) for i in range(0, 64, 16)]
    np.testing.assert_allclose(r.losses, _first_losses_by_keras(dense, batches, r.lrs), rtol=1e-5)


def test_val_data_is_read_as_fits_validation_data():
    tf = pytest.importorskip("tensorflow", reason="tensorflow is not installed; CI installs it")
    model, x, y = _model()
    held_x, held_y = x[:32], y[:32]
    as_arrays = range_test(model, x, y, val_data=(held_x, held_y), num_steps=3, progress=False)
    as_dataset = range_test(
        model, x, y, val_data=tf.data.Dataset.from_tensor_slices((held_x, held_y)).batch(8), num_steps=3, progress=False
    )
    np.testing.assert_allclose(as_dataset.losses, as_arrays.losses, rtol=1e-5)
    # Sample weights reach evaluate: Keras' weighted loss is the mean of weight * loss, so
    # weights of 2 double every held-out loss of the same sweep.
    twos = np.full(32, 2.0, dtype="float32")
    weighted = range_test(model, x, y, val_data=(held_x, held_y, twos), num_steps=3, progress=False)
    np.testing.assert_allclose(weighted.losses, 2.0 * np.asarray(as_arrays.losses), rtol=1e-5)
    before = _snapshot(model)
    with pytest.raises(TypeError, match="validation_data"):
        range_test(model, x, y, val_data=[(held_x, held_y)], num_steps=3, progress=False)
    with pytest.raises(TypeError, match="re-iterable"):
        range_test(model, x, y, val_data=((held_x, held_y) for _ in range(3)), num_steps=3, progress=False)
    _assert_restored(model, before)  # refused before any training
