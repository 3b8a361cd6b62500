"""Timing of one F + dF evaluation and of a whole minimisation, per case, with peak memory.

`python -m hpcir.mdft_case.bench CASE NODES [--minimise]` prints one JSON line; `--all` runs the
sweep of RESULTS.md, each case in its own process so that its peak RSS is its own.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np

from .config import Config, Solvent
from .external import Site
from .minimise import lbfgs

SIGMA, EPS, N0 = 3.405, 0.996, 0.7 / 3.405 ** 3
BOX = 32.0
CASES = {"A": 0, "B1": 1, "B3": 3}


def case_config(case: str, nodes: int) -> Config:
    """Tier A: an LJ solute; Tier B: an ion pair in the stockmayer solvent (mrso 2 grids of MDFT's water)."""
    mmax = CASES[case]
    if mmax == 0:
        return Config(300.0, (BOX,) * 3, (nodes,) * 3, 0, Solvent("lj", SIGMA, EPS, N0),
                      (Site(0.0, 5.0, 1.5, (0.0, 0.0, 0.0)),), lj_cutoff=16.0)
    return Config(300.0, (BOX,) * 3, (nodes,) * 3, mmax, Solvent("stockmayer", SIGMA, EPS, N0, 0.2, 1.0, 2),
                  (Site(0.8, 3.0, 0.5, (1.6, 0.0, 0.0)), Site(-0.8, 4.0, 0.5, (-1.9, 0.0, 0.0))), lj_cutoff=16.0)


def measure(case: str, nodes: int, minimise: bool, repeats: int = 3) -> dict:
    """Setup, per-evaluation and (optionally) per-minimisation times of one case."""
    from .functional_orient import build_orient
    from .run import build_scalar

    cfg = case_config(case, nodes)
    t0 = time.perf_counter()
    func, _ = build_scalar(cfg) if cfg.mmax == 0 else build_orient(cfg)
    setup = time.perf_counter() - t0
    xi = func.initial_xi()
    func.evaluate(xi)
    wall, cpu = [], []
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        func.evaluate(xi)
        wall.append(time.perf_counter() - w)
        cpu.append(time.process_time() - c)
    out = {"case": case, "nodes": nodes, "mmax": cfg.mmax, "orientations": int(xi.shape[0]),
           "values": int(xi.size), "setup_s": setup, "eval_s": min(wall), "eval_cpu_s": min(cpu)}
    if minimise:
        c0 = time.process_time()
        res = lbfgs(func.evaluate, xi, ftol=1e-10, progress=None)
        out |= {"minimise_s": res.seconds, "minimise_cpu_s": time.process_time() - c0, "evaluations": res.evaluations, "free_energy": res.energy,
                "converged": res.converged}
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: one case, or the whole sweep as a Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("case", nargs="?", choices=sorted(CASES))
    ap.add_argument("nodes", nargs="?", type=int)
    ap.add_argument("--minimise", action="store_true")
    ap.add_argument("--all", action="store_true")
    args = ap.parse_args(argv)
    if not args.all:
        print(json.dumps(measure(args.case, args.nodes, args.minimise)))
        return 0
    plan = [("A", 32, True), ("A", 64, True), ("A", 96, True), ("B1", 32, True), ("B1", 64, True),
            ("B1", 96, False), ("B3", 32, True), ("B3", 64, True), ("B3", 96, False)]
    print("| case | nodes | orientations | setup s | F+dF wall s | F+dF CPU s | evals | minimisation wall s | minimisation CPU s | F_min kJ/mol | peak RSS MiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for case, nodes, mini in plan:
        cmd = [sys.executable, "-m", "hpcir.mdft_case.bench", case, str(nodes)] + (["--minimise"] if mini else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"| {case} | {nodes}^3 | failed: {proc.stderr.strip().splitlines()[-1] if proc.stderr else proc.returncode} |")
            continue
        r = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"| {case} | {nodes}^3 | {r['orientations']} | {r['setup_s']:.1f} | {r['eval_s']:.3f} | {r['eval_cpu_s']:.3f} | "
              f"{r.get('evaluations', '-')} | {r.get('minimise_s', float('nan')):.1f} | "
              f"{r.get('minimise_cpu_s', float('nan')):.1f} | "
              f"{r.get('free_energy', float('nan')):.4f} | {r['peak_rss_mib']:.0f} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
