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
    p_run.add_argument("--backend", default="numpy",
                       help="hot kernels: numpy (default), jax or torch (see `hpcir mdft compare`)")
    p_run.set_defaults(func=cmd_run)
    p_val = sub.add_parser("validate", help="run every physics/numerics check; non-zero exit on failure")
    p_val.add_argument("--quick", action="store_true", help="skip the grid/box convergence sweep")
    p_val.set_defaults(func=cmd_validate)
    p_cmp = sub.add_parser("compare", help="run every backend on the same configuration(s); report.md/json + plots",
                           description="Agreement with numpy (F, dF/dxi at a fixed xi to 1e-10; F_min to 1e-8, "
                                       "iterations +-2), time per evaluation and per kernel, build time, peak "
                                       "memory, lines of code. Backends that cannot run here are listed with why.")
    p_cmp.add_argument("config", help="TOML configuration, dft.in or dft.json")
    p_cmp.add_argument("--backends", default="numpy,jax,torch",
                       help="comma-separated backend names, or `all` (default: numpy,jax,torch)")
    p_cmp.add_argument("--sizes", help="cubic grid sizes to sweep, e.g. 32,64 (box kept; default: the config's nodes)")
    p_cmp.add_argument("--mmax", help="mmax values to sweep, e.g. 0,1,3 (default: the config's mmax)")
    p_cmp.add_argument("--ctable", choices=("dense", "model"), default="dense",
                       help="c-table of Tier B runs (default dense: every coefficient allowed at mmax)")
    p_cmp.add_argument("--repeats", type=int, default=3, help="timed calls per median (default 3)")
    p_cmp.add_argument("--threads", type=int, help="worker threads per backend (default: the number of cores)")
    p_cmp.add_argument("--no-minimise", action="store_true", help="skip the minimisations (timings and fixed-xi checks only)")
    p_cmp.add_argument("-o", "--output", default="mdft-compare", help="output directory (default mdft-compare)")
    p_cmp.set_defaults(func=cmd_compare)


def cmd_run(args: argparse.Namespace) -> int:
    """`hpcir mdft run`: load, minimise, report."""
    if args.solute and not args.config.endswith(".toml"):
        cfg = config_mod.from_mdft(args.config, args.solute)
    else:
        cfg = config_mod.load(args.config)
    res = run(cfg, progress=None if args.quiet else sys.stderr, backend=args.backend)
    if args.rdf:
        np.savetxt(args.rdf, np.column_stack([res.rdf_r, res.rdf_g]), header="r_A g(r)=n(r)/n0")
    summary = res.summary() | {"backend": args.backend, "mmax": cfg.mmax, "nodes": list(cfg.nodes), "box": list(cfg.box),
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
    parser = argparse.ArgumentParser(prog="hpcir mdft", description="MDFT solvation free energies (NumPy reference and the backends of mdft_case/backends)")
    add_arguments(parser.add_subparsers(dest="mdft_command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


def cmd_validate(args: argparse.Namespace) -> int:
    """`hpcir mdft validate`: the table of checks; exit status 1 if any fails."""
    rows = validate(sys.stdout, quick=args.quick)
    return 0 if all(r.ok for r in rows) else 1


def _ints(text: str | None, option: str) -> list[int] | None:
    if text is None:
        return None
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise config_mod.ConfigError(f"{option} {text!r} is not a comma-separated list of integers",
                                     hint=f"write e.g. {option} 32,64") from None
    if not values or min(values) < 0:
        raise config_mod.ConfigError(f"{option} {text!r} needs non-negative integers", hint=f"write e.g. {option} 32,64")
    return values


def cmd_compare(args: argparse.Namespace) -> int:
    """`hpcir mdft compare`: every backend, one report; exit 1 if a run failed (skipped runs are not failures)."""
    from pathlib import Path

    from .backends import BACKENDS
    from .compare import compare

    names = list(BACKENDS) if args.backends.strip() == "all" else [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = [b for b in names if b not in BACKENDS]
    if unknown:
        raise config_mod.ConfigError(f"unknown backend(s) {', '.join(unknown)}",
                                     hint=f"use `all` or some of {', '.join(BACKENDS)}")
    sizes, mmaxes = _ints(args.sizes, "--sizes"), _ints(args.mmax, "--mmax")
    cfg = config_mod.load(args.config)
    out = Path(args.output)
    rep = compare(cfg, names, sizes, mmaxes, out, ctable=args.ctable, repeats=max(1, args.repeats),
                  minimise=not args.no_minimise, threads=args.threads, progress=sys.stderr)
    failed = [r for r in rep["runs"] if r["status"].startswith("failed")]
    print(f"mdft compare: {len(rep['runs'])} runs, {sum(r['status'] == 'ok' for r in rep['runs'])} ok, "
          f"{len(failed)} failed; report in {out / 'report.md'}")
    return 1 if failed else 0
