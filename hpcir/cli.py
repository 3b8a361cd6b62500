"""The `hpcir` command line: each subcommand lives in its own module with a `register` hook."""
from __future__ import annotations

import argparse
import importlib
import sys

from hpcir.core.errors import HpcirError

# Each module defines register(subparsers) and sets a `func(args) -> int` default on its parser.
COMMAND_MODULES = [
    "hpcir.commands.kokkos",
    "hpcir.commands.lower",
    "hpcir.commands.opt",
    "hpcir.commands.coverage",
    "hpcir.commands.mdft",
]


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="hpcir", description="Python kernels, stencils, JAX and "
                                     "PyTorch to Kokkos C++, JAX and Torch through MLIR.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `hpcir` script; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except HpcirError as err:
        print(str(err), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
