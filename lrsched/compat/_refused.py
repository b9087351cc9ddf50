"""What compat refuses, and why: every configuration a peer accepts that compat has no
equal for, by (function, peer parameter). A function is named by its path under
`lrsched.compat` (`"torch.OneCycleLR"`); `"timm"` stands for every `compat.timm` function."""

from __future__ import annotations

from typing import Any

#: The most stairs a staircase growth to a ceiling is laid out with (optax, Keras).
MAX_STAIRS = 10_000

_AHEAD = "lrsched has no time shift (schedule(t + k)) to express that"
_SHIFT = (
    "a resume at last_epoch >= 0 runs this scheduler from step last_epoch + 1, part-way into a cosine or a "
    "cycle: " + _AHEAD
)

_RISING_CYCLES = (
    "a cycle whose peak is 0 below lr_min (lr=0, or cycle_decay=0 after the first cycle) rises from 0 to lr_min, "
    "and lrsched's decays start above 0"
)
_NEGATIVE_PEAKS = "cycle_decay < 0 puts every other cycle's peak (lr * cycle_decay**i) below 0: an LR is >= 0"
_K_DECAY = (
    "k_decay < 0 with one cycle, which starts inside a warmup that is no prefix (so timm never reaches its 0 to "
    "the power k_decay): the decay's clock (t / t_initial)**k_decay then runs from above 1 down to 1, past the "
    "decay's end, which lrsched's k_decay (> 0) has no equal for"
)

_NEGATIVE_LR = "an LR below 0, which the peer computes with as given: an LR is >= 0"

