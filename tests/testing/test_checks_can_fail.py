"""The checks in lrsched.testing reject broken schedules: the properties can fail."""

import dataclasses
import math
from typing import Annotated

import numpy as np
import pytest
from hypothesis import given, settings

import lrsched as l
import lrsched.testing as lt
from lrsched.base import Part, Piece, multiples
from lrsched.params import LR, Steps


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Declared(l.Schedule):
    """A user's own schedule whose declarations we can get wrong on purpose."""

    policy = "test_declared"
    low: float = 0.0
    high: float = 1.0
    slope: float = 0.01
    jumps: tuple = ()
    trend: int = -1
    kind: str = "cos"

    def _value(self, t, xp):
        if self.kind == "cos":  # a cosine from 1 to 0 over 100 steps
            return 0.5 * (1 + xp.cos(math.pi * xp.minimum(t, 100.0) / 100.0))
        if self.kind == "step":  # drops to 0.5 at 50
            return xp.where(t < 50, 1.0, 0.5) + t * 0.0
        if self.kind == "nan":
            return xp.where(t < 50, 1.0, math.nan) + t * 0.0
        if self.kind == "nan_at_37":  # the cosine, NaN at one whole step only
            return xp.where(t == 37.0, math.nan, 0.5 * (1 + xp.cos(math.pi * xp.minimum(t, 100.0) / 100.0)))
        if self.kind == "overflows_in_float32":  # exp(-t / 10), as a quotient whose parts pass float32's range
            grown = xp.exp(t / 10.0)
            return grown / grown**2
        raise AssertionError(self.kind)

    @property
    def bounds(self):
        return (self.low, self.high)

    @property
    def max_slope(self):
        return self.slope

    def breakpoints(self, until):
        return tuple(j for j in self.jumps if j <= until)

    def pieces(self, until):
        return (Piece(0.0, until, self.trend),)


def test_a_correct_user_schedule_passes():
    lt.check_schedule(Declared(slope=math.pi / 200), until=200)
    lt.check_schedule(Declared(kind="step", slope=0.0, jumps=(50,)), until=200)


def test_a_nan_is_rejected_by_every_check_that_sees_it():
    # NaN compares False with everything: each check must count it as failing, not passing.
    nan_at_37 = Declared(kind="nan_at_37", slope=math.pi / 200)
    steps = np.arange(0.0, 60.0)
    for check in (lt.check_bounded, lt.check_continuous, lt.check_finite):
        with pytest.raises(AssertionError):
            check(nan_at_37, steps)
    with pytest.raises(AssertionError):
        lt.check_monotone(Declared(kind="nan", slope=math.pi / 200), until=100)
    # The grid of check_schedule holds every whole step up to whole_steps: step 37 is one.
    with pytest.raises(AssertionError, match="37"):
        lt.check_schedule(nan_at_37, until=200)


@pytest.mark.parametrize(("module", "framework"), [("jax", "jax"), ("torch", "float16")])
def test_backends_that_answer_nan_where_the_scalar_call_does_not_are_rejected(module, framework):
    # JAX's float32 and torch's half-precision steps (computed in float32) overflow the
    # quotient's parts from step ~890 on: inf / inf.
    pytest.importorskip(module, reason=f"{module} is not installed; CI installs it")
    overflowing = Declared(kind="overflows_in_float32", slope=0.1)
    lt.check_backends_agree(overflowing, np.array([0.0, 100.0]), frameworks=("numpy", framework))  # within float32
    with pytest.raises(AssertionError, match="nan"):
        lt.check_backends_agree(overflowing, np.array([0.0, 100.0, 500.0, 1000.0]), frameworks=("numpy", framework))


def test_values_outside_declared_bounds_are_rejected():
    with pytest.raises(AssertionError, match="outside bounds"):
        lt.check_bounded(Declared(high=0.9), np.linspace(0, 100, 11))


def test_an_undeclared_jump_is_rejected():
    with pytest.raises(AssertionError, match="no breakpoint between"):
        lt.check_continuous(Declared(kind="step", slope=0.0), np.linspace(0, 100, 101))


