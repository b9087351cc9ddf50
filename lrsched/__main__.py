"""`python -m lrsched` (also the `lrsched` command).

- `lrsched demo`: the project's main job — the LR range test and five training arms on
  scikit-learn's digits.
- `lrsched plot POLICY --param value ... [-o out.png | --table N]`: any registered
  policy, its options built from the policy's declared parameters (`lrsched.params`).
  A schedule inside another (`warmup --schedule`, `join --schedules`) is written
  `NAME:key=value,...` (lists in brackets: `multi_step:initial_lr=0.1,milestones=[30,80]`)
  or as a JSON config. `lrsched plot config '{"policy": ...}'` takes a whole config.
  `--momentum BASE,MAX` adds inverse momentum.
- `lrsched preview` (the default): the policies with their sources' numbers, as a table and a plot.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from lrsched.base import Schedule, from_config
from lrsched.params import Declared, Flag, OneOf, Part, Parts, StepList, argument_docs, declared


def _numbers(text: str) -> list[int | float]:
    from lrsched.params import _numbers_text

    return _numbers_text(text)


def _value_text(text: str) -> Any:
    """A value inside a NAME:key=value spec: a list, a bool, a number or a name."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        return [_value_text(part) for part in _split(text[1:-1])]
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        from lrsched.params import _number_text

        return _number_text(text)
    except ValueError:
        return text


def _split(text: str) -> list[str]:
    """Split on the commas that are not inside brackets."""
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "[") - (char == "]")
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    return [p for p in [*parts, current] if p.strip()]


def schedule_text(text: str) -> Schedule:
    """A schedule from `NAME:key=value,...` or from a JSON config."""
    text = text.strip()
    if text.startswith("{"):
        try:
            loaded = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{text!r} is not JSON: {error}") from None
        return from_config(loaded)
    name, _, rest = text.partition(":")
    config: dict[str, Any] = {"policy": name.strip()}
    for pair in _split(rest):
        key, equals, value = pair.partition("=")
        if not equals:
            raise ValueError(f"expected key=value in {text!r}; got {pair!r}")
        config[key.strip()] = _value_text(value)
    return from_config(config)


def _schedules_text(text: str) -> Schedule:
    try:
        return schedule_text(text)
    except (ValueError, TypeError) as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _add_option(parser: argparse.ArgumentParser, item: Declared, doc: str) -> None:
    param = item.param
    option = f"--{item.name.replace('_', '-')}"
    default = "required" if item.required else f"default {item.default!r}"
    what = param.describe() if param is not None else "a number"
    help_text = doc or f"{what}; {default}"  # a registered policy's doc states the range
    kwargs: dict[str, Any] = {
        "dest": item.name,
        "required": item.required,
        "default": argparse.SUPPRESS,
        "help": help_text.replace("%", "%%"),
    }
    if isinstance(param, Part):
        kwargs.update(type=_schedules_text, metavar="NAME:key=value,...")
    elif isinstance(param, Parts):
        kwargs.update(type=_schedules_text, nargs="+", metavar="NAME:key=value,...")
    elif isinstance(param, StepList):
        kwargs.update(type=param.cli_type(), metavar="STEP,STEP,...")
    elif isinstance(param, (OneOf, Flag)):
        kwargs.update(type=param.cli_type(), choices=param.choices() if isinstance(param, OneOf) else [True, False])
        if isinstance(param, Flag):
            kwargs["metavar"] = "{true,false}"
    elif param is not None:
        kwargs.update(type=param.cli_type())
    else:
        kwargs.update(type=_value_text)
    parser.add_argument(option, **kwargs)


def _policy_parser(commands: Any, cls: type[Schedule]) -> None:
    summary = (cls.__doc__ or cls.policy).strip().splitlines()[0]
    parser = commands.add_parser(cls.policy, help=summary, description=summary)
    items, docs = declared(cls), argument_docs(cls)
    for item in items:
        _add_option(parser, item, docs.get(item.name, ""))
    _output_options(parser, steps_alias=all(item.name != "steps" for item in items))


def _output_options(parser: argparse.ArgumentParser, *, steps_alias: bool = True) -> None:
    parser.add_argument("-o", "--output", default=None, help="PNG path (default POLICY.png)")
    parser.add_argument(
        "--table",
        type=int,
        default=None,
        metavar="N",
        help="print a table of steps 0..N (step, lr[, momentum]) instead of plotting",
    )
    names = ["--until", "--steps"] if steps_alias else ["--until"]
    parser.add_argument(*names, dest="until", type=float, default=None, help="plot steps 0..UNTIL")
    parser.add_argument(
        "--momentum",
        type=_numbers,
        default=None,
        metavar="BASE,MAX",
        help="also draw inverse_momentum(base_momentum=BASE, max_momentum=MAX)",
    )
    parser.add_argument("--log", action="store_true", help="log scale for the LR")