#: Every configuration a peer accepts that compat refuses, by (function, peer parameter): why.
REFUSED: dict[tuple[str, str], str] = {
    ("torch.OneCycleLR", "pct_start"): (
        "with anneal_strategy='cos', pct_start * total_steps < 1 puts torch's peak before step 0: step 0 lies "
        "part-way along a half cosine that started before it, which lrsched cannot shift into place"
    ),
    ("torch.OneCycleLR", "last_epoch"): _SHIFT,
    ("torch.CyclicLR", "scale_fn"): (
        "an arbitrary Python function has no frozen, configurable equal: lrsched's cyclic takes mode= (and gamma "
        "for exp_range)"
    ),
    ("timm.WSDLRScheduler", "decay_fn"): (
        "a callable is an arbitrary Python function, which has no frozen, configurable equal: give one of the "
        "named decay shapes"
    ),
    ("timm", "noise_range_t"): "a random LR noise is not a pure function of the step",
    ("timm", "warmup_t"): (
        "warmup_t < 0 with the warmup as a prefix (warmup_prefix=True; WSDLRScheduler's always is) runs the "
        "schedule that many steps ahead: " + _AHEAD
    ),
    ("timm", "warmup_lr_init"): "warmup_lr_init < 0 starts the warmup at an LR below 0: an LR is >= 0",
    ("timm.PolyLRScheduler", "power"): (
        "power < 0 raises the steps left to a negative power: the LR grows without bound toward the end of each "
        "cycle whose peak is not lr_min"
    ),
    ("timm.TanhLRScheduler", "lb"): (
        "lb below -20: lrsched's tanh_decay takes its bounds within +-20 (where tanh is not yet +-1 in float64), "
        "and moving a bound changes the whole curve"
    ),
    ("timm.TanhLRScheduler", "ub"): (
        "ub above 20: lrsched's tanh_decay takes its bounds within +-20 (where tanh is not yet +-1 in float64), "
        "and moving a bound changes the whole curve"
    ),
    ("transformers.get_scheduler", "name"): (
        "reduce_lr_on_plateau and greedy follow a metric, not the step: they are not schedules"
    ),
    ("torch.CyclicLR", "base_lr"): (
        "base_lr above both max_lr and 1 with mode triangular2 or exp_range: the cycle upside down, which "
        "lrsched expresses (as a cycle's inverse) between levels in [0, 1] only"
    ),
    ("torch.CyclicLR", "gamma"): (
        "exp_range with gamma > 1 grows the LR without bound; with gamma < 0 its scale gamma**step alternates in "
        "sign, so every other step's LR falls below base_lr (and below 0 for a base_lr near 0): lrsched's "
        "exp_range takes gamma in (0, 1]"
    ),
    ("torch.CyclicLR", "step_size_up"): (
        "a step size below 0 runs torch's cycle position backwards, through values that are no triangle "
        "lrsched's cyclic draws (its step sizes are > 0)"
    ),
    ("torch.CyclicLR", "step_size_down"): (
        "a step size below 0 runs torch's cycle position backwards, through values that are no triangle "
        "lrsched's cyclic draws (its step sizes are > 0); step_size_down=0 with mode triangular2 or exp_range "
        "is a sawtooth whose rise shrinks from cycle to cycle (by cycle, or by step for exp_range) while its "
        "start stays at base_lr, which lrsched's restarts (they scale a cycle about its end) do not express"
    ),
    ("torch.OneCycleLR", "div_factor"): "div_factor < 0 starts the cycle at max_lr / div_factor: " + _NEGATIVE_LR,
    ("torch.OneCycleLR", "final_div_factor"): (
        "final_div_factor < 0 ends the cycle at max_lr / (div_factor * final_div_factor): " + _NEGATIVE_LR
    ),
    ("torch.CosineAnnealingLR", "eta_min"): (
        "eta_min < 0 runs the cosine down to an LR below 0 at T_max, and lrsched's cosine floors are >= 0"
    ),
    ("torch.CosineAnnealingWarmRestarts", "eta_min"): (
        "eta_min < 0 runs each cycle's cosine toward an LR below 0, and lrsched's cosine floors are >= 0"
    ),
    ("torch.StepLR", "step_size"): (
        "a step_size that is not a whole number: torch drops the LR where its whole step count is an exact "
        "float multiple of it (for 2.5, every 5 steps; for most fractions never, or where rounding falls), "
        "which lrsched's stairs (every step_size steps) do not follow"
    ),
    ("torch.MultiStepLR", "gamma"): (
        "gamma < 0 makes the LR negative after an odd number of milestones, and lrsched's milestone drops take "
        "a factor >= 0"
    ),
    ("torch.CyclicLR", "last_epoch"): _SHIFT,
    ("torch.CosineAnnealingWarmRestarts", "last_epoch"): _SHIFT,
    ("torch.CosineAnnealingWarmRestarts", "lr"): (
        "a group LR of 0 below eta_min makes each cycle rise from 0; lrsched's restarts repeat a decay that "
        "starts above 0"
    ),
    ("torch.CosineAnnealingLR", "last_epoch"): _SHIFT,
    ("torch.StepLR", "gamma"): (
        "gamma > 1 grows the LR without bound; gamma < 0 alternates the stairs' sign (an LR is >= 0)"
    ),
    ("torch.ExponentialLR", "gamma"): (
        "gamma > 1 grows the LR without bound; gamma < 0 alternates the LR's sign at every step (an LR is >= 0)"
    ),
    ("timm.TanhLRScheduler", "lr_min"): (
        "lr_min above lr makes each tanh cycle rise; lrsched's tanh_decay falls only (final_lr <= initial_lr)"
    ),
    ("timm.StepLRScheduler", "decay_rate"): (
        "decay_rate > 1 grows the LR without bound, and decay_rate < 0 makes every other stair's LR negative: an "
        "LR is >= 0"
    ),
    ("timm.StepLRScheduler", "decay_t"): (
        "decay_t < 0 counts its stairs down (t // decay_t is -1 just after step 0): the LR then grows for a "
        "decay_rate below 1, or drops just after each multiple of -decay_t instead of at it for one above 1, "
        "which lrsched's stairs (they change at the multiple) have no equal for"
    ),
    ("timm.MultiStepLRScheduler", "decay_rate"): (
        "decay_rate < 0 makes the LR negative after an odd number of milestones, and lrsched's milestone drops "
        "take a factor >= 0"
    ),
    ("transformers.get_scheduler", "num_training_steps"): (
        "warmup_stable_decay with num_training_steps below num_warmup_steps + num_decay_steps starts the decay "
        "part-way along its curve: lrsched has no time shift to express that"
    ),
    ("transformers.get_scheduler", "num_stable_steps"): (
        "warmup_stable_decay with num_stable_steps < 0 starts the decay part-way along its curve: lrsched has "
        "no time shift to express that"
    ),
    ("transformers.get_scheduler", "num_warmup_steps"): (
        "cosine_warmup_with_min_lr with num_warmup_steps=0 runs its cosine one step ahead of the step (progress "
        "(step + 1) / T): lrsched has no time shift to express that"
    ),
    ("timm.TanhLRScheduler", "cycle_decay"): (
        "with cycle_mul < 1, a cycle_decay that brings a cycle's peak below lr_min: that cycle's tanh rises, and "
        "lrsched's tanh_decay falls only (for cycle_mul >= 1 its restarts rise there, as timm does; cycle_decay=0 "
        "puts every later peak at 0 either way); " + _NEGATIVE_PEAKS
    ),
    ("transformers.get_scheduler", "min_lr_ratio"): (
        "warmup_stable_decay with min_lr_ratio > 1 and decay_type='1-sqrt': the cooldown then rises along "
        "sqrt(p), which no lrsched shape is (the 1-sqrt cooldown falls, the 1-sqrt warmup rises along "
        "1 - sqrt(1 - p)); or min_lr_ratio < 0: transformers then clips its warmup and cooldown at 0 part-way "
        "along their curves, which lrsched's warmups and cooldowns (from and to an LR >= 0) do not express"
    ),
    ("optax.polynomial_schedule", "init_value"): (
        "init_value=0 with a power other than 1 or 0.5 rises along 1 - (1 - r)**power from 0: lrsched's "
        "polynomial starts above 0 (initial_lr > 0) and its ramps are linear, cosine, 1-sqrt or exp"
    ),
    ("optax.exponential_decay", "decay_rate"): (
        "decay_rate > 1 without end_value grows the LR without bound: give end_value, the ceiling it grows to; "
        "decay_rate < 0 with staircase=True alternates the stairs' sign (an LR is >= 0)"
    ),
    ("optax.warmup_exponential_decay_schedule", "decay_rate"): (
        "decay_rate > 1 without end_value grows the LR without bound: give end_value, the ceiling it grows to; "
        "decay_rate < 0 with staircase=True alternates the stairs' sign (an LR is >= 0)"
    ),
    ("optax.warmup_exponential_decay_schedule", "end_value"): (
        f"a staircase growth of more than {MAX_STAIRS} stairs to end_value"
    ),
    ("optax.warmup_cosine_decay_schedule", "exponent"): (
        "exponent < 0 raises the cosine factor to a negative power: infinite where it reaches 0"
    ),
    ("optax.piecewise_interpolate_schedule", "boundaries_and_scales"): (
        "a boundary below 0 with interpolate_type='cosine' starts step 0 part-way along a half cosine: " + _AHEAD
    ),
    ("optax.cosine_onecycle_schedule", "pct_start"): (
        "pct_start < 0 puts the peak before step 0, which starts step 0 part-way along a half cosine: " + _AHEAD
    ),
    ("keras.CosineDecay", "alpha"): "alpha < 0 takes the LR below 0 at the end of the decay: an LR is >= 0",
    ("keras.CosineDecayRestarts", "alpha"): "alpha < 0 takes the LR below 0 in each cycle: an LR is >= 0",
    ("optax.exponential_decay", "end_value"): f"a staircase growth of more than {MAX_STAIRS} stairs to end_value",
    ("keras.ExponentialDecay", "decay_rate"): (
        "decay_rate > 1 grows the LR without bound: give end_value (lrsched's own), the ceiling it grows to; "
        "decay_rate < 0 with staircase=True alternates the stairs' sign (an LR is >= 0)"
    ),
    ("keras.ExponentialDecay", "end_value"): f"a staircase growth of more than {MAX_STAIRS} stairs to end_value",
    ("keras.CosineDecayRestarts", "t_mul"): (
        "t_mul < 1 shrinks the cycles towards a finite end, past which Keras' logarithm is undefined; lrsched's "
        "restarts lengthen or keep their cycles (cycle_mult >= 1)"
    ),
    ("keras.CosineDecayRestarts", "m_mul"): (
        "m_mul > 1 grows each cycle's amplitude without bound: give cycles (lrsched's own), how many cycles run "
        "before the LR holds alpha * initial_learning_rate; m_mul < 0 turns every other cycle's amplitude "
        "negative (m_mul**i)"
    ),
    ("keras.PolynomialDecay", "initial_learning_rate"): (
        "initial_learning_rate=0 rises along 1 - (1 - p)**power from 0: lrsched's polynomial starts above 0"
    ),
    ("torch.SequentialLR", "last_epoch"): "a resumed SequentialLR: resume its parts instead (their last_epoch)",
    ("torch.SequentialLR", "schedulers"): (
        "schedulers built on different group LRs (one optimizer has one LR), a CosineAnnealingLR first whose "
        "group initial_lr a later OneCycleLR rewrites (torch then mixes its recursive form over two LRs), or a "
        "SequentialLR or ChainedScheduler among them (torch steps the inner one's schedulers through the outer "
        "one's steps and milestones, which compat does not map)"
    ),
    ("torch.SequentialLR", "milestones"): (
        "milestones out of order or not whole numbers: torch compares them with its whole step count by "
        "bisection, so a fractional one is never reached exactly and an unsorted list is searched out of order"
    ),
    ("transformers.get_scheduler", "num_cycles"): (
        "num_cycles < 0 with hard restarts: transformers takes (num_cycles * progress) % 1, which for a negative "
        "num_cycles runs each cycle's cosine upward, from 0 to the LR, with the LR itself at each restart"
    ),
    ("timm.MultiStepLRScheduler", "decay_t"): (
        "decay_t out of order: timm bisects it as if it were sorted, which counts the milestones passed wrongly"
    ),
    ("keras.PiecewiseConstantDecay", "boundaries"): (
        "boundaries out of order: Keras then sums two ranges' values on some steps and skips a value"
    ),
    ("optax.warmup_cosine_decay_schedule", "warmup_steps"): "warmup_steps < 0 runs the cosine that many steps ahead: "
    + _AHEAD,
    ("optax.warmup_exponential_decay_schedule", "warmup_steps"): "warmup_steps < 0 runs the decay that many steps "
    "ahead: " + _AHEAD,
    ("keras.CosineDecay", "warmup_steps"): "warmup_steps < 0 runs the cosine that many steps ahead: " + _AHEAD,
    ("optax.cosine_decay_schedule", "alpha"): "alpha < 0 takes the LR below 0 at the end of the decay: an LR is >= 0",
    ("optax.cosine_decay_schedule", "exponent"): (
        "exponent < 0 raises the cosine factor to a negative power: infinite where it reaches 0"
    ),
    ("optax.join_schedules", "boundaries"): (
        "a boundary below 0 runs its schedule that many steps ahead (schedule(t - boundary)), which lrsched has "
        "no time shift for; or a count other than one fewer than the schedules, which optax zips, dropping the rest"
    ),
    ("transformers.get_scheduler", "min_lr"): "min_lr < 0 takes the LR below 0 at the end of the cosine",
    ("transformers.get_scheduler", "min_lr_rate"): "min_lr_rate < 0 takes the LR below 0 at the end of the cosine",
    ("timm.CosineLRScheduler", "lr"): _RISING_CYCLES,
    ("timm.PolyLRScheduler", "lr"): _RISING_CYCLES,
    ("timm.CosineLRScheduler", "cycle_decay"): _RISING_CYCLES + "; " + _NEGATIVE_PEAKS,
    ("timm.PolyLRScheduler", "cycle_decay"): _RISING_CYCLES + "; " + _NEGATIVE_PEAKS,
    ("timm.CosineLRScheduler", "k_decay"): _K_DECAY,
    ("timm.PolyLRScheduler", "k_decay"): _K_DECAY,
    ("torch.MultiStepLR", "milestones"): (
        "a milestone below 0 or not a whole number: torch's step count is a whole number from 0, so it never "
        "reaches it and its LR never drops there"
    ),
    ("torch.ChainedScheduler", "schedulers"): (
        "a CosineAnnealingLR in a chain mixes its recursive form with the other schedulers' factors (past "
        "T_max its value depends on theirs), and a OneCycleLR, CyclicLR or CosineAnnealingWarmRestarts that "
        "is not the last one sets the LR outright each step (the later ones multiply only their latest step's "
        "change): neither is a product of schedules; nor is a SequentialLR or ChainedScheduler among them, whose "
        "schedulers torch steps through the outer chain"
    ),
}


