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
def test_every_property_holds_on_every_backend(name):
    """Four properties of each drawn schedule: its declared shape holds (bounds, slope,
    pieces, continuity); scalar, NumPy, JAX and torch calls agree; any array layout and
    dtype gives the scalar values; half-precision steps compute in float32.

    One draw feeds all four (each still checked on every example: 400 in CI): drawing a
    composition costs more than checking it, and four families drew each schedule four
    times (the suite's largest cost)."""
    pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")

    # Always 8 extra steps: one array shape, so JAX compiles each operation once per
    # process rather than once per length drawn.
    @given(
        STRATEGIES[name](),
        st.lists(st.floats(0, 1e4), min_size=8, max_size=8),
        lt.step_arrays(),
        st.lists(st.integers(0, 65504), min_size=1, max_size=8),
    )
    def run(schedule, extra, arrays, counts):
        assert schedule.policy == name or name == "any composition"
        lt.check_schedule(schedule)
        lt.check_backends_agree(schedule, np.concatenate([STEPS, extra]), frameworks=("numpy", "jax", "torch"))
        lt.check_any_array(schedule, arrays)
        half_steps = np.concatenate([[0, 1, 2048, 60000, 65504], counts]).astype(np.float64)
        lt.check_backends_agree(schedule, half_steps, frameworks=("float16", "bfloat16"))

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
