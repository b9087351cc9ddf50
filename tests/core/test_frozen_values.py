"""Policies are frozen keyword-only dataclass values (`lrsched._frozen`): the meaning a
`@dataclasses.dataclass(frozen=True, kw_only=True)` class has, for every registered
policy and for users' subclasses of them."""

from __future__ import annotations

import copy
import dataclasses
import inspect
import math
import pickle
from typing import Annotated, Any

import pytest

import lrsched as l
from lrsched.base import RestartableDecay, Schedule, parameter_names
from lrsched.params import LR, Flag, Interval

POLICIES = sorted(Schedule._registry.items())


@pytest.mark.parametrize(("name", "cls"), POLICIES, ids=[name for name, _ in POLICIES])
def test_every_policy_is_a_frozen_keyword_only_dataclass_value(name: str, cls: type[Schedule]) -> None:
    schedule = cls.example()
    assert dataclasses.is_dataclass(schedule) and cls.__dataclass_params__.frozen  # type: ignore[attr-defined]
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    for field in fields:
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(schedule, field.name, getattr(schedule, field.name))
        with pytest.raises(dataclasses.FrozenInstanceError):
            delattr(schedule, field.name)
    with pytest.raises(dataclasses.FrozenInstanceError):
        schedule.not_a_field = 1  # type: ignore[attr-defined]  # a frozen class takes no new attribute either

    again = dataclasses.replace(schedule)
    assert again == schedule and hash(again) == hash(schedule) and again is not schedule
    assert copy.deepcopy(schedule) == schedule and pickle.loads(pickle.dumps(schedule)) == schedule
    assert (schedule == object()) is False and schedule != object()
    parameters = {f.name: getattr(schedule, f.name) for f in fields if f.init}
    assert dataclasses.asdict(schedule).keys() == {f.name for f in fields}

    # Equal exactly when the compared fields are: each parameter changed alone breaks it.
    for field in fields:
        if not field.init:
            continue
        changed = _another_value(getattr(schedule, field.name))
        try:
            other = dataclasses.replace(schedule, **{field.name: changed})
        except (TypeError, ValueError):
            continue  # not a valid value here: nothing to compare
        assert (other == schedule) is (getattr(other, field.name) == getattr(schedule, field.name))

    signature = inspect.signature(cls)
    assert list(signature.parameters) == parameter_names(cls) == list(parameters)
    for parameter in signature.parameters.values():
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        field = cls.__dataclass_fields__[parameter.name]  # type: ignore[attr-defined]
        expected = inspect.Parameter.empty if field.default is dataclasses.MISSING else field.default
        assert parameter.default == expected or (parameter.default is expected)
    assert cls(**parameters) == schedule


def _another_value(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)) and math.isfinite(value):
        return value * 2 + 1
    return value


def test_a_required_parameter_left_out_is_named() -> None:
    with pytest.raises(TypeError, match="decay_steps"):
        l.cosine_decay(initial_lr=0.1)  # type: ignore[call-arg]


def test_a_users_frozen_dataclass_subclass_of_a_policy_works_as_over_a_frozen_dataclass() -> None:
    @dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
    class ScaledCosine(l.CosineDecay):
        policy = "scaled_cosine_test_only"
        scale: float = 2.0

        def _value(self, t: Any, xp: Any) -> Any:
            return self.scale * super()._value(t, xp)

    try:
        s = ScaledCosine(initial_lr=0.1, decay_steps=10)
        assert s(5) == pytest.approx(2 * l.cosine_decay(initial_lr=0.1, decay_steps=10)(5))
        assert s == ScaledCosine(initial_lr=0.1, decay_steps=10)
        assert s != ScaledCosine(initial_lr=0.1, decay_steps=10, scale=3)
        assert hash(s) == hash(ScaledCosine(initial_lr=0.1, decay_steps=10))
        with pytest.raises(dataclasses.FrozenInstanceError):
            s.scale = 3.0  # type: ignore[misc]
        with pytest.raises(ValueError, match="decay_steps"):
            ScaledCosine(initial_lr=0.1, decay_steps=-1)  # the policy's own checks still run
        assert list(inspect.signature(ScaledCosine).parameters)[-1] == "scale"
    finally:
        Schedule._registry.pop("scaled_cosine_test_only", None)

    # As over a frozen dataclass, a subclass that is not frozen is refused.
    with pytest.raises(TypeError, match="non-frozen"):

        @dataclasses.dataclass(kw_only=True)
        class Thawed(RestartableDecay):
            policy = "thawed_test_only"


