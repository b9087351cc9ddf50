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
- `lrsched find module:function`: the LR range test (torch) on the model a factory builds.
- `lrsched --version`: the version of lrsched.

A plot's `-o` file has the format of its ending (any matplotlib writes: .png, .pdf, .svg,
...); a name with no ending gets `.png` added, as matplotlib's `savefig` does, and the
command prints the name it wrote.

A bad argument is a usage error — one line on stderr naming the option, the value given and
what it accepts, exit status 2 — found before any work: before a factory is imported, a
range test trains or a plot is drawn (an `-o` ending matplotlib cannot write, too). A key
given twice in a schedule's text is refused, not the last one kept. The checks are the
library's own (the parameter declarations of `lrsched.params`, the range test's settings
checks), not a copy of them.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from lrsched import __version__
from lrsched.base import Part, Parts, Schedule, from_config
from lrsched.params import Count, Declared, Flag, Interval, OneOf, StepList, argument_docs, declared


class _Parser(argparse.ArgumentParser):
    """argparse with each usage error on one line of stderr (exit status 2), and every
    negative number a value: `--start-lr -1e-7` and `--until -inf` reach the checks, which
    say what the option accepts (argparse alone takes them for unknown options)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = re.compile(r"^-(?:\d|\.\d|inf|nan)[\w.,+-]*$", re.IGNORECASE)

    def error(self, message: str) -> NoReturn:
        line = " ".join(message.split())
        self.exit(2, f"{self.prog}: error: {line} (usage: {self.prog} -h)\n")


def number_text(text: str) -> int | float:
    """A number as written in a parameter's option: "3" an int, "3.0" and "1e3" floats."""
    value = float(text)
    return int(value) if value.is_integer() and "." not in text and "e" not in text.lower() else value


def numbers_text(text: str) -> list[int | float]:
    """A comma-separated list of numbers ("10,20,30.5")."""
    values = []
    for part in text.split(","):
        if part.strip():
            try:
                values.append(number(part))
            except argparse.ArgumentTypeError:
                expected = "expected numbers separated by commas"
                raise argparse.ArgumentTypeError(f"{expected}; {part.strip()!r} in {text!r} is not a number") from None
    return values


def flag_text(text: Any) -> bool:
    """true or false, in any case (a bool, Python's or NumPy's, is itself: `Flag`'s rule)."""
    if isinstance(text, str) and text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return Flag().check("flag", text, {})  # any other text is refused here too
    except TypeError:
        raise argparse.ArgumentTypeError(f"expected true or false; got {text!r}") from None


