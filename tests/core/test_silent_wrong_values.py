"""Each class of silent wrong value the core once gave, with the input that showed it."""

import math
from fractions import Fraction

import numpy as np
import pytest

import lrsched as l
import lrsched.testing as lt

KNOTTED = [
    l.multi_step(initial_lr=1.0, milestones=[3, 6], gamma=0.5),
    l.one_cycle(max_lr=1.0, total_steps=10),
    l.warmup(schedule=l.constant(lr=1.0), steps=5),
    l.join(schedules=[l.constant(lr=1.0), l.exponential(initial_lr=1.0, gamma=0.9)], boundaries=[4]),
]


# 1. Array layout ------------------------------------------------------------------------
@pytest.mark.parametrize("schedule", KNOTTED, ids=lambda s: s.policy)
@pytest.mark.parametrize("layout", lt.LAYOUTS)
def test_every_layout_gives_the_scalar_values(schedule, layout):
    base = np.arange(24.0).reshape(2, 3, 4)
    steps = lt._lay_out(base, layout)
    lt.check_any_array(schedule, steps)
    lt.check_any_array(schedule, steps[..., ::-1])  # unsorted: the masked path


def test_fortran_order_steps_of_the_issue():
    s = l.multi_step(initial_lr=1.0, milestones=[3, 6], gamma=0.5)
    steps = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    np.testing.assert_array_equal(s(steps), [[1, 1, 1, 0.5], [0.5, 0.5, 0.25, 0.25], [0.25, 0.25, 0.25, 0.25]])


# 2. Restarts with a non-integer cycle_mult ---------------------------------------------
def test_restart_of_the_issue_is_exact():
    s = l.cosine_restarts(max_lr=1, first_cycle_steps=43, cycle_mult=1.1)
    assert s(43) == 1.0  # the restart's peak (Keras' CosineDecayRestarts gives 1.0 too)
    assert s.cycle_ends(50) == (43.0,)
    assert s.ends_cycle(43) and s.cycle_index(43) == 1.0 and s.cycle_index(42) == 0.0
    assert bool(s.ends_cycle(np.array([43]))[0])


def test_every_whole_restart_over_the_issues_grid_is_exact():
    # cycle_mult 1.1 .. 2.9 and first cycles 1 .. 100: restarts computed in exact
    # rational arithmetic; about 8% of the whole ones were wrong before.
    checked = 0
    for tenths in range(11, 30):
        mult = Fraction(tenths, 10)
        for first in range(1, 101):
            s = l.cosine_restarts(max_lr=1, first_cycle_steps=first, cycle_mult=tenths / 10)
            start, length = Fraction(0), Fraction(first)
            whole = []
            for i in range(1, 60):
                start, length = start + length, length * mult
                if start > 2**40:
                    break
                if start.denominator == 1:
                    whole.append((i, int(start)))
                    assert s.cycle_start(i) == int(start), (tenths, first, i)
            if whole:
                steps = np.array([t for _, t in whole])
                assert np.all(s(steps) == 1.0) and np.all(s.ends_cycle(steps))
                np.testing.assert_array_equal(s.cycle_index(steps), [i for i, _ in whole])
                checked += len(whole)
    assert checked > 5000


def test_restarts_agree_on_jax_and_torch_float32():
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    s = l.cosine_restarts(max_lr=1, first_cycle_steps=43, cycle_mult=1.1)
    ends = [int(e) for e in s.cycle_ends(10**5) if float(e).is_integer()]
    assert 43 in ends
    for steps in (jnp.asarray(ends, dtype=jnp.int32), torch.tensor(ends)):
        assert np.all(np.asarray(s.ends_cycle(steps)))
        np.testing.assert_allclose(np.asarray(s(steps), dtype=np.float64), 1.0, rtol=1e-6)


