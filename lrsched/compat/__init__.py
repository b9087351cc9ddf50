"""Migration: a peer library's scheduler, by its own names, argument names and defaults,
as the equal lrsched schedule, which then runs in any framework (a torch schedule in a
jitted JAX loop, a Hugging Face schedule in Keras).

One module per peer, holding the peer's own names:

    from lrsched import compat

    schedule = compat.torch.OneCycleLR(max_lr=0.1, total_steps=1000)  # == torch's OneCycleLR
    momentum = compat.momentum_of(schedule)  # the momentum torch cycles beside it
    schedule = compat.optax.cosine_decay_schedule(init_value=0.1, decay_steps=1000)
    schedule = compat.keras.CosineDecay(initial_learning_rate=0.1, decay_steps=1000)
    schedule = compat.timm.CosineLRScheduler(lr=0.1, t_initial=300)
    schedule = compat.transformers.get_scheduler("cosine", 3e-4, 500, 10_000)

Each function equals its peer over the peer's whole documented domain, or refuses the
configuration at construction with a `RefusedError` (a ValueError) that names the
peer's parameter, the value given and why: `REFUSED` lists every such refusal. Nothing
here imports a framework.

The flat names of earlier releases (`compat.torch_OneCycleLR`, `compat.optax_...`,
`compat.keras_...`, `compat.timm_...`, `compat.hf_get_scheduler`) still work, with a
DeprecationWarning naming the new path; `dir(compat)` does not list them.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any

from lrsched.base import Schedule
from lrsched.compat import keras, optax, timm, torch, transformers
from lrsched.compat._common import MAX_CYCLES
from lrsched.compat._provenance import momentum_of
from lrsched.compat._refused import MAX_STAIRS, REFUSED, RefusedCallableError, RefusedError
from lrsched.compat.transformers import HF_NAMES

__all__ = [
    "HF_NAMES",
    "MAX_CYCLES",
    "MAX_STAIRS",
    "REFUSED",
    "RefusedCallableError",
    "RefusedError",
    "keras",
    "migration_table",
    "momentum_of",
    "optax",
    "refusal_list",
    "timm",
    "torch",
    "transformers",
]

#: Each peer's module here, the peer's own module path, and the prefix its functions
#: carried as flat names of `lrsched.compat` before they moved into the module.
_PEERS: dict[str, tuple[ModuleType, str, str]] = {
    "torch": (torch, "torch.optim.lr_scheduler.", "torch_"),
    "optax": (optax, "optax.", "optax_"),
    "keras": (keras, "keras.optimizers.schedules.", "keras_"),
    "timm": (timm, "timm.scheduler.", "timm_"),
    "transformers": (transformers, "transformers.", "hf_"),
}


def _functions(module: ModuleType) -> list[tuple[str, Callable[..., Schedule]]]:
    """A peer module's functions, by name."""
    return sorted((n, f) for n in module.__all__ if inspect.isfunction(f := getattr(module, n)))


def _flat_names() -> dict[str, tuple[str, str]]:
    """The deprecated flat names: `torch_OneCycleLR` -> ("torch", "OneCycleLR"). Of the
    transformers functions only `get_scheduler` had one (`hf_get_scheduler`)."""
    names = {}
    for peer, (module, _, prefix) in _PEERS.items():
        for name, _function in _functions(module):
            if peer != "transformers" or name == "get_scheduler":
                names[prefix + name] = (peer, name)
    return names


_FLAT_NAMES = _flat_names()


def __getattr__(name: str) -> Any:
    """A deprecated flat name (`compat.torch_OneCycleLR`): the function it now is, with a
    DeprecationWarning naming its new path."""
    if name not in _FLAT_NAMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    peer, new = _FLAT_NAMES[name]
    warnings.warn(f"{__name__}.{name} is deprecated: use {__name__}.{peer}.{new}", DeprecationWarning, stacklevel=2)
    return getattr(_PEERS[peer][0], new)


def migration_table() -> str:
    """The migration table, one row per function of the peer modules: the peer, the call,
    and what its docstring says of the match. The docs' Migration page shows it;
    `tests/compat/test_compat_peers.py` checks that each function equals its peer."""
    rows = ["| peer | lrsched | notes |", "|---|---|---|"]
    for peer, (module, path, _) in _PEERS.items():
        for name, function in _functions(module):
            parameters = inspect.signature(function).parameters.values()
            names = [p.name for p in parameters if not (peer == "keras" and p.name == "name") and p.name[0] != "_"]
            paragraph = " ".join((function.__doc__ or "").split("\n\n")[0].split())
            notes = paragraph.split("`", 2)[-1].lstrip(":., ") if paragraph.startswith("`") else paragraph
            call = f"compat.{peer}.{name}({', '.join(names)})"
            rows.append(f"| `{path}{name}` | `{call}` | {notes.replace('|', '/')} |")
    rows.append(f"| | `compat.transformers.get_scheduler` names | {', '.join(f'`{n}`' for n in HF_NAMES)} |")
    return "\n".join(rows) + "\n"


def refusal_list() -> str:
    """What compat refuses and why, one line per (function, peer parameter) of `REFUSED`."""
    lines = []
    for (function, parameter), reason in sorted(REFUSED.items()):
        where = "every `compat.timm` function" if function == "timm" else f"`compat.{function}`"
        lines.append(f"- {where}, `{parameter}`: {reason}.")
    return "\n".join(lines) + "\n"
