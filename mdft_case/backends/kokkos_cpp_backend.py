"""`kokkos-cpp`: the hand-written Kokkos C++ kernels of mdft_case/kokkos_cpp/, built with CMake on first use
and called through their C ABI (mdft_capi.h) with ctypes; the shared L-BFGS drives them like any backend.

The library is built into hpcir's cache (`$HPCIR_CACHE_DIR` or ~/.cache/hpcir), keyed on the hash of its
sources and of the Kokkos install (`hpcir kokkos install`), against FFTW3 found by pkg-config.
"""
from __future__ import annotations

import ctypes
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from hpcir import HpcirError

from .base import Evaluator, Problem
from .plan import make_plan

SOURCE_DIR = Path(__file__).resolve().parent.parent / "kokkos_cpp"
SOURCES = ("CMakeLists.txt", "mdft_capi.h", "mdft_kernels.hpp", "mdft_kernels.cpp", "mdft_main.cpp")
KERNEL_IDS = {"ideal_ext": 0, "delta_rho": 1, "scalar_convolve": 2, "angle_to_proj": 3, "fft3_batched": 4,
              "kspace_contract": 5, "ifft3_batched": 6, "proj_to_angle": 7, "excess": 8}
_i64, _f64 = ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_double)


class KokkosCppBuildError(HpcirError):
    """The hand-written Kokkos MDFT library could not be built (no CMake, FFTW3 or Kokkos)."""


class Tables(ctypes.Structure):
    """mdft_tables of mdft_capi.h (same field order)."""

    _fields_ = [(n, ctypes.c_int64) for n in ("tier", "no", "nx", "ny", "nz")] + \
        [(n, ctypes.c_double) for n in ("rho0", "kt", "dv")] + \
        [("vext", _f64), ("weights", _f64), ("ck", _f64)] + \
        [(n, ctypes.c_int64) for n in ("ntheta", "nphi", "npsi", "nproj", "mmax", "nslot", "nout", "nentries",
                                       "has_mix")] + \
        [("fwd", _f64), ("bwd", _f64), ("iphi", _i64), ("ipsi", _i64), ("mix", _f64), ("fsrc", _i64),
         ("fsign", _f64), ("phase", _f64), ("dk", _f64), ("src", _i64), ("dst", _i64), ("coef", _f64),
         ("outidx", _i64)]


def missing_tools() -> str | None:
    """Why the library cannot be built here (no cmake, no FFTW3), or None."""
    if shutil.which("cmake") is None:
        return "cmake is not installed (needed to build mdft_case/kokkos_cpp)"
    pkg = shutil.which("pkg-config")
    if pkg is None or subprocess.run([pkg, "--exists", "fftw3"]).returncode != 0:
        return "FFTW3 was not found by pkg-config (install libfftw3-dev / fftw-devel)"
    return None


def table_arrays(p: Problem) -> dict[str, Any]:
    """The C ABI's scalars and arrays of one Problem, in mdft_tables' names (arrays contiguous, C order)."""
    f64 = lambda a: np.ascontiguousarray(a, np.float64)   # noqa: E731
    i64 = lambda a: np.ascontiguousarray(a, np.int64)     # noqa: E731
    no, nx, ny, nz = p.shape
    out: dict[str, Any] = dict(tier=0 if p.tier == "A" else 1, no=no, nx=nx, ny=ny, nz=nz, rho0=p.rho0, kt=p.kt,
                               dv=p.dv, vext=f64(p.vext), weights=f64(p.weights))
    names = ("ntheta", "nphi", "npsi", "nproj", "mmax", "nslot", "nout", "nentries", "has_mix")
    if p.tier == "A":
        return out | {n: 0 for n in names} | {"ck": f64(p.ck)}
    plan = make_plan(p)
    nt, nphi, npsi = p.ashape
    out |= dict(ntheta=nt, nphi=nphi, npsi=npsi, nproj=len(p.proj_m), mmax=plan.mmax, nslot=plan.nslot,
                nout=plan.nout, nentries=len(plan.src), has_mix=int(p.mix is not None))
    out |= dict(fwd=f64(p.fwd), bwd=f64(p.bwd), iphi=i64(p.iphi), ipsi=i64(p.ipsi), fsrc=i64(plan.fsrc),
                fsign=f64(plan.fsign), phase=np.ascontiguousarray(plan.phase, np.complex128).view(np.float64),
                dk=f64(p.dk), src=i64(plan.src), dst=i64(plan.dst),
                coef=np.ascontiguousarray(plan.coef, np.complex128).view(np.float64), outidx=i64(plan.out))
    if p.mix is not None:
        out["mix"] = np.ascontiguousarray(p.mix, np.complex128).view(np.float64)
    return out


