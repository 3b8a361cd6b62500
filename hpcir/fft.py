"""hpcir.fft: n-dimensional FFTs with numpy.fft's conventions, run by FFTW3 (host targets) between launches.

    y = hpcir.fft.rfftn(x, axes=(1, 2, 3))          # NumPy array in, NumPy array out
    a = hpcir.array(x, target="cpu"); b = hpcir.fft.fftn(a)    # hpcir.Array in, hpcir.Array out

Each call is checked first (located HpcirError), then lowered through the `fft` dialect: a func
holding one `fft.execute` on memrefs of dynamic extents, verified, mapped to the entry of the target's
FFT runtime (backends/fft_cpp.py: generated C++ on FFTW3, built once per target and cached) that
runs it; the runtime caches one plan per shape, layout and axes. On `cpu` FFTW runs with as many threads as the
OpenMP kernels (HPCIR_NUM_THREADS / OMP_NUM_THREADS, else all cores), on `serial` with one.
"""
from __future__ import annotations

import ctypes
import operator
import os
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from hpcir.core.arrays import share_memory
from hpcir.core.errors import HpcirError, SourceLocation, user_call_site
from hpcir.core.targets import Target, get_target

__all__ = ["fftn", "ifftn", "rfftn", "irfftn"]

NORMS = ("backward", "ortho", "forward")
_ERRLEN = 512
_BUILT: dict[tuple, Any] = {}
_SYMBOLS: dict[tuple, str] = {}   # (kind, dtype, rank, axes, norm) -> the runtime entry's symbol
_BUILD_LOCK = threading.Lock()


class FftArgumentError(HpcirError):
    """A bad argument of an hpcir.fft call (axes, norm, out, dtype, input)."""


def fftn(x: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None, norm: str | None = None,
         out: Any = None, target: str | None = None) -> Any:
    """Forward complex FFT over `axes` (default: all), as numpy.fft.fftn; real input is promoted."""
    return _transform("fftn", x, s, axes, norm, out, target, False, user_call_site(2))


def ifftn(x: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None, norm: str | None = None,
          out: Any = None, target: str | None = None) -> Any:
    """Inverse complex FFT over `axes` (default: all), as numpy.fft.ifftn."""
    return _transform("ifftn", x, s, axes, norm, out, target, False, user_call_site(2))


def rfftn(x: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None, norm: str | None = None,
          out: Any = None, target: str | None = None) -> Any:
    """Real-to-complex FFT over `axes`; the last of `axes` shrinks to n//2 + 1 (numpy.fft.rfftn)."""
    return _transform("rfftn", x, s, axes, norm, out, target, False, user_call_site(2))


def irfftn(x: Any, s: Sequence[int] | None = None, axes: Sequence[int] | None = None, norm: str | None = None,
           out: Any = None, target: str | None = None, overwrite_x: bool = False) -> Any:
    """Complex-to-real inverse FFT (numpy.fft.irfftn): `s` gives the output lengths (default 2*(m-1) on
    the last axis; pass it for odd lengths). overwrite_x=True lets FFTW use x as scratch (saves a copy)."""
    return _transform("irfftn", x, s, axes, norm, out, target, overwrite_x, user_call_site(2))


# In @hpcir.program code lowered by `hpcir lower`, these calls become fft.execute ops (frontends/python/program.py).
for _f in (fftn, ifftn, rfftn, irfftn):
    _f.__hpcir_intrinsic__ = "fft"  # type: ignore[attr-defined]


# ---- checks (everything before anything is built or run) -----------------------------------------
def _err(msg: str, site: SourceLocation | None, hint: str) -> FftArgumentError:
    return FftArgumentError(msg, site, hint)


