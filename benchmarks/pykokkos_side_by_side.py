"""PyKokkos programs through hpcir.pykokkos against the same kernels hand-written in Kokkos C++.

    python benchmarks/pykokkos_side_by_side.py            # triad/nstream 2^24, yAx 4096 x 4096
    python benchmarks/pykokkos_side_by_side.py --quick    # smaller sizes, fewer rounds

In one process, on the same NumPy arrays and the one Kokkos instance (same OpenMP threads): the
BabelStream triad (a = b + scalar * c), ParRes nstream (a += b + scalar * c) and the kokkos-tutorials
team-policy y^T A x, each written as a PyKokkos workunit and launched with pk.parallel_for /
pk.parallel_reduce, and hand-written as a Kokkos functor called through ctypes (one launch + fence
per call, as hpcir's launches). Variants run round-robin in shuffled order, medians reported.
Then the compile time of a PyKokkos program (the three workunits) in an empty cache (a child
process: toolchain probe, precompiled header, modules) and again with that cache filled.
Results: benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402

import hpcir.pykokkos as pk  # noqa: E402


@pk.workunit
def triad(i: int, a: pk.View1D[pk.double], b: pk.View1D[pk.double], c: pk.View1D[pk.double], scalar: float):
    a[i] = b[i] + scalar * c[i]


@pk.workunit
def nstream(i: int, A: pk.View1D[pk.double], B: pk.View1D[pk.double], C: pk.View1D[pk.double], scalar: float):
    A[i] += B[i] + scalar * C[i]


@pk.workunit
def yAx(team_member: pk.TeamMember, acc: pk.Acc[pk.double], cols: int, y_view: pk.View1D[pk.double],
        x_view: pk.View1D[pk.double], A_view: pk.View2D[pk.double]):
    j: int = team_member.league_rank()

    def inner_reduce(i: int, inner_acc: pk.Acc[float]):
        inner_acc += A_view[j][i] * x_view[i]

    temp2: float = pk.parallel_reduce(pk.TeamThreadRange(team_member, cols), inner_reduce)
    if team_member.team_rank() == 0:
        acc += y_view[j] * temp2


def _program(n: int, rows: int, cols: int) -> None:
    """The PyKokkos program whose compile time is measured: one launch of each workunit."""
    a, b, c = np.zeros(n), np.ones(n), np.ones(n)
    pk.parallel_for(n, triad, a=a, b=b, c=c, scalar=3.0)
    pk.parallel_for(n, nstream, A=a, B=b, C=c, scalar=3.0)
    y, x, A = np.ones(rows), np.ones(cols), np.ones((rows, cols))
    pk.parallel_reduce(pk.TeamPolicy(rows, pk.AUTO), yAx, cols=cols, y_view=y, x_view=x, A_view=A)


def _handwritten():
    """The hand-written kernels (handwritten_kokkos.cpp's triad, handwritten_pykokkos.cpp's others),
    built as hpcir builds its modules."""
    from hpcir.backends.build import build_shared_library
    from hpcir.backends.toolchain.kokkos_build import ensure_kokkos
    from hpcir.core.targets import get_target
    from spine_handwritten import HandWritten
    hw = HandWritten()
    src = {"handwritten_pykokkos.cpp": (HERE / "handwritten_pykokkos.cpp").read_text()}
    lib = ctypes.CDLL(str(build_shared_library(src, get_target("cpu"), ensure_kokkos("cpu"), "hpcir_bench_pk")))
    dp = ctypes.POINTER(ctypes.c_double)
    lib.hw_nstream.argtypes = [dp, dp, dp, ctypes.c_int64, ctypes.c_double]
    lib.hw_nstream.restype = None
    lib.hw_yAx.argtypes = [dp, dp, dp, ctypes.c_int64, ctypes.c_int64]
    lib.hw_yAx.restype = ctypes.c_double
    return hw, lib, lambda arr: arr.ctypes.data_as(dp)


def bench(n: int, rows: int, cols: int, warmup: int, reps: int) -> dict:
    """Medians (ms) of each kernel, PyKokkos-through-hpcir and hand-written, interleaved."""
    from bench_util import interleaved
    hw, lib, ptr = _handwritten()
    rng = np.random.default_rng(0)
    a, b, c = np.zeros(n), rng.random(n), rng.random(n)
    y, x, A = rng.random(rows), rng.random(cols), rng.random((rows, cols))
    s = 3.0
    variants = {
        "triad pk": lambda: pk.parallel_for(n, triad, a=a, b=b, c=c, scalar=s),
        "triad hand-written": lambda: hw.triad(a, b, c, s),
        "nstream pk": lambda: pk.parallel_for(n, nstream, A=a, B=b, C=c, scalar=s),
        "nstream hand-written": lambda: lib.hw_nstream(ptr(a), ptr(b), ptr(c), n, s),
        "yAx pk": lambda: pk.parallel_reduce(pk.TeamPolicy(rows, pk.AUTO), yAx, cols=cols, y_view=y, x_view=x,
                                             A_view=A),
        "yAx hand-written": lambda: lib.hw_yAx(ptr(y), ptr(A), ptr(x), rows, cols),
    }
    want_yax = y @ A @ x
    for name in ("triad pk", "triad hand-written"):  # each variant computes the right thing first
        a[:] = 0.0
        variants[name]()
        np.testing.assert_allclose(a, b + s * c, rtol=1e-14, err_msg=name)
    for name in ("nstream pk", "nstream hand-written"):
        a[:] = 1.0
        variants[name]()
        np.testing.assert_allclose(a, 1.0 + b + s * c, rtol=1e-14, err_msg=name)
    for name in ("yAx pk", "yAx hand-written"):
        np.testing.assert_allclose(variants[name](), want_yax, rtol=1e-10, err_msg=name)
    # interleaved() takes a returned number as a time measured inside: the reductions' values are not
    timed = {k: (lambda fn=fn: (fn(), None)[1]) for k, fn in variants.items()}
    res = interleaved(timed, warmup, reps)
    return {k: {"median_ms": v.median * 1e3, "best_ms": v.best * 1e3, "spread": v.spread} for k, v in res.items()}


def compile_times() -> dict:
    """Seconds of the PyKokkos program's first run in an empty cache, then again with it filled."""
    from hpcir.backends.toolchain.kokkos_build import ensure_kokkos
    prefix = ensure_kokkos("cpu").prefix
    out = {}
    with tempfile.TemporaryDirectory(prefix="hpcir-pk-cache-") as tmp:
        env = {**os.environ, "HPCIR_CACHE_DIR": tmp, "Kokkos_ROOT": str(prefix)}
        env.pop("CMAKE_PREFIX_PATH", None)
        for run in ("cold", "cached"):
            proc = subprocess.run([sys.executable, __file__, "--compile-child"], capture_output=True, text=True,
                                  env=env)
            if proc.returncode != 0:
                raise RuntimeError(f"compile child failed:\n{proc.stdout}\n{proc.stderr}")
            out[run] = json.loads(proc.stdout.strip().splitlines()[-1])
    return out


