"""`hpcir mdft compare`: every backend on the same configuration(s), checked against NumPy and timed.

Each run (backend x grid size x mmax) is a child process (`python -m hpcir.mdft_case.compare JOB`),
so that its peak memory and its JIT caches are its own. NumPy runs first in every case and leaves
F and dF/dxi at the fixed xi for the others to compare with.
"""
from __future__ import annotations

import json
import os
import pickle
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

import numpy as np

from .backends import BACKENDS, get, problem_of
from .config import Config, Solvent

# Agreement tolerances of issue 13 (fp64)
FIXED_RTOL = 1e-10      # F and dF/dxi at the fixed xi
FMIN_RTOL = 1e-8        # F_min after minimisation
ITER_SLACK = 2          # iterations within +-2 of NumPy's


def case_config(cfg: Config, nodes: int | None, mmax: int | None, ctable: str) -> tuple[Config | None, str]:
    """The configuration of one sweep point (cubic grid of `nodes`, box kept), or None and why it cannot run."""
    out = cfg
    if nodes is not None:
        out = out.with_(nodes=(nodes,) * 3)
    if mmax is not None and mmax != cfg.mmax:
        sv = cfg.solvent
        if mmax == 0:
            # Tier A: the solvent's LJ centre alone (the dipole needs orientations)
            out = out.with_(mmax=0, solvent=Solvent("lj", sv.sigma, sv.epsilon, sv.density, 0.0, sv.dipole_length, 1))
        elif sv.model == "lj":
            return None, "the lj solvent has no orientations; use a stockmayer configuration for mmax >= 1"
        else:
            out = out.with_(mmax=mmax)
    if out.mmax >= 1:
        out = out.with_(solvent=Solvent(**{**out.solvent.__dict__, "ctable": ctable}))
    return out, ""


def _build(cfg: Config):
    from .functional_orient import build_orient
    from .run import build_scalar
    return build_scalar(cfg)[0] if cfg.mmax == 0 else build_orient(cfg)[0]