#: The peer arguments an LR below 0 is refused by, by function.
_NEGATIVE_LRS = {
    "optax.constant_schedule": ("value",),
    "optax.linear_schedule": ("init_value", "end_value"),
    "optax.polynomial_schedule": ("init_value", "end_value"),
    "optax.cosine_decay_schedule": ("init_value",),
    "optax.exponential_decay": ("init_value", "end_value"),
    "optax.warmup_exponential_decay_schedule": ("init_value", "peak_value", "end_value"),
    "optax.piecewise_constant_schedule": ("init_value",),
    "optax.piecewise_interpolate_schedule": ("init_value",),
    "optax.warmup_constant_schedule": ("init_value", "peak_value"),
    "optax.warmup_cosine_decay_schedule": ("init_value", "peak_value", "end_value"),
    "optax.cosine_onecycle_schedule": ("peak_value",),
    "optax.linear_onecycle_schedule": ("peak_value",),
    "keras.CosineDecay": ("initial_learning_rate", "warmup_target"),
    "keras.CosineDecayRestarts": ("initial_learning_rate",),
    "keras.ExponentialDecay": ("initial_learning_rate", "end_value"),
    "keras.InverseTimeDecay": ("initial_learning_rate",),
    "keras.PiecewiseConstantDecay": ("values",),
    "keras.PolynomialDecay": ("initial_learning_rate", "end_learning_rate"),
    "torch.CyclicLR": ("base_lr", "max_lr"),
    "torch.OneCycleLR": ("max_lr",),
}
for _function, _parameters in _NEGATIVE_LRS.items():
    for _parameter in _parameters:
        _key = (_function, _parameter)
        REFUSED[_key] = f"{REFUSED[_key]}; or {_NEGATIVE_LR}" if _key in REFUSED else _NEGATIVE_LR


