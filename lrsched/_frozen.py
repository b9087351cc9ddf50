"""Frozen keyword-only values whose methods are written once, not generated per class.

`dataclasses.dataclass(frozen=True)` writes and compiles five methods for every class
(`__init__`, `__eq__`, `__hash__`, `__setattr__`, `__delattr__`); for lrsched's policies
that was over half the time of `import lrsched`. `frozen_value` keeps the dataclass
fields, so `dataclasses.fields`, `replace`, `asdict` and `is_dataclass` work as before,
and takes the methods from `FrozenValue`, with the dataclass's meaning:

- keyword-only `__init__` with the fields' defaults, then `__post_init__`;
- `==` between values of the same class comparing the compared fields, and a hash of
  the same tuple;
- assigning or deleting a field raises `dataclasses.FrozenInstanceError`.

A user's own `@dataclasses.dataclass(frozen=True)` subclass of a policy works as with a
frozen dataclass base: the class is marked frozen once made.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform  # typing's own from Python 3.11
else:

    def dataclass_transform(**_: Any) -> Any:
        """What type checkers read; nothing at run time."""
        return lambda decorated: decorated


ValueT = TypeVar("ValueT", bound=type)


class _InitSignature:
    """`inspect.signature(cls)` of a `frozen_value` class: its keyword-only fields, built
    on first read (for `help()` and editors; nothing in lrsched reads it)."""

    def __get__(self, obj: Any, cls: type) -> Any:
        if obj is not None or cls.__init__ is not FrozenValue.__init__ or cls._frozen_class is None:  # type: ignore[misc,attr-defined]
            return None  # an instance, a subclass with an __init__ of its own, a plain class: inspect's own rules
        found = cls.__dict__.get("_init_signature")
        if found is None:
            import inspect  # only when asked: it costs more than the rest of this module

            fields = cls.__dataclass_fields__  # type: ignore[attr-defined]
            found = inspect.Signature(
                [
                    inspect.Parameter(
                        name,
                        inspect.Parameter.KEYWORD_ONLY,
                        default=_FACTORY
                        if factory is not None
                        else inspect.Parameter.empty
                        if default is REQUIRED
                        else default,
                        annotation=fields[name].type,
                    )
                    for name, default, factory in cls._init_fields  # type: ignore[attr-defined]
                ],
                return_annotation=None,
            )
            type.__setattr__(cls, "_init_signature", found)
        return found


REQUIRED: Any = dataclasses.MISSING


class _Factory:
    """A default made by a factory, as dataclasses show it in a signature."""

    def __repr__(self) -> str:
        return "<factory>"


_FACTORY = _Factory()


class FrozenValue:
    """The methods of a frozen keyword-only dataclass, shared by every `frozen_value` class."""

    # Set by `frozen_value` for each class it makes.
    _init_fields: ClassVar[tuple[tuple[str, Any, Any], ...]] = ()  # (name, default or REQUIRED, factory or None)
    _derived_factories: ClassVar[tuple[tuple[str, Any], ...]] = ()  # init=False fields a factory fills
    _compared: ClassVar[tuple[str, ...]] = ()
    _hashed: ClassVar[tuple[str, ...]] = ()
    _frozen_class: ClassVar[type | None] = None
    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]  # set by frozen_value
    __signature__ = _InitSignature()

    def __init__(self, **kwargs: Any) -> None:
        if self._frozen_class is None:  # a plain subclass: object's __init__, no fields, no checks
            if kwargs:
                raise TypeError(f"{type(self).__qualname__}() takes no keyword arguments; got {', '.join(kwargs)}")
            return
        for name, default, factory in self._init_fields:
            value = kwargs.pop(name, default)
            if value is REQUIRED and factory is not None:
                value = factory()
            elif value is REQUIRED:
                raise TypeError(f"{type(self).__qualname__}() missing the required keyword argument {name!r}")
            object.__setattr__(self, name, value)
        if kwargs:
            raise TypeError(f"{type(self).__qualname__}() got an unexpected keyword {next(iter(kwargs))!r}")
        for name, factory in self._derived_factories:
            object.__setattr__(self, name, factory())
        self.__post_init__()
        self._constructed()

    def __post_init__(self) -> None:
        pass

    def _constructed(self) -> None:
        """Run once the value is whole (every subclass's `__post_init__` done): what reads
        the finished value and keeps it, such as levels stored for the hot path."""

    def __eq__(self, other: object) -> bool:
        if self._frozen_class is None:  # a plain subclass: object's identity
            return self is other or NotImplemented
        if other.__class__ is not self.__class__:
            return NotImplemented
        # Tuples, as the dataclass compares: a field holding the same object (a NaN) is equal.
        return tuple(getattr(self, name) for name in self._compared) == tuple(
            getattr(other, name) for name in self._compared
        )

    def __hash__(self) -> int:
        if self._frozen_class is None:
            return object.__hash__(self)
        return hash(tuple(getattr(self, name) for name in self._hashed))

    def __setattr__(self, name: str, value: Any) -> None:
        cls = type(self)
        if cls is cls._frozen_class or name in getattr(cls, "__dataclass_fields__", ()):
            params = getattr(cls, "__dataclass_params__", None)
            if params is not None and not params.frozen:  # a user's dataclass, its __init__ assigning
                raise TypeError(
                    f"{cls.__qualname__} is a dataclass that is not frozen: schedules are frozen values; "
                    "declare it with @dataclasses.dataclass(frozen=True, kw_only=True)"
                )
            raise dataclasses.FrozenInstanceError(f"cannot assign to field {name!r}")
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        cls = type(self)
        if cls is cls._frozen_class or name in getattr(cls, "__dataclass_fields__", ()):
            raise dataclasses.FrozenInstanceError(f"cannot delete field {name!r}")
        object.__delattr__(self, name)


def _set_frozen(cls: type, frozen: bool) -> None:
    params = copy.copy(cls.__dict__["__dataclass_params__"])
    params.frozen = frozen
    type.__setattr__(cls, "__dataclass_params__", params)


@dataclass_transform(kw_only_default=True, frozen_default=True, field_specifiers=(dataclasses.field,))
def frozen_value(cls: ValueT) -> ValueT:
    """Make `cls` (a `FrozenValue` subclass) a frozen keyword-only dataclass value."""
    if not issubclass(cls, FrozenValue):
        raise TypeError(f"frozen_value takes a FrozenValue subclass; got {cls!r}")
    # The dataclass machinery refuses a non-frozen class over a frozen base: the bases
    # that this decorator marked frozen read as not frozen while the fields are gathered.
    marked = [base for base in cls.__mro__[1:] if base.__dict__.get("_frozen_class") is base]
    for base in marked:
        _set_frozen(base, False)
    try:
        dataclasses.dataclass(cls, init=False, repr=False, eq=False, frozen=False, kw_only=True)
    finally:
        for base in marked:
            _set_frozen(base, True)
    _set_frozen(cls, True)
    fields = dataclasses.fields(cls)
    cls._init_fields = tuple(
        (f.name, f.default, None if f.default_factory is dataclasses.MISSING else f.default_factory)
        for f in fields
        if f.init
    )
    cls._derived_factories = tuple(
        (f.name, f.default_factory) for f in fields if not f.init and f.default_factory is not dataclasses.MISSING
    )
    if "__eq__" in cls.__dict__ and cls.__dict__.get("__hash__", 0) is None:
        # Python unsets the hash of a class that defines __eq__; a frozen dataclass hashes its fields still.
        type.__delattr__(cls, "__hash__")
    cls._compared = tuple(f.name for f in fields if f.compare)
    cls._hashed = tuple(f.name for f in fields if (f.compare if f.hash is None else f.hash))
    cls._frozen_class = cls
    return cls