# 3. Half precision ------------------------------------------------------------------------
def test_half_precision_steps_compute_in_float32():
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    sweep = l.range_sweep(start_lr=1e-7, end_lr=10, num_steps=20000)
    restarts = l.cosine_restarts(max_lr=1, first_cycle_steps=10)
    # Compared at the step the half-precision type holds (bfloat16 holds 10000 as 9984).
    for dtype in (torch.float16, torch.bfloat16):
        step = torch.tensor(10000.0, dtype=dtype)
        value = sweep(step)
        assert value.dtype == torch.float32 and float(value) == pytest.approx(sweep(float(step)), rel=1e-6)
        step = torch.tensor(65504.0, dtype=dtype)
        assert float(restarts(step)) == pytest.approx(restarts(float(step)), abs=1e-6)
    for dtype in (jnp.float16, jnp.bfloat16):
        step = jnp.asarray(65504.0, dtype=dtype)
        value = restarts(step)
        assert value.dtype == jnp.float32 and float(value) == pytest.approx(restarts(float(step)), abs=1e-6)


# 7. The sweep lands on end_lr exactly --------------------------------------------------
@pytest.mark.parametrize("start", [1e-7, 1e-5, 3e-8, 1e-3])
@pytest.mark.parametrize("mode", ["exp", "linear"])
def test_sweep_lands_on_end_lr_and_never_leaves_its_bounds(start, mode):
    s = l.range_sweep(start_lr=start, end_lr=10, num_steps=99, mode=mode)
    assert s(99) == 10.0 and s(10**6) == 10.0 and s(0) == start
    values = s(np.arange(0, 200))
    assert values[99] == 10.0 and np.all(values <= 10.0) and np.all(values >= start)
    lt.check_bounded(s, np.arange(0, 200))  # exact: no tolerance


# 8. Policy names cannot be taken over ----------------------------------------------------
def test_a_registered_policy_name_is_refused():
    with pytest.raises(TypeError, match="'constant' is taken"):

        class Impostor(l.Schedule):
            policy = "constant"

    assert l.from_config({"policy": "constant", "lr": 0.5}) == l.constant(lr=0.5)


def test_a_subclass_of_a_policy_must_name_itself():
    with pytest.raises(TypeError, match="declare its own"):

        class Quieter(l.Cyclic):
            pass


# 14. Huge integers -------------------------------------------------------------------------
def test_integers_beyond_float_range_are_named_errors():
    with pytest.raises(ValueError, match="lr must be"):
        l.constant(lr=10**400)
    with pytest.raises(ValueError, match="step must be"):
        l.constant(lr=1.0)(10**400)
    with pytest.raises(ValueError, match="step must be"):
        l.cyclic(base_lr=0, max_lr=1, step_size_up=2).cycle_index(10**400)


