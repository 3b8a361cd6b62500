"""How the driver lowers and builds a module: the default target, target-neutral L2 of kernel launches,
the L2 -> L3 pipeline per target, C++ emission and the JIT build. The public API (api.py), the
stencil and graph entry points share these; none of them imports another for it."""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from xdsl.dialects.builtin import ModuleOp

from hpcir.core.errors import HpcirError, user_call_site
from hpcir.core.targets import Target, get_target
from hpcir.dialects.kokkos_target import set_module_target, stamped_target
from hpcir.frontends.python.entries import LaunchSpec, ModuleBuilder
from hpcir.passes import kokkos_tile

if TYPE_CHECKING:
    from hpcir.backends.toolchain.kokkos_install import KokkosInstall


_default_target = os.environ.get("HPCIR_TARGET", "cpu")


def set_default_target(target: str) -> None:
    """Set the target used by launches that name none (cpu, serial, ...)."""
    global _default_target
    get_target(target, user_call_site(2))
    _default_target = target


def default_target() -> str:
    """The target used by launches that name none."""
    return _default_target


_check_bounds: bool | None = None  # None: HPCIR_CHECK_BOUNDS decides
_require_device_arrays = False


def config(check_bounds: bool | None = None, require_device_arrays: bool | None = None) -> dict[str, Any]:
    """Set run-time options (None leaves one as it is); returns the settings now in effect.

    check_bounds: compile a check of every view index into the kernels launched from now on; the
    first index outside its view is raised after the launch as an IndexError naming the line
    (a debug mode, slower; default: HPCIR_CHECK_BOUNDS=1 in the environment turns it on).

    require_device_arrays: GPU launches refuse host (NumPy) arrays, which they would copy to the
    device and back on every launch; pass hpcir.Array (or cupy / torch) data instead (default off).
    """
    global _check_bounds, _require_device_arrays
    if check_bounds is not None:
        _check_bounds = bool(check_bounds)
    if require_device_arrays is not None:
        _require_device_arrays = bool(require_device_arrays)
    return {"check_bounds": check_bounds_enabled(), "require_device_arrays": _require_device_arrays}


def require_device_arrays() -> bool:
    """Whether GPU launches refuse host arrays (hpcir.config(require_device_arrays=True))."""
    return _require_device_arrays


def check_bounds_enabled() -> bool:
    """Whether launches compile bounds checks (hpcir.config, else HPCIR_CHECK_BOUNDS)."""
    if _check_bounds is not None:
        return _check_bounds
    return os.environ.get("HPCIR_CHECK_BOUNDS", "").strip().lower() in ("1", "true", "yes", "on")


def build_module(specs: list[LaunchSpec], target: str | None = None) -> ModuleOp:
    """Target-neutral L2 IR of a set of launches (one module), stamped with `target` when given."""
    mb = ModuleBuilder()
    for s in specs:
        mb.add_entry(s)
    if target is not None:
        set_module_target(mb.module, target)
    return mb.module


def lower_to_l3(module: ModuleOp, target: str, dump_after_all: bool = False) -> ModuleOp:
    """Run the L2 → L3 pipeline for a Kokkos target."""
    from hpcir.pipeline import run_pipeline
    return run_pipeline(module, l2_to_l3_pipeline(target), dump_after_all=dump_after_all)


def l2_to_l3_pipeline(target: str) -> str:
    """The pass pipeline from L2 to L3 for a target: stamp it, place views, fuse, convert, then layout and tiles."""
    t = get_target(target)
    passes = [f"kokkos-set-target{{target={target}}}", "kokkos-memory-spaces", "kokkos-fuse", "canonicalize", "cse",
              *([] if t.is_gpu else ["stencil-host-schedule"]), "convert-scf-to-kokkos", "kokkos-layout"]
    if t.is_gpu:
        passes += ["kokkos-tile", "kokkos-team-scratch", "kokkos-placement"]
    # On CPUs Kokkos' default MDRange tile (whole contiguous rows) measured equal or better than
    # kokkos-tile's static rule (hdiff 4096^2: the rule cost 6-13 %, benchmarks/RESULTS.md), so
    # host targets keep it; `kokkos-tile{autotune=true}` remains available through hpcir opt.
    return ",".join(passes + ["canonicalize", "cse"])


def emit_cpp(module: ModuleOp, target: str, name: str) -> dict[str, str]:
    """Kokkos C++ sources ({filename: text}) of an L3 module, for the target it carries (`target` must agree)."""
    from hpcir.backends.kokkos_cpp import emit_module
    return dict(emit_module(module, name, set_module_target(module, target)).files)


