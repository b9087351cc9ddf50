"""Hypothesis properties over every policy and over compositions, via lrsched.testing."""

import numpy as np
import pytest
from hypothesis import given, strategies as st

import lrsched.testing as lt
from lrsched import Schedule

# Every policy of lrsched, from the registry (a new policy joins each family with no edit
# here), drawn by its strategy (`strategy_for`: declared or hand-written), and compositions.
STRATEGIES = {
    name: (lambda cls=cls: lt.strategy_for(cls))
    for name, cls in sorted(Schedule._registry.items())
    if cls.__module__.startswith("lrsched.")
}
STRATEGIES["any composition"] = lt.schedules

STEPS = np.array([0, 0.5, 1, 2, 3, 7, 10, 33.3, 100, 257, 1000, 4096, 1e5])


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_declared_shape_holds(name):
    @given(STRATEGIES[name]())
    def run(schedule):
        assert schedule.policy == name or name == "any composition"
        lt.check_schedule(schedule)

    run()


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_scalar_numpy_torch_jax_agree(name):
    pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")

    # Always 8 extra steps: one array shape, so JAX compiles each operation once per
    # process rather than once per length drawn.
    @given(STRATEGIES[name](), st.lists(st.floats(0, 1e4), min_size=8, max_size=8))
    def run(schedule, extra):
        lt.check_backends_agree(schedule, np.concatenate([STEPS, extra]), frameworks=("numpy", "jax", "torch"))

    run()


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_any_array_layout_and_dtype_gives_the_scalar_values(name):
    @given(STRATEGIES[name](), lt.step_arrays())
    def run(schedule, steps):
        lt.check_any_array(schedule, steps)

    run()


@pytest.mark.parametrize("name", sorted(STRATEGIES))
def test_half_precision_steps_compute_in_float32(name):
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")

    @given(STRATEGIES[name](), st.lists(st.integers(0, 65504), min_size=1, max_size=8))
    def run(schedule, counts):
        steps = np.concatenate([[0, 1, 2048, 60000, 65504], counts]).astype(np.float64)
        lt.check_backends_agree(schedule, steps, frameworks=("float16", "bfloat16"))

    run()


def test_cycle_index_ends_cycle_and_cycle_ends_agree():
    cyclic_schedules = st.one_of(lt.cosine_restarts_schedules(), lt.restart_schedules(), lt.cyclics())

    @given(
        st.one_of(
            cyclic_schedules,
            lt.warmups(cyclic_schedules),
            lt.joins(cyclic_schedules),
            lt.inverse_momentums(cyclic_schedules),
        )
    )
    def run(schedule):
        lt.check_cycles(schedule, 600.0)

    run()


@given(lt.restart_schedules())
def test_whole_restarts_in_exact_arithmetic_are_exact(schedule):
    lt.check_restarts_exact(schedule, 1e4)
