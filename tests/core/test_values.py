"""Schedules are frozen values: repr, ==, hash, pickle and a JSON-safe config round-trip."""

import dataclasses
import json
import pickle

import pytest
from hypothesis import given

import lrsched as l
import lrsched.testing as lt


@given(lt.schedules())
def test_config_pickle_repr_round_trip(schedule):
    config = schedule.to_config()
    text = json.dumps(config)  # JSON-safe, nested for compositions
    again = l.from_config(json.loads(text))
    assert again == schedule and hash(again) == hash(schedule)
    assert again(3.5) == schedule(3.5)
    assert pickle.loads(pickle.dumps(schedule)) == schedule
    assert eval(repr(schedule), vars(l)) == schedule  # repr is the call that builds it
    # A config written in Python (or loaded by a YAML or msgpack reader) may hold tuples.
    assert l.from_config(_lists_as_tuples(config)) == schedule


def _lists_as_tuples(value):
    if isinstance(value, dict):
        return {k: _lists_as_tuples(v) for k, v in value.items()}
    if isinstance(value, list):
        return tuple(_lists_as_tuples(v) for v in value)
    return value


def test_nested_config_shape():
    s = l.inverse_momentum(schedule=l.warmup(schedule=l.one_cycle(max_lr=1.0, total_steps=10), steps=3))
    config = s.to_config()
    assert config["policy"] == "inverse_momentum"
    assert config["schedule"]["policy"] == "warmup"
    assert config["schedule"]["schedule"] == {
        "policy": "one_cycle",
        "max_lr": 1.0,
        "total_steps": 10,
        "pct_start": 0.3,
        "div_factor": 25.0,
        "final_div_factor": 1e4,
        "anneal": "cos",
        "three_phase": False,
    }
    j = l.join(schedules=[l.constant(lr=0.1), l.exponential(initial_lr=0.1, gamma=0.9)], boundaries=[5])
    assert j.to_config()["schedules"][1] == {"policy": "exponential", "initial_lr": 0.1, "gamma": 0.9}
    assert j.to_config()["boundaries"] == [5]


def test_frozen_and_equal_by_value():
    a = l.cyclic(base_lr=0.1, max_lr=1.0, step_size_up=4)
    b = l.cyclic(base_lr=0.1, max_lr=1.0, step_size_up=4)
    assert a == b and hash(a) == hash(b) and a is not b
    assert a != l.cyclic(base_lr=0.1, max_lr=1.0, step_size_up=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.max_lr = 2.0  # type: ignore[misc]
    assert repr(a) == (
        "cyclic(base_lr=0.1, max_lr=1.0, step_size_up=4, step_size_down=None, mode='triangular', gamma=1.0)"
    )


def test_lists_become_tuples_and_numpy_scalars_plain_numbers():
    import numpy as np

    m = l.multi_step(initial_lr=np.float32(0.5), milestones=[np.int64(3), 7], gamma=0.5)
    assert m.milestones == (3, 7) and type(m.milestones[0]) is int
    assert type(m.initial_lr) is float
    json.dumps(m.to_config())


def test_from_config_rejects_unknown_policy_and_keys():
    with pytest.raises(ValueError, match="policy"):
        l.from_config({"policy": "no_such"})
    with pytest.raises(ValueError, match="unknown keys \\['max_lrr'\\]"):
        l.from_config({"policy": "constant", "lr": 0.1, "max_lrr": 2})
    with pytest.raises(TypeError, match="config must be a dict"):
        l.from_config([1, 2])  # type: ignore[arg-type]
