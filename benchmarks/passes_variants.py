"""The kernels of benchmarks/passes.py in every form: hpcir stencils built with and without a
pass, the hand-written Kokkos code, and one array expression shared by NumPy, jax.jit and
torch.compile (so the three frameworks compute exactly the same formula)."""
from __future__ import annotations

import ctypes
from typing import Any, Callable

import numpy as np

import hpcir
from hpcir import Field
from hpcir.api import build_library, emit_cpp, l2_to_l3_pipeline
from hpcir.pipeline import run_pipeline

JACOBI_C0, JACOBI_C1 = 0.4, 0.1
TRIAD_S = 3.0


@hpcir.stencil
def jacobi7(c0: float, c1: float, u: Field[float, 3], out: Field[float, 3]):
    out[0, 0, 0] = c0 * u[0, 0, 0] + c1 * (u[-1, 0, 0] + u[1, 0, 0] + u[0, -1, 0]
                                           + u[0, 1, 0] + u[0, 0, -1] + u[0, 0, 1])


@hpcir.stencil
def hdiff(u: Field[float, 2], coeff: Field[float, 2], out: Field[float, 2]):
    lap = 4.0 * u[0, 0] - (u[1, 0] + u[-1, 0] + u[0, 1] + u[0, -1])   # a temporary field
    flx = lap[1, 0] - lap[0, 0]
    fly = lap[0, 1] - lap[0, 0]
    out[0, 0] = u[0, 0] - coeff[0, 0] * (flx[0, 0] - flx[-1, 0] + fly[0, 0] - fly[0, -1])


def _triad_fn(i: int, s: float, a: hpcir.View1D[float], b: hpcir.View1D[float], c: hpcir.View1D[float]):
    a[i] = b[i] + s * c[i]


triad_kernel = hpcir.kernel(_triad_fn, name="passes_triad")


# -- array expressions: NumPy, jax.numpy and torch all slice the same way --------------------------

def jacobi_expr(u: Any) -> Any:
    """The interior of the 7-point update (shape n-2 per dimension)."""
    c = u[1:-1, 1:-1, 1:-1]
    return JACOBI_C0 * c + JACOBI_C1 * (u[:-2, 1:-1, 1:-1] + u[2:, 1:-1, 1:-1] + u[1:-1, :-2, 1:-1]
                                        + u[1:-1, 2:, 1:-1] + u[1:-1, 1:-1, :-2] + u[1:-1, 1:-1, 2:])


def hdiff_expr(u: Any, coeff: Any) -> Any:
    """The interior [2, n-2)² of hdiff, with lap / flx / fly as whole-array temporaries."""
    lap = 4.0 * u[1:-1, 1:-1] - (u[2:, 1:-1] + u[:-2, 1:-1] + u[1:-1, 2:] + u[1:-1, :-2])  # [1, n-1)
    flx = lap[1:, 1:-1] - lap[:-1, 1:-1]   # rows [1, n-2), cols [2, n-2)
    fly = lap[1:-1, 1:] - lap[1:-1, :-1]   # rows [2, n-2), cols [1, n-2)
    return u[2:-2, 2:-2] - coeff[2:-2, 2:-2] * (flx[1:] - flx[:-1] + fly[:, 1:] - fly[:, :-1])


def triad_expr(b: Any, c: Any) -> Any:
    """b + s*c."""
    return b + TRIAD_S * c


# -- hpcir builds ----------------------------------------------------------------------------------

def pipeline_toggled(target: str, pass_name: str | None) -> str:
    """The default L2 → L3 pipeline of `target` with one pass toggled: removed when the default has
    it, added after kokkos-layout when it does not (None: the default itself)."""
    passes = l2_to_l3_pipeline(target).split(",")
    if pass_name is None:
        return ",".join(passes)
    kept = [p for p in passes if p.split("{")[0] != pass_name]
    if len(kept) < len(passes):
        return ",".join(kept)
    if pass_name == "kokkos-tile":  # tiles are MDRange tiles: stencils keep their MDRange for it
        passes = [p for p in passes if p.split("{")[0] != "stencil-host-schedule"]
    at = next(k for k, p in enumerate(passes) if p.startswith("kokkos-layout")) + 1
    return ",".join(passes[:at] + [pass_name] + passes[at:])


def toggled_name(target: str, pass_name: str) -> str:
    """How a toggled variant is labelled: 'without X' or 'with X'."""
    present = any(p.split("{")[0] == pass_name for p in l2_to_l3_pipeline(target).split(","))
    return f"hpcir {'without' if present else 'with'} {pass_name}"


