"""Import paths kept for one release after their module moved: each old path imports
(with no file of its own) and forwards every name to the new module, with a
DeprecationWarning that names the new path.

`install()` (run by `import lrsched`) adds a finder to `sys.meta_path`; nothing is
imported until an old path is.
"""

from __future__ import annotations

import importlib
import sys
import types
import warnings
from importlib.machinery import ModuleSpec
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from collections.abc import Sequence
    from importlib.abc import Loader

# old path -> new path
MOVED = {"lrsched.range_test": "lrsched.rangetest"}
# names that moved out of a module that stays: old module -> (new module, the names)
MOVED_NAMES = {"lrsched.params": ("lrsched.base", ("Part", "Parts"))}


class MovedModule(types.ModuleType):
    """The module at an old path: every public name is the new module's, read with a
    DeprecationWarning that names the new path."""

    def __init__(self, name: str, new: str) -> None:
        super().__init__(name, f"Deprecated: the old path of `{new}`; import from `{new}` instead.")
        self._moved_to = new

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__") and name != "__all__":
            raise AttributeError(name)  # the module's own machinery: no package path, no file of its own
        new = self._moved_to
        try:
            value = getattr(importlib.import_module(new), name)
        except AttributeError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None
        warnings.warn(
            f"{self.__name__} is deprecated and will be removed in the next release: import from {new} instead "
            "(the same names)",
            DeprecationWarning,
            stacklevel=2,
        )
        return value

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(dir(importlib.import_module(self._moved_to))))


class MovedModuleFinder:
    """Finds (and loads) the old paths in `MOVED`."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None, target: Any = None) -> ModuleSpec | None:
        # A loader by the import system's protocol (create_module, exec_module): importlib.abc's
        # base class would cost `import lrsched` the import of importlib.resources.
        return ModuleSpec(fullname, cast("Loader", self)) if fullname in MOVED else None

    def create_module(self, spec: ModuleSpec) -> types.ModuleType:
        return MovedModule(spec.name, MOVED[spec.name])

    def exec_module(self, module: types.ModuleType) -> None:
        return None


def _forward_moved_names(old: str, new: str, names: tuple[str, ...]) -> None:
    """Let module `old` answer `names` from `new`, with a DeprecationWarning: set from up
    here, so that a lower floor (`lrsched.params`) never refers to a higher one."""

    def moved_name(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        warnings.warn(f"{old}.{name} is deprecated: use {new}.{name}", DeprecationWarning, stacklevel=2)
        return getattr(importlib.import_module(new), name)

    sys.modules[old].__getattr__ = moved_name  # type: ignore[method-assign]  # PEP 562


def install() -> None:
    """Make the old paths importable and the moved names readable at their old place (once)."""
    if not any(isinstance(finder, MovedModuleFinder) for finder in sys.meta_path):
        sys.meta_path.append(MovedModuleFinder())
    for old, (new, names) in MOVED_NAMES.items():
        importlib.import_module(old)
        _forward_moved_names(old, new, names)
