"""Compile-side costs of the spine: lowering a kernel to C++, and building modules in an empty cache.

Run by spine.py. The build measurement runs in a child process (`python spine_compile.py
--build-child`) with HPCIR_CACHE_DIR pointing at a fresh temporary folder and Kokkos_ROOT at the
existing install, so nothing cached in this process or on disk (toolchain probe, precompiled
header, module libraries) is reused, while Kokkos itself is not rebuilt.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))


def lowering_times(reps: int) -> dict:
    """Seconds to lower each benchmark kernel to C++ (parse + L2 + passes + emitter), fresh Kernel each time."""
    import hpcir
    from spine_kernels import COMPILE_KERNELS
    t0 = time.perf_counter()
    fn, rank = COMPILE_KERNELS[0]
    hpcir.lower(hpcir.kernel(fn, rank=rank), target="cpu")
    first = time.perf_counter() - t0  # includes one-time costs (xDSL context, pass registry)
    per_kernel = {}
    for fn, rank in COMPILE_KERNELS:
        ts = []
        for _ in range(reps):
            t0 = time.perf_counter()
            text = hpcir.lower(hpcir.kernel(fn, rank=rank), target="cpu")
            ts.append(time.perf_counter() - t0)
            if "parallel_" not in text:
                raise RuntimeError(f"lowering {fn.__name__} produced no Kokkos launch")
        per_kernel[fn.__name__.removesuffix("_fn")] = statistics.median(ts)
    return {"first_in_process_s": first, "per_kernel_median_s": per_kernel,
            "median_over_kernels_s": statistics.median(per_kernel.values())}


def _build_child(names: list[str]) -> dict:
    """In a fresh cache: probe the toolchain, build the precompiled header, then one module per kernel."""
    import numpy as np  # noqa: F401  (imported before timing, as a user's program would)
    import hpcir
    from hpcir.api import build_module, emit_cpp, lower_to_l3
    from hpcir.backends.build import _target_flags, build_shared_library, precompiled_header_args
    from hpcir.backends.runtime import load_module
    from hpcir.frontends.python.signature import annotated_spec
    from hpcir.backends.toolchain.kokkos_build import ensure_kokkos
    from hpcir.core.targets import get_target
    from spine_kernels import COMPILE_KERNELS

    target = get_target("cpu")
    t0 = time.perf_counter()
    install = ensure_kokkos("cpu")
    tc = install.toolchain()  # one CMake configure of a probe project per install and cache
    probe = time.perf_counter() - t0
    t0 = time.perf_counter()
    pch_args = precompiled_header_args(tc, _target_flags(target, tc), install)
    pch = time.perf_counter() - t0
    modules = {}
    for fn, rank in COMPILE_KERNELS:
        short = fn.__name__.removesuffix("_fn")
        if names and short not in names:
            continue
        k = hpcir.kernel(fn, rank=rank, name=f"cold_{short}")
        t0 = time.perf_counter()
        spec = annotated_spec(k)
        spec.name = f"{k.name}_{spec.kind}"
        sources = emit_cpp(lower_to_l3(build_module([spec], "cpu"), "cpu"), "cpu", f"hpcir_{k.name}")
        lower = time.perf_counter() - t0
        t0 = time.perf_counter()
        lib = build_shared_library(sources, target, install, f"hpcir_{k.name}")
        build = time.perf_counter() - t0
        t0 = time.perf_counter()
        load_module(lib)  # dlopen + manifest + Kokkos::initialize for the first one
        load = time.perf_counter() - t0
        modules[short] = {"lower_s": lower, "build_s": build, "load_s": load}
    return {"kokkos_origin": install.origin, "probe_s": probe, "pch_s": pch, "pch_used": bool(pch_args),
            "modules": modules}


def cold_build_times(names: list[str] | None = None, no_pch: bool = False) -> dict:
    """Build times in an empty cache, measured in a child process (see the module docstring)."""
    from hpcir.backends.toolchain.kokkos_build import ensure_kokkos
    prefix = ensure_kokkos("cpu").prefix
    with tempfile.TemporaryDirectory(prefix="hpcir-bench-cache-") as tmp:
        env = {**os.environ, "HPCIR_CACHE_DIR": tmp, "Kokkos_ROOT": str(prefix)}
        env.pop("CMAKE_PREFIX_PATH", None)
        if no_pch:
            env["HPCIR_NO_PCH"] = "1"
        else:
            env.pop("HPCIR_NO_PCH", None)
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, __file__, "--build-child", *(names or [])],
                              capture_output=True, text=True, env=env)
        wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"build child failed:\n{proc.stdout}\n{proc.stderr}")
    data = json.loads(proc.stdout.strip().splitlines()[-1])
    builds = [m["build_s"] for m in data["modules"].values()]
    first = next(iter(data["modules"].values()))
    data.update(child_wall_s=wall, no_pch=no_pch,
                median_module_build_s=statistics.median(builds),
                first_module_total_s=data["probe_s"] + data["pch_s"] + first["lower_s"] + first["build_s"])
    return data


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--build-child":
        print(json.dumps(_build_child(sys.argv[2:])))
    else:
        print(json.dumps({"lowering": lowering_times(3), "cold_build": cold_build_times()}, indent=2))
