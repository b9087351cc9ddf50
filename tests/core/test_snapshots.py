"""Snapshot ensembles: cycle arithmetic against exact integers, and the torch helper."""

import math
import os

import numpy as np
import pytest

import lrsched as l
from lrsched.snapshots import SnapshotKeeper


def _exact_ends(first, mult, until):
    ends, start, length = [], 0, first
    while start + length <= until:
        start += length
        ends.append(start)
        length *= mult
    return ends


@pytest.mark.parametrize("mult", [1, 2, 3])
def test_cosine_restarts_cycle_ends_match_integer_arithmetic(mult):
    s = l.cosine_restarts(max_lr=1.0, first_cycle_steps=7, cycle_mult=mult)
    until = 10**12 if mult > 1 else 7 * 200
    ends = _exact_ends(7, mult, until)
    assert list(s.cycle_ends(until)) == ends
    for i, end in enumerate(ends):
        assert s.ends_cycle(end) and not s.ends_cycle(end - 1) and not s.ends_cycle(end + 1)
        assert s.cycle_index(end) == i + 1 and s.cycle_index(end - 1) == i
    # The same answers for a NumPy array of large steps.
    steps = np.array(ends[-5:], dtype=np.float64)
    assert s.ends_cycle(steps).all() and not s.ends_cycle(steps - 1).any()
    np.testing.assert_array_equal(s.cycle_index(steps), np.arange(len(ends) - 4, len(ends) + 1))


def test_cyclic_and_compositions():
    c = l.cyclic(base_lr=0.1, max_lr=1.0, step_size_up=3, step_size_down=5)
    assert c.cycle_ends(40) == (8.0, 16.0, 24.0, 32.0, 40.0) and c.cycle_ends(40, since=17) == (24.0, 32.0, 40.0)
    w = l.warmup(schedule=l.cosine_restarts(max_lr=1.0, first_cycle_steps=10, cycle_mult=2), steps=5)
    assert w.cycle_ends(100) == (15.0, 35.0, 75.0) and w.ends_cycle(35) and w.cycle_index(36) == 2
    j = l.join(schedules=[l.constant(lr=0.1), c], boundaries=[4])
    assert j.cycle_ends(30) == (12.0, 20.0, 28.0)
    m = l.inverse_momentum(schedule=c)
    assert m.cycle_ends(16) == (8.0, 16.0)


def test_ends_cycle_inside_jax_jit():
    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    s = l.cosine_restarts(max_lr=1.0, first_cycle_steps=10, cycle_mult=2)
    flags = jax.jit(jax.vmap(s.ends_cycle))(jax.numpy.arange(200, dtype=jax.numpy.int32))
    assert np.flatnonzero(np.asarray(flags)).tolist() == [10, 30, 70, 150]


def test_policies_without_cycles_say_so():
    for s in (
        l.one_cycle(max_lr=1.0, total_steps=10),
        l.constant(lr=0.1),
        l.join(schedules=[l.constant(lr=0.1), l.constant(lr=0.2)], boundaries=[3]),
    ):
        assert not s.has_cycles
        with pytest.raises(ValueError, match="no cycles"):
            s.cycle_ends(100)


@pytest.mark.parametrize(
    ("schedule", "due"),
    [
        # Ends 10, 25, 47.5 (10 + 15 + 22.5): the cycle to 47.5 takes its last update at step 47.
        (l.cosine_restarts(max_lr=0.1, first_cycle_steps=10, cycle_mult=1.5), [10, 25, 48]),
        (l.cosine_restarts(max_lr=0.1, first_cycle_steps=7.5), [8, 15, 23, 30, 38, 45, 53, 60]),
        (
            l.cyclic(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=2.5),
            [6, 11, 17, 22, 28, 33, 39, 44, 50, 55],
        ),
        (
            l.join(
                schedules=[l.constant(lr=0.01), l.cosine_restarts(max_lr=0.1, first_cycle_steps=10)], boundaries=[5.5]
            ),
            [16, 26, 36, 46, 56],
        ),
    ],
)
def test_a_snapshot_is_due_after_the_update_that_completes_each_cycle(schedule, due):
    # Fractional cycle ends (lengths or boundaries from epochs times steps per epoch):
    # each is due at the first whole update count at or after it.
    assert [math.ceil(end) for end in schedule.cycle_ends(60)] == due
    keeper = SnapshotKeeper(schedule, keep=100)
    assert [step for step in range(1, 61) if keeper.step()] == due


torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
from lrsched.adapters.torch import Snapshots, ensemble_predict, lambda_lr  # noqa: E402


