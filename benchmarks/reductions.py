"""Reductions and scans: hpcir (Kokkos, cpu target) against NumPy, on 1 and 2 threads.

    python benchmarks/reductions.py               # n = 10^7 doubles, 15 rounds
    python benchmarks/reductions.py --n 1000000 --reps 5

Each thread count runs in its own process (Kokkos' thread count is fixed when it starts), NumPy
in the same process on the same arrays. Variants run round-robin (hpcir first in even rounds, NumPy
first in odd ones), two warm-up rounds are discarded, and medians are reported with the ratio NumPy time / hpcir time (> 1: hpcir faster).
NumPy is single-threaded for these operations. Recorded in benchmarks/RESULTS.md.
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
def itotal(i: int, acc: hpcir.Acc[int], k: hpcir.View1D[int]):
    acc += k[i]


@hpcir.kernel(reducer="maxloc")
def maxloc(i: int, best: hpcir.Acc[float], at: hpcir.Acc[int], x: hpcir.View1D[float]):
    if x[i] > best:
        best = x[i]
        at = i


@hpcir.kernel
def cumsum(i: int, acc: hpcir.Acc[float], final: bool, x: hpcir.View1D[float], out: hpcir.View1D[float]):
    acc += x[i]
    if final:
        out[i] = acc


def _cases(n: int) -> list[tuple[str, object, object]]:
    """(name, hpcir call, NumPy call) on the same arrays."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=n)
    k = rng.integers(-1000, 1000, size=n)
    out = np.empty_like(x)
    buf = np.empty_like(x)
    f_sum = hpcir.compile(total, target="cpu")
    f_max = hpcir.compile(largest, target="cpu")
    f_isum = hpcir.compile(itotal, target="cpu")
    f_scan = hpcir.compile(cumsum, target="cpu", kind="scan")
    cases = [("sum float64", lambda: f_sum(n, x=x), lambda: np.sum(x)),
             ("max float64", lambda: f_max(n, x=x), lambda: np.max(x)),
             ("sum int64", lambda: f_isum(n, k=k), lambda: np.sum(k)),
             ("cumsum float64 (NumPy out=)", lambda: f_scan(n, x=x, out=out), lambda: np.cumsum(x, out=buf)),
             ("cumsum float64 (NumPy allocates)", lambda: f_scan(n, x=x, out=out), lambda: np.cumsum(x))]
    f_loc = hpcir.compile(maxloc, target="cpu")
    cases += [("maxloc float64 (NumPy max + argmax)", lambda: f_loc(n, x=x), lambda: (x.max(), x.argmax())),
              ("maxloc float64 (NumPy argmax alone)", lambda: f_loc(n, x=x), lambda: x.argmax())]
    assert f_loc(n, x=x) == (x.max(), int(x.argmax()))
    # Correctness first: a fast wrong answer is not a result.
    assert abs(f_sum(n, x=x) - x.sum()) <= 1e-9 * np.abs(x).sum()
    assert f_max(n, x=x) == x.max() and f_isum(n, k=k) == k.sum()
    f_scan(n, x=x, out=out)
    assert np.allclose(out, np.cumsum(x), rtol=1e-9, atol=1e-9 * np.abs(x).sum())
    return cases


def _time(fn) -> tuple[float, float]:
    """(wall ms, process CPU ms) of one call; on one thread the CPU time leaves out the time the
    process waited for a core (a loaded machine), so it is the steadier figure there."""
    t0, c0 = time.perf_counter(), time.process_time()
    fn()
    return (time.perf_counter() - t0) * 1e3, (time.process_time() - c0) * 1e3


def child(n: int, reps: int, warmup: int) -> dict[str, list[float]]:
    """Round-robin timings in this process: {case: [hpcir, NumPy wall medians, hpcir, NumPy CPU medians] ms}."""
    cases = _cases(n)
    times: dict[str, list[list[float]]] = {name: [[], [], [], []] for name, _, _ in cases}
    for r in range(warmup + reps):
        for name, ours, theirs in cases:
            if r % 2:  # NumPy first every other round: the second reader of an array may find part of it in cache
                (b, bc), (a, ac) = _time(theirs), _time(ours)
            else:
                (a, ac), (b, bc) = _time(ours), _time(theirs)
            if r >= warmup:
                for k, v in enumerate((a, b, ac, bc)):
                    times[name][k].append(v)
    return {name: [statistics.median(v) for v in t] for name, t in times.items()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=10**7)
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--threads", type=int, nargs="*", default=[1, 2])
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.child:
        print(json.dumps(child(a.n, a.reps, a.warmup)))
        return 0
    print(f"n = {a.n}, {a.reps} rounds (medians), load: {os.getloadavg()}")
    for t in a.threads:
        env = dict(os.environ, OMP_NUM_THREADS=str(t), HPCIR_NUM_THREADS=str(t))
        out = subprocess.run([sys.executable, __file__, "--child", "--n", str(a.n), "--reps", str(a.reps),
                              "--warmup", str(a.warmup)], env=env, capture_output=True, text=True, check=True)
        res = json.loads(out.stdout.strip().splitlines()[-1])
        cpu = t == 1  # CPU time is comparable only when each side runs on one thread
        print(f"\n{t} thread(s), wall-clock medians" + (" (and process CPU-time medians)" if cpu else "")
              + "\n| case | hpcir ms | NumPy ms | NumPy / hpcir |" + (" hpcir CPU ms | NumPy CPU ms | ratio |" if cpu else "")
              + "\n|---|---|---|---|" + ("---|---|---|" if cpu else ""))
        for name, (ours, theirs, ours_c, theirs_c) in res.items():
            extra = f" {ours_c:.2f} | {theirs_c:.2f} | {theirs_c / ours_c:.2f}x |" if cpu else ""
            print(f"| {name} | {ours:.2f} | {theirs:.2f} | {theirs / ours:.2f}x |{extra}")
    print(f"\nload after: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