def test_a_plain_subclass_of_schedule_keeps_objects_identity() -> None:
    class Half(Schedule):
        policy = ""

        def _value(self, t: Any, xp: Any) -> Any:
            return 0.5 + 0.0 * t

    a, b = Half(), Half()
    assert a == a and a != b and hash(a) != hash(b)
    a.note = "a plain class takes attributes"  # type: ignore[attr-defined]
    with pytest.raises(TypeError, match="keyword"):
        Half(x=1)  # type: ignore[call-arg]


def test_levels_that_read_a_field_derived_in_post_init_are_read_as_derived():
    # Shaped stored its levels when its own __post_init__ ran, before a subclass's went on
    # to derive the field they read: the value came from the field's default.
    from lrsched.base import frozen_value

    def boosted(decorate):
        @decorate
        class Boosted(l.Shaped):
            policy = ""
            lr: float = 0.1
            warm: float = 0.5
            _boost: float = dataclasses.field(init=False, repr=False, compare=False, default=1.0)

            def __post_init__(self) -> None:
                super().__post_init__()
                object.__setattr__(self, "_boost", 1.0 + self.warm)

            @property
            def levels(self):
                return (0.0, self.lr * self._boost)

            def shape_at(self, t, xp):
                return 1.0 - xp.minimum(t, 10.0) / 10.0

        return Boosted

    for decorate in (dataclasses.dataclass(frozen=True, kw_only=True, repr=False), frozen_value):
        s = boosted(decorate)(lr=0.1, warm=0.5)
        assert s.bounds == (0.0, pytest.approx(0.15)) and s(0.0) == pytest.approx(0.15)
        assert copy.deepcopy(s)(0.0) == pytest.approx(0.15)


def test_a_users_policy_declared_wrongly_is_told_so_by_name():
    # A kind written as its class declares nothing: refused, not skipped.
    @dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
    class BareKind(l.Shaped):
        policy = ""
        lr: Annotated[float, LR] = 0.1
        flip: Annotated[bool, Flag] = False

        @property
        def levels(self):
            return (0.0, self.lr)

        def shape_at(self, t, xp):
            return 1.0 - xp.minimum(t, 10.0) / 10.0

    with pytest.raises(TypeError, match=r"BareKind.flip .* class Flag: declare an instance of it, Flag\(\.\.\.\)"):
        BareKind(flip="yes")

    # A dataclass that is not frozen: told to freeze it, not "cannot assign to field".
    @dataclasses.dataclass(kw_only=True, repr=False)
    class Thawed(l.Shaped):
        policy = ""
        lr: float = 0.1

        @property
        def levels(self):
            return (0.0, self.lr)

        def shape_at(self, t, xp):
            return 1.0 - xp.minimum(t, 10.0) / 10.0

    with pytest.raises(TypeError, match=r"not frozen: .*dataclass\(frozen=True, kw_only=True\)"):
        Thawed()

    # A geometric shape with a level at 0: refused when built, not ZeroDivisionError on use.
    @dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
    class Geo(l.Shaped):
        policy = ""
        geometric = True
        lr: float = 0.1
        floor: float = 0.0

        @property
        def levels(self):
            return (self.floor, self.lr)

        def shape_at(self, t, xp):
            return 1.0 - xp.minimum(t, 10.0) / 10.0

    # A user's own dataclass: on first use (its __init__ is the dataclass's); a frozen_value
    # class: once built, after every __post_init__ (levels may read what one derives).
    with pytest.raises(ValueError, match=r"geometric .*both levels must be > 0; got floor=0.0"):
        Geo()(5.0)
    assert Geo(floor=0.01)(10.0) == pytest.approx(0.01)
    from lrsched.base import frozen_value

    @frozen_value
    class DerivedGeo(l.Shaped):
        policy = ""
        geometric = True
        low: float = 0.01
        ratio: float = 10.0
        _high: float = dataclasses.field(init=False, repr=False, compare=False, default=0.0)

        def __post_init__(self) -> None:
            super().__post_init__()
            object.__setattr__(self, "_high", self.low * self.ratio)

        @property
        def levels(self):
            return (self.low, self._high)

        def shape_at(self, t, xp):
            return 1.0 - xp.minimum(t, 10.0) / 10.0

    assert DerivedGeo()(0.0) == pytest.approx(0.1)
    with pytest.raises(ValueError, match=r"geometric .*got floor=0.0"):
        DerivedGeo(low=0.0)

    # An unknown policy name in a config says how a policy of one's own is loaded.
    with pytest.raises(ValueError, match=r"registered with @lrsched.register"):
        l.from_config({"policy": "not_registered_anywhere"})


