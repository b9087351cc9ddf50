"""lrsched.compat as a package: a module per peer, the flat names of earlier releases as
deprecated aliases, the torch provenance that copies and pickles carry, and no framework
imported."""

import copy
import inspect
import pickle
import re
import subprocess
import sys

import pytest

import lrsched as l
from lrsched import compat

PEERS = ("torch", "optax", "keras", "timm", "transformers")
# The prefix each peer's functions carried as flat names of lrsched.compat (of the
# transformers functions, only get_scheduler had one: hf_get_scheduler).
FLAT_PREFIX = {"torch": "torch_", "optax": "optax_", "keras": "keras_", "timm": "timm_", "transformers": "hf_"}


def _functions(peer):
    module = getattr(compat, peer)
    return [name for name in module.__all__ if inspect.isfunction(getattr(module, name))]


OLD_NAMES = {
    FLAT_PREFIX[peer] + name: (peer, name)
    for peer in PEERS
    for name in _functions(peer)
    if peer != "transformers" or name == "get_scheduler"
}


def _torch_parts():
    return [compat.torch.LinearLR(0.1, start_factor=0.1, total_iters=5), compat.torch.ExponentialLR(0.1, gamma=0.9)]


# One call of each function: (positional arguments, keyword arguments).
EXAMPLES = {
    "torch.ChainedScheduler": (lambda: [_torch_parts()], {"lr": 0.1}),
    "torch.ConstantLR": (lambda: [0.1], {"factor": 0.5, "total_iters": 4}),
    "torch.CosineAnnealingLR": (lambda: [0.1], {"T_max": 30, "eta_min": 0.001}),
    "torch.CosineAnnealingWarmRestarts": (lambda: [0.1], {"T_0": 5, "T_mult": 2}),
    "torch.CyclicLR": (lambda: [0.01, 0.1], {"step_size_up": 6, "mode": "triangular2"}),
    "torch.ExponentialLR": (lambda: [0.1], {"gamma": 0.9}),
    "torch.LinearLR": (lambda: [0.1], {"total_iters": 10}),
    "torch.MultiStepLR": (lambda: [0.1], {"milestones": [5, 20], "gamma": 0.5}),
    "torch.OneCycleLR": (lambda: [], {"max_lr": 0.3, "total_steps": 100}),
    "torch.PolynomialLR": (lambda: [0.1], {"total_iters": 20, "power": 2.0}),
    "torch.SequentialLR": (lambda: [_torch_parts()], {"milestones": [5]}),
    "torch.StepLR": (lambda: [0.1], {"step_size": 7, "gamma": 0.5}),
    "optax.constant_schedule": (lambda: [0.2], {}),
    "optax.cosine_decay_schedule": (lambda: [0.4, 50], {"alpha": 0.1}),
    "optax.cosine_onecycle_schedule": (lambda: [75, 0.3], {"pct_start": 0.25}),
    "optax.exponential_decay": (lambda: [0.4, 10, 0.5], {"transition_begin": 7}),
    "optax.join_schedules": (lambda: [[l.constant(lr=0.3), l.cosine_decay(initial_lr=0.3, decay_steps=20)], [15]], {}),
    "optax.linear_onecycle_schedule": (lambda: [75, 0.3], {"pct_start": 0.25, "pct_final": 0.5}),
    "optax.linear_schedule": (lambda: [0.5, 0.01, 30], {"transition_begin": 10}),
    "optax.piecewise_constant_schedule": (lambda: [0.4, {10: 0.5, 30: 0.1}], {}),
    "optax.piecewise_interpolate_schedule": (lambda: ["cosine", 0.1, {10: 3.0, 25: 0.1}], {}),
    "optax.polynomial_schedule": (lambda: [0.5, 0.01, 2.0, 40], {}),
    "optax.sgdr_schedule": (lambda: [[dict(init_value=0.0, peak_value=0.3, warmup_steps=5, decay_steps=40)] * 2], {}),
    "optax.warmup_constant_schedule": (lambda: [0.0, 0.3, 15], {}),
    "optax.warmup_cosine_decay_schedule": (lambda: [0.0, 0.3, 10, 60], {"end_value": 0.01}),
    "optax.warmup_exponential_decay_schedule": (lambda: [0.0, 0.4, 10, 15, 0.5], {"end_value": 0.02}),
    "keras.CosineDecay": (lambda: [0.4, 50], {"alpha": 0.1}),
    "keras.CosineDecayRestarts": (lambda: [0.4, 10], {"m_mul": 0.8, "alpha": 0.1}),
    "keras.ExponentialDecay": (lambda: [0.4, 10, 0.5], {"staircase": True}),
    "keras.InverseTimeDecay": (lambda: [0.4, 10, 0.5], {}),
    "keras.PiecewiseConstantDecay": (lambda: [[10, 30], [0.4, 0.2, 0.05]], {}),
    "keras.PolynomialDecay": (lambda: [0.4, 40], {"power": 2.0}),
    "timm.CosineLRScheduler": (lambda: [0.1, 40], {"lr_min": 0.001, "warmup_t": 5, "warmup_lr_init": 1e-4}),
    "timm.MultiStepLRScheduler": (lambda: [0.1, [10, 25]], {"decay_rate": 0.3}),
    "timm.PolyLRScheduler": (lambda: [0.1, 30], {"power": 2.0}),
    "timm.StepLRScheduler": (lambda: [0.1, 7], {"decay_rate": 0.5, "warmup_t": 3}),
    "timm.TanhLRScheduler": (lambda: [0.1, 40], {"lr_min": 0.002}),
    "timm.WSDLRScheduler": (lambda: [0.1, 80, 20], {"warmup_t": 10, "lr_min": 0.001}),
    "transformers.get_scheduler": (lambda: ["cosine", 0.1, 10, 100], {}),
}