def test_a_too_small_lipschitz_bound_is_rejected():
    with pytest.raises(AssertionError, match="max_slope"):
        lt.check_continuous(Declared(slope=0.001), np.linspace(0, 100, 101))


def test_a_wrong_trend_is_rejected():
    with pytest.raises(AssertionError, match="declared trend"):
        lt.check_monotone(Declared(trend=1, slope=1.0), 100)


def test_non_finite_values_are_rejected():
    with pytest.raises(AssertionError, match="nan"):
        lt.check_finite(Declared(kind="nan"), np.linspace(0, 100, 11))


def test_backends_that_disagree_are_rejected():
    @dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
    class BranchesOnType(Declared):
        policy = "test_branches_on_type"

        def _value(self, t, xp):
            return 0.5 + t * 0.0 if xp.name == "numpy" else 0.25

    with pytest.raises(AssertionError, match="numpy gives"):
        lt.check_backends_agree(BranchesOnType(), [0.0, 1.0])


def test_lrsched_bug_shapes_would_be_caught():
    # A cyclic policy that declared the wrong bounds (the first exp_range bug found by
    # these properties) is rejected: its first peak is higher than gamma**up implies.
    s = l.cyclic(base_lr=1.0, max_lr=95.0, step_size_up=474, mode="exp_range", gamma=0.97)

    @dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
    class WrongBounds(l.Cyclic):
        policy = "test_wrong_bounds"

        @property
        def bounds(self):
            return (self.base_lr, self.base_lr + (self.max_lr - self.base_lr) * self.gamma**self.step_size_up)

    broken = WrongBounds(**{k: v for k, v in s.to_config().items() if k != "policy"})
    lt.check_bounded(s, np.linspace(0, 2000, 2001))
    with pytest.raises(AssertionError, match="outside bounds"):
        lt.check_bounded(broken, np.linspace(0, 2000, 2001))


def _narrow_wsd_momentum(start_lr=1 - 2.4e-7, decay_shape="linear"):
    # An LR range 2.4e-7 of its size wide: its float64 rounding, magnified 4e6 times as
    # the momentum places the LR between its bounds, is the momentum's precision.
    lr = l.warmup_stable_decay(
        peak_lr=1.0, warmup_steps=37, stable_steps=50.5, decay_steps=113, start_lr=start_lr, final_lr=start_lr,
        decay_shape=decay_shape,
    )  # fmt: skip
    return l.inverse_momentum(schedule=lr)


@pytest.mark.parametrize("decay_shape", ["linear", "cosine", "1-sqrt", "exp"])
def test_a_momentum_over_a_narrow_lr_range_passes_to_the_precision_the_range_permits(decay_shape):
    # Refused before: the continuity check allowed 1e-12 of the momentum, while the LR's
    # own rounding (1e-16) moves it by 1e-16 / 2.4e-7.
    lt.check_schedule(_narrow_wsd_momentum(decay_shape=decay_shape))


def test_a_jump_in_a_momentum_over_a_narrow_lr_range_is_still_caught(monkeypatch):
    real = l.InverseMomentum._value

    def jumps(self, t, xp):  # 1e-6 up from step 60 on, where the LR holds its peak
        return real(self, t, xp) + xp.where(t >= 60.0, 1e-6, 0.0)

    monkeypatch.setattr(l.InverseMomentum, "_value", jumps)
    m = _narrow_wsd_momentum()  # built after the patch: a schedule binds its value function when built
    assert m(61.0) - m(59.0) == pytest.approx(1e-6, rel=1e-3)
    # Two steps 1e-6 apart: the slope allows 3e-9 between them, the LR's rounding 3e-8.
    with pytest.raises(AssertionError, match="max_slope"):
        lt.check_continuous(m, np.array([60.0 - 5e-7, 60.0 + 5e-7]))


