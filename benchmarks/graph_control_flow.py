"""JAX control flow through hpcir: an RNN `lax.scan` (matmuls in the body) and a data-dependent
`lax.while_loop`, run by

  - jax.jit of the original function (the reference),
  - hpcir -> JAX (the generated lax.fori_loop / lax.while_loop code under jax.jit),
  - hpcir -> torch (the generated Python loops, eager),
  - hpcir -> Kokkos cpu (host loops around one launch per parallel op of the body).

Usage: python benchmarks/graph_control_flow.py [--reps N] [--steps T] [--hidden H]
Results are recorded in benchmarks/graph_results.md (times are medians of interleaved rounds).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))


def rnn(xs, w, u):
    """Elman RNN over the rows of xs: h = tanh(h @ w + x @ u); returns the last h and every h."""
    import jax.numpy as jnp
    from jax import lax

    def step(h, x):
        h = jnp.tanh(h @ w + x @ u)
        return h, h
    return lax.scan(step, jnp.zeros(w.shape[0], xs.dtype), xs)


def halve(x):
    """Halve x until its squared norm is below 1e-6 (trip count from the data)."""
    import jax.numpy as jnp
    from jax import lax
    return lax.while_loop(lambda c: jnp.sum(c[0] * c[0]) > 1e-6, lambda c: (c[0] * 0.5, c[1] + 1), (x, 0))


def main(argv: list[str] | None = None) -> int:
    """Time both programs on every path and print a Markdown table."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--reps", type=int, default=15)
    p.add_argument("--steps", type=int, default=128)
    p.add_argument("--hidden", type=int, default=128)
    a = p.parse_args(argv)

    import jax
    import torch
    from bench_util import interleaved, load_average, machine_info

    from hpcir.graph_api import compile, from_jax

    jax.config.update("jax_enable_x64", True)
    rng = np.random.default_rng(0)
    d, h = 32, a.hidden
    cases = {
        f"rnn scan (T={a.steps}, D={d}, H={h}, f64)": (rnn, (rng.normal(size=(a.steps, d)),
                                                            rng.normal(size=(h, h)) / np.sqrt(h),
                                                            rng.normal(size=(d, h)) / np.sqrt(d))),
        "while_loop halving (4096 f64, 17 trips)": (halve, (rng.normal(size=4096) * 10.0,)),
    }
    info = machine_info()
    rows = []
    for name, (fn, args) in cases.items():
        prog = from_jax(fn, *args)
        ref = jax.jit(fn)
        kokkos = compile(prog, target="cpu")
        gen_torch = compile(prog, target="torch")
        gen_jax = jax.jit(compile(prog, target="jax"))
        targs = [torch.as_tensor(x) for x in args]
        want = [np.asarray(v) for v in jax.tree_util.tree_leaves(ref(*args))]
        for label, got in (("kokkos", kokkos(*args)), ("torch", gen_torch(*targs)), ("jax", gen_jax(*args))):
            got = [np.asarray(v) for v in jax.tree_util.tree_leaves(got)]
            assert all(np.allclose(g, w, rtol=1e-10, atol=1e-12) for g, w in zip(got, want)), f"{name} {label}"
        variants = {
            "jax.jit (original)": lambda: None if jax.block_until_ready(ref(*args)) is None else None,
            "hpcir -> Kokkos cpu": lambda: None if kokkos(*args) is None else None,
            "hpcir -> torch": lambda: None if gen_torch(*targs) is None else None,
            "hpcir -> JAX (jit)": lambda: None if jax.block_until_ready(gen_jax(*args)) is None else None,
        }
        res = interleaved(variants, warmup=3, reps=a.reps)
        base = res["jax.jit (original)"].median
        for k, v in res.items():
            rows.append(f"| {name} | {k} | {v.median * 1e3:.3f} | {v.spread:.2f} | {v.median / base:.2f}x |")
    print(f"machine: {info['cpu']}, {info['logical_cpus']} logical CPUs, torch threads "
          f"{torch.get_num_threads()}, load {load_average()[0]:.2f}")
    print("| program | path | median ms | IQR/median | vs jax.jit |")
    print("|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
