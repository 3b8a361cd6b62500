"""Cold JIT build time of ResNet-18 for the cpu target: lowering, C++ emission and compile.

    HPCIR_CACHE_DIR=/tmp/fresh python benchmarks/model_jit_build.py [--jobs 2] [--pch off]

Run it with a cache without the model's entry (a fresh HPCIR_CACHE_DIR whose `kokkos` folder is a
link to the usual cache's, so that Kokkos is not rebuilt). The Kokkos probe and the precompiled
header are made before the timing starts (once per compiler, flags and Kokkos install: not part of
a model's build). Link no other folder (`pch`, `probes`): their keys name the install's path, so
the fresh cache builds its own, with locks in the fresh cache, and another process sweeping the
usual cache may remove one half-built (the build then fails or is rebuilt). `--pch off` compiles every unit without the
precompiled Kokkos header (HPCIR_NO_PCH=1). Prints the wall time of each stage, the compilers' CPU
seconds and the load; the build's wall time is what `hpcir.compile(prog, target="cpu")` adds to a
first call.
Recorded in benchmarks/RESULTS.md ("Model build time").
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=2, help="HPCIR_BUILD_JOBS (units compiled at once)")
    ap.add_argument("--pch", choices=["on", "off"], default="on", help="the precompiled Kokkos header")
    args = ap.parse_args()
    os.environ["HPCIR_BUILD_JOBS"] = str(args.jobs)
    if args.pch == "off":
        os.environ["HPCIR_NO_PCH"] = "1"
    import torch
    from torch_nets import ResNet18

    from hpcir.backends.build import warm_precompiled_headers
    from hpcir.core.targets import get_target
    from hpcir.graph_api import from_torch
    from hpcir.graph_lowering import graph_l3
    from hpcir.lowering import build_library, emit_cpp, kokkos_for, runtime_cflags, runtime_libraries
    # Built once per compiler, flags and Kokkos install, shared by every module: not part of a model's build
    # (a fresh HPCIR_CACHE_DIR has its own, as the install's path is part of its key).
    w0 = time.perf_counter()
    warmed = warm_precompiled_headers(kokkos_for(get_target("cpu")), [get_target("cpu")])
    print(f"precompiled header: {warmed} ready in {time.perf_counter() - w0:.1f} s (not counted)", flush=True)
    torch.manual_seed(0)
    with torch.no_grad():
        prog = from_torch(ResNet18().eval(), (torch.randn(1, 3, 224, 224),))
    t0 = time.perf_counter()
    module = graph_l3(prog, "cpu")
    t1 = time.perf_counter()
    name = f"hpcir_graph_{prog.name}"
    files = emit_cpp(module, "cpu", name)
    t2 = time.perf_counter()
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    build_library(files, "cpu", name, runtime_libraries(module, "cpu"), label=prog.name, cflags=runtime_cflags(module))
    t3 = time.perf_counter()
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = c1.ru_utime - c0.ru_utime + c1.ru_stime - c0.ru_stime
    units = sorted(f for f in files if f.endswith(".cpp"))
    print(f"ResNet-18 cpu, {len(units)} unit(s), {args.jobs} job(s), precompiled header {args.pch}: lowering {t1 - t0:.1f} s, emission {t2 - t1:.1f} s, "
          f"compile + link {t3 - t2:.1f} s wall ({cpu:.1f} s compiler CPU); load {os.getloadavg()[0]:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
