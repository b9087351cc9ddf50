"""Runs transformers' own `get_*_schedule*` functions in a process of their own and prints
their LRs, and each function's parameters, as JSON (as `peer_values_worker.py` does for
`get_scheduler`).

stdin: {"lr": float, "cases": {name: {"function": str, "args": [...], "kwargs": {...}, "steps": int}}};
stdout: {name: {"values": [lr, ...], "parameters": [[name, default], ...]}}, a default
being "<required>" where there is none. A case transformers refuses to build gives
{"error": message}; a step it fails at gives None, as do the steps after it.
"""

import inspect
import json
import sys

import torch
import transformers


def _parameters(function):
    return [
        [p.name, "<required>" if p.default is inspect.Parameter.empty else p.default]
        for p in inspect.signature(function).parameters.values()
    ]


def _values(lr, case):
    function = getattr(transformers, case["function"])
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr, momentum=0.9)
    try:
        scheduler = function(optimizer, *case["args"], **case["kwargs"])
    except (ValueError, ZeroDivisionError, TypeError, OverflowError) as error:
        return {"error": f"{type(error).__name__}: {error}"}
    values = []
    for _ in range(case["steps"]):
        values.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        try:
            scheduler.step()
        except (ValueError, ZeroDivisionError, OverflowError):
            return {"values": values + [None] * (case["steps"] - len(values)), "parameters": _parameters(function)}
    return {"values": values, "parameters": _parameters(function)}


def main():
    request = json.load(sys.stdin)
    json.dump({name: _values(request["lr"], case) for name, case in request["cases"].items()}, sys.stdout)


if __name__ == "__main__":
    main()
