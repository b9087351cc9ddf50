"""A policy of your own, declared once, checked by lrsched's property checks: its
constructor checks, bounds, slope, pieces, config and every step type follow from the
declarations.

    python examples/custom_policy_checks.py
"""

import dataclasses
from typing import Annotated

from hypothesis import given, settings

import lrsched as l
import lrsched.testing as lt
from lrsched.params import LR, Steps


@dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
class Rex(l.Shaped):
    """REX: the LR falls as (1 - x) / (1/2 + (1 - x)/2), x = t / T, from `max_lr` to 0.

    Args:
        max_lr: the LR at step 0.
        total_steps: T, where the LR reaches 0.

    Reference: Chen, Wolfe, Kyrillidis, "REX: Revisiting Budgeted Training with an
    Improved Schedule", MLSys 2022.
    """

    policy = "example_rex"
    max_lr: Annotated[float, LR]
    total_steps: Annotated[float, Steps]

    @property
    def levels(self) -> tuple[float, float]:
        return (0.0, self.max_lr)

    def shape_at(self, t, xp):
        left = 1.0 - xp.minimum(t, self.total_steps) / self.total_steps
        return left / (0.5 + 0.5 * left)

    @property
    def shape_slope(self) -> float:
        return 2.0 / self.total_steps  # the steepest point is the end, where left = 0

    def shape_pieces(self, until):
        end = min(until, self.total_steps)
        tail = (l.Piece(self.total_steps, until, 0),) if until > self.total_steps else ()
        return (l.Piece(0.0, end, -1),) + tail


rex = Rex(max_lr=0.1, total_steps=100)
print(rex, rex(0), rex(50), rex(100))
assert abs(rex(50) - 0.1 * 0.5 / 0.75) < 1e-15
lt.check_schedule(rex)


@settings(max_examples=50)
@given(lt.strategy_for(Rex))
def test_rex(schedule):
    lt.check_schedule(schedule)


test_rex()
print("Rex passed lrsched's property checks")
