"""FFT everywhere (issue 11 item 2): a batched 3-D r2c + c2r round trip, MDFT's shape (28 fields of 64^3).

Variants, each the full round trip `irfftn(rfftn(x, axes=(1, 2, 3)), s=x.shape[1:], axes=(1, 2, 3))`:

    hpcir          hpcir.fft into preallocated out= buffers, c2r allowed to overwrite its input
                   (overwrite_x=True), as a C++ FFTW user writes it
    hpcir (alloc)  hpcir.fft with numpy.fft's calling convention: new outputs, input preserved (copy)
    numpy.fft      numpy.fft.rfftn / irfftn (pocketfft, one thread)
    scipy.fft      scipy.fft.rfftn / irfftn with workers=2
    FFTW direct    a small C++ library built here, calling FFTW3's OpenMP variant directly: one
                   batched plan_many r2c and one c2r plan (FFTW_MEASURE), timed inside C++

Every variant's result is checked against numpy.fft first. Rounds are interleaved (bench_util);
ratios are of medians.

    python benchmarks/fft.py                       # 28 x 64^3, 7 measured rounds
    python benchmarks/fft.py --fields 2 --n 16 --reps 2 --json out.json   # the smoke test's size
    HPCIR_FFTW_PLANNER=estimate python benchmarks/fft.py   # hpcir with FFTW_ESTIMATE plans
"""
from __future__ import annotations

import argparse
import ctypes
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_util import finish_run, interleaved, load_average, machine_info  # noqa: E402

import hpcir  # noqa: E402

DIRECT_FFTW = r"""
// FFTW3 called directly, as a C++ developer writes the round trip: batched plans made once.
#include <fftw3.h>
#include <omp.h>
#include <chrono>

static fftw_plan forward = nullptr, backward = nullptr;

extern "C" int setup(int fields, int n, int threads, double* x, fftw_complex* k, double* y) {
  fftw_init_threads();
  fftw_plan_with_nthreads(threads);
  const int dims[3] = {n, n, n};
  const int real_dist = n * n * n, cplx_dist = n * n * (n / 2 + 1);
  // FFTW_MEASURE overwrites the arrays while planning: the caller fills x afterwards.
  forward = fftw_plan_many_dft_r2c(3, dims, fields, x, nullptr, 1, real_dist, k, nullptr, 1, cplx_dist,
                                   FFTW_MEASURE);
  backward = fftw_plan_many_dft_c2r(3, dims, fields, k, nullptr, 1, cplx_dist, y, nullptr, 1, real_dist,
                                    FFTW_MEASURE);
  return forward && backward ? 0 : 1;
}

// One round trip (the c2r destroys k, as FFTW's multi-dimensional c2r does); returns seconds.
extern "C" double roundtrip(int fields, int n, double* x, fftw_complex* k, double* y) {
  const auto t0 = std::chrono::steady_clock::now();
  fftw_execute_dft_r2c(forward, x, k);
  fftw_execute_dft_c2r(backward, k, y);
  const long total = long(fields) * n * n * n;
  const double scale = 1.0 / (double(n) * n * n);
#pragma omp parallel for schedule(static)
  for (long i = 0; i < total; ++i) y[i] *= scale;
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}
"""


