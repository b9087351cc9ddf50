"""Checks and Hypothesis strategies for schedules: ours, yours, and compositions.

Checks raise `AssertionError` with the step and values that broke them::

    from hypothesis import given
    import lrsched.testing as lt

    @given(lt.schedules())
    def test_any_schedule(schedule):
        lt.check_schedule(schedule, until=lt.horizon(schedule))

A user's own policy subclasses `lrsched.Schedule` (declaring `bounds`, `max_slope`,
`breakpoints` and `pieces`) and is checked the same way. The checks
(`lrsched.testing.checks`) need only NumPy; the strategies (`lrsched.testing.strategies`)
need `hypothesis` (the `test` extra).
"""

from lrsched.base import horizon
from lrsched.testing.checks import (
    FLOAT32_MAX,
    LARGE_STEPS,
    check_any_array,
    check_backends_agree,
    check_bounded,
    check_continuous,
    check_continuous_far,
    check_cycles,
    check_finite,
    check_monotone,
    check_opposes,
    check_restarts_exact,
    check_schedule,
    check_shape,
)
from lrsched.testing.strategies import (
    LAYOUTS,
    STEP_DTYPES,
    _lay_out,  # noqa: F401 - tests build layouts with it
    constants,
    cosine_decays,
    cosine_restarts_schedules,
    cycle_mults,
    cyclics,
    draws_kind,
    draws_policy,
    exponentials,
    inverse_momentums,
    joins,
    kind_strategy,
    learning_rates,
    multi_steps,
    one_cycles,
    one_decays,
    primitives,
    products,
    range_sweeps,
    restart_schedules,
    restarts_of_decays,
    schedules,
    single_policies,
    step_arrays,
    step_counts,
    step_decays,
    strategy_for,
    warmups,
)

__all__ = [
    "FLOAT32_MAX",
    "LARGE_STEPS",
    "LAYOUTS",
    "STEP_DTYPES",
    "check_any_array",
    "check_backends_agree",
    "check_bounded",
    "check_continuous",
    "check_continuous_far",
    "check_cycles",
    "check_finite",
    "check_monotone",
    "check_opposes",
    "check_restarts_exact",
    "check_schedule",
    "check_shape",
    "constants",
    "cosine_decays",
    "cosine_restarts_schedules",
    "cycle_mults",
    "cyclics",
    "draws_kind",
    "draws_policy",
    "exponentials",
    "horizon",
    "inverse_momentums",
    "joins",
    "kind_strategy",
    "learning_rates",
    "multi_steps",
    "one_cycles",
    "one_decays",
    "primitives",
    "products",
    "range_sweeps",
    "restart_schedules",
    "restarts_of_decays",
    "schedules",
    "single_policies",
    "step_arrays",
    "step_counts",
    "step_decays",
    "strategy_for",
    "warmups",
]
