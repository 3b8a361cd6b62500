"""Builds handwritten_kokkos.cpp exactly as hpcir builds its modules and wraps it with ctypes."""
from __future__ import annotations

import atexit
import ctypes
import os
from pathlib import Path

import numpy as np

from hpcir.backends.build import build_shared_library, precompiled_header_args
from hpcir.backends.toolchain.kokkos_install import KokkosInstall
from hpcir.backends.toolchain.kokkos_build import ensure_kokkos
from hpcir.core.targets import get_target

SOURCE = Path(__file__).with_name("handwritten_kokkos.cpp")
FUNCTORS = Path(__file__).with_name("handwritten_functors.hpp")  # shared with hdiff_body / gpu_passes
_DP = ctypes.POINTER(ctypes.c_double)


def _ptr(a: np.ndarray) -> ctypes._Pointer:
    return a.ctypes.data_as(_DP)


def compile_command(install: KokkosInstall, target: str = "cpu") -> list[str]:
    """The compile line hpcir uses for a module (and hence for the hand-written code)."""
    from hpcir.backends.build import _target_flags  # the same dedupe build_shared_library applies
    tc = install.toolchain()
    flags = _target_flags(get_target(target), tc)
    return [tc.compiler, *tc.compile_args, *flags, *precompiled_header_args(tc, flags, install),
            "-c", "<unit>.cpp"]


class HandWritten:
    """The hand-written Kokkos kernels, compiled through hpcir's own build path (same compiler,
    flags, precompiled header and Kokkos install as every hpcir module)."""

    def __init__(self, target: str = "cpu"):
        install = ensure_kokkos(target)
        sources = {"handwritten_kokkos.cpp": SOURCE.read_text(), FUNCTORS.name: FUNCTORS.read_text()}
        self.path = build_shared_library(sources, get_target(target), install, "hpcir_bench_handwritten")
        lib = ctypes.CDLL(str(self.path))
        self.lib = lib
        lib.hw_initialize.argtypes = [ctypes.c_int]
        lib.hw_compiler.restype = ctypes.c_char_p
        lib.hw_triad.argtypes = [_DP, _DP, _DP, ctypes.c_int64, ctypes.c_double]
        lib.hw_triad.restype = None
        lib.hw_triad_timed.argtypes = [_DP, _DP, _DP, ctypes.c_int64, ctypes.c_double, ctypes.c_int, _DP]
        lib.hw_triad_timed.restype = None
        lib.hw_jacobi.argtypes = [_DP, _DP, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_double,
                                  ctypes.c_double]
        lib.hw_jacobi.restype = None
        lib.hw_jacobi_timed.argtypes = [_DP, _DP, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_double,
                                        ctypes.c_double, ctypes.c_int, _DP]
        lib.hw_jacobi_timed.restype = None
        lib.hw_jacobi_int_timed.argtypes = lib.hw_jacobi_timed.argtypes
        lib.hw_jacobi_int_timed.restype = None
        lib.hw_touch.argtypes = [_DP, ctypes.c_int64]
        lib.hw_touch.restype = None
        lib.hw_touch_timed.argtypes = [_DP, ctypes.c_int64, ctypes.c_int, _DP]
        lib.hw_touch_timed.restype = None
        lib.hw_entry_timed.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, _DP]
        lib.hw_entry_timed.restype = ctypes.c_int
        # Normally an hpcir module has initialized the shared Kokkos already; if not, initialize
        # it with the thread count hpcir's runtime would use, and finalize it at exit.
        threads = int(os.environ.get("HPCIR_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS") or -1)
        if lib.hw_initialize(threads) == 1:
            atexit.register(lib.hw_finalize)

    @property
    def concurrency(self) -> int:
        """OpenMP threads of the Kokkos instance all variants share."""
        return int(self.lib.hw_concurrency())

    @property
    def kokkos_version(self) -> str:
        """KOKKOS_VERSION as the code was compiled against it, e.g. 3.4.01."""
        v = int(self.lib.hw_kokkos_version())
        return f"{v // 10000}.{v // 100 % 100}.{v % 100:02d}"

    @property
    def compiler(self) -> str:
        """__VERSION__ of the compiler that built the code."""
        return self.lib.hw_compiler().decode()

    def triad(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, s: float) -> None:
        """One launch + fence through ctypes."""
        self.lib.hw_triad(_ptr(a), _ptr(b), _ptr(c), a.size, s)

    def triad_timed(self, a: np.ndarray, b: np.ndarray, c: np.ndarray, s: float, reps: int = 1) -> list[float]:
        """Seconds of `reps` launches (+ fence each), timed with Kokkos::Timer inside C++."""
        out = np.zeros(reps)
        self.lib.hw_triad_timed(_ptr(a), _ptr(b), _ptr(c), a.size, s, reps, _ptr(out))
        return out.tolist()

    def jacobi(self, u: np.ndarray, out: np.ndarray, c0: float, c1: float) -> None:
        """One interior 7-point update + fence through ctypes."""
        self.lib.hw_jacobi(_ptr(u), _ptr(out), *u.shape, c0, c1)

    def jacobi_timed(self, u: np.ndarray, out: np.ndarray, c0: float, c1: float, reps: int = 1) -> list[float]:
        """Seconds of `reps` Jacobi launches timed inside C++."""
        t = np.zeros(reps)
        self.lib.hw_jacobi_timed(_ptr(u), _ptr(out), *u.shape, c0, c1, reps, _ptr(t))
        return t.tolist()

    def jacobi_int_timed(self, u: np.ndarray, out: np.ndarray, c0: float, c1: float, reps: int = 1) -> list[float]:
        """As jacobi_timed, with `int` instead of `int64_t` operator indices."""
        t = np.zeros(reps)
        self.lib.hw_jacobi_int_timed(_ptr(u), _ptr(out), *u.shape, c0, c1, reps, _ptr(t))
        return t.tolist()

    def touch(self, x: np.ndarray) -> None:
        """A launch of x[i] = 1 over x (for launch-overhead measurements)."""
        self.lib.hw_touch(_ptr(x), x.size)

    def touch_timed(self, x: np.ndarray, reps: int) -> list[float]:
        """Seconds of `reps` tiny launches timed inside C++: Kokkos' own launch + fence cost."""
        t = np.zeros(reps)
        self.lib.hw_touch_timed(_ptr(x), x.size, reps, _ptr(t))
        return t.tolist()

    def entry_timed(self, entry: "object", reps: int = 1) -> list[float]:
        """Seconds of `reps` calls of an hpcir C entry (spine_kernels.RawEntry) made from C++."""
        t = np.zeros(reps)
        status = self.lib.hw_entry_timed(entry.address, ctypes.cast(entry.args, ctypes.c_void_p),
                                         ctypes.cast(entry.results, ctypes.c_void_p), reps, _ptr(t))
        if status != 0:
            raise RuntimeError(f"hpcir entry returned status {status}")
        return t.tolist()