def test_each_peer_is_a_module_of_its_own_names():
    for peer in PEERS:
        module = getattr(compat, peer)
        assert module.__name__ == f"lrsched.compat.{peer}" and module.__doc__
        assert all(getattr(module, name).__module__ == module.__name__ for name in _functions(peer))
    assert compat.torch.OneCycleLR.__name__ == "OneCycleLR"
    assert compat.transformers.get_scheduler.__name__ == "get_scheduler"


def test_every_function_with_a_flat_name_has_an_example():
    assert {f"{peer}.{name}" for peer, name in OLD_NAMES.values()} == set(EXAMPLES)


@pytest.mark.parametrize("old", sorted(OLD_NAMES))
def test_a_flat_name_of_earlier_releases_warns_and_is_the_new_function(old):
    peer, name = OLD_NAMES[old]
    new = getattr(getattr(compat, peer), name)
    message = f"lrsched.compat.{old} is deprecated: use lrsched.compat.{peer}.{name}"
    with pytest.warns(DeprecationWarning, match=re.escape(message)):
        function = getattr(compat, old)
    assert function is new
    args, kwargs = EXAMPLES[f"{peer}.{name}"]
    schedule = function(*args(), **kwargs)
    assert isinstance(schedule, l.Schedule) and schedule == new(*args(), **kwargs)
    assert old not in dir(compat)


def test_a_flat_name_imports_with_the_warning():
    with pytest.warns(DeprecationWarning, match=r"use lrsched\.compat\.torch\.StepLR"):
        from lrsched.compat import torch_StepLR
    assert torch_StepLR is compat.torch.StepLR
    with pytest.raises(AttributeError, match="torch_NoSuchLR"):
        compat.torch_NoSuchLR  # noqa: B018


def test_torch_provenance_survives_copy_and_pickle():
    lr = compat.torch.OneCycleLR(max_lr=0.3, total_steps=100, base_momentum=0.8)
    momentum = compat.momentum_of(lr)
    assert momentum is not None
    for twin in (copy.copy(lr), copy.deepcopy(lr), pickle.loads(pickle.dumps(lr))):
        assert twin == lr and hash(twin) == hash(lr) and repr(twin) == repr(lr)
        assert compat.momentum_of(twin) == momentum
    # SequentialLR reads how each part was built: an unpickled part is read the same way
    parts = [compat.torch.ExponentialLR(0.1, gamma=0.9), lr]
    sequence = compat.torch.SequentialLR(parts, [10])
    assert compat.torch.SequentialLR(pickle.loads(pickle.dumps(parts)), [10]) == sequence
    assert sequence != l.join(schedules=parts, boundaries=[10])  # OneCycleLR rewrote the group's initial_lr


def test_torch_provenance_belongs_to_the_object_not_its_value():
    # Equal LR schedules from calls that differ in momentum alone: each keeps its own.
    cycled = compat.torch.OneCycleLR(max_lr=0.3, total_steps=100)
    plain = compat.torch.OneCycleLR(max_lr=0.3, total_steps=100, cycle_momentum=False)
    assert cycled == plain
    assert compat.momentum_of(cycled) is not None and compat.momentum_of(plain) is None
    assert compat.momentum_of(l.from_config(cycled.to_config())) is None  # a new value, built by no torch call
    assert compat.momentum_of(l.cosine_decay(initial_lr=0.1, decay_steps=10)) is None


def test_python_m_lrsched_compat_prints_the_table_and_compat_imports_no_framework():
    frameworks = ["torch", "optax", "jax", "keras", "tensorflow", "timm", "transformers"]
    code = (
        "import sys, runpy, io, contextlib\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out):\n"
        "    runpy.run_module('lrsched.compat', run_name='__main__')\n"
        f"print(sorted(m for m in {frameworks!r} if m in sys.modules))\n"
        "print(out.getvalue(), end='')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    imported, table = done.stdout.split("\n", 1)
    assert imported == "[]"
    assert table == compat.migration_table()