def build_stencil(st: Any, target: str, without: str | None,
                  autotune_shape: tuple[int, ...] | None = None) -> tuple[Any, str]:
    """Build `st` for `target` with the default pipeline, `without` toggled (or, with `autotune_shape`,
    with kokkos-tile's autotuner timing tiles for that iteration space); (library, C++ source)."""
    pipeline = pipeline_toggled(target, without)
    tag = (without or "default").replace("-", "_")
    if autotune_shape is not None:
        tile = "kokkos-tile"
        if tile not in pipeline:
            pipeline = pipeline_toggled(target, "kokkos-tile")
        shape = "x".join(str(e) for e in autotune_shape)
        pipeline = pipeline.replace(tile, f"kokkos-tile{{autotune=true shape={shape}}}")
        tag = "autotune"
    module = run_pipeline(st.l2(target, layout_free=False), pipeline, target=target)
    name = f"hpcir_passes_{st.name}_{tag}"
    sources = emit_cpp(module, target, name)
    return build_library(sources, target, name), "\n".join(v for k, v in sources.items() if k.endswith(".cpp"))


def bounds(domain: list[tuple[int, int]]) -> list[int]:
    """A stencil entry's domain arguments: every begin, then every end."""
    return [b for b, _ in domain] + [e for _, e in domain]


def stencil_call(lib: Any, st: Any, domain: list[tuple[int, int]], *values: Any) -> Callable[[], None]:
    """A no-argument call of a built stencil's entry over `domain` (bounds b..., e...)."""
    entry = lib[st.name]
    args = bounds(domain)
    return lambda: entry(*args, *values, strict_layout=False)


def interior(n: int, rank: int, halo: int) -> list[tuple[int, int]]:
    """[halo, n - halo) in every dimension."""
    return [(halo, n - halo)] * rank


# -- hand-written Kokkos (functions added to handwritten_kokkos.cpp for this benchmark) -------------

def bind_hdiff(hw: Any) -> tuple[Callable[[np.ndarray, np.ndarray, np.ndarray], None],
                                 Callable[[np.ndarray, np.ndarray, np.ndarray], list[float]]]:
    """ctypes bindings of hw_hdiff (one launch + fence) and hw_hdiff_timed (the same, timed in C++)
    in the library spine_handwritten built."""
    dp = ctypes.POINTER(ctypes.c_double)
    fn, timed = hw.lib.hw_hdiff, hw.lib.hw_hdiff_timed
    fn.argtypes = [dp, dp, dp, ctypes.c_int, ctypes.c_int]
    fn.restype = None
    timed.argtypes = [dp, dp, dp, ctypes.c_int, ctypes.c_int, ctypes.c_int, dp]
    timed.restype = None

    def call(u: np.ndarray, coeff: np.ndarray, out: np.ndarray) -> None:
        fn(u.ctypes.data_as(dp), coeff.ctypes.data_as(dp), out.ctypes.data_as(dp), *u.shape)

    def call_timed(u: np.ndarray, coeff: np.ndarray, out: np.ndarray) -> list[float]:
        t = np.zeros(1)
        timed(u.ctypes.data_as(dp), coeff.ctypes.data_as(dp), out.ctypes.data_as(dp), *u.shape, 1,
              t.ctypes.data_as(dp))
        return t.tolist()
    return call, call_timed


# -- frameworks ------------------------------------------------------------------------------------

def jax_jit(fn: Callable[..., Any], *arrays: np.ndarray) -> tuple[Callable[[], Any], Callable[[], np.ndarray]]:
    """(timed call, result as numpy) of jax.jit(fn) on device copies of `arrays` (fp64 enabled)."""
    import jax
    jax.config.update("jax_enable_x64", True)
    dev = [jax.device_put(a) for a in arrays]
    jitted = jax.jit(fn)
    jitted(*dev).block_until_ready()  # compile outside the timing
    return (lambda: jitted(*dev).block_until_ready()), (lambda: np.asarray(jitted(*dev)))


def torch_compile(fn: Callable[..., Any], *arrays: np.ndarray, threads: int) -> tuple[Callable[[], Any], Callable[[], np.ndarray]]:
    """(timed call, result as numpy) of torch.compile(fn) (inductor, CPU) on tensors sharing `arrays`."""
    import torch
    torch.set_num_threads(threads)
    ts = [torch.from_numpy(a) for a in arrays]
    compiled = torch.compile(fn, dynamic=False)
    with torch.no_grad():
        compiled(*ts)  # compile outside the timing

    def call() -> Any:
        with torch.no_grad():
            return compiled(*ts)
    return call, (lambda: call().numpy())