def build_direct(tmp: Path) -> ctypes.CDLL:
    """Compile DIRECT_FFTW against FFTW3's OpenMP variant (pkg-config for the flags)."""
    src = tmp / "direct_fftw.cpp"
    src.write_text(DIRECT_FFTW)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "fftw3"], capture_output=True, text=True,
                           check=True).stdout.split()
    lib = tmp / "libdirect_fftw.so"
    subprocess.run(["g++", "-O3", "-march=native", "-fopenmp", "-fPIC", "-shared", str(src), "-o", str(lib),
                    "-lfftw3_omp", *flags], check=True)
    cdll = ctypes.CDLL(str(lib))
    cdll.setup.restype = ctypes.c_int
    cdll.roundtrip.restype = ctypes.c_double
    return cdll


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--fields", type=int, default=28)
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--target", default="cpu", choices=["cpu", "serial"])
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    threads = int(os.environ.get("OMP_NUM_THREADS") or os.cpu_count() or 1) if args.target == "cpu" else 1
    info = machine_info()
    f, n = args.fields, args.n
    axes, s = (1, 2, 3), (n, n, n)
    x = np.random.default_rng(0).standard_normal((f, n, n, n))
    kshape = (f, n, n, n // 2 + 1)
    print(f"FFT round trip of {f} fields of {n}^3 float64 ({x.nbytes / 1e6:.1f} MB real, "
          f"{f * n * n * (n // 2 + 1) * 16 / 1e6:.1f} MB complex); target {args.target}, {threads} thread(s), "
          f"planner {os.environ.get('HPCIR_FFTW_PLANNER', 'measure')}")
    print(f"Load average before: {' '.join(f'{v:.2f}' for v in load_average())}")

    import scipy.fft
    k_buf, y_buf = np.empty(kshape, np.complex128), np.empty_like(x)
    t0 = time.perf_counter()
    hpcir.fft.rfftn(x, axes=axes, out=k_buf, target=args.target)  # builds the runtime (cached) and plans
    hpcir.fft.irfftn(k_buf, s=s, axes=axes, out=y_buf, target=args.target, overwrite_x=True)
    hpcir.fft.irfftn(hpcir.fft.rfftn(x, axes=axes, target=args.target), s=s, axes=axes, target=args.target)
    first_call = time.perf_counter() - t0

    def run_hpcir():
        hpcir.fft.rfftn(x, axes=axes, out=k_buf, target=args.target)
        return hpcir.fft.irfftn(k_buf, s=s, axes=axes, out=y_buf, target=args.target, overwrite_x=True)

    def run_hpcir_alloc():
        return hpcir.fft.irfftn(hpcir.fft.rfftn(x, axes=axes, target=args.target), s=s, axes=axes,
                                target=args.target)

    def run_numpy():
        return np.fft.irfftn(np.fft.rfftn(x, axes=axes), s=s, axes=axes)

    def run_scipy():
        return scipy.fft.irfftn(scipy.fft.rfftn(x, axes=axes, workers=2), s=s, axes=axes, workers=2)

    with tempfile.TemporaryDirectory() as tmp:
        direct = build_direct(Path(tmp))
        dx, dk, dy = np.empty_like(x), np.empty(kshape, np.complex128), np.empty_like(x)
        ptr = lambda a: ctypes.c_void_p(a.ctypes.data)  # noqa: E731
        if direct.setup(f, n, threads, ptr(dx), ptr(dk), ptr(dy)) != 0:
            raise SystemExit("FFTW could not plan the direct variant")
        dx[...] = x

        def run_direct():
            return direct.roundtrip(f, n, ptr(dx), ptr(dk), ptr(dy))

        # Correctness first: every variant reproduces x (and agrees with numpy.fft).
        want = run_numpy()
        errs = {}
        for name, fn in (("hpcir", run_hpcir), ("hpcir (alloc)", run_hpcir_alloc), ("scipy.fft", run_scipy)):
            errs[name] = float(np.abs(fn() - want).max())
        run_direct()
        errs["FFTW direct"] = float(np.abs(dy - want).max())
        errs["numpy.fft"] = float(np.abs(want - x).max())
        agree = all(e < 1e-10 for e in errs.values())
        samples = interleaved({"hpcir": lambda: (run_hpcir(), None)[1],
                               "hpcir (alloc)": lambda: (run_hpcir_alloc(), None)[1],
                               "numpy.fft": lambda: (run_numpy(), None)[1],
                               "scipy.fft": lambda: (run_scipy(), None)[1],
                               "FFTW direct": run_direct}, warmup=args.warmup, reps=args.reps)
    ref_direct, ref_numpy = samples["FFTW direct"].median, samples["numpy.fft"].median
    print(f"\nhpcir first calls (runtime build or cache load + FFTW planning): {first_call:.2f} s")
    print(f"{'variant':15s} {'median ms':>10s} {'best ms':>9s} {'IQR/med':>8s} {'vs FFTW':>8s} {'vs numpy':>9s} "
          f"{'max err':>9s}")
    for name, smp in samples.items():
        print(f"{name:15s} {smp.median * 1e3:10.1f} {smp.best * 1e3:9.1f} {smp.spread:8.2f} "
              f"{smp.median / ref_direct:7.2f}x {ref_numpy / smp.median:8.2f}x {errs[name]:9.1e}")
    out = {"machine": info, "fields": f, "n": n, "target": args.target, "threads": threads,
           "planner": os.environ.get("HPCIR_FFTW_PLANNER", "measure"), "first_call_s": first_call,
           "agree": agree, "max_abs_err": errs,
           "variants": {k: v.as_dict() for k, v in samples.items()},
           "hpcir_over_direct": samples["hpcir"].median / ref_direct,
           "numpy_over_hpcir": ref_numpy / samples["hpcir"].median}
    print(f"\nhpcir / FFTW direct = {out['hpcir_over_direct']:.3f} (goal <= 1.05); "
          f"numpy.fft / hpcir = {out['numpy_over_hpcir']:.2f} (goal >= 2); results agree: {agree}")
    finish_run(out, info, args.json, "other engineers share these cores")
    return 0 if agree else 1


if __name__ == "__main__":
    raise SystemExit(main())
