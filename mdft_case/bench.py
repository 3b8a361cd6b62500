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


def kernel_times(case: str, nodes: int, repeats: int = 3) -> dict[str, float]:
    """Best-of-`repeats` wall time of each hot kernel in one evaluation (Tier B cases)."""
    from . import kernels
    from .functional_orient import build_orient

    func, _ = build_orient(case_config(case, nodes))
    a = func.ang
    xi = func.initial_xi()
    steps: list[tuple[str, callable]] = []
    drho = kernels.delta_rho(xi, func.rho0)
    proj = kernels.angle_to_proj(drho, a.shape, func.fwd, func.iphi, func.ipsi, func.mix)
    projk = kernels.fft3_batched(proj)
    gk = kernels.kspace_contract(projk, a.proj_m, a.proj_mup, a.proj_mu, a.mrso, func.dk, func.phik,
                                 func.entries, func.cvals, func.wn)
    gp = kernels.ifft3_batched(gk)
    gamma = kernels.proj_to_angle(gp, a.shape, func.bwd, func.iphi, func.ipsi, func.mix)
    steps = [
        ("delta_rho", lambda: kernels.delta_rho(xi, func.rho0)),
        ("ideal_ext", lambda: kernels.ideal_ext(xi, func.vext, func.weights, func.rho0, func.kt, func.grid.dv)),
        ("angle_to_proj", lambda: kernels.angle_to_proj(drho, a.shape, func.fwd, func.iphi, func.ipsi, func.mix)),
        ("fft3_batched", lambda: kernels.fft3_batched(proj)),
        ("kspace_contract", lambda: kernels.kspace_contract(projk, a.proj_m, a.proj_mup, a.proj_mu, a.mrso, func.dk,
                                                            func.phik, func.entries, func.cvals, func.wn)),
        ("ifft3_batched", lambda: kernels.ifft3_batched(gk)),
        ("proj_to_angle", lambda: kernels.proj_to_angle(gp, a.shape, func.bwd, func.iphi, func.ipsi, func.mix)),
        ("excess", lambda: kernels.excess(xi, drho, gamma, func.weights, func.rho0, func.kt, func.grid.dv)),
    ]
    out = {}
    for name, fn in steps:
        best = float("inf")
        for _ in range(repeats):
            t = time.process_time()
            fn()
            best = min(best, time.process_time() - t)
        out[name] = best
    return out


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: one case, or the whole sweep as a Markdown table."""
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("case", nargs="?", choices=sorted(CASES))
    ap.add_argument("nodes", nargs="?", type=int)
    ap.add_argument("--minimise", action="store_true")
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--kernels", action="store_true", help="CPU time of each hot kernel (Tier B)")
    args = ap.parse_args(argv)
    if args.kernels:
        print(json.dumps(kernel_times(args.case, args.nodes)))
        return 0
    if not args.all:
        print(json.dumps(measure(args.case, args.nodes, args.minimise)))
        return 0
    plan = [("A", 32, True), ("A", 64, True), ("A", 96, True), ("B1", 32, True), ("B1", 64, True),
            ("B1", 96, True), ("B3", 32, True), ("B3", 64, True), ("B3", 96, False)]
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
