"""Runs a peer library's schedulers in a process of their own and prints their LRs as
JSON: timm beside TensorFlow-backed Keras and torch in one process has crashed here.

stdin: {"peer": "timm" | "hf", "lr": float, "cases": {name: case}}; stdout: {name: [lr, ...]}.
A case the peer refuses to build gives {"error": message}; a step the peer fails at (a
division by zero, a `log` outside its domain) gives None, as do the steps after it.
"""

import importlib
import importlib.util
import json
import sys
import types

import torch


def _timm_scheduler_module():
    try:
        import timm.scheduler

        return timm.scheduler
    except (ImportError, RuntimeError):
        # `import timm` imports torchvision, whose compiled ops need a matching build of
        # torch; the schedulers need torch alone. Load timm's own scheduler package from
        # its files, without running timm's top-level imports.
        spec = importlib.util.find_spec("timm")
        if spec is None or not spec.submodule_search_locations:
            raise
        for name in [m for m in sys.modules if m == "timm" or m.startswith("timm.")]:
            del sys.modules[name]
        package = types.ModuleType("timm")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["timm"] = package
        return importlib.import_module("timm.scheduler")


def _optimizer(lr):
    return torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)


def timm_values(lr, case):
    schedulers = _timm_scheduler_module()
    opt = _optimizer(case.get("lr", lr))
    per_epoch = case["clock"] == "epochs"
    scheduler = getattr(schedulers, case["cls"])(opt, t_in_epochs=per_epoch, **case["kwargs"])
    values = []
    for t in case["steps"]:
        try:
            if per_epoch:
                scheduler.step(epoch=t)
            else:
                scheduler.step_update(num_updates=t)
        except (ValueError, ZeroDivisionError, OverflowError):
            # timm's own cycle index fails from here on (a `log` of a number <= 0)
            values.append(None)
            continue
        values.append(opt.param_groups[0]["lr"])
    return values


def hf_values(lr, case):
    from transformers import get_scheduler

    opt = _optimizer(case.get("lr", lr))
    scheduler = get_scheduler(
        case["name"],
        opt,
        num_warmup_steps=case.get("num_warmup_steps"),
        num_training_steps=case.get("num_training_steps"),
        scheduler_specific_kwargs=case.get("kwargs"),
    )
    values = []
    for _ in range(case["steps"]):
        values.append(opt.param_groups[0]["lr"])
        opt.step()
        try:
            scheduler.step()
        except (ValueError, ZeroDivisionError, OverflowError):
            return values + [None] * (case["steps"] - len(values))
    return values


def _lenient(run, lr, case):
    try:
        return run(lr, case)
    except (ValueError, ZeroDivisionError, TypeError, OverflowError) as error:
        return {"error": f"{type(error).__name__}: {error}"}


def main():
    request = json.load(sys.stdin)
    run = timm_values if request["peer"] == "timm" else hf_values
    json.dump({name: _lenient(run, request["lr"], case) for name, case in request["cases"].items()}, sys.stdout)


if __name__ == "__main__":
    main()
