"""hdiff's kernel body alone: hpcir's generated functor vs the hand-written one, under both policies.

    python benchmarks/hdiff_body.py [--n 4096] [--rounds 150]

The generated functor is taken from `hpcir.lower(hdiff, target="cpu")` (the default pipeline) and
pasted into hdiff_body.cpp, which is built through hpcir's build path (same compiler, flags and
Kokkos as every module) and times each launch in C++, the four variants interleaved per round.
Every variant's output is checked against NumPy first.
"""
from __future__ import annotations

import argparse
import ctypes
import re
import statistics
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))

VARIANTS = ["hand-written body, Kokkos' default policy", "hand-written body, hpcir's policy",
            "generated body, Kokkos' default policy", "generated body, hpcir's policy"]


def generated_functor() -> str:
    """The `hdiff_functor` struct hpcir emits for the benchmark's hdiff stencil on `cpu`, as a point
    body `operator()(i, j)`: the default pipeline without stencil-host-schedule (which makes the functor
    walk rows itself), so that both bodies run under the same two policies."""
    import passes_variants as V
    from hpcir.lowering import emit_cpp, l2_to_l3_pipeline
    from hpcir.pipeline import run_pipeline
    pipeline = l2_to_l3_pipeline("cpu").replace("stencil-host-schedule,", "")
    cpp = "\n".join(emit_cpp(run_pipeline(V.hdiff.l2("cpu"), pipeline), "cpu", V.hdiff.name).values())
    m = re.search(r"struct hdiff_functor \{.*?\n\};", cpp, flags=re.S)
    if m is None:
        raise SystemExit("no hdiff_functor in hpcir's output: the fused hdiff is no longer one functor")
    # The functor's members are typed with the module's View aliases: paste the ones it uses too.
    aliases = [ln for ln in cpp.splitlines()
               if (a := re.match(r"using (view_\w+) = ", ln)) and re.search(rf"\b{a.group(1)}\b", m.group(0))]
    return "\n".join(dict.fromkeys(aliases)) + "\n\n" + m.group(0)


def main(argv: list[str] | None = None) -> int:
    """Build, check, time and print the four variants."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=4096, help="grid edge (default 4096)")
    p.add_argument("--rounds", type=int, default=150, help="timed rounds (default 150, 2 more discarded)")
    a = p.parse_args(argv)
    import hpcir
    import passes_variants as V
    from hpcir.backends.build import build_shared_library
    from hpcir.backends.toolchain.kokkos_build import ensure_kokkos
    from hpcir.core.targets import get_target
    from bench_util import machine_info

    source = Path(__file__).with_name("hdiff_body.cpp").read_text().replace("// GENERATED_FUNCTOR", generated_functor())
    hpcir.parallel_for(hpcir.RangePolicy(0, 1), __import__("spine_kernels").touch, x=np.zeros(1))  # init Kokkos
    from spine_handwritten import FUNCTORS
    sources = {"hdiff_body.cpp": source, FUNCTORS.name: FUNCTORS.read_text()}
    lib = ctypes.CDLL(str(build_shared_library(sources, get_target("cpu"), ensure_kokkos("cpu"), "hpcir_bench_hdiff_body")))
    dp = ctypes.POINTER(ctypes.c_double)
    lib.hdiff_body_once.argtypes = [ctypes.c_int, dp, dp, dp, ctypes.c_int, ctypes.c_int]
    lib.hdiff_body_once.restype = None
    lib.hdiff_body_run.argtypes = [dp, dp, dp, ctypes.c_int, ctypes.c_int, ctypes.c_int, dp]
    lib.hdiff_body_run.restype = None
    rng = np.random.default_rng(2)
    n = a.n
    u, coeff, out = rng.random((n, n)), rng.random((n, n)), np.zeros((n, n))
    want = V.hdiff_expr(u, coeff)
    for k, name in enumerate(VARIANTS):
        out.fill(0.0)
        lib.hdiff_body_once(k, u.ctypes.data_as(dp), coeff.ctypes.data_as(dp), out.ctypes.data_as(dp), n, n)
        if not np.allclose(out[2:-2, 2:-2], want, rtol=1e-11, atol=1e-11):
            raise SystemExit(f"{name}: wrong result")
    rounds = a.rounds + 2
    t = np.zeros(4 * rounds)
    lib.hdiff_body_run(u.ctypes.data_as(dp), coeff.ctypes.data_as(dp), out.ctypes.data_as(dp), n, n, rounds,
                       t.ctypes.data_as(dp))
    per = t.reshape(rounds, 4)[2:]
    info = machine_info()
    print(f"# hdiff body, {n}² fp64, {a.rounds} rounds ({info['date_utc']}, {info['cpu']}, "
          f"{info['logical_cpus']} CPUs)\n")
    print("| variant | median ms | best ms | vs hand-written body, default policy |\n|---|---|---|---|")
    base = statistics.median(per[:, 0])
    for k, name in enumerate(VARIANTS):
        med = statistics.median(per[:, k])
        print(f"| {name} | {med * 1e3:.2f} | {per[:, k].min() * 1e3:.2f} | {base / med:.3f}× |")
    paired = statistics.median(per[:, 0] / per[:, 3])
    print(f"\nMedian of the same-round ratios, hpcir's (generated body, hpcir's policy) speed over the "
          f"hand-written kernel's: {paired:.3f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
