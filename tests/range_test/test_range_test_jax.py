"""The JAX/optax range-test runner."""

import numpy as np
import pytest

import lrsched as l

jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
optax = pytest.importorskip("optax", reason="optax is not installed; CI installs it")
import jax.numpy as jnp  # noqa: E402

from lrsched.adapters.optax import inject_schedules, range_test  # noqa: E402


def _problem():
    key = jax.random.PRNGKey(0)
    x = jax.random.normal(key, (128, 4))
    y = x @ jnp.array([1.0, -2.0, 0.5, 0.0])
    data = [(x[i : i + 32], y[i : i + 32]) for i in range(0, 128, 32)]
    params = {"w": jnp.zeros(4), "b": jnp.zeros(())}

    def loss_fn(params, batch):
        inputs, targets = batch
        return jnp.mean((inputs @ params["w"] + params["b"] - targets) ** 2)

    return params, loss_fn, data


def test_sweep_records_applied_lrs_and_leaves_params_alone():
    params, loss_fn, data = _problem()
    before = jax.tree_util.tree_map(np.array, params)
    opt = inject_schedules(optax.sgd, learning_rate=0.0, momentum=0.9)
    r = range_test(loss_fn, params, opt, data, start_lr=1e-4, end_lr=1e-1, num_steps=12, progress=False)
    np.testing.assert_allclose(r.lrs, l.range_sweep(start_lr=1e-4, end_lr=1e-1, num_steps=11)(np.arange(12)), rtol=1e-6)
    assert r.stopped == "completed" and r.losses[-1] < 0.5 * r.losses[0]  # it really trains
    for a, b in zip(jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(before), strict=True):
        np.testing.assert_array_equal(np.asarray(a), b)


def test_divergence_and_validation_mode():
    params, loss_fn, data = _problem()
    opt = inject_schedules(optax.sgd, learning_rate=0.0)
    r = range_test(loss_fn, params, opt, data, start_lr=1e-3, end_lr=1e3, num_steps=100, progress=False)
    assert r.stopped.startswith(("diverged", "non-finite")) and len(r.lrs) < 100
    assert r.suggest("min").lr is not None
    v = range_test(
        loss_fn, params, opt, data, start_lr=1e-3, end_lr=0.1, num_steps=5, val_data=data[:1], progress=False
    )
    assert v.losses[-1] == pytest.approx(float(loss_fn(params, data[0])), rel=0.9)  # a real validation loss


def test_bad_input():
    params, loss_fn, data = _problem()
    with pytest.raises(ValueError, match="injected hyperparameter"):
        range_test(loss_fn, params, optax.sgd(0.1), data, progress=False)
    opt = inject_schedules(optax.adam, learning_rate=0.0)
    with pytest.raises(ValueError, match="data is empty"):
        range_test(loss_fn, params, opt, [], progress=False)
    with pytest.raises(ValueError, match="num_steps"):
        range_test(loss_fn, params, opt, data, num_steps=1, progress=False)
    with pytest.raises(ValueError, match="end_lr"):
        range_test(loss_fn, params, opt, data, start_lr=1.0, end_lr=0.5, progress=False)
    with pytest.raises(ValueError, match="no arrays"):
        range_test(loss_fn, {}, opt, data, progress=False)


def test_nan_loss_exception_and_interrupt_leave_params_and_state_untouched():
    params, loss_fn, data = _problem()
    before = jax.tree_util.tree_map(np.array, params)
    opt = inject_schedules(optax.sgd, learning_rate=0.0, momentum=0.9)
    r = range_test(lambda p, b: loss_fn(p, b) * jnp.nan, params, opt, data, num_steps=10, progress=False)
    assert r.stopped == "non-finite loss at step 0" and r.suggest("min").lr is None
    calls = []

    def interrupted(batch_number):
        for i, batch in enumerate(data * 3):
            calls.append(i)
            if i == batch_number:
                raise KeyboardInterrupt
            yield batch

    with pytest.raises(KeyboardInterrupt):
        range_test(loss_fn, params, opt, interrupted(4), num_steps=10, progress=False)

    def failing(params, batch):
        raise RuntimeError("loss failed")

    with pytest.raises(RuntimeError, match="loss failed"):
        range_test(failing, params, opt, data, num_steps=10, progress=False)
    for a, b in zip(jax.tree_util.tree_leaves(params), jax.tree_util.tree_leaves(before), strict=True):
        np.testing.assert_array_equal(np.asarray(a), b)