@pytest.mark.parametrize("frameworks", [("numpy", "jax"), ("bfloat16",)])
def test_float32_checks_allow_a_decimal_multipliers_restart_placement_and_no_more(frameworks):
    # A decimal multiplier's restart is placed by expm1 and log in float32, to a few ulp
    # of the step times the exponent: the float32 checks allow that window (a restart
    # 0.1 step from 1e5 was reported), and still catch a cycle placed half a step off.
    pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    from lrsched.base import narrow

    @dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
    class HalfStepLate(l.CosineRestarts):
        policy = "test_half_step_late"

        def _value(self, t, xp):
            return super()._value(t + 0.5 if narrow(t, xp) else t, xp)

    for first in (1.1000000000000014, 23.09375):  # the two the property families drew
        decay = l.polynomial(initial_lr=1.0, decay_steps=first, final_lr=10.0)
        near = l.restarts(decay=decay, cycle_mult=1.0000000000000013)
        lt.check_backends_agree(near, [0.0, 65536.0, 100000.0], frameworks=frameworks)
    late = HalfStepLate(max_lr=1.0, first_cycle_steps=10.0, cycle_mult=1.1)
    with pytest.raises(AssertionError, match="gives"):
        lt.check_backends_agree(late, np.arange(0.0, 200.0, 3.0), frameworks=frameworks)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class HalvedInFloat32(l.Shaped):
    """A user's shape with no declared `shape_slope` (unbounded by default) whose float32
    answers are half what they should be."""

    policy = "test_halved_in_float32"
    lr: float = 0.1
    decay_steps: float = 100.0

    @property
    def levels(self):
        return (0.0, self.lr)

    def shape_at(self, t, xp):
        shape = 1.0 - xp.minimum(t, self.decay_steps) / self.decay_steps
        return shape * 0.5 if xp.eps(t) > 1e-10 else shape


@pytest.mark.parametrize(("module", "framework"), [("jax", "jax"), ("torch", "float16")])
def test_an_unbounded_slope_does_not_excuse_a_wrong_float32_answer(module, framework):
    # max_slope = inf made every allowance infinite: any finite answer passed.
    pytest.importorskip(module, reason=f"{module} is not installed; CI installs it")
    wrong = HalvedInFloat32()
    assert wrong.max_slope == math.inf
    steps = np.array([0.0, 10.0, 50.0])
    joined = l.join(schedules=[l.constant(lr=0.1), wrong], boundaries=[5.0])
    for schedule in (wrong, joined):
        with pytest.raises(AssertionError):
            lt.check_backends_agree(schedule, steps, frameworks=("numpy", framework))
    # Schedules whose slope is unbounded and whose answers are right still pass.
    for right in (
        l.polynomial(initial_lr=0.1, decay_steps=100, power=0.5),
        l.warmup(schedule=l.constant(lr=0.1), steps=10, shape="1-sqrt"),
        l.cosine_decay(initial_lr=0.1, decay_steps=100, k_decay=0.5),
    ):
        assert right.max_slope == math.inf
        lt.check_backends_agree(right, np.linspace(0.0, 150.0, 301), frameworks=("numpy", framework))
        lt.check_any_array(right, np.linspace(0.0, 150.0, 301))


def test_a_registered_policy_with_nothing_to_draw_from_is_left_out_of_the_draws():
    # A plain required field (declared() supports it) made every draw of lt.schedules()
    # raise "has no declaration to draw from", in every test of every suite.
    from hypothesis import find, settings

    @l.register
    @dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
    class Tagged(l.Shaped):
        policy = "test_tagged_undrawable"
        label: str
        lr: float = 0.1

        @property
        def levels(self):
            return (0.0, self.lr)

        def shape_at(self, t, xp):
            return 1.0 - xp.minimum(t, 10.0) / 10.0

    try:
        assert Tagged not in lt.strategies.single_policies()
        find(lt.schedules(), lambda s: True, settings=settings(database=None, max_examples=50))
        assert Tagged(label="x")(10.0) == 0.0
    finally:
        l.Schedule._registry.pop("test_tagged_undrawable", None)