@pytest.mark.parametrize("big", [2**31, 2**40, 2**63, 2**64])
def test_integer_parameters_beyond_int32_and_int64_compute_everywhere(big):
    jax = pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    for s in (
        l.multi_step(initial_lr=1.0, milestones=[3, big]),
        l.cyclic(base_lr=0.0, max_lr=1.0, step_size_up=big),
        l.cosine_restarts(max_lr=1.0, first_cycle_steps=big),
        l.one_cycle(max_lr=1.0, total_steps=big),
    ):
        steps = np.array([0, 5, 2**20, 2**30], dtype=np.int32)
        expected = np.array([s(int(t)) for t in steps])
        np.testing.assert_allclose(np.asarray(jax.jit(s)(jax.numpy.asarray(steps))), expected, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(s(torch.tensor(steps, dtype=torch.int64)).numpy(), expected, rtol=1e-6, atol=1e-7)


# 15. One step check for cycles ------------------------------------------------------------
@pytest.mark.parametrize("step", [-5, -0.5, math.nan, math.inf])
def test_cycle_queries_check_the_step_like_the_schedule(step):
    restarts = l.cosine_restarts(max_lr=1, first_cycle_steps=10)
    joined = l.join(schedules=[restarts, l.constant(lr=1.0)], boundaries=[100])
    for s in (restarts, joined, l.warmup(schedule=restarts, steps=3)):
        for query in (s, s.cycle_index, s.ends_cycle):
            with pytest.raises(ValueError, match="step must be"):
                query(step)


# 18. Deep configs ----------------------------------------------------------------------------
def test_a_deeply_nested_config_is_a_clear_error():
    config = l.constant(lr=1.0).to_config()
    for _ in range(3000):
        config = {"policy": "warmup", "schedule": config, "steps": 1}
    with pytest.raises(ValueError, match="nested more than"):
        l.from_config(config)
    shallow = l.constant(lr=1.0)
    for _ in range(l.base.MAX_CONFIG_DEPTH // 2):
        shallow = l.warmup(schedule=shallow, steps=1)
    assert l.from_config(shallow.to_config()) == shallow


# 19. One rule for step types on every backend -----------------------------------------------
def test_bool_complex_and_meta_steps_are_refused_everywhere():
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    tf = pytest.importorskip("tensorflow", reason="tensorflow is not installed; CI installs it")
    s = l.range_sweep(start_lr=1e-7, end_lr=10, num_steps=100)
    refused = [
        True,
        np.array([True]),
        [True, 2],  # NumPy takes the bool as 1
        (1, [2, np.True_]),
        np.array([1 + 0j]),
        np.timedelta64(30, "ms"),  # NumPy counts it an integer: its unit was dropped
        np.array([1, 2], dtype="m8[s]"),
        torch.tensor(True),
        torch.tensor([1 + 0j]),
        torch.empty(3, device="meta"),
        jnp.asarray(True),
        jnp.asarray([1 + 0j]),
        tf.constant(True),
        tf.constant([1 + 0j]),
    ]
    for step in refused:
        with pytest.raises(TypeError, match="step"):
            s(step)
    accepted = [
        np.array([3], dtype=np.uint64),
        np.array([3], dtype=np.int8),
        torch.tensor([3], dtype=torch.uint8),
        jnp.asarray([3], dtype=jnp.int8),
        tf.constant([3], dtype=tf.int16),
    ]
    for step in accepted:
        assert float(np.asarray(s(step))[0]) == pytest.approx(s(3), rel=1e-6)


# 16. Plotting does not depend on the number of pieces ----------------------------------------
def test_plotting_a_schedule_with_tiny_cycles_builds_few_pieces(monkeypatch, tmp_path):
    pytest.importorskip("matplotlib", reason="matplotlib is not installed; CI installs it")
    import matplotlib

    matplotlib.use("Agg")
    from lrsched.__main__ import main

    built = []
    pieces = l.Cyclic.pieces
    monkeypatch.setattr(l.Cyclic, "pieces", lambda self, until: built.append(len(out := pieces(self, until))) or out)
    s = l.cyclic(base_lr=0.0, max_lr=1.0, step_size_up=1e-6)
    l.plot(s, path=str(tmp_path / "a.png"))
    assert (
        main(
            [
                "plot",
                "cyclic",
                "--base-lr",
                "0",
                "--max-lr",
                "1",
                "--step-size-up",
                "1e-6",
                "-o",
                str(tmp_path / "b.png"),
            ]
        )
        == 0
    )
    # Over the default span of 10 steps there are 10 million pieces; the horizon asks
    # for a few thousand at most.
    assert sum(built) < 10_000


def test_momentum_of_a_multi_step_with_gamma_near_one_in_float32():
    # high - low = 1e-16 is below float32's resolution of the values: the peak fraction
    # is computed per phase in float64 (found by the widened property suite).
    jnp = pytest.importorskip("jax.numpy", reason="jax is not installed; CI installs it")
    s = l.inverse_momentum(
        schedule=l.multi_step(initial_lr=1.0, milestones=[1], gamma=0.9999999999999999),
        base_momentum=0.0,
        max_momentum=0.125,
    )
    np.testing.assert_allclose(np.asarray(s(jnp.asarray([0.0, 1.0, 5.0]))), [s(0), s(1), s(5)], atol=1e-7)
    assert (s(0), s(1)) == (0.0, 0.125)