def test_the_injected_lr_is_found_inside_a_chain():
    params, loss_fn, data = _problem()
    opt = optax.chain(optax.clip_by_global_norm(1.0), inject_schedules(optax.sgd, learning_rate=0.0, momentum=0.9))
    r = range_test(loss_fn, params, opt, data, start_lr=1e-4, end_lr=1e-1, num_steps=12, progress=False)
    np.testing.assert_allclose(r.lrs, l.range_sweep(start_lr=1e-4, end_lr=1e-1, num_steps=11)(np.arange(12)), rtol=1e-6)
    two = optax.chain(inject_schedules(optax.sgd, learning_rate=0.0), inject_schedules(optax.sgd, learning_rate=0.0))
    with pytest.raises(ValueError, match="exactly one injected"):
        range_test(loss_fn, params, two, data, progress=False)
    with pytest.raises(ValueError, match="found no"):
        range_test(loss_fn, params, optax.sgd(0.1), data, progress=False)


def test_single_pass_data_keeps_the_partial_curve():
    params, loss_fn, data = _problem()
    opt = inject_schedules(optax.sgd, learning_rate=0.0)
    r = range_test(loss_fn, params, opt, iter(data), start_lr=1e-5, end_lr=1e-4, num_steps=30, progress=False)
    assert r.lrs.size == len(data) and r.stopped.startswith(f"data ran out after {len(data)} steps")


def test_adam_b1_is_never_driven_to_one_and_the_constructor_is_asked_for():
    lr = l.one_cycle(max_lr=0.1, total_steps=100)
    with pytest.raises(ValueError, match="b1 reaches 1.0"):
        inject_schedules(optax.adam, learning_rate=lr, b1=l.inverse_momentum(schedule=lr, max_momentum=1.0))
    inject_schedules(optax.sgd, learning_rate=lr, momentum=l.inverse_momentum(schedule=lr, max_momentum=1.0))
    with pytest.raises(TypeError, match="optax.sgd"):
        inject_schedules(optax.sgd(0.1), learning_rate=lr)


@pytest.mark.parametrize(
    "lr",
    [l.one_cycle(max_lr=0.1, total_steps=100), l.constant(lr=0.01)],
    ids=["one_cycle", "constant"],
)
def test_an_optimizer_whose_lr_is_a_schedule_is_refused_before_any_training(lr):
    # An update computes a scheduled LR from its count: the sweep's LR would be ignored
    # (the sweep followed one_cycle and said "completed"; a constant failed after it).
    params, loss_fn, data = _problem()
    calls = []

    def counted(params, batch):
        calls.append(1)
        return loss_fn(params, batch)

    opt = inject_schedules(optax.sgd, learning_rate=lr, momentum=0.9)
    with pytest.raises(ValueError, match="learning_rate is a schedule"):
        range_test(counted, params, opt, data, start_lr=1e-4, end_lr=1e-1, num_steps=12, progress=False)
    in_chain = optax.chain(optax.clip_by_global_norm(1.0), opt)
    with pytest.raises(ValueError, match="learning_rate is a schedule"):
        range_test(counted, params, in_chain, data, num_steps=12, progress=False)
    assert calls == []


def test_one_shot_val_data_is_refused_before_any_training():
    params, loss_fn, data = _problem()
    opt = inject_schedules(optax.sgd, learning_rate=0.0)
    calls = []

    def counted(params, batch):
        calls.append(1)
        return loss_fn(params, batch)

    with pytest.raises(TypeError, match=r"val_data must be re-iterable.*generator"):
        range_test(counted, params, opt, data, num_steps=12, val_data=(b for b in data[:1]), progress=False)
    with pytest.raises(TypeError, match="val_data must be re-iterable"):
        range_test(counted, params, opt, data, num_steps=12, val_data=iter(data[:1]), progress=False)
    assert calls == []
    # Any re-iterable is read after every step: a tuple, a custom iterable.

    class Batches:
        def __iter__(self):
            return iter(data[:1])

    r = range_test(
        loss_fn, params, opt, data, start_lr=1e-3, end_lr=0.1, num_steps=6, val_data=Batches(), progress=False
    )
    assert r.stopped == "completed" and len(r.losses) == 6