def test_the_default_span_reaches_past_every_declared_change():
    # horizon() read piece ends alone: a multi_step's milestones (breakpoints) and a
    # still-falling last piece behind a warmup were left out of check_schedule's range.
    for schedule, reach in (
        (l.multi_step(initial_lr=1.0, milestones=[300, 600]), 600),
        (l.join(schedules=[l.constant(lr=1.0), l.exponential(initial_lr=1.0, gamma=0.99)], boundaries=[5]), 100),
        (l.warmup(schedule=l.step_decay(initial_lr=1.0, drop=0.5, every=30), steps=5), 100),
    ):
        assert l.horizon(schedule) > reach
    # A schedule of many short cycles is still shown by a few of them.
    assert l.horizon(l.cyclic(base_lr=0.1, max_lr=1.0, step_size_up=0.002)) <= 20
    assert l.horizon(l.cosine_restarts(max_lr=1.0, first_cycle_steps=0.1)) <= 20


def test_an_unbounded_slope_allows_what_the_value_does_within_a_float32_steps_rounding():
    # A 1-sqrt warmup (unbounded slope) before a cosine of period 2: float32 holds the
    # step 2**24 + 2 but not the cosine's own clock 2**24 + 1, which lands on 2**24, at
    # the other end of the cosine. The allowance was the move to the window's two ends
    # alone, both a whole period away, so 0.
    pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    cosine = l.cosine_decay(initial_lr=1.0, decay_steps=1, final_lr=10.0, periodic=True)
    schedule = l.warmup(schedule=cosine, steps=1, start_lr=0.0, shape="1-sqrt", prefix=True)
    assert schedule.max_slope == math.inf
    lt.check_backends_agree(schedule, [0.0, 0.25, 3.0, 2.0**24 + 2.0], frameworks=("numpy", "jax"))
    # A triangle rising in 1 step of every 100: float32 rounds 756186112 - 480 by 32
    # steps, onto a trough that evenly spread samples of the window miss.
    cyclic = l.cyclic(base_lr=1.0, max_lr=2.0, step_size_up=1, step_size_down=99)
    schedule = l.warmup(schedule=cyclic, steps=480, start_lr=0.0, shape="1-sqrt", prefix=True)
    lt.check_backends_agree(schedule, [0.0, 100.0, 756186112.0], frameworks=("numpy", "jax"))


def test_a_momentum_of_an_lr_below_float32s_range_is_not_read_in_float32():
    # The inner momentum's range, 6e-235, is 0 in float32: the outer momentum cannot
    # place its LR there and reads it as flat (0.125 where float64 reads 0.0).
    pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    tiny = l.inverse_momentum(schedule=l.constant(lr=1.0), base_momentum=0.0, max_momentum=6.425757914585064e-235)
    schedule = l.inverse_momentum(schedule=l.product(schedules=[tiny]), base_momentum=0.0, max_momentum=0.125)
    lt.check_backends_agree(schedule, [0.0, 5.0], frameworks=("numpy", "jax"))


# -- found by a probe from outside: a user's own policies ------------------------------------------
@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _GeometricDecay(l.Shaped):
    """A user's decay in log-LR, from `initial_lr` to `final_lr` over `decay_steps`."""

    geometric = True
    initial_lr: Annotated[float, LR]
    final_lr: Annotated[float, LR]
    decay_steps: Annotated[float, Steps]

    @property
    def levels(self):
        return (self.final_lr, self.initial_lr)

    def shape_at(self, t, xp):
        return 1.0 - xp.minimum(t, self.decay_steps) / self.decay_steps

    @property
    def shape_slope(self):
        return 1.0 / self.decay_steps


