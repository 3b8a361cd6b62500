"""Per-call cost of launching a compiled kernel from Python: 16-element launches, where the kernel
itself takes well under a microsecond, so the time is hpcir's launch path (checks, lookup, ctypes).

    python benchmarks/launch_overhead.py                       # this checkout, cpu and serial
    python benchmarks/launch_overhead.py --against /work/main/.venv/bin/python --rounds 5

`--against PY` runs the same measurement with another interpreter (another checkout's venv: its
`import hpcir`), alternating the two in separate processes, and prints both with the ratio
(other / this: > 1 means this checkout launches faster). Medians over rounds; load printed.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np

import hpcir


@hpcir.kernel
def total(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc += x[i]


@hpcir.kernel(reducer="max")
def largest(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float]):
    acc = max(acc, x[i])


@hpcir.kernel
def axpy(i: int, a: float, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    y[i] = a * x[i] + y[i]


def measure(target: str, calls: int, reps: int) -> dict[str, float]:
    """{case: median microseconds per call} in this process."""
    x, y = np.random.default_rng(0).normal(size=16), np.zeros(16)
    f_sum, f_max = hpcir.compile(total, target=target), hpcir.compile(largest, target=target)
    cases = {"Compiled sum (reduce)": lambda: f_sum(16, x=x),
             "Compiled max (reduce)": lambda: f_max(16, x=x),
             "hpcir.parallel_reduce": lambda: hpcir.parallel_reduce(16, total, x=x, target=target),
             "hpcir.parallel_for (axpy)": lambda: hpcir.parallel_for(16, axpy, a=2.0, x=x, y=y, target=target)}
    for fn in cases.values():
        fn()
    out: dict[str, list[float]] = {k: [] for k in cases}
    for _ in range(reps):
        for name, fn in cases.items():
            t0 = time.perf_counter()
            for _ in range(calls):
                fn()
            out[name].append((time.perf_counter() - t0) / calls * 1e6)
    return {k: statistics.median(v) for k, v in out.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--targets", nargs="*", default=["cpu", "serial"])
    p.add_argument("--calls", type=int, default=2000)
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--rounds", type=int, default=3, help="alternations with --against")
    p.add_argument("--against", help="another checkout's python")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps({t: measure(t, a.calls, a.reps) for t in a.targets}))
        return 0
    pythons = {"this": sys.executable} | ({"other": a.against} if a.against else {})
    print(f"load before: {os.getloadavg()}, {a.calls} calls x {a.reps} reps per case, 16 elements")
    env = dict(os.environ, OMP_NUM_THREADS="1", HPCIR_NUM_THREADS="1")
    runs: dict[str, list[dict]] = {k: [] for k in pythons}
    for _ in range(a.rounds if a.against else 1):
        for label, py in pythons.items():
            cmd = [py, os.path.abspath(__file__), "--child", "--calls", str(a.calls), "--reps", str(a.reps),
                   "--targets", *a.targets]
            res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            runs[label].append(json.loads(res.stdout.strip().splitlines()[-1]))
    print("| target | case | this us/call |" + (" other us/call | other / this |" if a.against else "")
          + "\n|---|---|---|" + ("---|---|" if a.against else ""))
    for t in a.targets:
        for case in runs["this"][0][t]:
            mine = statistics.median(r[t][case] for r in runs["this"])
            row = f"| {t} | {case} | {mine:.1f} |"
            if a.against:
                theirs = statistics.median(r[t][case] for r in runs["other"])
                row += f" {theirs:.1f} | {theirs / mine:.1f}x |"
            print(row)
    print(f"load after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