def test_the_replicated_pmap_layout_sweeps_as_one_copy_does():
    # replicated=True on this machine's local devices: params and batches one copy per
    # device, a pmapped update with the default in_axes=0 (and the built-in step, and
    # val_data on whole batches) sweep as the unreplicated test does.
    params, loss_fn, data = _problem()
    n = jax.local_device_count()
    replicate = lambda tree: jax.tree_util.tree_map(lambda a: jnp.stack([a] * n), tree)  # noqa: E731
    opt = inject_schedules(optax.sgd, learning_rate=0.0, momentum=0.9)

    def step(params, state, batch, lr):
        state.hyperparams["learning_rate"] = lr
        loss, grads = jax.value_and_grad(loss_fn)(params, batch)
        grads, loss = jax.lax.pmean((grads, loss), "d")
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    sweep = {"start_lr": 1e-4, "end_lr": 1e-1, "num_steps": 12, "progress": False, "val_data": data[:2]}
    reference = range_test(loss_fn, params, opt, data, **sweep)
    for update in (jax.pmap(step, axis_name="d"), None):
        found = range_test(
            loss_fn, replicate(params), opt, [replicate(b) for b in data], update=update, replicated=True, **sweep
        )
        np.testing.assert_allclose(found.lrs, reference.lrs, rtol=1e-6)
        np.testing.assert_allclose(found.losses, reference.losses, rtol=1e-5)
    expected = rf"one copy per local device \({n}\); got an array of shape \(\): replicate them"
    with pytest.raises(ValueError, match=expected):
        range_test(loss_fn, params, opt, data, replicated=True, **sweep)
    with pytest.raises(TypeError, match="replicated must be True or False; got 'yes'"):
        range_test(loss_fn, params, opt, data, replicated="yes", **sweep)


def test_a_pmapped_update_without_replicated_says_to_pass_it():
    # The usual pmap idiom without the option: the state's scalar step count cannot be
    # split over devices (jax's ValueError), and the error says what to pass.
    if not hasattr(ValueError(), "add_note"):
        pytest.skip("exception notes need Python 3.11")
    params, loss_fn, data = _problem()
    n = jax.local_device_count()
    replicate = lambda tree: jax.tree_util.tree_map(lambda a: jnp.stack([a] * n), tree)  # noqa: E731
    opt = inject_schedules(optax.sgd, learning_rate=0.0, momentum=0.9)

    def step(params, state, batch, lr):
        state.hyperparams["learning_rate"] = lr
        loss, grads = jax.value_and_grad(loss_fn)(params, batch)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    with pytest.raises(ValueError, match="pass replicated=True"):
        range_test(loss_fn, replicate(params), opt, [replicate(b) for b in data], update=jax.pmap(step), progress=False)


def test_confirmation_trains_from_the_params_and_scores_as_by_hand():
    from lrsched.rangetest import candidate_lrs, short_schedule

    params, loss_fn, data = _problem()
    held = data[-1:]
    train = data[:-1]
    opt = inject_schedules(optax.sgd, learning_rate=0.0, momentum=0.9)
    r = range_test(loss_fn, params, opt, train, confirm=3, confirm_use="one_cycle", confirm_steps=30, confirm_data=held)
    confirmed = r.confirmation
    assert confirmed is not None and confirmed.use == "one_cycle" and confirmed.cost == 3 * 30 / 100
    assert confirmed.lrs == pytest.approx(candidate_lrs(confirmed.recommended), rel=1e-12)

    def by_hand(lr):
        # The short training written out with optax itself: SGD with momentum at the
        # schedule's LR each step, from the params and a fresh state.
        schedule = short_schedule("one_cycle", lr, 30)
        p, velocity = params, jax.tree_util.tree_map(jnp.zeros_like, params)
        for step in range(30):
            grads = jax.grad(loss_fn)(p, train[step % len(train)])
            velocity = jax.tree_util.tree_map(lambda v, g: 0.9 * v + g, velocity, grads)
            rate = jnp.float32(float(schedule(step)))
            p = jax.tree_util.tree_map(lambda a, v, rate=rate: a - rate * v, p, velocity)
        value = float(loss_fn(p, held[0]))
        return value if np.isfinite(value) else np.inf

    expected = [by_hand(lr) for lr in confirmed.lrs]
    np.testing.assert_allclose(confirmed.scores, expected, rtol=2e-4)
    assert r.recommend("one_cycle").lr == confirmed.lrs[int(np.argmin(expected))]
    with pytest.raises(ValueError, match="confirm_data"):
        range_test(loss_fn, params, opt, train, confirm=3)
