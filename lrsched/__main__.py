"""`python -m lrsched` (also the `lrsched` command).

- `lrsched demo`: the project's main job — the LR range test and five training arms on
  scikit-learn's digits.
- `lrsched plot POLICY --param value ... [-o out.png | --table N]`: any policy, its options
  built from the policy's parameters; `lrsched plot config '{"policy": ...}'` takes a
  whole config (compositions too). `--momentum BASE,MAX` adds inverse momentum.
- `lrsched preview` (the default): the seeds' policies as a table and a plot.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from typing import Any

from lrsched.base import Schedule, from_config, parameter_names

COMPOSITIONS = ("warmup", "join", "inverse_momentum")


def _number(text: str) -> int | float:
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def _numbers(text: str) -> list[int | float]:
    return [_number(part) for part in text.split(",") if part.strip()]


def _boolean(text: str) -> bool:
    if text.lower() not in ("true", "false"):
        raise argparse.ArgumentTypeError(f"expected true or false; got {text!r}")
    return text.lower() == "true"


def _policy_parser(commands: Any, cls: type[Schedule]) -> None:
    parser = commands.add_parser(cls.policy, help=(cls.__doc__ or "").strip().splitlines()[0])
    fields = {f.name: f for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    for name in parameter_names(cls):
        field = fields[name]
        annotation = str(field.type)
        kind: Any = _number
        if "Sequence" in annotation:
            kind = _numbers
        elif annotation == "bool":
            kind = _boolean
        elif annotation == "str":
            kind = str
        required = field.default is dataclasses.MISSING
        parser.add_argument(f"--{name.replace('_', '-')}", dest=name, type=kind, required=required,
                            default=argparse.SUPPRESS, help="required" if required else f"default {field.default!r}")
    _output_options(parser)


def _output_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-o", "--output", default=None, help="PNG path (default POLICY.png)")
    parser.add_argument("--table", type=int, default=None, metavar="N", help="print steps 0..N instead of plotting")
    parser.add_argument("--steps", type=float, default=None, help="plot steps 0..STEPS")
    parser.add_argument("--momentum", type=_numbers, default=None, metavar="BASE,MAX",
                        help="also draw inverse_momentum(base_momentum=BASE, max_momentum=MAX)")
    parser.add_argument("--log", action="store_true", help="log scale for the LR")


def _plot(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    options = {k: v for k, v in vars(args).items()
               if k not in ("command", "policy", "output", "table", "steps", "momentum", "log", "config")}
    try:
        if args.policy == "config":
            schedule = from_config(json.loads(args.config))
        else:
            schedule = Schedule._registry[args.policy](**options)
        momentum = None
        if args.momentum is not None:
            if len(args.momentum) != 2:
                raise ValueError("--momentum takes BASE,MAX")
            from lrsched import inverse_momentum

            momentum = inverse_momentum(schedule=schedule, base_momentum=args.momentum[0],
                                        max_momentum=args.momentum[1])
        if args.table is not None and args.table < 0:
            raise ValueError("--table must be >= 0")
    except (ValueError, TypeError, json.JSONDecodeError) as error:
        parser.error(str(error))
    if args.table is not None:
        for step in range(args.table + 1):
            extra = "" if momentum is None else f"\t{momentum(step):.6g}"
            print(f"{step}\t{schedule(step):.6g}{extra}")
        return 0
    from lrsched.plotting import plot

    path = args.output or f"{schedule.policy}.png"
    plot(schedule, args.steps, momentum=momentum, path=path, log=args.log)
    print(f"plot saved to {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lrsched", description="Learning-rate and momentum schedules.")
    commands = parser.add_subparsers(dest="command")
    preview = commands.add_parser("preview", help="print and plot the seeds' policies (the default)")
    preview.add_argument("--steps", type=int, nargs="+", default=[0, 10, 20, 41, 60, 82, 90, 95, 120])
    preview.add_argument("-o", "--output", default="lrsched-preview.png", help="PNG path for the plot")
    demo_args = commands.add_parser("demo", help="range test + five training arms on scikit-learn's digits")
    demo_args.add_argument("--epochs", type=int, default=20)
    demo_args.add_argument("--seeds", type=int, default=3)
    demo_args.add_argument("--output-dir", default=".", help="where the PNG plots go")
    demo_args.add_argument("--bounds-rule", default="steepest", choices=["steepest", "min_div_10", "valley", "min"],
                           help="the range-test rule that gives max_lr of the CLR and 1cycle arms")
    plot_args = commands.add_parser("plot", help="plot (or tabulate) any policy")
    policies = plot_args.add_subparsers(dest="policy", required=True)
    for name, cls in sorted(Schedule._registry.items()):
        if name not in COMPOSITIONS and not name.startswith("test_"):
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
        demo.run(epochs=args.epochs, seeds=tuple(range(args.seeds)), output_dir=args.output_dir,
                 bounds_rule=args.bounds_rule)
        return 0
    if args.command == "plot":
        return _plot(plot_args, args)

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
