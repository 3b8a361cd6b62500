"""The benchmark kernels in hpcir's Python kernel language, their NumPy versions, and raw access
to the library hpcir compiled for a launch (to time its C entry without Python in the loop)."""
from __future__ import annotations

import ctypes
from typing import Any

import numpy as np

import hpcir
from hpcir.api import build_module, emit_cpp, lower_to_l3
from hpcir.backends.build import build_shared_library
from hpcir.backends.runtime import KokkosModule, as_hpcir_view, load_module
from hpcir.frontends.python.kernel import Kernel
from hpcir.frontends.python.policies import MDRangePolicy, RangePolicy
from hpcir.frontends.python.signature import bind_launch
from hpcir.backends.toolchain.kokkos_build import ensure_kokkos
from hpcir.core.targets import get_target


def triad_fn(i: int, s: float, a: hpcir.View1D[float], b: hpcir.View1D[float], c: hpcir.View1D[float]):
    a[i] = b[i] + s * c[i]


def jacobi_fn(i: int, j: int, k: int, c0: float, c1: float, u: hpcir.View3D[float],
              out: hpcir.View3D[float]):
    out[i, j, k] = c0 * u[i, j, k] + c1 * (u[i - 1, j, k] + u[i + 1, j, k] + u[i, j - 1, k]
                                           + u[i, j + 1, k] + u[i, j, k - 1] + u[i, j, k + 1])


def touch_fn(i: int, x: hpcir.View1D[float]):
    x[i] = 1.0


def dot_fn(i: int, acc: hpcir.Acc[float], x: hpcir.View1D[float], y: hpcir.View1D[float]):
    acc += x[i] * y[i]


def clamp_fn(i: int, lo: float, hi: float, x: hpcir.View1D[float], y: hpcir.View1D[float]):
    v = x[i]
    if v < lo:
        v = lo
    elif v > hi:
        v = hi
    y[i] = v * v - 0.5 * v


triad = hpcir.kernel(triad_fn, name="triad")
jacobi = hpcir.kernel(jacobi_fn, rank=3, name="jacobi")
touch = hpcir.kernel(touch_fn, name="touch")

# (function, rank) of the kernels whose lowering and build times are measured.
COMPILE_KERNELS = [(triad_fn, 1), (jacobi_fn, 3), (dot_fn, 1), (clamp_fn, 1)]

JACOBI_C0, JACOBI_C1 = 0.4, 0.1


def numpy_triad(a: np.ndarray, b: np.ndarray, c: np.ndarray, s: float) -> None:
    """a = b + s*c with NumPy, without a temporary (two passes, single-threaded)."""
    np.multiply(c, s, out=a)
    np.add(a, b, out=a)


def numpy_jacobi(u: np.ndarray, out: np.ndarray, c0: float = JACOBI_C0, c1: float = JACOBI_C1) -> None:
    """The interior 7-point Jacobi update with NumPy slicing (as a NumPy user writes it)."""
    out[1:-1, 1:-1, 1:-1] = c0 * u[1:-1, 1:-1, 1:-1] + c1 * (
        u[:-2, 1:-1, 1:-1] + u[2:, 1:-1, 1:-1] + u[1:-1, :-2, 1:-1]
        + u[1:-1, 2:, 1:-1] + u[1:-1, 1:-1, :-2] + u[1:-1, 1:-1, 2:])


def _bounds(policy: Any) -> list[int]:
    if isinstance(policy, MDRangePolicy):
        return list(policy.begin) + list(policy.end)
    return [policy.begin, policy.end]


class RawEntry:
    """An hpcir C entry with its arguments packed once (docs/IR.md ABI), for calls from C++."""

    def __init__(self, module: KokkosModule, name: str, args: list[Any]):
        entry = module.entries[name]
        self.module = module
        self.address = ctypes.cast(getattr(module.cdll, f"hpcir_{name}"), ctypes.c_void_p).value
        if len(args) != len(entry.params):
            raise RuntimeError(f"{name}: {len(args)} arguments for {len(entry.params)} parameters")
        self._keep: list[Any] = []
        self.args = (ctypes.c_void_p * len(args))()
        for k, (p, v) in enumerate(zip(entry.params, args)):
            obj = self._pack(p, v)
            self._keep.append(obj)
            self.args[k] = ctypes.cast(ctypes.pointer(obj), ctypes.c_void_p)
        self.results = (ctypes.c_uint64 * 4)()

    @classmethod
    def for_kernel(cls, kernel: Kernel, policy: Any, target: str = "cpu", **kwargs: Any) -> "RawEntry":
        """The entry `hpcir.parallel_for(policy, kernel, **kwargs)` runs: the same sources give
        the same cache key, and load_module returns the already loaded module."""
        shape = "mdrange" if isinstance(policy, MDRangePolicy) else "range"
        rank = policy.rank if isinstance(policy, MDRangePolicy) else 1
        spec, values = bind_launch(kernel, "for", shape, rank, kwargs, None)
        spec.name = f"{kernel.name}_for"  # as hpcir.api names a launch's entry
        module = lower_to_l3(build_module([spec], target), target)
        lib_name = f"hpcir_{kernel.name}"
        sources = emit_cpp(module, target, lib_name)
        lib = load_module(build_shared_library(sources, get_target(target), ensure_kokkos(target), lib_name))
        return cls(lib, spec.name, _bounds(policy) + list(values))

    def _pack(self, p: Any, v: Any) -> Any:
        if p.kind == "scalar":
            return {"int64": ctypes.c_int64, "float64": ctypes.c_double}[p.dtype](v)
        arr = np.asarray(v)
        if arr.dtype != np.dtype(p.dtype) or arr.ndim != p.rank or not arr.flags.c_contiguous:
            raise RuntimeError(f"argument {p.name}: {arr.dtype}[{arr.ndim}] does not match {p.dtype}[{p.rank}]")
        self._keep.append(arr)
        return as_hpcir_view(arr)


def range_policy(n: int) -> RangePolicy:
    """RangePolicy(0, n)."""
    return hpcir.RangePolicy(0, n)


def jacobi_policy(n: int) -> MDRangePolicy:
    """The interior of an n³ grid, default tiles."""
    return hpcir.MDRangePolicy([1, 1, 1], [n - 1, n - 1, n - 1])