# Keras computes a schedule in the dtype of its initial_learning_rate: an int gives
# integer arithmetic (measured side by side in tests/compat/test_compat_optax_keras_edges.py).
_INT_LR = (
    "an int, with which Keras computes the schedule in an integer dtype (ExponentialDecay(1, 10, 0.5) gives 0 from "
    "step 1, CosineDecay(1, 10) ends at 0.005): pass a float (1.0) for the schedule the arguments describe"
)
for _function in (
    "keras.CosineDecay",
    "keras.CosineDecayRestarts",
    "keras.ExponentialDecay",
    "keras.InverseTimeDecay",
    "keras.PolynomialDecay",
):
    _key = (_function, "initial_learning_rate")
    REFUSED[_key] = f"{REFUSED[_key]}; or {_INT_LR}" if _key in REFUSED else _INT_LR


class RefusedError(ValueError):
    """A configuration the peer accepts that compat has no equal for: names the peer's
    parameter, the value given and why (every reason is listed in `REFUSED`)."""

    def __init__(self, function: str, parameter: str, value: Any, detail: str = "") -> None:
        self.function, self.parameter, self.value = function, parameter, value
        reason = REFUSED[(function, parameter)]
        super().__init__(f"{function}: {parameter}={value!r} is refused: {reason}{detail}")


class RefusedCallableError(RefusedError, TypeError):
    """A refused peer argument that is an arbitrary Python function (also a TypeError)."""


def bad(function: str, parameter: str, value: Any, allowed: str) -> ValueError:
    """A value outside the peer's own domain (the peer raises, or divides by zero, too)."""
    return ValueError(f"{function}: {parameter} must be {allowed}; got {parameter}={value!r}")
