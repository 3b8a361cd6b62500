"""Kernels written once, run as Kokkos, JAX and Torch (issue 12, translation half).

Three kernels: the STREAM triad, the 7-point Jacobi sweep and an MDFT-style reduction (the ideal
free-energy density summed over a 3-D grid). Each runs as
  (a) hpcir Kokkos on `cpu` (hpcir.parallel_for / parallel_reduce on NumPy arrays),
  (b) hpcir -> JAX (hpcir.compile(k, target="jax")) under jax.jit,
  (c) hpcir -> Torch (hpcir.compile(k, target="torch")) under torch.compile,
  (d) hand-written jnp (under jax.jit) and torch (under torch.compile) code,
in interleaved rounds (bench_util.interleaved); the table gives medians and the ratios generated /
hand-written (goal: within 10 %). Every variant's result is compared with NumPy first.

    python benchmarks/kernels_jax_torch.py --json benchmarks/results/kernels_jax_torch.json
    python benchmarks/kernels_jax_torch.py --small --reps 3      # the smoke test's size

The interop rows (as_jax / as_torch per-call overhead) belong to the interop half of issue 12 and
are added to the same table by its script.
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_util import interleaved, load_average, machine_info  # noqa: E402

import hpcir  # noqa: E402


@hpcir.kernel
def triad(i: int, s: float, a: hpcir.View1D[float], b: hpcir.View1D[float], c: hpcir.View1D[float]):
    a[i] = b[i] + s * c[i]


@hpcir.kernel
def jacobi7(i: int, j: int, k: int, u: hpcir.View3D[float], out: hpcir.View3D[float]):
    out[i, j, k] = (u[i - 1, j, k] + u[i + 1, j, k] + u[i, j - 1, k] + u[i, j + 1, k]
                    + u[i, j, k - 1] + u[i, j, k + 1]) * (1.0 / 6.0)


@hpcir.kernel
def ideal_fe(i: int, j: int, k: int, acc: hpcir.Acc[float], w: float, rho: hpcir.View3D[float]):
    r = rho[i, j, k]
    acc += w * (r * math.log(r) - r + 1.0)


def hand_jax(name: str, n: int):
    import jax
    import jax.numpy as jnp
    if name == "triad":
        return jax.jit(lambda s, b, c: b + s * c)
    if name == "jacobi7":
        def jac(u, out):
            inner = (u[:-2, 1:-1, 1:-1] + u[2:, 1:-1, 1:-1] + u[1:-1, :-2, 1:-1] + u[1:-1, 2:, 1:-1]
                     + u[1:-1, 1:-1, :-2] + u[1:-1, 1:-1, 2:]) * (1.0 / 6.0)
            return out.at[1:-1, 1:-1, 1:-1].set(inner)
        return jax.jit(jac)
    return jax.jit(lambda w, rho: jnp.sum(w * (rho * jnp.log(rho) - rho + 1.0)))


def hand_torch(name: str, n: int):
    import torch
    if name == "triad":
        def tri(s, a, b, c):
            a.copy_(b + s * c)
            return a
        return torch.compile(tri)
    if name == "jacobi7":
        def jac(u, out):
            out[1:-1, 1:-1, 1:-1] = (u[:-2, 1:-1, 1:-1] + u[2:, 1:-1, 1:-1] + u[1:-1, :-2, 1:-1]
                                     + u[1:-1, 2:, 1:-1] + u[1:-1, 1:-1, :-2] + u[1:-1, 1:-1, 2:]) * (1.0 / 6.0)
            return out
        return torch.compile(jac)
    return torch.compile(lambda w, rho: torch.sum(w * (rho * torch.log(rho) - rho + 1.0)))


def setup(name: str, n: int, rng: np.random.Generator) -> dict:
    """Inputs, the policy, the reference and the variants of one kernel."""
    import jax
    import torch
    jax.config.update("jax_enable_x64", True)
    if name == "triad":
        b, c = rng.uniform(size=n), rng.uniform(size=n)
        ref = b + 3.0 * c
        policy, args = n, dict(s=3.0, a=np.zeros(n), b=b, c=c)
        kern, reduce = triad, False
    elif name == "jacobi7":
        u = rng.uniform(size=(n, n, n))
        ref = np.zeros_like(u)
        ref[1:-1, 1:-1, 1:-1] = (u[:-2, 1:-1, 1:-1] + u[2:, 1:-1, 1:-1] + u[1:-1, :-2, 1:-1] + u[1:-1, 2:, 1:-1]
                                 + u[1:-1, 1:-1, :-2] + u[1:-1, 1:-1, 2:]) * (1.0 / 6.0)
        policy, args = hpcir.MDRangePolicy([1, 1, 1], [n - 1] * 3), dict(u=u, out=np.zeros_like(u))
        kern, reduce = jacobi7, False
    else:
        rho = rng.uniform(0.2, 2.0, size=(n, n, n))
        ref = float(np.sum(0.01 * (rho * np.log(rho) - rho + 1.0)))
        policy, args = hpcir.MDRangePolicy([0, 0, 0], [n] * 3), dict(w=0.01, rho=rho)
        kern, reduce = ideal_fe, True
    ja = {k: jax.device_put(v) if isinstance(v, np.ndarray) else v for k, v in args.items()}
    ta = {k: torch.from_numpy(v.copy()) if isinstance(v, np.ndarray) else v for k, v in args.items()}
    gj = hpcir.compile(kern, target="jax")
    gt = hpcir.compile(kern, target="torch")
    keys = list(args)
    gen_jax = jax.jit(lambda *vals: gj(policy, **dict(zip(keys, vals))))
    gen_torch = torch.compile(lambda *vals: gt(policy, **dict(zip(keys, vals))))
    hj, ht = hand_jax(name, n), hand_torch(name, n)
    cpu_args = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in args.items()}
    launch = hpcir.parallel_reduce if reduce else hpcir.parallel_for
    if name == "triad":
        hand_j = lambda: hj(ja["s"], ja["b"], ja["c"])  # noqa: E731
        hand_t = lambda: ht(ta["s"], ta["a"], ta["b"], ta["c"])  # noqa: E731
    elif name == "jacobi7":
        hand_j = lambda: hj(ja["u"], ja["out"])  # noqa: E731
        hand_t = lambda: ht(ta["u"], ta["out"])  # noqa: E731
    else:
        hand_j = lambda: hj(ja["w"], ja["rho"])  # noqa: E731
        hand_t = lambda: ht(ta["w"], ta["rho"])  # noqa: E731

    def block(x):
        if hasattr(x, "block_until_ready"):
            x.block_until_ready()
        return x

    variants = {
        "hpcir Kokkos cpu": lambda: launch(policy, kern, target="cpu", **cpu_args),
        "hpcir -> JAX (jit)": lambda: block(gen_jax(*[ja[k] for k in keys])),
        "hand-written jnp (jit)": lambda: block(hand_j()),
        "hpcir -> Torch (compile)": lambda: gen_torch(*[ta[k] for k in keys]),
        "hand-written torch (compile)": hand_t,
    }
    # Correctness first: every variant's result against NumPy.
    results = {}
    for vname, fn in variants.items():
        out = fn()
        if vname.startswith("hpcir Kokkos"):
            got = out if reduce else cpu_args["a" if name == "triad" else "out"]
        else:
            got = out
        got = got.detach().numpy() if hasattr(got, "detach") else np.asarray(got)
        ok = np.allclose(got, ref, rtol=1e-10, atol=1e-12)
        results[vname] = bool(ok)
    return {"variants": {k: (lambda f=f: (f(), None)[1]) for k, f in variants.items()}, "agree": results}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=15)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--small", action="store_true", help="tiny sizes (smoke test)")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    sizes = {"triad": 2 ** 12, "jacobi7": 12, "ideal_fe": 10} if args.small else \
        {"triad": 2 ** 22, "jacobi7": 128, "ideal_fe": 96}
    rng = np.random.default_rng(0)
    report = {"machine": machine_info(), "load_before": load_average(), "kernels": {}}
    print(f"| kernel | size | {' | '.join(['hpcir Kokkos cpu', 'hpcir->JAX', 'jnp', 'hpcir->Torch', 'torch'])} "
          f"| JAX gen/hand | Torch gen/hand |")
    print("|---" * 8 + "|")
    for name, n in sizes.items():
        case = setup(name, n, rng)
        samples = interleaved(case["variants"], args.warmup, args.reps)
        med = {k: s.median for k, s in samples.items()}
        rj = med["hpcir -> JAX (jit)"] / med["hand-written jnp (jit)"]
        rt = med["hpcir -> Torch (compile)"] / med["hand-written torch (compile)"]
        report["kernels"][name] = {"size": n, "agree": case["agree"], "ratio_jax": rj, "ratio_torch": rt,
                                   "samples": {k: s.as_dict() for k, s in samples.items()}}
        ms = " | ".join(f"{med[k] * 1e3:.2f}" for k in ("hpcir Kokkos cpu", "hpcir -> JAX (jit)",
                                                       "hand-written jnp (jit)", "hpcir -> Torch (compile)",
                                                       "hand-written torch (compile)"))
        print(f"| {name} | {n} | {ms} | {rj:.3f} | {rt:.3f} |", flush=True)
        if not all(case["agree"].values()):
            print(f"MISMATCH in {name}: {case['agree']}", file=sys.stderr)
    report["load_after"] = load_average()
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=1))
    return 0 if all(all(k["agree"].values()) for k in report["kernels"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