def _train(snapshots_kwargs, steps=40):
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 4)
    schedule = l.cosine_restarts(max_lr=0.1, first_cycle_steps=5, cycle_mult=2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = lambda_lr(optimizer, schedule)
    keeper = Snapshots(model, schedule, **snapshots_kwargs)
    truth = {}
    for step in range(steps):
        x = torch.randn(8, 3, generator=torch.Generator().manual_seed(step))
        loss = model(x).pow(2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        scheduler.step()
        keeper.step()
        truth[step + 1] = {k: v.clone() for k, v in model.state_dict().items()}
    return model, keeper, truth


@pytest.mark.parametrize("in_directory", [False, True])
def test_snapshots_equal_the_weights_at_cycle_ends(in_directory, tmp_path):
    kwargs = {"keep": 2, "directory": tmp_path / "snaps"} if in_directory else {"keep": 2}
    model, keeper, truth = _train(kwargs)
    assert [step for step, _ in keeper.kept] == [15, 35]  # ends 5, 15, 35; the last 2 kept
    for (step, _), state in zip(keeper.kept, keeper.state_dicts, strict=True):
        for k, v in state.items():
            assert torch.equal(v, truth[step][k])
    if in_directory:
        names = sorted(os.listdir(tmp_path / "snaps"))
        assert names == ["snapshot-000000000015.pt", "snapshot-000000000035.pt"]  # no temporaries left


def test_snapshots_never_overwrite_and_check_before_training(tmp_path):
    target = tmp_path / "snaps"
    target.mkdir()
    (target / "snapshot-000000000005.pt").write_text("the user's own file")
    # Refused before any training (it used to fail at the first cycle end).
    with pytest.raises(ValueError, match="already holds snapshots"):
        _train({"directory": target})
    assert (target / "snapshot-000000000005.pt").read_text() == "the user's own file"
    assert not [n for n in os.listdir(target) if n.endswith(".tmp")]
    model = torch.nn.Linear(3, 4)
    with pytest.raises(ValueError, match="keep"):
        Snapshots(model, l.cosine_restarts(max_lr=0.1, first_cycle_steps=5), keep=0)
    with pytest.raises(ValueError, match="has none"):
        Snapshots(model, l.one_cycle(max_lr=0.1, total_steps=5))
    blocked = tmp_path / "file-not-dir"
    blocked.write_text("x")
    with pytest.raises(ValueError, match="cannot be written"):
        Snapshots(model, l.cosine_restarts(max_lr=0.1, first_cycle_steps=5), directory=blocked)


def test_ensemble_averages_softmax_or_logits_and_restores_the_model():
    model, keeper, _ = _train({"keep": 3})
    x = torch.randn(5, 3)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    probs = ensemble_predict(model, keeper.state_dicts, x)
    logits = ensemble_predict(model, keeper.state_dicts, x, average="logits")
    expected_probs, expected_logits = [], []
    for state in keeper.state_dicts:
        out = torch.nn.functional.linear(x, state["weight"], state["bias"])
        expected_probs.append(torch.softmax(out, -1))
        expected_logits.append(out)
    torch.testing.assert_close(probs, torch.stack(expected_probs).mean(0))
    torch.testing.assert_close(logits, torch.stack(expected_logits).mean(0))
    assert torch.allclose(probs.sum(-1), torch.ones(5))
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k])
    with pytest.raises(ValueError, match="average"):
        ensemble_predict(model, keeper.state_dicts, x, average="mean")


