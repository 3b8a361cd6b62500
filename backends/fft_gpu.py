"""The FFT runtime on GPUs: the same C entries as the FFTW one (backends/fft_cpp.py), on cuFFT or hipFFT.

Pointers are device pointers. cuFFT / hipFFT plans describe one batch stride per side
(`cufftPlanMany`), so the GPU entries take C-contiguous arrays whose transformed axes are the
trailing ones, in order, with every leading axis a batch (MDFT's layout; a located check on the
Python side says so before a launch); any other layout returns an error naming it. Plans are cached
per shape; the norm is applied by a small scaling kernel on the device.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

from .fft_libraries import FftLibrary, FftLibraryError

_API = {
    # library: its header, function / type prefix, constant prefix, GPU runtime prefix
    "cufft": {"header": "cufft.h", "p": "cufft", "P": "CUFFT", "rt": "cuda"},
    "hipfft": {"header": "hipfft/hipfft.h", "p": "hipfft", "P": "HIPFFT", "rt": "hip"},
}

# kind: (transform type suffix for f64, for f32, exec function f64, f32, direction argument)
_TYPES = {
    "fftn": ("Z2Z", "C2C", "ExecZ2Z", "ExecC2C", "FORWARD"),
    "ifftn": ("Z2Z", "C2C", "ExecZ2Z", "ExecC2C", "BACKWARD"),
    "rfftn": ("D2Z", "R2C", "ExecD2Z", "ExecR2C", None),
    "irfftn": ("Z2D", "C2R", "ExecZ2D", "ExecC2R", None),
}


def _entry(lib: str, kind: str, double: bool) -> str:
    a = _API[lib]
    p, P = a["p"], a["P"]
    ty, ex = (_TYPES[kind][0], _TYPES[kind][2]) if double else (_TYPES[kind][1], _TYPES[kind][3])
    real = "double" if double else "float"
    cplx = f"{p}DoubleComplex" if double else f"{p}Complex"
    rtype = f"{p}DoubleReal" if double else f"{p}Real"
    tin = rtype if kind == "rfftn" else cplx
    tout = rtype if kind == "irfftn" else cplx
    sign = _TYPES[kind][4]
    if sign == "BACKWARD" and lib == "cufft":
        sign = "INVERSE"  # cuFFT's name for it
    direction = f", {P}_{sign}" if sign else ""
    logical = "out_shape" if kind == "irfftn" else "in_shape"
    inverse = kind in ("ifftn", "irfftn")
    scaled_by_n = 0 if inverse else 2
    reals_per_out = 1 if kind == "irfftn" else 2
    return f"""
extern "C" int hpcir_fft_{kind}_{"f64" if double else "f32"}(
    const void* in, void* out, int rank, const int64_t* in_shape, const int64_t* in_strides,
    const int64_t* out_shape, const int64_t* out_strides, int n_axes, const int* axes, int norm,
    int nthreads, int overwrite_input, char* err, int errlen) {{
  (void)nthreads;
  (void)overwrite_input;  // cuFFT / hipFFT c2r may overwrite the input: the caller passes a copy
  if (!hpcir_fft::trailing_and_packed(rank, in_shape, in_strides, out_shape, out_strides, n_axes, axes)) {{
    hpcir_fft::set_error(err, errlen, "the GPU FFT needs C-contiguous arrays transformed over their trailing axes");
    return 2;
  }}
  std::vector<int> n(n_axes);
  int64_t batch = 1, n_total = 1, out_count = 1;
  for (int d = 0; d < rank - n_axes; ++d) batch *= in_shape[d];
  for (int k = 0; k < n_axes; ++k) {{
    n[k] = int({logical}[rank - n_axes + k]);
    n_total *= n[k];
  }}
  for (int d = 0; d < rank; ++d) out_count *= out_shape[d];
  if (batch == 0 || n_total == 0) return 0;
  int64_t in_dist = 1, out_dist = 1;
  for (int d = rank - n_axes; d < rank; ++d) {{
    in_dist *= in_shape[d];
    out_dist *= out_shape[d];
  }}
  static std::map<std::vector<int64_t>, {p}Handle> plans;
  std::vector<int64_t> key(in_shape, in_shape + rank);
  key.insert(key.end(), out_shape, out_shape + rank);
  key.push_back(n_axes);
  {p}Handle plan;
  {{
    std::lock_guard<std::mutex> guard(hpcir_fft::planner_lock());
    auto found = plans.find(key);
    if (found != plans.end()) {{
      plan = found->second;
    }} else {{
      // Packed layouts: inembed / onembed nullptr, unit stride, one batch distance per side.
      if ({p}PlanMany(&plan, n_axes, n.data(), nullptr, 1, int(in_dist), nullptr, 1, int(out_dist),
                      {P}_{ty}, int(batch)) != {P}_SUCCESS) {{
        hpcir_fft::set_error(err, errlen, "{p}PlanMany failed for {kind}");
        return 1;
      }}
      plans.emplace(key, plan);
    }}
  }}
  if ({p}{ex}(plan, const_cast<{tin}*>(static_cast<const {tin}*>(in)), static_cast<{tout}*>(out){direction})
      != {P}_SUCCESS) {{
    hpcir_fft::set_error(err, errlen, "{p}{ex} failed for {kind}");
    return 1;
  }}
  if (norm == 1 || norm == {scaled_by_n}) {{
    const {real} factor = {real}(norm == 1 ? 1.0 / std::sqrt(double(n_total)) : 1.0 / double(n_total));
    const int64_t count = out_count * {reals_per_out};
    hpcir_fft::scale<<<int((count + 255) / 256), 256>>>(static_cast<{real}*>(out), count, factor);
  }}
  return {a["rt"]}DeviceSynchronize() == {a["rt"]}Success ? 0 : 1;
}}
"""


def emit_gpu(lib: str) -> str:
    """The GPU FFT runtime translation unit on `lib` ("cufft" or "hipfft"): an entry per kind and precision."""
    from hpcir.dialects.fft import KINDS
    a = _API[lib]
    rt_header = "cuda_runtime.h" if lib == "cufft" else "hip/hip_runtime.h"
    head = f"""// Generated by hpcir: the FFT runtime on {lib} (device pointers; see backends/fft_gpu.py).