def _as_input(x: Any, kind: str, site: SourceLocation | None) -> tuple[np.ndarray, Any]:
    """(host data, the hpcir.Array it came from or None)."""
    from hpcir.ndarray import Array
    if isinstance(x, Array):
        x._check_live(site, "the input")
        return x.numpy(), x
    if isinstance(x, (str, bytes, dict, set)) or x is None:
        raise _err(f"hpcir.fft.{kind} takes an array, got {type(x).__name__}", site,
                   "pass a NumPy array, an hpcir.Array or a (nested) list of numbers")
    try:
        a = np.asarray(x)
    except Exception as e:  # noqa: BLE001 - anything NumPy cannot read is the user's input
        raise _err(f"hpcir.fft.{kind} cannot read its input as an array ({e})", site,
                   "pass a NumPy array or an hpcir.Array") from None
    if a.dtype.kind not in "biufc":
        raise _err(f"hpcir.fft.{kind} takes numbers, got an array of {a.dtype}", site,
                   "convert it with x.astype(np.float64) or np.complex128")
    if a.ndim == 0:
        raise _err(f"hpcir.fft.{kind} needs at least one dimension, got a scalar", site, "pass an array")
    return a, None


def _precision(a: np.ndarray, kind: str, site: SourceLocation | None) -> tuple[np.dtype, np.dtype]:
    """(input dtype the library reads, output dtype) after numpy.fft's promotions."""
    if a.dtype.kind == "c":
        if kind == "rfftn":
            raise _err(f"hpcir.fft.rfftn takes real input, got {a.dtype}", site,
                       "use hpcir.fft.fftn for complex data, or pass x.real")
        single = a.dtype == np.complex64
    else:
        single = a.dtype == np.float32 or a.dtype == np.float16
    if a.dtype in (np.longdouble, np.clongdouble) and np.dtype(np.longdouble).itemsize > 8:
        raise _err(f"hpcir.fft.{kind} has no {a.dtype} transform (FFTW's long double is not built in)", site,
                   "convert to float64 / complex128 first")
    real, cplx = (np.dtype(np.float32), np.dtype(np.complex64)) if single else (np.dtype(np.float64),
                                                                                 np.dtype(np.complex128))
    return {"fftn": (cplx, cplx), "ifftn": (cplx, cplx), "rfftn": (real, cplx), "irfftn": (cplx, real)}[kind]


def _axes(a: np.ndarray, s: Any, axes: Any, kind: str, site: SourceLocation | None) -> tuple[int, ...]:
    rank = a.ndim
    if axes is None:
        if s is None:
            return tuple(range(rank))
        return tuple(range(rank - len(s), rank))
    try:
        raw = [operator.index(v) for v in (axes if isinstance(axes, (list, tuple, range)) else [axes])]
    except TypeError:
        raise _err(f"hpcir.fft.{kind}: axes must be integers, got {axes!r}", site, "e.g. axes=(0, 1)") from None
    if not raw:
        raise _err(f"hpcir.fft.{kind}: axes is empty", site, "name at least one axis, or leave axes out for all")
    for v in raw:
        if not -rank <= v < rank:
            raise _err(f"hpcir.fft.{kind}: axis {v} is out of range for an array of {rank} dimension(s)", site,
                       f"use axes between {-rank} and {rank - 1}")
    norm_axes = tuple(v % rank for v in raw)
    if len(set(norm_axes)) != len(norm_axes):
        raise _err(f"hpcir.fft.{kind}: axes {tuple(raw)} repeat an axis", site,
                   "name each axis once (transform twice with two calls if that was meant)")
    return norm_axes


def _lengths(a: np.ndarray, s: Any, axes: tuple[int, ...], kind: str, site: SourceLocation | None) -> list[int] | None:
    if s is None:
        return None
    try:
        lens = [operator.index(v) for v in s]
    except TypeError:
        raise _err(f"hpcir.fft.{kind}: s must be a sequence of integers, got {s!r}", site, "e.g. s=(64, 64)") from None
    if len(lens) != len(axes):
        raise _err(f"hpcir.fft.{kind}: s has {len(lens)} lengths for {len(axes)} axes", site,
                   "give one length per transformed axis")
    if any(n < 1 for n in lens):
        raise _err(f"hpcir.fft.{kind}: s={tuple(lens)} has a length below 1", site, "lengths must be positive")
    return lens


