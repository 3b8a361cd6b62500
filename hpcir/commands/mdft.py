"""`hpcir mdft run|validate`: the MDFT reference case (NumPy backend)."""
from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the `mdft` subcommand and its `run` / `validate` actions."""
    parser = subparsers.add_parser("mdft", help="MDFT solvation free energies (reference NumPy port)")
    sub = parser.add_subparsers(dest="mdft_command", required=True)
    from hpcir.mdft_case.cli import add_arguments
    add_arguments(sub)
