"""What hpcir's layout/locality passes buy, against hand-written Kokkos, NumPy, jax.jit and torch.compile.

    python benchmarks/passes.py            # 7-point Jacobi 256³, hdiff 4096², triad 2^25, fp64
    python benchmarks/passes.py --quick    # 128³ / 1024² / 2^22, 5 rounds

In one process, on the same numpy arrays and the one Kokkos instance (same OpenMP threads):
hpcir with the default L2 → L3 pipeline and without each pass that matters for the kernel
(kokkos-fuse for hdiff; stencil-host-schedule and kokkos-tile, which replaces it by a tiled MDRange, for
the stencils), the hand-written Kokkos code of
handwritten_kokkos.cpp (default MDRangePolicy tiles), NumPy, jax.jit and torch.compile on the
CPU (compiled before timing). Every variant's result is checked against NumPy before it is
timed; variants then run round-robin, warm-up rounds discarded, and medians are reported as ms,
GB/s and as a fraction of the hand-written triad of the same run. See benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

HW = "Kokkos hand-written (MDRange default tiles)"
HPCIR = "hpcir (default pipeline)"
AUTOTUNE = "hpcir, kokkos-tile autotune=true"
HPCIR_CPP, HW_CPP = "hpcir (default), timed in C++", "Kokkos hand-written, timed in C++"
NUMPY, JAX, TORCH = "NumPy", "jax.jit", "torch.compile"
AIM_VS_HW, AIM_VS_FRAMEWORK = 1.0, 2.5


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="Jacobi 128³, hdiff 1024², triad 2^22, 5 rounds")
    p.add_argument("--threads", type=int, default=None, help="OpenMP / torch threads (default: all CPUs)")
    p.add_argument("--jacobi-n", type=int, default=None, help="Jacobi grid edge (default 256)")
    p.add_argument("--hdiff-n", type=int, default=None, help="hdiff grid edge (default 4096)")
    p.add_argument("--triad-log2", type=int, default=None, help="triad length 2^N (default 25)")
    p.add_argument("--reps", type=int, default=None, help="measured rounds (default 9, quick 5)")
    p.add_argument("--warmup", type=int, default=2, help="discarded rounds first (default 2)")
    p.add_argument("--frameworks", default="numpy,jax,torch",
                   help="comma-separated subset of numpy,jax,torch to compare with")
    p.add_argument("--cxxflags", default="",
                   help="extra compile flags for every Kokkos build of this run, hpcir's and the "
                        "hand-written code's alike (e.g. -march=native; default: the Kokkos install's own)")
    p.add_argument("--dump-cpp", type=Path, default=None, help="write each hpcir variant's C++ here")
    p.add_argument("--json", type=Path, default=None, help="also write all numbers to this file")
    a = p.parse_args(argv)
    a.jacobi_n = a.jacobi_n or (128 if a.quick else 256)
    a.hdiff_n = a.hdiff_n or (1024 if a.quick else 4096)
    a.triad_log2 = a.triad_log2 or (22 if a.quick else 25)
    a.reps = a.reps or (5 if a.quick else 9)
    a.frameworks = {f.strip() for f in a.frameworks.split(",") if f.strip()}
    return a


def _check(name: str, got: Any, want: Any) -> None:
    import numpy as np
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-11, atol=1e-11):
        err = np.abs(got - want).max() if got.shape == want.shape else f"shape {got.shape} != {want.shape}"
        raise SystemExit(f"{name}: wrong result (max error {err})")


class Bench:
    """Variants of one kernel: each a timed no-argument call and a getter of its result region."""

    def __init__(self, title: str, nbytes: int, want: Any):
        self.title, self.nbytes, self.want = title, nbytes, want
        self.calls: dict[str, Callable[[], Any]] = {}
        self.cpp: dict[str, str] = {}

    def add(self, name: str, call: Callable[[], Any], result: Callable[[], Any], reset: Callable[[], None]) -> None:
        """Check `call` against NumPy (after `reset` clears its output), then keep it for timing."""
        reset()
        call()
        _check(f"{self.title}: {name}", result(), self.want)
        # interleaved() takes a returned float as the variant's own time: return None.
        self.calls[name] = lambda: (call(), None)[1]

    def add_timed_in_cpp(self, name: str, call: Callable[[], float], result: Callable[[], Any],
                         reset: Callable[[], None]) -> None:
        """Like add, for a call that times itself in C++ and returns its seconds (no Python in the time)."""
        reset()
        call()
        _check(f"{self.title}: {name}", result(), self.want)
        self.calls[name] = call


def _timed_in_cpp(b: Bench, hw: Any, lib: Any, entry: str, args: list[Any], hw_timed: Callable[[], list[float]],
                  region: Callable[[], Any], reset: Callable[[], None]) -> None:
    """hpcir's default entry and the hand-written kernel, both called and timed from C++: the
    kernels alone, without the Python call path either way."""
    import spine_kernels as K
    raw = K.RawEntry(lib, entry, args)
    b.add_timed_in_cpp(HPCIR_CPP, lambda: hw.entry_timed(raw)[0], region, reset)
    b.add_timed_in_cpp(HW_CPP, lambda: hw_timed()[0], region, reset)


def _frameworks(b: Bench, a: argparse.Namespace, threads: int, fn: Callable[..., Any],
                arrays: list[Any], numpy_call: Callable[[], None], region: Callable[[], Any],
                reset: Callable[[], None]) -> None:
    import passes_variants as V
    if "numpy" in a.frameworks:
        b.add(NUMPY, numpy_call, region, reset)
    if "jax" in a.frameworks:
        call, res = V.jax_jit(fn, *arrays)
        b.add(JAX, call, res, lambda: None)
    if "torch" in a.frameworks:
        call, res = V.torch_compile(fn, *arrays, threads=threads)
        b.add(TORCH, call, res, lambda: None)


def _hpcir_stencil(b: Bench, st: Any, without: list[str], domain: list[tuple[int, int]], values: list[Any],
                   region: Callable[[], Any], reset: Callable[[], None]) -> Any:
    """Add the stencil's hpcir variants; returns the default pipeline's library."""
    import passes_variants as V
    default = None
    for w in [None, *without]:
        lib, cpp = V.build_stencil(st, "cpu", w)
        name = HPCIR if w is None else V.toggled_name("cpu", w)
        default = default or lib
        b.cpp[name] = cpp
        b.add(name, V.stencil_call(lib, st, domain, *values), region, reset)
    # The tile pass's autotuner (times a few tiles on this machine for this domain, cached).
    lib, cpp = V.build_stencil(st, "cpu", None, autotune_shape=tuple(e - s for s, e in domain))
    b.cpp[AUTOTUNE] = cpp
    b.add(AUTOTUNE, V.stencil_call(lib, st, domain, *values), region, reset)
    return default


def bench_jacobi(hw: Any, a: argparse.Namespace, threads: int) -> Bench:
    """3-D 7-point Jacobi on the interior of n³, 16 B per interior point."""
    import numpy as np
    import hpcir
    import passes_variants as V
    n = a.jacobi_n
    u, out = np.random.default_rng(1).random((n, n, n)), np.zeros((n, n, n))
    inner = (slice(1, -1),) * 3
    b = Bench(f"3-D 7-point Jacobi {n}³ fp64", 16 * (n - 2) ** 3, V.jacobi_expr(u))
    region, reset = (lambda: out[inner]), (lambda: out.fill(0.0))
    c0, c1 = V.JACOBI_C0, V.JACOBI_C1
    dom = V.interior(n, 3, 1)
    lib = _hpcir_stencil(b, V.jacobi7, ["stencil-host-schedule", "kokkos-tile"], dom, [c0, c1, u, out], region, reset)
    _timed_in_cpp(b, hw, lib, V.jacobi7.name, V.bounds(dom) + [c0, c1, u, out],
                  lambda: hw.jacobi_timed(u, out, c0, c1), region, reset)
    import spine_kernels as K  # the same update written as a Python kernel (hpcir.parallel_for)
    policy = hpcir.MDRangePolicy([1, 1, 1], [n - 1, n - 1, n - 1])
    b.add("hpcir.parallel_for (Python kernel)",
          lambda: hpcir.parallel_for(policy, K.jacobi, c0=c0, c1=c1, u=u, out=out), region, reset)
    b.add(HW, lambda: hw.jacobi(u, out, c0, c1), region, reset)

    def numpy_call() -> None:
        out[inner] = V.jacobi_expr(u)
    _frameworks(b, a, threads, V.jacobi_expr, [u], numpy_call, region, reset)
    return b


def bench_hdiff(hw: Any, a: argparse.Namespace, threads: int) -> Bench:
    """2-D horizontal diffusion on [2, n-2)², 24 B per point (read u, coeff; write out)."""
    import numpy as np
    import passes_variants as V
    n = a.hdiff_n
    rng = np.random.default_rng(2)
    u, coeff, out = rng.random((n, n)), rng.random((n, n)), np.zeros((n, n))
    inner = (slice(2, -2),) * 2
    b = Bench(f"2-D hdiff {n}² fp64", 24 * (n - 4) ** 2, V.hdiff_expr(u, coeff))
    region, reset = (lambda: out[inner]), (lambda: out.fill(0.0))
    dom = V.interior(n, 2, 2)
    lib = _hpcir_stencil(b, V.hdiff, ["kokkos-fuse", "stencil-host-schedule", "kokkos-tile"], dom, [u, coeff, out], region, reset)
    hw_hdiff, hw_hdiff_timed = V.bind_hdiff(hw)
    _timed_in_cpp(b, hw, lib, V.hdiff.name, V.bounds(dom) + [u, coeff, out],
                  lambda: hw_hdiff_timed(u, coeff, out), region, reset)
    b.add(HW, lambda: hw_hdiff(u, coeff, out), region, reset)

    def numpy_call() -> None:
        out[inner] = V.hdiff_expr(u, coeff)
    _frameworks(b, a, threads, V.hdiff_expr, [u, coeff], numpy_call, region, reset)
    return b


def bench_triad(hw: Any, a: argparse.Namespace, threads: int) -> Bench:
    """STREAM triad a = b + s*c, 24 B per element."""
    import numpy as np
    import hpcir
    import passes_variants as V
    import spine_kernels as K
    n = 2 ** a.triad_log2
    rng = np.random.default_rng(0)
    x, y, z = np.zeros(n), rng.random(n), rng.random(n)
    s = V.TRIAD_S
    b = Bench(f"STREAM triad 2^{a.triad_log2} fp64", 24 * n, V.triad_expr(y, z))
    region, reset = (lambda: x), (lambda: x.fill(0.0))
    policy = hpcir.RangePolicy(0, n)
    # A 1-D RangePolicy: kokkos-tile and kokkos-fuse do not apply, so only the default is built.
    b.add(HPCIR, lambda: hpcir.parallel_for(policy, V.triad_kernel, s=s, a=x, b=y, c=z), region, reset)
    b.add(HW, lambda: hw.triad(x, y, z, s), region, reset)
    raw = K.RawEntry.for_kernel(V.triad_kernel, policy, s=s, a=x, b=y, c=z)
    b.add_timed_in_cpp(HPCIR_CPP, lambda: hw.entry_timed(raw)[0], region, reset)
    b.add_timed_in_cpp(HW_CPP, lambda: hw.triad_timed(x, y, z, s)[0], region, reset)
    _frameworks(b, a, threads, V.triad_expr, [y, z], lambda: K.numpy_triad(x, y, z, s), region, reset)
    return b


def _report(b: Bench, res: dict, triad_gbs: float) -> tuple[str, dict]:
    med = {k: v.median for k, v in res.items()}
    refs = [r for r in (HW, JAX, TORCH) if r in med]
    head = ["variant", "median ms", "best ms", "IQR/median", "GB/s", "of triad"] + [f"speed vs {r.split(' (')[0]}" for r in refs]
    lines = [f"### {b.title} ({b.nbytes / 2**20:.0f} MiB counted per run)", "",
             "| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    rows = {}
    for name, s in res.items():
        gbs = b.nbytes / s.median / 1e9
        ratios = {r: med[r] / s.median for r in refs}
        lines.append(f"| {name} | {s.median * 1e3:.2f} | {s.best * 1e3:.2f} | {s.spread * 100:.0f} % | {gbs:.2f} | "
                     f"{gbs / triad_gbs * 100:.0f} % | " + " | ".join(f"{ratios[r]:.2f}×" for r in refs) + " |")
        rows[name] = s.as_dict() | {"gbs": gbs, "fraction_of_triad": gbs / triad_gbs,
                                    "speed_vs": {r: ratios[r] for r in refs}}
    return "\n".join(lines), {"bytes": b.nbytes, "variants": rows}


def _goals(name: str, data: dict) -> list[str]:
    v = data["variants"]
    if HPCIR not in v:
        return []
    out = []
    for ref, aim in ((HW, AIM_VS_HW), (JAX, AIM_VS_FRAMEWORK), (TORCH, AIM_VS_FRAMEWORK)):
        if ref in v:
            r = v[HPCIR]["speed_vs"][ref]
            out.append(f"| {name} | {ref.split(' (')[0]} | {r:.2f}× | ≥ {aim}× | {'met' if r >= aim else 'MISSED'} |")
    if HPCIR_CPP in v and HW_CPP in v:  # the kernels alone: both called and timed from C++
        r = v[HW_CPP]["median_s"] / v[HPCIR_CPP]["median_s"]
        out.append(f"| {name} | Kokkos hand-written, both timed in C++ | {r:.2f}× | ≥ {AIM_VS_HW}× | "
                   f"{'met' if r >= AIM_VS_HW else 'MISSED'} |")
    for other in v:
        if other.startswith("hpcir without"):  # default vs without: what the pass buys
            gain = v[other]["median_s"] / v[HPCIR]["median_s"]
            label = f"{other} (the pass's gain)"
        elif other.startswith("hpcir with "):  # a pass the default leaves out: what it would buy
            gain = v[HPCIR]["median_s"] / v[other]["median_s"]
            label = f"{other} (the pass's gain)"
        elif other == AUTOTUNE:  # autotuned vs default: what the autotuner adds to the static tiles
            gain = v[HPCIR]["median_s"] / v[other]["median_s"]
            label = f"{other} vs the default (the autotuner's gain)"
        else:
            continue
        verdict = "helps" if gain > 1.02 else "no gain" if gain > 0.98 else "HURTS"
        out.append(f"| {name} | {label} | {gain:.2f}× | > 1× | {verdict} |")
    return out


def _extra_cxxflags(flags: list[str]) -> None:
    """Append `flags` to the compile line of every module this process builds (hpcir's and the
    hand-written code's), for a controlled experiment; builds are cached per compile line."""
    import dataclasses
    from hpcir.backends.toolchain.kokkos_install import KokkosInstall
    probe = KokkosInstall.toolchain

    def toolchain(self: KokkosInstall) -> Any:
        tc = probe(self)
        return dataclasses.replace(tc, compile_args=tuple(tc.compile_args) + tuple(flags))
    KokkosInstall.toolchain = toolchain  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> int:
    """Run the three benchmarks and print Markdown tables (and JSON with --json)."""
    a = _args(argv)
    from spine import _set_threads, _waker
    threads = _set_threads(a.threads)
    import numpy as np
    import hpcir
    if a.cxxflags:
        _extra_cxxflags(a.cxxflags.split())
    from bench_util import finish_run, interleaved, load_average, machine_info
    from spine_handwritten import HandWritten
    hpcir.parallel_for(hpcir.RangePolicy(0, 1), __import__("spine_kernels").touch, x=np.zeros(1))  # init Kokkos
    hw = HandWritten()
    info = machine_info() | {"kokkos_threads": hw.concurrency, "kokkos": hw.kokkos_version,
                             "extra_cxxflags": a.cxxflags or "(none)"}
    out: dict = {"machine": info, "command": " ".join([Path(sys.executable).name, *sys.argv]),
                 "load_before": load_average()}
    for lib in ("jax", "torch"):
        if lib in a.frameworks:
            info[lib] = __import__(lib).__version__
    print(f"# hpcir pass benchmarks ({info['date_utc']})\n")
    for k in ("cpu", "logical_cpus", "kokkos", "kokkos_threads", "extra_cxxflags", "numpy", "jax", "torch"):
        if k in info:
            print(f"- {k}: {info[k]}")
    print(f"- load average before: {' '.join(f'{x:.2f}' for x in out['load_before'])}\n", flush=True)

    triad_gbs = None
    goals = []
    for key, fn in (("triad", bench_triad), ("jacobi", bench_jacobi), ("hdiff", bench_hdiff)):
        b = fn(hw, a, threads)
        res = interleaved(b.calls, a.warmup, a.reps, before=_waker(hw))
        if triad_gbs is None:  # the machine's triad: hand-written Kokkos, this run
            triad_gbs = b.nbytes / res[HW].median / 1e9
            out["triad_gbs"] = triad_gbs
        text, out[key] = _report(b, res, triad_gbs)
        print(text + "\n", flush=True)
        goals += _goals(key, out[key])
        if a.dump_cpp:
            a.dump_cpp.mkdir(parents=True, exist_ok=True)
            for name, cpp in b.cpp.items():
                tag = {HPCIR: "default", AUTOTUNE: "autotune"}.get(name) or name.split()[-1].replace("-", "_")
                (a.dump_cpp / f"{key}_{tag}.cpp").write_text(cpp)
    print("### Goals (ratios of medians; > 1 means hpcir is faster)\n")
    print("| kernel | hpcir default vs | speed | aim | |\n|---|---|---|---|---|")
    print("\n".join(goals))
    out["goals"] = goals
    print()
    return finish_run(out, info, a.json, "above that, the timings were disturbed")


if __name__ == "__main__":
    raise SystemExit(main())