def tables_struct(arrays: dict[str, Any]) -> Tables:
    """An mdft_tables pointing into `arrays` (which must outlive mdft_create)."""
    t = Tables()
    for name, kind in Tables._fields_:
        value = arrays.get(name)
        if isinstance(value, np.ndarray):
            setattr(t, name, value.ctypes.data_as(kind))
        elif value is not None:
            setattr(t, name, value)
    return t


def write_problem(path: Path, p: Problem, xi: np.ndarray) -> None:
    """The problem file mdft_kokkos_main reads: magic, 14 int64, 3 doubles, the arrays, then xi."""
    a = table_arrays(p)
    ints = [a[n] for n in ("tier", "no", "nx", "ny", "nz", "ntheta", "nphi", "npsi", "nproj", "mmax", "nslot", "nout",
                           "nentries", "has_mix")]
    order = ["vext", "weights"] + (["ck"] if p.tier == "A" else
                                   ["fwd", "bwd", "iphi", "ipsi"] + (["mix"] if a["has_mix"] else [])
                                   + ["fsrc", "fsign", "phase", "dk", "src", "dst", "coef", "outidx"])
    with open(path, "wb") as out:
        out.write(b"MDFTPRB1")
        out.write(np.asarray(ints, np.int64).tobytes())
        out.write(np.asarray([a["rho0"], a["kt"], a["dv"]], np.float64).tobytes())
        for name in order:
            out.write(np.ascontiguousarray(a[name]).tobytes())
        out.write(np.ascontiguousarray(xi, np.float64).tobytes())


def _kokkos_prefix() -> tuple[str, dict[str, str]]:
    """The OpenMP Kokkos of `hpcir kokkos install` (built once into hpcir's cache): its prefix and env."""
    proc = subprocess.run([sys.executable, "-m", "hpcir", "kokkos", "install", "--backend", "openmp"],
                          capture_output=True, text=True)
    prefix, env = None, {}
    for line in proc.stdout.splitlines():
        key, _, value = line.strip().partition(":")
        if key == "prefix":
            prefix = value.strip()
        elif key == "env":
            env.update(kv.split("=", 1) for kv in value.split() if "=" in kv)
    if proc.returncode != 0 or not prefix:
        raise KokkosCppBuildError("`hpcir kokkos install --backend openmp` did not give a Kokkos install",
                                  hint=(proc.stderr.strip().splitlines() or ["run it to see why"])[-1])
    return prefix, env


def _cache_root() -> Path:
    env = os.environ.get("HPCIR_CACHE_DIR")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "hpcir"