def test_a_factory_default_shows_in_the_signature_as_dataclasses_show_it():
    from lrsched.base import frozen_value

    @frozen_value
    class WithFactory(l.Schedule):
        policy = ""
        knots: tuple = dataclasses.field(default_factory=lambda: (1.0, 2.0))

    parameter = inspect.signature(WithFactory).parameters["knots"]
    assert repr(parameter.default) == "<factory>"
    assert WithFactory().knots == (1.0, 2.0)


def test_a_bound_naming_another_parameter_reads_it_only_where_it_is_set_and_declared_before():
    @dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
    class Capped(l.Shaped):
        policy = ""
        cap: Annotated[float | None, LR.or_none()] = None
        floor: Annotated[float, Interval(ge=0.0, le="cap")] = 0.0
        lr: Annotated[float, LR] = 0.1

        @property
        def levels(self):
            return (self.floor, self.lr)

        def shape_at(self, t, xp):
            return 1.0 - xp.minimum(t, 10.0) / 10.0

    assert Capped(floor=0.05)(10.0) == 0.05  # no cap: no bound (was TypeError: float(None))
    with pytest.raises(ValueError, match="floor"):
        Capped(cap=0.01, floor=0.05)

    @dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
    class NamesLater(l.Shaped):
        policy = ""
        floor: Annotated[float, Interval(ge=0.0, le="peak")] = 0.0
        peak: Annotated[float, LR] = 0.1

        @property
        def levels(self):
            return (self.floor, self.peak)

        def shape_at(self, t, xp):
            return 1.0 - xp.minimum(t, 10.0) / 10.0

    with pytest.raises(TypeError, match="names the parameter 'peak', which is not declared before"):
        NamesLater()  # was KeyError: 'peak'


def test_declarations_that_cannot_be_read_are_refused_not_skipped():
    # Kinds named by a name the class's module does not hold (imported in a function):
    # every declaration was skipped, and with it every check and draw.
    from lrsched.params import Steps as LocalSteps  # noqa: F401  (named only in the annotation)

    @dataclasses.dataclass(frozen=True, kw_only=True, repr=False)
    class Local(l.Shaped):
        policy = ""
        steps: Annotated[float, LocalSteps] = 10.0

        @property
        def levels(self):
            return (0.0, 0.1)

        def shape_at(self, t, xp):
            return 1.0 - xp.minimum(t, self.steps) / self.steps

    with pytest.raises(TypeError, match=r"annotations cannot be read .*LocalSteps.* kinds declared on steps"):
        Local(steps=-1.0)


def test_frozen_value_fills_derived_factory_fields_and_hashes_with_its_own_eq():
    # As a frozen dataclass: an init=False field with a default_factory is filled when
    # built, and a class that defines __eq__ still hashes its fields.
    from lrsched.base import frozen_value

    @frozen_value
    class Derived(l.Schedule):
        policy = ""
        lr: float = 0.1
        notes: list = dataclasses.field(init=False, default_factory=list, compare=False, repr=False)

        def __eq__(self, other: object) -> bool:
            return isinstance(other, Derived) and other.lr == self.lr

    a, b = Derived(), Derived()
    assert a.notes == [] and a.notes is not b.notes
    assert a == b and hash(a) == hash(b)
