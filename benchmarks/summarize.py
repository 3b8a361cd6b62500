"""One Markdown row per `spine.py --json` file: how the key figures varied across runs.

    python benchmarks/summarize.py run1.json run2.json ...
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

HW, HP, NP = "Kokkos hand-written, timed in C++", "hpcir entry, timed in C++", "NumPy"
COLUMNS = ["run", "threads", "load (1 min) before", "CPUs obtained", "triad hand-written GB/s",
           "triad hpcir GB/s", "triad NumPy GB/s", "triad ratio (paired)", "Jacobi hand-written ms",
           "Jacobi hpcir ms", "Jacobi NumPy ms", "Jacobi ratio (paired)", "parallel_for µs (serial)",
           "lowering ms", "module build s"]


def row(name: str, d: dict) -> list[str]:
    """The summary cells of one run."""
    t, j = d["triad"], d["jacobi"]
    build = "-"
    cold = d.get("cold_build") or {}
    for label, cb in cold.items():
        if "NO_PCH" not in label:
            build = f"{cb['median_module_build_s']:.2f}"
    over = d["overhead"].get("hpcir.parallel_for (serial)", {}).get("median_s")
    return [name, str(d["machine"]["kokkos_threads"]), f"{d['load_before'][0]:.1f}",
            f"{d['kernels_cpu_s'] / d['kernels_wall_s']:.2f}",
            f"{t['variants'][HW]['gbs']:.1f}", f"{t['variants'][HP]['gbs']:.1f}", f"{t['variants'][NP]['gbs']:.1f}",
            f"{t.get('ratio_cpp_paired', t['ratio_cpp']):.3f}", f"{j['variants'][HW]['median_s'] * 1e3:.1f}",
            f"{j['variants'][HP]['median_s'] * 1e3:.1f}", f"{j['variants'][NP]['median_s'] * 1e3:.1f}",
            f"{j.get('ratio_cpp_paired', j['ratio_cpp']):.3f}", f"{over * 1e6:.0f}" if over else "-",
            f"{d['lowering']['median_over_kernels_s'] * 1e3:.1f}", build]


def main(argv: list[str] | None = None) -> int:
    """Print the table, then the median and range of the hpcir / hand-written ratios."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("files", nargs="+", type=Path)
    a = p.parse_args(argv)
    runs = [(f.stem, json.loads(f.read_text())) for f in a.files]
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for name, d in runs:
        print("| " + " | ".join(row(name, d)) + " |")
    for kernel in ("triad", "jacobi"):
        r = [d[kernel].get("ratio_cpp_paired", d[kernel]["ratio_cpp"]) for _, d in runs]
        print(f"\n{kernel}: hpcir / hand-written (paired, in C++) over {len(r)} runs: median "
              f"{statistics.median(r):.3f}, range {min(r):.3f} – {max(r):.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