def _resize(a: np.ndarray, axes: tuple[int, ...], want: Sequence[int]) -> np.ndarray:
    """Crop or zero-pad `a` along `axes` to `want` (numpy.fft's `s`)."""
    if all(a.shape[ax] == n for ax, n in zip(axes, want)):
        return a
    shape = list(a.shape)
    for ax, n in zip(axes, want):
        shape[ax] = n
    z = np.zeros(shape, a.dtype)
    idx = tuple(slice(0, min(a.shape[d], shape[d])) for d in range(a.ndim))
    z[idx] = a[idx]
    return z


def _check_out(out: Any, shape: tuple[int, ...], dtype: np.dtype, kind: str, site: SourceLocation | None,
               want_array: bool) -> np.ndarray:
    from hpcir.ndarray import Array
    if isinstance(out, Array):
        out._check_live(site, "out")
        if out.on_device:
            raise _err(f"hpcir.fft.{kind}: out is an Array in GPU memory", site, "pass a host Array or NumPy array")
        host = out.numpy()
    elif isinstance(out, np.ndarray):
        host = out
    else:
        raise _err(f"hpcir.fft.{kind}: out must be a NumPy array or an hpcir.Array, got {type(out).__name__}", site,
                   f"allocate it with np.empty({shape}, np.{dtype.name})")
    if host.shape != shape or host.dtype != dtype:
        raise _err(f"hpcir.fft.{kind}: out has shape {host.shape} and dtype {host.dtype}, the result has shape "
                   f"{shape} and dtype {dtype}", site, f"pass out=np.empty({shape}, np.{dtype.name})")
    if not host.flags.writeable:
        raise _err(f"hpcir.fft.{kind}: out is read-only", site, "pass a writeable array")
    return host


