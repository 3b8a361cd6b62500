"""Benchmarks of hpcir's Python → Kokkos spine against hand-written Kokkos C++ and NumPy.

    python benchmarks/spine.py            # full sizes: triad 2^25 doubles, Jacobi 256³
    python benchmarks/spine.py --quick    # smaller sizes and fewer runs (about a minute)

In one process: (a) the STREAM triad a = b + s*c and (b) the 3-D 7-point Jacobi, each through
hpcir, through the same kernel hand-written in Kokkos (built by hpcir's own build path: same
compiler, flags, precompiled header and Kokkos install; see handwritten_kokkos.cpp) and through
NumPy, all on the same numpy arrays and the same Kokkos instance (so the same OpenMP threads);
(c) lowering time, module build time in an empty cache, and the per-call overhead of a cached
kernel. Variants run round-robin (warm-up rounds discarded) and medians are reported. See
benchmarks/RESULTS.md for recorded results.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

# Reference figures of /work/shared/design/KOKKOS.md (2-core CPU, hand-written Kokkos / NumPy).
REFERENCE = {"triad_gbs": 90.0, "jacobi_kokkos_ms": 10.6, "jacobi_numpy_ms": 76.0}
# Aims of the issue.
AIM_RATIO, AIM_LOWER_S, AIM_BUILD_S = 0.95, 0.3, 5.0

HW_CPP = "Kokkos hand-written, timed in C++"
HPCIR_CPP = "hpcir entry, timed in C++"
HW_INT_CPP = "Kokkos hand-written with int indices, timed in C++"
HW_PY = "Kokkos hand-written, ctypes call"
HPCIR_PY = "hpcir.parallel_for"
NUMPY = "NumPy"


def _cpu_seconds() -> float:
    """User + system CPU seconds of this process, all threads."""
    import resource
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="triad 2^22, Jacobi 128³, fewer runs")
    p.add_argument("--threads", type=int, default=None,
                   help="OpenMP threads for Kokkos (default: $OMP_NUM_THREADS, else all CPUs)")
    p.add_argument("--triad-log2", type=int, default=None, help="triad length 2^N (default 25)")
    p.add_argument("--jacobi-n", type=int, default=None, help="Jacobi grid edge (default 256)")
    p.add_argument("--reps", type=int, default=None, help="measured rounds (default 15, quick 5)")
    p.add_argument("--warmup", type=int, default=2, help="discarded rounds first (default 2)")
    p.add_argument("--calls", type=int, default=None, help="calls for the overhead medians (default 2000)")
    p.add_argument("--no-cold-build", action="store_true", help="skip the empty-cache build measurement")
    p.add_argument("--json", type=Path, default=None, help="also write all numbers to this file")
    a = p.parse_args(argv)
    a.triad_log2 = a.triad_log2 or (22 if a.quick else 25)
    a.jacobi_n = a.jacobi_n or (128 if a.quick else 256)
    a.reps = a.reps or (5 if a.quick else 15)
    a.calls = a.calls or (300 if a.quick else 2000)
    return a


def _set_threads(threads: int | None) -> int:
    """Fix the OpenMP thread count before any Kokkos library initializes (hpcir reads it too)."""
    if threads is not None:
        os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ.setdefault("OMP_NUM_THREADS", str(os.cpu_count() or 1))
    return int(os.environ["OMP_NUM_THREADS"])


def _table(title: str, rows: list[tuple[str, object]], extra_cols: list[str], fmt) -> str:
    head = f"| variant | median ms | best ms | IQR/median | {' | '.join(extra_cols)} |"
    lines = [f"### {title}", "", head, "|" + "---|" * (4 + len(extra_cols))]
    for name, s in rows:
        lines.append(f"| {name} | {s.median * 1e3:.3f} | {s.best * 1e3:.3f} | {s.spread * 100:.0f} % | "
                     + " | ".join(fmt(name, s)) + " |")
    return "\n".join(lines)


def _check(name: str, got, want) -> None:
    import numpy as np
    if not np.allclose(got, want, rtol=1e-12, atol=1e-12):
        raise SystemExit(f"{name}: wrong result (max error {np.abs(got - want).max():.3g})")


def _waker(hw):
    """An untimed one-element Kokkos launch before each variant, so that every variant starts
    with the OpenMP threads awake: after a long NumPy run they have gone to sleep, and the
    first launch would pay their wake-up (a scheduler time slice on a loaded machine)."""
    import numpy as np
    x = np.zeros(1)
    return lambda: hw.touch(x)


def bench_triad(hw, n: int, warmup: int, reps: int) -> dict:
    """STREAM triad, 24 B per element (read b, c; write a)."""
    import numpy as np
    import hpcir
    import spine_kernels as K
    from bench_util import interleaved
    rng = np.random.default_rng(0)
    a, b, c = np.zeros(n), rng.random(n), rng.random(n)
    s = 3.0
    policy = K.range_policy(n)
    raw = K.RawEntry.for_kernel(K.triad, policy, s=s, a=a, b=b, c=c)
    variants = {
        HW_CPP: lambda: hw.triad_timed(a, b, c, s)[0],
        HPCIR_CPP: lambda: hw.entry_timed(raw)[0],
        HW_PY: lambda: hw.triad(a, b, c, s),
        HPCIR_PY: lambda: hpcir.parallel_for(policy, K.triad, s=s, a=a, b=b, c=c),
        NUMPY: lambda: K.numpy_triad(a, b, c, s),
    }
    want = b + s * c
    for name, fn in variants.items():  # every variant must compute the triad before it is timed
        a[:] = 0.0
        fn()
        _check(name, a, want)
    res = interleaved(variants, warmup, reps, before=_waker(hw))
    nbytes = 24 * n
    return {"n": n, "bytes": nbytes, "samples": res,
            "gbs": {k: nbytes / v.median / 1e9 for k, v in res.items()}}


def bench_jacobi(hw, n: int, warmup: int, reps: int) -> dict:
    """3-D 7-point Jacobi on the interior of an n³ grid, 16 B per interior point."""
    import numpy as np
    import hpcir
    import spine_kernels as K
    from bench_util import interleaved
    rng = np.random.default_rng(1)
    u, out = rng.random((n, n, n)), np.zeros((n, n, n))
    c0, c1 = K.JACOBI_C0, K.JACOBI_C1
    policy = K.jacobi_policy(n)
    raw = K.RawEntry.for_kernel(K.jacobi, policy, c0=c0, c1=c1, u=u, out=out)
    variants = {
        HW_CPP: lambda: hw.jacobi_timed(u, out, c0, c1)[0],
        HW_INT_CPP: lambda: hw.jacobi_int_timed(u, out, c0, c1)[0],
        HPCIR_CPP: lambda: hw.entry_timed(raw)[0],
        HW_PY: lambda: hw.jacobi(u, out, c0, c1),
        HPCIR_PY: lambda: hpcir.parallel_for(policy, K.jacobi, c0=c0, c1=c1, u=u, out=out),
        NUMPY: lambda: K.numpy_jacobi(u, out, c0, c1),
    }
    want = np.zeros_like(u)
    K.numpy_jacobi(u, want, c0, c1)
    for name, fn in variants.items():
        out[:] = 0.0
        fn()
        _check(name, out, want)
    res = interleaved(variants, warmup, reps, before=_waker(hw))
    nbytes = 16 * (n - 2) ** 3
    return {"n": n, "bytes": nbytes, "samples": res,
            "gbs": {k: nbytes / v.median / 1e9 for k, v in res.items()}}


def bench_overhead(hw, calls: int) -> dict:
    """Per-call cost of a cached kernel launched over one element, layer by layer.

    On the cpu (OpenMP) target every launch also wakes the OpenMP worker threads; when the
    caller spends long enough in Python between launches they have gone to sleep, and on a
    loaded machine waking them costs a scheduler time slice. The serial target (same Kokkos,
    Kokkos::Serial) has no threads to wake, so it isolates hpcir's own per-call cost.
    """
    import numpy as np
    import hpcir
    import spine_kernels as K
    from bench_util import Samples, repeat_calls
    x = np.zeros(1)
    policy = K.range_policy(1)
    rows = {"Kokkos launch + fence, timed in C++ (OpenMP)": Samples("kokkos", hw.touch_timed(x, calls)),
            "hand-written via ctypes (OpenMP)": repeat_calls(lambda: hw.touch(x), calls)}
    for target in ("cpu", "serial"):
        raw = K.RawEntry.for_kernel(K.touch, policy, target=target, x=x)
        entry = raw.module.entries["touch_for"]
        hpcir.parallel_for(policy, K.touch, x=x, target=target)
        rows[f"hpcir entry called from C++ ({target})"] = Samples("entry", hw.entry_timed(raw, calls))
        rows[f"hpcir runtime Entry from Python ({target})"] = repeat_calls(lambda: entry(0, 1, x), calls)
        rows[f"hpcir.parallel_for ({target})"] = repeat_calls(
            lambda: hpcir.parallel_for(policy, K.touch, x=x, target=target), calls)
    if x[0] != 1.0:
        raise SystemExit("touch kernel did not run")
    return rows


def _report_kernel(title: str, r: dict, ref_hw_ms: float | None, ref_np_ms: float | None,
                   ref_gbs: float | None) -> tuple[str, dict]:
    s = r["samples"]
    ratio_cpp = s[HW_CPP].median / s[HPCIR_CPP].median
    ratio_py = s[HW_PY].median / s[HPCIR_PY].median
    # Same-round pairs ran back to back: their ratio cancels most of the load drift between rounds.
    paired = statistics.median(h / p for h, p in zip(s[HW_CPP].seconds, s[HPCIR_CPP].seconds))

    def cols(name, v):
        base = s[HW_CPP].median
        return [f"{r['bytes'] / v.median / 1e9:.1f}", f"{base / v.median:.3f}"]

    text = _table(title, list(s.items()), ["GB/s (median)", "speed vs hand-written C++"], cols)
    text += (f"\n\nhpcir / hand-written speed: **{ratio_cpp:.3f}** (both timed in C++; median of the "
             f"same-round ratios {paired:.3f}), **{ratio_py:.3f}** (both called from Python); aim ≥ {AIM_RATIO}.")
    refs = []
    if ref_gbs:
        refs.append(f"KOKKOS.md: ≈ {ref_gbs:.0f} GB/s hand-written; here {r['gbs'][HW_CPP]:.1f} GB/s")
    if ref_hw_ms:
        refs.append(f"KOKKOS.md: hand-written {ref_hw_ms} ms; here {s[HW_CPP].median * 1e3:.1f} ms")
    if ref_np_ms:
        refs.append(f"KOKKOS.md: NumPy {ref_np_ms} ms; here {s[NUMPY].median * 1e3:.1f} ms")
    if refs:
        text += "\n" + "; ".join(refs) + "."
    summary = {"ratio_cpp": ratio_cpp, "ratio_python": ratio_py, "ratio_cpp_paired": paired,
               "variants": {k: v.as_dict() | {"gbs": r["gbs"][k]} for k, v in s.items()},
               "n": r["n"], "bytes": r["bytes"]}
    return text, summary


def main(argv: list[str] | None = None) -> int:
    """Run every benchmark and print Markdown tables (and JSON with --json)."""
    a = _args(argv)
    threads = _set_threads(a.threads)
    import numpy as np
    import hpcir
    import spine_kernels as K
    from bench_util import finish_run, load_average, machine_info
    from spine_compile import cold_build_times, lowering_times
    from spine_handwritten import HandWritten, compile_command
    from hpcir.backends.toolchain.kokkos_build import ensure_kokkos

    info = machine_info()
    # Lowering first: the first kernel lowered in this process pays the one-time setup.
    low = lowering_times(3 if a.quick else 5)
    install = ensure_kokkos("cpu")
    # Compile (or fetch from the cache) the hpcir kernels first: their module initializes Kokkos.
    hpcir.parallel_for(K.range_policy(1), K.touch, x=np.zeros(1))
    hw = HandWritten()
    info.update(kokkos=f"{hw.kokkos_version} ({', '.join(install.backends)}) at {install.prefix} "
                       f"[{install.origin}]",
                compiler=install.toolchain().compiler_version.split(" | ")[0],
                compile_command=" ".join(compile_command(install)),
                kokkos_threads=hw.concurrency, requested_threads=threads)
    out: dict = {"machine": info, "command": " ".join([Path(sys.executable).name, *sys.argv]),
                 "load_before": load_average()}
    print(f"# hpcir spine benchmarks ({info['date_utc']})\n")
    for k in ("cpu", "logical_cpus", "memory_gib", "compiler", "kokkos", "kokkos_threads", "numpy"):
        print(f"- {k}: {info[k]}")
    print(f"- compile line (hpcir modules and the hand-written code): `{info['compile_command']}`")
    print(f"- load average before: {' '.join(f'{x:.2f}' for x in out['load_before'])}\n", flush=True)

    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    triad = bench_triad(hw, 2 ** a.triad_log2, a.warmup, a.reps)
    text, out["triad"] = _report_kernel(f"STREAM triad, 2^{a.triad_log2} doubles ({24 * 2 ** a.triad_log2 / 2**20:.0f} MiB "
                                        f"moved per run), {a.reps} rounds", triad, None, None, REFERENCE["triad_gbs"])
    print(text + "\n", flush=True)
    jac = bench_jacobi(hw, a.jacobi_n, a.warmup, a.reps)
    is_ref = a.jacobi_n == 256
    text, out["jacobi"] = _report_kernel(
        f"3-D 7-point Jacobi {a.jacobi_n}³ fp64 (16 B per interior point), {a.reps} rounds", jac,
        REFERENCE["jacobi_kokkos_ms"] if is_ref else None, REFERENCE["jacobi_numpy_ms"] if is_ref else None, None)
    print(text + "\n", flush=True)
    wall, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    out["kernels_wall_s"], out["kernels_cpu_s"] = wall, cpu
    print(f"CPU time this process got during the two kernel benchmarks: {cpu:.1f} s in {wall:.1f} s wall "
          f"= {cpu / wall:.2f} CPUs (on an idle machine close to {threads} while Kokkos runs, 1 for NumPy; "
          f"much less means other processes took the cores).\n", flush=True)

    over = bench_overhead(hw, a.calls)
    print(_table(f"Per-call overhead: a cached kernel over 1 element, median of {a.calls} calls",
                 list(over.items()), ["µs (median)"], lambda n, s: [f"{s.median * 1e6:.1f}"]))
    py = over["hpcir.parallel_for (serial)"].median - over["hpcir entry called from C++ (serial)"].median
    rt = over["hpcir runtime Entry from Python (serial)"].median - over["hpcir entry called from C++ (serial)"].median
    print(f"\nPython-side cost per call (serial target, no threads to wake): hpcir.parallel_for "
          f"{py * 1e6:.1f} µs, of which the runtime's argument packing and ctypes call {rt * 1e6:.1f} µs.\n")
    out["overhead"] = {k: v.as_dict(samples=False) for k, v in over.items()} | {"python_side_s": py, "runtime_side_s": rt}

    out["lowering"] = low
    print("### Lowering one kernel to Kokkos C++ (parse + L2 + passes + emitter)\n")
    for k, v in low["per_kernel_median_s"].items():
        print(f"- {k}: {v * 1e3:.1f} ms")
    print(f"- median over kernels: **{low['median_over_kernels_s'] * 1e3:.1f} ms** (aim ≤ {AIM_LOWER_S * 1e3:.0f} ms); "
          f"the process's first lowering (one-time setup included): {low['first_in_process_s'] * 1e3:.0f} ms\n")

    if not a.no_cold_build:
        print("### Module builds in an empty cache (HPCIR_CACHE_DIR=<temp>, Kokkos_ROOT=<existing install>)\n")
        runs = [("with precompiled Kokkos_Core.hpp", False)] + ([] if a.quick else [("HPCIR_NO_PCH=1", True)])
        out["cold_build"] = {}
        for label, no_pch in runs:
            cb = cold_build_times(None, no_pch)
            out["cold_build"][label] = cb
            mods = ", ".join(f"{k} {m['build_s']:.2f} s" for k, m in cb["modules"].items())
            print(f"- {label}: toolchain probe {cb['probe_s']:.2f} s, precompiled header {cb['pch_s']:.2f} s "
                  f"(used: {cb['pch_used']}); module builds: {mods}; median **{cb['median_module_build_s']:.2f} s** "
                  f"(aim ≤ {AIM_BUILD_S:.0f} s); first module in an empty cache, all included: "
                  f"{cb['first_module_total_s']:.2f} s")
        print()
    return finish_run(out, info, a.json, "a load above that means the timings were disturbed")


if __name__ == "__main__":
    raise SystemExit(main())
