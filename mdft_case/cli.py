"""`hpcir mdft run|validate`: a plug-in of the hpcir CLI (the `hpcir.commands` entry point in pyproject.toml),
loaded only when `hpcir mdft` runs."""
from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from . import config as config_mod
from .run import run
from .validate import validate


def add_arguments(sub: argparse._SubParsersAction) -> None:
    """Add the `run` and `validate` sub-subcommands to an `mdft` parser's subparsers."""
    p_run = sub.add_parser("run", help="minimise the MDFT functional for one configuration",
                           description="CONFIG: a TOML file, MDFT's dft.in (with solute.in next to it) "
                                       "or Mini-MDFT's dft.json (with solute.json).")
    p_run.add_argument("config", help="TOML configuration, dft.in or dft.json")
    p_run.add_argument("--solute", help="solute file for dft.in/dft.json inputs (default: next to CONFIG)")
    p_run.add_argument("--json", action="store_true", help="print one JSON object with the results")
    p_run.add_argument("--rdf", metavar="FILE", help="write r (Å) and n(r)/n0 around the first solute site")
    p_run.add_argument("--quiet", action="store_true", help="no per-iteration progress on stderr")
    p_run.set_defaults(func=cmd_run)
    p_val = sub.add_parser("validate", help="run every physics/numerics check; non-zero exit on failure")
    p_val.add_argument("--quick", action="store_true", help="skip the grid/box convergence sweep")
    p_val.set_defaults(func=cmd_validate)


def cmd_run(args: argparse.Namespace) -> int:
    """`hpcir mdft run`: load, minimise, report."""
    if args.solute and not args.config.endswith(".toml"):
        cfg = config_mod.from_mdft(args.config, args.solute)
    else:
        cfg = config_mod.load(args.config)
    res = run(cfg, progress=None if args.quiet else sys.stderr)
    if args.rdf:
        np.savetxt(args.rdf, np.column_stack([res.rdf_r, res.rdf_g]), header="r_A g(r)=n(r)/n0")
    summary = res.summary() | {"mmax": cfg.mmax, "nodes": list(cfg.nodes), "box": list(cfg.box),
                               "solvent": cfg.solvent.model, "temperature": cfg.temperature}
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"MDFT {cfg.source}: {cfg.nodes[0]}x{cfg.nodes[1]}x{cfg.nodes[2]} nodes, mmax {cfg.mmax}, "
              f"solvent {cfg.solvent.model}")
        print(f"  free energy F_min  {res.free_energy:14.6f} kJ/mol")
        print(f"  PC                 {res.pc:14.6f} kJ/mol")
        print(f"  PC+                {res.pc_plus:14.6f} kJ/mol")
        print(f"  delta N            {res.delta_n:14.6f}")
        print(f"  evaluations        {res.evaluations:14d}   converged: {res.converged}   {res.seconds:.2f} s")
    return 0 if res.converged else 2


def main(argv: list[str]) -> int:
    """Run `hpcir mdft ARGV...`; returns the exit status."""
    parser = argparse.ArgumentParser(prog="hpcir mdft", description="MDFT solvation free energies (reference NumPy port)")
    add_arguments(parser.add_subparsers(dest="mdft_command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


def cmd_validate(args: argparse.Namespace) -> int:
    """`hpcir mdft validate`: the table of checks; exit status 1 if any fails."""
    rows = validate(sys.stdout, quick=args.quick)
    return 0 if all(r.ok for r in rows) else 1