def _plot(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    options = {
        k: v
        for k, v in vars(args).items()
        if k not in ("command", "policy", "output", "table", "until", "momentum", "log", "config")
    }
    try:
        if args.policy == "config":
            try:
                config = json.loads(args.config)
            except json.JSONDecodeError as error:
                raise ValueError(f"the config is not JSON ({error}): {args.config!r}") from None
            schedule = from_config(config)
        else:
            schedule = Schedule._registry[args.policy](**options)
        momentum = None
        if args.momentum is not None:
            if len(args.momentum) != 2:
                raise ValueError("--momentum takes BASE,MAX")
            from lrsched import inverse_momentum

            momentum = inverse_momentum(
                schedule=schedule, base_momentum=args.momentum[0], max_momentum=args.momentum[1]
            )
        if args.table is not None and args.table < 0:
            raise ValueError("--table must be >= 0")
    except (ValueError, TypeError) as error:
        parser.error(str(error))
    if args.table is not None:
        print("step\tlr" + ("" if momentum is None else "\tmomentum"))
        for step in range(args.table + 1):
            extra = "" if momentum is None else f"\t{momentum(step):.6g}"
            print(f"{step}\t{schedule(step):.6g}{extra}")
        return 0
    from lrsched.plotting import plot

    path = args.output or f"{schedule.policy}.png"
    plot(schedule, args.until, momentum=momentum, path=path, log=args.log)
    print(f"plot saved to {path}")
    return 0


def _find(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    import importlib

    module_name, _, function_name = args.factory.partition(":")
    if not module_name or not function_name:
        parser.error(f"factory must be module:function; got {args.factory!r}")
    try:
        factory = getattr(importlib.import_module(module_name), function_name)
    except (ImportError, AttributeError) as error:
        parser.error(f"cannot load {args.factory!r}: {error}")
    made = factory()
    if not (isinstance(made, tuple) and len(made) == 4):
        parser.error(f"{args.factory} must return (model, optimizer, loss_fn, data); got {type(made).__name__}")
    from lrsched.adapters.torch import range_test

    model, optimizer, loss_fn, data = made
    result = range_test(
        model, optimizer, loss_fn, data, start_lr=args.start_lr, end_lr=args.end_lr, num_steps=args.num_steps
    )
    print(f"LR range test: {len(result.lrs)} steps, {result.stopped}")
    for rule, found in result.suggestions().items():
        print(f"  {rule:11} {found.lr_text()}")
    for use in ("constant", "one_cycle", "cyclic"):
        found = result.recommend(use)
        print(f"  recommended for {use}: {found.lr_text()} ({found.rule}, {found.reason})")
    if args.json:
        Path(args.json).write_text(result.to_json())
    try:
        result.plot(args.output)
        print(f"plot saved to {args.output}")
    except ImportError:
        print("matplotlib is not installed: no plot (pip install 'lrsched[plot]')")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lrsched", description="Learning-rate and momentum schedules.")
    commands = parser.add_subparsers(dest="command")
    preview = commands.add_parser(
        "preview", help="print and plot the policies with their sources' numbers (the default)"
    )
    preview.add_argument("--steps", type=int, nargs="+", default=[0, 10, 20, 41, 60, 82, 90, 95, 120])
    preview.add_argument("-o", "--output", default="lrsched-preview.png", help="PNG path for the plot")
    demo_args = commands.add_parser("demo", help="range test + five training arms on scikit-learn's digits")
    demo_args.add_argument("--epochs", type=int, default=20)
    demo_args.add_argument("--seeds", type=int, default=3)
    demo_args.add_argument("--output-dir", default=".", help="where the PNG plots go")
    demo_args.add_argument(
        "--bounds-rule",
        default=None,
        choices=["steepest", "min_div_10", "valley", "min"],
        help="the range-test rule that gives max_lr of the CLR and 1cycle arms (default: the recommended one)",
    )
    find_args = commands.add_parser(
        "find", help="run the LR range test (torch) on a model from a factory, print the suggestions, plot"
    )
    find_args.add_argument(
        "factory",
        help="module:function returning (model, optimizer, loss_fn, data); loss_fn(model, batch) -> loss",
    )
    find_args.add_argument("--start-lr", type=float, default=1e-7, help="the sweep's first LR (default 1e-7)")
    find_args.add_argument("--end-lr", type=float, default=10.0, help="the sweep's last LR (default 10)")
    find_args.add_argument("--num-steps", type=int, default=100, help="optimizer steps (default 100)")
    find_args.add_argument("-o", "--output", default="lrsched-range-test.png", help="PNG path for the plot")
    find_args.add_argument("--json", default=None, help="also write the recorded curve as JSON here")
    plot_args = commands.add_parser("plot", help="plot (or tabulate) any policy")
    policies = plot_args.add_subparsers(dest="policy", required=True)
    for _, cls in sorted(Schedule._registry.items()):
        _policy_parser(policies, cls)
    config = policies.add_parser("config", help="a whole config as JSON (compositions too)")
    config.add_argument("config", help='e.g. \'{"policy": "warmup", "schedule": {...}, "steps": 100}\'')
    _output_options(config)

    argv = sys.argv[1:] if argv is None else argv
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["preview", *argv]  # preview is the default command
    args = parser.parse_args(argv)
    if args.command == "demo":
        from lrsched import demo

        if args.epochs < 1 or args.seeds < 1:
            parser.error("--epochs and --seeds must be >= 1")
        demo.run(
            epochs=args.epochs, seeds=tuple(range(args.seeds)), output_dir=args.output_dir, bounds_rule=args.bounds_rule
        )
        return 0
    if args.command == "plot":
        return _plot(plot_args, args)
    if args.command == "find":
        return _find(find_args, args)

    from lrsched import preview as seeds

    if any(step < 0 for step in args.steps):
        parser.error("--steps must be >= 0")
    seeds.table(args.steps, sys.stdout)
    if seeds.plot(args.output):
        print(f"\nplot saved to {args.output}")
    else:
        print("\nmatplotlib is not installed: no plot (pip install 'lrsched[plot]')")
    return 0


if __name__ == "__main__":
    sys.exit(main())