#include <{rt_header}>
#include <{a["header"]}>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace hpcir_fft {{

std::mutex& planner_lock() {{
  static std::mutex m;
  return m;
}}

void set_error(char* err, int errlen, const std::string& text) {{
  if (errlen > 0) {{
    std::strncpy(err, text.c_str(), errlen - 1);
    err[errlen - 1] = '\\0';
  }}
}}

// The layout cuFFT / hipFFT plans describe: packed C order, transformed axes trailing and in order.
bool trailing_and_packed(int rank, const int64_t* in_shape, const int64_t* in_strides, const int64_t* out_shape,
                         const int64_t* out_strides, int n_axes, const int* axes) {{
  for (int k = 0; k < n_axes; ++k)
    if (axes[k] != rank - n_axes + k) return false;
  int64_t si = 1, so = 1;
  for (int d = rank - 1; d >= 0; --d) {{
    if ((in_shape[d] > 1 && in_strides[d] != si) || (out_shape[d] > 1 && out_strides[d] != so)) return false;
    si *= in_shape[d];
    so *= out_shape[d];
  }}
  return true;
}}

template <class T>
__global__ void scale(T* x, int64_t count, T factor) {{
  const int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < count) x[i] *= factor;
}}

}}  // namespace hpcir_fft
"""
    return head + "".join(_entry(lib, k, d) for k in KINDS for d in (False, True))


def _wheel_cufft() -> Path | None:
    """The CUDA 13 cuFFT of the `nvidia-cufft` wheel (nvidia/cu13/{include,lib}), if installed."""
    for base in map(Path, sys.path):
        root = base / "nvidia" / "cu13"
        if (root / "include" / "cufft.h").exists():
            return root
    return None


def find_cufft() -> FftLibrary:
    """cuFFT: the CUDA toolkit's (CUDA_HOME / nvcc's) or the nvidia-cufft wheel's."""
    roots = [Path(os.environ[v]) for v in ("CUDA_HOME", "CUDA_PATH") if os.environ.get(v)]
    roots += [Path("/usr/local/cuda")] + sorted(Path("/usr/local").glob("cuda-*"), reverse=True)
    for r in roots:
        if (r / "include" / "cufft.h").exists():
            return FftLibrary("cuFFT", str(r), (f"-I{r / 'include'}",), (f"-L{r / 'lib64'}", "-lcufft"))
    wheel = _wheel_cufft()
    if wheel is not None:
        libs = sorted((wheel / "lib").glob("libcufft.so*"))
        # The wheel ships only the versioned file (libcufft.so.12): link it by path.
        return FftLibrary("cuFFT", str(wheel), (f"-I{wheel / 'include'}",),
                          tuple(x for p in libs[:1] for x in ("-Xlinker", str(p))))
    raise FftLibraryError("cuFFT (cufft.h, libcufft) was not found in the CUDA toolkit or the nvidia-cufft wheel",
                          hint="install the CUDA toolkit's cuFFT, or `pip install nvidia-cufft` (CUDA 13) / "
                               "`pip install nvidia-cufft-cu12` (CUDA 12), or `pip install -e '.[gpu-check]'`")


def find_hipfft() -> FftLibrary:
    """hipFFT under ROCM_PATH (default /opt/rocm)."""
    root = Path(os.environ.get("ROCM_PATH", "/opt/rocm"))
    for inc in (root / "include", Path("/usr/include")):
        if (inc / "hipfft" / "hipfft.h").exists():
            return FftLibrary("hipFFT", str(inc.parent), (f"-I{inc}",), (f"-L{inc.parent / 'lib'}", "-lhipfft"))
    raise FftLibraryError("hipFFT (hipfft/hipfft.h) was not found",
                          hint="install ROCm's hipfft-dev / rocfft (set ROCM_PATH); Debian 12 does not package it")