def number(text: str) -> int | float:
    """A number as written: "3" is an int, "3.0", "1e-3", "nan" and "inf" floats; the
    checks after parsing say what the option accepts."""
    try:
        return int(text)  # exact: a float would round an int beyond 2**53
    except ValueError:
        pass
    try:
        return number_text(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number (as 3, 0.5, 1e-3 or inf); got {text!r}") from None


def count(text: str) -> int | float:
    """A count as written: a float with a whole value ("2.0", "1e3") is that int; any
    other number ("2.5", "nan") is kept for the checks to refuse by name."""
    try:
        value = number(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a whole number (as 3); got {text!r}") from None
    return int(value) if isinstance(value, float) and value.is_integer() else value


def optional_count(text: str) -> int | float | None:
    """A count, or "none" (in any case) for None: a count parameter that takes None (no limit)."""
    if text.strip().lower() == "none":
        return None
    try:
        return count(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(f"expected a whole number (as 3) or None; got {text!r}") from None


def _checked(parser: argparse.ArgumentParser, option: str, check: Callable[[], Any]) -> Any:
    """The value `check()` returns, or a usage error naming `option` with the check's message."""
    try:
        return check()
    except (ValueError, TypeError) as error:
        parser.error(f"argument {option}: {error}")


def _named(parser: argparse.ArgumentParser, option: str, value: Any, param: Count | Interval) -> Any:
    """`value` checked by the declaration `param`; the message names the option."""
    return _checked(parser, option, lambda: param.check(option.lstrip("-").replace("-", "_"), value, {}))


def _option_of(error: Exception, names: list[str]) -> str | None:
    """The option (`--end-lr`) of the parameter (`end_lr`, or an item of it: `milestones[1]`)
    that a library message starts with."""
    first = str(error).split(" ", 1)[0].split("[", 1)[0]
    return f"--{first.replace('_', '-')}" if first in names else None


def _output_path(parser: argparse.ArgumentParser, option: str, path: str | None) -> None:
    """A file to be written at the end of the work: its folder must exist and be writable now."""
    if path is None:
        return
    folder = Path(path).parent
    if Path(path).is_dir():
        parser.error(f"argument {option}: {path!r} is a folder; give the path of a file to write")
    if not folder.is_dir():
        parser.error(f"argument {option}: the folder {str(folder)!r} does not exist; got {path!r}")
    if not os.access(folder, os.W_OK):
        parser.error(f"argument {option}: the folder {str(folder)!r} is not writable; got {path!r}")


def _figure_path(parser: argparse.ArgumentParser, option: str, path: str) -> str:
    """The file a plot saved to `path` is: matplotlib's format is the file name's ending,
    and a name with none gets the default format's (`savefig.format`, png) added, as
    matplotlib's `savefig` does. An ending matplotlib does not write is a usage error now,
    before the work. Without matplotlib there is no plot: `path` as given."""
    _output_path(parser, option, path)
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:
        return path
    ending = os.path.splitext(path)[1][1:]
    if not ending:
        path = f"{path.rstrip('.')}.{matplotlib.rcParams['savefig.format']}"
        ending = os.path.splitext(path)[1][1:]
        _output_path(parser, option, path)
    formats = sorted(Figure().canvas.get_supported_filetypes())
    if ending.lower() not in formats:
        parser.error(
            f"argument {option}: matplotlib cannot write {path!r}: the ending {'.' + ending!r} is not a format "
            f"it writes; end the name with one of {', '.join('.' + f for f in formats)}"
        )
    return path


_FORMATS_HELP = "its ending is the format: .png, .pdf, .svg, ... (none: .png is added)"


def _value_text(text: str) -> Any:
    """A value inside a NAME:key=value spec: a list, a bool, a number or a name."""
    text = text.strip()
    if text.startswith("[") and text.endswith("]"):
        return [_value_text(part) for part in _split(text[1:-1])]
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    try:
        return number_text(text)
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


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object whose keys are all different: a repeated key is refused, not the last kept."""
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise ValueError(f"the key {key!r} is given twice in one object")
        obj[key] = value
    return obj


def _json_config(text: str) -> Any:
    """A JSON config, a repeated key in an object refused."""
    return json.loads(text, object_pairs_hook=_json_object)


def schedule_text(text: str) -> Schedule:
    """A schedule from `NAME:key=value,...` or from a JSON config; a key given twice is refused."""
    text = text.strip()
    if text.startswith("{"):
        try:
            loaded = _json_config(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{text!r} is not JSON: {error}") from None
        except ValueError as error:
            raise ValueError(f"{error}: {text!r}") from None
        return from_config(loaded)
    name, _, rest = text.partition(":")
    config: dict[str, Any] = {"policy": name.strip()}
    for pair in _split(rest):
        key, equals, value = pair.partition("=")
        if not equals:
            raise ValueError(f"expected key=value in {text!r}; got {pair!r}")
        key = key.strip()
        if key == "policy":
            raise ValueError(f"the key 'policy' is given twice in {text!r}: the name before ':' is the policy")
        if key in config:
            raise ValueError(f"the key {key!r} is given twice in {text!r}")
        config[key] = _value_text(value)
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
        kwargs.update(type=numbers_text, metavar="STEP,STEP,...")
    elif isinstance(param, OneOf):
        kwargs.update(type=str, choices=param.options)
    elif isinstance(param, Flag):
        kwargs.update(type=flag_text, choices=[True, False], metavar="{true,false}")
    elif isinstance(param, Count):
        kwargs.update(type=optional_count if param.optional else count)
    elif isinstance(param, Interval):
        kwargs.update(type=number)
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
    parser.add_argument("-o", "--output", default=None, help=f"the plot's file (default POLICY.png); {_FORMATS_HELP}")
    parser.add_argument(
        "--table",
        type=count,
        default=None,
        metavar="N",
        help="print a table of steps 0..N (step, lr[, momentum]) instead of plotting",
    )
    names = ["--until", "--steps"] if steps_alias else ["--until"]
    parser.add_argument(*names, dest="until", type=number, default=None, help="plot steps 0..UNTIL (> 0)")
    parser.add_argument(
        "--momentum",
        type=numbers_text,
        default=None,
        metavar="BASE,MAX",
        help="also draw inverse_momentum(base_momentum=BASE, max_momentum=MAX)",
    )
    parser.add_argument("--log", action="store_true", help="log scale for the LR")


def _plot(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.table is not None:
        args.table = _named(parser, "--table", args.table, Count(low=0))
    if args.until is not None:
        args.until = _named(parser, "--until", args.until, Interval(gt=0.0))
    if args.table is None and args.output is not None:
        args.output = _figure_path(parser, "-o/--output", args.output)
    options = {
        k: v
        for k, v in vars(args).items()
        if k not in ("command", "policy", "output", "table", "until", "momentum", "log", "config")
    }
    try:
        if args.policy == "config":
            try:
                config = _json_config(args.config)
            except json.JSONDecodeError as error:
                raise ValueError(f"the config is not JSON ({error}): {args.config!r}") from None
            except ValueError as error:
                raise ValueError(f"{error}: {args.config!r}") from None
            schedule = from_config(config)
        else:
            cls = Schedule._registry[args.policy]
            try:
                schedule = cls(**options)
            except (ValueError, TypeError) as error:
                option = _option_of(error, [item.name for item in declared(cls)])
                parser.error(f"argument {option}: {error}" if option else str(error))
        momentum = None
        if args.momentum is not None:
            if len(args.momentum) != 2:
                raise ValueError(f"argument --momentum: takes BASE,MAX (two numbers); got {len(args.momentum)}")
            from lrsched import inverse_momentum

            momentum = _checked(
                parser,
                "--momentum",
                lambda: inverse_momentum(
                    schedule=schedule, base_momentum=args.momentum[0], max_momentum=args.momentum[1]
                ),
            )
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
    try:
        plot(schedule, args.until, momentum=momentum, path=path, log=args.log)
    except ImportError:
        # The plot is what was asked for: no plot is a failure, said in one line.
        advice = "pip install 'lrsched[plot]'; --table N prints the values"
        print(f"matplotlib is not installed: no plot ({advice})", file=sys.stderr)
        return 1
    print(f"plot saved to {path}")
    return 0


def _check_sweep(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """The range test's own checks of --start-lr, --end-lr and --num-steps, before any work."""
    from lrsched.rangetest import check_sweep_settings

    try:
        check_sweep_settings(start_lr=args.start_lr, end_lr=args.end_lr, num_steps=args.num_steps)
    except (ValueError, TypeError) as error:
        option = _option_of(error, ["start_lr", "end_lr", "num_steps"]) or "--start-lr/--end-lr/--num-steps"
        parser.error(f"argument {option}: {error}")


def _find(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    import importlib

    module_name, _, function_name = args.factory.partition(":")
    if not module_name or not function_name:
        parser.error(f"factory must be module:function; got {args.factory!r}")
    _check_sweep(parser, args)
    args.output = _figure_path(parser, "-o/--output", args.output)
    _output_path(parser, "--json", args.json)
    if "" not in sys.path and os.getcwd() not in sys.path:
        # The `lrsched` command (unlike `python -m lrsched`) starts without the current
        # folder on the import path: a factory module beside the user is found there too.
        sys.path.insert(0, os.getcwd())
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
    for found in result.suggestions().values():
        print(f"  {found.describe()}")
    for use in ("constant", "one_cycle", "cyclic"):
        print(f"  recommended for {use}: {result.recommend(use).describe()}")
    if args.json:
        Path(args.json).write_text(result.to_json())
    try:
        result.plot(args.output)
        print(f"plot saved to {args.output}")
    except ImportError:
        print("matplotlib is not installed: no plot (pip install 'lrsched[plot]')")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = _Parser(prog="lrsched", description="Learning-rate and momentum schedules.")
    parser.add_argument("--version", action="version", version=f"lrsched {__version__}")
    commands = parser.add_subparsers(dest="command")
    preview = commands.add_parser(
        "preview", help="print and plot the policies with their sources' numbers (the default)"
    )
    preview.add_argument("--steps", type=count, nargs="+", default=[0, 10, 20, 41, 60, 82, 90, 95, 120])
    preview.add_argument("-o", "--output", default="lrsched-preview.png", help=f"the plot's file; {_FORMATS_HELP}")
    demo_args = commands.add_parser("demo", help="range test + five training arms on scikit-learn's digits")
    demo_args.add_argument("--epochs", type=count, default=20, help="training epochs per arm, >= 1 (default 20)")
    demo_args.add_argument("--seeds", type=count, default=3, help="seeds per arm, >= 1 (default 3)")
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
    find_args.add_argument("--start-lr", type=number, default=1e-7, help="the sweep's first LR, > 0 (default 1e-7)")
    find_args.add_argument(
        "--end-lr", type=number, default=10.0, help="the sweep's last LR, above --start-lr (default 10)"
    )
    find_args.add_argument("--num-steps", type=count, default=100, help="optimizer steps, >= 2 (default 100)")
    find_args.add_argument("-o", "--output", default="lrsched-range-test.png", help=f"the plot's file; {_FORMATS_HELP}")
    find_args.add_argument("--json", default=None, help="also write the recorded curve as JSON here")
    plot_args = commands.add_parser("plot", help="plot (or tabulate) any policy")
    policies = plot_args.add_subparsers(dest="policy", required=True)
    for _, cls in sorted(Schedule._registry.items()):
        _policy_parser(policies, cls)
    config = policies.add_parser("config", help="a whole config as JSON (compositions too)")
    config.add_argument("config", help='e.g. \'{"policy": "warmup", "schedule": {...}, "steps": 100}\'')
    _output_options(config)

    argv = sys.argv[1:] if argv is None else argv
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["preview", *argv]  # preview is the default command
    args = parser.parse_args(argv)
    if args.command == "demo":
        epochs = _named(demo_args, "--epochs", args.epochs, Count(low=1))
        seeds = _named(demo_args, "--seeds", args.seeds, Count(low=1))
        if Path(args.output_dir).exists() and not Path(args.output_dir).is_dir():
            demo_args.error(f"argument --output-dir: {args.output_dir!r} is a file, not a folder")
        from lrsched import demo

        demo.run(epochs=epochs, seeds=tuple(range(seeds)), output_dir=args.output_dir, bounds_rule=args.bounds_rule)
        return 0
    if args.command == "plot":
        return _plot(policies.choices[args.policy], args)
    if args.command == "find":
        return _find(find_args, args)

    steps = [_named(preview, "--steps", step, Count(low=0)) for step in args.steps]
    args.output = _figure_path(preview, "-o/--output", args.output)
    from lrsched import preview as seeds

    seeds.table(steps, sys.stdout)
    if seeds.plot(args.output):
        print(f"\nplot saved to {args.output}")
    else:
        print("\nmatplotlib is not installed: no plot (pip install 'lrsched[plot]')")
    return 0


if __name__ == "__main__":
    sys.exit(main())