def build() -> tuple[Path, float]:
    """The built library (configured and built once per source hash, under a lock) and the seconds it took now."""
    why = missing_tools()
    if why:
        raise KokkosCppBuildError(f"the kokkos-cpp MDFT backend cannot be built: {why}",
                                  hint="install it, or leave kokkos-cpp out of --backends")
    t0 = time.perf_counter()
    root = _cache_root() / "mdft_kokkos_cpp"
    root.mkdir(parents=True, exist_ok=True)
    # the prefix `hpcir kokkos install` gave last time, while that install is still there (asking
    # again costs a Python start-up, seconds on a loaded machine)
    known = root / "kokkos_prefix.json"
    remembered = json.loads(known.read_text()) if known.exists() else None
    if remembered and (Path(remembered[0]) / "lib" / "cmake" / "Kokkos" / "KokkosConfig.cmake").exists():
        prefix, kenv = remembered
    else:
        prefix, kenv = _kokkos_prefix()
        known.write_text(json.dumps([prefix, kenv]))
    digest = hashlib.sha256(prefix.encode())
    for name in SOURCES:
        digest.update((SOURCE_DIR / name).read_bytes())
    build_dir = root / digest.hexdigest()[:16]
    lib = build_dir / "libmdft_kokkos.so"
    with open(root / f"{build_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # another process may be building the same sources
        if not lib.exists():
            env = dict(os.environ, **kenv)
            for cmd in (["cmake", "-S", str(SOURCE_DIR), "-B", str(build_dir), f"-DKokkos_ROOT={prefix}",
                         "-DCMAKE_BUILD_TYPE=Release"], ["cmake", "--build", str(build_dir), "-j2"]):
                proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
                if proc.returncode != 0:
                    tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
                    raise KokkosCppBuildError(f"building mdft_case/kokkos_cpp failed: {' '.join(cmd)}\n{tail}",
                                              hint="fix the error above (the build directory is " f"{build_dir})")
    return lib, time.perf_counter() - t0


_LIB: ctypes.CDLL | None = None


def load() -> ctypes.CDLL:
    """The library, built if needed, loaded once per process and Kokkos initialised."""
    global _LIB
    if _LIB is None:
        path, _ = build()
        lib = _load_with_openmp_defaults(path)
        lib.mdft_create.restype = ctypes.c_void_p
        lib.mdft_create.argtypes = [ctypes.POINTER(Tables)]
        lib.mdft_destroy.argtypes = [ctypes.c_void_p]
        lib.mdft_evaluate.argtypes = [ctypes.c_void_p, _f64, _f64, _f64]
        lib.mdft_set_xi.argtypes = [ctypes.c_void_p, _f64, _f64]
        lib.mdft_run_kernel.argtypes = [ctypes.c_void_p, ctypes.c_int, _f64]
        lib.mdft_last_error.restype = ctypes.c_char_p
        lib.mdft_initialize.argtypes = [ctypes.c_int]
        _check(lib, lib.mdft_initialize(int(os.environ.get("HPCIR_MDFT_THREADS", "-1"))))
        _LIB = lib
    return _LIB


def _load_with_openmp_defaults(path: Path) -> ctypes.CDLL:
    """CDLL(path) with hpcir's OpenMP defaults (docs/threads.md) in the environment while libgomp reads it,
    so that kokkos-cpp and hpcir-cpu run under the same OpenMP settings."""
    added = {}
    if os.environ.get("HPCIR_OMP_DEFAULTS", "1").lower() not in ("0", "false", "off", "no"):
        added["OMP_PROC_BIND"] = "true" if "OMP_PLACES" in os.environ else "false"
        if "GOMP_SPINCOUNT" not in os.environ:
            added["OMP_WAIT_POLICY"] = "passive"
        added = {k: v for k, v in added.items() if k not in os.environ}
    os.environ.update(added)
    try:
        return ctypes.CDLL(str(path))
    finally:
        for key in added:
            os.environ.pop(key, None)


def _check(lib: ctypes.CDLL, rc: int) -> None:
    if rc != 0:
        raise RuntimeError(f"kokkos-cpp: {lib.mdft_last_error().decode()}")


class KokkosCppKernels:
    """The chain's kernels one at a time (for the per-kernel profile), on the library's own buffers."""

    def __init__(self, ev: "KokkosCppEvaluator"):
        self.ev = ev
        self.grad = np.empty(ev.problem.shape)

    def _run(self, name: str) -> float:
        energy = ctypes.c_double()
        _check(self.ev.lib, self.ev.lib.mdft_run_kernel(self.ev.state, KERNEL_IDS[name], ctypes.byref(energy)))
        return energy.value

    def ideal_ext(self, xi: np.ndarray) -> tuple[float, Any]:
        _check(self.ev.lib, self.ev.lib.mdft_set_xi(self.ev.state, _ptr(xi), _ptr(self.grad)))
        return self._run("ideal_ext"), 0.0

    def excess(self, xi: np.ndarray, drho: Any, gamma: Any) -> tuple[float, np.ndarray]:
        return self._run("excess"), self.grad

    def __getattr__(self, name: str):
        if name not in KERNEL_IDS:
            raise AttributeError(name)
        return lambda *args: self._run(name)


class KokkosCppEvaluator(Evaluator):
    """F and dF/dxi from the C++ library: one C call per evaluation (the whole chain in C++)."""

    name = "kokkos-cpp"

    def __init__(self, problem: Problem):
        super().__init__(problem)
        self.lib = load()
        arrays = table_arrays(problem)
        self.state = self.lib.mdft_create(ctypes.byref(tables_struct(arrays)))   # copies the tables
        if not self.state:
            _check(self.lib, 1)

    def fused(self, xi: np.ndarray) -> tuple[float, np.ndarray]:
        grad = np.empty(self.problem.shape)     # fresh: the minimiser keeps earlier gradients
        f = ctypes.c_double()
        _check(self.lib, self.lib.mdft_evaluate(self.state, _ptr(xi), ctypes.byref(f), _ptr(grad)))
        return f.value, grad

    def per_kernel(self) -> KokkosCppKernels:
        return KokkosCppKernels(self)

    def __del__(self):
        if getattr(self, "state", None):
            self.lib.mdft_destroy(self.state)
            self.state = None


def _ptr(a: np.ndarray) -> Any:
    assert a.dtype == np.float64 and a.flags.c_contiguous
    return a.ctypes.data_as(_f64)