def test_keras_snapshots_under_gradient_accumulation_are_kept_at_the_lr_schedules_cycle_ends():
    # Keras gives an LR schedule its count of batches; with gradient_accumulation_steps
    # `iterations` counts updates, and the snapshots came at twice the cycle ends (8, 24).
    keras = pytest.importorskip("keras", reason="keras is not installed; CI installs it")
    from lrsched.adapters.keras import SnapshotCallback, to_keras

    schedule = l.cosine_restarts(max_lr=0.05, first_cycle_steps=4, cycle_mult=2)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    optimizer = keras.optimizers.SGD(learning_rate=to_keras(schedule), gradient_accumulation_steps=2)
    model.compile(optimizer=optimizer, loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    truth = {}

    class Truth(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            truth[len(truth) + 1] = self.model.get_weights()  # after this many batches

    callback = SnapshotCallback(schedule, keep=3)
    model.fit(x, np.zeros((32, 4), "float32"), batch_size=8, epochs=7, verbose=0, shuffle=False,
              callbacks=[callback, Truth()])  # fmt: skip
    assert [step for step, _ in callback.keeper.kept] == [4, 12, 28]  # the schedule's ends in 28 batches
    for (step, _), weights in zip(callback.keeper.kept, callback.weights, strict=True):
        for a, b in zip(weights, truth[step], strict=True):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("in_directory", [False, True])
def test_keras_snapshot_callback_and_ensemble(in_directory, tmp_path):
    keras = pytest.importorskip("keras", reason="keras is not installed; CI installs it")
    from lrsched.adapters.keras import SnapshotCallback, ensemble_predict as keras_ensemble, to_keras

    schedule = l.cosine_restarts(max_lr=0.05, first_cycle_steps=4, cycle_mult=2)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=to_keras(schedule)), loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 3)).astype("float32")
    y = np.zeros((32, 4), "float32")
    truth = {}

    class Truth(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            truth[int(keras.ops.convert_to_numpy(self.model.optimizer.iterations))] = self.model.get_weights()

    callback = SnapshotCallback(schedule, keep=2, directory=str(tmp_path / "k") if in_directory else None)
    model.fit(x, y, batch_size=8, epochs=7, verbose=0, shuffle=False, callbacks=[callback, Truth()])
    assert [step for step, _ in callback.keeper.kept] == [12, 28]  # ends 4, 12, 28 in 28 updates
    for (step, _), weights in zip(callback.keeper.kept, callback.weights, strict=True):
        for a, b in zip(weights, truth[step], strict=True):
            np.testing.assert_array_equal(a, b)
    if in_directory:
        assert sorted(os.listdir(tmp_path / "k")) == [
            "snapshot-000000000012.weights.h5",
            "snapshot-000000000028.weights.h5",
        ]
    before = model.get_weights()
    probs = keras_ensemble(model, callback.weights, x)
    expected = []
    for w in callback.weights:
        out = x @ w[0] + w[1]
        e = np.exp(out - out.max(-1, keepdims=True))
        expected.append(e / e.sum(-1, keepdims=True))
    np.testing.assert_allclose(probs, np.mean(expected, 0), rtol=1e-5, atol=1e-6)
    for a, b in zip(model.get_weights(), before, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("in_directory", [False, True])
def test_a_resumed_run_keeps_its_snapshots_at_the_same_cycle_ends(in_directory, tmp_path):
    # A run resumed from a checkpoint counted from 0 again: with cycle ends 10, 25, 47.5
    # and 81.25, resuming at update 40 kept updates 50, 65 and 88 (all mid-cycle) where 48
    # and 82 are due; and the run's own folder was refused. `start_step` goes on.
    schedule = l.cosine_restarts(max_lr=0.1, first_cycle_steps=10, cycle_mult=1.5)
    assert schedule.cycle_ends(90) == (10.0, 25.0, 47.5, 81.25)
    directory = tmp_path / "snaps" if in_directory else None

    def run(start, stop):
        model = torch.nn.Linear(3, 4)
        keeper = Snapshots(model, schedule, keep=3, directory=directory, start_step=start)
        for _ in range(start, stop):
            keeper.step()
        return keeper

    first = run(0, 40)
    assert [step for step, _ in first.kept] == [10, 25]
    resumed = run(40, 90)
    expected = [25, 48, 82] if in_directory else [48, 82]  # the folder's earlier files are taken up
    assert [step for step, _ in resumed.kept] == expected
    if in_directory:
        names = sorted(os.listdir(directory))
        assert names == ["snapshot-000000000025.pt", "snapshot-000000000048.pt", "snapshot-000000000082.pt"]
        # Files past start_step are another run's: refused, as before.
        with pytest.raises(ValueError, match="past start_step=40"):
            run(40, 41)
    with pytest.raises(ValueError, match="start_step must be a whole number"):
        Snapshots(torch.nn.Linear(3, 4), schedule, start_step=-1)


def test_a_resumed_keras_run_takes_up_its_own_snapshot_files(tmp_path):
    # A new callback on the run's own folder was refused (its earlier snapshots were
    # there): `start_step`, the optimizer's count at the checkpoint, takes them up.
    pytest.importorskip("keras", reason="keras is not installed; CI installs it")
    from lrsched.adapters.keras import SnapshotCallback

    schedule = l.cosine_restarts(max_lr=0.1, first_cycle_steps=10, cycle_mult=1.5)
    folder = tmp_path / "snaps"
    folder.mkdir()
    for step in (10, 25):
        (folder / f"snapshot-{step:012d}.weights.h5").write_bytes(b"")
    with pytest.raises(ValueError, match="already holds snapshots"):
        SnapshotCallback(schedule, directory=str(folder))
    resumed = SnapshotCallback(schedule, keep=2, directory=str(folder), start_step=40)
    assert [step for step, _ in resumed.keeper.kept] == [10, 25]
    with pytest.raises(ValueError, match="past start_step=20"):
        SnapshotCallback(schedule, directory=str(folder), start_step=20)