@pytest.mark.parametrize("levels", [(1.0, 1e-10), (1.0, 1e-20), (3.16e14, 1.0), (10.0, 1e-6)])
def test_a_correct_geometric_policy_of_ones_own_agrees_in_float32(levels):
    # Float32 holds the shape to 2**-24, which a log-LR span of |log(peak / floor)|
    # magnifies: the check allowed built-ins' log paths that rounding, not a user's
    # geometric shape (a false alarm at step 1.25 for 1 -> 1e-10: 2.1e-6 off).
    pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    import jax  # noqa: F401  # the check compares the frameworks the caller imported

    schedule = _GeometricDecay(initial_lr=levels[0], final_lr=levels[1], decay_steps=140.0)
    steps = np.arange(0.0, 160.0, 0.25)
    lt.check_backends_agree(schedule, steps, frameworks=("numpy", "jax", "torch", "float16", "bfloat16"))
    # A value 1% off in float32 is still found.
    off = _GeometricDecay(initial_lr=levels[0], final_lr=levels[1], decay_steps=140.0 * 1.01)
    with pytest.raises(AssertionError):
        lt.check_backends_agree(_FloatPathOf(right=schedule, wrong=off), steps, frameworks=("jax",))


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _FloatPathOf(l.Schedule):
    """`right` on Python and float64 steps, `wrong` on float32 ones: a float32 path bug."""

    right: Annotated[l.Schedule, Part()]
    wrong: Annotated[l.Schedule, Part()]

    def _value(self, t, xp):
        return self.wrong._value(t, xp) if xp.eps(t) > 1e-10 else self.right._value(t, xp)

    @property
    def bounds(self):
        return self.right.bounds

    @property
    def max_slope(self):
        return self.right.max_slope


def test_a_geometric_policy_of_ones_own_reaches_levels_float32_cannot_hold():
    # floor * exp(log(peak / floor) * shape) in float32: 1e-300 flushed to 0 and
    # exp(log(1e297)) overflowed, 0 * inf: NaN at step 0 where the value is 1e-3.
    torch = pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    schedule = _GeometricDecay(initial_lr=1e-3, final_lr=1e-300, decay_steps=100.0)
    values = schedule(torch.tensor([0.0, 50.0, 100.0], dtype=torch.float32)).double().numpy()
    np.testing.assert_allclose(values, [1e-3, float(np.float32(schedule(50.0))), 0.0], rtol=1e-5)


def test_check_backends_agree_names_an_unknown_framework_and_steps_float16_cannot_hold():
    pytest.importorskip("torch", reason="torch is not installed; CI installs it")
    schedule = l.cosine_decay(initial_lr=0.1, decay_steps=1000.0)
    with pytest.raises(ValueError, match="frameworks must be among .*'jaxx'"):
        lt.check_backends_agree(schedule, [0.0, 1.0], frameworks=("numpy", "jaxx"))
    # Large steps: float16 holds those up to 65504 and is compared there (its own cast of
    # the others was inf, which the check then passed to the schedule: a ValueError).
    lt.check_backends_agree(schedule, lt.LARGE_STEPS, frameworks=("float16", "bfloat16"))


@settings(deadline=None)
@given(lt.strategy_for(_GeometricDecay))
def test_drawn_geometric_policies_of_ones_own_agree_on_every_step_type(schedule):
    # The class the checks never drew: a user's policy in log-LR (no built-in is one).
    pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    import jax  # noqa: F401  # compared only where imported

    steps = np.linspace(0.0, min(1.5 * schedule.decay_steps, 2.0**53), 33)
    lt.check_backends_agree(schedule, steps, frameworks=("numpy", "jax", "torch", "float16", "bfloat16"))


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _WiggledDecay(l.Schedule):
    """A line from 0.1 down to 0 over 1000 steps, declared falling, that rises for one
    step at 300 (0.0693 at 300, 0.0695 at 301): not monotone where it says it is."""

    def _value(self, t, xp):
        line = 0.1 * (1.0 - xp.minimum(t, 1000.0) / 1000.0)
        bump = xp.maximum(1.0 - xp.abs(t - 301.0), 0.0) * 0.0003
        return line + bump

    @property
    def bounds(self):
        return (0.0, 0.1)

    @property
    def max_slope(self):
        return 0.001

    def pieces(self, until):
        return tuple(p for p in (Piece(0.0, 1000.0, -1), Piece(1000.0, math.inf, 0)) if p.start <= until)


