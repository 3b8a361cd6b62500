"""Per-call overhead of Kokkos kernels inside JAX and Torch (issue 12, interop): a tiny axpy launched
plainly (hpcir.parallel_for), through its C entry alone, through hpcir.as_torch (eager) and through
hpcir.as_jax (inside jax.jit and eager, against the same function written in jnp). Medians of
per-call times; the overhead is each wrapper's median minus the plain launch's (goal: <= 20 us per
call); --runs repeats the whole comparison and reports each row's median over the runs.

    python benchmarks/interop_overhead.py [--n 16] [--calls 2000] [--runs 5] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_util import load_average, machine_info, repeat_calls  # noqa: E402

import hpcir  # noqa: E402


@hpcir.kernel
def axpy(i: int, a: float, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    y[i] = a * x[i] + y[i]


def run(n: int, calls: int) -> dict:
    """Median seconds per call of each variant, and the overheads against the plain launch."""
    import jax
    import jax.numpy as jnp
    import torch
    from hpcir.api import bind
    jax.config.update("jax_enable_x64", True)
    x, y = np.random.rand(n), np.random.rand(n)
    xt, yt = torch.from_numpy(x.copy()), torch.from_numpy(y.copy())
    xj, yj = jnp.asarray(x), jnp.asarray(y)
    bound = bind("for", n, axpy, {"a": 2.0, "x": x, "y": y}, "cpu", None, None)
    entry = bound.entry
    op = hpcir.as_torch(axpy)
    f = hpcir.as_jax(axpy)
    jf = jax.jit(lambda x, y: f(n, a=2.0, x=x, y=y))
    jref = jax.jit(lambda x, y: 2.0 * x + y)
    variants = {
        "C entry": lambda: entry(*bound.bounds, 2.0, x, y),
        "hpcir.parallel_for": lambda: hpcir.parallel_for(n, axpy, a=2.0, x=x, y=y),
        "as_torch (eager)": lambda: op(n, a=2.0, x=xt, y=yt),
        "torch (eager)": lambda: yt.mul_(1.0).add_(xt, alpha=2.0),  # the same update, hand-written
        "as_jax in jax.jit": lambda: jf(xj, yj).block_until_ready(),
        "jnp in jax.jit": lambda: jref(xj, yj).block_until_ready(),
        "as_jax (eager)": lambda: f(n, a=2.0, x=xj, y=yj).block_until_ready(),
        "jnp (eager)": lambda: (2.0 * xj + yj).block_until_ready(),
    }
    out = {"n": n, "calls": calls, "median_us": {}}
    for name, fn in variants.items():
        out["median_us"][name] = repeat_calls(fn, calls).median * 1e6
    m = out["median_us"]
    out["overhead_us"] = {"as_torch vs plain launch": m["as_torch (eager)"] - m["hpcir.parallel_for"],
                          "as_torch vs C entry": m["as_torch (eager)"] - m["C entry"],
                          "as_jax vs jnp (both jitted)": m["as_jax in jax.jit"] - m["jnp in jax.jit"],
                          "as_jax vs jnp (both eager)": m["as_jax (eager)"] - m["jnp (eager)"],
                          "plain launch vs C entry": m["hpcir.parallel_for"] - m["C entry"]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=int, default=16)
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=1, help="repeat the whole comparison; report the median run")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()
    load_before = load_average()
    runs = [run(args.n, args.calls) for _ in range(args.runs)]
    res = dict(runs[0])
    for table in ("median_us", "overhead_us"):  # per row, the median over the runs
        res[table] = {k: float(np.median([r[table][k] for r in runs])) for k in runs[0][table]}
    res |= {"runs": args.runs, "per_run": runs, "machine": machine_info(),
            "load_average": load_average(), "load_average_before": load_before}
    print(f"axpy of {args.n} float64, {args.calls} calls each, median of {args.runs} run(s), "
          f"load {load_before[0]:.1f} -> {res['load_average'][0]:.1f}")
    for name, us in res["median_us"].items():
        print(f"  {name:22s} {us:9.1f} us/call")
    for name, us in res["overhead_us"].items():
        print(f"  overhead, {name:28s} {us:+8.1f} us")
    if args.json:
        args.json.write_text(json.dumps(res, indent=1) + "\n")


if __name__ == "__main__":
    main()
