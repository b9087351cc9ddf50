"""`python -m lrsched` (also the `lrsched` command): the project's main job.

For now it previews the seeds' policies: a table of values and a PNG plot.
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
    args = parser.parse_args(argv)

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
