"""polynomial, side by side with the peers that define it: torch PolynomialLR, optax
polynomial_schedule, Keras PolynomialDecay (with and without cycle)."""

import numpy as np
import pytest

import lrsched as l


@pytest.mark.parametrize("power", [0.5, 1.0, 2.0, 3.7])
@pytest.mark.parametrize("total", [1, 7, 100])
def test_matches_torch_polynomiallr(power, total):
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.3)
    peer = torch.optim.lr_scheduler.PolynomialLR(opt, total_iters=total, power=power)
    ours = l.polynomial(initial_lr=0.3, decay_steps=total, power=power)
    for step in range(2 * total + 3):
        assert ours(step) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9, abs=1e-15), step
        opt.step()
        peer.step()


@pytest.mark.parametrize("power", [0.5, 1.0, 2.0])
def test_matches_optax_polynomial_schedule(power):
    optax = pytest.importorskip("optax", reason="optax is not installed; CI installs it")
    jnp = pytest.importorskip("jax.numpy")
    peer = optax.polynomial_schedule(init_value=0.5, end_value=0.01, power=power, transition_steps=40)
    ours = l.polynomial(initial_lr=0.5, decay_steps=40, final_lr=0.01, power=power)
    steps = np.arange(0, 100)
    expected = np.asarray(peer(jnp.asarray(steps)), dtype=np.float64)
    np.testing.assert_allclose(ours(steps), expected, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("cycle", [False, True])
@pytest.mark.parametrize("power", [0.5, 1.0, 2.0])
def test_matches_keras_polynomialdecay(cycle, power):
    keras = pytest.importorskip("keras", reason="keras is not installed; CI installs it")
    peer = keras.optimizers.schedules.PolynomialDecay(
        initial_learning_rate=0.5, decay_steps=30, end_learning_rate=0.01, power=power, cycle=cycle
    )
    ours = l.polynomial(initial_lr=0.5, decay_steps=30, final_lr=0.01, power=power, cycle=cycle)
    for step in range(0, 100):
        assert ours(step) == pytest.approx(float(peer(step)), rel=2e-6, abs=1e-8), step
