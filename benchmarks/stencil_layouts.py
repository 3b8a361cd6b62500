"""Stencils on C-, Fortran- and permuted-order arrays: before (one C-order build; the runtime copies
other layouts to C order and back on every call) and after (the stencil specialised to the layout).

    python benchmarks/stencil_layouts.py --threads 2            # hdiff 4096², 3-D hdiff 256x256x64
    python benchmarks/stencil_layouts.py --threads 2 --quick    # 1024², 128x128x32

In one process, on the same arrays and the one Kokkos instance: for each layout, `before` calls the
C-order library exactly as hpcir did before layout specialisation (`strict_layout=False`: a copy
to C order of every non-C field, and back for the output) and `after` is the plain stencil call
(hpcir.stencil_layouts picks the memory order and the build). Both results are checked against
NumPy first; variants then run round-robin (bench_util.interleaved), warm-up rounds discarded.
Medians and best times in ms; see benchmarks/RESULTS.md.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import hpcir  # noqa: E402  (importing hpcir starts no Kokkos: the thread count is still ours to set)
from hpcir import Field  # noqa: E402


@hpcir.stencil
def hdiff3(u: Field[float, 3], coeff: Field[float, 3], out: Field[float, 3]):
    lap = 4.0 * u[0, 0, 0] - (u[1, 0, 0] + u[-1, 0, 0] + u[0, 1, 0] + u[0, -1, 0])
    flx = lap[1, 0, 0] - lap[0, 0, 0]
    fly = lap[0, 1, 0] - lap[0, 0, 0]
    out[0, 0, 0] = u[0, 0, 0] - coeff[0, 0, 0] * (flx[0, 0, 0] - flx[-1, 0, 0] + fly[0, 0, 0] - fly[0, -1, 0])


def _args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="hdiff 1024², 3-D 128x128x32, 5 rounds")
    p.add_argument("--threads", type=int, default=None, help="OpenMP threads (default: all CPUs)")
    p.add_argument("--reps", type=int, default=None, help="measured rounds (default 9, quick 5)")
    p.add_argument("--warmup", type=int, default=2, help="discarded rounds first (default 2)")
    p.add_argument("--json", type=Path, default=None, help="also write all numbers to this file")
    a = p.parse_args(argv)
    a.n2 = 1024 if a.quick else 4096
    a.shape3 = (128, 128, 32) if a.quick else (256, 256, 64)
    a.reps = a.reps or (5 if a.quick else 9)
    return a


def _hdiff3(u: Any, coeff: Any) -> Any:
    """NumPy 3-D hdiff (hdiff in i, j on every k plane) on the interior [2, n-2)² x [0, nk)."""
    lap = 4.0 * u[1:-1, 1:-1] - (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2])
    flx = lap[1:, 1:-1] - lap[:-1, 1:-1]
    fly = lap[1:-1, 1:] - lap[1:-1, :-1]
    return u[2:-2, 2:-2] - coeff[2:-2, 2:-2] * (flx[1:] - flx[:-1] + fly[:, 1:] - fly[:, :-1])


def _stored(shape: tuple[int, ...], storage: tuple[int, ...], rng: Any) -> Any:
    """A random array of `shape` whose memory holds the dimensions in order `storage` (outermost first)."""
    import numpy as np
    base = rng.random(tuple(shape[d] for d in storage))
    return np.transpose(base, np.argsort(storage))


def _cases(a: argparse.Namespace) -> list[tuple[str, Any, tuple[int, ...], tuple[int, ...], Callable]]:
    """(title, stencil, shape, storage order, NumPy reference) for every benchmarked layout."""
    from passes_variants import hdiff, hdiff_expr
    n, s3 = a.n2, a.shape3
    return [
        (f"2-D hdiff {n}², C order", hdiff, (n, n), (0, 1), hdiff_expr),
        (f"2-D hdiff {n}², Fortran order", hdiff, (n, n), (1, 0), hdiff_expr),
        (f"3-D hdiff {'x'.join(map(str, s3))}, k contiguous (C order)", hdiff3, s3, (0, 1, 2), _hdiff3),
        (f"3-D hdiff {'x'.join(map(str, s3))}, i contiguous (Fortran order)", hdiff3, s3, (2, 1, 0), _hdiff3),
        (f"3-D hdiff {'x'.join(map(str, s3))}, stored (k, i, j)", hdiff3, s3, (2, 0, 1), _hdiff3),
    ]


def main(argv: list[str] | None = None) -> int:
    """Run every layout before / after and print a Markdown table."""
    a = _args(argv)
    from spine import _set_threads
    threads = _set_threads(a.threads)
    import numpy as np

    from bench_util import finish_run, interleaved, load_average, machine_info
    from hpcir.stencil_layouts import choose_layout, default_layout
    info = machine_info() | {"omp_threads": threads}
    out: dict = {"machine": info, "command": " ".join([Path(sys.executable).name, *sys.argv]),
                 "load_before": load_average(), "cases": {}}
    print(f"# stencils on any layout ({info['date_utc']})\n")
    print(f"- cpu: {info['cpu']}, {threads} OpenMP threads, numpy {info['numpy']}")
    print(f"- load average before: {' '.join(f'{x:.2f}' for x in out['load_before'])}\n")
    print("| case | before: C build + copies, median (best) ms | after: specialised, median (best) ms | "
          "speed-up (medians) | layout built |")
    print("|---|---|---|---|---|")
    rng = np.random.default_rng(0)
    for title, st, shape, storage, ref in _cases(a):
        u, coeff = _stored(shape, storage, rng), _stored(shape, storage, rng)
        outs = {"before": _stored(shape, storage, rng) * 0.0, "after": _stored(shape, storage, rng) * 0.0}
        cs = st.compile("cpu")
        r = st.rank
        dom = st.resolve_domain({"u": u, "coeff": coeff, "out": outs["after"]}, None, None)
        bounds = [b for b, _ in dom] + [e for _, e in dom]
        old = cs._ensure(default_layout(r, 3))[st.name]
        calls = {"before": lambda: old(*bounds, u, coeff, outs["before"], strict_layout=False),
                 "after": lambda: cs(u, coeff, outs["after"])}
        want = ref(u, coeff)
        for name, call in calls.items():  # checked before timing (and builds the specialised library)
            call()
            inner = tuple(slice(2, -2) if d < 2 else slice(None) for d in range(r))
            if not np.allclose(outs[name][inner], want, rtol=1e-12, atol=1e-12):
                raise SystemExit(f"{title}: {name} gives a wrong result")
        res = interleaved(calls, a.warmup, a.reps)
        b, f = res["before"], res["after"]
        layout = choose_layout([u, coeff, outs["after"]], [False, False, True], host=True)
        print(f"| {title} | {b.median * 1e3:.1f} ({b.best * 1e3:.1f}) | {f.median * 1e3:.1f} ({f.best * 1e3:.1f}) | "
              f"{b.median / f.median:.2f}x | order {layout.order}, {'/'.join(layout.layouts)} |", flush=True)
        out["cases"][title] = {"before": b.as_dict(), "after": f.as_dict(), "order": layout.order,
                               "layouts": layout.layouts}
    print()
    return finish_run(out, info, a.json, "above 2, the 2 threads shared the CPUs with other work")


if __name__ == "__main__":
    raise SystemExit(main())
