"""The `hpcir` command line: each subcommand lives in its own module with a `register` hook.

Plug-ins (the MDFT case) declare a `main(argv) -> int` under the `hpcir.commands` entry-point group;
they are imported only when their subcommand runs, so `hpcir lower` never loads them."""
from __future__ import annotations

import argparse
import importlib
import sys
from importlib.metadata import entry_points

from hpcir.core.errors import HpcirError

# Each module defines register(subparsers) and sets a `func(args) -> int` default on its parser.
COMMAND_MODULES = [
    "hpcir.commands.kokkos",
    "hpcir.commands.lower",
    "hpcir.commands.opt",
    "hpcir.commands.coverage",
    "hpcir.commands.cache",
]
PLUGIN_GROUP = "hpcir.commands"


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="hpcir", description="Python kernels, stencils, JAX and "
                                     "PyTorch to Kokkos C++, JAX and Torch through MLIR.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    for ep in entry_points(group=PLUGIN_GROUP):  # listed here; main() hands them their arguments
        sub.add_parser(ep.name, help=f"the {ep.name} plug-in (hpcir {ep.name} --help)", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `hpcir` script; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    plugins = {ep.name: ep for ep in entry_points(group=PLUGIN_GROUP)}
    try:
        if argv and argv[0] in plugins:
            return int(plugins[argv[0]].load()(argv[1:]) or 0)
        args = build_parser().parse_args(argv)
        return int(args.func(args) or 0)
    except HpcirError as err:
        print(str(err), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