def _compile_child() -> None:
    t0 = time.perf_counter()
    _program(1024, 8, 16)
    print(json.dumps({"program_s": time.perf_counter() - t0}))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="triad/nstream 2^20, yAx 1024 x 1024, 5 rounds")
    p.add_argument("--reps", type=int, default=None, help="measured rounds (default 15, quick 5)")
    p.add_argument("--no-compile", action="store_true", help="skip the compile-time measurement")
    a = p.parse_args(argv)
    n = 1 << (20 if a.quick else 24)
    rows = cols = 1024 if a.quick else 4096
    reps = a.reps or (5 if a.quick else 15)
    print(f"uptime: {os.popen('uptime').read().strip()}")
    print(f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, CPUs {os.cpu_count()}")
    r = bench(n, rows, cols, 2, reps)
    print(f"\nn = {n} (triad, nstream), yAx {rows} x {cols}, {reps} rounds\n")
    print("| kernel | hpcir.pykokkos median ms | hand-written Kokkos median ms | ratio (hand-written / pk) |")
    print("|---|---|---|---|")
    for k in ("triad", "nstream", "yAx"):
        mp, mh = r[f"{k} pk"]["median_ms"], r[f"{k} hand-written"]["median_ms"]
        print(f"| {k} | {mp:.3f} | {mh:.3f} | {mh / mp:.2f} |")
    if not a.no_compile:
        t = compile_times()
        print(f"\nPyKokkos program (3 workunits), first run in an empty cache: {t['cold']['program_s']:.1f} s; "
              f"again with the cache filled: {t['cached']['program_s']:.2f} s")
    print(f"\nuptime after: {os.popen('uptime').read().strip()}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--compile-child":
        _compile_child()
    else:
        sys.exit(main())
