"""`python -m lrsched` (also the `lrsched` command).

`lrsched demo` is the project's main job: the LR range test and four training arms on
scikit-learn's digits. `lrsched preview` (the default) prints and plots the seeds' policies.
"""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lrsched", description="Learning-rate and momentum schedules.")
    commands = parser.add_subparsers(dest="command")
    preview = commands.add_parser("preview", help="print and plot the seeds' policies (the default)")
    preview.add_argument("--steps", type=int, nargs="+", default=[0, 10, 20, 41, 60, 82, 90, 95, 120])
    preview.add_argument("-o", "--output", default="lrsched-preview.png", help="PNG path for the plot")
    argv = sys.argv[1:] if argv is None else argv
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help")):
        argv = ["preview", *argv]  # preview is the default command
    demo_args = commands.add_parser("demo", help="range test + four training arms on scikit-learn's digits")
    demo_args.add_argument("--epochs", type=int, default=20)
    demo_args.add_argument("--seeds", type=int, default=3)
    demo_args.add_argument("--output-dir", default=".", help="where the PNG plots go")
    demo_args.add_argument("--bounds-rule", default="steepest", choices=["steepest", "min_div_10", "valley", "min"],
                      help="the range-test rule that gives max_lr of the CLR and 1cycle arms")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from lrsched import demo

        if args.epochs < 1 or args.seeds < 1:
            parser.error("--epochs and --seeds must be >= 1")
        demo.run(epochs=args.epochs, seeds=tuple(range(args.seeds)), output_dir=args.output_dir,
                 bounds_rule=args.bounds_rule)
        return 0

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