def test_check_monotone_finds_a_turn_between_two_whole_steps():
    # 65 samples over the piece stepped over it; the whole steps an optimizer takes do not.
    with pytest.raises(AssertionError, match="declared trend -1"):
        lt.check_monotone(_WiggledDecay(), 2000.0)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _SawWithWrongEnds(l.Schedule):
    """A sawtooth that restarts every 150 steps but declares its cycles' ends every 100."""

    def _value(self, t, xp):
        return 0.1 * (1.0 - (t - xp.floor(t / 150.0) * 150.0) / 150.0)

    @property
    def bounds(self):
        return (0.0, 0.1)

    @property
    def max_slope(self):
        return 0.1 / 150.0

    def breakpoints(self, until, since=0.0):
        return multiples(150.0, until, since)

    def pieces(self, until):
        edges = [0.0, *multiples(150.0, until), until]
        return tuple(Piece(a, b, -1) for a, b in zip(edges, edges[1:], strict=False) if b > a)

    def cycle_ends(self, until, since=0.0):
        return multiples(100.0, until, since)


def test_check_cycles_finds_ends_declared_off_the_restarts():
    # ends_cycle and cycle_index of a schedule of one's own are read from cycle_ends:
    # the check compared the declaration with itself (snapshots are taken at these ends).
    with pytest.raises(AssertionError, match="cycle_ends holds 100.0, inside a piece declared trend -1"):
        lt.check_cycles(_SawWithWrongEnds(), 1000.0)


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _FarJump(l.Shaped):
    """A line down over 2e9 steps that declares no jump, yet drops by a third at step
    2**30 + 0.25, far past any horizon a check reads."""

    def shape_at(self, t, xp):
        line = 1.0 - xp.minimum(t, 2e9) / 2e9
        return line * xp.where(t < 2.0**30 + 0.25, 1.0, 2.0 / 3.0)

    @property
    def levels(self):
        return (0.0, 0.1)

    @property
    def shape_slope(self):
        return 1.0 / 2e9


def test_check_schedule_finds_an_undeclared_jump_far_out():
    # Only finite and bounded were checked at LARGE_STEPS: continuity stopped at the
    # horizon (at most 1e4 steps).
    with pytest.raises(AssertionError, match="no breakpoint between"):
        lt.check_schedule(_FarJump())
    lt.check_continuous(_FarJump(), [0.0, 2.0**29])  # the near steps are right


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class _ShapeOverOne(l.Shaped):
    """A decay whose shape reaches 1.3 between steps 100 and 110: its value is clipped to
    the peak there, so no bound or slope is broken, but the shape is wrong."""

    def shape_at(self, t, xp):
        line = 1.0 - xp.minimum(t, 1000.0) / 1000.0
        return xp.where((t >= 100.0) & (t < 110.0), 1.3, line)

    @property
    def levels(self):
        return (0.0, 0.1)

    def breakpoints(self, until, since=0.0):
        return tuple(b for b in (100.0, 110.0) if since <= b <= until)


def test_check_schedule_finds_a_shape_outside_0_1_that_the_clip_hides():
    with pytest.raises(AssertionError, match=r"outside \[0, 1\]"):
        lt.check_schedule(_ShapeOverOne(), until=500.0)


def test_check_backends_agree_imports_the_frameworks_it_is_given():
    # A framework not imported before was skipped silently: the docs' own example named
    # JAX without importing it, and a policy 10% off in float32 passed. In a fresh
    # interpreter, with nothing imported but lrsched.
    pytest.importorskip("jax", reason="jax is not installed; CI installs it")
    import subprocess
    import sys

    script = (
        "import dataclasses, lrsched as l, lrsched.testing as lt\n"
        "@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)\n"
        "class Off(l.Schedule):\n"
        "    def _value(self, t, xp):\n"
        "        return 0.1 * (1.0 - xp.minimum(t, 100.0) / 100.0) * (1.1 if xp.eps(t) > 1e-10 else 1.0)\n"
        "    @property\n"
        "    def bounds(self): return (0.0, 0.11)\n"
        "    @property\n"
        "    def max_slope(self): return 0.0011\n"
        "try:\n"
        "    lt.check_backends_agree(Off(), [0.0, 10.0, 50.0], frameworks=('numpy', 'jax'))\n"
        "except AssertionError as error:\n"
        "    print('found', 'jax gives' in str(error))\n"
        "else:\n"
        "    print('passed')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "found True"
