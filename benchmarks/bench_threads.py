"""Small launches under OpenMP settings: hpcir's defaults against none, on a quiet and a loaded machine.

    python benchmarks/bench_threads.py                       # the recorded run (RESULTS.md), ~5 min
    python benchmarks/bench_threads.py --quick               # fewer calls and rounds, ~1 min
    python benchmarks/bench_threads.py --json benchmarks/results/threads/run.json

Times one launch of small kernels (axpy y = a*x + y and a dot-product reduction on 10^3 and 10^4
doubles) per call: the JIT's generated C entry called with pre-packed arguments (what OpenMP's
fork/join costs, without Python's ~60 us of argument checking), and `hpcir.parallel_for` on 10^3
(everything a user pays). Each configuration runs in its own process, since the OpenMP runtime
reads its environment once, when it is loaded:

- settings "before": HPCIR_OMP_DEFAULTS=0, i.e. what hpcir did before it had defaults (libgomp's
  own: no binding, spin 300,000 iterations before sleeping); "after": hpcir's defaults
  (OMP_PROC_BIND=false, OMP_WAIT_POLICY=passive); "active": OMP_WAIT_POLICY=active (spin for ever,
  what one may set on a dedicated node); "spin1k" / "spin30k": GOMP_SPINCOUNT=1000 / 30000 (spin
  that long, then sleep; only with --settings);
- threads "1" (HPCIR_NUM_THREADS=1) and "default" (all CPUs);
- load "as is" (whatever else runs on the machine, recorded) and "loaded" (plus one busy-loop
  process per CPU, at the same priority).

Configurations run round-robin in a new random order each round; every call is timed on its own
and all calls of a cell are pooled: median (a typical launch), p90, and mean (what a loop of
launches costs per launch: a few stalls of milliseconds dominate it).
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SETTINGS = {
    "before": {"HPCIR_OMP_DEFAULTS": "0"},
    "after": {},
    "active": {"OMP_WAIT_POLICY": "active"},
    # Spinning a little before sleeping (libgomp counts loop iterations; its default is 300,000):
    "spin1k": {"GOMP_SPINCOUNT": "1000"},
    "spin30k": {"GOMP_SPINCOUNT": "30000"},
}
THREADS = {"1": {"HPCIR_NUM_THREADS": "1"}, "default": {}}
# Variables that would change what a configuration measures: each worker starts without them.
CLEARED = ("OMP_PROC_BIND", "OMP_PLACES", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OMP_NUM_THREADS",
           "OMP_DISPLAY_ENV", "OMP_DYNAMIC", "HPCIR_NUM_THREADS", "HPCIR_OMP_DEFAULTS", "KOKKOS_NUM_THREADS")
CASES = ("axpy 1e3", "axpy 1e4", "dot 1e3", "dot 1e4", "parallel_for axpy 1e3")


# --- worker: one configuration, in its own process ----------------------------------------------

_WORKER_KERNELS = '''
import hpcir

@hpcir.kernel
def axpy(i: int, a: float, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    y[i] = a * x[i] + y[i]

@hpcir.kernel
def dot(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float], y: hpcir.View1D[float]):
    acc += x[i] * y[i]
'''


def _kernels():
    """The two kernels, from a module file (hpcir reads a kernel's source from its file)."""
    import importlib.util
    import tempfile
    path = Path(tempfile.gettempdir()) / "hpcir_bench_threads_kernels.py"
    if not path.exists() or path.read_text() != _WORKER_KERNELS:
        path.write_text(_WORKER_KERNELS)
    spec = importlib.util.spec_from_file_location("hpcir_bench_threads_kernels", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.axpy, mod.dot


def _per_call(fn, calls: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        fn()
    pc = time.perf_counter
    out = []
    for _ in range(calls):
        t0 = pc()
        fn()
        out.append(pc() - t0)
    return out


def worker(calls: int) -> dict:
    """Seconds per call of every case (the raw samples) and what hpcir set for OpenMP."""
    import ctypes
    import numpy as np
    import hpcir
    from hpcir import api
    from hpcir.backends.runtime import ERRLEN, as_hpcir_view, openmp_applied
    axpy, dot = _kernels()
    samples: dict[str, list[float]] = {}
    for n in (1000, 10000):
        x, y = np.ones(n), np.ones(n)
        hpcir.parallel_for(n, axpy, a=0.5, x=x, y=y)
        s = hpcir.parallel_reduce(n, dot, x=x, y=y)
        assert y[0] == 1.5 and s == 1.5 * n, (y[0], s)
        for name, loaded in list(api._loaded.items()):
            entry = loaded.library[loaded.entry]
            is_axpy = loaded.entry.startswith("axpy")
            objs = [ctypes.c_int64(0), ctypes.c_int64(n)] + ([ctypes.c_double(0.5)] if is_axpy else []) + \
                   [as_hpcir_view(x), as_hpcir_view(y)]
            ptrs = (ctypes.c_void_p * len(objs))(*[ctypes.cast(ctypes.pointer(o), ctypes.c_void_p) for o in objs])
            results = (ctypes.c_uint64 * 1)()
            rp = ctypes.cast(results, ctypes.c_void_p)
            err = ctypes.create_string_buffer(ERRLEN)
            fn = entry._fn

            def call(fn=fn, ptrs=ptrs, rp=rp, err=err):
                fn(ptrs, rp, err, ERRLEN)
            assert fn(ptrs, rp, err, ERRLEN) == 0, err.value
            samples[f"{'axpy' if is_axpy else 'dot'} 1e{len(str(n)) - 1}"] = _per_call(call, calls, 50)
    x, y = np.ones(1000), np.ones(1000)
    samples["parallel_for axpy 1e3"] = _per_call(lambda: hpcir.parallel_for(1000, axpy, a=0.5, x=x, y=y),
                                                 max(1, calls // 2), 20)
    return {"samples": samples, "openmp_applied": openmp_applied()}


# --- driver ------------------------------------------------------------------------------------

def _libgomp_icvs(stderr: str) -> dict[str, str]:
    blocks = re.findall(r"OPENMP DISPLAY ENVIRONMENT BEGIN(.*?)OPENMP DISPLAY ENVIRONMENT END", stderr, re.S)
    if not blocks:
        return {}
    icv = dict(re.findall(r"^\s*(\w+) = '([^']*)'", blocks[-1], re.M))
    return {k: icv[k] for k in ("OMP_NUM_THREADS", "OMP_PROC_BIND", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT") if k in icv}


def _run_worker(env_extra: dict[str, str], calls: int) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in CLEARED} | env_extra | {"OMP_DISPLAY_ENV": "verbose"}
    proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--worker", "--calls", str(calls)],
                          capture_output=True, text=True, env=env, timeout=1800)
    if proc.returncode != 0:
        raise SystemExit(f"worker failed ({env_extra}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    line = next(ln for ln in proc.stdout.splitlines() if ln.startswith("WORKER "))
    out = json.loads(line[len("WORKER "):])
    out["libgomp"] = _libgomp_icvs(proc.stderr)
    out["kokkos_warning"] = "OMP_PROC_BIND environment variable not set" in proc.stdout + proc.stderr
    return out


def _busy_loops(n: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(n)]


def _stop(procs: list[subprocess.Popen]) -> None:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait(timeout=30)


def _summary(seconds: list[float]) -> dict:
    s = sorted(seconds)
    return {"median_us": statistics.median(s) * 1e6, "p90_us": s[int(0.9 * (len(s) - 1))] * 1e6,
            "mean_us": statistics.fmean(s) * 1e6, "max_us": s[-1] * 1e6, "n": len(s)}


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--quick", action="store_true", help="500 calls, 2 rounds")
    p.add_argument("--calls", type=int, default=None, help="timed calls per case and process (default 1000)")
    p.add_argument("--rounds", type=int, default=None, help="processes per configuration (default 3)")
    p.add_argument("--settings", default="before,after,active", help="comma list of: " + ", ".join(SETTINGS))
    p.add_argument("--threads", default="1,default", help="comma list of: " + ", ".join(THREADS))
    p.add_argument("--loads", default="as-is,loaded", help="comma list of: as-is, loaded")
    p.add_argument("--busy", type=int, default=None, help="busy-loop processes when loaded (default: CPUs)")
    p.add_argument("--json", type=Path, default=None, help="also write every number here")
    p.add_argument("--samples", action="store_true", help="with --json: every call's time too (megabytes)")
    a = p.parse_args(argv)
    a.calls = a.calls or (500 if a.quick else 1000)
    a.rounds = a.rounds or (2 if a.quick else 3)
    return a


def _table(cells: dict, settings: list[str], threads: list[str], loads: list[str], stat: str) -> list[str]:
    head = "| load | threads | case | " + " | ".join(settings) + " |"
    rows = [head, "|" + "---|" * (3 + len(settings))]
    for load in loads:
        for th in threads:
            for case in CASES:
                vals = [cells.get((load, s, th), {}).get(case, {}).get(stat) for s in settings]
                rows.append(f"| {load} | {th} | {case} | " +
                            " | ".join("-" if v is None else f"{v:,.1f}" for v in vals) + " |")
    return rows


def main(argv: list[str] | None = None) -> int:
    a = _args(argv)
    if a.worker:
        print("WORKER " + json.dumps(worker(a.calls)))
        return 0
    from bench_util import load_average, machine_info
    settings, threads, loads = a.settings.split(","), a.threads.split(","), a.loads.split(",")
    info = machine_info()
    ncpu = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    busy = a.busy if a.busy is not None else ncpu
    print(f"bench_threads: {ncpu} CPUs ({info['cpu']}), {a.calls} calls x {a.rounds} rounds per configuration, "
          f"load average before {' '.join(f'{x:.2f}' for x in load_average())}")
    _run_worker({}, 5)  # builds (or finds in the cache) the kernels once, untimed
    out: dict = {"machine": info, "calls": a.calls, "rounds": a.rounds, "busy_loops": busy, "phases": {}}
    cells: dict = {}
    rng = random.Random(20261207)
    for load in loads:
        procs = _busy_loops(busy) if load == "loaded" else []
        try:
            time.sleep(1.0 if procs else 0.0)
            phase = {"load_before": load_average(), "runs": []}
            pooled: dict = {}
            configs = [(s, t) for s in settings for t in threads]
            for r in range(a.rounds):
                rng.shuffle(configs)
                for s, t in configs:
                    res = _run_worker(SETTINGS[s] | THREADS[t], a.calls)
                    phase["runs"].append({"round": r, "settings": s, "threads": t, "libgomp": res["libgomp"],
                                          "openmp_applied": res["openmp_applied"],
                                          "kokkos_warning": res["kokkos_warning"],
                                          "cases": {c: _summary(v) for c, v in res["samples"].items()}}
                                         | ({"samples_s": res["samples"]} if a.samples else {}))
                    for c, v in res["samples"].items():
                        pooled.setdefault((s, t), {}).setdefault(c, []).extend(v)
            phase["load_after"] = load_average()
        finally:
            _stop(procs)
        for (s, t), by_case in pooled.items():
            cells[(load, s, t)] = {c: _summary(v) for c, v in by_case.items()}
        phase["pooled"] = {f"{s}/{t}": {c: _summary(v) for c, v in by_case.items()} for (s, t), by_case in pooled.items()}
        out["phases"][load] = phase
        print(f"load {load}: busy loops {len(procs)}, load average before "
              f"{' '.join(f'{x:.2f}' for x in phase['load_before'])}, after "
              f"{' '.join(f'{x:.2f}' for x in phase['load_after'])}")
    icvs = {}
    for load, phase in out["phases"].items():
        for run in phase["runs"]:
            icvs[(run["settings"], run["threads"])] = (run["libgomp"], run["kokkos_warning"])
    print("\nWhat libgomp ran with (OMP_DISPLAY_ENV):")
    for (s, t), (icv, warned) in sorted(icvs.items()):
        print(f"  {s:7s} threads={t:8s} {icv}  kokkos OMP_PROC_BIND warning: {warned}")
    for stat, what in (("median_us", "median us per launch"), ("mean_us", "mean us per launch"),
                       ("p90_us", "p90 us per launch")):
        print(f"\n{what}:\n")
        print("\n".join(_table(cells, settings, threads, loads, stat)))
    if a.json:
        a.json.parent.mkdir(parents=True, exist_ok=True)
        a.json.write_text(json.dumps(out, indent=1, default=str))
        print(f"\nwrote {a.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