def cannot_run_reason(t: Target) -> str | None:
    """Why kernels of target `t` cannot run here (None: they can): host targets always run; a GPU
    target needs a driver and a visible device."""
    if t.is_array:
        return (f"{t.name} runs kernels as array code, through hpcir.compile(kernel, target={t.name!r}) "
                "(pure in JAX: it returns the views the kernel writes)")
    if t.kind != "kokkos":
        return f"{t.name} is not a Kokkos target"
    if t.runs_on_host:
        return None
    from hpcir.core.machine import gpu_unavailable_reason
    return gpu_unavailable_reason(t.name)


def kokkos_for(t: Target) -> Any:
    """The Kokkos to build `t` against (found, else built into the cache on first use); refuses
    first, naming the character, a cache path CMake cannot build Kokkos in when none is found."""
    from hpcir.backends.toolchain.kokkos_build import ensure_kokkos
    from hpcir.backends.toolchain.kokkos_install import search_kokkos
    from hpcir.backends.toolchain.kokkos_probe import cmake_path_problem
    from hpcir.core.cache import cache_root
    from hpcir.core.errors import KokkosNotFoundError
    problem = cmake_path_problem(cache_root())
    if problem and t.kokkos_backend and search_kokkos(t.kokkos_backend)[0] is None:
        raise KokkosNotFoundError(f"no Kokkos with {t.kokkos_backend} found, and hpcir cannot build one in its "
                                  f"cache: {problem}",
                                  hint="set HPCIR_CACHE_DIR to a folder whose path has no such character, or "
                                       "point Kokkos_ROOT at a Kokkos install")
    return ensure_kokkos(t)


def build_library(sources: dict[str, str], target: str, name: str, libraries: tuple[str, ...] = (),
                  label: str | None = None, cflags: tuple[str, ...] = ()) -> Any:
    """Build (or fetch from the cache) and load the shared library of emitted sources (linked with `libraries`,
    compiled with `cflags` too; `label` names it in the progress line of a slow build)."""
    from hpcir.backends.build import build_shared_library
    from hpcir.backends.runtime import load_module
    t = get_target(target)
    return load_module(build_shared_library(sources, t, kokkos_for(t), name, libraries, label, cflags))


def runtime_libraries(module: ModuleOp, target: str) -> tuple[str, ...]:
    """The runtime libraries an L3 module's C++ calls into: the target's FFT runtime when it has fft.execute,
    the BLAS when it has blas.* ops."""
    names = {op.name for op in module.walk()}
    libs: tuple[str, ...] = ()
    if "fft.execute" in names:
        from hpcir.backends.fft_libraries import runtime_library
        libs += (str(runtime_library(get_target(target))),)
    if names & {"blas.gemm", "blas.conv_2d"}:
        from hpcir.backends.blas_find import blas_library
        libs += blas_library().libs
    return libs


def runtime_cflags(module: ModuleOp) -> tuple[str, ...]:
    """Compile flags the C++ of an L3 module needs for the libraries it calls (the BLAS headers)."""
    if not any(op.name in ("blas.gemm", "blas.conv_2d") for op in module.walk()):
        return ()
    from hpcir.backends.blas_find import blas_library
    return blas_library().cflags


def build_l3_module(module: ModuleOp, name: str) -> Any:
    """Emit, build and load an L3 module for the target it carries (the autotuner's module builder)."""
    target = stamped_target(module)
    if target is None:
        raise HpcirError("the module carries no target", hint="run kokkos-set-target first")
    return build_library(emit_cpp(module, target.name, name), target.name, name)


kokkos_tile.use_module_builder(build_l3_module)


def project_kokkos(t: Target) -> tuple[KokkosInstall | None, str]:
    """The Kokkos a lowered project builds against, and what to do when there is none.

    Host targets always get one: found, else built into hpcir's cache now (as the JIT does), so
    the printed build command works on a fresh machine. GPU Kokkos builds are not started
    implicitly (minutes, and the arch is the user's choice): the message says what to pass.
    """
    from hpcir.backends.toolchain.kokkos_install import search_kokkos
    backend = t.kokkos_backend.lower()
    if backend in ("openmp", "serial"):
        return kokkos_for(t), ""
    inst, passed_over = search_kokkos(backend)
    if inst is not None:
        return inst, ""
    why = "".join(f"\n  - {x}" for x in passed_over)
    return None, (f"hpcir: no Kokkos with {t.kokkos_backend} found{why}\n"
                  f"  pass -DKokkos_ROOT=<prefix of a Kokkos built with Kokkos_ENABLE_{t.kokkos_backend}=ON> "
                  f"to the configure command below, or run `hpcir kokkos install --backend {backend}` "
                  f"(hpcir then records it in the project)")