def run_one(cfg: Config, backend: str, reference: Path, repeats: int, minimise: bool) -> dict:
    """One backend on one configuration (in the child process): agreement, timings, minimisation."""
    t0 = time.perf_counter()
    func = _build(cfg)
    setup = time.perf_counter() - t0
    problem = problem_of(func)
    xi = func.initial_xi()
    t0 = time.perf_counter()
    ev = get(backend).evaluator(problem)
    f, g = ev.evaluate(xi)               # the first call includes the JIT / compilation
    out = {"setup_seconds": setup, "build_seconds": time.perf_counter() - t0, "fixed_xi_free_energy": f}
    if backend == "numpy":
        np.savez(reference, f=f, g=g)
        out |= {"free_energy_rel_error": 0.0, "grad_rel_error": 0.0}
    else:
        ref = np.load(reference)
        out |= {"free_energy_rel_error": abs(f - float(ref["f"])) / max(abs(float(ref["f"])), 1e-300),
                "grad_rel_error": float(np.max(np.abs(g - ref["g"])) / max(np.max(np.abs(ref["g"])), 1e-300))}
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        ev.evaluate(xi)
        times.append(time.perf_counter() - t)
    out["seconds_per_eval"] = statistics.median(times)
    out["kernel_seconds"] = ev.kernel_seconds(xi, repeats)
    if minimise:
        from .minimise import lbfgs
        res = lbfgs(ev.evaluate, xi, ftol=cfg.ftol, gtol=cfg.gtol, max_iter=cfg.max_iter, progress=None)
        out |= {"free_energy": res.energy, "minimisation_seconds": res.seconds, "evaluations": res.evaluations,
                "iterations": res.iterations, "converged": res.converged}
    else:
        out |= {"free_energy": None, "minimisation_seconds": None, "evaluations": None, "iterations": None,
                "converged": None}
    out["peak_memory_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return out


def _agreement(run: dict, ref: dict | None) -> str:
    """'' if `run` agrees with the NumPy run `ref`, else what differs."""
    bad = []
    if run["free_energy_rel_error"] > FIXED_RTOL or run["grad_rel_error"] > FIXED_RTOL:
        bad.append(f"F / dF at fixed xi differ from numpy by {run['free_energy_rel_error']:.1e} / "
                   f"{run['grad_rel_error']:.1e} relative (> {FIXED_RTOL:g})")
    if ref is not None and run.get("free_energy") is not None and ref.get("free_energy") is not None:
        rel = abs(run["free_energy"] - ref["free_energy"]) / max(abs(ref["free_energy"]), 1e-300)
        run["free_energy_min_rel_error"] = rel
        run["iterations_delta"] = run["iterations"] - ref["iterations"]
        if rel > FMIN_RTOL:
            bad.append(f"F_min differs from numpy by {rel:.1e} relative (> {FMIN_RTOL:g})")
        if abs(run["iterations_delta"]) > ITER_SLACK:
            bad.append(f"{run['iterations']} iterations against numpy's {ref['iterations']} (more than +-{ITER_SLACK})")
    return "; ".join(bad)


def _blank(backend: str, nodes: int, mmax: int, status: str) -> dict:
    keys = ("free_energy", "grad_rel_error", "seconds_per_eval", "minimisation_seconds", "evaluations",
            "peak_memory_bytes", "build_seconds", "iterations")
    return {"backend": backend, "nodes": nodes, "mmax": mmax, **{k: None for k in keys}, "kernel_seconds": {},
            "status": status}


def compare(cfg: Config, backends: list[str], sizes: list[int] | None, mmaxes: list[int] | None, outdir: Path,
            ctable: str = "dense", repeats: int = 3, minimise: bool = True, threads: int | None = None,
            progress: TextIO | None = sys.stderr) -> dict:
    """Run every backend on every sweep point, write report.md / report.json / plots to `outdir`; the report dict.

    `threads`: worker threads of every backend (NumPy/SciPy FFT workers, OpenMP/MKL of torch, XLA's
    Eigen pool); default: the number of cores.
    """
    threads = threads or os.cpu_count() or 1
    from . import report

    outdir.mkdir(parents=True, exist_ok=True)
    work = outdir / "runs"
    work.mkdir(exist_ok=True)
    # NumPy is the reference of every agreement check: always run, first
    order = ["numpy"] + [b for b in backends if b != "numpy"]
    points = [(n, m) for n in (sizes or [None]) for m in (mmaxes or [None])]
    total, runs, count = len(points) * len(order), [], 0
    for nodes, mmax in points:
        case, why = case_config(cfg, nodes, mmax, ctable)
        n_label = nodes if nodes is not None else cfg.nodes[0]
        m_label = mmax if mmax is not None else cfg.mmax
        ref_run = None
        reference = work / f"numpy_{n_label}_{m_label}.npz"
        for name in order:
            count += 1
            t0 = time.perf_counter()
            reason = why or BACKENDS[name].unavailable()
            if not reason and name != "numpy" and (ref_run is None or ref_run["status"] != "ok"):
                reason = "the numpy reference run of this case did not succeed"
            if reason:
                run = _blank(name, n_label, m_label, f"skipped: {reason}")
            else:
                run = _child(case, name, reference, work / f"{name}_{n_label}_{m_label}", repeats, minimise, threads)
                run = {"backend": name, "nodes": n_label, "mmax": m_label} | run
                if run["status"] == "ok" and name != "numpy":
                    bad = _agreement(run, ref_run)
                    if bad:
                        run["status"] = f"failed: {bad}"
                if name == "numpy":
                    ref_run = run
            runs.append(run)
            if progress is not None:
                print(_progress_line(count, total, run, time.perf_counter() - t0), file=progress, flush=True)
    rep = report.build(cfg, runs, order, ctable, repeats, threads)
    report.write(rep, outdir)
    return rep


def _thread_env(threads: int) -> dict[str, str]:
    """The environment that gives a child `threads` worker threads in every library it may load."""
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads),
               OPENBLAS_NUM_THREADS=str(threads), HPCIR_MDFT_THREADS=str(threads))
    if threads == 1:
        env["XLA_FLAGS"] = (env.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()
    return env


def _child(case: Config, backend: str, reference: Path, stem: Path, repeats: int, minimise: bool,
           threads: int) -> dict:
    """run_one in a child process; {'status': 'ok', ...} or {'status': 'failed: ...'}."""
    job, result = stem.with_suffix(".job"), stem.with_suffix(".json")
    job.write_bytes(pickle.dumps({"cfg": case, "backend": backend, "reference": str(reference),
                                  "repeats": repeats, "minimise": minimise, "result": str(result)}))
    proc = subprocess.run([sys.executable, "-m", "hpcir.mdft_case.compare", str(job)], capture_output=True, text=True,
                          env=_thread_env(threads))
    if proc.returncode != 0 or not result.exists():
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        return _blank(backend, case.nodes[0], case.mmax,
                      f"failed: {lines[-1] if lines else f'exit status {proc.returncode}'}")
    return {"status": "ok"} | json.loads(result.read_text())


def _progress_line(i: int, total: int, run: dict, seconds: float) -> str:
    head = f"mdft compare [{i}/{total}] {run['backend']:<13} {run['nodes']}^3 mmax {run['mmax']}: "
    if run["status"] != "ok":
        return head + run["status"]
    fmin = "" if run.get("free_energy") is None else (
        f", F_min {run['free_energy']:+.8f} kJ/mol in {run['iterations']} iterations "
        f"({run['minimisation_seconds']:.1f} s)")
    return head + f"ok, {run['seconds_per_eval']:.4f} s per F+dF, grad rel. error {run['grad_rel_error']:.1e}{fmin}"


def _worker(job_path: str) -> int:
    from . import kernels
    kernels.WORKERS = int(os.environ.get("HPCIR_MDFT_THREADS", kernels.WORKERS))
    job = pickle.loads(Path(job_path).read_bytes())
    out = run_one(job["cfg"], job["backend"], Path(job["reference"]), job["repeats"], job["minimise"])
    Path(job["result"]).write_text(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1]))