# ---- the transform ---------------------------------------------------------------------------
def _transform(kind: str, x: Any, s: Any, axes: Any, norm: str | None, out: Any, target: str | None,
               overwrite_x: bool, site: SourceLocation | None) -> Any:
    from hpcir.lowering import default_target
    from hpcir.ndarray import Array
    if isinstance(x, Array) and x.on_device:
        return _device_transform(kind, x, s, axes, norm, out, target, site)
    a, src_array = _as_input(x, kind, site)
    if src_array is not None and target is not None and get_target(target).name != src_array.target:
        raise _err(f"hpcir.fft.{kind}: the input is an Array on {src_array.target!r}, target={target!r}", site,
                   "leave target out (the Array's target is used), or copy it with hpcir.array(x, target=...)")
    tname = src_array.target if src_array is not None else (target or default_target())
    try:
        t = get_target(tname)
    except HpcirError as e:
        raise _err(e.message, site, e.hint or "use target='cpu' or 'serial'") from None
    if t.kind != "kokkos" or not t.runs_on_host:
        raise _err(f"hpcir.fft.{kind} runs on host targets here, not {t.name!r}", site,
                   "use target='cpu' or 'serial' (cuda / hip FFT code is generated by hpcir.lower)")
    norm = "backward" if norm is None else norm
    if norm not in NORMS:
        raise _err(f"hpcir.fft.{kind}: norm={norm!r} is not one of {NORMS}", site, 'use norm="ortho", say')
    axs = _axes(a, s, axes, kind, site)
    lens = _lengths(a, s, axs, kind, site)
    tin, tout = _precision(a, kind, site)
    # numpy.fft's `s`: crop / zero-pad the input; irfftn's last length is the real output's.
    if kind == "irfftn":
        last = axs[-1]
        n_last = lens[-1] if lens else 2 * (a.shape[last] - 1)
        want_in = list(lens[:-1]) + [n_last // 2 + 1] if lens else [a.shape[d] for d in axs]
        if n_last < 1:
            raise _err(f"hpcir.fft.irfftn: axis {last} has {a.shape[last]} value(s), which gives an output "
                       f"length of {n_last}", site, "pass s=(..., n) with the real output length")
    else:
        want_in = lens if lens else [a.shape[d] for d in axs]
    for d, n in zip(axs, want_in):
        if n < 1 or (lens is None and a.shape[d] == 0):
            raise _err(f"hpcir.fft.{kind}: axis {d} has no values to transform", site, "transform non-empty axes")
    a_in = _resize(a, axs, want_in)
    out_shape = list(a_in.shape)
    if kind == "rfftn":
        out_shape[axs[-1]] = a_in.shape[axs[-1]] // 2 + 1
    elif kind == "irfftn":
        out_shape[axs[-1]] = n_last
    out_shape_t = tuple(out_shape)
    dest = None if out is None else _check_out(out, out_shape_t, tout, kind, site, src_array is not None)
    in_place = dest is not None and a_in is a and dest.ctypes.data == a.ctypes.data and dest.strides == a.strides \
        and a.dtype == tin
    if dest is not None and not in_place and share_memory(dest, a):
        raise _err(f"hpcir.fft.{kind}: out overlaps the input without being the same array", site,
                   "pass out=x (in place, same shape and dtype) or a separate array")
    try:  # built (once per target) before anything is written
        fn = _library_function(kind, tin, a.ndim, axs, norm, t)
    except HpcirError as e:  # a missing FFTW, a failed build: said at the call
        if e.loc is not None:
            raise
        raise type(e)(e.message, site, e.hint) from None
    src = np.asarray(a_in, dtype=tin)
    if src.strides and (min(src.strides) < 0 or any(st % src.itemsize for st in src.strides)):
        src = np.ascontiguousarray(src)
    if dest is None:
        result = np.empty(out_shape_t, tout)
    elif in_place:
        result, src = dest, dest
    elif min(dest.strides, default=0) < 0 or any(st % dest.itemsize for st in dest.strides):
        result = np.empty(out_shape_t, tout)
    else:
        result = dest
    _call(fn, src, result, axs, norm, t, overwrite_x or src is not a, kind)
    if dest is not None and result is not dest:
        dest[...] = result
    final = dest if dest is not None else result
    if src_array is not None:  # an Array in, an Array out (host targets: wraps the NumPy result, no copy)
        if out is not None:
            return out
        from hpcir.ndarray import Array
        return Array(out_shape_t, tout, t, final)
    return out if out is not None else final


def _device_transform(kind: str, x: Any, s: Any, axes: Any, norm: str | None, out: Any, target: str | None,
                      site: SourceLocation | None) -> Any:
    """An FFT of an Array in GPU memory by the target's cuFFT / hipFFT runtime: no data leaves the device.

    The GPU runtime plans C-contiguous batches over trailing axes (backends/fft_gpu.py), so the
    transformed axes must be the trailing ones, in order; the input's dtype must be the transform's
    (no conversion in device memory), and `s` may not crop or pad."""
    from hpcir.ndarray import Array, empty
    x._check_live(site, "the input")
    t = x._target
    if target is not None and get_target(target).name != t.name:
        raise _err(f"hpcir.fft.{kind}: the input is an Array on {t.name!r}, target={target!r}", site,
                   "leave target out (the Array's target is used), or copy it with hpcir.array(x, target=...)")
    norm = "backward" if norm is None else norm
    if norm not in NORMS:
        raise _err(f"hpcir.fft.{kind}: norm={norm!r} is not one of {NORMS}", site, 'use norm="ortho", say')
    # A stand-in of the input's shape and dtype (no memory) for the checks shared with host FFTs.
    probe = np.lib.stride_tricks.as_strided(np.zeros(1, x.dtype), x.shape, (0,) * x.ndim)
    if x.ndim == 0:
        raise _err(f"hpcir.fft.{kind} needs at least one dimension, got a scalar", site, "pass an array")
    axs = _axes(probe, s, axes, kind, site)
    lens = _lengths(probe, s, axs, kind, site)
    tin, tout = _precision(probe, kind, site)
    if x.dtype != tin:
        raise _err(f"hpcir.fft.{kind} of a {x.dtype} Array on {t.name!r}: the transform reads {tin}, and device "
                   "memory is not converted", site, f"allocate the Array as {tin} (hpcir.array(x.astype(np.{tin.name}), "
                   f"target={t.name!r}))")
    trailing = tuple(range(x.ndim - len(axs), x.ndim))
    if axs != trailing:
        raise _err(f"hpcir.fft.{kind} on {t.name!r} transforms trailing axes in order ({trailing} here), not {axs}",
                   site, "transpose the data so the transformed axes come last (MDFT's layout: batch first)")
    out_shape = list(x.shape)
    if kind == "irfftn":
        n_last = lens[-1] if lens else 2 * (x.shape[axs[-1]] - 1)
        if n_last // 2 + 1 != x.shape[axs[-1]] or (lens and list(lens[:-1]) != [x.shape[d] for d in axs[:-1]]):
            raise _err(f"hpcir.fft.irfftn on {t.name!r}: s={s} would crop or pad the input", site,
                       "crop or pad on the host, or pass s with the input's lengths (the last: the real output's)")
        if n_last < 1:
            raise _err(f"hpcir.fft.irfftn: axis {axs[-1]} gives an output length of {n_last}", site,
                       "pass s=(..., n) with the real output length")
        out_shape[axs[-1]] = n_last
    else:
        if lens and list(lens) != [x.shape[d] for d in axs]:
            raise _err(f"hpcir.fft.{kind} on {t.name!r}: s={s} would crop or pad the input", site,
                       "crop or pad on the host, or leave s out")
        if kind == "rfftn":
            out_shape[axs[-1]] = x.shape[axs[-1]] // 2 + 1
    if any(x.shape[d] == 0 for d in axs):
        raise _err(f"hpcir.fft.{kind}: a transformed axis has no values", site, "transform non-empty axes")
    out_shape_t = tuple(out_shape)
    if out is not None:
        if not isinstance(out, Array) or out.target != t.name:
            raise _err(f"hpcir.fft.{kind}: out must be an Array on {t.name!r} like the input", site,
                       f"pass out=hpcir.empty({out_shape_t}, np.{tout.name}, target={t.name!r})")
        out._check_live(site, "out")
        if out.shape != out_shape_t or out.dtype != tout:
            raise _err(f"hpcir.fft.{kind}: out has shape {out.shape} and dtype {out.dtype}, the result has shape "
                       f"{out_shape_t} and dtype {tout}", site,
                       f"pass out=hpcir.empty({out_shape_t}, np.{tout.name}, target={t.name!r})")
    try:  # built (once per target) before anything is allocated or written
        fn = _library_function(kind, tin, x.ndim, axs, norm, t)
    except HpcirError as e:
        if e.loc is not None:
            raise
        raise type(e)(e.message, site, e.hint) from None
    result = out if out is not None else empty(out_shape_t, tout, target=t.name)
    src = x
    if kind == "irfftn" and result is not x:  # cuFFT / hipFFT c2r overwrite their input: work on a device copy
        src = empty(x.shape, x.dtype, target=t.name)
        src.copy_from(x)
    _call_pointers(fn, src._ptr, src.shape, src.strides, src.dtype.itemsize, result._ptr, result.shape,
                   result.strides, result.dtype.itemsize, axs, norm, t, True, kind)
    if src is not x:
        src.free()
    return result


def _call(fn: Any, src: np.ndarray, dst: np.ndarray, axes: tuple[int, ...], norm: str, t: Target,
          overwrite: bool, kind: str) -> None:
    _call_pointers(fn, src.ctypes.data, src.shape, src.strides, src.itemsize, dst.ctypes.data, dst.shape,
                   dst.strides, dst.itemsize, axes, norm, t, overwrite, kind)


def _call_pointers(fn: Any, src: int, src_shape: tuple[int, ...], src_strides: tuple[int, ...], src_item: int,
                   dst: int, dst_shape: tuple[int, ...], dst_strides: tuple[int, ...], dst_item: int,
                   axes: tuple[int, ...], norm: str, t: Target, overwrite: bool, kind: str) -> None:
    """Run one runtime entry on raw pointers (host memory, or device memory on GPU targets)."""
    from hpcir.backends.fft_cpp import NORM_CODES

    def ints(v, ctype=ctypes.c_int64):
        return (ctype * max(1, len(v)))(*v)
    err = ctypes.create_string_buffer(_ERRLEN)
    status = fn(ctypes.c_void_p(src), ctypes.c_void_p(dst), len(src_shape),
                ints(src_shape), ints([st // src_item for st in src_strides]),
                ints(dst_shape), ints([st // dst_item for st in dst_strides]),
                len(axes), ints(axes, ctypes.c_int), NORM_CODES[norm], _threads(t), int(overwrite), err, _ERRLEN)
    if status != 0:
        raise HpcirError(f"hpcir.fft.{kind} failed: {err.value.decode(errors='replace')}",
                         hint="this is an hpcir bug: please report it with the shapes and strides")


def _threads(t: Target) -> int:
    if t.kokkos_backend != "OPENMP":
        return 1
    for var in ("HPCIR_NUM_THREADS", "OMP_NUM_THREADS"):
        v = os.environ.get(var, "")
        if v.isdigit() and int(v) > 0:
            return int(v)
    return os.cpu_count() or 1


def fft_module(kind: str, dtype_in: np.dtype, rank: int, axes: tuple[int, ...], norm: str, name: str) -> Any:
    """The IR of one transform: `func.func @name(memref<?x..>, memref<?x..>)` holding one fft.execute."""
    from xdsl.dialects import func
    from xdsl.dialects.builtin import DYNAMIC_INDEX, ComplexType, MemRefType, ModuleOp, f32, f64
    from xdsl.ir import Block, Region

    from hpcir.dialects.fft import ExecuteOp
    real = f32 if dtype_in in (np.float32, np.complex64) else f64
    cplx = ComplexType(real)
    tin = cplx if kind != "rfftn" else real
    tout = cplx if kind != "irfftn" else real
    dyn = [DYNAMIC_INDEX] * rank
    block = Block(arg_types=[MemRefType(tin, dyn), MemRefType(tout, dyn)])
    block.args[0].name_hint, block.args[1].name_hint = "x", "out"
    block.add_ops([ExecuteOp(block.args[0], block.args[1], kind, axes, norm), func.ReturnOp()])
    f = func.FuncOp(name, ([MemRefType(tin, dyn), MemRefType(tout, dyn)], []), Region(block))
    module = ModuleOp([f])
    module.verify()
    return module


def _library_function(kind: str, dtype_in: np.dtype, rank: int, axes: tuple[int, ...], norm: str, t: Target) -> Any:
    """The runtime entry that runs this transform: the call's IR is built and verified (fft.execute on
    memrefs) once per signature, then its entry is looked up in the target's FFT runtime (built once
    per target)."""
    from hpcir.backends.fft_cpp import entry_symbol
    signature = (kind, np.dtype(dtype_in).str, rank, axes, norm)
    symbol = _SYMBOLS.get(signature)
    if symbol is None:  # building and verifying the IR again took ~2-6 ms a call, as long as a 32^3 FFT
        module = fft_module(kind, dtype_in, rank, axes, norm, f"hpcir_fft_{kind}")
        op = next(o for o in module.walk() if o.name == "fft.execute")
        symbol = _SYMBOLS[signature] = entry_symbol(op)
    key = (symbol, t.name)
    fn = _BUILT.get(key)
    if fn is not None:
        return fn
    with _BUILD_LOCK:
        fn = _BUILT.get(key)
        if fn is None:
            from hpcir.backends.fft_libraries import runtime_library
            cdll = ctypes.CDLL(str(runtime_library(t)))
            fn = getattr(cdll, symbol)
            fn.restype = ctypes.c_int
            fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                           ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_int,
                           ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
            _BUILT[key] = fn
    return fn
