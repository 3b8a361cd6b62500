"""Data on the device (issue 11, item 5): a Python optimizer loop over kernel launches, on NumPy
arrays and on hpcir.Array, on one target: seconds per iteration and host<->device bytes per
iteration (hpcir.transfer_stats). On serial / cpu both move 0 bytes; on cuda / hip the NumPy loop
copies every view in (and written ones out) at every launch, the Array loop moves nothing.

    python benchmarks/device_arrays.py --target cuda            # an MDFT-sized field: 64^3 x 84 float64 (176 MB)
    python benchmarks/device_arrays.py --target cpu --n 1000000 --iters 5 --json out.json
"""
from __future__ import annotations

import argparse
import json
import time

import numpy as np

import hpcir


@hpcir.kernel
def grad(i: int, x: hpcir.View1D[float], b: hpcir.View1D[float], w: hpcir.View1D[float], g: hpcir.View1D[float]):
    g[i] = 2.0 * w[i] * (x[i] - b[i])


@hpcir.kernel
def norm2(i: int, acc: hpcir.Acc[float], g: hpcir.View1D[float]):
    acc += g[i] * g[i]


@hpcir.kernel
def step(i: int, lr: float, g: hpcir.View1D[float], x: hpcir.View1D[float]):
    x[i] = x[i] - lr * g[i]


def iterate(x, b, w, g, n: int, iters: int, target: str) -> float:
    """`iters` gradient steps (3 launches each); returns the last squared gradient norm."""
    norm = 0.0
    for _ in range(iters):
        hpcir.parallel_for(n, grad, x=x, b=b, w=w, g=g, target=target)
        norm = hpcir.parallel_reduce(n, norm2, g=g, target=target)
        hpcir.parallel_for(n, step, lr=0.1, g=g, x=x, target=target)
    return norm


def run(target: str, n: int, iters: int) -> dict:
    """Both variants on fresh copies of one problem: timings, bytes moved, and agreement."""
    rng = np.random.default_rng(0)
    x0, b0, w0 = rng.standard_normal(n), rng.standard_normal(n), rng.uniform(0.5, 2.0, n)
    out = {"target": target, "n": n, "iters": iters, "mbytes_per_view": n * 8 / 1e6, "variants": {}}
    data = {"numpy": (x0.copy(), b0, w0, np.empty(n)),
            "hpcir.Array": tuple(hpcir.array(a, target=target) for a in (x0, b0, w0)) + (hpcir.empty(n, target=target),)}
    finals = {}
    for name, (x, b, w, g) in data.items():
        iterate(x, b, w, g, n, 1, target)  # build and load the kernels, first touch
        before, t0 = hpcir.transfer_stats(), time.perf_counter()
        norm = iterate(x, b, w, g, n, iters, target)
        seconds = time.perf_counter() - t0
        moved = hpcir.transfer_stats() - before
        finals[name] = x.numpy() if isinstance(x, hpcir.Array) else x
        out["variants"][name] = {"seconds_per_iter": seconds / iters, "norm": norm,
                                 "bytes_per_iter": moved.total // iters,
                                 "copies_per_iter": moved.copies // iters}
    out["agree"] = bool(np.allclose(finals["numpy"], finals["hpcir.Array"], rtol=1e-12, atol=1e-14))
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--target", default="cpu")
    p.add_argument("--n", type=int, default=64 ** 3 * 84, help="elements per view (default: 64^3 x 84)")
    p.add_argument("--iters", type=int, default=10)
    p.add_argument("--json", help="also write the results here")
    a = p.parse_args()
    res = run(a.target, a.n, a.iters)
    print(f"target {res['target']}, {res['n']} float64 per view ({res['mbytes_per_view']:.1f} MB), "
          f"{res['iters']} iterations of 3 launches")
    print(f"{'variant':<12} {'ms/iter':>10} {'MB moved/iter':>14} {'copies/iter':>12}")
    for name, v in res["variants"].items():
        print(f"{name:<12} {v['seconds_per_iter'] * 1e3:>10.2f} {v['bytes_per_iter'] / 1e6:>14.1f} "
              f"{v['copies_per_iter']:>12}")
    print("results agree" if res["agree"] else "RESULTS DIFFER")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=2)
    if not res["agree"]:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
